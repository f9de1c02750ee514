/**
 * Writes a Llama ModelWeights and its vocabulary as a GGUF v3 file (the spec:
 * https://github.com/ggml-org/ggml/blob/master/docs/gguf.md): the key/value metadata serialised by
 * @huggingface/gguf's serializeGgufMetadata, then the tensor infos (name, dims innermost first, type,
 * offset from the data start), padding to the alignment, and the tensors, each aligned. W_q and W_k
 * of a model with HF's 'half' RoPE are permuted to llama.cpp's interleaved order on the way
 * (core/model/rope-permute.ts), as convert_hf_to_gguf.py does, so the file loads with 'interleaved'
 * RoPE and gives the same scores.
 */
import { GGUFValueType, serializeGgufMetadata } from '@huggingface/gguf';
import type { GGUFTypedMetadata, MetadataValue } from '@huggingface/gguf';
import type { ModelWeights, Weight } from '../core/model/config';
import type { GgmlReadableType } from '../core/model/ggml-types';
import { GGML_TYPE, blockSize, quantize } from '../core/model/ggml-types';
import type { GgufVocabulary } from '../core/model/gguf-vocab';
import { permuteHalfToInterleaved } from '../core/model/rope-permute';

export interface GgufWriteOptions {
  /** The type of the matrices (norm vectors stay F32, as llama.cpp keeps them); F32 unless given. */
  type?: GgmlReadableType;
  /** general.alignment; 32 (GGUF's default) unless given. */
  alignment?: number;
  /** More metadata, e.g. { 'general.architecture': 'falcon' } for a test of a refusal. */
  extraMetadata?: Record<string, { value: MetadataValue; type: GGUFValueType; subType?: GGUFValueType }>;
  /** Tensors to leave out, or to write with another type or shape (tests of broken files). */
  tamper?: (tensors: GgufTensor[]) => GgufTensor[];
}

/** One tensor to write: dims innermost first (ne0 = columns), raw bytes of its type. */
export interface GgufTensor {
  name: string;
  dims: number[];
  type: number;
  data: Uint8Array;
}

const pad = (x: number, n: number) => Math.ceil(x / n) * n;

/** The tensors of a Llama model in GGUF names, types and order. */
export function ggufTensors(weights: ModelWeights, type: GgmlReadableType = 'F32'): GgufTensor[] {
  const c = weights.config;
  if (c.architecture !== 'llama' || c.rope === null) throw new RangeError(`GGUF export writes llama models, not ${c.architecture}`);
  const half = c.rope.layout === 'half';
  const tensors: GgufTensor[] = [];
  const vector = (name: string, v: Float32Array) => tensors.push({ name, dims: [v.length], type: GGML_TYPE.F32, data: quantize('F32', v) });
  const matrix = (name: string, w: Weight) => {
    // A row that is not whole blocks cannot be quantised: such a matrix is written F32.
    const t: GgmlReadableType = w.cols % blockSize(type) === 0 ? type : 'F32';
    tensors.push({ name, dims: [w.cols, w.rows], type: GGML_TYPE[t], data: quantize(t, w.data) });
  };
  matrix('token_embd.weight', weights.tokenEmbedding);
  vector('output_norm.weight', weights.finalNorm);
  if (!c.tiedEmbeddings) matrix('output.weight', weights.lmHead);
  weights.layers.forEach((l, i) => {
    const at = `blk.${i}.`;
    vector(`${at}attn_norm.weight`, l.attnNorm);
    matrix(`${at}attn_q.weight`, half ? permuteHalfToInterleaved(l.wq, c.heads) : l.wq);
    matrix(`${at}attn_k.weight`, half ? permuteHalfToInterleaved(l.wk, c.kvHeads) : l.wk);
    matrix(`${at}attn_v.weight`, l.wv);
    matrix(`${at}attn_output.weight`, l.wo);
    vector(`${at}ffn_norm.weight`, l.mlpNorm);
    matrix(`${at}ffn_gate.weight`, l.gate!);
    matrix(`${at}ffn_up.weight`, l.up);
    matrix(`${at}ffn_down.weight`, l.down);
  });
  return tensors;
}

type Entry = { value: MetadataValue; type: GGUFValueType; subType?: GGUFValueType };

function vocabularyMetadata(v: GgufVocabulary): Record<string, Entry> {
  const md: Record<string, Entry> = {
    'tokenizer.ggml.model': { value: v.model, type: GGUFValueType.STRING },
    'tokenizer.ggml.tokens': { value: v.tokens, type: GGUFValueType.ARRAY, subType: GGUFValueType.STRING },
    'tokenizer.ggml.token_type': { value: v.tokenTypes, type: GGUFValueType.ARRAY, subType: GGUFValueType.INT32 },
  };
  if (v.scores) md['tokenizer.ggml.scores'] = { value: v.scores, type: GGUFValueType.ARRAY, subType: GGUFValueType.FLOAT32 };
  if (v.merges) md['tokenizer.ggml.merges'] = { value: v.merges, type: GGUFValueType.ARRAY, subType: GGUFValueType.STRING };
  if (v.bos !== null) md['tokenizer.ggml.bos_token_id'] = { value: v.bos, type: GGUFValueType.UINT32 };
  if (v.eos !== null) md['tokenizer.ggml.eos_token_id'] = { value: v.eos, type: GGUFValueType.UINT32 };
  if (v.unk !== null) md['tokenizer.ggml.unknown_token_id'] = { value: v.unk, type: GGUFValueType.UINT32 };
  md['tokenizer.ggml.add_bos_token'] = { value: v.addBos, type: GGUFValueType.BOOL };
  if (v.pre !== undefined) md['tokenizer.ggml.pre'] = { value: v.pre, type: GGUFValueType.STRING };
  if (v.addSpacePrefix === false) md['tokenizer.ggml.add_space_prefix'] = { value: false, type: GGUFValueType.BOOL };
  return md;
}

/** A GGUF v3 llama file of the weights and vocabulary. */
export function writeGgufModel(weights: ModelWeights, vocabulary: GgufVocabulary, options: GgufWriteOptions = {}): Uint8Array {
  const c = weights.config;
  const alignment = options.alignment ?? 32;
  let tensors = ggufTensors(weights, options.type ?? 'F32');
  if (options.tamper) tensors = options.tamper(tensors);
  const u32 = (value: number): Entry => ({ value, type: GGUFValueType.UINT32 });
  const f32 = (value: number): Entry => ({ value, type: GGUFValueType.FLOAT32 });
  const metadata: Record<string, Entry> = {
    version: { value: 3, type: GGUFValueType.UINT32 },
    tensor_count: { value: BigInt(tensors.length), type: GGUFValueType.UINT64 },
    kv_count: { value: 0n, type: GGUFValueType.UINT64 },
    'general.architecture': { value: 'llama', type: GGUFValueType.STRING },
    'general.name': { value: c.name, type: GGUFValueType.STRING },
    ...(alignment !== 32 ? { 'general.alignment': u32(alignment) } : {}),
    'llama.vocab_size': u32(c.vocabSize),
    'llama.context_length': u32(c.contextLength),
    'llama.embedding_length': u32(c.dModel),
    'llama.block_count': u32(c.layers),
    'llama.feed_forward_length': u32(c.ffnDim),
    'llama.attention.head_count': u32(c.heads),
    'llama.attention.head_count_kv': u32(c.kvHeads),
    'llama.attention.key_length': u32(c.headDim),
    'llama.attention.value_length': u32(c.headDim),
    'llama.attention.layer_norm_rms_epsilon': f32(c.normEps),
    'llama.rope.freq_base': f32(c.rope?.base ?? 10000),
    'llama.rope.dimension_count': u32(c.headDim),
    ...vocabularyMetadata(vocabulary),
    ...options.extraMetadata,
  };
  // Alignment 1 leaves the key/value part unpadded: the tensor infos follow it directly.
  const head = serializeGgufMetadata(metadata as unknown as GGUFTypedMetadata, { alignment: 1 });
  const encoder = new TextEncoder();
  const infoChunks: Uint8Array[] = [];
  let dataSize = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    const name = encoder.encode(t.name);
    const info = new Uint8Array(8 + name.length + 4 + 8 * t.dims.length + 4 + 8);
    const view = new DataView(info.buffer);
    view.setBigUint64(0, BigInt(name.length), true);
    info.set(name, 8);
    let at = 8 + name.length;
    view.setUint32(at, t.dims.length, true);
    at += 4;
    for (const d of t.dims) {
      view.setBigUint64(at, BigInt(d), true);
      at += 8;
    }
    view.setUint32(at, t.type, true);
    view.setBigUint64(at + 4, BigInt(dataSize), true);
    infoChunks.push(info);
    offsets.push(dataSize);
    dataSize = pad(dataSize + t.data.length, alignment);
  }
  const infoSize = infoChunks.reduce((s, b) => s + b.length, 0);
  const dataStart = pad(head.length + infoSize, alignment);
  const out = new Uint8Array(dataStart + dataSize);
  out.set(head, 0);
  let at = head.length;
  for (const chunk of infoChunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  tensors.forEach((t, i) => out.set(t.data, dataStart + offsets[i]));
  return out;
}
