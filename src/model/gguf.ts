/**
 * GGUF llama models (llama.cpp's format, https://github.com/ggml-org/ggml/blob/master/docs/gguf.md):
 * the header parsed by @huggingface/gguf through a fetch that serves Range requests from the bytes
 * in memory (a File's ArrayBuffer in the page, a read file in Node), tensors dequantised to float32
 * by core/model/ggml-types.ts. GGUF stores a tensor's dimensions innermost first: ne[0] is the
 * number of columns, so an [ne0, ne1] weight is ne1 rows × ne0 columns — out×in, as ModelWeights.
 * W_q and W_k come permuted by llama.cpp's converter, so RoPE pairs dimensions (2i, 2i + 1): the
 * config says 'interleaved'.
 */
import { gguf } from '@huggingface/gguf';
import type { GGUFTensorInfo, MetadataValue } from '@huggingface/gguf';
import type { LayerWeights, ModelConfig, ModelWeights, Weight } from '../core/model/config';
import { ModelFileError } from '../core/model/config';
import { blockSize, dequantize, ggmlTypeName, READABLE_GGML_TYPES, readableType, tensorByteSize } from '../core/model/ggml-types';
import { configParameterCount, memoryLimitProblem } from '../core/model/loaded';

/** "GGUF" */
export const GGUF_MAGIC = [0x47, 0x47, 0x55, 0x46];

export type GgufMetadata = Record<string, MetadataValue>;

export interface GgufModel {
  weights: ModelWeights;
  metadata: GgufMetadata;
  /** Tensors per stored type ("Q8_0": 7, …), of the tensors the model uses. */
  tensorTypes: Record<string, number>;
  /**
   * Tensors of a type the playground does not dequantise (Q5_K, …) that the model does not use
   * (rope_freqs.weight, …), by name, with their type: set aside, as safetensors' unread dtypes are.
   * One the model uses is refused.
   */
  unread: Map<string, string>;
}

export function isGguf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && GGUF_MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * A fetch that answers `Range: bytes=a-b` requests from `bytes`, with a Content-Range that tells
 * the parser the file's size: how @huggingface/gguf reads a file that is already in memory.
 */
export function inMemoryRangeFetch(bytes: Uint8Array): typeof fetch {
  return (_input: RequestInfo | URL, init?: RequestInit) => {
    const range = new Headers(init?.headers).get('range');
    const match = range ? /bytes=(\d+)-(\d*)/.exec(range) : null;
    const start = match ? Math.min(Number(match[1]), bytes.length) : 0;
    const end = match && match[2] !== '' ? Math.min(Number(match[2]) + 1, bytes.length) : bytes.length;
    const body = bytes.slice(start, Math.max(start, end));
    return Promise.resolve(
      new Response(body, {
        status: match ? 206 : 200,
        headers: { 'content-range': `bytes ${start}-${Math.max(start, end) - 1}/${bytes.length}` },
      }),
    );
  };
}

/** Magic, version, tensor count and key/value count: the smallest header a GGUF v2/v3 file has. */
const MIN_HEADER = 24;
/** "F32, F16, BF16, Q8_0 and Q4_0": the types the loader reads, for its refusal of any other. */
const READABLE_TYPE_LIST = `${READABLE_GGML_TYPES.slice(0, -1).join(', ')} and ${READABLE_GGML_TYPES.at(-1)}`;

/**
 * Reads a GGUF llama model. Throws ModelFileError naming `file` and its problem: truncated, not
 * GGUF, a header that does not parse, an architecture other than llama, a missing or misshapen
 * tensor, a tensor the model uses of a type the playground cannot dequantise (one it does not use
 * is set aside: GgufModel.unread), tensor data beyond the end of the file, a
 * model over the memory limit.
 */
export async function readGgufModel(bytes: Uint8Array, file: string, memoryLimit?: number): Promise<GgufModel> {
  const fail = (what: string): never => {
    throw new ModelFileError(`${file}: ${what}`);
  };
  if (!isGguf(bytes)) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    fail(`not a GGUF file (it starts with ${magic || 'nothing'}, GGUF files with 47 47 55 46, "GGUF")`);
  }
  if (bytes.length < MIN_HEADER) fail(`${bytes.length} bytes is too short for a GGUF header (${MIN_HEADER}): the file is truncated`);
  let parsed: Awaited<ReturnType<typeof gguf>>;
  try {
    // On Node the parser takes only http(s) URIs to its fetch; the host is never contacted.
    parsed = await gguf(`https://gguf.invalid/${encodeURIComponent(file)}`, { fetch: inMemoryRangeFetch(bytes) });
  } catch (error) {
    return fail(`bad GGUF header: ${(error as Error).message}`);
  }
  if (!parsed.littleEndian) fail('is a big-endian GGUF file; the playground reads little-endian ones');
  const headerEnd = parsed.tensorInfoByteRange[1];
  if (headerEnd > bytes.length) fail(`the header runs to byte ${headerEnd} but the file has ${bytes.length}: the file is truncated`);
  const metadata = parsed.metadata as unknown as GgufMetadata;
  const architecture = metadata['general.architecture'];
  if (architecture === undefined || architecture === null)
    fail('has no general.architecture in its metadata: the playground reads GGUF "llama" models');
  if (architecture !== 'llama')
    fail(`architecture ${JSON.stringify(architecture)} is not supported: the playground reads GGUF "llama" models`);

  const infos = new Map(parsed.tensorInfos.map((t) => [t.name, t]));
  const config = ggufConfig(metadata, infos, file);
  const declared = parsed.tensorInfos.reduce((sum, t) => sum + t.shape.reduce((p, d) => p * Number(d), 1), 0);
  const tooBig = memoryLimitProblem(file, Math.max(declared, configParameterCount(config)), memoryLimit);
  if (tooBig) throw new ModelFileError(tooBig);

  // Check every tensor the model needs (presence, type, shape, bytes in the file) before dequantising any.
  const dataStart = Number(parsed.tensorDataOffset);
  const tensorTypes: Record<string, number> = {};
  const planned = new Map<string, { info: GGUFTensorInfo; start: number; count: number }>();
  const plan = (name: string, shape: number[]) => {
    const info = infos.get(name);
    if (!info) return fail(`tensor "${name}" is missing`);
    const type = readableType(info.dtype);
    if (type === null) fail(`tensor "${name}" has type ${ggmlTypeName(info.dtype)}; the playground dequantises ${READABLE_TYPE_LIST}`);
    const dims = info.shape.map(Number);
    if (dims.length !== shape.length || dims.some((d, i) => d !== shape[i]))
      fail(`tensor "${name}" has shape [${dims.join(', ')}] (ne0 first), expected [${shape.join(', ')}]`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (shape[0] % blockSize(type!) !== 0)
      fail(`tensor "${name}" is ${type} but its rows of ${shape[0]} are not whole blocks of ${blockSize(type!)}`);
    const start = dataStart + Number(info.offset);
    const end = start + tensorByteSize(type!, count);
    if (end > bytes.length)
      fail(
        `tensor "${name}" (${type}) spans bytes ${start}–${end} but the file has ${bytes.length}: the file is truncated or the offset is wrong`,
      );
    planned.set(name, { info, start, count });
    tensorTypes[type!] = (tensorTypes[type!] ?? 0) + 1;
  };
  const c = config;
  const q = c.heads * c.headDim,
    kv = c.kvHeads * c.headDim;
  plan('token_embd.weight', [c.dModel, c.vocabSize]);
  if (!c.tiedEmbeddings) plan('output.weight', [c.dModel, c.vocabSize]);
  plan('output_norm.weight', [c.dModel]);
  for (let i = 0; i < c.layers; i++) {
    plan(`blk.${i}.attn_norm.weight`, [c.dModel]);
    plan(`blk.${i}.attn_q.weight`, [c.dModel, q]);
    plan(`blk.${i}.attn_k.weight`, [c.dModel, kv]);
    plan(`blk.${i}.attn_v.weight`, [c.dModel, kv]);
    plan(`blk.${i}.attn_output.weight`, [q, c.dModel]);
    plan(`blk.${i}.ffn_norm.weight`, [c.dModel]);
    plan(`blk.${i}.ffn_gate.weight`, [c.dModel, c.ffnDim]);
    plan(`blk.${i}.ffn_up.weight`, [c.dModel, c.ffnDim]);
    plan(`blk.${i}.ffn_down.weight`, [c.ffnDim, c.dModel]);
  }

  const values = (name: string): Float32Array => {
    const { info, start, count } = planned.get(name)!;
    const type = readableType(info.dtype)!;
    return dequantize(type, bytes.subarray(start, start + tensorByteSize(type, count)), count);
  };
  const matrix = (name: string, rows: number, cols: number): Weight => ({ rows, cols, data: values(name) });
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.layers; i++) {
    const at = `blk.${i}.`;
    layers.push({
      attnNorm: values(`${at}attn_norm.weight`),
      attnNormBias: null,
      wq: matrix(`${at}attn_q.weight`, q, c.dModel),
      wk: matrix(`${at}attn_k.weight`, kv, c.dModel),
      wv: matrix(`${at}attn_v.weight`, kv, c.dModel),
      wo: matrix(`${at}attn_output.weight`, c.dModel, q),
      bq: null,
      bk: null,
      bv: null,
      bo: null,
      mlpNorm: values(`${at}ffn_norm.weight`),
      mlpNormBias: null,
      gate: matrix(`${at}ffn_gate.weight`, c.ffnDim, c.dModel),
      up: matrix(`${at}ffn_up.weight`, c.ffnDim, c.dModel),
      down: matrix(`${at}ffn_down.weight`, c.dModel, c.ffnDim),
      upBias: null,
      downBias: null,
    });
  }
  const tokenEmbedding = matrix('token_embd.weight', c.vocabSize, c.dModel);
  const weights: ModelWeights = {
    config: c,
    tokenEmbedding,
    positionEmbedding: null,
    layers,
    finalNorm: values('output_norm.weight'),
    finalNormBias: null,
    lmHead: c.tiedEmbeddings ? tokenEmbedding : matrix('output.weight', c.vocabSize, c.dModel),
  };
  const unread = new Map<string, string>();
  for (const info of parsed.tensorInfos)
    if (!planned.has(info.name) && readableType(info.dtype) === null) unread.set(info.name, ggmlTypeName(info.dtype));
  return { weights, metadata, tensorTypes, unread };
}

/** The configuration of a GGUF llama model from its metadata (and the token embedding's shape for the vocabulary size). */
function ggufConfig(metadata: GgufMetadata, infos: ReadonlyMap<string, GGUFTensorInfo>, file: string): ModelConfig {
  const fail = (what: string): never => {
    throw new ModelFileError(`${file}: ${what}`);
  };
  const number = (key: string, fallback?: number, integer = true): number => {
    const raw = metadata[key];
    if (raw === undefined && fallback === undefined) return fail(`metadata key "${key}" is missing`);
    const v = raw === undefined ? fallback! : typeof raw === 'bigint' ? Number(raw) : raw;
    if (typeof v !== 'number' || !(v > 0) || (integer && !Number.isInteger(v)))
      return fail(`metadata "${key}" must be a positive ${integer ? 'integer' : 'number'}, got ${String(raw)}`);
    return v;
  };
  const dModel = number('llama.embedding_length');
  const heads = number('llama.attention.head_count');
  const kvHeads = number('llama.attention.head_count_kv', heads);
  if (metadata['llama.attention.key_length'] === undefined && dModel % heads !== 0)
    fail(`embedding_length ${dModel} does not split into head_count ${heads} heads`);
  const headDim = number('llama.attention.key_length', dModel / heads);
  const valueLength = number('llama.attention.value_length', headDim);
  if (valueLength !== headDim)
    fail(`attention.value_length ${valueLength} differs from key_length ${headDim}; the playground needs them equal`);
  const ropeDims = number('llama.rope.dimension_count', headDim);
  if (ropeDims !== headDim) fail(`rope.dimension_count ${ropeDims} differs from the head width ${headDim} (partial RoPE is not supported)`);
  const scaling = metadata['llama.rope.scaling.type'];
  if (scaling !== undefined && scaling !== 'none') fail(`rope.scaling.type "${String(scaling)}" is not supported (plain RoPE only)`);
  if (heads % kvHeads !== 0) fail(`head_count ${heads} is not a multiple of head_count_kv ${kvHeads}`);
  const tokens = metadata['tokenizer.ggml.tokens'];
  const embedding = infos.get('token_embd.weight');
  const vocabSize = number(
    'llama.vocab_size',
    Array.isArray(tokens) ? tokens.length : embedding && embedding.shape.length === 2 ? Number(embedding.shape[1]) : undefined,
  );
  const name = metadata['general.name'];
  return {
    architecture: 'llama',
    name: typeof name === 'string' && name !== '' ? name : file.replace(/\.gguf$/i, ''),
    vocabSize,
    dModel,
    layers: number('llama.block_count'),
    heads,
    kvHeads,
    headDim,
    ffnDim: number('llama.feed_forward_length'),
    contextLength: number('llama.context_length'),
    normEps: number('llama.attention.layer_norm_rms_epsilon', undefined, false),
    rope: { base: number('llama.rope.freq_base', 10000, false), layout: 'interleaved' },
    tiedEmbeddings: !infos.has('output.weight'),
  };
}
