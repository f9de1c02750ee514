/**
 * Kernel staging: an edited kernel reaches the playground only after a trial, and one that timed
 * out is held. The trial of a kernel's exact text, one at a time:
 *  0. compiling it for the GPU and checking it against the interface (this runs nothing): a kernel
 *     that does not compile or fit is named at once and not used;
 *  1. the CPU interpreter (kernel-trial-client.ts) runs it on a tiny problem in a worker that is
 *     killed after a time limit: a kernel that never finishes stops here and never reaches the GPU
 *     (in headless Chromium a GPU kernel that never finishes wedges the browser's GPU process for
 *     good: device.destroy() does not free it and no adapter is offered again);
 *  2. a small GPU run (the verifier's "seed" case, n = m = 21) against the float64 reference,
 *     under the watchdog (wrong numbers do not keep a kernel out: they are safe, and showing them
 *     is the point of loading a failing case; a compile or interface error does); a write-ahead record in storage (persistence.ts) says which kernel is on
 *     trial, so a page that dies meanwhile holds it on the next load.
 * Until a kernel passes, its stage runs the built-in kernel. A kernel that timed out (on either
 * step) or lost the device is held: the state's heldKernels names it, links carry that, and only
 * release() (the lab's "Use my kernel again") tries it again. Pure logic: src/core/kernel-safety.ts.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { RunCancelledError } from '../core/errors';
import type { KernelTrial, KernelTrials, TimeLimitSettings } from '../core/kernel-safety';
import {
  afterDeviceReplaced,
  attentionWork,
  fingerprint,
  formatLimit,
  gpuTimeLimitMs,
  kernelsInUse,
  kernelsToTry,
} from '../core/kernel-safety';
import type { PlaygroundState } from '../core/state';
import type { StageName } from '../core/stages';
import { STAGE_INFO } from '../core/stages';
import { verifyCases } from '../core/verify/cases';
import { compileErrorLines, reportSummary } from '../core/verify/report';
import type { AttentionEngine } from '../gpu/engine';
import type { CompileFailure } from '../gpu/verify-suite';
import { COMPILE_TIME_LIMIT_MS, compileFailure, verifyKernel } from '../gpu/verify-suite';
import type { NoticeLevel } from './events';
import { interpretKernel } from './kernel-trial-client';
import { writeTrialRecord } from './persistence';

/** The interpreter's budget for a trial: about five times the steps of the slowest built-in kernel. */
export interface InterpreterSettings {
  stepBudget: number;
  timeLimitMs: number;
  maxInvocations: number;
}

export const DEFAULT_INTERPRETER: InterpreterSettings = { stepBudget: 1_000_000, timeLimitMs: 30_000, maxInvocations: 64 };

export interface KernelStagingOptions {
  state(): PlaygroundState;
  engine(): AttentionEngine | null;
  /** Holds (or releases) a stage's kernel in the state. */
  setHeld(stage: StageName, held: boolean): void;
  /** The device must be replaced: a trial timed out or lost it. */
  recover(): Promise<void>;
  notify(level: NoticeLevel, text: string): void;
  /** The kernels the playground uses changed (a kernel passed): rerun. */
  changed(): void;
  limits(): TimeLimitSettings;
}

export class KernelStaging implements ReactiveController {
  trials: KernelTrials = {};
  interpreter: InterpreterSettings = { ...DEFAULT_INTERPRETER };
  private abort: AbortController | null = null;
  private current: { stage: StageName; source: string } | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: KernelStagingOptions,
  ) {
    host.addController(this);
  }

  hostDisconnected(): void {
    this.abort?.abort();
  }

  /** The edited kernels the playground may use now (the others run built-in). */
  inUse(state: PlaygroundState = this.options.state()): Record<string, string> | null {
    const used = kernelsInUse(state.kernels, this.trials);
    if (!used) return null;
    for (const stage of state.heldKernels) delete used[stage];
    return Object.keys(used).length ? used : null;
  }

  /** After any change of the state's kernels or holds, or of the device: starts the next trial due. */
  sync(): void {
    const state = this.options.state();
    // A trial whose kernel was edited away or held meanwhile stops.
    if (this.current && (state.kernels?.[this.current.stage] !== this.current.source || state.heldKernels.includes(this.current.stage))) {
      this.abort?.abort();
      this.abort = null;
      this.current = null;
    }
    if (this.current) return;
    const [stage] = kernelsToTry(state.kernels, state.heldKernels, this.trials);
    if (!stage) return;
    const source = state.kernels![stage];
    if (!this.options.engine()) {
      this.set(stage, { status: 'checking', source: '', reason: 'waiting for a GPU device' });
      return;
    }
    void this.trial(stage, source);
  }

  /** "Use my kernel again": releases the hold; the kernel gets a fresh trial. */
  release(stage: StageName): void {
    const trials = { ...this.trials };
    delete trials[stage];
    this.trials = trials;
    this.options.setHeld(stage, false);
  }

  /** Records a hold the page decided elsewhere (a playground run timed out on this kernel). */
  held(stage: StageName, source: string, reason: string): void {
    this.set(stage, { status: 'held', source, reason });
    this.options.setHeld(stage, true);
  }

  /** The replacement device is ready: held lines no longer say it is being replaced. */
  deviceReplaced(): void {
    for (const [stage, trial] of Object.entries(this.trials)) {
      if (trial?.status !== 'held' || !trial.reason) continue;
      const reason = afterDeviceReplaced(trial.reason);
      if (reason !== trial.reason) this.set(stage as StageName, { ...trial, reason });
    }
  }

  private async trial(stage: StageName, source: string): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    this.current = { stage, source };
    const signal = abort.signal;
    const title = STAGE_INFO[stage].shortTitle;
    try {
      // Compiling runs nothing, so it goes first: a kernel the GPU's compiler rejects is named at
      // once, not after the interpreter's time limit (which cannot tell "does not compile" apart).
      const engineNow = this.options.engine();
      if (engineNow) {
        this.set(stage, { status: 'checking', source, reason: 'compiling it for the GPU' });
        const compiled = await compileFailure(engineNow, stage, source);
        if (signal.aborted) return;
        if (compiled?.status === 'timeout') {
          this.hold(stage, source, `Your edited ${title} kernel did not compile within ${formatLimit(COMPILE_TIME_LIMIT_MS)}`);
          await this.options.recover();
          return;
        }
        if (compiled) return this.set(stage, { status: 'failed', source, reason: failureDetail(compiled) });
      }
      this.set(stage, { status: 'checking', source, reason: 'running it on the CPU interpreter (a tiny problem)' });
      const interpreted = await interpretKernel({ stage, source, ...this.interpreter }, signal);
      if (signal.aborted) return;
      if (interpreted.kind === 'endless') {
        return this.hold(
          stage,
          source,
          `Your edited ${title} kernel did not finish on the CPU interpreter's tiny problem (${interpreted.detail}): on the GPU it would never finish either`,
        );
      }
      const engine = this.options.engine();
      if (!engine) {
        this.set(stage, { status: 'checking', source: '', reason: 'waiting for a GPU device' });
        return;
      }
      const limitMs = quickCheckLimitMs(this.options.limits());
      this.set(stage, {
        status: 'checking',
        source,
        reason: `a small GPU run (n = m = 21) against the float64 reference, at most ${formatLimit(limitMs)}`,
      });
      const quick = quickCase(stage);
      // Write-ahead: if the page dies during this run, the next load holds this kernel.
      writeTrialRecord({ stage, fingerprint: fingerprint(source), startedAt: Date.now() });
      let report;
      try {
        report = await verifyKernel(engine, {
          stage,
          source,
          label: 'edited kernel',
          cases: quick ? [quick] : undefined,
          skipHazards: true,
          shrink: false,
          timeLimitMs: limitMs,
          signal,
        });
      } finally {
        writeTrialRecord(null);
      }
      if (signal.aborted) return;
      if (report.status === 'timeout' || report.status === 'device-lost') {
        const what =
          report.status === 'timeout' ? `did not finish within ${formatLimit(limitMs)} on a 21×21 problem` : 'lost the GPU device';
        this.hold(stage, source, `Your edited ${title} kernel ${what}`);
        await this.options.recover();
        return;
      }
      // Wrong numbers are safe to show: the playground's verdict (and model mode) then shows where
      // the kernel differs, which is what loading a verifier's failing case is for.
      if (report.status === 'pass' || report.status === 'fail') {
        const note =
          report.status === 'fail'
            ? `it finished in time but differs from the float64 reference on the quick case (${reportSummary(report)})`
            : null;
        this.set(stage, { status: 'passed', source, reason: note });
        this.options.changed();
        return;
      }
      const detail =
        report.status === 'compile-error' || report.status === 'interface-error'
          ? failureDetail({ ...report, status: report.status, error: report.error ?? '' })
          : `the quick check failed (${reportSummary(report)})`;
      this.set(stage, { status: 'failed', source, reason: detail });
    } catch (error) {
      if (error instanceof RunCancelledError || signal.aborted) return;
      this.set(stage, { status: 'failed', source, reason: `the check could not run: ${(error as Error).message}` });
    } finally {
      if (this.abort === abort) {
        this.abort = null;
        this.current = null;
        // The next edited stage, if any.
        queueMicrotask(() => this.sync());
      }
    }
  }

  private hold(stage: StageName, source: string, sentence: string): void {
    const reason = `${sentence}. It is held: the playground runs the built-in ${STAGE_INFO[stage].shortTitle} kernel, your text stays in the Shader lab, and "Use my kernel again" tries it again.`;
    this.held(stage, source, reason);
    this.options.notify('error', reason);
  }

  private set(stage: StageName, trial: KernelTrial): void {
    this.trials = { ...this.trials, [stage]: trial };
    this.host.requestUpdate();
  }
}

/** Why a kernel that does not compile or fit the interface is not used, in words. */
function failureDetail(failure: Pick<CompileFailure, 'status' | 'compileMessages' | 'interfaceProblems' | 'error'>): string {
  if (failure.status === 'compile-error')
    return `it does not compile: ${compileErrorLines(failure.compileMessages).slice(0, 2).join('; ')}`;
  return `it does not fit the kernel interface: ${failure.interfaceProblems.slice(0, 2).join('; ') || failure.error}`;
}

/** The verifier's first "seed" case for the stage (n = m = 21, dk = dv = 10): small, ordinary, seeded. */
function quickCase(stage: StageName) {
  return verifyCases({ stage }).find((c) => c.tags.includes('seed')) ?? null;
}

/** The watchdog's limit for one run of the quick case. */
export function quickCheckLimitMs(limits: TimeLimitSettings): number {
  return gpuTimeLimitMs(attentionWork({ n: 21, m: 21, dk: 10, dv: 10, heads: 1, dModel: null }), limits);
}
