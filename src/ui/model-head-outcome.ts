/**
 * One head of a model step as an ordinary run's outcome (RunOutcome), so the views of matrix mode —
 * the stage view, the verdict badges, the GPU-vs-CPU tab — show it unchanged: its one-head problem
 * (Q, K, V before RoPE, the layer's options for one head, the tokens as labels), the float64
 * reference of that problem, and the GPU's slice of what the layer's run returned.
 */
import { evaluate } from '../core/evaluate';
import { withModelHeadAsMatrices } from '../core/model/head-matrix';
import { headGpuStages } from '../core/model/check';
import { buildProblem } from '../core/problem';
import type { ModelState } from '../core/state';
import { defaultState } from '../core/state';
import type { ShownHead } from '../core/model/shown-head';
import { shownHead } from '../core/model/shown-head';
import { layerStages } from '../gpu/model-run';
import type { ModelOutcome } from './model-controller';
import type { RunOutcome } from './run-types';

/** The head the model view shows for the state's choice (its last layer or head when past the model's); null before a step. */
export function shownModelHead(o: ModelOutcome | null, chosen: Pick<ModelState, 'layer' | 'head'>): ShownHead | null {
  const first = o?.layers[0];
  return first ? shownHead(chosen, o.layers.length, first.call.options.heads) : null;
}

export function modelHeadOutcome(o: ModelOutcome, layer: number, head: number): RunOutcome | null {
  const run = o.layers[layer];
  if (!run || head < 0 || head >= run.call.options.heads) return null;
  const labels = { queries: o.tokens.slice(o.queryStart).map((t) => t.text), keys: o.tokens.map((t) => t.text) };
  const problem = buildProblem(withModelHeadAsMatrices(defaultState(), run.call, head, labels), null);
  const gpu = headGpuStages(run.call, layerStages(run.result), head);
  const started = performance.now();
  const { reference, check, errors } = evaluate({ inputs: problem.inputs, options: problem.options, gpu });
  return {
    id: o.id,
    problem,
    full: problem,
    fullOutput: null,
    fullProjected: null,
    reference,
    gpu: { ...gpu, projected: null },
    gpuError: null,
    variant: o.variant,
    check,
    errors,
    gpuMs: o.layerMs[layer] ?? null,
    gpuTimings: null,
    cpuMs: performance.now() - started,
  };
}
