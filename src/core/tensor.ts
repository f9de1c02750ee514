/** Dense row-major matrices: the one tensor shape the whole product passes around. */

export type FloatArray = Float32Array | Float64Array;

/** A rows×cols row-major matrix. Inputs to the GPU are float32; the reference works in float64. */
export interface Matrix<T extends FloatArray = Float32Array> {
  readonly rows: number;
  readonly cols: number;
  readonly data: T;
}

export type Matrix64 = Matrix<Float64Array>;

export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  const values = new Float32Array(rows * cols);
  if (data) {
    if (data.length !== rows * cols) {
      throw new RangeError(`expected ${rows * cols} values for a ${rows}×${cols} matrix, got ${data.length}`);
    }
    values.set(data);
  }
  return { rows, cols, data: values };
}

/** The matrix as float32, the GPU's type (a float32 matrix is returned as it is). */
export function float32Matrix(m: Matrix<FloatArray>): Matrix {
  return m.data instanceof Float32Array ? (m as Matrix) : matrix(m.rows, m.cols, m.data);
}

/** Builds a float32 matrix from nested rows; every row must have the same length. */
export function fromRows(rows: readonly (readonly number[])[]): Matrix {
  const cols = rows[0]?.length ?? 0;
  rows.forEach((row, i) => {
    if (row.length !== cols) throw new RangeError(`row ${i} has ${row.length} values, row 0 has ${cols}`);
  });
  return matrix(rows.length, cols, rows.flat());
}

export function toRows(m: Matrix<FloatArray>): number[][] {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}

export function at(m: Matrix<FloatArray>, row: number, col: number): number {
  return m.data[row * m.cols + col];
}

/** Columns [start, start+count) of every row, as a new matrix (used to split heads). */
export function columns<T extends FloatArray>(m: Matrix<T>, start: number, count: number): Matrix<T> {
  const out = new (m.data.constructor as new (n: number) => T)(m.rows * count);
  for (let i = 0; i < m.rows; i++) out.set(m.data.subarray(i * m.cols + start, i * m.cols + start + count), i * count);
  return { rows: m.rows, cols: count, data: out };
}

/** Rows [start, end) as a view that shares storage. */
export function rowRange<T extends FloatArray>(m: Matrix<T>, start: number, end: number): Matrix<T> {
  return { rows: end - start, cols: m.cols, data: m.data.subarray(start * m.cols, end * m.cols) as T };
}

/** The first non-finite element, or null when every element is a finite number. */
export function firstNonFinite(m: Matrix<FloatArray>): { row: number; col: number; value: number } | null {
  for (let idx = 0; idx < m.data.length; idx++) {
    const value = m.data[idx];
    if (!Number.isFinite(value)) return { row: Math.floor(idx / m.cols), col: idx % m.cols, value };
  }
  return null;
}
