/**
 * The CPU side of one run: the float64 reference with every stage, and, when GPU results are
 * given, the per-stage comparison and |GPU − CPU| error maps. Pure, so the page runs it in a Web
 * Worker (a big input never freezes the page) and tests run it directly.
 */
import type { GpuStages, StageComparisons } from './compare-run';
import { checkAgainstReference } from './compare-run';
import type { AttentionOptions } from './options';
import type { ReferenceResult } from './reference';
import { attentionReference } from './reference';
import type { AttentionInputs } from './shapes';

export interface EvaluateRequest {
  inputs: AttentionInputs;
  options: AttentionOptions;
  gpu: GpuStages | null;
}

export interface ErrorMaps {
  /** |GPU − CPU| per element (0 where both are −∞, Infinity where only one is), null for a stage the GPU did not return. */
  scores: Float64Array | null;
  probs: Float64Array | null;
  output: Float64Array;
  /** The projected output O·W_o, when the inputs carry W_o. */
  projected: Float64Array | null;
}

export interface EvaluateResponse {
  reference: ReferenceResult;
  check: Omit<StageComparisons, 'reference'> | null;
  errors: ErrorMaps | null;
}

function absoluteErrors(actual: ArrayLike<number>, expected: ArrayLike<number>): Float64Array {
  const out = new Float64Array(expected.length);
  for (let i = 0; i < out.length; i++) {
    const a = actual[i],
      e = expected[i];
    out[i] = a === e ? 0 : Number.isNaN(a) || Number.isNaN(e) ? Infinity : Math.abs(a - e);
  }
  return out;
}

export function evaluate({ inputs, options, gpu }: EvaluateRequest): EvaluateResponse {
  const reference = attentionReference(inputs, options);
  if (!gpu) return { reference, check: null, errors: null };
  const { reference: _, ...check } = checkAgainstReference(inputs, options, gpu, reference);
  const errors: ErrorMaps = {
    scores: gpu.scores ? absoluteErrors(gpu.scores, reference.masked.data) : null,
    probs: gpu.probs ? absoluteErrors(gpu.probs, reference.probs.data) : null,
    output: absoluteErrors(gpu.output, reference.output.data),
    projected: gpu.projected && reference.projected ? absoluteErrors(gpu.projected.data, reference.projected.data) : null,
  };
  return { reference, check, errors };
}
