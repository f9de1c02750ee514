import { InputError } from './errors';
import type { Matrix } from './tensor';
import { firstNonFinite } from './tensor';
import type { AttentionOptions } from './options';

export interface AttentionInputs {
  q: Matrix;
  k: Matrix;
  v: Matrix;
  /** n×m; a non-zero entry means the query may attend that key. Shared by all heads. */
  mask?: Matrix | null;
  /** Optional output projection W_o, (h·dv)×d_model, applied to the concatenated heads. */
  wo?: Matrix | null;
}

export interface AttentionShape {
  n: number;
  m: number;
  dk: number;
  dv: number;
  heads: number;
  /** Columns of W_o, or null when there is no output projection. */
  dModel: number | null;
}

/** Checks shapes, finiteness and options; returns the per-head sizes or throws an InputError naming the problem. */
export function checkInputs(inputs: AttentionInputs, options: AttentionOptions): AttentionShape {
  const { q, k, v, mask, wo } = inputs;
  const heads = options.heads;
  if (!Number.isInteger(heads) || heads < 1) throw new InputError(`heads must be a positive integer, got ${heads}`);
  for (const [name, t] of [
    ['Q', q],
    ['K', k],
    ['V', v],
  ] as const) {
    if (t.rows < 1 || t.cols < 1) throw new InputError(`${name} is empty (${t.rows}×${t.cols})`);
    const bad = firstNonFinite(t);
    if (bad) throw new InputError(`${name}[${bad.row}][${bad.col}] is ${bad.value}, not a finite number`);
  }
  if (q.cols !== k.cols) throw new InputError(`Q has ${q.cols} columns but K has ${k.cols}: queries and keys must have the same width`);
  if (k.rows !== v.rows) throw new InputError(`K has ${k.rows} rows but V has ${v.rows}: every key needs a value`);
  if (q.cols % heads !== 0) throw new InputError(`Q/K width ${q.cols} is not divisible by ${heads} heads`);
  if (v.cols % heads !== 0) throw new InputError(`V width ${v.cols} is not divisible by ${heads} heads`);
  if (mask) {
    if (mask.rows !== q.rows || mask.cols !== k.rows) {
      throw new InputError(`mask is ${mask.rows}×${mask.cols} but must be n×m = ${q.rows}×${k.rows}`);
    }
    const bad = firstNonFinite(mask);
    if (bad) throw new InputError(`mask[${bad.row}][${bad.col}] is ${bad.value}, not a finite number`);
  }
  if (wo) {
    if (wo.rows !== v.cols || wo.cols < 1) {
      throw new InputError(
        `W_o is ${wo.rows}×${wo.cols} but must have h·dv = ${v.cols} rows (one per concatenated head column) and at least one column`,
      );
    }
    const bad = firstNonFinite(wo);
    if (bad) throw new InputError(`W_o[${bad.row}][${bad.col}] is ${bad.value}, not a finite number`);
  }
  const { scale, temperature } = options;
  if (typeof scale === 'number' && !Number.isFinite(scale)) throw new InputError(`scale must be a finite number, got ${scale}`);
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new InputError(`temperature must be a positive finite number, got ${temperature}`);
  return { n: q.rows, m: k.rows, dk: q.cols / heads, dv: v.cols / heads, heads, dModel: wo ? wo.cols : null };
}

/** [start, end) checked to be a non-empty range of query rows inside [0, n); all rows when undefined. */
export function resolveRows(rows: readonly [number, number] | undefined, n: number): [number, number] {
  const [start, end] = rows ?? [0, n];
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= n && start < end)) {
    throw new RangeError(`rows [${start}, ${end}) is not a non-empty range inside [0, ${n})`);
  }
  return [start, end];
}

/** Mask as one byte per element (1 = may attend), or null when there is no explicit mask. */
export function maskBytes(mask: Matrix | null | undefined): Uint8Array | null {
  if (!mask) return null;
  return Uint8Array.from(mask.data, (x) => (x !== 0 ? 1 : 0));
}
