/**
 * The sequence-length sweep: for every N, each variant's warm-up runs, then timed repeats through
 * the real engine (per-stage GPU time from timestamp queries, and wall time), interleaved
 * round-robin across the variants (each round starting with the next variant); then each output is
 * checked against the float64 reference and the derived figures (GFLOP/s, GB/s, % of roofline,
 * memory) are computed.
 *
 * Runs in Node and in the page: it yields to the event loop between runs, reports progress and
 * stops at the next run boundary when its AbortSignal fires (returning what it has, marked
 * cancelled). With time limits (ProfileDeps.timeLimits) each engine run is under the page's
 * watchdog: one that does not finish in time stops the sweep (SweepTimeoutError), since the device
 * is still busy with it, and Cancel stops the wait at once.
 */
import { checkAgainstReference } from '../core/compare-run';
import type { Bytes, CostShape, Dataflow, Flops } from '../core/cost';
import { attentionBytes, attentionFlops, bindingRoof, kvBytes, ratePerSecondG, stageFlops, workgroupIntensity } from '../core/cost';
import type { AttentionOptions, FeatureOptions } from '../core/options';
import type {
  AdapterInfo,
  ClockProbes,
  CpuReferenceTime,
  ProfileConfig,
  ProfileResult,
  ProfileRow,
  ResolvedConfig,
  Roofline,
} from '../core/profile-report';
import { emptyKeySplitNotes, fitExponents, fitModels, resolveConfig } from '../core/profile-report';
import { MAX_FORCED_KEY_SPLITS } from '../core/key-splits';
import type { ReferenceResult } from '../core/reference';
import { attentionReference } from '../core/reference';
import { randomMatrix } from '../core/rng';
import type { AttentionInputs } from '../core/shapes';
import { summarize } from '../core/stats';
import type { ClockProbe } from './roofline';
import { measureAllocations } from './buffer-ledger';
import { BufferPool, KEEP_BYTES } from './buffer-pool';
import type { AttentionEngine } from './engine';
import type { Precision } from '../core/precision';
import type { SharedLanes, SubgroupChoice } from '../core/subgroups';
import type { PrefillRows } from '../core/prefill-rows';
import { widePrefill } from '../core/prefill-rows';
import type { StageName } from '../core/stages';
import { RunCancelledError } from '../core/errors';
import type { TimeLimitSettings } from '../core/kernel-safety';
import { attentionWork, formatLimit, gpuTimeLimitMs } from '../core/kernel-safety';
import { GpuTimeoutError, withTimeLimit } from './watchdog';
import type { VariantName } from './variants';
import { hasIntermediates, isVariant, VARIANT_NAMES, VARIANTS, variantStages } from './variants';

/** One synced run of a peer implementation (e.g. TensorFlow.js) on the same inputs. */
export interface PeerRun {
  /** n × (h·dv), heads concatenated along columns like the engine's output. */
  output: Float32Array;
  wallMs: number;
  /** GPU time per pass group from timestamps, or null when the peer could not time them. */
  stages: Record<string, number> | null;
  allocatedBytes: number | null;
}

export interface Peer {
  name: string;
  /** Which byte model describes its dataflow. */
  dataflow: Dataflow;
  run(inputs: AttentionInputs, options: Pick<AttentionOptions, 'causal' | 'heads'>): Promise<PeerRun>;
  /** Frees what it kept on the GPU for these inputs between runs; the profiler calls it when a point ends. */
  release?(inputs: AttentionInputs): void;
}

/**
 * An extra engine variant for diagnosis: a built-in variant with some stages' WGSL replaced (e.g.
 * tiled with its barriers removed, to measure what the barriers cost). Its output is not checked:
 * such kernels may be wrong on purpose.
 */
export interface CustomVariant {
  base: VariantName;
  kernels: Partial<Record<StageName, string>>;
  /** Why it exists; added to the results' notes. */
  note: string;
  /** Hold its output to the reference like a built-in's (a user's kernel); diagnostic copies are not. */
  checked?: boolean;
  /** Run options of its own: f16 storage, a forced number of key splits (src/gpu/engine.ts). */
  run?: { precision?: Precision; keySplits?: number; subgroups?: SubgroupChoice; groupHeads?: boolean; prefillRows?: PrefillRows };
}

/**
 * Built-in variants run with a setting of their own, profiled beside the plain ones under these
 * names (the terminal's --variants and the Profiler tab): the fused kernel with f16 storage, and
 * without key splits.
 */
export const SETTING_VARIANTS: Readonly<Record<string, CustomVariant>> = {
  'fused-f16': {
    base: 'fused',
    kernels: {},
    note: 'the fused kernel with f16 storage (Q, K, V read as halves, float32 arithmetic), checked against the f16 bound',
    checked: true,
    run: { precision: 'f16' },
  },
  'fused-nosubgroups': {
    base: 'fused',
    kernels: {},
    note: 'the fused kernel without its subgroup form (the portable prefill, the decoding merge through workgroup memory): beside fused, what subgroups buy where the device has them',
    checked: true,
    run: { subgroups: 'off' },
  },
  'fused-shared': {
    base: 'fused',
    kernels: {},
    note: "the fused kernel's subgroup form with shared lanes (the prefill in pairs of lanes: two rows per pair, half the columns per lane; the decoding shape in quads: four lanes per key, a quarter of the columns each, a K/V group's query heads together), on any device with consecutive subgroups: 'auto' runs on a GPU only the quads, one query head a workgroup (pairs and grouped heads were measured slower on an H200), and on a CPU emulator only quads of 3 or more heads a workgroup",
    checked: true,
    run: { subgroups: 'shared' },
  },
  'fused-unshared': {
    base: 'fused',
    kernels: {},
    note: "the fused kernel's subgroup form without shared lanes (the portable prefill; the decoding shape one lane per batch of keys, merged in registers): beside fused on a GPU, what the quads buy in decoding (its prefill is fused's on a GPU)",
    checked: true,
    run: { subgroups: 'merge' },
  },
  'fused-ungrouped': {
    base: 'fused',
    kernels: {},
    note: "the fused kernel's subgroup form with shared lanes, its decoding shape in quads taking one query head a workgroup (fused-shared takes the query heads of a K/V group together, reading each key once for all of them): beside fused-shared, what grouping the heads buys; beside fused on a GPU (the same quads), what the prefill's pairs buy",
    checked: true,
    run: { subgroups: 'shared', groupHeads: false },
  },
  'fused-64rows': {
    base: 'fused',
    kernels: {},
    note: "the fused kernel's prefill with 64 query rows a workgroup (the kernel as written): beside fused on a GPU, which takes 128, what the wider workgroup buys",
    checked: true,
    run: { prefillRows: 64 },
  },
  'fused-128rows': {
    base: 'fused',
    kernels: {},
    note: "the fused kernel's prefill with 128 query rows a workgroup, on any device: 'auto' takes 128 on a GPU and 64 on a CPU emulator",
    checked: true,
    run: { prefillRows: 128 },
  },
  'fused-1split': {
    base: 'fused',
    kernels: {},
    note: 'the fused kernel without split-KV (keySplits 1): beside fused, what splitting the keys buys',
    checked: true,
    run: { keySplits: 1 },
  },
};
export const SETTING_VARIANT_NAMES = Object.keys(SETTING_VARIANTS);

/**
 * A combine kernel runs only when the fused variant splits the keys, and a run's own choice may be
 * one split (always on a CPU emulator): a custom variant with one forces this many, so the kernel
 * timed is the one given (compare it with fused-4splits).
 */
export const CUSTOM_COMBINE_SPLITS = 4;

/** The run options a custom variant with these edited stages needs: key splits forced for a combine kernel. */
export function customKernelRun(stages: readonly string[]): CustomVariant['run'] {
  return stages.includes('combine') ? { keySplits: CUSTOM_COMBINE_SPLITS } : undefined;
}

/** What a custom variant's note adds for its run options (a combine kernel's forced splits). */
export function customRunNote(stages: readonly string[]): string {
  return stages.includes('combine')
    ? `, with ${CUSTOM_COMBINE_SPLITS} key splits forced so that the combine stage runs (compare fused-${CUSTOM_COMBINE_SPLITS}splits)`
    : '';
}

const FORCED_SPLITS = /^fused-([1-9]\d*)splits?(-nosubgroups)?$/;

/**
 * A built-in variant run with a setting of its own: one of SETTING_VARIANTS, or fused-Nsplits, the
 * fused kernel with N key splits forced (1 ≤ N ≤ MAX_FORCED_KEY_SPLITS) — a sweep of N shows what
 * the split count, and so the number of workgroups, does to a decode row on a device — and
 * fused-Nsplits-nosubgroups, the same without the kernel's subgroup form.
 */
export function settingVariant(name: string): CustomVariant | undefined {
  if (Object.hasOwn(SETTING_VARIANTS, name)) return SETTING_VARIANTS[name];
  const forced = FORCED_SPLITS.exec(name);
  if (!forced || Number(forced[1]) > MAX_FORCED_KEY_SPLITS) return undefined;
  const count = Number(forced[1]);
  const portable = forced[2] !== undefined;
  return {
    base: 'fused',
    kernels: {},
    note:
      `the fused kernel with ${count} key split${count === 1 ? '' : 's'} forced, whatever the problem (the engine's own choice is variant fused)` +
      (portable ? ', without its subgroup form' : ''),
    checked: true,
    run: portable ? { keySplits: count, subgroups: 'off' } : { keySplits: count },
  };
}

/** Other libraries' attention a sweep can time beside the engine's (src/peer/). */
export const PEER_NAMES: readonly string[] = ['tfjs'];

/** Every name a sweep takes as it is: the built-in variants, the setting variants and the peers (fused-Nsplits besides). */
export const PROFILE_VARIANT_NAMES: readonly string[] = [...VARIANT_NAMES, ...SETTING_VARIANT_NAMES, ...PEER_NAMES];

/**
 * Throws a RangeError naming the variants a sweep cannot run and what it can (the terminal's
 * --variants and the Profiler tab's "more variants" say the same).
 */
export function checkVariantNames(names: readonly string[], features: Partial<Pick<FeatureOptions, 'rope'>> | null = null): void {
  const unknown = names.filter((x) => !PROFILE_VARIANT_NAMES.includes(x) && settingVariant(x) === undefined);
  if (unknown.length)
    throw new RangeError(
      `unknown variant${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; choose from ${PROFILE_VARIANT_NAMES.join(', ')}, or fused-Nsplits (N key splits forced, 1–${MAX_FORCED_KEY_SPLITS}; fused-Nsplits-nosubgroups without the subgroup form)`,
    );
  // f16 storage reads the Q and K it was given; RoPE's stage writes float32 ones (halfStorageObstacles).
  const halves = names.filter((x) => settingVariant(x)?.run?.precision === 'f16');
  if (halves.length && features?.rope)
    throw new RangeError(
      `${halves.join(', ')} cannot run with RoPE on: f16 storage reads Q and K as halves, and the RoPE stage writes float32 ones. Drop ${halves.length === 1 ? 'it' : 'them'} from the variants or turn RoPE off`,
    );
}

/** The runs of round `round`, rotated so that the round starts with item round mod length. */
export function rotationOrder<T>(items: readonly T[], round: number): T[] {
  const start = items.length ? round % items.length : 0;
  return [...items.slice(start), ...items.slice(0, start)];
}

export interface ProfileProgress {
  /** Runs finished (warm-ups included) and runs planned. */
  done: number;
  total: number;
  n: number;
  /** Keys (m = n in the sweep; the cache length of a decode row). */
  m: number;
  variant: string;
  phase: 'reference' | 'warmup' | 'repeat';
}

export interface ProfileDeps {
  engine: AttentionEngine;
  peers?: Record<string, Peer>;
  custom?: Record<string, CustomVariant>;
  roofline?: Roofline | null;
  adapter?: AdapterInfo | null;
  signal?: AbortSignal;
  onProgress?: (progress: ProfileProgress) => void;
  /**
   * The watchdog's settings (src/core/kernel-safety.ts): an engine run may take gpuTimeLimitMs of
   * its work. Without them the sweep waits for every run as long as it takes.
   */
  timeLimits?: TimeLimitSettings | null;
  /**
   * Runs before every round of a point (src/gpu/roofline.ts ClockWarmer): keeps a GPU at its
   * working clock while the host works between runs, and probes the clock each round starts at.
   */
  warmer?: { warm(): Promise<ClockProbe> } | null;
  /**
   * Bytes of buffers the engine variants of a point may keep between their repeats, together
   * (default KEEP_BYTES, src/gpu/buffer-pool.ts); a variant whose buffers do not fit its share
   * allocates them in every repeat, and its row says so.
   */
  keepBytes?: number;
  /**
   * Wraps each engine run of a custom variant (edited kernels), given the kernels and the run's time
   * limit: the page keeps the run on its write-ahead record (src/ui/kernel-run-record.ts) while it
   * is out, so a page that freezes or dies mid-profile holds those kernels on the next load.
   */
  recordRun?: <T>(kernels: Readonly<Record<string, string>>, limitMs: number, run: () => Promise<T>) => Promise<T>;
}

/** An engine run of the sweep did not finish within its time limit: the device may still be busy with it. */
export class SweepTimeoutError extends GpuTimeoutError {
  constructor(
    limitMs: number,
    readonly variant: string,
    readonly n: number,
    readonly m: number,
  ) {
    super(limitMs);
    this.message = `${variant} did not finish within ${formatLimit(limitMs)} at ${n === m ? `N=${n}` : `decode m=${m}`}`;
  }
}

/** Lets the page paint and handle input between runs (setTimeout also works in Node). */
const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

interface Sample {
  stages: Record<string, number> | null;
  /** First pass's begin to last pass's end (summed over blocks), when timestamps were read. */
  spanMs: number | null;
  wallMs: number;
}

/** One point of the sweep: n queries against m keys. */
interface Point {
  n: number;
  m: number;
  decode: boolean;
}

export async function profileSweep(config: ProfileConfig, deps: ProfileDeps): Promise<ProfileResult> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const c = resolveConfig(config);
  const rows: ProfileRow[] = [];
  const cpu: CpuReferenceTime[] = [];
  const notes: string[] = [];
  const points: Point[] = [...c.ns.map((n) => ({ n, m: n, decode: false })), ...c.decode.map((m) => ({ n: 1, m, decode: true }))];
  const total = points.length * (c.variants.length * (c.warmup + c.repeats) + 1);
  let done = 0;
  const progress = (p: Point, variant: string, phase: ProfileProgress['phase']) =>
    deps.onProgress?.({ done, total, n: p.n, m: p.m, variant, phase });
  const aborted = () => deps.signal?.aborted ?? false;
  let cancelled = false;
  // The N being measured, so a cancelled sweep keeps the repeats it already has there.
  let current: { runners: Runner[]; reference: ReferenceResult | null } | null = null;
  const clockProbes: ClockProbes[] = [];

  try {
    for (const point of points) {
      if (aborted()) throw new RunCancelledError('profile cancelled');
      const inputs = makeInputs(c, point);
      const options: Partial<AttentionOptions> = { causal: c.causal, heads: c.heads, ...c.features };
      progress(point, 'cpu', 'reference');
      const { reference, time } = cpuReference(c, point, inputs, options);
      if (!point.decode) cpu.push(time);
      done++;
      await yieldToEventLoop();
      const runners = c.variants.map((variant) => createRunner(c, deps, point, variant, inputs, options));
      current = { runners, reference };
      try {
        // Round-robin: every variant's k-th run happens close in time to the others', so load that
        // comes and goes on the machine touches all variants alike and their ratios stay fair. Round
        // r starts with variant r mod V (rotationOrder), so no variant always runs first or last: on
        // SwiftShader the same kernel measured 1.5× slower when it always ran first in its round.
        const rounds: ('warmup' | 'repeat')[] = [...Array(c.warmup).fill('warmup'), ...Array(c.repeats).fill('repeat')];
        const probes: number[] = [];
        for (const [round, phase] of rounds.entries()) {
          if (deps.warmer) probes.push((await deps.warmer.warm()).fractionOfRoof);
          for (const runner of rotationOrder(runners, round)) {
            if (aborted()) throw new RunCancelledError('profile cancelled');
            progress(point, runner.variant, phase);
            await runner.step(phase, round === 0);
            done++;
            await yieldToEventLoop();
          }
        }
        rows.push(...runners.map((runner) => runner.row(reference, deps.roofline ?? null)));
        if (probes.length) clockProbes.push({ n: point.n, m: point.m, decode: point.decode, fractionOfRoof: probes });
        current = null;
      } finally {
        for (const runner of runners) runner.dispose();
      }
    }
  } catch (error) {
    if (!(error instanceof RunCancelledError)) throw error;
    cancelled = true;
    const partial = current?.runners.filter((r) => r.repeatsDone > 0) ?? [];
    rows.push(...partial.map((runner) => runner.row(current!.reference, deps.roofline ?? null)));
    if (partial.length)
      notes.push(
        `Cancelled during ${partial[0].decode ? `decode m=${partial[0].m}` : `N=${partial[0].n}`}: its rows hold the repeats finished by then.`,
      );
  }

  if (clockProbes.length) notes.push(clockProbeNote(clockProbes));
  const allocated = rows.filter((r) => r.buffers === 'allocated');
  if (allocated.length)
    notes.push(
      `Buffers past what the profiler keeps between repeats (${+((deps.keepBytes ?? KEEP_BYTES) / 2 ** 20).toFixed(1)} MiB a point): ${allocated.map((r) => `${r.decode ? `decode m=${r.m}` : `N=${r.n}`} ${r.variant}`).join(', ')} allocated them and uploaded the inputs in every repeat, and their wall time includes that.`,
    );
  if (deps.engine.hasTimestamps === false)
    notes.push('The device has no timestamp-query: GPU times are not available, rates use wall time.');
  for (const name of c.variants) {
    const custom = deps.custom?.[name] ?? settingVariant(name);
    if (custom) notes.push(`${name}: ${custom.note}`);
  }
  const skipped = cpu.filter((t) => t.skipped);
  if (skipped.length) notes.push(`CPU reference skipped for N = ${skipped.map((t) => t.n).join(', ')}: ${skipped[0].skipped}`);
  notes.push(...emptyKeySplitNotes(rows));
  const coarse = coarseTimings(rows, deps.roofline?.timestamps?.quantumNs ?? 1);
  if (coarse.length)
    notes.push(
      `Below ten timestamp quanta (${((deps.roofline?.timestamps?.quantumNs ?? 0) / 1000).toFixed(1)} µs each), error up to one quantum: ${coarse.join(', ')}.`,
    );
  return {
    config: c,
    adapter: deps.adapter ?? null,
    roofline: deps.roofline ?? null,
    rows,
    cpu,
    fits: fitExponents(rows, c.fitFromN, deps.roofline?.timestamps?.quantumNs ?? 0),
    models: fitModels(rows),
    cancelled,
    notes,
    ...(clockProbes.length && { clockProbes }),
    startedAt,
    durationMs: performance.now() - started,
  };
}

/** The clock probes' range per point, in one line. */
function clockProbeNote(probes: readonly ClockProbes[]): string {
  const pct = (x: number) => `${Math.round(x * 100)}`;
  const points = probes.map((p) => {
    const sorted = [...p.fractionOfRoof].sort((a, b) => a - b);
    const range = sorted.length > 1 ? `${pct(sorted[0])}–${pct(sorted[sorted.length - 1])}` : pct(sorted[0]);
    return `${p.decode ? `decode m=${p.m}` : `N=${p.n}`} ${range} %`;
  });
  return `Clock warm-up before each round (FMA kernel); its last pass ran at this share of the roofline's FMA rate: ${points.join(', ')}.`;
}

/** "N=64 tiled softmax" for every stage median shorter than ten timestamp quanta. */
function coarseTimings(rows: readonly ProfileRow[], quantumNs: number): string[] {
  if (!(quantumNs > 1)) return [];
  return rows.flatMap((r) =>
    Object.entries(r.stages)
      .filter(([, s]) => s.median * 1e6 < 10 * quantumNs)
      .map(([stage]) => `N=${r.n} ${r.variant} ${stage}`),
  );
}

function makeInputs(c: ResolvedConfig, { n, m, decode }: Point): AttentionInputs {
  // Decode rows draw from their own seeds, so n = 1 and the sweep's N = 1 do not share inputs by accident.
  const seed = c.seed + m + (decode ? 3_000_009 : 0);
  return {
    q: randomMatrix(n, c.heads * c.dk, seed),
    k: randomMatrix(m, (c.features.kvHeads ?? c.heads) * c.dk, seed + 1_000_003),
    v: randomMatrix(m, (c.features.kvHeads ?? c.heads) * c.dv, seed + 2_000_006),
  };
}

function cpuReference(c: ResolvedConfig, { n, m }: Point, inputs: AttentionInputs, options: Partial<AttentionOptions>) {
  const work = n * m * (c.dk + c.dv) * c.heads;
  if (work > c.cpuReferenceLimit) {
    const skipped = `n·m·(dk+dv)·h = ${work.toExponential(2)} exceeds the CPU reference limit ${c.cpuReferenceLimit.toExponential(2)} (the float64 JS reference would take too long); outputs there are not checked`;
    return { reference: null, time: { n, ms: null, skipped } };
  }
  const t0 = performance.now();
  const reference = attentionReference(inputs, options);
  return { reference, time: { n, ms: performance.now() - t0, skipped: null } };
}

/** Runs one variant at one point, a warm-up or a timed repeat at a time, and turns its samples into a row. */
interface Runner {
  n: number;
  m: number;
  decode: boolean;
  variant: string;
  readonly repeatsDone: number;
  /** One run; a failure is recorded (the variant's later steps are skipped), cancellation is thrown. */
  step(phase: 'warmup' | 'repeat', first: boolean): Promise<void>;
  row(reference: ReferenceResult | null, roofline: Roofline | null): ProfileRow;
  /** Destroys the buffers kept for the repeats (a peer: releases what it kept). */
  dispose(): void;
}

/** What one synced run produced, whoever ran it. */
interface SyncedRun extends Sample {
  output: Float32Array;
  /** Peak buffer bytes, when this run measured them. */
  allocatedBytes: number | null;
}

/** Whether a variant's kernels (a custom variant's own where it replaces them) stage data in workgroup memory. */
function usesWorkgroupMemory(deps: ProfileDeps, variant: VariantName, custom: CustomVariant | undefined): boolean {
  const files = VARIANTS[variant] as Partial<Record<StageName, string>>;
  return variantStages(variant).some((stage) =>
    (custom?.kernels[stage] ?? deps.engine.shaders[files[stage] ?? ''] ?? '').includes('var<workgroup>'),
  );
}

function createRunner(
  c: ResolvedConfig,
  deps: ProfileDeps,
  { n, m, decode }: Point,
  variant: string,
  inputs: AttentionInputs,
  options: Partial<AttentionOptions>,
): Runner {
  const shape: CostShape = {
    n,
    m,
    dk: c.dk,
    dv: c.dv,
    heads: c.heads,
    kvHeads: c.features.kvHeads ?? c.heads,
    causal: c.causal,
    window: c.features.window,
  };
  const peer = deps.peers?.[variant];
  const custom = deps.custom?.[variant] ?? settingVariant(variant);
  const engineVariant = custom?.base ?? (isVariant(variant) ? variant : null);
  const dataflow: Dataflow = peer ? peer.dataflow : engineVariant && !hasIntermediates(engineVariant) ? 'fused' : 'three-pass';
  const flops = attentionFlops(shape),
    inputBytes = custom?.run?.precision === 'f16' ? 2 : 4,
    bytes = attentionBytes(shape, dataflow, inputBytes),
    kv = kvBytes(shape, inputBytes);
  // The tfjs peer's kernels are not ours to read: its workgroup-memory use is unknown, so not counted.
  // FLOP per byte of workgroup memory (null without it); the fused prefill's pairs are known after a run.
  const ownKernel = custom?.checked === true && Object.keys(custom.kernels).length > 0;
  const staged = engineVariant && usesWorkgroupMemory(deps, engineVariant, custom) ? engineVariant : null;
  const workgroupFor = (lanes: SharedLanes | null) => (staged ? workgroupIntensity(staged, { pairs: lanes === 'pairs', ownKernel }) : null);
  const samples: Sample[] = [];
  let output: Float32Array | null = null;
  let allocatedBytes: number | null = null;
  let keySplits: number | null = null;
  let splitKeys: number | null = null;
  let subgroups: boolean | null = null;
  let lanes: SharedLanes | null | undefined;
  let headsPerWorkgroup = 1;
  let rowsPerWorkgroup: number | null = null;
  let error: string | null = peer || engineVariant ? null : `unknown variant "${variant}"`;
  // The repeats reuse the first run's buffers and inputs (the sweep never edits its inputs); the
  // engine variants of a point share the profiler's budget for kept buffers (a peer keeps its own).
  const engineVariants = c.variants.filter((v) => !deps.peers?.[v]).length;
  const pool = peer
    ? null
    : new BufferPool(deps.engine.device, { sameInputs: true, keepBytes: (deps.keepBytes ?? KEEP_BYTES) / engineVariants });
  let allocatedInRepeats = false;
  const limitMs = (limits: TimeLimitSettings) =>
    gpuTimeLimitMs(attentionWork({ n, m, dk: c.dk, dv: c.dv, heads: c.heads, dModel: null }), limits);

  const runOnce = async (first: boolean): Promise<SyncedRun> => {
    if (peer) {
      const run = await peer.run(inputs, { causal: c.causal, heads: c.heads });
      return { ...run, stages: run.stages, spanMs: null };
    }
    const run = () =>
      deps.engine.run(inputs, options, {
        variant: engineVariant!,
        kernels: custom?.kernels,
        ...custom?.run,
        buffers: pool ?? undefined,
        signal: deps.signal,
      });
    const limited = deps.timeLimits ? () => withTimeLimit(run, limitMs(deps.timeLimits!), deps.signal) : run;
    // A custom variant's own kernels go on the page's record of runs (a setting variant has none).
    const record = deps.recordRun;
    const edited = custom && Object.keys(custom.kernels).length ? (custom.kernels as Readonly<Record<string, string>>) : null;
    const once = edited && record && deps.timeLimits ? () => record(edited, limitMs(deps.timeLimits!), limited) : limited;
    // The first warm-up also compiles the pipelines; it is the run whose allocations are counted,
    // never a timed one (the counting wraps createBuffer).
    const measured = first ? await measureAllocations(deps.engine.device, once) : { result: await once(), peakBytes: null };
    const timings = measured.result.gpuTimings as Partial<Record<string, number>> | null;
    if (measured.result.variant === 'fused') {
      keySplits = measured.result.keySplits;
      splitKeys = measured.result.splitKeys;
      subgroups = measured.result.subgroups;
      lanes = measured.result.subgroupLanes;
      headsPerWorkgroup = measured.result.headsPerWorkgroup;
      rowsPerWorkgroup = measured.result.rowsPerWorkgroup;
    }
    return {
      output: measured.result.output.data,
      wallMs: measured.result.wallMs,
      stages: timings ? definedEntries(timings) : null,
      spanMs: measured.result.gpuSpanMs ?? null,
      allocatedBytes: measured.peakBytes,
    };
  };

  return {
    n,
    m,
    decode,
    variant,
    get repeatsDone() {
      return samples.length;
    },
    async step(phase, first) {
      if (error) return;
      try {
        // The first run at a point compiles the pipelines and makes the buffers, so it is never timed:
        // with no warm-ups it runs, untimed, before the first repeat (else that repeat's wall time is
        // mostly compiling, at the first N only, and the wall exponent comes out near −10).
        if (first && phase === 'repeat') allocatedBytes ??= (await runOnce(true)).allocatedBytes;
        const created = pool?.created ?? 0;
        const outcome = await runOnce(first && phase !== 'repeat');
        allocatedBytes ??= outcome.allocatedBytes;
        if (phase === 'repeat') {
          // A repeat makes buffers only past the budget.
          if (pool && pool.created > created) allocatedInRepeats = true;
          samples.push({ stages: outcome.stages, spanMs: outcome.spanMs, wallMs: outcome.wallMs });
          output = outcome.output;
        }
      } catch (e) {
        if (deps.signal?.aborted) throw new RunCancelledError('profile cancelled');
        // The device is still busy with the run: nothing more can be measured on it.
        if (e instanceof GpuTimeoutError) throw new SweepTimeoutError(e.limitMs, variant, n, m);
        error = (e as Error).message;
      }
    },
    row(reference, roofline) {
      const base = {
        n,
        m,
        decode,
        variant,
        source: peer ? ('peer' as const) : ('engine' as const),
        flops,
        bytes,
        allocatedBytes,
        ...(keySplits === null ? {} : { keySplits }),
        ...(splitKeys === null ? {} : { splitKeys }),
        ...(subgroups === null ? {} : { subgroups }),
        ...(lanes === undefined ? {} : { lanes }),
        ...(headsPerWorkgroup > 1 ? { headsPerWorkgroup } : {}),
        ...(widePrefill(rowsPerWorkgroup) ? { rowsPerWorkgroup } : {}),
        ...(pool && samples.length ? { buffers: allocatedInRepeats ? ('allocated' as const) : ('kept' as const) } : {}),
      };
      if (error || !output) {
        return {
          ...base,
          timing: 'wall',
          stages: {},
          gpuMs: null,
          spanMs: null,
          wallMs: summarize([]),
          intensity: flops.total / bytes.total,
          gflops: null,
          stageGflops: {},
          gbps: null,
          rooflinePct: null,
          roof: null,
          kvGbps: null,
          kvBandwidthPct: null,
          check: null,
          error: error ?? 'no timed run finished',
        };
      }
      // Diagnostic variants may be wrong on purpose; everything else is held to the reference.
      const check =
        reference && (!custom || custom.checked)
          ? checkAgainstReference(
              inputs,
              options,
              { scores: null, probs: null, output, onlineSoftmax: dataflow === 'fused', precision: custom?.run?.precision },
              reference,
            )
          : null;
      return {
        ...base,
        ...derive(samples, flops, bytes, kv, workgroupFor(lanes ?? null), roofline),
        check: check && { pass: check.pass, maxAbs: check.output.maxAbs, maxUlp: check.output.maxUlp },
        error: null,
      };
    },
    dispose() {
      pool?.destroy();
      peer?.release?.(inputs);
    },
  };
}

function definedEntries(record: Partial<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).filter((e): e is [string, number] => e[1] !== undefined));
}

/** Summaries over the repeats and the rates derived from their medians. */
function derive(samples: Sample[], perStage: Flops, model: Bytes, kv: number, workgroup: number | null, roofline: Roofline | null) {
  const flops = perStage.total,
    bytes = model.total;
  const timed = samples.every((s) => s.stages !== null && Object.keys(s.stages).length > 0);
  const stages: ProfileRow['stages'] = {};
  const stageGflops: Record<string, number> = {};
  if (timed) {
    for (const stage of Object.keys(samples[0].stages!)) {
      stages[stage] = summarize(samples.map((s) => s.stages![stage] ?? 0));
      const f = stageFlops(perStage, stage);
      if (f !== null) stageGflops[stage] = ratePerSecondG(f, stages[stage].median);
    }
  }
  const gpuMs = timed ? summarize(samples.map((s) => Object.values(s.stages!).reduce((a, b) => a + b, 0))) : null;
  const spanned = timed && samples.every((s) => s.spanMs !== null);
  const spanMs = spanned ? summarize(samples.map((s) => s.spanMs!)) : null;
  const wallMs = summarize(samples.map((s) => s.wallMs));
  // The run's time: its timestamp span (gaps between passes included), else the passes' sum, else wall.
  const ms = spanMs?.median ?? gpuMs?.median ?? wallMs.median;
  const gflops = ratePerSecondG(flops, ms);
  const bound = roofline ? bindingRoof({ memory: flops / bytes, workgroup }, roofline) : null;
  const kvGbps = ratePerSecondG(kv, ms);
  return {
    timing: timed ? ('timestamp' as const) : ('wall' as const),
    stages,
    gpuMs,
    spanMs,
    wallMs,
    intensity: flops / bytes,
    gflops,
    stageGflops,
    gbps: ratePerSecondG(bytes, ms),
    rooflinePct: bound ? (100 * gflops) / bound.attainableGflops : null,
    roof: bound?.roof ?? null,
    kvGbps,
    kvBandwidthPct: roofline ? (100 * kvGbps) / roofline.gbps : null,
  };
}
