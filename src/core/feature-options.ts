/**
 * The attention features' options (./features.ts) as the page edits them: each edit is checked
 * against the problem it applies to and throws an InputError naming the bad value (the page then
 * keeps its state as it was), and a new K/V head count regroups K and V (or edited W_k and W_v)
 * so that every query head keeps reading the K/V head it read before where it can.
 */
import { InputError } from './errors';
import { alibiSlopes, kvHeadChoices, kvHeadCount, kvHeadOf } from './features';
import type { Grid } from './grid';
import { gridShape, parseCell } from './grid';
import type { AttentionOptions, FeatureOptions } from './options';
import { MAX_WINDOW } from './options';
import { checkFeatures } from './shapes';
import type { PlaygroundState } from './state';

/**
 * Checks options on their own and against one head's width dk (null when the state's shape does
 * not say: RoPE's width checks then wait for the run). Throws an InputError naming the first bad value.
 */
export function checkOptions(options: AttentionOptions, dk: number | null): void {
  checkFeatures(dk === null ? { ...options, rope: null } : options, dk ?? 1);
  // The engine takes any window (tested to 2^31 + 5); the page's state holds windows up to MAX_WINDOW.
  const { window } = options;
  if (window !== null && window > MAX_WINDOW)
    throw new InputError(
      `the sliding window can be at most ${MAX_WINDOW.toLocaleString('en')} keys (2^24), got ${window.toLocaleString('en')}`,
    );
}

/**
 * Per-head lists the user typed for more heads than the options have now, so that lowering the head
 * count and raising it again gives each head back its value: sinks and custom ALiBi slopes, each
 * null when nothing lies beyond the options' own list. The state keeps them (`perHeadLists`), so
 * links, storage and undo carry them with the options.
 */
export interface PerHeadLists {
  sinks: readonly number[] | null;
  alibi: readonly number[] | null;
}

export const NO_PER_HEAD_LISTS: PerHeadLists = { sinks: null, alibi: null };

/** The options' list over the first entries of the one kept (a list of the options' length or longer wins whole). */
function overlay(kept: readonly number[] | null, list: AttentionOptions['alibi'] | AttentionOptions['sinks']): readonly number[] | null {
  if (!Array.isArray(list)) return kept;
  return kept && kept.length > list.length ? [...(list as readonly number[]), ...kept.slice(list.length)] : (list as readonly number[]);
}

/** Every per-head value typed so far: the options' lists, then the kept entries past them. */
export function typedPerHeadLists(kept: PerHeadLists, options: AttentionOptions): PerHeadLists {
  return { sinks: overlay(kept.sinks, options.sinks), alibi: overlay(kept.alibi, options.alibi) };
}

/** The lists to keep beside `options`: those longer than its head count (the rest say nothing more). */
export function perHeadListsFor(kept: PerHeadLists, options: AttentionOptions): PerHeadLists {
  const typed = typedPerHeadLists(kept, options);
  const beyond = (list: readonly number[] | null) => (list && list.length > options.heads ? list : null);
  return { sinks: beyond(typed.sinks), alibi: beyond(typed.alibi) };
}

/**
 * Options for a new number of query heads: per-head sinks and custom ALiBi slopes are cut or
 * extended. Head t gets the value typed for it (the options' list, then `kept`: values typed
 * before the count went down); a head never typed gets the last typed sink and the paper's slope
 * for its place. K/V heads that no longer divide the heads are refused with an InputError saying
 * what to change.
 */
export function optionsForHeads(options: AttentionOptions, heads: number, kept: PerHeadLists = NO_PER_HEAD_LISTS): AttentionOptions {
  const kv = options.kvHeads;
  if (kv !== null && kv !== heads && heads % kv !== 0)
    throw new InputError(
      `${heads} query head${heads === 1 ? '' : 's'} cannot share ${kv} K/V heads evenly: set K/V heads to one of ${kvHeadChoices(heads).join(', ')} first, or choose a multiple of ${kv} heads`,
    );
  const resize = (values: readonly number[], extra: (t: number) => number) =>
    Array.from({ length: heads }, (_, t) => (t < values.length ? values[t] : extra(t)));
  const typed = typedPerHeadLists(kept, options);
  const sinks = options.sinks && typed.sinks;
  const alibi = Array.isArray(options.alibi) ? typed.alibi : null;
  return {
    ...options,
    heads,
    kvHeads: kv === heads ? null : kv,
    sinks: sinks && resize(sinks, () => sinks[sinks.length - 1]),
    alibi: alibi ? resize(alibi, (t) => alibiSlopes(heads)[t]) : options.alibi,
  };
}

/**
 * The features of the page's options that a profiler sweep of `heads` query heads takes over: RoPE,
 * window, ALiBi, softcap and sinks (K/V heads is the sweep's own setting). Per-head sinks and
 * custom ALiBi slopes follow the sweep's head count as they do when the page's heads change.
 */
export function sweepFeatures(options: AttentionOptions, heads: number): Omit<FeatureOptions, 'kvHeads'> {
  const fitted = optionsForHeads({ ...options, kvHeads: null }, heads);
  return { rope: fitted.rope, window: fitted.window, alibi: fitted.alibi, softcap: fitted.softcap, sinks: fitted.sinks };
}

/**
 * A matrix whose columns are `from` K/V heads of `width` columns each, regrouped into `to` heads:
 * new K/V head g takes the block of the old K/V head that served its first query head, so growing
 * the count (1 → 2 → 4) changes no query head's keys and values, and shrinking it keeps the first
 * group's. Null when the columns are not `from` blocks of `width`.
 */
export function regroupKvColumns(grid: Grid, width: number, from: number, to: number, heads: number): Grid | null {
  if (gridShape(grid).cols !== from * width) return null;
  return grid.map((row) => regroupBlocks(row, width, from, to, heads));
}

function regroupBlocks<T>(row: readonly T[], width: number, from: number, to: number, heads: number): T[] {
  const source = Array.from({ length: to }, (_, g) => kvHeadOf(g * (heads / to), heads, from));
  return source.flatMap((old) => row.slice(old * width, (old + 1) * width));
}

/** Labels of K/V columns regrouped like the columns (null stays null; a list of another length is dropped). */
function regroupLabels(labels: string[] | null, width: number, from: number, to: number, heads: number): string[] | null {
  return labels?.length === from * width ? regroupBlocks(labels, width, from, to, heads) : null;
}

/** Width of one head's queries and keys: sentence mode's d_k, or Q's columns over the heads (null when they do not divide). */
export function stateHeadWidth(state: PlaygroundState): number | null {
  if (state.mode === 'sentence') return state.sentence.dk;
  const cols = gridShape(state.matrix.q).cols;
  return cols % state.options.heads === 0 ? cols / state.options.heads : null;
}

/**
 * The state with `patch` applied to its options. A bad value is an InputError naming it, and the
 * caller keeps the state it had. K/V heads equal to the heads are stored as null (plain multi-head
 * attention). A new K/V head count regroups matrix mode's K and V, and sentence mode's edited W_k
 * and W_v (regroupKvColumns); matrices that do not fit the old layout are left for the run to report.
 */
export function withOptions(state: PlaygroundState, patch: Partial<AttentionOptions>): PlaygroundState {
  const merged = { ...state.options, ...patch };
  const options = { ...merged, kvHeads: merged.kvHeads === merged.heads ? null : merged.kvHeads };
  checkOptions(options, stateHeadWidth({ ...state, options }));
  const next = { ...state, options, perHeadLists: perHeadListsFor(state.perHeadLists, options) };
  const from = kvHeadCount(state.options),
    to = kvHeadCount(options);
  return from === to ? next : withKvHeads(next, from, to);
}

function withKvHeads(state: PlaygroundState, from: number, to: number): PlaygroundState {
  const heads = state.options.heads;
  if (state.mode === 'sentence') {
    const s = state.sentence;
    const regroup = (w: Grid | null, width: number) => (w ? regroupKvColumns(w, width, from, to, heads) : null);
    const wk = regroup(s.wk, s.dk),
      wv = regroup(s.wv, s.dv);
    return { ...state, sentence: { ...s, wk, wv, valueLabels: wv ? regroupLabels(s.valueLabels, s.dv, from, to, heads) : null } };
  }
  // K and V each regroup when they fit the old layout; one that does not is left for the run to name.
  const m = state.matrix;
  const dk = stateHeadWidth(state);
  const vCols = gridShape(m.v).cols;
  const k = dk === null ? null : regroupKvColumns(m.k, dk, from, to, heads);
  const v = vCols % from === 0 ? regroupKvColumns(m.v, vCols / from, from, to, heads) : null;
  const valueLabels = v ? regroupLabels(m.valueLabels, vCols / from, from, to, heads) : m.valueLabels;
  return { ...state, matrix: { ...m, k: k ?? m.k, v: v ?? m.v, valueLabels } };
}

/** One number per head, as typed: "0.5, 0.25 0.125" (commas, semicolons or spaces). */
export function parseNumberList(text: string, what: string): number[] {
  const items = text
    .replace(/[[\]]/g, ' ')
    .split(/[\s,;]+/)
    .filter((x) => x !== '');
  if (items.length === 0) throw new InputError(`${what}: enter one number per head, separated by commas`);
  return items.map((item, i) => {
    try {
      return parseCell(item);
    } catch (error) {
      throw new InputError(`${what}: value ${i + 1}: ${(error as Error).message}`);
    }
  });
}

/** The query heads of each K/V head, in order: [[0, 1], [2, 3]] for 4 heads sharing 2. */
export function headGroups(heads: number, kvHeads: number): number[][] {
  const groups: number[][] = Array.from({ length: kvHeads }, () => []);
  for (let t = 0; t < heads; t++) groups[kvHeadOf(t, heads, kvHeads)].push(t);
  return groups;
}
