/**
 * The float64 reference of each attention feature against hand-computed values, the properties its
 * source states, and an independent textbook implementation (tests/helpers/feature-oracle.ts:
 * RoPE as complex rotation, GQA as repeat_kv, the window as a band mask, sinks as an extra column).
 */
import { describe, expect, it } from 'vitest';
import { attentionReference, softmaxReference } from '../src/core/reference';
import { alibiSlopes } from '../src/core/features';
import { visiblePairs } from '../src/core/cost';
import type { AttentionOptions } from '../src/core/options';
import { DEFAULT_ROPE } from '../src/core/options';
import { randomMatrix } from '../src/core/rng';
import type { Matrix } from '../src/core/tensor';
import { fromRows, toRows } from '../src/core/tensor';
import type { FeatureProblem } from './helpers/feature-oracle';
import { featureOracle } from './helpers/feature-oracle';

const AGREEMENT = 1e-12;

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = AGREEMENT) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i],
      e = expected[i];
    if (Math.abs(a - e) > tol * Math.max(1, Math.abs(e))) expect.fail(`element ${i}: ${a} vs ${e}`);
  }
}

const f32 = (x: number) => Math.fround(x);

describe('ALiBi slopes (the paper’s get_slopes)', () => {
  it('8 heads: 1/2, 1/4, …, 1/256', () => {
    expect(alibiSlopes(8)).toEqual([1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128, 1 / 256]);
  });
  it('16 heads: 2^-0.5, 2^-1, …, 2^-8', () => {
    alibiSlopes(16).forEach((s, i) => expect(s).toBeCloseTo(2 ** (-(i + 1) / 2), 15));
  });
  it('12 heads (not a power of two): the 8-head slopes, then every other 16-head slope', () => {
    const expected = [...alibiSlopes(8), 2 ** -0.5, 2 ** -1.5, 2 ** -2.5, 2 ** -3.5];
    alibiSlopes(12).forEach((s, i) => expect(s).toBeCloseTo(expected[i], 15));
  });
  it('the bias is −slope·(i + (m − n) − j), by hand for n = 2, m = 3, 2 heads', () => {
    const q = fromRows([
      [0, 0],
      [0, 0],
    ]);
    const k = fromRows([
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    const ref = attentionReference({ q, k, v: k }, { heads: 2, alibi: 'standard' });
    // Head 0's slope for 2 heads is 2^-4, head 1's 2^-8; query i sits at i + 1.
    expect(Array.from(ref.bias!.data, (x) => x + 0)).toEqual([
      -1 / 16,
      0,
      1 / 16,
      -2 / 16,
      -1 / 16,
      0,
      -1 / 256,
      0,
      1 / 256,
      -2 / 256,
      -1 / 256,
      0,
    ]);
  });
});

describe('RoPE', () => {
  it('rotates a unit vector at position p to (cos p, sin p) in the first pair (θ_0 = 1)', () => {
    const x = fromRows([[1, 0, 0, 0]]);
    for (const layout of ['interleaved', 'half'] as const) {
      const ref = attentionReference({ q: x, k: x, v: x }, { rope: { layout, base: 10000, dims: null, offset: 5 } });
      const [a, b] = layout === 'interleaved' ? [0, 1] : [0, 2];
      expect(ref.rotated!.q.data[a]).toBeCloseTo(Math.cos(5), 15);
      expect(ref.rotated!.q.data[b]).toBeCloseTo(Math.sin(5), 15);
    }
  });

  it('makes the score of positions (i, j) depend only on i − j', () => {
    const n = 6;
    const q = fromRows(Array.from({ length: n }, () => [0.3, -1.2, 0.8, 0.5, 1.1, -0.4])),
      k = fromRows(Array.from({ length: n }, () => [1, 0.2, -0.7, 0.9, 0.1, 0.6]));
    for (const layout of ['interleaved', 'half'] as const) {
      const raw = attentionReference({ q, k, v: k }, { rope: { layout, base: 100, dims: null, offset: 0 } }).raw.data;
      for (let i = 0; i + 1 < n; i++) for (let j = 0; j + 1 < n; j++) expect(raw[(i + 1) * n + j + 1]).toBeCloseTo(raw[i * n + j], 12);
      // and not trivially: different offsets i − j give different scores
      expect(Math.abs(raw[1] - raw[2])).toBeGreaterThan(1e-3);
    }
  });

  it('leaves the scores unchanged when every position shifts by the same offset', () => {
    const inputs = { q: randomMatrix(5, 8, 1), k: randomMatrix(7, 8, 2), v: randomMatrix(7, 3, 3) };
    const at = (offset: number) => attentionReference(inputs, { causal: true, rope: { ...DEFAULT_ROPE, offset } });
    const base = at(0);
    for (const offset of [1, 37, -1000]) expectClose(at(offset).masked.data, base.masked.data, 1e-9);
  });

  it('with a rotary fraction rotates only the first r dimensions', () => {
    const inputs = { q: randomMatrix(3, 8, 4), k: randomMatrix(3, 8, 5), v: randomMatrix(3, 2, 6) };
    const ref = attentionReference(inputs, { rope: { ...DEFAULT_ROPE, dims: 4, offset: 3 } });
    for (let i = 0; i < 3; i++) for (let d = 4; d < 8; d++) expect(ref.rotated!.q.data[i * 8 + d]).toBe(inputs.q.data[i * 8 + d]);
    expect(ref.rotated!.q.data[0]).not.toBe(inputs.q.data[0]);
  });
});

describe('grouped-query attention', () => {
  const inputs = { q: randomMatrix(5, 4 * 3, 7), k: randomMatrix(6, 2 * 3, 8), v: randomMatrix(6, 2 * 2, 9) };

  it('with kvHeads = heads is plain multi-head attention, exactly', () => {
    const plain = { q: inputs.q, k: randomMatrix(6, 12, 10), v: randomMatrix(6, 8, 11) };
    const a = attentionReference(plain, { heads: 4 }),
      b = attentionReference(plain, { heads: 4, kvHeads: 4 });
    expect(Array.from(b.output.data)).toEqual(Array.from(a.output.data));
  });

  it('equals multi-head attention with each K/V head repeated for its group (repeat_kv)', () => {
    const repeat = (m: Matrix, width: number) =>
      fromRows(toRows(m).map((row) => [0, 0, 1, 1].flatMap((g) => row.slice(g * width, (g + 1) * width))));
    const gqa = attentionReference(inputs, { heads: 4, kvHeads: 2, causal: true });
    const mha = attentionReference({ q: inputs.q, k: repeat(inputs.k, 3), v: repeat(inputs.v, 2) }, { heads: 4, causal: true });
    expectClose(gqa.output.data, mha.output.data);
    expectClose(gqa.probs.data, mha.probs.data);
  });

  it('maps query head t to K/V head ⌊t / group⌋, not t mod kvHeads', () => {
    // Two K/V heads, one that sees key 0 strongly and one key 1: heads 0, 1 follow the first.
    const q = fromRows([[1, 1, 1, 1]]);
    const k = fromRows([
      [9, 0],
      [0, 9],
    ]);
    const v = fromRows([
      [1, 10],
      [2, 20],
    ]);
    const out = attentionReference({ q, k, v }, { heads: 4, kvHeads: 2, scale: 'none' }).output.data;
    // weights e^9 : 1 on the key each K/V head prefers
    expect(out[0]).toBeCloseTo(1, 3);
    expect(out[1]).toBeCloseTo(1, 3);
    expect(out[2]).toBeCloseTo(20, 2);
    expect(out[3]).toBeCloseTo(20, 2);
  });
});

describe('sliding window', () => {
  it('keeps the band: causal, n = m = 4, w = 2 sees keys i − 1 and i', () => {
    const x = fromRows([[0], [0], [0], [0]]);
    const masked = attentionReference({ q: x, k: x, v: x }, { causal: true, window: 2 }).masked.data;
    const visible = Array.from(masked, (s) => (s === -Infinity ? 0 : 1));
    expect(visible).toEqual([1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 1]);
  });
  it('non-causal w = 2 sees i − 1, i and i + 1', () => {
    const x = fromRows([[0], [0], [0]]);
    const masked = attentionReference({ q: x, k: x, v: x }, { window: 2 }).masked.data;
    expect(Array.from(masked, (s) => (s === -Infinity ? 0 : 1))).toEqual([1, 1, 0, 1, 1, 1, 0, 1, 1]);
  });
  it('a window of at least m (causal) or n + m (not) is no window', () => {
    const inputs = { q: randomMatrix(5, 4, 12), k: randomMatrix(7, 4, 13), v: randomMatrix(7, 3, 14) };
    expect(Array.from(attentionReference(inputs, { causal: true, window: 7 }).output.data)).toEqual(
      Array.from(attentionReference(inputs, { causal: true }).output.data),
    );
    expect(Array.from(attentionReference(inputs, { window: 12 }).output.data)).toEqual(Array.from(attentionReference(inputs).output.data));
  });
});

describe('logit softcap', () => {
  it('is c·tanh(s/c): s = 2, c = 1 gives tanh(2)', () => {
    const ref = attentionReference({ q: fromRows([[2]]), k: fromRows([[1]]), v: fromRows([[1]]) }, { scale: 'none', softcap: 1 });
    expect(ref.capped!.data[0]).toBeCloseTo(0.9640275800758169, 15);
  });
  it('with a huge c is no cap', () => {
    const inputs = { q: randomMatrix(4, 4, 15), k: randomMatrix(5, 4, 16), v: randomMatrix(5, 2, 17) };
    expectClose(attentionReference(inputs, { softcap: 1e12 }).output.data, attentionReference(inputs).output.data);
  });
  it('applies before the mask: masked keys stay −∞, not −c', () => {
    const x = fromRows([[1], [1]]);
    const masked = attentionReference({ q: x, k: x, v: x }, { causal: true, softcap: 5 }).masked.data;
    expect(masked[1]).toBe(-Infinity);
  });
});

describe('attention sinks', () => {
  it('one key with score 0 and a sink of 0 share the mass: p = 1/2', () => {
    const ref = attentionReference({ q: fromRows([[0]]), k: fromRows([[1]]), v: fromRows([[4]]) }, { sinks: [0] });
    expect(ref.probs.data[0]).toBe(0.5);
    expect(ref.sinkShare![0]).toBe(0.5);
    expect(ref.output.data[0]).toBe(2);
  });
  it('a sink of −∞ is no sink', () => {
    const scores = Float64Array.from(randomMatrix(3, 5, 18).data);
    expect(Array.from(softmaxReference(scores, 1, 3, 5, [-Infinity]).data)).toEqual(Array.from(softmaxReference(scores, 1, 3, 5).data));
  });
  it('a row that sees no key gives zeros and the sink takes all of its mass', () => {
    const x = fromRows([[1], [1]]);
    const mask = fromRows([
      [0, 0],
      [1, 1],
    ]);
    const ref = attentionReference({ q: x, k: x, v: x, mask }, { sinks: [3] });
    expect(Array.from(ref.probs.data.subarray(0, 2))).toEqual([0, 0]);
    expect(ref.output.data[0]).toBe(0);
    expect(ref.sinkShare![0]).toBe(1);
  });
});

interface OracleCase {
  name: string;
  n: number;
  m: number;
  dk: number;
  dv: number;
  heads: number;
  kvHeads: number;
  causal?: boolean;
  options: Partial<AttentionOptions>;
  seed: number;
}

const ORACLE_CASES: OracleCase[] = [
  {
    name: 'RoPE half, n ≠ m, causal',
    n: 5,
    m: 8,
    dk: 6,
    dv: 3,
    heads: 2,
    kvHeads: 2,
    causal: true,
    options: { rope: { layout: 'half', base: 10000, dims: null, offset: 0 } },
    seed: 41,
  },
  {
    name: 'RoPE interleaved, fraction 4/8, offset 100',
    n: 6,
    m: 6,
    dk: 8,
    dv: 2,
    heads: 1,
    kvHeads: 1,
    options: { rope: { layout: 'interleaved', base: 500, dims: 4, offset: 100 } },
    seed: 42,
  },
  {
    name: 'GQA 6 heads on 2, ALiBi standard, non-causal',
    n: 4,
    m: 7,
    dk: 3,
    dv: 4,
    heads: 6,
    kvHeads: 2,
    options: { alibi: 'standard' },
    seed: 43,
  },
  {
    name: 'MQA 3 heads on 1, causal window 3, sinks',
    n: 7,
    m: 7,
    dk: 4,
    dv: 2,
    heads: 3,
    kvHeads: 1,
    causal: true,
    options: { window: 3, sinks: [0.5, -2, 4] },
    seed: 44,
  },
  {
    name: 'softcap 2 on large scores, non-causal window 2',
    n: 5,
    m: 6,
    dk: 4,
    dv: 3,
    heads: 2,
    kvHeads: 2,
    options: { softcap: 2, window: 2 },
    seed: 45,
  },
  {
    name: 'everything: RoPE, GQA, causal window, ALiBi slopes given, softcap, sinks, n < m',
    n: 4,
    m: 9,
    dk: 4,
    dv: 3,
    heads: 4,
    kvHeads: 2,
    causal: true,
    options: {
      rope: { layout: 'half', base: 10000, dims: null, offset: 7 },
      window: 4,
      alibi: [0.5, 0.25, 1, 2],
      softcap: 3,
      sinks: [1, 0, -1, 2],
    },
    seed: 46,
  },
];

describe('the reference against the textbook oracle', () => {
  it.each(ORACLE_CASES)('$name', ({ n, m, dk, dv, heads, kvHeads, causal = false, options, seed }) => {
    const scale = 1 + (seed % 3); // large enough that the softcap bites
    const inputs = {
      q: randomMatrix(n, heads * dk, seed, scale),
      k: randomMatrix(m, kvHeads * dk, seed + 1, scale),
      v: randomMatrix(m, kvHeads * dv, seed + 2),
    };
    const all: Partial<AttentionOptions> = { heads, kvHeads, causal, ...options };
    const ref = attentionReference(inputs, all);
    const problem: FeatureProblem = {
      q: toRows(inputs.q),
      k: toRows(inputs.k),
      v: toRows(inputs.v),
      heads,
      kvHeads,
      scale: 1 / Math.sqrt(dk),
      causal,
      rope: options.rope ? { ...options.rope, base: f32(options.rope.base), dims: options.rope.dims ?? dk } : undefined,
      window: options.window ?? undefined,
      slopes: options.alibi ? (options.alibi === 'standard' ? alibiSlopes(heads) : [...options.alibi]).map(f32) : undefined,
      softcap: options.softcap ? f32(options.softcap) : undefined,
      sinks: options.sinks ? options.sinks.map(f32) : undefined,
    };
    const oracle = featureOracle(problem);
    expectClose(ref.probs.data, oracle.weights.flat(2));
    expectClose(ref.output.data, oracle.output.flat());
  });
});

describe('the profiler’s count of visible pairs', () => {
  it.each([
    { n: 7, m: 7, causal: true, window: 3 },
    { n: 4, m: 9, causal: true, window: 2 },
    { n: 6, m: 5, causal: false, window: 2 },
    { n: 1, m: 40, causal: true, window: 16 },
  ])('n=$n m=$m causal=$causal window=$window counts the keys the reference leaves visible', (s) => {
    const x = (rows: number) => fromRows(Array.from({ length: rows }, () => [0]));
    const masked = attentionReference({ q: x(s.n), k: x(s.m), v: x(s.m) }, { causal: s.causal, window: s.window }).masked.data;
    const visible = Array.from(masked).filter((v) => v !== -Infinity).length;
    expect(visiblePairs(s)).toBe(visible);
  });
});
