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
 *   With the learned score functions (./scoring.ts; ./scoring-tolerance.ts) the dot product's
 *   α·γ(dk)·Σ|q_d k_d| is replaced by α·E, E bounding the raw score's error:
 *   general  raw = Σ_a Σ_b q_a W_ab k_b. Evaluated as nested sums (W k first, as the built-in kernels
 *            do, or qᵀW first) it is within γ(dk) + γ(dq)(1 + γ(dk)) ≤ γ(dq + dk); as one flat sum of
 *            dq·dk triple products (two roundings each) within γ(dq·dk + 1) ≥ γ(dq + dk). The bound,
 *            for any order: E = γ(dq·dk + 1)·Σ_a Σ_b |q_a||W_ab||k_b|.
 *   additive raw = Σ_r v_r tanh(p_r), p_r = Σ_d Wq_rd q_d + Σ_d Wk_rd k_d. p_r is a sum of dq + dk
 *            products in any grouping: |p̂_r − p_r| ≤ γ(dq + dk)·P_r, P_r = Σ|Wq_rd q_d| + Σ|Wk_rd k_d|.
 *            tanh' = sech² carries that error Δ_r = γ(dq + dk)·P_r through scaled by at most
 *            sech²(max(0, |p_r| − Δ_r)) (≤ 1; tiny where the unit saturates); WGSL's tanh adds
 *            (24 + 16·min(|p|, 15))·u as in the softcap below (kernels clamp p to ±15, where tanh is ±1 in
 *            float32), so each term is off by e_r = Δ_r·sech²(max(0, |p_r| − Δ_r)) + (24 + 16·min(|p_r| + Δ_r, 15))·u.
 *            The v-weighted sum of a terms: E = Σ_r |v_r|·e_r + γ(a)·Σ_r |v_r|·(|tanh p_r| + e_r).
 *   With RoPE (dq = dk then) the rotated inputs' errors Δq, Δk join both: magnitudes use |x| + Δx,
 *   and the exact error they cause (Σ|W|-weighted Δq and Δk) is added.
 * Stage 2, softmax p_j = e^{z_j} / Σ e^{z_k}, z = s − max:
 *   WGSL's exp is accurate to 3 + 2|z| ULP (≤ 2u relative per ULP) and z itself is rounded (u|z|), so
 *   ε_j = (7 + 5|z_j|)·u; the sum adds ε_Σ = Σ_k p_k (ε_k + 8R·u) + γ(m); the division u.
 *   |p̂_j − p_j| ≤ p_j·(ε_j + ε_Σ + 2u)
 *   R counts the rescales of an online sum (a running max M and Σ exp(s − M), multiplied by
 *   exp(M_old − M_new) when the max rises, partial sums of several lanes multiplied by
 *   exp(M_lane − M) when combined: the tiled kernel): each is one more exp and one more product in a
 *   term of the denominator; their exponents add up to z_k, so the 5|x| parts stay 5|z_k| and each
 *   rescale adds 7u + u. A term meets at most one rescale per later raise of its lane's max and
 *   one per combine, so R ≤ the row's visible keys for any split of the row; a kernel that reads
 *   the max first (R = 0) gets the same slack, as the check does not know the kernel. The numerators exp(s_j − M) are
 *   computed from the final max, so ε_j keeps its one exp.
 *   When the scores themselves carry errors up to Δ (the row's largest stage-1 bound), softmax moves
 *   each p_j by at most a factor e^{±2Δ}, which adds p_j·(e^{2Δ} − 1).
 * Stage 2 with an elementwise activation φ instead (options.activation, ./activation.ts), p_j = φ(s_j):
 *   each weight depends on its own score only, so the bound is per element, with Δ_j the score's own
 *   stage-1 bound (0 when checking the stage alone on the kernel's inputs):
 *   ReLU  max(s, 0) is exact in float32 and 1-Lipschitz: |p̂_j − p_j| ≤ Δ_j.
 *   GELU  0.5·x·(1 + tanh(y)), y = √(2/π)·(x + 0.044715·x³). Its slope is at most 1.13 in magnitude
 *         (φ′(x) peaks at ≈ 1.129 near x ≈ 1.42 and is ≥ −0.129), so the input's error moves it by ≤ 1.13·Δ_j.
 *         Evaluating it in float32 at x̂ (|x̂| ≤ |s| + Δ): y rounds x³ (2u), ·0.044715 and its constant
 *         (2u), + x (u; same signs, no cancellation), ·√(2/π) and its constant (2u): ≤ 8u·|y|;
 *         tanh is treated as the softcap's (WGSL's, inherited from sinh/cosh, evaluated on |y| ≤ 15,
 *         where it is ±1 in float32): (24 + 16·min(|y|, 15))·u absolute, plus tanh' ≤ 1 times y's
 *         8u·min(|y|, 15) (past 15 the clamp holds it at ±1 either way); 1 + t rounds u·|1 + t|, the
 *         products u·|φ|. So |p̂_j − p_j| ≤ 1.13·Δ_j + 0.5·|x̂|·((24 + 24·min(|y|, 15))·u + u·|1 + t|) + u·|φ|.
 *   Hidden (−∞) scores must give exactly 0 (bound 0), as the softmax's must.
 * Stage 3, output o = Σ_j p_j v_j:
 *   |ô − o| ≤ Σ_j |p̂_j − p_j|·|v_j| + γ(m)·Σ_j |p̂_j| |v_j|   (GELU's weights can be negative)
 * Fused (one pass, online softmax): see fusedOutputTolerance; it replaces stages 2–3.
 * Output projection y = Σ_k o_k w_k over K = h·dv concatenated columns, o carrying errors up to τ_k:
 *   |ŷ − y| ≤ Σ_k τ_k |w_k| + γ(K)·Σ_k (|o_k| + τ_k)·|w_k|
 * Features (./features.ts), where on:
 *   RoPE  x'_a = x_a cos φ − x_b sin φ: WGSL's cos and sin are within 2⁻¹¹ absolute on [−π, π] (TRIG_ERROR);
 *         φ = pos·θ_p carries |φ|·(ε_θ + 6u) + 4πu from θ_p = base^(−2p/r) (ε_θ = (10 + 10·|2p/r·log2 base|)·u, pow's
 *         exp2 and log2) and from reducing φ into [−π, π]; so |x̂'_a − x'_a| ≤ (|x_a| + |x_b|)(TRIG_ERROR + δφ) + 3u|x'_a|.
 *         The scores then carry α·Σ_d (|Δq_d||k_d| + |q_d||Δk_d| + |Δq_d||Δk_d|) more.
 *   softcap c·tanh(s/c): tanh' ≤ 1, so an error Δ in s stays ≤ Δ; tanh (WGSL: inherited from sinh/cosh,
 *         evaluated on |s/c| ≤ 15, where tanh is 1 in float32) adds c·(24 + 16·min(|s/c|, 15))·u, the
 *         division and product u·(|s| + |capped|).
 *   ALiBi s − slope·d (d an integer distance, slope float32): 2u·|bias| for the product and the
 *         addition's u·|s|.
 *   sinks: the sink logit enters the denominator as one more term exp(σ − M), with its own
 *         exp error (7 + 5|σ − M|)·u, exactly like a key whose value is 0.
 * f16 storage (./half.ts; the fused variant's `precision: 'f16'`): Q, K and V reach the kernel rounded to
 *   halves, x̂ = x + Δx with |Δx| ≤ max(2⁻¹¹|x|, 2⁻²⁵) (the exact |Δx| is known and used), and everything
 *   after the load is float32. So the bounds are the float32 ones with the inputs carrying errors:
 *   the scores get α·Σ_d (|Δq_d||k_d| + |q_d||Δk_d| + |Δq_d||Δk_d|) (the same term as RoPE's, ScoreTerms),
 *   which the softmax turns into the e^{2Δ} factor as before; the output gets Σ_j p'_j |Δv_j| ≤
 *   e^{2Δ}·Σ_j p_j |Δv_j| from the values, and every |v_j| of the rounding terms becomes |v_j| + |Δv_j|.
 *   For random inputs of order 1 this is about 2⁻¹¹·√dk relative on the scores: some 10³ times the
 *   float32 bound, which is what storing halves costs, not a kernel error.
 * Every bound also gets FLUSH = 2⁻¹²⁶ of absolute slack, because WGSL lets a GPU flush subnormals to 0.
 */
import type { FloatArray, Matrix } from './tensor';
import type { Activation, RopeOptions } from './options';
import { elementwise, GELU_CUBIC, GELU_SQRT_2_OVER_PI } from './activation';
import { kvHeadOf, ropeDims, ropeFrequencies, ropePair } from './features';
import type { HeadLayout } from './reference';
import type { ScoringWeights } from './shapes';
import { learnedRawError } from './scoring-tolerance';

export const UNIT_ROUNDOFF = 2 ** -24;
const FLUSH = 2 ** -126;

export function gamma(k: number): number {
  const ku = k * UNIT_ROUNDOFF;
  return ku / (1 - ku);
}

/** WGSL's accuracy of sin and cos: absolute error at most 2⁻¹¹ on [−π, π]. */
export const TRIG_ERROR = 2 ** -11;

/**
 * Bound per element of RoPE's output (the rotated Q or K) for the float32 input `x` of `heads`
 * heads, row i at position(i): see the header. Dimensions RoPE does not rotate are copied (0).
 */
export function ropeTolerance(x: Matrix, heads: number, rope: RopeOptions, position: (row: number) => number): Float64Array {
  const dk = x.cols / heads;
  const r = ropeDims(rope, dk);
  const tol = new Float64Array(x.data.length);
  const log2Base = Math.log2(Math.fround(rope.base));
  const thetas = ropeFrequencies(Math.fround(rope.base), r);
  for (let i = 0; i < x.rows; i++) {
    const pos = Math.abs(position(i));
    for (let t = 0; t < heads; t++) {
      const base = i * x.cols + t * dk;
      for (let p = 0; p < r / 2; p++) {
        const exponent = ((2 * p) / r) * log2Base;
        const theta = thetas[p];
        const angleError = pos * theta * ((10 + 10 * exponent) * UNIT_ROUNDOFF + 6 * UNIT_ROUNDOFF) + 4 * Math.PI * UNIT_ROUNDOFF;
        const [a, b] = ropePair(rope.layout, p, r);
        const magnitude = Math.abs(x.data[base + a]) + Math.abs(x.data[base + b]);
        const bound = magnitude * (TRIG_ERROR + angleError + 3 * UNIT_ROUNDOFF) + FLUSH;
        tol[base + a] = tol[base + b] = bound;
      }
    }
  }
  return tol;
}

/** What stage 1 adds to the dot product, when the features are on (see the header). */
export interface ScoreTerms {
  /** Bounds of the rotated Q and K elements (ropeTolerance), when RoPE rotated them on the GPU. */
  qError?: ArrayLike<number> | null;
  kError?: ArrayLike<number> | null;
  /** The logit softcap c and the scaled scores before it (h×n×m). */
  softcap?: number | null;
  scaled?: ArrayLike<number> | null;
  /** The ALiBi bias of each score (h×n×m). */
  bias?: ArrayLike<number> | null;
  /** The general or additive score's weights: q is then n×(h·dq) and the raw bound is learnedRawError's. */
  scoring?: ScoringWeights | null;
}

/**
 * Stage 1 bound per element of the h×n×m score tensor; 0 where the reference is −∞ (masked must
 * match exactly). q is n×(h·dk), k m×(kvHeads·dk) (after RoPE, when on); `layout` says which K
 * head each query head reads (a number is h = kvHeads).
 */
export function scoreTolerance(
  q: Matrix<FloatArray>,
  k: Matrix<FloatArray>,
  layout: HeadLayout | number,
  alpha: number,
  masked: ArrayLike<number>,
  terms: ScoreTerms = {},
): Float64Array {
  const { heads: h, kvHeads } = typeof layout === 'number' ? { heads: layout, kvHeads: layout } : layout;
  const n = q.rows,
    m = k.rows,
    dk = q.cols / h;
  const tol = new Float64Array(h * n * m);
  const g = gamma(dk);
  const { qError, kError, softcap, scaled, bias, scoring } = terms;
  const a = Math.abs(alpha);
  const learned = scoring ? learnedRawError(scoring, q, k, { heads: h, kvHeads }, qError, kError) : null;
  for (let t = 0; t < h; t++) {
    const qBase = t * dk,
      kBase = kvHeadOf(t, h, kvHeads) * dk;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const idx = (t * n + i) * m + j;
        if (masked[idx] === -Infinity) continue;
        let magnitude = 0,
          propagated = 0;
        for (let d = 0; d < dk && !learned; d++) {
          const qi = i * q.cols + qBase + d,
            kj = j * k.cols + kBase + d;
          const qd = Math.abs(q.data[qi]),
            kd = Math.abs(k.data[kj]);
          magnitude += qd * kd;
          if (qError && kError) propagated += qError[qi] * kd + qd * kError[kj] + qError[qi] * kError[kj];
        }
        const s = scaled ? Math.abs(scaled[idx]) : Math.abs(masked[idx]);
        // The kernel's products are of q + Δq and k + Δk: their magnitudes are at most magnitude + propagated.
        let bound = (learned ? a * learned[idx] : a * g * (magnitude + propagated) + a * propagated) + 3 * UNIT_ROUNDOFF * s;
        if (softcap !== undefined && softcap !== null) {
          const x = Math.min(s / softcap, 15);
          const capped = softcap * Math.tanh(x);
          bound += softcap * (24 + 16 * x) * UNIT_ROUNDOFF + UNIT_ROUNDOFF * (s + capped);
        }
        if (bias) bound += 2 * UNIT_ROUNDOFF * Math.abs(bias[idx]) + UNIT_ROUNDOFF * Math.abs(masked[idx]);
        tol[idx] = bound + FLUSH;
      }
    }
  }
  return tol;
}

/** Sink logits for the softmax bounds: one per head, rows head-major with `rowsPerHead` rows a head. */
export interface SinkTerms {
  logits: ArrayLike<number>;
  rowsPerHead: number;
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
  sinks: SinkTerms | null = null,
): Float64Array {
  const tol = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++) {
    const base = r * m;
    const sink = sinks ? sinks.logits[Math.floor(r / sinks.rowsPerHead)] : -Infinity;
    let max = sink,
      delta = 0,
      visible = 0;
    for (let j = 0; j < m; j++) {
      max = Math.max(max, scores[base + j]);
      if (scores[base + j] !== -Infinity) visible++;
      if (scoreError) delta = Math.max(delta, scoreError[base + j]);
    }
    if (max === -Infinity) {
      tol.fill(FLUSH, base, base + m);
      continue;
    }
    const expError = (j: number) => (7 + 5 * Math.abs(scores[base + j] - max)) * UNIT_ROUNDOFF;
    // An online sum's rescales (see the header): at most one per visible key for each term.
    const rescaleError = 8 * visible * UNIT_ROUNDOFF;
    let sumError = gamma(m + (sinks ? 1 : 0));
    let mass = 0;
    for (let j = 0; j < m; j++) {
      if (!(probs[base + j] > 0)) continue;
      sumError += probs[base + j] * (expError(j) + rescaleError);
      mass += probs[base + j];
    }
    // The sink is one more term of the denominator, with the rest of the row's mass.
    if (sinks) sumError += Math.max(0, 1 - mass) * ((7 + 5 * Math.abs(sink - max)) * UNIT_ROUNDOFF + rescaleError);
    const propagated = Math.expm1(2 * delta);
    for (let j = 0; j < m; j++) {
      const p = probs[base + j];
      tol[base + j] = scores[base + j] === -Infinity ? 0 : p * (expError(j) + sumError + 2 * UNIT_ROUNDOFF + propagated) + FLUSH;
    }
  }
  return tol;
}

/** GELU's largest slope |φ'(x)| (≈ 1.129 at x ≈ 1.42), rounded up: see the header. */
export const GELU_MAX_SLOPE = 1.13;

/**
 * Stage 2 bound per element with an elementwise activation (see the header): `scores` are its
 * inputs (masked, h×n×m), `scoreError` their stage-1 bound when checking end to end (omit it to check
 * the stage alone on the kernel's own inputs). 0 where a score is −∞ (the weight must be exactly 0).
 */
export function activationTolerance(
  scores: ArrayLike<number>,
  activation: Exclude<Activation, 'softmax'>,
  scoreError?: ArrayLike<number>,
): Float64Array {
  const tol = new Float64Array(scores.length);
  for (let idx = 0; idx < scores.length; idx++) {
    const s = scores[idx];
    if (s === -Infinity) continue;
    const delta = scoreError ? scoreError[idx] : 0;
    if (activation === 'relu') {
      tol[idx] = delta + FLUSH;
      continue;
    }
    const x = Math.abs(s) + delta;
    const y = Math.min(GELU_SQRT_2_OVER_PI * (x + GELU_CUBIC * x * x * x), 15);
    const onePlusT = 1 + Math.tanh(GELU_SQRT_2_OVER_PI * (s + GELU_CUBIC * s * s * s));
    const evaluation =
      0.5 * x * ((24 + 24 * y) * UNIT_ROUNDOFF + UNIT_ROUNDOFF * onePlusT) + UNIT_ROUNDOFF * Math.abs(elementwise('gelu', s));
    tol[idx] = GELU_MAX_SLOPE * delta + evaluation + FLUSH;
  }
  return tol;
}

/** Stage 3 bound per element of the n×(h·dv) output, given the probabilities and their own bound. */
export function outputTolerance(
  probs: Float64Array,
  probError: ArrayLike<number> | null,
  v: Matrix,
  h: number,
  n: number,
  kvHeads = h,
): Float64Array {
  const m = v.rows,
    dv = v.cols / kvHeads,
    width = h * dv;
  const tol = new Float64Array(n * width);
  const g = gamma(m);
  for (let t = 0; t < h; t++) {
    const vBase = kvHeadOf(t, h, kvHeads) * dv;
    for (let i = 0; i < n; i++) {
      const row = (t * n + i) * m;
      for (let c = 0; c < dv; c++) {
        let bound = 0;
        for (let j = 0; j < m; j++) {
          const vj = Math.abs(v.data[j * v.cols + vBase + c]);
          const dp = probError ? probError[row + j] : 0;
          bound += dp * vj + g * (Math.abs(probs[row + j]) + dp) * vj;
        }
        tol[i * width + t * dv + c] = bound + FLUSH;
      }
    }
  }
  return tol;
}

export interface FusedToleranceOptions {
  /**
   * The most times a row's running max can have been raised (each raise rescales the partial sums
   * once). Default: the row's visible keys − 1, which holds for any tile size, one key per tile
   * included; a kernel with T-key tiles may pass ⌈m / T⌉ − 1 for a tighter bound.
   */
  maxRescales?: number;
  /** K/V heads, when fewer than the query heads (grouped-query attention). */
  kvHeads?: number;
  /** Sink logits, one per head: each joins the denominator as a key whose value is 0. */
  sinks?: ArrayLike<number> | null;
  /** Per-element error of V as the kernel read it (f16 storage: halfRoundingErrors of V's data). */
  vError?: ArrayLike<number> | null;
  /**
   * dk, for a kernel that multiplies Q by scale / temperature · log2 e before the dot product and
   * takes exp2 (the built-in one): its scores carry a little more than the stage-1 bound (see below).
   */
  dk?: number;
}

/**
 * Output bound for a one-pass online-softmax kernel ('fused'), per element of the n×(h·dv) output.
 * `masked` and `probs` are the float64 reference's masked scores and probabilities (h×n×m),
 * `scoreError` the stage-1 bound of each score (scoreTolerance).
 *
 * The kernel computes ô = (Σ_j ŵ_j v_j) / (Σ_j ŵ_j), dividing once. A key j first enters as
 * exp(ŝ_j − M_t), M_t the running max of its tile, and is then multiplied by one factor
 * exp(M_k − M_k+1) per later raise of the max. The exponents add up to M̂ − ŝ_j = |ẑ_j|, and
 * |ẑ_j| ≤ |z_j| + 2Δ (Δ the row's largest score bound). Each exp is accurate to (3 + 2|x|) ULP and its
 * argument is rounded, (7 + 5|x|)·u as in stage 2; each rescale also rounds one product. With R raises:
 *   ŵ_j = w_j(1 + η_j),  |η_j| ≤ expm1((7 + 5|ẑ_j| + 8R)·u)
 * The sums round each term at most m times (γ(m) for the denominator, γ(m + 1) for the numerator,
 * whose terms are products): a_j = (1 + η_j)(1 + γ(m + 1)) − 1, b_j = (1 + η_j)(1 + γ(m)) − 1.
 * With p'_j the softmax of the computed scores (|p'_j − p_j| ≤ p_j(e^{2Δ} − 1), p'_j ≤ p_j e^{2Δ})
 * and A = Σ_j p_j |v_j|:
 *   |ô − o| ≤ (e^{2Δ} − 1)·A                                   scores' own error
 *           + e^{2Δ}·(Σ_j p_j a_j |v_j| + e^{2Δ}·A·Σ_j p_j b_j) / (1 − max b)   exp, rescales, sums
 *           + 5u·e^{2Δ}·A·(1 + max a) / (1 − max b)             the final division (2.5 ULP in WGSL)
 *           + FLUSH·(1 + 2Σ_j |v_j|)                             exp results and products flushed to 0
 * The R term is what online softmax adds to the three-pass bound: about 8R·u·A. A row with no
 * visible key must be exactly 0 (tolerance FLUSH).
 *
 * exp2 units (the built-in kernel): the kernel computes t = (q ⊙ c)·k with c = fl(fl(scale/temperature)·log2 e)
 * and weights exp2(t − M). Rounding each q_d·c adds α·u·Σ|q_d k_d| ≤ Δ_j / dk to score j's error (Δ_j
 * holds α·γ(dk)·Σ|q_d k_d| ≥ α·dk·u·Σ|q_d k_d|), and c carries 4u instead of stage 1's 3u, u|s_j| more:
 * so Δ becomes max_j Δ_j (1 + 1/dk) + u|s_j|. exp2 is accurate to 3 + 2|x| ULP with |x| = log2 e·|ẑ|, and
 * rounding x costs u·|ẑ| more: (6 + 4 log2 e·|ẑ| + |ẑ|)·u ≤ (7 + 7|ẑ|)·u replaces (7 + 5|ẑ|)·u. (Both
 * are used whenever `dk` is given.)
 * Split-KV (key splits merged by the combine stage, and the decoding shape's merge of its invocations'
 * partial softmaxes) adds nothing: a key's weight gets one more factor exp2(M_s − M) per merge, but
 * that factor is exactly 1 unless another split (invocation) holds a larger max, i.e. another visible
 * key; so a key still meets at most visible − 1 non-trivial rescales (R above), and its weight at most
 * (keys of its split) + (splits) ≤ m additions (γ(m)).
 */
export function fusedOutputTolerance(
  masked: ArrayLike<number>,
  probs: Float64Array,
  scoreError: ArrayLike<number>,
  v: Matrix,
  h: number,
  n: number,
  options: FusedToleranceOptions = {},
): Float64Array {
  const kvHeads = options.kvHeads ?? h;
  const sinks = options.sinks ?? null;
  const vError = options.vError ?? null;
  const exp2Units = options.dk !== undefined;
  const scoreGrowth = exp2Units ? 1 + 1 / options.dk! : 1;
  const expSlope = exp2Units ? 7 : 5;
  const m = v.rows,
    dv = v.cols / kvHeads,
    width = h * dv;
  const tol = new Float64Array(n * width);
  const extra = sinks ? 1 : 0;
  const gSum = gamma(m + extra),
    gProduct = gamma(m + 1);
  const a = new Float64Array(m),
    b = new Float64Array(m);
  for (let t = 0; t < h; t++) {
    const vBase = kvHeadOf(t, h, kvHeads) * dv;
    const sink = sinks ? sinks[t] : -Infinity;
    for (let i = 0; i < n; i++) {
      const row = (t * n + i) * m;
      let max = sink,
        delta = 0,
        visible = extra;
      for (let j = 0; j < m; j++) {
        if (masked[row + j] === -Infinity) continue;
        visible++;
        max = Math.max(max, masked[row + j]);
        delta = Math.max(delta, scoreError[row + j] * scoreGrowth + (exp2Units ? UNIT_ROUNDOFF * Math.abs(masked[row + j]) : 0));
      }
      if (visible === 0) {
        tol.fill(FLUSH, i * width + t * dv, i * width + (t + 1) * dv);
        continue;
      }
      const rescales = Math.min(options.maxRescales ?? Infinity, visible - 1);
      const spread = Math.exp(2 * delta);
      let aMax = 0,
        bMax = 0,
        sumPb = 0,
        mass = 0;
      for (let j = 0; j < m; j++) {
        a[j] = b[j] = 0;
        if (!(probs[row + j] > 0)) continue;
        const eta = Math.expm1((7 + expSlope * (max - masked[row + j] + 2 * delta) + 8 * rescales) * UNIT_ROUNDOFF);
        a[j] = (1 + eta) * (1 + gProduct) - 1;
        b[j] = (1 + eta) * (1 + gSum) - 1;
        aMax = Math.max(aMax, a[j]);
        bMax = Math.max(bMax, b[j]);
        sumPb += probs[row + j] * b[j];
        mass += probs[row + j];
      }
      if (sinks) {
        // The sink: a term of the denominator only, with the rest of the row's mass.
        const eta = Math.expm1((7 + expSlope * (max - sink + 2 * delta) + 8 * rescales) * UNIT_ROUNDOFF);
        const bSink = (1 + eta) * (1 + gSum) - 1;
        bMax = Math.max(bMax, bSink);
        sumPb += Math.max(0, 1 - mass) * bSink;
      }
      const shrink = bMax < 1 ? 1 / (1 - bMax) : Infinity;
      for (let c = 0; c < dv; c++) {
        let weighted = 0,
          weightedA = 0,
          absV = 0,
          valueError = 0;
        for (let j = 0; j < m; j++) {
          const at = j * v.cols + vBase + c;
          const deltaV = vError ? vError[at] : 0;
          // The kernel's value is v + Δv: its magnitude enters the rounding terms, Δv itself the output.
          const vj = Math.abs(v.data[at]) + deltaV;
          weighted += probs[row + j] * vj;
          weightedA += probs[row + j] * a[j] * vj;
          valueError += probs[row + j] * deltaV;
          absV += vj;
        }
        tol[i * width + t * dv + c] =
          spread * valueError +
          (spread - 1) * weighted +
          spread * (weightedA + spread * weighted * sumPb) * shrink +
          5 * UNIT_ROUNDOFF * spread * weighted * (1 + aMax) * shrink +
          FLUSH * (1 + 2 * absV);
      }
    }
  }
  return tol;
}

/**
 * Bound per element of the n×d_model projection Y = O W_o, given the float64 O (n×K, K = h·dv), the
 * bound of the GPU's O and W_o: Σ_k τ_k|w_kc| + γ(K)·Σ_k (|o_k| + τ_k)|w_kc| + FLUSH.
 */
export function projectionTolerance(output: ArrayLike<number>, outputError: ArrayLike<number>, wo: Matrix, n: number): Float64Array {
  const inner = wo.rows,
    width = wo.cols;
  const tol = new Float64Array(n * width);
  const g = gamma(inner);
  for (let i = 0; i < n; i++) {
    for (let kk = 0; kk < inner; kk++) {
      const err = outputError[i * inner + kk];
      const mag = Math.abs(output[i * inner + kk]) + err;
      for (let c = 0; c < width; c++) {
        const w = Math.abs(wo.data[kk * width + c]);
        tol[i * width + c] += err * w + g * mag * w;
      }
    }
  }
  for (let idx = 0; idx < tol.length; idx++) tol[idx] += FLUSH;
  return tol;
}
