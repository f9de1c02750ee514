/**
 * Numbers on their way into and out of float32: which typed text is a decimal number, which
 * values float32 cannot hold, and the shortest decimal that reads back as the same float32.
 */

import { InputError } from './errors';

/** The largest finite float32, 3.4028234663852886e38. */
export const FLOAT32_MAX = 3.4028234663852886e38;
/** FLOAT32_MAX as float32ToString writes it. */
const FLOAT32_MAX_TEXT = '3.4028235e38';

/**
 * A plain decimal: optional sign, digits with an optional point, an optional exponent. Not hex
 * (0x10), binary (0b101), octal (0o17), "Infinity", "NaN", separators or an empty cell, all of
 * which JavaScript's Number() would read without complaint.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function isDecimalText(text: string): boolean {
  return DECIMAL.test(text);
}

/**
 * The number typed text holds, or NaN when it is not a plain decimal (12, -0.5, 1e-3; not 0x10,
 * 0b1, Infinity or ''): how the terminal reads a flag's number and the Profiler tab its lists.
 */
export function decimal(text: string): number {
  const trimmed = text.trim();
  return isDecimalText(trimmed) ? Number(trimmed) : NaN;
}

/**
 * Why a finite float64 cannot go to the GPU as float32 (it would become ±Infinity), or null when
 * it can. Values below float32's smallest subnormal (about 1.4e-45) are accepted: they round to 0,
 * the same kind of rounding every value gets, and nothing downstream fails on a zero.
 */
export function float32RangeProblem(value: number): string | null {
  return Number.isFinite(Math.fround(value)) ? null : `is ${value}, outside float32's range (±${FLOAT32_MAX_TEXT})`;
}

/** float32's smallest normal value: below it a GPU may flush to 0. */
const FLOAT32_MIN_NORMAL = 2 ** -126;

/**
 * An option the kernels receive as a float32 (a uniform or a small buffer) must survive the
 * conversion: beyond ±3.4e38 it becomes ±Infinity, below 1.2e-38 a GPU may flush it to 0, and the
 * float64 reference would silently compute something else. An InputError naming the option.
 */
export function checkFloat32(value: number, what: string): void {
  const size = Math.abs(value);
  if (!Number.isFinite(Math.fround(value)))
    throw new InputError(`${what} ${value} is too large for float32, which the GPU uses (largest ${FLOAT32_MAX.toPrecision(8)})`);
  if (size !== 0 && size < FLOAT32_MIN_NORMAL)
    throw new InputError(
      `${what} ${value} is too small for float32, which the GPU uses (smallest normal ${FLOAT32_MIN_NORMAL.toPrecision(8)}; smaller values may be flushed to 0)`,
    );
}

/**
 * The shortest decimal that reads back (Math.fround(Number(text))) as exactly this float32 (a
 * Float32Array's element): 0.2 rather than 0.20000000298023224. -0 stays "-0"; NaN and ±Infinity are String()'s.
 */
export function float32ToString(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  for (let digits = 1; digits < 9; digits++) {
    // String(Number(…)) drops toPrecision's exponent form for small integers (1e+2 → 100).
    const text = String(Number(value.toPrecision(digits)));
    if (Math.fround(Number(text)) === value) return text;
  }
  // Nine significant digits always identify a float32.
  return String(Number(value.toPrecision(9)));
}
