/**
 * Sentence mode: words → vectors (+ optional positions) → Q, K, V through editable projections.
 * One sentence gives self-attention; a target sentence gives cross-attention as in Bahdanau et al.
 * (2015): each target word (query) looks over the source words (keys and values) it aligns to.
 * With h heads every head has its own projections: W_q is dModel×(h·dk), head t's block of
 * columns t·dk…(t+1)·dk drawn from its own seed, so Q splits into the heads' queries. With fewer
 * K/V heads (grouped-query attention), W_k and W_v have one block per K/V head.
 */
import type { Embeddings } from './embeddings';
import { InputError } from './errors';
import { positionalEncoding } from './positional';
import { hashString, randomMatrix } from './rng';
import { matrix, type Matrix } from './tensor';
import { tokenize, type Token } from './tokenize';

export interface WordToken extends Token {
  /** False when the word is outside the vocabulary and got a made-up vector. */
  known: boolean;
}

export interface EmbeddedSentence {
  tokens: WordToken[];
  /** tokens × dims: one word vector per row, plus the positional encoding when asked for. */
  x: Matrix;
}

export function embedSentence(text: string, embeddings: Embeddings, options: { positional: boolean }): EmbeddedSentence {
  const words = tokenize(text);
  const x = matrix(words.length, embeddings.dims);
  const tokens = words.map((token, row) => {
    const { vector, known } = embeddings.lookup(token.text);
    x.data.set(vector, row * embeddings.dims);
    return { ...token, known };
  });
  if (options.positional) addInPlace(x, positionalEncoding(x.rows, x.cols));
  return { tokens, x };
}

function addInPlace(target: Matrix, addend: Matrix): void {
  for (let i = 0; i < target.data.length; i++) target.data[i] += addend.data[i];
}

export type ProjectionKind = 'random' | 'identity';

/**
 * A dModel×dk projection. 'random' draws N(0, 1/dModel) so a projected row keeps about the RMS of
 * an embedding component; 'identity' keeps the first dk coordinates (zero columns past dModel).
 */
export function projection(dModel: number, dk: number, kind: ProjectionKind, seed: number): Matrix {
  if (!Number.isInteger(dk) || dk < 1) throw new InputError(`dk must be a positive integer, got ${dk}`);
  if (kind === 'random') return randomMatrix(dModel, dk, seed, 1 / Math.sqrt(dModel));
  const w = matrix(dModel, dk);
  for (let i = 0; i < Math.min(dModel, dk); i++) w.data[i * dk + i] = 1;
  return w;
}

/**
 * h heads' projections side by side: dModel×(h·width), head t in columns t·width…(t+1)·width.
 * Head t's seed is seedOf(t), so head 0 of an h-head model is the one-head projection. The
 * identity gives head t the coordinates t·width…(t+1)·width (wrapping past dModel): each head
 * looks at other dimensions of the word vectors.
 */
export function headProjections(
  dModel: number,
  width: number,
  heads: number,
  kind: ProjectionKind,
  seedOf: (head: number) => number,
): Matrix {
  if (!Number.isInteger(heads) || heads < 1) throw new InputError(`heads must be a positive integer, got ${heads}`);
  if (heads === 1) return projection(dModel, width, kind, seedOf(0));
  const cols = heads * width;
  const w = matrix(dModel, cols);
  for (let t = 0; t < heads; t++) {
    if (kind === 'identity') {
      for (let c = 0; c < width; c++) w.data[((t * width + c) % dModel) * cols + t * width + c] = 1;
      continue;
    }
    const block = projection(dModel, width, kind, seedOf(t));
    for (let i = 0; i < dModel; i++) w.data.set(block.data.subarray(i * width, (i + 1) * width), i * cols + t * width);
  }
  return w;
}

/** X·W, accumulated in float64 and stored as float32 like every GPU input. */
export function project(x: Matrix, w: Matrix): Matrix {
  if (x.cols !== w.rows) throw new InputError(`cannot project ${x.rows}×${x.cols} by ${w.rows}×${w.cols}: inner sizes differ`);
  const out = matrix(x.rows, w.cols);
  for (let i = 0; i < x.rows; i++) {
    for (let j = 0; j < w.cols; j++) {
      let sum = 0;
      for (let t = 0; t < x.cols; t++) sum += x.data[i * x.cols + t] * w.data[t * w.cols + j];
      out.data[i * w.cols + j] = sum;
    }
  }
  return out;
}

/**
 * W_o for h heads: (h·dv)×dModel, back to the word vectors' width as in a transformer layer.
 * 'random' draws N(0, 1/(h·dv)); 'identity' puts ones on the diagonal.
 */
export function outputProjection(inner: number, dModel: number, kind: ProjectionKind, seed: number): Matrix {
  if (kind === 'random') return randomMatrix(inner, dModel, hashString(`wo:${seed}`), 1 / Math.sqrt(inner));
  const w = matrix(inner, dModel);
  for (let i = 0; i < Math.min(inner, dModel); i++) w.data[i * dModel + i] = 1;
  return w;
}

export interface SentenceQKVInput {
  embeddings: Embeddings;
  /** Self-attention: the only sentence. Cross-attention: supplies the keys and values. */
  source: string;
  /** When given, queries come from this sentence (cross-attention). */
  target?: string;
  /** Width of generated W_q and W_k per head (and of W_v unless dv is given); ignored for supplied ones. */
  dk: number;
  dv?: number;
  /** Heads, each with its own generated projections (default 1): Q is n×(heads·dk). */
  heads?: number;
  /**
   * K/V heads (grouped-query attention; default: heads): W_k and W_v get one block per K/V head,
   * K/V head g drawn from the seed of head g, so K is m×(kvHeads·dk) and V m×(kvHeads·dv).
   */
  kvHeads?: number;
  seed: number;
  init?: ProjectionKind;
  positional: boolean;
  /** User-edited projections (dModel×dk, dModel×dk, dModel×dv); they win over generated ones. */
  wq?: Matrix;
  wk?: Matrix;
  wv?: Matrix;
}

export interface SentenceQKV {
  queryTokens: WordToken[];
  keyTokens: WordToken[];
  /** The embedded inputs before projection: n×dModel and m×dModel. */
  xQuery: Matrix;
  xKey: Matrix;
  q: Matrix;
  k: Matrix;
  v: Matrix;
  wq: Matrix;
  wk: Matrix;
  wv: Matrix;
}

export function sentenceQKV(input: SentenceQKVInput): SentenceQKV {
  const { embeddings, positional } = input;
  const keys = embedNonEmpty('source', input.source, embeddings, positional);
  const queries = input.target === undefined ? keys : embedNonEmpty('target', input.target, embeddings, positional);
  const { wq, wk, wv } = projections(input);
  return {
    queryTokens: queries.tokens,
    keyTokens: keys.tokens,
    xQuery: queries.x,
    xKey: keys.x,
    q: project(queries.x, wq),
    k: project(keys.x, wk),
    v: project(keys.x, wv),
    wq,
    wk,
    wv,
  };
}

function embedNonEmpty(role: string, text: string, embeddings: Embeddings, positional: boolean): EmbeddedSentence {
  const sentence = embedSentence(text, embeddings, { positional });
  if (sentence.tokens.length === 0) throw new InputError(`the ${role} sentence has no words`);
  return sentence;
}

/** The seed of one role's (wq, wk, wv) projection for one head: head 0 keeps the one-head seed. */
export function projectionSeed(role: string, seed: number, head: number): number {
  return hashString(head === 0 ? `${role}:${seed}` : `${role}:${seed}:head${head}`);
}

/** Each role and head gets its own seed from (role, seed, head), so the projections differ but reproduce. */
function projections(input: SentenceQKVInput): { wq: Matrix; wk: Matrix; wv: Matrix } {
  const dModel = input.embeddings.dims;
  const kind = input.init ?? 'random';
  const heads = input.heads ?? 1,
    kvHeads = input.kvHeads ?? heads;
  const make = (role: string, width: number, blocks: number) =>
    headProjections(dModel, width, blocks, kind, (t) => projectionSeed(role, input.seed, t));
  const wq = input.wq ?? make('wq', input.dk, heads);
  const wk = input.wk ?? make('wk', input.dk, kvHeads);
  const wv = input.wv ?? make('wv', input.dv ?? input.dk, kvHeads);
  for (const [name, w] of [
    ['W_q', wq],
    ['W_k', wk],
    ['W_v', wv],
  ] as const) {
    if (w.rows !== dModel) throw new InputError(`${name} has ${w.rows} rows but the word vectors have ${dModel} dimensions`);
  }
  if (wq.cols * kvHeads !== wk.cols * heads)
    throw new InputError(
      kvHeads === heads
        ? `W_q has ${wq.cols} columns but W_k has ${wk.cols}: queries and keys must have the same width`
        : `W_k has ${wk.cols} columns but must have K/V heads × d_k = ${kvHeads} × ${wq.cols / heads} = ${(kvHeads * wq.cols) / heads} (W_q's ${wq.cols} columns are ${heads} heads)`,
    );
  return { wq, wk, wv };
}
