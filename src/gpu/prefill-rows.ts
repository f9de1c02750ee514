/**
 * The fused kernel with another number of query rows a workgroup in its prefill shape
 * (src/core/prefill-rows.ts): its workgroup size WG, one invocation a row, swapped in its source as
 * the subgroup form and f16 storage are (./subgroups.ts, ./half-storage.ts). Everything else in the
 * kernel — the subgroup form's entry point included — follows WG, and the engine reads the rows
 * back from the pipeline's reflected workgroup size (fusedRowsPerWorkgroup).
 */
import type { PrefillRows } from '../core/prefill-rows';
import { DEFAULT_PREFILL_ROWS } from '../core/prefill-rows';

/** The line of shaders/flash_attention.wgsl that sets the workgroup size. */
export const WG_LINE = `const WG: u32 = ${DEFAULT_PREFILL_ROWS}u;`;

/** The kernel with `rows` invocations (query rows) a workgroup; throws when it has no WG line. */
export function prefillRowsSource(source: string, rows: PrefillRows): string {
  if (rows === DEFAULT_PREFILL_ROWS) return source;
  if (!source.includes(WG_LINE)) throw new Error(`this kernel has no line "${WG_LINE}", so its rows a workgroup cannot change`);
  return source.replace(WG_LINE, `const WG: u32 = ${rows}u;`);
}
