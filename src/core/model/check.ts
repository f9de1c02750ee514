/**
 * The checks of a model run on the playground's kernels:
 *
 * - every head of every layer against the float64 reference of that head's own inputs (the q, k, v
 *   the run computed), under the same derived bounds as any other run (../compare-run.ts): these
 *   are the proven checks, and the verdict badges of the model view;
 * - the logits against the float64 forward pass (./forward.ts). The error of a whole network is not
 *   bounded here in closed form; the tolerance is estimated instead, by running the forward pass
 *   once more as the playground does (float32 activations) with every layer's attention replaced by
 *   the reference plus its derived bound with random signs — the largest error a correct kernel is
 *   allowed, pushed through the rest of the network — and taking 4× that run's distance from the
 *   float64 logits. A broken kernel fails its head checks first; the logits check says whether the
 *   damage reaches the prediction.
 */
import type { AttentionInputs } from '../shapes';
import type { AttentionOptions } from '../options';
import type { Comparison } from '../metrics';
import type { Precision } from '../precision';
import { compare } from '../metrics';
import type { GpuStages } from '../compare-run';
import { checkAgainstReference, referenceBounds } from '../compare-run';
import { attentionReference } from '../reference';
import { kvHeadOf } from '../features';
import { columns } from '../tensor';
import { createRng } from '../rng';
import type { ModelWeights } from './config';
import type { AttentionCall } from './forward';
import { emptyCache, forward64, forwardStep } from './forward';

/** What the GPU returned for one layer's attention (all heads), as a whole run's GpuStages. */
export type LayerGpuStages = Omit<GpuStages, 'rows' | 'projected'>;

export interface HeadCheck {
  layer: number;
  head: number;
  /** The K/V head it reads (grouped-query attention). */
  kvHead: number;
  pass: boolean;
  output: Comparison;
  /** Null when the variant returns no probabilities (fused). */
  probs: Comparison | null;
  scores: Comparison | null;
  /** The float64 reference's probabilities of this head, n × m (what the grid draws when the GPU returned none). */
  referenceProbs: Float64Array;
}

/** One head's slice of a layer's inputs: its Q columns and its K/V head's columns, as a one-head problem. */
export function headInputs(call: Pick<AttentionCall, 'inputs' | 'options'>, head: number): AttentionInputs {
  const { inputs, options } = call;
  const dk = inputs.q.cols / options.heads;
  const g = kvHeadOf(head, options.heads, options.kvHeads ?? options.heads);
  return { q: columns(inputs.q, head * dk, dk), k: columns(inputs.k, g * dk, dk), v: columns(inputs.v, g * dk, dk) };
}

/** A layer's options for one of its heads alone. */
export function headOptions(options: AttentionOptions): AttentionOptions {
  return { ...options, heads: 1, kvHeads: null };
}

/** One head's slice of what the GPU returned for a layer (all heads), as a one-head run's stages. */
export function headGpuStages(
  call: Pick<AttentionCall, 'inputs' | 'options'>,
  gpu: LayerGpuStages,
  head: number,
): GpuStages & {
  output: Float32Array;
  scores: Float32Array | null;
  probs: Float32Array | null;
  rotated: { q: Float32Array; k: Float32Array } | null;
} {
  const { inputs, options } = call;
  const heads = options.heads;
  const kvHeads = options.kvHeads ?? heads;
  const n = inputs.q.rows;
  const m = inputs.k.rows;
  const dk = inputs.q.cols / heads;
  const g = kvHeadOf(head, heads, kvHeads);
  // Copy only this head's part: its n × m slab of a head-major tensor, its columns of a row-major one.
  const slab = (data: ArrayLike<number> | null | undefined) =>
    data ? Float32Array.from({ length: n * m }, (_, e) => data[head * n * m + e]) : null;
  const cols = (data: ArrayLike<number>, rows: number, width: number, start: number) =>
    Float32Array.from({ length: rows * dk }, (_, e) => data[Math.floor(e / dk) * width + start + (e % dk)]);
  return {
    scores: slab(gpu.scores),
    probs: slab(gpu.probs),
    output: cols(gpu.output, n, heads * dk, head * dk),
    projected: null,
    rotated: gpu.rotated ? { q: cols(gpu.rotated.q, n, heads * dk, head * dk), k: cols(gpu.rotated.k, m, kvHeads * dk, g * dk) } : null,
    onlineSoftmax: gpu.onlineSoftmax,
    fused: gpu.fused,
    precision: gpu.precision,
  };
}

/** Checks each head of one layer's GPU attention against the float64 reference of its own inputs. */
export function checkLayerHeads(call: AttentionCall, gpu: LayerGpuStages): HeadCheck[] {
  const { options } = call;
  const heads = options.heads;
  const kvHeads = options.kvHeads ?? heads;
  const checks: HeadCheck[] = [];
  for (let t = 0; t < heads; t++) {
    const g = kvHeadOf(t, heads, kvHeads);
    const single = headInputs(call, t);
    const stages = headGpuStages(call, gpu, t);
    const result = checkAgainstReference(single, headOptions(options), stages);
    checks.push({
      layer: call.layer,
      head: t,
      kvHead: g,
      pass: result.pass,
      output: result.output,
      probs: result.probs,
      scores: result.scores,
      referenceProbs: result.reference.probs.data,
    });
  }
  return checks;
}

export interface LogitsCheck {
  comparison: Comparison;
  /** The estimated tolerance (one bound for every logit). */
  tolerance: number;
  /** The float64 forward pass's logits. */
  reference: Float64Array;
  /** Whether the most likely next token is the same as float64's (or float64's top two are closer than the tolerance). */
  sameTop: boolean;
  pass: boolean;
}

/**
 * The playground's logits of the last token against the float64 forward pass over all the tokens
 * `ids` (a decode step's logits are checked against a fresh pass over the whole sequence), under
 * the estimated tolerance described at the top of this file. `onlineSoftmax`: the kernels' outputs
 * had a one-pass softmax's bound (fused). `precisions`: each layer's storage precision (the
 * RunResult's; f32 where absent): an f16-storage layer's bound includes the rounding of its Q, K and
 * V to halves, as its head checks' bounds do (../compare-run.ts).
 */
export async function checkLogits(
  weights: ModelWeights,
  ids: readonly number[],
  logits: ArrayLike<number>,
  options: { onlineSoftmax?: boolean; seed?: number; precisions?: readonly Precision[] } = {},
): Promise<LogitsCheck> {
  const reference = (await forward64(weights, ids)).logits;
  const rng = createRng(options.seed ?? 1);
  const perturbed = await forwardStep(
    weights,
    emptyCache(weights.config),
    ids,
    (call) => {
      const ref = attentionReference(call.inputs, call.options);
      const precision = options.precisions?.[call.layer] ?? 'f32';
      const { outTol } = referenceBounds(call.inputs, call.options, ref, options.onlineSoftmax ?? false, {}, precision);
      return ref.output.data.map((value, i) => value + (rng.next() < 0.5 ? -1 : 1) * outTol[i]);
    },
    { float32: true },
  );
  let spread = 0;
  for (let i = 0; i < reference.length; i++) spread = Math.max(spread, Math.abs(perturbed.logits[i] - reference[i]));
  let largest = 0;
  for (const value of reference) largest = Math.max(largest, Math.abs(value));
  const tolerance = 4 * spread + 2 ** -20 * largest;
  const comparison = compare(logits, reference, tolerance, [1, 1, reference.length]);
  const sameTop = agreeOnTop(logits, reference, tolerance);
  // Loaded weights are finite (checkModelWeights), but a forward pass can still overflow: NaN
  // logits on both sides would compare equal, and prove nothing.
  const finite = reference.every(Number.isFinite) && Number.isFinite(tolerance);
  return { comparison, tolerance, reference, sameTop, pass: comparison.pass && sameTop && finite };
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function agreeOnTop(logits: ArrayLike<number>, reference: Float64Array, tolerance: number): boolean {
  const mine = argmax(logits);
  const theirs = argmax(reference);
  return mine === theirs || reference[theirs] - reference[mine] <= 2 * tolerance;
}
