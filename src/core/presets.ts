/**
 * Presets: examples/*.json, each a named, described attention problem. Matrix presets carry Q, K, V;
 * sentence presets carry text that the sentence pipeline turns into Q, K, V.
 */
import { InputError } from './errors';
import type { AttentionOptions } from './options';
import { DEFAULT_OPTIONS } from './options';
import { kvHeadCount } from './features';
import { randomGrid } from './grid';
import type { ScoringWeights } from './shapes';
import type { Matrix } from './tensor';
import { fromRows } from './tensor';

interface PresetBase {
  id: string;
  name: string;
  /** One line: what the preset shows. */
  description: string;
  options: AttentionOptions;
  /** Rows of the mask (1 = may attend), n×m. */
  mask?: number[][];
  /** Exact values a reader can check by hand (e.g. the seeds' worked example). */
  expect?: { output?: number[][]; probs?: number[][] };
  /** What to look at, shown next to the heatmaps. */
  notes?: string;
  /** Keys marked as padding (hidden from every query). */
  padding?: number[];
  /** Query row to focus in the line view and the provenance. */
  focusQuery?: number;
}

/**
 * Seeded random Q, K and V in place of q, k, v in the file, made as the page's random-problem
 * panel makes them (uniform in [−1, 1), 2 decimals): Q n×(h·dk), K m×(kv·dk), V m×(kv·dv) for the
 * preset's heads h and K/V heads kv. Keeps a long example (a 512-key cache) a few lines long.
 */
export interface RandomMatrices {
  n: number;
  m: number;
  dk: number;
  dv: number;
  seed: number;
}

export interface MatrixPreset extends PresetBase {
  mode: 'matrix';
  /** In the file, q, k and v may be left out for `random`; a parsed preset always has them. */
  q: number[][];
  k: number[][];
  v: number[][];
  random?: RandomMatrices;
  queryLabels?: string[];
  keyLabels?: string[];
  /** Names of the dk columns of Q and K (what each feature means). */
  featureLabels?: string[];
  /** Names of the dv columns of V and of the output. */
  valueLabels?: string[];
  /**
   * Weights of the general (w: dq×dk) or additive (wq: a×dq, wk: a×dk, v: 1×a) score function
   * that options.score names (src/core/scoring.ts).
   */
  scoring?: { w?: number[][]; wq?: number[][]; wk?: number[][]; v?: number[][] };
}

export interface SentencePreset extends PresetBase {
  mode: 'sentence';
  /** Self-attention text, or the source sentence for cross-attention. */
  source: string;
  /** Queries come from this sentence when present (cross-attention, as in Bahdanau et al.). */
  target?: string;
  dk: number;
  /** Width of W_v (defaults to dk). */
  dv?: number;
  seed: number;
  init: 'random' | 'identity';
  positional: boolean;
  /** Hand-set projections (100×dk, 100×dk, 100×dv); generated from seed and init when absent. */
  wq?: number[][];
  wk?: number[][];
  wv?: number[][];
  /** Names of the columns of W_q/W_k and of W_v, for hand-set projections. */
  featureLabels?: string[];
  valueLabels?: string[];
}

export type Preset = MatrixPreset | SentencePreset;

function isGrid(x: unknown): x is number[][] {
  return (
    Array.isArray(x) &&
    x.length > 0 &&
    x.every((r) => Array.isArray(r) && r.length > 0 && r.every((v) => typeof v === 'number' && Number.isFinite(v)))
  );
}

function isIndexList(x: unknown): x is number[] {
  return Array.isArray(x) && x.every((v) => Number.isInteger(v) && v >= 0);
}

function isLabels(x: unknown, size: number): x is string[] {
  return Array.isArray(x) && x.length === size && x.every((v) => typeof v === 'string');
}

/** Validates a parsed preset object; throws InputError naming the first problem. */
export function parsePreset(value: unknown, where = 'preset'): Preset {
  if (typeof value !== 'object' || value === null) throw new InputError(`${where}: not an object`);
  const p = value as Record<string, unknown>;
  for (const key of ['id', 'name', 'description'] as const) {
    if (typeof p[key] !== 'string' || !p[key]) throw new InputError(`${where}: "${key}" must be a non-empty string`);
  }
  const options = { ...DEFAULT_OPTIONS, ...(p.options as object | undefined) } as AttentionOptions;
  if (p.mask !== undefined && !isGrid(p.mask)) throw new InputError(`${where}: "mask" must be rows of numbers`);
  if (p.padding !== undefined && !isIndexList(p.padding)) throw new InputError(`${where}: "padding" must be a list of key indices`);
  if (p.mode === 'matrix') {
    // Generated matrices fill in what the file leaves out (the file's own q, k or v win).
    if (p.random !== undefined) return parseMatrixPreset({ ...randomMatrices(p.random, options, where), ...p }, options, where);
    return parseMatrixPreset(p, options, where);
  }
  if (p.mode === 'sentence') {
    if (typeof p.source !== 'string' || !p.source.trim()) throw new InputError(`${where}: "source" must be a sentence`);
    for (const key of ['wq', 'wk', 'wv'] as const)
      if (p[key] !== undefined && !isGrid(p[key])) throw new InputError(`${where}: "${key}" must be rows of finite numbers`);
    const defaults = { dk: 16, seed: 1, init: 'random', positional: false } as const;
    return { ...defaults, ...(p as unknown as Partial<SentencePreset>), mode: 'sentence', source: p.source, options } as SentencePreset;
  }
  throw new InputError(`${where}: "mode" must be "matrix" or "sentence"`);
}

/** A matrix preset's Q, K, V and labels, checked. */
function parseMatrixPreset(p: Record<string, unknown>, options: AttentionOptions, where: string): MatrixPreset {
  for (const key of ['q', 'k', 'v'] as const)
    if (!isGrid(p[key])) throw new InputError(`${where}: "${key}" must be rows of finite numbers`);
  const sizes = {
    queryLabels: (p.q as number[][]).length,
    keyLabels: (p.k as number[][]).length,
    featureLabels: (p.q as number[][])[0].length,
    valueLabels: (p.v as number[][])[0].length,
  };
  for (const [key, size] of Object.entries(sizes)) {
    if (p[key] !== undefined && !isLabels(p[key], size)) throw new InputError(`${where}: "${key}" must be ${size} strings`);
  }
  if (p.scoring !== undefined) {
    const scoring = p.scoring as Record<string, unknown> | null;
    if (typeof scoring !== 'object' || scoring === null) throw new InputError(`${where}: "scoring" must be an object of matrices`);
    for (const [key, grid] of Object.entries(scoring)) {
      if (!['w', 'wq', 'wk', 'v'].includes(key)) throw new InputError(`${where}: "scoring.${key}" is not one of w, wq, wk, v`);
      if (!isGrid(grid)) throw new InputError(`${where}: "scoring.${key}" must be rows of finite numbers`);
    }
  }
  return { ...(p as unknown as MatrixPreset), options };
}

/** Q, K and V a preset's `random` describes (checked: whole numbers, at most 4096 rows and 256 columns per head). */
function randomMatrices(value: unknown, options: AttentionOptions, where: string): { q: number[][]; k: number[][]; v: number[][] } {
  const r = value as Partial<RandomMatrices> | null;
  const size = (key: keyof RandomMatrices, max: number) => {
    const x = r?.[key];
    if (!Number.isInteger(x) || (x as number) < (key === 'seed' ? -(2 ** 31) : 1) || (x as number) > max)
      throw new InputError(`${where}: "random.${key}" must be a whole number up to ${max}`);
    return x as number;
  };
  const [n, m, dk, dv, seed] = [size('n', 4096), size('m', 4096), size('dk', 256), size('dv', 256), size('seed', 2 ** 31 - 1)];
  const kv = kvHeadCount(options);
  return {
    q: randomGrid(n, options.heads * dk, seed),
    k: randomGrid(m, kv * dk, seed + 1),
    v: randomGrid(m, kv * dv, seed + 2),
  };
}

export function presetMatrices(p: MatrixPreset): { q: Matrix; k: Matrix; v: Matrix; mask: Matrix | null; scoring: ScoringWeights | null } {
  return { q: fromRows(p.q), k: fromRows(p.k), v: fromRows(p.v), mask: p.mask ? fromRows(p.mask) : null, scoring: presetScoring(p) };
}

/** The preset's scoring weights for the score its options name (null for dot or when the file has none). */
export function presetScoring(p: MatrixPreset): ScoringWeights | null {
  const s = p.scoring;
  if (p.options.score === 'general' && s?.w) return { kind: 'general', w: fromRows(s.w) };
  if (p.options.score === 'additive' && s?.wq && s.wk && s.v)
    return { kind: 'additive', wq: fromRows(s.wq), wk: fromRows(s.wk), v: fromRows(s.v) };
  return null;
}
