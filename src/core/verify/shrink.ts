/**
 * Shrinking a failing verification case: the smallest problem that still fails, found by greedy
 * moves (each size down to 1, then bisected; each option back to its default) while a predicate
 * says the smaller case still fails. Deterministic and bounded: the same case and predicate give
 * the same moves, and the predicate runs at most `maxRuns` times.
 *
 * It knows the sizes and the options of today's VerifyCase; any other field a case carries is
 * treated as an option and tried at its default (from `defaults`, else false for a boolean and
 * "left out" for anything else), so new case fields shrink without a change here.
 */
import type { VerifyCase } from './cases';
import { FEATURE_TAG_RULES, hasHiddenRow, isLarge, LARGE_SCORES } from './cases';

/** The sizes a case is shrunk along, smallest allowed value 1 (dModel only where the case has one). */
export const SIZE_FIELDS = ['n', 'm', 'heads', 'dk', 'dv', 'dModel'] as const;
export type SizeField = (typeof SIZE_FIELDS)[number];

/** Fields that name or seed a case rather than describe the problem: never shrunk. */
// The score function is the kernel's (it declares it), and dq and a shape the weights; the activation
// is what an elementwise kernel is (without it the engine refuses the kernel): none is shrunk.
const FIXED_FIELDS = new Set<string>(['name', 'seed', 'tags', 'score', 'dq', 'scoreDim', 'activation']);

/** Default of every option field of VerifyCase known here; `undefined` means "left out". */
const CASE_OPTION_DEFAULTS: Readonly<Record<string, unknown>> = {
  causal: false,
  mask: 'none',
  scale: 'default',
  temperature: 1,
  magnitude: undefined,
  distribution: undefined,
  depth: undefined,
  blockRows: undefined,
  kvHeads: undefined,
  window: undefined,
  alibi: undefined,
  softcap: undefined,
  sinks: undefined,
  rope: undefined,
  weightScale: undefined,
};

const DEFAULT_MAX_RUNS = 40;

export interface ShrinkOptions {
  /** At most this many calls of the predicate (default 40). */
  maxRuns?: number;
  /** Defaults of option fields beyond CASE_OPTION_DEFAULTS (e.g. a new distribution field). */
  defaults?: Readonly<Record<string, unknown>>;
  /** After each call of the predicate. */
  onTry?: (runs: number, maxRuns: number) => void;
  /**
   * Whether a candidate can run at all (K/V heads that divide the heads, a head RoPE can rotate, RoPE
   * on in the rope stage): one that cannot is skipped without a run, as if it passed.
   */
  valid?: (candidate: VerifyCase) => boolean;
}

export interface ShrinkResult<C extends VerifyCase = VerifyCase> {
  /** The smallest failing case found (the start when nothing smaller fails). */
  case: C;
  /** Calls of the predicate. */
  runs: number;
  /** The accepted moves, in order ("n 53 → 17", "causal off"). */
  moves: string[];
  /** False when the run budget ran out before no move was left to try. */
  complete: boolean;
}

/** A case's option fields (everything but sizes, name, seed and tags) that differ from their default. */
export function optionFields(c: VerifyCase, defaults: Readonly<Record<string, unknown>> = {}): string[] {
  const table = { ...CASE_OPTION_DEFAULTS, ...defaults };
  return Object.keys(c).filter(
    (key) =>
      !FIXED_FIELDS.has(key) && !(SIZE_FIELDS as readonly string[]).includes(key) && !isDefault(key, c[key as keyof VerifyCase], table),
  );
}

function isDefault(key: string, value: unknown, table: Readonly<Record<string, unknown>>): boolean {
  if (value === undefined) return true;
  if (Object.hasOwn(table, key)) return value === table[key];
  return value === false;
}

/** The case with one option at its default: the known default, false for a boolean, else left out. */
function withDefault<C extends VerifyCase>(c: C, key: string, table: Readonly<Record<string, unknown>>): C {
  const next = { ...c } as Record<string, unknown>;
  const value = Object.hasOwn(table, key) ? table[key] : typeof next[key] === 'boolean' ? false : undefined;
  if (value === undefined) delete next[key];
  else next[key] = value;
  return next as C;
}

/** A case's problem in words: sizes, then every option that is not at its default. */
export function describeCase(c: VerifyCase, defaults: Readonly<Record<string, unknown>> = {}): string {
  const sizes = `n=${c.n} m=${c.m} dk=${c.dk} dv=${c.dv} heads=${c.heads}${c.dModel !== undefined ? ` d_model=${c.dModel}` : ''}`;
  const options = optionFields(c, defaults).map((key) => {
    const value = (c as unknown as Record<string, unknown>)[key];
    return value === true ? key : `${key}=${typeof value === 'object' ? JSON.stringify(value) : String(value)}`;
  });
  return [sizes, ...options].join(', ');
}

/** Tags derived from a case's fields, with what makes each true (the rest are kept as they are). */
const DERIVED_TAGS: Record<string, (c: VerifyCase) => boolean> = {
  cross: (c) => c.n !== c.m,
  widths: (c) => c.dk !== c.dv,
  heads: (c) => c.heads > 1,
  causal: (c) => c.causal,
  mask: (c) => c.mask !== 'none',
  'masked-row': hasHiddenRow,
  'large-scores': (c) => (c.magnitude ?? 0) >= LARGE_SCORES,
  'large-sizes': isLarge,
  scale: (c) => c.scale !== 'default' || c.temperature !== 1,
  ...FEATURE_TAG_RULES,
};

/** The case without the derived tags that no longer hold after shrinking. */
export function retag<C extends VerifyCase>(c: C): C {
  return { ...c, tags: c.tags.filter((tag) => DERIVED_TAGS[tag]?.(c) ?? true) };
}

/** Identifies a problem (not its name or tags), so no case is tried twice. */
function problemKey(c: VerifyCase): string {
  const rest = { ...c } as Record<string, unknown>;
  delete rest.name;
  delete rest.tags;
  return JSON.stringify(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The smallest case that still fails, starting from a failing one. Moves, repeated until none is
 * accepted or the budget is spent: every option to its default, one at a time; every size straight
 * to 1; then every size still above 1 (largest first) bisected between the largest size known to
 * pass and the smallest known to fail. Only moves the predicate confirms are kept, so the result
 * always failed (or is the start, which the caller saw fail).
 */
export async function shrinkCase<C extends VerifyCase>(
  start: C,
  stillFails: (candidate: C) => Promise<boolean>,
  options: ShrinkOptions = {},
): Promise<ShrinkResult<C>> {
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  const table = { ...CASE_OPTION_DEFAULTS, ...options.defaults };
  const seen = new Map<string, boolean>([[problemKey(start), true]]);
  let current = start;
  let runs = 0;
  const moves: string[] = [];
  /** Highest value of each size seen to pass (with the other fields as they were then). */
  const passes: Partial<Record<SizeField, number>> = {};

  const tryMove = async (candidate: C, move: string): Promise<boolean | null> => {
    const key = problemKey(candidate);
    let fails = seen.get(key);
    if (fails === undefined && options.valid && !options.valid(candidate)) seen.set(key, (fails = false));
    if (fails === undefined) {
      if (runs >= maxRuns) return null;
      runs++;
      fails = await stillFails(candidate);
      options.onTry?.(runs, maxRuns);
      seen.set(key, fails);
    }
    if (fails) {
      current = candidate;
      moves.push(move);
    }
    return fails;
  };

  // Monotone failures need one round; later rounds catch a move that only lands after another did.
  // An option that could not go, or a size that passed at some value, is not tried again.
  const needed = new Set<string>();
  let changed = true;
  while (changed) {
    changed = false;
    for (const key of optionFields(current, options.defaults).filter((k) => !needed.has(k))) {
      const result = await tryMove(withDefault(current, key, table), `${key} to default`);
      if (result === null) return { case: current, runs, moves, complete: false };
      if (result) changed = true;
      else needed.add(key);
    }
    for (const size of SIZE_FIELDS) {
      const from = current[size];
      if (from === undefined || from <= 1 || passes[size] !== undefined) continue;
      const result = await tryMove({ ...current, [size]: 1 }, `${size} ${from} → 1`);
      if (result === null) return { case: current, runs, moves, complete: false };
      if (result) changed = true;
      else passes[size] = 1;
    }
    const sizeOf = (s: SizeField) => current[s] ?? 1;
    const bySize = [...SIZE_FIELDS].filter((s) => sizeOf(s) > 1).sort((a, b) => sizeOf(b) - sizeOf(a));
    for (const size of bySize) {
      let low = passes[size] ?? 1;
      while (sizeOf(size) - low > 1) {
        const from = sizeOf(size);
        const mid = Math.floor((low + from) / 2);
        const result = await tryMove({ ...current, [size]: mid }, `${size} ${from} → ${mid}`);
        if (result === null) return { case: current, runs, moves, complete: false };
        if (result) changed = true;
        else low = mid;
      }
      passes[size] = low;
    }
  }
  return { case: current, runs, moves, complete: true };
}
