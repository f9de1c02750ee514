/**
 * A model's attention on the playground's kernels (src/gpu/model-run.ts): every head of every layer
 * checked against the float64 reference of its own inputs, the logits against the float64 forward
 * pass — for each variant; a decode step over the KV cache; a broken kernel swapped in fails its
 * heads and moves the prediction; f16 storage, whose rounding of Q, K and V the logits' tolerance
 * includes as the heads' bounds do, while a wrong kernel still fails it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AttentionEngine } from '../src/gpu/engine';
import { layerStages, runModelStep } from '../src/gpu/model-run';
import { VARIANT_NAMES } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import { checkLayerHeads, checkLogits } from '../src/core/model/check';
import type { AttentionCall } from '../src/core/model/forward';
import { emptyCache, forwardStep, topK } from '../src/core/model/forward';
import { roundedToHalf } from '../src/core/half';
import type { Precision } from '../src/core/precision';
import { attentionReference } from '../src/core/reference';
import { randomModelWeights, smallConfig } from '../src/core/model/random';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import { ROOT } from './helpers/cli';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const engine = () => new AttentionEngine(gpu!.device, loadShaderLibrary());
const IDS = [1, 7, 3, 22, 9, 41, 7, 3, 22, 15, 2, 30];

describe.each(VARIANT_NAMES)('a GQA llama model on the %s kernels', (variant) => {
  const weights = randomModelWeights(smallConfig('llama'), 11);

  it('passes every head check and the logits check', async () => {
    const run = await runModelStep(engine(), weights, emptyCache(weights.config), IDS, { variant });
    expect(run.layers).toHaveLength(weights.config.layers);
    const heads = run.layers.flatMap(({ call, result }) => checkLayerHeads(call, layerStages(result)));
    expect(heads).toHaveLength(weights.config.layers * weights.config.heads);
    expect(heads.filter((h) => !h.pass).map((h) => `layer ${h.layer} head ${h.head}: ${h.output.maxAbs}`)).toEqual([]);
    expect(heads.map((h) => h.kvHead)).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
    const logits = await checkLogits(weights, IDS, run.step.logits, { onlineSoftmax: run.layers[0].result.onlineSoftmax });
    expect(logits.comparison.maxAbs).toBeGreaterThan(0);
    expect(logits.pass, `max |Δ| ${logits.comparison.maxAbs} vs tolerance ${logits.tolerance}`).toBe(true);
  });
});

describe('decoding over the KV cache', () => {
  it('a decode step gives the logits the float64 pass over the whole sequence gives', async () => {
    const weights = randomModelWeights(smallConfig('gpt2'), 5);
    const e = engine();
    const prefill = await runModelStep(e, weights, emptyCache(weights.config), IDS.slice(0, -1), { variant: 'tiled' });
    const step = await runModelStep(e, weights, prefill.step.cache, IDS.slice(-1), { variant: 'tiled' });
    expect(step.layers[0].call.inputs.q.rows).toBe(1);
    expect(step.layers[0].call.inputs.k.rows).toBe(IDS.length);
    const heads = step.layers.flatMap(({ call, result }) => checkLayerHeads(call, layerStages(result)));
    expect(heads.every((h) => h.pass)).toBe(true);
    const logits = await checkLogits(weights, IDS, step.step.logits);
    expect(logits.pass, `max |Δ| ${logits.comparison.maxAbs} vs tolerance ${logits.tolerance}`).toBe(true);
  });
});

describe('a broken kernel in the model', () => {
  it('fails its heads and changes the prediction (QKᵀ whose causal mask hides the diagonal)', async () => {
    const weights = randomModelWeights(smallConfig('llama', { kvHeads: 4 }), 3);
    const broken = readFileSync(join(ROOT, 'examples/kernels/qk_causal_off_by_one.wgsl'), 'utf8');
    const e = engine();
    const good = await runModelStep(e, weights, emptyCache(weights.config), IDS, { variant: 'naive' });
    const bad = await runModelStep(e, weights, emptyCache(weights.config), IDS, { variant: 'naive', kernels: { qk: broken } });
    const heads = bad.layers.flatMap(({ call, result }) => checkLayerHeads(call, layerStages(result)));
    expect(heads.some((h) => !h.pass)).toBe(true);
    const logits = await checkLogits(weights, IDS, bad.step.logits);
    expect(logits.pass).toBe(false);
    // A random model's prediction leans on the token's own embedding, so its top tokens may keep
    // their order (the trained model's do not: tests/model-builtin.test.ts); the logits still move
    // far outside what a correct kernel may change.
    expect(logits.comparison.maxAbs).toBeGreaterThan(3 * logits.tolerance);
    const probabilities = (l: ArrayLike<number>) =>
      topK(l, 50)
        .sort((a, b) => a.id - b.id)
        .map((t) => t.probability);
    const moved = probabilities(bad.step.logits).reduce((s, p, i) => s + Math.abs(p - probabilities(good.step.logits)[i]), 0);
    expect(moved).toBeGreaterThan(1e-3);
  });
});

describe('f16 storage in a model (GPT-2 has no RoPE, so every layer on the fused kernel reads halves)', () => {
  const weights = randomModelWeights(smallConfig('gpt2'), 5);
  const f16 = Array<Precision>(weights.config.layers).fill('f16');

  it('passes every head and the logits, whose tolerance includes the rounding of each layer’s Q, K and V to halves', async () => {
    const run = await runModelStep(engine(), weights, emptyCache(weights.config), IDS, { variant: 'fused', precision: 'f16' });
    const precisions = run.layers.map(({ result }) => result.precision);
    expect(precisions).toEqual(f16);
    const heads = run.layers.flatMap(({ call, result }) => checkLayerHeads(call, layerStages(result)));
    expect(heads.filter((h) => !h.pass).map((h) => `layer ${h.layer} head ${h.head}: ${h.output.maxAbs}`)).toEqual([]);
    const logits = await checkLogits(weights, IDS, run.step.logits, { onlineSoftmax: true, precisions });
    expect(logits.pass, `max |Δ| ${logits.comparison.maxAbs} vs tolerance ${logits.tolerance}`).toBe(true);
    // float32 storage's tolerance leaves the halves' rounding out: the same logits would fail it.
    const asFloat32 = await checkLogits(weights, IDS, run.step.logits, { onlineSoftmax: true });
    expect(asFloat32.tolerance).toBeLessThan(logits.tolerance);
    expect(asFloat32.pass).toBe(false);
  });

  /** The logits of a forward pass whose attention reads Q, K and V as halves (as the f16 kernel does), with `options` changed. */
  const halfAttentionLogits = async (change: (o: AttentionCall['options']) => AttentionCall['options']) =>
    (
      await forwardStep(
        weights,
        emptyCache(weights.config),
        IDS,
        ({ inputs, options }) => {
          const half = (m: typeof inputs.q) => ({ ...m, data: roundedToHalf(m.data) });
          return Float32Array.from(
            attentionReference({ ...inputs, q: half(inputs.q), k: half(inputs.k), v: half(inputs.v) }, change(options)).output.data,
          );
        },
        { float32: true },
      )
    ).logits;

  it('the f16 tolerance passes exact attention of the halves, and still fails a kernel whose scores are 10% too small', async () => {
    const exact = await checkLogits(weights, IDS, await halfAttentionLogits((o) => o), { onlineSoftmax: true, precisions: f16 });
    expect(exact.pass, `max |Δ| ${exact.comparison.maxAbs} vs tolerance ${exact.tolerance}`).toBe(true);
    const wrong = await checkLogits(weights, IDS, await halfAttentionLogits((o) => ({ ...o, temperature: o.temperature * 1.1 })), {
      onlineSoftmax: true,
      precisions: f16,
    });
    expect(wrong.pass, `max |Δ| ${wrong.comparison.maxAbs} vs tolerance ${wrong.tolerance}`).toBe(false);
  });
});
