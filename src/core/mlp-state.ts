/**
 * MLP mode's state as inputs and edits: the three grids as matrices, and matrix edits that keep the
 * shapes linked (x's columns are W₁'s, W₁'s rows are W₂'s columns), so a structural edit never
 * leaves the problem inconsistent by itself; an import that does not fit is an InputError naming
 * both shapes (the page then changes nothing).
 */
import type { MatrixOp } from './edits';
import { applyToGrid } from './edits';
import type { Grid } from './grid';
import { gridShape, insertCol, insertRow, removeCol, removeRow, toMatrix } from './grid';
import type { MlpWeights } from './mlp';
import { checkMlp } from './mlp';
import type { MlpState, PlaygroundState } from './state';

export type MlpMatrixName = 'x' | 'w1' | 'w2';

/** The grids' names in titles and messages (their file names are the MlpMatrixNames: x.csv, w1.npy). */
export const MLP_MATRIX_TITLES: Readonly<Record<MlpMatrixName, string>> = { x: 'x', w1: 'W₁', w2: 'W₂' };

export const isMlpMatrixName = (name: string): name is MlpMatrixName => Object.hasOwn(MLP_MATRIX_TITLES, name);

export function mlpWeights(s: MlpState): MlpWeights {
  return { x: toMatrix(s.x), w1: toMatrix(s.w1), w2: toMatrix(s.w2) };
}

/** A column of one grid and the matching row or column of its partner, inserted or removed together. */
function linked(g: Grid, op: MatrixOp, axis: 'row' | 'col'): Grid {
  if (op.kind === 'insert-row' || op.kind === 'insert-col') return axis === 'row' ? insertRow(g, op.at) : insertCol(g, op.at);
  if (op.kind === 'remove-row' || op.kind === 'remove-col') {
    const { rows, cols } = gridShape(g);
    if (axis === 'row') return rows > 1 ? removeRow(g, op.at) : g;
    return cols > 1 ? removeCol(g, op.at) : g;
  }
  return g;
}

/** Applies a grid editor's op to one of the MLP's matrices; throws InputError when the result does not fit. */
export function applyMlpMatrixOp(state: PlaygroundState, name: MlpMatrixName, op: MatrixOp): PlaygroundState {
  const before = state.mlp;
  const next = { ...before, [name]: applyToGrid(before[name], op) };
  const cols = op.kind === 'insert-col' || op.kind === 'remove-col';
  const rows = op.kind === 'insert-row' || op.kind === 'remove-row';
  const changed = (a: Grid, b: Grid) => gridShape(a).rows !== gridShape(b).rows || gridShape(a).cols !== gridShape(b).cols;
  if (changed(next[name], before[name])) {
    // x's features are W₁'s columns; W₁'s hidden units are W₂'s columns.
    if (name === 'x' && cols) next.w1 = linked(before.w1, op, 'col');
    if (name === 'w1' && cols) next.x = linked(before.x, op, 'col');
    if (name === 'w1' && rows)
      next.w2 = linked(before.w2, { ...op, kind: op.kind === 'insert-row' ? 'insert-col' : 'remove-col' } as MatrixOp, 'col');
    if (name === 'w2' && cols)
      next.w1 = linked(before.w1, { ...op, kind: op.kind === 'insert-col' ? 'insert-row' : 'remove-row' } as MatrixOp, 'row');
  }
  checkMlp(mlpWeights(next));
  return { ...state, mlp: next };
}
