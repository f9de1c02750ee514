/**
 * A whole run's GPU results against the float64 reference computed from the original inputs, every
 * stage under tolerances propagated through the stages before it. (The verifier's single-stage
 * check, which starts from the stage's own GPU input, is ./verify/check-stage.ts.)
 */
import type { AttentionInputs } from './shapes';
import type { AttentionOptions } from './options';
import { resolveScale, withDefaults } from './options';
import type { Comparison } from './metrics';
import { compare } from './metrics';
import type { ReferenceResult } from './reference';
import { attentionReference } from './reference';
import { resolveRows } from './shapes';
import { rowRange } from './tensor';
import type { FusedToleranceOptions } from './tolerance';
import { fusedOutputTolerance, outputTolerance, projectionTolerance, scoreTolerance, softmaxTolerance } from './tolerance';

export interface GpuStages {
  scores: ArrayLike<number> | null;
  probs: ArrayLike<number> | null;
  output: ArrayLike<number>;
  /** The projected output (rows × d_model) when the inputs carry W_o. */
  projected?: { readonly data: ArrayLike<number> } | null;
  /** The query rows the results cover, [start, end); all rows when absent. */
  rows?: [number, number];
  /**
   * True when the output came from a one-pass online softmax (the 'fused' variant): its
   * rescaling adds error, so the output is held to fusedOutputTolerance instead of stages 2–3.
   */
  onlineSoftmax?: boolean;
  /** Passed to fusedOutputTolerance for online-softmax outputs. */
  fused?: FusedToleranceOptions;
}

export interface StageComparisons {
  reference: ReferenceResult;
  scores: Comparison | null;
  probs: Comparison | null;
  output: Comparison;
  /** null when there is no W_o (or the GPU result has no projection to compare). */
  projected: Comparison | null;
  pass: boolean;
}

/**
 * End-to-end comparison: every GPU stage against the reference computed from the original inputs,
 * with the bounds propagated through the stages before it (src/core/tolerance.ts). A `reference`
 * passed in must cover the same rows as the GPU result.
 */
export function checkAgainstReference(
  inputs: AttentionInputs,
  partial: Partial<AttentionOptions>,
  gpu: GpuStages,
  reference?: ReferenceResult,
): StageComparisons {
  const options = withDefaults(partial);
  const rows = resolveRows(gpu.rows, inputs.q.rows);
  const ref = reference ?? attentionReference(inputs, options, rows);
  const { m, heads, dk } = ref.shape;
  const n = rows[1] - rows[0];
  const q = rowRange(inputs.q, rows[0], rows[1]);
  const alpha = resolveScale(options.scale, dk) / options.temperature;
  const scoreTol = scoreTolerance(q, inputs.k, heads, alpha, ref.masked.data);
  let outTol: Float64Array;
  let probTol: Float64Array | null = null;
  if (gpu.onlineSoftmax) {
    outTol = fusedOutputTolerance(ref.masked.data, ref.probs.data, scoreTol, inputs.v, heads, n, gpu.fused);
  } else {
    probTol = softmaxTolerance(ref.masked.data, ref.probs.data, heads * n, m, scoreTol);
    outTol = outputTolerance(ref.probs.data, probTol, inputs.v, heads, n);
  }
  const dims: [number, number, number] = [heads, n, m];
  const scores = gpu.scores ? compare(gpu.scores, ref.masked.data, scoreTol, dims) : null;
  const probs = gpu.probs && probTol ? compare(gpu.probs, ref.probs.data, probTol, dims) : null;
  const output = compare(gpu.output, ref.output.data, outTol, [1, n, ref.output.cols]);
  let projected: Comparison | null = null;
  if (inputs.wo && ref.projected && gpu.projected) {
    const tol = projectionTolerance(ref.output.data, outTol, inputs.wo, n);
    projected = compare(gpu.projected.data, ref.projected.data, tol, [1, n, ref.projected.cols]);
  }
  const pass = output.pass && (scores?.pass ?? true) && (probs?.pass ?? true) && (projected?.pass ?? true);
  return { reference: ref, scores, probs, output, projected, pass };
}
