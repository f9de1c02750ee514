/**
 * One kernel verification at a time for the shader lab: runs the suite of src/verify/runner.ts,
 * collects the cases as they finish (for a live table), keeps the report, and cancels a run that an
 * edit made stale (or that its host outlived).
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { RunCancelledError } from '../core/errors';
import type { StageName } from '../core/stages';
import type { CaseReport, VerifyReport } from '../core/verify/report';
import type { AttentionEngine } from '../gpu/engine';
import type { VerifyKernelOptions } from '../gpu/verify-suite';
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
    if (this.report?.stage !== stage) return;
    this.report = null;
    this.host.requestUpdate();
  }

  async run(engine: AttentionEngine, options: Omit<VerifyKernelOptions, 'signal' | 'onCase'>): Promise<void> {
    this.cancel();
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
      if (!abort.signal.aborted) this.report = report;
    } catch (error) {
      if (!(error instanceof RunCancelledError || abort.signal.aborted)) this.error = (error as Error).message ?? String(error);
    } finally {
      if (this.abort === abort) this.cancel();
    }
  }
}
