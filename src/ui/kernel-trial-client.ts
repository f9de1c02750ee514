/**
 * The page's handle on the interpreter trial (kernel-trial-worker.ts): one worker per trial,
 * terminated when it answers, when the trial is cancelled, or after its hard time limit, so even a
 * kernel that stalls the interpreter itself cannot keep a thread busy.
 */
import { RunCancelledError } from '../core/errors';
import type { StageName } from '../core/stages';

export interface InterpreterTrialRequest {
  stage: StageName;
  source: string;
  maxInvocations: number;
  stepBudget: number;
  timeLimitMs: number;
}

export type InterpreterTrialReply =
  { ok: true; incomplete: string | null; steps: number; covered: string } | { ok: false; message: string };

/**
 * How the interpreter run ended: finished (the GPU trial may go on), endless (it hit the step or
 * time budget, or the worker had to be killed: the kernel must not reach the GPU), or unknown (the
 * interpreter could not run it; the GPU trial, under its watchdog, decides).
 */
export type InterpreterVerdict = { kind: 'finished' } | { kind: 'endless'; detail: string } | { kind: 'unknown'; detail: string };

export function interpretKernel(request: InterpreterTrialRequest, signal: AbortSignal): Promise<InterpreterVerdict> {
  if (signal.aborted) return Promise.reject(new RunCancelledError('trial cancelled'));
  const worker = new Worker(new URL('./kernel-trial-worker.ts', import.meta.url), { type: 'module', name: 'kernel-trial' });
  return new Promise<InterpreterVerdict>((resolve, reject) => {
    // The interpreter checks its own clock between steps; this is for a step that never returns.
    const hardLimitMs = request.timeLimitMs + 10_000;
    const timer = setTimeout(
      () => end({ kind: 'endless', detail: `the interpreter gave no answer within ${Math.round(hardLimitMs / 1000)} s` }),
      hardLimitMs,
    );
    const onAbort = () => end(new RunCancelledError('trial cancelled'));
    const end = (outcome: InterpreterVerdict | Error) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      worker.terminate();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    worker.onmessage = ({ data }: MessageEvent<InterpreterTrialReply>) => {
      if (!data.ok) return end({ kind: 'unknown', detail: data.message });
      // "stopped after …", or "causal off: stopped after …" when the interpreter's second problem stopped.
      if (data.incomplete && /(^|: )stopped after/.test(data.incomplete)) return end({ kind: 'endless', detail: data.incomplete });
      end(data.incomplete ? { kind: 'unknown', detail: data.incomplete } : { kind: 'finished' });
    };
    worker.onerror = (event) => {
      event.preventDefault();
      end({ kind: 'unknown', detail: `the interpreter worker failed: ${event.message || 'unknown error'}` });
    };
    worker.postMessage(request);
  });
}
