/**
 * The built-in model in TensorFlow.js, for training: a Llama decoder whose variables are the Hugging
 * Face tensors themselves (linear weights out × in, y = x·Wᵀ), so exporting is copying. The forward
 * pass does what transformers' LlamaForCausalLM does: RMSNorm (x · rsqrt(mean x² + ε) · g, pre-norm),
 * q/k/v projections, RoPE with rotate_half on the projections' outputs as they are (no permutation:
 * dimension i pairs with i + headDim/2), grouped-query attention (query head h reads key/value head
 * ⌊h / (heads/kvHeads)⌋), causal softmax of q·kᵀ/√headDim, o_proj, then down(silu(gate x) ⊙ up x),
 * a final RMSNorm and the tied LM head.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../../../src/core/rng';
import type { ModelConfig } from '../../../src/core/model/config';

export interface TrainableModel {
  config: ModelConfig;
  /** Hugging Face name → variable, in the order the safetensors file lists them. */
  variables: Map<string, tf.Variable>;
}

/**
 * Seeded initialisation, unit norm gains. Linear layers N(0, initStd²) as Hugging Face's
 * initializer_range does, or with initStd null N(0, 1/fan-in) (output projections scaled by
 * 1/√(2·layers)); the embedding N(0, 1/dModel).
 */
export function initModel(config: ModelConfig, seed: number, initStd: number | null = null): TrainableModel {
  const rng = createRng(seed);
  const variables = new Map<string, tf.Variable>();
  const normal = (name: string, rows: number, cols: number, fanInStd: number) => {
    const std = initStd !== null && !name.includes('embed') ? initStd : fanInStd;
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    variables.set(name, tf.variable(tf.tensor2d(data, [rows, cols]), true, name));
  };
  const ones = (name: string, n: number) => variables.set(name, tf.variable(tf.ones([n]), true, name));
  const { dModel: d, heads, kvHeads, headDim, ffnDim, layers } = config;
  const residualScale = 1 / Math.sqrt(2 * layers);
  normal('model.embed_tokens.weight', config.vocabSize, d, 1 / Math.sqrt(d));
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}.`;
    ones(`${p}input_layernorm.weight`, d);
    normal(`${p}self_attn.q_proj.weight`, heads * headDim, d, 1 / Math.sqrt(d));
    normal(`${p}self_attn.k_proj.weight`, kvHeads * headDim, d, 1 / Math.sqrt(d));
    normal(`${p}self_attn.v_proj.weight`, kvHeads * headDim, d, 1 / Math.sqrt(d));
    normal(`${p}self_attn.o_proj.weight`, d, heads * headDim, residualScale / Math.sqrt(heads * headDim));
    ones(`${p}post_attention_layernorm.weight`, d);
    normal(`${p}mlp.gate_proj.weight`, ffnDim, d, 1 / Math.sqrt(d));
    normal(`${p}mlp.up_proj.weight`, ffnDim, d, 1 / Math.sqrt(d));
    normal(`${p}mlp.down_proj.weight`, d, ffnDim, residualScale / Math.sqrt(ffnDim));
  }
  ones('model.norm.weight', d);
  return { config, variables };
}

function rmsNorm(x: tf.Tensor2D, gain: tf.Tensor, eps: number): tf.Tensor2D {
  const meanSquare = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), gain);
}

/** cos and sin of HF's rotary embedding, [T, headDim]: angles t·base^(−2i/headDim) for i < headDim/2, repeated for both halves. */
export function ropeTables(length: number, headDim: number, base: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const cos = new Float32Array(length * headDim);
  const sin = new Float32Array(length * headDim);
  const half = headDim / 2;
  for (let t = 0; t < length; t++) {
    for (let i = 0; i < half; i++) {
      const angle = t * Math.pow(base, (-2 * i) / headDim);
      for (const j of [i, i + half]) {
        cos[t * headDim + j] = Math.cos(angle);
        sin[t * headDim + j] = Math.sin(angle);
      }
    }
  }
  return { cos: tf.tensor2d(cos, [length, headDim]), sin: tf.tensor2d(sin, [length, headDim]) };
}

/** x·cos + rotate_half(x)·sin on [B, T, H, headDim], rotate_half(x) = (−x₂, x₁). */
function applyRope(x: tf.Tensor4D, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor4D {
  const half = x.shape[3] / 2;
  const [x1, x2] = tf.split(x, [half, half], 3);
  const rotated = tf.concat([tf.neg(x2), x1], 3);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}

export interface ForwardResult {
  /** [B·T, vocab]. */
  logits: tf.Tensor2D;
  /** Per layer, [B, heads, T, T] attention probabilities (when asked for). */
  attention: tf.Tensor4D[];
}

/** The forward pass over token ids [B, T]. */
export function forward(model: TrainableModel, ids: tf.Tensor2D, keepAttention = false): ForwardResult {
  const c = model.config;
  const v = (name: string) => model.variables.get(name)!;
  const [batch, length] = ids.shape;
  const { heads, kvHeads, headDim } = c;
  const group = heads / kvHeads;
  const { cos, sin } = ropeTables(length, headDim, c.rope!.base);
  const cos4 = tf.reshape(cos, [1, length, 1, headDim]);
  const sin4 = tf.reshape(sin, [1, length, 1, headDim]);
  const upper = tf.sub(tf.ones([length, length]), tf.linalg.bandPart(tf.ones([length, length]), -1, 0));
  const mask = tf.mul(upper, -1e9);
  const embed = v('model.embed_tokens.weight');
  // One-hot · E rather than a gather: the same values, and its gradient is a plain matmul.
  let h = tf.matMul(tf.oneHot(tf.reshape(ids, [-1]), c.vocabSize), embed) as tf.Tensor2D;
  const attention: tf.Tensor4D[] = [];
  const linear = (x: tf.Tensor2D, name: string) => tf.matMul(x, v(name), false, true);
  for (let l = 0; l < c.layers; l++) {
    const p = `model.layers.${l}.`;
    const x = rmsNorm(h, v(`${p}input_layernorm.weight`), c.normEps);
    const q = applyRope(tf.reshape(linear(x, `${p}self_attn.q_proj.weight`), [batch, length, heads, headDim]), cos4, sin4);
    const k = applyRope(tf.reshape(linear(x, `${p}self_attn.k_proj.weight`), [batch, length, kvHeads, headDim]), cos4, sin4);
    const val = tf.reshape(linear(x, `${p}self_attn.v_proj.weight`), [batch, length, kvHeads, headDim]);
    // Heads h = kv·group + g: [B, H, T, d] → [B, kvHeads, group·T, d], so each group meets its one key/value head.
    const qg = tf.reshape(tf.transpose(q, [0, 2, 1, 3]), [batch, kvHeads, group * length, headDim]);
    const kt = tf.transpose(k, [0, 2, 1, 3]);
    const vt = tf.transpose(val, [0, 2, 1, 3]);
    const scores = tf.reshape(tf.mul(tf.matMul(qg, kt, false, true), 1 / Math.sqrt(headDim)), [batch, heads, length, length]);
    const probs = tf.softmax(tf.add(scores, mask)) as tf.Tensor4D;
    if (keepAttention) attention.push(tf.keep(probs));
    const mixed = tf.matMul(tf.reshape(probs, [batch, kvHeads, group * length, length]), vt);
    const merged = tf.reshape(tf.transpose(tf.reshape(mixed, [batch, heads, length, headDim]), [0, 2, 1, 3]), [
      batch * length,
      heads * headDim,
    ]);
    h = tf.add(h, linear(merged as tf.Tensor2D, `${p}self_attn.o_proj.weight`));
    const y = rmsNorm(h, v(`${p}post_attention_layernorm.weight`), c.normEps);
    const gate = linear(y, `${p}mlp.gate_proj.weight`);
    const swiglu = tf.mul(tf.mul(gate, tf.sigmoid(gate)), linear(y, `${p}mlp.up_proj.weight`)) as tf.Tensor2D;
    h = tf.add(h, linear(swiglu, `${p}mlp.down_proj.weight`));
  }
  const final = rmsNorm(h, v('model.norm.weight'), c.normEps);
  return { logits: tf.matMul(final, embed, false, true), attention };
}

/** Mean next-token cross-entropy (nats) over every position but the last of each row. */
export function lossOf(model: TrainableModel, ids: tf.Tensor2D): tf.Scalar {
  const [batch, length] = ids.shape;
  const { logits } = forward(model, ids);
  const predicted = tf.slice(tf.reshape(logits, [batch, length, -1]), [0, 0, 0], [batch, length - 1, -1]);
  const targets = tf.oneHot(tf.reshape(tf.slice(ids, [0, 1], [batch, length - 1]), [-1]), model.config.vocabSize);
  const logProbs = tf.logSoftmax(tf.reshape(predicted, [batch * (length - 1), -1]));
  return tf.neg(tf.mean(tf.sum(tf.mul(targets, logProbs), -1)));
}
