/**
 * The fused (online-softmax) kernel: the verification suite at other key-tile sizes, wide heads,
 * m = 32768 keys on a few query rows, the engine's one-pass behaviour, and proof that the check
 * catches a broken kernel. tests/engine.test.ts runs the suite at the device's own tile size.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AttentionEngine } from '../src/gpu/engine';
import type { RunOptions, RunResult } from '../src/gpu/engine';
import { LimitError } from '../src/gpu/errors';
import { loadShaderLibrary } from '../src/node/shaders';
import { checkAgainstReference } from '../src/core/compare-run';
import type { StageComparisons } from '../src/core/compare-run';
import type { AttentionInputs } from '../src/core/shapes';
import type { AttentionOptions } from '../src/core/options';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import type { AttentionCase } from './helpers/cases';
import { attentionCases, buildCase } from './helpers/cases';
import { explainCheck } from './helpers/explain';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();
const fusedSource = shaders['flash_attention.wgsl'];
const engine = (limits = {}) => new AttentionEngine(gpu!.device, shaders, { limits });
// Tests of caller-supplied kernels build a new pipeline each: a 2 KiB budget (4-key tiles) keeps
// that fast on SwiftShader, whose compile time grows with the workgroup memory a kernel declares.
const smallTiles = () => engine({ maxComputeWorkgroupStorageSize: 2048 });

function check(inputs: AttentionInputs, options: Partial<AttentionOptions>, result: RunResult): StageComparisons {
  return checkAgainstReference(inputs, options, { ...result, output: result.output.data });
}

async function expectMatch(run: AttentionEngine, c: AttentionCase, options: RunOptions = {}) {
  const { inputs, options: attention } = buildCase(c);
  const result = await run.run(inputs, attention, { variant: 'fused', poison: true, ...options });
  const comparison = check(inputs, attention, result);
  expect(comparison.output.pass, explainCheck(comparison, c.seed)).toBe(true);
  expect(result.output.data.every(Number.isFinite), 'no NaN/Inf in the output').toBe(true);
  return result;
}

// The kernel sizes its key tile from the workgroup memory it is given (WORKGROUP_BYTES, set from
// maxComputeWorkgroupStorageSize): 512 bytes hold one key (a rescale may follow every key), 16 KiB —
// the WebGPU default — hold 32. The device's own limit (32 KiB, 64 keys on SwiftShader) is tested
// by tests/engine.test.ts.
const BUDGETS = [
  { bytes: 512, keys: '1-key' },
  { bytes: 16384, keys: '32-key' },
];

describe.skipIf(!gpu).each(BUDGETS)('fused kernel with $bytes bytes of workgroup memory ($keys tiles)', ({ bytes }) => {
  it.each(attentionCases())('$name', async (c) => {
    await expectMatch(engine({ maxComputeWorkgroupStorageSize: bytes }), c);
  });
});

// Heads wider than the kernel's 64-column chunks: dk in several staged chunks (scores accumulate
// across them), dv in several sweeps over the keys, widths not a multiple of 4.
const WIDE: AttentionCase[] = [
  { name: 'dk = dv = 128, causal', n: 70, m: 100, dk: 128, dv: 128, causal: true, seed: 600 },
  { name: 'dk = 130, dv = 129, random mask', n: 17, m: 65, dk: 130, dv: 129, mask: 'random', seed: 601 },
  { name: 'dk = 256, dv = 3, two heads', n: 9, m: 40, dk: 256, dv: 3, heads: 2, seed: 602 },
  { name: 'dk = 3, dv = 200, scores around ±1e3', n: 20, m: 33, dk: 3, dv: 200, magnitude: 1e3, seed: 603 },
];

describe.skipIf(!gpu)('fused kernel with wide heads', () => {
  it.each(WIDE)('$name', async (c) => {
    await expectMatch(engine(), c);
  });
});

describe.skipIf(!gpu)('fused kernel at m = 32768 keys, dk = 64, on a few query rows', () => {
  const n = 32768,
    dk = 64,
    dv = 64;
  let self: AttentionInputs;
  beforeAll(() => {
    self = buildCase({ name: 'self', n, m: n, dk, dv, seed: 700 }).inputs;
  });

  // Only the rows asked for are uploaded and checked, against a reference for those rows alone.
  it.each([
    { name: 'the first rows against every key', rows: [0, 4] as [number, number], causal: false },
    { name: 'causal: the last rows see every key', rows: [n - 3, n] as [number, number], causal: true },
    { name: 'causal: middle rows end the key loop halfway', rows: [n / 2 - 2, n / 2 + 2] as [number, number], causal: true },
  ])('$name', async ({ rows, causal }) => {
    const result = await engine().run(self, { causal }, { variant: 'fused', rows, poison: true });
    expect(result.output.rows).toBe(rows[1] - rows[0]);
    const comparison = check(self, { causal }, result);
    expect(comparison.output.pass, explainCheck(comparison, 700)).toBe(true);
  });

  it('cross-attention: 3 queries, 2 heads, a random mask and causal alignment with the last key', async () => {
    const { inputs, options } = buildCase({ name: 'cross', n: 3, m: n, dk, dv, heads: 2, causal: true, mask: 'random', seed: 710 });
    const result = await engine().run(inputs, options, { variant: 'fused', poison: true });
    const comparison = check(inputs, options, result);
    expect(comparison.output.pass, explainCheck(comparison, 710)).toBe(true);
  });
});

describe.skipIf(!gpu)('fused engine behaviour', () => {
  it('returns no scores or probabilities and times a single pass', async () => {
    const { inputs, options } = buildCase({ name: 'one pass', n: 20, m: 30, dk: 8, dv: 8, seed: 800 });
    const result = await engine().run(inputs, options, { variant: 'fused', intermediates: true });
    expect(result.stages).toEqual(['fused']);
    expect(result.onlineSoftmax).toBe(true);
    expect(result.scores).toBeNull();
    expect(result.probs).toBeNull();
    if (result.gpuTimings) expect(Object.keys(result.gpuTimings)).toEqual(['fused']);
  });

  it('runs in one block where the three-pass path needs many', async () => {
    const { inputs, options } = buildCase({ name: 'blocks', n: 130, m: 65, dk: 7, dv: 4, causal: true, seed: 801 });
    // A 4 KiB binding holds 15 rows of 65 scores but all 130 rows of Q (28 bytes each) and output.
    const small = engine({ maxStorageBufferBindingSize: 4096 });
    const tiled = await small.run(inputs, options, { variant: 'tiled' });
    const fused = await small.run(inputs, options, { variant: 'fused', poison: true });
    expect(tiled.blocks).toBe(Math.ceil(130 / 15));
    expect(fused.blocks).toBe(1);
    expect(check(inputs, options, fused).output.pass).toBe(true);
  });

  it('a three-pass dispatch that grows past the limit with m suggests fused, which runs it', async () => {
    const { inputs, options } = buildCase({ name: 'dispatch', n: 40, m: 300, dk: 4, dv: 4, seed: 802 });
    // The tiled qk kernel covers 64 keys per workgroup, so 300 keys need 5 along x; the fused grid
    // does not depend on m.
    const narrow = engine({ maxComputeWorkgroupsPerDimension: 4 });
    const error = await narrow.run(inputs, options, { variant: 'tiled' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitError);
    expect((error as Error).message).toMatch(/maxComputeWorkgroupsPerDimension ≥ 5.*variant 'fused'/);
    const fused = await narrow.run(inputs, options, { variant: 'fused' });
    expect(check(inputs, options, fused).output.pass).toBe(true);
  });

  it('runs caller-supplied WGSL for the fused stage, with or without the WORKGROUP_BYTES override', async () => {
    const c: AttentionCase = { name: 'custom', n: 70, m: 90, dk: 16, dv: 8, causal: true, seed: 803 };
    // 32 rows per workgroup instead of 64: the dispatch follows the kernel's @workgroup_size.
    const narrower = fusedSource.replace('const WG: u32 = 64u;', 'const WG: u32 = 32u;');
    // A fixed 8-key tile: the engine must not set a constant the kernel does not declare.
    const fixedTile = fusedSource
      .replace(/override WORKGROUP_BYTES: u32 = 16384u;.*\n/, '')
      .replace(/override TILE_FIT: u32 = .*;/, 'const TILE_FIT: u32 = 8u;');
    for (const source of [narrower, fixedTile]) {
      expect(source).not.toBe(fusedSource);
      const result = await expectMatch(smallTiles(), c, { kernels: { fused: source } });
      expect(result.stages).toEqual(['fused']);
    }
  });

  it('ignores caller-supplied kernels for stages the variant does not run', async () => {
    const c: AttentionCase = { name: 'ignored', n: 5, m: 6, dk: 3, dv: 2, seed: 804 };
    await expectMatch(engine(), c, { kernels: { qk: 'not WGSL at all' } });
  });
});

// Each edit breaks the online softmax in one way; the derived tolerance must notice. The case is
// causal and square (early rows see few keys, so one key too many matters), later rows span
// several batches (the max changes), and one row is fully masked.
const BROKEN = [
  {
    name: 'partial output not rescaled when the max rises',
    from: 'for (var c4 = 0u; c4 < DV4; c4++) { (*o)[c4] *= f.rescale; }',
    to: '',
  },
  { name: 'denominator not rescaled when the max rises', from: '*denom *= f.rescale;', to: '' },
  { name: 'running max never raised after the first batch', from: '    *run_max = batch_max;\n  }\n  f.p', to: '  }\n  f.p' },
  { name: 'causal loop one key too far', from: 'i32(row) + params.causal_shift + 1', to: 'i32(row) + params.causal_shift + 2' },
  {
    name: 'fully masked rows divided by zero',
    from: 'if (denom > 0.0) { r = x[i] / denom; }',
    to: 'r = x[i] / denom;',
  },
];

describe.skipIf(!gpu)('the check catches a broken fused kernel', () => {
  it.each(BROKEN)('$name', async ({ from, to }) => {
    const broken = fusedSource.replace(from, to);
    expect(broken, 'the edit applies to the kernel').not.toBe(fusedSource);
    const { inputs, options } = buildCase({
      name: 'broken',
      n: 64,
      m: 64,
      dk: 4,
      dv: 4,
      causal: true,
      mask: 'fully-masked-row',
      seed: 900,
    });
    const result = await smallTiles().run(inputs, options, { variant: 'fused', kernels: { fused: broken }, poison: true });
    expect(check(inputs, options, result).output.pass).toBe(false);
  });
});
