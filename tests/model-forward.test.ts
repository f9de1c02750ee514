/**
 * The float64 forward pass of a model (src/core/model/forward.ts) against an independent oracle
 * (tests/helpers/model-oracle.ts), both families; the KV cache (token by token = all at once); the
 * float32 path against float64; bad tokens refused by name.
 */
import { describe, expect, it } from 'vitest';
import { forward64, forwardStep, emptyCache, referenceAttention, topK, checkTokens } from '../src/core/model/forward';
import { randomModelWeights, smallConfig } from '../src/core/model/random';
import type { ModelConfig, ModelWeights } from '../src/core/model/config';
import { checkModelWeights, ModelFileError } from '../src/core/model/config';
import { checkLogits } from '../src/core/model/check';
import { InputError } from '../src/core/errors';
import { oracleLogits } from './helpers/model-oracle';
import { checkModelFitsDevice } from '../src/gpu/model-run';
import { LimitError } from '../src/gpu/errors';

const CONFIGS: [string, ModelConfig][] = [
  ['llama, GQA 4:2, rope half', smallConfig('llama')],
  [
    'llama, MHA, rope interleaved, untied',
    smallConfig('llama', { kvHeads: 4, rope: { base: 500, layout: 'interleaved' }, tiedEmbeddings: false }),
  ],
  ['llama, MQA', smallConfig('llama', { kvHeads: 1, layers: 3 })],
  ['gpt2', smallConfig('gpt2')],
];
const IDS = [3, 17, 42, 8, 8, 0, 49, 21, 5, 33, 12];

function maxRelative(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / scale);
  return worst;
}

describe.each(CONFIGS)('forward pass: %s', (_, config) => {
  const weights = randomModelWeights(config, 7);

  it('has weights of the shapes its configuration says', () => {
    expect(() => checkModelWeights(weights)).not.toThrow();
  });

  it('matches the independent oracle at every position (float64 vs float64: 1e-12 of the largest logit)', async () => {
    const ours = await forward64(weights, IDS, undefined, true);
    const oracle = oracleLogits(weights, IDS).flat();
    expect(ours.logits.length).toBe(oracle.length);
    expect(maxRelative(ours.logits, oracle)).toBeLessThan(1e-12);
  });

  it('gives the same last logits token by token over its KV cache as all at once', async () => {
    const whole = await forward64(weights, IDS);
    let cache = emptyCache(config);
    let last: Float64Array = new Float64Array(0);
    for (const id of IDS) {
      const step = await forward64(weights, [id], cache);
      cache = step.cache;
      last = step.logits;
    }
    expect(cache.length).toBe(IDS.length);
    expect(maxRelative(last, whole.logits)).toBeLessThan(1e-12);
  });

  it('with float32 activations stays within float32 rounding of float64 (2⁻¹⁶ of the largest logit)', async () => {
    const f64 = await forward64(weights, IDS);
    const f32 = await forwardStep(weights, emptyCache(config), IDS, referenceAttention, { float32: true });
    const error = maxRelative(f32.logits, f64.logits);
    expect(error).toBeGreaterThan(0); // it did round
    expect(error).toBeLessThan(2 ** -16);
  });
});

describe('tokens and weights the model cannot take', () => {
  const config = smallConfig('llama');
  it.each([
    ['an id beyond the vocabulary', [1, 50], /token 1 has id 50, outside the model's vocabulary of 50/],
    ['a negative id', [-1], /token 0 has id -1/],
    ['no tokens', [], /no tokens/],
    ['more tokens than the context', Array.from({ length: 65 }, () => 1), /65 tokens exceed the model's context of 64/],
  ])('%s', (_, ids, message) => {
    expect(() => checkTokens(config, ids)).toThrow(InputError);
    expect(() => checkTokens(config, ids)).toThrow(message);
  });

  it('names a tensor of the wrong shape', () => {
    const weights = randomModelWeights(config, 1);
    weights.layers[1].wk = { rows: 3, cols: 32, data: new Float32Array(96) };
    expect(() => checkModelWeights(weights)).toThrow(ModelFileError);
    expect(() => checkModelWeights(weights)).toThrow('tensor layer 1 W_k is 3×32, expected 16×32');
  });

  // Float64 turns a NaN weight into NaN logits too: the check would compare NaN with NaN.
  it.each([
    ['a NaN in a matrix', (w: ModelWeights) => (w.layers[0].wv.data[2 * 32 + 5] = NaN), 'tensor layer 0 W_v holds NaN at [2, 5]'],
    ['an infinity in a norm', (w: ModelWeights) => (w.finalNorm[3] = -Infinity), 'tensor final norm holds -Infinity at [3]'],
  ])('names %s', (_, spoil, message) => {
    const weights = randomModelWeights(config, 1);
    expect(() => checkModelWeights(weights)).not.toThrow();
    spoil(weights);
    expect(() => checkModelWeights(weights)).toThrow(ModelFileError);
    expect(() => checkModelWeights(weights)).toThrow(`${message}: a checkpoint's weights must be finite numbers`);
  });

  it('a logits check never passes NaN against NaN (weights the loaders would refuse, given directly)', async () => {
    const weights = randomModelWeights(config, 1);
    weights.finalNorm[0] = NaN;
    const ids = [1, 2, 3];
    const { logits } = await forward64(weights, ids);
    expect(Number.isNaN(logits[0])).toBe(true);
    const check = await checkLogits(weights, ids, Float32Array.from(logits));
    expect(check.pass).toBe(false);
  });
});

describe('top-k', () => {
  it('orders by probability and the probabilities of all tokens sum to 1', () => {
    const logits = [0.5, 2, -1, 2, 1];
    const top = topK(logits, 5);
    expect(top.map((t) => t.id)).toEqual([1, 3, 4, 0, 2]);
    expect(top.reduce((s, t) => s + t.probability, 0)).toBeCloseTo(1, 12);
    // Hand value: p(1) = e² / (e^0.5 + 2e² + e^−1 + e).
    expect(top[0].probability).toBeCloseTo(Math.exp(2) / (Math.exp(0.5) + 2 * Math.exp(2) + Math.exp(-1) + Math.exp(1)), 12);
  });
});

describe('a model too large for the device', () => {
  it('is refused naming the limit, from the keys at its full context', () => {
    const config = smallConfig('llama', { contextLength: 1 << 20, kvHeads: 4, headDim: 64 });
    const limits = { maxStorageBufferBindingSize: 128 << 20, maxBufferSize: 256 << 20 };
    expect(() => checkModelFitsDevice(config, limits)).toThrow(LimitError);
    expect(() => checkModelFitsDevice(config, limits)).toThrow(
      /needs maxStorageBufferBindingSize ≥ 1073741824, but this device allows 134217728/,
    );
    expect(() => checkModelFitsDevice(smallConfig('llama'), limits)).not.toThrow();
  });
});
