import { describe, expect, it } from 'vitest';
import { attentionReference } from '../src/core/reference';
import { activationReference, gelu } from '../src/core/activation';
import { activationTolerance, GELU_MAX_SLOPE, UNIT_ROUNDOFF } from '../src/core/tolerance';
import { checkAgainstReference } from '../src/core/compare-run';
import { fromRows, matrix } from '../src/core/tensor';
import { InputError } from '../src/core/errors';
import { randomMatrix } from '../src/core/rng';
import type { Activation } from '../src/core/options';

// q = [1, 2]; K rows [1, 0], [0, −1], [1, 1]; scale none → scores [1, −2, 3]. V = [1], [10], [100].
const q = fromRows([[1, 2]]);
const k = fromRows([
  [1, 0],
  [0, -1],
  [1, 1],
]);
const v = fromRows([[1], [10], [100]]);
const plain = { scale: 'none' as const };

/** A second φ, written apart: tanh through exp, ReLU through Math.max. */
const oracleTanh = (y: number) => (y > 20 ? 1 : y < -20 ? -1 : (Math.exp(2 * y) - 1) / (Math.exp(2 * y) + 1));
const oraclePhi = (a: 'relu' | 'gelu', x: number) =>
  a === 'relu' ? Math.max(0, x) : 0.5 * x * (1 + oracleTanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

describe('elementwise activation in the float64 reference, by hand', () => {
  it('ReLU: weights [1, 0, 3], not normalised; output 1·1 + 0·10 + 3·100 = 301', () => {
    const ref = attentionReference({ q, k, v }, { ...plain, activation: 'relu' });
    expect(Array.from(ref.probs.data)).toEqual([1, 0, 3]);
    expect(Array.from(ref.output.data)).toEqual([301]);
  });

  it('GELU (tanh form): φ(1) = 0.5·(1 + tanh(0.7978846·1.044715 = 0.8335620)) = 0.5·1.6823840 = 0.8411920', () => {
    // φ(−2) = 0.5·(−2)·(1 + tanh(−1.8811884)) = −(1 − 0.9545977) = −0.0454023
    // φ(3) = 1.5·(1 + tanh(3.3569437)) = 1.5·1.9975751 = 2.9963626
    // output 0.8411920 − 0.454023 + 299.63626 = 300.0234296
    const ref = attentionReference({ q, k, v }, { ...plain, activation: 'gelu' });
    expect(ref.probs.data[0]).toBeCloseTo(0.841192, 6);
    expect(ref.probs.data[1]).toBeCloseTo(-0.0454023, 6);
    expect(ref.probs.data[2]).toBeCloseTo(2.9963626, 6);
    expect(ref.output.data[0]).toBeCloseTo(300.0234296, 5);
  });

  it.each(['relu', 'gelu'] as const)('%s: hidden keys weigh exactly 0 and an all-hidden row is zero, never NaN', (activation) => {
    const mask = fromRows([[1, 0, 0]]);
    const ref = attentionReference({ q, k, v, mask }, { ...plain, activation });
    expect(Array.from(ref.probs.data.subarray(1))).toEqual([0, 0]);
    const none = attentionReference({ q, k, v, mask: fromRows([[0, 0, 0]]) }, { ...plain, activation });
    expect(Array.from(none.output.data)).toEqual([0]);
    expect(activationReference([-Infinity], activation)[0]).toBe(0);
  });

  it.each([
    ['relu', 0, 0],
    ['gelu', 0, 0],
    ['relu', -1e30, 0],
    ['gelu', -1e30, -0],
    ['gelu', 1e30, 1e30],
  ] as const)('%s of %d is %d (large ± and zero)', (activation, x, expected) => {
    expect(activationReference([x], activation)[0]).toBe(expected);
  });

  it('softmax stays the default and differs: [1, −2, 3] → normalised weights summing to 1', () => {
    const ref = attentionReference({ q, k, v }, plain);
    expect(ref.probs.data.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it.each(['relu', 'gelu'] as const)(
    '%s agrees with a separately written oracle on random problems with heads and a causal mask',
    (activation) => {
      const n = 3,
        m = 4,
        heads = 2,
        dk = 3,
        dv = 2;
      const Q = randomMatrix(n, heads * dk, 11),
        K = randomMatrix(m, heads * dk, 12),
        V = randomMatrix(m, heads * dv, 13);
      const ref = attentionReference({ q: Q, k: K, v: V }, { activation, heads, causal: true, scale: 'default' });
      for (let t = 0; t < heads; t++)
        for (let i = 0; i < n; i++)
          for (let c = 0; c < dv; c++) {
            let o = 0;
            for (let j = 0; j < m; j++) {
              if (j > i + (m - n)) continue;
              let s = 0;
              for (let d = 0; d < dk; d++) s += Q.data[i * heads * dk + t * dk + d] * K.data[j * heads * dk + t * dk + d];
              o += oraclePhi(activation, s / Math.sqrt(dk)) * V.data[j * heads * dv + t * dv + c];
            }
            expect(ref.output.data[i * heads * dv + t * dv + c]).toBeCloseTo(o, 12);
          }
    },
  );

  it('gelu matches the oracle’s φ across signs and sizes', () => {
    for (const x of [-40, -6, -1.5, -1e-3, 0, 1e-3, 0.7, 4, 40]) expect(gelu(x)).toBeCloseTo(oraclePhi('gelu', x), 12);
  });
});

describe('refusals', () => {
  it.each(['relu', 'gelu'] as const)('sinks with %s are an InputError naming the softmax denominator', (activation) => {
    expect(() => attentionReference({ q, k, v }, { activation, sinks: [0] })).toThrow(InputError);
    expect(() => attentionReference({ q, k, v }, { activation, sinks: [0] })).toThrow(/denominator/);
  });

  it('an unknown activation is an InputError listing the choices', () => {
    expect(() => attentionReference({ q, k, v }, { activation: 'tanh' as Activation })).toThrow(/softmax, relu, gelu/);
  });
});

describe('activation tolerance', () => {
  it('ReLU passes its input error through unchanged; −∞ must match exactly', () => {
    const tol = activationTolerance([2, -3, -Infinity], 'relu', [1e-6, 2e-6, 0]);
    expect(tol[0]).toBeCloseTo(1e-6, 20);
    expect(tol[1]).toBeCloseTo(2e-6, 20);
    expect(tol[2]).toBe(0);
  });

  it('GELU: 1.13 times the input error plus a few ulps of evaluation', () => {
    const [t] = activationTolerance([1], 'gelu', [1e-3]);
    expect(t).toBeGreaterThanOrEqual(GELU_MAX_SLOPE * 1e-3);
    expect(t).toBeLessThan(GELU_MAX_SLOPE * 1e-3 + 200 * UNIT_ROUNDOFF);
  });

  it('GELU: the bound holds the true change of φ when the input moves by its error', () => {
    for (const s of [-5, -2, -0.3, 0, 0.4, 1.4184, 3, 9]) {
      const delta = 1e-3;
      const [t] = activationTolerance([s], 'gelu', [delta]);
      expect(Math.abs(gelu(s + delta) - gelu(s))).toBeLessThanOrEqual(t);
      expect(Math.abs(gelu(s - delta) - gelu(s))).toBeLessThanOrEqual(t);
    }
  });

  it.each(['relu', 'gelu'] as const)(
    '%s: a result off by one weight of V fails the end-to-end check, the exact one passes',
    (activation) => {
      const inputs = { q, k, v: matrix(3, 1, [1, 10, 100]) };
      const options = { ...plain, activation };
      const ref = attentionReference(inputs, options);
      const exact = { scores: ref.masked.data, probs: Float32Array.from(ref.probs.data), output: Float32Array.from(ref.output.data) };
      expect(checkAgainstReference(inputs, options, exact).pass).toBe(true);
      const normalised = Float32Array.from(ref.probs.data, (p) => p / ref.probs.data.reduce((a, b) => a + b, 0));
      expect(checkAgainstReference(inputs, options, { ...exact, probs: normalised }).pass).toBe(false);
    },
  );
});
