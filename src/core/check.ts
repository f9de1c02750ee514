/** GPU results against the float64 reference, stage by stage, under the derived tolerances. */
import type { AttentionInputs } from './shapes';
import type { AttentionOptions } from './options';
import { resolveScale, withDefaults } from './options';
import type { Comparison } from './metrics';
import { compare } from './metrics';
import type { ReferenceResult } from './reference';
import { attentionReference } from './reference';
import { outputTolerance, scoreTolerance, softmaxTolerance } from './tolerance';

export interface GpuStages {
  scores: ArrayLike<number> | null;
  probs: ArrayLike<number> | null;
  output: ArrayLike<number>;
}

export interface StageComparisons {
  reference: ReferenceResult;
  scores: Comparison | null;
  probs: Comparison | null;
  output: Comparison;
  pass: boolean;
}

/**
 * End-to-end comparison: every GPU stage against the reference computed from the original inputs,
 * with the bounds propagated through the stages before it (src/core/tolerance.ts).
 */
export function checkAgainstReference(inputs: AttentionInputs, partial: Partial<AttentionOptions>, gpu: GpuStages, reference?: ReferenceResult): StageComparisons {
  const options = withDefaults(partial);
  const ref = reference ?? attentionReference(inputs, options);
  const { n, m, heads, dk } = ref.shape;
  const alpha = resolveScale(options.scale, dk) / options.temperature;
  const scoreTol = scoreTolerance(inputs.q, inputs.k, heads, alpha, ref.masked.data);
  const probTol = softmaxTolerance(ref.masked.data, ref.probs.data, heads * n, m, scoreTol);
  const outTol = outputTolerance(ref.probs.data, probTol, inputs.v, heads, n);
  const dims: [number, number, number] = [heads, n, m];
  const scores = gpu.scores ? compare(gpu.scores, ref.masked.data, scoreTol, dims) : null;
  const probs = gpu.probs ? compare(gpu.probs, ref.probs.data, probTol, dims) : null;
  const output = compare(gpu.output, ref.output.data, outTol, [1, n, ref.output.cols]);
  return { reference: ref, scores, probs, output, pass: output.pass && (scores?.pass ?? true) && (probs?.pass ?? true) };
}
