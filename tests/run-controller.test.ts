/**
 * The playground's run controller (src/ui/run-controller.ts) without a page: a GPU run that does not
 * finish within its limit ends on the CPU reference with a message that the device is being
 * replaced, and says it has been replaced once the new device is ready: when the page says so
 * (deviceReplaced), and when the new device was ready before the reference finished.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunCancelledError } from '../src/core/errors';
import type { TimeLimitSettings } from '../src/core/kernel-safety';
import { defaultState } from '../src/core/state';
import type { AttentionEngine, RunOptions } from '../src/gpu/engine';
import type { RunTimeout } from '../src/ui/run-controller';
import { RunController } from '../src/ui/run-controller';

/** An engine whose runs never finish (they end only when their signal aborts). */
function stalledEngine(): AttentionEngine {
  return {
    run: (_inputs: unknown, _options: unknown, run: RunOptions = {}) =>
      new Promise((_, reject) => run.signal?.addEventListener('abort', () => reject(new RunCancelledError('run cancelled')))),
  } as unknown as AttentionEngine;
}

/** The smallest limit the formula gives: one second. */
const LIMITS: TimeLimitSettings = { baseMs: 500, floorMaddsPerSecond: 1e12 };

/** A controller over the default matrix problem; `replaceOnTimeout`: the new device is ready as soon as the page asks. */
function setUp(replaceOnTimeout: boolean) {
  let engine: AttentionEngine | null = stalledEngine();
  const timeouts: RunTimeout[] = [];
  let updates = 0;
  const host = { dataset: {} as DOMStringMap, addController: () => {}, requestUpdate: () => void updates++ };
  const runs = new RunController(host as never, {
    state: () => defaultState(),
    engine: () => engine,
    noGpuReason: () => 'no GPU here',
    notify: () => {},
    kernels: () => null,
    limits: () => LIMITS,
    timedOut: (t) => {
      timeouts.push(t);
      engine = replaceOnTimeout ? stalledEngine() : null;
    },
    recorded: (_kernels, _limitMs, run) => run(),
  });
  const timeOut = async () => {
    vi.useFakeTimers();
    const running = runs.run();
    await vi.advanceTimersByTimeAsync(1000);
    vi.useRealTimers();
    await running;
    expect(timeouts).toHaveLength(1);
  };
  return { runs, timeOut, replaced: () => (engine = stalledEngine()), updates: () => updates };
}

const BEING = 'The GPU run did not finish within its time limit (1 s). The GPU device is being replaced.';
const BEEN = 'The GPU run did not finish within its time limit (1 s). The GPU device has been replaced.';

describe('a playground run that does not finish within its time limit', () => {
  afterEach(() => void vi.useRealTimers());

  it('says the device is being replaced, and that it has been once the page says the new one is ready', async () => {
    const { runs, timeOut, replaced, updates } = setUp(false);
    await timeOut();
    expect(runs.outcome?.gpu).toBeNull();
    expect(runs.outcome?.gpuError).toBe(BEING);
    const before = runs.outcome!;
    const shown = updates();
    replaced();
    runs.deviceReplaced();
    expect(runs.outcome?.gpuError).toBe(BEEN);
    // The rest of the outcome (the CPU reference) stays as it was.
    expect(runs.outcome?.id).toBe(before.id);
    expect(runs.outcome?.reference).toBe(before.reference);
    expect(updates()).toBe(shown + 1);
    runs.deviceReplaced();
    expect(updates()).toBe(shown + 1);
  });

  it('says it has been replaced when the new device was ready before the CPU reference finished', async () => {
    const { runs, timeOut } = setUp(true);
    await timeOut();
    expect(runs.outcome?.gpuError).toBe(BEEN);
  });
});
