/**
 * IEEE 754 half precision (binary16, WGSL's f16) for the f16-storage path: Q, K and V stored as
 * halves, two to a 32-bit word, and unpacked in the kernel with WGSL's core `unpack2x16float`
 * (no `shader-f16` needed), all arithmetic in float32. Rounding is done by @petamoriken/float16
 * (round to nearest, ties to even, like the GPU's conversion).
 */
import { Float16Array, f16round } from '@petamoriken/float16';
import type { FloatArray, Matrix } from './tensor';

/** The largest finite half: larger magnitudes round to ±∞. */
export const HALF_MAX = 65504;
/** Unit roundoff of a half: 2⁻¹¹ (11 significant bits). */
export const HALF_UNIT_ROUNDOFF = 2 ** -11;
/** Below 2⁻¹⁴ halves are subnormal, spaced 2⁻²⁴ apart: rounding there is off by at most 2⁻²⁵. */
export const HALF_SUBNORMAL_ERROR = 2 ** -25;

/** x rounded to the nearest half (as a number). */
export function roundToHalf(x: number): number {
  return f16round(x);
}

/** Every value rounded to the nearest half, as float32 (what the kernel computes with). */
export function roundedToHalf(data: ArrayLike<number>): Float32Array {
  return Float32Array.from(Float16Array.from(data));
}

/**
 * Halves packed two to a little-endian 32-bit word, element e in word e >> 1 (low half when e is
 * even): what WGSL's unpack2x16float(word) returns as vec2f(low, high). An odd count pads a zero.
 */
export function packHalves(data: ArrayLike<number>): Uint32Array {
  const words = new Uint16Array(Math.ceil(data.length / 2) * 2);
  if (data instanceof Float32Array) {
    // The polyfilled Float16Array converts about 3·10⁶ values a second, which made a 32k-key
    // decode's upload take seconds: float32 inputs take the bitwise conversion below instead
    // (checked against the library on every exponent and on the rounding ties in the tests).
    const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
    for (let e = 0; e < data.length; e++) words[e] = halfBitsOfFloat32(bits[e]);
  } else {
    const halves = new Float16Array(words.buffer);
    for (let e = 0; e < data.length; e++) halves[e] = data[e];
  }
  return new Uint32Array(words.buffer);
}

/**
 * The binary16 bit pattern nearest the float32 with bit pattern `b` (round to nearest, ties to even;
 * beyond the largest half, ±∞; NaN stays a quiet NaN).
 */
export function halfBitsOfFloat32(b: number): number {
  const sign = (b >>> 16) & 0x8000;
  const exponent = (b >>> 23) & 0xff;
  const mantissa = b & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  const e = exponent - 112; // rebias 127 → 15
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): the float32's 24 significant bits shifted right by 14 − e.
    if (e < -10) return sign;
    return sign | roundShifted(mantissa | 0x800000, 14 - e);
  }
  // A carry out of the mantissa moves to the next exponent (up to ∞), which is the right rounding.
  return sign | ((e << 10) + roundShifted(mantissa, 13));
}

/** x >> shift rounded to nearest, ties to even. */
function roundShifted(x: number, shift: number): number {
  const kept = x >>> shift;
  const rest = x & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return kept + (rest > half || (rest === half && (kept & 1) === 1) ? 1 : 0);
}

/** The first value of `data` that a half cannot hold (beyond ±65504, it would become ±∞), or null. */
export function firstBeyondHalf(data: ArrayLike<number>): { index: number; value: number } | null {
  for (let e = 0; e < data.length; e++) {
    if (Math.abs(data[e]) > HALF_MAX && Number.isFinite(data[e])) return { index: e, value: data[e] };
  }
  return null;
}

/** Why a matrix cannot be stored as halves ("Q[3][1] = 70000 is beyond …"), or null when it can. */
export function halfRangeProblem(name: string, matrix: Matrix<FloatArray>): string | null {
  const found = firstBeyondHalf(matrix.data);
  if (!found) return null;
  const row = Math.floor(found.index / matrix.cols),
    col = found.index % matrix.cols;
  return `${name}[${row}][${col}] = ${found.value} is beyond the largest half (±${HALF_MAX}): f16 storage would make it ±∞; use f32 or scale the inputs`;
}

/** |x − half(x)| for every element: the exact error f16 storage adds to each input. */
export function halfRoundingErrors(data: ArrayLike<number>): Float64Array {
  const errors = new Float64Array(data.length);
  for (let e = 0; e < data.length; e++) errors[e] = Math.abs(data[e] - f16round(data[e]));
  return errors;
}

/** The a-priori bound of halfRoundingErrors: u_h·|x| for normal halves, 2⁻²⁵ below them. */
export function halfRoundingBound(x: number): number {
  return Math.max(HALF_UNIT_ROUNDOFF * Math.abs(x), HALF_SUBNORMAL_ERROR);
}
