/** What one run produces, as the coordinator hands it to the views. */
import type { Precision } from '../core/precision';
import type { StageComparisons } from '../core/compare-run';
import type { ErrorMaps } from '../core/evaluate';
import type { Problem } from '../core/problem';
import type { ReferenceResult } from '../core/reference';

/** The GPU's float32 results (scores and probabilities only from variants that write them). */
export interface GpuValues {
  /** Q and K after the GPU's RoPE stage (n×(h·dk), m×(kvHeads·dk)), when RoPE is on; else null. */
  rotated?: { q: Float32Array; k: Float32Array } | null;
  scores: Float32Array | null;
  probs: Float32Array | null;
  output: Float32Array;
  /** output · W_o, when the problem has an output projection. */
  projected: Float32Array | null;
  /** True when the output came from a one-pass online softmax (fused): it gets that tolerance. */
  onlineSoftmax?: boolean;
  /** 'f16' when the kernel read Q, K and V as halves: the check adds their rounding. */
  precision?: Precision;
}

export interface RunOutcome {
  /** Increases with every run; views can tell a new result from a re-render. */
  id: number;
  /**
   * What the reference, the comparison and the views cover: the whole problem, or for a big one
   * its sampled query rows (problem.sample says which).
   */
  problem: Problem;
  /** The whole problem (the same object as `problem` unless rows were sampled). */
  full: Problem;
  /** A sampled run's whole GPU output, n×(h·dv) (its sampled rows are in gpu.output); else null. */
  fullOutput: Float32Array | null;
  /** …and its whole projected output, n×d_model, with W_o. */
  fullProjected: Float32Array | null;
  reference: ReferenceResult;
  gpu: GpuValues | null;
  /** Why the GPU did not run or failed (null when it ran, or when there is no GPU at all). */
  gpuError: string | null;
  variant: string;
  check: Omit<StageComparisons, 'reference'> | null;
  errors: ErrorMaps | null;
  gpuMs: number | null;
  /** How the fused kernel ran (key splits, subgroup form or not, and why), for the timing line; absent otherwise. */
  gpuForm?: string;
  gpuTimings: Partial<Record<string, number>> | null;
  cpuMs: number;
}
