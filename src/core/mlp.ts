/**
 * The MLP as attention (Karpathy's note in the seeds): a two-layer MLP y = W₂·φ(W₁x) is attention
 * over data-independent weights with the softmax replaced by φ elementwise.
 *
 *   MLP form        y_c = Σ_i W₂[c][i] · φ(Σ_d W₁[i][d] · x_d)            per input row x
 *   attention form  Q = x (n×d), K = W₁ (hidden×d: one key per hidden unit), V = W₂ᵀ (hidden×dout),
 *                   score 'dot', scale 'none', temperature 1, activation φ:
 *                   o = Σ_i φ(x · K_i) · V_i = Σ_i φ(x · W₁[i]) · W₂[:, i]    the same sum
 *
 * The note names the roles the other way round (the first layer's weights as queries, the input as
 * keys); a dot product is symmetric, so x·W₁[i] is the same number either way. Here the input is the
 * query, so that each input row gets one output row, as in the rest of the playground.
 */
import { InputError } from './errors';
import type { Matrix, Matrix64 } from './tensor';
import { firstNonFinite, matrix } from './tensor';
import type { AttentionInputs } from './shapes';
import type { AttentionOptions } from './options';
import { elementwise } from './activation';

/** φ of the MLP's hidden layer. */
export type MlpActivation = 'relu' | 'gelu';
export const MLP_ACTIVATIONS: readonly MlpActivation[] = ['relu', 'gelu'];

/** x: n×d (one input per row), W₁: hidden×d, W₂: dout×hidden (the usual y = W₂·φ(W₁x) layout). */
export interface MlpWeights {
  x: Matrix;
  w1: Matrix;
  w2: Matrix;
}

export interface MlpShape {
  n: number;
  d: number;
  hidden: number;
  dout: number;
}

/** Checks the three matrices fit together; an InputError naming both shapes otherwise. */
export function checkMlp({ x, w1, w2 }: MlpWeights): MlpShape {
  for (const [name, t] of [
    ['x', x],
    ['W₁', w1],
    ['W₂', w2],
  ] as const) {
    if (t.rows < 1 || t.cols < 1) throw new InputError(`${name} is empty (${t.rows}×${t.cols})`);
    const bad = firstNonFinite(t);
    if (bad) throw new InputError(`${name}[${bad.row}][${bad.col}] is ${bad.value}, not a finite number`);
  }
  if (w1.cols !== x.cols)
    throw new InputError(`W₁ is ${w1.rows}×${w1.cols} but x is ${x.rows}×${x.cols}: W₁ needs one column per input feature (${x.cols})`);
  if (w2.cols !== w1.rows)
    throw new InputError(`W₂ is ${w2.rows}×${w2.cols} but W₁ is ${w1.rows}×${w1.cols}: W₂ needs one column per hidden unit (${w1.rows})`);
  return { n: x.rows, d: x.cols, hidden: w1.rows, dout: w2.rows };
}

/** The hidden pre-activations h = W₁x per row (n×hidden), float64. */
export function mlpPreActivations(weights: MlpWeights): Matrix64 {
  const { n, d, hidden } = checkMlp(weights);
  const { x, w1 } = weights;
  const out = new Float64Array(n * hidden);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < hidden; i++) {
      let acc = 0;
      for (let c = 0; c < d; c++) acc += w1.data[i * d + c] * x.data[r * d + c];
      out[r * hidden + i] = acc;
    }
  return { rows: n, cols: hidden, data: out };
}

/** The MLP form: y = W₂·φ(W₁x) for every row x (n×dout), float64. */
export function mlpReference(weights: MlpWeights, activation: MlpActivation): Matrix64 {
  const { n, hidden, dout } = checkMlp(weights);
  const pre = mlpPreActivations(weights);
  const { w2 } = weights;
  const out = new Float64Array(n * dout);
  for (let r = 0; r < n; r++)
    for (let i = 0; i < hidden; i++) {
      const a = elementwise(activation, pre.data[r * hidden + i]);
      for (let c = 0; c < dout; c++) out[r * dout + c] += w2.data[c * hidden + i] * a;
    }
  return { rows: n, cols: dout, data: out };
}

/** The same problem as the playground's inputs: Q = x, K = W₁, V = W₂ᵀ. */
export function mlpAsAttention(weights: MlpWeights): AttentionInputs {
  const { hidden, dout } = checkMlp(weights);
  const { w2 } = weights;
  const v = matrix(hidden, dout);
  for (let i = 0; i < hidden; i++) for (let c = 0; c < dout; c++) v.data[i * dout + c] = w2.data[c * hidden + i];
  return { q: weights.x, k: weights.w1, v, mask: null };
}

/**
 * The options that make attention compute the MLP: a plain dot product (no 1/√d scale, temperature
 * 1), one head, nothing hidden, φ instead of the softmax; `softmax` puts the softmax back.
 */
export function mlpAttentionOptions(activation: MlpActivation, softmax = false): Partial<AttentionOptions> {
  return {
    score: 'dot',
    scale: 'none',
    temperature: 1,
    causal: false,
    heads: 1,
    kvHeads: null,
    activation: softmax ? 'softmax' : activation,
  };
}
