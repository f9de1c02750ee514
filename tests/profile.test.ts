/**
 * The profiler on Node's WebGPU at tiny sizes: every figure it reports must be present, positive and
 * consistent. No timing thresholds: speed is what the benchmark reports, never a pass/fail.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { measureAllocations } from '../src/gpu/buffer-ledger';
import { AttentionEngine } from '../src/gpu/engine';
import type { ProfileProgress } from '../src/gpu/profile';
import type { ProfileResult, Roofline } from '../src/core/profile-report';
import { decodeTable, reportTable } from '../src/core/profile-report';
import { QUAD_LANES } from '../src/core/subgroups';
import { profileSweep, rotationOrder, SweepTimeoutError } from '../src/gpu/profile';
import { ClockWarmer, growUntil, measureRoofline, WARM_RISE, warmUntilSettled } from '../src/gpu/roofline';
import { VARIANT_NAMES, variantStages } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import { randomMatrix } from '../src/core/rng';
import { BLOCKED_WORKGROUP_INTENSITY, bindingRoof, PAIRS_WORKGROUP_INTENSITY, WORKGROUP_INTENSITY } from '../src/core/cost';
import { acquireTestDevice, tracked, watchDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();
const ROOFLINE = { copyBytes: 1 << 20, repeats: 3, targetMs: 5 };

describe.skipIf(!gpu)('the profiler sweep', () => {
  let engine: AttentionEngine;
  let roofline: Roofline;
  let result: ProfileResult;
  const progress: ProfileProgress[] = [];
  // The sweep runs once for the tests below, inside the hooks' error handling (not at collection
  // time), and like a test it must leave no GPU resource alive and raise no WebGPU error.
  beforeAll(async () => {
    await tracked(gpu!.device, async () => {
      engine = new AttentionEngine(gpu!.device, shaders);
      roofline = await measureRoofline(gpu!.device, shaders, ROOFLINE);
      result = await profileSweep(
        { ns: [16, 32], dk: 8, heads: 2, variants: VARIANT_NAMES, warmup: 1, repeats: 2, seed: 7 },
        { engine, roofline, onProgress: (p) => progress.push(p) },
      );
    });
  });

  it('measures a positive roofline and the timestamp granularity', () => {
    expect(roofline.gbps).toBeGreaterThan(0);
    expect(roofline.gflops).toBeGreaterThan(0);
    expect(roofline.copyBytes).toBe(ROOFLINE.copyBytes);
    expect(roofline.copyMs.samples).toHaveLength(3);
    if (roofline.method === 'timestamp') expect(roofline.timestamps!.quantumNs).toBeGreaterThanOrEqual(1);
  });

  it('sizes the microbenchmarks and measures the workgroup-memory roof, with the work it reports', () => {
    const z = roofline.sizing!;
    expect(z.targetMs).toBe(ROOFLINE.targetMs);
    expect(z.copyBytes).toBe(ROOFLINE.copyBytes);
    for (const x of [z.copyDispatches, z.fmaGroups, z.fmaIterations, z.workgroupGroups, z.workgroupIterations]) {
      expect(Number.isInteger(x) && x >= 1).toBe(true);
    }
    expect(roofline.fmaFlops).toBe(z.fmaGroups * 64 * z.fmaIterations * 64);
    expect(roofline.workgroupBytes).toBe(z.workgroupGroups * 256 * z.workgroupIterations * 64);
    expect(roofline.workgroupGbps).toBeGreaterThan(0);
    expect(roofline.workgroupMs!.samples).toHaveLength(3);
  });

  it('caches the roofline per device and options: the same options reuse it, others measure anew', async () => {
    expect(await measureRoofline(gpu!.device, shaders, { ...ROOFLINE })).toBe(roofline);
    const other = await measureRoofline(gpu!.device, shaders, { copyBytes: 1 << 19, repeats: 2, targetMs: 5 });
    expect(other).not.toBe(roofline);
    expect(other.copyBytes).toBe(1 << 19);
    expect(other.copyMs.samples).toHaveLength(2);
    expect(other.fmaMs.samples).toHaveLength(2);
    expect(await measureRoofline(gpu!.device, shaders, { copyBytes: 1 << 19, repeats: 2, targetMs: 5 })).toBe(other);
  });

  it('returns one row per N and variant, in order', () => {
    expect(result.cancelled).toBe(false);
    expect(result.rows.map((r) => `${r.n} ${r.variant}`)).toEqual([16, 32].flatMap((n) => VARIANT_NAMES.map((v) => `${n} ${v}`)));
    expect(result.cpu.map((c) => c.n)).toEqual([16, 32]);
    expect(result.cpu.every((c) => c.ms! >= 0 && c.skipped === null)).toBe(true);
  });

  describe.each(VARIANT_NAMES)('%s', (variant) => {
    it.each([16, 32])('N=%i: sane, positive per-stage numbers and an output that matches the reference', (n) => {
      const row = result.rows.find((r) => r.n === n && r.variant === variant)!;
      expect(row.error).toBeNull();
      expect(row.check?.pass).toBe(true);
      expect(row.wallMs.samples).toHaveLength(2);
      expect(row.wallMs.median).toBeGreaterThan(0);
      expect(row.flops.total).toBeGreaterThan(0);
      expect(row.bytes.total).toBeGreaterThan(0);
      expect(row.allocatedBytes).toBeGreaterThan(0);
      if (engine.hasTimestamps) {
        expect(row.timing).toBe('timestamp');
        // N ≤ 32 keys: one key split, so the fused variant runs no combine stage.
        expect(Object.keys(row.stages).sort()).toEqual(
          variantStages(variant)
            .filter((s) => s !== 'combine')
            .sort(),
        );
        for (const s of Object.values(row.stages)) {
          expect(s.samples).toHaveLength(2);
          expect(s.samples.every((ms) => ms >= 0 && Number.isFinite(ms))).toBe(true);
          expect(s.p10).toBeLessThanOrEqual(s.median);
          expect(s.median).toBeLessThanOrEqual(s.p90);
        }
        const stageSum = Object.values(row.stages).reduce((a, s) => a + s.median, 0);
        expect(row.gpuMs!.median).toBeGreaterThan(0);
        expect(row.gpuMs!.median).toBeCloseTo(stageSum, 0);
        // The span runs from the first pass's begin to the last pass's end: it holds every pass.
        row.spanMs!.samples.forEach((span, i) => expect(span).toBeGreaterThanOrEqual(row.gpuMs!.samples[i] - 1e-6));
        expect(['memory', 'fma', 'workgroup']).toContain(row.roof);
      }
      expect(row.gflops).toBeGreaterThan(0);
      expect(row.gbps).toBeGreaterThan(0);
      expect(row.rooflinePct).toBeGreaterThan(0);
    });
  });

  it('holds each variant to the workgroup-memory intensity of its inner loop (pairs of lanes: twice the portable fused)', async () => {
    const sweep = await tracked(gpu!.device, () =>
      profileSweep(
        { ns: [64], dk: 64, heads: 1, variants: ['tiled', 'fused-shared', 'fused-unshared'], warmup: 0, repeats: 1, seed: 8 },
        { engine, roofline },
      ),
    );
    const row = (v: string) => sweep.rows.find((r) => r.variant === v)!;
    expect(row('fused-unshared').lanes ?? null).toBeNull();
    // Where the device has no subgroup form, fused-shared runs without shared lanes too.
    if ((await engine.subgroupLayout())?.consecutive) expect(row('fused-shared').lanes).toBe('pairs');
    const expected = {
      tiled: BLOCKED_WORKGROUP_INTENSITY,
      'fused-shared': row('fused-shared').lanes === 'pairs' ? PAIRS_WORKGROUP_INTENSITY : WORKGROUP_INTENSITY,
      'fused-unshared': WORKGROUP_INTENSITY,
    };
    expect(expected.tiled).toBe(1);
    expect(PAIRS_WORKGROUP_INTENSITY).toBe(2 * WORKGROUP_INTENSITY);
    for (const [variant, workgroup] of Object.entries(expected)) {
      const r = row(variant);
      const bound = bindingRoof({ memory: r.flops.total / r.bytes.total, workgroup }, roofline);
      expect(r.roof).toBe(bound.roof);
      expect(r.gflops! / (r.rooflinePct! / 100)).toBeCloseTo(bound.attainableGflops, 6);
    }
  });

  it('names the shared lanes each fused row ran: pairs in the prefill table, quads in the decode table', async () => {
    const sweep = await tracked(gpu!.device, () =>
      profileSweep(
        { ns: [16], dk: 64, heads: 1, variants: ['fused-shared', 'fused-unshared'], decode: [256], warmup: 0, repeats: 1, seed: 9 },
        { engine, roofline },
      ),
    );
    const layout = await engine.subgroupLayout();
    const form = layout?.consecutive && layout.sizes[0] >= 2;
    const quads = form && layout!.sizes[0] % QUAD_LANES === 0;
    const cell = (rows: Record<string, unknown>[], variant: string) => rows.find((r) => r['variant'] === variant)?.['subgroups'];
    expect(cell(reportTable(sweep), 'fused-shared')).toBe(form ? 'yes, pairs' : 'no');
    expect(cell(decodeTable(sweep), 'fused-shared')).toBe(quads ? 'yes, quads' : form ? 'yes' : 'no');
    expect(cell(reportTable(sweep), 'fused-unshared')).toBe(form ? 'yes' : 'no');
    expect(cell(decodeTable(sweep), 'fused-unshared')).toBe(form ? 'yes' : 'no');
    for (const r of sweep.rows) expect(r.check?.pass).toBe(true);
  });

  it('says how many query heads of a K/V group the quads took together', async () => {
    const sweep = await tracked(gpu!.device, () =>
      profileSweep(
        {
          ns: [8],
          dk: 64,
          heads: 4,
          features: { kvHeads: 2 },
          variants: ['fused-shared', 'fused-ungrouped'],
          decode: [128],
          warmup: 0,
          repeats: 1,
          seed: 10,
        },
        { engine, roofline },
      ),
    );
    const layout = await engine.subgroupLayout();
    const quads = layout?.consecutive && layout.sizes[0] % QUAD_LANES === 0;
    const cell = (variant: string) => decodeTable(sweep).find((r) => r['variant'] === variant)?.['subgroups'];
    expect(cell('fused-shared')).toBe(quads ? 'yes, quads, 2 heads' : layout?.consecutive ? 'yes' : 'no');
    expect(cell('fused-ungrouped')).toBe(quads ? 'yes, quads' : layout?.consecutive ? 'yes' : 'no');
    for (const r of sweep.rows) expect(r.check?.pass).toBe(true);
  });

  it('says where the prefill took 128 rows a workgroup (fused-128rows), and nothing for the kernel’s own 64', async () => {
    const sweep = await tracked(gpu!.device, () =>
      profileSweep(
        { ns: [70], dk: 16, heads: 1, variants: ['fused-64rows', 'fused-128rows'], warmup: 0, repeats: 1, seed: 11 },
        { engine, roofline },
      ),
    );
    const row = (variant: string) => sweep.rows.find((r) => r.variant === variant)!;
    expect(row('fused-128rows').rowsPerWorkgroup).toBe(128);
    expect(row('fused-64rows').rowsPerWorkgroup).toBeUndefined();
    const cell = (variant: string) => reportTable(sweep).find((r) => r['variant'] === variant)?.['subgroups'];
    expect(cell('fused-128rows')).toMatch(/^(yes|no), 128 rows$/);
    expect(cell('fused-64rows')).toMatch(/^(yes|no)$/);
    for (const r of sweep.rows) expect(r.check?.pass).toBe(true);
  });

  it('fits an exponent for every variant', () => {
    for (const variant of VARIANT_NAMES) {
      const fit = result.fits.find((f) => f.variant === variant && f.stage === 'wall');
      expect(fit?.fit.points).toBe(2);
      expect(Number.isFinite(fit?.fit.exponent)).toBe(true);
    }
  });

  it('reports progress up to the planned total', () => {
    const last = progress.at(-1)!;
    expect(progress.length).toBe(last.total);
    expect(last.done).toBe(last.total - 1);
    expect(new Set(progress.map((p) => p.phase))).toEqual(new Set(['reference', 'warmup', 'repeat']));
  });

  it('stops at the next run boundary when cancelled, keeping the finished N', async () => {
    const controller = new AbortController();
    const partial = await profileSweep(
      { ns: [16, 32], dk: 4, variants: ['naive'], warmup: 0, repeats: 1 },
      {
        engine,
        signal: controller.signal,
        onProgress: (p) => p.n === 32 && controller.abort(),
      },
    );
    expect(partial.cancelled).toBe(true);
    expect(partial.rows.map((r) => r.n)).toEqual([16]);
  });

  it('keeps the repeats already finished at the N it was cancelled in', async () => {
    const controller = new AbortController();
    let repeats = 0;
    const partial = await profileSweep(
      { ns: [16], dk: 4, variants: ['naive'], warmup: 0, repeats: 3 },
      {
        engine,
        signal: controller.signal,
        onProgress: (p) => p.phase === 'repeat' && ++repeats === 2 && controller.abort(),
      },
    );
    expect(partial.cancelled).toBe(true);
    expect(partial.rows).toHaveLength(1);
    expect(partial.rows[0].wallMs.samples).toHaveLength(1);
    expect(partial.notes.join(' ')).toMatch(/Cancelled during N=16/);
  });

  describe('under the watchdog (time limits given), with an engine whose tiled runs never answer', () => {
    // What a kernel that never finishes looks like to the sweep; the GPU itself is left alone.
    const stuck = <T>(work: () => Promise<T>) => {
      const run = engine.run.bind(engine);
      engine.run = (inputs, options, r = {}) => (r.variant === 'tiled' ? new Promise(() => {}) : run(inputs, options, r));
      return work().finally(() => (engine.run = run));
    };
    // 1 s a run: gpuTimeLimitMs rounds up to whole seconds.
    const timeLimits = { baseMs: 1, floorMaddsPerSecond: 1e12 };

    it('stops the sweep with a SweepTimeoutError naming the variant, the point and the limit', async () => {
      const sweep = stuck(() =>
        profileSweep({ ns: [16, 32], dk: 4, variants: ['naive', 'tiled'], warmup: 0, repeats: 1 }, { engine, timeLimits }),
      );
      const error = await sweep.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SweepTimeoutError);
      expect(error).toMatchObject({ variant: 'tiled', n: 16, m: 16, limitMs: 1000, message: 'tiled did not finish within 1 s at N=16' });
    });

    it('Cancel stops waiting at once: the sweep returns cancelled, not timed out', async () => {
      const controller = new AbortController();
      const sweep = stuck(() =>
        profileSweep(
          { ns: [16], dk: 4, variants: ['tiled'], warmup: 0, repeats: 1 },
          {
            engine,
            // Ten minutes: only the abort can end the wait within the test.
            timeLimits: { baseMs: 600_000, floorMaddsPerSecond: 1e12 },
            signal: controller.signal,
            onProgress: (p) => p.phase === 'repeat' && setTimeout(() => controller.abort(), 0),
          },
        ),
      );
      const partial = await sweep;
      expect(partial.cancelled).toBe(true);
      expect(partial.rows).toEqual([]);
    });
  });

  it("puts every run of a custom variant's own kernels on the page's record, with the run's limit, and no built-in's", async () => {
    const own = shaders['weighted_values.wgsl'];
    const recorded: { kernels: Readonly<Record<string, string>>; limitMs: number }[] = [];
    let runs = 0;
    const run = engine.run.bind(engine);
    engine.run = (inputs, options, r = {}) => (runs++, run(inputs, options, r));
    try {
      const r = await profileSweep(
        { ns: [16], dk: 4, variants: ['tiled', 'custom:pv'], warmup: 1, repeats: 2 },
        {
          engine,
          custom: { 'custom:pv': { base: 'tiled', kernels: { pv: own }, note: 'own pv', checked: true } },
          timeLimits: { baseMs: 1, floorMaddsPerSecond: 1e12 },
          recordRun: (kernels, limitMs, work) => {
            recorded.push({ kernels, limitMs });
            return work();
          },
        },
      );
      expect(r.rows.map((row) => row.error ?? null)).toEqual([null, null]);
      // Three runs of each variant (one warm-up, two repeats); only the custom one's are recorded.
      expect(runs).toBe(6);
      expect(recorded).toEqual(Array(3).fill({ kernels: { pv: own }, limitMs: 1000 }));
    } finally {
      engine.run = run;
    }
  });

  it('interleaves the variants round-robin, warm-ups first, each round starting with the next variant', () => {
    const atN16 = progress.filter((p) => p.n === 16 && p.phase !== 'reference').map((p) => `${p.phase} ${p.variant}`);
    const round = (phase: string, r: number) => rotationOrder(VARIANT_NAMES, r).map((v) => `${phase} ${v}`);
    expect(atN16).toEqual([...round('warmup', 0), ...round('repeat', 1), ...round('repeat', 2)]);
    expect(rotationOrder(['a', 'b', 'c'], 1)).toEqual(['b', 'c', 'a']);
    expect(rotationOrder(['a', 'b', 'c'], 5)).toEqual(['c', 'a', 'b']);
    expect(rotationOrder([], 3)).toEqual([]);
  });

  it('never times the run that compiles: with no warm-ups an untimed run comes first at every point', async () => {
    // The first run of a variant at a point stands for a compile (a long wall time); the others do not.
    const run = engine.run.bind(engine);
    const seen = new Set<string>();
    let runs = 0;
    engine.run = async (inputs, options, r = {}) => {
      const result = await run(inputs, options, r);
      const key = `${inputs.q.rows} ${r.variant}`;
      runs++;
      const compiled = !seen.has(key);
      seen.add(key);
      return { ...result, wallMs: compiled ? 1000 : 1 };
    };
    try {
      const r = await profileSweep({ ns: [16, 32], dk: 4, variants: ['naive', 'fused'], warmup: 0, repeats: 2, seed: 3 }, { engine });
      expect(runs).toBe(2 * 2 * 3);
      for (const row of r.rows) expect(row.wallMs.samples, `N=${row.n} ${row.variant}`).toEqual([1, 1]);
      // The straight line in log-log over wall times that do not grow is flat, never the compile's −10.
      for (const variant of ['naive', 'fused'])
        expect(r.fits.find((f) => f.variant === variant && f.stage === 'wall')?.fit.exponent).toBe(0);
    } finally {
      engine.run = run;
    }
  });

  it('reports an unknown variant as a failed row instead of stopping the sweep', async () => {
    const r = await profileSweep({ ns: [16], dk: 4, variants: ['nonesuch', 'naive'], warmup: 0, repeats: 1 }, { engine });
    expect(r.rows[0].error).toMatch(/unknown variant/);
    expect(r.rows[1].error).toBeNull();
  });

  it('warms the clock before every round of every point and reports each probe', async () => {
    const events: string[] = [];
    let probe = 0;
    const warmer = {
      warm: async () => {
        events.push('warm');
        const fractionOfRoof = [0.2, 0.9, 1][probe++ % 3];
        return { ms: 1, gflops: fractionOfRoof * 100, fractionOfRoof };
      },
    };
    const r = await profileSweep(
      { ns: [16], dk: 4, variants: ['naive', 'tiled'], warmup: 1, repeats: 2, decode: [40] },
      { engine, warmer, onProgress: (p) => events.push(p.phase === 'reference' ? 'reference' : `run ${p.variant}`) },
    );
    const point = ['reference', 'warm', 'run naive', 'run tiled', 'warm', 'run tiled', 'run naive', 'warm', 'run naive', 'run tiled'];
    expect(events).toEqual([...point, ...point]);
    expect(r.clockProbes).toEqual([
      { n: 16, m: 16, decode: false, fractionOfRoof: [0.2, 0.9, 1] },
      { n: 1, m: 40, decode: true, fractionOfRoof: [0.2, 0.9, 1] },
    ]);
    expect(r.notes.join(' ')).toMatch(/Clock warm-up before each round .*N=16 20–100 %, decode m=40 20–100 %/);
    // Without a warmer there is neither a probe nor its note.
    expect(result.clockProbes).toBeUndefined();
    expect(result.notes.join(' ')).not.toMatch(/Clock warm-up/);
  });

  it('measures the roofline after a warm-up when asked, as a measurement of its own', async () => {
    const warmed = await measureRoofline(gpu!.device, shaders, { ...ROOFLINE, warmUpMs: 20 });
    expect(warmed).not.toBe(roofline);
    expect(warmed.gflops).toBeGreaterThan(0);
    expect(warmed.sizing).toMatchObject({ targetMs: ROOFLINE.targetMs });
    expect(await measureRoofline(gpu!.device, shaders, { ...ROOFLINE, warmUpMs: 20 })).toBe(warmed);
  });

  it('a warm-up goes on while the clock still rises, and stops once a pass is no faster than the one before', async () => {
    // An idle GPU's clock climbing: each pass faster, then flat. A fixed time would stop mid-climb.
    const ramp = [1, 2, 4, 8, 8 * WARM_RISE * 0.999, 8, 1];
    let calls = 0;
    const rateOf = () => Promise.resolve(ramp[calls++]);
    const settled = await warmUntilSettled(0, rateOf);
    expect(settled.passes).toBe(5);
    expect(settled.rate).toBeCloseTo(8 * WARM_RISE * 0.999, 12);
    // Two passes at least, even past the minimum: one pass cannot tell a rising clock.
    calls = 5;
    expect(await warmUntilSettled(0, rateOf)).toMatchObject({ passes: 2, rate: 1 });
    // A rate that never settles stops at the cap (0 ms here: after its first pass).
    let rising = 1;
    expect(await warmUntilSettled(0, () => Promise.resolve((rising *= 2)), { maxMs: 0 })).toMatchObject({ passes: 1, rate: 2 });
    // With a target, a flat rate below it is a clock not yet up (an idle GPU holds a low step for
    // most of a second): the warm-up goes on until the target.
    const steps = [1, 1, 1, 1, 3, 9, 9.5];
    calls = 0;
    expect(await warmUntilSettled(0, () => Promise.resolve(steps[calls++]), { target: 9 })).toMatchObject({ passes: 6, rate: 9 });
    calls = 0;
    expect(await warmUntilSettled(0, () => Promise.resolve(steps[calls++]))).toMatchObject({ passes: 2, rate: 1 });
    // The minimum holds however flat the rate.
    const flat = await warmUntilSettled(25, () => new Promise<number>((resolve) => setTimeout(() => resolve(1), 5)));
    expect(flat.ms).toBeGreaterThanOrEqual(25);
    expect(flat.passes).toBeGreaterThan(1);
  });

  it('ClockWarmer runs the roofline’s FMA kernel for at least its time and probes its rate', async () => {
    await tracked(gpu!.device, async () => {
      // Capped at 2 s: on a loaded CPU emulator a pass may stay below 0.9 of the roofline's rate.
      const warmer = new ClockWarmer(gpu!.device, shaders, roofline, 30, 2000);
      try {
        const first = await warmer.warm();
        expect(first.ms).toBeGreaterThanOrEqual(30);
        expect(first.gflops).toBeGreaterThan(0);
        expect(first.fractionOfRoof).toBeCloseTo(first.gflops / roofline.gflops, 12);
        expect((await warmer.warm()).ms).toBeGreaterThanOrEqual(30);
      } finally {
        warmer.destroy();
      }
    });
  });

  it('skips the CPU reference above its limit and says so', async () => {
    const r = await profileSweep({ ns: [16], dk: 4, variants: ['naive'], warmup: 0, repeats: 1, cpuReferenceLimit: 10 }, { engine });
    expect(r.cpu[0]).toMatchObject({ ms: null });
    expect(r.rows[0].check).toBeNull();
    expect(r.notes.join(' ')).toMatch(/CPU reference skipped/);
  });
});

describe.skipIf(!gpu)('the engine’s timestamp span', () => {
  it.each([
    { variant: 'tiled', maxBlockRows: undefined },
    { variant: 'tiled', maxBlockRows: 8 },
    { variant: 'fused', maxBlockRows: 8 },
  ] as const)(
    '$variant, blocks of $maxBlockRows rows: one span per block, summed, at least the sum of its passes',
    async ({ variant, maxBlockRows }) => {
      const engine = new AttentionEngine(gpu!.device, shaders);
      const inputs = { q: randomMatrix(32, 8, 1), k: randomMatrix(32, 8, 2), v: randomMatrix(32, 8, 3) };
      const result = await engine.run(inputs, {}, { variant, maxBlockRows });
      if (!engine.hasTimestamps) {
        expect(result.gpuSpanMs).toBeNull();
        return;
      }
      expect(result.blocks).toBe(maxBlockRows ? 4 : 1);
      const passes = Object.values(result.gpuTimings!).reduce((a, b) => a + b, 0);
      expect(result.gpuSpanMs).toBeGreaterThanOrEqual(passes - 1e-9);
      expect(result.gpuSpanMs).toBeGreaterThan(0);
    },
  );
});

describe('growUntil: the roofline grows its work by time', () => {
  /** A fake device whose pass takes size[0]·size[1]·msPerUnit. */
  const timeOf = (msPerUnit: number, seen: [number, number][]) => async (size: [number, number]) => {
    seen.push([...size]);
    return size[0] * size[1] * msPerUnit;
  };

  it('grows the first part to its cap, then the second, until a pass takes the target', async () => {
    const seen: [number, number][] = [];
    const size = await growUntil(10, [64, 1], [256, 64], timeOf(0.01, seen));
    expect(seen[0]).toEqual([64, 1]);
    expect(size[0]).toBe(256);
    expect(size[0] * size[1] * 0.01).toBeGreaterThanOrEqual(10);
    // Each step multiplies by the shortfall, 2× to 16×: few steps.
    expect(seen.length).toBeLessThanOrEqual(4);
  });

  it('stops at once when the first pass is long enough (a slow device stays quick)', async () => {
    const seen: [number, number][] = [];
    expect(await growUntil(10, [64, 64], [65_535, 1 << 20], timeOf(1, seen))).toEqual([64, 64]);
    expect(seen).toHaveLength(1);
  });

  it('stops at the caps when the target cannot be reached', async () => {
    expect(await growUntil(1e9, [1, 1], [8, 8], timeOf(1, []))).toEqual([8, 8]);
  });

  it('snaps the first part (powers of two for the copy buffer)', async () => {
    const size = await growUntil(100, [3, 1], [1 << 20, 1], timeOf(1, []), (x) => 2 ** Math.round(Math.log2(x)));
    expect(Math.log2(size[0]) % 1).toBe(0);
  });
});

describe.skipIf(!gpu)('measureAllocations', () => {
  it('counts the peak of live buffers and restores createBuffer', async () => {
    const device = gpu!.device;
    const before = device.createBuffer;
    const { peakBytes, totalBytes, buffers } = await measureAllocations(device, async () => {
      const a = device.createBuffer({ label: 'Test.a', size: 1024, usage: GPUBufferUsage.STORAGE });
      const b = device.createBuffer({ label: 'Test.b', size: 256, usage: GPUBufferUsage.STORAGE });
      a.destroy();
      const c = device.createBuffer({ label: 'Test.c', size: 512, usage: GPUBufferUsage.STORAGE });
      b.destroy();
      c.destroy();
    });
    expect({ peakBytes, totalBytes, buffers }).toEqual({ peakBytes: 1280, totalBytes: 1792, buffers: 3 });
    expect(device.createBuffer).toBe(before);
  });
});
