/**
 * The float64 CPU reference: the definition every GPU kernel is checked against.
 *
 * Per query head t (columns t·dk…(t+1)·dk of Q), reading K/V head g = ⌊t / (h / kvHeads)⌋ (columns
 * g·dk… of K, g·dv… of V; g = t without grouped-query attention):
 *   rotated  q, k rotated by RoPE (when on): pair (a, b) of each head ← (a cos φ − b sin φ, a sin φ + b cos φ),
 *            φ = position · base^(−2p/r), query i at offset + i + (m − n), key j at offset + j
 *   raw      S = Q Kᵀ (score 'dot'); qᵢᵀ W kⱼ ('general') or vᵀ tanh(W_q qᵢ + W_k kⱼ) ('additive'),
 *            with the weights shared by every head (./scoring.ts); Q's width per head dq may then differ from dk
 *   scaled   S · scale / temperature
 *   capped   c · tanh(scaled / c) with a logit softcap c (else scaled)
 *   bias     −slope_t · (i + shift − j) with ALiBi (else 0)
 *   masked   capped + bias where the key is visible, −∞ where it is not (causal, window, mask)
 *   probs    P = row softmax of masked, exp(s − M) / Σ exp(s − M); with a sink logit σ_t the
 *            denominator gains exp(σ_t − M) and M = max(σ_t, max s). With an elementwise activation
 *            (options.activation 'relu' | 'gelu', ./activation.ts) P = φ(masked) instead, each entry
 *            on its own, −∞ → 0, no normalisation (sinks are refused then: they live in the denominator)
 *   output   O = P V
 * The heads' outputs are concatenated along columns (n×(h·dv)); with W_o ((h·dv)×d_model) the
 * result is also projected: Y = O W_o (n×d_model).
 * A row whose keys are all masked has no distribution to normalise: its probabilities are all
 * zero and its output row is zero (never NaN); with a sink, the sink takes all of its mass.
 * Inputs are float32, and so are the per-head slopes and sinks and the softcap (the GPU gets the
 * same values); all arithmetic is float64.
 */
import type { FloatArray, Matrix, Matrix64 } from './tensor';
import { rowRange } from './tensor';
import type { AttentionInputs, AttentionShape, ScoringWeights } from './shapes';
import { learnedScores } from './scoring';
import { checkInputs, maskBytes, resolveRows } from './shapes';
import type { AttentionOptions, RopeOptions } from './options';
import { causalShift, isVisible, resolveScale, withDefaults } from './options';
import { activationReference } from './activation';
import { kvHeadOf, queryPosition, resolveAlibiSlopes, resolveSinks, ropeDims, ropeFrequencies, ropePair, softcapped } from './features';

/** h stacked n×m matrices, head-major: element (t, i, j) is data[(t·n + i)·m + j]. */
export interface HeadMatrices {
  readonly heads: number;
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** Q and K after the rotary embedding: n×(h·dk) and m×(kvHeads·dk). */
export interface RotatedQK {
  q: Matrix64;
  k: Matrix64;
}

export interface ReferenceResult {
  /** The whole problem's shape; the tensors below hold rows.end − rows.start query rows. */
  shape: AttentionShape;
  /** Q and K after RoPE; null without RoPE. */
  rotated: RotatedQK | null;
  raw: HeadMatrices;
  scaled: HeadMatrices;
  /** After the logit softcap; null without one. */
  capped: HeadMatrices | null;
  /** The ALiBi bias added to each score; null without ALiBi. */
  bias: HeadMatrices | null;
  masked: HeadMatrices;
  probs: HeadMatrices;
  /** The sink's share of each row's mass (h×rows, head-major); null without sinks. */
  sinkShare: Float64Array | null;
  output: Matrix64;
  /** O W_o when the inputs carry W_o, else null. */
  projected: Matrix64 | null;
  /** The query rows these results cover (all of them unless a range was asked for). */
  rows: [number, number];
}

/** How query heads map onto K/V heads: h query heads, kvHeads K/V heads (kvHeads divides h). */
export interface HeadLayout {
  heads: number;
  kvHeads: number;
}

export interface ScoreOptions {
  scale: number;
  temperature: number;
  causal: boolean;
  mask: Uint8Array | null;
  /** Sliding window w, or null. */
  window?: number | null;
  /** Logit softcap c, or null. */
  softcap?: number | null;
  /** One ALiBi slope per query head, or null. */
  slopes?: ArrayLike<number> | null;
  /** Global index of query row 0, for causal alignment when only a block of rows is computed. */
  rowOffset?: number;
  /** Total number of query rows the causal alignment refers to (defaults to this block's rows). */
  totalRows?: number;
  /** The general or additive score's weights (./scoring.ts); null/absent: the dot product. */
  scoring?: ScoringWeights | null;
}

function headMatrices(h: number, n: number, m: number): HeadMatrices {
  return { heads: h, rows: n, cols: m, data: new Float64Array(h * n * m) };
}

/**
 * RoPE of one matrix of `heads` heads of dk columns: row i sits at position(i). Dimensions past the
 * rotated r pass through unchanged.
 */
export function ropeReference(x: Matrix<FloatArray>, heads: number, rope: RopeOptions, position: (row: number) => number): Matrix64 {
  const dk = x.cols / heads;
  const r = ropeDims(rope, dk);
  const theta = ropeFrequencies(Math.fround(rope.base), r);
  const out = Float64Array.from(x.data);
  for (let i = 0; i < x.rows; i++) {
    const pos = position(i);
    for (let t = 0; t < heads; t++) {
      const base = i * x.cols + t * dk;
      for (let p = 0; p < r / 2; p++) {
        const [a, b] = ropePair(rope.layout, p, r);
        const angle = pos * theta[p];
        const cos = Math.cos(angle),
          sin = Math.sin(angle);
        const xa = x.data[base + a],
          xb = x.data[base + b];
        out[base + a] = xa * cos - xb * sin;
        out[base + b] = xa * sin + xb * cos;
      }
    }
  }
  return { rows: x.rows, cols: x.cols, data: out };
}

/** Positions RoPE gives query rows (block-local i, with the shift of row 0) and keys. */
export function ropePositions(rope: RopeOptions, shift: number): { query: (i: number) => number; key: (j: number) => number } {
  return { query: (i) => queryPosition(rope.offset, i, shift), key: (j) => rope.offset + j };
}

/**
 * Stage 1: raw, scaled, capped, bias and masked scores (q: n×(h·dq), k: m×(kvHeads·dk); dq = dk
 * unless opts.scoring holds general or additive weights).
 */
export function scoresReference(q: Matrix<FloatArray>, k: Matrix<FloatArray>, layout: HeadLayout | number, opts: ScoreOptions) {
  const { heads: h, kvHeads } = typeof layout === 'number' ? { heads: layout, kvHeads: layout } : layout;
  const n = q.rows,
    m = k.rows,
    dq = q.cols / h,
    dk = k.cols / kvHeads;
  const scoring = opts.scoring ?? null;
  const softcap = opts.softcap ?? null,
    slopes = opts.slopes ?? null;
  const raw = headMatrices(h, n, m),
    scaled = headMatrices(h, n, m),
    masked = headMatrices(h, n, m);
  const capped = softcap === null ? null : headMatrices(h, n, m);
  const bias = slopes === null ? null : headMatrices(h, n, m);
  const shift = causalShift(opts.totalRows ?? n, m, opts.rowOffset ?? 0);
  const rule = { causal: opts.causal, window: opts.window ?? null, mask: opts.mask, m, shift };
  for (let t = 0; t < h; t++) {
    const qBase = t * dq,
      kBase = kvHeadOf(t, h, kvHeads) * dk;
    const learned = scoring ? learnedScores(scoring, q, k, qBase, kBase, dq, dk) : null;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let dot = 0;
        if (learned) dot = learned(i, j);
        else for (let d = 0; d < dk; d++) dot += q.data[i * q.cols + qBase + d] * k.data[j * k.cols + kBase + d];
        const idx = (t * n + i) * m + j;
        raw.data[idx] = dot;
        let s = (dot * opts.scale) / opts.temperature;
        scaled.data[idx] = s;
        if (capped && softcap !== null) s = capped.data[idx] = softcapped(s, softcap);
        if (bias && slopes) {
          bias.data[idx] = -slopes[t] * (i + shift - j);
          s += bias.data[idx];
        }
        masked.data[idx] = isVisible(i, j, rule) ? s : -Infinity;
      }
    }
  }
  return { raw, scaled, capped, bias, masked };
}

/**
 * Stage 2: numerically stable row softmax; −∞ entries get probability 0, all-masked rows are all 0.
 * With sinks (one logit per head), each row's denominator also holds exp(sink − M).
 */
export function softmaxReference(
  scores: ArrayLike<number>,
  h: number,
  n: number,
  m: number,
  sinks: ArrayLike<number> | null = null,
): HeadMatrices {
  return softmaxWithSinks(scores, h, n, m, sinks).probs;
}

/**
 * The softmax and, with sinks, the share of each row's mass the sink takes (h×n; 1 for a row that
 * sees no key), from the one pass over each row.
 */
function softmaxWithSinks(scores: ArrayLike<number>, h: number, n: number, m: number, sinks: ArrayLike<number> | null) {
  const probs = headMatrices(h, n, m);
  const sinkShare = sinks ? new Float64Array(h * n) : null;
  for (let r = 0; r < h * n; r++) {
    const base = r * m;
    const sink = sinks ? sinks[Math.floor(r / n)] : -Infinity;
    let max = sink;
    for (let j = 0; j < m; j++) max = Math.max(max, scores[base + j]);
    if (max === -Infinity) continue;
    const own = sink === -Infinity ? 0 : Math.exp(sink - max);
    let sum = own;
    for (let j = 0; j < m; j++) sum += Math.exp(scores[base + j] - max);
    for (let j = 0; j < m; j++) probs.data[base + j] = Math.exp(scores[base + j] - max) / sum;
    if (sinkShare) sinkShare[r] = own / sum;
  }
  return { probs, sinkShare };
}

/** Stage 3: O = P V per head, concatenated along columns (n×(h·dv)); query head t reads V head ⌊t / (h / kvHeads)⌋. */
export function weightedValuesReference(probs: ArrayLike<number>, v: Matrix, h: number, n: number, kvHeads = h): Matrix64 {
  const m = v.rows,
    dv = v.cols / kvHeads,
    width = h * dv;
  const out = new Float64Array(n * width);
  for (let t = 0; t < h; t++) {
    const vBase = kvHeadOf(t, h, kvHeads) * dv;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < dv; c++) {
        let acc = 0;
        for (let j = 0; j < m; j++) acc += probs[(t * n + i) * m + j] * v.data[j * v.cols + vBase + c];
        out[i * width + t * dv + c] = acc;
      }
    }
  }
  return { rows: n, cols: width, data: out };
}

/** Optional stage 4: Y = O W_o, O being the n×(h·dv) concatenated heads. */
export function projectionReference(output: Matrix<Float64Array | Float32Array>, wo: Matrix): Matrix64 {
  const n = output.rows,
    inner = output.cols,
    width = wo.cols;
  if (wo.rows !== inner) throw new RangeError(`W_o has ${wo.rows} rows, the output has ${inner} columns`);
  const out = new Float64Array(n * width);
  for (let i = 0; i < n; i++) {
    for (let kk = 0; kk < inner; kk++) {
      const o = output.data[i * inner + kk];
      for (let c = 0; c < width; c++) out[i * width + c] += o * wo.data[kk * width + c];
    }
  }
  return { rows: n, cols: width, data: out };
}

/**
 * The whole operator with every intermediate. Throws InputError on bad shapes, options or
 * non-finite input. `rows` restricts it to query rows [start, end) against all keys, with the
 * causal alignment of the full problem: what a GPU run with the same `rows` computes, at
 * (end − start)/n of the cost.
 */
export function attentionReference(
  inputs: AttentionInputs,
  partial: Partial<AttentionOptions> = {},
  rows?: [number, number],
): ReferenceResult {
  const options = withDefaults(partial);
  const shape = checkInputs(inputs, options);
  const [start, end] = resolveRows(rows, shape.n);
  const n = end - start;
  const layout = { heads: shape.heads, kvHeads: shape.kvHeads };
  const mask = maskBytes(inputs.mask ? rowRange(inputs.mask, start, end) : null);
  const shift = causalShift(shape.n, shape.m, start);
  let q: Matrix<FloatArray> = rowRange(inputs.q, start, end),
    k: Matrix<FloatArray> = inputs.k;
  let rotated: RotatedQK | null = null;
  if (options.rope) {
    const positions = ropePositions(options.rope, shift);
    rotated = {
      q: ropeReference(q, shape.heads, options.rope, positions.query),
      k: ropeReference(k, shape.kvHeads, options.rope, positions.key),
    };
    ({ q, k } = rotated);
  }
  const softcap = options.softcap === null ? null : Math.fround(options.softcap);
  const { raw, scaled, capped, bias, masked } = scoresReference(q, k, layout, {
    scale: resolveScale(options.scale, shape.dk),
    temperature: options.temperature,
    causal: options.causal,
    window: options.window,
    softcap,
    slopes: resolveAlibiSlopes(options),
    mask,
    rowOffset: start,
    totalRows: shape.n,
    scoring: options.score === 'dot' ? null : (inputs.scoring ?? null),
  });
  const { probs, sinkShare } =
    options.activation === 'softmax'
      ? softmaxWithSinks(masked.data, shape.heads, n, shape.m, resolveSinks(options))
      : {
          probs: { heads: shape.heads, rows: n, cols: shape.m, data: activationReference(masked.data, options.activation) },
          sinkShare: null,
        };
  const output = weightedValuesReference(probs.data, inputs.v, shape.heads, n, shape.kvHeads);
  const projected = inputs.wo ? projectionReference(output, inputs.wo) : null;
  return { shape, rotated, raw, scaled, capped, bias, masked, probs, sinkShare, output, projected, rows: [start, end] };
}
