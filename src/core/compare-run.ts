/**
 * A whole run's GPU results against the float64 reference computed from the original inputs, every
 * stage under tolerances propagated through the stages before it. (The verifier's single-stage
 * check, which starts from the stage's own GPU input, is ./verify/check-stage.ts.)
 */
import type { AttentionInputs } from './shapes';
import type { AttentionOptions } from './options';
import { resolveScale, withDefaults } from './options';
import type { Comparison } from './metrics';
import { compare } from './metrics';
import type { ReferenceResult } from './reference';
import { attentionReference } from './reference';
import { resolveRows } from './shapes';
import { rowRange } from './tensor';
import type { FusedToleranceOptions } from './tolerance';
import {
  activationTolerance,
  fusedOutputTolerance,
  outputTolerance,
  projectionTolerance,
  ropeTolerance,
  scoreTolerance,
  softmaxTolerance,
} from './tolerance';
import { resolveSinks } from './features';
import { causalShift } from './options';
import { ropePositions } from './reference';
import type { Precision } from './precision';
import { halfRoundingErrors } from './half';

export interface GpuStages {
  /** Q and K after the GPU's RoPE stage (n×(h·dk), m×(kvHeads·dk)), when it ran and was read back. */
  rotated?: { q: ArrayLike<number>; k: ArrayLike<number> } | null;
  scores: ArrayLike<number> | null;
  probs: ArrayLike<number> | null;
  output: ArrayLike<number>;
  /** The projected output (rows × d_model) when the inputs carry W_o. */
  projected?: { readonly data: ArrayLike<number> } | null;
  /** The query rows the results cover, [start, end); all rows when absent. */
  rows?: [number, number];
  /**
   * True when the output came from a one-pass online softmax (the 'fused' variant): its
   * rescaling adds error, so the output is held to fusedOutputTolerance instead of stages 2–3.
   */
  onlineSoftmax?: boolean;
  /** Passed to fusedOutputTolerance for online-softmax outputs. */
  fused?: FusedToleranceOptions;
  /** 'f16' when the kernel read Q, K and V as halves (f16 storage): their rounding joins the bounds. */
  precision?: Precision;
}

export interface StageComparisons {
  reference: ReferenceResult;
  /** RoPE's rotated Q and K, when the GPU returned them. */
  rotatedQ: Comparison | null;
  rotatedK: Comparison | null;
  scores: Comparison | null;
  probs: Comparison | null;
  output: Comparison;
  /** null when there is no W_o (or the GPU result has no projection to compare). */
  projected: Comparison | null;
  pass: boolean;
}

/**
 * End-to-end comparison: every GPU stage against the reference computed from the original inputs,
 * with the bounds propagated through the stages before it (src/core/tolerance.ts). A `reference`
 * passed in must cover the same rows as the GPU result.
 */
export function checkAgainstReference(
  inputs: AttentionInputs,
  partial: Partial<AttentionOptions>,
  gpu: GpuStages,
  reference?: ReferenceResult,
): StageComparisons {
  const options = withDefaults(partial);
  const rows = resolveRows(gpu.rows, inputs.q.rows);
  const ref = reference ?? attentionReference(inputs, options, rows);
  const { m, heads } = ref.shape;
  const n = rows[1] - rows[0];
  const bounds = referenceBounds(inputs, options, ref, gpu.onlineSoftmax ?? false, gpu.fused, gpu.precision);
  const { scoreTol, probTol, outTol } = bounds;
  const dims: [number, number, number] = [heads, n, m];
  const scores = gpu.scores ? compare(gpu.scores, ref.masked.data, scoreTol, dims) : null;
  const probs = gpu.probs && probTol ? compare(gpu.probs, ref.probs.data, probTol, dims) : null;
  const output = compare(gpu.output, ref.output.data, outTol, [1, n, ref.output.cols]);
  let projected: Comparison | null = null;
  if (inputs.wo && ref.projected && gpu.projected) {
    const tol = projectionTolerance(ref.output.data, outTol, inputs.wo, n);
    projected = compare(gpu.projected.data, ref.projected.data, tol, [1, n, ref.projected.cols]);
  }
  let rotatedQ: Comparison | null = null,
    rotatedK: Comparison | null = null;
  if (gpu.rotated && ref.rotated && bounds.rope) {
    rotatedQ = compare(gpu.rotated.q, ref.rotated.q.data, bounds.rope.q, [1, n, ref.rotated.q.cols]);
    rotatedK = compare(gpu.rotated.k, ref.rotated.k.data, bounds.rope.k, [1, m, ref.rotated.k.cols]);
  }
  const pass =
    output.pass &&
    (scores?.pass ?? true) &&
    (probs?.pass ?? true) &&
    (projected?.pass ?? true) &&
    (rotatedQ?.pass ?? true) &&
    (rotatedK?.pass ?? true);
  return { reference: ref, rotatedQ, rotatedK, scores, probs, output, projected, pass };
}

/** The end-to-end bounds of every stage of a reference result (rows as the reference's). */
export interface ReferenceBounds {
  /** Bounds of RoPE's rotated Q and K; null without RoPE. */
  rope: { q: Float64Array; k: Float64Array } | null;
  scoreTol: Float64Array;
  /** null for an online-softmax output, which has no probabilities. */
  probTol: Float64Array | null;
  outTol: Float64Array;
}

/**
 * Every stage's bound for a GPU run that started from `inputs` (./tolerance.ts), propagated from
 * the stages before it: RoPE's rotation into the scores, the scores into the softmax, the
 * probabilities into the output (or the scores straight into the output for an online softmax).
 * With f16 storage the inputs' rounding to halves enters the scores and the output (only the
 * online-softmax kernel has f16 storage).
 */
export function referenceBounds(
  inputs: AttentionInputs,
  options: AttentionOptions,
  ref: ReferenceResult,
  onlineSoftmax: boolean,
  fused: FusedToleranceOptions = {},
  precision: Precision = 'f32',
): ReferenceBounds {
  const { m, heads, kvHeads, dk } = ref.shape;
  const [start, end] = ref.rows;
  const n = end - start;
  const layout = { heads, kvHeads };
  const q32 = rowRange(inputs.q, start, end);
  let rope: ReferenceBounds['rope'] = null;
  if (options.rope && ref.rotated) {
    const positions = ropePositions(options.rope, causalShift(ref.shape.n, m, start));
    rope = {
      q: ropeTolerance(q32, heads, options.rope, positions.query),
      k: ropeTolerance(inputs.k, kvHeads, options.rope, positions.key),
    };
  }
  const half = precision === 'f16';
  if (half && (rope || !onlineSoftmax)) throw new RangeError('f16 storage bounds exist for the fused variant without RoPE only');
  const alpha = resolveScale(options.scale, dk) / options.temperature;
  const scoreTol = scoreTolerance(ref.rotated?.q ?? q32, ref.rotated?.k ?? inputs.k, layout, alpha, ref.masked.data, {
    qError: half ? halfRoundingErrors(q32.data) : rope?.q,
    kError: half ? halfRoundingErrors(inputs.k.data) : rope?.k,
    softcap: options.softcap === null ? null : Math.fround(options.softcap),
    scaled: ref.scaled.data,
    bias: ref.bias?.data,
    scoring: options.score === 'dot' ? null : inputs.scoring,
  });
  const sinks = resolveSinks(options);
  if (options.activation !== 'softmax') {
    // An elementwise φ has no online form: only the three-pass variants run it (the engine refuses fused).
    if (onlineSoftmax) throw new RangeError(`the fused variant has no ${options.activation} (an online softmax only)`);
    const probTol = activationTolerance(ref.masked.data, options.activation, scoreTol);
    return { rope, scoreTol, probTol, outTol: outputTolerance(ref.probs.data, probTol, inputs.v, heads, n, kvHeads) };
  }
  if (onlineSoftmax) {
    const vError = half ? halfRoundingErrors(inputs.v.data) : null;
    const outTol = fusedOutputTolerance(ref.masked.data, ref.probs.data, scoreTol, inputs.v, heads, n, {
      dk,
      ...fused,
      kvHeads,
      sinks,
      vError,
    });
    return { rope, scoreTol, probTol: null, outTol };
  }
  const probTol = softmaxTolerance(ref.masked.data, ref.probs.data, heads * n, m, scoreTol, sinks && { logits: sinks, rowsPerHead: n });
  const outTol = outputTolerance(ref.probs.data, probTol, inputs.v, heads, n, kvHeads);
  return { rope, scoreTol, probTol, outTol };
}

/**
 * The output checked row by row on the sampled rows (each against the float64 reference of that row
 * alone), merged into one comparison whose positions name the real rows. `gpu` carries what the
 * tolerances depend on (online softmax, precision); the output is the whole n×(h·dv) result.
 */
export function checkSampledRows(
  inputs: AttentionInputs,
  options: Partial<AttentionOptions>,
  gpu: Omit<GpuStages, 'output'>,
  output: Float32Array,
  rows: readonly number[],
): StageComparisons {
  const width = output.length / inputs.q.rows;
  let merged: StageComparisons | null = null;
  for (const row of rows) {
    const check = checkAgainstReference(inputs, options, {
      ...gpu,
      rotated: null,
      scores: null,
      probs: null,
      projected: null,
      output: output.subarray(row * width, (row + 1) * width),
      rows: [row, row + 1],
    });
    const o = check.output;
    const at = (w: Comparison['worst']): Comparison['worst'] => w && { ...w, position: [w.position[0], row, w.position[2]] };
    const rowOutput: Comparison = { ...o, worst: at(o.worst), firstBad: at(o.firstBad) };
    if (!merged) {
      merged = { ...check, output: rowOutput };
      continue;
    }
    const m: Comparison = merged.output;
    const worse = (o.worst?.error ?? 0) / (o.worst?.tolerance || 1) > (m.worst?.error ?? 0) / (m.worst?.tolerance || 1);
    merged = {
      ...merged,
      pass: merged.pass && check.pass,
      output: {
        count: m.count + o.count,
        failures: m.failures + o.failures,
        pass: m.pass && o.pass,
        maxAbs: Math.max(m.maxAbs, o.maxAbs),
        maxRel: Math.max(m.maxRel, o.maxRel),
        maxUlp: Math.max(m.maxUlp, o.maxUlp),
        nanMismatches: m.nanMismatches + o.nanMismatches,
        infMismatches: m.infMismatches + o.infMismatches,
        worst: worse ? rowOutput.worst : m.worst,
        firstBad: m.firstBad ?? rowOutput.firstBad,
      },
    };
  }
  return merged!;
}
