/**
 * The checks hold the features' results to their derived bounds, no looser and no tighter (as
 * tests/tolerance-tightness.test.ts does for plain attention): RoPE's rotated Q, scores with the
 * softcap and ALiBi over rotated inputs, probabilities with sinks, outputs with grouped K/V heads,
 * end to end and stage by stage, each bound computed here from src/core/tolerance.ts with the
 * arguments its documentation names.
 */
import { checkAgainstReference } from '../src/core/compare-run';
import type { GpuStages } from '../src/core/compare-run';
import { resolveAlibiSlopes, resolveSinks } from '../src/core/features';
import type { AttentionOptions } from '../src/core/options';
import { causalShift } from '../src/core/options';
import { attentionReference, ropePositions, scoresReference, softmaxReference, weightedValuesReference } from '../src/core/reference';
import { randomMatrix } from '../src/core/rng';
import type { VerifiedStage } from '../src/core/stages';
import { matrix } from '../src/core/tensor';
import { fusedOutputTolerance, outputTolerance, ropeTolerance, scoreTolerance, softmaxTolerance } from '../src/core/tolerance';
import { checkStage } from '../src/core/verify/check-stage';
import type { StageOutputs } from '../src/core/verify/check-stage';
import type { Subject } from './helpers/tightness';
import { describeTightness } from './helpers/tightness';

const n = 6,
  m = 9,
  dk = 4,
  dv = 3,
  heads = 4,
  kvHeads = 2;
// Row 2 sees no key (a sink then takes all of its mass); scores spread wide enough for the softcap to bite.
const maskRows = Array.from({ length: n * m }, (_, e) => (Math.floor(e / m) === 2 ? 0 : (e * 7) % 5 === 0 ? 0 : 1));
const inputs = {
  q: randomMatrix(n, heads * dk, 501, 2),
  k: randomMatrix(m, kvHeads * dk, 502, 2),
  v: randomMatrix(m, kvHeads * dv, 503),
  mask: matrix(n, m, maskRows),
};
const options: Partial<AttentionOptions> = {
  heads,
  kvHeads,
  causal: true,
  rope: { layout: 'half', base: 10000, dims: null, offset: 3 },
  window: 5,
  alibi: 'standard',
  softcap: 2,
  sinks: [0.5, -1, 2, 0],
};
const ref = attentionReference(inputs, options);
const rope = options.rope!;
const positions = ropePositions(rope, causalShift(n, m));
const layout = { heads, kvHeads };
const alpha = 1 / Math.sqrt(dk);
const sinks = resolveSinks({ sinks: options.sinks! })!;
const ropeQ = ropeTolerance(inputs.q, heads, rope, positions.query);
const ropeK = ropeTolerance(inputs.k, kvHeads, rope, positions.key);
const scoreBound = scoreTolerance(ref.rotated!.q, ref.rotated!.k, layout, alpha, ref.masked.data, {
  qError: ropeQ,
  kError: ropeK,
  softcap: Math.fround(options.softcap!),
  scaled: ref.scaled.data,
  bias: ref.bias!.data,
});
const probBound = softmaxTolerance(ref.masked.data, ref.probs.data, heads * n, m, scoreBound, { logits: sinks, rowsPerHead: n });
const outputBound = outputTolerance(ref.probs.data, probBound, inputs.v, heads, n, kvHeads);

const exact: GpuStages = {
  rotated: { q: ref.rotated!.q.data, k: ref.rotated!.k.data },
  scores: ref.masked.data,
  probs: ref.probs.data,
  output: ref.output.data,
};

function endToEnd(
  name: string,
  tensor: 'rotatedQ' | 'scores' | 'probs' | 'output',
  expected: ArrayLike<number>,
  bound: ArrayLike<number>,
  cols: number,
): Subject {
  return {
    name,
    expected,
    bound,
    cols,
    float32: false,
    check(actual) {
      const gpu: GpuStages =
        tensor === 'rotatedQ' ? { ...exact, rotated: { q: actual, k: exact.rotated!.k } } : { ...exact, [tensor]: actual };
      const result = checkAgainstReference(inputs, options, gpu);
      return { comparison: result[tensor]!, pass: result.pass };
    },
  };
}

const f32 = (values: ArrayLike<number>) => Float32Array.from(values);
const maskedRows = Array.from({ length: n }, (_, i) => i === 2);

function alone(
  stage: VerifiedStage,
  name: string,
  expected: ArrayLike<number>,
  bound: ArrayLike<number>,
  cols: number,
  gpu: (actual: Float32Array) => StageOutputs,
): Subject {
  return {
    name,
    expected,
    bound,
    cols,
    float32: true,
    check(actual) {
      const result = checkStage(stage, inputs, options, gpu(f32(actual)), maskedRows);
      return { comparison: result.comparison, pass: result.comparison.pass };
    },
  };
}

// What the GPU's stages read: the float32 rotated Q and K, scores and probabilities.
const gpuRotated = { q: f32(ref.rotated!.q.data), k: f32(ref.rotated!.k.data) };
const gpuScores = f32(ref.masked.data),
  gpuProbs = f32(ref.probs.data);
const qIn = { rows: n, cols: heads * dk, data: gpuRotated.q },
  kIn = { rows: m, cols: kvHeads * dk, data: gpuRotated.k };
const aloneScores = scoresReference(qIn, kIn, layout, {
  scale: alpha,
  temperature: 1,
  causal: true,
  window: options.window,
  softcap: Math.fround(options.softcap!),
  slopes: resolveAlibiSlopes({ alibi: 'standard', heads }),
  mask: Uint8Array.from(maskRows),
});
const aloneProbs = softmaxReference(gpuScores, heads, n, m, sinks).data;
const aloneOutput = weightedValuesReference(gpuProbs, inputs.v, heads, n, kvHeads).data;
const noOutput = new Float32Array(ref.output.data.length);
const width = heads * dv;

describeTightness([
  endToEnd('end to end: RoPE’s rotated Q (ropeTolerance)', 'rotatedQ', ref.rotated!.q.data, ropeQ, heads * dk),
  endToEnd(
    'end to end: scores over rotated Q, K with softcap and ALiBi (scoreTolerance with the RoPE bounds)',
    'scores',
    ref.masked.data,
    scoreBound,
    m,
  ),
  endToEnd('end to end: probabilities with sinks (softmaxTolerance with the sink logits)', 'probs', ref.probs.data, probBound, m),
  endToEnd('end to end: output from grouped K/V heads (outputTolerance with kvHeads)', 'output', ref.output.data, outputBound, width),
  {
    name: 'end to end: fused output with sinks and grouped heads (fusedOutputTolerance)',
    expected: ref.output.data,
    bound: fusedOutputTolerance(ref.masked.data, ref.probs.data, scoreBound, inputs.v, heads, n, { kvHeads, sinks, dk }),
    cols: width,
    float32: false,
    check(actual) {
      const result = checkAgainstReference(inputs, options, { scores: null, probs: null, output: actual, onlineSoftmax: true });
      return { comparison: result.output, pass: result.pass };
    },
  },
  alone(
    'rope',
    'rope alone: rotated Q then K (ropeTolerance)',
    [...ref.rotated!.q.data, ...ref.rotated!.k.data],
    [...ropeQ, ...ropeK],
    heads * dk,
    (both) => ({
      rotated: { q: both.subarray(0, n * heads * dk), k: both.subarray(n * heads * dk) },
      scores: null,
      probs: null,
      output: noOutput,
    }),
  ),
  alone(
    'qk',
    'qk alone: scores of the GPU’s rotated Q and K (scoreTolerance, softcap, ALiBi)',
    aloneScores.masked.data,
    scoreTolerance(qIn, kIn, layout, alpha, aloneScores.masked.data, {
      softcap: Math.fround(options.softcap!),
      scaled: aloneScores.scaled.data,
      bias: aloneScores.bias!.data,
    }),
    m,
    (scores) => ({ rotated: gpuRotated, scores, probs: null, output: noOutput }),
  ),
  alone(
    'softmax',
    'softmax alone: probabilities with sinks (softmaxTolerance)',
    aloneProbs,
    softmaxTolerance(gpuScores, aloneProbs, heads * n, m, undefined, { logits: sinks, rowsPerHead: n }),
    m,
    (probs) => ({
      scores: gpuScores,
      probs,
      output: noOutput,
    }),
  ),
  alone(
    'pv',
    'pv alone: output from grouped V heads (outputTolerance)',
    aloneOutput,
    outputTolerance(Float64Array.from(gpuProbs), null, inputs.v, heads, n, kvHeads),
    width,
    (output) => ({
      scores: null,
      probs: gpuProbs,
      output,
    }),
  ),
]);
