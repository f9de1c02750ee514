/**
 * Reading and writing matrices as .npy, .json (nested arrays) and .csv. Every failure is an
 * InputError that names the file and the problem; nothing here touches the DOM or the disk. A
 * reader refuses what the page could not hold or restore (limits.ts, float32's range) before it
 * allocates, so an imported matrix is one the page can save and read back.
 *
 * A reader gives the values as the file writes them (float64), as a typed cell keeps what was
 * typed: .json and .csv numbers exactly, float64 .npy as stored, and a float32 or float16 .npy's
 * values as the shortest decimals that are the same float32 (0.1, not 0.10000000149011612). The
 * GPU gets each as float32 either way (`float32Matrix`). So a matrix's .json or .csv export,
 * imported again, gives the page back the numbers it had.
 */
import { dump, parse as parseNpyBuffer } from 'npyjs';
import { csvParseRows, csvFormatRows, tsvParseRows } from 'd3-dsv';
import { InputError } from './errors';
import { float32RangeProblem, float32ToString, isDecimalText } from './float32';
import { MAX_CELLS, MAX_ROWS } from './limits';
import type { FloatArray, Matrix, Matrix64 } from './tensor';

export type MatrixFormat = 'npy' | 'json' | 'csv';

export function formatFromName(name: string): MatrixFormat {
  const ext = name.toLowerCase().split('.').pop();
  if (ext === 'npy' || ext === 'json' || ext === 'csv') return ext;
  if (ext === 'tsv' || ext === 'txt') return 'csv';
  throw new InputError(`${name}: unknown file type .${ext ?? ''} (use .npy, .json or .csv)`);
}

/** Why a rows×cols matrix is more than the page holds, or null. */
function sizeProblem(rows: number, cols: number): string | null {
  if (rows === 0 || cols === 0) return `holds no values (${rows}×${cols})`;
  if (rows > MAX_ROWS) return `has ${rows} rows; the page holds at most ${MAX_ROWS}`;
  if (rows * cols > MAX_CELLS) return `has ${rows}×${cols} = ${rows * cols} values; the page holds at most ${MAX_CELLS} per matrix`;
  return null;
}

/** The value, or an InputError naming the element when float32 (the GPU's type) cannot hold it. */
function checkedValue(value: number, i: number, j: number, what: string): number {
  if (!Number.isFinite(value)) throw new InputError(`${what}: element [${i}][${j}] is ${value}, not a finite number`);
  const problem = float32RangeProblem(value);
  if (problem) throw new InputError(`${what}: element [${i}][${j}] ${problem}`);
  return value;
}

// ---------------------------------------------------------------- .npy

const NPY_MAGIC = '\x93NUMPY';
/** The versions numpy writes: 1.0 (16-bit header length), 2.0 (32-bit), 3.0 (32-bit, UTF-8 header). */
const NPY_VERSIONS = ['1.0', '2.0', '3.0'];
/**
 * Little-endian (or single-byte) real types, with their sizes in bytes. Booleans ('|b1', numpy's
 * usual mask dtype) read as 0 and 1: a mask's True is a key that may be attended to.
 */
const NPY_DTYPES: Record<string, number> = {
  '|b1': 1,
  '<f2': 2,
  '<f4': 4,
  '<f8': 8,
  '|i1': 1,
  '|u1': 1,
  '<i2': 2,
  '<u2': 2,
  '<i4': 4,
  '<u4': 4,
  '<i8': 8,
  '<u8': 8,
};

interface NpyHeader {
  descr: string;
  itemSize: number;
  fortranOrder: boolean;
  shape: number[];
  dataOffset: number;
}

/**
 * Checks the header the way numpy's reader does, where npyjs is lax (it reads any version, any
 * fortran_order, any shape and as much data as there is): the message names what is wrong.
 */
function readNpyHeader(bytes: ArrayBuffer, what: string): NpyHeader {
  const view = new DataView(bytes);
  const start = String.fromCharCode(...new Uint8Array(bytes, 0, Math.min(6, bytes.byteLength)));
  if (start !== NPY_MAGIC) throw new InputError(`${what}: not a valid .npy file (it does not start with \\x93NUMPY)`);
  if (bytes.byteLength < 10) throw new InputError(`${what}: not a valid .npy file (cut off in its preamble)`);
  const version = `${view.getUint8(6)}.${view.getUint8(7)}`;
  if (!NPY_VERSIONS.includes(version)) {
    throw new InputError(`${what}: .npy format version ${version} is not one this page reads (${NPY_VERSIONS.join(', ')})`);
  }
  const wide = version !== '1.0';
  if (wide && bytes.byteLength < 12) throw new InputError(`${what}: not a valid .npy file (cut off in its preamble)`);
  const headerLength = wide ? view.getUint32(8, true) : view.getUint16(8, true);
  const headerStart = wide ? 12 : 10;
  const dataOffset = headerStart + headerLength;
  if (dataOffset > bytes.byteLength) {
    throw new InputError(`${what}: not a valid .npy file (its header says ${headerLength} bytes; the file ends before that)`);
  }
  const header = new TextDecoder(version === '3.0' ? 'utf-8' : 'latin1').decode(new Uint8Array(bytes, headerStart, headerLength)).trim();
  if (!header.startsWith('{') || !header.endsWith('}'))
    throw new InputError(`${what}: not a valid .npy file (its header is not a dictionary)`);
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*([^,}\s]*)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new InputError(`${what}: not a valid .npy file (its header must give 'descr', 'fortran_order' and 'shape')`);
  }
  const itemSize = NPY_DTYPES[descr];
  if (itemSize === undefined) {
    const bigEndian = /^>[fiu][248]$/.test(descr) ? ` (big-endian: save it with .astype('<${descr.slice(1)}'))` : '';
    throw new InputError(`${what}: dtype '${descr}' is not a little-endian real number type${bigEndian}`);
  }
  if (fortran !== 'True' && fortran !== 'False') throw new InputError(`${what}: fortran_order is ${fortran}, not True or False`);
  if (dataOffset % itemSize !== 0) {
    throw new InputError(`${what}: its data starts at byte ${dataOffset}, not a multiple of the ${itemSize}-byte values (numpy aligns it)`);
  }
  return { descr, itemSize, fortranOrder: fortran === 'True', shape: readNpyShape(shapeText, what), dataOffset };
}

function readNpyShape(text: string, what: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  // A one-element tuple keeps its comma, "(3,)": the empty part after it is not a dimension.
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  if (parts.length === 1 && parts[0] === '') return [];
  return parts.map((part) => {
    const size = /^\d+$/.test(part) ? Number(part) : NaN;
    if (!Number.isSafeInteger(size)) {
      const why = /^\d+$/.test(part) ? 'too large' : 'not a whole number ≥ 0';
      throw new InputError(`${what}: shape (${text.trim()}) has a dimension "${part}" that is ${why}`);
    }
    return size;
  });
}

/** Float types whose every value is a float32: read as the shortest decimal that is that float32. */
const NPY_FLOAT32_EXACT = ['<f4', '<f2'];

/** A 2-D .npy of any real little-endian or boolean dtype (1-D is read as one row), row-major, as float64 values (True is 1). */
export function parseNpy(bytes: ArrayBuffer, what = 'npy file'): Matrix64 {
  const header = readNpyHeader(bytes, what);
  const { shape, itemSize, fortranOrder } = header;
  if (shape.length > 2 || shape.length === 0) throw new InputError(`${what}: expected a 2-D array, got shape (${shape.join(', ')})`);
  const [rows, cols] = shape.length === 1 ? [1, shape[0]] : shape;
  const tooBig = sizeProblem(rows, cols);
  if (tooBig) throw new InputError(`${what}: shape (${shape.join(', ')}) ${tooBig}`);
  const count = rows * cols;
  const dataBytes = bytes.byteLength - header.dataOffset;
  const present = Math.floor(dataBytes / itemSize);
  if (dataBytes % itemSize !== 0) {
    throw new InputError(`${what}: its data is ${dataBytes} bytes, not a whole number of ${itemSize}-byte values (cut off?)`);
  }
  if (present < count) throw new InputError(`${what}: expected ${count} values for shape (${shape.join(', ')}), file has ${present}`);
  if (present > count) throw new InputError(`${what}: file has ${present} values, shape (${shape.join(', ')}) needs ${count}`);
  let array;
  try {
    array = parseNpyBuffer(bytes);
  } catch (error) {
    throw new InputError(`${what}: not a valid .npy file (${(error as Error).message})`);
  }
  const source = array.data as unknown as ArrayLike<number | bigint>;
  const shortest = NPY_FLOAT32_EXACT.includes(header.descr);
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const row = Math.floor(i / cols),
      col = i % cols;
    // Fortran order stores columns first.
    const from = fortranOrder ? col * rows + row : i;
    const value = checkedValue(Number(source[from]), row, col, what);
    values[i] = shortest ? Number(float32ToString(value)) : value;
  }
  return { rows, cols, data: values };
}

export function toNpy(m: Matrix<FloatArray>): ArrayBuffer {
  return dump(Float32Array.from(m.data), [m.rows, m.cols]);
}

// ---------------------------------------------------------------- .json and .csv

/** A cell as a message shows it: short, and never a walk through a deeply nested value. */
function describe(x: unknown): string {
  if (Array.isArray(x)) return 'an array';
  if (x === null) return 'null';
  if (typeof x === 'object') return 'an object';
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x);
  return String(x);
}

/** A JSON number, or a string holding a plain decimal ("1.5"; not "0x10", "Infinity" or ""). */
function cellValue(x: unknown, i: number, j: number, what: string): number {
  const text = typeof x === 'string' ? x.trim().replace(/^\u2212/, '-') : null;
  if (typeof x !== 'number' && !(text !== null && isDecimalText(text))) {
    throw new InputError(`${what}: element [${i}][${j}] is ${describe(x)}, not a decimal number`);
  }
  return checkedValue(typeof x === 'number' ? x : Number(text), i, j, what);
}

function fromNestedRows(rows: unknown, what: string): Matrix64 {
  if (!Array.isArray(rows) || rows.length === 0) throw new InputError(`${what}: expected a non-empty array of rows`);
  const grid: unknown[] = rows.every((r) => !Array.isArray(r)) ? [rows] : rows;
  if (grid.length > MAX_ROWS) throw new InputError(`${what}: ${sizeProblem(grid.length, 1)}`);
  const cols = Array.isArray(grid[0]) ? grid[0].length : -1;
  if (cols === 0) throw new InputError(`${what}: rows are empty`);
  const tooBig = cols > 0 && sizeProblem(grid.length, cols);
  if (tooBig) throw new InputError(`${what}: ${tooBig}`);
  const values = new Float64Array(Math.max(cols, 0) * grid.length);
  grid.forEach((row: unknown, i: number) => {
    if (!Array.isArray(row)) throw new InputError(`${what}: row ${i} is ${describe(row)}, not an array`);
    if (row.length !== cols) throw new InputError(`${what}: row ${i} has ${row.length} values, row 0 has ${cols}`);
    row.forEach((x: unknown, j: number) => (values[i * cols + j] = cellValue(x, i, j, what)));
  });
  return { rows: grid.length, cols, data: values };
}

/** JSON nested arrays, [[1,2],[3,4]] (a flat array is one row); numbers, or strings holding decimals. */
export function parseJsonMatrix(text: string, what = 'json file'): Matrix64 {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${what}: not valid JSON (${(error as Error).message})`);
  }
  return fromNestedRows(value, what);
}

/** Comma- or tab-separated rows (what a spreadsheet copies); blank lines are ignored. */
export function parseDelimited(text: string, what = 'csv file'): Matrix64 {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new InputError(`${what}: no rows`);
  if (lines.length > MAX_ROWS) throw new InputError(`${what}: ${sizeProblem(lines.length, 1)}`);
  const rows = lines[0].includes('\t') ? tsvParseRows(lines.join('\n')) : csvParseRows(lines.join('\n'));
  return fromNestedRows(
    rows.map((r) => r.map((cell) => cell.trim())),
    what,
  );
}

/** Parses by file extension; `what` names the matrix in messages (defaults to the file name). */
export function parseMatrix(bytes: ArrayBuffer, name: string, what = name): Matrix64 {
  const format = formatFromName(name);
  if (format === 'npy') return parseNpy(bytes, what);
  const text = new TextDecoder().decode(bytes);
  return format === 'json' ? parseJsonMatrix(text, what) : parseDelimited(text, what);
}

/**
 * One value as text: a float32 tensor's (what the GPU computed) as the shortest decimal that reads
 * back as the same float32; a float64 tensor's (the reference's, or a grid's numbers as typed) as
 * String writes it, which reads back as the same float64.
 */
function cellText(data: FloatArray): (x: number) => string {
  return data instanceof Float32Array ? float32ToString : String;
}

export function toCsv(m: Matrix<FloatArray>): string {
  const text = cellText(m.data);
  const rows = Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols), text));
  return csvFormatRows(rows) + '\n';
}

/** Nested arrays; values JSON cannot write (±Infinity of a masked score, NaN) are null, as JSON.stringify writes them. */
export function toJson(m: Matrix<FloatArray>): string {
  const text = cellText(m.data);
  const cell = (x: number) => (Number.isFinite(x) ? text(x) : 'null');
  const rows = Array.from({ length: m.rows }, (_, i) => `[${Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols), cell).join(',')}]`);
  return `[${rows.join(',')}]`;
}

export function serializeMatrix(m: Matrix<FloatArray>, format: MatrixFormat): ArrayBuffer | string {
  return format === 'npy' ? toNpy(m) : format === 'json' ? toJson(m) : toCsv(m);
}
