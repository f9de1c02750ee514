/**
 * Editable matrices as the page holds them: rows of plain numbers (float64, as typed). Every
 * operation returns a new grid, so an edit can be undone by keeping the old one.
 */
import { InputError } from './errors';
import { float32RangeProblem, isDecimalText } from './float32';
import { createRng } from './rng';
import type { FloatArray, Matrix, Matrix64 } from './tensor';
import { matrix } from './tensor';

export type Grid = number[][];

export function gridShape(g: Grid): { rows: number; cols: number } {
  return { rows: g.length, cols: g[0]?.length ?? 0 };
}

export function zeros(rows: number, cols: number, value = 0): Grid {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(value));
}

export function identity(rows: number, cols: number): Grid {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === j ? 1 : 0)));
}

/** Uniform values in [−1, 1) rounded to 2 decimals, so a seeded fill stays readable in the editor. */
export function randomGrid(rows: number, cols: number, seed: number): Grid {
  const rng = createRng(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.floor((rng.next() * 2 - 1) * 100) / 100));
}

export function setCell(g: Grid, row: number, col: number, value: number): Grid {
  return g.map((r, i) => (i === row ? r.map((x, j) => (j === col ? value : x)) : r));
}

/** Inserts a row of `fill` before `at` (at = rows appends). */
export function insertRow(g: Grid, at: number, fill = 0): Grid {
  const { cols } = gridShape(g);
  return [...g.slice(0, at), new Array<number>(Math.max(cols, 1)).fill(fill), ...g.slice(at)];
}

export function removeRow(g: Grid, at: number): Grid {
  return g.filter((_, i) => i !== at);
}

export function insertCol(g: Grid, at: number, fill = 0): Grid {
  return g.map((r) => [...r.slice(0, at), fill, ...r.slice(at)]);
}

export function removeCol(g: Grid, at: number): Grid {
  return g.map((r) => r.filter((_, j) => j !== at));
}

/** Grows or shrinks to rows×cols, keeping the overlap and filling new cells with `fill`. */
export function resize(g: Grid, rows: number, cols: number, fill = 0): Grid {
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => g[i]?.[j] ?? fill));
}

/** Writes `block` with its top-left corner at (row, col), growing the grid where the block runs past it. */
export function pasteBlock(g: Grid, block: Grid, row: number, col: number): Grid {
  const { rows, cols } = gridShape(g);
  const b = gridShape(block);
  const out = resize(g, Math.max(rows, row + b.rows), Math.max(cols, col + b.cols));
  block.forEach((r, i) => r.forEach((x, j) => (out[row + i][col + j] = x)));
  return out;
}

export function toMatrix(g: Grid): Matrix {
  const { rows, cols } = gridShape(g);
  return matrix(rows, cols, g.flat());
}

/** The grid's numbers as they are (float64): for writing them out as typed, not as the GPU gets them. */
export function toMatrix64(g: Grid): Matrix64 {
  const { rows, cols } = gridShape(g);
  return { rows, cols, data: Float64Array.from(g.flat()) };
}

export function fromMatrix(m: Matrix<FloatArray>): Grid {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}

export function isRectangular(g: Grid): boolean {
  const cols = g[0]?.length ?? 0;
  return g.length > 0 && cols > 0 && g.every((r) => r.length === cols);
}

/**
 * Reads one cell as typed: a plain decimal that float32 can hold (the GPU's type), or an
 * InputError saying why not. Hex, binary and octal literals and "Infinity", which Number() reads
 * without complaint, are refused rather than silently turned into numbers.
 */
export function parseCell(text: string): number {
  const trimmed = text.trim().replace(/^\u2212/, '-');
  if (trimmed === '') throw new InputError('an empty cell is not a number');
  if (!isDecimalText(trimmed)) throw new InputError(`"${text.trim().slice(0, 40)}" is not a decimal number`);
  const value = Number(trimmed);
  const problem = Number.isFinite(value) ? float32RangeProblem(value) : 'is not a finite number';
  if (problem) throw new InputError(`"${text.trim()}" ${problem}`);
  return value;
}
