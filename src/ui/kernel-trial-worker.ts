/**
 * Web Worker: an edited kernel's first run, on wgsl_reflect's CPU interpreter over a tiny problem
 * (src/gpu/hazards.ts), so a kernel that never finishes is found where it cannot hang the GPU. The
 * page terminates the worker if even the interpreter's own limits do not stop it.
 */
import { checkWorkgroupHazards } from '../gpu/hazards';
import type { InterpreterTrialReply, InterpreterTrialRequest } from './kernel-trial-client';

interface WorkerScope {
  onmessage: ((event: MessageEvent<InterpreterTrialRequest>) => void) | null;
  postMessage(message: InterpreterTrialReply): void;
}

const scope = self as unknown as WorkerScope;

scope.onmessage = ({ data }) => {
  try {
    const report = checkWorkgroupHazards(data.source, data.stage, {
      maxInvocations: data.maxInvocations,
      stepBudget: data.stepBudget,
      timeLimitMs: data.timeLimitMs,
    });
    scope.postMessage({ ok: true, incomplete: report.incomplete ?? null, steps: report.steps, covered: report.covered });
  } catch (error) {
    scope.postMessage({ ok: false, message: (error as Error).message ?? String(error) });
  }
};
