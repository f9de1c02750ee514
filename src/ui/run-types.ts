/** What one run produces, as the coordinator hands it to the views. */
import type { StageComparisons } from '../core/check';
import type { ErrorMaps } from '../core/evaluate';
import type { Problem } from '../core/problem';
import type { ReferenceResult } from '../core/reference';

/** The GPU's float32 results (scores and probabilities only from variants that write them). */
export interface GpuValues {
  scores: Float32Array | null;
  probs: Float32Array | null;
  output: Float32Array;
}

export interface RunOutcome {
  /** Increases with every run; views can tell a new result from a re-render. */
  id: number;
  problem: Problem;
  reference: ReferenceResult;
  gpu: GpuValues | null;
  /** Why the GPU did not run or failed (null when it ran, or when there is no GPU at all). */
  gpuError: string | null;
  variant: string;
  check: Omit<StageComparisons, 'reference'> | null;
  errors: ErrorMaps | null;
  gpuMs: number | null;
  gpuTimings: Partial<Record<string, number>> | null;
  cpuMs: number;
}
