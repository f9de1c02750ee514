/**
 * The elementwise activations that can stand in for the softmax (options.activation 'relu' |
 * 'gelu'): each score becomes φ(score) on its own, with no normalisation across the row, so a row's
 * weights need not sum to 1 (the MLP read as attention, ./mlp.ts). Hidden (−∞) scores weigh 0.
 */
import type { Activation } from './options';

/** √(2/π), GELU's tanh-form constant (Hendrycks and Gimpel; GPT-2's `gelu`). */
export const GELU_SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
export const GELU_CUBIC = 0.044715;

export function relu(x: number): number {
  return x > 0 ? x : 0;
}

/** GELU in its tanh form: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function gelu(x: number): number {
  return 0.5 * x * (1 + Math.tanh(GELU_SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x)));
}

/** φ of one score; −∞ (a hidden key) is 0 under every elementwise activation. */
export function elementwise(activation: Exclude<Activation, 'softmax'>, s: number): number {
  if (s === -Infinity) return 0;
  return activation === 'relu' ? relu(s) : gelu(s);
}

/** Stage 2 with an elementwise activation: φ of every masked score, h×n×m in, h×n×m out. */
export function activationReference(scores: ArrayLike<number>, activation: Exclude<Activation, 'softmax'>): Float64Array {
  const out = new Float64Array(scores.length);
  for (let idx = 0; idx < scores.length; idx++) out[idx] = elementwise(activation, scores[idx]);
  return out;
}

/** Names the activation for messages and the page: "softmax", "ReLU", "GELU (tanh form)". */
export function describeActivation(activation: Activation): string {
  return activation === 'softmax' ? 'softmax' : activation === 'relu' ? 'ReLU' : 'GELU (tanh form)';
}
