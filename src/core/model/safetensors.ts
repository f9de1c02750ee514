/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length N, N bytes of JSON
 * ({ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { … } }), then the tensor
 * bytes, offsets relative to the end of the header. Reading checks everything a truncated or forged
 * file could get wrong and says which tensor and what; writing is what `npm run train-model` and the
 * tests' exports use. https://huggingface.co/docs/safetensors
 */
import { Float16Array } from '@petamoriken/float16';
import { ModelFileError } from './config';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** The values as float32 (F16 and BF16 widened). */
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor>;
  /**
   * Tensors of a dtype the playground does not read (I64 position ids, a BOOL mask buffer, …), by
   * name, with their dtype: checked like the others, refused only when a model needs one.
   */
  unread: Map<string, string>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
/** The widths of the format's other dtypes, to check their offsets (an unknown dtype's are checked against the data only). */
const OTHER_BYTES: Record<string, number> = {
  F64: 8,
  I64: 8,
  U64: 8,
  I32: 4,
  U32: 4,
  I16: 2,
  U16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
};

/** The refusal of a tensor of a dtype the playground does not read (a model needs it). */
export function unreadDtypeProblem(name: string, dtype: string): string {
  return `tensor "${name}" has dtype ${dtype}; the playground reads F32, F16 and BF16`;
}
/** A header larger than this is not a safetensors header (the reference implementation caps it at 100 MB). */
const MAX_HEADER = 100_000_000;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * Why `bytes` cannot be the start of a safetensors file, or null when they can: at least 9 bytes, a
 * header length from 2 to MAX_HEADER, and a header starting "{". A plausible length that runs past
 * the end of the file is the reader's to name (the file is truncated).
 */
export function safetensorsStartProblem(bytes: Uint8Array): string | null {
  if (bytes.length < 9) return `${bytes.length} bytes is too short for a safetensors file (an 8-byte header length, then a JSON header)`;
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER)) return headerLengthProblem(headerLength, bytes.length);
  if (headerLength < 2n) return `header length ${headerLength} bytes is too short for a JSON header`;
  if (bytes[8] !== 0x7b)
    return `the header after the 8-byte length does not start with "{" (it starts with byte ${bytes[8].toString(16).padStart(2, '0')})`;
  return null;
}

/** Why a header length over MAX_HEADER is not a safetensors header. */
function headerLengthProblem(headerLength: bigint, fileBytes: number): string {
  return headerLength > BigInt(fileBytes - 8)
    ? `header length ${headerLength} bytes is larger than the file (${fileBytes} bytes)`
    : `header length ${headerLength} bytes is over the ${MAX_HEADER} bytes a safetensors header may take`;
}

/** Parses a safetensors file. Throws ModelFileError naming `file` and what is wrong with it. */
export function readSafetensors(bytes: Uint8Array, file = 'the safetensors file'): SafetensorsFile {
  const fail = (what: string): never => {
    throw new ModelFileError(`${file}: ${what}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes is too short for a safetensors file (it starts with an 8-byte header length)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER)) fail(`${headerLengthProblem(declared, bytes.length)}: this is not a safetensors file`);
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.length)
    fail(`the header says it is ${headerLength} bytes but the file has only ${bytes.length - 8} after the length: the file is truncated`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (error) {
    return fail(`the header is not valid JSON (${(error as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return fail('the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, SafetensorsTensor>();
  const unread = new Map<string, string>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      // The format allows only string values here; anything else is a damaged or forged header.
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string'))
        fail('__metadata__ must be an object of strings');
      metadata = raw as Record<string, string>;
      continue;
    }
    const entry = raw as HeaderEntry;
    if (!entry || typeof entry !== 'object' || !Array.isArray(entry.shape) || !Array.isArray(entry.data_offsets))
      fail(`tensor "${name}" has no dtype, shape and data_offsets`);
    if (typeof entry.dtype !== 'string') fail(`tensor "${name}" has no dtype`);
    if (!entry.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor "${name}" has a bad shape [${entry.shape.join(', ')}]`);
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const [begin, end] = entry.data_offsets;
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin)
      fail(`tensor "${name}" has bad data_offsets [${begin}, ${end}]`);
    if (end > dataLength)
      fail(
        `tensor "${name}" ends at byte ${end} of the data but the file holds ${dataLength}: the file is truncated or the offsets are wrong`,
      );
    const width = Object.hasOwn(BYTES, entry.dtype) ? BYTES[entry.dtype as SafetensorsDtype] : OTHER_BYTES[entry.dtype];
    if (width !== undefined && end - begin !== count * width)
      fail(`tensor "${name}" is ${entry.dtype} [${entry.shape.join(', ')}], ${count * width} bytes, but its offsets span ${end - begin}`);
    if (!Object.hasOwn(BYTES, entry.dtype)) {
      unread.set(name, entry.dtype);
      continue;
    }
    const dtype = entry.dtype as SafetensorsDtype;
    tensors.set(name, { dtype, shape: entry.shape, data: decode(dtype, bytes.subarray(dataStart + begin, dataStart + end), count) });
  }
  return { tensors, unread, metadata };
}

function decode(dtype: SafetensorsDtype, raw: Uint8Array, count: number): Float32Array {
  // Copy to an aligned buffer: the tensor's offset in the file need not be a multiple of 4.
  const aligned = raw.slice();
  if (dtype === 'F32') return new Float32Array(aligned.buffer, 0, count);
  const halves = new Uint16Array(aligned.buffer, 0, count);
  if (dtype === 'F16') return Float32Array.from(new Float16Array(aligned.buffer, 0, count));
  // bfloat16: the top 16 bits of a float32.
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i++) out[i] = halves[i] << 16;
  return new Float32Array(out.buffer);
}

export interface TensorToWrite {
  name: string;
  shape: number[];
  data: ArrayLike<number>;
  /** F32 unless given. */
  dtype?: 'F32' | 'F16';
}

/** A safetensors file of the tensors, in the order given, with string metadata. */
export function writeSafetensors(tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const dtype = t.dtype ?? 'F32';
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new RangeError(`tensor ${t.name}: shape [${t.shape.join(', ')}] holds ${count} values, got ${t.data.length}`);
    const bytes = dtype === 'F32' ? new Uint8Array(Float32Array.from(t.data).buffer) : new Uint8Array(Float16Array.from(t.data).buffer);
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
