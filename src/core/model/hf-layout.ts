/**
 * Hugging Face checkpoints as ModelWeights and back: config.json and the tensors of a
 * model.safetensors in the Llama layout (LlamaForCausalLM: out×in linear weights, RoPE in halves) or
 * the GPT-2 layout (GPT2LMHeadModel: Conv1D weights stored in×out, q|k|v fused in c_attn, learned
 * positions, a tied head). Pure: the safetensors bytes are read and written by ./safetensors.ts.
 */
import type { LayerWeights, ModelConfig, ModelWeights, Weight } from './config';
import { ModelFileError } from './config';
import { permuteInterleavedToHalf } from './rope-permute';
import type { SafetensorsTensor, TensorToWrite } from './safetensors';
import { unreadDtypeProblem, writeSafetensors } from './safetensors';

type Json = Record<string, unknown>;

/** The model's configuration from a config.json object. Throws ModelFileError naming `file` and the field. */
export function configFromHfJson(json: unknown, name: string, file = 'config.json'): ModelConfig {
  const fail = (what: string): never => {
    throw new ModelFileError(`${file}: ${what}`);
  };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return fail('is not a JSON object');
  const c = json as Json;
  // save_pretrained records where the model came from; the file's name is the fallback.
  const recorded = c._name_or_path ?? c.name_or_path;
  if (typeof recorded === 'string' && recorded.trim() !== '') name = recorded.split('/').pop()!;
  const modelType = typeof c.model_type === 'string' ? c.model_type : 'n_embd' in c ? 'gpt2' : 'hidden_size' in c ? 'llama' : undefined;
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      return fail(`"${key}" must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const positive = (key: string, fallback: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !(v > 0)) return fail(`"${key}" must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  if (modelType === 'gpt2') {
    const activation = c.activation_function ?? 'gelu_new';
    if (activation !== 'gelu_new' && activation !== 'gelu_pytorch_tanh')
      fail(`activation_function ${JSON.stringify(activation)} is not supported (GPT-2's tanh GELU, "gelu_new", only)`);
    if (c.scale_attn_by_inverse_layer_idx === true || c.scale_attn_weights === false)
      fail('scale_attn_by_inverse_layer_idx / scale_attn_weights: false change the attention scale; the playground uses 1/√d');
    const dModel = int('n_embd');
    const heads = int('n_head');
    if (dModel % heads !== 0) fail(`n_embd ${dModel} does not split into n_head ${heads} heads`);
    return {
      architecture: 'gpt2',
      name,
      vocabSize: int('vocab_size'),
      dModel,
      layers: int('n_layer'),
      heads,
      kvHeads: heads,
      headDim: dModel / heads,
      ffnDim: c.n_inner == null ? 4 * dModel : int('n_inner'),
      contextLength: int('n_positions', typeof c.n_ctx === 'number' ? c.n_ctx : undefined),
      normEps: positive('layer_norm_epsilon', 1e-5),
      rope: null,
      tiedEmbeddings: true,
    };
  }
  if (modelType === 'llama' || modelType === 'mistral') {
    if ((c.hidden_act ?? 'silu') !== 'silu') fail(`hidden_act ${JSON.stringify(c.hidden_act)} is not supported (Llama's SiLU only)`);
    if (c.sliding_window != null && c.use_sliding_window !== false)
      fail(`sliding_window ${JSON.stringify(c.sliding_window)} is not supported (full causal attention only)`);
    if (c.rope_scaling != null) fail(`rope_scaling ${JSON.stringify(c.rope_scaling)} is not supported (plain RoPE only)`);
    if (c.attention_bias === true || c.mlp_bias === true) fail('attention_bias/mlp_bias are not supported (a Llama model has no biases)');
    const dModel = int('hidden_size');
    const heads = int('num_attention_heads');
    if (c.head_dim == null && dModel % heads !== 0) fail(`hidden_size ${dModel} does not split into num_attention_heads ${heads} heads`);
    const kvHeads = int('num_key_value_heads', heads);
    if (heads % kvHeads !== 0) fail(`num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}`);
    return {
      architecture: 'llama',
      name,
      vocabSize: int('vocab_size'),
      dModel,
      layers: int('num_hidden_layers'),
      heads,
      kvHeads,
      headDim: int('head_dim', dModel / heads),
      ffnDim: int('intermediate_size'),
      contextLength: int('max_position_embeddings', 2048),
      normEps: positive('rms_norm_eps', 1e-6),
      rope: { base: positive('rope_theta', 10000), layout: 'half' },
      tiedEmbeddings: c.tie_word_embeddings === true,
    };
  }
  const supported = 'the playground reads "llama" (and "mistral") and "gpt2" models';
  if (modelType === undefined && (c.model_type === undefined || c.model_type === null))
    return fail(`has no model_type (nor hidden_size or n_embd to tell the architecture by): ${supported}`);
  return fail(`model_type ${JSON.stringify(modelType ?? c.model_type)} is not supported: ${supported}`);
}

/** What the files hold besides the tensors read, for the message about a tensor the model needs. */
export interface HfTensorsContext {
  /** Tensors of a dtype the playground does not read, with their dtype (SafetensorsFile.unread). */
  unread?: ReadonlyMap<string, string>;
  /** Said after a missing tensor: e.g. that the files are some of a sharded checkpoint's shards. */
  missingHint?: string | null;
}

/**
 * The weights of a configuration from a safetensors file's tensors. Throws ModelFileError naming
 * `file` and the first tensor that is missing, of a dtype not read, or of the wrong shape.
 */
export function weightsFromHfTensors(
  config: ModelConfig,
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  file: string,
  context: HfTensorsContext = {},
): ModelWeights {
  const fail = (what: string): never => {
    throw new ModelFileError(`${file}: ${what}`);
  };
  const get = (name: string, shape: number[]): SafetensorsTensor => {
    const t = tensors.get(name);
    const dtype = context.unread?.get(name);
    if (!t && dtype !== undefined) return fail(unreadDtypeProblem(name, dtype));
    if (!t) return fail(`tensor "${name}" is missing${context.missingHint ? ` (${context.missingHint})` : ''}`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      fail(`tensor "${name}" has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    return t;
  };
  const matrix = (name: string, rows: number, cols: number): Weight => ({ rows, cols, data: get(name, [rows, cols]).data });
  const vector = (name: string, length: number) => get(name, [length]).data;
  return config.architecture === 'gpt2' ? gpt2Weights(config, tensors, get, matrix, vector) : llamaWeights(config, matrix, vector);
}

type MatrixGetter = (name: string, rows: number, cols: number) => Weight;
type VectorGetter = (name: string, length: number) => Float32Array;

function llamaWeights(c: ModelConfig, matrix: MatrixGetter, vector: VectorGetter): ModelWeights {
  const q = c.heads * c.headDim,
    kv = c.kvHeads * c.headDim;
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.layers; i++) {
    const at = `model.layers.${i}.`;
    layers.push({
      attnNorm: vector(`${at}input_layernorm.weight`, c.dModel),
      attnNormBias: null,
      wq: matrix(`${at}self_attn.q_proj.weight`, q, c.dModel),
      wk: matrix(`${at}self_attn.k_proj.weight`, kv, c.dModel),
      wv: matrix(`${at}self_attn.v_proj.weight`, kv, c.dModel),
      wo: matrix(`${at}self_attn.o_proj.weight`, c.dModel, q),
      bq: null,
      bk: null,
      bv: null,
      bo: null,
      mlpNorm: vector(`${at}post_attention_layernorm.weight`, c.dModel),
      mlpNormBias: null,
      gate: matrix(`${at}mlp.gate_proj.weight`, c.ffnDim, c.dModel),
      up: matrix(`${at}mlp.up_proj.weight`, c.ffnDim, c.dModel),
      down: matrix(`${at}mlp.down_proj.weight`, c.dModel, c.ffnDim),
      upBias: null,
      downBias: null,
    });
  }
  const tokenEmbedding = matrix('model.embed_tokens.weight', c.vocabSize, c.dModel);
  return {
    config: c,
    tokenEmbedding,
    positionEmbedding: null,
    layers,
    finalNorm: vector('model.norm.weight', c.dModel),
    finalNormBias: null,
    lmHead: c.tiedEmbeddings ? tokenEmbedding : matrix('lm_head.weight', c.vocabSize, c.dModel),
  };
}

/** An in×out Conv1D weight (columns from..from+outs of it) as out×in. */
function transposed(data: Float32Array, inputs: number, width: number, from: number, outs: number): Weight {
  const out = new Float32Array(outs * inputs);
  for (let o = 0; o < outs; o++) for (let i = 0; i < inputs; i++) out[o * inputs + i] = data[i * width + from + o];
  return { rows: outs, cols: inputs, data: out };
}

function gpt2Weights(
  c: ModelConfig,
  tensors: ReadonlyMap<string, SafetensorsTensor>,
  get: (name: string, shape: number[]) => SafetensorsTensor,
  matrix: MatrixGetter,
  vector: VectorGetter,
): ModelWeights {
  // Hub checkpoints name tensors "h.0.…"; GPT2LMHeadModel.save_pretrained writes "transformer.h.0.…".
  const prefix = tensors.has('transformer.wte.weight') ? 'transformer.' : '';
  const d = c.dModel,
    f = c.ffnDim;
  const layers: LayerWeights[] = [];
  for (let i = 0; i < c.layers; i++) {
    const at = `${prefix}h.${i}.`;
    const attn = get(`${at}attn.c_attn.weight`, [d, 3 * d]).data;
    const attnBias = vector(`${at}attn.c_attn.bias`, 3 * d);
    layers.push({
      attnNorm: vector(`${at}ln_1.weight`, d),
      attnNormBias: vector(`${at}ln_1.bias`, d),
      wq: transposed(attn, d, 3 * d, 0, d),
      wk: transposed(attn, d, 3 * d, d, d),
      wv: transposed(attn, d, 3 * d, 2 * d, d),
      wo: transposed(get(`${at}attn.c_proj.weight`, [d, d]).data, d, d, 0, d),
      bq: attnBias.slice(0, d),
      bk: attnBias.slice(d, 2 * d),
      bv: attnBias.slice(2 * d, 3 * d),
      bo: vector(`${at}attn.c_proj.bias`, d),
      mlpNorm: vector(`${at}ln_2.weight`, d),
      mlpNormBias: vector(`${at}ln_2.bias`, d),
      gate: null,
      up: transposed(get(`${at}mlp.c_fc.weight`, [d, f]).data, d, f, 0, f),
      down: transposed(get(`${at}mlp.c_proj.weight`, [f, d]).data, f, d, 0, d),
      upBias: vector(`${at}mlp.c_fc.bias`, f),
      downBias: vector(`${at}mlp.c_proj.bias`, d),
    });
  }
  const tokenEmbedding = matrix(`${prefix}wte.weight`, c.vocabSize, d);
  return {
    config: c,
    tokenEmbedding,
    positionEmbedding: matrix(`${prefix}wpe.weight`, c.contextLength, d),
    layers,
    finalNorm: vector(`${prefix}ln_f.weight`, d),
    finalNormBias: vector(`${prefix}ln_f.bias`, d),
    lmHead: tokenEmbedding,
  };
}

/** A Hugging Face checkpoint: the bytes of model.safetensors and the text of config.json. */
export interface HfCheckpoint {
  safetensors: Uint8Array;
  config: string;
}

/**
 * Writes the weights as a Hugging Face checkpoint of their family: Llama (W_q, W_k permuted back to
 * HF's 'half' order when the model's RoPE is interleaved) or GPT-2 (Conv1D in×out, fused c_attn,
 * names with the "transformer." prefix when `gpt2Prefix`). Tensors as F32 unless `dtype` is 'F16'.
 */
export function writeHfCheckpoint(weights: ModelWeights, options: { dtype?: 'F32' | 'F16'; gpt2Prefix?: boolean } = {}): HfCheckpoint {
  const c = weights.config;
  const dtype = options.dtype ?? 'F32';
  const tensors: TensorToWrite[] = [];
  const add = (name: string, shape: number[], data: ArrayLike<number>) => tensors.push({ name, shape, data, dtype });
  if (c.architecture === 'llama') {
    const interleaved = c.rope?.layout === 'interleaved';
    const m = (name: string, w: Weight) => add(name, [w.rows, w.cols], w.data);
    m('model.embed_tokens.weight', weights.tokenEmbedding);
    weights.layers.forEach((l, i) => {
      const at = `model.layers.${i}.`;
      add(`${at}input_layernorm.weight`, [c.dModel], l.attnNorm);
      m(`${at}self_attn.q_proj.weight`, interleaved ? permuteInterleavedToHalf(l.wq, c.heads) : l.wq);
      m(`${at}self_attn.k_proj.weight`, interleaved ? permuteInterleavedToHalf(l.wk, c.kvHeads) : l.wk);
      m(`${at}self_attn.v_proj.weight`, l.wv);
      m(`${at}self_attn.o_proj.weight`, l.wo);
      add(`${at}post_attention_layernorm.weight`, [c.dModel], l.mlpNorm);
      m(`${at}mlp.gate_proj.weight`, l.gate!);
      m(`${at}mlp.up_proj.weight`, l.up);
      m(`${at}mlp.down_proj.weight`, l.down);
    });
    add('model.norm.weight', [c.dModel], weights.finalNorm);
    if (!c.tiedEmbeddings) m('lm_head.weight', weights.lmHead);
    const config = {
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      _name_or_path: c.name,
      hidden_size: c.dModel,
      intermediate_size: c.ffnDim,
      num_attention_heads: c.heads,
      num_key_value_heads: c.kvHeads,
      num_hidden_layers: c.layers,
      head_dim: c.headDim,
      rms_norm_eps: c.normEps,
      rope_theta: c.rope?.base ?? 10000,
      vocab_size: c.vocabSize,
      max_position_embeddings: c.contextLength,
      tie_word_embeddings: c.tiedEmbeddings,
      torch_dtype: dtype === 'F16' ? 'float16' : 'float32',
    };
    return { safetensors: writeSafetensors(tensors, { format: 'pt' }), config: JSON.stringify(config, null, 2) };
  }
  const p = options.gpt2Prefix ? 'transformer.' : '';
  const d = c.dModel,
    f = c.ffnDim;
  /** out×in weights side by side, as one in×(Σ outs) Conv1D weight. */
  const conv1d = (...ws: Weight[]) => {
    const inputs = ws[0].cols,
      width = ws.reduce((s, w) => s + w.rows, 0);
    const out = new Float32Array(inputs * width);
    let from = 0;
    for (const w of ws) {
      for (let o = 0; o < w.rows; o++) for (let i = 0; i < inputs; i++) out[i * width + from + o] = w.data[o * inputs + i];
      from += w.rows;
    }
    return out;
  };
  const concat = (...vs: Float32Array[]) => {
    const out = new Float32Array(vs.reduce((s, v) => s + v.length, 0));
    let at = 0;
    for (const v of vs) {
      out.set(v, at);
      at += v.length;
    }
    return out;
  };
  add(`${p}wte.weight`, [c.vocabSize, d], weights.tokenEmbedding.data);
  add(`${p}wpe.weight`, [c.contextLength, d], weights.positionEmbedding!.data);
  weights.layers.forEach((l, i) => {
    const at = `${p}h.${i}.`;
    add(`${at}ln_1.weight`, [d], l.attnNorm);
    add(`${at}ln_1.bias`, [d], l.attnNormBias!);
    add(`${at}attn.c_attn.weight`, [d, 3 * d], conv1d(l.wq, l.wk, l.wv));
    add(`${at}attn.c_attn.bias`, [3 * d], concat(l.bq!, l.bk!, l.bv!));
    add(`${at}attn.c_proj.weight`, [d, d], conv1d(l.wo));
    add(`${at}attn.c_proj.bias`, [d], l.bo!);
    add(`${at}ln_2.weight`, [d], l.mlpNorm);
    add(`${at}ln_2.bias`, [d], l.mlpNormBias!);
    add(`${at}mlp.c_fc.weight`, [d, f], conv1d(l.up));
    add(`${at}mlp.c_fc.bias`, [f], l.upBias!);
    add(`${at}mlp.c_proj.weight`, [f, d], conv1d(l.down));
    add(`${at}mlp.c_proj.bias`, [d], l.downBias!);
  });
  add(`${p}ln_f.weight`, [d], weights.finalNorm);
  add(`${p}ln_f.bias`, [d], weights.finalNormBias!);
  const config = {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    _name_or_path: c.name,
    n_embd: d,
    n_head: c.heads,
    n_layer: c.layers,
    n_positions: c.contextLength,
    n_inner: f,
    layer_norm_epsilon: c.normEps,
    vocab_size: c.vocabSize,
  };
  return { safetensors: writeSafetensors(tensors, { format: 'pt' }), config: JSON.stringify(config, null, 2) };
}
