/**
 * Runs: each edit reruns after a short debounce (run() runs at once); a newer run aborts the one in
 * flight, and every await is followed by a staleness check. One run builds the problem (loading the
 * word vectors for sentence mode), runs the GPU when there is one, then the float64 reference and
 * the comparison in the worker. A big problem (more than FULL_REFERENCE_SCORES scores) runs on the
 * GPU in bounded blocks of query rows, with progress and a cancel between blocks (the engine's
 * onBlock and maxBlockWork), and is checked and drawn on sampled rows: a float64 n×m reference of
 * a long sequence would not fit in memory.
 *
 * Every GPU run is watched (src/gpu/watchdog.ts): it may take gpuTimeLimitMs of its work (per
 * block for a big problem), and Cancel stops waiting at once. A run that times out ends with the
 * CPU reference alone and is reported to the owner (timedOut), which replaces the device and holds
 * the user's kernels that were in use. Runs use only the edited kernels that passed their trial
 * (kernel-staging.ts), never the state's kernels as they are.
 *
 * The host's data-state (pending, running, done, error, cancelled) and data-run (the finished run's
 * id) say where it stands, for tests and the console.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import gloveUrl from '../assets/embeddings/glove-20k-int8.bin?url';
import type { Embeddings } from '../core/embeddings';
import { parseEmbeddings } from '../core/embeddings';
import { InputError, RunCancelledError } from '../core/errors';
import { describeFusedForm } from '../core/subgroups';
import type { Problem } from '../core/problem';
import { buildProblem, needsSampling, referenceOptions, sampleProblem, sampleRows } from '../core/problem';
import type { TimeLimitSettings } from '../core/kernel-safety';
import { afterDeviceReplaced, afterDeviceReplacedIn, attentionWork, DEVICE_BEING_REPLACED, gpuTimeLimitMs } from '../core/kernel-safety';
import type { AttentionShape } from '../core/shapes';
import type { PlaygroundState } from '../core/state';
import type { AttentionEngine, RunResult } from '../gpu/engine';
import { DeviceLostError } from '../gpu/errors';
import { hasIntermediates, isVariant } from '../gpu/variants';
import { GpuTimeoutError, withTimeLimit } from '../gpu/watchdog';
import type { EmbeddingsStatus } from './attn-sentence-panel';
import type { NoticeLevel } from './events';
import { ReferenceClient } from './reference-client';
import type { RunOutcome } from './run-types';

const RUN_DEBOUNCE_MS = 200;
/** Multiply-adds per GPU block of a big problem's rows (a few seconds on a CPU emulator, far less on a GPU). */
const BLOCK_WORK = 2 ** 28;

/** Rows of a big problem the GPU has finished, while it runs in blocks. */
export interface RunProgress {
  done: number;
  total: number;
  startedAt: number;
}

export interface RunControllerOptions {
  state(): PlaygroundState;
  engine(): AttentionEngine | null;
  /** Why there is no engine, for the verdict line. */
  noGpuReason(): string;
  notify(level: NoticeLevel, text: string): void;
  /** The edited kernels runs may use (those that passed their trial); null: the built-in ones. */
  kernels(state: PlaygroundState): Record<string, string> | null;
  /** The watchdog's settings (src/core/kernel-safety.ts). */
  limits(): TimeLimitSettings;
  /** A GPU run did not finish in time: the owner replaces the device and says which kernels ran. */
  timedOut(timeout: RunTimeout): void;
  /** Runs a GPU run with its edited kernels on the write-ahead record (kernel-run-record.ts). */
  recorded<T>(kernels: Record<string, string> | null, limitMs: number, run: () => Promise<T>): Promise<T>;
}

/** What ran when a playground run timed out. */
export interface RunTimeout {
  kernels: Record<string, string> | null;
  variant: string;
  shape: AttentionShape;
  limitMs: number;
}

type GpuPart = Pick<RunOutcome, 'gpu' | 'fullOutput' | 'fullProjected' | 'gpuError' | 'gpuMs' | 'gpuTimings' | 'gpuForm'>;

export class RunController implements ReactiveController {
  outcome: RunOutcome | null = null;
  /** Why the current state cannot run (shape mismatch, empty sentence …); the last good result stays. */
  problemError: string | null = null;
  running = false;
  progress: RunProgress | null = null;
  embeddingsStatus: EmbeddingsStatus = 'idle';

  private readonly reference = new ReferenceClient();
  private embeddings: Embeddings | null = null;
  private embeddingsLoad: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private abort: AbortController | null = null;
  private counter = 0;

  constructor(
    private readonly host: ReactiveControllerHost & HTMLElement,
    private readonly options: RunControllerOptions,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    clearTimeout(this.timer);
    this.abort?.abort();
    this.reference.dispose();
  }

  schedule(): void {
    clearTimeout(this.timer);
    this.host.dataset.state = 'pending';
    this.timer = setTimeout(() => void this.run(), RUN_DEBOUNCE_MS);
  }

  async run(): Promise<void> {
    clearTimeout(this.timer);
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const id = ++this.counter;
    const stale = () => abort.signal.aborted;
    const state = this.options.state();
    this.update({ running: true, progress: null }, 'running');

    if (state.mode === 'sentence' && !this.embeddings) {
      await this.loadEmbeddings();
      if (stale()) return;
      if (!this.embeddings) return this.fail('The word vectors could not be loaded, so sentence mode cannot run.');
    }
    let full: Problem;
    try {
      full = buildProblem(state, this.embeddings);
    } catch (error) {
      return this.fail((error as Error).message);
    }
    const problem = needsSampling(full.shape) ? sampleProblem(full, sampleRows(full.shape, full.options)) : full;
    const engine = this.options.engine();
    const gpu = await this.runGpu(state, full, problem, abort.signal);
    if (!gpu || stale()) return;
    this.update({ progress: null });

    const started = performance.now();
    let evaluation;
    try {
      const stages = gpu.gpu && { ...gpu.gpu, projected: gpu.gpu.projected && { data: gpu.gpu.projected } };
      evaluation = await this.reference.evaluate({ inputs: problem.inputs, options: referenceOptions(problem), gpu: stages }, abort.signal);
    } catch (error) {
      if (error instanceof RunCancelledError || stale()) return;
      return this.fail(error instanceof InputError ? error.message : `The CPU reference failed: ${(error as Error).message}`);
    }
    if (stale()) return;
    const { reference, check, errors } = evaluation;
    const variant = isVariant(state.variant) ? state.variant : 'tiled';
    // A timeout's replacement device may be ready before the reference is: then it has been replaced.
    const now = this.options.engine();
    const gpuError = gpu.gpuError && now && now !== engine ? afterDeviceReplaced(gpu.gpuError) : gpu.gpuError;
    this.outcome = { id, problem, full, variant, reference, check, errors, cpuMs: performance.now() - started, ...gpu, gpuError };
    this.problemError = null;
    this.host.dataset.run = String(id);
    this.update({ running: false }, 'done');
  }

  /** The replacement device is ready: a timed-out run's message no longer says it is being replaced. */
  deviceReplaced(): void {
    const outcome = afterDeviceReplacedIn(this.outcome);
    if (!outcome) return;
    this.outcome = outcome;
    this.host.requestUpdate();
  }

  /** Stops waiting for the run in flight (the watchdog lets go at once); the last finished results stay. */
  cancel(): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    this.abort?.abort();
    this.abort = null;
    this.update({ running: false, progress: null }, 'cancelled');
    this.options.notify('info', 'Run cancelled. The results shown are from the last finished run; press Run to start again.');
  }

  /** The 100-d word vectors sentence mode needs, fetched once (again after a failure). */
  loadEmbeddings(): Promise<void> {
    this.embeddingsLoad ??= (async () => {
      this.update({ embeddingsStatus: 'loading' });
      try {
        const response = await fetch(gloveUrl);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        this.embeddings = parseEmbeddings(await response.arrayBuffer());
        this.update({ embeddingsStatus: 'ready' });
      } catch (error) {
        this.embeddingsLoad = null;
        this.update({ embeddingsStatus: 'failed' });
        this.options.notify('error', `The word vectors could not be loaded (${(error as Error).message}).`);
      }
    })();
    return this.embeddingsLoad;
  }

  /** The GPU's part of a run; null when the run was cancelled or superseded. */
  private async runGpu(state: PlaygroundState, full: Problem, problem: Problem, signal: AbortSignal): Promise<GpuPart | null> {
    const part: GpuPart = { gpu: null, fullOutput: null, fullProjected: null, gpuError: null, gpuMs: null, gpuTimings: null };
    const engine = this.options.engine();
    if (!engine) return { ...part, gpuError: this.options.noGpuReason() };
    const variant = isVariant(state.variant) ? state.variant : 'tiled';
    const kernels = this.options.kernels(state);
    const run = { variant, kernels: kernels ?? undefined, precision: state.precision, signal };
    const limits = this.options.limits();
    const blockLimitMs = gpuTimeLimitMs(BLOCK_WORK, limits);
    let limitMs = problem.sample ? blockLimitMs : gpuTimeLimitMs(attentionWork(full.shape), limits);
    try {
      if (problem.sample) {
        const startedAt = performance.now();
        this.update({ progress: { done: 0, total: full.shape.n, startedAt } });
        const result = await this.options.recorded(kernels, gpuTimeLimitMs(attentionWork(full.shape), limits), () =>
          withTimeLimit(
            (rearm) => {
              // The limit is per block: each finished block restarts the clock.
              const onBlock = (done: number, total: number) => {
                rearm(blockLimitMs);
                if (!signal.aborted) this.update({ progress: { done, total, startedAt } });
              };
              return engine.run(full.inputs, full.options, { ...run, maxBlockWork: BLOCK_WORK, onBlock });
            },
            limitMs,
            signal,
          ),
        );
        const { rows } = problem.sample;
        return {
          ...part,
          gpu: {
            scores: null,
            probs: null,
            output: pickRows(result.output.data, rows, result.output.cols),
            projected: result.projected && pickRows(result.projected.data, rows, result.projected.cols),
            onlineSoftmax: result.onlineSoftmax,
            precision: result.precision,
          },
          fullOutput: result.output.data,
          fullProjected: result.projected?.data ?? null,
          gpuMs: result.wallMs,
          gpuTimings: result.gpuTimings,
          gpuForm: fusedForm(result),
        };
      }
      // With RoPE on, every variant reads back its rotated Q and K, so they are checked too.
      const intermediates = hasIntermediates(variant) || full.options.rope !== null;
      const result = await this.options.recorded(kernels, limitMs, () =>
        withTimeLimit(() => engine.run(full.inputs, full.options, { ...run, intermediates }), limitMs, signal),
      );
      const gpu = {
        rotated: result.rotated,
        scores: result.scores,
        probs: result.probs,
        output: result.output.data,
        projected: result.projected?.data ?? null,
        onlineSoftmax: result.onlineSoftmax,
        precision: result.precision,
      };
      return { ...part, gpu, gpuMs: result.wallMs, gpuTimings: result.gpuTimings, gpuForm: fusedForm(result) };
    } catch (error) {
      if (error instanceof RunCancelledError || signal.aborted) return null;
      if (error instanceof GpuTimeoutError) {
        limitMs = error.limitMs;
        this.options.timedOut({ kernels, variant, shape: full.shape, limitMs });
        return {
          ...part,
          gpuError: `The GPU run did not finish within its time limit (${Math.round(limitMs / 1000)} s). ${DEVICE_BEING_REPLACED}`,
        };
      }
      const yours = kernels ? ' (your kernels from the shader lab are in use)' : '';
      return {
        ...part,
        gpuError: error instanceof DeviceLostError ? error.message : `The GPU run failed${yours}: ${(error as Error).message}`,
      };
    }
  }

  private fail(message: string): void {
    this.problemError = message;
    this.update({ running: false }, 'error');
  }

  private update(fields: Partial<Pick<RunController, 'running' | 'progress' | 'embeddingsStatus'>>, dataState?: string): void {
    Object.assign(this, fields);
    if (dataState) this.host.dataset.state = dataState;
    this.host.requestUpdate();
  }
}

/** How a fused run's kernel ran, in words; undefined for the three-pass variants. */
function fusedForm(result: RunResult): string | undefined {
  return result.variant === 'fused' ? describeFusedForm(result) : undefined;
}

/** The given rows of a row-major matrix with `cols` columns. */
function pickRows(data: Float32Array, rows: readonly number[], cols: number): Float32Array {
  const out = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => out.set(data.subarray(r * cols, (r + 1) * cols), i * cols));
  return out;
}
