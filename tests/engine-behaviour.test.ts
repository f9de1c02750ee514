import { describe, expect, it } from 'vitest';
import { AttentionEngine } from '../src/gpu/engine';
import { DeviceLostError, KernelCompileError, KernelInterfaceError, LimitError } from '../src/gpu/errors';
import { loadShaderLibrary } from '../src/node/shaders';
import { checkAgainstReference } from '../src/core/compare-run';
import { InputError } from '../src/core/errors';
import { matrix } from '../src/core/tensor';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import { buildCase } from './helpers/cases';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();
const engine = () => new AttentionEngine(gpu!.device, shaders);

describe.skipIf(!gpu)('engine', () => {
  it('splits query rows into blocks when the score matrix exceeds the binding limit, with identical results', async () => {
    const { inputs, options } = buildCase({ name: 'blocks', n: 130, m: 65, dk: 7, dv: 4, causal: true, mask: 'random', seed: 7 });
    const whole = await engine().run(inputs, options, { intermediates: true });
    // 65 keys × 4 bytes × 16 rows = 4160 bytes: a 4 KiB binding forces blocks of 15 rows.
    const small = new AttentionEngine(gpu!.device, shaders, { limits: { maxStorageBufferBindingSize: 4096 } });
    const blocked = await small.run(inputs, options, { intermediates: true, poison: true });
    expect(whole.blocks).toBe(1);
    expect(blocked.blocks).toBe(Math.ceil(130 / 15));
    expect(Array.from(blocked.output.data)).toEqual(Array.from(whole.output.data));
    expect(Array.from(blocked.probs!)).toEqual(Array.from(whole.probs!));
  });

  it('computes a range of query rows against all keys, causal alignment included', async () => {
    const { inputs, options } = buildCase({ name: 'rows', n: 64, m: 80, dk: 4, dv: 3, causal: true, seed: 8 });
    const full = await engine().run(inputs, options);
    const part = await engine().run(inputs, options, { rows: [20, 37], poison: true });
    expect(part.output.rows).toBe(17);
    expect(Array.from(part.output.data)).toEqual(Array.from(full.output.data.subarray(20 * 3, 37 * 3)));
  });

  it('names the limit when one row of scores cannot fit a binding', async () => {
    const { inputs, options } = buildCase({ name: 'limit', n: 4, m: 2000, dk: 4, dv: 4, seed: 9 });
    const tiny = new AttentionEngine(gpu!.device, shaders, { limits: { maxStorageBufferBindingSize: 4096 } });
    const error = await tiny.run(inputs, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitError);
    expect((error as LimitError).limit).toBe('maxStorageBufferBindingSize');
    expect((error as Error).message).toMatch(/maxStorageBufferBindingSize ≥ 32000.*allows 4096/);
  });

  it('reports per-stage GPU time when the adapter has timestamp-query, and null otherwise', async () => {
    const { inputs, options } = buildCase({ name: 'timing', n: 64, m: 64, dk: 16, dv: 16, seed: 10 });
    const result = await engine().run(inputs, options);
    if (gpu!.device.features.has('timestamp-query')) {
      expect(result.gpuTimings).not.toBeNull();
      for (const ms of Object.values(result.gpuTimings!)) expect(ms).toBeGreaterThan(0);
    } else {
      expect(result.gpuTimings).toBeNull();
    }
    expect(result.wallMs).toBeGreaterThan(0);
  });

  it('reports a lost device instead of hanging or crashing', async () => {
    const other = await acquireTestDevice();
    const lostEngine = new AttentionEngine(other!.device, shaders);
    const { inputs, options } = buildCase({ name: 'lost', n: 4, m: 4, dk: 2, dv: 2, seed: 15 });
    await lostEngine.run(inputs, options);
    other!.device.destroy();
    await other!.device.lost;
    expect(lostEngine.lost).toMatch(/destroy/i);
    await expect(lostEngine.run(inputs, options)).rejects.toThrow(DeviceLostError);
  });

  it('rejects bad inputs with a message naming the problem', async () => {
    const { inputs } = buildCase({ name: 'bad', n: 3, m: 4, dk: 2, dv: 2, seed: 11 });
    await expect(engine().run({ ...inputs, k: matrix(5, 2) })).rejects.toThrow(/K has 5 rows but V has 4/);
    const nan = matrix(3, 2, [0, 1, 2, NaN, 4, 5]);
    await expect(engine().run({ ...inputs, q: nan })).rejects.toThrow(InputError);
    await expect(engine().run({ ...inputs, q: nan })).rejects.toThrow(/Q\[1\]\[1\] is NaN/);
    await expect(engine().run(inputs, { temperature: 0 })).rejects.toThrow(/temperature must be a positive/);
  });
});

describe.skipIf(!gpu)('caller-supplied kernels', () => {
  const tiledSoftmax = shaders['softmax_rows.wgsl'];

  it('runs a custom kernel in place of the built-in one', async () => {
    const { inputs, options } = buildCase({ name: 'custom', n: 17, m: 33, dk: 4, dv: 4, seed: 12 });
    const result = await engine().run(inputs, options, { kernels: { softmax: shaders['softmax_rows_naive.wgsl'] }, intermediates: true });
    expect(checkAgainstReference(inputs, options, { ...result, output: result.output.data }).pass).toBe(true);
  });

  it('fails the check when a softmax skips the max subtraction and scores are large', async () => {
    const broken = tiledSoftmax.replaceAll('exp(s - row_max)', 'exp(s)');
    const { inputs, options } = buildCase({ name: 'overflow', n: 16, m: 16, dk: 4, dv: 4, magnitude: 1e3, seed: 13 });
    const result = await engine().run(inputs, options, { kernels: { softmax: broken }, intermediates: true, poison: true });
    const check = checkAgainstReference(inputs, options, { ...result, output: result.output.data });
    expect(check.probs!.pass).toBe(false);
    expect(check.probs!.nanMismatches + check.probs!.failures).toBeGreaterThan(0);
  });

  it('catches an element the kernel never writes, thanks to the poisoned output', async () => {
    const broken = shaders['weighted_values.wgsl'].replace(
      'if (row < params.n && col < params.dv) {',
      'if (row < params.n && col < params.dv && !(row == 2u && col == 1u)) {',
    );
    const { inputs, options } = buildCase({ name: 'unwritten', n: 5, m: 7, dk: 3, dv: 3, seed: 14 });
    const result = await engine().run(inputs, options, { kernels: { pv: broken }, poison: true });
    const check = checkAgainstReference(inputs, options, { scores: null, probs: null, output: result.output.data });
    expect(check.output.nanMismatches).toBe(1);
    expect(check.output.firstBad?.position).toEqual([0, 2, 1]);
  });

  it('reports WGSL compile errors with line and column', async () => {
    const broken = tiledSoftmax.replace('let lane = lid.x;', 'let lane = lid.x');
    const error = await engine()
      .run(buildCase({ name: 'c', n: 2, m: 2, dk: 1, dv: 1, seed: 1 }).inputs, {}, { kernels: { softmax: broken } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelCompileError);
    const first = (error as KernelCompileError).messages.find((m) => m.type === 'error')!;
    const expectedLine = broken.split('\n').findIndex((l) => l.includes('let lane = lid.x')) + 1;
    expect(first.line).toBeGreaterThanOrEqual(expectedLine);
    expect(first.line).toBeLessThanOrEqual(expectedLine + 1);
    expect((error as Error).message).toMatch(/softmax kernel does not compile/);
  });

  it('explains a binding that does not match the interface', async () => {
    const broken = tiledSoftmax.replace(
      '@group(0) @binding(1) var<storage, read> scores',
      '@group(0) @binding(1) var<storage, read_write> scores',
    );
    const error = await engine()
      .run(buildCase({ name: 'b', n: 2, m: 2, dk: 1, dv: 1, seed: 1 }).inputs, {}, { kernels: { softmax: broken } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelInterfaceError);
    expect((error as Error).message).toMatch(/@binding\(1\) must be var<storage, read> scores/);
  });

  it('explains a missing entry point', async () => {
    const broken = tiledSoftmax.replace('fn main(', 'fn softmax_main(');
    const error = await engine()
      .run(buildCase({ name: 'e', n: 2, m: 2, dk: 1, dv: 1, seed: 1 }).inputs, {}, { kernels: { softmax: broken } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelInterfaceError);
    expect((error as Error).message).toMatch(/no @compute fn main\(\) \(found softmax_main\)/);
  });
});
