/**
 * npm run bench -- --n 64,128,256,512,1024 --dk 64 [--heads H] [--causal] [--variants naive,tiled,fused,tfjs]
 *   [--repeats R] [--warmup W] [--fit-from N] [--seed S] [--json] [--node] [--out DIR] [--no-plot] [--diagnose]
 *   [--rope [interleaved|half] …] [--kv-heads H] [--window W] [--alibi] [--softcap C] [--sinks S1,S2,…]
 * npm run bench -- --replot DIR/results.json [--out DIR]     (redraw the plots of earlier results)
 *
 * The sequence-length profiler from the terminal. With tfjs among the variants it drives headless
 * Chromium (the system one) on the built bench.html; otherwise, or with --node, it runs on Node's
 * WebGPU (Dawn). Prints a table (or the results as JSON with --json), writes DIR/results.json
 * (default bench/) and the plots DIR/scaling.png and DIR/gflops.png, drawn by the page's uPlot
 * charts in Chromium (skipped with --no-plot or when Chromium is missing).
 *
 * --diagnose (Node only) adds, for every chosen engine variant whose kernels use workgroupBarrier,
 * a "<variant>-nobarrier" copy with the barriers deleted: racy and unchecked, but doing the same
 * arithmetic and memory traffic, so the difference in time is what the barriers cost.
 *
 * Exit codes: 0 done · 1 a variant failed or disagreed with the reference · 2 bad arguments ·
 * 3 no WebGPU adapter.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ProfileConfig, ProfileResult } from '../src/core/profile-report';
import { formatTable, reportTable, resolveConfig, speedup } from '../src/core/profile-report';
import { NoAdapterError } from '../src/gpu/device';
import { AttentionEngine } from '../src/gpu/engine';
import type { StageName } from '../src/core/stages';
import type { CustomVariant, ProfileProgress } from '../src/gpu/profile';
import { profileSweep } from '../src/gpu/profile';
import { measureRoofline } from '../src/gpu/roofline';
import type { ShaderLibrary } from '../src/gpu/variants';
import { isVariant, VARIANT_NAMES, VARIANTS, variantStages } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import { withBenchPage } from './lib/bench-browser';
import { EXIT, integer, integerList, list, main, openDevice, parseFlags, UsageError } from './lib/cli';
import { describeFeatures, FEATURE_FLAGS, FEATURE_USAGE, featureOptions, withFeatureDefaults } from './lib/feature-flags';

const PEERS = ['tfjs'];
const USAGE = `usage: npm run bench -- --n 64,128,256,512,1024 --dk 64 [--heads H] [--causal]
       [--variants ${[...VARIANT_NAMES, ...PEERS].join(',')}] [--repeats R] [--warmup W] [--fit-from N] [--seed S]
       [--json] [--node] [--out DIR] [--no-plot] [--diagnose]
       [--rope [interleaved|half]] [--rope-base B] [--rope-dims R] [--rope-offset P] [--kv-heads H] [--window W]
       [--alibi [standard|S1,S2,…]] [--softcap C] [--sinks S.npy|S1,S2,…]
       npm run bench -- --replot DIR/results.json [--out DIR]
tfjs runs in headless Chromium only; without it (or with --node) the engine runs on Node's WebGPU.
The feature flags profile the engine's variants with those features on (tfjs runs plain attention only).
${FEATURE_USAGE}`;

interface Cli {
  config: ProfileConfig;
  json: boolean;
  node: boolean;
  out: string;
  plot: boolean;
  diagnose: boolean;
  replot: string | null;
}

function parseCommandLine(argv: string[]): Cli | null {
  const v = parseFlags({
    args: withFeatureDefaults(argv),
    options: {
      ...FEATURE_FLAGS,
      n: { type: 'string' },
      dk: { type: 'string' },
      dv: { type: 'string' },
      heads: { type: 'string' },
      causal: { type: 'boolean' },
      variants: { type: 'string' },
      repeats: { type: 'string' },
      warmup: { type: 'string' },
      'fit-from': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      node: { type: 'boolean' },
      out: { type: 'string' },
      'no-plot': { type: 'boolean' },
      diagnose: { type: 'boolean' },
      replot: { type: 'string' },
      help: { type: 'boolean' },
    },
  }).values;
  if (v.help) return null;
  const features = featureOptions(v);
  const plain = describeFeatures(features) === '';
  // By default every engine variant, plus the peer unless --node or a feature rules it out.
  const defaults = v.node || !plain ? VARIANT_NAMES : [...VARIANT_NAMES, ...PEERS];
  const variants = list(v.variants) ?? defaults;
  const unknown = variants.filter((x) => !(VARIANT_NAMES as string[]).includes(x) && !PEERS.includes(x));
  if (unknown.length)
    throw new UsageError(`unknown variant(s) ${unknown.join(', ')}; choose from ${[...VARIANT_NAMES, ...PEERS].join(', ')}`);
  const wantsPeer = variants.some((x) => PEERS.includes(x));
  if (v.node && wantsPeer)
    throw new UsageError('tfjs needs a browser (its WebGPU backend uses navigator.gpu): drop --node or drop tfjs from --variants');
  if (v.diagnose && wantsPeer) throw new UsageError("--diagnose runs on Node's WebGPU: drop tfjs from --variants");
  const config: ProfileConfig = {
    ns: integerList(v.n, 'n') ?? [64, 128, 256, 512, 1024],
    dk: integer(v.dk, 'dk') ?? 64,
    dv: integer(v.dv, 'dv'),
    heads: integer(v.heads, 'heads') ?? 1,
    causal: v.causal ?? false,
    variants,
    repeats: integer(v.repeats, 'repeats') ?? 5,
    warmup: integer(v.warmup, 'warmup') ?? 2,
    fitFromN: integer(v['fit-from'], 'fit-from'),
    seed: integer(v.seed, 'seed') ?? 1,
    features,
  };
  try {
    resolveConfig(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    config,
    json: v.json ?? false,
    node: v.node || !wantsPeer,
    out: resolve(v.out ?? 'bench'),
    plot: !v['no-plot'],
    diagnose: v.diagnose ?? false,
    replot: v.replot ?? null,
  };
}

function progressLine(p: ProfileProgress): void {
  process.stderr.write(`\r[${p.done}/${p.total}] N=${p.n} ${p.variant} ${p.phase}`.padEnd(60));
}

/** "<variant>-nobarrier" for each chosen variant whose kernels synchronise with workgroupBarrier. */
function barrierFreeVariants(variants: string[], shaders: ShaderLibrary): Record<string, CustomVariant> {
  const custom: Record<string, CustomVariant> = {};
  for (const variant of variants) {
    if (!isVariant(variant)) continue;
    const files = VARIANTS[variant] as Partial<Record<StageName, string>>;
    const kernels: Partial<Record<StageName, string>> = {};
    for (const stage of variantStages(variant)) {
      const source = shaders[files[stage]!];
      if (source?.includes('workgroupBarrier')) kernels[stage] = source.replaceAll(/workgroupBarrier\(\);/g, '');
    }
    if (Object.keys(kernels).length === 0) continue;
    custom[`${variant}-nobarrier`] = {
      base: variant,
      kernels,
      note: `${variant} with every workgroupBarrier() deleted from ${Object.keys(kernels).join(', ')} (racy, output not checked; same arithmetic and traffic): the time difference to ${variant} is the barriers' cost`,
    };
  }
  return custom;
}

async function runInNode(config: ProfileConfig, diagnose: boolean): Promise<ProfileResult> {
  const { device, summary } = await openDevice();
  try {
    const shaders = loadShaderLibrary();
    const engine = new AttentionEngine(device, shaders);
    const custom = diagnose ? barrierFreeVariants(config.variants, shaders) : {};
    // Each diagnostic copy runs right after its variant.
    config = { ...config, variants: config.variants.flatMap((v) => (custom[`${v}-nobarrier`] ? [v, `${v}-nobarrier`] : [v])) };
    process.stderr.write('measuring the roofline…');
    const roofline = await measureRoofline(device, shaders);
    const result = await profileSweep(config, {
      engine,
      roofline,
      custom,
      onProgress: progressLine,
      adapter: {
        description: summary.description,
        vendor: summary.vendor,
        architecture: summary.architecture,
        isSoftware: summary.isSoftware,
      },
    });
    process.stderr.write('\n');
    result.notes.unshift("Ran on Node's WebGPU (Dawn, the `webgpu` package).");
    return result;
  } finally {
    device.destroy();
  }
}

function summaryText(result: ProfileResult): string {
  const lines: string[] = [];
  const a = result.adapter;
  if (a)
    lines.push(
      `adapter: ${a.description || a.vendor} ${a.architecture}${a.isSoftware ? ' — CPU emulation: timings say nothing about a GPU' : ''}`,
    );
  const r = result.roofline;
  if (r) {
    lines.push(`roofline (${r.method}): copy ${r.gbps.toFixed(2)} GB/s, FMA ${r.gflops.toFixed(2)} GFLOP/s`);
    if (r.timestamps)
      lines.push(
        `timestamps: gcd of ${r.timestamps.count} raw stamps = ${r.timestamps.quantumNs} ns${r.timestamps.quantumNs > 1 ? ' (quantized)' : ' (no visible quantization)'}`,
      );
  }
  const c = result.config;
  // Results written before the features existed have no features field.
  const features = c.features ? describeFeatures(c.features) : '';
  lines.push(
    `config: N=${c.ns.join(',')} dk=${c.dk} dv=${c.dv} heads=${c.heads}${c.causal ? ' causal' : ''} warm-ups=${c.warmup} repeats=${c.repeats} seed=${c.seed}`,
  );
  if (features) lines.push(`features: ${features}`);
  lines.push('');
  lines.push(formatTable(reportTable(result)), '');
  const range = c.fitFromN ? `N ≥ ${c.fitFromN}` : 'upper half of the sweep';
  lines.push(`fitted exponent of time in N (${range}):`);
  const width = Math.max(8, ...result.fits.map((f) => f.variant.length));
  for (const f of result.fits)
    lines.push(
      `  ${f.variant.padEnd(width)} ${f.stage.padEnd(8)} ${f.fit.exponent.toFixed(2)}  (r² ${f.fit.r2.toFixed(3)}, ${f.fit.points} points, N ${f.fit.xRange.join('–')})`,
    );
  const targets = targetLines(result);
  if (targets.length) lines.push('', 'targets (reported, not asserted):', ...targets);
  if (result.notes.length) lines.push('', ...result.notes.map((n) => `note: ${n}`));
  if (result.cancelled) lines.push('cancelled: partial results');
  return lines.join('\n');
}

/** The issue's speed targets, as measured (never pass/fail of the command). */
function targetLines(result: ProfileResult): string[] {
  const lines: string[] = [];
  const at = (variant: string, pred: (n: number) => boolean) => result.rows.filter((r) => r.variant === variant && pred(r.n) && !r.error);
  const ratio = (x: number | null) => (x === null ? '—' : `${x.toFixed(2)}×`);
  for (const r of at('tiled', (n) => n >= 512)) {
    lines.push(
      `  N=${r.n}: tiled vs naive ${ratio(speedup(result.rows, r, 'naive'))} (target ≥ 1.5×), tiled vs tfjs ${ratio(speedup(result.rows, r, 'tfjs'))} (target ≥ 1.0×)`,
    );
  }
  for (const r of at('fused', (n) => n >= 1024))
    lines.push(`  N=${r.n}: fused vs tiled ${ratio(speedup(result.rows, r, 'tiled'))} (target ≥ 1.5×)`);
  return lines;
}

async function bench(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv);
  if (!cli) {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (cli.replot) return replot(cli.replot, cli.out);
  let result: ProfileResult;
  const plots: Record<string, Buffer> = {};
  if (cli.node) {
    result = await runInNode(cli.config, cli.diagnose);
    if (cli.plot)
      Object.assign(
        plots,
        (await withBenchPage((page) => page.plots(result), { onMissing: (why) => console.error(`plots skipped: ${why}`) })) ?? {},
      );
  } else {
    const drove = await withBenchPage(async (page) => {
      const r = await page.run(cli.config, progressLine);
      process.stderr.write('\n');
      return { result: r, plots: cli.plot ? await page.plots(r) : {} };
    });
    if (!drove) throw new NoAdapterError('headless Chromium is not available to run the tfjs peer');
    result = drove.result;
    result.notes.unshift('Ran in headless Chromium (system browser, --enable-unsafe-webgpu) on the built bench.html.');
    Object.assign(plots, drove.plots);
  }
  mkdirSync(cli.out, { recursive: true });
  writeFileSync(
    join(cli.out, 'results.json'),
    `${JSON.stringify({ command: `npm run bench -- ${argv.join(' ')}`, ...result }, null, 2)}\n`,
  );
  for (const [name, png] of Object.entries(plots)) writeFileSync(join(cli.out, name), png);
  if (cli.json) console.log(JSON.stringify(result));
  else {
    console.log(summaryText(result));
    console.log(`\nwrote ${[join(cli.out, 'results.json'), ...Object.keys(plots).map((p) => join(cli.out, p))].join(', ')}`);
  }
  const failed = result.rows.some((r) => r.error || (r.check && !r.check.pass));
  return failed ? EXIT.failed : EXIT.ok;
}

async function replot(file: string, out: string): Promise<number> {
  const result = JSON.parse(readFileSync(file, 'utf8')) as ProfileResult;
  const plots = await withBenchPage((page) => page.plots(result));
  mkdirSync(out, { recursive: true });
  for (const [name, png] of Object.entries(plots ?? {})) writeFileSync(join(out, name), png);
  console.log(
    `wrote ${Object.keys(plots ?? {})
      .map((p) => join(out, p))
      .join(', ')}`,
  );
  return EXIT.ok;
}

await main(bench, { usage: USAGE });
