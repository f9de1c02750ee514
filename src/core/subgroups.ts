/**
 * Subgroups for the fused kernel: whether a run uses them, decided here once for the engine, the
 * terminal and the page. With them, the decoding shape (few query rows, 64 invocations on distinct
 * keys of one row) merges its 64 lanes' partial softmaxes first within each subgroup, in registers
 * (subgroupMax, subgroupAdd), and then across the few subgroups in workgroup memory, instead of
 * three serial loops over 64 lanes (shaders/subgroups/fused.wgsl).
 *
 * That merge numbers the subgroups as runs of consecutive lanes (subgroup s = lanes s·size …
 * s·size + size − 1). WGSL does not promise that layout, so the engine checks it once per device
 * with a probe kernel (src/gpu/subgroups.ts) and uses subgroups only where it holds.
 */

/** What a user asks for: subgroups wherever the device and the run allow them, or never. */
export type SubgroupChoice = 'auto' | 'off';
export const SUBGROUP_CHOICES: readonly SubgroupChoice[] = ['auto', 'off'];

export function isSubgroupChoice(value: unknown): value is SubgroupChoice {
  return typeof value === 'string' && (SUBGROUP_CHOICES as readonly string[]).includes(value);
}

/** What the probe kernel saw: each invocation's subgroup size and its index within its subgroup. */
export interface SubgroupLayout {
  /** The distinct subgroup sizes the invocations reported, ascending. */
  sizes: number[];
  /** Every invocation i of the workgroup reported index i mod size, with one size for all. */
  consecutive: boolean;
  /** Why the probe could not run (then nothing was seen and subgroups are not used). */
  error?: string;
}

/**
 * The layout from the probe's words: invocation i wrote its subgroup size at 2i and its
 * subgroup_invocation_id at 2i + 1.
 */
export function readSubgroupLayout(words: Uint32Array, invocations: number): SubgroupLayout {
  if (words.length < 2 * invocations) throw new RangeError(`the probe wrote ${words.length} words for ${invocations} invocations`);
  const sizes = new Set<number>();
  let consecutive = true;
  for (let lane = 0; lane < invocations; lane++) {
    const size = words[2 * lane];
    const id = words[2 * lane + 1];
    sizes.add(size);
    if (size === 0 || id !== lane % size) consecutive = false;
  }
  return { sizes: [...sizes].sort((a, b) => a - b), consecutive: consecutive && sizes.size === 1 };
}

/** What decides whether a run may use subgroups. */
export interface SubgroupContext {
  /** Only the fused kernel has a subgroup form. */
  variant: string;
  /** The device was created with the `subgroups` feature. */
  deviceHasSubgroups: boolean;
  /** The probe's finding (null when the device has no subgroups, so nothing was probed). */
  layout: SubgroupLayout | null;
  /** The fused kernel is the user's: it runs as written (it may enable subgroups itself). */
  customKernel: boolean;
}

export interface SubgroupDecision {
  subgroups: boolean;
  /** Why, in words: shown by the terminal and the page. */
  reason: string;
}

/** Whether a run uses the fused kernel's subgroup form, and why (or why not). */
export function resolveSubgroups(choice: SubgroupChoice, context: SubgroupContext): SubgroupDecision {
  const no = (reason: string): SubgroupDecision => ({ subgroups: false, reason });
  if (context.variant !== 'fused') return no(`only the fused kernel has a subgroup form (this run uses ${context.variant})`);
  if (context.customKernel) return no('the fused kernel is your own and runs as written');
  if (choice === 'off') return no('subgroups turned off');
  if (!context.deviceHasSubgroups) return no('the device has no `subgroups` feature');
  const layout = context.layout;
  if (!layout) return no('the subgroup layout was not probed');
  if (layout.error) return no(`the subgroup layout could not be probed (${layout.error})`);
  if (!layout.consecutive)
    return no(`the device's subgroups are not runs of consecutive invocations (sizes seen: ${layout.sizes.join(', ') || 'none'})`);
  return { subgroups: true, reason: `subgroups of ${layout.sizes[0]} invocations merge the decoding shape's lanes` };
}

/** How a fused run's kernel ran, in one line: its key splits and whether in its subgroup form, and why. */
export function describeFusedForm(run: { keySplits: number; subgroups: boolean; subgroupsReason: string }): string {
  const splits = `${run.keySplits} key split${run.keySplits === 1 ? '' : 's'}`;
  return `fused kernel: ${splits}, ${run.subgroups ? 'subgroup form' : 'no subgroups'} (${run.subgroupsReason})`;
}
