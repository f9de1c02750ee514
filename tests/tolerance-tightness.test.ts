/**
 * The checks hold results to the derived bounds, no looser and no tighter: a result off by 2× its
 * bound (in one element, or in every element) fails, one off by 0.5× passes. Each case goes through
 * the real check — checkAgainstReference (src/core/check.ts: end to end, bounds propagated through
 * the stages; fused and projection included) and checkStage (src/core/verify/check.ts: one stage
 * on its own GPU input) — with the bound computed by src/core/tolerance.ts from the arguments
 * documented there, and the check's own report must name that same bound.
 */
import { describe, expect, it } from 'vitest';
import { checkAgainstReference } from '../src/core/compare-run';
import type { GpuStages } from '../src/core/compare-run';
import type { Comparison } from '../src/core/metrics';
import { resolveScale, withDefaults } from '../src/core/options';
import { attentionReference, softmaxReference, weightedValuesReference } from '../src/core/reference';
import type { VerifiedStage } from '../src/core/stages';
import { fusedOutputTolerance, outputTolerance, projectionTolerance, scoreTolerance, softmaxTolerance } from '../src/core/tolerance';
import { checkStage } from '../src/core/verify/check-stage';
import type { StageOutputs } from '../src/core/verify/check-stage';
import type { AttentionCase } from './helpers/cases';
import { buildCase } from './helpers/cases';

// Two heads, n ≠ m, causal, a random mask with one fully masked row, and W_o.
const CASE: AttentionCase = {
  name: 'tightness',
  n: 6,
  m: 9,
  dk: 5,
  dv: 3,
  heads: 2,
  causal: true,
  mask: 'fully-masked-row',
  dModel: 4,
  seed: 4242,
};
const { inputs, options } = buildCase(CASE);
const o = withDefaults(options);
const { n, m } = { n: CASE.n, m: CASE.m };
const h = o.heads;
const ref = attentionReference(inputs, options);
const alpha = resolveScale(o.scale, CASE.dk) / o.temperature;
const scoreBound = scoreTolerance(inputs.q, inputs.k, h, alpha, ref.masked.data);
const probBound = softmaxTolerance(ref.masked.data, ref.probs.data, h * n, m, scoreBound);
const outputBound = outputTolerance(ref.probs.data, probBound, inputs.v, h, n);

/** One checked tensor: its exact value, its bound, and the real check of a perturbed copy. */
interface Subject {
  name: string;
  expected: ArrayLike<number>;
  bound: ArrayLike<number>;
  /** Row length (m for h × n × m tensors, the width for n × width ones), to find fully masked rows. */
  cols: number;
  /** The check takes float32 (stage-alone checks): perturbed values are rounded to float32 first. */
  float32: boolean;
  check(actual: ArrayLike<number>): { comparison: Comparison; pass: boolean };
}

const exact: GpuStages = { scores: ref.masked.data, probs: ref.probs.data, output: ref.output.data, projected: ref.projected };

function endToEnd(
  name: string,
  tensor: 'scores' | 'probs' | 'output' | 'projected',
  expected: ArrayLike<number>,
  bound: ArrayLike<number>,
): Subject {
  return {
    name,
    expected,
    bound,
    cols: expected.length / (tensor === 'scores' || tensor === 'probs' ? h * n : n),
    float32: false,
    check(actual) {
      const gpu: GpuStages = tensor === 'projected' ? { ...exact, projected: { data: actual } } : { ...exact, [tensor]: actual };
      const result = checkAgainstReference(inputs, options, gpu);
      return { comparison: result[tensor]!, pass: result.pass };
    },
  };
}

function fusedEndToEnd(): Subject {
  return {
    name: 'end to end: fused output (fusedOutputTolerance)',
    expected: ref.output.data,
    bound: fusedOutputTolerance(ref.masked.data, ref.probs.data, scoreBound, inputs.v, h, n),
    cols: ref.output.cols,
    float32: false,
    check(actual) {
      const result = checkAgainstReference(inputs, options, { scores: null, probs: null, output: actual, onlineSoftmax: true });
      return { comparison: result.output, pass: result.pass };
    },
  };
}

const f32 = (values: ArrayLike<number>) => Float32Array.from(values);

function alone(
  stage: VerifiedStage,
  name: string,
  expected: ArrayLike<number>,
  bound: ArrayLike<number>,
  gpu: (actual: Float32Array) => StageOutputs,
): Subject {
  return {
    name,
    expected,
    bound,
    cols: stage === 'qk' || stage === 'softmax' ? m : ref.output.cols,
    float32: true,
    check(actual) {
      const result = checkStage(stage, inputs, options, gpu(f32(actual)), new Array(n).fill(false));
      return { comparison: result.comparison, pass: result.comparison.pass };
    },
  };
}

// Stage-alone inputs are what a GPU stage read: the float32 scores and probabilities.
const gpuScores = f32(ref.masked.data),
  gpuProbs = f32(ref.probs.data);
const aloneProbs = softmaxReference(gpuScores, h, n, m).data;
const aloneOutput = weightedValuesReference(gpuProbs, inputs.v, h, n).data;
const noOutput = new Float32Array(ref.output.data.length);

const SUBJECTS: Subject[] = [
  endToEnd('end to end: scores (scoreTolerance)', 'scores', ref.masked.data, scoreBound),
  endToEnd('end to end: probabilities (softmaxTolerance with the score bound)', 'probs', ref.probs.data, probBound),
  endToEnd('end to end: output (outputTolerance with the probability bound)', 'output', ref.output.data, outputBound),
  endToEnd(
    'end to end: projection (projectionTolerance with the output bound)',
    'projected',
    ref.projected!.data,
    projectionTolerance(ref.output.data, outputBound, inputs.wo!, n),
  ),
  fusedEndToEnd(),
  alone('qk', 'qk alone: scores (scoreTolerance)', ref.masked.data, scoreBound, (scores) => ({ scores, probs: null, output: noOutput })),
  alone(
    'softmax',
    'softmax alone: probabilities of the GPU scores (softmaxTolerance)',
    aloneProbs,
    softmaxTolerance(gpuScores, aloneProbs, h * n, m),
    (probs) => ({ scores: gpuScores, probs, output: noOutput }),
  ),
  alone(
    'pv',
    'pv alone: output of the GPU probabilities (outputTolerance)',
    aloneOutput,
    outputTolerance(Float64Array.from(gpuProbs), null, inputs.v, h, n),
    (output) => ({ scores: null, probs: gpuProbs, output }),
  ),
  alone(
    'fused',
    'fused alone: output (fusedOutputTolerance)',
    ref.output.data,
    fusedOutputTolerance(ref.masked.data, ref.probs.data, scoreBound, inputs.v, h, n),
    (output) => ({ scores: null, probs: null, output }),
  ),
];

/** Elements a perturbation can move: finite, with a non-zero bound (a zero bound means "exactly", e.g. a hidden key's −∞). */
function movable(s: Subject): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.expected.length; i++) if (Number.isFinite(s.expected[i]) && s.bound[i] > 0) out.push(i);
  return out;
}

/** `expected` with the chosen elements moved by factor × bound, alternating in sign. */
function perturb(s: Subject, elements: number[], factor: number): Float64Array {
  const values = Float64Array.from(s.expected);
  elements.forEach((i, k) => {
    const moved = s.expected[i] + (k % 2 === 0 ? 1 : -1) * factor * s.bound[i];
    values[i] = s.float32 ? Math.fround(moved) : moved;
  });
  return values;
}

/** How far each moved element ended up, in bounds (after float32 rounding, for the test's own sake). */
const ratios = (s: Subject, values: Float64Array, elements: number[]) =>
  elements.map((i) => Math.abs(values[i] - s.expected[i]) / s.bound[i]);

/** True when element i lies in a row that is all zero in the reference (a query that sees no key). */
function inZeroRow(s: Subject, i: number): boolean {
  const start = i - (i % s.cols);
  for (let j = start; j < start + s.cols; j++) if (s.expected[j] !== 0) return false;
  return true;
}

const SCOPES = [
  { scope: 'one element', pick: (all: number[]) => [all[Math.floor(all.length / 2)]] },
  {
    scope: 'one element of a fully masked row (bound FLUSH)',
    pick: (all: number[], s: Subject) => all.filter((i) => inZeroRow(s, i)).slice(0, 1),
  },
  { scope: 'every element', pick: (all: number[]) => all },
];

describe.each(SUBJECTS)('$name', (s) => {
  const all = movable(s);
  // Scores have no zero rows (a hidden score is −∞ and must stay exactly that).
  const scopes = SCOPES.map(({ scope, pick }) => ({ scope, elements: pick(all, s) })).filter((c) => c.elements.length > 0);

  it.each(scopes)('$scope off by 2× its bound fails, by 0.5× passes', ({ elements }) => {
    const over = perturb(s, elements, 2),
      under = perturb(s, elements, 0.5);
    expect(Math.min(...ratios(s, over, elements)), 'the 2× perturbation survives rounding').toBeGreaterThan(1);
    expect(Math.max(...ratios(s, under, elements)), 'the 0.5× perturbation survives rounding').toBeLessThan(1);

    const failing = s.check(over);
    expect(failing.pass).toBe(false);
    expect(failing.comparison.failures).toBe(elements.length);
    expect(failing.comparison.firstBad?.index).toBe(elements[0]);
    expect(failing.comparison.firstBad?.tolerance, 'the check applies the bound of src/core/tolerance.ts').toBe(s.bound[elements[0]]);

    const passing = s.check(under);
    expect(passing.comparison.failures).toBe(0);
    expect(passing.pass).toBe(true);
  });

  it('the exact result passes, and the case has enough elements to move', () => {
    expect(s.check(s.expected).pass).toBe(true);
    expect(all.length).toBeGreaterThan(10);
  });
});
