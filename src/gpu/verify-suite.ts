/**
 * Runs the verification suite for one kernel on an AttentionEngine, in Node or in the page.
 *
 * The kernel replaces the built-in kernel of its stage; the other stages are the built-in ones of
 * a variant that has that stage. Every case runs on poisoned buffers (twice where two workgroups
 * could write one element, to see results that change between runs), and the stage's output
 * is checked against the float64 reference of the stage's own GPU input (src/core/verify/check-stage.ts).
 * Each run has a time limit, so a kernel that never finishes stops the suite instead of the caller.
 *
 * Besides the cases (derived from the kernel's own tiles, src/core/verify/cases.ts), a kernel that
 * uses workgroup memory runs on wgsl_reflect's interpreter (./hazards.ts; flags on, then off): races with both
 * accesses' lines, out-of-bounds accesses and reads of never-written workgroup memory with the line.
 * SwiftShader runs invocations in a fixed order, so a missing barrier rarely shows in the values; the
 * interpreter sees it. The static heuristic (core/verify/barriers.ts) is kept only as a fallback for
 * kernels the interpreter cannot finish: measured on the 10 barrier mutants of the corpus and the
 * barrier example, the interpreter catches all 11, the heuristic 4, and nothing the interpreter misses. Every kernel is also checked
 * against WebGPU's default limits (workgroup size and invocations by reflection, workgroup memory as
 * the interpreter sizes it with the default 16 KiB, and, when the caller hands in a device with
 * default limits, by creating the pipeline there), so "passes here" also means "runs anywhere".
 */
import type { AttentionEngine, KernelForm, RunOptions, RunResult } from './engine';
import type { PrefillRows } from '../core/prefill-rows';
import { DEFAULT_PREFILL_ROWS } from '../core/prefill-rows';
import type { StageName } from '../core/stages';
import { DeviceLostError, KernelCompileError } from './errors';
import { RunCancelledError } from '../core/errors';
import type { ShaderMessage } from '../core/errors';
import { layoutRunsSubgroupForm, QUAD_LANES } from '../core/subgroups';
import { STAGES } from './interface';
import { diagnosisError } from './kernels';
import type { VariantName } from './variants';
import { stageShaderFile, VARIANT_NAMES, VARIANTS, variantStages } from './variants';
import type { ScoreFunction } from '../core/options';
import { SCORE_FUNCTIONS } from '../core/options';
import type { VerifyCase } from '../core/verify/cases';
import { caseInputs, caseProblem, fullyMaskedRows, verifyCases } from '../core/verify/cases';
import type { VerifiedStage } from '../core/stages';
import { isVerifiedStage, STAGE_INFO } from '../core/stages';
import { checkStage, concat, differingElements } from '../core/verify/check-stage';
import { annotateCases, caseHint, caseReport, diagnose, passWarnings } from '../core/verify/hints';
import type { SuiteFeatures } from '../core/verify/coverage';
import type { SubgroupWidths } from '../core/verify/coverage';
import { coverageOf, usesSubgroupOperations } from '../core/verify/coverage';
import type { FeatureName } from '../core/features';
import { FEATURE_INFO } from '../core/features';
import { smallestFailure, suiteChecks } from './verify-shrink';
import type { CaseReport, Hint, LimitFinding, StageHazardSummary, VerifyReport } from '../core/verify/report';
import type { KernelTiles } from '../core/verify/cases';
import type { CompiledKernel } from './kernels';
import { diagnoseKernel } from './kernels';
import { outputTile } from './interface';
import type { StageHazardReport } from './hazards';
import { checkWorkgroupHazards, DEFAULT_WORKGROUP_STORAGE } from './hazards';
import type { StorageCoverage } from '../core/verify/coverage';
import type { Precision } from '../core/precision';
import { halfStorageObstacles } from '../core/precision';
import { declaresF16Storage } from './half-storage';

/** Per run of a case (each case runs twice). SwiftShader needs well under a second for any case. */
export const DEFAULT_TIME_LIMIT_MS = 10_000;
/** Compiling is slower than running on a CPU emulator (the fused kernel takes seconds); give it room. */
export const COMPILE_TIME_LIMIT_MS = 60_000;

export interface VerifyKernelOptions {
  stage: StageName;
  source: string;
  /** Shown in the report: a file name, "editor", "built-in". */
  label?: string;
  /** The variant whose built-in kernels run the other stages (default: variantFor(stage)). */
  variant?: VariantName;
  /** Limit for each run of a case (compiling gets 3× this, at least a minute). */
  timeLimitMs?: number;
  /** Offsets every case's seed. */
  seed?: number;
  /** Replaces the suite (tests use a few cases). */
  cases?: VerifyCase[];
  /** Aborting stops the suite with a RunCancelledError (an edit superseded this run). */
  signal?: AbortSignal;
  /** Called after each case, for progress. */
  onCase?: (row: CaseReport, done: number, total: number) => void;
  /** Shrinking a failure to the smallest failing case (src/gpu/verify-shrink.ts): false turns it off. */
  shrink?: false | { maxRuns?: number; onTry?: (runs: number, maxRuns: number) => void };
  /**
   * A device created with WebGPU's default limits (adapter.requestDevice() with no required
   * limits): the kernel's pipeline is also created there, and a failure is a limits failure.
   * Without it the default limits are checked by reflection and the interpreter only.
   */
  defaultLimitsDevice?: GPUDevice;
  /** Skip the interpreter check (tests of the cases alone). */
  skipHazards?: boolean;
  /**
   * Wraps each GPU run of the kernel, given that run's time limit: the page keeps the run on its
   * write-ahead record (src/ui/kernel-run-record.ts) while it is out.
   */
  recorded?: RecordedRun;
}

/** Runs `run` (one GPU run, limited to `limitMs`) inside whatever must surround it. */
export type RecordedRun = <T>(limitMs: number, run: () => Promise<T>) => Promise<T>;

const unrecorded: RecordedRun = (_limitMs, run) => run();

/** WebGPU's default compute limits: what a kernel may count on on any device. */
const DEFAULT_COMPUTE_LIMITS = {
  maxComputeWorkgroupStorageSize: DEFAULT_WORKGROUP_STORAGE,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupSizeZ: 64,
} as const;

/** The tiles the stage's grid gives one workgroup along each axis, and the loops it runs inside. */
function kernelTiles(stage: VerifiedStage, kernel: Pick<CompiledKernel, 'workgroupSize' | 'outputsPerInvocation'>): KernelTiles {
  const [wx, wy = 1] = kernel.workgroupSize;
  const [tx, ty] = outputTile(kernel);
  switch (stage) {
    case 'qk':
      return { rows: ty, keys: tx, inner: ['dk'] };
    case 'softmax':
      return { rows: wy, lanes: wx, inner: ['m'] };
    case 'pv':
      return { rows: ty, dv: tx, inner: ['m'] };
    case 'fused':
      return { rows: wx, inner: ['dk', 'm', 'dv'] };
    case 'project':
      return { rows: ty, dModel: tx, inner: ['hdv'] };
    case 'rope':
      // The grid's y covers Q's rows and then K's keys; x the pairs of dk.
      return { rows: wy, pairs: wx, inner: ['dk'] };
  }
}

/** Limits of a default device the kernel's workgroup exceeds, by reflection and the interpreter's sizing. */
function defaultLimitFindings(workgroupSize: readonly number[], workgroupBytes: number | null): LimitFinding[] {
  const [x, y = 1, z = 1] = workgroupSize;
  const d = DEFAULT_COMPUTE_LIMITS;
  const checks: [string, number, number, string][] = [
    [
      'maxComputeInvocationsPerWorkgroup',
      x * y * z,
      d.maxComputeInvocationsPerWorkgroup,
      `@workgroup_size(${x}, ${y}, ${z}) is ${x * y * z} invocations`,
    ],
    ['maxComputeWorkgroupSizeX', x, d.maxComputeWorkgroupSizeX, `@workgroup_size x is ${x}`],
    ['maxComputeWorkgroupSizeY', y, d.maxComputeWorkgroupSizeY, `@workgroup_size y is ${y}`],
    ['maxComputeWorkgroupSizeZ', z, d.maxComputeWorkgroupSizeZ, `@workgroup_size z is ${z}`],
  ];
  if (workgroupBytes !== null)
    checks.push([
      'maxComputeWorkgroupStorageSize',
      workgroupBytes,
      d.maxComputeWorkgroupStorageSize,
      `var<workgroup> memory is ${workgroupBytes} bytes`,
    ]);
  return checks
    .filter(([, needed, allowed]) => needed > allowed)
    .map(([limit, needed, allowed, what]) => ({
      limit,
      needed,
      allowed,
      message: `does not fit a default WebGPU device: ${what}, more than the default ${limit} of ${allowed}`,
    }));
}

function limitsHint(findings: LimitFinding[]): Hint {
  return {
    id: 'limits',
    bugClass: 'limits',
    title: `does not fit a default device → ${findings.map((f) => f.limit).join(', ')}`,
    detail: `${findings.map((f) => f.message).join('; ')}. This device offers more, but a kernel must fit WebGPU's defaults to run everywhere: size workgroup arrays from the WORKGROUP_BYTES override (fused) or use smaller chunks.`,
    cases: [],
  };
}

/** Names of the kernel's `var<workgroup>` variables. */
function workgroupVariables(source: string): Set<string> {
  return new Set([...source.matchAll(/var\s*<\s*workgroup\s*>\s*(\w+)/g)].map((m) => m[1]));
}

/**
 * The interpreter ran out of steps: a FAIL, though every case may pass. The step budget is
 * deterministic (the time limit is not, and stays "not checked") and far above what a correct
 * kernel takes on the interpreter's small problem, so the kernel most likely loops forever there;
 * a compiler may delete a loop without side effects (SwiftShader's does), and a GPU whose does not hangs.
 */
function endlessLoopHint(o: NonNullable<StageHazardSummary['outOfSteps']>): Hint {
  const where = o.lines.length === 0 ? '' : o.lines.length === 1 ? ` at line ${o.lines[0]}` : ` at lines ${o.lines[0]}–${o.lines.at(-1)}`;
  const steps = o.of === 'invocation' ? `${o.budget} interpreter steps of one invocation` : `${o.budget} interpreter steps`;
  return {
    id: 'timeout',
    bugClass: 'bounds',
    title: `never finished on the interpreter's small problem${where} → an endless loop?`,
    detail:
      `on ${o.problem ?? 'its problem'}, invocation ${o.local.join(',')} of workgroup ${o.workgroup.join(',')} was still running${where} after ${steps}; ` +
      `a correct kernel needs a few thousand per invocation there. This device's results may be right because its compiler removed a loop with no side effects, but a GPU that keeps the loop hangs. ` +
      `Look for a loop whose exit is never reached for these sizes (a bound that depends on n or m, a counter that never moves or wraps past 0).`,
    cases: [],
    lines: o.lines,
  };
}

/** The interpreter's findings as hints, each with its line(s). */
function hazardHints(report: StageHazardSummary, source: string): Hint[] {
  const hints: Hint[] = [];
  if (report.outOfSteps) hints.push(endlessLoopHint(report.outOfSteps));
  const site = (s: { workgroup: number[]; local: number[]; line: number; kind: string }) =>
    `line ${s.line} (${s.kind}, workgroup ${s.workgroup.join(',')} invocation ${s.local.join(',')})`;
  // A finding of the interpreter's second problem (flags off, or the decoding shape) says so.
  const on = (x: { problem?: string }) => (x.problem ? ` with ${x.problem}` : '');
  // Two workgroups writing one element is no barrier's business: their tiles overlap.
  const overlapping = report.races.filter((x) => x.scope === 'dispatch');
  if (overlapping.length) {
    const r = overlapping[0];
    hints.push({
      id: 'race',
      bugClass: 'tile-origin',
      title: `two workgroups access the same ${r.variable} element (lines ${r.a.line} and ${r.b.line})${on(r)} → overlapping tiles`,
      detail: `${site(r.a)} and ${site(r.b)} touch ${r.variable}[${r.element}] (${r.count} pairs): each workgroup must own its own output tile, starting at workgroup_id × its whole tile.`,
      cases: [],
      lines: [r.a.line, r.b.line],
    });
  }
  // Nor is one storage element written by two invocations of a workgroup: an index maps both to it.
  const shared = workgroupVariables(source);
  const collides = (x: StageHazardSummary['races'][number]) =>
    x.scope === 'workgroup' && x.kind === 'write-write' && !shared.has(x.variable);
  const colliding = report.races.filter(collides);
  if (colliding.length) {
    const r = colliding[0];
    hints.push({
      id: 'race',
      bugClass: 'index',
      title: `two invocations of a workgroup access the same ${r.variable} element (lines ${r.a.line} and ${r.b.line})${on(r)} → an index maps two outputs to one element`,
      detail: `${site(r.a)} and ${site(r.b)} touch ${r.variable}[${r.element}] (${r.count} pairs). ${r.variable} is not workgroup memory, so no barrier helps: each invocation must write elements of its own (check the index expression and its strides).`,
      cases: [],
      lines: [r.a.line, r.b.line],
    });
  }
  const withinWorkgroup = report.races.filter((x) => x.scope === 'workgroup' && !collides(x));
  if (withinWorkgroup.length) {
    const r = withinWorkgroup[0];
    hints.push({
      id: 'barrier',
      bugClass: 'barrier',
      title: `race on ${r.variable} between lines ${r.a.line} and ${r.b.line}${on(r)} → missing workgroupBarrier()`,
      detail: `${withinWorkgroup
        .slice(0, 4)
        .map(
          (x) =>
            `${x.variable}: ${x.kind} ${x.scope === 'workgroup' ? 'within a workgroup' : 'across workgroups'}, ${site(x.a)} and ${site(x.b)} (${x.count} pairs${on(x)})`,
        )
        .join(
          '; ',
        )}. Between two barriers, no invocation may read what another writes (or write what another reads): put a workgroupBarrier() between staging a tile and reading it, and before the next tile overwrites it.`,
      cases: [],
      lines: [...new Set(withinWorkgroup.flatMap((x) => [x.a.line, x.b.line]))].sort((a, b) => a - b),
    });
  }
  if (report.outOfBounds.length) {
    const o = report.outOfBounds[0];
    hints.push({
      id: 'out-of-bounds',
      bugClass: 'bounds',
      title: `out-of-bounds access to ${o.buffer} at line ${o.site.line}${on(o)}`,
      detail: `${report.outOfBounds
        .slice(0, 4)
        .map((x) => `${x.buffer}[${x.index}] (length ${x.length}) ${site(x.site)}, ${x.count} accesses`)
        .join(
          '; ',
        )}. WebGPU clamps or drops such accesses, so the values may look right here and differ elsewhere: guard the index (or fix the stride/offset that computes it).`,
      cases: [],
      lines: [...new Set(report.outOfBounds.map((x) => x.site.line))].sort((a, b) => a - b),
    });
  }
  if (report.uninitialisedReads.length) {
    const u = report.uninitialisedReads[0];
    hints.push({
      id: 'uninitialised',
      bugClass: withinWorkgroup.length ? 'barrier' : 'bounds',
      title: `${u.variable} read at line ${u.site.line} before any invocation wrote it${on(u)}`,
      detail: `${report.uninitialisedReads
        .slice(0, 4)
        .map((x) => `${x.variable}[${x.index}] ${site(x.site)}`)
        .join('; ')}. Stage every entry that is read (pad the partial tile with zeros) or do not read past what was staged.`,
      cases: [],
      lines: [...new Set(report.uninitialisedReads.map((x) => x.site.line))].sort((a, b) => a - b),
    });
  }
  if (report.barrierDivergence.length) {
    const b = report.barrierDivergence[0];
    hints.push({
      id: 'divergence',
      bugClass: 'barrier',
      title: `workgroupBarrier() at line ${b.line} not reached by every invocation${on(b)}`,
      detail: `${b.message}. A barrier inside a branch or a loop whose trip count differs between invocations is undefined behaviour: move it out of the condition.`,
      cases: [],
      lines: [b.line],
    });
  }
  return hints;
}

/** Whether the interpreter is worth running: the kernel shares workgroup memory between invocations. */
function usesWorkgroupMemory(source: string): boolean {
  return /var\s*<\s*workgroup\s*>/.test(source);
}

/** Whether a race on workgroup memory is possible: the kernel declares some, and the interpreter did not rule one out. */
function sharedMemoryRace(source: string, hazards: StageHazardSummary | null): boolean {
  if (!usesWorkgroupMemory(source)) return false;
  if (!hazards || hazards.incomplete) return true;
  return hazards.races.some((r) => r.scope === 'workgroup');
}

function summarise(report: StageHazardReport): StageHazardSummary {
  const { covered, races, outOfBounds, uninitialisedReads, barrierDivergence, workgroupBytes, incomplete, outOfSteps, ms } = report;
  return { covered, races, outOfBounds, uninitialisedReads, barrierDivergence, workgroupBytes, incomplete, outOfSteps, ms };
}

/**
 * The subgroup widths the device runs at, from its adapter info (subgroupMinSize, subgroupMaxSize);
 * null when it does not say. A kernel with subgroup operations was checked at these widths only.
 */
export function subgroupWidths(device: GPUDevice): SubgroupWidths | null {
  const info = device.adapterInfo as (GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number }) | undefined;
  const min = info?.subgroupMinSize,
    max = info?.subgroupMaxSize;
  return typeof min === 'number' && typeof max === 'number' && min >= 1 && max >= min ? { min, max } : null;
}

/** Stages every variant runs when asked: RoPE before it, the output projection after it. */
const SHARED_STAGES: readonly string[] = ['rope', 'project'];

/** Whether the variant runs the stage: its own stages, RoPE (before any variant) and the output projection (after any). */
const hasStage = (variant: VariantName, stage: string) => SHARED_STAGES.includes(stage) || Object.hasOwn(VARIANTS[variant], stage);

/**
 * Stages the suite can check: those of the interface that a variant implements and core knows how to
 * check, and combine, which is checked through the fused stage's output (with key splits).
 */
export function verifiableStages(): StageName[] {
  return (Object.keys(STAGES) as StageName[]).filter(
    (stage) => (isVerifiedStage(stage) || stage === 'combine') && VARIANT_NAMES.some((v) => hasStage(v, stage)),
  );
}

/** The variant that provides a stage's neighbours: 'tiled' when it has the stage, else the first that does. */
export function variantFor(stage: StageName): VariantName | null {
  const candidates = VARIANT_NAMES.filter((v) => hasStage(v, stage));
  return candidates.find((v) => v === 'tiled') ?? candidates[0] ?? null;
}

/**
 * Every built-in kernel the suite can check, as (variant, stage) pairs; RoPE and the projection (one
 * kernel each for every variant) once, in variantFor's; the qk kernels of the learned score
 * functions (general, additive) with their `score`.
 */
export function builtInKernels(): { variant: VariantName; stage: StageName; score?: ScoreFunction }[] {
  return VARIANT_NAMES.flatMap((variant) =>
    verifiableStages()
      .filter((stage) => Object.hasOwn(VARIANTS[variant], stage) || (SHARED_STAGES.includes(stage) && variant === variantFor(stage)))
      .flatMap((stage) => [
        { variant, stage },
        ...LEARNED_SCORES.filter((score) => stage === 'qk' && stageShaderFile(variant, stage, { score }) !== undefined).map((score) => ({
          variant,
          stage,
          score,
        })),
      ]),
  );
}

const LEARNED_SCORES = SCORE_FUNCTIONS.filter((s) => s !== 'dot');

/** A built-in kernel's name in reports: "built-in tiled qk (general)", "built-in fused". */
export function builtInLabel({ variant, stage, score }: { variant: VariantName; stage: StageName; score?: ScoreFunction }): string {
  return `${variant === stage ? `built-in ${stage}` : `built-in ${variant} ${stage}`}${score ? ` (${score})` : ''}`;
}

/**
 * The features the suite covers for a kernel: those its stage implements (RoPE is the rope stage
 * itself) that the kernel declares, and that every built-in stage running before it in the variant
 * implements too (a pv kernel's grouped K/V heads need the qk kernel before it to read them).
 */
function suiteFeatures(
  stage: VerifiedStage,
  kernel: Pick<CompiledKernel, 'supports'>,
  before: { stage: StageName; kernel: Pick<CompiledKernel, 'supports'> }[],
  variant: VariantName,
): SuiteFeatures {
  const own = STAGES[stage].features;
  const all: FeatureName[] = stage === 'rope' ? ['rope', ...own] : [...own];
  const undeclared = own.filter((f) => !kernel.supports.includes(f));
  const unavailable: SuiteFeatures['unavailable'] = [];
  const run: FeatureName[] = [];
  for (const feature of all) {
    if (undeclared.includes(feature)) continue;
    const lacking = before.find((b) => STAGES[b.stage].features.includes(feature) && !b.kernel.supports.includes(feature));
    if (lacking)
      unavailable.push({
        feature,
        reason: `the built-in ${variant} ${lacking.stage} kernel, which runs before it, does not implement it (it does not declare ${FEATURE_INFO[feature].supportConstant})`,
      });
    else run.push(feature);
  }
  return { stage: all, run, undeclared, unavailable };
}

const TIMED_OUT = Symbol('timed out');

/** The promise's value, or TIMED_OUT after ms; a late rejection is swallowed (the suite has moved on). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  promise.catch(() => {});
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

function checkCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new RunCancelledError('verification cancelled');
}

function emptyRow(c: VerifyCase, status: CaseReport['status'], ms: number, error?: string): CaseReport {
  return caseReport(c, { status, ms, error });
}

function stageTensor(result: RunResult, stage: VerifiedStage): Float32Array {
  const tensor = STAGE_INFO[stage].writes;
  if (tensor === 'rotated') {
    if (!result.rotated) throw new Error('the run returned no rotated Q and K');
    return concat(result.rotated.q, result.rotated.k);
  }
  const data = tensor === 'output' ? result.output.data : tensor === 'projected' ? result.projected?.data : result[tensor];
  if (!data) throw new Error(`the run returned no ${tensor}`);
  return data;
}

/** Runs one case twice and checks the stage; 'timeout' when either run exceeds the limit. */
async function runCase(
  engine: AttentionEngine,
  stage: VerifiedStage,
  c: VerifyCase,
  run: RunOptions,
  limitMs: number,
  recorded: RecordedRun = unrecorded,
): Promise<CaseReport> {
  const started = performance.now();
  const { inputs, options } = caseInputs(c);
  const runOnce = () => recorded(limitMs, () => within(engine.run(inputs, options, run), limitMs));
  const first = await runOnce();
  if (first === TIMED_OUT) return emptyRow(c, 'timeout', performance.now() - started, `no result after ${limitMs} ms`);
  // A second run shows writes that land in a different order from run to run; that needs two
  // workgroups that may write one element (several along an axis, or several heads). Races on
  // workgroup memory are the interpreter's job, so the single-workgroup cases run once.
  const twice = c.tags.includes('multi-wg') || c.tags.includes('heads');
  const second = twice ? await runOnce() : first;
  if (second === TIMED_OUT) return emptyRow(c, 'timeout', performance.now() - started, `the second run gave no result after ${limitMs} ms`);
  const check = checkStage(
    stage,
    inputs,
    options,
    {
      rotated: first.rotated,
      scores: first.scores,
      probs: first.probs,
      output: first.output.data,
      projected: first.projected?.data ?? null,
    },
    fullyMaskedRows(c, inputs),
    first.precision,
  );
  const differing = differingElements(stageTensor(first, stage), stageTensor(second, stage));
  const { comparison } = check;
  const row: Omit<CaseReport, 'hint'> = {
    name: c.name,
    case: c,
    status: comparison.pass && differing === 0 ? 'pass' : 'fail',
    tensor: check.tensor,
    count: comparison.count,
    failures: comparison.failures,
    maxAbs: comparison.maxAbs,
    maxRel: comparison.maxRel,
    maxUlp: comparison.maxUlp,
    firstBad: comparison.firstBad,
    differing,
    unwritten: check.unwritten,
    nonFiniteInMaskedRows: check.nonFiniteInMaskedRows,
    nonFiniteElsewhere: check.nonFiniteElsewhere,
    maskMismatches: check.maskMismatches,
    factor: check.factor,
    normalisedRows: check.normalisedRows,
    unnormalisedRows: check.unnormalisedRows,
    ms: performance.now() - started,
  };
  return { ...row, hint: caseHint(row) };
}

/** Why an edited kernel cannot run, found without running it. */
export interface CompileFailure {
  status: 'compile-error' | 'interface-error' | 'timeout';
  compileMessages: ShaderMessage[];
  interfaceProblems: string[];
  /** In words; empty when the interface check gave no message of its own. */
  error: string;
}

/** The stage's kernel from `source` as a pipeline, compiled within `limitMs`; or why it cannot be one. */
async function diagnoseWithin(
  engine: AttentionEngine,
  stage: StageName,
  variant: VariantName,
  source: string,
  limitMs: number,
): Promise<{ kernel: CompiledKernel } | CompileFailure> {
  const failure = (status: CompileFailure['status'], error: string, fields: Partial<CompileFailure> = {}): CompileFailure => ({
    status,
    compileMessages: [],
    interfaceProblems: [],
    error,
    ...fields,
  });
  const diagnosis = await within(engine.diagnose(stage, variant, source), limitMs);
  if (diagnosis === TIMED_OUT) return failure('timeout', `compiling the kernel took longer than ${limitMs} ms`);
  if (diagnosis.kernel) return { kernel: diagnosis.kernel };
  const error = diagnosisError(diagnosis);
  if (error instanceof KernelCompileError) return failure('compile-error', error.message, { compileMessages: diagnosis.messages });
  return failure('interface-error', error?.message ?? '', { interfaceProblems: diagnosis.problems });
}

/**
 * Compiles an edited kernel for its stage and checks it against the interface, as verifyKernel
 * does first, without running it: a kernel the GPU's compiler rejects is named at once (WGSL's
 * "loop does not exit" is a compile error the CPU interpreter does not raise). Null when it
 * becomes a pipeline.
 */
export async function compileFailure(engine: AttentionEngine, stage: StageName, source: string): Promise<CompileFailure | null> {
  const variant = variantFor(stage);
  if (!variant)
    return { status: 'interface-error', compileMessages: [], interfaceProblems: [], error: `the ${stage} stage cannot be verified` };
  const built = await diagnoseWithin(engine, stage, variant, source, COMPILE_TIME_LIMIT_MS);
  return 'kernel' in built ? null : built;
}

/**
 * The interpreter: races, out-of-bounds and unwritten workgroup reads, and the workgroup memory a
 * default device would have to provide. Every kernel, not only those that share workgroup memory:
 * two invocations writing one element, or a write past the end of a buffer, can give the right
 * values on one device and not another (measured on an H200, whose robust buffer access dropped
 * the stray writes of a naive softmax with an off-by-one row bound that SwiftShader's values
 * caught). Kernels without workgroup memory are cheap there (0.1–0.3 s). Fills in the report's
 * hazards and limits; returns their hints. `afterTimeout` (a case's time limit): a case already
 * timed out on the GPU, so the interpreter, which would most likely spin in the same loop, gets
 * that long instead of a minute.
 */
async function interpreterFindings(
  report: VerifyReport,
  compiled: CompiledKernel | null,
  stage: StageName,
  source: string,
  options: Pick<VerifyKernelOptions, 'skipHazards' | 'defaultLimitsDevice'>,
  afterTimeout?: number,
): Promise<Hint[]> {
  let findings: Hint[] = [];
  if (!options.skipHazards && compiled) {
    const timeLimitMs = afterTimeout ?? COMPILE_TIME_LIMIT_MS;
    const hazards = summarise(checkWorkgroupHazards(source, stage, { timeLimitMs }));
    if (afterTimeout !== undefined && hazards.incomplete)
      hazards.incomplete += '; it was given only the case time limit, as the kernel had already timed out on the GPU';
    report.hazards = hazards;
    findings = hazardHints(hazards, source);
    report.limits.push(...defaultLimitFindings(compiled.workgroupSize, hazards.workgroupBytes));
  } else if (compiled) {
    report.limits.push(...defaultLimitFindings(compiled.workgroupSize, null));
  }
  // A default device is asked only when the interpreter could not size the workgroup memory: its
  // figure (with WORKGROUP_BYTES at the default 16 KiB) and the reflected workgroup size already
  // answer the question, and compiling the fused kernel a second time costs SwiftShader ~20 s.
  const sized = report.hazards !== null && !report.hazards.incomplete;
  if (options.defaultLimitsDevice && compiled && usesWorkgroupMemory(source) && !sized) {
    const d = options.defaultLimitsDevice;
    const onDefault = await within(
      diagnoseKernel({ device: d, limits: { maxComputeWorkgroupStorageSize: d.limits.maxComputeWorkgroupStorageSize } }, stage, source),
      COMPILE_TIME_LIMIT_MS,
    );
    if (onDefault !== TIMED_OUT && !onDefault.kernel)
      report.limits.push({
        limit: 'default limits',
        needed: 0,
        allowed: 0,
        message: `does not fit a default WebGPU device: ${[...onDefault.problems, ...onDefault.messages.filter((m) => m.type === 'error').map((m) => m.message)].join('; ')}`,
      });
  }
  if (report.limits.length) findings.unshift(limitsHint(report.limits));
  return findings;
}

/**
 * Verifies one kernel. Compile and interface errors come back as a report ('compile-error',
 * 'interface-error'), so do a timeout and a lost device ('timeout', 'device-lost': the page must
 * then acquire a new device). Aborting the signal throws RunCancelledError.
 */
export async function verifyKernel(engine: AttentionEngine, options: VerifyKernelOptions): Promise<VerifyReport> {
  const started = performance.now();
  const { stage, source, signal } = options;
  // A combine kernel is checked by what it is for: the fused stage's output, with the built-in fused
  // kernel before it and key splits forced (verifying fused runs fused and combine alike).
  const combine = stage === 'combine';
  const checkedName: StageName = combine ? 'fused' : stage;
  const limitMs = options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS;
  const variant = options.variant ?? variantFor(stage);
  const report: VerifyReport = {
    stage,
    variant: variant ?? '',
    label: options.label ?? 'kernel',
    status: 'pass',
    workgroupSize: null,
    cases: [],
    plannedCases: 0,
    hints: [],
    warnings: [],
    compileMessages: [],
    interfaceProblems: [],
    limits: [],
    hazards: null,
    timeLimitMs: limitMs,
    ms: 0,
  };
  let features: SuiteFeatures | undefined;
  // A fused kernel that declares `const F16_STORAGE = true;` reads Q, K and V as packed halves: it
  // runs with f16 storage (float32 buffers would be nonsense to it) and is held to the f16 bound.
  const precision: Precision = checkedName === 'fused' && !combine && declaresF16Storage(source) ? 'f16' : 'f32';
  const storage: StorageCoverage | undefined = precision === 'f16' ? { precision, skipped: [] } : undefined;
  if (storage) report.precision = precision;
  const finish = (status: VerifyReport['status'], error?: string) => {
    report.status = status;
    report.coverage = coverageOf(
      report.cases.map((c) => c.case),
      suiteChecks(report),
      features,
      usesSubgroupOperations(source) ? subgroupWidths(engine.device) : undefined,
      storage,
    );
    if (error) report.error = error;
    report.ms = performance.now() - started;
    return report;
  };
  if (!isVerifiedStage(checkedName) || !variant || !hasStage(variant, stage)) {
    return finish('interface-error', `the ${stage} stage cannot be verified${variant ? ` with the ${variant} variant` : ''}`);
  }
  const checked: VerifiedStage = checkedName;

  let compiled: CompiledKernel | null = null;
  let fusedBefore: CompiledKernel | null = null;
  try {
    // Compiling first separates "does not compile / does not fit" from wrong results, and gives the
    // workgroup size the tile-edge cases are built around. Pipelines are cached, so runs reuse it.
    const compileLimitMs = Math.max(COMPILE_TIME_LIMIT_MS, 3 * limitMs);
    const diagnosed = await diagnoseWithin(engine, stage, variant, source, compileLimitMs);
    if (!('kernel' in diagnosed)) {
      report.compileMessages = diagnosed.compileMessages;
      report.interfaceProblems = diagnosed.interfaceProblems;
      return finish(diagnosed.status, diagnosed.error || undefined);
    }
    const { kernel } = diagnosed;
    // The built-in stages that run before it in a case (none before RoPE, the whole variant before
    // the projection; the run stops at the stage under test), so no case's time limit is spent compiling them.
    const order: StageName[] = ['rope', ...variantStages(variant), 'project'];
    const others = order.slice(0, order.indexOf(stage)).filter((other) => other !== 'rope');
    const built = await within(Promise.all(others.map((other) => engine.kernel(other, variant))), compileLimitMs);
    if (built === TIMED_OUT) {
      return finish('timeout', `compiling the built-in ${others.join(', ')} kernels took longer than ${compileLimitMs} ms`);
    }
    report.workgroupSize = kernel.workgroupSize;
    report.compileMessages = kernel.warnings;
    compiled = kernel;
    if (combine) {
      // The cases are the fused stage's, sized by the built-in fused kernel that runs before it.
      const fused = built[others.indexOf('fused')];
      fusedBefore = fused;
      features = suiteFeatures('fused', fused, [], variant);
    } else {
      features = suiteFeatures(
        checked,
        kernel,
        others.map((other, i) => ({ stage: other, kernel: built[i] })),
        variant,
      );
    }
  } catch (error) {
    if (error instanceof DeviceLostError || engine.lost) return finish('device-lost', deviceLostMessage(engine, error));
    throw error;
  }

  checkCancelled(signal);

  // An elementwise activation has no denominator for a sink: the engine refuses sinks with it, whatever the kernel declares.
  const elementwise = checked === 'softmax' && !!compiled?.elementwiseActivation;
  if (elementwise && features)
    features = {
      ...features,
      run: features.run.filter((f) => f !== 'sinks'),
      undeclared: features.undeclared.filter((f) => f !== 'sinks'),
      unavailable: [{ feature: 'sinks', reason: 'sinks belong to the softmax’s denominator: runs with ReLU or GELU refuse them' }],
    };
  const tiled = combine ? fusedBefore : compiled;
  const suite = verifyCases({
    workgroupSize: tiled?.workgroupSize,
    tiles: tiled ? kernelTiles(checked, tiled) : undefined,
    seed: options.seed,
    stage: checked,
    features: features?.run.filter((f) => f !== 'rope'),
    keySplits: checked === 'fused' && !!tiled?.supportsKeySplits,
    // A qk kernel's cases use the score function it declares (SCORES_GENERAL / SCORES_ADDITIVE).
    score: checked === 'qk' ? compiled?.scores : undefined,
    elementwise,
  });
  // A combine kernel runs only when the keys are split.
  const planned = options.cases ?? (combine ? suite.filter((c) => (c.keySplits ?? 1) > 1) : suite);
  // Cases f16 storage cannot run (RoPE on, an input beyond ±65504) are left out, saying why.
  const cases = storage ? planned.filter((c) => runsWithHalves(c, variant, storage)) : planned;
  report.plannedCases = cases.length;
  if (checked === 'fused') {
    // The fused pipelines are specialised per problem (head-width buckets, rows per workgroup):
    // build them before the cases, whose time limit is for running.
    const warmed = await within(warmFused(engine, variant, source, combine, cases, precision), COMPILE_TIME_LIMIT_MS * 4);
    if (warmed === TIMED_OUT) return finish('timeout', `compiling the fused pipelines took longer than ${COMPILE_TIME_LIMIT_MS * 4} ms`);
    checkCancelled(signal);
  }
  const run: RunOptions = {
    variant,
    kernels: { [stage]: source },
    // The scores and probabilities (and RoPE's Q and K), for the stages that read them; project reads the output, always returned.
    intermediates: stage === 'rope' || stage === 'qk' || stage === 'softmax' || stage === 'pv',
    poison: true,
    lastStage: checked,
    signal,
    precision,
  };
  for (const c of cases) {
    checkCancelled(signal);
    let row: CaseReport;
    try {
      row = await runCase(engine, checked, c, { ...run, maxBlockRows: c.blockRows, keySplits: c.keySplits }, limitMs, options.recorded);
    } catch (error) {
      if (error instanceof RunCancelledError) throw error;
      if (error instanceof DeviceLostError || engine.lost) {
        report.cases.push(emptyRow(c, 'error', 0, 'the GPU device was lost'));
        return finish('device-lost', deviceLostMessage(engine, error));
      }
      row = emptyRow(c, 'error', 0, (error as Error).message ?? String(error));
    }
    report.cases.push(row);
    options.onCase?.(row, report.cases.length, cases.length);
    if (row.status === 'timeout') {
      const findings = await interpreterFindings(report, compiled, stage, source, options, limitMs);
      report.hints = diagnose(report.cases, { stage: checked, source, findings, sharedMemory: sharedMemoryRace(source, report.hazards) });
      report.cases = annotateCases(report.cases, report.hints);
      return finish('timeout', `"${c.name}" timed out after ${limitMs} ms — infinite loop or a very slow kernel?`);
    }
  }
  checkCancelled(signal);
  // After the cases, so a kernel that hangs stops at a case's time limit, not the interpreter's minute.
  const findings = await interpreterFindings(report, compiled, stage, source, options);
  checkCancelled(signal);
  const passed = report.cases.every((c) => c.status === 'pass') && findings.length === 0;
  const interpreted = report.hazards !== null && !report.hazards.incomplete;
  report.hints = passed
    ? []
    : diagnose(report.cases, {
        stage: checked,
        source,
        findings: interpreted ? findings : undefined,
        sharedMemory: sharedMemoryRace(source, report.hazards),
      });
  if (!interpreted && !passed) report.hints.unshift(...findings.filter((f) => !report.hints.includes(f)));
  if (combine && !passed) {
    // Every case splits the keys and the fused kernel before it is the built-in one, so a wrong
    // output is the merge's, whatever the cases' other tags say; the interpreter's findings stay first.
    const found = new Set(findings.map((f) => f.id));
    const at = report.hints.findIndex((h) => !found.has(h.id));
    report.hints.splice(at < 0 ? report.hints.length : at, 0, combineHint(report.cases));
  }
  const failedCases = report.cases.filter((c) => c.status === 'fail');
  if (storage && failedCases.length * 2 >= report.cases.length && failedCases.length > 0) {
    // Most cases wrong with f16 storage: the first suspect is how the kernel reads the packed halves.
    const found = new Set(findings.map((f) => f.id));
    const at = report.hints.findIndex((h) => !found.has(h.id));
    report.hints.splice(at < 0 ? report.hints.length : at, 0, halfStorageHint(failedCases, report.cases.length));
  }
  report.cases = annotateCases(report.cases, report.hints);
  report.warnings = passed ? passWarnings(source, interpreted) : [];
  if (!passed && options.shrink !== false) {
    const rerun = (c: VerifyCase) => runCase(engine, checked, c, { ...run, keySplits: c.keySplits }, limitMs, options.recorded);
    const valid = (c: VerifyCase) => caseProblem(c, stage) === null && (!storage || halfStorageProblems(c, variant).length === 0);
    const deviceLost = () => engine.lost;
    report.smallest = (await smallestFailure(rerun, report.cases, { ...options.shrink, signal, valid, deviceLost })) ?? undefined;
    checkCancelled(signal);
  }
  return finish(passed ? 'pass' : 'fail');
}

/** Why f16 storage cannot run the case (the engine's reasons: RoPE, an input beyond ±65504); empty when it can. */
function halfStorageProblems(c: VerifyCase, variant: VariantName): string[] {
  const { inputs, options } = caseInputs(c);
  return halfStorageObstacles({ variant, rope: !!options.rope, customKernel: { declaresF16Storage: true }, inputs });
}

/** Whether f16 storage can run the case; when it cannot, the case joins the coverage's skipped list. */
function runsWithHalves(c: VerifyCase, variant: VariantName, storage: StorageCoverage): boolean {
  const problems = halfStorageProblems(c, variant);
  if (problems.length) storage.skipped.push({ name: c.name, reason: problems.join('; ') });
  return problems.length === 0;
}

/** An f16-storage kernel wrong in most cases: the packed halves are read at the wrong place or in the wrong order. */
function halfStorageHint(failed: CaseReport[], total: number): Hint {
  return {
    id: 'f16-storage',
    bugClass: 'index',
    title: `wrong in ${failed.length} of ${total} cases with f16 storage → how Q, K and V's packed halves are read`,
    detail:
      'bindings 1–3 hold two IEEE halves per u32: element e of a tensor is in word e / 2, the low 16 bits when e is even (unpack2x16float(word).x), the high 16 bits when odd (.y); the indices are in elements as with float32. Compare your loads with shaders/storage/f16.wgsl (docs/kernel-interface.md, "f16 storage").',
    cases: failed.map((c) => c.name),
  };
}

/** A combine kernel's failure: every case runs it, so the merge of the splits is what to look at. */
function combineHint(cases: CaseReport[]): Hint {
  return {
    id: 'key-splits',
    bugClass: 'key-splits',
    title: 'the combined output is wrong → the merge of the splits',
    detail:
      'with M = the largest M_s of the splits with L_s > 0, out = Σ_s exp2(M_s − M)·o_s / Σ_s exp2(M_s − M)·L_s: each split rescaled to the common max before adding (o_s and L_s are relative to its own M_s), splits with L_s = 0 skipped (their M_s is −∞), one division, 0 when no split saw a key. Layout of partials: docs/kernel-interface.md.',
    cases: cases.filter((c) => c.status === 'fail').map((c) => c.name),
  };
}

/** Builds the fused pipeline of every case's problem (cached per device: each distinct one once). */
/**
 * Builds a fused case's pipelines ahead of its run: the fused kernel under test, or for a combine
 * kernel the built-in fused one and the combine under test (both specialised per problem).
 */
async function warmFused(
  engine: AttentionEngine,
  variant: VariantName,
  source: string,
  combine: boolean,
  cases: VerifyCase[],
  precision: Precision,
): Promise<void> {
  for (const c of cases) {
    const problem = { n: c.n, m: c.m, dk: c.dk, dv: c.dv, heads: c.heads, kvHeads: c.kvHeads ?? c.heads };
    const custom = { [combine ? 'combine' : 'fused']: source };
    // The form the case's run takes (a built-in fused kernel may run in its subgroup form).
    const form = { ...(await engine.runForm(variant, problem, { kernels: custom })), precision };
    await engine.diagnose('fused', variant, custom.fused, problem, form);
    if (combine) await engine.diagnose('combine', variant, source, problem, form);
  }
}

function deviceLostMessage(engine: AttentionEngine, error: unknown): string {
  const reason = engine.lost ?? (error as Error)?.message ?? 'unknown reason';
  return `the GPU device was lost (${reason}); the kernel may have crashed or hung the GPU. Acquire a new device to continue.`;
}

/** Verifies every built-in kernel (optionally of one stage), each inside its own variant. */
export async function verifyBuiltIns(
  engine: AttentionEngine,
  options: Omit<VerifyKernelOptions, 'stage' | 'source' | 'variant' | 'label'> & { stage?: StageName } = {},
): Promise<VerifyReport[]> {
  const reports: VerifyReport[] = [];
  // The prefill's rows a workgroup on this device (src/core/prefill-rows.ts): where not the kernel's
  // own 64 (a GPU), the fused kernel and its subgroup form are also verified with them. The kernel
  // as written is verified everywhere: the decoding shape runs it, and a CPU emulator's prefill.
  const wideRows = engine.autoPrefillRows();
  const prefillRows = [...new Set([DEFAULT_PREFILL_ROWS, wideRows])];
  const rowsLabel = (rows: PrefillRows) => (rows === DEFAULT_PREFILL_ROWS ? '' : `, ${rows} rows a workgroup`);
  for (const { variant, stage, score } of builtInKernels()) {
    if (options.stage && options.stage !== stage) continue;
    const forms: { form: KernelForm; label: string }[] = [{ form: {}, label: builtInLabel({ variant, stage, score }) }];
    if (stage === 'fused' && wideRows !== DEFAULT_PREFILL_ROWS)
      forms.push({ form: { rows: wideRows }, label: `built-in fused (${wideRows} rows a workgroup)` });
    // The fused kernel's subgroup form (./subgroups.ts), where this device runs it: its own entry
    // point, shapes and merges, so it is verified as a kernel of its own: with every shared lane (the
    // prefill in pairs, the decoding shape in quads of grouped heads where the subgroups hold them:
    // 'shared'), with what 'auto' runs on a GPU (the quads one head a workgroup, no pairs), and
    // without (on a CPU emulator); the first two with this device's wider prefill too.
    const layout = stage === 'fused' ? await engine.subgroupLayout() : null;
    if (layout && layoutRunsSubgroupForm(layout)) {
      const quads = layout.sizes[0] % QUAD_LANES === 0;
      for (const rows of prefillRows)
        forms.push({
          form: { subgroups: true, pairs: true, quads, groupHeads: quads, rows },
          label: `built-in fused (subgroup form, pairs${quads ? ' and quads of grouped heads' : ''}${rowsLabel(rows)})`,
        });
      if (quads)
        for (const rows of prefillRows)
          forms.push({
            form: { subgroups: true, pairs: false, quads: true, groupHeads: false, rows },
            label: `built-in fused (subgroup form, quads${rowsLabel(rows)})`,
          });
      forms.push({ form: { subgroups: true, pairs: false, quads: false }, label: 'built-in fused (subgroup form)' });
    }
    for (const { form, label } of forms) {
      const report = await verifyKernel(engine, {
        ...options,
        stage,
        variant,
        source: engine.source(variant, stage, form, { score }),
        label,
      });
      reports.push(report);
      if (report.status === 'timeout' || report.status === 'device-lost') return reports;
    }
  }
  // The elementwise activation's kernel (ReLU/GELU for the softmax stage), shared by naive and tiled.
  if (!options.stage || options.stage === 'softmax') {
    const source = engine.source('tiled', 'softmax', {}, { activation: 'relu' });
    reports.push(
      await verifyKernel(engine, {
        ...options,
        stage: 'softmax',
        variant: 'tiled',
        source,
        label: 'built-in elementwise activation (naive and tiled)',
      }),
    );
  }
  return reports;
}
