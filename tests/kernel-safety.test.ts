/**
 * Kernel safety: the watchdog's time-limit formula, the staging and holding rules
 * (src/core/kernel-safety.ts), the watchdog itself (src/gpu/watchdog.ts) and the state's
 * heldKernels through links and saved states.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InputError, RunCancelledError } from '../src/core/errors';
import type { KernelTrials, TimeoutReport } from '../src/core/kernel-safety';
import {
  afterDeviceReplaced,
  attentionWork,
  builtInStandIns,
  DEFAULT_TIME_LIMITS,
  encodeTrialRecord,
  fingerprint,
  gpuTimeLimitMs,
  kernelsInUse,
  kernelsTried,
  kernelsToTry,
  kernelsWithheld,
  parseTrialRecord,
  stageLeftOnTrial,
  timeoutMessage,
  transformerWork,
  withHold,
} from '../src/core/kernel-safety';
import { decodeState, defaultState, encodeState, parseState, parseStateJson } from '../src/core/state';
import { GpuTimeoutError, withTimeLimit } from '../src/gpu/watchdog';

describe('gpuTimeLimitMs: base + work at the floor throughput, whole seconds', () => {
  const settings = { baseMs: 20_000, floorMaddsPerSecond: 1.5e7 };
  it.each([
    ['no work', 0, 20_000],
    ['one multiply-add rounds up to a second', 1, 21_000],
    ['one second of work', 1.5e7, 21_000],
    ['ten seconds of work', 1.5e8, 30_000],
    ['a 64×64, dk = dv = 64 problem', attentionWork({ n: 64, m: 64, dk: 64, dv: 64, heads: 1, dModel: null }), 21_000],
    // 8 · (4096² · (64 + 64 + 8) + 8192 · 64) = 1.826·10¹⁰ multiply-adds: 1217.2 s + 20 s, rounded up.
    ['a 4096² problem with 8 heads', attentionWork({ n: 4096, m: 4096, dk: 64, dv: 64, heads: 8, dModel: null }), 1_238_000],
  ])('%s', (_, work, expected) => {
    expect(gpuTimeLimitMs(work, settings)).toBe(expected);
  });

  it('uses the documented defaults', () => {
    expect(gpuTimeLimitMs(0)).toBe(DEFAULT_TIME_LIMITS.baseMs);
  });

  it.each([-1, Number.NaN, Infinity])('refuses work %s', (work) => {
    expect(() => gpuTimeLimitMs(work)).toThrow(RangeError);
  });

  it('grows with every size of the problem', () => {
    const base = { n: 8, m: 8, dk: 8, dv: 8, heads: 1, dModel: null };
    const work = attentionWork(base);
    for (const key of ['n', 'm', 'dk', 'dv', 'heads'] as const) expect(attentionWork({ ...base, [key]: 16 })).toBeGreaterThan(work);
    expect(attentionWork({ ...base, dModel: 8 })).toBeGreaterThan(work);
  });

  it('counts a transformer step by tokens, context and width', () => {
    const config = { layers: 2, dModel: 64, ffnDim: 256, heads: 4, headDim: 16, vocabSize: 1000 };
    const one = transformerWork(config, 1, 10);
    expect(transformerWork(config, 2, 10)).toBeGreaterThan(one);
    expect(transformerWork(config, 1, 20)).toBeGreaterThan(one);
    expect(transformerWork({ ...config, layers: 4 }, 1, 10)).toBeGreaterThan(one);
  });
});

describe('staging: which edited kernels the playground runs', () => {
  const kernels = { qk: 'QK', softmax: 'SM', pv: 'PV' };
  const trials: KernelTrials = {
    qk: { status: 'passed', source: 'QK', reason: null },
    softmax: { status: 'passed', source: 'old text', reason: null },
    pv: { status: 'failed', source: 'PV', reason: 'wrong' },
  };

  it.each<[string, Record<string, string> | null, KernelTrials, Record<string, string> | null]>([
    ['no edits', null, {}, null],
    ['nothing tried yet', kernels, {}, null],
    ['only the text that passed (not an older one, not a failed one)', kernels, trials, { qk: 'QK' }],
    ['a held kernel is never in use', { qk: 'QK' }, { qk: { status: 'held', source: 'QK', reason: 'x' } }, null],
    ['a checking kernel is not in use', { qk: 'QK' }, { qk: { status: 'checking', source: 'QK', reason: null } }, null],
  ])('kernelsInUse: %s', (_, k, t, expected) => {
    expect(kernelsInUse(k, t)).toEqual(expected);
  });

  it.each<[string, string[], KernelTrials, string[]]>([
    ['every new text', [], {}, ['qk', 'softmax', 'pv']],
    ['not a text with a verdict; yes an edited one', [], trials, ['softmax']],
    ['never a held stage', ['qk', 'softmax', 'pv'], {}, []],
  ])('kernelsToTry: %s', (_, held, t, expected) => {
    expect(kernelsToTry(kernels, held, t)).toEqual(expected);
  });

  it.each<[string, Record<string, string> | null, string[], KernelTrials, Record<string, string> | null]>([
    ['no edits', null, [], trials, null],
    ['a verdict on this text, passed or failed (not an older text)', kernels, [], trials, { qk: 'QK', pv: 'PV' }],
    ['never a held stage', kernels, ['pv'], trials, { qk: 'QK' }],
    ['nothing tried yet', kernels, [], {}, null],
    ['not while it is being checked', { qk: 'QK' }, [], { qk: { status: 'checking', source: 'QK', reason: null } }, null],
    ['not a held verdict', { qk: 'QK' }, [], { qk: { status: 'held', source: 'QK', reason: 'x' } }, null],
  ])('kernelsTried (what Verify and the Profiler may run on the GPU): %s', (_, k, held, t, expected) => {
    expect(kernelsTried(k, held, t)).toEqual(expected);
  });

  it.each<[string, Record<string, string> | null, string[], KernelTrials, { stage: string; why: string }[]]>([
    ['no edits', null, [], trials, []],
    [
      'the ones kernelsTried leaves out: an older text on trial, a held stage',
      kernels,
      ['pv'],
      trials,
      [
        { stage: 'softmax', why: 'checking' },
        { stage: 'pv', why: 'held' },
      ],
    ],
    ['a held verdict is held', { qk: 'QK' }, [], { qk: { status: 'held', source: 'QK', reason: 'x' } }, [{ stage: 'qk', why: 'held' }]],
    ['nothing tried yet: checking', { qk: 'QK' }, [], {}, [{ stage: 'qk', why: 'checking' }]],
  ])('kernelsWithheld (what the Profiler says it cannot time yet): %s', (_, k, held, t, expected) => {
    expect(kernelsWithheld(k, held, t)).toEqual(expected);
  });

  it('names the stages that run built-in instead, and why', () => {
    expect(builtInStandIns(kernels, ['pv'], trials)).toBe('softmax (checking), P·V (held)');
    expect(builtInStandIns({ qk: 'QK' }, [], trials)).toBeNull();
    expect(builtInStandIns(null, [], {})).toBeNull();
  });

  it.each<[string[], 'qk' | 'pv', boolean, string[]]>([
    [[], 'qk', true, ['qk']],
    [['qk'], 'qk', true, ['qk']],
    [['qk', 'pv'], 'qk', false, ['pv']],
    [['pv'], 'qk', true, ['pv', 'qk']],
  ])('withHold(%j, %s, %s) = %j', (held, stage, on, expected) => {
    expect(withHold(held, stage, on)).toEqual(expected);
  });
});

describe('the write-ahead trial record', () => {
  it('round-trips and holds the stage only while the state still has that exact kernel', () => {
    const record = { stage: 'qk' as const, fingerprint: fingerprint('loop {}'), startedAt: 5 };
    const read = parseTrialRecord(encodeTrialRecord(record));
    expect(read).toEqual(record);
    expect(stageLeftOnTrial(read, { qk: 'loop {}' })).toBe('qk');
    expect(stageLeftOnTrial(read, { qk: 'loop { }' })).toBeNull();
    expect(stageLeftOnTrial(read, { softmax: 'loop {}' })).toBeNull();
    expect(stageLeftOnTrial(read, null)).toBeNull();
    expect(stageLeftOnTrial(null, { qk: 'loop {}' })).toBeNull();
  });

  it.each([null, '', 'not json', '[]', '{"stage":"nope","fingerprint":"1:0","startedAt":1}', '{"stage":"qk","startedAt":1}', 'null'])(
    'reads %j as no record',
    (text) => {
      expect(parseTrialRecord(text)).toBeNull();
    },
  );

  it('fingerprints differ for different texts and agree for equal ones', () => {
    expect(fingerprint('a')).toBe(fingerprint('a'));
    expect(fingerprint('a')).not.toBe(fingerprint('b'));
    expect(fingerprint('ab')).not.toBe(fingerprint('ba'));
  });
});

describe('timeoutMessage names what timed out', () => {
  const shape = { n: 64, m: 64, heads: 1 };
  it.each<[string, TimeoutReport, RegExp[]]>([
    [
      'one edited kernel',
      { kernels: { qk: 'x' }, variant: 'tiled', shape, limitMs: 12_000 },
      [/^Your edited QKᵀ kernel did not finish within 12 s on 64×64; it is held/, /Use my kernel again/],
    ],
    [
      'two edited kernels',
      { kernels: { qk: 'x', softmax: 'y' }, variant: 'tiled', shape, limitMs: 21_000 },
      [/^One of your edited QKᵀ and softmax kernels/, /they are held/],
    ],
    [
      'the built-in kernels',
      { kernels: null, variant: 'fused', shape: { n: 8, m: 9, heads: 2 }, limitMs: 30_000 },
      [/^The built-in fused kernels did not finish within 30 s on 8×9 with 2 heads/, /press Run/],
    ],
  ])('%s', (_, report, patterns) => {
    const text = timeoutMessage(report);
    for (const p of patterns) expect(text).toMatch(p);
  });
});

describe("a hold's message once the replacement device is ready", () => {
  it('says the device has been replaced, not that it is being replaced, and keeps the rest', () => {
    const held = timeoutMessage({ kernels: { qk: 'x' }, variant: 'tiled', shape: { n: 64, m: 64, heads: 1 }, limitMs: 12_000 });
    expect(held).toMatch(/The GPU device is being replaced\.$/);
    const after = afterDeviceReplaced(held);
    expect(after).not.toMatch(/being replaced/);
    expect(after).toBe(held.replace(/The GPU device is being replaced\.$/, 'The GPU device has been replaced.'));
    // The built-in kernels' timeout (the page's error notice) says it too, and switches the same way.
    const builtIn = timeoutMessage({ kernels: null, variant: 'fused', shape: { n: 8, m: 9, heads: 2 }, limitMs: 30_000 });
    expect(builtIn).toContain('The GPU device is being replaced.');
    expect(afterDeviceReplaced(builtIn)).toContain('The GPU device has been replaced. The results shown come from the CPU reference');
    // A message without the sentence is left as it is.
    expect(afterDeviceReplaced('Your edited QKᵀ kernel did not compile within 60 s.')).toBe(
      'Your edited QKᵀ kernel did not compile within 60 s.',
    );
  });
});

describe('heldKernels in the state', () => {
  it('round-trips through a link and a saved state', () => {
    const state = { ...defaultState(), kernels: { qk: 'loop {}' }, heldKernels: ['qk'] };
    expect(decodeState(encodeState(state)).heldKernels).toEqual(['qk']);
    expect(parseStateJson(JSON.stringify(state)).heldKernels).toEqual(['qk']);
  });

  it('reads an older state without the field as nothing held', () => {
    const { heldKernels: _, ...old } = { ...defaultState(), kernels: { qk: 'x' } };
    expect(parseState(old).heldKernels).toEqual([]);
  });

  it.each<[unknown, RegExp]>([
    ['qk', /state\.heldKernels must be an array of stage names/],
    [['qk', 'nope'], /state\.heldKernels\[1\] is not a stage/],
    [[3], /state\.heldKernels\[0\] is not a stage/],
    [Array(20).fill('qk'), /state\.heldKernels must be an array/],
  ])('refuses heldKernels %j', (value, message) => {
    expect(() => parseState({ ...defaultState(), heldKernels: value })).toThrow(InputError);
    expect(() => parseState({ ...defaultState(), heldKernels: value })).toThrow(message);
  });
});

describe('withTimeLimit', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('returns the work when it finishes in time', async () => {
    await expect(withTimeLimit(async () => 7, 1000)).resolves.toBe(7);
  });

  it('gives up with GpuTimeoutError naming the limit when the work never finishes', async () => {
    vi.useFakeTimers();
    const waiting = withTimeLimit(() => new Promise<never>(() => {}), 12_000);
    const check = expect(waiting).rejects.toThrow(new GpuTimeoutError(12_000));
    await vi.advanceTimersByTimeAsync(12_000);
    await check;
  });

  it('restarts the clock when the work rearms it (one limit per block)', async () => {
    vi.useFakeTimers();
    let settled = false;
    const waiting = withTimeLimit(
      (rearm) =>
        new Promise<string>((resolve) => {
          // Three blocks of 800 ms each under a 1000 ms per-block limit.
          setTimeout(() => rearm(1000), 800);
          setTimeout(() => rearm(1000), 1600);
          setTimeout(() => resolve('done'), 2400);
        }),
      1000,
    ).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(2400);
    expect(settled).toBe(true);
    await expect(waiting).resolves.toBe('done');
  });

  it('stops waiting at once when the run is cancelled', async () => {
    const abort = new AbortController();
    const waiting = withTimeLimit(() => new Promise<never>(() => {}), 60_000, abort.signal);
    abort.abort();
    await expect(waiting).rejects.toThrow(RunCancelledError);
    await expect(withTimeLimit(async () => 1, 1000, abort.signal)).rejects.toThrow(RunCancelledError);
  });
});
