import { describe, expect, it } from 'vitest';
import { attentionReference } from '../src/core/reference';
import { fromRows, matrix, toRows } from '../src/core/tensor';
import type { Matrix } from '../src/core/tensor';
import { randomMatrix } from '../src/core/rng';
import { InputError } from '../src/core/errors';
import type { AttentionInputs, ScoringWeights } from '../src/core/shapes';
import type { AttentionOptions } from '../src/core/options';
import { oracleScoring } from './helpers/scoring-oracle';
import type { OracleScoring } from './helpers/scoring-oracle';

/** A matrix holding float64 values (as a page's parser might hand over), to reach the float32 range check. */
const float64Row = (values: number[]): Matrix => ({
  rows: 1,
  cols: values.length,
  data: Float64Array.from(values) as unknown as Float32Array,
});
const ones = (rows: number, cols: number) => matrix(rows, cols, new Array<number>(rows * cols).fill(1));

describe('general score qᵀ W k, by hand', () => {
  // W (dq×dk = 2×3) = [[1, 0, 2], [0, 1, −1]].
  const w = fromRows([
    [1, 0, 2],
    [0, 1, -1],
  ]);
  const k = fromRows([
    [1, 1, 1],
    [2, 0, 1],
  ]);

  it('one head, dq = 2 ≠ dk = 3, scale none', () => {
    // W k₀ = [1 + 0 + 2, 0 + 1 − 1] = [3, 0]; q·W k₀ = 1·3 + 2·0 = 3.
    // W k₁ = [2 + 0 + 2, 0 + 0 − 1] = [4, −1]; q·W k₁ = 1·4 + 2·(−1) = 2.
    // softmax([3, 2]) = [e/(e + 1), 1/(e + 1)].
    const ref = attentionReference(
      { q: fromRows([[1, 2]]), k, v: ones(2, 1), scoring: { kind: 'general', w } },
      { score: 'general', scale: 'none' },
    );
    expect(Array.from(ref.raw.data)).toEqual([3, 2]);
    expect(ref.probs.data[0]).toBeCloseTo(Math.E / (Math.E + 1), 12);
    expect(ref.shape).toMatchObject({ dq: 2, dk: 3, scoreDim: 0 });
  });

  it("scale 'default' divides by √dk of K (3), then temperature 2", () => {
    // raw [3, 2] → [3/√3/2, 2/√3/2].
    const ref = attentionReference(
      { q: fromRows([[1, 2]]), k, v: ones(2, 1), scoring: { kind: 'general', w } },
      { score: 'general', scale: 'default', temperature: 2 },
    );
    expect(ref.scaled.data[0]).toBeCloseTo(3 / Math.sqrt(3) / 2, 12);
    expect(ref.scaled.data[1]).toBeCloseTo(2 / Math.sqrt(3) / 2, 12);
  });

  it('two heads share W; each head reads its own columns', () => {
    // Head 0: q = [1, 2], keys [1,1,1], [2,0,1] → [3, 2] (above).
    // Head 1: q = [0, 1], keys [1,0,0], [0,0,1]: W[1,0,0] = [1, 0] → 0; W[0,0,1] = [2, −1] → −1.
    const q = fromRows([[1, 2, 0, 1]]);
    const k2 = fromRows([
      [1, 1, 1, 1, 0, 0],
      [2, 0, 1, 0, 0, 1],
    ]);
    const ref = attentionReference(
      { q, k: k2, v: ones(2, 2), scoring: { kind: 'general', w } },
      { score: 'general', scale: 'none', heads: 2 },
    );
    expect(Array.from(ref.raw.data)).toEqual([3, 2, 0, -1]);
  });
});

describe('additive score vᵀ tanh(W_q q + W_k k), by hand', () => {
  // dq = 1, dk = 2, a = 2: W_q = [[1], [0]], W_k = [[0, 1], [1, 0]], v = [1, −2].
  const scoring: ScoringWeights = {
    kind: 'additive',
    wq: fromRows([[1], [0]]),
    wk: fromRows([
      [0, 1],
      [1, 0],
    ]),
    v: fromRows([[1, -2]]),
  };
  const k = fromRows([
    [0, 0],
    [0.5, 1],
  ]);

  it('one head, dq = 1 ≠ dk = 2, a = 2', () => {
    // q = [1]: W_q q = [1, 0].
    // k₀ = [0, 0]: W_k k₀ = [0, 0]; p = [1, 0]; raw = 1·tanh 1 − 2·tanh 0 = tanh 1 ≈ 0.761594.
    // k₁ = [0.5, 1]: W_k k₁ = [1, 0.5]; p = [2, 0.5]; raw = tanh 2 − 2·tanh 0.5 ≈ 0.9640276 − 2·0.4621172 = 0.0397932.
    const ref = attentionReference({ q: fromRows([[1]]), k, v: ones(2, 1), scoring }, { score: 'additive', scale: 'none' });
    expect(ref.raw.data[0]).toBeCloseTo(Math.tanh(1), 14);
    expect(ref.raw.data[1]).toBeCloseTo(Math.tanh(2) - 2 * Math.tanh(0.5), 14);
    expect(ref.raw.data[1]).toBeCloseTo(0.0397932, 6);
    expect(ref.shape).toMatchObject({ dq: 1, dk: 2, scoreDim: 2 });
  });

  it('accepts v as a×1, and two heads with causal masking', () => {
    // Heads: Q = [[1, −1], [0, 2]] (dq = 1 each), K = [[0,0, 0.5,1], [0.5,1, 0,0]] (dk = 2 each).
    // Head 1, query 0 (q = −1): W_q q = [−1, 0]; key 0 of head 1 = [0.5, 1] → W_k k = [1, 0.5];
    //   p = [0, 0.5]; raw = tanh 0 − 2 tanh 0.5 = −0.924234. Key 1 is hidden from query 0 (causal).
    const q = fromRows([
      [1, -1],
      [0, 2],
    ]);
    const k2 = fromRows([
      [0, 0, 0.5, 1],
      [0.5, 1, 0, 0],
    ]);
    const column = { ...scoring, v: fromRows([[1], [-2]]) };
    const ref = attentionReference(
      { q, k: k2, v: ones(2, 2), scoring: column },
      { score: 'additive', scale: 'none', heads: 2, causal: true },
    );
    // Element (t = 1, i = 0, j = 0) is at (1·2 + 0)·2 + 0 = 4.
    expect(ref.raw.data[4]).toBeCloseTo(-2 * Math.tanh(0.5), 14);
    expect(ref.masked.data[5]).toBe(-Infinity);
    expect(ref.probs.data[4]).toBe(1);
  });

  it('large pre-activations saturate tanh: raw → Σ v_r · sign(p_r)', () => {
    // p = [1000, −1000]·…: W_q = [[1000], [−1000]], W_k = 0, v = [1, −2]: raw = 1·1 − 2·(−1) = 3.
    const sat: ScoringWeights = { kind: 'additive', wq: fromRows([[1000], [-1000]]), wk: matrix(2, 2), v: fromRows([[1, -2]]) };
    const ref = attentionReference({ q: fromRows([[1]]), k, v: ones(2, 1), scoring: sat }, { score: 'additive', scale: 'none' });
    expect(Array.from(ref.raw.data)).toEqual([3, 3]);
  });
});

function nested(m: Matrix): number[][] {
  return toRows(m);
}

function toOracle(s: ScoringWeights): OracleScoring {
  return s.kind === 'general'
    ? { kind: 'general', w: nested(s.w) }
    : { kind: 'additive', wq: nested(s.wq), wk: nested(s.wk), v: Array.from(s.v.data) };
}

describe('learned scores against an independent oracle', () => {
  const cases: [string, 'general' | 'additive', Partial<AttentionOptions>, number, number][] = [
    ['general, 2 heads, dq 3 ≠ dk 5, causal', 'general', { heads: 2, causal: true, scale: 0.5, temperature: 1.5 }, 3, 5],
    ['general, GQA 4 → 2 heads, softcap', 'general', { heads: 4, kvHeads: 2, softcap: 2 }, 2, 4],
    ['additive, 2 heads, dq 4, dk 3, a 6, mask', 'additive', { heads: 2, temperature: 0.7 }, 4, 3],
    ['additive, MQA 3 → 1 head, causal, softcap', 'additive', { heads: 3, kvHeads: 1, causal: true, softcap: 1.5 }, 2, 5],
  ];
  it.each(cases)('%s', (_name, score, opts, dq, dk) => {
    const n = 5,
      m = 7,
      a = 6;
    const heads = opts.heads ?? 1,
      kvHeads = opts.kvHeads ?? heads;
    const q = randomMatrix(n, heads * dq, 11, 1.5),
      k = randomMatrix(m, kvHeads * dk, 12, 1.5);
    const scoring: ScoringWeights =
      score === 'general'
        ? { kind: 'general', w: randomMatrix(dq, dk, 13) }
        : { kind: 'additive', wq: randomMatrix(a, dq, 14), wk: randomMatrix(a, dk, 15), v: randomMatrix(1, a, 16) };
    const mask =
      score === 'additive' && !opts.causal
        ? matrix(
            n,
            m,
            Array.from({ length: n * m }, (_, x) => (x % 3 === 1 ? 0 : 1)),
          )
        : null;
    const inputs: AttentionInputs = { q, k, v: ones(m, kvHeads), mask, scoring };
    const ref = attentionReference(inputs, { ...opts, score });
    const scale = typeof opts.scale === 'number' ? opts.scale : 1 / Math.sqrt(dk);
    const oracle = oracleScoring({
      q: nested(q),
      k: nested(k),
      heads,
      kvHeads,
      scoring: toOracle(scoring),
      scale,
      temperature: opts.temperature ?? 1,
      causal: opts.causal ?? false,
      softcap: opts.softcap ?? null,
      mask: mask ? nested(mask) : undefined,
    });
    oracle.raw.flat(2).forEach((x, idx) => expect(ref.raw.data[idx]).toBeCloseTo(x, 12));
    oracle.weights.flat(2).forEach((x, idx) => expect(ref.probs.data[idx]).toBeCloseTo(x, 12));
  });
});

describe('scoring weights that do not fit: an InputError naming the matrix and the shape', () => {
  const q = randomMatrix(2, 4, 1),
    k = randomMatrix(3, 5, 2),
    v = randomMatrix(3, 2, 3);
  const additive = (wq: Matrix, wk: Matrix, vv: Matrix): ScoringWeights => ({ kind: 'additive', wq, wk, v: vv });
  const cases: [string, 'general' | 'additive' | 'dot', ScoringWeights | null, Partial<AttentionOptions>, RegExp][] = [
    ['general without weights', 'general', null, {}, /general score .* needs W \(dq×dk\), but no scoring weights were given/],
    [
      'additive given general weights',
      'additive',
      { kind: 'general', w: matrix(4, 5) },
      {},
      /additive score .* but the scoring weights given are W \(general\)/,
    ],
    [
      'W transposed',
      'general',
      { kind: 'general', w: matrix(5, 4) },
      {},
      /^W is 5×4 but must be dq×dk = 4×5 \(dq = 4, Q's width per head; dk = 5, K's width per head\)$/,
    ],
    [
      'W_q with the wrong width',
      'additive',
      additive(matrix(3, 5), matrix(3, 5), matrix(1, 3)),
      {},
      /^W_q is 3×5 but must be a×dq .* dq = 4 columns/,
    ],
    [
      'W_k with other rows than W_q',
      'additive',
      additive(matrix(4, 4), matrix(3, 5), matrix(1, 4)),
      {},
      /^W_k is 3×5 but must be a×dk = 4×5 \(a = 4 rows, from W_q; dk = 5, K's width per head\)$/,
    ],
    [
      'v of the wrong length',
      'additive',
      additive(matrix(4, 4), matrix(4, 5), matrix(1, 3)),
      {},
      /^v is 1×3 but must be 1×a = 1×4 \(or 4×1\)/,
    ],
    [
      'a NaN in W',
      'general',
      { kind: 'general', w: matrix(4, 5, [...new Array<number>(7).fill(0), NaN, ...new Array<number>(12).fill(0)]) },
      {},
      /^W\[1\]\[2\] is NaN, not a finite number$/,
    ],
    [
      'v beyond float32',
      'additive',
      additive(matrix(2, 4), matrix(2, 5), float64Row([1, 1e39])),
      {},
      /^v\[0\]\[1\] is 1e\+39, outside float32's range/,
    ],
    [
      'RoPE with dq ≠ dk',
      'general',
      { kind: 'general', w: matrix(4, 5) },
      { rope: { layout: 'half', base: 10000, dims: null, offset: 0 } },
      /RoPE .* dq = 4, dk = 5/,
    ],
    ['dot with dq ≠ dk keeps its message', 'dot', null, {}, /Q has 4 columns but K has 5: queries and keys must have the same width/],
  ];
  it.each(cases)('%s', (_name, score, scoring, opts, message) => {
    const run = () => attentionReference({ q, k, v, scoring }, { ...opts, score });
    expect(run).toThrow(InputError);
    expect(run).toThrow(message);
  });

  it('dot ignores scoring weights it does not use (the page keeps them)', () => {
    const qk = randomMatrix(2, 4, 1);
    const plain = attentionReference({ q: qk, k: qk, v: randomMatrix(2, 2, 3) });
    const withWeights = attentionReference({ q: qk, k: qk, v: randomMatrix(2, 2, 3), scoring: { kind: 'general', w: matrix(1, 1) } });
    expect(Array.from(withWeights.raw.data)).toEqual(Array.from(plain.raw.data));
  });
});
