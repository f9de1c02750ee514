/**
 * Edits to the playground state as pure functions: what a grid editor or the mask editor asks
 * for, applied with the links between matrices kept (Q and K share their width dk, K and V share
 * their row count m), so a structural edit never leaves the problem inconsistent by itself.
 */
import type { Grid } from './grid';
import { gridShape, insertCol, insertRow, pasteBlock, removeCol, removeRow, resize, setCell } from './grid';
import { kvHeadCount } from './features';
import type { PlaygroundState } from './state';
import type { ScoringGridName } from './scoring-state';

/** Q, K, V, W_o; sentence mode's projections; and the learned score functions' weights (score-*, src/core/scoring-state.ts). */
export type MatrixName = 'q' | 'k' | 'v' | 'wo' | 'wq' | 'wk' | 'wv' | ScoringMatrixName;
export type ScoringMatrixName = `score-${ScoringGridName}`;

/** How messages name the playground's own matrices (the score functions' weights have SCORING_GRID_TITLES). */
export const MATRIX_TITLES: Readonly<Record<Exclude<MatrixName, ScoringMatrixName>, string>> = {
  q: 'Q',
  k: 'K',
  v: 'V',
  wo: 'W_o',
  wq: 'W_q',
  wk: 'W_k',
  wv: 'W_v',
};

export const scoringGridOf = (name: MatrixName): ScoringGridName | null =>
  name.startsWith('score-') ? (name.slice('score-'.length) as ScoringGridName) : null;

export type MatrixOp =
  | { kind: 'set'; row: number; col: number; value: number }
  | { kind: 'paste'; row: number; col: number; block: Grid }
  | { kind: 'insert-row'; at: number }
  | { kind: 'remove-row'; at: number }
  | { kind: 'insert-col'; at: number }
  | { kind: 'remove-col'; at: number }
  /** Fill or import: the whole matrix replaced (its shape may change). */
  | { kind: 'replace'; grid: Grid };

export type MaskOp = { kind: 'toggle'; row: number; col: number } | { kind: 'toggle-padding'; key: number } | { kind: 'clear' };

/** The projections generated from seed and init, for editing a W that has not been edited yet. */
export type GeneratedProjections = Partial<Record<'wq' | 'wk' | 'wv', Grid>>;

function insertAt<T>(list: T[] | null, at: number, item: T): T[] | null {
  return list ? [...list.slice(0, at), item, ...list.slice(at)] : null;
}

function removeAt<T>(list: T[] | null, at: number): T[] | null {
  return list ? list.filter((_, i) => i !== at) : null;
}

/** Applies op to one grid; structural ops that would leave it empty are ignored. */
export function applyToGrid(g: Grid, op: MatrixOp): Grid {
  const { rows, cols } = gridShape(g);
  switch (op.kind) {
    case 'set':
      return op.row < rows && op.col < cols ? setCell(g, op.row, op.col, op.value) : g;
    case 'paste':
      return pasteBlock(g, op.block, op.row, op.col);
    case 'insert-row':
      return insertRow(g, op.at);
    case 'remove-row':
      return rows > 1 ? removeRow(g, op.at) : g;
    case 'insert-col':
      return insertCol(g, op.at);
    case 'remove-col':
      return cols > 1 ? removeCol(g, op.at) : g;
    case 'replace':
      return op.grid.map((r) => [...r]);
  }
}

export function applyMatrixOp(
  state: PlaygroundState,
  name: MatrixName,
  op: MatrixOp,
  generated: GeneratedProjections = {},
): PlaygroundState {
  if (name === 'wq' || name === 'wk' || name === 'wv') return applyProjectionOp(state, name, op, generated);
  if (name === 'wo') return applyOutputProjectionOp(state, op);
  const scoringGrid = scoringGridOf(name);
  if (scoringGrid) return applyScoringOp(state, scoringGrid, op);
  return applyQkvOp(state, name as 'q' | 'k' | 'v', op);
}

/** Q, K, V: their rows and columns carry labels, padding, W_o's rows and each other's shapes along. */
function applyQkvOp(state: PlaygroundState, name: 'q' | 'k' | 'v', op: MatrixOp): PlaygroundState {
  const before = state.matrix;
  const ms = { ...before, [name]: applyToGrid(before[name], op) };
  const kv = kvHeadCount(state.options);
  // With grouped-query attention W_o's rows (h·dv) are not V's columns (kv·dv).
  const sharedKv = kv !== state.options.heads;
  let padding = state.padding;
  if (op.kind === 'insert-row' || op.kind === 'remove-row') {
    const insert = op.kind === 'insert-row';
    const edit = <T>(list: T[] | null, item: T) => (insert ? insertAt(list, op.at, item) : removeAt(list, op.at));
    if (name === 'q') {
      if (ms.q.length !== before.q.length) ms.queryLabels = edit(before.queryLabels, '');
    } else if (ms[name].length !== before[name].length) {
      // K and V rows are one key each: add or remove the key in both, with its label and padding mark.
      const partner = name === 'k' ? 'v' : 'k';
      ms[partner] = applyToGrid(before[partner], op);
      ms.keyLabels = edit(before.keyLabels, '');
      padding = insert
        ? padding.map((j) => (j >= op.at ? j + 1 : j))
        : padding.filter((j) => j !== op.at).map((j) => (j > op.at ? j - 1 : j));
    }
  }
  if ((op.kind === 'insert-col' || op.kind === 'remove-col') && name !== 'v') {
    const partner = name === 'q' ? 'k' : 'q';
    if (gridShape(ms[name]).cols !== gridShape(before[name]).cols) {
      ms[partner] = applyToGrid(before[partner], op);
      ms.featureLabels = op.kind === 'insert-col' ? insertAt(before.featureLabels, op.at, '') : removeAt(before.featureLabels, op.at);
    }
  }
  if ((op.kind === 'insert-col' || op.kind === 'remove-col') && name === 'v' && gridShape(ms.v).cols !== gridShape(before.v).cols) {
    ms.valueLabels = op.kind === 'insert-col' ? insertAt(before.valueLabels, op.at, '') : removeAt(before.valueLabels, op.at);
    // W_o has a row per output column: it follows (with shared K/V heads, the fit below resizes it).
    if (before.wo && !sharedKv) ms.wo = op.kind === 'insert-col' ? insertRow(before.wo, op.at) : removeRow(before.wo, op.at);
  }
  if (op.kind === 'paste') {
    // A paste that ran past the edge grew this matrix; grow its partners to match.
    if (name !== 'v') {
      const width = Math.max(gridShape(ms.q).cols, gridShape(ms.k).cols);
      ms.q = resize(ms.q, ms.q.length, width);
      ms.k = resize(ms.k, ms.k.length, width);
    }
    if (name !== 'q') {
      const keys = Math.max(ms.k.length, ms.v.length);
      ms.k = resize(ms.k, keys, gridShape(ms.k).cols);
      ms.v = resize(ms.v, keys, gridShape(ms.v).cols);
    }
  }
  const outputCols = outputWidth(gridShape(ms.v).cols, state.options.heads, kv);
  if ((op.kind === 'paste' || op.kind === 'replace' || sharedKv) && ms.wo && outputCols !== null && ms.wo.length !== outputCols) {
    // V got wider or narrower: W_o keeps a row per output column (new rows are zero).
    ms.wo = resize(ms.wo, outputCols, gridShape(ms.wo).cols);
  }
  return { ...state, matrix: ms, padding };
}

/** Columns of the output (h·dv) for V of `vCols` columns split over kv K/V heads; null when they do not split. */
function outputWidth(vCols: number, heads: number, kv: number): number | null {
  return vCols % kv === 0 ? (vCols / kv) * heads : null;
}

/**
 * W_o: cells, pastes and whole replacements (fill, import); its rows follow V's columns, so rows
 * are not added or removed here, but columns (d_model) may be.
 */
function applyOutputProjectionOp(state: PlaygroundState, op: MatrixOp): PlaygroundState {
  const wo = state.matrix.wo;
  if (!wo || op.kind === 'insert-row' || op.kind === 'remove-row') return state;
  const next =
    op.kind === 'paste'
      ? resize(pasteBlock(wo, op.block, op.row, op.col), wo.length, Math.max(gridShape(wo).cols, op.col + gridShape(op.block).cols))
      : applyToGrid(wo, op);
  return { ...state, matrix: { ...state.matrix, wo: next } };
}

/**
 * The score function's weights: cells, pastes and whole replacements (fill, import). Shapes are not
 * fitted here: the page's gate refuses a shape that does not fit Q and K (naming the matrix and the
 * shape it must have), so a wrong paste or import keeps the previous one. Their widths are Q's and
 * K's (dq, dk), so W, and W_q's and W_k's columns, take no structural edit; the additive score's
 * hidden width a is W_q's and W_k's rows and v's columns, so a hidden unit added to or removed from
 * one of them is added to or removed from all three (a new unit is zero in each, which leaves every
 * score as it was).
 */
function applyScoringOp(state: PlaygroundState, name: ScoringGridName, op: MatrixOp): PlaygroundState {
  const scoring = state.matrix.scoring;
  const grid = scoring[name];
  if (!grid) return state;
  const structural = op.kind === 'insert-row' || op.kind === 'remove-row' || op.kind === 'insert-col' || op.kind === 'remove-col';
  if (!structural) return { ...state, matrix: { ...state.matrix, scoring: { ...scoring, [name]: applyToGrid(grid, op) } } };
  const rows = op.kind === 'insert-row' || op.kind === 'remove-row';
  // Only a hidden unit: W_q's or W_k's row, v's column (W and the other axes are Q's and K's widths).
  const hidden = name === 'wq' || name === 'wk' ? rows : name === 'v' && !rows;
  const { wq, wk, v } = scoring;
  if (!hidden || !wq || !wk || !v) return state;
  const insert = op.kind === 'insert-row' || op.kind === 'insert-col';
  if (!insert && wq.length <= 1) return state;
  const rowOp: MatrixOp = insert ? { kind: 'insert-row', at: op.at } : { kind: 'remove-row', at: op.at };
  const colOp: MatrixOp = insert ? { kind: 'insert-col', at: op.at } : { kind: 'remove-col', at: op.at };
  // v is one row of a (the page's layout) or, from an import, one column.
  const nextV = v.length === 1 ? applyToGrid(v, colOp) : applyToGrid(v, rowOp);
  return {
    ...state,
    matrix: { ...state.matrix, scoring: { ...scoring, wq: applyToGrid(wq, rowOp), wk: applyToGrid(wk, rowOp), v: nextV } },
  };
}

/** W_q, W_k, W_v keep their shape (dModel × dk is fixed by the word vectors and dk): edits only. */
function applyProjectionOp(
  state: PlaygroundState,
  name: 'wq' | 'wk' | 'wv',
  op: MatrixOp,
  generated: GeneratedProjections,
): PlaygroundState {
  const current = state.sentence[name] ?? generated[name];
  if (!current) return state;
  const { rows, cols } = gridShape(current);
  let next: Grid;
  if (op.kind === 'set' || op.kind === 'replace') next = applyToGrid(current, op);
  else if (op.kind === 'paste') next = resize(pasteBlock(current, op.block, op.row, op.col), rows, cols);
  else return state;
  if (op.kind === 'replace' && (gridShape(next).rows !== rows || gridShape(next).cols !== cols)) return state;
  return { ...state, sentence: { ...state.sentence, [name]: next } };
}

export function applyMaskOp(state: PlaygroundState, op: MaskOp, n: number, m: number): PlaygroundState {
  switch (op.kind) {
    case 'toggle': {
      const mask = resize(state.mask ?? [], n, m, 1);
      mask[op.row][op.col] = mask[op.row][op.col] !== 0 ? 0 : 1;
      return { ...state, mask };
    }
    case 'toggle-padding': {
      const padded = state.padding.includes(op.key);
      const padding = padded ? state.padding.filter((j) => j !== op.key) : [...state.padding, op.key].sort((a, b) => a - b);
      return { ...state, padding };
    }
    case 'clear':
      return { ...state, mask: null, padding: [] };
  }
}
