/**
 * Memory mode's controller (src/ui/memory-controller.ts) without a page: Cancel stops the hops in
 * flight (the engine's signal aborts), says so, and keeps the last finished result; a run that
 * comes back after it is dropped. The watchdog gives up on a hop that does not come back within
 * its limit (per hop, not per run), says so and asks the page to replace the device.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withDefaults } from '../src/core/options';
import { RunCancelledError } from '../src/core/errors';
import type { TimeLimitSettings } from '../src/core/kernel-safety';
import { attentionWork, gpuTimeLimitMs } from '../src/core/kernel-safety';
import { attentionReference } from '../src/core/reference';
import { defaultState } from '../src/core/state';
import { matrix } from '../src/core/tensor';
import type { AttentionInputs } from '../src/core/shapes';
import type { AttentionEngine, RunOptions } from '../src/gpu/engine';
import { memoryRunOf, MemoryController } from '../src/ui/memory-controller';
import type { RunTimeout } from '../src/ui/run-controller';

/** An engine whose runs wait until their signal aborts (a hop that would take forever). */
function stalledEngine(signals: AbortSignal[]): AttentionEngine {
  return {
    run: (_inputs: unknown, _options: unknown, run: RunOptions = {}) =>
      new Promise((_, reject) => {
        signals.push(run.signal!);
        run.signal!.addEventListener('abort', () => reject(new RunCancelledError('run cancelled')));
      }),
  } as unknown as AttentionEngine;
}

/**
 * An engine that answers each run with the float64 reference in float32 after `delayMs` of the
 * (fake) clock, as a GPU that takes that long per hop would.
 */
function slowEngine(delayMs: number, signals: AbortSignal[] = []): AttentionEngine {
  return {
    run: (inputs: AttentionInputs, options: unknown, run: RunOptions = {}) => {
      signals.push(run.signal!);
      return new Promise((resolve) =>
        setTimeout(() => {
          const ref = attentionReference(inputs, withDefaults(options as never));
          resolve({
            output: matrix(ref.output.rows, ref.output.cols, Float32Array.from(ref.output.data)),
            scores: Float32Array.from(ref.masked.data),
            probs: Float32Array.from(ref.probs.data),
            onlineSoftmax: false,
            precision: 'float32',
          });
        }, delayMs),
      );
    },
  } as unknown as AttentionEngine;
}

/** Limits that give one hop of the default memory a whole second (the smallest the formula gives). */
const LIMITS: TimeLimitSettings = { baseMs: 500, floorMaddsPerSecond: 1e12 };

function hopLimitMs(): number {
  const { keys, values } = memoryRunOf(defaultState().memory).problem;
  return gpuTimeLimitMs(attentionWork({ n: 1, m: keys.rows, dk: keys.cols, dv: values.cols, heads: 1, dModel: null }), LIMITS);
}

function controller(engine: AttentionEngine | null) {
  const notices: string[] = [];
  const timeouts: RunTimeout[] = [];
  let updates = 0;
  const host = { dataset: {} as DOMStringMap, addController: () => {}, requestUpdate: () => updates++ };
  const memory = new MemoryController(host as never, {
    state: () => defaultState(),
    engine: () => engine,
    noGpuReason: () => 'no GPU here',
    notify: (_kind, text) => notices.push(text),
    limits: () => LIMITS,
    timedOut: (t) => timeouts.push(t),
  });
  return { memory, host, notices, timeouts, updates: () => updates };
}

describe('Cancel in memory mode', () => {
  it('aborts the hop in flight, says so and keeps the last result', async () => {
    const signals: AbortSignal[] = [];
    const { memory, host, notices } = controller(stalledEngine(signals));
    const running = memory.run();
    expect(memory.running).toBe(true);
    expect(host.dataset.memoryState).toBe('running');
    expect(signals).toHaveLength(1);
    memory.cancel();
    expect(signals[0].aborted).toBe(true);
    expect(memory.running).toBe(false);
    expect(host.dataset.memoryState).toBe('cancelled');
    expect(notices).toEqual([expect.stringMatching(/^Memory run cancelled\./)]);
    await running;
    // The cancelled run left nothing behind: no outcome, and the state stays cancelled.
    expect(memory.outcome).toBeNull();
    expect(host.dataset.memoryState).toBe('cancelled');
  });

  it('does nothing when no run is in flight', async () => {
    const { memory, host, notices } = controller(null);
    await memory.run(); // no GPU: the reference's result, at once
    expect(memory.outcome?.gpuError).toBe('no GPU here');
    expect(host.dataset.memoryState).toBe('done');
    memory.cancel();
    expect(notices).toEqual([]);
    expect(host.dataset.memoryState).toBe('done');
    expect(memory.outcome).not.toBeNull();
  });
});

describe('the watchdog in memory mode', () => {
  afterEach(() => void vi.useRealTimers());

  it('gives up on a hop that does not come back, says so, stops the hops and asks for a new device', async () => {
    vi.useFakeTimers();
    const limitMs = hopLimitMs();
    expect(limitMs).toBe(1000);
    const signals: AbortSignal[] = [];
    const { memory, host, timeouts } = controller(stalledEngine(signals));
    const running = memory.run();
    await vi.advanceTimersByTimeAsync(limitMs - 1);
    expect(memory.running).toBe(true);
    expect(timeouts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await running;
    expect(memory.running).toBe(false);
    expect(host.dataset.memoryState).toBe('done');
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(true);
    expect(memory.outcome?.gpu).toBeNull();
    expect(memory.outcome?.gpuError).toBe(
      "A hop on the GPU did not finish within 1 s. The GPU device is being replaced. The hops shown are the float64 reference's.",
    );
    // The float64 hops are still there to show.
    expect(memory.outcome?.cpu.hops).toHaveLength(defaultState().memory.hops);
    expect(timeouts).toHaveLength(1);
    const { problem } = memoryRunOf(defaultState().memory);
    expect(timeouts[0]).toEqual({
      kernels: null,
      variant: 'naive',
      shape: { n: 1, m: problem.keys.rows, dk: problem.keys.cols, dv: problem.values.cols, heads: 1, kvHeads: 1, dModel: null },
      limitMs,
    });
  });

  it('restarts the clock after each hop: hops that each fit pass although the run takes longer than one limit', async () => {
    vi.useFakeTimers();
    const limitMs = hopLimitMs();
    const hops = defaultState().memory.hops;
    expect(hops).toBeGreaterThan(1);
    const { memory, timeouts } = controller(slowEngine(0.8 * limitMs));
    const running = memory.run();
    await vi.advanceTimersByTimeAsync(hops * 0.8 * limitMs);
    await running;
    expect(timeouts).toEqual([]);
    expect(memory.outcome?.gpuError).toBeNull();
    expect(memory.outcome?.gpu?.hops).toHaveLength(hops);
    expect(memory.outcome?.gpu?.pass).toBe(true);
  });

  it('once the replacement device is ready, the message says the device has been replaced, and the rest stays', async () => {
    vi.useFakeTimers();
    const { memory, updates } = controller(stalledEngine([]));
    const running = memory.run();
    await vi.advanceTimersByTimeAsync(hopLimitMs());
    await running;
    const before = memory.outcome!;
    const shown = updates();
    memory.deviceReplaced();
    expect(memory.outcome?.gpuError).toBe(
      "A hop on the GPU did not finish within 1 s. The GPU device has been replaced. The hops shown are the float64 reference's.",
    );
    expect(memory.outcome?.cpu).toBe(before.cpu);
    expect(memory.outcome?.id).toBe(before.id);
    expect(updates()).toBe(shown + 1);
    // A second replacement changes nothing more.
    memory.deviceReplaced();
    expect(updates()).toBe(shown + 1);
  });

  it('gives up on a hop that would come back later than its limit', async () => {
    vi.useFakeTimers();
    const limitMs = hopLimitMs();
    const { memory, timeouts } = controller(slowEngine(1.2 * limitMs));
    const running = memory.run();
    await vi.advanceTimersByTimeAsync(1.2 * limitMs);
    await running;
    expect(timeouts).toHaveLength(1);
    expect(memory.outcome?.gpu).toBeNull();
  });
});
