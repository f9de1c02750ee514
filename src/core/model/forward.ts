/**
 * The forward pass of a decoder-only model (./config.ts), one step at a time over a key/value cache:
 * a prefill is a step with an empty cache, a decode step adds one token. Attention is a hook, so the
 * same code is both the float64 forward pass every check compares against (`forward64`: the hook is
 * the float64 reference, nothing rounded) and the playground's own path (src/gpu/model-run.ts: the
 * hook runs the kernels, and every activation is stored as float32, as a float32 implementation would).
 * All other arithmetic (norms, projections, MLP, LM head) is done in float64 either way.
 *
 * Per layer, for the n new tokens at positions p … p + n − 1 (p = tokens already cached):
 *   a        ← norm(x)                               RMSNorm (llama) or LayerNorm (gpt2)
 *   q, k, v  ← W_q a (+ b_q), W_k a (+ b_k), W_v a (+ b_v); k, v appended to the cache (before RoPE)
 *   o        ← attention(q, k_cache, v_cache)        causal, RoPE inside (llama), scale 1/√headDim
 *   x        ← x + W_o o (+ b_o)
 *   x        ← x + down(silu(gate·norm(x)) ⊙ up·norm(x))      (gpt2: down(gelu(up·norm(x) + b)) + b)
 * and the logits of the last token are lmHead · norm(x_last).
 */
import type { AttentionInputs } from '../shapes';
import type { AttentionOptions } from '../options';
import { withDefaults } from '../options';
import type { Matrix } from '../tensor';
import { attentionReference } from '../reference';
import { InputError } from '../errors';
import type { ModelConfig, ModelWeights, Weight } from './config';

/** The keys and values each layer has seen so far (before RoPE), float64 or float32 rows. */
export interface KvCache {
  /** Tokens cached. */
  length: number;
  layers: { k: Float64Array; v: Float64Array }[];
}

export function emptyCache(config: ModelConfig): KvCache {
  return { length: 0, layers: Array.from({ length: config.layers }, () => ({ k: new Float64Array(0), v: new Float64Array(0) })) };
}

/** One layer's attention call: its inputs (q of the new tokens, k and v of every token) and options. */
export interface AttentionCall {
  layer: number;
  inputs: AttentionInputs;
  options: AttentionOptions;
}

/** Computes a layer's attention output, n × (heads·headDim), the heads side by side. */
export type AttentionHook = (call: AttentionCall) => Promise<ArrayLike<number>> | ArrayLike<number>;

export interface StepOptions {
  /** Store every activation as float32 (the playground's path); float64 throughout when false. */
  float32: boolean;
  /** Logits of every new token (n × vocab) instead of the last one only. */
  allLogits?: boolean;
}

export interface StepResult {
  /** Logits of the last new token (or of every new token with allLogits), float64 values. */
  logits: Float64Array;
  /** What each layer's attention received and returned. */
  calls: (AttentionCall & { output: Float64Array })[];
  /** The cache after this step (a new object; the one passed in is not changed). */
  cache: KvCache;
}

/** The attention options of every layer of a model: causal, its heads, RoPE (positions from 0), scale 1/√headDim. */
export function modelAttentionOptions(config: ModelConfig): AttentionOptions {
  return withDefaults({
    causal: true,
    heads: config.heads,
    kvHeads: config.kvHeads === config.heads ? null : config.kvHeads,
    rope: config.rope ? { layout: config.rope.layout, base: config.rope.base, dims: null, offset: 0 } : null,
    scale: 'default',
  });
}

/** Checks token ids against the model (vocabulary and context length). Throws InputError naming the problem. */
export function checkTokens(config: ModelConfig, ids: readonly number[], cached = 0): void {
  if (ids.length === 0) throw new InputError('there are no tokens to run: type some text');
  const bad = ids.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= config.vocabSize);
  if (bad >= 0) throw new InputError(`token ${bad} has id ${ids[bad]}, outside the model's vocabulary of ${config.vocabSize}`);
  if (cached + ids.length > config.contextLength)
    throw new InputError(`${cached + ids.length} tokens exceed the model's context of ${config.contextLength}`);
}

/** Runs the new tokens `ids` through the model after the cached ones. */
export async function forwardStep(
  weights: ModelWeights,
  cache: KvCache,
  ids: readonly number[],
  attention: AttentionHook,
  step: StepOptions,
): Promise<StepResult> {
  const c = weights.config;
  checkTokens(c, ids, cache.length);
  const n = ids.length;
  const m = cache.length + n;
  const d = c.dModel;
  const store = step.float32 ? (a: Float64Array) => roundToFloat32(a) : (a: Float64Array) => a;
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    x.set(weights.tokenEmbedding.data.subarray(ids[i] * d, ids[i] * d + d), i * d);
    if (weights.positionEmbedding) {
      const pos = cache.length + i;
      for (let j = 0; j < d; j++) x[i * d + j] += weights.positionEmbedding.data[pos * d + j];
    }
  }
  store(x);
  const options = modelAttentionOptions(c);
  const calls: StepResult['calls'] = [];
  const next: KvCache = { length: m, layers: [] };
  for (let l = 0; l < c.layers; l++) {
    const w = weights.layers[l];
    const a = store(norm(c, x, n, w.attnNorm, w.attnNormBias));
    const q = store(linear(a, n, w.wq, w.bq));
    const kNew = store(linear(a, n, w.wk, w.bk));
    const vNew = store(linear(a, n, w.wv, w.bv));
    const k = concat(cache.layers[l].k, kNew);
    const v = concat(cache.layers[l].v, vNew);
    next.layers.push({ k, v });
    const kvWidth = c.kvHeads * c.headDim;
    const inputs: AttentionInputs = {
      q: asMatrix(n, c.heads * c.headDim, q, step.float32),
      k: asMatrix(m, kvWidth, k, step.float32),
      v: asMatrix(m, kvWidth, v, step.float32),
    };
    const call: AttentionCall = { layer: l, inputs, options };
    const output = store(Float64Array.from(await attention(call)));
    if (output.length !== n * c.heads * c.headDim)
      throw new RangeError(`layer ${l}'s attention returned ${output.length} values, expected ${n * c.heads * c.headDim}`);
    calls.push({ ...call, output });
    addInto(x, store(linear(output, n, w.wo, w.bo)));
    store(x);
    const b = store(norm(c, x, n, w.mlpNorm, w.mlpNormBias));
    const hidden = store(mlpHidden(c, b, n, w));
    addInto(x, store(linear(hidden, n, w.down, w.downBias)));
    store(x);
  }
  const rows = step.allLogits ? Array.from({ length: n }, (_, i) => i) : [n - 1];
  const last = new Float64Array(rows.length * d);
  rows.forEach((r, i) => last.set(x.subarray(r * d, r * d + d), i * d));
  const final = store(norm(c, last, rows.length, weights.finalNorm, weights.finalNormBias));
  const logits = linear(final, rows.length, weights.lmHead, null);
  return { logits: step.float32 ? roundToFloat32(logits) : logits, calls, cache: next };
}

/** The float64 reference attention of a call (the heads side by side). */
export const referenceAttention: AttentionHook = (call) => attentionReference(call.inputs, call.options).output.data;

/** The float64 forward pass: logits of the last token (all tokens with allLogits) and every layer's attention. */
export function forward64(weights: ModelWeights, ids: readonly number[], cache?: KvCache, allLogits = false): Promise<StepResult> {
  return forwardStep(weights, cache ?? emptyCache(weights.config), ids, referenceAttention, { float32: false, allLogits });
}

function roundToFloat32(a: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i]);
  return a;
}

/** The attention inputs as the engine takes them: float32 for the playground's path; float64 values (typed as a Matrix) for the reference. */
function asMatrix(rows: number, cols: number, data: Float64Array, float32: boolean): Matrix {
  return { rows, cols, data: (float32 ? Float32Array.from(data) : data) as Float32Array };
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function addInto(x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) x[i] += y[i];
}

/** y = W x (+ b) for each of the n rows of x: x is n × in, W is out × in, y is n × out. */
export function linear(x: Float64Array, n: number, w: Weight, bias: Float32Array | null): Float64Array {
  const { rows: out, cols: inner, data } = w;
  const y = new Float64Array(n * out);
  for (let t = 0; t < n; t++) {
    const xo = t * inner;
    for (let o = 0; o < out; o++) {
      let sum = bias ? bias[o] : 0;
      const wo = o * inner;
      for (let i = 0; i < inner; i++) sum += data[wo + i] * x[xo + i];
      y[t * out + o] = sum;
    }
  }
  return y;
}

/** RMSNorm (llama: x / √(mean x² + ε) · g) or LayerNorm (gpt2: (x − μ) / √(var + ε) · g + b), row by row. */
function norm(c: ModelConfig, x: Float64Array, n: number, gain: Float32Array, bias: Float32Array | null): Float64Array {
  const d = c.dModel;
  const y = new Float64Array(n * d);
  for (let t = 0; t < n; t++) {
    const row = x.subarray(t * d, t * d + d);
    let mean = 0;
    if (c.architecture === 'gpt2') {
      for (const value of row) mean += value;
      mean /= d;
    }
    let square = 0;
    for (const value of row) square += (value - mean) ** 2;
    const inv = 1 / Math.sqrt(square / d + c.normEps);
    for (let j = 0; j < d; j++) y[t * d + j] = (row[j] - mean) * inv * gain[j] + (bias ? bias[j] : 0);
  }
  return y;
}

/** The MLP's hidden activations, n × ffnDim: silu(gate·b) ⊙ (up·b) for llama, gelu(up·b + bias) for gpt2. */
function mlpHidden(c: ModelConfig, b: Float64Array, n: number, w: ModelWeights['layers'][number]): Float64Array {
  const up = linear(b, n, w.up, w.upBias);
  if (c.architecture === 'gpt2') return up.map(gelu);
  const gate = linear(b, n, w.gate!, null);
  for (let i = 0; i < up.length; i++) up[i] *= silu(gate[i]);
  return up;
}

export const silu = (x: number): number => x / (1 + Math.exp(-x));
/** GPT-2's GELU, the tanh approximation ("gelu_new"). */
export const gelu = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/** Softmax of logits (float64), for the top-k next tokens. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** The k most likely next tokens, most likely first, with their probabilities. */
export function topK(logits: ArrayLike<number>, k: number): { id: number; probability: number; logit: number }[] {
  const probs = softmax(logits);
  const ids = Array.from(probs.keys())
    .sort((a, b) => probs[b] - probs[a] || a - b)
    .slice(0, k);
  return ids.map((id) => ({ id, probability: probs[id], logit: logits[id] }));
}
