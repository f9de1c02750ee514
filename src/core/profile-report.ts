/**
 * The profiler's results as data, and the views every consumer shares: the comparison table
 * (page, terminal), CSV, speed-up ratios and fitted exponents. Pure: no GPU, no DOM.
 */
import { csvFormat } from 'd3-dsv';
import type { Bytes, Flops, Roof, RooflinePeaks } from './cost';
import type { AttentionShape } from './shapes';
import type { SharedLanes } from './subgroups';
import { checkFeatures } from './shapes';
import type { FeatureOptions } from './options';
import { DEFAULT_OPTIONS } from './options';
import { activeFeatures, describeFeatures, FEATURE_INFO } from './features';
import type { LocalSlope, OffsetPowerLawFit, PowerLawFit, Summary, TimestampGranularity } from './stats';
import { keySplitsHoldingKeys, SPLIT_ALIGN } from './key-splits';
import { fitOffsetPowerLaw, fitPowerLaw, localSlopes, overheadShare, pairedRatios, upperPart } from './stats';

export type TimingMethod = 'timestamp' | 'wall';

/** A measured roofline (src/gpu/roofline.ts measures it). */
export interface Roofline extends RooflinePeaks {
  copyBytes: number;
  copyMs: Summary;
  fmaFlops: number;
  fmaMs: Summary;
  method: TimingMethod;
  /** Raw-timestamp resolution, from every stamp the microbenchmarks wrote; null without timestamps. */
  timestamps: TimestampGranularity | null;
  /** How the sizes were reached (absent in results written before issue 12). */
  sizing?: RooflineSizing;
  /** Workgroup-memory reads timed (bytes per pass) and their times; absent in older results. */
  workgroupBytes?: number;
  workgroupMs?: Summary;
}

/** The sizes the roofline grew its microbenchmarks to, so that each pass takes the target time. */
export interface RooflineSizing {
  /** Each pass's target time (ms); the caps below stop growth first on small or slow devices. */
  targetMs: number;
  /** Bytes per copy buffer and copies of it per pass. */
  copyBytes: number;
  copyDispatches: number;
  /** FMA workgroups (64 invocations each) and loop iterations per invocation. */
  fmaGroups: number;
  fmaIterations: number;
  workgroupGroups: number;
  workgroupIterations: number;
}

/** dk per head; dv (dk when absent) and heads (1) are optional; n = m is swept. */
export interface ProfileConfig extends Pick<AttentionShape, 'dk'>, Partial<Pick<AttentionShape, 'dv' | 'heads'>> {
  /** Sequence lengths; n = m (self-attention). */
  ns: number[];
  causal?: boolean;
  /** Engine variants (naive, tiled, fused, …) and peers (tfjs). */
  variants: string[];
  warmup?: number;
  repeats?: number;
  /** Seed of the random Q, K, V (N(0, 1) entries); each N adds itself to it. */
  seed?: number;
  /** The float64 CPU reference runs only while n·m·(dk + dv)·heads is at most this. */
  cpuReferenceLimit?: number;
  /** The fitted exponent uses N ≥ this; the upper half of the sweep when absent. */
  fitFromN?: number;
  /** Attention features to profile (RoPE, K/V heads, window, ALiBi, softcap, sinks); plain attention when absent. */
  features?: Partial<FeatureOptions>;
  /** Decode rows: one query (n = 1) against each of these key counts m, after the sweep. */
  decode?: number[];
  /**
   * Variants every row is compared with by paired ratio (a "× X" column each), besides naive and
   * tfjs whenever they ran: an A/B of two kernels (fused against fused-nosubgroups, or a kernel of
   * your own against the built-in) in the rounds that timed both. Each must be one of the variants.
   */
  baselines?: string[];
}

export type ResolvedConfig = Required<Omit<ProfileConfig, 'fitFromN' | 'features'>> & { fitFromN: number | null; features: FeatureOptions };

const DEFAULT_CPU_REFERENCE_LIMIT = 2 ** 28;

export function resolveConfig(c: ProfileConfig): ResolvedConfig {
  const ns = [...new Set(c.ns)].sort((a, b) => a - b);
  if (ns.length === 0 || ns.some((n) => !Number.isInteger(n) || n < 1))
    throw new RangeError(`N values must be positive integers, got ${c.ns.join(', ')}`);
  const positive = (x: number, what: string) => {
    if (!Number.isInteger(x) || x < 1) throw new RangeError(`${what} must be a positive integer, got ${x}`);
    return x;
  };
  if (c.variants.length === 0) throw new RangeError('choose at least one variant');
  const features: FeatureOptions = {
    kvHeads: c.features?.kvHeads ?? null,
    rope: c.features?.rope ?? null,
    window: c.features?.window ?? null,
    alibi: c.features?.alibi ?? null,
    softcap: c.features?.softcap ?? null,
    sinks: c.features?.sinks ?? null,
  };
  const heads = positive(c.heads ?? 1, 'heads');
  checkFeatures({ ...DEFAULT_OPTIONS, ...features, heads }, c.dk);
  const peers = c.variants.filter((v) => v === 'tfjs');
  const on = activeFeatures({ ...DEFAULT_OPTIONS, ...features, heads });
  if (peers.length > 0 && on.length > 0)
    throw new RangeError(
      `tfjs runs plain attention only, not ${on.map((f) => FEATURE_INFO[f].title).join(', ')}: drop tfjs from the variants or turn the features off`,
    );
  const decode = [...new Set(c.decode ?? [])].sort((a, b) => a - b);
  if (decode.some((m) => !Number.isInteger(m) || m < 1))
    throw new RangeError(`decode key counts must be positive integers, got ${c.decode!.join(', ')}`);
  const warmup = c.warmup ?? 2;
  if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError(`warm-up runs must be a non-negative integer, got ${warmup}`);
  const fitFrom = fitFromProblem(ns, c.fitFromN ?? null);
  if (fitFrom) throw new RangeError(fitFrom);
  const baselines = [...new Set(c.baselines ?? [])];
  const strangers = baselines.filter((b) => !c.variants.includes(b));
  if (strangers.length > 0)
    throw new RangeError(`a baseline must be one of the variants profiled (${c.variants.join(', ')}), got ${strangers.join(', ')}`);
  return {
    ns,
    dk: positive(c.dk, 'dk'),
    dv: positive(c.dv ?? c.dk, 'dv'),
    heads,
    causal: c.causal ?? false,
    variants: [...new Set(c.variants)],
    warmup,
    repeats: positive(c.repeats ?? 5, 'repeats'),
    seed: c.seed ?? 1,
    cpuReferenceLimit: c.cpuReferenceLimit ?? DEFAULT_CPU_REFERENCE_LIMIT,
    fitFromN: c.fitFromN ?? null,
    features,
    decode,
    baselines,
  };
}

/**
 * What a sweep measured, in one line for the page's results (a loaded card's too): the N values,
 * the head widths and counts, causal, the decode key counts, the features on, the warm-ups and
 * repeats, the seed and the baselines. Takes a stored config as it is (older results lack fields).
 */
export function describeProfileConfig(c: Omit<ProfileConfig, 'fitFromN'>): string {
  const heads = c.heads ?? 1;
  const kv = c.features?.kvHeads ?? null;
  const headWords = `${heads} head${heads === 1 ? '' : 's'}${kv !== null && kv !== heads ? ` on ${kv} K/V head${kv === 1 ? '' : 's'}` : ''}`;
  const features = c.features ? describeFeatures({ ...DEFAULT_OPTIONS, ...c.features, kvHeads: null }) : '';
  const parts = [
    `N = ${c.ns.join(', ')}`,
    `dk = ${c.dk}, dv = ${c.dv ?? c.dk}`,
    headWords,
    c.causal ? 'causal' : 'not causal',
    c.decode?.length ? `decode m = ${c.decode.join(', ')}` : '',
    features ? `features: ${features}` : '',
    `${c.warmup ?? 2} warm-up${c.warmup === 1 ? '' : 's'}, ${c.repeats ?? 5} repeat${c.repeats === 1 ? '' : 's'}`,
    `seed ${c.seed ?? 1}`,
    c.baselines?.length ? `compared with ${c.baselines.join(', ')}` : '',
  ];
  return parts.filter(Boolean).join(' · ');
}

/** What a sweep asks of the machine before it runs. */
export interface SweepDemand {
  /** Bytes of the largest problem's Q, K and V (float32), allocated on the host and the device. */
  inputBytes: number;
  /** A lower bound on the floating-point operations of every timed run (warm-ups and repeats) of every variant. */
  flops: number;
}

/**
 * The sweep's demand, so that one too large for the machine or for any wait is refused up front
 * instead of running out of memory or for days. The flops count only the two matmuls over the
 * visible pairs (half with causal, at most the window), so the time they imply at a measured peak
 * is a lower bound.
 */
export function sweepDemand(c: ResolvedConfig): SweepDemand {
  const kvHeads = c.features.kvHeads ?? c.heads;
  const runs = c.variants.length * (c.warmup + c.repeats);
  const work = (n: number, m: number) => {
    const seen = c.features.window === null ? m : Math.min(m, c.features.window);
    const pairs = c.heads * n * seen * (c.causal && c.features.window === null && n === m ? 0.5 : 1);
    return 2 * pairs * (c.dk + c.dv) * runs;
  };
  const bytes = (n: number, m: number) => 4 * (n * c.heads * c.dk + m * kvHeads * (c.dk + c.dv));
  const shapes: [number, number][] = [...c.ns.map((n): [number, number] => [n, n]), ...c.decode.map((m): [number, number] => [1, m])];
  return {
    inputBytes: Math.max(...shapes.map(([n, m]) => bytes(n, m))),
    flops: shapes.reduce((sum, [n, m]) => sum + work(n, m), 0),
  };
}

const GIB = 2 ** 30;

/** "25 min", "3.2 h", "41 days", "2.1e6 years". */
export function duration(minutes: number): string {
  if (minutes < 120) return `${minutes.toFixed(0)} min`;
  const hours = minutes / 60;
  if (hours < 48) return `${hours.toFixed(1)} h`;
  const days = hours / 24;
  return days < 730 ? `${days.toFixed(0)} days` : `${(days / 365).toPrecision(2)} years`;
}

/**
 * Why a sweep is refused before it allocates anything, or null: its largest problem's Q, K and V
 * need more than `allowedBytes` (`allowedWhat` says whose limit, `advice` what to lower).
 */
export function sweepMemoryProblem(c: ResolvedConfig, allowedBytes: number, allowedWhat: string, advice: string): string | null {
  const { inputBytes } = sweepDemand(c);
  if (inputBytes <= allowedBytes) return null;
  return `the largest problem's Q, K and V need ${(inputBytes / GIB).toFixed(1)} GiB, more than ${allowedWhat}: ${advice}`;
}

/**
 * Why a sweep is refused once the roofline is measured, or null: its arithmetic alone (every
 * warm-up and repeat of every variant) would take more than `maxMinutes` at the measured peak, a
 * lower bound on its time (`limitWhat` names the limit, `advice` what to lower).
 */
export function sweepTimeProblem(
  c: ResolvedConfig,
  peakGflops: number,
  maxMinutes: number,
  limitWhat: string,
  advice: string,
): string | null {
  const { flops } = sweepDemand(c);
  const minutes = flops / (peakGflops * 1e9) / 60;
  if (minutes <= maxMinutes) return null;
  return `the sweep needs at least ${flops.toExponential(2)} floating-point operations (every warm-up and repeat of every variant); at this adapter's measured peak of ${peakGflops.toFixed(2)} GFLOP/s that is at least ${duration(minutes)}, more than ${limitWhat}: ${advice}`;
}

export interface CheckSummary {
  pass: boolean;
  maxAbs: number;
  maxUlp: number;
}

/** One variant at one N (or one decode length). Times are milliseconds. */
export interface ProfileRow {
  /** Query rows. */
  n: number;
  /** Keys: n in the sweep, the cache length in a decode row (absent in older results: m = n). */
  m?: number;
  /** A decode row (n = 1 query against m keys) rather than a point of the N sweep. */
  decode?: boolean;
  variant: string;
  source: 'engine' | 'peer';
  /** How `gpuMs` and `stages` were measured; 'wall' leaves them null/empty. */
  timing: TimingMethod;
  /** GPU time per pass (timestamps), over the repeats. */
  stages: Record<string, Summary>;
  /** Sum of the stages, per repeat. */
  gpuMs: Summary | null;
  /**
   * First pass's begin to last pass's end, per repeat (summed over blocks): the passes plus the gaps
   * between them. The row's time when present (absent in older results).
   */
  spanMs?: Summary | null;
  /**
   * Whole run as the caller sees it: dispatch and read-back, plus allocating the buffers and uploading
   * Q, K and V where `buffers` is 'allocated'. The tfjs peer keeps its input tensors too.
   */
  wallMs: Summary;
  /**
   * How the engine's timed repeats got their buffers: 'kept' from the first run, inputs uploaded once
   * (src/gpu/buffer-pool.ts), or 'allocated' anew with every upload, when the variant's buffers pass
   * what the profiler keeps. Absent for the tfjs peer and older results.
   */
  buffers?: 'kept' | 'allocated';
  flops: Flops;
  bytes: Bytes;
  /** FLOP per byte of the byte model. */
  intensity: number;
  /** total FLOPs / median time (GPU when measured, else wall). */
  gflops: number | null;
  stageGflops: Record<string, number>;
  /** model bytes / median time. */
  gbps: number | null;
  rooflinePct: number | null;
  /** The roof that binds at this row's intensities (memory, FMA or workgroup memory). */
  roof?: Roof | null;
  /** K and V bytes read ÷ time (the decode figure), and that as % of the copy bandwidth. */
  kvGbps?: number | null;
  kvBandwidthPct?: number | null;
  /** Peak bytes of GPU buffers alive during one run (engine: every buffer it created; tfjs: tensor bytes). */
  allocatedBytes: number | null;
  /** The fused kernel's key splits in the timed runs (1: none); absent for other variants and older results. */
  keySplits?: number | null;
  /** Keys per split in those runs: with m, how many splits hold keys (keySplitsHoldingKeys); absent like keySplits. */
  splitKeys?: number;
  /** Whether the fused kernel ran in its subgroup form (src/core/subgroups.ts); absent for other variants and older results. */
  subgroups?: boolean | null;
  /** How that form's shape shared lanes (pairs in the prefill, quads in decoding; null when not); absent like subgroups. */
  lanes?: SharedLanes | null;
  /** Query heads one workgroup took (more than 1: the quads took a K/V group's heads together); absent when 1 and for older results. */
  headsPerWorkgroup?: number;
  /** Query rows one workgroup of the prefill took, where more than the kernel's 64 (src/core/prefill-rows.ts); absent otherwise. */
  rowsPerWorkgroup?: number;
  /** The output against the float64 reference; null where the reference was skipped. */
  check: CheckSummary | null;
  /** Set when the run failed; the figures above are then empty. */
  error: string | null;
}

export interface CpuReferenceTime {
  n: number;
  /** Wall time of one float64 reference run, or null when skipped. */
  ms: number | null;
  skipped: string | null;
}

export interface FitRow {
  variant: string;
  /** A stage name, 'gpu' (sum of stages) or 'wall'. */
  stage: string;
  fit: PowerLawFit;
  /**
   * Why the exponent means nothing (absent when it means something): the times are all equal, or
   * differ by no more than the timer's resolution, so a line through them is flat (exponent 0,
   * r² 1) or follows the rounding. Absent in results written before it was checked.
   */
  flat?: string;
}

export interface AdapterInfo {
  description: string;
  vendor: string;
  architecture: string;
  isSoftware: boolean;
}

/** The clock probes of one point of a sweep (src/gpu/roofline.ts ClockWarmer), one per round. */
export interface ClockProbes {
  n: number;
  m: number;
  decode: boolean;
  fractionOfRoof: number[];
}

export interface ProfileResult {
  config: ResolvedConfig;
  adapter: AdapterInfo | null;
  roofline: Roofline | null;
  rows: ProfileRow[];
  cpu: CpuReferenceTime[];
  fits: FitRow[];
  /** t = a + b·N^p per variant (absent in older results; fitModels(rows) recomputes it). */
  models?: ModelFit[];
  cancelled: boolean;
  /** Where the run ran and anything a reader must know (timestamp quantization, skipped reference…). */
  notes: string[];
  /** Per point, the clock warm-up's FMA rate before each round as a share of the roofline's (absent without a warm-up). */
  clockProbes?: ClockProbes[];
  startedAt: string;
  durationMs: number;
}

/** The series a row is timed by: the timestamp span when there is one, else the sum of the passes, else wall. */
export function rowTiming(row: ProfileRow): Summary | null {
  if (row.error) return null;
  return row.spanMs ?? row.gpuMs ?? row.wallMs;
}

/** Which of the three rowTiming used. */
export function rowTimingName(row: ProfileRow): 'span' | 'gpu' | 'wall' {
  return row.spanMs ? 'span' : row.gpuMs ? 'gpu' : 'wall';
}

/** The time a row is compared by: median of rowTiming. */
export function rowTime(row: ProfileRow): number | null {
  return rowTiming(row)?.median ?? null;
}

/** Keys of a row (older results have none: m = n). */
export function rowKeys(row: ProfileRow): number {
  return row.m ?? row.n;
}

/** How many of a fused row's key splits hold no key (a forced count past m's splits); 0 when none or unknown. */
export function emptyKeySplits(r: ProfileRow): number {
  if (!r.keySplits || !r.splitKeys) return 0;
  return r.keySplits - keySplitsHoldingKeys(rowKeys(r), { keySplits: r.keySplits, splitKeys: r.splitKeys });
}

/** A row's key splits for the table: the count, with how many are empty when some are ("99 (98 empty)"). */
export function splitsCell(r: ProfileRow): TableCell {
  const empty = emptyKeySplits(r);
  return empty ? `${r.keySplits} (${empty} empty)` : (r.keySplits ?? null);
}

/**
 * Per variant, the points where some of its forced key splits hold no key, in words (the run's
 * notes): a split holds at least SPLIT_ALIGN keys, so a small m fills only the first few.
 */
export function emptyKeySplitNotes(rows: readonly ProfileRow[]): string[] {
  const byVariant = new Map<string, string[]>();
  for (const r of rows) {
    const empty = r.error ? 0 : emptyKeySplits(r);
    if (!empty) continue;
    const at = r.decode ? `m = ${rowKeys(r)}` : `N = ${r.n}`;
    const list = byVariant.get(r.variant) ?? [];
    list.push(`${empty} of ${r.keySplits} empty at ${at}`);
    byVariant.set(r.variant, list);
  }
  return [...byVariant].map(
    ([variant, points]) =>
      `${variant}: key splits that hold no key (a split holds at least ${SPLIT_ALIGN} keys, so m keys fill only ⌈m / keys per split⌉ of them): ${points.join(', ')}.`,
  );
}

/** Rows of the N sweep (not decode). */
export function sweepRows(rows: readonly ProfileRow[]): ProfileRow[] {
  return rows.filter((r) => !r.decode);
}

export function decodeRows(rows: readonly ProfileRow[]): ProfileRow[] {
  return rows.filter((r) => r.decode);
}

/** The baseline's row measured at the same point (N, or decode length) as `row`. */
function samePoint(rows: readonly ProfileRow[], row: ProfileRow, variant: string): ProfileRow | undefined {
  return rows.find((r) => r.variant === variant && r.n === row.n && rowKeys(r) === rowKeys(row) && !!r.decode === !!row.decode);
}

/**
 * How many times faster `row` is than `baseline` at the same point (> 1: faster): the per-round
 * ratios t_baseline[r] / t_row[r] of the round-robin repeats, summarized (median and spread).
 */
export function pairedSpeedup(rows: readonly ProfileRow[], row: ProfileRow, baseline: string): Summary | null {
  const base = samePoint(rows, row, baseline);
  return base ? pairedSummary(base, row) : null;
}

/** The per-round ratios t_base[r] / t_row[r], summarized; null when either has no time. */
function pairedSummary(base: ProfileRow, row: ProfileRow): Summary | null {
  const a = rowTiming(base),
    b = rowTiming(row);
  if (!a || !b) return null;
  const ratios = pairedRatios(a.samples, b.samples);
  return ratios.samples.length ? ratios : null;
}

/** The median of pairedSpeedup. */
export function speedup(rows: readonly ProfileRow[], row: ProfileRow, baseline: string): number | null {
  return pairedSpeedup(rows, row, baseline)?.median ?? null;
}

/** The exponents fitModels searches. */
export const FIT_P_RANGE: [number, number] = [0.1, 4];

/** t = a + b·N^p over the whole sweep of one variant, with the local slopes between consecutive N. */
export interface ModelFit {
  variant: string;
  /** Which time was fitted (rowTimingName of the rows). */
  timing: 'span' | 'gpu' | 'wall';
  fit: OffsetPowerLawFit;
  slopes: LocalSlope[];
  /** a / (a + b·N^p) at the smallest and the largest N: how much of the time is the fixed part. */
  overheadAtSmallest: number;
  overheadAtLargest: number;
}

/** Fits t = a + b·N^p per variant over every N of the sweep (at least three), with local slopes. */
export function fitModels(rows: readonly ProfileRow[]): ModelFit[] {
  const sweep = sweepRows(rows).filter((r) => !r.error);
  const models: ModelFit[] = [];
  for (const variant of [...new Set(sweep.map((r) => r.variant))]) {
    const mine = sweep.filter((r) => r.variant === variant).sort((p, q) => p.n - q.n);
    const ns = mine.map((r) => r.n),
      ts = mine.map((r) => rowTime(r) ?? NaN);
    const fit = fitOffsetPowerLaw(ns, ts, { pMin: FIT_P_RANGE[0], pMax: FIT_P_RANGE[1] });
    if (!fit) continue;
    models.push({
      variant,
      timing: rowTimingName(mine[0]),
      fit,
      slopes: localSlopes(ns, ts),
      overheadAtSmallest: overheadShare(fit, fit.xRange[0]),
      overheadAtLargest: overheadShare(fit, fit.xRange[1]),
    });
  }
  return models;
}

/** The local slopes said at most; a longer sweep gives its first and last ones and how many lie between. */
export const MAX_SLOPES_SAID = 12;

function slopeWords(slopes: readonly LocalSlope[]): string {
  const say = (list: readonly LocalSlope[]) => list.map((s) => `${s.from}→${s.to}: ${s.slope.toFixed(2)}`).join(', ');
  if (slopes.length <= MAX_SLOPES_SAID) return say(slopes);
  const half = MAX_SLOPES_SAID / 2;
  return `${say(slopes.slice(0, half))}, … (${slopes.length - MAX_SLOPES_SAID} more) …, ${say(slopes.slice(-half))}`;
}

/** ms with three significant digits. */
const ms3 = (x: number) => (x >= 1e3 || (x > 0 && x < 1e-3) ? x.toExponential(2) : String(+x.toPrecision(3)));

/**
 * What the fit says, in words: the fixed part, the exponent, and — when the fixed part is most of the
 * time at small N — why a log-log slope there is low.
 */
export function explainModel(m: ModelFit): string {
  const { a, b, p, xRange } = m.fit;
  const [n0, n1] = xRange;
  const parts = [
    `${m.variant}: t ≈ ${ms3(a)} ms + ${b.toExponential(2)} ms·N^${p.toFixed(2)} over N ${n0}–${n1} (${m.timing} time, rms relative residual ${(100 * m.fit.rmsRelative).toFixed(1)} %).`,
  ];
  const slopes = slopeWords(m.slopes);
  if (slopes) parts.push(`Local slopes d log t / d log N: ${slopes}.`);
  if (m.fit.atBound)
    parts.push(
      `p sits at the edge of the searched range (${FIT_P_RANGE.join('–')}): these points do not pin the exponent down (too few, or too noisy).`,
    );
  if (m.overheadAtSmallest >= 0.5)
    parts.push(
      `At N = ${n0} the fixed part a is ${(100 * m.overheadAtSmallest).toFixed(0)} % of the fitted time, so the time barely grows there and a log-log slope over small N comes out low; at N = ${n1} it is ${(100 * m.overheadAtLargest).toFixed(0)} %.`,
    );
  else
    parts.push(
      `The fixed part a is ${(100 * m.overheadAtSmallest).toFixed(0)} % of the time at N = ${n0}: the slope is the kernel's own scaling.`,
    );
  return parts.join(' ');
}

/**
 * Why no exponent can be fitted to these times (ms), or null when one can: all equal, or spread over
 * no more than the timer's resolution (one timestamp quantum; 0 when unknown, and for wall time).
 */
export function flatTimesProblem(ms: readonly number[], resolutionMs: number): string | null {
  const lo = Math.min(...ms),
    hi = Math.max(...ms);
  if (lo === hi) return `the times are all ${ms3(lo)} ms: flat, so no exponent can be fitted`;
  if (hi - lo <= resolutionMs)
    return `the times (${ms3(lo)}–${ms3(hi)} ms) are flat at the timer's resolution (${ms3(resolutionMs)} ms), so no exponent can be fitted`;
  return null;
}

/** A straight-line fit in words: the exponent with its r², points and N, or why there is none. */
export function fitWords(f: FitRow): string {
  const { fit } = f;
  if (f.flat) return `no exponent: ${f.flat} (${fit.points} points, N ${fit.xRange.join('–')})`;
  return `${fit.exponent.toFixed(2)}  (r² ${fit.r2.toFixed(3)}, ${fit.points} points, N ${fit.xRange.join('–')})`;
}

/**
 * log(time) against log(N) over the upper part of the sweep, per variant and per stage, GPU total and
 * wall. timestampQuantumNs (the roofline's, when measured) is the resolution of every time but wall:
 * times within it are flat (FitRow.flat).
 */
export function fitExponents(rows: readonly ProfileRow[], fitFromN: number | null, timestampQuantumNs = 0): FitRow[] {
  const fits: FitRow[] = [];
  const variants = [...new Set(rows.map((r) => r.variant))];
  for (const variant of variants) {
    const mine = sweepRows(rows).filter((r) => r.variant === variant && !r.error);
    const ns = upperPart(
      mine.map((r) => r.n),
      fitFromN ?? undefined,
    );
    const used = mine.filter((r) => ns.includes(r.n));
    const series: Record<string, [number, number][]> = {};
    const add = (stage: string, n: number, ms: number | undefined) => {
      if (ms !== undefined) (series[stage] ??= []).push([n, ms]);
    };
    for (const r of used) {
      for (const [stage, s] of Object.entries(r.stages)) add(stage, r.n, s.median);
      add('gpu', r.n, r.gpuMs?.median);
      add('span', r.n, r.spanMs?.median);
      add('wall', r.n, r.wallMs.median);
    }
    for (const [stage, points] of Object.entries(series)) {
      const fit = fitPowerLaw(
        points.map(([n]) => n),
        points.map(([, ms]) => ms),
      );
      const flat = flatTimesProblem(
        points.map(([, ms]) => ms),
        stage === 'wall' ? 0 : timestampQuantumNs / 1e6,
      );
      if (fit) fits.push({ variant, stage, fit, ...(flat && { flat }) });
    }
  }
  return fits;
}

/**
 * Why the straight-line exponents cannot be fitted from N ≥ fitFromN over a sweep of these N
 * (fewer than two of them remain), or null when they can or fitFromN is null (the upper half).
 */
export function fitFromProblem(ns: readonly number[], fitFromN: number | null): string | null {
  const sorted = [...new Set(ns)].sort((a, b) => a - b);
  if (fitFromN === null || sorted.filter((n) => n >= fitFromN).length >= 2) return null;
  return `exponents from N ≥ ${fitFromN}: a fit needs two N at least, and this sweep's N are ${sorted.join(', ')}`;
}

/**
 * `result` with its straight-line exponents fitted again from N ≥ fitFromN (null: the upper half of
 * the sweep), as `--fit-from` would have fitted them: a fit is reading, not measuring. Throws a
 * RangeError when fewer than two of the sweep's N remain.
 */
export function refitExponents(result: ProfileResult, fitFromN: number | null): ProfileResult {
  const problem = fitFromProblem(
    sweepRows(result.rows).map((r) => r.n),
    fitFromN,
  );
  if (problem) throw new RangeError(problem);
  return {
    ...result,
    config: { ...result.config, fitFromN },
    fits: fitExponents(result.rows, fitFromN, result.roofline?.timestamps?.quantumNs ?? 0),
  };
}

export function findFit(fits: readonly FitRow[], variant: string, stage: string): PowerLawFit | null {
  return fits.find((f) => f.variant === variant && f.stage === stage)?.fit ?? null;
}

/** Every stage any row timed, in a stable order (the three-pass stages first). */
export function stageColumns(rows: readonly ProfileRow[]): string[] {
  const order = ['layout', 'qk', 'softmax', 'pv', 'fused', 'project'];
  const seen = new Set(rows.flatMap((r) => Object.keys(r.stages)));
  return [...order.filter((s) => seen.has(s)), ...[...seen].filter((s) => !order.includes(s)).sort()];
}

export type TableCell = string | number | null;

/**
 * Rows the page's tables show until "Show all" is pressed: a card of thousands of rows would take
 * seconds to lay out, and the plots and the exports hold every row anyway.
 */
export const SHOWN_TABLE_ROWS = 200;

/**
 * The comparison table: one record per (N, variant), numbers left numeric (null where there is
 * nothing to show; a baseline's ratio to itself is the word "baseline" unless `own` asks for the
 * number). Column names are what the terminal and the CSV print.
 */
export function reportTable(result: ProfileResult, own: OwnBaselineCell = 'word'): Record<string, TableCell>[] {
  return pointTable(result, sweepRows(result.rows), false, own);
}

/** The decode rows (n = 1 against m keys): time, K+V GB/s against the copy roof, speed-ups. */
export function decodeTable(result: ProfileResult, own: OwnBaselineCell = 'word'): Record<string, TableCell>[] {
  return pointTable(result, decodeRows(result.rows), true, own);
}

/** "1.21–1.40": the p10–p90 spread of the per-round ratios. */
function spread(s: Summary | null): string | null {
  return s ? `${s.p10.toPrecision(3)}–${s.p90.toPrecision(3)}` : null;
}

/**
 * How a fused row ran: its subgroup form, whether its lanes shared rows (pairs) or keys (quads), how
 * many query heads of a K/V group its quads took together ("yes, quads, 4 heads"), and the prefill's
 * rows a workgroup where not 64 ("yes, 128 rows").
 */
function subgroupCell(r: ProfileRow): string | null {
  if (r.subgroups === undefined || r.subgroups === null) return null;
  const rows = r.rowsPerWorkgroup ? `, ${r.rowsPerWorkgroup} rows` : '';
  if (!r.subgroups) return `no${rows}`;
  const heads = r.headsPerWorkgroup && r.headsPerWorkgroup > 1 ? `, ${r.headsPerWorkgroup} heads` : '';
  return `${r.lanes ? `yes, ${r.lanes}${heads}` : 'yes'}${rows}`;
}

/** The table's cell for a baseline's ratio to itself: the word (page, terminal) or the number 1 (CSV: a column of numbers). */
export type OwnBaselineCell = 'word' | 'number';

/** What the page and the terminal show in a baseline's own "× baseline" cell, where a ratio to itself says nothing. */
export const OWN_BASELINE = 'baseline';

/** Point key of a row: its variant, N, keys and whether it is a decode row. */
const pointKey = (variant: string, r: ProfileRow) => `${variant}\u0000${r.n}\u0000${rowKeys(r)}\u0000${r.decode ? 1 : 0}`;

function pointTable(
  result: ProfileResult,
  rows: readonly ProfileRow[],
  decode: boolean,
  own: OwnBaselineCell,
): Record<string, TableCell>[] {
  const stages = stageColumns(rows);
  const asked = result.config.baselines ?? [];
  const baselines = [...new Set(['naive', 'tfjs', ...asked])].filter((b) => rows.some((r) => r.variant === b));
  const hasSpan = rows.some((r) => r.spanMs);
  const hasSplits = rows.some((x) => x.keySplits);
  const hasSubgroups = rows.some((x) => x.subgroups !== undefined && x.subgroups !== null);
  // The baselines' rows by point, so a large result (a card of thousands of rows) pairs in one pass.
  const byPoint = new Map<string, ProfileRow>();
  for (const r of rows) if (baselines.includes(r.variant) && !byPoint.has(pointKey(r.variant, r))) byPoint.set(pointKey(r.variant, r), r);
  return rows.map((r) => {
    const record: Record<string, TableCell> = decode ? { m: rowKeys(r), variant: r.variant } : { N: r.n, variant: r.variant };
    for (const stage of stages) record[`${stage} ms`] = r.stages[stage]?.median ?? null;
    record['gpu ms'] = r.gpuMs?.median ?? null;
    if (hasSpan) record['span ms'] = r.spanMs?.median ?? null;
    const timing = rowTiming(r);
    record['p10'] = timing?.p10 ?? null;
    record['p90'] = timing?.p90 ?? null;
    record['wall ms'] = r.error ? null : r.wallMs.median;
    if (!decode) record['cpu ms'] = result.cpu.find((c) => c.n === r.n)?.ms ?? null;
    record['GFLOP/s'] = r.gflops;
    record['GB/s'] = r.gbps;
    if (decode) {
      record['K+V GB/s'] = r.kvGbps ?? null;
      record['% copy BW'] = r.kvBandwidthPct ?? null;
      if (hasSplits) record['splits'] = splitsCell(r);
    }
    if (hasSubgroups) record['subgroups'] = subgroupCell(r);
    for (const b of baselines) {
      const base = byPoint.get(pointKey(b, r));
      const s = base ? pairedSummary(base, r) : null;
      const itself = r.variant === b && own === 'word';
      record[`× ${b}`] = itself ? OWN_BASELINE : (s?.median ?? null);
      record[`× ${b} p10–p90`] = itself ? null : spread(s);
    }
    record['% roofline'] = r.rooflinePct;
    record['roof'] = r.roof ?? null;
    record['alloc MiB'] = r.allocatedBytes === null ? null : r.allocatedBytes / 2 ** 20;
    record['check'] = r.error ? `error: ${r.error}` : r.check ? (r.check.pass ? 'pass' : 'FAIL') : 'skipped';
    return record;
  });
}

/** Numbers with about three significant digits; '—' for null. */
export function formatCell(value: TableCell): string {
  if (value === null) return '—';
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e5 || abs < 1e-3)) return value.toExponential(2);
  if (Number.isInteger(value)) return String(value);
  return value.toPrecision(3);
}

/** Fixed-width text table for the terminal. */
export function formatTable(records: readonly Record<string, TableCell>[]): string {
  if (records.length === 0) return '(no results)';
  const columns = Object.keys(records[0]);
  const cells = records.map((r) => columns.map((c) => formatCell(r[c] ?? null)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => values.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/**
 * The table as CSV (numbers at full precision). Every "× V" column stays numeric: V's own row holds
 * its ratio to itself, 1, where the page and the terminal say "baseline".
 */
export function toCsv(result: ProfileResult): string {
  return csvFormat([...reportTable(result, 'number'), ...decodeTable(result, 'number')]);
}
