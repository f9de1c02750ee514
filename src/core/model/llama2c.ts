/**
 * Andrej Karpathy's llama2.c checkpoints (https://github.com/karpathy/llama2.c): the format run.c
 * reads and the tinyllamas files (stories260K.bin, stories15M.bin, …) are published in — export.py's
 * "legacy" version 0 — and its tokenizer files (tokenizer.bin, tok512.bin).
 *
 * A checkpoint has no magic number: seven little-endian int32s (dim, hidden_dim, n_layers, n_heads,
 * n_kv_heads, vocab_size, seq_len; a negative vocab_size means the classifier is not the embedding),
 * then float32 tensors, each [out, in] as PyTorch stores them, every layer's copy of one tensor after
 * the other: the token embedding, the attention norms, W_q, W_k, W_v, W_o, the MLP norms, w1 (gate),
 * w2 (down), w3 (up), the final norm, RoPE's cos and sin tables (seq_len × head_size/2), and the
 * classifier when it is not shared. So the file is told by its header and its exact size, and by the
 * RoPE tables' first row (cos 0 = 1, sin 0 = 0). The weights are Meta's layout: RoPE pairs dimensions
 * (2i, 2i + 1), θ = 10000 and RMSNorm ε = 10⁻⁵ as run.c has them.
 *
 * A tokenizer file: a uint32 max_token_length, then per token a float32 score, an int32 byte length
 * and the UTF-8 bytes, with "▁" written as a space; ids 0, 1, 2 are <unk>, BOS and EOS, 3–258 the
 * byte-fallback pieces <0x00>…<0xFF>. It becomes the GGUF "llama" vocabulary llama.cpp's
 * convert-llama2c-to-ggml makes of it, so the same SentencePiece conversion tokenizes it.
 *
 * Pure data: the tokenizer itself is built in src/model (tokenizers.js).
 */
import type { LayerWeights, ModelConfig, ModelWeights, Weight } from './config';
import { ModelFileError } from './config';
import type { GgufVocabulary } from './gguf-vocab';
import { TOKEN_TYPE } from './gguf-vocab';
import { configParameterCount, memoryLimitProblem } from './loaded';

const HEADER_BYTES = 28;
/** export.py's version 1 and 2 files start with "ak42" (0x616b3432 little-endian). */
const AK42 = 0x616b3432;

interface Llama2cHeader {
  dim: number;
  hiddenDim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  vocabSize: number;
  seqLen: number;
  shared: boolean;
}

function readHeader(bytes: Uint8Array): Llama2cHeader | null {
  if (bytes.length < HEADER_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const [dim, hiddenDim, layers, heads, kvHeads, vocab, seqLen] = Array.from({ length: 7 }, (_, i) => view.getInt32(4 * i, true));
  const within = (x: number, max: number) => x >= 1 && x <= max;
  // Bounds far beyond any model run.c was meant for, tight enough that other files' first bytes fail them.
  if (!within(dim, 1 << 16) || !within(hiddenDim, 1 << 18) || !within(layers, 1024) || !within(heads, dim)) return null;
  if (!within(kvHeads, heads) || !within(Math.abs(vocab), 1 << 21) || !within(seqLen, 1 << 21)) return null;
  if (dim % heads !== 0 || heads % kvHeads !== 0 || (dim / heads) % 2 !== 0) return null;
  return { dim, hiddenDim, layers, heads, kvHeads, vocabSize: Math.abs(vocab), seqLen, shared: vocab > 0 };
}

/** Float32 values a checkpoint with this header holds after the header. */
function floatCount(h: Llama2cHeader): number {
  const headSize = h.dim / h.heads;
  const kvDim = h.kvHeads * headSize;
  const perLayer = 2 * h.dim + 2 * h.dim * h.dim + 2 * h.dim * kvDim + 3 * h.dim * h.hiddenDim;
  return h.vocabSize * h.dim * (h.shared ? 1 : 2) + h.layers * perLayer + h.dim + h.seqLen * headSize;
}

/**
 * Whether the bytes look like a llama2.c checkpoint: a header of plausible sizes (its exact file size
 * is checked by readLlama2cModel, so that a truncated file gets a message of its own).
 */
export function isLlama2cCheckpoint(bytes: Uint8Array): boolean {
  return readHeader(bytes) !== null;
}

/** A newer llama2.c export (version 1 or 2, "ak42"), which run.c's legacy reader does not read either. */
export function isLlama2cVersionedExport(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && new DataView(bytes.buffer, bytes.byteOffset, 8).getUint32(0, true) === AK42;
}

/** The model in a llama2.c checkpoint. Throws ModelFileError naming `file` and what is wrong. */
export function readLlama2cModel(bytes: Uint8Array, file: string, memoryLimit?: number): ModelWeights {
  const fail = (what: string): never => {
    throw new ModelFileError(`${file}: ${what}`);
  };
  const h = readHeader(bytes) ?? fail('is not a llama2.c checkpoint (its first 28 bytes are not a plausible header)');
  const headSize = h.dim / h.heads;
  const name = file.replace(/^.*[\\/]/, '').replace(/\.bin$/i, '');
  const config: ModelConfig = {
    architecture: 'llama',
    name,
    vocabSize: h.vocabSize,
    dModel: h.dim,
    layers: h.layers,
    heads: h.heads,
    kvHeads: h.kvHeads,
    headDim: headSize,
    ffnDim: h.hiddenDim,
    contextLength: h.seqLen,
    normEps: 1e-5,
    rope: { base: 10000, layout: 'interleaved' },
    tiedEmbeddings: h.shared,
  };
  const tooBig = memoryLimitProblem(file, configParameterCount(config), memoryLimit);
  if (tooBig) throw new ModelFileError(tooBig);
  const expected = HEADER_BYTES + 4 * floatCount(h);
  const shape = `dim ${h.dim}, hidden_dim ${h.hiddenDim}, ${h.layers} layers, ${h.heads} heads, ${h.kvHeads} kv heads, vocabulary ${h.vocabSize}, seq_len ${h.seqLen}`;
  if (bytes.length !== expected)
    fail(
      `a llama2.c checkpoint with this header (${shape}) is ${expected} bytes, this file is ${bytes.length}: ` +
        (bytes.length < expected ? 'it is truncated' : 'it has bytes to spare, so it is not that checkpoint'),
    );
  // Copy the floats out: the file's bytes need not be 4-byte aligned in memory.
  const floats = new Float32Array(floatCount(h));
  new Uint8Array(floats.buffer).set(bytes.subarray(HEADER_BYTES));
  let at = 0;
  const take = (count: number): Float32Array => floats.subarray(at, (at += count));
  const matrix = (rows: number, cols: number): Weight => ({ rows, cols, data: take(rows * cols) });
  const perLayer = <T>(read: () => T): T[] => Array.from({ length: h.layers }, read);
  const q = h.heads * headSize,
    kv = h.kvHeads * headSize;
  const tokenEmbedding = matrix(h.vocabSize, h.dim);
  const attnNorm = perLayer(() => take(h.dim));
  const wq = perLayer(() => matrix(q, h.dim));
  const wk = perLayer(() => matrix(kv, h.dim));
  const wv = perLayer(() => matrix(kv, h.dim));
  const wo = perLayer(() => matrix(h.dim, q));
  const mlpNorm = perLayer(() => take(h.dim));
  const gate = perLayer(() => matrix(h.hiddenDim, h.dim));
  const down = perLayer(() => matrix(h.dim, h.hiddenDim));
  const up = perLayer(() => matrix(h.hiddenDim, h.dim));
  const finalNorm = take(h.dim);
  const cos = take((h.seqLen * headSize) / 2);
  const sin = take((h.seqLen * headSize) / 2);
  for (let i = 0; i < headSize / 2; i++)
    if (cos[i] !== 1 || sin[i] !== 0)
      fail(`its RoPE tables do not start with cos 0 = 1, sin 0 = 0 (at ${i}: ${cos[i]}, ${sin[i]}), so it is not a llama2.c checkpoint`);
  const lmHead = h.shared ? tokenEmbedding : matrix(h.vocabSize, h.dim);
  const layers: LayerWeights[] = Array.from({ length: h.layers }, (_, l) => ({
    attnNorm: attnNorm[l],
    attnNormBias: null,
    wq: wq[l],
    wk: wk[l],
    wv: wv[l],
    wo: wo[l],
    bq: null,
    bk: null,
    bv: null,
    bo: null,
    mlpNorm: mlpNorm[l],
    mlpNormBias: null,
    gate: gate[l],
    up: up[l],
    down: down[l],
    upBias: null,
    downBias: null,
  }));
  return { config, tokenEmbedding, positionEmbedding: null, layers, finalNorm, finalNormBias: null, lmHead };
}

interface TokenizerEntries {
  pieces: Uint8Array[];
  scores: number[];
  /** Where the file stops making sense, or null when it parses to its end. */
  problem: string | null;
}

/** The entries of a llama2.c tokenizer file, as far as they parse. */
function readTokenizerEntries(bytes: Uint8Array): TokenizerEntries {
  const pieces: Uint8Array[] = [];
  const scores: number[] = [];
  const stop = (problem: string): TokenizerEntries => ({ pieces, scores, problem });
  if (bytes.length < 4) return stop(`${bytes.length} bytes is too short for a llama2.c tokenizer`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const maxLength = view.getUint32(0, true);
  if (maxLength < 1 || maxLength > 1024) return stop(`its max_token_length is ${maxLength}, not a llama2.c tokenizer's (1–1024)`);
  let at = 4;
  while (at < bytes.length) {
    if (at + 8 > bytes.length) return stop(`token ${pieces.length} is cut off at byte ${at} of ${bytes.length}: the file is truncated`);
    const score = view.getFloat32(at, true);
    const length = view.getInt32(at + 4, true);
    if (!Number.isFinite(score)) return stop(`token ${pieces.length} has the score ${score}`);
    if (length < 0 || length > maxLength)
      return stop(`token ${pieces.length} claims ${length} bytes, outside 0–${maxLength} (the file's max_token_length)`);
    if (at + 8 + length > bytes.length) return stop(`token ${pieces.length} runs past the end of the file: the file is truncated`);
    pieces.push(bytes.subarray(at + 8, at + 8 + length));
    scores.push(score);
    at += 8 + length;
  }
  return { pieces, scores, problem: null };
}

/**
 * Whether the bytes are a llama2.c tokenizer: they parse to the end, or their first 16 tokens do (a
 * damaged one is still recognised, and readLlama2cVocabulary names the damage). Check
 * isLlama2cCheckpoint first: a checkpoint's header can pass for a few tokens.
 */
export function isLlama2cTokenizer(bytes: Uint8Array): boolean {
  const { pieces, problem } = readTokenizerEntries(bytes);
  return pieces.length >= (problem === null ? 3 : 16);
}

const BYTE_PIECE = /^<0x[0-9A-F]{2}>$/;

/**
 * A llama2.c tokenizer as the GGUF "llama" vocabulary llama.cpp's convert-llama2c-to-ggml writes:
 * <unk>, <s>, </s> at 0, 1, 2; "<0xXX>" pieces as bytes; spaces back to "▁". Throws ModelFileError
 * naming `file` when it does not parse or holds another number of tokens than the model embeds.
 */
export function readLlama2cVocabulary(bytes: Uint8Array, file: string, vocabSize: number): GgufVocabulary {
  const parsed = readTokenizerEntries(bytes);
  if (parsed.problem !== null) throw new ModelFileError(`${file}: ${parsed.problem}`);
  if (parsed.pieces.length !== vocabSize)
    throw new ModelFileError(
      `${file}: the tokenizer has ${parsed.pieces.length} tokens but the checkpoint embeds ${vocabSize}: they do not belong together`,
    );
  const decoder = new TextDecoder('utf-8');
  const tokens: string[] = [];
  const tokenTypes: number[] = [];
  parsed.pieces.forEach((piece, id) => {
    const text = decoder.decode(piece);
    const [token, type] =
      id === 0
        ? ['<unk>', TOKEN_TYPE.UNKNOWN]
        : id === 1
          ? ['<s>', TOKEN_TYPE.CONTROL]
          : id === 2
            ? ['</s>', TOKEN_TYPE.CONTROL]
            : BYTE_PIECE.test(text)
              ? [text, TOKEN_TYPE.BYTE]
              : [text.replaceAll(' ', '▁'), text === '' ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.NORMAL];
    tokens.push(token);
    tokenTypes.push(type);
  });
  return {
    model: 'llama',
    tokens,
    tokenTypes,
    scores: parsed.scores,
    bos: 1,
    eos: 2,
    unk: 0,
    addBos: true,
    addSpacePrefix: true,
  };
}
