/**
 * A decoder-only transformer as plain data: its configuration and its weights, float32, whatever file
 * they came from (GGUF, safetensors) and whatever that file stored (F16, Q8_0, … are dequantised on
 * load). Two families: Llama (RMSNorm, RoPE, grouped-query attention, a gated SiLU MLP) and GPT-2
 * (LayerNorm with biases, learned positions, a GELU MLP, biases on every projection). The forward
 * passes (./forward.ts in float64, src/gpu/model-run.ts with the playground's kernels) read only this.
 */
import { InputError } from '../errors';
import type { RopeLayout } from '../options';

export type ModelArchitecture = 'llama' | 'gpt2';

export interface ModelConfig {
  architecture: ModelArchitecture;
  /** A name for the page and the CLI (general.name, the file name, …). */
  name: string;
  vocabSize: number;
  /** Width of the residual stream, d_model. */
  dModel: number;
  layers: number;
  /** Query heads per layer. */
  heads: number;
  /** Key/value heads per layer (= heads without grouped-query attention). */
  kvHeads: number;
  /** Width of one head's query, key and value. */
  headDim: number;
  /** Hidden width of the MLP. */
  ffnDim: number;
  /** Longest sequence the model was built for (positions beyond it are refused). */
  contextLength: number;
  /** ε of RMSNorm / LayerNorm. */
  normEps: number;
  /** RoPE of a Llama model: θ and which dimensions it pairs; null for GPT-2 (learned positions). */
  rope: { base: number; layout: RopeLayout } | null;
  /** The LM head is the token embedding (tied). */
  tiedEmbeddings: boolean;
}

/**
 * A dense matrix, row-major. A linear layer's weight is out × in (y = W·x), as Hugging Face's Llama
 * and GGUF store it; loaders of other layouts (GPT-2's Conv1D is in × out) transpose on load.
 */
export interface Weight {
  rows: number;
  cols: number;
  data: Float32Array;
}

export interface LayerWeights {
  /** RMSNorm (llama) or LayerNorm (gpt2) before attention: gain, and bias (gpt2 only). */
  attnNorm: Float32Array;
  attnNormBias: Float32Array | null;
  /** (heads·headDim) × dModel, (kvHeads·headDim) × dModel, (kvHeads·headDim) × dModel. */
  wq: Weight;
  wk: Weight;
  wv: Weight;
  /** dModel × (heads·headDim). */
  wo: Weight;
  /** Projection biases (gpt2); null for llama. */
  bq: Float32Array | null;
  bk: Float32Array | null;
  bv: Float32Array | null;
  bo: Float32Array | null;
  mlpNorm: Float32Array;
  mlpNormBias: Float32Array | null;
  /** Llama: down(silu(gate·x) ⊙ up·x). GPT-2: down(gelu(up·x + upBias)) + downBias, gate null. */
  gate: Weight | null;
  /** ffnDim × dModel. */
  up: Weight;
  /** dModel × ffnDim. */
  down: Weight;
  upBias: Float32Array | null;
  downBias: Float32Array | null;
}

export interface ModelWeights {
  config: ModelConfig;
  /** vocabSize × dModel. */
  tokenEmbedding: Weight;
  /** contextLength × dModel (gpt2); null for llama. */
  positionEmbedding: Weight | null;
  layers: LayerWeights[];
  finalNorm: Float32Array;
  finalNormBias: Float32Array | null;
  /** vocabSize × dModel; the token embedding itself when tied. */
  lmHead: Weight;
}

/** A checkpoint file the loaders refuse: the message names the file's problem (truncated, bad header, a missing tensor, …). */
export class ModelFileError extends InputError {}

/** Number of float32 parameters (a tied head counted once). */
export function parameterCount(weights: ModelWeights): number {
  const size = (w: Weight | Float32Array | null) => (w === null ? 0 : w instanceof Float32Array ? w.length : w.data.length);
  let total = size(weights.tokenEmbedding) + size(weights.positionEmbedding) + size(weights.finalNorm) + size(weights.finalNormBias);
  if (!weights.config.tiedEmbeddings) total += size(weights.lmHead);
  for (const l of weights.layers) {
    for (const w of [
      l.attnNorm,
      l.attnNormBias,
      l.wq,
      l.wk,
      l.wv,
      l.wo,
      l.bq,
      l.bk,
      l.bv,
      l.bo,
      l.mlpNorm,
      l.mlpNormBias,
      l.gate,
      l.up,
      l.down,
      l.upBias,
      l.downBias,
    ])
      total += size(w);
  }
  return total;
}

/**
 * Throws ModelFileError naming the first tensor whose shape does not match the configuration or
 * that holds a value that is not finite, or a configuration that cannot be run (heads not a multiple of kvHeads, an odd RoPE width, …).
 */
export function checkModelWeights(weights: ModelWeights): void {
  const c = weights.config;
  const bad = (what: string) => {
    throw new ModelFileError(what);
  };
  for (const [name, value] of Object.entries({
    vocabSize: c.vocabSize,
    dModel: c.dModel,
    layers: c.layers,
    heads: c.heads,
    kvHeads: c.kvHeads,
    headDim: c.headDim,
    ffnDim: c.ffnDim,
    contextLength: c.contextLength,
  })) {
    if (!Number.isInteger(value) || value < 1) bad(`the model's ${name} must be a positive integer, got ${value}`);
  }
  if (c.heads % c.kvHeads !== 0)
    bad(`${c.heads} query heads cannot share ${c.kvHeads} key/value heads (heads must be a multiple of kv heads)`);
  if (c.rope && c.headDim % 2 !== 0) bad(`RoPE needs an even head width, got ${c.headDim}`);
  if (!(c.normEps > 0)) bad(`the norm ε must be positive, got ${c.normEps}`);
  // A NaN or an infinity in a weight makes every logit after it NaN, float64's as well: refused
  // here, naming where, since a check of NaN against NaN would prove nothing.
  const scanned = new Set<Float32Array>(); // a tied LM head is the token embedding: scanned once
  const finite = (name: string, data: Float32Array, cols: number | null) => {
    if (scanned.has(data)) return;
    scanned.add(data);
    const i = data.findIndex((x) => !Number.isFinite(x));
    if (i < 0) return;
    const at = cols === null ? `[${i}]` : `[${Math.floor(i / cols)}, ${i % cols}]`;
    bad(`tensor ${name} holds ${data[i]} at ${at}: a checkpoint's weights must be finite numbers`);
  };
  const matrix = (name: string, w: Weight | null, rows: number, cols: number) => {
    if (w === null) return bad(`tensor ${name} is missing`);
    if (w.rows !== rows || w.cols !== cols) bad(`tensor ${name} is ${w.rows}×${w.cols}, expected ${rows}×${cols}`);
    if (w.data.length !== rows * cols) bad(`tensor ${name} holds ${w.data.length} values, expected ${rows * cols}`);
    finite(name, w.data, cols);
  };
  const vector = (name: string, v: Float32Array | null, length: number, needed: boolean) => {
    if (v === null) return needed ? bad(`tensor ${name} is missing`) : undefined;
    if (v.length !== length) bad(`tensor ${name} has ${v.length} values, expected ${length}`);
    finite(name, v, null);
  };
  const gpt2 = c.architecture === 'gpt2';
  const qWidth = c.heads * c.headDim;
  const kvWidth = c.kvHeads * c.headDim;
  matrix('token embedding', weights.tokenEmbedding, c.vocabSize, c.dModel);
  if (gpt2) matrix('position embedding', weights.positionEmbedding, c.contextLength, c.dModel);
  matrix('LM head', weights.lmHead, c.vocabSize, c.dModel);
  vector('final norm', weights.finalNorm, c.dModel, true);
  vector('final norm bias', weights.finalNormBias, c.dModel, gpt2);
  if (weights.layers.length !== c.layers) bad(`the model has ${weights.layers.length} layers, its configuration says ${c.layers}`);
  weights.layers.forEach((l, i) => {
    const at = (name: string) => `layer ${i} ${name}`;
    vector(at('attention norm'), l.attnNorm, c.dModel, true);
    vector(at('attention norm bias'), l.attnNormBias, c.dModel, gpt2);
    matrix(at('W_q'), l.wq, qWidth, c.dModel);
    matrix(at('W_k'), l.wk, kvWidth, c.dModel);
    matrix(at('W_v'), l.wv, kvWidth, c.dModel);
    matrix(at('W_o'), l.wo, c.dModel, qWidth);
    vector(at('q bias'), l.bq, qWidth, gpt2);
    vector(at('k bias'), l.bk, kvWidth, gpt2);
    vector(at('v bias'), l.bv, kvWidth, gpt2);
    vector(at('o bias'), l.bo, c.dModel, gpt2);
    vector(at('MLP norm'), l.mlpNorm, c.dModel, true);
    vector(at('MLP norm bias'), l.mlpNormBias, c.dModel, gpt2);
    if (!gpt2) matrix(at('MLP gate'), l.gate, c.ffnDim, c.dModel);
    matrix(at('MLP up'), l.up, c.ffnDim, c.dModel);
    matrix(at('MLP down'), l.down, c.dModel, c.ffnDim);
    vector(at('MLP up bias'), l.upBias, c.ffnDim, gpt2);
    vector(at('MLP down bias'), l.downBias, c.dModel, gpt2);
  });
}
