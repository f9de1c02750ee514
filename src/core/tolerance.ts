/**
 * Tolerances derived from float32 error bounds, per element, instead of one magic epsilon.
 *
 * u = 2⁻²⁴ is float32's unit roundoff and γ(k) = k·u / (1 − k·u) bounds the relative error of a
 * k-term sum computed in any order, with or without fused multiply-add (Higham, "Accuracy and
 * Stability of Numerical Algorithms", §3.1). Each bound below is what a correct float32 kernel can
 * be off by; an error past it means a bug, not rounding.
 *
 * Stage 1, scores s = α·(q·k), α = scale/temperature:
 *   |ŝ − s| ≤ |α|·γ(dk)·Σ_d |q_d k_d| + 3u·|s|        (dot product, then ×scale, ÷temperature, f32 scale)
 * Stage 2, softmax p_j = e^{z_j} / Σ e^{z_k}, z = s − max:
 *   WGSL's exp is accurate to 3 + 2|z| ULP (≤ 2u relative per ULP) and z itself is rounded (u|z|), so
 *   ε_j = (7 + 5|z_j|)·u; the sum adds ε_Σ = Σ_k p_k ε_k + γ(m); the division u.
 *   |p̂_j − p_j| ≤ p_j·(ε_j + ε_Σ + 2u)
 *   When the scores themselves carry errors up to Δ (the row's largest stage-1 bound), softmax moves
 *   each p_j by at most a factor e^{±2Δ}, which adds p_j·(e^{2Δ} − 1).
 * Stage 3, output o = Σ_j p_j v_j:
 *   |ô − o| ≤ Σ_j |p̂_j − p_j|·|v_j| + γ(m)·Σ_j p̂_j |v_j|
 * Every bound also gets FLUSH = 2⁻¹²⁶ of absolute slack, because WGSL lets a GPU flush subnormals to 0.
 */
import type { Matrix } from './tensor';

export const UNIT_ROUNDOFF = 2 ** -24;
export const FLUSH = 2 ** -126;

export function gamma(k: number): number {
  const ku = k * UNIT_ROUNDOFF;
  return ku / (1 - ku);
}

/** Stage 1 bound per element of the h×n×m score tensor; 0 where the reference is −∞ (masked must match exactly). */
export function scoreTolerance(q: Matrix, k: Matrix, h: number, alpha: number, masked: ArrayLike<number>): Float64Array {
  const n = q.rows, m = k.rows, width = q.cols, dk = width / h;
  const tol = new Float64Array(h * n * m);
  const g = gamma(dk);
  for (let t = 0; t < h; t++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const idx = (t * n + i) * m + j;
        if (masked[idx] === -Infinity) continue;
        let magnitude = 0;
        for (let d = t * dk; d < (t + 1) * dk; d++) magnitude += Math.abs(q.data[i * width + d] * k.data[j * width + d]);
        tol[idx] = Math.abs(alpha) * g * magnitude + 3 * UNIT_ROUNDOFF * Math.abs(masked[idx]) + FLUSH;
      }
    }
  }
  return tol;
}

/**
 * Stage 2 bound per element. `scores` are the softmax's inputs, `probs` the float64 probabilities.
 * `scoreError`, when given, is the stage-1 bound of those inputs (end-to-end check); omit it to
 * check the softmax alone on the exact inputs the kernel saw.
 */
export function softmaxTolerance(
  scores: ArrayLike<number>,
  probs: Float64Array,
  rows: number,
  m: number,
  scoreError?: ArrayLike<number>,
): Float64Array {
  const tol = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++) {
    const base = r * m;
    let max = -Infinity, delta = 0;
    for (let j = 0; j < m; j++) {
      max = Math.max(max, scores[base + j]);
      if (scoreError) delta = Math.max(delta, scoreError[base + j]);
    }
    if (max === -Infinity) {
      tol.fill(FLUSH, base, base + m);
      continue;
    }
    const expError = (j: number) => (7 + 5 * Math.abs(scores[base + j] - max)) * UNIT_ROUNDOFF;
    let sumError = gamma(m);
    for (let j = 0; j < m; j++) if (probs[base + j] > 0) sumError += probs[base + j] * expError(j);
    const propagated = Math.expm1(2 * delta);
    for (let j = 0; j < m; j++) {
      const p = probs[base + j];
      tol[base + j] = scores[base + j] === -Infinity ? 0 : p * (expError(j) + sumError + 2 * UNIT_ROUNDOFF + propagated) + FLUSH;
    }
  }
  return tol;
}

/** Stage 3 bound per element of the n×(h·dv) output, given the probabilities and their own bound. */
export function outputTolerance(probs: Float64Array, probError: ArrayLike<number> | null, v: Matrix, h: number, n: number): Float64Array {
  const m = v.rows, width = v.cols, dv = width / h;
  const tol = new Float64Array(n * width);
  const g = gamma(m);
  for (let t = 0; t < h; t++) {
    for (let i = 0; i < n; i++) {
      const row = (t * n + i) * m;
      for (let c = 0; c < dv; c++) {
        let bound = 0;
        for (let j = 0; j < m; j++) {
          const vj = Math.abs(v.data[j * width + t * dv + c]);
          const dp = probError ? probError[row + j] : 0;
          bound += dp * vj + g * (probs[row + j] + dp) * vj;
        }
        tol[i * width + t * dv + c] = bound + FLUSH;
      }
    }
  }
  return tol;
}
