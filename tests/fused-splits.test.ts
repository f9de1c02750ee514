/**
 * Split-KV ("flash decoding") in the fused variant: the keys split along the fused grid's y, each
 * split's partial softmax merged by the combine stage. Forced split counts 1, 2, 3 and 7 and the
 * engine's own choice, with every feature, against the float64 reference; splits that see no key;
 * the sink counted once; decoding one row against up to 2048 keys; the same bits in row blocks or a
 * range of rows; and a kernel that does not declare SUPPORTS_KEY_SPLITS running unsplit. The
 * split cases run in every form of the kernel: with subgroups as 'auto' chooses them
 * (src/core/subgroups.ts), with its prefill in pairs of lanes, and without subgroups.
 */
import { describe, expect, it } from 'vitest';
import { AttentionEngine } from '../src/gpu/engine';
import type { SharedLanes } from '../src/core/subgroups';
import { layoutRunsSubgroupForm, QUAD_LANES } from '../src/core/subgroups';
import { DECODE_MAX_ROWS } from '../src/gpu/interface';
import { isSoftwareAdapter } from '../src/gpu/device';
import { chooseKeySplits, SOFTWARE_TARGET_WORKGROUPS, TARGET_WORKGROUPS } from '../src/core/key-splits';
import type { RunOptions, RunResult } from '../src/gpu/engine';
import { loadShaderLibrary } from '../src/node/shaders';
import { checkAgainstReference } from '../src/core/compare-run';
import type { AttentionOptions } from '../src/core/options';
import type { AttentionInputs } from '../src/core/shapes';
import { createRng, randomMatrix } from '../src/core/rng';
import type { Matrix } from '../src/core/tensor';
import { matrix } from '../src/core/tensor';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import { explainCheck } from './helpers/explain';
import { fixtureSource } from './helpers/mutants';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();
const engine = () => new AttentionEngine(gpu!.device, shaders);

interface SplitCase {
  name: string;
  n: number;
  m: number;
  dk: number;
  dv: number;
  heads: number;
  options: Partial<AttentionOptions>;
  mask?: 'random' | 'fully-masked-row';
  seed: number;
}

function buildInputs(c: SplitCase): AttentionInputs {
  const kvHeads = c.options.kvHeads ?? c.heads;
  let mask: Matrix | null = null;
  if (c.mask) {
    const rng = createRng(c.seed + 3);
    mask = matrix(
      c.n,
      c.m,
      Float32Array.from({ length: c.n * c.m }, () => (rng.next() < 0.7 ? 1 : 0)),
    );
    if (c.mask === 'fully-masked-row') mask.data.fill(0, Math.floor(c.n / 2) * c.m, (Math.floor(c.n / 2) + 1) * c.m);
  }
  return {
    q: randomMatrix(c.n, c.heads * c.dk, c.seed),
    k: randomMatrix(c.m, kvHeads * c.dk, c.seed + 1),
    v: randomMatrix(c.m, kvHeads * c.dv, c.seed + 2),
    mask,
  };
}

// n ≤ 8 runs the kernel's decoding shape (one row per workgroup), more rows its 64-row shape.
const CASES: SplitCase[] = [
  { name: 'plain, n=20 m=200', n: 20, m: 200, dk: 16, dv: 16, heads: 1, options: {}, seed: 5000 },
  {
    name: 'causal, n=70 m=150 (early rows see only the first split)',
    n: 70,
    m: 150,
    dk: 8,
    dv: 8,
    heads: 1,
    options: { causal: true },
    seed: 5001,
  },
  {
    name: 'decoding, GQA 4 on 2, causal, n=1 m=300',
    n: 1,
    m: 300,
    dk: 16,
    dv: 16,
    heads: 4,
    options: { kvHeads: 2, causal: true },
    seed: 5002,
  },
  { name: 'window 40, causal, n=30 m=250', n: 30, m: 250, dk: 8, dv: 8, heads: 1, options: { window: 40, causal: true }, seed: 5003 },
  { name: 'window 25, both sides, n=6 m=200', n: 6, m: 200, dk: 8, dv: 4, heads: 2, options: { window: 25 }, seed: 5004 },
  {
    name: 'ALiBi and softcap 20, n=12 m=220, 2 heads',
    n: 12,
    m: 220,
    dk: 8,
    dv: 8,
    heads: 2,
    options: { alibi: 'standard', softcap: 20 },
    seed: 5005,
  },
  {
    name: 'sinks, causal, n=5 m=200, 2 heads',
    n: 5,
    m: 200,
    dk: 8,
    dv: 8,
    heads: 2,
    options: { sinks: [2, -1], causal: true },
    seed: 5006,
  },
  { name: 'sinks, n=20 m=140, 2 heads', n: 20, m: 140, dk: 8, dv: 8, heads: 2, options: { sinks: [0.5, 3] }, seed: 5007 },
  {
    name: 'mask with a fully masked row, n=16 m=180',
    n: 16,
    m: 180,
    dk: 8,
    dv: 8,
    heads: 1,
    options: {},
    mask: 'fully-masked-row',
    seed: 5008,
  },
  {
    name: 'temperature 0.7, dk=13 dv=7, n=10 m=140',
    n: 10,
    m: 140,
    dk: 13,
    dv: 7,
    heads: 1,
    options: { temperature: 0.7 },
    seed: 5009,
  },
  {
    name: 'everything: GQA, window, ALiBi, softcap, sinks, causal, mask, temperature, dk=12 dv=20, n=24 m=260',
    n: 24,
    m: 260,
    dk: 12,
    dv: 20,
    heads: 4,
    options: { kvHeads: 2, window: 60, alibi: 'standard', softcap: 30, sinks: [1, -2, 0, 4], causal: true, temperature: 1.3 },
    mask: 'random',
    seed: 5010,
  },
  {
    // Past 32 columns of Q and of the values: both lanes of a pair of the prefill hold some of them.
    name: 'everything at dk=48 dv=40, n=67 m=230',
    n: 67,
    m: 230,
    dk: 48,
    dv: 40,
    heads: 4,
    options: { kvHeads: 2, window: 90, alibi: 'standard', softcap: 30, sinks: [1, -2, 0, 4], causal: true, temperature: 1.3 },
    mask: 'random',
    seed: 5013,
  },
  {
    name: 'everything, decoding: n=3 m=300',
    n: 3,
    m: 300,
    dk: 12,
    dv: 20,
    heads: 4,
    options: { kvHeads: 2, window: 200, alibi: 'standard', softcap: 30, sinks: [1, -2, 0, 4], causal: true, temperature: 1.3 },
    mask: 'random',
    seed: 5011,
  },
  { name: 'wide heads dk=130 dv=129, n=6 m=200', n: 6, m: 200, dk: 130, dv: 129, heads: 1, options: {}, seed: 5012 },
];

const SPLITS: (number | 'auto')[] = [1, 2, 3, 7, 'auto'];

async function run(c: SplitCase, extra: RunOptions = {}): Promise<RunResult> {
  return engine().run(buildInputs(c), { heads: c.heads, ...c.options }, { variant: 'fused', poison: true, ...extra });
}

function expectReference(c: SplitCase, result: RunResult) {
  const inputs = buildInputs(c);
  const comparison = checkAgainstReference(inputs, { heads: c.heads, ...c.options }, { ...result, output: result.output.data });
  expect(comparison.output.pass, explainCheck(comparison, c.seed)).toBe(true);
  expect(result.output.data.every(Number.isFinite)).toBe(true);
}

// Each split count in every form of the kernel: with subgroups where the device has them (auto:
// shared lanes on a GPU, not on a CPU emulator), with shared lanes wherever there are subgroups
// (shared: the prefill in pairs, the decoding shape in quads), and the portable kernel (off).
const FORMS = SPLITS.flatMap((splits) => (['auto', 'shared', 'off'] as const).map((subgroups) => ({ splits, subgroups })));
const sharedHere = async (c: SplitCase): Promise<SharedLanes | null> => {
  const layout = await engine().subgroupLayout();
  if (!layoutRunsSubgroupForm(layout) || c.dk > 128) return null;
  if (c.n > DECODE_MAX_ROWS) return 'pairs';
  return layout!.sizes[0] % QUAD_LANES === 0 ? 'quads' : null;
};

describe.skipIf(!gpu).each(FORMS)('fused with $splits key split(s), subgroups $subgroups', ({ splits, subgroups }) => {
  it.each(CASES)('$name', async (c) => {
    const result = await run(c, splits === 'auto' ? { subgroups } : { keySplits: splits, subgroups });
    if (subgroups === 'off') expect(result.subgroups).toBe(false);
    if (subgroups === 'shared') expect(result.subgroupLanes).toBe(await sharedHere(c));
    if (splits !== 'auto') expect(result.keySplits).toBe(splits);
    expect(result.stages).toEqual(result.keySplits > 1 ? ['fused', 'combine'] : ['fused']);
    expectReference(c, result);
  });
});

describe.skipIf(!gpu)('splits that see no key', () => {
  it('7 splits of 64 keys over m = 130: four see nothing, the output is right', async () => {
    const c: SplitCase = { name: 'empty', n: 12, m: 130, dk: 8, dv: 8, heads: 1, options: {}, seed: 5100 };
    expectReference(c, await run(c, { keySplits: 7 }));
  });

  it('a row that sees no key gives zeros with a sink and splits (the sink counts once, and has no value)', async () => {
    const c: SplitCase = {
      name: 'masked',
      n: 16,
      m: 200,
      dk: 8,
      dv: 8,
      heads: 1,
      options: { sinks: [5] },
      mask: 'fully-masked-row',
      seed: 5101,
    };
    const result = await run(c, { keySplits: 3 });
    expectReference(c, result);
    const row = Math.floor(c.n / 2);
    expect([...result.output.data.subarray(row * c.dv, (row + 1) * c.dv)]).toEqual(new Array(c.dv).fill(0));
  });

  it('the sink counts once: the same answer with 1 and 7 splits', async () => {
    const c: SplitCase = { name: 'sink once', n: 2, m: 400, dk: 8, dv: 8, heads: 1, options: { sinks: [3] }, seed: 5102 };
    const one = await run(c, { keySplits: 1 });
    const seven = await run(c, { keySplits: 7 });
    for (let i = 0; i < one.output.data.length; i++) expect(seven.output.data[i]).toBeCloseTo(one.output.data[i], 5);
  });
});

describe.skipIf(!gpu)('decoding one row, 8 heads on 2 K/V heads, dk = dv = 64', () => {
  it.each([64, 257, 1000, 2048])('m = %i, the engine’s split choice and none', async (m) => {
    const c: SplitCase = { name: 'decode', n: 1, m, dk: 64, dv: 64, heads: 8, options: { kvHeads: 2, causal: true }, seed: 5200 + m };
    const auto = await run(c);
    // The choice follows the device: hundreds of workgroups on a GPU (64 splits at m = 2048 → 8), one
    // on a CPU emulator (no split).
    const target = isSoftwareAdapter(gpu!.device.adapterInfo) ? SOFTWARE_TARGET_WORKGROUPS : TARGET_WORKGROUPS;
    expect(auto.keySplits).toBe(
      chooseKeySplits({ n: 1, m, heads: 8, rowsPerWorkgroup: 1, causal: true, targetWorkgroups: target }).keySplits,
    );
    if (m === 2048 && target === TARGET_WORKGROUPS) expect(auto.keySplits).toBeGreaterThan(1);
    expectReference(c, auto);
    expectReference(c, await run(c, { keySplits: 1 }));
  });
});

describe.skipIf(!gpu).each(['auto', 'shared'] as const)('the same bits in row blocks and ranges of rows, subgroups %s', (subgroups) => {
  it.each([
    {
      name: '64-row shape, 3 splits, causal, sinks',
      c: { n: 40, m: 300, heads: 2, options: { causal: true, sinks: [1, 2] } },
      range: [10, 30],
    },
    { name: 'decoding shape, 3 splits, window', c: { n: 5, m: 300, heads: 2, options: { causal: true, window: 100 } }, range: [2, 4] },
  ])('$name', async ({ c: partial, range }) => {
    // dk and dv past 32: both lanes of a pair hold columns.
    const c: SplitCase = { name: 'bits', dk: 40, dv: 36, seed: 5300, ...partial };
    const whole = await run(c, { keySplits: 3, subgroups });
    // Blocks of 3 rows: a row is the first of its pair in one run and the second in another.
    const blocks = await run(c, { keySplits: 3, maxBlockRows: 3, subgroups });
    expect(blocks.blocks).toBeGreaterThan(1);
    expect(blocks.output.data).toEqual(whole.output.data);
    const [start, end] = range as [number, number];
    const part = await run(c, { keySplits: 3, rows: [start, end], subgroups });
    const width = c.heads * c.dv;
    expect(part.output.data).toEqual(whole.output.data.subarray(start * width, end * width));
  });
});

describe.skipIf(!gpu)('a fused kernel without SUPPORTS_KEY_SPLITS', () => {
  it('runs with one split, writing out itself, whatever keySplits says', async () => {
    const source = fixtureSource({ file: 'fused_rowwise_features.wgsl' });
    expect(source).not.toMatch(/SUPPORTS_KEY_SPLITS/);
    const c: SplitCase = { name: 'old', n: 20, m: 200, dk: 8, dv: 8, heads: 2, options: { causal: true }, seed: 5400 };
    const result = await run(c, { keySplits: 3, kernels: { fused: source } });
    expect(result.keySplits).toBe(1);
    expect(result.stages).toEqual(['fused']);
    expectReference(c, result);
  });
});
