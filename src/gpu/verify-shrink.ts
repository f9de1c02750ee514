/**
 * The GPU side of a report a kernel author can act on: shrinking a failing case by rerunning it
 * with the kernel (the search itself is src/core/verify/shrink.ts), checking that the
 * `npm run attention` command of the smallest case fails too, and the checks the suite makes
 * beyond comparing values (for the report's coverage).
 */
import { RunCancelledError } from '../core/errors';
import { DeviceLostError } from './errors';
import { checkAgainstReference } from '../core/compare-run';
import type { CoverageCheck } from '../core/verify/coverage';
import { caseInputs } from '../core/verify/cases';
import type { VerifyCase } from '../core/verify/cases';
import { shrunkCaseHint } from '../core/verify/hints';
import { reproOptions } from '../core/verify/repro';
import type { CaseReport, SmallestFailure, VerifyReport } from '../core/verify/report';
import { describeCase, retag, shrinkCase } from '../core/verify/shrink';
import type { StageName } from '../core/stages';
import type { AttentionEngine, RunOptions } from './engine';
import type { VariantName } from './variants';
import { counted } from '../core/plural';

/** The size of a case's problem, to pick the cheapest failing case to shrink. */
const work = (c: VerifyCase) => c.heads * c.n * c.m * (c.dk + c.dv) + c.n * c.heads * c.dv * (c.dModel ?? 0);

/** Symptoms a failing row shows; a shrunk case must keep at least one of the original's. */
function symptoms(row: CaseReport): Set<string> {
  const found = new Set<string>();
  if (row.differing > 0) found.add('differing');
  if (row.unwritten > 0) found.add('unwritten');
  if (row.nonFiniteInMaskedRows > 0) found.add('masked-row-nan');
  if (row.nonFiniteElsewhere > 0) found.add('non-finite');
  if (row.maskMismatches > 0) found.add('mask');
  if (row.factor !== null) found.add('factor');
  if ((row.unnormalisedRows ?? 0) > 0) found.add('unnormalised');
  return found;
}

/**
 * Whether `candidate` fails the way `original` did: the same status ('fail' stays 'fail', never a
 * timeout or an error), and when the original showed a specific symptom (never-written elements,
 * NaN in a masked row, a constant factor, …) at least one of them.
 */
function sameFailure(original: CaseReport, candidate: CaseReport): boolean {
  if (candidate.status !== original.status) return false;
  const before = symptoms(original);
  if (before.size === 0) return true;
  const after = symptoms(candidate);
  return [...before].some((s) => after.has(s));
}

export interface SmallestFailureOptions {
  maxRuns?: number;
  /** Whether a candidate can run at all (see ShrinkOptions.valid). */
  valid?: (candidate: VerifyCase) => boolean;
  onTry?: (runs: number, maxRuns: number) => void;
  signal?: AbortSignal;
  /** Why the device is lost (the engine's `lost`), or null: a rerun that throws then lost it. */
  deviceLost?: () => string | null;
}

/**
 * The smallest failing case: the cheapest failing row of the suite, shrunk by rerunning smaller
 * cases with `rerun` while they fail the same way. A timeout or an error is reported as it is,
 * not shrunk (each try could wait out the time limit, or hang the device). Null when no case failed.
 */
export async function smallestFailure(
  rerun: (c: VerifyCase) => Promise<CaseReport>,
  rows: readonly CaseReport[],
  options: SmallestFailureOptions = {},
): Promise<SmallestFailure | null> {
  const failing = rows.filter((r) => r.status === 'fail').sort((a, b) => work(a.case) - work(b.case));
  const start = failing[0];
  if (!start) {
    const other = rows.find((r) => r.status !== 'pass');
    if (!other) return null;
    return {
      from: other.name,
      row: other,
      problem: describeCase(other.case),
      runs: 0,
      moves: [],
      complete: false,
      note: `not shrunk: a case that ends in ${other.status === 'timeout' ? 'a timeout' : 'an error'} is not rerun`,
    };
  }
  const runs = new Map<VerifyCase, CaseReport>();
  let stopped: string | undefined;
  let timedOut = false;
  let deviceLost = false;
  const stillFails = async (candidate: VerifyCase) => {
    if (stopped || options.signal?.aborted) return false;
    let row: CaseReport;
    try {
      row = await rerun({ ...retag(candidate), name: `smallest: ${describeCase(candidate)}` });
    } catch (error) {
      if (error instanceof RunCancelledError) stopped = 'cancelled';
      else if (error instanceof DeviceLostError || options.deviceLost?.()) {
        // As after a timeout: the kernel may have hung or crashed the GPU, and nothing more runs on it.
        stopped = `stopped: a smaller case lost the GPU device (${options.deviceLost?.() ?? (error as Error).message})`;
        deviceLost = true;
      } else stopped = `stopped: a smaller case could not run (${(error as Error).message ?? String(error)})`;
      return false;
    }
    // A timeout leaves the kernel running on the device: nothing after it can be trusted.
    if (row.status === 'timeout') {
      stopped = 'stopped: a smaller case timed out';
      timedOut = true;
    }
    const fails = sameFailure(start, row);
    if (fails) runs.set(candidate, row);
    return fails;
  };
  const result = await shrinkCase(start.case, stillFails, { maxRuns: options.maxRuns, onTry: options.onTry, valid: options.valid });
  // The shrunk case's hint gives its own numbers, for the symptoms the suite's case showed.
  const shrunk = runs.get(result.case);
  const row = shrunk ? { ...shrunk, hint: shrunkCaseHint(start, shrunk) } : start;
  return {
    from: start.name,
    row,
    problem: describeCase(row.case),
    runs: result.runs,
    moves: result.moves,
    complete: result.complete && !stopped,
    ...(stopped ? { note: stopped } : {}),
    ...(timedOut ? { timedOut } : {}),
    ...(deviceLost ? { deviceLost } : {}),
  };
}

/**
 * Whether `npm run attention` fails on the case's inputs with the kernel: one run on poisoned
 * buffers, every stage checked against the float64 reference, with only the options it has flags for.
 */
export async function reproduces(
  engine: AttentionEngine,
  target: { stage: StageName; source: string | null; variant: VariantName },
  c: VerifyCase,
): Promise<boolean> {
  const { inputs } = caseInputs(c);
  const options = reproOptions(c);
  const kernels: RunOptions['kernels'] = target.source === null ? undefined : { [target.stage]: target.source };
  const result = await engine.run(inputs, options, {
    variant: target.variant,
    kernels,
    intermediates: true,
    poison: true,
    keySplits: c.keySplits,
  });
  return !checkAgainstReference(inputs, options, { ...result, output: result.output.data }).pass;
}

/** The checks the suite makes besides comparing values, for the report's coverage. */
export function suiteChecks(report: Pick<VerifyReport, 'cases' | 'hazards' | 'limits'>): CoverageCheck[] {
  const ran = report.cases.length > 0;
  const hazards = report.hazards;
  const interpreter: CoverageCheck = hazards
    ? hazards.incomplete
      ? {
          name: 'interpreter race check',
          ran: false,
          detail: `could not finish (${hazards.incomplete}); the static barrier check stood in`,
        }
      : { name: 'interpreter race check', ran: true, detail: hazards.covered }
    : { name: 'interpreter race check', ran: false, detail: 'not run' };
  const twice = report.cases.filter((c) => c.case.tags.includes('multi-wg') || c.case.tags.includes('heads')).length;
  return [
    { name: 'poisoned buffers', ran, detail: 'every buffer starts as NaN, so never-written elements show' },
    {
      name: 'two runs per case',
      ran: ran && twice > 0,
      detail: `${counted(twice, 'case')} where two workgroups could write one element ran twice and must match bit for bit`,
    },
    interpreter,
    {
      name: 'default limits',
      ran,
      detail:
        report.limits.length > 0
          ? report.limits.map((l) => l.message).join('; ')
          : "the kernel fits WebGPU's default limits (workgroup size by reflection, workgroup memory as the interpreter sized it)",
    },
  ];
}
