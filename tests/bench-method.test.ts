/**
 * The benchmark method of issue 12, on hand-made numbers: paired speed-ups (where they differ from
 * the ratio of medians), the t = a + b·N^p fit on synthetic data with known a, b, p and noise, local
 * slopes, which roof binds, the cost model with n ≠ m (decode), SHA-256 and the benchmark card
 * (write → parse → validate, and malformed cards named precisely), and what a sweep is set up with
 * (its configuration in words, the variant names it takes, the page's features it takes). No GPU.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CardError, cardLabel, makeCard, parseCard } from '../src/core/bench-card';
import { attentionBytes, attentionFlops, bindingRoof, kvBytes, WORKGROUP_INTENSITY, workgroupIntensity } from '../src/core/cost';
import type { ProfileResult, ProfileRow } from '../src/core/profile-report';
import {
  decodeTable,
  describeProfileConfig,
  duration,
  explainModel,
  fitModels,
  formatTable,
  MAX_SLOPES_SAID,
  pairedSpeedup,
  refitExponents,
  reportTable,
  resolveConfig,
  rowTime,
  speedup,
  sweepDemand,
  sweepMemoryProblem,
  sweepTimeProblem,
  toCsv,
} from '../src/core/profile-report';
import { csvParse } from 'd3-dsv';
import { sweepFeatures } from '../src/core/feature-options';
import { DEFAULT_PROFILE_FORM, formFromConfig, formNumber, formToConfig } from '../src/core/profile-form';
import { alibiSlopes } from '../src/core/features';
import type { AttentionOptions } from '../src/core/options';
import { DEFAULT_OPTIONS } from '../src/core/options';
import { createRng } from '../src/core/rng';
import { checkVariantNames, PROFILE_VARIANT_NAMES } from '../src/gpu/profile';
import { sha256Hex } from '../src/core/sha256';
import { fitOffsetPowerLaw, localSlopes, median, overheadShare, pairedRatios, summarize } from '../src/core/stats';

describe('paired speed-ups', () => {
  // Round 2 was slow for both (machine load): the ratio of medians sees 10/5 = 2, every round says 3.
  const base = [3, 30, 10, 12],
    variant = [1, 10, 5, 4];

  it('are the median of the per-round ratios, not the ratio of the medians', () => {
    const r = pairedRatios(base, variant);
    expect(r.samples).toEqual([3, 3, 2, 3]);
    expect(r.median).toBe(3);
    expect(median(base) / median(variant)).toBeCloseTo(11 / 4.5, 12);
    expect(r.p10).toBeCloseTo(2.3, 12);
    expect(r.p90).toBe(3);
  });

  it('drop rounds with a non-positive time and pair only the rounds both have', () => {
    expect(pairedRatios([2, 0, 6, 8], [1, 1, 2]).samples).toEqual([2, 3]);
    expect(pairedRatios([], [1]).samples).toEqual([]);
  });

  const row = (variant: string, samples: number[], extra: Partial<ProfileRow> = {}): ProfileRow => ({
    n: 64,
    variant,
    source: 'engine',
    timing: 'timestamp',
    stages: {},
    gpuMs: summarize(samples.map((s) => s * 0.9)),
    spanMs: summarize(samples),
    wallMs: summarize(samples.map((s) => s + 5)),
    flops: attentionFlops({ n: 64, m: 64, dk: 8, dv: 8, heads: 1, causal: false }),
    bytes: attentionBytes({ n: 64, m: 64, dk: 8, dv: 8, heads: 1, causal: false }, 'three-pass'),
    intensity: 1,
    gflops: 1,
    stageGflops: {},
    gbps: 1,
    rooflinePct: null,
    allocatedBytes: null,
    check: null,
    error: null,
    ...extra,
  });

  it('compare rows at the same point through their span samples', () => {
    const rows = [row('naive', base), row('tiled', variant)];
    expect(rowTime(rows[1])).toBe(4.5);
    expect(speedup(rows, rows[1], 'naive')).toBe(3);
    expect(pairedSpeedup(rows, rows[1], 'naive')?.samples).toEqual([3, 3, 2, 3]);
    expect(speedup(rows, rows[1], 'tfjs')).toBeNull();
  });

  it('never pair a decode row with a sweep row', () => {
    const rows = [row('naive', base), row('tiled', variant, { n: 1, m: 64, decode: true })];
    expect(speedup(rows, rows[1], 'naive')).toBeNull();
  });

  it('fall back to the sum of the passes without a span, and to wall without timestamps', () => {
    const noSpan = row('tiled', [2, 2, 2], { spanMs: null });
    expect(rowTime(noSpan)).toBeCloseTo(1.8, 12);
    expect(rowTime(row('tiled', [2, 2, 2], { spanMs: null, gpuMs: null }))).toBe(7);
  });

  it('show in the table as a median with its p10–p90, decode rows in their own table', () => {
    const rows = [row('naive', base), row('tiled', variant), row('naive', [4, 4], { n: 1, m: 4096, decode: true })];
    const result = {
      config: resolveConfig({ ns: [64], dk: 8, variants: ['naive', 'tiled'], decode: [4096] }),
      rows,
      cpu: [],
      fits: [],
    } as unknown as ProfileResult;
    const table = reportTable(result);
    expect(table).toHaveLength(2);
    expect(table[1]).toMatchObject({ N: 64, variant: 'tiled', '× naive': 3, '× naive p10–p90': '2.30–3.00', 'span ms': 4.5 });
    const decode = decodeTable(result);
    expect(decode).toHaveLength(1);
    expect(decode[0]).toMatchObject({ m: 4096, variant: 'naive' });
    expect(Object.keys(decode[0])).toEqual(expect.arrayContaining(['K+V GB/s', '% copy BW']));
  });

  it('add a paired "× V" column per baseline asked for, beside naive', () => {
    const decode = { n: 1, m: 4096, decode: true };
    const rows = [row('naive', [8, 8, 8], decode), row('fused', [2, 1, 2], decode), row('fused-nosubgroups', [4, 3, 2], decode)];
    const config = resolveConfig({
      ns: [64],
      dk: 8,
      variants: ['naive', 'fused', 'fused-nosubgroups'],
      decode: [4096],
      baselines: ['fused-nosubgroups'],
    });
    const table = decodeTable({ config, rows, cpu: [], fits: [] } as unknown as ProfileResult);
    expect(table[1]).toMatchObject({ variant: 'fused', '× naive': 4, '× fused-nosubgroups': 2 });
    // A baseline's own row says so (a ratio to itself says nothing); the CSV keeps the column numeric with its 1.
    expect(table[2]).toMatchObject({ '× fused-nosubgroups': 'baseline', '× fused-nosubgroups p10–p90': null });
    expect(table[0]['× naive']).toBe('baseline');
    // The terminal's table says it too.
    expect(formatTable(table).split('\n')[2]).toMatch(/^4096\s+naive\s.*\sbaseline\s/);
    const csv = csvParse(toCsv({ config, rows, cpu: [], fits: [] } as unknown as ProfileResult));
    for (const b of ['naive', 'fused-nosubgroups'])
      expect(csv.map((r) => Number(r[`× ${b}`]))).toEqual(rows.map((r) => (r.variant === b ? 1 : speedup(rows, r, b))));
    // Without the option: no such column.
    const plain = decodeTable({ config: { ...config, baselines: [] }, rows, cpu: [], fits: [] } as unknown as ProfileResult);
    expect(Object.keys(plain[1])).not.toContain('× fused-nosubgroups');
  });

  it('take as baselines only variants that were profiled', () => {
    expect(() => resolveConfig({ ns: [64], dk: 8, variants: ['fused'], baselines: ['tiled'] })).toThrow(
      /a baseline must be one of the variants profiled \(fused\), got tiled/,
    );
  });
});

describe('the fit t = a + b·N^p', () => {
  const ns = [64, 128, 256, 512, 1024, 2048, 4096, 8192];

  it.each([
    { a: 0.5, b: 2e-7, p: 2, noise: 0.02, seed: 11 },
    { a: 0.05, b: 1e-4, p: 1.5, noise: 0.01, seed: 12 },
    { a: 2, b: 3e-9, p: 2.5, noise: 0.03, seed: 13 },
    { a: 0, b: 1e-6, p: 1, noise: 0.01, seed: 14 },
  ])('recovers a = $a, b = $b, p = $p from noisy data (±$noise relative, seed $seed)', ({ a, b, p, noise, seed }) => {
    const rng = createRng(seed);
    const ts = ns.map((n) => (a + b * n ** p) * (1 + noise * rng.normal()));
    const fit = fitOffsetPowerLaw(ns, ts)!;
    expect(fit.p, `seed ${seed}`).toBeGreaterThan(p - 0.1);
    expect(fit.p, `seed ${seed}`).toBeLessThan(p + 0.1);
    // a within 10 % of the smallest time (plus 20 % of itself); b·N^p at the largest N within 10 %.
    expect(Math.abs(fit.a - a)).toBeLessThan(0.1 * ts[0] + 0.2 * a);
    const top = ns.at(-1)!;
    expect(Math.abs(fit.b * top ** fit.p - b * top ** p)).toBeLessThan(0.1 * b * top ** p);
    expect(fit.rmsRelative).toBeLessThan(3 * noise);
    expect(fit.atBound).toBe(false);
  });

  it('is exact on noiseless data and reports the fixed part’s share', () => {
    const ts = ns.map((n) => 1 + 1e-6 * n ** 2);
    const fit = fitOffsetPowerLaw(ns, ts)!;
    expect(fit.p).toBeCloseTo(2, 3);
    expect(fit.a).toBeCloseTo(1, 3);
    expect(overheadShare(fit, 64)).toBeGreaterThan(0.99);
    expect(overheadShare(fit, 8192)).toBeLessThan(0.02);
  });

  it('needs three distinct N', () => {
    expect(fitOffsetPowerLaw([64, 64, 128], [1, 1, 2])).toBeNull();
    expect(() => fitOffsetPowerLaw([1, 2], [1])).toThrow(RangeError);
  });

  it('local slopes are d log t / d log N between consecutive N, low where the fixed part dominates', () => {
    const ts = ns.map((n) => 1 + 1e-6 * n ** 2);
    const slopes = localSlopes(ns, ts);
    expect(slopes).toHaveLength(ns.length - 1);
    expect(slopes[0]).toMatchObject({ from: 64, to: 128 });
    expect(slopes[0].slope).toBeLessThan(0.1);
    expect(slopes.at(-1)!.slope).toBeGreaterThan(1.9);
    expect(localSlopes([4, 2, 1], [16, 4, 1]).map((s) => s.slope)).toEqual([2, 2]);
  });

  it('explains a low small-N exponent from the fitted numbers', () => {
    const rows = ns.map(
      (n) =>
        ({
          n,
          variant: 'tiled',
          error: null,
          gpuMs: summarize([1 + 1e-6 * n ** 2]),
          spanMs: null,
          wallMs: summarize([9]),
        }) as unknown as ProfileRow,
    );
    const [model] = fitModels(rows);
    expect(model).toMatchObject({ variant: 'tiled', timing: 'gpu' });
    expect(model.fit.p).toBeCloseTo(2, 2);
    const text = explainModel(model);
    expect(text).toMatch(/t ≈ 1 ms \+ .* ms·N\^2\.00/);
    expect(text).toMatch(/At N = 64 the fixed part a is 100 % of the fitted time/);
    expect(text).toMatch(/64→128: 0\.0\d/);
  });

  it.each([MAX_SLOPES_SAID + 1, 3000])('says %i local slopes as the first and last few and how many lie between', (count) => {
    const many = Array.from({ length: count + 1 }, (_, i) => 16 + 8 * i);
    const rows = many.map(
      (n) =>
        ({
          n,
          variant: 'tiled',
          error: null,
          gpuMs: summarize([1 + 1e-6 * n ** 2]),
          spanMs: null,
          wallMs: summarize([9]),
        }) as unknown as ProfileRow,
    );
    const text = explainModel(fitModels(rows)[0]);
    const said = text.match(/\d+→\d+: /g) ?? [];
    expect(said).toHaveLength(MAX_SLOPES_SAID);
    expect(text).toContain(`${many[0]}→${many[1]}: `);
    expect(text).toContain(`${many.at(-2)}→${many.at(-1)}: `);
    expect(text).toContain(`… (${count - MAX_SLOPES_SAID} more) …`);
  });
});

describe('the straight-line exponents fitted again from another N (the Profiler tab’s "exponents from N ≥")', () => {
  // t = 1 + 1e-6·N²: the fixed part flattens the slope at small N, so where the fit starts shows.
  const ns = [64, 128, 256, 512, 1024, 2048];
  const rows = ns.map(
    (n) =>
      ({
        n,
        m: n,
        variant: 'fused',
        stages: {},
        error: null,
        gpuMs: null,
        spanMs: summarize([1 + 1e-6 * n ** 2]),
        wallMs: summarize([2 + 1e-6 * n ** 2]),
      }) as unknown as ProfileRow,
  );
  const result = {
    config: resolveConfig({ ns, dk: 8, variants: ['fused'] }),
    rows,
    fits: [],
  } as unknown as ProfileResult;
  const spanExponent = (r: ProfileResult) => r.fits.find((f) => f.variant === 'fused' && f.stage === 'span')!.fit.exponent;

  it('fits from the N given, or the upper half, and records which in the config', () => {
    const all = refitExponents(result, 64);
    const top = refitExponents(result, 1024);
    const half = refitExponents(result, null);
    expect(all.config.fitFromN).toBe(64);
    expect(half.config.fitFromN).toBeNull();
    // Over every N the fixed part pulls the exponent far below 2; over the top two it is close to
    // the local slope there, d log(1 + 1e-6 N²) / d log N between 1024 and 2048 (about 1.6).
    const local = Math.log((1 + 1e-6 * 2048 ** 2) / (1 + 1e-6 * 1024 ** 2)) / Math.log(2);
    expect(spanExponent(top)).toBeCloseTo(local, 6);
    expect(spanExponent(all)).toBeLessThan(spanExponent(half));
    expect(spanExponent(half)).toBeLessThan(spanExponent(top));
    expect(result.fits).toEqual([]); // the result given is left as it was
  });

  it('names a start that leaves fewer than two N, and fits nothing then', () => {
    expect(() => refitExponents(result, 2000)).toThrow(
      new RangeError("exponents from N ≥ 2000: a fit needs two N at least, and this sweep's N are 64, 128, 256, 512, 1024, 2048"),
    );
  });
});

describe('which roof binds', () => {
  const peaks = { gflops: 100, gbps: 10, workgroupGbps: 40 };

  it.each([
    { memory: 1, workgroup: null, roof: 'memory', attainable: 10 },
    { memory: 50, workgroup: null, roof: 'fma', attainable: 100 },
    { memory: 50, workgroup: WORKGROUP_INTENSITY, roof: 'workgroup', attainable: 20 },
    { memory: 1, workgroup: WORKGROUP_INTENSITY, roof: 'memory', attainable: 10 },
    { memory: 50, workgroup: 5, roof: 'fma', attainable: 100 },
  ] as const)('intensity $memory FLOP/B of memory, $workgroup of workgroup memory → $roof', ({ memory, workgroup, roof, attainable }) => {
    expect(bindingRoof({ memory, workgroup }, peaks)).toEqual({ roof, attainableGflops: attainable });
  });

  it.each([
    { variant: 'tiled', form: {}, intensity: 1 },
    { variant: 'fused', form: {}, intensity: 0.5 },
    { variant: 'fused', form: { pairs: true }, intensity: 1 },
    { variant: 'tiled', form: { ownKernel: true }, intensity: 0.5 },
    { variant: 'fused', form: { pairs: true, ownKernel: true }, intensity: 0.5 },
  ])('the workgroup-memory intensity of $variant $form: $intensity FLOP/B', ({ variant, form, intensity }) => {
    expect(workgroupIntensity(variant, form)).toBe(intensity);
  });

  it('ignores workgroup memory when it was not measured (older results)', () => {
    expect(bindingRoof({ memory: 50, workgroup: 0.5 }, { gflops: 100, gbps: 10 }).roof).toBe('fma');
  });
});

describe('the cost model with n ≠ m', () => {
  const decode = { n: 1, m: 4096, dk: 64, dv: 64, heads: 8, causal: false };

  it('counts one query against every key at decode, causal or not', () => {
    const plain = attentionFlops(decode);
    expect(plain.qk).toBe(2 * 4096 * 64 * 8);
    // Causal aligns the last query with the last key: the one query sees all m keys.
    expect(attentionFlops({ ...decode, causal: true }).total).toBe(plain.total);
    // Square causal keeps the half-triangle convention.
    expect(attentionFlops({ ...decode, n: 4096, causal: true }).qk).toBe(0.5 * 2 * 4096 * 4096 * 64 * 8);
  });

  it('counts n·m pairs for rectangular shapes, and a window on top', () => {
    expect(attentionFlops({ ...decode, n: 3, m: 5, heads: 1, dk: 1, dv: 1 }).qk).toBe(2 * 15);
    // n = 3 against m = 5, causal: the queries see 3, 4, 5 keys.
    expect(attentionFlops({ ...decode, n: 3, m: 5, heads: 1, dk: 1, dv: 1, causal: true }).qk).toBe(2 * 12);
    expect(attentionFlops({ ...decode, window: 100 }).qk).toBe(2 * 100 * 64 * 8);
  });

  it('reads K and V of m keys: kvBytes and the byte models agree', () => {
    expect(kvBytes(decode)).toBe(4096 * 8 * 128 * 4);
    expect(kvBytes({ ...decode, kvHeads: 2 })).toBe(4096 * 2 * 128 * 4);
    const fused = attentionBytes(decode, 'fused');
    expect(fused.total).toBe(kvBytes(decode) + 2 * 8 * 64 * 4);
    const three = attentionBytes(decode, 'three-pass');
    expect(three.stages.qk).toBe((8 * 64 + 4096 * 8 * 64 + 8 * 4096) * 4);
  });
});

describe('SHA-256', () => {
  it.each([
    { text: '', hash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
    { text: 'abc', hash: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
    {
      text: 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      hash: '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    },
    { text: 'é → ∑', hash: null },
  ])('of "$text"', async ({ text, hash }) => {
    const h = await sha256Hex(text);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    if (hash) expect(h).toBe(hash);
  });

  it('of a long string across blocks matches a second computation and differs from a one-character change', async () => {
    const long = 'x'.repeat(1000);
    expect(await sha256Hex(long)).toBe(await sha256Hex('x'.repeat(1000)));
    expect(await sha256Hex(long)).not.toBe(await sha256Hex(`${'x'.repeat(999)}y`));
  });
});

// SHA-256 of 'fn main() {}', computed once (the digest is async).
const EMPTY_MAIN_HASH = await sha256Hex('fn main() {}');

describe('the benchmark card', () => {
  const row = {
    n: 16,
    m: 16,
    variant: 'tiled',
    source: 'engine',
    timing: 'timestamp',
    stages: { qk: summarize([0.1, 0.2]) },
    gpuMs: summarize([0.3, 0.4]),
    spanMs: summarize([0.35, 0.45]),
    wallMs: summarize([1, 2]),
    flops: attentionFlops({ n: 16, m: 16, dk: 8, dv: 8, heads: 1, causal: false }),
    bytes: attentionBytes({ n: 16, m: 16, dk: 8, dv: 8, heads: 1, causal: false }, 'three-pass'),
    intensity: 1,
    gflops: 0.1,
    stageGflops: {},
    gbps: 0.1,
    rooflinePct: 5,
    allocatedBytes: 1024,
    check: { pass: true, maxAbs: 0, maxUlp: 0 },
    error: null,
  } as ProfileRow;
  const result: ProfileResult = {
    config: resolveConfig({ ns: [16], dk: 8, variants: ['tiled'] }),
    adapter: { description: 'Test GPU', vendor: 'acme', architecture: 'x', isSoftware: false },
    roofline: null,
    rows: [row],
    cpu: [],
    fits: [],
    cancelled: false,
    notes: [],
    startedAt: '2026-11-27T00:00:00Z',
    durationMs: 1,
  };
  const card = makeCard({
    source: 'test',
    adapter: result.adapter!,
    limits: { maxBufferSize: 268435456 },
    features: ['timestamp-query'],
    shaders: { 'qk_scores.wgsl': EMPTY_MAIN_HASH },
    result,
  });
  const text = JSON.stringify(card);

  it('survives write → parse → validate unchanged', () => {
    const back = parseCard(text);
    expect(back).toEqual(JSON.parse(text));
    expect(cardLabel(back)).toBe('Test GPU');
    expect(cardLabel({ adapter: { description: '', vendor: 'Google', architecture: 'swiftshader', isSoftware: true } })).toBe(
      'Google swiftshader (CPU emulation)',
    );
  });

  /** The card with the field at `path` set to `value` (removed when undefined). */
  const broken = (path: (string | number)[], value: unknown) => {
    const c = JSON.parse(text) as Record<string | number, unknown>;
    const parent = path.slice(0, -1).reduce((o, key) => o[key] as Record<string | number, unknown>, c);
    const last = path.at(-1)!;
    if (value === undefined) delete parent[last];
    else parent[last] = value;
    return JSON.stringify(c);
  };

  it.each([
    { what: 'not JSON', input: '{"format":', message: /^not JSON/ },
    {
      what: 'another file',
      input: JSON.stringify({ rows: [] }),
      message: /card\.format: expected "attention-playground\/bench-card", got nothing \(missing\)/,
    },
    { what: 'a newer version', input: broken(['version'], 2), message: /card\.version: expected 1, got 2/ },
    {
      what: 'a vendor that is a number',
      input: broken(['adapter', 'vendor'], 3),
      message: /card\.adapter\.vendor: expected a string, got 3/,
    },
    {
      what: 'a bad hash',
      input: broken(['shaders', 'qk_scores.wgsl'], 'abc'),
      message: /card\.shaders\["qk_scores\.wgsl"\]: expected a SHA-256/,
    },
    { what: 'no shaders', input: broken(['shaders'], {}), message: /card\.shaders: expected at least one kernel hash/ },
    {
      what: 'a limit that is text',
      input: broken(['limits', 'maxBufferSize'], 'big'),
      message: /card\.limits\.maxBufferSize: expected a finite number, got "big"/,
    },
    {
      what: 'N zero',
      input: broken(['result', 'rows', 0, 'n'], 0),
      message: /card\.result\.rows\[0\]\.n: expected a positive integer, got 0/,
    },
    { what: 'no rows', input: broken(['result', 'rows'], []), message: /card\.result\.rows: expected at least one row/ },
    {
      what: 'a sample that is text',
      input: broken(['result', 'rows', 0, 'wallMs', 'samples', 1], 'x'),
      message: /card\.result\.rows\[0\]\.wallMs\.samples\[1\]/,
    },
    {
      what: 'no CPU times',
      input: broken(['result', 'cpu'], undefined),
      message: /card\.result\.cpu: expected an array, got nothing \(missing\)/,
    },
    {
      what: 'a missing config',
      input: broken(['result', 'config'], undefined),
      message: /card\.result\.config: expected an object, got nothing \(missing\)/,
    },
  ])('rejects $what with a message naming the field', ({ input, message }) => {
    expect(() => parseCard(input)).toThrow(CardError);
    expect(() => parseCard(input)).toThrow(message);
  });

  // Cards the page once took and then failed on: shown (the results, the plots) or put into the form by "Use its settings".
  const config = (key: string, value: unknown) => broken(['result', 'config', key], value);
  it.each([
    {
      what: 'a fit model that is empty',
      input: broken(['result', 'models'], [{}]),
      message: /card\.result\.models\[0\]\.variant: expected a string/,
    },
    {
      what: 'a fit model without its fit',
      input: broken(['result', 'models'], [{ variant: 'tiled', timing: 'span', slopes: [] }]),
      message: /card\.result\.models\[0\]\.fit: expected an object, got nothing \(missing\)/,
    },
    {
      what: 'a straight-line fit that is empty',
      input: broken(['result', 'fits'], [{}]),
      message: /card\.result\.fits\[0\]\.variant: expected a string/,
    },
    {
      what: 'a straight-line fit without an exponent',
      input: broken(['result', 'fits'], [{ variant: 'tiled', stage: 'span', fit: { r2: 1, points: 2, xRange: [16, 32] } }]),
      message: /card\.result\.fits\[0\]\.fit\.exponent: expected a finite number, got nothing \(missing\)/,
    },
    {
      what: 'baselines as one string',
      input: config('baselines', 'naive'),
      message: /card\.result\.config\.baselines: expected an array of variant names, got "naive"/,
    },
    {
      what: 'a baseline that is a number',
      input: config('baselines', [3]),
      message: /card\.result\.config\.baselines\[0\]: expected a string, got 3/,
    },
    {
      what: 'decode as one string',
      input: config('decode', '48'),
      message: /card\.result\.config\.decode: expected an array of positive integers, got "48"/,
    },
    {
      what: 'a decode count of zero',
      input: config('decode', [48, 0]),
      message: /card\.result\.config\.decode\[1\]: expected a positive integer, got 0/,
    },
    {
      what: 'variants as one string',
      input: config('variants', 'tiled'),
      message: /card\.result\.config\.variants: expected an array of variant names, got "tiled"/,
    },
    {
      what: 'negative warm-ups',
      input: config('warmup', -3),
      message: /card\.result\.config\.warmup: expected a whole number from 0 to 1000 \(the form's warm-ups\), got -3/,
    },
    {
      what: 'more repeats than the form takes',
      input: config('repeats', 100000),
      message: /card\.result\.config\.repeats: expected a whole number from 1 to 1000 \(the form's repeats\), got 100000/,
    },
    {
      what: 'warm-ups as text',
      input: config('warmup', 'x'),
      message: /card\.result\.config\.warmup: expected a whole number from 0 to 1000 .*, got "x"/,
    },
    {
      what: 'a seed as text',
      input: config('seed', 'y'),
      message: /card\.result\.config\.seed: expected a whole number from 0 to \d+ \(the form's seed\), got "y"/,
    },
    {
      what: 'a dk past the form',
      input: config('dk', 100000),
      message: /card\.result\.config\.dk: expected a whole number from 1 to 65536/,
    },
    {
      what: 'heads past the form',
      input: config('heads', 2000),
      message: /card\.result\.config\.heads: expected a whole number from 1 to 1024/,
    },
    { what: 'dv as text', input: config('dv', 'abc'), message: /card\.result\.config\.dv: expected a positive integer, got "abc"/ },
    { what: 'causal as text', input: config('causal', 'yes'), message: /card\.result\.config\.causal: expected true or false, got "yes"/ },
    {
      what: 'a fit start of zero',
      input: config('fitFromN', 0),
      message: /card\.result\.config\.fitFromN: expected a positive integer, got 0/,
    },
    {
      what: 'K/V heads as text',
      input: broken(['result', 'config', 'features', 'kvHeads'], 'zz'),
      message: /card\.result\.config\.features\.kvHeads: expected a positive integer, got "zz"/,
    },
    {
      what: 'K/V heads that do not divide the heads',
      input: broken(['result', 'config', 'features', 'kvHeads'], 2),
      message: /card\.result\.config\.features: K\/V heads \(2\) must divide the 1 query head/,
    },
    {
      what: 'ALiBi slopes as a number',
      input: broken(['result', 'config', 'features', 'alibi'], 3),
      message: /card\.result\.config\.features\.alibi: expected "standard" or an array of slopes, got 3/,
    },
    { what: 'no N', input: config('ns', []), message: /card\.result\.config\.ns: expected at least one N/ },
    {
      what: 'a CPU time that is null',
      input: broken(['result', 'cpu'], [null]),
      message: /card\.result\.cpu\[0\]: expected an object, got null/,
    },
    {
      what: 'a note that is not text',
      input: broken(['result', 'notes'], [{}]),
      message: /card\.result\.notes\[0\]: expected a string, got an object/,
    },
    {
      what: 'a roofline without its copy times',
      input: broken(['result', 'roofline'], { gbps: 1, gflops: 1, copyBytes: 1, fmaFlops: 1 }),
      message: /card\.result\.roofline\.copyMs: expected an object, got nothing \(missing\)/,
    },
    {
      what: 'a check that is text',
      input: broken(['result', 'rows', 0, 'check'], 'pass'),
      message: /card\.result\.rows\[0\]\.check: expected an object, got "pass"/,
    },
  ])('rejects $what, which the page could not show or put into its form, naming the field', ({ input, message }) => {
    expect(() => parseCard(input)).toThrow(CardError);
    expect(() => parseCard(input)).toThrow(message);
  });

  it('takes a card stored before dv, decode, features, baselines and the fit start, and one with each of them set', () => {
    const older = JSON.parse(text) as { result: { config: Record<string, unknown> } };
    for (const key of ['dv', 'causal', 'decode', 'features', 'baselines', 'fitFromN', 'warmup', 'repeats', 'seed'])
      delete older.result.config[key];
    expect(() => parseCard(older)).not.toThrow();
    const full = JSON.parse(text) as { result: { config: Record<string, unknown> } };
    Object.assign(full.result.config, {
      dv: 12,
      heads: 4,
      decode: [48],
      baselines: ['tiled'],
      fitFromN: 16,
      warmup: 0,
      repeats: 1000,
      seed: Number.MAX_SAFE_INTEGER,
      features: {
        kvHeads: 2,
        rope: { layout: 'half', base: 10000, dims: null, offset: 0 },
        window: 8,
        alibi: 'standard',
        softcap: 30,
        sinks: [0, 1, 2, 3],
      },
    });
    expect(() => parseCard(full)).not.toThrow();
  });
});

describe('the committed real-GPU cards (docs/benchmarks/*.card.json)', () => {
  const folder = new URL('../docs/benchmarks/', import.meta.url);
  const cards = readdirSync(folder).filter((f) => f.endsWith('.card.json'));

  it('exist, so the page has real-GPU numbers to load beside a run', () => {
    expect(cards.length).toBeGreaterThan(0);
  });

  it.each(cards)('%s parses as a card of a hardware adapter with timed rows', (file) => {
    const card = parseCard(readFileSync(new URL(file, folder), 'utf8'));
    expect(card.adapter.isSoftware).toBe(false);
    expect(card.result.rows.length).toBeGreaterThan(0);
    expect(card.result.rows.every((row) => row.error !== null || row.spanMs !== null)).toBe(true);
  });

  it.each(cards)("%s: its settings put into the Profiler tab's form read back as a sweep the form runs", (file) => {
    const c = parseCard(readFileSync(new URL(file, folder), 'utf8')).result.config;
    const variants = c.variants.filter((v) => !v.startsWith('custom:'));
    const form = formFromConfig(
      DEFAULT_PROFILE_FORM,
      { ...c, fitFromN: c.fitFromN ?? undefined, variants, baselines: (c.baselines ?? []).filter((b) => variants.includes(b)) },
      PROFILE_VARIANT_NAMES,
    );
    for (const field of ['dk', 'heads', 'warmup', 'repeats', 'seed'] as const)
      expect(() => formNumber(field, String(form[field]))).not.toThrow();
    expect(formToConfig(form, PROFILE_VARIANT_NAMES, null)).toMatchObject({ ns: c.ns, dk: c.dk, heads: c.heads, decode: c.decode });
  });
});

describe('what a sweep is set up with (the Profiler tab’s form and the terminal’s flags)', () => {
  it('says the configuration in one line: heads on K/V heads, dv, decode, features, repeats, baselines', () => {
    const c = resolveConfig({
      ns: [64, 128],
      dk: 64,
      dv: 32,
      heads: 8,
      causal: true,
      variants: ['fused', 'fused-64splits'],
      warmup: 1,
      repeats: 3,
      decode: [32768, 4096],
      features: { kvHeads: 2, window: 128, alibi: 'standard' },
      baselines: ['fused-64splits'],
    });
    expect(describeProfileConfig(c)).toBe(
      'N = 64, 128 · dk = 64, dv = 32 · 8 heads on 2 K/V heads · causal · decode m = 4096, 32768 · features: window=128, ALiBi standard slopes · 1 warm-up, 3 repeats · seed 1 · compared with fused-64splits',
    );
    // K/V heads equal to the heads group nothing; a config stored before dv, features and baselines still reads.
    expect(describeProfileConfig({ ns: [16], dk: 8, heads: 1, variants: ['naive'], features: { kvHeads: 1 } })).toBe(
      'N = 16 · dk = 8, dv = 8 · 1 head · not causal · 2 warm-ups, 5 repeats · seed 1',
    );
  });

  it('reads every committed card’s configuration', () => {
    const dir = 'docs/benchmarks';
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.card.json'))) {
      const card = parseCard(readFileSync(`${dir}/${file}`, 'utf8'));
      const line = describeProfileConfig(card.result.config);
      expect(line, file).toMatch(
        new RegExp(`^N = ${card.result.config.ns.join(', ')} · dk = ${card.result.config.dk}, dv = \\d+ · \\d+ heads?`),
      );
    }
  });

  it('takes the names of every variant a sweep can run, fused-Nsplits included, and names the others', () => {
    expect(() =>
      checkVariantNames([...PROFILE_VARIANT_NAMES, 'fused-1splits', 'fused-64splits', 'fused-4096splits', 'fused-8splits-nosubgroups']),
    ).not.toThrow();
    for (const bad of ['bogus', 'fused-0splits', 'fused-4097splits', 'fused-8splits-portable', 'tiled-2splits'])
      expect(() => checkVariantNames(['fused', bad]), bad).toThrow(
        new RegExp(`^unknown variant ${bad}; choose from naive, tiled, fused, .*tfjs, or fused-Nsplits`),
      );
    expect(() => checkVariantNames(['a', 'b'])).toThrow(/^unknown variants a, b;/);
  });

  it("takes the Features panel's features for a sweep's head count, never its K/V heads", () => {
    const page: AttentionOptions = { ...DEFAULT_OPTIONS, heads: 2, kvHeads: 1, sinks: [0.5, -1], alibi: [0.25, 0.125], softcap: 30 };
    const taken = sweepFeatures(page, 4);
    expect(taken).toEqual({
      rope: null,
      window: null,
      softcap: 30,
      sinks: [0.5, -1, -1, -1],
      alibi: [0.25, 0.125, ...alibiSlopes(4).slice(2)],
    });
    expect(taken).not.toHaveProperty('kvHeads');
    // The page's 2 heads on 1 K/V head do not bind a sweep of 3 heads.
    expect(sweepFeatures({ ...page, alibi: 'standard' }, 3)).toEqual({
      rope: null,
      window: null,
      softcap: 30,
      sinks: [0.5, -1, -1],
      alibi: 'standard',
    });
    expect(() =>
      resolveConfig({ ns: [16], dk: 8, heads: 3, variants: ['fused'], features: { ...sweepFeatures(page, 3), kvHeads: null } }),
    ).not.toThrow();
  });
});

describe('what a sweep asks of the machine, refused before it runs', () => {
  const c = resolveConfig({
    ns: [1024, 4096],
    dk: 64,
    heads: 8,
    variants: ['naive', 'fused'],
    warmup: 1,
    repeats: 2,
    decode: [32768],
    features: { kvHeads: 2 },
  });
  // Largest inputs: the 4096 point's Q, K and V (8 heads each: 3·4096·8·64·4 B = 24 MiB) against the
  // decode row's Q (1·8·64) and K, V (32768·2·128): 32 MiB + 2 KiB.
  const inputBytes = 4 * (8 * 64 + 32768 * 2 * 128);
  // Flops: 2·pairs·(dk + dv)·runs, runs = 2 variants × 3; pairs = heads·n·m.
  const flops = 2 * 8 * (1024 * 1024 + 4096 * 4096 + 32768) * 128 * 6;

  it('counts the largest inputs and every timed run’s arithmetic', () => {
    expect(sweepDemand(c)).toEqual({ inputBytes, flops });
  });

  it('names the memory its largest inputs need past a limit, and nothing within it', () => {
    expect(sweepMemoryProblem(c, inputBytes, 'x', 'y')).toBeNull();
    expect(sweepMemoryProblem(c, inputBytes - 1, 'the 2 GiB the page allows', 'lower N')).toBe(
      "the largest problem's Q, K and V need 0.0 GiB, more than the 2 GiB the page allows: lower N",
    );
  });

  it('names the least time its arithmetic takes at the measured peak past a limit', () => {
    const peak = flops / 1e9 / 60 / 10; // GFLOP/s that make the sweep exactly 10 minutes
    expect(sweepTimeProblem(c, peak, 10, 'x', 'y')).toBeNull();
    expect(sweepTimeProblem(c, peak, 9, "the page's limit of 9 min", 'lower N')).toBe(
      `the sweep needs at least ${flops.toExponential(2)} floating-point operations (every warm-up and repeat of every variant); at this adapter's measured peak of ${peak.toFixed(2)} GFLOP/s that is at least 10 min, more than the page's limit of 9 min: lower N`,
    );
  });

  it.each([
    [25, '25 min'],
    [119.4, '119 min'],
    [180, '3.0 h'],
    [60 * 24 * 41, '41 days'],
    [60 * 24 * 365 * 2.1e6, '2.1e+6 years'],
  ])('says %d minutes as "%s"', (minutes, words) => {
    expect(duration(minutes)).toBe(words);
  });
});
