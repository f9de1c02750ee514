/**
 * Numbers on their way into and out of float32: which typed text is a decimal number, which
 * values float32 cannot hold, and the shortest decimal that reads back as the same float32.
 */

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
 * Why a finite float64 cannot go to the GPU as float32 (it would become ±Infinity), or null when
 * it can. Values below float32's smallest subnormal (about 1.4e-45) are accepted: they round to 0,
 * the same kind of rounding every value gets, and nothing downstream fails on a zero.
 */
export function float32RangeProblem(value: number): string | null {
  return Number.isFinite(Math.fround(value)) ? null : `is ${value}, outside float32's range (±${FLOAT32_MAX_TEXT})`;
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
