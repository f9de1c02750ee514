/**
 * Reading and writing matrices as .npy, .json (nested arrays) and .csv. Every failure is an
 * InputError that names the file and the problem; nothing here touches the DOM or the disk.
 */
import { dump, parse as parseNpyBuffer } from 'npyjs';
import { csvParseRows, csvFormatRows, tsvParseRows } from 'd3-dsv';
import { InputError } from './errors';
import type { FloatArray, Matrix } from './tensor';
import { matrix } from './tensor';

export type MatrixFormat = 'npy' | 'json' | 'csv';

export function formatFromName(name: string): MatrixFormat {
  const ext = name.toLowerCase().split('.').pop();
  if (ext === 'npy' || ext === 'json' || ext === 'csv') return ext;
  if (ext === 'tsv' || ext === 'txt') return 'csv';
  throw new InputError(`${name}: unknown file type .${ext ?? ''} (use .npy, .json or .csv)`);
}

function checkFinite(values: ArrayLike<number>, cols: number, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new InputError(`${what}: element [${Math.floor(i / cols)}][${i % cols}] is ${values[i]}, not a finite number`);
    }
  }
}

/** A 2-D .npy of any real dtype (1-D is read as one row), converted to float32. */
export function parseNpy(bytes: ArrayBuffer, what = 'npy file'): Matrix {
  let array;
  try {
    array = parseNpyBuffer(bytes);
  } catch (error) {
    throw new InputError(`${what}: not a valid .npy file (${(error as Error).message})`);
  }
  const { shape, dtype, fortranOrder } = array;
  if (!/^[iuf][1248]$/.test(dtype)) throw new InputError(`${what}: dtype ${dtype} is not a real number type`);
  if (shape.length > 2 || shape.length === 0) throw new InputError(`${what}: expected a 2-D array, got shape (${shape.join(', ')})`);
  const [rows, cols] = shape.length === 1 ? [1, shape[0]] : shape;
  const source = array.data as unknown as ArrayLike<number | bigint>;
  const values = new Float32Array(rows * cols);
  for (let i = 0; i < values.length; i++) {
    // Fortran order stores columns first.
    const from = fortranOrder ? (i % cols) * rows + Math.floor(i / cols) : i;
    values[i] = Number(source[from]);
  }
  checkFinite(values, cols, what);
  return matrix(rows, cols, values);
}

export function toNpy(m: Matrix<FloatArray>): ArrayBuffer {
  return dump(Float32Array.from(m.data), [m.rows, m.cols]);
}

function fromNestedRows(rows: unknown, what: string): Matrix {
  if (!Array.isArray(rows) || rows.length === 0) throw new InputError(`${what}: expected a non-empty array of rows`);
  const grid = rows.every((r) => typeof r === 'number') ? [rows] : rows;
  const cols = Array.isArray(grid[0]) ? grid[0].length : -1;
  const values: number[] = [];
  grid.forEach((row: unknown, i: number) => {
    if (!Array.isArray(row)) throw new InputError(`${what}: row ${i} is not an array`);
    if (row.length !== cols) throw new InputError(`${what}: row ${i} has ${row.length} values, row 0 has ${cols}`);
    row.forEach((x: unknown, j: number) => {
      const value = typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN;
      if (!Number.isFinite(value)) throw new InputError(`${what}: element [${i}][${j}] is ${JSON.stringify(x)}, not a finite number`);
      values.push(value);
    });
  });
  if (cols < 1) throw new InputError(`${what}: rows are empty`);
  return matrix(grid.length, cols, values);
}

/** JSON nested arrays, [[1,2],[3,4]] (a flat array is one row). */
export function parseJsonMatrix(text: string, what = 'json file'): Matrix {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${what}: not valid JSON (${(error as Error).message})`);
  }
  return fromNestedRows(value, what);
}

/** Comma- or tab-separated rows (what a spreadsheet copies); blank lines are ignored. */
export function parseDelimited(text: string, what = 'csv file'): Matrix {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new InputError(`${what}: no rows`);
  const rows = lines[0].includes('\t') ? tsvParseRows(lines.join('\n')) : csvParseRows(lines.join('\n'));
  return fromNestedRows(
    rows.map((r) => r.map((cell) => cell.trim())),
    what,
  );
}

/** Parses by file extension; `what` names the matrix in messages (defaults to the file name). */
export function parseMatrix(bytes: ArrayBuffer, name: string, what = name): Matrix {
  const format = formatFromName(name);
  if (format === 'npy') return parseNpy(bytes, what);
  const text = new TextDecoder().decode(bytes);
  return format === 'json' ? parseJsonMatrix(text, what) : parseDelimited(text, what);
}

export function toCsv(m: Matrix<FloatArray>): string {
  const rows = Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols), String));
  return csvFormatRows(rows) + '\n';
}

export function toJson(m: Matrix<FloatArray>): string {
  const rows = Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return JSON.stringify(rows);
}

export function serializeMatrix(m: Matrix<FloatArray>, format: MatrixFormat): ArrayBuffer | string {
  return format === 'npy' ? toNpy(m) : format === 'json' ? toJson(m) : toCsv(m);
}
