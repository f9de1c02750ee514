import { describe, expect, it } from 'vitest';
import { attentionReference, softmaxReference } from '../src/core/reference';
import { fromRows, matrix } from '../src/core/tensor';
import { randomMatrix } from '../src/core/rng';
import { parsePreset, presetMatrices } from '../src/core/presets';
import type { MatrixPreset } from '../src/core/presets';
import worked from '../examples/worked-3d.json';

const rowSums = (data: Float64Array, rows: number, cols: number) =>
  Array.from({ length: rows }, (_, i) => data.subarray(i * cols, (i + 1) * cols).reduce((a, b) => a + b, 0));

describe('CPU reference, by hand', () => {
  it('reproduces the seeds’ 3-D example: weights 0.1/0.3/0.6 give [0.56, 0.63, 0.55]', () => {
    const preset = parsePreset(worked) as MatrixPreset;
    const ref = attentionReference(presetMatrices(preset), preset.options);
    Array.from(ref.probs.data).forEach((p, j) => expect(p).toBeCloseTo([0.1, 0.3, 0.6][j], 7));
    Array.from(ref.output.data).forEach((o, j) => expect(o).toBeCloseTo([0.56, 0.63, 0.55][j], 7));
  });

  it('computes a 2×2 case worked out by hand', () => {
    // S = Q Kᵀ = [[1, 0], [1, 1]]; scale 1/√2; row 0 softmax([1/√2, 0]).
    const q = fromRows([
      [1, 0],
      [1, 1],
    ]);
    const k = fromRows([
      [1, 0],
      [0, 1],
    ]);
    const v = fromRows([
      [1, 2],
      [3, 4],
    ]);
    const ref = attentionReference({ q, k, v });
    expect(Array.from(ref.raw.data)).toEqual([1, 0, 1, 1]);
    const a = Math.exp(1 / Math.SQRT2),
      p0 = a / (a + 1);
    expect(ref.probs.data[0]).toBeCloseTo(p0, 12);
    expect(ref.probs.data[1]).toBeCloseTo(1 - p0, 12);
    expect(ref.probs.data[2]).toBeCloseTo(0.5, 12);
    expect(ref.output.data[0]).toBeCloseTo(p0 * 1 + (1 - p0) * 3, 12);
    expect(ref.output.data[1]).toBeCloseTo(p0 * 2 + (1 - p0) * 4, 12);
    expect(Array.from(ref.output.data.subarray(2))).toEqual([2, 3]);
  });

  it('applies scale, then temperature, then the mask', () => {
    const q = fromRows([[2, 0]]),
      k = fromRows([
        [1, 0],
        [0, 1],
      ]),
      v = fromRows([[1], [0]]);
    const ref = attentionReference({ q, k, v, mask: fromRows([[1, 0]]) }, { scale: 0.5, temperature: 4 });
    expect(ref.raw.data[0]).toBe(2);
    expect(ref.scaled.data[0]).toBe(0.25);
    expect(ref.masked.data[1]).toBe(-Infinity);
    expect(Array.from(ref.probs.data)).toEqual([1, 0]);
  });
});

describe('CPU reference, properties', () => {
  const q = randomMatrix(7, 5, 1),
    k = randomMatrix(9, 5, 2),
    v = randomMatrix(9, 3, 3);

  it('probability rows sum to 1', () => {
    const ref = attentionReference({ q, k, v });
    rowSums(ref.probs.data, 7, 9).forEach((s) => expect(s).toBeCloseTo(1, 12));
  });

  it('adding a constant to a score row changes nothing', () => {
    const scores = attentionReference({ q, k, v }).masked.data;
    const shifted = scores.map((s, idx) => s + 1000 * (Math.floor(idx / 9) + 1));
    const a = softmaxReference(scores, 1, 7, 9).data,
      b = softmaxReference(shifted, 1, 7, 9).data;
    a.forEach((p, idx) => expect(b[idx]).toBeCloseTo(p, 10));
  });

  it('permuting keys and values together changes nothing', () => {
    const perm = [3, 0, 8, 1, 7, 2, 6, 4, 5];
    const permute = (m: typeof k) => fromRows(perm.map((r) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols))));
    const a = attentionReference({ q, k, v }).output.data;
    const b = attentionReference({ q, k: permute(k), v: permute(v) }).output.data;
    a.forEach((o, idx) => expect(b[idx]).toBeCloseTo(o, 12));
  });

  it('causal row 0 attends only to key 0, and row i to keys 0..i', () => {
    const square = attentionReference({ q: randomMatrix(6, 4, 5), k: randomMatrix(6, 4, 6), v: randomMatrix(6, 2, 7) }, { causal: true });
    expect(square.probs.data[0]).toBe(1);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) expect(square.probs.data[i * 6 + j] > 0).toBe(j <= i);
  });

  it('causal with n ≠ m aligns the last query with the last key', () => {
    const cross = attentionReference({ q: randomMatrix(2, 4, 5), k: randomMatrix(5, 4, 6), v: randomMatrix(5, 2, 7) }, { causal: true });
    // m − n = 3: query 0 sees keys 0..3, query 1 sees all five.
    expect(Array.from(cross.masked.data.subarray(0, 5)).map(Number.isFinite)).toEqual([true, true, true, true, false]);
    expect(Array.from(cross.masked.data.subarray(5, 10)).every(Number.isFinite)).toBe(true);
  });

  it('a fully masked row has zero probabilities and a zero output, never NaN', () => {
    const mask = matrix(7, 9).data.fill(1);
    mask.fill(0, 2 * 9, 3 * 9);
    const ref = attentionReference({ q, k, v, mask: matrix(7, 9, mask) });
    expect(Array.from(ref.probs.data.subarray(18, 27))).toEqual(new Array(9).fill(0));
    expect(Array.from(ref.output.data.subarray(6, 9))).toEqual([0, 0, 0]);
    expect(ref.output.data.every(Number.isFinite)).toBe(true);
  });

  it('stays finite when scores are around ±1e3', () => {
    const big = attentionReference(
      { q: randomMatrix(4, 4, 8, 30), k: randomMatrix(4, 4, 9, 30), v: randomMatrix(4, 2, 10) },
      { scale: 'none' },
    );
    expect(Math.max(...Array.from(big.raw.data, Math.abs))).toBeGreaterThan(500);
    expect(big.probs.data.every(Number.isFinite)).toBe(true);
    rowSums(big.probs.data, 4, 4).forEach((s) => expect(s).toBeCloseTo(1, 12));
  });

  it('splits heads into column blocks', () => {
    const q2 = randomMatrix(3, 8, 10),
      k2 = randomMatrix(4, 8, 11),
      v2 = randomMatrix(4, 6, 12);
    const both = attentionReference({ q: q2, k: k2, v: v2 }, { heads: 2 });
    const cols = (m: typeof q2, s: number, c: number) =>
      fromRows(Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols + s, i * m.cols + s + c))));
    const head1 = attentionReference({ q: cols(q2, 4, 4), k: cols(k2, 4, 4), v: cols(v2, 3, 3) });
    for (let i = 0; i < 3; i++)
      for (let c = 0; c < 3; c++) expect(both.output.data[i * 6 + 3 + c]).toBeCloseTo(head1.output.data[i * 3 + c], 12);
  });
});

describe('input checks', () => {
  const q = randomMatrix(2, 3, 1),
    k = randomMatrix(4, 3, 2),
    v = randomMatrix(4, 2, 3);
  it.each([
    ['K width differs from Q', { q, k: randomMatrix(4, 2, 2), v }, {}, /Q has 3 columns but K has 2/],
    ['V rows differ from K', { q, k, v: randomMatrix(3, 2, 3) }, {}, /K has 4 rows but V has 3/],
    ['mask shape', { q, k, v, mask: matrix(4, 2) }, {}, /mask is 4×2 but must be n×m = 2×4/],
    ['NaN in V', { q, k, v: matrix(4, 2, [0, 0, 0, Infinity, 0, 0, 0, 0]) }, {}, /V\[1\]\[1\] is Infinity/],
    ['heads do not divide width', { q, k, v }, { heads: 2 }, /width 3 is not divisible by 2 heads/],
    ['non-positive temperature', { q, k, v }, { temperature: -1 }, /temperature must be a positive/],
  ] as const)('%s', (_, inputs, options, message) => {
    expect(() => attentionReference(inputs, options)).toThrow(message);
  });
});
