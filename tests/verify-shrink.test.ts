/** The shrinker of src/core/verify/shrink.ts against fake predicates: no GPU, every run counted. */
import { describe, expect, it } from 'vitest';
import type { VerifyCase } from '../src/core/verify/cases';
import { caseProblem, verifyCases } from '../src/core/verify/cases';
import type { CaseReport } from '../src/core/verify/report';
import { verifyLeftDevice } from '../src/core/verify/report';
import { describeCase, optionFields, retag, shrinkCase } from '../src/core/verify/shrink';
import { DeviceLostError } from '../src/gpu/errors';
import { smallestFailure } from '../src/gpu/verify-shrink';
import { caseRow } from './helpers/case-report';

const big: VerifyCase = {
  name: 'big',
  n: 53,
  m: 40,
  dk: 24,
  dv: 9,
  heads: 3,
  causal: true,
  mask: 'random',
  magnitude: 1e3,
  scale: 0.5,
  temperature: 2.5,
  seed: 7,
  tags: ['cross', 'widths', 'heads', 'causal', 'mask', 'masked-row', 'large-scores', 'scale'],
};

/** A predicate that counts its calls. */
function counted(fails: (c: VerifyCase) => boolean) {
  const calls: VerifyCase[] = [];
  return {
    calls,
    stillFails: (c: VerifyCase) => {
      calls.push(c);
      return Promise.resolve(fails(c));
    },
  };
}

describe('shrinkCase', () => {
  it('finds the threshold of each size the failure needs and drops every option it does not', async () => {
    const { stillFails, calls } = counted((c) => c.n >= 17 && c.heads >= 2);
    const result = await shrinkCase(big, stillFails);
    expect(result.case).toMatchObject({
      n: 17,
      heads: 2,
      m: 1,
      dk: 1,
      dv: 1,
      causal: false,
      mask: 'none',
      scale: 'default',
      temperature: 1,
    });
    expect(result.case.magnitude).toBeUndefined();
    expect(result.case.seed).toBe(big.seed);
    expect(result.complete).toBe(true);
    expect(result.runs).toBe(calls.length);
    expect(result.runs).toBeLessThanOrEqual(40);
    expect(result.moves).toContain('causal to default');
  });

  it('keeps the options the failure needs', async () => {
    const { stillFails } = counted((c) => c.causal && c.n > c.m);
    const result = await shrinkCase(big, stillFails);
    expect(result.case).toMatchObject({ causal: true, n: 2, m: 1, heads: 1, dk: 1, dv: 1, mask: 'none' });
    expect(optionFields(result.case)).toEqual(['causal']);
    expect(describeCase(result.case)).toBe('n=2 m=1 dk=1 dv=1 heads=1, causal');
  });

  it('is deterministic: the same start and predicate give the same tries', async () => {
    const a = counted((c) => c.dk % 16 !== 0 && c.m > 5);
    const b = counted((c) => c.dk % 16 !== 0 && c.m > 5);
    const [x, y] = [await shrinkCase(big, a.stillFails), await shrinkCase(big, b.stillFails)];
    expect(x).toEqual(y);
    expect(a.calls).toEqual(b.calls);
    expect(x.case).toMatchObject({ dk: 1, m: 6 });
  });

  it('never runs the same problem twice and stops at the budget', async () => {
    const { stillFails, calls } = counted(() => false);
    const result = await shrinkCase(big, stillFails, { maxRuns: 6 });
    expect(result).toMatchObject({ case: big, runs: 6, complete: false, moves: [] });
    const keys = calls.map((c) => JSON.stringify({ ...c, name: '', tags: [] }));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('treats an option field it does not know as removable: false for a boolean, left out otherwise', async () => {
    const extended = { ...big, rowBlocks: 4, allNegativeRows: true } as VerifyCase & { rowBlocks?: number; allNegativeRows?: boolean };
    expect(optionFields(extended)).toEqual(expect.arrayContaining(['rowBlocks', 'allNegativeRows']));
    const { stillFails } = counted((c) => (c as typeof extended).rowBlocks === 4 && c.n >= 3);
    const result = await shrinkCase(extended, stillFails);
    expect(result.case).toMatchObject({ rowBlocks: 4, allNegativeRows: false, n: 3, m: 1 });
    expect(describeCase(result.case)).toBe('n=3 m=1 dk=1 dv=1 heads=1, rowBlocks=4');
    const defaults = await shrinkCase(extended, counted((c) => c.n >= 3).stillFails);
    expect('rowBlocks' in defaults.case).toBe(false);
  });

  it('takes defaults for new fields from the caller', async () => {
    const withDistribution = { ...big, distribution: 'very-negative' } as VerifyCase;
    const result = await shrinkCase(withDistribution, counted(() => true).stillFails, { defaults: { distribution: 'normal' } });
    expect(result.case).toMatchObject({ distribution: 'normal', n: 1, m: 1, dk: 1, dv: 1, heads: 1 });
    expect(result.runs).toBeLessThanOrEqual(11);
  });

  it.each(verifyCases().map((c) => [c.name, c] as const))('shrinks %s within 40 runs to a case that fails', async (_name, c) => {
    const fails = (x: VerifyCase) => x.n + x.m >= Math.min(c.n + c.m, 20) && x.dk >= Math.min(c.dk, 5);
    const { stillFails } = counted(fails);
    const result = await shrinkCase(c, stillFails);
    expect(result.runs).toBeLessThanOrEqual(40);
    expect(fails(result.case)).toBe(true);
  });
});

describe('shrinking feature cases', () => {
  const featureCases = [
    ...verifyCases({ features: ['kvHeads', 'window', 'alibi', 'softcap', 'sinks'] }).filter(
      (c) => c.kvHeads || c.window || c.alibi || c.softcap || c.sinks,
    ),
    ...verifyCases({ stage: 'rope', features: ['kvHeads'], tiles: { rows: 8, pairs: 32, inner: ['dk'] } }).slice(0, 12),
  ];
  it.each(featureCases.map((c) => [c.name, c] as const))('%s: only cases that can run are tried', async (_name, c) => {
    const stage = c.rope ? 'rope' : 'fused';
    const valid = (x: VerifyCase) => caseProblem(x, stage) === null;
    // Fails while the feature that makes the case special is on.
    const fails = (x: VerifyCase) =>
      (x.kvHeads ?? x.heads) < x.heads ||
      x.window !== undefined ||
      x.alibi !== undefined ||
      x.softcap !== undefined ||
      x.sinks !== undefined ||
      x.rope !== undefined;
    const { stillFails, calls } = counted(fails);
    const result = await shrinkCase(c, stillFails, { valid });
    expect(calls.every(valid)).toBe(true);
    expect(valid(result.case)).toBe(true);
    expect(fails(result.case)).toBe(true);
    expect(result.runs).toBeLessThanOrEqual(40);
  });

  it('drops the feature tags that no longer hold', () => {
    const c = verifyCases({ features: ['kvHeads', 'alibi'] }).find((x) => x.tags.includes('gqa-grouped') && x.tags.includes('alibi'))!;
    const shrunk = retag({ ...c, kvHeads: undefined, alibi: undefined });
    expect(shrunk.tags).not.toContain('gqa');
    expect(shrunk.tags).not.toContain('gqa-grouped');
    expect(shrunk.tags).not.toContain('alibi');
  });
});

describe('retag', () => {
  it('drops the shape tags that no longer hold and keeps the others', () => {
    const c = retag({ ...big, n: 1, m: 1, heads: 1, causal: false, tags: [...big.tags, 'seed'] });
    expect(c.tags).toEqual(['widths', 'mask', 'large-scores', 'scale', 'seed']);
  });
});

/** A failing row of case `c` with the given symptoms, hinted as the suite hints it. */
function failingRow(c: VerifyCase, fields: Partial<CaseReport> = {}): CaseReport {
  return caseRow(c, {
    status: 'fail',
    tensor: 'scores',
    count: c.heads * c.n * c.m,
    failures: 1,
    maxAbs: 1,
    maxRel: 1,
    maxUlp: 1,
    ...fields,
  });
}

describe("the smallest failing case's hint", () => {
  const start: VerifyCase = {
    ...big,
    name: 'dk 17',
    n: 3,
    m: 2,
    dk: 17,
    dv: 1,
    heads: 1,
    causal: false,
    mask: 'none',
    scale: 'default',
    temperature: 1,
    tags: [],
  };
  const reference = 10.691947;

  it('quotes the factor of the shrunk case (its own GPU/reference ratio), not the one it was shrunk from', async () => {
    // A QKᵀ that forgets the default 1/√dk scale: every score is √dk too large, right at dk = 1.
    const forgetsScale = (c: VerifyCase) =>
      failingRow(c, {
        status: c.dk > 1 ? 'fail' : 'pass',
        factor: c.dk > 1 ? Math.sqrt(c.dk) : null,
        firstBad: { index: 0, position: [0, 0, 0], actual: reference * Math.sqrt(c.dk), expected: reference, tolerance: 1e-5, error: 1 },
      });
    const smallest = (await smallestFailure((c) => Promise.resolve(forgetsScale(c)), [forgetsScale(start)]))!;
    expect(smallest.row.case).toMatchObject({ n: 1, m: 1, dk: 2 });
    const bad = smallest.row.firstBad!;
    const quoted = Number(/×(\S+): scale\/temperature/.exec(smallest.row.hint)?.[1]);
    expect(quoted).toBeCloseTo(bad.actual / bad.expected, 3);
    expect(smallest.row.hint).toBe('every element ×1.414: scale/temperature');
  });

  it('counts the elements of the shrunk case, and leaves out a factor the case it came from did not show', async () => {
    // Never writes the last key's scores; one element alone looks like "×constant".
    const lastKeyUnwritten = (c: VerifyCase) => failingRow(c, { unwritten: c.n, factor: c.n * c.m === 1 ? 3 : null });
    const smallest = (await smallestFailure((c) => Promise.resolve(lastKeyUnwritten(c)), [lastKeyUnwritten(start)]))!;
    expect(smallest.row.case).toMatchObject({ n: 1, m: 1 });
    expect(smallest.row.hint).toBe('1 never written (NaN poison): dispatch too small or early return');
  });

  it('keeps a hint the diagnosis gave a case without symptoms of its own', async () => {
    const plain = (c: VerifyCase) => failingRow(c);
    const original = { ...plain(start), hint: 'tile origin' };
    const smallest = (await smallestFailure((c) => Promise.resolve(plain(c)), [original]))!;
    expect(smallest.row.hint).toBe('tile origin');
  });
});

describe('a smaller case that times out while shrinking', () => {
  it('stops the shrinking and says the kernel may still be running (timedOut)', async () => {
    const start: VerifyCase = { ...big, name: 'big', tags: [] };
    // The suite's case fails; every smaller case the shrinking tries never finishes.
    const timesOut = (c: VerifyCase) => caseRow(c, { status: 'timeout', tensor: null });
    let reruns = 0;
    const smallest = (await smallestFailure(
      (c) => {
        reruns++;
        return Promise.resolve(timesOut(c));
      },
      [failingRow(start)],
    ))!;
    expect(reruns, 'nothing runs after a timeout').toBe(1);
    expect(smallest.note).toBe('stopped: a smaller case timed out');
    expect(smallest.timedOut).toBe(true);
  });

  it('is not claimed when every smaller case finished', async () => {
    const start: VerifyCase = { ...big, name: 'big', tags: [] };
    const smallest = (await smallestFailure((c) => Promise.resolve(failingRow(c)), [failingRow(start)]))!;
    expect(smallest.runs).toBeGreaterThan(1);
    expect(smallest.note).toBeUndefined();
    expect(smallest.timedOut).toBeUndefined();
  });
});

describe('a smaller case that loses the GPU device while shrinking', () => {
  const start: VerifyCase = { ...big, name: 'big', tags: [] };

  it('stops the shrinking and says so (deviceLost), so the page holds the kernel as after a timeout', async () => {
    let reruns = 0;
    const smallest = (await smallestFailure(() => {
      reruns++;
      return Promise.reject(new DeviceLostError('the GPU device was lost: destroyed'));
    }, [failingRow(start)]))!;
    expect(reruns, 'nothing runs after the device is lost').toBe(1);
    expect(smallest.note).toBe('stopped: a smaller case lost the GPU device (the GPU device was lost: destroyed)');
    expect(smallest.deviceLost).toBe(true);
    expect(smallest.complete).toBe(false);
    expect(smallest.timedOut).toBeUndefined();
  });

  it("takes the engine's word that the device is lost when the error is another (a failed mapping)", async () => {
    const smallest = (await smallestFailure(() => Promise.reject(new Error('mapAsync failed')), [failingRow(start)], {
      deviceLost: () => 'the driver reset',
    }))!;
    expect(smallest.note).toBe('stopped: a smaller case lost the GPU device (the driver reset)');
    expect(smallest.deviceLost).toBe(true);
  });

  it("makes Verify's report hold the kernel as a timeout while shrinking does (verifyLeftDevice)", async () => {
    const lostWhileShrinking = (await smallestFailure(() => Promise.reject(new DeviceLostError('lost')), [failingRow(start)]))!;
    const timedOutWhileShrinking = (await smallestFailure(
      (c) => Promise.resolve(caseRow(c, { status: 'timeout', tensor: null })),
      [failingRow(start)],
    ))!;
    expect(verifyLeftDevice({ status: 'fail', smallest: lostWhileShrinking })).toBe('device-lost');
    expect(verifyLeftDevice({ status: 'fail', smallest: timedOutWhileShrinking })).toBe('timeout');
    expect(verifyLeftDevice({ status: 'device-lost' })).toBe('device-lost');
    const shrunk = (await smallestFailure((c) => Promise.resolve(failingRow(c)), [failingRow(start)]))!;
    expect(verifyLeftDevice({ status: 'fail', smallest: shrunk })).toBeNull();
  });

  it('is not claimed for an error on a device that is still there', async () => {
    const smallest = (await smallestFailure(() => Promise.reject(new Error('out of memory')), [failingRow(start)], {
      deviceLost: () => null,
    }))!;
    expect(smallest.note).toBe('stopped: a smaller case could not run (out of memory)');
    expect(smallest.deviceLost).toBeUndefined();
  });
});
