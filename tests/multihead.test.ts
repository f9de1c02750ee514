/**
 * Multi-head attention on the GPU against the float64 reference: h heads split from the columns of
 * Q, K, V, all heads in one dispatch per stage, outputs concatenated, and the optional output
 * projection W_o — for every variant.
 */
import { describe, expect, it } from 'vitest';
import { AttentionEngine } from '../src/gpu/engine';
import { hasIntermediates, VARIANT_NAMES } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import { checkAgainstReference } from '../src/core/compare-run';
import { InputError } from '../src/core/errors';
import { randomMatrix } from '../src/core/rng';
import { columns } from '../src/core/tensor';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import type { AttentionCase } from './helpers/cases';
import { buildCase } from './helpers/cases';
import { explainCheck } from './helpers/explain';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();
const engine = (limits = {}) => new AttentionEngine(gpu!.device, shaders, { limits });

const HEADS = [1, 2, 4, 8];
const SHAPES: Omit<AttentionCase, 'name' | 'heads' | 'seed'>[] = [
  { n: 5, m: 7, dk: 3, dv: 2, dModel: 4 },
  { n: 17, m: 33, dk: 8, dv: 5, causal: true },
  { n: 40, m: 40, dk: 16, dv: 16, mask: 'random', dModel: -1 }, // -1: d_model = h·dv, as in a transformer layer
  { n: 9, m: 70, dk: 7, dv: 3, causal: true, mask: 'fully-masked-row', dModel: 5 },
];

function headCases(): AttentionCase[] {
  return HEADS.flatMap((heads, i) =>
    SHAPES.map((shape, j) => {
      const dModel = shape.dModel === -1 ? heads * shape.dv : shape.dModel;
      const flags = [shape.causal ? 'causal' : '', shape.mask ?? '', dModel ? `W_o →${dModel}` : ''].filter(Boolean).join(' ');
      return {
        ...shape,
        dModel,
        heads,
        seed: 1000 + 10 * i + j,
        name: `h=${heads} n=${shape.n} m=${shape.m} dk=${shape.dk} dv=${shape.dv} ${flags}`.trim(),
      };
    }),
  );
}

describe.skipIf(!gpu).each(VARIANT_NAMES)('%s: multi-head attention matches the float64 reference', (variant) => {
  it.each(headCases())('$name', async (c) => {
    const { inputs, options } = buildCase(c);
    const result = await engine().run(inputs, options, { variant, intermediates: true, poison: true });
    const heads = c.heads ?? 1;
    expect(result.output.cols).toBe(heads * c.dv);
    if (hasIntermediates(variant)) expect(result.scores?.length).toBe(heads * c.n * c.m);
    expect(result.projected?.cols ?? null).toBe(c.dModel ?? null);
    const check = checkAgainstReference(inputs, options, { ...result, output: result.output.data });
    const message = explainCheck(check, c.seed);
    expect(check.output.pass, message).toBe(true);
    expect(check.scores?.pass ?? true, message).toBe(true);
    expect(check.probs?.pass ?? true, message).toBe(true);
    expect(check.projected?.pass ?? !c.dModel, message).toBe(true);
  });
});

describe.skipIf(!gpu)('heads and the output projection', () => {
  it('computes each head from its own column block, scores laid out h × n × m', async () => {
    const c: AttentionCase = { name: 'split', n: 12, m: 20, dk: 4, dv: 3, heads: 4, seed: 1100 };
    const { inputs, options } = buildCase(c);
    const all = await engine().run(inputs, options, { variant: 'tiled', intermediates: true });
    for (let t = 0; t < 4; t++) {
      const one = await engine().run(
        { q: columns(inputs.q, t * 4, 4), k: columns(inputs.k, t * 4, 4), v: columns(inputs.v, t * 3, 3) },
        { ...options, heads: 1 },
        { variant: 'tiled', intermediates: true },
      );
      expect(Array.from(all.scores!.subarray(t * 12 * 20, (t + 1) * 12 * 20))).toEqual(Array.from(one.scores!));
      expect(Array.from(columns(all.output, t * 3, 3).data)).toEqual(Array.from(one.output.data));
    }
  });

  it.each(VARIANT_NAMES)('%s: projects in row blocks with the same result as one block', async (variant) => {
    const c: AttentionCase = { name: 'blocks', n: 50, m: 30, dk: 4, dv: 4, heads: 2, causal: true, dModel: 6, seed: 1101 };
    const { inputs, options } = buildCase(c);
    const whole = await engine().run(inputs, options, { variant });
    // A 1 KiB binding holds K and V (960 bytes each) but only 32 rows of Q and of the output (32
    // bytes each), and 4 rows of scores (240 bytes each): blocks for every variant.
    const blocked = await engine({ maxStorageBufferBindingSize: 1024 }).run(inputs, options, { variant, poison: true });
    expect(whole.blocks).toBe(1);
    expect(blocked.blocks).toBeGreaterThan(1);
    expect(Array.from(blocked.projected!.data)).toEqual(Array.from(whole.projected!.data));
    expect(checkAgainstReference(inputs, options, { ...blocked, output: blocked.output.data }).pass).toBe(true);
  });

  it('projects a range of query rows', async () => {
    const c: AttentionCase = { name: 'rows', n: 30, m: 25, dk: 5, dv: 3, heads: 2, causal: true, dModel: 7, seed: 1102 };
    const { inputs, options } = buildCase(c);
    const part = await engine().run(inputs, options, { variant: 'fused', rows: [11, 19], poison: true });
    expect(part.projected?.rows).toBe(8);
    expect(checkAgainstReference(inputs, options, { ...part, output: part.output.data }).projected?.pass).toBe(true);
  });

  it('fails the check when the projection reads W_o transposed', async () => {
    const broken = shaders['output_projection.wgsl'].replace(
      'w = wo[kw * params.d_model + col];',
      'w = wo[col * params.heads * params.dv + kw];',
    );
    expect(broken).not.toBe(shaders['output_projection.wgsl']);
    // W_o is square here, so the transposed read stays in bounds and only the values are wrong.
    const c: AttentionCase = { name: 'transposed', n: 6, m: 9, dk: 4, dv: 4, heads: 2, dModel: 8, seed: 1103 };
    const { inputs, options } = buildCase(c);
    const result = await engine().run(inputs, options, { kernels: { project: broken }, poison: true });
    const check = checkAgainstReference(inputs, options, { ...result, output: result.output.data });
    expect(check.output.pass).toBe(true);
    expect(check.projected?.pass).toBe(false);
  });

  it('rejects a W_o whose rows do not match h·dv', async () => {
    const c: AttentionCase = { name: 'bad W_o', n: 3, m: 4, dk: 2, dv: 3, heads: 2, seed: 1104 };
    const { inputs, options } = buildCase(c);
    const run = engine().run({ ...inputs, wo: randomMatrix(5, 4, 1) }, options);
    await expect(run).rejects.toThrow(InputError);
    await expect(engine().run({ ...inputs, wo: randomMatrix(5, 4, 1) }, options)).rejects.toThrow(/W_o is 5×4 but must have h·dv = 6 rows/);
  });
});
