/**
 * npm run bench -- --n 64,128,256,512,1024 --dk 64 [--heads H] [--causal] [--variants naive,tiled,fused,tfjs]
 *   [--repeats R] [--warmup W] [--fit-from N] [--seed S] [--json] [--node] [--out DIR] [--no-plot] [--diagnose]
 *   [--decode M1,M2,…] [--kernel STAGE=FILE.wgsl …] [--time-limit MS] [--card [FILE]]
 *   [--rope [interleaved|half] …] [--kv-heads H] [--window W] [--alibi] [--softcap C] [--sinks S1,S2,…]
 * npm run bench -- --replot DIR/results.json [--out DIR] [--fit-from N]   (redraw the plots of earlier results;
 *   --fit-from refits their exponents; any other flag is refused: a replot runs nothing)
 *
 * The sequence-length profiler from the terminal. With tfjs among the variants it drives headless
 * Chromium (the system one) on the built bench.html; otherwise, or with --node, it runs on Node's
 * WebGPU (Dawn), tfjs included (its WebGPU backend finds Dawn as navigator.gpu), which is how a GPU
 * machine without a browser measures it. Prints a table (or the results as JSON with --json), writes DIR/results.json
 * (default bench/) and the plots DIR/scaling.png and DIR/gflops.png, drawn by the page's uPlot
 * charts in Chromium (skipped with --no-plot or when Chromium is missing).
 *
 * --diagnose (Node only) adds, for every chosen engine variant whose kernels use workgroupBarrier,
 * a "<variant>-nobarrier" copy with the barriers deleted: racy and unchecked, but doing the same
 * arithmetic and memory traffic, so the difference in time is what the barriers cost.
 *
 * --decode adds rows with one query (n = 1) against each cache length m, reported as K+V bytes read
 * per second against the measured copy bandwidth. --kernel times your kernel for a stage as the
 * variant "custom:<file>" (the built-in variant that has the stage, with that stage replaced), after
 * it passes the verifier; one that fails is not timed, and one that does not compile or fit the kernel
 * interface stops the command before anything is measured (exit 2, the compiler's file:line:col, as
 * npm run verify). One that times out in the verifier stops the
 * command at once (exit 1, nothing written): it may still be running, and the device it holds is
 * left alone. --card writes a benchmark card (adapter, limits, kernel hashes, configuration,
 * results) to compare devices; the page loads it.
 *
 * Exit codes: 0 done · 1 a variant failed or disagreed with the reference, or a --kernel failed (or
 * timed out in) the verifier · 2 bad arguments, or a --kernel that does not compile or fit the kernel
 * interface · 3 no WebGPU adapter.
 */
import { writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { BenchCard } from '../src/core/bench-card';
import { InputError } from '../src/core/errors';
import { CARD_FORMAT, CardError, parseCard, parseProfileResult } from '../src/core/bench-card';
import type { ProfileConfig, ProfileResult } from '../src/core/profile-report';
import {
  decodeTable,
  explainModel,
  fitModels,
  fitWords,
  formatTable,
  pairedSpeedup,
  refitExponents,
  reportTable,
  resolveConfig,
  sweepMemoryProblem,
  sweepRows,
  sweepTimeProblem,
} from '../src/core/profile-report';
import { formatReport, reportSummary, unusableKernelLines } from '../src/core/verify/report';
import { benchCard } from '../src/gpu/bench-card';
import { NoAdapterError } from '../src/gpu/device';
import { AttentionEngine } from '../src/gpu/engine';
import type { StageName } from '../src/core/stages';
import type { CustomVariant, Peer, ProfileProgress } from '../src/gpu/profile';
import { checkVariantNames, PEER_NAMES, PROFILE_VARIANT_NAMES } from '../src/gpu/profile';
import { customKernelRun, customRunNote, profileSweep, SweepTimeoutError } from '../src/gpu/profile';
import { DEFAULT_TIME_LIMITS } from '../src/core/kernel-safety';
import { ClockWarmer, measureRoofline, WARM_CLOCK_MS } from '../src/gpu/roofline';
import type { ShaderLibrary, VariantName } from '../src/gpu/variants';
import { isVariant, VARIANT_NAMES, VARIANTS, variantStages } from '../src/gpu/variants';
import { compileFailure, DEFAULT_TIME_LIMIT_MS, verifyKernel, variantFor } from '../src/gpu/verify-suite';
import { loadShaderLibrary } from '../src/node/shaders';
import { exposeNavigatorGpu } from '../src/node/webgpu';
import { withBenchPage } from './lib/bench-browser';
import {
  EXIT,
  integer,
  integerList,
  list,
  main,
  makeFolder,
  openDefaultLimitsDevice,
  openDevice,
  parseFlags,
  readInput,
  UsageError,
  writableFile,
  writableFolder,
} from './lib/cli';
import { describeFeatures } from '../src/core/features';
import { FORM_NUMBERS } from '../src/core/profile-form';
import { FEATURE_FLAGS, FEATURE_USAGE, featureOptions, withFeatureDefaults } from './lib/feature-flags';
import { counted } from '../src/core/plural';

/** Stages a --kernel can replace: those some variant runs itself. */
const KERNEL_STAGES = [...new Set(VARIANT_NAMES.flatMap((v) => variantStages(v)))];
const DEFAULT_CARD = 'card.json';
/** A sweep whose arithmetic alone would take longer than this at the adapter's measured peak is refused. */
const DEFAULT_MAX_MINUTES = 60;
/** --warm-clock default on a GPU: long enough for a driver to raise the clock. */
const DEFAULT_WARM_CLOCK_MS = WARM_CLOCK_MS;
/** The largest problem's Q, K and V may take at most this share of the machine's memory. */
const HOST_MEMORY_SHARE = 0.25;
const USAGE = `usage: npm run bench -- --n 64,128,256,512,1024 --dk 64 [--dv DV] [--heads H] [--causal]
       [--variants ${PROFILE_VARIANT_NAMES.join(',')}] [--repeats R] [--warmup W] [--fit-from N] [--seed S]
       [--json] [--node] [--out DIR] [--no-plot] [--diagnose]
       [--decode M1,M2,…] [--kernel STAGE=FILE.wgsl]… [--time-limit MS] [--card [FILE]] [--max-minutes M]
       [--warm-clock MS] [--baseline V1,V2,…]
       [--rope [interleaved|half]] [--rope-base B] [--rope-dims R] [--rope-offset P] [--kv-heads H] [--window W]
       [--alibi [standard|S1,S2,…]] [--softcap C] [--sinks S.npy|S1,S2,…]
       npm run bench -- --replot DIR/results.json|CARD.json [--out DIR] [--fit-from N]  (plots only; no other flag)
tfjs (TensorFlow.js's WebGPU backend) runs in headless Chromium, or on Node's WebGPU with --node; without tfjs the engine runs on Node's WebGPU.
fused-f16 is the fused kernel with f16 storage (Q, K, V read as halves, float32 arithmetic; not with --rope);
fused-1split is the fused kernel without split-KV (one key split), to see what splitting buys;
fused-Nsplits (e.g. fused-64splits) forces N key splits, to see what the split count does on a device;
fused-nosubgroups (and fused-Nsplits-nosubgroups) runs the fused kernel without its subgroup form;
fused-shared / fused-unshared run its subgroup form with / without shared lanes (the prefill in pairs, decoding in quads;
  fused: shared lanes on a GPU only); fused-ungrouped runs the quads one query head a workgroup instead of a K/V
  group's heads together.
--decode M1,M2,…        also time one query (n = 1) against each of these key counts m (e.g. 4096,16384,32768):
                        K+V bytes read per second, against the measured copy bandwidth
--kernel STAGE=FILE     time your kernel for STAGE (${KERNEL_STAGES.join(', ')}) as variant custom:<file>, on the
                        built-in variant that has the stage, after it passes the verifier (else exit 1, not timed;
                        one that does not compile or fit the interface: exit 2 before anything is measured);
                        repeatable; Node's WebGPU only. One that times out in the verifier stops the
                        command there (exit 1, nothing timed or written): it may still be running on the device
--time-limit MS         how long the verifier waits for one run of a --kernel (default ${DEFAULT_TIME_LIMIT_MS})
--max-minutes M         refuse a sweep whose arithmetic alone needs longer than M minutes at the adapter's
                        measured peak (default ${DEFAULT_MAX_MINUTES}); one whose inputs need more than a quarter of
                        this machine's memory is refused too
--warm-clock MS         before every round of a point, run the roofline's FMA kernel for MS milliseconds, so
                        that a GPU is at its working clock when the round starts (a GPU idles down between short
                        runs: an H200 ran decode rows at 345 of its 1980 MHz); the FMA rate of its last pass is
                        reported as a clock probe. Default ${DEFAULT_WARM_CLOCK_MS} on a GPU, 0 (off) on a CPU emulator
--baseline V1,V2,…      also compare every row with these variants by paired ratio (a "× V" column each, as for
                        naive and tfjs): an A/B of two kernels in the same rounds, e.g. --baseline fused-nosubgroups
                        or --baseline custom:my_kernel.wgsl
--card [FILE]           write a benchmark card (adapter, limits, kernel SHA-256s, config, results) to FILE
                        (default DIR/${DEFAULT_CARD}); the Profiler tab loads it to plot beside its own run
The row's time is the GPU timestamp span from the first pass's begin to the last pass's end (gaps included);
speed-ups are medians of per-round paired ratios. The exponent is fitted as t = a + b·N^p with local slopes.
The feature flags profile the engine's variants with those features on (tfjs runs plain attention only).
${FEATURE_USAGE}`;

/** npm run bench -- --replot FILE: the plots of earlier results, drawn again. */
interface Replot {
  replot: string;
  out: string;
  /** --fit-from: the exponents refitted from this N; null keeps the file's own. */
  fitFromN: number | null;
}

/** One --kernel STAGE=FILE. */
interface KernelSpec {
  stage: StageName;
  file: string;
  source: string;
  base: VariantName;
  name: string;
}

interface Cli {
  config: ProfileConfig;
  json: boolean;
  node: boolean;
  out: string;
  plot: boolean;
  diagnose: boolean;
  replot: null;
  kernels: KernelSpec[];
  /** Where to write the card, or null for none. */
  card: string | null;
  maxMinutes: number;
  /** --warm-clock: milliseconds of FMA before each round, or undefined for the adapter's default. */
  warmClockMs: number | undefined;
  /** --baseline, all of it: those naming your kernels (custom:FILE) join config.baselines once the kernels are verified. */
  baselines: string[];
  /** --time-limit: how long the verifier waits for one run of a --kernel. */
  timeLimitMs: number;
}

/** `--card` with no value (last, or before another flag) means the default file. */
function withCardDefault(argv: readonly string[]): string[] {
  return argv.flatMap((arg, i) => (arg === '--card' && (argv[i + 1] === undefined || argv[i + 1].startsWith('--')) ? ['--card='] : [arg]));
}

function parseKernel(spec: string): KernelSpec {
  const at = spec.indexOf('=');
  if (at < 0) throw new UsageError(`--kernel takes STAGE=FILE.wgsl, got "${spec}"`);
  const stage = spec.slice(0, at) as StageName,
    file = spec.slice(at + 1);
  if (!KERNEL_STAGES.includes(stage)) throw new UsageError(`--kernel: stage must be one of ${KERNEL_STAGES.join(', ')}, got "${stage}"`);
  if (!file) throw new UsageError(`--kernel ${stage}=: which file?`);
  const base = variantFor(stage);
  if (!base || !variantStages(base).includes(stage)) throw new UsageError(`--kernel: no variant runs the ${stage} stage`);
  return { stage, file, source: readInput(file, `--kernel ${stage}`, 'utf8'), base, name: `custom:${basename(file)}` };
}

/** A Profiler form box's bounds, for the flag of the same number. */
function formBounds(name: keyof typeof FORM_NUMBERS): { min: number; max: number } {
  return { min: FORM_NUMBERS[name].min, max: FORM_NUMBERS[name].max };
}

/** The flags a replot reads: the rest describe a sweep it does not run. */
const REPLOT_FLAGS = ['replot', 'out', 'fit-from'];

/**
 * `--replot FILE [--out DIR] [--fit-from N]`: any other flag would be ignored, so it is refused,
 * named. --fit-from refits the exponents the plots are labelled with.
 */
function parseReplot(v: Record<string, unknown>): Replot {
  const unused = Object.keys(v).filter((flag) => !REPLOT_FLAGS.includes(flag));
  if (unused.length)
    throw new UsageError(
      `--replot redraws earlier results and does not use ${unused.map((f) => `--${f}`).join(', ')}: it takes only --out DIR and --fit-from N`,
    );
  return {
    replot: v.replot as string,
    out: resolve((v.out as string | undefined) ?? 'bench'),
    fitFromN: integer(v['fit-from'] as string | undefined, 'fit-from', { min: 1 }) ?? null,
  };
}

function parseCommandLine(argv: string[]): Cli | Replot | null {
  const v = parseFlags({
    args: withCardDefault(withFeatureDefaults(argv)),
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
      decode: { type: 'string' },
      kernel: { type: 'string', multiple: true },
      card: { type: 'string' },
      'max-minutes': { type: 'string' },
      'warm-clock': { type: 'string' },
      baseline: { type: 'string' },
      'time-limit': { type: 'string' },
      help: { type: 'boolean' },
    },
  }).values;
  if (v.help) return null;
  if (v.replot !== undefined) return parseReplot(v);
  const features = featureOptions(v);
  const plain = describeFeatures(features) === '';
  const kernels = (v.kernel ?? []).map(parseKernel);
  const names = kernels.map((k) => k.name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice) throw new UsageError(`--kernel: two kernels named ${twice}; give the files different names`);
  // By default every engine variant, plus the peer unless --node, a feature or a custom kernel rules it out.
  const defaults = v.node || !plain || kernels.length ? VARIANT_NAMES : [...VARIANT_NAMES, ...PEER_NAMES];
  const variants = list(v.variants) ?? defaults;
  try {
    checkVariantNames(variants, features);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const wantsPeer = variants.some((x) => PEER_NAMES.includes(x));
  // tfjs runs in headless Chromium by default, or on Node's WebGPU with --node (which --diagnose and --kernel need).
  if (v.diagnose && wantsPeer && !v.node) throw new UsageError("--diagnose runs on Node's WebGPU: add --node (tfjs runs there too)");
  if (kernels.length && wantsPeer && !v.node) throw new UsageError("--kernel runs on Node's WebGPU: add --node (tfjs runs there too)");
  const config: ProfileConfig = {
    ns: integerList(v.n, 'n', { min: 1 }) ?? [64, 128, 256, 512, 1024],
    // The Profiler form's bounds (FORM_NUMBERS), so every card this writes loads in the page.
    dk: integer(v.dk, 'dk', formBounds('dk')) ?? 64,
    dv: integer(v.dv, 'dv', formBounds('dk')),
    heads: integer(v.heads, 'heads', formBounds('heads')) ?? 1,
    causal: v.causal ?? false,
    variants,
    repeats: integer(v.repeats, 'repeats', formBounds('repeats')) ?? 5,
    warmup: integer(v.warmup, 'warmup', formBounds('warmup')) ?? 2,
    fitFromN: integer(v['fit-from'], 'fit-from', { min: 1 }),
    seed: integer(v.seed, 'seed', formBounds('seed')) ?? 1,
    features,
    decode: integerList(v.decode, 'decode', { min: 1 }) ?? [],
  };
  const baselines = list(v.baseline) ?? [];
  try {
    // Your kernels join the variants (as custom:FILE) once verified; a baseline may name one.
    resolveConfig({ ...config, variants: [...variants, ...names], baselines });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  config.baselines = baselines.filter((b) => !names.includes(b));
  const out = resolve(v.out ?? 'bench');
  return {
    config,
    json: v.json ?? false,
    node: v.node || !wantsPeer,
    out,
    plot: !v['no-plot'],
    diagnose: v.diagnose ?? false,
    replot: null,
    kernels,
    card: v.card === undefined ? null : v.card === '' ? join(out, DEFAULT_CARD) : writableFile(resolve(v.card), '--card'),
    maxMinutes: integer(v['max-minutes'], 'max-minutes', { min: 1 }) ?? DEFAULT_MAX_MINUTES,
    warmClockMs: integer(v['warm-clock'], 'warm-clock'),
    baselines,
    timeLimitMs: integer(v['time-limit'], 'time-limit', { min: 1 }) ?? DEFAULT_TIME_LIMIT_MS,
  };
}

function progressLine(p: ProfileProgress): void {
  const where = p.m === p.n ? `N=${p.n}` : `decode m=${p.m}`;
  process.stderr.write(`\r[${p.done}/${p.total}] ${where} ${p.variant} ${p.phase}`.padEnd(60));
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

/** What the verifier made of the --kernel files. */
interface VerifiedKernels {
  /** The custom variants of those that pass. */
  custom: Record<string, CustomVariant>;
  /** A note for each that does not: it is not timed, the rest of the sweep still is. */
  rejected: string[];
  /**
   * Why the command stops: a kernel timed out (or lost the device) in the verifier and may still be
   * running, so nothing more can run on the device. Null otherwise.
   */
  stuck: string | null;
}

/**
 * Throws an InputError (exit 2, as npm run verify) naming every --kernel that does not compile or
 * does not fit the kernel interface, with the compiler's file:line:col, before anything is verified
 * or measured: such a kernel is a mistake in the command, not a result.
 */
async function refuseUnusableKernels(engine: AttentionEngine, kernels: KernelSpec[]): Promise<void> {
  const lines: string[] = [];
  for (const k of kernels) {
    const failure = await compileFailure(engine, k.stage, k.source);
    // A compile that took too long is left to the verifier, which waits longer.
    const unusable = failure && unusableKernelLines({ ...failure, label: k.file, stage: k.stage }, k.file);
    if (unusable) lines.push(...unusable);
  }
  if (lines.length) throw new InputError(`${lines.join('\n')}\nnothing was timed or written`);
}

/**
 * Runs the verifier on each --kernel and prints the verdict. A kernel that times out stops the
 * verification there (the later ones are not verified): the device is left to it. One that does not
 * compile or fit the interface stops the command first (refuseUnusableKernels).
 */
async function verifiedKernels(engine: AttentionEngine, kernels: KernelSpec[], timeLimitMs: number): Promise<VerifiedKernels> {
  const custom: Record<string, CustomVariant> = {};
  const rejected: string[] = [];
  if (kernels.length === 0) return { custom, rejected, stuck: null };
  await refuseUnusableKernels(engine, kernels);
  const defaultLimitsDevice = (await openDefaultLimitsDevice()) ?? undefined;
  try {
    for (const k of kernels) {
      process.stderr.write(`verifying ${k.file} (${k.stage}, on the ${k.base} variant)…\n`);
      const report = await verifyKernel(engine, {
        stage: k.stage,
        source: k.source,
        label: k.file,
        variant: k.base,
        defaultLimitsDevice,
        timeLimitMs,
      });
      if (report.status === 'timeout' || report.status === 'device-lost') {
        console.error(formatReport(report));
        console.error(`verdict: ${reportSummary(report)}`);
        const what = report.status === 'timeout' ? `did not finish within ${timeLimitMs} ms` : 'lost the GPU device';
        return {
          custom,
          rejected,
          stuck: `${k.file}: the ${k.stage} kernel ${what} in the verifier and may still be running, so the device is left busy: nothing was timed or written (no sweep, no results, no card). Fix the kernel (npm run verify -- --stage ${k.stage} ${k.file}) and run the command again.`,
        };
      }
      const unusable = unusableKernelLines(report, k.file);
      if (unusable) throw new InputError(`${unusable.join('\n')}\nnothing was timed or written`);
      if (report.status !== 'pass') {
        console.error(`${k.file}: not timed — the ${k.stage} kernel did not pass the verifier (${report.status}).`);
        console.error(formatReport(report));
        console.error(`verdict: ${reportSummary(report)}`);
        rejected.push(`${k.file}: not timed — the ${k.stage} kernel did not pass the verifier (${reportSummary(report)})`);
        continue;
      }
      console.error(`verdict: ${reportSummary(report)}`);
      custom[k.name] = {
        base: k.base,
        kernels: { [k.stage]: k.source },
        note: `your ${k.stage} kernel ${k.file} on the ${k.base} variant (its other stages built in${customRunNote([k.stage])}); passed the verifier (${counted(report.cases.length, 'case')}) and checked against the reference like the built-ins`,
        checked: true,
        run: customKernelRun([k.stage]),
      };
    }
    return { custom, rejected, stuck: null };
  } finally {
    defaultLimitsDevice?.destroy();
  }
}

type NodeRun =
  | {
      result: ProfileResult;
      card: BenchCard;
      /** Some --kernel did not pass the verifier (and was not timed). */
      rejected: boolean;
      stuck?: undefined;
    }
  /** A --kernel timed out in the verifier: the command stops, saying why. */
  | { stuck: string };

/**
 * The tfjs peer on Node's WebGPU: TensorFlow.js's WebGPU backend finds Dawn through navigator.gpu
 * (its own adapter and device, as in the page). Loaded only when tfjs is among the variants.
 */
async function nodeTfjsPeer(): Promise<{ peer: Peer; note: string }> {
  await exposeNavigatorGpu();
  const { createTfjsPeer, tfjsDescription } = await import('../src/peer/tfjs');
  const peer = await createTfjsPeer();
  return {
    peer,
    note: `Peer: ${tfjsDescription()} on Node's WebGPU; GPU time from tf.profile (per-kernel timestamp queries), wall time from a separate unprofiled run ending in await data().`,
  };
}

async function runInNode(config: ProfileConfig, cli: Cli, command: string): Promise<NodeRun> {
  const { device, summary } = await openDevice();
  let stuck: string | null = null;
  try {
    const shaders = loadShaderLibrary();
    const engine = new AttentionEngine(device, shaders);
    const verification = await verifiedKernels(engine, cli.kernels, cli.timeLimitMs);
    // The roofline, or anything else, would wait behind the kernel for ever.
    stuck = verification.stuck;
    if (stuck) return { stuck };
    const { custom: verified, rejected } = verification;
    const custom = { ...(cli.diagnose ? barrierFreeVariants(config.variants, shaders) : {}), ...verified };
    // Each diagnostic copy runs right after its variant; custom kernels after the built-ins.
    config = {
      ...config,
      variants: [
        ...config.variants.flatMap((v) => (custom[`${v}-nobarrier`] ? [v, `${v}-nobarrier`] : [v])),
        ...cli.kernels.map((k) => k.name).filter((name) => verified[name]),
      ],
    };
    // A kernel that did not pass the verifier is not timed, so it cannot be a baseline either.
    config.baselines = cli.baselines.filter((b) => config.variants.includes(b));
    const warmMs = cli.warmClockMs ?? (summary.isSoftware ? 0 : DEFAULT_WARM_CLOCK_MS);
    process.stderr.write('measuring the roofline…');
    const roofline = await measureRoofline(device, shaders, { warmUpMs: warmMs });
    process.stderr.write('\n');
    checkSweepTime(config, roofline.gflops, cli.maxMinutes);
    const adapter = {
      description: summary.description,
      vendor: summary.vendor,
      architecture: summary.architecture,
      isSoftware: summary.isSoftware,
    };
    const warmer = warmMs > 0 ? new ClockWarmer(device, shaders, roofline, warmMs) : null;
    const peers = config.variants.includes('tfjs') ? await nodeTfjsPeer() : null;
    let result: ProfileResult;
    try {
      result = await profileSweep(config, {
        engine,
        roofline,
        custom,
        onProgress: progressLine,
        adapter,
        warmer,
        // A kernel of yours passed the verifier's small cases but may still never finish at a sweep's N: the page's watchdog.
        timeLimits: cli.kernels.length ? DEFAULT_TIME_LIMITS : null,
        ...(peers && { peers: { tfjs: peers.peer } }),
      });
    } catch (error) {
      if (!(error instanceof SweepTimeoutError)) throw error;
      stuck = `${error.message}: it may still be running, and the device is left busy with it, so nothing was timed or written`;
      return { stuck };
    }
    if (peers) result.notes.unshift(peers.note);
    warmer?.destroy();
    process.stderr.write('\n');
    const ran = "Ran on Node's WebGPU (Dawn, the `webgpu` package).";
    // Dawn's Node binding polls for finished GPU work from the main thread (BENCHMARKS.md, issue 12's
    // sixth session): on a CPU emulator that core is not the emulator's.
    const polling = summary.isSoftware
      ? ' While a kernel runs, Dawn polls for it from the main thread and keeps one CPU core busy, so the CPU emulator has one core fewer than the machine.'
      : '';
    result.notes.unshift(ran + polling, ...rejected);
    return { result, card: await benchCard({ result, device, adapter, shaders, custom, source: command }), rejected: rejected.length > 0 };
  } finally {
    // A kernel still looping owns the queue: destroying the device would wait for it. Exit instead (as npm run verify does).
    if (!stuck) device.destroy();
  }
}

const GIB = 2 ** 30;

/** Refuses a sweep whose largest Q, K and V would not fit in a quarter of this machine's memory. */
function checkHostMemory(config: ProfileConfig): void {
  const problem = sweepMemoryProblem(
    resolveConfig(config),
    totalmem() * HOST_MEMORY_SHARE,
    `a quarter of this machine's ${(totalmem() / GIB).toFixed(0)} GiB`,
    'lower --n (or --decode, --dk, --heads)',
  );
  if (problem) throw new InputError(problem);
}

/** Refuses a sweep whose arithmetic alone, at the adapter's measured peak, would take longer than maxMinutes. */
function checkSweepTime(config: ProfileConfig, peakGflops: number, maxMinutes: number): void {
  const problem = sweepTimeProblem(
    resolveConfig(config),
    peakGflops,
    maxMinutes,
    `--max-minutes ${maxMinutes}`,
    'lower --n or --repeats, or raise --max-minutes',
  );
  if (problem) throw new InputError(problem);
}

/** "NVIDIA H200" or "Google swiftshader — SwiftShader, CPU emulation: …". */
function adapterText(a: NonNullable<ProfileResult['adapter']>): string {
  const name = `${a.description || a.vendor} ${a.architecture}`.trim();
  const swiftshader = /swiftshader/i.test(`${a.description} ${a.vendor} ${a.architecture}`);
  if (swiftshader) return `${name} — SwiftShader, CPU emulation: timings say nothing about a GPU`;
  return a.isSoftware ? `${name} — CPU emulation: timings say nothing about a GPU` : name;
}

function summaryText(result: ProfileResult): string {
  const lines: string[] = [];
  const a = result.adapter;
  if (a) lines.push(`adapter: ${adapterText(a)}`);
  const r = result.roofline;
  if (r) {
    const wg = r.workgroupGbps ? `, workgroup memory ${r.workgroupGbps.toFixed(2)} GB/s` : '';
    lines.push(`roofline (${r.method}): copy ${r.gbps.toFixed(2)} GB/s, FMA ${r.gflops.toFixed(2)} GFLOP/s${wg}`);
    const z = r.sizing;
    if (z)
      lines.push(
        `  sized for ≥ ${z.targetMs} ms a pass: copy ${(z.copyBytes / 2 ** 20).toFixed(0)} MiB × ${z.copyDispatches}, FMA ${z.fmaGroups} workgroups × ${z.fmaIterations} iterations, workgroup memory ${z.workgroupGroups} workgroups × ${z.workgroupIterations} iterations`,
      );
    lines.push(
      `% roofline: achieved GFLOP/s ÷ the lowest roof at the row's intensity — FMA, intensity × copy bandwidth, or FLOP per workgroup byte × workgroup bandwidth (tiled 1; fused 0.5, 1 in pairs of lanes${result.config.variants.some((v) => v.startsWith('custom:')) ? '; a custom: variant 0.5 for the whole variant, its built-in stages too: its loop is not known, so beside its built-in it reads high' : ''})`,
    );
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
  if (sweepRows(result.rows).length) lines.push(formatTable(reportTable(result)), '');
  const decode = decodeTable(result);
  if (decode.length)
    lines.push(
      `decode (n = 1 query against m keys; K+V GB/s = K and V bytes read ÷ time, vs the copy bandwidth):`,
      formatTable(decode),
      '',
    );
  lines.push(
    `time = ${result.rows.some((row) => row.spanMs) ? 'GPU timestamp span, first pass begin → last pass end (gaps between passes included)' : 'sum of the passes, or wall'}; × X = median of the per-round ratios t_X / t_variant (p10–p90 beside it)`,
    '',
  );
  const models = result.models ?? fitModels(result.rows);
  if (models.length) {
    lines.push('fit t = a + b·N^p over the whole sweep:');
    for (const m of models) lines.push(`  ${explainModel(m)}`);
    lines.push('');
  }
  const range = c.fitFromN ? `N ≥ ${c.fitFromN}` : 'upper half of the sweep';
  // A sweep of one N has no slope to fit: say so rather than print a heading over nothing.
  if (!result.fits.length) lines.push(`fitted exponent of time in N: none (a fit needs two N at least, ${range})`);
  else lines.push(`fitted exponent of time in N (straight line in log-log, ${range}):`);
  const width = Math.max(8, ...result.fits.map((f) => f.variant.length));
  for (const f of result.fits) lines.push(`  ${f.variant.padEnd(width)} ${f.stage.padEnd(8)} ${fitWords(f)}`);
  const targets = targetLines(result);
  if (targets.length) lines.push('', 'targets (reported, not asserted):', ...targets);
  if (result.notes.length) lines.push('', ...result.notes.map((n) => `note: ${n}`));
  if (result.cancelled) lines.push('cancelled: partial results');
  return lines.join('\n');
}

/** The issue's speed targets, as measured (never pass/fail of the command). */
function targetLines(result: ProfileResult): string[] {
  const lines: string[] = [];
  const at = (variant: string, pred: (n: number) => boolean) =>
    sweepRows(result.rows).filter((r) => r.variant === variant && pred(r.n) && !r.error);
  const ratio = (row: ProfileResult['rows'][number], baseline: string) => {
    const s = pairedSpeedup(result.rows, row, baseline);
    return s ? `${s.median.toFixed(2)}× (${s.p10.toFixed(2)}–${s.p90.toFixed(2)})` : '—';
  };
  for (const r of at('tiled', (n) => n >= 512)) {
    lines.push(`  N=${r.n}: tiled vs naive ${ratio(r, 'naive')} (target ≥ 1.5×), tiled vs tfjs ${ratio(r, 'tfjs')} (target ≥ 1.0×)`);
  }
  for (const r of at('fused', (n) => n >= 1024)) lines.push(`  N=${r.n}: fused vs tiled ${ratio(r, 'tiled')} (target ≥ 1.5×)`);
  return lines;
}

async function bench(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv);
  if (!cli) {
    console.log(USAGE);
    return EXIT.ok;
  }
  writableFolder(cli.out, '--out');
  if (cli.replot !== null) return replot(cli);
  if (cli.card) writableFolder(dirname(cli.card), '--card');
  checkHostMemory(cli.config);
  let result: ProfileResult;
  let card: BenchCard | null = null;
  let kernelRejected = false;
  const command = `npm run bench -- ${argv.join(' ')}`;
  const plots: Record<string, Buffer> = {};
  if (cli.node) {
    const ran = await runInNode(cli.config, cli, command);
    if (ran.stuck !== undefined) {
      console.error(`error: ${ran.stuck}`);
      return EXIT.failed;
    }
    ({ result, card } = ran);
    kernelRejected = ran.rejected;
    if (cli.plot)
      Object.assign(
        plots,
        (await withBenchPage((page) => page.plots(result), { onMissing: (why) => console.error(`plots skipped: ${why}`) })) ?? {},
      );
  } else {
    const drove = await withBenchPage(async (page) => {
      const r = await page.run(cli.config, progressLine);
      process.stderr.write('\n');
      r.notes.unshift('Ran in headless Chromium (system browser, --enable-unsafe-webgpu) on the built bench.html.');
      return { result: r, card: cli.card ? await page.card(r, command) : null, plots: cli.plot ? await page.plots(r) : {} };
    });
    if (!drove) throw new NoAdapterError('headless Chromium is not available to run the tfjs peer');
    ({ result, card } = drove);
    Object.assign(plots, drove.plots);
  }
  makeFolder(cli.out);
  writeFileSync(join(cli.out, 'results.json'), `${JSON.stringify({ command, ...result }, null, 2)}\n`);
  for (const [name, png] of Object.entries(plots)) writeFileSync(join(cli.out, name), png);
  const written = [join(cli.out, 'results.json'), ...Object.keys(plots).map((p) => join(cli.out, p))];
  if (cli.card && card) {
    makeFolder(dirname(cli.card));
    writeFileSync(cli.card, `${JSON.stringify(card, null, 2)}\n`);
    written.push(cli.card);
  }
  if (cli.json) console.log(JSON.stringify(result));
  else {
    console.log(summaryText(result));
    console.log(`\nwrote ${written.join(', ')}`);
  }
  const failed = kernelRejected || result.rows.some((r) => r.error || (r.check && !r.check.pass));
  return failed ? EXIT.failed : EXIT.ok;
}

async function replot({ replot: file, out, fitFromN }: Replot): Promise<number> {
  const text = readInput(file, '--replot', 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CardError(`--replot: ${file} is not JSON (${(error as Error).message})`);
  }
  // A benchmark card carries its results; results.json is the results.
  let result: ProfileResult;
  try {
    const isCard = (parsed as { format?: unknown } | null)?.format === CARD_FORMAT;
    result = isCard ? parseCard(parsed).result : parseProfileResult(parsed);
  } catch (error) {
    if (!(error instanceof CardError)) throw error;
    throw new CardError(`--replot: ${file} is not the results.json or card that npm run bench writes: ${error.message}`);
  }
  if (fitFromN !== null) {
    try {
      result = refitExponents(result, fitFromN);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      throw new InputError(`--fit-from: ${error.message}`);
    }
  }
  if (result.adapter) console.log(`adapter: ${adapterText(result.adapter)}`);
  const plots = await withBenchPage((page) => page.plots(result));
  makeFolder(out);
  for (const [name, png] of Object.entries(plots ?? {})) writeFileSync(join(out, name), png);
  console.log(
    `wrote ${Object.keys(plots ?? {})
      .map((p) => join(out, p))
      .join(', ')}`,
  );
  return EXIT.ok;
}

await main(bench, { usage: USAGE });
