/**
 * One kernel verification at a time for the shader lab: runs the suite of src/verify/runner.ts,
 * collects the cases as they finish (for a live table), keeps each stage's last report (so a stage's
 * tab never shows another stage's), and cancels a run that an edit made stale (or that its host outlived).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { RunCancelledError } from '../core/errors';
import type { StageName } from '../core/stages';
import type { CaseReport, VerifyReport } from '../core/verify/report';
import type { AttentionEngine } from '../gpu/engine';
import type { VerifyKernelOptions } from '../gpu/verify-suite';

/** What a stage's tab shows of its verification. */
export interface StageVerification {
  report: VerifyReport | null;
  cases: readonly CaseReport[];
  error: string | null;
  source: string | null;
}

const NONE: StageVerification = { report: null, cases: [], error: null, source: null };
import { verifyKernel } from '../gpu/verify-suite';

export class VerificationController implements ReactiveController {
  running = false;
  progress: { done: number; total: number } | null = null;
  /** The cases finished so far by the run in flight. */
  cases: CaseReport[] = [];
  report: VerifyReport | null = null;
  /** The kernel source the report (or the run in flight) is about. */
  source: string | null = null;
  /** Tries of the shrinking after a failure: runs done and the most it will make. */
  shrinking: { runs: number; max: number } | null = null;
  /** Why the last verification could not run at all. */
  error: string | null = null;
  /** The stage the fields above are about (the run in flight, or the last). */
  stage: StageName | null = null;
  /** Other stages' last verifications, kept while another stage is verified. */
  private readonly earlier = new Map<StageName, StageVerification>();
  private abort: AbortController | null = null;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.cancel();
  }

  /** Stops the run in flight; its partial results stay until the next run. */
  cancel(): void {
    this.abort?.abort();
    this.abort = null;
    this.running = false;
    this.progress = null;
    this.shrinking = null;
    this.host.requestUpdate();
  }

  /** Forgets the report of a stage whose kernel changed. */
  forget(stage: StageName): void {
    this.earlier.delete(stage);
    if (this.stage !== stage) return;
    this.report = null;
    this.cases = [];
    this.error = null;
    this.host.requestUpdate();
  }

  /** The verification to show under `stage`'s tab: its run in flight or its last one; none if it has none. */
  shown(stage: StageName): StageVerification {
    if (this.stage === stage) return { report: this.report, cases: this.cases, error: this.error, source: this.source };
    return this.earlier.get(stage) ?? NONE;
  }

  /** Verifies a kernel; resolves to its report, or null when the run was cancelled or could not run. */
  async run(engine: AttentionEngine, options: Omit<VerifyKernelOptions, 'signal' | 'onCase'>): Promise<VerifyReport | null> {
    this.cancel();
    if (this.stage !== null && this.stage !== options.stage)
      this.earlier.set(this.stage, { report: this.report, cases: this.cases, error: this.error, source: this.source });
    this.earlier.delete(options.stage);
    this.stage = options.stage;
    const abort = new AbortController();
    this.abort = abort;
    this.running = true;
    this.report = null;
    this.error = null;
    this.cases = [];
    this.source = options.source;
    this.host.requestUpdate();
    try {
      const report = await verifyKernel(engine, {
        ...options,
        signal: abort.signal,
        onCase: (row, done, total) => {
          if (abort.signal.aborted) return;
          this.cases = [...this.cases, row];
          this.progress = { done, total };
          this.host.requestUpdate();
        },
        shrink: {
          onTry: (runs, max) => {
            if (abort.signal.aborted) return;
            this.shrinking = { runs, max };
            this.host.requestUpdate();
          },
        },
      });
      if (abort.signal.aborted) return null;
      this.report = report;
      return report;
    } catch (error) {
      if (!(error instanceof RunCancelledError || abort.signal.aborted)) this.error = (error as Error).message ?? String(error);
      return null;
    } finally {
      if (this.abort === abort) this.cancel();
    }
  }
}
