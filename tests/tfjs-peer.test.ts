/**
 * The tfjs peer keeps its input tensors on the GPU between runs on the same inputs, as the
 * profiler's engine runs keep their buffers, and frees them when released: same output every run,
 * no tensor left behind, right against the float64 reference.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { attentionReference } from '../src/core/reference';
import { checkAgainstReference } from '../src/core/compare-run';
import { withDefaults } from '../src/core/options';
import { exposeNavigatorGpu } from '../src/node/webgpu';
import { AttentionEngine } from '../src/gpu/engine';
import { profileSweep } from '../src/gpu/profile';
import { loadShaderLibrary } from '../src/node/shaders';
import { acquireTestDevice } from './helpers/gpu';
import { buildCase } from './helpers/cases';

const gpu = await acquireTestDevice();

describe.skipIf(!gpu)('the tfjs peer', () => {
  it('makes the input tensors once per inputs, gives the same output every run, and frees them on release', async () => {
    await exposeNavigatorGpu();
    const { createTfjsPeer } = await import('../src/peer/tfjs');
    const peer = await createTfjsPeer();
    const { inputs } = buildCase({ name: 'peer', n: 12, m: 20, dk: 8, dv: 4, heads: 2, seed: 51 });
    const before = tf.memory().numTensors;

    const first = await peer.run(inputs, { causal: true, heads: 2 });
    // Q, K, V and the causal bias stay; nothing else does.
    expect(tf.memory().numTensors).toBe(before + 4);
    const second = await peer.run(inputs, { causal: true, heads: 2 });
    expect(tf.memory().numTensors).toBe(before + 4);
    expect(Array.from(second.output)).toEqual(Array.from(first.output));
    // The kept inputs count in the run's memory: Q, K, V and the bias are 4·(2·12·8 + 2·20·8 + 2·20·4 + 12·20) bytes.
    expect(second.allocatedBytes).toBeGreaterThanOrEqual(4 * (192 + 320 + 160 + 240));

    // Without causal the bias goes, and the same arrays read as one head of twice the width are
    // another shape: each time the inputs are made again.
    const settings = [
      { causal: true, heads: 2, kept: 4 },
      { causal: false, heads: 2, kept: 3 },
      { causal: false, heads: 1, kept: 3 },
    ];
    for (const { causal, heads, kept } of settings) {
      const options = withDefaults({ causal, heads });
      const run = await peer.run(inputs, { causal, heads });
      expect(tf.memory().numTensors).toBe(before + kept);
      const check = checkAgainstReference(
        inputs,
        options,
        { scores: null, probs: null, output: run.output, onlineSoftmax: false },
        attentionReference(inputs, options),
      );
      expect(check.pass).toBe(true);
    }

    peer.release!(inputs);
    expect(tf.memory().numTensors).toBe(before);
    peer.release!(inputs); // twice is nothing
    expect(tf.memory().numTensors).toBe(before);
  });

  it('in a profile, keeps them for the repeats of a point and frees them when the point ends', async () => {
    await exposeNavigatorGpu();
    const { createTfjsPeer } = await import('../src/peer/tfjs');
    const peer = await createTfjsPeer();
    const engine = new AttentionEngine(gpu!.device, loadShaderLibrary());
    const before = tf.memory().numTensors;
    const result = await profileSweep(
      { ns: [16], decode: [24], dk: 8, heads: 2, causal: true, variants: ['fused', 'tfjs'], warmup: 1, repeats: 2, seed: 5 },
      { engine, peers: { tfjs: peer } },
    );
    expect(tf.memory().numTensors).toBe(before);
    const rows = result.rows.filter((r) => r.variant === 'tfjs');
    expect(rows.map((r) => [r.error, r.check?.pass])).toEqual([
      [null, true],
      [null, true],
    ]);

    // The engine variants share the budget for kept buffers; the peer takes no share of it. Exactly
    // what fused allocated at N = 16 fits when fused is the only engine variant.
    const fused = result.rows.find((r) => r.variant === 'fused' && !r.decode)!;
    expect(fused.buffers).toBe('kept');
    const tight = await profileSweep(
      { ns: [16], dk: 8, heads: 2, causal: true, variants: ['fused', 'tfjs'], warmup: 1, repeats: 2, seed: 5 },
      { engine, peers: { tfjs: peer }, keepBytes: fused.allocatedBytes! },
    );
    expect(tight.rows.map((r) => [r.variant, r.buffers])).toEqual([
      ['fused', 'kept'],
      ['tfjs', undefined],
    ]);
    const tighter = await profileSweep(
      { ns: [16], dk: 8, heads: 2, causal: true, variants: ['fused', 'tfjs'], warmup: 1, repeats: 2, seed: 5 },
      { engine, peers: { tfjs: peer }, keepBytes: fused.allocatedBytes! - 1 },
    );
    expect(tighter.rows[0].buffers).toBe('allocated');
  });
});
