/**
 * The kernel staging controller's flow (src/ui/kernel-staging.ts) with its three steps replaced by
 * fakes: a kernel that does not compile is named before anything runs it; a kernel the interpreter finds endless is held and never reaches the GPU; one that passes
 * the quick check is used; one that times out on the GPU is held and the device replaced; the
 * write-ahead record is written before the GPU run and cleared after; a held stage is not tried.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { PlaygroundState } from '../src/core/state';
import { defaultState } from '../src/core/state';
import type { StageName } from '../src/core/stages';
import type { InterpreterVerdict } from '../src/ui/kernel-trial-client';

const calls = vi.hoisted(() => ({
  interpreter: [] as string[],
  gpu: [] as string[],
  records: [] as (string | null)[],
  verdict: { kind: 'finished' } as InterpreterVerdict,
  gpuStatus: 'pass' as string,
  compiled: [] as string[],
  compileStatus: null as string | null,
}));

vi.mock('../src/ui/kernel-trial-client', () => ({
  interpretKernel: async (request: { source: string }) => {
    calls.interpreter.push(request.source);
    return calls.verdict;
  },
}));
vi.mock('../src/gpu/verify-suite', () => ({
  COMPILE_TIME_LIMIT_MS: 60_000,
  compileFailure: async (_engine: unknown, _stage: string, source: string) => {
    calls.compiled.push(source);
    if (!calls.compileStatus) return null;
    return {
      status: calls.compileStatus,
      compileMessages:
        calls.compileStatus === 'compile-error'
          ? [{ type: 'error', message: 'loop does not exit', line: 3, column: 5, offset: 0, length: 4 }]
          : [],
      interfaceProblems: calls.compileStatus === 'interface-error' ? ['it has no binding 3'] : [],
      error: 'compiling the kernel took longer than 60000 ms',
    };
  },
  verifyKernel: async (_engine: unknown, options: { source: string }) => {
    calls.gpu.push(options.source);
    return { status: calls.gpuStatus, cases: [], compileMessages: [], interfaceProblems: [], ms: 1 };
  },
}));
vi.mock('../src/ui/persistence', () => ({
  writeTrialRecord: (record: { stage: string } | null) => calls.records.push(record ? record.stage : null),
}));

const { KernelStaging } = await import('../src/ui/kernel-staging');

function setup(kernels: Record<string, string>, heldKernels: string[] = []) {
  let state: PlaygroundState = { ...defaultState(), kernels, heldKernels };
  const notices: string[] = [];
  const events = { recovered: 0, changed: 0 };
  const staging = new KernelStaging({ addController: () => {}, requestUpdate: () => {} } as never, {
    state: () => state,
    engine: () => ({}) as never,
    setHeld: (stage: StageName, held: boolean) => {
      const set = new Set(state.heldKernels);
      if (held) set.add(stage);
      else set.delete(stage);
      state = { ...state, heldKernels: [...set].sort() };
    },
    recover: async () => void events.recovered++,
    notify: (_level, text) => notices.push(text),
    changed: () => void events.changed++,
    limits: () => ({ baseMs: 20_000, floorMaddsPerSecond: 1.5e7 }),
  });
  return { staging, notices, events, state: () => state };
}

const settle = async () => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};

beforeEach(() => {
  calls.interpreter = [];
  calls.gpu = [];
  calls.records = [];
  calls.verdict = { kind: 'finished' };
  calls.gpuStatus = 'pass';
  calls.compiled = [];
  calls.compileStatus = null;
});

describe('KernelStaging', () => {
  it('holds a kernel the interpreter finds endless, without any GPU run', async () => {
    calls.verdict = { kind: 'endless', detail: 'stopped after 1000000 interpreter steps (an endless loop?)' };
    const { staging, notices, state } = setup({ softmax: 'loop' });
    staging.sync();
    await settle();
    expect(calls.gpu).toEqual([]);
    expect(calls.records).toEqual([]);
    expect(state().heldKernels).toEqual(['softmax']);
    expect(staging.trials.softmax?.status).toBe('held');
    expect(staging.inUse()).toBeNull();
    expect(notices[0]).toMatch(/^Your edited softmax kernel did not finish on the CPU interpreter's tiny problem \(stopped after/);
  });

  it('uses a kernel that passes, after a GPU run framed by the write-ahead record', async () => {
    const { staging, events } = setup({ qk: 'good' });
    expect(staging.inUse()).toBeNull();
    staging.sync();
    await settle();
    expect(calls.compiled).toEqual(['good']);
    expect(calls.interpreter).toEqual(['good']);
    expect(calls.gpu).toEqual(['good']);
    expect(calls.records).toEqual(['qk', null]);
    expect(staging.inUse()).toEqual({ qk: 'good' });
    expect(events.changed).toBe(1);
  });

  it.each(['timeout', 'device-lost'])('holds a kernel whose quick GPU check ends in %s and replaces the device', async (status) => {
    calls.gpuStatus = status;
    const { staging, events, state, notices } = setup({ pv: 'slow' });
    staging.sync();
    await settle();
    expect(state().heldKernels).toEqual(['pv']);
    expect(events.recovered).toBe(1);
    expect(calls.records).toEqual(['pv', null]);
    expect(staging.inUse()).toBeNull();
    expect(notices[0]).toMatch(/^Your edited P·V kernel (did not finish within 21 s|lost the GPU device)/);
  });

  it('uses a kernel that finishes with wrong numbers (safe; the verdict shows them), and says so', async () => {
    calls.gpuStatus = 'fail';
    const h = setup({ qk: 'wrong' });
    h.staging.sync();
    await settle();
    expect(h.staging.trials.qk?.status).toBe('passed');
    expect(h.staging.trials.qk?.reason).toMatch(/differs from the float64 reference on the quick case/);
    expect(h.staging.inUse()).toEqual({ qk: 'wrong' });
  });

  it.each(['compile-error', 'interface-error'])(
    'does not use a kernel whose check ends in %s, nor try the same text again',
    async (status) => {
      calls.gpuStatus = status;
      const h = setup({ qk: 'broken' });
      h.staging.sync();
      await settle();
      expect(h.staging.trials.qk?.status).toBe('failed');
      expect(h.staging.inUse()).toBeNull();
      h.staging.sync();
      await settle();
      expect(calls.gpu).toEqual(['broken']);
    },
  );

  it.each([
    ['compile-error', /^it does not compile: .*loop does not exit/],
    ['interface-error', /^it does not fit the kernel interface: it has no binding 3/],
  ])('names a kernel that fails to build (%s) at once: no interpreter, no GPU run, no hold', async (status, reason) => {
    calls.compileStatus = status as string;
    const h = setup({ softmax: 'no exit' });
    h.staging.sync();
    await settle();
    expect(calls.compiled).toEqual(['no exit']);
    expect(calls.interpreter).toEqual([]);
    expect(calls.gpu).toEqual([]);
    expect(h.staging.trials.softmax?.status).toBe('failed');
    expect(h.staging.trials.softmax?.reason).toMatch(reason);
    expect(h.state().heldKernels).toEqual([]);
    expect(h.events.recovered).toBe(0);
    h.staging.sync();
    await settle();
    expect(calls.compiled).toEqual(['no exit']);
  });

  it('holds a kernel whose compile does not end, without running it, and replaces the device', async () => {
    calls.compileStatus = 'timeout';
    const h = setup({ fused: 'huge' });
    h.staging.sync();
    await settle();
    expect(calls.interpreter).toEqual([]);
    expect(calls.gpu).toEqual([]);
    expect(h.state().heldKernels).toEqual(['fused']);
    expect(h.events.recovered).toBe(1);
    expect(h.notices[0]).toMatch(/^Your edited \S+ kernel did not compile within 60 s\. It is held/);
  });

  it('a held line stops saying the device is being replaced once the new device is ready', () => {
    const { staging } = setup({ qk: 'stuck' });
    const reason =
      'Your edited QKᵀ kernel did not finish within 2 s in Verify. It is held: … tries it again. The GPU device is being replaced.';
    staging.held('qk', 'stuck', reason);
    expect(staging.trials.qk?.reason).toBe(reason);
    staging.deviceReplaced();
    expect(staging.trials.qk).toEqual({
      status: 'held',
      source: 'stuck',
      reason: 'Your edited QKᵀ kernel did not finish within 2 s in Verify. It is held: … tries it again. The GPU device has been replaced.',
    });
  });

  it('never tries a held stage until it is released', async () => {
    const { staging, state } = setup({ qk: 'held text' }, ['qk']);
    staging.sync();
    await settle();
    expect(calls.interpreter).toEqual([]);
    expect(staging.inUse()).toBeNull();
    staging.release('qk');
    expect(state().heldKernels).toEqual([]);
    staging.sync();
    await settle();
    expect(calls.gpu).toEqual(['held text']);
    expect(staging.inUse()).toEqual({ qk: 'held text' });
  });
});
