/**
 * How many query rows a workgroup of the fused kernel's prefill shape owns: the kernel's WG, one
 * invocation a row, 64 as written; the engine can build it with 128 (src/gpu/prefill-rows.ts).
 * Decided here once for the engine, the terminal and the page.
 *
 * Measured (BENCHMARKS.md, issue 12's sixteenth session): on an H200 the kernel with 128 rows a
 * workgroup (the portable prefill, `.gpu-kit/fa_wg128.wgsl`) ran N = 8192, 8 heads, dk = 64 at 1.15×
 * the 64-row kernel's speed and N = 4096 at 1.06× (each with the key splits the engine chose for
 * it): every key tile staged in workgroup memory serves twice the rows, for the same tile and
 * barriers. On SwiftShader (2 cores) it was within noise (N = 256: 1.15×, p10–p90 0.77–1.18;
 * N = 512: 0.91×, 0.81–1.05), so 'auto' takes 128 on a GPU and keeps 64 on a CPU emulator.
 * The decoding shape (n ≤ DECODE_MAX_ROWS: one row a workgroup, its 64 invocations on keys) keeps
 * 64 everywhere: it was not measured with 128.
 */

/** The rows a workgroup of the prefill shape can own. */
export type PrefillRows = 64 | 128;
/** The kernel as written. */
export const DEFAULT_PREFILL_ROWS: PrefillRows = 64;
/** Where measured faster (a GPU). */
export const WIDE_PREFILL_ROWS: PrefillRows = 128;

/** A prefill with other than the kernel's own 64 rows a workgroup (1 is the decoding shape). */
export function widePrefill(rowsPerWorkgroup: number | null | undefined): rowsPerWorkgroup is number {
  return rowsPerWorkgroup !== undefined && rowsPerWorkgroup !== null && rowsPerWorkgroup > DEFAULT_PREFILL_ROWS;
}

/** What decides the rows of a run. */
export interface PrefillRowsContext {
  /** Only the fused kernel has the shape. */
  variant: string;
  /** The fused kernel is the user's: it runs with its own WG. */
  customKernel: boolean;
  /** The adapter is a CPU emulator (SwiftShader, llvmpipe…). */
  cpuEmulator: boolean;
  /** The run takes the decoding shape (n ≤ DECODE_MAX_ROWS), not the prefill's. */
  decode: boolean;
}

export interface PrefillRowsDecision {
  /** Rows a workgroup of the prefill shape owns (the kernel's WG); 64 where the shape does not run. */
  rows: PrefillRows;
  /** Why, in words (shown where it is not the kernel as written). */
  reason: string;
}

/** The prefill's rows a workgroup: `forced` when given (and the shape runs), else by the device. */
export function choosePrefillRows(forced: PrefillRows | undefined, context: PrefillRowsContext): PrefillRowsDecision {
  const as = (rows: PrefillRows, reason: string): PrefillRowsDecision => ({ rows, reason });
  if (context.variant !== 'fused')
    return as(DEFAULT_PREFILL_ROWS, `only the fused kernel has the prefill shape (this run uses ${context.variant})`);
  if (context.customKernel) return as(DEFAULT_PREFILL_ROWS, 'the fused kernel is your own and runs with its own workgroup size');
  if (context.decode) return as(DEFAULT_PREFILL_ROWS, 'the decoding shape: one query row a workgroup');
  if (forced !== undefined) return as(forced, 'asked for');
  return context.cpuEmulator
    ? as(DEFAULT_PREFILL_ROWS, 'on a CPU emulator, where 128 rows measured within noise of 64')
    : as(WIDE_PREFILL_ROWS, 'a GPU: each staged key tile serves twice the rows (measured faster on an H200)');
}
