/**
 * Pretrained word vectors from the int8 GloVe asset written by scripts/extract-embeddings.mjs
 * (the byte layout is documented there). Takes bytes, so Node (fs) and the page (fetch) share it.
 */
import { InputError } from './errors';
import { createRng, hashString } from './rng';

const MAGIC = 'GLV8';
const VERSION = 1;
const HEADER_BYTES = 16;

export interface WordVector {
  vector: Float32Array;
  /** False when the word is not in the vocabulary and the vector was made up from its spelling. */
  known: boolean;
}

export interface Embeddings {
  readonly dims: number;
  /** Vocabulary in frequency order (most frequent first). */
  readonly words: readonly string[];
  /** Mean L2 norm of the known vectors; unknown words get vectors of this norm. */
  readonly typicalNorm: number;
  lookup(word: string): WordVector;
}

/** GloVe's vocabulary is lower case with straight apostrophes; fold input the same way. */
function foldWord(word: string): string {
  return word
    .normalize('NFC')
    .toLowerCase()
    .replace(/[\u2018\u2019]/g, "'");
}

export function parseEmbeddings(source: ArrayBuffer | Uint8Array): Embeddings {
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { count, dims } = readHeader(bytes, view);
  const vectorsAt = HEADER_BYTES + 4 * count;
  const wordsAt = vectorsAt + count * dims;
  const vectors = dequantize(view, bytes, count, dims, vectorsAt);
  const words = new TextDecoder().decode(bytes.subarray(wordsAt)).split('\n').slice(0, count);
  if (words.length !== count) throw new InputError(`embeddings asset lists ${words.length} words, header says ${count}`);
  const index = new Map(words.map((w, i) => [w, i]));
  const typicalNorm = meanNorm(vectors, count, dims);
  return {
    dims,
    words,
    typicalNorm,
    lookup(word) {
      const folded = foldWord(word);
      const row = index.get(folded);
      if (row === undefined) return { vector: unknownVector(folded, dims, typicalNorm), known: false };
      return { vector: vectors.slice(row * dims, (row + 1) * dims), known: true };
    },
  };
}

function readHeader(bytes: Uint8Array, view: DataView): { count: number; dims: number } {
  if (bytes.byteLength < HEADER_BYTES) throw new InputError('embeddings asset is too short for its header');
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (magic !== MAGIC) throw new InputError(`embeddings asset starts with "${magic}", expected "${MAGIC}"`);
  const version = view.getUint32(4, true);
  if (version !== VERSION) throw new InputError(`embeddings asset version ${version}, this build reads ${VERSION}`);
  const count = view.getUint32(8, true);
  const dims = view.getUint32(12, true);
  if (bytes.byteLength < HEADER_BYTES + count * (4 + dims)) throw new InputError('embeddings asset is truncated');
  return { count, dims };
}

/** Expands all vectors once (20k×100 floats, 8 MB) so lookups are a copy, not a decode. */
function dequantize(view: DataView, bytes: Uint8Array, count: number, dims: number, vectorsAt: number): Float32Array {
  const q = new Int8Array(bytes.buffer, bytes.byteOffset + vectorsAt, count * dims);
  const out = new Float32Array(count * dims);
  for (let i = 0; i < count; i++) {
    const scale = view.getFloat32(HEADER_BYTES + 4 * i, true);
    for (let j = 0; j < dims; j++) out[i * dims + j] = scale * q[i * dims + j];
  }
  return out;
}

function meanNorm(vectors: Float32Array, count: number, dims: number): number {
  let total = 0;
  for (let i = 0; i < count; i++) total += norm(vectors.subarray(i * dims, (i + 1) * dims));
  return count > 0 ? total / count : 1;
}

function norm(v: ArrayLike<number>): number {
  let sum = 0;
  for (let j = 0; j < v.length; j++) sum += v[j] * v[j];
  return Math.sqrt(sum);
}

/**
 * A made-up vector seeded by the word's spelling: the same word always gets the same vector, and
 * its length matches real vectors so an unknown word neither dominates nor vanishes in the scores.
 */
function unknownVector(word: string, dims: number, targetNorm: number): Float32Array {
  const rng = createRng(hashString(word));
  const v = Float32Array.from({ length: dims }, () => rng.normal());
  const length = norm(v);
  for (let j = 0; j < dims; j++) v[j] *= targetNorm / length;
  return v;
}

/** Cosine similarity, for tests and for showing which words are near each other. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  for (let j = 0; j < a.length; j++) dot += a[j] * b[j];
  return dot / (norm(a) * norm(b));
}
