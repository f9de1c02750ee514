/**
 * The float64 CPU reference: the definition every GPU kernel is checked against.
 *
 * Per head t (columns t·dk…(t+1)·dk of Q and K, t·dv…(t+1)·dv of V):
 *   raw     S = Q Kᵀ
 *   scaled  S · scale / temperature
 *   masked  scaled where the key is visible, −∞ where it is not (causal and/or explicit mask)
 *   probs   P = row softmax of masked, computed as exp(s − max) / Σ exp(s − max)
 *   output  O = P V
 * The heads' outputs are concatenated along columns (n×(h·dv)); with W_o ((h·dv)×d_model) the
 * result is also projected: Y = O W_o (n×d_model).
 * A row whose keys are all masked has no distribution to normalise: its probabilities are all
 * zero and its output row is zero (never NaN). Inputs are float32; all arithmetic is float64.
 */
import type { Matrix, Matrix64 } from './tensor';
import { rowRange } from './tensor';
import type { AttentionInputs, AttentionShape } from './shapes';
import { checkInputs, maskBytes, resolveRows } from './shapes';
import type { AttentionOptions } from './options';
import { causalShift, isVisible, resolveScale, withDefaults } from './options';

/** h stacked n×m matrices, head-major: element (t, i, j) is data[(t·n + i)·m + j]. */
export interface HeadMatrices {
  readonly heads: number;
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export interface ReferenceResult {
  /** The whole problem's shape; the tensors below hold rows.end − rows.start query rows. */
  shape: AttentionShape;
  raw: HeadMatrices;
  scaled: HeadMatrices;
  masked: HeadMatrices;
  probs: HeadMatrices;
  output: Matrix64;
  /** O W_o when the inputs carry W_o, else null. */
  projected: Matrix64 | null;
  /** The query rows these results cover (all of them unless a range was asked for). */
  rows: [number, number];
}

export interface ScoreOptions {
  scale: number;
  temperature: number;
  causal: boolean;
  mask: Uint8Array | null;
  /** Global index of query row 0, for causal alignment when only a block of rows is computed. */
  rowOffset?: number;
  /** Total number of query rows the causal alignment refers to (defaults to this block's rows). */
  totalRows?: number;
}

function heads(h: number, n: number, m: number): HeadMatrices {
  return { heads: h, rows: n, cols: m, data: new Float64Array(h * n * m) };
}

/** Stage 1: raw, scaled and masked scores. */
export function scoresReference(q: Matrix, k: Matrix, h: number, opts: ScoreOptions) {
  const n = q.rows,
    m = k.rows,
    width = q.cols,
    dk = width / h;
  const raw = heads(h, n, m),
    scaled = heads(h, n, m),
    masked = heads(h, n, m);
  const shift = causalShift(opts.totalRows ?? n, m, opts.rowOffset ?? 0);
  for (let t = 0; t < h; t++) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let dot = 0;
        for (let d = t * dk; d < (t + 1) * dk; d++) dot += q.data[i * width + d] * k.data[j * width + d];
        const idx = (t * n + i) * m + j;
        raw.data[idx] = dot;
        scaled.data[idx] = (dot * opts.scale) / opts.temperature;
        masked.data[idx] = isVisible(i, j, shift, opts.causal, opts.mask, m) ? scaled.data[idx] : -Infinity;
      }
    }
  }
  return { raw, scaled, masked };
}

/** Stage 2: numerically stable row softmax; −∞ entries get probability 0, all-masked rows are all 0. */
export function softmaxReference(scores: ArrayLike<number>, h: number, n: number, m: number): HeadMatrices {
  const probs = heads(h, n, m);
  for (let r = 0; r < h * n; r++) {
    const base = r * m;
    let max = -Infinity;
    for (let j = 0; j < m; j++) max = Math.max(max, scores[base + j]);
    if (max === -Infinity) continue;
    let sum = 0;
    for (let j = 0; j < m; j++) sum += Math.exp(scores[base + j] - max);
    for (let j = 0; j < m; j++) probs.data[base + j] = Math.exp(scores[base + j] - max) / sum;
  }
  return probs;
}

/** Stage 3: O = P V per head, concatenated along columns (n×(h·dv)). */
export function weightedValuesReference(probs: ArrayLike<number>, v: Matrix, h: number, n: number): Matrix64 {
  const m = v.rows,
    width = v.cols,
    dv = width / h;
  const out = new Float64Array(n * width);
  for (let t = 0; t < h; t++) {
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < dv; c++) {
        let acc = 0;
        for (let j = 0; j < m; j++) acc += probs[(t * n + i) * m + j] * v.data[j * width + t * dv + c];
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
 * The whole operator with every intermediate. Throws InputError on bad shapes or non-finite input.
 * `rows` restricts it to query rows [start, end) against all keys, with the causal alignment of the
 * full problem: what a GPU run with the same `rows` computes, at (end − start)/n of the cost.
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
  const mask = maskBytes(inputs.mask ? rowRange(inputs.mask, start, end) : null);
  const { raw, scaled, masked } = scoresReference(rowRange(inputs.q, start, end), inputs.k, shape.heads, {
    scale: resolveScale(options.scale, shape.dk),
    temperature: options.temperature,
    causal: options.causal,
    mask,
    rowOffset: start,
    totalRows: shape.n,
  });
  const probs = softmaxReference(masked.data, shape.heads, n, shape.m);
  const output = weightedValuesReference(probs.data, inputs.v, shape.heads, n);
  const projected = inputs.wo ? projectionReference(output, inputs.wo) : null;
  return { shape, raw, scaled, masked, probs, output, projected, rows: [start, end] };
}
