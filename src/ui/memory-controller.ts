/**
 * Memory mode's runs: the facts and question of the state parsed and read by the float64 reference
 * (src/core/memory-facts.ts), then every hop on the GPU (src/gpu/memory-run.ts), each checked against
 * the reference from the GPU's own query. Bad text (an unknown word, a fact that does not parse)
 * leaves the last good result in place with a message; a newer edit supersedes a run in flight,
 * and Cancel stops it (the last finished result stays). Each hop is watched (src/gpu/watchdog.ts),
 * with the page's limit for one attention call of its size: a hop that does not come back in time
 * shows the reference's hops with a message, and the page replaces the device (timedOut).
 *
 * The host's data-memory-state (running, done, error, cancelled) and data-memory-run (the finished run's id)
 * say where it stands, for tests and the console.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { InputError, RunCancelledError } from '../core/errors';
import type { TimeLimitSettings } from '../core/kernel-safety';
import { afterDeviceReplacedIn, attentionWork, DEVICE_BEING_REPLACED, formatLimit, gpuTimeLimitMs } from '../core/kernel-safety';
import type { FactsRun } from '../core/memory-facts';
import { runFacts } from '../core/memory-facts';
import type { MemoryState, PlaygroundState } from '../core/state';
import { matrix } from '../core/tensor';
import type { AttentionEngine } from '../gpu/engine';
import type { GpuMemoryRun } from '../gpu/memory-run';
import { MEMORY_VARIANT, runMemoryOnGpu } from '../gpu/memory-run';
import { GpuTimeoutError, withTimeLimit } from '../gpu/watchdog';
import type { RunTimeout } from './run-controller';

export interface MemoryOutcome {
  id: number;
  /** The memory state it answers. */
  key: string;
  cpu: FactsRun;
  /** null when there was no GPU (gpuError says why) or the run failed. */
  gpu: GpuMemoryRun | null;
  gpuError: string | null;
}

export interface MemoryView {
  outcome: MemoryOutcome | null;
  /** Why the current text was not run (the outcome above is from the last good one). */
  error: string | null;
  running: boolean;
}

export interface MemoryControllerOptions {
  state(): PlaygroundState;
  engine(): AttentionEngine | null;
  noGpuReason(): string;
  notify(kind: 'info', text: string): void;
  /** The watchdog's settings (src/core/kernel-safety.ts). */
  limits(): TimeLimitSettings;
  /** A hop did not come back within its limit: the page says so and replaces the device. */
  timedOut(timeout: RunTimeout): void;
}

/** The float64 run of a memory state; throws InputError naming the problem. */
export function memoryRunOf(m: MemoryState): FactsRun {
  const rotation = m.rotation ? matrix(m.rotation.length, m.rotation[0].length, m.rotation.flat()) : null;
  return runFacts(m.facts.split('\n'), m.question, { hops: m.hops, update: m.update, rotation, temperature: m.temperature });
}

export class MemoryController implements ReactiveController {
  outcome: MemoryOutcome | null = null;
  error: string | null = null;
  running = false;
  private nextId = 1;
  private latest = 0;
  /** Aborts the GPU hops of a run a newer edit superseded (the engine stops between blocks). */
  private abort: AbortController | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly options: MemoryControllerOptions,
  ) {
    host.addController(this);
  }

  hostConnected(): void {}

  get view(): MemoryView {
    return { outcome: this.outcome, error: this.error, running: this.running };
  }

  /** Runs the state's memory unless the last outcome already answers it. */
  stateChanged(state: PlaygroundState): void {
    if (this.outcome?.key === JSON.stringify(state.memory) && !this.error) return;
    void this.run();
  }

  /** The replacement device is ready: a timed-out run's message no longer says it is being replaced. */
  deviceReplaced(): void {
    const outcome = afterDeviceReplacedIn(this.outcome);
    if (!outcome) return;
    this.outcome = outcome;
    this.host.requestUpdate();
  }

  /** Stops the run in flight (the engine stops between blocks); the last finished result stays. */
  cancel(): void {
    if (!this.running) return;
    this.latest = this.nextId++;
    this.abort?.abort();
    this.abort = null;
    this.running = false;
    this.host.dataset.memoryState = 'cancelled';
    this.host.requestUpdate();
    this.options.notify('info', 'Memory run cancelled. The hops shown are from the last run that finished; press Run to start again.');
  }

  async run(): Promise<void> {
    const memory = this.options.state().memory;
    const id = this.nextId++;
    this.latest = id;
    this.abort?.abort();
    this.abort = null;
    let cpu: FactsRun;
    try {
      cpu = memoryRunOf(memory);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.error = error.message;
      this.running = false;
      this.host.dataset.memoryState = 'error';
      this.host.requestUpdate();
      return;
    }
    this.error = null;
    this.running = true;
    this.host.dataset.memoryState = 'running';
    this.host.requestUpdate();
    const engine = this.options.engine();
    let gpu: GpuMemoryRun | null = null,
      gpuError: string | null = null;
    if (!engine) gpuError = this.options.noGpuReason();
    else {
      const abort = (this.abort = new AbortController());
      const { keys, values } = cpu.problem;
      const shape = { n: 1, m: keys.rows, dk: keys.cols, dv: values.cols, heads: 1, kvHeads: 1, dModel: null };
      // The limit is per hop: each finished hop restarts the clock.
      const hopLimitMs = gpuTimeLimitMs(attentionWork(shape), this.options.limits());
      try {
        gpu = await withTimeLimit(
          (rearm) => runMemoryOnGpu(engine, cpu.problem, { signal: abort.signal, onHop: () => rearm(hopLimitMs) }),
          hopLimitMs,
          abort.signal,
        );
      } catch (error) {
        if (error instanceof RunCancelledError) return;
        if (error instanceof GpuTimeoutError) {
          // Stop the hops still to come; the device that hangs is replaced by the page.
          abort.abort();
          if (this.abort === abort) this.abort = null;
          if (id === this.latest) this.options.timedOut({ kernels: null, variant: MEMORY_VARIANT, shape, limitMs: error.limitMs });
          gpuError = `A hop on the GPU did not finish within ${formatLimit(error.limitMs)}. ${DEVICE_BEING_REPLACED} The hops shown are the float64 reference's.`;
        } else gpuError = error instanceof Error ? error.message : String(error);
      }
    }
    if (id !== this.latest) return;
    this.outcome = { id, key: JSON.stringify(memory), cpu, gpu, gpuError };
    this.running = false;
    this.host.dataset.memoryState = 'done';
    this.host.dataset.memoryRun = String(id);
    this.host.requestUpdate();
  }
}
