/**
 * Subgroups for the fused kernel: whether a run uses them, decided here once for the engine, the
 * terminal and the page (shaders/subgroups/fused.wgsl). The subgroup form does three things:
 * - the decoding shape (few query rows, 64 invocations on distinct keys of one row) merges its 64
 *   lanes' partial softmaxes first within each subgroup, in registers (subgroupMax, subgroupAdd),
 *   and then across the few subgroups in workgroup memory, instead of three serial loops over 64
 *   lanes;
 * - shared lanes in the prefill shape, "pairs": each pair of lanes takes two query rows, each lane
 *   half of both rows' columns, so every key column read from workgroup memory serves two rows; the
 *   two halves of a score are exchanged with subgroupShuffleXor. Same registers per lane, half the
 *   workgroup-memory reads per multiply-add;
 * - shared lanes in the decoding shape, "quads": the four lanes of a quad take the same keys, each a
 *   quarter of the row's columns, so a quad reads a key's row as consecutive 64-byte runs, a lane
 *   holds a quarter of the registers and makes a quarter of the reads per key, and all of a batch's
 *   reads are independent; the four partial scores are summed with two subgroupShuffleXor. Instead
 *   of the merge above, the 16 quads are merged in workgroup memory. With grouped K/V heads a
 *   workgroup of quads takes up to 4 query heads of a group together (QUAD_HEADS), so each key it
 *   reads serves all of them.
 * What 'auto' takes was measured (BENCHMARKS.md):
 * - On a GPU (an H200, issue 12's sixteenth session, warm clock, paired ratios): the pairs ran the
 *   prefill at 0.62× the portable prefill's speed (N = 4096 and 8192, 8 heads), and the quads taking
 *   a K/V group's 4 query heads together decoded at 0.64–0.82× the quads taking one head a
 *   workgroup, which ran 0.99–1.12× the per-lane shape (and 1.10× with 8 K/V heads). So 'auto' on a
 *   GPU runs the quads one query head a workgroup and no pairs.
 * - On a CPU emulator shared lanes cost more than they save (no workgroup-memory bottleneck, no
 *   memory latency to hide, and the exchanges and repeated exponentials are extra work;
 *   SwiftShader: pairs 0.90–1.05× the portable prefill, quads 0.70–0.81× the portable decode) —
 *   except the quads where they take at least CPU_EMULATOR_QUAD_HEADS query heads of a K/V group
 *   together: each key read and its addressing then serve 3 or 4 heads, and on SwiftShader that
 *   decoded 1.43× (3 heads) and 1.5× (4 heads) as fast as the per-lane shape (2 heads 1.05×, within
 *   noise). So 'auto' there runs only those.
 * 'shared' runs both shared shapes, the quads with grouped heads, on any device (to compare them).
 *
 * All of them number the subgroups as runs of consecutive lanes (subgroup s = lanes s·size …
 * s·size + size − 1; pairs need lanes 2t and 2t + 1 in one subgroup, so a size of at least 2, and
 * quads lanes 4g … 4g + 3, so a multiple of 4). WGSL does not promise that layout, so the engine
 * checks it once per device with a probe kernel (src/gpu/subgroups.ts) and uses subgroups only where
 * it holds.
 */
import { keySplitsHoldingKeys } from './key-splits';
import { widePrefill } from './prefill-rows';

/**
 * What a user asks for: 'auto' the subgroup form wherever the device and the run allow it, with the
 * shared lanes measured to gain on that kind of device (above); 'shared' and 'merge' the subgroup
 * form with and without shared lanes whatever the device (to compare them); 'off' never.
 */
export type SubgroupChoice = 'auto' | 'shared' | 'merge' | 'off';
export const SUBGROUP_CHOICES: readonly SubgroupChoice[] = ['auto', 'shared', 'merge', 'off'];

/** How a run's shape shared lanes: the prefill in pairs, the decoding shape in quads. */
export type SharedLanes = 'pairs' | 'quads';

/** Lanes of a quad: the subgroup size must be a multiple of it for quads. */
export const QUAD_LANES = 4;

/** Both shapes share lanes only up to this many key columns per head (HEAD_DK). */
export const SHARED_LANES_MAX_DK = 128;

/** On a CPU emulator 'auto' runs the quads where they take at least this many query heads a workgroup (measured above). */
export const CPU_EMULATOR_QUAD_HEADS = 3;

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
  /** The adapter is a CPU emulator (SwiftShader, llvmpipe…): 'auto' shares no lanes there, but see quadHeads. */
  cpuEmulator: boolean;
  /**
   * Query heads of a K/V group the decoding shape in quads would take together in this run
   * (QUAD_HEADS; 1 without grouped heads and outside decoding; absent: 1). On a CPU emulator 'auto'
   * runs the quads where this is at least CPU_EMULATOR_QUAD_HEADS.
   */
  quadHeads?: number;
}

export interface SubgroupDecision {
  subgroups: boolean;
  /** The subgroup form's prefill shape shares rows between pairs of lanes (false without subgroups). */
  pairs: boolean;
  /** Its decoding shape shares keys among quads of lanes (false without subgroups, or in subgroups that do not hold whole quads). */
  quads: boolean;
  /** The quads take a K/V group's query heads together (QUAD_HEADS); false without quads. */
  groupHeads: boolean;
  /** Why, in words: shown by the terminal and the page. */
  reason: string;
}

/** Whether a run uses the fused kernel's subgroup form, and why (or why not). */
export function resolveSubgroups(choice: SubgroupChoice, context: SubgroupContext): SubgroupDecision {
  const no = (reason: string): SubgroupDecision => ({ subgroups: false, pairs: false, quads: false, groupHeads: false, reason });
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
  const form = (pairs: boolean, quads: boolean, groupHeads: boolean, lanes: string): SubgroupDecision => ({
    subgroups: true,
    pairs,
    quads,
    groupHeads: quads && groupHeads,
    reason: `subgroups of ${size} invocations; ${lanes}`,
  });
  const wholeQuads = size % QUAD_LANES === 0;
  const noQuads = `subgroups of ${size} do not hold whole quads of lanes`;
  if (choice === 'shared')
    return form(
      true,
      wholeQuads,
      true,
      `lanes share rows in pairs (prefill)${wholeQuads ? ' and keys in quads (decoding)' : `; no quads: ${noQuads}`} (asked for)`,
    );
  if (choice === 'merge')
    return form(false, false, false, `no shared lanes (asked for); the decoding shape's lanes merge within subgroups`);
  const heads = context.quadHeads ?? 1;
  if (context.cpuEmulator) {
    if (heads >= CPU_EMULATOR_QUAD_HEADS && wholeQuads)
      return form(
        false,
        true,
        true,
        `keys shared in quads (decoding), ${heads} query heads of a K/V group a workgroup (on a CPU emulator, quads only where they take ${CPU_EMULATOR_QUAD_HEADS} or more heads)`,
      );
    return form(
      false,
      false,
      false,
      `no shared lanes (on a CPU emulator, where shared lanes gain nothing); the decoding shape's lanes merge within subgroups`,
    );
  }
  const measured = 'on a GPU, pairs and grouped heads were measured slower (BENCHMARKS.md)';
  if (!wholeQuads)
    return form(false, false, false, `no shared lanes: ${noQuads}, and ${measured}; the decoding shape's lanes merge within subgroups`);
  return form(false, true, false, `keys shared in quads (decoding), one query head a workgroup; no pairs in the prefill (${measured})`);
}

/**
 * How the subgroup form's shape shared lanes in a run, from the decision and the override constants
 * its pipeline was built with (DECODE picks the shape; neither shares lanes past 128 key columns):
 * null when its lanes did not share (or the run had no subgroup form).
 */
export function sharedLanesOf(
  decision: Pick<SubgroupDecision, 'subgroups' | 'pairs' | 'quads'>,
  constants?: Readonly<Record<string, number>>,
): SharedLanes | null {
  if (!decision.subgroups || !constants || (constants.HEAD_DK ?? Infinity) > SHARED_LANES_MAX_DK) return null;
  if (constants.DECODE) return decision.quads ? 'quads' : null;
  return decision.pairs ? 'pairs' : null;
}

/** " (only 1 holds keys, 64 a split of m = 5: the other 98 are empty)" where forced splits outnumber the keys' splits; else "". */
function emptySplitsNote(run: { keySplits: number; splitKeys?: number; shape?: { m: number } }): string {
  if (run.splitKeys === undefined || run.shape === undefined) return '';
  const m = run.shape.m;
  const holding = keySplitsHoldingKeys(m, { keySplits: run.keySplits, splitKeys: run.splitKeys });
  const empty = run.keySplits - holding;
  if (empty <= 0) return '';
  return ` (only ${holding} ${holding === 1 ? 'holds' : 'hold'} keys, ${run.splitKeys} a split of m = ${m}: the other ${empty} ${empty === 1 ? 'is' : 'are'} empty)`;
}

/**
 * How a fused run's kernel ran, in one line: its key splits and whether in its subgroup form (with
 * which shared lanes, and how many query heads of a K/V group its quads took together), and why.
 */
export function describeFusedForm(run: {
  keySplits: number;
  /** Keys per split, with the problem's m: how many splits hold keys, when some are empty. */
  splitKeys?: number;
  shape?: { m: number };
  subgroups: boolean;
  subgroupLanes: SharedLanes | null;
  headsPerWorkgroup?: number;
  subgroupsReason: string;
  /** Query rows a workgroup: said where the prefill took other than the kernel's 64 (src/core/prefill-rows.ts). */
  rowsPerWorkgroup?: number | null;
  rowsReason?: string;
}): string {
  const splits = `${run.keySplits} key split${run.keySplits === 1 ? '' : 's'}${emptySplitsNote(run)}`;
  const heads = (run.headsPerWorkgroup ?? 1) > 1 ? `, ${run.headsPerWorkgroup} query heads of a K/V group a workgroup` : '';
  const form = run.subgroups ? `subgroup form${run.subgroupLanes ? ` in ${run.subgroupLanes} of lanes${heads}` : ''}` : 'no subgroups';
  const rows = widePrefill(run.rowsPerWorkgroup)
    ? `; ${run.rowsPerWorkgroup} query rows a workgroup${run.rowsReason ? ` (${run.rowsReason})` : ''}`
    : '';
  return `fused kernel: ${splits}, ${form} (${run.subgroupsReason})${rows}`;
}
