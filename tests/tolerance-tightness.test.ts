/**
 * The checks hold results to the derived bounds, no looser and no tighter: a result off by 2× its
 * bound (in one element, or in every element) fails, one off by 0.5× passes. Each case goes through
 * the real check — checkAgainstReference (src/core/check.ts: end to end, bounds propagated through
 * the stages; fused and projection included) and checkStage (src/core/verify/check.ts: one stage
 * on its own GPU input) — with the bound computed by src/core/tolerance.ts from the arguments
 * documented there, and the check's own report must name that same bound.
 */
import { checkAgainstReference } from '../src/core/compare-run';
import type { GpuStages } from '../src/core/compare-run';
import { resolveScale, withDefaults } from '../src/core/options';
import { attentionReference, softmaxReference, weightedValuesReference } from '../src/core/reference';
import type { VerifiedStage } from '../src/core/stages';
import { fusedOutputTolerance, outputTolerance, projectionTolerance, scoreTolerance, softmaxTolerance } from '../src/core/tolerance';
import { checkStage } from '../src/core/verify/check-stage';
import type { StageOutputs } from '../src/core/verify/check-stage';
import type { AttentionCase } from './helpers/cases';
import { buildCase } from './helpers/cases';
import type { Subject } from './helpers/tightness';
import { describeTightness } from './helpers/tightness';

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
    bound: fusedOutputTolerance(ref.masked.data, ref.probs.data, scoreBound, inputs.v, h, n, { dk: CASE.dk }),
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
    fusedOutputTolerance(ref.masked.data, ref.probs.data, scoreBound, inputs.v, h, n, { dk: CASE.dk }),
    (output) => ({ scores: null, probs: null, output }),
  ),
];

describeTightness(SUBJECTS);
