import { describe, expect, it } from 'vitest';
import { checkMlp, mlpAsAttention, mlpAttentionOptions, mlpPreActivations, mlpReference } from '../src/core/mlp';
import { attentionReference } from '../src/core/reference';
import { fromRows } from '../src/core/tensor';
import { randomMatrix } from '../src/core/rng';
import { InputError } from '../src/core/errors';
import { checkMlpForms } from '../src/core/mlp-check';

// x rows [1, 2] and [2, −1]; W₁ (3×2) rows [1, 0], [0, −1], [1, 1]; W₂ (2×3) rows [1, 1, 1], [1, −1, 2].
const weights = {
  x: fromRows([
    [1, 2],
    [2, -1],
  ]),
  w1: fromRows([
    [1, 0],
    [0, -1],
    [1, 1],
  ]),
  w2: fromRows([
    [1, 1, 1],
    [1, -1, 2],
  ]),
};

describe('the MLP form, by hand', () => {
  it('pre-activations W₁x: row 0 [1, −2, 3], row 1 [2, 1, 1]', () => {
    expect(Array.from(mlpPreActivations(weights).data)).toEqual([1, -2, 3, 2, 1, 1]);
  });

  it('ReLU: φ = [1, 0, 3] → y0 = [1 + 0 + 3, 1 − 0 + 6] = [4, 7]; φ = [2, 1, 1] → y1 = [4, 2 − 1 + 2 = 3]', () => {
    expect(Array.from(mlpReference(weights, 'relu').data)).toEqual([4, 7, 4, 3]);
  });

  it('GELU: φ(row 0) = [0.8411920, −0.0454023, 2.9963626] → y0 = [3.7921523, 0.8411920 + 0.0454023 + 5.9927252 = 6.8793195]', () => {
    const y = mlpReference(weights, 'gelu').data;
    expect(y[0]).toBeCloseTo(3.7921523, 6);
    expect(y[1]).toBeCloseTo(6.8793195, 6);
  });
});

describe('the MLP is attention with φ for the softmax', () => {
  it.each(['relu', 'gelu'] as const)('%s: attentionReference on Q = x, K = W₁, V = W₂ᵀ equals the MLP form (float64)', (activation) => {
    for (const seed of [1, 2, 3]) {
      const random = { x: randomMatrix(3, 4, seed), w1: randomMatrix(5, 4, seed + 10), w2: randomMatrix(2, 5, seed + 20) };
      const mlp = mlpReference(random, activation);
      const attention = attentionReference(mlpAsAttention(random), mlpAttentionOptions(activation));
      expect(attention.output.rows).toBe(3);
      expect(attention.output.cols).toBe(2);
      attention.output.data.forEach((o, i) => expect(Math.abs(o - mlp.data[i])).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(mlp.data[i]))));
    }
  });

  it.each(['relu', 'gelu'] as const)('%s: the hand example agrees, and putting the softmax back changes the output', (activation) => {
    const mlp = mlpReference(weights, activation);
    const attention = attentionReference(mlpAsAttention(weights), mlpAttentionOptions(activation));
    attention.output.data.forEach((o, i) => expect(o).toBeCloseTo(mlp.data[i], 12));
    const softmax = attentionReference(mlpAsAttention(weights), mlpAttentionOptions(activation, true));
    // Row 0 with the softmax: weights e^[1, −2, 3] / Σ ≈ [0.1185, 0.0059, 0.8756], y0 ≈ 1, not 4 (or 3.79).
    expect(softmax.probs.data.subarray(0, 3).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(softmax.output.data[0]).toBeCloseTo(1, 12);
    expect(Math.abs(softmax.output.data[0] - mlp.data[0])).toBeGreaterThan(2);
  });

  it('V is W₂ transposed: one row per hidden unit', () => {
    expect(Array.from(mlpAsAttention(weights).v.data)).toEqual([1, 1, 1, -1, 1, 2]);
  });
});

describe('mismatched shapes', () => {
  it.each([
    ['W₁ columns ≠ x width', { ...weights, w1: fromRows([[1, 2, 3]]) }, /W₁ is 1×3 but x is 2×2/],
    ['W₂ columns ≠ hidden', { ...weights, w2: fromRows([[1, 2]]) }, /W₂ is 1×2 but W₁ is 3×2/],
    ['a non-finite entry', { ...weights, x: fromRows([[1, NaN]]) }, /x\[0\]\[1\] is NaN/],
  ])('%s is an InputError naming the shapes', (_, bad, message) => {
    expect(() => checkMlp(bad)).toThrow(InputError);
    expect(() => mlpReference(bad, 'relu')).toThrow(message);
  });
});

describe('checkMlpForms', () => {
  it.each(['relu', 'gelu'] as const)(
    '%s: a float32 rounding of the attention form agrees with the MLP form; a normalised one does not',
    (activation) => {
      const ref = attentionReference(mlpAsAttention(weights), mlpAttentionOptions(activation));
      const gpu = { scores: ref.masked.data, probs: Float32Array.from(ref.probs.data), output: Float32Array.from(ref.output.data) };
      const check = checkMlpForms(weights, activation, gpu);
      expect(check.forms.pass).toBe(true);
      expect(check.float64Gap).toBeLessThan(1e-12);
      const softmax = attentionReference(mlpAsAttention(weights), mlpAttentionOptions(activation, true));
      const back = checkMlpForms(
        weights,
        activation,
        { ...gpu, probs: Float32Array.from(softmax.probs.data), output: Float32Array.from(softmax.output.data) },
        true,
      );
      expect(back.attention.pass).toBe(true);
      expect(back.forms.pass).toBe(false);
      expect(back.float64Gap).toBeGreaterThan(1);
    },
  );
});
