import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unsyncedWorkgroupReads } from '../src/core/verify/barriers';
import type { VerifyCase } from '../src/core/verify/cases';
import { caseInputs, caseProblem, fullyMaskedRows, tileSizes, verifyCases } from '../src/core/verify/cases';
import type { FeatureName } from '../src/core/features';
import { kvHeadOf } from '../src/core/features';
import { coverageOf } from '../src/core/verify/coverage';
import { pairwise } from '../src/core/verify/pairwise';
import { checkStage, constantFactor, differingElements, POISON_BITS } from '../src/core/verify/check-stage';
import { attentionReference, softmaxReference } from '../src/core/reference';
import { poisonArray } from '../src/core/poison';
import { diagnose, passWarnings } from '../src/core/verify/hints';
import { loopVarsReadFirst } from '../src/core/verify/loop-vars';
import { subgroupSource } from '../src/gpu/subgroups';
import type { VerifyReport } from '../src/core/verify/report';
import { compileErrorLines, formatReport, reportSummary } from '../src/core/verify/report';
import { requestAttentionDevice } from '../src/gpu/device';
import { AttentionEngine } from '../src/gpu/engine';
import { RunCancelledError } from '../src/core/errors';
import { DeviceLostError } from '../src/gpu/errors';
import type { StageName } from '../src/core/stages';
import { loadShaderLibrary } from '../src/node/shaders';
import { nodeGpu } from '../src/node/webgpu';
import type { RecordedRun } from '../src/gpu/verify-suite';
import { builtInKernels, subgroupWidths, verifyKernel } from '../src/gpu/verify-suite';
import { STAGES } from '../src/gpu/interface';
import { chooseKeySplits, forcedKeySplits, keySplitsHoldingKeys, SOFTWARE_TARGET_WORKGROUPS } from '../src/core/key-splits';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import { caseRow } from './helpers/case-report';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();
const engine = () => new AttentionEngine(gpu!.device, shaders);

const EXAMPLES = join(import.meta.dirname, '../examples/kernels');
interface Example {
  file: string;
  stage: StageName;
  name: string;
  description: string;
  expectedHint: string;
}
const manifest = JSON.parse(readFileSync(join(EXAMPLES, 'index.json'), 'utf8')) as Example[];
const exampleSource = (file: string) => readFileSync(join(EXAMPLES, file), 'utf8');

/** The report's table and hints, for a failure message that says what happened. */
const explain = (report: VerifyReport) => `\n${formatReport(report)}`;

const QK_FEATURES: FeatureName[] = ['kvHeads', 'window', 'alibi', 'softcap'];
const FUSED_FEATURES: FeatureName[] = [...QK_FEATURES, 'sinks'];
const ROPE_TILES = { rows: 8, pairs: 32, inner: ['dk' as const] };

describe('the suite', () => {
  it("derives sizes 1, T−1, T, T+1 and 2T+1 along each axis from the kernel's own tiles", () => {
    expect(tileSizes([8, 8, 1])).toEqual([8, 16]);
    const cases = verifyCases({ tiles: { rows: 64, keys: 64, inner: ['dk'] } });
    for (const size of [63, 64, 65, 129]) {
      expect(
        cases.some((c) => c.n === size && c.tags.includes('tile-edge')),
        `n=${size}`,
      ).toBe(true);
      expect(
        cases.some((c) => c.m === size && c.tags.includes('tile-edge')),
        `m=${size}`,
      ).toBe(true);
    }
    expect(cases.some((c) => c.n === 1 && c.m === 1)).toBe(true);
    // 2T+1: three workgroups along the axis, the last one partial.
    const multi = cases.filter((c) => c.tags.includes('multi-wg'));
    expect(multi.some((c) => c.n === 129 && c.m <= 64)).toBe(true);
    expect(multi.some((c) => c.m === 129 && c.n <= 64)).toBe(true);
    expect(cases.some((c) => c.dk > 32 && c.tags.includes('inner'))).toBe(true);
  });

  it('covers every pair of options, row blocks and the score distributions', () => {
    const cases = verifyCases();
    const tagged = (...tags: VerifyCase['tags']) => cases.filter((c) => tags.every((t) => c.tags.includes(t))).length;
    for (const tag of ['cross', 'widths', 'heads', 'causal', 'mask', 'masked-row', 'large-scores', 'scale', 'aligned'] as const)
      expect(tagged(tag), tag).toBeGreaterThan(0);
    for (const pair of [
      ['heads', 'widths'],
      ['heads', 'cross'],
      ['causal', 'mask'],
      ['causal', 'cross'],
      ['mask', 'cross'],
      ['heads', 'temperature'],
    ] as const)
      expect(tagged(...pair), pair.join(' + ')).toBeGreaterThan(0);
    for (const tag of ['row-blocks', 'very-negative', 'equal-scores', 'one-visible', 'tiny-scores', 'mixed-heads'] as const)
      expect(tagged(tag), tag).toBeGreaterThan(0);
    expect(tagged('seed')).toBeGreaterThanOrEqual(2);
    expect(new Set(cases.map((c) => c.seed)).size).toBe(cases.length);
    expect(verifyCases({ seed: 7 }).map((c) => c.seed)).toEqual(cases.map((c) => c.seed + 7));
    // Past 256 only in the reach cases, which keep dk and dv small (SwiftShader is slow).
    for (const c of cases.filter((x) => Math.max(x.n, x.m) > 256)) {
      expect(c.tags, c.name).toContain('large-sizes');
      expect(Math.max(c.dk, c.dv), c.name).toBeLessThanOrEqual(8);
    }
  });

  const STAGE_SUITES: [string, Parameters<typeof verifyCases>[0]][] = [
    ['qk', { stage: 'qk', tiles: { rows: 16, keys: 16, inner: ['dk'] } }],
    ['softmax', { stage: 'softmax', tiles: { rows: 64, lanes: 1, inner: ['m'] } }],
    ['pv', { stage: 'pv', tiles: { rows: 16, dv: 16, inner: ['m'] } }],
    ['fused', { stage: 'fused', tiles: { rows: 64, inner: ['dk', 'm', 'dv'] } }],
    ['fused with K/V heads', { stage: 'fused', features: ['kvHeads'], tiles: { rows: 64, inner: ['dk', 'm', 'dv'] } }],
    ['project', { stage: 'project', tiles: { rows: 16, dModel: 16, inner: ['hdv'] } }],
    ['rope', { stage: 'rope', tiles: ROPE_TILES }],
    ['rope with K heads', { stage: 'rope', features: ['kvHeads'], tiles: ROPE_TILES }],
  ];

  it.each(STAGE_SUITES)(
    '%s: sizes past the powers of two (m and n past 256, off multiples of 64; 5+ heads; GQA where declared)',
    (_, options) => {
      const cases = verifyCases(options);
      const off64 = (x: number) => x > 256 && x % 64 !== 0;
      expect(cases.some((c) => off64(c.m) && c.tags.includes('large-sizes'))).toBe(true);
      expect(cases.some((c) => off64(c.n) && c.tags.includes('large-sizes'))).toBe(true);
      expect(cases.some((c) => c.heads >= 5 && c.tags.includes('large-sizes'))).toBe(true);
      const grouped = cases.some((c) => c.heads >= 5 && c.kvHeads !== undefined && c.kvHeads >= 2 && c.kvHeads < c.heads);
      expect(grouped).toBe(options!.features?.includes('kvHeads') ?? false);
      for (const c of cases) expect(caseProblem(c, options!.stage), c.name).toBeNull();
    },
  );

  // A running max started at a finite floor (−1e4, −65504) turns a row whose visible scores all lie
  // below it into zeros: the deep rows must be deep enough for that and still checkable.
  it.each(['softmax', 'fused'] as const)('%s: rows far below −1e4 whose zeros fail the check and whose reference passes', (stage) => {
    const deep = verifyCases({ stage }).filter((c) => c.distribution === 'very-negative' && (c.depth ?? 0) >= 1e5);
    const depths = deep.map((c) => c.depth!);
    if (stage === 'softmax') expect(Math.max(...depths)).toBeGreaterThanOrEqual(1e30);
    expect(deep.some((c) => c.mask === 'one-visible')).toBe(true);
    for (const c of deep) {
      const { inputs, options } = caseInputs(c);
      const ref = attentionReference(inputs, options);
      const scores = Float32Array.from(ref.masked.data);
      // The softmax stage is checked on the GPU's (float32) scores; its weights as a correct kernel gives them.
      const probs = Float32Array.from(stage === 'softmax' ? softmaxReference(scores, c.heads, c.n, c.m, null).data : ref.probs.data);
      const output = Float32Array.from(ref.output.data);
      expect(Math.max(...scores.filter(Number.isFinite)), c.name).toBeLessThan(-1e4 - 100);
      const masked = fullyMaskedRows(c, inputs);
      const right = checkStage(stage, inputs, options, { scores, probs, output }, masked);
      expect(right.comparison.pass, c.name).toBe(true);
      const zeros =
        stage === 'softmax'
          ? { scores, probs: new Float32Array(probs.length), output }
          : { scores, probs, output: new Float32Array(output.length) };
      expect(checkStage(stage, inputs, options, zeros, masked).comparison.pass, c.name).toBe(false);
    }
  });

  it('a pairwise covering array holds every pair of values', () => {
    const factors = { a: [0, 1, 2], b: ['x', 'y'], c: [true, false], d: [1, 2, 3] } as const;
    const rows = pairwise(factors);
    const keys = Object.keys(factors) as (keyof typeof factors)[];
    for (const [i, p] of keys.entries())
      for (const q of keys.slice(i + 1))
        for (const vp of factors[p])
          for (const vq of factors[q])
            expect(
              rows.some((r) => r[p] === vp && r[q] === vq),
              `${p}=${vp} ${q}=${vq}`,
            ).toBe(true);
    expect(rows.length).toBeLessThan(3 * 2 * 2 * 3);
    expect(pairwise(factors)).toEqual(rows);
  });
});

describe("the fused stage's cases take the shapes they are meant for", () => {
  const suite = verifyCases({ stage: 'fused', features: FUSED_FEATURES, keySplits: true, tiles: { rows: 64, inner: ['dk', 'm', 'dv'] } });
  // As the engine runs a case on a CPU emulator: DECODE from the whole problem (the fused stage's own
  // constants), the key splits the case forces or else the engine's choice (one there).
  const decoding = (c: VerifyCase) =>
    STAGES.fused.constants!(
      { maxComputeWorkgroupStorageSize: 16384 },
      { n: c.n, m: c.m, dk: c.dk, dv: c.dv, heads: c.heads, kvHeads: c.kvHeads },
    ).DECODE === 1;
  const splitsOf = (c: VerifyCase) =>
    c.keySplits !== undefined
      ? forcedKeySplits(c.m, c.keySplits)
      : chooseKeySplits({
          n: c.n,
          m: c.m,
          heads: c.heads,
          rowsPerWorkgroup: decoding(c) ? 1 : 64,
          causal: c.causal,
          window: c.window,
          targetWorkgroups: SOFTWARE_TARGET_WORKGROUPS,
        });
  const split = (c: VerifyCase) => keySplitsHoldingKeys(c.m, splitsOf(c)) >= 2;
  // The decoding shape's 64 lanes take 4 keys each a batch (shaders/flash_attention.wgsl): a lane's
  // second batch, where its running max may rise, starts past 256 keys of a split.
  const DECODE_BATCH = 64 * 4;
  const batches = (c: VerifyCase) => Math.ceil(Math.min(splitsOf(c).splitKeys, c.m) / DECODE_BATCH);

  it('decoding rows past two batches a lane, with and without splits', () => {
    expect(suite.some((c) => decoding(c) && !split(c) && batches(c) >= 3)).toBe(true);
    expect(suite.some((c) => decoding(c) && split(c) && batches(c) >= 3 && c.m - splitsOf(c).splitKeys > 2 * DECODE_BATCH)).toBe(true);
  });

  it('each feature in both shapes, split and not', () => {
    for (const tag of ['gqa', 'window', 'alibi', 'softcap', 'sinks'] as const)
      for (const dec of [true, false])
        for (const s of [true, false])
          expect(
            suite.some((c) => c.tags.includes(tag) && decoding(c) === dec && split(c) === s),
            `${tag} ${dec ? 'decoding' : '64 rows'} ${s ? 'split' : 'unsplit'}`,
          ).toBe(true);
    // A split a lane takes two batches of, with each feature, in the decoding shape.
    for (const tag of ['gqa', 'window', 'alibi', 'softcap', 'sinks'] as const)
      expect(
        suite.some((c) => c.tags.includes(tag) && decoding(c) && split(c) && batches(c) >= 2),
        tag,
      ).toBe(true);
  });

  it('the split cases (the combine stage runs only these): a row that sees no key and rows far below zero, in both shapes', () => {
    const splits = suite.filter(split);
    expect(splits.length).toBe(suite.filter((c) => (c.keySplits ?? 1) > 1).length);
    for (const dec of [true, false]) {
      expect(splits.some((c) => decoding(c) === dec && c.tags.includes('masked-row'))).toBe(true);
      expect(splits.some((c) => decoding(c) === dec && c.distribution === 'very-negative')).toBe(true);
    }
    // Unsplit decoding rows far below zero: the lanes' maxima merged in one workgroup.
    expect(suite.some((c) => decoding(c) && !split(c) && c.distribution === 'very-negative')).toBe(true);
  });

  it('dk and dv past 128 in both shapes', () => {
    for (const dec of [true, false]) {
      expect(suite.some((c) => decoding(c) === dec && c.dk > 128)).toBe(true);
      expect(suite.some((c) => decoding(c) === dec && c.dv > 128)).toBe(true);
    }
  });
});

describe('the feature suites', () => {
  const fused = verifyCases({ features: FUSED_FEATURES, tiles: { rows: 64, inner: ['dk', 'm', 'dv'] } });
  const has = (c: VerifyCase, ...tags: VerifyCase['tags']) => tags.every((t) => c.tags.includes(t));
  const count = (cases: VerifyCase[], ...tags: VerifyCase['tags']) => cases.filter((c) => has(c, ...tags)).length;

  it('gives a feature cases only when the kernel declares it', () => {
    const plain = verifyCases();
    expect(verifyCases({ features: [] })).toEqual(plain);
    for (const tag of ['gqa', 'window', 'alibi', 'softcap', 'sinks', 'rope'] as const) expect(count(plain, tag), tag).toBe(0);
    // Decoding rows are no feature: every kernel gets some (past 256 keys, far below zero, heads past 128 columns), with no feature on.
    expect(plain.filter((c) => has(c, 'decode')).every((c) => !c.kvHeads && !c.window && !c.alibi && !c.softcap && !c.sinks)).toBe(true);
    const softmax = verifyCases({ features: ['sinks'] });
    expect(count(softmax, 'sinks')).toBeGreaterThan(5);
    for (const tag of ['gqa', 'window', 'alibi', 'softcap', 'rope'] as const) expect(count(softmax, tag), tag).toBe(0);
  });

  it('every case can run: options that fit the sizes, and valid inputs', () => {
    for (const c of [...fused, ...verifyCases({ stage: 'rope', features: ['kvHeads'], tiles: ROPE_TILES })]) {
      expect(caseProblem(c, c.rope ? 'rope' : 'fused'), c.name).toBeNull();
      const { inputs, options } = caseInputs(c);
      expect(inputs.k.cols, c.name).toBe((c.kvHeads ?? c.heads) * c.dk);
      expect(inputs.v.cols, c.name).toBe((c.kvHeads ?? c.heads) * c.dv);
      if (c.sinks) expect(options.sinks, c.name).toHaveLength(c.heads);
      if (Array.isArray(c.alibi)) expect(options.alibi, c.name).toHaveLength(c.heads);
    }
  });

  it('grouped heads that tell ⌊t / group⌋ from t mod kvHeads, and multi-query', () => {
    const grouped = fused.filter((c) => has(c, 'gqa-grouped'));
    const shapes = new Set(grouped.map((c) => `${c.heads}/${c.kvHeads}`));
    for (const shape of ['4/2', '6/3', '6/2']) expect(shapes, shape).toContain(shape);
    for (const c of grouped) {
      const group = c.heads / c.kvHeads!;
      const differs = Array.from({ length: c.heads }, (_, t) => kvHeadOf(t, c.heads, c.kvHeads!) !== t % c.kvHeads!).some(Boolean);
      expect(differs, `${c.name} (group ${group})`).toBe(true);
    }
    expect(fused.some((c) => c.kvHeads === 1 && c.heads === 3)).toBe(true);
  });

  it('windows at the edges: 1, 2, m − 1 and ≥ m, causal and both-sided, with rows that see no key', () => {
    const windows = fused.filter((c) => c.window !== undefined);
    for (const [w, causal] of [
      [1, true],
      [1, false],
      [2, true],
      [2, false],
    ] as const)
      expect(
        windows.some((c) => c.window === w && c.causal === causal),
        `w=${w} causal=${causal}`,
      ).toBe(true);
    expect(windows.some((c) => c.window === c.m - 1 && c.causal)).toBe(true);
    expect(windows.some((c) => c.window === c.m - 1 && !c.causal)).toBe(true);
    expect(windows.filter((c) => c.window! >= c.m).length).toBeGreaterThanOrEqual(2);
    expect(count(windows, 'bidirectional', 'masked-row')).toBeGreaterThan(0);
    expect(count(windows, 'row-blocks')).toBeGreaterThan(0);
    expect(windows.some((c) => c.m > 128)).toBe(true);
  });

  it('ALiBi, softcap and sinks where a misplaced feature fails', () => {
    expect(count(fused, 'alibi', 'heads')).toBeGreaterThan(1);
    expect(count(fused, 'alibi', 'bidirectional')).toBeGreaterThan(0);
    expect(count(fused, 'alibi', 'causal')).toBeGreaterThan(0);
    expect(count(fused, 'alibi', 'gqa')).toBeGreaterThan(0);
    expect(fused.some((c) => c.alibi && c.n !== c.m)).toBe(true);
    expect(count(fused, 'softcap-hidden')).toBeGreaterThan(0);
    expect(count(fused, 'softcap', 'scaled')).toBeGreaterThan(0);
    expect(count(fused, 'softcap', 'alibi')).toBeGreaterThan(0);
    expect(count(fused, 'softcap', 'large-scores')).toBeGreaterThan(0);
    expect(count(fused, 'sinks', 'sink-far')).toBeGreaterThan(0);
    expect(count(fused, 'sinks', 'masked-row')).toBeGreaterThan(1);
    expect(count(fused, 'sinks', 'heads')).toBeGreaterThan(1);
    const decode = fused.filter((c) => has(c, 'decode'));
    expect(decode.some((c) => c.n === 1 && c.m >= 100 && c.kvHeads && c.window && c.alibi && c.softcap && c.sinks)).toBe(true);
  });

  it('meets every feature with every option of the pairwise array, and the features with each other', () => {
    const { pairs } = coverageOf(fused.filter((c) => has(c, 'pairwise')));
    for (const feature of ['gqa', 'window', 'alibi', 'softcap', 'sinks'])
      for (const option of [
        'causal',
        'mask',
        'cross',
        'widths',
        'heads',
        'scale',
        'temperature',
        'gqa',
        'window',
        'alibi',
        'softcap',
        'sinks',
      ])
        if (feature !== option) expect(pairs.covered, `${feature}+${option}`).toContain([feature, option].sort().join('+'));
  });

  it('the rope stage: both layouts, offsets, bases, fractions, n ≠ m, row blocks, grouped K heads and decode', () => {
    const rope = verifyCases({ stage: 'rope', features: ['kvHeads'], tiles: ROPE_TILES });
    expect(rope.every((c) => c.rope !== undefined)).toBe(true);
    for (const tag of [
      'rope-half',
      'rope-interleaved',
      'rope-offset',
      'rope-base',
      'rope-fraction',
      'rope-shifted',
      'row-blocks',
      'gqa',
      'decode',
    ] as const)
      expect(count(rope, tag), tag).toBeGreaterThan(0);
    for (const layout of ['rope-half', 'rope-interleaved'] as const)
      for (const other of ['rope-offset', 'rope-base', 'rope-fraction', 'rope-shifted', 'gqa'] as const)
        expect(count(rope, layout, other), `${layout}+${other}`).toBeGreaterThan(0);
    expect(rope.some((c) => c.rope!.offset < 0)).toBe(true);
    expect(rope.some((c) => c.dk % 2 === 1 && c.rope!.dims === c.dk - 1)).toBe(true);
    // Two workgroups along the pairs and along the rows.
    expect(rope.some((c) => c.dk / 2 > 32)).toBe(true);
    expect(verifyCases({ stage: 'rope', tiles: ROPE_TILES }).some((c) => c.kvHeads !== undefined)).toBe(false);
  });

  it('says why a case cannot run', () => {
    const [c] = fused;
    expect(caseProblem({ ...c, heads: 4, kvHeads: 3 })).toMatch(/do not divide/);
    expect(caseProblem({ ...c, dk: 5, rope: { layout: 'half', base: 10000, dims: null, offset: 0 } })).toMatch(/RoPE cannot rotate/);
    expect(caseProblem(c, 'rope')).toMatch(/needs RoPE/);
    expect(caseProblem(c)).toBeNull();
  });

  it('a constrained covering array holds every pair some allowed row can hold, and only allowed rows', () => {
    const factors = { heads: [1, 2, 3], gqa: [false, true], causal: [false, true] } as const;
    const allowed = (r: { heads: number; gqa: boolean }) => !(r.gqa && r.heads === 1);
    const rows = pairwise(factors, { allowed });
    expect(rows.every(allowed)).toBe(true);
    for (const heads of [2, 3]) expect(rows.some((r) => r.heads === heads && r.gqa)).toBe(true);
    for (const causal of [false, true]) expect(rows.some((r) => r.gqa && r.causal === causal)).toBe(true);
  });
});

describe('symptoms', () => {
  it('tells a never-written poison NaN from a computed one by its bits', () => {
    const poison = poisonArray(1);
    expect(new Uint32Array(poison.buffer)[0]).toBe(POISON_BITS);
    const computed = new Float32Array(new Uint32Array([0xffc00000]).buffer);
    expect(differingElements(poison, computed)).toBe(1);
    expect(differingElements(poison, new Float32Array([NaN]))).toBe(1);
    expect(differingElements(poison, poisonArray(1))).toBe(0);
  });

  it('finds a constant factor only when every sizeable element shares it', () => {
    expect(constantFactor([2, -4, 0.01, -Infinity], [1, -2, 0.004, -Infinity])).toBeCloseTo(2, 10);
    expect(constantFactor([1, 2], [1, 2])).toBeNull();
    expect(constantFactor([2, 3], [1, 2])).toBeNull();
    expect(constantFactor([2, 0], [1, -Infinity])).toBeNull();
  });

  describe('rows of probabilities that are not normalised', () => {
    const suite = verifyCases();
    // The softmax stage's check of a case, with the kernel's probabilities made from the reference's.
    const softmaxCheck = (c: VerifyCase, probs: (reference: Float64Array, m: number) => Float64Array) => {
      const { inputs, options } = caseInputs(c);
      const ref = attentionReference(inputs, options);
      const gpu = {
        scores: Float32Array.from(ref.masked.data),
        probs: Float32Array.from(probs(ref.probs.data, c.m)),
        output: new Float32Array(0),
      };
      return checkStage('softmax', inputs, options, gpu, fullyMaskedRows(c, inputs));
    };
    // Each row times its own constant, as exp(s − max) without the division gives (the constant is the row's sum).
    const unnormalised = (p: Float64Array, m: number) => p.map((x, i) => x * (1.5 + Math.floor(i / m)));
    const plain = suite.find((c) => c.heads > 1 && !c.causal && c.mask === 'none' && !c.sinks && c.distribution === undefined)!;
    const masked = suite.find((c) => c.tags.includes('masked-row') && !c.sinks)!;
    const sinks = verifyCases({ stage: 'softmax', features: ['sinks'] }).find((c) => !!c.sinks && !c.causal && c.mask === 'none')!;

    it.each([
      ['every row of a plain case', plain, plain.heads * plain.n],
      // Fully masked rows are 0 (sum 0) and times a constant still 0: not counted.
      ['the rows that see a key', masked, undefined],
    ])('counts %s as not summing to 1 when each is the reference times a constant', (_, c, rows) => {
      const check = softmaxCheck(c, unnormalised);
      expect(check.unnormalisedRows).toBeGreaterThan(0);
      if (rows !== undefined) expect(check.unnormalisedRows).toBe(rows);
      else expect(check.unnormalisedRows).toBeLessThan(c.heads * c.n);
    });

    it.each([
      ['the reference itself', plain, (p: Float64Array) => p],
      ['a row with a sink (its reference sums to less than 1), scaled', sinks, unnormalised],
      [
        'rows that are wrong in shape (transposed), not a multiple',
        plain,
        (p: Float64Array, m: number) => p.map((_, i) => p[(i % m) * m + Math.floor(i / m)] ?? 0),
      ],
    ])('counts nothing for %s', (_, c, probs) => {
      const check = softmaxCheck(c, probs);
      expect(check.unnormalisedRows).toBe(0);
    });

    it('rows of zeros (a running max from a finite floor) are no unnormalised rows: the max-init hint comes first', () => {
      // The kernel's weights of every very-negative case all underflow to 0: the reference times 0.
      const zeros = (p: Float64Array) => p.map(() => 0);
      const deep = suite.filter((c) => c.tags.includes('very-negative'));
      expect(deep.length).toBeGreaterThan(0);
      const rows = suite.map((c) => {
        if (!deep.includes(c)) return row(c);
        const check = softmaxCheck(c, zeros);
        expect(check.unnormalisedRows, c.name).toBe(0);
        const { comparison, ...symptoms } = check;
        return row(c, { ...symptoms, status: 'fail', failures: comparison.failures, maxAbs: comparison.maxAbs });
      });
      const hints = diagnose(rows, { stage: 'softmax' });
      expect(hints[0]?.id, hints.map((h) => h.title).join('\n')).toBe('max-init');
      expect(hints.map((h) => h.id)).not.toContain('normalisation');
      for (const r of rows.filter((x) => x.status === 'fail')) expect(r.hint).not.toMatch(/not normalised/);
    });

    it('the diagnosis says the rows are not normalised, not a scale, nor "no pattern"', () => {
      const equal = suite.find((c) => c.tags.includes('equal-scores'))!;
      // An all-equal row without the division is m times the reference: a constant factor, and yet no scale.
      const rows = suite.map((c, i) =>
        c === equal
          ? row(c, { status: 'fail', tensor: 'probs', failures: 5, maxAbs: 1, factor: c.m, unnormalisedRows: c.n * c.heads })
          : i % 2 === 0
            ? row(c, { status: 'fail', tensor: 'probs', failures: 5, maxAbs: 1, unnormalisedRows: c.n })
            : row(c),
      );
      const hints = diagnose(rows, { stage: 'softmax' });
      expect(hints[0]).toMatchObject({
        id: 'normalisation',
        title: 'rows do not sum to 1 → the softmax is not normalised (divide by the row sum)',
      });
      expect(hints.map((h) => h.id)).not.toContain('scale');
      expect(hints.map((h) => h.title)).not.toContain('wrong values with no pattern across the cases');
      const equalRow = rows.find((r) => r.case === equal)!;
      expect(equalRow.hint).toBe(`${equal.n * equal.heads} rows not summing to 1: not normalised`);
      expect(equalRow.hint).not.toMatch(/scale\/temperature/);
    });
  });

  it('flags a loop body’s `var` without an initializer that it reads before assigning, and nothing in the built-in kernels', () => {
    const kernel = (body: string) =>
      `@group(0) @binding(0) var<storage, read_write> out: array<f32>;\nfn f(p: ptr<function, f32>) { *p = 1.0; }\n` +
      `@compute @workgroup_size(1) fn main() {\n${body}\n}`;
    // Line 4 is the first line of the body.
    const found = (body: string) => loopVarsReadFirst(kernel(body)).map((f) => [f.variable, f.line, f.readLine]);
    expect(found('for (var i = 0u; i < 4u; i++) {\n var x: vec4f;\n x[0] += 1.0;\n out[i] = x[0];\n}')).toEqual([['x', 5, 6]]);
    expect(found('for (var i = 0u; i < 4u; i++) {\n var x: f32;\n out[i] = x;\n}')).toEqual([['x', 5, 6]]);
    expect(found('for (var i = 0u; i < 4u; i++) {\n var x: f32;\n x = x + 1.0;\n out[i] = x;\n}')).toEqual([['x', 5, 6]]);
    expect(found('var i = 0u;\nloop {\n var x: f32;\n x += 1.0;\n out[i] = x;\n i++;\n if (i > 3u) { break; }\n}')).toEqual([['x', 6, 7]]);
    expect(found('var i = 0u;\nwhile (i < 4u) {\n var x: f32;\n if (i > 1u) {\n out[i] = x;\n }\n i++;\n}')).toEqual([['x', 6, 8]]);
    expect(found('for (var i = 0u; i < 4u; i++) {\n var j: u32;\n j++;\n out[j] = 1.0;\n}')).toEqual([['j', 5, 6]]);
    // Assigned first (whole, or element by element), its address passed, an initializer, or outside the loop: nothing.
    expect(found('for (var i = 0u; i < 4u; i++) {\n var x: f32;\n x = 2.0;\n out[i] = x;\n}')).toEqual([]);
    expect(
      found('for (var i = 0u; i < 4u; i++) {\n var x: array<f32, 2>;\n for (var j = 0u; j < 2u; j++) { x[j] = 1.0; }\n out[i] = x[0];\n}'),
    ).toEqual([]);
    expect(found('for (var i = 0u; i < 4u; i++) {\n var x: f32;\n f(&x);\n out[i] = x;\n}')).toEqual([]);
    expect(found('for (var i = 0u; i < 4u; i++) {\n var x = vec4f();\n x[0] += 1.0;\n out[i] = x[0];\n}')).toEqual([]);
    expect(found('var x: vec4f;\nfor (var i = 0u; i < 4u; i++) {\n x[0] += 1.0;\n out[i] = x[0];\n}')).toEqual([]);
    expect(loopVarsReadFirst('fn broken( {')).toEqual([]);
    for (const [file, source] of Object.entries(shaders)) expect(loopVarsReadFirst(source), file).toEqual([]);
    const subgroupForm = subgroupSource(shaders['flash_attention.wgsl'], shaders);
    expect(loopVarsReadFirst(subgroupForm)).toEqual([]);
    // The first version of the quads with grouped heads, which decoded wrongly on SwiftShader.
    const zeroed = 'var acc = array<vec4f, QUAD_HEADS_MAX>();';
    expect(subgroupForm).toContain(zeroed);
    const first = loopVarsReadFirst(subgroupForm.replace(zeroed, 'var acc: array<vec4f, QUAD_HEADS_MAX>;'));
    expect(first.map((f) => f.variable)).toEqual(['acc']);
    expect(subgroupForm.split('\n')[first[0].readLine - 1]).toContain('acc[h] +=');
  });

  it('the diagnosis names a loop body’s unset `var` first, with its lines, and a kernel that passes gets a warning', () => {
    const source = readFileSync(join(EXAMPLES, 'pv_accumulator_not_reset.wgsl'), 'utf8');
    const [c] = verifyCases().filter((x) => x.dv > 1);
    const hints = diagnose([row(c, { status: 'fail', failures: 3, maxAbs: 1 })], { stage: 'pv', source });
    expect(hints[0].id).toBe('loop-var');
    expect(hints[0].bugClass).toBe('initialisation');
    const lines = source.split('\n');
    expect(hints[0].lines!.map((l) => lines[l - 1].trim())).toEqual([
      'var acc: f32;',
      'acc += probs[p_base + j] * v[j * v_width + v_col];',
    ]);
    expect(hints[0].detail).toMatch(/Dawn .* keeps the value of the previous iteration/);
    expect(hints.some((h) => h.id === 'wrong')).toBe(false);
    const warnings = passWarnings(source, true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^acc is declared at line \d+ inside a loop with no initializer .* It passed here, but .*: give it an initializer\.$/,
    );
    expect(passWarnings(source.replaceAll('var acc: f32;', 'var acc = 0.0;'), true)).toEqual([]);
  });

  it('flags workgroup memory read after a write with no barrier between, and nothing in the built-in kernels', () => {
    for (const [file, source] of Object.entries(shaders)) expect(unsyncedWorkgroupReads(source), file).toEqual([]);
    const staged = 'k_at(key + 3u * WG, kd, k_stride, k_offset));\n    workgroupBarrier();';
    expect(shaders['qk_scores.wgsl']).toContain(staged);
    const racy = shaders['qk_scores.wgsl'].replace(staged, 'k_at(key + 3u * WG, kd, k_stride, k_offset));');
    const findings = unsyncedWorkgroupReads(racy);
    expect(findings.map((f) => f.variable).sort()).toEqual(['k_tile', 'q_tile']);
    expect(racy.split('\n')[findings[0].line - 1]).toMatch(/(k|q)_tile\[/);
  });
});

const row = caseRow;

describe('diagnosis from the pattern across cases', () => {
  it('an additive score whose tanh overflows (NaN in every saturated case, ordinary cases pass) is named as such', () => {
    // As an unclamped tanh fails: NaN with saturated weights and scores of ±1e3, a softcap's tanh of that NaN a wrong value.
    const rows = verifyCases({ stage: 'qk', score: 'additive', features: ['softcap'] }).map((c) => {
      const nan = c.tags.includes('tanh-saturated') || c.tags.includes('large-scores');
      if (nan) return row(c, { status: 'fail', tensor: 'scores', failures: 30, nonFiniteElsewhere: 30 });
      return c.softcap !== undefined ? row(c, { status: 'fail', tensor: 'scores', failures: 3, maxAbs: 4 }) : row(c);
    });
    expect(rows.filter((r) => r.case.tags.includes('tanh-saturated')).length).toBeGreaterThan(0);
    const hints = diagnose(rows, { stage: 'qk' });
    expect(hints[0], hints.map((h) => h.title).join('\n')).toMatchObject({
      id: 'score-function',
      title: 'Inf/NaN where tanh saturates (pre-activations past ±15) → tanh overflows: clamp its input',
    });
    expect(hints[0].detail).toMatch(/clamp each pre-activation .* to ±15/i);
  });

  const cases = verifyCases();

  it('calls results that change between two runs a race', () => {
    const rows = cases.map((c, i) => row(c, i === 3 ? { status: 'fail', differing: 5, failures: 5 } : {}));
    const hints = diagnose(rows, { stage: 'pv' });
    expect(hints[0].id).toBe('race');
    expect(hints[0].title).toMatch(/workgroupBarrier/);
    expect(rows[3].hint).toMatch(/differs between runs \(5 elements\): race/);
  });

  it('reads a timeout as an infinite loop or a very slow kernel', () => {
    const rows = [row(cases[0]), row(cases[1], { status: 'timeout', tensor: null })];
    expect(diagnose(rows, { stage: 'qk' })[0]).toMatchObject({ id: 'timeout', title: 'timed out — infinite loop or a very slow kernel?' });
  });

  it('blames n and m when only the n ≠ m cases fail', () => {
    const rows = cases.map((c) =>
      row(
        c,
        c.tags.includes('cross') && !c.tags.includes('causal') && !c.tags.includes('masked-row') ? { status: 'fail', failures: 1 } : {},
      ),
    );
    const hints = diagnose(rows, { stage: 'qk' });
    expect(hints.map((h) => h.id)).toContain('cross');
    expect(hints.map((h) => h.bugClass)).toEqual(expect.arrayContaining(['stride', 'bounds']));
  });

  it('names the mechanism from the pattern: several heads with dk ≠ dv → head offset; only all-negative rows → max initialisation', () => {
    const failWhen = (pred: (c: VerifyCase) => boolean) => cases.map((c) => row(c, pred(c) ? { status: 'fail', failures: 1 } : {}));
    const headOffset = diagnose(
      failWhen((c) => c.heads > 1 && c.dk !== c.dv),
      { stage: 'qk' },
    );
    expect(headOffset[0]).toMatchObject({ id: 'head-offset', bugClass: 'head-offset' });
    const maxInit = diagnose(
      failWhen((c) => c.tags.includes('very-negative')),
      { stage: 'softmax' },
    );
    expect(maxInit[0]).toMatchObject({ id: 'max-init', bugClass: 'initialisation' });
    const blocks = diagnose(
      failWhen((c) => c.tags.includes('row-blocks')),
      { stage: 'qk' },
    );
    expect(blocks[0]).toMatchObject({ id: 'causal-shift', bugClass: 'masking' });
  });

  const featureCases = verifyCases({ features: FUSED_FEATURES, tiles: { rows: 64, inner: ['dk', 'm', 'dv'] } });
  const splitCases = verifyCases({
    stage: 'fused',
    features: FUSED_FEATURES,
    keySplits: true,
    tiles: { rows: 64, inner: ['dk', 'm', 'dv'] },
  });
  const ropeCases = verifyCases({ stage: 'rope', features: ['kvHeads'], tiles: ROPE_TILES });
  const tagged =
    (...tags: VerifyCase['tags']) =>
    (c: VerifyCase) =>
      tags.every((t) => c.tags.includes(t));
  it.each([
    ['only softcap cases with hidden keys', 'fused', 'softcap', featureCases, tagged('softcap-hidden'), /after the mask/],
    ['only softcap cases with scale/temperature ≠ 1', 'qk', 'softcap', featureCases, tagged('softcap', 'scaled'), /before the scale/],
    ['every softcap case', 'qk', 'softcap', featureCases, tagged('softcap'), /c·tanh\(s\/c\)/],
    ['only ALiBi on two or more heads', 'qk', 'alibi', featureCases, tagged('alibi', 'heads'), /head’s slope/],
    ['every ALiBi case', 'fused', 'alibi', featureCases, tagged('alibi'), /sign, head or distance/],
    ['only grouped heads on two or more K/V heads', 'pv', 'kv-heads', featureCases, tagged('gqa-grouped'), /not t mod kv_heads/],
    ['every case with fewer K/V heads', 'qk', 'kv-heads', featureCases, tagged('gqa'), /kv_heads wide/],
    ['only non-causal windows', 'qk', 'window', featureCases, tagged('window', 'bidirectional'), /two-sided/],
    ['windows that hide something', 'fused', 'window', featureCases, (c: VerifyCase) => c.window !== undefined && c.window < c.m, /edge/],
    ['every sink case', 'softmax', 'sinks', featureCases, tagged('sinks'), /denominator/],
    [
      'only ALiBi with split keys',
      'fused',
      'alibi',
      splitCases,
      tagged('alibi', 'key-splits'),
      /ALiBi applied otherwise once the keys are split/,
    ],
    ['only softcap with split keys', 'fused', 'softcap', splitCases, tagged('softcap', 'key-splits'), /softcap applied otherwise/],
    ['only windows with split keys', 'fused', 'window', splitCases, tagged('window', 'key-splits'), /window applied otherwise/],
    ['only grouped heads with split keys', 'fused', 'kv-heads', splitCases, tagged('gqa', 'key-splits'), /K\/V heads applied otherwise/],
    ['only sinks on two or more heads', 'softmax', 'sinks', featureCases, tagged('sinks', 'heads'), /head’s sink/],
    ['only RoPE-half cases', 'rope', 'rope', ropeCases, tagged('rope-half'), /\(p, p \+ r\/2\)/],
    ['only RoPE cases with an offset', 'rope', 'rope', ropeCases, tagged('rope-offset'), /position_offset/],
    ['only misaligned queries', 'rope', 'rope', ropeCases, tagged('rope-shifted'), /causal_shift/],
    ['every RoPE case', 'rope', 'rope', ropeCases, (c: VerifyCase) => c.n * c.m > 1, /rotation/],
  ] as const)('%s (%s stage) → the %s class first', (_what, stage, bugClass, suite, fails, title) => {
    const rows = suite.map((c) => row(c, fails(c) ? { status: 'fail', failures: 1 } : {}));
    const hints = diagnose(rows, { stage });
    expect(hints[0], hints.map((h) => h.title).join('\n')).toMatchObject({ id: bugClass, bugClass });
    expect(hints[0].title).toMatch(title);
  });

  it('names each feature when a kernel fails in several features’ cases (declared but not implemented)', () => {
    const ignored = ['window', 'alibi', 'softcap'] as const;
    const rows = featureCases.map((c) =>
      row(
        c,
        ignored.some((t) => c.tags.includes(t)) && !(c.window !== undefined && c.window >= c.m) ? { status: 'fail', failures: 1 } : {},
      ),
    );
    const hints = diagnose(rows, { stage: 'qk' });
    const featureHints = hints.filter((h) => /fails only where features are on/.test(h.title));
    expect(featureHints.map((h) => h.bugClass).sort()).toEqual(['alibi', 'softcap', 'window']);
    expect(hints[0].title, hints.map((h) => h.title).join('\n')).toMatch(
      /^fails only where features are on, in (\d+ of \d+|all \d+|the 1) /,
    );
    expect(hints.map((h) => h.id)).not.toContain('tile-edges');
  });

  it('never leaves a failing kernel without a hint', () => {
    const rows = cases.map((c, i) => row(c, i % 3 === 1 ? { status: 'fail', failures: 1 } : {}));
    expect(diagnose(rows, { stage: 'pv' }).length).toBeGreaterThan(0);
  });

  it('counts the failing cases as a reader says them: "the 1 case fails", "all 3 cases fail"', () => {
    const reduction = (rows: ReturnType<typeof row>[]) =>
      diagnose(rows, { stage: 'pv' }).find((h) => h.id === 'wrong' && h.bugClass === 'reduction')?.detail;
    const seed = cases.find((c) => c.tags.includes('seed'))!;
    expect(reduction([row(seed, { status: 'fail', failures: 1 })])).toMatch(/^the 1 case fails, an ordinary one; /);
    const three = cases.slice(0, 3).map((c) => row(c, { status: 'fail', failures: 1 }));
    expect(reduction(three)).toMatch(/^all 3 cases fail, ordinary ones included; /);
  });

  it('says nothing when everything passes', () => {
    expect(
      diagnose(
        cases.map((c) => row(c)),
        { stage: 'qk' },
      ),
    ).toEqual([]);
  });
});

describe.skipIf(!gpu)('broken examples are rejected with the right hint', () => {
  // A fused kernel builds its own pipelines (head-width buckets, both workgroup shapes) before its cases.
  it.each(manifest)('$file: $name → $expectedHint', { timeout: 400_000 }, async (example) => {
    const source = exampleSource(example.file);
    expect(source.split('\n')[0], 'the first line says what is wrong').toMatch(/^\/\/ BROKEN: .{20,}/);
    const report = await verifyKernel(engine(), { stage: example.stage, source, label: example.file });
    expect(report.status, explain(report)).toBe('fail');
    expect(report.hints[0]?.id, explain(report)).toBe(example.expectedHint);
    // Shrunk to a failing case no larger than the one it came from, within the run budget.
    const smallest = report.smallest!;
    expect(smallest.row.status, explain(report)).toBe('fail');
    expect(smallest.runs).toBeLessThanOrEqual(40);
    const from = report.cases.find((c) => c.name === smallest.from)!.case;
    for (const axis of ['n', 'm', 'dk', 'dv', 'heads'] as const) expect(smallest.row.case[axis]).toBeLessThanOrEqual(from[axis]);
    expect(smallest.row.firstBad, explain(report)).not.toBeNull();
    // A factor the hint quotes is the smallest case's own (GPU over reference), not the suite case's.
    const quoted = /×(\S+): scale\/temperature/.exec(smallest.row.hint)?.[1];
    if (example.expectedHint === 'scale') expect(quoted, explain(report)).toBeDefined();
    if (quoted !== undefined) {
      const bad = smallest.row.firstBad!;
      expect(Math.abs(Number(quoted) / (bad.actual / bad.expected) - 1), explain(report)).toBeLessThan(1e-3);
    }
    expect(report.coverage?.cases).toBe(report.cases.length);
  });
});

describe.skipIf(!gpu)('built-in kernels pass the whole suite', () => {
  it.each(builtInKernels())('$variant $stage $score', async ({ variant, stage, score }) => {
    const e = engine();
    const source = e.source(variant, stage, {}, { score });
    const report = await verifyKernel(e, { stage, variant, source, label: `built-in ${variant} ${stage}` });
    expect(report.status, explain(report)).toBe('pass');
    expect(report.cases.length).toBe(report.plannedCases);
    expect(report.hints).toEqual([]);
    expect(report.warnings).toEqual([]);
  });
});

const CORPUS = join(import.meta.dirname, 'fixtures/kernels');

describe.skipIf(!gpu)('the suite follows what a kernel declares', () => {
  it('covers the features a kernel declares, and names the constant a kernel without them would add', async () => {
    const e = engine();
    const source = readFileSync(join(CORPUS, 'qk_naive_features.wgsl'), 'utf8');
    const declared = await verifyKernel(e, { stage: 'qk', variant: 'naive', source, shrink: false });
    expect(declared.status, explain(declared)).toBe('pass');
    const covered = declared.coverage!.features!;
    expect(covered.map((f) => f.feature)).toEqual(['kvHeads', 'window', 'alibi', 'softcap']);
    for (const f of covered) expect(f.missing, f.feature).toBeUndefined();
    for (const f of covered) expect(f.cases, f.feature).toBeGreaterThan(5);
    expect(formatReport(declared)).toMatch(
      /features covered \(cases\): kvHeads \(grouped-query heads\) \d+, window \(sliding window\) \d+/,
    );

    const bare = source.replace(/const SUPPORTS_\w+ = true;\n/g, '');
    const undeclared = await verifyKernel(e, { stage: 'qk', variant: 'naive', source: bare, shrink: false, skipHazards: true });
    expect(undeclared.status, explain(undeclared)).toBe('pass');
    expect(undeclared.cases.some((c) => c.case.window !== undefined || c.case.kvHeads !== undefined)).toBe(false);
    expect(undeclared.coverage!.features!.map((f) => [f.feature, f.cases, f.missing])).toEqual([
      ['kvHeads', 0, { why: 'undeclared', constant: 'SUPPORTS_KV_HEADS' }],
      ['window', 0, { why: 'undeclared', constant: 'SUPPORTS_WINDOW' }],
      ['alibi', 0, { why: 'undeclared', constant: 'SUPPORTS_ALIBI' }],
      ['softcap', 0, { why: 'undeclared', constant: 'SUPPORTS_SOFTCAP' }],
    ]);
    expect(formatReport(undeclared)).toContain(
      'feature not covered: softcap (logit softcap) — the kernel does not declare it; add `const SUPPORTS_SOFTCAP = true;` once it implements it',
    );
  });

  it('leaves out a feature the built-in stage before it does not implement, and says so', async () => {
    const e = engine();
    const source = readFileSync(join(CORPUS, 'pv_naive_kv_heads.wgsl'), 'utf8');
    const qk = await e.kernel('qk', 'naive');
    const report = await verifyKernel(e, { stage: 'pv', variant: 'naive', source, shrink: false, skipHazards: true });
    expect(report.status, explain(report)).toBe('pass');
    const [kvHeads] = report.coverage!.features!;
    if (qk.supports.includes('kvHeads')) {
      expect(kvHeads.feature).toBe('kvHeads');
      expect(kvHeads.missing).toBeUndefined();
      expect(kvHeads.cases).toBeGreaterThan(5);
    } else {
      expect(kvHeads).toMatchObject({ feature: 'kvHeads', cases: 0, missing: { why: 'unavailable' } });
      expect(formatReport(report)).toMatch(
        /feature not covered: kvHeads .* the built-in naive qk kernel, which runs before it, does not implement it/,
      );
    }
  });

  it('the rope stage: RoPE in every case, read back and checked as rotated Q and K', async () => {
    const e = engine();
    const report = await verifyKernel(e, { stage: 'rope', source: e.source('tiled', 'rope'), shrink: false });
    expect(report.status, explain(report)).toBe('pass');
    expect(report.cases.every((c) => c.tensor === 'rotated' && c.case.rope !== undefined)).toBe(true);
    expect(report.coverage!.features!.map((f) => f.feature)).toEqual(['rope', 'kvHeads']);
    expect(report.hazards?.covered).toMatch(/features rope=half r=\d+ offset 3 kvHeads=1/);
  });
});

describe.skipIf(!gpu)('a kernel with subgroup operations', () => {
  // Reduces a row's 4 lanes with subgroupMax/Add: right at width 4 (SwiftShader), wrong at 32 or 64.
  const fixture = join(import.meta.dirname, 'fixtures/subgroups/softmax_assumes_subgroup_of_4.wgsl');

  it('its coverage and PASS say the subgroup widths it ran at and that other devices use others', async () => {
    const e = engine();
    const report = await verifyKernel(e, { stage: 'softmax', source: readFileSync(fixture, 'utf8'), label: 'subgroups', shrink: false });
    const widths = subgroupWidths(gpu!.device);
    expect(report.coverage?.subgroups, explain(report)).toEqual(widths);
    const said = widths ? `subgroup width${widths.min === widths.max ? '' : 's'} ${widths.min}` : 'subgroup width unknown';
    expect(formatReport(report)).toMatch(/\n {2}subgroups: ran at .*other devices use other widths \(8–128\)/);
    if (report.status === 'pass') expect(reportSummary(report)).toContain(`; ${said}`);
    // A kernel without them: nothing about subgroups, and the PASS still names its largest sizes.
    const plain = await verifyKernel(e, {
      stage: 'softmax',
      variant: 'naive',
      source: e.source('naive', 'softmax'),
      cases: verifyCases().slice(0, 3),
    });
    expect(plain.coverage?.subgroups).toBeUndefined();
    expect(reportSummary(plain)).toMatch(/^PASS: .*; largest sizes run: n \d+ · m \d+ · heads \d+$/);
  });
});

describe.skipIf(!gpu)('kernels that cannot run', () => {
  const softmax = shaders['softmax_rows.wgsl'];

  it('reports a syntax error with line and column (the CLI exits 2)', async () => {
    const broken = softmax.replace('let lane = lid.x;', 'let lane = lid.x');
    const report = await verifyKernel(engine(), { stage: 'softmax', source: broken });
    expect(report.status).toBe('compile-error');
    expect(report.cases).toEqual([]);
    const line = broken.split('\n').findIndex((l) => l.includes('let lane = lid.x')) + 1;
    const [first] = compileErrorLines(report.compileMessages, 'k.wgsl');
    expect(first).toMatch(/^k\.wgsl:\d+:\d+ \S/);
    const reported = Number(first.split(':')[1]);
    expect(reported).toBeGreaterThanOrEqual(line);
    expect(reported).toBeLessThanOrEqual(line + 1);
    expect(formatReport(report)).toMatch(/does not compile:\n {2}\d+:\d+ /);
  });

  it('explains a binding that does not fit the interface', async () => {
    const broken = softmax.replace(
      '@group(0) @binding(1) var<storage, read> scores',
      '@group(0) @binding(1) var<storage, read_write> scores',
    );
    const report = await verifyKernel(engine(), { stage: 'softmax', source: broken });
    expect(report.status).toBe('interface-error');
    expect(report.interfaceProblems.join('\n')).toMatch(
      /@binding\(1\) must be var<storage, read> scores, but scores is declared as var<storage, read_write>/,
    );
  });

  it('explains a kernel written for another stage', async () => {
    const report = await verifyKernel(engine(), { stage: 'pv', source: shaders['qk_scores.wgsl'] });
    expect(report.status).toBe('interface-error');
    expect(report.interfaceProblems.join('\n')).toMatch(/not part of the pv stage/);
  });

  it('stops when a newer run supersedes it', async () => {
    const controller = new AbortController();
    const run = verifyKernel(engine(), {
      stage: 'softmax',
      source: softmax,
      signal: controller.signal,
      onCase: () => controller.abort(),
    });
    await expect(run).rejects.toThrow(RunCancelledError);
  });
});

/** An engine whose runs never finish (a kernel stuck in a loop) or whose device is gone; `supports`: what the kernel under test declares. */
function stubEngine(run: () => Promise<never>, lost: string | null = null, supports: FeatureName[] = []): AttentionEngine {
  return {
    lost,
    kernel: async () => ({ workgroupSize: [16, 16, 1], warnings: [], supports: [] }),
    diagnose: async (stage: StageName) => ({
      stage,
      messages: [],
      problems: [],
      kernel: { workgroupSize: [16, 16, 1], warnings: [], supports },
    }),
    run,
  } as unknown as AttentionEngine;
}

describe('features the stages before a kernel lack', () => {
  it('are left out of its suite, and its coverage names the stage', async () => {
    const never = () => new Promise<never>(() => {});
    const report = await verifyKernel(stubEngine(never, null, ['kvHeads']), {
      stage: 'pv',
      variant: 'tiled',
      source: '',
      cases: [],
      skipHazards: true,
    });
    expect(report.coverage!.features).toEqual([
      {
        feature: 'kvHeads',
        cases: 0,
        missing: {
          why: 'unavailable',
          reason: 'the built-in tiled qk kernel, which runs before it, does not implement it (it does not declare SUPPORTS_KV_HEADS)',
        },
      },
    ]);
  });
});

describe('time limit and lost devices', () => {
  it('reports a run that never finishes as timed out and stops the suite', async () => {
    // The stub's run never settles: only the time limit can end the case, so the status proves it fired.
    const report = await verifyKernel(
      stubEngine(() => new Promise<never>(() => {})),
      { stage: 'qk', source: '', timeLimitMs: 50 },
    );
    expect(report.status).toBe('timeout');
    expect(report.cases.map((c) => c.status)).toEqual(['timeout']);
    expect(report.plannedCases).toBeGreaterThan(1);
    expect(report.hints[0].title).toBe('timed out — infinite loop or a very slow kernel?');
    expect(formatReport(report)).toMatch(/TIMEOUT: the 1 case failed \(stopped after 1 of \d+\)/);
  });

  it('surfaces a lost device from a run as its own status', async () => {
    const report = await verifyKernel(
      stubEngine(() => Promise.reject(new DeviceLostError('the GPU device was lost')), 'destroyed'),
      { stage: 'pv', source: '' },
    );
    expect(report.status).toBe('device-lost');
    expect(report.error).toMatch(/device was lost \(destroyed\).*Acquire a new device/);
  });

  it.skipIf(!gpu)('surfaces a really lost device', async () => {
    const { device } = await requestAttentionDevice(await nodeGpu());
    const doomed = new AttentionEngine(device, shaders);
    device.destroy();
    await device.lost;
    const report = await verifyKernel(doomed, { stage: 'qk', source: shaders['qk_scores.wgsl'] });
    expect(report.status).toBe('device-lost');
    expect(report.error).toMatch(/Acquire a new device/);
  });
});

describe("Verify's runs on the page's write-ahead record", () => {
  it.skipIf(!gpu)("runs every GPU run of the kernel, the shrinking's included, inside `recorded`, with the run's time limit", async () => {
    const e = engine();
    const run = e.run.bind(e);
    let inside = 0;
    let runs = 0;
    const unrecorded: number[] = [];
    e.run = (...args: Parameters<AttentionEngine['run']>) => {
      runs++;
      if (inside === 0) unrecorded.push(runs);
      return run(...args);
    };
    const limits: number[] = [];
    const recorded: RecordedRun = async (limitMs, gpuRun) => {
      limits.push(limitMs);
      inside++;
      try {
        return await gpuRun();
      } finally {
        inside--;
      }
    };
    // Twice the right probabilities: every case fails, so the shrinking reruns cases too.
    const wrong = shaders['softmax_rows_naive.wgsl'].replace('p = exp(s - row_max) / row_sum;', 'p = 2.0 * exp(s - row_max) / row_sum;');
    expect(wrong).not.toBe(shaders['softmax_rows_naive.wgsl']);
    const suite = verifyCases({ stage: 'softmax', workgroupSize: [1, 64, 1] });
    const cases = [suite.find((c) => c.tags.includes('seed'))!, suite.find((c) => c.tags.includes('multi-wg'))!];
    const report = await verifyKernel(e, {
      stage: 'softmax',
      source: wrong,
      cases,
      skipHazards: true,
      timeLimitMs: 7000,
      recorded,
      shrink: { maxRuns: 2 },
    });
    expect(report.status, explain(report)).toBe('fail');
    expect(report.smallest, 'the shrinking ran').toBeDefined();
    // The multi-workgroup case runs twice, and the shrinking adds runs.
    expect(runs).toBeGreaterThan(cases.length + 1);
    expect(unrecorded, 'the runs made outside `recorded`').toEqual([]);
    expect(limits).toEqual(Array(runs).fill(7000));
  });
});

describe('the time limit of a case is for running', () => {
  // A case's run that compiles a pipeline spends seconds of its time limit compiling on a CPU
  // emulator: the fused cases' pipelines are built before the cases, in the form the run takes
  // (the built-in fused kernel before a combine kernel runs in its subgroup form where it can).
  it.skipIf(!gpu).each(['combine', 'fused'] as const)('a %s kernel’s cases build no pipeline inside their runs', async (stage) => {
    const e = engine();
    const device = gpu!.device;
    const create = device.createComputePipelineAsync.bind(device);
    let inside = false;
    const builtInside: string[] = [];
    device.createComputePipelineAsync = (descriptor: GPUComputePipelineDescriptor) => {
      if (inside) builtInside.push(descriptor.label ?? '');
      return create(descriptor);
    };
    const recorded: RecordedRun = async (_limitMs, gpuRun) => {
      inside = true;
      try {
        return await gpuRun();
      } finally {
        inside = false;
      }
    };
    try {
      const source = e.source('fused', stage);
      const report = await verifyKernel(e, { stage, source, variant: 'fused', skipHazards: true, recorded });
      expect(report.status, explain(report)).toBe('pass');
      expect(report.cases.length).toBeGreaterThan(0);
      expect(builtInside, 'pipelines built inside a case’s timed run').toEqual([]);
    } finally {
      device.createComputePipelineAsync = create;
    }
  });
});
