/**
 * Runs the verification suite for one kernel on an AttentionEngine, in Node or in the page.
 *
 * The kernel replaces the built-in kernel of its stage; the other stages are the built-in ones of
 * a variant that has that stage. Every case runs twice on poisoned buffers, and the stage's output
 * is checked against the float64 reference of the stage's own GPU input (src/core/verify/check-stage.ts).
 * Each run has a time limit, so a kernel that never finishes stops the suite instead of the caller.
 */
import type { AttentionEngine, RunOptions, RunResult } from './engine';
import type { StageName } from '../core/stages';
import { DeviceLostError, KernelCompileError } from './errors';
import { RunCancelledError } from '../core/errors';
import { STAGES } from './interface';
import { diagnosisError } from './kernels';
import type { VariantName } from './variants';
import { VARIANT_NAMES, VARIANTS, variantStages } from './variants';
import type { VerifyCase } from '../core/verify/cases';
import { caseInputs, fullyMaskedRows, verifyCases } from '../core/verify/cases';
import type { VerifiedStage } from '../core/stages';
import { isVerifiedStage, STAGE_INFO } from '../core/stages';
import { checkStage, differingElements } from '../core/verify/check-stage';
import { annotateCases, caseHint, diagnose, passWarnings } from '../core/verify/hints';
import type { CaseReport, VerifyReport } from '../core/verify/report';
import { coverageOf } from '../core/verify/coverage';
import { smallestFailure, suiteChecks } from './verify-shrink';

/** Per run of a case (each case runs twice). SwiftShader needs well under a second for any case. */
export const DEFAULT_TIME_LIMIT_MS = 10_000;
/** Compiling is slower than running on a CPU emulator (the fused kernel takes seconds); give it room. */
const COMPILE_TIME_LIMIT_MS = 60_000;

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
}

const hasStage = (variant: VariantName, stage: string) => Object.hasOwn(VARIANTS[variant], stage);

/** Stages the suite can check: those of the interface that a variant implements and core knows how to check. */
export function verifiableStages(): StageName[] {
  return (Object.keys(STAGES) as StageName[]).filter((stage) => isVerifiedStage(stage) && VARIANT_NAMES.some((v) => hasStage(v, stage)));
}

/** The variant that provides a stage's neighbours: 'tiled' when it has the stage, else the first that does. */
export function variantFor(stage: StageName): VariantName | null {
  const candidates = VARIANT_NAMES.filter((v) => hasStage(v, stage));
  return candidates.find((v) => v === 'tiled') ?? candidates[0] ?? null;
}

/** Every built-in kernel the suite can check, as (variant, stage) pairs. */
export function builtInKernels(): { variant: VariantName; stage: StageName }[] {
  return VARIANT_NAMES.flatMap((variant) =>
    verifiableStages()
      .filter((stage) => hasStage(variant, stage))
      .map((stage) => ({ variant, stage })),
  );
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
  const row: Omit<CaseReport, 'hint'> = {
    name: c.name,
    case: c,
    status,
    tensor: null,
    count: 0,
    failures: 0,
    maxAbs: 0,
    maxRel: 0,
    maxUlp: 0,
    firstBad: null,
    differing: 0,
    unwritten: 0,
    nonFiniteInMaskedRows: 0,
    nonFiniteElsewhere: 0,
    maskMismatches: 0,
    factor: null,
    ms,
    error,
  };
  return { ...row, hint: caseHint(row) };
}

function stageTensor(result: RunResult, stage: VerifiedStage): Float32Array {
  const tensor = STAGE_INFO[stage].writes;
  const data = tensor === 'output' ? result.output.data : result[tensor];
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
): Promise<CaseReport> {
  const started = performance.now();
  const { inputs, options } = caseInputs(c);
  const first = await within(engine.run(inputs, options, run), limitMs);
  if (first === TIMED_OUT) return emptyRow(c, 'timeout', performance.now() - started, `no result after ${limitMs} ms`);
  const second = await within(engine.run(inputs, options, run), limitMs);
  if (second === TIMED_OUT) return emptyRow(c, 'timeout', performance.now() - started, `the second run gave no result after ${limitMs} ms`);
  const check = checkStage(
    stage,
    inputs,
    options,
    { scores: first.scores, probs: first.probs, output: first.output.data },
    fullyMaskedRows(c, inputs),
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
    ms: performance.now() - started,
  };
  return { ...row, hint: caseHint(row) };
}

/**
 * Verifies one kernel. Compile and interface errors come back as a report ('compile-error',
 * 'interface-error'), so do a timeout and a lost device ('timeout', 'device-lost': the page must
 * then acquire a new device). Aborting the signal throws RunCancelledError.
 */
export async function verifyKernel(engine: AttentionEngine, options: VerifyKernelOptions): Promise<VerifyReport> {
  const started = performance.now();
  const { stage, source, signal } = options;
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
    timeLimitMs: limitMs,
    ms: 0,
  };
  const finish = (status: VerifyReport['status'], error?: string) => {
    report.status = status;
    report.coverage = coverageOf(
      report.cases.map((c) => c.case),
      suiteChecks(engine, report.cases.length > 0),
    );
    if (error) report.error = error;
    report.ms = performance.now() - started;
    return report;
  };
  if (!isVerifiedStage(stage) || !variant || !hasStage(variant, stage)) {
    return finish('interface-error', `the ${stage} stage cannot be verified${variant ? ` with the ${variant} variant` : ''}`);
  }

  try {
    // Compiling first separates "does not compile / does not fit" from wrong results, and gives the
    // workgroup size the tile-edge cases are built around. Pipelines are cached, so runs reuse it.
    const compileLimitMs = Math.max(COMPILE_TIME_LIMIT_MS, 3 * limitMs);
    const diagnosis = await within(engine.diagnose(stage, variant, source), compileLimitMs);
    if (diagnosis === TIMED_OUT) return finish('timeout', `compiling the kernel took longer than ${compileLimitMs} ms`);
    const { kernel } = diagnosis;
    if (!kernel) {
      const failure = diagnosisError(diagnosis);
      if (failure instanceof KernelCompileError) {
        report.compileMessages = diagnosis.messages;
        return finish('compile-error', failure.message);
      }
      report.interfaceProblems = diagnosis.problems;
      return finish('interface-error', failure?.message);
    }
    // The variant's other (built-in) stages too, so no case's time limit is spent compiling them.
    const others = variantStages(variant).filter((other) => other !== stage);
    if ((await within(Promise.all(others.map((other) => engine.kernel(other, variant))), compileLimitMs)) === TIMED_OUT) {
      return finish('timeout', `compiling the built-in ${others.join(', ')} kernels took longer than ${compileLimitMs} ms`);
    }
    report.workgroupSize = kernel.workgroupSize;
    report.compileMessages = kernel.warnings;
  } catch (error) {
    if (error instanceof DeviceLostError || engine.lost) return finish('device-lost', deviceLostMessage(engine, error));
    throw error;
  }

  const cases = options.cases ?? verifyCases({ workgroupSize: report.workgroupSize ?? undefined, seed: options.seed });
  report.plannedCases = cases.length;
  const run: RunOptions = {
    variant,
    kernels: { [stage]: source },
    intermediates: STAGE_INFO[stage].writes !== 'output' || stage === 'pv',
    poison: true,
    signal,
  };
  for (const c of cases) {
    checkCancelled(signal);
    let row: CaseReport;
    try {
      row = await runCase(engine, stage, c, run, limitMs);
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
      report.hints = diagnose(report.cases, { stage, source });
      report.cases = annotateCases(report.cases, report.hints);
      return finish('timeout', `"${c.name}" timed out after ${limitMs} ms — infinite loop or a very slow kernel?`);
    }
  }
  checkCancelled(signal);
  const passed = report.cases.every((c) => c.status === 'pass');
  report.hints = passed ? [] : diagnose(report.cases, { stage, source });
  report.cases = annotateCases(report.cases, report.hints);
  report.warnings = passed ? passWarnings(source) : [];
  if (!passed && options.shrink !== false) {
    const rerun = (c: VerifyCase) => runCase(engine, stage, c, run, limitMs);
    report.smallest = (await smallestFailure(rerun, report.cases, { ...options.shrink, signal })) ?? undefined;
    checkCancelled(signal);
  }
  return finish(passed ? 'pass' : 'fail');
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
  for (const { variant, stage } of builtInKernels()) {
    if (options.stage && options.stage !== stage) continue;
    const report = await verifyKernel(engine, {
      ...options,
      stage,
      variant,
      source: engine.source(variant, stage),
      label: variant === stage ? `built-in ${stage}` : `built-in ${variant} ${stage}`,
    });
    reports.push(report);
    if (report.status === 'timeout' || report.status === 'device-lost') break;
  }
  return reports;
}
