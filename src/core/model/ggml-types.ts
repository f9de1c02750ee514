/**
 * ggml's tensor types the loaders read (F32, F16, BF16, Q8_0, Q4_0), their block layouts, and the
 * reference quantisers the GGUF writer uses. Layouts and rounding follow ggml's ggml-quants.c
 * (`dequantize_row_q8_0`, `quantize_row_q8_0_ref`, `dequantize_row_q4_0`, `quantize_row_q4_0_ref`):
 *
 * - Q8_0: blocks of 32 values, 34 bytes: an f16 scale d, then 32 int8 q; x = d·q.
 *   Quantising: d = max|x|/127, q = round(x/d) (half away from zero).
 * - Q4_0: blocks of 32 values, 18 bytes: an f16 scale d, then 16 bytes of nibbles; byte j holds
 *   value j in its low nibble and value j + 16 in its high nibble; x = d·(q − 8).
 *   Quantising: m = the value of largest magnitude (sign kept), d = m/−8, q = min(15, ⌊x/d + 8.5⌋).
 *
 * Pure: no platform APIs, so the page and Node share it.
 */
import { Float16Array } from '@petamoriken/float16';

/** ggml's type ids (ggml.h `enum ggml_type`), for the types read here and the names of the rest. */
export const GGML_TYPE = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, BF16: 30 } as const;
export type GgmlReadableType = keyof typeof GGML_TYPE;

const GGML_TYPE_NAMES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  6: 'Q5_0',
  7: 'Q5_1',
  8: 'Q8_0',
  9: 'Q8_1',
  10: 'Q2_K',
  11: 'Q3_K',
  12: 'Q4_K',
  13: 'Q5_K',
  14: 'Q6_K',
  15: 'Q8_K',
  16: 'IQ2_XXS',
  17: 'IQ2_XS',
  18: 'IQ3_XXS',
  19: 'IQ1_S',
  20: 'IQ4_NL',
  21: 'IQ3_S',
  22: 'IQ2_S',
  23: 'IQ4_XS',
  24: 'I8',
  25: 'I16',
  26: 'I32',
  27: 'I64',
  28: 'F64',
  29: 'IQ1_M',
  30: 'BF16',
  34: 'TQ1_0',
  35: 'TQ2_0',
  39: 'MXFP4',
};

/** "Q5_K", or "77 (no ggml type has that number)" for an id ggml does not define: read after "has type". */
export function ggmlTypeName(type: number): string {
  return GGML_TYPE_NAMES[type] ?? `${type} (no ggml type has that number)`;
}

/** Values per block and bytes per block of each readable type. */
const LAYOUT: Record<GgmlReadableType, { block: number; bytes: number }> = {
  F32: { block: 1, bytes: 4 },
  F16: { block: 1, bytes: 2 },
  BF16: { block: 1, bytes: 2 },
  Q8_0: { block: 32, bytes: 34 },
  Q4_0: { block: 32, bytes: 18 },
};

/** The types the loaders read, in the order the docs list them: "F32, F16, BF16, Q8_0, Q4_0". */
export const READABLE_GGML_TYPES = Object.keys(LAYOUT) as readonly GgmlReadableType[];

/** The readable type of an id, or null. */
export function readableType(type: number): GgmlReadableType | null {
  for (const [name, id] of Object.entries(GGML_TYPE)) if (id === type) return name as GgmlReadableType;
  return null;
}

/** Values per block of a readable type (1 for the float types, 32 for Q8_0 and Q4_0). */
export function blockSize(type: GgmlReadableType): number {
  return LAYOUT[type].block;
}

/** Bytes `count` values of the type take (count a multiple of the block size). */
export function tensorByteSize(type: GgmlReadableType, count: number): number {
  const { block, bytes } = LAYOUT[type];
  return (count / block) * bytes;
}

/** The float a binary16 bit pattern holds (exact: every half is a float32). */
export function halfBitsToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const halfScratch = new Float16Array(1);
const halfScratchBits = new Uint16Array(halfScratch.buffer);

/** The binary16 bit pattern of x rounded to the nearest half (ties to even), as ggml's GGML_FP32_TO_FP16. */
export function floatToHalfBits(x: number): number {
  halfScratch[0] = x;
  return halfScratchBits[0];
}

/**
 * The binary16 bit patterns of many values (taken as float32, as ggml converts them), rounded to
 * nearest even: the same bits as floatToHalfBits of float32 values, ~15× faster (F. Giesen's float_to_half_fast3_rtne: the float's own rounding does
 * the subnormals, an integer bias the normals).
 */
export function halfBitsOf(values: ArrayLike<number>): Uint16Array {
  const f = Float32Array.from(values);
  const u = new Uint32Array(f.buffer);
  const out = new Uint16Array(f.length);
  const magic = new Float32Array(new Uint32Array([(127 - 15 + (23 - 10) + 1) << 23]).buffer)[0];
  const magicBits = (127 - 15 + (23 - 10) + 1) << 23;
  const scratch = new Float32Array(1),
    scratchBits = new Uint32Array(scratch.buffer);
  for (let i = 0; i < f.length; i++) {
    const sign = (u[i] >>> 16) & 0x8000;
    const a = u[i] & 0x7fffffff;
    let h: number;
    if (a >= (127 + 16) << 23) h = a > 0x7f800000 ? 0x7e00 : 0x7c00;
    else if (a < 113 << 23) {
      scratchBits[0] = a;
      scratch[0] = scratch[0] + magic;
      h = scratchBits[0] - magicBits;
    } else h = (a + ((15 - 127) << 23) + 0xfff + ((a >>> 13) & 1)) >>> 13;
    out[i] = sign | h;
  }
  return out;
}

/**
 * Dequantises `count` values of a tensor of the given type from its raw bytes (little-endian, as
 * GGUF stores them) to float32.
 */
export function dequantize(type: GgmlReadableType, raw: Uint8Array, count: number): Float32Array {
  const halves = halfTable();
  // Typed-array views read the platform's byte order: little-endian on every engine the page and Node
  // run on. A copy aligns the data (a tensor's offset in a file need not be a multiple of 4).
  switch (type) {
    case 'F32':
      return new Float32Array(raw.slice(0, 4 * count).buffer);
    case 'F16': {
      const bits = new Uint16Array(raw.slice(0, 2 * count).buffer);
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halves[bits[i]];
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top 16 bits of a float32.
      const bits = new Uint16Array(raw.slice(0, 2 * count).buffer);
      const words = new Uint32Array(count);
      for (let i = 0; i < count; i++) words[i] = bits[i] << 16;
      return new Float32Array(words.buffer);
    }
  }
  const out = new Float32Array(count);
  const signed = new Int8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (type) {
    case 'Q8_0':
      for (let b = 0; b < count / 32; b++) {
        const at = b * 34;
        const d = halves[raw[at] | (raw[at + 1] << 8)];
        for (let j = 0; j < 32; j++) out[b * 32 + j] = d * signed[at + 2 + j];
      }
      break;
    case 'Q4_0':
      for (let b = 0; b < count / 32; b++) {
        const at = b * 18;
        const d = halves[raw[at] | (raw[at + 1] << 8)];
        for (let j = 0; j < 16; j++) {
          const byte = raw[at + 2 + j];
          out[b * 32 + j] = d * ((byte & 0x0f) - 8);
          out[b * 32 + j + 16] = d * ((byte >> 4) - 8);
        }
      }
      break;
  }
  return out;
}

let halfValues: Float32Array | null = null;
/** Every half's value, by bit pattern: 256 KiB, built on first use, and far faster than decoding each. */
function halfTable(): Float32Array {
  if (halfValues === null) {
    halfValues = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) halfValues[bits] = halfBitsToFloat(bits);
  }
  return halfValues;
}

const bf16Scratch = new DataView(new ArrayBuffer(4));

/** Quantises float32 values (count a multiple of the block size) to the raw bytes of the type. */
export function quantize(type: GgmlReadableType, values: ArrayLike<number>): Uint8Array {
  const count = values.length;
  if (count % blockSize(type) !== 0) throw new RangeError(`${type} needs a multiple of ${blockSize(type)} values, got ${count}`);
  const out = new Uint8Array(tensorByteSize(type, count));
  const view = new DataView(out.buffer);
  switch (type) {
    case 'F32':
      for (let i = 0; i < count; i++) view.setFloat32(4 * i, values[i], true);
      break;
    case 'F16':
      out.set(new Uint8Array(halfBitsOf(values).buffer));
      break;
    case 'BF16':
      for (let i = 0; i < count; i++) {
        // Round to nearest even on the dropped 16 bits, as ggml's GGML_FP32_TO_BF16.
        bf16Scratch.setFloat32(0, values[i]);
        const u = bf16Scratch.getUint32(0);
        view.setUint16(2 * i, (u + 0x7fff + ((u >>> 16) & 1)) >>> 16, true);
      }
      break;
    case 'Q8_0':
      for (let b = 0; b < count / 32; b++) quantizeBlockQ8_0(values, b * 32, view, b * 34);
      break;
    case 'Q4_0':
      for (let b = 0; b < count / 32; b++) quantizeBlockQ4_0(values, b * 32, view, b * 18);
      break;
  }
  return out;
}

const f32 = Math.fround;

/** quantize_row_q8_0_ref for one block, in float32 arithmetic as ggml does it. */
function quantizeBlockQ8_0(x: ArrayLike<number>, from: number, out: DataView, at: number): void {
  let amax = 0;
  for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(f32(x[from + j])));
  const d = f32(amax / 127);
  const id = d ? f32(1 / d) : 0;
  out.setUint16(at, floatToHalfBits(d), true);
  for (let j = 0; j < 32; j++) {
    const x0 = f32(f32(x[from + j]) * id);
    // roundf: halves away from zero.
    out.setInt8(at + 2 + j, Math.sign(x0) * Math.round(Math.abs(x0)));
  }
}

/** quantize_row_q4_0_ref for one block, in float32 arithmetic as ggml does it. */
function quantizeBlockQ4_0(x: ArrayLike<number>, from: number, out: DataView, at: number): void {
  let amax = 0,
    max = 0;
  for (let j = 0; j < 32; j++) {
    const v = f32(x[from + j]);
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  const d = f32(max / -8);
  const id = d ? f32(1 / d) : 0;
  out.setUint16(at, floatToHalfBits(d), true);
  for (let j = 0; j < 16; j++) {
    const x0 = f32(f32(x[from + j]) * id);
    const x1 = f32(f32(x[from + 16 + j]) * id);
    // (int8_t)(x + 8.5f) truncates toward zero; x/d ≥ −8 so the sum is positive and this is ⌊·⌋.
    const q0 = Math.min(15, Math.trunc(f32(x0 + 8.5)));
    const q1 = Math.min(15, Math.trunc(f32(x1 + 8.5)));
    out.setUint8(at + 2 + j, q0 | (q1 << 4));
  }
}
