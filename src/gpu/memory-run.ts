/**
 * The key–value memory (src/core/memory.ts) on the GPU: each hop is one engine run with a single
 * query row (n = 1), the query update between hops on the CPU from the GPU's own o_t.
 *
 * Each hop is checked against the float64 reference of that hop computed from the query the GPU
 * ran with (q_t as the GPU had it, not the reference chain's), so a hop's bounds are those of one
 * attention call (src/core/compare-run.ts, tolerances derived in src/core/tolerance.ts) and errors
 * of earlier hops do not count against it. The chain's drift, GPU against the float64 chain from
 * q₁, is reported as the end-to-end difference: it has no bound of its own, since a softmax can
 * amplify a small change of q_t without limit.
 */
import type { AttentionEngine, RunOptions } from './engine';
import type { StageComparisons } from '../core/compare-run';
import { checkAgainstReference } from '../core/compare-run';
import type { MemoryHop, MemoryProblem } from '../core/memory';
import { checkMemory, memoryOptions, memoryReference, nextQuery } from '../core/memory';
import { matrix } from '../core/tensor';
import { InputError } from '../core/errors';

export interface GpuMemoryHop {
  /** The hop as the GPU computed it: its query, scores, weights, output, next query. */
  gpu: MemoryHop;
  /** GPU scores, weights and output against the float64 reference from the GPU's own q_t. */
  check: StageComparisons;
}

export interface GpuMemoryRun {
  hops: GpuMemoryHop[];
  /** Every hop passed its check. */
  pass: boolean;
  /** The float64 chain from q₁ (./memory.ts memoryReference). */
  reference: MemoryHop[];
  /** Largest |GPU − reference chain| over the final output o_h and the final weights p_h. */
  endToEnd: { output: number; weights: number };
}

/** How a memory run goes: the engine's variant and signal, and a call after each finished hop. */
export interface MemoryRunOptions extends Pick<RunOptions, 'variant' | 'signal'> {
  /** Called after hop `done` of `total` came back (the page's watchdog restarts its clock). */
  onHop?: (done: number, total: number) => void;
}

/** The variant memory mode runs by default: three-pass, so each hop's weights come back. */
export const MEMORY_VARIANT = 'naive';

/** Runs every hop on `engine` (MEMORY_VARIANT unless told otherwise). */
export async function runMemoryOnGpu(engine: AttentionEngine, problem: MemoryProblem, run: MemoryRunOptions = {}): Promise<GpuMemoryRun> {
  checkMemory(problem);
  const reference = memoryReference(problem);
  const options = memoryOptions(problem);
  const inputs = { k: problem.keys, v: problem.values };
  const hops: GpuMemoryHop[] = [];
  let q = Float32Array.from(problem.query.data);
  for (let t = 0; t < problem.hops; t++) {
    const query = matrix(1, q.length, q);
    const result = await engine.run({ ...inputs, q: query }, options, {
      variant: run.variant ?? MEMORY_VARIANT,
      intermediates: true,
      signal: run.signal,
    });
    const check = checkAgainstReference({ ...inputs, q: query }, options, { ...result, output: result.output.data });
    const output = Float64Array.from(result.output.data);
    // The weights need a three-pass variant; a fused run has none, and shows the reference's.
    const gpu: MemoryHop = {
      query: q,
      scores: result.scores ? Float64Array.from(result.scores) : check.reference.masked.data,
      weights: result.probs ? Float64Array.from(result.probs) : check.reference.probs.data,
      output,
      next: nextQuery(q, output, problem.update, problem.rotation),
    };
    hops.push({ gpu, check });
    q = Float32Array.from(gpu.next);
    if (!q.every(Number.isFinite)) throw new InputError(`the GPU's query after hop ${t + 1} overflows float32`);
    run.onHop?.(t + 1, problem.hops);
  }
  const last = hops[hops.length - 1].gpu,
    ref = reference[reference.length - 1];
  const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) =>
    Array.from(a).reduce((worst, x, i) => Math.max(worst, Math.abs(x - b[i])), 0);
  return {
    hops,
    pass: hops.every((h) => h.check.pass),
    reference,
    endToEnd: { output: maxDiff(last.output, ref.output), weights: maxDiff(last.weights, ref.weights) },
  };
}
