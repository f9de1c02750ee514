/**
 * Checks one stage in isolation: its output against the float64 reference computed from the
 * stage's own GPU input (softmax of the GPU's scores, P·V of the GPU's probabilities, the GPU's output
 * times W_o), under the
 * stage-alone tolerances of ../tolerance.ts. A failure then points at the stage under test, not at
 * the rounding of the stages before it.
 */
import { POISON_BITS } from '../poison';
import type { AttentionInputs } from '../shapes';
import type { AttentionOptions } from '../options';
import { resolveScale, withDefaults } from '../options';
import { checkAgainstReference } from '../compare-run';
import type { Comparison } from '../metrics';
import { compare } from '../metrics';
import {
  projectionReference,
  ropePositions,
  ropeReference,
  scoresReference,
  softmaxReference,
  weightedValuesReference,
} from '../reference';
import { maskBytes } from '../shapes';
import type { STAGE_INFO, VerifiedStage } from '../stages';
import { activationReference } from '../activation';
import { activationTolerance, outputTolerance, projectionTolerance, ropeTolerance, scoreTolerance, softmaxTolerance } from '../tolerance';
import { kvHeadCount, resolveAlibiSlopes, resolveSinks } from '../features';
import { causalShift } from '../options';
import type { Matrix } from '../tensor';
import type { Precision } from '../precision';

/** The tensor a verified stage writes and its check reads ('fused' computes the whole operator, so it is checked end to end). */
export type CheckedTensor = (typeof STAGE_INFO)[VerifiedStage]['writes'];

/** The tensors a run read back: h×n×m scores and probabilities (when requested), the n×(h·dv) output and, with W_o, the n×d_model projection. */
export interface StageOutputs {
  /** Q and K after the GPU's RoPE stage (n×(h·dk), m×(kvHeads·dk)), when RoPE is on. */
  rotated?: { q: Float32Array; k: Float32Array } | null;
  scores: Float32Array | null;
  probs: Float32Array | null;
  output: Float32Array;
  projected?: Float32Array | null;
}

export { POISON_BITS } from '../poison';

export interface StageCheck {
  tensor: CheckedTensor;
  comparison: Comparison;
  /** Elements still holding the poison where a number was expected: never written. */
  unwritten: number;
  /** Inf/NaN the kernel computed where the reference is finite, in rows that see no key … */
  nonFiniteInMaskedRows: number;
  /** … and in every other row (a masked score's −∞ is not counted here but in maskMismatches). */
  nonFiniteElsewhere: number;
  /** Scores that are −∞ (hidden) where the reference has a number, or the reverse. */
  maskMismatches: number;
  /** actual / expected when that ratio is one constant (≠ 1) over the whole tensor, else null. */
  factor: number | null;
  /**
   * With an elementwise activation: rows that see a key whose weights sum to 1 where the reference's
   * do not (the kernel normalises as a softmax would). 0 otherwise.
   */
  normalisedRows: number;
  /**
   * With the softmax: rows whose reference sums to 1 where the kernel's row is that row times one
   * constant ≠ 1 (exp(s − max) never divided by the sum, or divided by a sum over part of the row). 0 otherwise.
   */
  unnormalisedRows: number;
}

interface Expected {
  tensor: CheckedTensor;
  actual: Float32Array;
  comparison: Comparison;
  expected: ArrayLike<number>;
  /** Query row of a flat element index. */
  rowOf: (index: number) => number;
}

function missing(stage: string, tensor: CheckedTensor): Error {
  const how = tensor === 'projected' ? 'give the inputs a W_o' : tensor === 'rotated' ? 'turn RoPE on' : 'run with intermediates: true';
  return new Error(`the ${stage} check needs the GPU ${tensor}; ${how}`);
}

function expectedFor(
  stage: VerifiedStage,
  inputs: AttentionInputs,
  partial: Partial<AttentionOptions>,
  gpu: StageOutputs,
  precision: Precision,
): Expected {
  if (precision === 'f16' && stage !== 'fused') throw new RangeError(`f16 storage exists for the fused stage only, not ${stage}`);
  const options = withDefaults(partial);
  const { q, k, v } = inputs;
  const h = options.heads,
    kvHeads = kvHeadCount(options),
    n = q.rows,
    m = k.rows,
    width = (v.cols / kvHeads) * h;
  const headRows = (index: number) => Math.floor(index / m) % n;
  const outputRows = (index: number) => Math.floor(index / width);
  switch (stage) {
    case 'rope': {
      if (!options.rope) throw new Error('the rope check needs RoPE on in the options');
      if (!gpu.rotated) throw missing(stage, 'rotated');
      const positions = ropePositions(options.rope, causalShift(n, m));
      const expectedQ = ropeReference(q, h, options.rope, positions.query).data;
      const expectedK = ropeReference(k, kvHeads, options.rope, positions.key).data;
      const actual = concat(gpu.rotated.q, gpu.rotated.k);
      const expected = concat(expectedQ, expectedK);
      const tol = concat(ropeTolerance(q, h, options.rope, positions.query), ropeTolerance(k, kvHeads, options.rope, positions.key));
      // Rows are Q's n rows, then K's m rows (as rows n … n + m − 1).
      const qSize = expectedQ.length;
      return {
        tensor: 'rotated',
        actual,
        expected,
        comparison: compare(actual, expected, tol, [1, 1, actual.length]),
        rowOf: (index) => (index < qSize ? Math.floor(index / q.cols) : 0),
      };
    }
    case 'qk': {
      if (!gpu.scores) throw missing(stage, 'scores');
      if (options.rope && !gpu.rotated) throw missing(stage, 'rotated');
      // With RoPE, the stage's own input is the GPU's rotated Q and K.
      const qIn: Matrix = gpu.rotated ? { rows: n, cols: q.cols, data: gpu.rotated.q } : q;
      const kIn: Matrix = gpu.rotated ? { rows: m, cols: k.cols, data: gpu.rotated.k } : k;
      // dk is K's width per head (Q's, dq, may differ for the general and additive scores).
      const dk = k.cols / kvHeads;
      const scale = resolveScale(options.scale, dk);
      const softcap = options.softcap === null ? null : Math.fround(options.softcap);
      const scoring = options.score === 'dot' ? null : (inputs.scoring ?? null);
      const { scaled, bias, masked } = scoresReference(
        qIn,
        kIn,
        { heads: h, kvHeads },
        {
          scale,
          temperature: options.temperature,
          causal: options.causal,
          window: options.window,
          softcap,
          slopes: resolveAlibiSlopes(options),
          mask: maskBytes(inputs.mask),
          scoring,
        },
      );
      const tol = scoreTolerance(qIn, kIn, { heads: h, kvHeads }, scale / options.temperature, masked.data, {
        scoring,
        softcap,
        scaled: scaled.data,
        bias: bias?.data,
      });
      return {
        tensor: 'scores',
        actual: gpu.scores,
        expected: masked.data,
        comparison: compare(gpu.scores, masked.data, tol, [h, n, m]),
        rowOf: headRows,
      };
    }
    case 'softmax': {
      if (!gpu.scores || !gpu.probs) throw missing(stage, 'scores');
      if (options.activation !== 'softmax') {
        // φ elementwise: each weight from its own score, no normalisation (../activation.ts).
        const expected = activationReference(gpu.scores, options.activation);
        const tol = activationTolerance(gpu.scores, options.activation);
        return {
          tensor: 'probs',
          actual: gpu.probs,
          expected,
          comparison: compare(gpu.probs, expected, tol, [h, n, m]),
          rowOf: headRows,
        };
      }
      const sinks = resolveSinks(options);
      const probs = softmaxReference(gpu.scores, h, n, m, sinks);
      const tol = softmaxTolerance(gpu.scores, probs.data, h * n, m, undefined, sinks && { logits: sinks, rowsPerHead: n });
      return {
        tensor: 'probs',
        actual: gpu.probs,
        expected: probs.data,
        comparison: compare(gpu.probs, probs.data, tol, [h, n, m]),
        rowOf: headRows,
      };
    }
    case 'pv': {
      if (!gpu.probs) throw missing(stage, 'probs');
      const out = weightedValuesReference(gpu.probs, v, h, n, kvHeads);
      const tol = outputTolerance(Float64Array.from(gpu.probs), null, v, h, n, kvHeads);
      return {
        tensor: 'output',
        actual: gpu.output,
        expected: out.data,
        comparison: compare(gpu.output, out.data, tol, [1, n, width]),
        rowOf: outputRows,
      };
    }
    case 'fused': {
      // One pass with an online softmax: held to the fused bound, which covers its rescaling (and,
      // with f16 storage, each input's rounding to a half).
      const check = checkAgainstReference(inputs, options, {
        scores: null,
        probs: null,
        output: gpu.output,
        onlineSoftmax: true,
        precision,
      });
      return { tensor: 'output', actual: gpu.output, expected: check.reference.output.data, comparison: check.output, rowOf: outputRows };
    }
    case 'project': {
      if (!inputs.wo) throw new Error('the project check needs W_o in the inputs');
      if (!gpu.projected) throw missing(stage, 'projected');
      // The GPU's own O, read back, is exact input here: its error bound is 0.
      const output = { rows: n, cols: width, data: Float64Array.from(gpu.output) };
      const projected = projectionReference(output, inputs.wo);
      const tol = projectionTolerance(output.data, new Float64Array(output.data.length), inputs.wo, n);
      const dModel = inputs.wo.cols;
      return {
        tensor: 'projected',
        actual: gpu.projected,
        expected: projected.data,
        comparison: compare(gpu.projected, projected.data, tol, [1, n, dModel]),
        rowOf: (index) => Math.floor(index / dModel),
      };
    }
  }
}

/** a then b in one array: the rope stage's tensor is its rotated Q followed by its rotated K. */
export function concat<T extends Float32Array | Float64Array>(a: T, b: T): T {
  const out = new (a.constructor as new (length: number) => T)(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * The stage's output against its reference, with the symptoms the diagnosis reads. `precision`
 * 'f16': the kernel read Q, K and V as packed halves (fused only), so the bound adds their rounding.
 */
export function checkStage(
  stage: VerifiedStage,
  inputs: AttentionInputs,
  options: Partial<AttentionOptions>,
  gpu: StageOutputs,
  maskedRows: readonly boolean[],
  precision: Precision = 'f32',
): StageCheck {
  const { tensor, actual, expected, comparison, rowOf } = expectedFor(stage, inputs, options, gpu, precision);
  const bits = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  let unwritten = 0,
    nonFiniteInMaskedRows = 0,
    nonFiniteElsewhere = 0,
    maskMismatches = 0;
  for (let i = 0; i < actual.length; i++) {
    const hidden = actual[i] === -Infinity,
      expectedHidden = expected[i] === -Infinity;
    if (tensor === 'scores' && hidden !== expectedHidden && !Number.isNaN(actual[i])) {
      maskMismatches++;
      continue;
    }
    if (Number.isFinite(actual[i]) || !Number.isFinite(expected[i])) continue;
    if (bits[i] === POISON_BITS) unwritten++;
    else if (maskedRows[rowOf(i)]) nonFiniteInMaskedRows++;
    else nonFiniteElsewhere++;
  }
  return {
    tensor,
    comparison,
    unwritten,
    nonFiniteInMaskedRows,
    nonFiniteElsewhere,
    maskMismatches,
    factor: constantFactor(actual, expected),
    normalisedRows:
      stage === 'softmax' && withDefaults(options).activation !== 'softmax'
        ? normalisedRows(actual, expected, gpu.scores!, inputs.k.rows)
        : 0,
    unnormalisedRows:
      stage === 'softmax' && withDefaults(options).activation === 'softmax' ? unnormalisedRows(actual, expected, inputs.k.rows) : 0,
  };
}

/**
 * Rows of m probabilities whose reference sums to 1 and whose kernel row is the reference row
 * times one constant that is not 1 (to 1e-3 over the row's sizeable elements): the row was not
 * normalised. A row with a sink (its reference sums to less than 1), a fully masked row (0), a row
 * that came out all zero (a factor of 0 is no normalisation's) or an Inf/NaN is not counted, nor a
 * row that is wrong in shape (indices, masking): it is not a multiple.
 */
function unnormalisedRows(actual: Float32Array, expected: ArrayLike<number>, m: number): number {
  const rows = actual.length / m;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    let a = 0,
      e = 0,
      largest = 0,
      finite = true;
    for (let j = r * m; j < (r + 1) * m; j++) {
      finite &&= Number.isFinite(actual[j]);
      a += actual[j];
      e += expected[j];
      largest = Math.max(largest, expected[j]);
    }
    // A row of zeros (sum 0) is the reference times 0, which is no normalisation's constant: every
    // weight was lost (a running max started at a finite floor above all the row's scores).
    if (!finite || Math.abs(e - 1) > 1e-4 || Math.abs(a - 1) <= 1e-3 || !(a > 1e-3)) continue;
    let multiple = true;
    for (let j = r * m; j < (r + 1) * m && multiple; j++)
      if (expected[j] >= 0.01 * largest) multiple = Math.abs(actual[j] / expected[j] - a) <= 1e-3 * a;
    if (multiple) count++;
  }
  return count;
}

/** Rows of m weights with two or more visible keys that sum to 1 in `actual` but not in `expected`. */
function normalisedRows(actual: Float32Array, expected: ArrayLike<number>, scores: Float32Array, m: number): number {
  const rows = actual.length / m;
  let count = 0;
  for (let r = 0; r < rows; r++) {
    let a = 0,
      e = 0,
      visible = 0;
    for (let j = r * m; j < (r + 1) * m; j++) {
      if (scores[j] === -Infinity) continue;
      visible++;
      a += actual[j];
      e += expected[j];
    }
    if (visible > 1 && Math.abs(a - 1) < 1e-4 && Math.abs(e - 1) > 1e-2) count++;
  }
  return count;
}

/**
 * The ratio actual/expected when every sizeable element (≥ 10% of the largest) has the same one
 * to 1e-3 and it is not 1: the mark of a missing or doubled scale or temperature.
 */
export function constantFactor(actual: ArrayLike<number>, expected: ArrayLike<number>): number | null {
  let largest = 0;
  for (let i = 0; i < expected.length; i++) {
    if (Number.isFinite(expected[i])) largest = Math.max(largest, Math.abs(expected[i]));
    else if (!Object.is(actual[i], expected[i])) return null; // a masked −∞ must stay −∞
  }
  if (largest === 0) return null;
  const ratios: number[] = [];
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i],
      a = actual[i];
    if (!Number.isFinite(e) || Math.abs(e) < 0.1 * largest) continue;
    if (!Number.isFinite(a)) return null;
    ratios.push(a / e);
  }
  ratios.sort((x, y) => x - y);
  const factor = ratios[Math.floor(ratios.length / 2)];
  if (factor === undefined || !(Math.abs(factor - 1) > 1e-3) || factor === 0) return null;
  return ratios.every((r) => Math.abs(r - factor) <= 1e-3 * Math.abs(factor)) ? factor : null;
}

/** How many elements differ, bit for bit, between two runs of the same case (NaN payloads included). */
export function differingElements(first: Float32Array, second: Float32Array): number {
  const a = new Uint32Array(first.buffer, first.byteOffset, first.length);
  const b = new Uint32Array(second.buffer, second.byteOffset, second.length);
  let count = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) count++;
  return count;
}
