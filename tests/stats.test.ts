import { describe, expect, it } from 'vitest';
import { attainableGflops, attentionBytes, attentionFlops, ratePerSecondG, rooflinePercent, stageFlops } from '../src/core/cost';
import type { ProfileResult, ProfileRow } from '../src/core/profile-report';
import { fitExponents, fitWords, formatCell, reportTable, resolveConfig, speedup, toCsv } from '../src/core/profile-report';
import { fitPowerLaw, median, quantile, summarize, timestampGranularity, upperPart } from '../src/core/stats';

describe('quantiles and summaries', () => {
  it.each([
    { q: 0, expected: 1 },
    { q: 0.1, expected: 1.4 },
    { q: 0.5, expected: 3 },
    { q: 0.9, expected: 4.6 },
    { q: 1, expected: 5 },
  ])('quantile $q of 1..5 (any order) is $expected (linear interpolation, type 7)', ({ q, expected }) => {
    expect(quantile([5, 1, 4, 2, 3], q)).toBeCloseTo(expected, 12);
  });

  it('median of an even count is the mean of the middle two; empty gives NaN', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('rejects a quantile outside [0, 1]', () => {
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });

  it('summarize keeps the samples in measurement order', () => {
    const s = summarize([3, 1, 2]);
    expect(s).toMatchObject({ median: 2, min: 1, max: 3, samples: [3, 1, 2] });
    expect(s.p10).toBeCloseTo(1.2, 12);
    expect(s.p90).toBeCloseTo(2.8, 12);
  });
});

describe('power-law fit in log-log space', () => {
  it.each([
    { exponent: 2, prefactor: 3e-4 },
    { exponent: 1, prefactor: 0.5 },
    { exponent: 2.5, prefactor: 1e-6 },
  ])('recovers y = $prefactor · x^$exponent exactly', ({ exponent, prefactor }) => {
    const xs = [64, 128, 256, 512, 1024];
    const fit = fitPowerLaw(
      xs,
      xs.map((x) => prefactor * x ** exponent),
    )!;
    expect(fit.exponent).toBeCloseTo(exponent, 10);
    expect(fit.prefactor / prefactor).toBeCloseTo(1, 10);
    expect(fit.r2).toBeCloseTo(1, 12);
    expect(fit.points).toBe(5);
    expect(fit.xRange).toEqual([64, 1024]);
  });

  it('is the least-squares slope when the points are noisy', () => {
    // ln y = 2 ln x ± 0.1 alternately: the symmetric noise leaves the slope near 2 with r² < 1.
    const xs = [100, 200, 400, 800];
    const ys = xs.map((x, i) => x ** 2 * Math.exp(i % 2 ? 0.1 : -0.1));
    const fit = fitPowerLaw(xs, ys)!;
    expect(fit.exponent).toBeGreaterThan(1.8);
    expect(fit.exponent).toBeLessThan(2.2);
    expect(fit.r2).toBeLessThan(1);
    expect(fit.r2).toBeGreaterThan(0.9);
  });

  it('drops points that have no logarithm and needs two distinct x', () => {
    expect(fitPowerLaw([1, 2, 4], [0, 4, 16])!.exponent).toBeCloseTo(2, 12);
    expect(fitPowerLaw([8, 8], [1, 2])).toBeNull();
    expect(fitPowerLaw([8], [1])).toBeNull();
    expect(() => fitPowerLaw([1, 2], [1])).toThrow(RangeError);
  });

  it.each([
    { xs: [16, 32, 64, 128, 256], from: undefined, expected: [64, 128, 256] },
    { xs: [64, 128, 256, 512, 1024], from: 512, expected: [512, 1024] },
    { xs: [32, 16], from: undefined, expected: [16, 32] },
    { xs: [16, 16, 32, 64], from: undefined, expected: [32, 64] },
  ])('upperPart($xs, $from) is $expected', ({ xs, from, expected }) => {
    expect(upperPart(xs, from)).toEqual(expected);
  });
});

describe('timestamp granularity', () => {
  it('finds a 65 536 ns quantum (Dawn clears the low 16 bits)', () => {
    const stamps = [1000n, 1003n, 1010n, 5000n].map((k) => k * 65536n);
    expect(timestampGranularity(stamps)).toEqual({ quantumNs: 65536, smallestStepNs: 3 * 65536, count: 4 });
  });

  it('reports 1 ns for stamps that are not quantized', () => {
    expect(timestampGranularity([1_000_000_007n, 1_000_370_011n, 1_002_000_000n]).quantumNs).toBe(1);
  });

  it('cannot say anything about fewer than two distinct stamps', () => {
    expect(timestampGranularity([5n, 5n])).toEqual({ quantumNs: 0, smallestStepNs: null, count: 2 });
    expect(timestampGranularity([]).quantumNs).toBeNaN();
  });
});

describe('FLOP and byte models', () => {
  const shape = { n: 512, m: 512, dk: 64, dv: 64, heads: 1, causal: false };

  it('counts 4·n·m·dk per head for the two matmuls and 5 per score for softmax', () => {
    const f = attentionFlops(shape);
    expect(f.matmul).toBe(4 * 512 * 512 * 64);
    expect(f.qk).toBe(2 * 512 * 512 * 64);
    expect(f.softmax).toBe(5 * 512 * 512);
    expect(f.total).toBe(f.qk + f.pv + f.softmax);
  });

  it('scales with heads and halves when causal', () => {
    const full = attentionFlops({ ...shape, heads: 4 });
    const causal = attentionFlops({ ...shape, heads: 4, causal: true });
    expect(full.total).toBe(4 * attentionFlops(shape).total);
    expect(causal.qk).toBe(full.qk / 2);
    expect(causal.softmax).toBe(full.softmax / 2);
    expect(causal.total).toBe(full.total / 2);
  });

  it('uses dv for P·V', () => {
    expect(attentionFlops({ ...shape, dv: 16 }).pv).toBe(2 * 512 * 512 * 16);
  });

  it('three-pass: Q+K+S, S+P, P+V+O in float32', () => {
    const b = attentionBytes(shape, 'three-pass');
    const s = 512 * 512,
      x = 512 * 64;
    expect(b.stages).toEqual({ qk: 4 * (2 * x + s), softmax: 4 * 2 * s, pv: 4 * (s + 2 * x) });
    expect(b.total).toBe(4 * (4 * x + 4 * s));
  });

  it('fused moves only Q, K, V and O', () => {
    expect(attentionBytes({ ...shape, heads: 2 }, 'fused')).toEqual({ stages: { fused: 4 * 4 * 512 * 128 }, total: 4 * 4 * 512 * 128 });
  });

  it('tfjs adds the scale pass, the causal bias and the head transposes', () => {
    const three = attentionBytes({ ...shape, heads: 2, causal: true }, 'three-pass');
    const tfjs = attentionBytes({ ...shape, heads: 2, causal: true }, 'tfjs');
    const s = 2 * 512 * 512;
    expect(tfjs.stages.qk - three.stages.qk).toBe(4 * (2 * s + 2 * s + 512 * 512));
    expect(tfjs.stages.layout).toBe(4 * 2 * (4 * 512 * 128));
    expect(attentionBytes(shape, 'tfjs').stages.layout).toBeUndefined();
  });

  it('gives each stage its FLOPs and the fused pass all of them', () => {
    const f = attentionFlops(shape);
    expect(stageFlops(f, 'softmax')).toBe(f.softmax);
    expect(stageFlops(f, 'fused')).toBe(f.total);
    expect(stageFlops(f, 'layout')).toBeNull();
  });

  it.each([
    { intensity: 1, expected: 2, why: 'memory-bound: intensity × bandwidth' },
    { intensity: 100, expected: 10, why: 'compute-bound: the FMA peak' },
  ])('attainable GFLOP/s at intensity $intensity is $expected ($why)', ({ intensity, expected }) => {
    expect(attainableGflops(intensity, { gflops: 10, gbps: 2 })).toBe(expected);
  });

  it('rates and roofline percentages', () => {
    expect(ratePerSecondG(2e9, 1000)).toBe(2);
    expect(ratePerSecondG(1, 0)).toBeNaN();
    // 1 GFLOP/s achieved at intensity 1 on a 10 GFLOP/s, 2 GB/s machine: 50 % of the 2 GFLOP/s bound.
    expect(rooflinePercent(1, 1e9, 1e9, { gflops: 10, gbps: 2 })).toBeCloseTo(50, 12);
  });
});

describe('profile report', () => {
  const summary = (ms: number) => summarize([ms, ms, ms]);
  const row = (n: number, variant: string, ms: number): ProfileRow => ({
    n,
    variant,
    source: 'engine',
    timing: 'timestamp',
    stages: { qk: summary(ms / 2), softmax: summary(ms / 4), pv: summary(ms / 4) },
    gpuMs: summary(ms),
    wallMs: summary(ms + 1),
    flops: attentionFlops({ n, m: n, dk: 8, dv: 8, heads: 1, causal: false }),
    bytes: attentionBytes({ n, m: n, dk: 8, dv: 8, heads: 1, causal: false }, 'three-pass'),
    intensity: 1,
    gflops: 1,
    stageGflops: {},
    gbps: 1,
    rooflinePct: null,
    allocatedBytes: 2 ** 20,
    check: { pass: true, maxAbs: 1e-7, maxUlp: 2 },
    error: null,
  });
  const rows = [
    row(64, 'naive', 4),
    row(64, 'tiled', 2),
    row(128, 'naive', 16),
    row(128, 'tiled', 8),
    row(256, 'naive', 64),
    row(256, 'tiled', 32),
  ];
  const result: ProfileResult = {
    config: resolveConfig({ ns: [64, 128, 256], dk: 8, variants: ['naive', 'tiled'] }),
    adapter: null,
    roofline: null,
    rows,
    cpu: [{ n: 64, ms: 3, skipped: null }],
    fits: fitExponents(rows, null),
    cancelled: false,
    notes: [],
    startedAt: '',
    durationMs: 0,
  };

  it('speed-ups pair the repeats at the same N (equal samples: the ratio of the times)', () => {
    expect(speedup(rows, rows[1], 'naive')).toBe(2);
    expect(speedup(rows, rows[1], 'tfjs')).toBeNull();
  });

  it('fits every variant and stage over the upper part of the sweep', () => {
    const gpu = result.fits.find((f) => f.variant === 'tiled' && f.stage === 'gpu')!;
    expect(gpu.fit.exponent).toBeCloseTo(2, 10);
    expect(gpu.fit.xRange).toEqual([128, 256]);
    expect(result.fits.map((f) => f.stage)).toEqual(expect.arrayContaining(['qk', 'softmax', 'pv', 'gpu', 'wall']));
  });

  it('builds the table with stage columns, ratios and the check', () => {
    const table = reportTable(result);
    expect(table[1]).toMatchObject({
      N: 64,
      variant: 'tiled',
      'qk ms': 1,
      'gpu ms': 2,
      '× naive': 2,
      'alloc MiB': 1,
      'cpu ms': 3,
      check: 'pass',
    });
    expect(Object.keys(table[0])).not.toContain('× tfjs');
    expect(toCsv(result).split('\n')[0]).toMatch(/^N,variant,qk ms,softmax ms,pv ms,gpu ms/);
  });

  it.each([
    { value: null, text: '—' },
    { value: 12.3456, text: '12.3' },
    { value: 1024, text: '1024' },
    { value: 1.5e-5, text: '1.50e-5' },
    { value: 'pass', text: 'pass' },
  ])('formats $value as $text', ({ value, text }) => {
    expect(formatCell(value)).toBe(text);
  });

  it('rejects configurations it cannot run', () => {
    expect(() => resolveConfig({ ns: [], dk: 8, variants: ['naive'] })).toThrow(RangeError);
    expect(() => resolveConfig({ ns: [16], dk: 0, variants: ['naive'] })).toThrow(/dk/);
    expect(() => resolveConfig({ ns: [16], dk: 8, variants: [] })).toThrow(/variant/);
    expect(resolveConfig({ ns: [32, 16, 32], dk: 8, variants: ['naive'] })).toMatchObject({
      ns: [16, 32],
      dv: 8,
      heads: 1,
      warmup: 2,
      repeats: 5,
    });
  });
});

describe("straight-line exponents of times that do not vary (flat at the timer's resolution)", () => {
  // Every N takes the same time, or times one timestamp quantum (0.1 ms) apart: no slope to measure.
  const ns = [64, 128, 256, 512];
  const flatRow = (n: number, spanMs: number, wallMs: number) =>
    ({
      n,
      m: n,
      variant: 'fused',
      stages: {},
      error: null,
      gpuMs: null,
      spanMs: summarize([spanMs]),
      wallMs: summarize([wallMs]),
    }) as unknown as ProfileRow;
  const quantumNs = 100_000;

  it('says all-equal times give no exponent, not 0.00 with r² 1.000', () => {
    const fits = fitExponents(
      ns.map((n) => flatRow(n, 0.1, 0.25)),
      64,
      quantumNs,
    );
    const wall = fits.find((f) => f.stage === 'wall')!;
    expect(wall.flat).toBe('the times are all 0.25 ms: flat, so no exponent can be fitted');
    expect(fitWords(wall)).toBe('no exponent: the times are all 0.25 ms: flat, so no exponent can be fitted (4 points, N 64–512)');
    expect(fitWords(wall)).not.toMatch(/0\.00|r²/);
  });

  it("says times one timestamp quantum apart are flat at the timer's resolution, and fits them when the quantum is unknown", () => {
    const rows = ns.map((n, i) => flatRow(n, i < 2 ? 0.1 : 0.2, n / 100));
    const span = (q: number) => fitExponents(rows, 64, q).find((f) => f.stage === 'span')!;
    expect(span(quantumNs).flat).toBe("the times (0.1–0.2 ms) are flat at the timer's resolution (0.1 ms), so no exponent can be fitted");
    expect(fitWords(span(quantumNs))).toMatch(/^no exponent: .*timer's resolution/);
    // Wall time is not quantized by the timestamp quantum: its exponent (1 here) is fitted.
    const wall = fitExponents(rows, 64, quantumNs).find((f) => f.stage === 'wall')!;
    expect(wall.flat).toBeUndefined();
    expect(fitWords(wall)).toMatch(/^1\.00 {2}\(r² 1\.000, 4 points, N 64–512\)$/);
    expect(span(0).flat).toBeUndefined();
    expect(fitWords(span(0))).toMatch(/^0\.\d\d {2}\(r² 0\.\d{3}/);
  });
});
