/**
 * Subgroups for the fused kernel: whether a run uses them, decided here once for the engine, the
 * terminal and the page (shaders/subgroups/fused.wgsl). The subgroup form does two things:
 * - the decoding shape (few query rows, 64 invocations on distinct keys of one row) merges its 64
 *   lanes' partial softmaxes first within each subgroup, in registers (subgroupMax, subgroupAdd),
 *   and then across the few subgroups in workgroup memory, instead of three serial loops over 64
 *   lanes;
 * - "pairs": the prefill shape gives each pair of lanes two query rows, each lane half of both rows'
 *   columns, so every key column read from workgroup memory serves two rows; the two halves of a
 *   score are exchanged with subgroupShuffleXor. Same registers per lane, half the workgroup-memory
 *   reads per multiply-add. On a CPU emulator, which has no workgroup-memory bottleneck, the
 *   exchange costs about what the reads save (SwiftShader: 0.90–1.05× the portable prefill in four
 *   of five runs, BENCHMARKS.md), so 'auto' uses pairs on GPUs only.
 *
 * Both number the subgroups as runs of consecutive lanes (subgroup s = lanes s·size …
 * s·size + size − 1; pairs need lanes 2t and 2t + 1 in one subgroup, so a size of at least 2).
 * WGSL does not promise that layout, so the engine checks it once per device with a probe kernel
 * (src/gpu/subgroups.ts) and uses subgroups only where it holds.
 */

/**
 * What a user asks for: 'auto' the subgroup form wherever the device and the run allow it, with
 * pairs on a GPU and not on a CPU emulator; 'pairs' and 'merge' the subgroup form with and without
 * pairs whatever the device (to compare them); 'off' never.
 */
export type SubgroupChoice = 'auto' | 'pairs' | 'merge' | 'off';
export const SUBGROUP_CHOICES: readonly SubgroupChoice[] = ['auto', 'pairs', 'merge', 'off'];

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

/**
 * Whether the fused kernel's subgroup form can run on a device with this layout: consecutive
 * subgroups of at least 2 invocations (pairs need lanes 2t and 2t + 1 in one subgroup).
 */
export function layoutRunsSubgroupForm(layout: SubgroupLayout | null): boolean {
  return layout !== null && layout.consecutive && layout.sizes[0] >= 2;
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
  /** The adapter is a CPU emulator (SwiftShader, llvmpipe…): 'auto' leaves pairs out there. */
  cpuEmulator: boolean;
}

export interface SubgroupDecision {
  subgroups: boolean;
  /** The subgroup form's prefill shares rows between pairs of lanes (false without subgroups). */
  pairs: boolean;
  /** Why, in words: shown by the terminal and the page. */
  reason: string;
}

/** Whether a run uses the fused kernel's subgroup form, and why (or why not). */
export function resolveSubgroups(choice: SubgroupChoice, context: SubgroupContext): SubgroupDecision {
  const no = (reason: string): SubgroupDecision => ({ subgroups: false, pairs: false, reason });
  if (context.variant !== 'fused') return no(`only the fused kernel has a subgroup form (this run uses ${context.variant})`);
  if (context.customKernel) return no('the fused kernel is your own and runs as written');
  if (choice === 'off') return no('subgroups turned off');
  if (!context.deviceHasSubgroups) return no('the device has no `subgroups` feature');
  const layout = context.layout;
  if (!layout) return no('the subgroup layout was not probed');
  if (layout.error) return no(`the subgroup layout could not be probed (${layout.error})`);
  if (!layout.consecutive)
    return no(`the device's subgroups are not runs of consecutive invocations (sizes seen: ${layout.sizes.join(', ') || 'none'})`);
  const size = layout.sizes[0];
  if (size < 2) return no(`the device's subgroups have ${size} invocation (the form needs at least 2)`);
  const pairs = choice === 'pairs' || (choice === 'auto' && !context.cpuEmulator);
  const why =
    choice === 'auto'
      ? pairs
        ? '; pairs of lanes share rows in the prefill shape (a GPU)'
        : '; no pairs of lanes in the prefill shape on a CPU emulator, where they gain nothing'
      : pairs
        ? '; pairs of lanes share rows in the prefill shape (asked for)'
        : '; no pairs of lanes in the prefill shape (asked for)';
  return { subgroups: true, pairs, reason: `subgroups of ${size} invocations merge the decoding shape's lanes${why}` };
}

/** How a fused run's kernel ran, in one line: its key splits and whether in its subgroup form, and why. */
export function describeFusedForm(run: { keySplits: number; subgroups: boolean; subgroupPairs: boolean; subgroupsReason: string }): string {
  const splits = `${run.keySplits} key split${run.keySplits === 1 ? '' : 's'}`;
  return `fused kernel: ${splits}, ${run.subgroups ? (run.subgroupPairs ? 'subgroup form with pairs' : 'subgroup form') : 'no subgroups'} (${run.subgroupsReason})`;
}
