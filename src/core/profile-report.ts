/**
 * The profiler's results as data, and the views every consumer shares: the comparison table
 * (page, terminal), CSV, speed-up ratios and fitted exponents. Pure: no GPU, no DOM.
 */
import { csvFormat } from 'd3-dsv';
import type { Bytes, Flops, RooflinePeaks } from './cost';
import type { AttentionShape } from './shapes';
import { checkFeatures } from './shapes';
import type { FeatureOptions } from './options';
import { DEFAULT_OPTIONS } from './options';
import { activeFeatures } from './features';
import type { PowerLawFit, Summary, TimestampGranularity } from './stats';
import { fitPowerLaw, upperPart } from './stats';

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
    throw new RangeError(`tfjs runs plain attention only, not ${on.join(', ')}: drop tfjs from the variants or the feature options`);
  const warmup = c.warmup ?? 2;
  if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError(`warm-up runs must be a non-negative integer, got ${warmup}`);
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
  };
}

export interface CheckSummary {
  pass: boolean;
  maxAbs: number;
  maxUlp: number;
}

/** One variant at one N. Times are milliseconds. */
export interface ProfileRow {
  n: number;
  variant: string;
  source: 'engine' | 'peer';
  /** How `gpuMs` and `stages` were measured; 'wall' leaves them null/empty. */
  timing: TimingMethod;
  /** GPU time per pass (timestamps), over the repeats. */
  stages: Record<string, Summary>;
  /** Sum of the stages, per repeat. */
  gpuMs: Summary | null;
  /** Whole run as the caller sees it: upload, dispatch, readback. */
  wallMs: Summary;
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
  /** Peak bytes of GPU buffers alive during one run (engine: every buffer it created; tfjs: tensor bytes). */
  allocatedBytes: number | null;
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
}

export interface AdapterInfo {
  description: string;
  vendor: string;
  architecture: string;
  isSoftware: boolean;
}

export interface ProfileResult {
  config: ResolvedConfig;
  adapter: AdapterInfo | null;
  roofline: Roofline | null;
  rows: ProfileRow[];
  cpu: CpuReferenceTime[];
  fits: FitRow[];
  cancelled: boolean;
  /** Where the run ran and anything a reader must know (timestamp quantization, skipped reference…). */
  notes: string[];
  startedAt: string;
  durationMs: number;
}

/** The time a row is compared by: median GPU time when timestamps were available, else wall. */
export function rowTime(row: ProfileRow): number | null {
  if (row.error) return null;
  return row.gpuMs?.median ?? row.wallMs.median;
}

/** How many times faster `row` is than `baseline` at the same N (> 1: faster). */
export function speedup(rows: readonly ProfileRow[], row: ProfileRow, baseline: string): number | null {
  const base = rows.find((r) => r.n === row.n && r.variant === baseline);
  const a = base && rowTime(base),
    b = rowTime(row);
  return a && b ? a / b : null;
}

/** log(time) against log(N) over the upper part of the sweep, per variant and per stage, GPU total and wall. */
export function fitExponents(rows: readonly ProfileRow[], fitFromN: number | null): FitRow[] {
  const fits: FitRow[] = [];
  const variants = [...new Set(rows.map((r) => r.variant))];
  for (const variant of variants) {
    const mine = rows.filter((r) => r.variant === variant && !r.error);
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
      add('wall', r.n, r.wallMs.median);
    }
    for (const [stage, points] of Object.entries(series)) {
      const fit = fitPowerLaw(
        points.map(([n]) => n),
        points.map(([, ms]) => ms),
      );
      if (fit) fits.push({ variant, stage, fit });
    }
  }
  return fits;
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
 * The comparison table: one record per (N, variant), numbers left numeric (null where there is
 * nothing to show). Column names are what the terminal and the CSV print.
 */
export function reportTable(result: ProfileResult): Record<string, TableCell>[] {
  const stages = stageColumns(result.rows);
  const hasPeer = result.rows.some((r) => r.variant === 'tfjs');
  const hasNaive = result.rows.some((r) => r.variant === 'naive');
  return result.rows.map((r) => {
    const record: Record<string, TableCell> = { N: r.n, variant: r.variant };
    for (const stage of stages) record[`${stage} ms`] = r.stages[stage]?.median ?? null;
    record['gpu ms'] = r.gpuMs?.median ?? null;
    record['gpu p10'] = r.gpuMs?.p10 ?? null;
    record['gpu p90'] = r.gpuMs?.p90 ?? null;
    record['wall ms'] = r.error ? null : r.wallMs.median;
    record['cpu ms'] = result.cpu.find((c) => c.n === r.n)?.ms ?? null;
    record['GFLOP/s'] = r.gflops;
    record['GB/s'] = r.gbps;
    if (hasNaive) record['× naive'] = speedup(result.rows, r, 'naive');
    if (hasPeer) record['× tfjs'] = speedup(result.rows, r, 'tfjs');
    record['% roofline'] = r.rooflinePct;
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

/** The table as CSV (numbers at full precision). */
export function toCsv(result: ProfileResult): string {
  return csvFormat(reportTable(result));
}
