/**
 * f16 storage on the GPU: the fused kernel with its storage block swapped for packed halves
 * (src/gpu/half-storage.ts, shaders/storage/f16.wgsl) against the float64 reference of the
 * float32 inputs, held to the bound that adds the halves' rounding (src/core/tolerance.ts); the
 * same output as exact attention of the halves; the refusals; and a user's kernel that opts in.
 */
import { describe, expect, it } from 'vitest';
import { checkAgainstReference } from '../src/core/compare-run';
import { roundedToHalf } from '../src/core/half';
import type { AttentionOptions } from '../src/core/options';
import { PrecisionError } from '../src/core/precision';
import { attentionReference } from '../src/core/reference';
import { randomMatrix } from '../src/core/rng';
import type { AttentionInputs } from '../src/core/shapes';
import { QUAD_LANES } from '../src/core/subgroups';
import { DECODE_MAX_ROWS } from '../src/gpu/interface';
import { AttentionEngine } from '../src/gpu/engine';
import type { RunResult } from '../src/gpu/engine';
import { declaresF16Storage, halfStorageSource, STORAGE_BEGIN } from '../src/gpu/half-storage';
import { loadShaderLibrary } from '../src/node/shaders';
import type { AttentionCase } from './helpers/cases';
import { buildCase } from './helpers/cases';
import { explainCheck } from './helpers/explain';
import { acquireTestDevice, watchDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();
const engine = () => new AttentionEngine(gpu!.device, shaders);

const check = (inputs: AttentionInputs, options: Partial<AttentionOptions>, result: RunResult) =>
  checkAgainstReference(inputs, options, { ...result, output: result.output.data });

const CASES: (AttentionCase & { features?: Partial<AttentionOptions> })[] = [
  { name: 'n=m=65, dk=dv=64', n: 65, m: 65, dk: 64, dv: 64, seed: 900 },
  {
    name: 'odd widths (dk=7, dv=5: rows start mid-word), two heads, causal',
    n: 17,
    m: 30,
    dk: 7,
    dv: 5,
    heads: 2,
    causal: true,
    seed: 901,
  },
  { name: 'one query row against 300 keys (decode)', n: 1, m: 300, dk: 16, dv: 16, heads: 4, seed: 902 },
  { name: 'decoding two rows, odd widths (dk=7, dv=5), two heads, causal', n: 2, m: 90, dk: 7, dv: 5, heads: 2, causal: true, seed: 905 },
  { name: 'a random mask with a fully masked row', n: 9, m: 40, dk: 8, dv: 8, mask: 'fully-masked-row', seed: 903 },
  {
    name: 'GQA, a window, ALiBi, a softcap and sinks',
    n: 20,
    m: 20,
    dk: 8,
    dv: 4,
    heads: 4,
    causal: true,
    seed: 904,
    features: { kvHeads: 2, window: 6, alibi: 'standard', softcap: 4, sinks: [0, 1, -1, 2] },
  },
  {
    name: 'decoding one row, 6 heads on 1 K/V head (the quads take 4, then 2), ALiBi and sinks',
    n: 1,
    m: 200,
    dk: 16,
    dv: 16,
    heads: 6,
    causal: true,
    seed: 906,
    features: { kvHeads: 1, alibi: 'standard', sinks: [0, 1, -1, 2, 3, -2] },
  },
];

// Each case as 'auto' runs it, and with the subgroup form's shared lanes (the prefill in pairs, the
// decoding shape in quads; the f16 storage block and the subgroup block are swapped in together).
const FORMS = CASES.flatMap((c) => (['auto', 'shared'] as const).map((subgroups) => ({ ...c, subgroups })));

describe.skipIf(!gpu)('the fused kernel with f16 storage', () => {
  it.each(FORMS)('$name, subgroups $subgroups: within the f16-storage bound of the float32 answer', async (c) => {
    const built = buildCase(c);
    const options = { ...built.options, ...c.features };
    const kvHeads = c.features?.kvHeads;
    // Grouped heads: K and V with kvHeads heads of their own.
    const inputs = kvHeads
      ? { ...built.inputs, k: randomMatrix(c.m, kvHeads * c.dk, c.seed + 5), v: randomMatrix(c.m, kvHeads * c.dv, c.seed + 6) }
      : built.inputs;
    const result = await engine().run(inputs, options, { variant: 'fused', precision: 'f16', poison: true, subgroups: c.subgroups });
    expect(result.precision).toBe('f16');
    if (c.subgroups === 'shared' && result.subgroups) {
      const quads = (await engine().subgroupLayout())!.sizes[0] % QUAD_LANES === 0;
      expect(result.subgroupLanes).toBe(c.n > DECODE_MAX_ROWS ? 'pairs' : quads ? 'quads' : null);
      // The quads take a K/V group's query heads together (at most 4).
      const group = c.features?.kvHeads ? (c.heads ?? 1) / c.features.kvHeads : 1;
      expect(result.headsPerWorkgroup).toBe(result.subgroupLanes === 'quads' ? Math.min(4, group) : 1);
    }
    const comparison = check(inputs, options, result);
    expect(comparison.output.pass, explainCheck(comparison, c.seed)).toBe(true);
    // The GPU read halves: its output is exact attention of the halves up to float32 rounding, far
    // closer to that than to the float32 inputs' answer whenever the rounding matters.
    const half = (x: typeof inputs.q) => ({ ...x, data: roundedToHalf(x.data) });
    const halves = { ...inputs, q: half(inputs.q), k: half(inputs.k), v: half(inputs.v) };
    const ofHalves = attentionReference(halves, options).output.data;
    const ofFloats = attentionReference(inputs, options).output.data;
    let toHalves = 0,
      toFloats = 0;
    result.output.data.forEach((x, e) => {
      toHalves = Math.max(toHalves, Math.abs(x - ofHalves[e]));
      toFloats = Math.max(toFloats, Math.abs(x - ofFloats[e]));
    });
    expect(toHalves).toBeLessThan(toFloats);
  });

  it('split-KV with f16 storage: 3 key splits merged by the combine stage, within the bound', async () => {
    const { inputs, options } = buildCase({ name: 'splits', n: 2, m: 500, dk: 16, dv: 8, heads: 2, causal: true, seed: 908 });
    const result = await engine().run(inputs, options, { variant: 'fused', precision: 'f16', keySplits: 3, poison: true });
    expect(result.stages).toEqual(['fused', 'combine']);
    const comparison = check(inputs, options, result);
    expect(comparison.output.pass, explainCheck(comparison, 908)).toBe(true);
  });

  it('auto picks f16 storage for fused and float32 for tiled, saying why', async () => {
    const { inputs, options } = buildCase({ name: 'auto', n: 4, m: 6, dk: 4, dv: 4, seed: 905 });
    const fused = await engine().run(inputs, options, { variant: 'fused', precision: 'auto' });
    expect(fused.precision).toBe('f16');
    const tiled = await engine().run(inputs, options, { variant: 'tiled', precision: 'auto' });
    expect(tiled.precision).toBe('f32');
    expect(tiled.precisionReason).toMatch(/only the fused variant/);
    expect((await engine().run(inputs, options, { variant: 'fused' })).precision).toBe('f32');
  });

  it('refuses f16 with RoPE, with tiled, and for values beyond 65504, naming why', async () => {
    const { inputs, options } = buildCase({ name: 'refuse', n: 4, m: 6, dk: 4, dv: 4, seed: 906 });
    const rope = { rope: { layout: 'half' as const, base: 10000, dims: null, offset: 0 } };
    await expect(engine().run(inputs, { ...options, ...rope }, { variant: 'fused', precision: 'f16' })).rejects.toThrow(/RoPE is on/);
    await expect(engine().run(inputs, options, { variant: 'tiled', precision: 'f16' })).rejects.toThrow(PrecisionError);
    const big = { ...inputs, v: { ...inputs.v, data: inputs.v.data.map((x, e) => (e === 5 ? 7e4 : x)) } };
    await expect(engine().run(big, options, { variant: 'fused', precision: 'f16' })).rejects.toThrow(
      /V\[1\]\[1\] = 70000 is beyond the largest half/,
    );
  });

  it("takes a user's fused kernel with f16 storage only when it declares F16_STORAGE", async () => {
    const { inputs, options } = buildCase({ name: 'custom', n: 5, m: 9, dk: 4, dv: 4, seed: 907 });
    const own = halfStorageSource(shaders['flash_attention.wgsl'], shaders);
    expect(declaresF16Storage(own)).toBe(true);
    expect(own).toContain(STORAGE_BEGIN);
    const result = await engine().run(inputs, options, { variant: 'fused', precision: 'f16', kernels: { fused: own } });
    expect(check(inputs, options, result).output.pass).toBe(true);
    const float32Kernel = shaders['flash_attention.wgsl'];
    expect(declaresF16Storage(float32Kernel)).toBe(false);
    await expect(engine().run(inputs, options, { variant: 'fused', precision: 'f16', kernels: { fused: float32Kernel } })).rejects.toThrow(
      /does not declare `const F16_STORAGE = true;`/,
    );
  });

  it('a kernel without the storage block cannot be given f16 storage', () => {
    expect(() => halfStorageSource('@compute @workgroup_size(1) fn main() {}', shaders)).toThrow(/no \/\/ @storage-begin/);
  });
});
