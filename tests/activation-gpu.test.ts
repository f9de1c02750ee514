import { describe, expect, it } from 'vitest';
import { AttentionEngine } from '../src/gpu/engine';
import { loadShaderLibrary } from '../src/node/shaders';
import { checkAgainstReference } from '../src/core/compare-run';
import { fromRows } from '../src/core/tensor';
import { randomMatrix } from '../src/core/rng';
import { mlpAsAttention, mlpAttentionOptions, mlpReference } from '../src/core/mlp';
import { InputError } from '../src/core/errors';
import { KernelInterfaceError } from '../src/gpu/errors';
import { FLAGS, packParams } from '../src/gpu/interface';
import { stageShaderFile } from '../src/gpu/variants';
import { acquireTestDevice, watchDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();

// Scores of order ±10 with a causal mask and two heads: negative, zero-ish and large pre-activations, hidden keys, a masked-off row.
const n = 3,
  m = 5,
  heads = 2;
const inputs = {
  q: randomMatrix(n, heads * 4, 7, 3),
  k: randomMatrix(m, heads * 4, 8, 3),
  v: randomMatrix(m, heads * 2, 9),
  mask: fromRows([
    [1, 1, 1, 1, 1],
    [0, 0, 0, 0, 0],
    [1, 0, 1, 1, 1],
  ]),
};

describe('the activation picks the softmax stage’s file', () => {
  it.each([
    ['naive', 'softmax', 'softmax_rows_naive.wgsl'],
    ['tiled', 'softmax', 'softmax_rows.wgsl'],
    ['naive', 'relu', 'activation_rows.wgsl'],
    ['tiled', 'gelu', 'activation_rows.wgsl'],
  ] as const)('%s with %s runs %s', (variant, activation, file) => {
    expect(stageShaderFile(variant, 'softmax', { activation })).toBe(file);
    expect(stageShaderFile(variant, 'qk', { activation })).not.toBe('activation_rows.wgsl');
  });

  it.each([
    ['softmax', 0],
    ['relu', FLAGS.relu],
    ['gelu', FLAGS.gelu],
  ] as const)('packParams sets the %s flag bits', (activation, bits) => {
    const params = {
      n: 1,
      m: 1,
      dk: 1,
      dv: 1,
      heads: 1,
      kvHeads: 1,
      causal: false,
      hasMask: false,
      causalShift: 0,
      scale: 1,
      temperature: 1,
    };
    const packed = packParams({
      ...params,
      dModel: 0,
      window: 0,
      softcap: 0,
      alibi: false,
      sinks: false,
      rope: null,
      keySplits: 1,
      splitKeys: 1,
      activation,
    });
    expect(new DataView(packed).getUint32(20, true) & (FLAGS.relu | FLAGS.gelu)).toBe(bits);
  });
});

describe.skipIf(!gpu)('elementwise activation on the GPU', () => {
  it.each([
    ['naive', 'relu'],
    ['naive', 'gelu'],
    ['tiled', 'relu'],
    ['tiled', 'gelu'],
  ] as const)('%s, %s: scores, weights and output within the derived bounds', async (variant, activation) => {
    const engine = new AttentionEngine(gpu!.device, shaders);
    const options = { activation, heads, causal: true, scale: 'none' as const };
    const result = await engine.run(inputs, options, { variant, intermediates: true, poison: true });
    const check = checkAgainstReference(inputs, options, { ...result, output: result.output.data });
    expect(check.probs?.pass, JSON.stringify(check.probs?.worst)).toBe(true);
    expect(check.output.pass, JSON.stringify(check.output.worst)).toBe(true);
    // Row 1 sees no key: all weights exactly 0, never NaN.
    expect(Array.from(result.probs!.subarray(m, 2 * m))).toEqual([0, 0, 0, 0, 0]);
  });

  it('the GPU attention form of an MLP agrees with the MLP form', async () => {
    const engine = new AttentionEngine(gpu!.device, shaders);
    const weights = {
      x: fromRows([
        [1, 2],
        [2, -1],
      ]),
      w1: fromRows([
        [1, 0],
        [0, -1],
        [1, 1],
      ]),
      w2: fromRows([
        [1, 1, 1],
        [1, -1, 2],
      ]),
    };
    const result = await engine.run(mlpAsAttention(weights), mlpAttentionOptions('relu'), { variant: 'naive' });
    expect(Array.from(result.output.data)).toEqual(Array.from(mlpReference(weights, 'relu').data));
  });

  it('the fused variant is refused for relu with the fix named', async () => {
    const engine = new AttentionEngine(gpu!.device, shaders);
    const run = engine.run(inputs, { activation: 'relu', heads }, { variant: 'fused' });
    await expect(run).rejects.toThrow(InputError);
    await expect(engine.run(inputs, { activation: 'relu', heads }, { variant: 'fused' })).rejects.toThrow(/naive or tiled/);
  });

  it('a softmax kernel is refused for gelu, and the elementwise kernel for the softmax, naming both', async () => {
    const engine = new AttentionEngine(gpu!.device, shaders);
    const softmaxKernel = shaders['softmax_rows.wgsl'];
    const elementwise = shaders['activation_rows.wgsl'];
    const gelu = engine.run(inputs, { activation: 'gelu', heads }, { variant: 'tiled', kernels: { softmax: softmaxKernel } });
    await expect(gelu).rejects.toThrow(KernelInterfaceError);
    await expect(
      engine.run(inputs, { activation: 'gelu', heads }, { variant: 'tiled', kernels: { softmax: softmaxKernel } }),
    ).rejects.toThrow(/ELEMENTWISE_ACTIVATION.*activation_rows\.wgsl.*softmax/);
    await expect(engine.run(inputs, { heads }, { variant: 'tiled', kernels: { softmax: elementwise } })).rejects.toThrow(
      /ELEMENTWISE_ACTIVATION.*softmax_rows\.wgsl.*relu or gelu/,
    );
  });
});
