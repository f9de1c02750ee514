/**
 * The playground's whole state: what the URL carries (compressed), what localStorage keeps and
 * what undo steps through. Plain JSON data; parseState validates anything read from outside and
 * throws an InputError naming the first bad field, so a malformed link or file changes nothing.
 */
import type { ProfileForm } from './profile-form';
import { DEFAULT_PROFILE_FORM, FORM_NUMBERS, N_PRESETS } from './profile-form';
import LZString from 'lz-string';
import type { WholeNumberBox } from './typed-number';
import { InputError } from './errors';
import type { Grid } from './grid';
import { isRectangular, randomGrid } from './grid';
import { float32RangeProblem } from './float32';
// Bounds on anything read from a link or a file, so a hostile link cannot hang the page.
import { MAX_CELLS, MAX_ROWS } from './limits';
import type { PerHeadLists } from './feature-options';
import { NO_PER_HEAD_LISTS, optionsForHeads, perHeadListsFor, typedPerHeadLists } from './feature-options';
import { kvHeadCount } from './features';
import type { AttentionOptions, RopeOptions, ScaleSetting } from './options';
import { ACTIVATIONS, DEFAULT_OPTIONS, DEFAULT_ROPE, MAX_WINDOW, SCORE_FUNCTIONS } from './options';
import type { Preset } from './presets';
import type { ProjectionKind } from './sentence';
import type { AttentionShape } from './shapes';
import type { StageName } from './stages';
import { isStageName, STAGE_NAMES } from './stages';
import { tokenize } from './tokenize';
import type { Precision } from './precision';
import { PRECISIONS } from './precision';
import type { MemoryUpdate } from './memory';
import { MAX_HOPS, MEMORY_UPDATES } from './memory';
import { DEFAULT_FACTS, DEFAULT_MEMORY_TEMPERATURE, DEFAULT_QUESTION } from './memory-facts';
import type { ScoringGrids } from './scoring-state';
import { checkScoringGrids, NO_SCORING } from './scoring-state';

export const STATE_VERSION = 1;
/**
 * States holding more numbers than this are not written to the link or to localStorage: the
 * encoding would stall the page and the text would not fit either. Export the matrices instead.
 */
export const MAX_SAVED_CELLS = 100_000;
export const MAX_TEXT = 4000;
export const MAX_KERNEL_CHARS = 100_000;

/**
 * Why typed text is too long to save or share (the page then keeps it in its box, flagged, and
 * does not apply it), or null. `limit` is MAX_TEXT for sentences, MAX_KERNEL_CHARS for kernels.
 */
export function textLengthProblem(text: string, limit = MAX_TEXT): string | null {
  return text.length > limit
    ? `is ${text.length.toLocaleString('en')} characters long; a saved state or a link holds at most ${limit.toLocaleString('en')}, so it is not applied until it is shorter`
    : null;
}

export type Mode = 'matrix' | 'sentence' | 'model' | 'mlp' | 'memory';
export const MODES: readonly Mode[] = ['matrix', 'sentence', 'model', 'mlp', 'memory'];
export type ViewTab = 'attention' | 'compare' | 'lab' | 'profiler';
const VIEW_TABS: readonly ViewTab[] = ['attention', 'compare', 'lab', 'profiler'];

export interface MatrixState {
  /** n×dk queries, m×dk keys, m×dv values, as typed (float64; the GPU gets them as float32). */
  q: Grid;
  k: Grid;
  v: Grid;
  /** Names of the n queries and m keys (tokens); null numbers them. */
  queryLabels: string[] | null;
  keyLabels: string[] | null;
  /** Names of the dk columns of Q and K, and of the dv columns of V and the output. */
  featureLabels: string[] | null;
  valueLabels: string[] | null;
  /** Output projection W_o, (h·dv)×d_model, applied to the concatenated heads; null for none. */
  wo: Grid | null;
  /**
   * Weights of the general and additive score functions (options.score), shared by every head; a
   * grid is null until that score is first chosen. Kept while another score is in force.
   */
  scoring: ScoringGrids;
}

export interface SentenceState {
  /** Self-attention text, or the source sentence (keys and values) for cross-attention. */
  source: string;
  /** The target sentence (queries) when `cross` is on. */
  target: string;
  cross: boolean;
  dk: number;
  dv: number;
  seed: number;
  init: ProjectionKind;
  positional: boolean;
  /** Edited projections (dModel×dk, dModel×dk, dModel×dv); null means "generated from seed and init". */
  wq: Grid | null;
  wk: Grid | null;
  wv: Grid | null;
  /** Names of the columns of W_q/W_k and of W_v (what hand-set projections measure); null numbers them. */
  featureLabels: string[] | null;
  valueLabels: string[] | null;
  /** Project the concatenated heads back to the word vectors' width with a generated W_o ((h·dv)×dModel). */
  project: boolean;
}

/**
 * Which model the model view shows, and so which model the generated tokens belong to. A user's
 * local file cannot be restored from a link or storage (only its names and sizes in bytes are kept,
 * so the page can ask for it again and know it when it is chosen; links saved before sizes were
 * kept have names only); a URL is restored but fetched only when the user presses Load.
 */
export type ModelSourceState = { kind: 'builtin' } | { kind: 'url'; url: string } | { kind: 'files'; names: string[]; sizes?: number[] };

export type SamplingKind = 'greedy' | 'top-k';

/** Model mode: a real (or built-in) transformer, every layer and head on the playground's kernels. */
export interface ModelState {
  source: ModelSourceState;
  /** The text typed; the model's tokenizer turns it into tokens. */
  text: string;
  /** The head shown in full below the grid. */
  layer: number;
  head: number;
  /** How many next tokens the prediction lists. */
  topK: number;
  /** Generation: how many tokens one Generate adds, greedy or top-k sampling (k, seed). */
  generateCount: number;
  sampling: SamplingKind;
  samplingK: number;
  seed: number;
  /**
   * Token ids generated after the text (each a decode step over the KV cache) by the model `source`
   * names; while another model is shown they are set aside, not run (core/model/generated-tokens.ts).
   */
  generated: number[];
}

/**
 * MLP mode: a two-layer MLP y = W₂·φ(W₁x) beside the same problem as attention (Q = x, K = W₁,
 * V = W₂ᵀ, φ instead of the softmax; src/core/mlp.ts). Shapes must fit: W₁'s columns are x's,
 * W₂'s columns W₁'s rows (the edits keep them linked).
 */
export interface MlpState {
  /** n×d inputs, one per row. */
  x: Grid;
  /** hidden×d first-layer weights: one key per hidden unit. */
  w1: Grid;
  /** dout×hidden second-layer weights (V is its transpose). */
  w2: Grid;
  activation: 'relu' | 'gelu';
  /** Put the softmax back: the attention form then normalises each row and is no longer the MLP. */
  softmax: boolean;
}

/**
 * The built-in example: W₁x has negative pre-activations in every row (W₁x0 = [0.5, −3, 3, 1],
 * W₁x1 = [0, 1.5, −0.5, −0.75], W₁x2 = [2.5, 2, 1, −3.5]), so ReLU zeroes some weights and GELU
 * makes them slightly negative.
 */
export const DEFAULT_MLP_STATE: MlpState = {
  x: [
    [1, 2, -1],
    [-1, 0.5, 2],
    [2, -1, 1],
  ],
  w1: [
    [1, 0, 0.5],
    [0, -1, 1],
    [1, 1, 0],
    [-1, 0.5, -1],
  ],
  w2: [
    [1, -1, 0.5, 2],
    [0, 1, 1, -1],
  ],
  activation: 'relu',
  softmax: false,
};

export const MAX_MODEL_TOKENS = 4096;
export const MAX_URL = 2000;

/** Model mode's number boxes: the values each takes (the page's boxes and a saved state's fields). */
export const MODEL_NUMBERS: Readonly<Record<'topK' | 'generateCount' | 'samplingK' | 'seed', WholeNumberBox>> = {
  topK: { label: 'top (tokens listed)', min: 1, max: 50 },
  generateCount: { label: 'tokens to generate', min: 1, max: 64 },
  samplingK: { label: 'sampling k', min: 1, max: 1000 },
  seed: { label: 'seed', min: -(2 ** 31), max: 2 ** 31 - 1 },
};

export const DEFAULT_MODEL_STATE: ModelState = {
  source: { kind: 'builtin' },
  text: 'the cat sat on the mat because it was warm',
  layer: 0,
  head: 0,
  topK: 5,
  generateCount: 3,
  sampling: 'greedy',
  samplingK: 5,
  seed: 1,
  generated: [],
};

/** Memory mode: facts read by a key–value memory in hops (src/core/memory-facts.ts). */
export interface MemoryState {
  /** One fact per line, as typed. */
  facts: string;
  question: string;
  hops: number;
  update: MemoryUpdate;
  /** The rotate update's d×d R; null: the default (keeps person and place dimensions, drops objects). */
  rotation: Grid | null;
  temperature: number;
}

export const DEFAULT_MEMORY_STATE: MemoryState = {
  facts: DEFAULT_FACTS.join('\n'),
  question: DEFAULT_QUESTION,
  hops: 2,
  update: 'rotate',
  rotation: null,
  temperature: DEFAULT_MEMORY_TEMPERATURE,
};

/**
 * Where the user is looking: none of it is an undo step, and an undo or redo keeps it (withView).
 * The head and the focused query stay within the problem's (withViewInRange).
 */
export interface ViewState {
  /** Query row shown in the line view and highlighted in the heatmaps. */
  focusQuery: number;
  /** The head shown in full below the head grid (below options.heads). */
  head: number;
  tab: ViewTab;
  /** The Profiler tab's form as typed (absent: its defaults, DEFAULT_PROFILE_FORM). */
  profile?: ProfileForm;
  /** The Shader lab's open stage tab (absent: the lab's first, QKᵀ). */
  labStage?: StageName;
}

export interface PlaygroundState {
  version: typeof STATE_VERSION;
  mode: Mode;
  /** The preset this state started from, if any (shown in the picker; edits keep it). */
  presetId: string | null;
  matrix: MatrixState;
  sentence: SentenceState;
  model: ModelState;
  memory: MemoryState;
  mlp: MlpState;
  options: AttentionOptions;
  /** Sinks and ALiBi slopes typed for more heads than there are now, given back when the heads grow (withHeads). */
  perHeadLists: PerHeadLists;
  /** Explicit n×m mask, 1 = may attend; fitted to the problem's shape when n or m change. */
  mask: Grid | null;
  /** Keys marked as padding: hidden from every query. */
  padding: number[];
  /** Kernel variant name (checked against the engine's variants by the page). */
  variant: string;
  /** Storage of Q, K and V on the GPU: float32, or f16 storage (halves; the fused variant only). */
  precision: Precision;
  /** WGSL edited in the shader lab, by stage name ('qk', 'softmax', 'pv', 'fused'); null when none. */
  kernels: Record<string, string> | null;
  /**
   * Stages whose edited kernel timed out or lost the device: the playground runs the built-in
   * kernel for them until the user asks to try theirs again (src/core/kernel-safety.ts).
   */
  heldKernels: string[];
  view: ViewState;
}

const DEFAULT_SENTENCE: SentenceState = {
  source: 'The cat sat on the mat',
  target: 'Le chat était assis sur le tapis',
  cross: false,
  dk: 8,
  dv: 8,
  seed: 1,
  init: 'random',
  positional: false,
  wq: null,
  wk: null,
  wv: null,
  featureLabels: null,
  valueLabels: null,
  project: false,
};

export function defaultState(): PlaygroundState {
  return {
    version: STATE_VERSION,
    mode: 'matrix',
    presetId: null,
    matrix: {
      q: [
        [1, 0, 1],
        [0, 1, 0],
      ],
      k: [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ],
      v: [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      queryLabels: null,
      keyLabels: null,
      featureLabels: null,
      valueLabels: null,
      wo: null,
      scoring: NO_SCORING,
    },
    sentence: { ...DEFAULT_SENTENCE },
    model: { ...DEFAULT_MODEL_STATE },
    memory: { ...DEFAULT_MEMORY_STATE },
    mlp: { ...DEFAULT_MLP_STATE },
    options: { ...DEFAULT_OPTIONS },
    perHeadLists: NO_PER_HEAD_LISTS,
    mask: null,
    padding: [],
    variant: 'tiled',
    precision: 'f32',
    kernels: null,
    heldKernels: [],
    view: { focusQuery: 0, head: 0, tab: 'attention' },
  };
}

/**
 * `state` with the Profiler tab's form `form` (none: as it is). The form is text the user typed,
 * outside the undo history: an undo or redo brings back an older snapshot, and an example or an
 * older link brings none, yet neither may take back what was typed (src/ui/state-controller.ts).
 */
export function withProfileForm(state: PlaygroundState, form: ProfileForm | undefined): PlaygroundState {
  return form === undefined || state.view.profile === form ? state : { ...state, view: { ...state.view, profile: form } };
}

/**
 * How many query rows the state's problem has, as far as the state alone says (sentence mode: the
 * words of the query sentence); null in model and memory mode, whose views do not read view.focusQuery.
 */
function queryRows(state: PlaygroundState): number | null {
  switch (state.mode) {
    case 'matrix':
      return state.matrix.q.length;
    case 'sentence':
      return tokenize(state.sentence.cross ? state.sentence.target : state.sentence.source).length;
    case 'mlp':
      return state.mlp.x.length;
    default:
      return null;
  }
}

/**
 * `state` with its view's head and focused query within its problem (the last head or query when
 * past them), so the view never names a head or row other than the one shown; `state` itself when
 * they fit.
 */
export function withViewInRange(state: PlaygroundState): PlaygroundState {
  const { view } = state;
  const head = Math.min(view.head, state.options.heads - 1);
  const rows = queryRows(state);
  const focusQuery = rows ? Math.min(view.focusQuery, rows - 1) : view.focusQuery;
  return head === view.head && focusQuery === view.focusQuery ? state : { ...state, view: { ...view, head, focusQuery } };
}

/**
 * What withViewInRange moved, naming the fields (for a link or a saved state that named a head or
 * query past its problem's), or null when it moved nothing.
 */
export function viewRangeNote(before: PlaygroundState, after: PlaygroundState): string | null {
  const moved = (field: 'head' | 'focusQuery', one: string, many: string, count: number) => {
    const asked = before.view[field];
    const shown = after.view[field];
    return asked === shown
      ? null
      : `view.${field} is ${asked}, past its ${count} ${count === 1 ? one : many} (0 to ${count - 1}): showing ${one} ${shown}`;
  };
  const notes = [
    moved('head', 'head', 'heads', after.options.heads),
    moved('focusQuery', 'query', 'queries', queryRows(after) ?? 0),
  ].filter((n) => n);
  return notes.length ? notes.join('; ') : null;
}

/**
 * `state` (an undo or redo's snapshot) seen from `current`: an undo or redo changes the problem,
 * not where the user is looking. The output tab, the Shader lab's stage and the Profiler form stay
 * as they are. So do the head and the focused query, unless the step changed how many heads or
 * queries there are: then the snapshot's come back with them (Undo of lowering Heads shows the head
 * it had moved off); either way within the state's (withViewInRange).
 */
export function withView(state: PlaygroundState, current: PlaygroundState): PlaygroundState {
  const view = current.view;
  const head = state.options.heads === current.options.heads ? view.head : state.view.head;
  const focusQuery = queryRows(state) === queryRows(current) ? view.focusQuery : state.view.focusQuery;
  return withViewInRange({ ...state, view: { ...view, head, focusQuery } });
}

/** The state a preset describes; fields a preset does not set come from the defaults. */
export function stateFromPreset(preset: Preset): PlaygroundState {
  const base = defaultState();
  const common = {
    ...base,
    presetId: preset.id,
    options: { ...DEFAULT_OPTIONS, ...preset.options },
    mask: preset.mask ? preset.mask.map((r) => [...r]) : null,
    padding: preset.padding ? [...preset.padding] : [],
    view: { ...base.view, focusQuery: preset.focusQuery ?? 0 },
  };
  if (preset.mode === 'matrix') {
    return {
      ...common,
      mode: 'matrix',
      matrix: {
        q: copy(preset.q),
        k: copy(preset.k),
        v: copy(preset.v),
        queryLabels: preset.queryLabels ?? null,
        keyLabels: preset.keyLabels ?? null,
        featureLabels: preset.featureLabels ?? null,
        valueLabels: preset.valueLabels ?? null,
        wo: null,
        scoring: {
          w: preset.scoring?.w ? copy(preset.scoring.w) : null,
          wq: preset.scoring?.wq ? copy(preset.scoring.wq) : null,
          wk: preset.scoring?.wk ? copy(preset.scoring.wk) : null,
          v: preset.scoring?.v ? copy(preset.scoring.v) : null,
        },
      },
    };
  }
  return {
    ...common,
    mode: 'sentence',
    sentence: {
      source: preset.source,
      target: preset.target ?? base.sentence.target,
      cross: preset.target !== undefined,
      dk: preset.dk,
      dv: preset.dv ?? preset.dk,
      seed: preset.seed,
      init: preset.init,
      positional: preset.positional,
      wq: preset.wq ? copy(preset.wq) : null,
      wk: preset.wk ? copy(preset.wk) : null,
      wv: preset.wv ? copy(preset.wv) : null,
      featureLabels: preset.featureLabels ?? null,
      valueLabels: preset.valueLabels ?? null,
      project: false,
    },
  };
}

const copy = (g: Grid): Grid => g.map((r) => [...r]);

/** How many numbers the state holds in its grids (what makes a link long). */
export function stateCells(state: PlaygroundState): number {
  const cells = (g: Grid | null) => (g ? g.length * (g[0]?.length ?? 0) : 0);
  const { matrix: m, sentence: s } = state;
  const scoring = cells(m.scoring.w) + cells(m.scoring.wq) + cells(m.scoring.wk) + cells(m.scoring.v);
  return cells(m.q) + cells(m.k) + cells(m.v) + cells(m.wo) + cells(s.wq) + cells(s.wk) + cells(s.wv) + cells(state.mask) + scoring;
}

/** Queries n, keys m, and the widths per head: Q and K get heads·dk columns, V heads·dv. */
export interface RandomProblemSize extends Pick<AttentionShape, 'n' | 'm' | 'dk' | 'dv'> {
  seed: number;
}

/** Largest side and width the random problem generator accepts (an 8192-token sequence fits). */
export const MAX_RANDOM_ROWS = 16384;
export const MAX_RANDOM_WIDTH = 512;

/** Why a random problem of this size cannot be made, or null when it can. */
export function randomProblemError(size: RandomProblemSize): string | null {
  const { n, m, dk, dv, seed } = size;
  for (const [name, value, max] of [
    ['n', n, MAX_RANDOM_ROWS],
    ['m', m, MAX_RANDOM_ROWS],
    ['d_k', dk, MAX_RANDOM_WIDTH],
    ['d_v', dv, MAX_RANDOM_WIDTH],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > max) return `${name} must be a whole number from 1 to ${max}, not ${value}`;
  }
  if (!Number.isInteger(seed) || Math.abs(seed) >= 2 ** 31) return `the seed must be a whole number, not ${seed}`;
  return null;
}

/**
 * Matrix mode with seeded random Q (n×h·dk), K (m×kv·dk) and V (m×kv·dv) for h query heads and kv
 * K/V heads, uniform in [−1, 1):
 * how a long sequence gets into the page without a file. Mask, padding and labels are dropped
 * (they described the old shape).
 */
export function withRandomProblem(state: PlaygroundState, size: RandomProblemSize): PlaygroundState {
  const { n, m, dk, dv, seed } = size;
  const heads = state.options.heads;
  const problem = randomProblemError(size);
  if (problem) throw new InputError(problem);
  const kv = kvHeadCount(state.options);
  const widest = Math.max(heads * dk, kv * dv);
  if (Math.max(n, m) * widest > MAX_CELLS) {
    throw new InputError(
      `${Math.max(n, m)}×${widest} values in one matrix is more than the page holds (${MAX_CELLS}): use fewer rows, heads or columns`,
    );
  }
  return {
    ...state,
    mode: 'matrix',
    presetId: null,
    matrix: {
      q: randomGrid(n, heads * dk, seed),
      k: randomGrid(m, kv * dk, seed + 1),
      v: randomGrid(m, kv * dv, seed + 2),
      queryLabels: null,
      keyLabels: null,
      featureLabels: null,
      valueLabels: null,
      wo: null,
      // The page's gate refits them to the new widths (fitScoringToState).
      scoring: state.matrix.scoring,
    },
    mask: null,
    padding: [],
    view: { ...state.view, focusQuery: 0 },
  };
}

/**
 * The state with h heads. In sentence mode every head has its own projections (W_q is
 * dModel×(h·dk); W_k and W_v have a block per K/V head), so edited projections made for another
 * head count no longer fit: they are dropped for generated ones. Matrix mode splits the columns it
 * has. Per-head options follow (optionsForHeads), and K/V heads that no longer divide the heads
 * are an InputError.
 */
export function withHeads(state: PlaygroundState, heads: number): PlaygroundState {
  const options = optionsForHeads(state.options, heads, state.perHeadLists);
  const kv = kvHeadCount(options);
  const s = state.sentence;
  const fits = (w: Grid | null, blocks: number, width: number) => !w || (w[0]?.length ?? 0) === blocks * width;
  const keep = fits(s.wq, heads, s.dk) && fits(s.wk, kv, s.dk) && fits(s.wv, kv, s.dv);
  // The head shown stays one of the heads (fewer heads: the last).
  return withViewInRange({
    ...state,
    options,
    perHeadLists: perHeadListsFor(typedPerHeadLists(state.perHeadLists, state.options), options),
    sentence: keep ? s : { ...s, wq: null, wk: null, wv: null, featureLabels: null, valueLabels: null },
  });
}

// ---------------------------------------------------------------- validation

type Obj = Record<string, unknown>;

function fail(path: string, problem: string): never {
  throw new InputError(`${path} ${problem}`);
}

/**
 * While a reading names unknown fields (readState): each object parseState walked by its known
 * keys, with its path and the keys it read. Null otherwise (checkState runs on every edit).
 */
let walked: Map<Obj, { path: string; read: Set<string> }> | null = null;

/** An object read by its known keys (`field`); keys it was never asked for are unknown fields. */
function object(value: unknown, path: string): Obj {
  const o = record(value, path);
  walked?.set(o, { path, read: new Set() });
  return o;
}

/** An object whose keys are data (stage names), not fields: none of them is unknown. */
function record(value: unknown, path: string): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be an object');
  return value as Obj;
}

function field<T>(o: Obj, key: string, path: string, fallback: T, check: (value: unknown, path: string) => T): T {
  walked?.get(o)?.read.add(key);
  return o[key] === undefined ? fallback : check(o[key], `${path}.${key}`);
}

const bool = (v: unknown, path: string): boolean => (typeof v === 'boolean' ? v : fail(path, 'must be true or false'));

function text(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, 'must be a string');
  if (v.length > MAX_TEXT) fail(path, `is longer than ${MAX_TEXT} characters`);
  return v;
}

function integer(min: number, max: number) {
  return (v: unknown, path: string): number =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : fail(path, `must be an integer from ${min} to ${max}`);
}

/** A number saved from a whole-number box, within the bounds the box takes. */
function boxInteger(box: WholeNumberBox) {
  return integer(box.min, box.max);
}

function evenInteger(min: number, max: number) {
  return (v: unknown, path: string): number => (integer(min, max)(v, path) % 2 === 0 ? (v as number) : fail(path, 'must be even'));
}

function finite(v: unknown, path: string): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fail(path, 'must be a finite number');
}

function oneOf<T extends string>(values: readonly T[]) {
  return (v: unknown, path: string): T => (values.includes(v as T) ? (v as T) : fail(path, `must be one of ${values.join(', ')}`));
}

/** A matrix cell: finite, and within float32's range (the GPU's type; beyond it the run would fail). */
function cell(v: unknown, path: string): number {
  const x = finite(v, path);
  const problem = float32RangeProblem(x);
  return problem ? fail(path, problem) : x;
}

/**
 * Grids already found valid (checkState meets the same grid objects edit after edit; a grid is
 * never changed in place), so checking an edit to one cell does not re-read a million others.
 */
const validGrids = new WeakSet<object>();

function parseGrid(v: unknown, path: string): Grid {
  if (typeof v === 'object' && v !== null && validGrids.has(v)) return v as Grid;
  if (!Array.isArray(v) || v.length === 0) fail(path, 'must be a non-empty array of rows');
  if (v.length > MAX_ROWS) fail(path, `has ${v.length} rows, more than ${MAX_ROWS}`);
  const cols = Array.isArray(v[0]) ? v[0].length : 0;
  if (v.length * cols > MAX_CELLS) fail(path, `has more than ${MAX_CELLS} cells`);
  const grid = v.map((row, i) => {
    if (!Array.isArray(row)) fail(`${path}[${i}]`, 'must be an array of numbers');
    return row.map((x, j) => cell(x, `${path}[${i}][${j}]`));
  });
  if (!isRectangular(grid)) fail(path, 'must have rows of one, non-zero length');
  validGrids.add(v);
  return grid;
}

function nullable<T>(check: (v: unknown, path: string) => T) {
  return (v: unknown, path: string): T | null => (v === null ? null : check(v, path));
}

/** Names of rows or columns; a label may be as long as the text its word came from (MAX_TEXT). */
function labels(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || v.length > MAX_ROWS) fail(path, 'must be an array of strings');
  return v.map((x, i) =>
    typeof x === 'string' && x.length <= MAX_TEXT ? x : fail(`${path}[${i}]`, `must be a string of at most ${MAX_TEXT} characters`),
  );
}

function scale(v: unknown, path: string): ScaleSetting {
  if (v === 'default' || v === 'none') return v;
  return typeof v === 'number' && Number.isFinite(v) ? v : fail(path, 'must be "default", "none" or a finite number');
}

function parseOptions(v: unknown, path: string): AttentionOptions {
  const o = object(v, path);
  const temperature = field(o, 'temperature', path, DEFAULT_OPTIONS.temperature, finite);
  if (!(temperature > 0)) fail(`${path}.temperature`, 'must be positive');
  const heads = field(o, 'heads', path, DEFAULT_OPTIONS.heads, integer(1, 64));
  const kvHeads = field(o, 'kvHeads', path, DEFAULT_OPTIONS.kvHeads, nullable(integer(1, 64)));
  if (kvHeads !== null && heads % kvHeads !== 0) fail(`${path}.kvHeads`, `(${kvHeads}) must divide heads (${heads})`);
  const perHead = (what: string) => (v: unknown, p: string) => {
    const list = numbers(64)(v, p);
    return list.length === heads ? list : fail(p, `must hold one ${what} per head (${heads}), not ${list.length}`);
  };
  return {
    score: field(o, 'score', path, DEFAULT_OPTIONS.score, oneOf(SCORE_FUNCTIONS)),
    activation: field(o, 'activation', path, DEFAULT_OPTIONS.activation, oneOf(ACTIVATIONS)),
    scale: field(o, 'scale', path, DEFAULT_OPTIONS.scale, scale),
    temperature,
    causal: field(o, 'causal', path, DEFAULT_OPTIONS.causal, bool),
    heads,
    kvHeads,
    rope: field(o, 'rope', path, DEFAULT_OPTIONS.rope, nullable(parseRope)),
    window: field(o, 'window', path, DEFAULT_OPTIONS.window, nullable(integer(1, MAX_WINDOW))),
    alibi: field(
      o,
      'alibi',
      path,
      DEFAULT_OPTIONS.alibi,
      nullable((v, p) => (v === 'standard' ? v : perHead('slope')(v, p))),
    ),
    softcap: field(o, 'softcap', path, DEFAULT_OPTIONS.softcap, nullable(positive)),
    sinks: field(o, 'sinks', path, DEFAULT_OPTIONS.sinks, nullable(perHead('sink logit'))),
  };
}

function parsePerHeadLists(v: unknown, path: string): PerHeadLists {
  const o = object(v, path);
  return { sinks: field(o, 'sinks', path, null, nullable(numbers(64))), alibi: field(o, 'alibi', path, null, nullable(numbers(64))) };
}

function positive(v: unknown, path: string): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fail(path, 'must be a positive finite number');
}

function numbers(max: number) {
  return (v: unknown, path: string): number[] => {
    if (!Array.isArray(v) || v.length < 1 || v.length > max) fail(path, `must be an array of 1 to ${max} numbers`);
    return v.map((x, i) => finite(x, `${path}[${i}]`));
  };
}

function parseRope(v: unknown, path: string): RopeOptions {
  const o = object(v, path);
  const base = field(o, 'base', path, DEFAULT_ROPE.base, finite);
  if (!(base > 1)) fail(`${path}.base`, 'must be greater than 1');
  return {
    layout: field(o, 'layout', path, DEFAULT_ROPE.layout, oneOf(['interleaved', 'half'] as const)),
    base,
    dims: field(o, 'dims', path, DEFAULT_ROPE.dims, nullable(evenInteger(2, 1 << 16))),
    offset: field(o, 'offset', path, DEFAULT_ROPE.offset, integer(-(1 << 24), 1 << 24)),
  };
}

function parseMatrixState(v: unknown, path: string, d: MatrixState): MatrixState {
  const o = object(v, path);
  return {
    q: field(o, 'q', path, d.q, parseGrid),
    k: field(o, 'k', path, d.k, parseGrid),
    v: field(o, 'v', path, d.v, parseGrid),
    queryLabels: field(o, 'queryLabels', path, null, nullable(labels)),
    keyLabels: field(o, 'keyLabels', path, null, nullable(labels)),
    featureLabels: field(o, 'featureLabels', path, null, nullable(labels)),
    valueLabels: field(o, 'valueLabels', path, null, nullable(labels)),
    wo: field(o, 'wo', path, null, nullable(parseGrid)),
    // Links and saved states from before the learned score functions have no scoring weights.
    scoring: field(o, 'scoring', path, NO_SCORING, parseScoringGrids),
  };
}

function parseScoringGrids(v: unknown, path: string): ScoringGrids {
  const o = object(v, path);
  return {
    w: field(o, 'w', path, null, nullable(parseGrid)),
    wq: field(o, 'wq', path, null, nullable(parseGrid)),
    wk: field(o, 'wk', path, null, nullable(parseGrid)),
    v: field(o, 'v', path, null, nullable(parseGrid)),
  };
}

function parseSentenceState(v: unknown, path: string, d: SentenceState): SentenceState {
  const o = object(v, path);
  return {
    source: field(o, 'source', path, d.source, text),
    target: field(o, 'target', path, d.target, text),
    cross: field(o, 'cross', path, d.cross, bool),
    dk: field(o, 'dk', path, d.dk, integer(1, 512)),
    dv: field(o, 'dv', path, d.dv, integer(1, 512)),
    seed: field(o, 'seed', path, d.seed, integer(-(2 ** 31), 2 ** 31 - 1)),
    init: field(o, 'init', path, d.init, oneOf(['random', 'identity'] as const)),
    positional: field(o, 'positional', path, d.positional, bool),
    wq: field(o, 'wq', path, null, nullable(parseGrid)),
    wk: field(o, 'wk', path, null, nullable(parseGrid)),
    wv: field(o, 'wv', path, null, nullable(parseGrid)),
    featureLabels: field(o, 'featureLabels', path, null, nullable(labels)),
    valueLabels: field(o, 'valueLabels', path, null, nullable(labels)),
    project: field(o, 'project', path, d.project, bool),
  };
}

function parseModelSource(v: unknown, path: string): ModelSourceState {
  const o = object(v, path);
  const kind = field(o, 'kind', path, 'builtin', oneOf(['builtin', 'url', 'files'] as const));
  if (kind === 'builtin') return { kind };
  if (kind === 'url') {
    const url = field(o, 'url', path, '', text);
    if (url.length > MAX_URL) fail(`${path}.url`, `is longer than ${MAX_URL} characters`);
    if (!/^https?:\/\//i.test(url)) fail(`${path}.url`, 'must start with http:// or https://');
    return { kind, url };
  }
  const names = field(o, 'names', path, [], labels);
  if (names.length === 0 || names.length > 16) fail(`${path}.names`, 'must name 1 to 16 files');
  const sizes = field(o, 'sizes', path, undefined, fileSizes);
  if (sizes === undefined) return { kind, names };
  if (sizes.length !== names.length) fail(`${path}.sizes`, `must give one size per file (${names.length})`);
  return { kind, names, sizes };
}

function fileSizes(v: unknown, path: string): number[] {
  if (!Array.isArray(v) || v.length > 16) fail(path, 'must be an array of at most 16 file sizes');
  return v.map((x, i) => integer(0, Number.MAX_SAFE_INTEGER)(x, `${path}[${i}]`));
}

function tokenIds(v: unknown, path: string): number[] {
  if (!Array.isArray(v) || v.length > MAX_MODEL_TOKENS) fail(path, `must be an array of at most ${MAX_MODEL_TOKENS} token ids`);
  return v.map((x, i) => integer(0, 2 ** 31 - 1)(x, `${path}[${i}]`));
}

function parseModelState(v: unknown, path: string, d: ModelState): ModelState {
  const o = object(v, path);
  return {
    source: field(o, 'source', path, d.source, parseModelSource),
    text: field(o, 'text', path, d.text, text),
    layer: field(o, 'layer', path, d.layer, integer(0, 1023)),
    head: field(o, 'head', path, d.head, integer(0, 1023)),
    topK: field(o, 'topK', path, d.topK, boxInteger(MODEL_NUMBERS.topK)),
    generateCount: field(o, 'generateCount', path, d.generateCount, boxInteger(MODEL_NUMBERS.generateCount)),
    sampling: field(o, 'sampling', path, d.sampling, oneOf(['greedy', 'top-k'] as const)),
    samplingK: field(o, 'samplingK', path, d.samplingK, boxInteger(MODEL_NUMBERS.samplingK)),
    seed: field(o, 'seed', path, d.seed, boxInteger(MODEL_NUMBERS.seed)),
    generated: field(o, 'generated', path, d.generated, tokenIds),
  };
}

function parseMemoryState(v: unknown, path: string, d: MemoryState): MemoryState {
  const o = object(v, path);
  return {
    facts: field(o, 'facts', path, d.facts, text),
    question: field(o, 'question', path, d.question, text),
    hops: field(o, 'hops', path, d.hops, integer(1, MAX_HOPS)),
    update: field(o, 'update', path, d.update, oneOf(MEMORY_UPDATES)),
    rotation: field(o, 'rotation', path, null, nullable(parseGrid)),
    temperature: field(o, 'temperature', path, d.temperature, positive),
  };
}

function parseMlpState(v: unknown, path: string, d: MlpState): MlpState {
  const o = object(v, path);
  return {
    x: field(o, 'x', path, d.x, parseGrid),
    w1: field(o, 'w1', path, d.w1, parseGrid),
    w2: field(o, 'w2', path, d.w2, parseGrid),
    activation: field(o, 'activation', path, d.activation, oneOf(['relu', 'gelu'] as const)),
    softmax: field(o, 'softmax', path, d.softmax, bool),
  };
}

function parseView(v: unknown, path: string, d: ViewState): ViewState {
  const o = object(v, path);
  const profile = field<ProfileForm | undefined>(o, 'profile', path, undefined, parseProfileForm);
  const labStage = field<StageName | undefined>(o, 'labStage', path, undefined, oneOf(STAGE_NAMES));
  return {
    focusQuery: field(o, 'focusQuery', path, d.focusQuery, integer(0, MAX_ROWS)),
    head: field(o, 'head', path, d.head, integer(0, 63)),
    tab: field(o, 'tab', path, d.tab, oneOf(VIEW_TABS)),
    // Saved states and links from before the form was kept have none.
    ...(profile === undefined ? {} : { profile }),
    // Nor, from before the lab's stage tab was kept, a stage.
    ...(labStage === undefined ? {} : { labStage }),
  };
}

/** Variant names a saved form may tick (the profiler names unknown ones when it runs). */
const MAX_FORM_VARIANTS = 64;

/** A saved form's number field, within the bounds its box takes. */
const formInteger = (name: keyof typeof FORM_NUMBERS) => boxInteger(FORM_NUMBERS[name]);

function parseProfileForm(v: unknown, path: string): ProfileForm {
  const o = object(v, path);
  const d = DEFAULT_PROFILE_FORM;
  const ns = (x: unknown, p: string): number[] => {
    if (!Array.isArray(x) || x.length > N_PRESETS.length) fail(p, `must be an array of N values from ${N_PRESETS.join(', ')}`);
    return x.map((n, i) =>
      N_PRESETS.includes(n as number) ? (n as number) : fail(`${p}[${i}]`, `must be one of ${N_PRESETS.join(', ')}`),
    );
  };
  const names = (x: unknown, p: string): string[] => {
    if (!Array.isArray(x) || x.length > MAX_FORM_VARIANTS) fail(p, `must be an array of at most ${MAX_FORM_VARIANTS} variant names`);
    return x.map((name, i) => (typeof name === 'string' && name.length <= 64 ? name : fail(`${p}[${i}]`, 'must be a variant name')));
  };
  return {
    ns: field(o, 'ns', path, d.ns, ns),
    customNs: field(o, 'customNs', path, d.customNs, text),
    decode: field(o, 'decode', path, d.decode, text),
    dk: field(o, 'dk', path, d.dk, formInteger('dk')),
    dv: field(o, 'dv', path, d.dv, text),
    heads: field(o, 'heads', path, d.heads, formInteger('heads')),
    kvHeads: field(o, 'kvHeads', path, d.kvHeads, text),
    causal: field(o, 'causal', path, d.causal, bool),
    withFeatures: field(o, 'withFeatures', path, d.withFeatures, bool),
    variants: field(o, 'variants', path, d.variants, names),
    moreVariants: field(o, 'moreVariants', path, d.moreVariants, text),
    baselines: field(o, 'baselines', path, d.baselines, text),
    warmup: field(o, 'warmup', path, d.warmup, formInteger('warmup')),
    repeats: field(o, 'repeats', path, d.repeats, formInteger('repeats')),
    // Forms saved before the seed and the fit's range had fields have neither.
    seed: field(o, 'seed', path, d.seed, formInteger('seed')),
    fitFrom: field(o, 'fitFrom', path, d.fitFrom, text),
  };
}

function kernels(v: unknown, path: string): Record<string, string> {
  const o = record(v, path);
  for (const [stage, source] of Object.entries(o)) {
    if (!isStageName(stage)) fail(`${path}.${stage}`, `is not a stage (${STAGE_NAMES.join(', ')})`);
    if (typeof source !== 'string' || source.length > MAX_KERNEL_CHARS)
      fail(`${path}.${stage}`, `must be WGSL text of at most ${MAX_KERNEL_CHARS} characters`);
  }
  return o as Record<string, string>;
}

function heldStages(v: unknown, path: string): string[] {
  if (!Array.isArray(v) || v.length > STAGE_NAMES.length) fail(path, `must be an array of stage names (${STAGE_NAMES.join(', ')})`);
  for (const [i, stage] of v.entries())
    if (typeof stage !== 'string' || !isStageName(stage)) fail(`${path}[${i}]`, `is not a stage (${STAGE_NAMES.join(', ')})`);
  return [...new Set(v as string[])].sort();
}

function padding(v: unknown, path: string): number[] {
  if (!Array.isArray(v) || v.length > MAX_ROWS) fail(path, 'must be an array of key indices');
  return v.map((x, i) => integer(0, MAX_ROWS)(x, `${path}[${i}]`));
}

/** How each top-level field of a state is read, in the order the state holds them. */
const STATE_FIELDS: { [K in Exclude<keyof PlaygroundState, 'version'>]: (o: Obj, path: string, d: PlaygroundState) => PlaygroundState[K] } =
  {
    mode: (o, path, d) => field(o, 'mode', path, d.mode, oneOf(MODES)),
    presetId: (o, path) => field(o, 'presetId', path, null, nullable(text)),
    matrix: (o, path, d) => field(o, 'matrix', path, d.matrix, (v, p) => parseMatrixState(v, p, d.matrix)),
    sentence: (o, path, d) => field(o, 'sentence', path, d.sentence, (v, p) => parseSentenceState(v, p, d.sentence)),
    model: (o, path, d) => field(o, 'model', path, d.model, (v, p) => parseModelState(v, p, d.model)),
    // States from before memory mode have none: the default example.
    memory: (o, path, d) => field(o, 'memory', path, d.memory, (v, p) => parseMemoryState(v, p, d.memory)),
    // Saved states and links from before MLP mode have none: they get the built-in example.
    mlp: (o, path, d) => field(o, 'mlp', path, d.mlp, (v, p) => parseMlpState(v, p, d.mlp)),
    options: (o, path, d) => field(o, 'options', path, d.options, parseOptions),
    // Saved states and links from before it have none: nothing typed beyond the heads.
    perHeadLists: (o, path) => field(o, 'perHeadLists', path, NO_PER_HEAD_LISTS, parsePerHeadLists),
    mask: (o, path) => field(o, 'mask', path, null, nullable(parseGrid)),
    padding: (o, path) => field(o, 'padding', path, [], padding),
    variant: (o, path, d) => field(o, 'variant', path, d.variant, text),
    precision: (o, path, d) => field(o, 'precision', path, d.precision, oneOf(PRECISIONS)),
    kernels: (o, path) => field(o, 'kernels', path, null, nullable(kernels)),
    // Saved states and links from before holding existed have none.
    heldKernels: (o, path) => field(o, 'heldKernels', path, [], heldStages),
    view: (o, path, d) => field(o, 'view', path, d.view, (v, p) => parseView(v, p, d.view)),
  };

type StateField = keyof typeof STATE_FIELDS;
const STATE_FIELD_NAMES = Object.keys(STATE_FIELDS) as StateField[];

/** How many of an object's fields notAState names. */
const NAMED_FIELDS = 5;

/**
 * What a JSON value is, in words, when it is no playground state at all (not an object, or an
 * object without a version): "a number (42)", "an array of 3 items", "an empty object". Null when it
 * is an object with a version (parseState then names what is wrong with it, field by field).
 */
export function notAState(value: unknown): string | null {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length ? `an array of ${value.length} item${value.length === 1 ? '' : 's'}` : 'an empty array';
  switch (typeof value) {
    case 'number':
      return `a number (${value})`;
    case 'boolean':
      return `the value ${value}`;
    case 'string':
      return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`;
    case 'object': {
      if (Object.hasOwn(value as object, 'version')) return null;
      const keys = Object.keys(value as object);
      if (!keys.length) return 'an empty object';
      const named = keys.slice(0, NAMED_FIELDS).join(', ') + (keys.length > NAMED_FIELDS ? ', …' : '');
      return `an object without a version field (its fields: ${named})`;
    }
    default:
      return `a value of type ${typeof value}`;
  }
}

/** The state object, once its version is this page's (another version's fields may mean other things). */
function versioned(value: unknown, path: string): Obj {
  const what = notAState(value);
  if (what) fail(path, `is ${what}, not a playground state`);
  const o = object(value, path);
  walked?.get(o)?.read.add('version');
  if (o.version !== STATE_VERSION) fail(`${path}.version`, `is ${JSON.stringify(o.version)}; this page reads version ${STATE_VERSION}`);
  return o;
}

/** Throws the InputError of a check across fields (each field alone read well). */
function checkAcrossFields(state: PlaygroundState, path: string): void {
  // Matrix mode's scoring weights must fit its Q and K (sentence mode fits them as it runs).
  if (state.mode === 'matrix') {
    const { matrix: m, options } = state;
    try {
      checkScoringGrids(m.scoring, options, m.q[0].length, m.k[0].length);
    } catch (error) {
      if (error instanceof InputError) fail(`${path}.matrix.scoring:`, error.message);
      throw error;
    }
  }
}

/** Checks a parsed JSON value and returns a complete state; throws InputError on the first bad field. */
export function parseState(value: unknown, path = 'state'): PlaygroundState {
  const o = versioned(value, path);
  const d = defaultState();
  const state = { version: STATE_VERSION } as Record<string, unknown>;
  for (const name of STATE_FIELD_NAMES) state[name] = STATE_FIELDS[name](o, path, d);
  checkAcrossFields(state as unknown as PlaygroundState, path);
  return state as unknown as PlaygroundState;
}

/** A top-level field a lenient reading replaced with its default, and the validator's message. */
export interface DroppedField {
  /** The top-level field ("options"), or one of its keys ("view.labStage") when only that key was given its default. */
  field: string;
  message: string;
}

/** A state read from outside, with what the reading left out. */
export interface StateReading {
  state: PlaygroundState;
  /** Top-level fields that did not parse (or did not fit the others), replaced with their defaults. */
  dropped: DroppedField[];
  /**
   * Keys this page does not read, as paths without the leading "state." ("foo", "options.bar"), in
   * every object parseState reads by its known keys (not the stage names of `kernels`).
   */
  unknown: string[];
}

/**
 * A state read strictly (parseState: the first bad field throws, as a link needs), naming the
 * fields it ignored.
 */
export function readState(value: unknown): StateReading {
  return withUnknownFields(() => ({ state: parseState(value), dropped: [] }));
}

/**
 * A state read field by field, for a saved state that must not be lost: every top-level field
 * that parses is kept, and each one that does not gets its default and is named with the
 * validator's message. Fields that read well alone but disagree (matrix.scoring and the options'
 * score) give up the options, a setting, rather than the matrices typed. The result passes
 * checkState. Throws an InputError only when the value is not a state of this page's version: a
 * state of another version cannot be read field by field safely.
 */
export function parseStateLeniently(value: unknown): StateReading {
  return withUnknownFields(() => {
    const o = versioned(value, 'state');
    const d = defaultState();
    const state = { version: STATE_VERSION } as Record<string, unknown>;
    const dropped: DroppedField[] = [];
    for (const name of STATE_FIELD_NAMES) {
      const read = readFieldLeniently(o, name, d);
      state[name] = read.value;
      dropped.push(...read.dropped);
    }
    const read = state as unknown as PlaygroundState;
    try {
      checkAcrossFields(read, 'state');
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      read.options = d.options;
      dropped.push({ field: 'options', message: error.message });
    }
    return { state: read, dropped };
  });
}

/** How many of a field's keys a lenient reading gives their defaults before it gives the whole field its default. */
const MAX_DROPPED_KEYS = 8;

/**
 * One top-level field read leniently: when a key of an object field does not read (its message
 * names `state.field.key`), that key gets its default and the rest of the field is kept — one bad
 * `view.labStage` does not cost the view's Profiler form — up to MAX_DROPPED_KEYS; past that, or
 * when the field itself is bad, the whole field gets its default.
 */
function readFieldLeniently(o: Obj, name: StateField, d: PlaygroundState): { value: unknown; dropped: DroppedField[] } {
  let field = o[name];
  const dropped: DroppedField[] = [];
  walked?.get(o)?.read.add(name);
  for (let tries = 0; ; tries++) {
    const before = new Set(walked?.keys());
    try {
      return { value: STATE_FIELDS[name]({ ...o, [name]: field }, 'state', d), dropped };
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      // The objects a failed try walked are not the state's: their unread keys are no unknown fields.
      for (const walkedObject of [...(walked?.keys() ?? [])]) if (!before.has(walkedObject)) walked?.delete(walkedObject);
      const key = new RegExp(`^state\\.${name}\\.(\\w+)`).exec(error.message)?.[1];
      const isObject = typeof field === 'object' && field !== null && !Array.isArray(field);
      if (!key || !isObject || !Object.hasOwn(field as Obj, key) || tries >= MAX_DROPPED_KEYS)
        return { value: d[name], dropped: [{ field: name, message: error.message }] };
      dropped.push({ field: `${name}.${key}`, message: error.message });
      const rest = { ...(field as Obj) };
      delete rest[key];
      field = rest;
    }
  }
}

/** Runs a reading while recording the objects it walks, and lists the keys it never read (outside dropped fields). */
function withUnknownFields(reading: () => Omit<StateReading, 'unknown'>): StateReading {
  const outer = walked;
  walked = new Map();
  try {
    const result = reading();
    const droppedPaths = result.dropped.map((d) => `state.${d.field}`);
    const inDropped = (path: string) => droppedPaths.some((p) => path === p || path.startsWith(`${p}.`));
    const unknown: string[] = [];
    for (const [o, { path, read }] of walked) {
      if (inDropped(path)) continue;
      for (const key of Object.keys(o)) if (!read.has(key)) unknown.push(`${path}.${key}`.replace(/^state\./, ''));
    }
    return { ...result, unknown };
  } finally {
    walked = outer;
  }
}

/**
 * The page's one gate for a new state: throws the InputError parseState would throw reading it
 * back from a link or storage, so whatever the page accepts it can restore, and an edit it could
 * not restore is refused (with the validator's message) before it replaces anything.
 */
export function checkState(state: PlaygroundState): void {
  // parseState reads the object as JSON.parse would give it back: NaN and ±Infinity, which JSON
  // writes as null, fail `finite` here just as null would there.
  parseState(state);
}

// ---------------------------------------------------------------- links

/** The state as a URL-safe string (lz-string over JSON). */
export function encodeState(state: PlaygroundState): string {
  return LZString.compressToEncodedURIComponent(JSON.stringify(state));
}

/** Reads encodeState's output back; a cut-off or altered link is an InputError, never a partial state. */
export function decodeState(encoded: string): PlaygroundState {
  return parseState(decodeStateValue(encoded));
}

/** The JSON value encodeState's output holds, not yet checked (readState or parseState does that). */
export function decodeStateValue(encoded: string): unknown {
  const json = encoded ? LZString.decompressFromEncodedURIComponent(encoded) : null;
  if (!json) throw new InputError('the link does not hold a playground state (it may have been cut off when copied)');
  try {
    return JSON.parse(json) as unknown;
  } catch {
    throw new InputError('the link does not hold a playground state (it may have been cut off when copied)');
  }
}

/** Parses a state saved as JSON text (localStorage, an exported file). */
export function parseStateJson(json: string, what = 'saved state'): PlaygroundState {
  return parseState(stateJsonValue(json, what));
}

/** The JSON value of a state saved as text, not yet checked; an InputError when it is not JSON. */
export function stateJsonValue(json: string, what = 'saved state'): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch (error) {
    throw new InputError(`${what} is not valid JSON (${(error as Error).message})`);
  }
}

export function sameState(a: PlaygroundState, b: PlaygroundState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
