/**
 * The float32 error bound of the learned score functions' raw scores (./scoring.ts), derived in
 * ./tolerance.ts's header ("general" and "additive" under stage 1). Separate from ./tolerance.ts
 * because it needs the weights; ./tolerance.ts's scoreTolerance calls it when the terms carry them.
 */
import type { FloatArray, Matrix } from './tensor';
import type { ScoringWeights } from './shapes';
import type { HeadLayout } from './reference';
import { kvHeadOf } from './features';

const U = 2 ** -24;
const gamma = (k: number) => (k * U) / (1 - k * U);

/** tanh'(x) = 1 / cosh²(x) (0 once cosh overflows). */
function sech2(x: number): number {
  const c = Math.cosh(x);
  return 1 / (c * c);
}

/** |x| and its error bound Δx (0 without one), element by element. */
function magnitudes(x: Matrix<FloatArray>, error: ArrayLike<number> | null | undefined) {
  const abs = Float64Array.from(x.data, Math.abs);
  const err = error ? Float64Array.from(error) : new Float64Array(x.data.length);
  return { abs, err };
}

/** Σ_c |A[r][c]|·x[c] for every row r of A (x given by its base and the row it lives in). */
function absTimes(a: Matrix, x: Float64Array, base: number): Float64Array {
  const out = new Float64Array(a.rows);
  for (let r = 0; r < a.rows; r++) {
    let acc = 0;
    for (let c = 0; c < a.cols; c++) acc += Math.abs(a.data[r * a.cols + c]) * x[base + c];
    out[r] = acc;
  }
  return out;
}

/** Σ_c A[r][c]·x[c] in float64 for every row r. */
function times(a: Matrix, x: FloatArray, base: number): Float64Array {
  const out = new Float64Array(a.rows);
  for (let r = 0; r < a.rows; r++) {
    let acc = 0;
    for (let c = 0; c < a.cols; c++) acc += a.data[r * a.cols + c] * x[base + c];
    out[r] = acc;
  }
  return out;
}

/**
 * Bound per element (h×n×m, head-major) of |raŵ − raw| for a float32 kernel computing the general
 * or additive score of q (n×(h·dq)) and k (m×(kvHeads·dk)); qError/kError: bounds of q's and k's
 * own errors (RoPE's rotation), when they have any.
 */
export function learnedRawError(
  scoring: ScoringWeights,
  q: Matrix<FloatArray>,
  k: Matrix<FloatArray>,
  layout: HeadLayout,
  qError?: ArrayLike<number> | null,
  kError?: ArrayLike<number> | null,
): Float64Array {
  const { heads: h, kvHeads } = layout;
  const n = q.rows,
    m = k.rows,
    dq = q.cols / h,
    dk = k.cols / kvHeads;
  const qm = magnitudes(q, qError),
    km = magnitudes(k, kError);
  const out = new Float64Array(h * n * m);
  // What each key contributes, computed once per K/V head and key (every query row reuses it).
  const keyTerms = (g: number) =>
    Array.from({ length: m }, (_, j) => {
      const kBase = j * k.cols + g * dk;
      if (scoring.kind === 'general') return { abs: absTimes(scoring.w, km.abs, kBase), err: absTimes(scoring.w, km.err, kBase), p: null };
      return { abs: absTimes(scoring.wk, km.abs, kBase), err: absTimes(scoring.wk, km.err, kBase), p: times(scoring.wk, k.data, kBase) };
    });
  const perKvHead = new Map<number, ReturnType<typeof keyTerms>>();
  for (let t = 0; t < h; t++) {
    const g = kvHeadOf(t, h, kvHeads);
    if (!perKvHead.has(g)) perKvHead.set(g, keyTerms(g));
    const keys = perKvHead.get(g)!;
    for (let i = 0; i < n; i++) {
      const qBase = i * q.cols + t * dq;
      if (scoring.kind === 'general') {
        // Any evaluation order of Σ_a Σ_b q_a W_ab k_b: γ(dq·dk + 1) of the magnitudes (see tolerance.ts).
        const g1 = gamma(dq * dk + 1);
        for (let j = 0; j < m; j++) {
          const { abs: wk, err: wdk } = keys[j];
          let magnitude = 0,
            propagated = 0;
          for (let a = 0; a < dq; a++) {
            const qa = qm.abs[qBase + a],
              dqa = qm.err[qBase + a];
            magnitude += (qa + dqa) * (wk[a] + wdk[a]);
            propagated += dqa * (wk[a] + wdk[a]) + qa * wdk[a];
          }
          out[(t * n + i) * m + j] = g1 * magnitude + propagated;
        }
        continue;
      }
      const { wq, v } = scoring;
      const a = wq.rows;
      const pq = times(wq, q.data, qBase),
        pqAbs = absTimes(wq, qm.abs, qBase),
        pqErr = absTimes(wq, qm.err, qBase);
      const gSum = gamma(dq + dk),
        ga = gamma(a);
      for (let j = 0; j < m; j++) {
        const { abs: pkAbs, err: pkErr, p: pk } = keys[j];
        let spread = 0,
          magnitude = 0;
        for (let r = 0; r < a; r++) {
          const p = pq[r] + pk![r];
          const propagated = pqErr[r] + pkErr[r];
          const sumError = gSum * (pqAbs[r] + pkAbs[r] + propagated) + propagated;
          // tanh' = sech² ≤ 1, and on [|p| − Δ, |p| + Δ] at most sech²(|p| − Δ): saturated units pass little of Δ on.
          const e = sumError * sech2(Math.max(0, Math.abs(p) - sumError)) + (24 + 16 * Math.min(Math.abs(p) + sumError, 15)) * U;
          const vr = Math.abs(v.data[r]);
          spread += vr * e;
          magnitude += vr * (Math.abs(Math.tanh(p)) + e);
        }
        out[(t * n + i) * m + j] = spread + ga * magnitude;
      }
    }
  }
  return out;
}
