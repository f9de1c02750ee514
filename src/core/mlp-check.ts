/**
 * The MLP mode's check: the GPU's attention-form output against the MLP form y = W₂·φ(W₁x) computed
 * in float64, under the derived bound of the attention form's output (./compare-run.ts): the float64
 * attention form equals the MLP form up to float64 rounding (the same sum, in another order), far
 * below the float32 bound, so "equal within tolerance" means the two forms agree.
 */
import type { GpuStages, StageComparisons } from './compare-run';
import { checkAgainstReference, referenceBounds } from './compare-run';
import type { Comparison } from './metrics';
import { compare } from './metrics';
import { withDefaults } from './options';
import type { Matrix64 } from './tensor';
import type { MlpActivation, MlpWeights } from './mlp';
import { mlpAsAttention, mlpAttentionOptions, mlpReference } from './mlp';

export interface MlpFormsCheck {
  /** y = W₂·φ(W₁x), float64. */
  mlp: Matrix64;
  /** The GPU's attention form against its own float64 reference, stage by stage. */
  attention: StageComparisons;
  /** The GPU's attention form against the MLP form, under the attention output's bound. */
  forms: Comparison;
  /** The largest |float64 attention form − MLP form|: rounding only, unless the softmax is back. */
  float64Gap: number;
}

/** Checks the GPU's run of the attention form (with φ, or with the softmax put back) against the MLP form. */
export function checkMlpForms(weights: MlpWeights, activation: MlpActivation, gpu: GpuStages, softmax = false): MlpFormsCheck {
  const inputs = mlpAsAttention(weights);
  const options = withDefaults(mlpAttentionOptions(activation, softmax));
  const mlp = mlpReference(weights, activation);
  const attention = checkAgainstReference(inputs, options, gpu);
  const { outTol } = referenceBounds(inputs, options, attention.reference, false);
  const forms = compare(gpu.output, mlp.data, outTol, [1, mlp.rows, mlp.cols]);
  let float64Gap = 0;
  attention.reference.output.data.forEach((o, i) => (float64Gap = Math.max(float64Gap, Math.abs(o - mlp.data[i]))));
  return { mlp, attention, forms, float64Gap };
}
