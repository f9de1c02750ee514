/**
 * Memory mode's controller (src/ui/memory-controller.ts) without a page: Cancel stops the hops in
 * flight (the engine's signal aborts), says so, and keeps the last finished result; a run that
 * comes back after it is dropped.
 */
import { describe, expect, it } from 'vitest';
import { RunCancelledError } from '../src/core/errors';
import { defaultState } from '../src/core/state';
import type { AttentionEngine, RunOptions } from '../src/gpu/engine';
import { MemoryController } from '../src/ui/memory-controller';

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

function controller(engine: AttentionEngine | null) {
  const notices: string[] = [];
  let updates = 0;
  const host = { dataset: {} as DOMStringMap, addController: () => {}, requestUpdate: () => updates++ };
  const memory = new MemoryController(host as never, {
    state: () => defaultState(),
    engine: () => engine,
    noGpuReason: () => 'no GPU here',
    notify: (_kind, text) => notices.push(text),
  });
  return { memory, host, notices, updates: () => updates };
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
