import { InputError } from './errors';
import type { Matrix } from './tensor';
import { firstNonFinite } from './tensor';
import type { AttentionOptions } from './options';
import { ACTIVATIONS, SCORE_FUNCTIONS } from './options';
import { kvHeadChoices, kvHeadCount, ropeDims } from './features';
import { checkFloat32 } from './float32';
import { checkScoring } from './scoring';

export interface AttentionInputs {
  q: Matrix;
  k: Matrix;
  v: Matrix;
  /** n×m; a non-zero entry means the query may attend that key. Shared by all heads. */
  mask?: Matrix | null;
  /** Optional output projection W_o, (h·dv)×d_model, applied to the concatenated heads. */
  wo?: Matrix | null;
  /** The learned weights of the general or additive score function (options.score); null/absent for dot. */
  scoring?: ScoringWeights | null;
}

/**
 * Weights of the score functions that have them, shared by every head (dq, dk: per-head widths of Q
 * and K, which these two allow to differ; a: the additive attention's hidden width):
 *   general   w: dq×dk, score = q_iᵀ W k_j
 *   additive  wq: a×dq, wk: a×dk, v: 1×a, score = vᵀ tanh(W_q q_i + W_k k_j)
 */
export type ScoringWeights = { kind: 'general'; w: Matrix } | { kind: 'additive'; wq: Matrix; wk: Matrix; v: Matrix };

export interface AttentionShape {
  n: number;
  m: number;
  /**
   * Q's width per head: dk for dot; general and additive allow their own (src/core/scoring.ts).
   * checkInputs always sets it; optional so that shapes written for dot (costs, tests) need not.
   */
  dq?: number;
  dk: number;
  dv: number;
  heads: number;
  /** K/V heads (= heads without grouped-query attention); K is m×(kvHeads·dk), V is m×(kvHeads·dv). */
  kvHeads: number;
  /** Columns of W_o, or null when there is no output projection. */
  dModel: number | null;
  /** The additive score's hidden width a (W_q's rows); 0 (or absent) for dot and general. */
  scoreDim?: number;
}

/** Checks shapes, finiteness and options; returns the per-head sizes or throws an InputError naming the problem. */
export function checkInputs(
  inputs: AttentionInputs,
  options: AttentionOptions,
  checked: (data: Matrix['data']) => boolean = () => false,
): AttentionShape {
  const { q, k, v, mask, wo } = inputs;
  // Values of an array `checked` vouches for (unchanged since it was checked) are not scanned again.
  const firstBad = (t: Matrix) => (checked(t.data) ? null : firstNonFinite(t));
  const heads = options.heads;
  if (!Number.isInteger(heads) || heads < 1) throw new InputError(`heads must be a positive integer, got ${heads}`);
  const kvHeads = checkKvHeads(options);
  for (const [name, t] of [
    ['Q', q],
    ['K', k],
    ['V', v],
  ] as const) {
    if (t.rows < 1 || t.cols < 1) throw new InputError(`${name} is empty (${t.rows}×${t.cols})`);
    const bad = firstBad(t);
    if (bad) throw new InputError(`${name}[${bad.row}][${bad.col}] is ${bad.value}, not a finite number`);
  }
  if (q.cols % heads !== 0) throw new InputError(`Q width ${q.cols} is not divisible by ${heads} heads`);
  const dq = q.cols / heads;
  if (!SCORE_FUNCTIONS.includes(options.score))
    throw new InputError(`the score function must be one of ${SCORE_FUNCTIONS.join(', ')}, got ${String(options.score)}`);
  const learned = options.score === 'general' || options.score === 'additive';
  let dk = dq;
  if (learned) {
    // General and additive scores let Q's and K's widths differ: dk comes from K.
    if (k.cols % kvHeads !== 0)
      throw new InputError(`K width ${k.cols} is not divisible by ${kvHeads} ${kvHeads === heads ? '' : 'K/V '}heads`);
    dk = k.cols / kvHeads;
    if (options.rope && dq !== dk)
      throw new InputError(
        `RoPE rotates Q and K alike, so it needs Q's and K's widths per head to match: dq = ${dq}, dk = ${dk}; turn RoPE off or make them equal`,
      );
  } else if (kvHeads === heads) {
    if (q.cols !== k.cols) {
      const groups = k.cols / dk;
      const hint =
        Number.isInteger(groups) && heads % groups === 0
          ? `; or, for grouped-query attention, set K/V heads to ${groups} (${groups} heads of dk = ${dk})`
          : '';
      throw new InputError(`Q has ${q.cols} columns but K has ${k.cols}: queries and keys must have the same width${hint}`);
    }
  } else if (k.cols !== kvHeads * dk) {
    throw new InputError(
      `K has ${k.cols} columns but must have K/V heads × dk = ${kvHeads} × ${dk} = ${kvHeads * dk} (Q's ${q.cols} columns are ${heads} heads of ${dk})`,
    );
  }
  if (k.rows !== v.rows) throw new InputError(`K has ${k.rows} rows but V has ${v.rows}: every key needs a value`);
  if (v.cols % kvHeads !== 0)
    throw new InputError(`V width ${v.cols} is not divisible by ${kvHeads} ${kvHeads === heads ? '' : 'K/V '}heads`);
  const dv = v.cols / kvHeads;
  if (mask) {
    if (mask.rows !== q.rows || mask.cols !== k.rows) {
      throw new InputError(`mask is ${mask.rows}×${mask.cols} but must be n×m = ${q.rows}×${k.rows}`);
    }
    const bad = firstBad(mask);
    if (bad) throw new InputError(`mask[${bad.row}][${bad.col}] is ${bad.value}, not a finite number`);
  }
  if (wo) {
    if (wo.rows !== heads * dv || wo.cols < 1) {
      throw new InputError(
        `W_o is ${wo.rows}×${wo.cols} but must have h·dv = ${heads * dv} rows (one per concatenated head column) and at least one column`,
      );
    }
    const bad = firstBad(wo);
    if (bad) throw new InputError(`W_o[${bad.row}][${bad.col}] is ${bad.value}, not a finite number`);
  }
  const { scale, temperature } = options;
  if (typeof scale === 'number') {
    if (!Number.isFinite(scale)) throw new InputError(`scale must be a finite number, got ${scale}`);
    checkFloat32(scale, 'scale');
  }
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new InputError(`temperature must be a positive finite number, got ${temperature}`);
  checkFloat32(temperature, 'temperature');
  checkFeatures(options, dk);
  const scoreDim = checkScoring(inputs.scoring, options.score, dq, dk);
  return { n: q.rows, m: k.rows, dq, dk, dv, heads, kvHeads, dModel: wo ? wo.cols : null, scoreDim };
}

/**
 * What d_k and d_v per head make of Q, K and V's widths, in the words of every panel that sizes
 * them per head (sentence mode's projections, the random problem): the grids show the whole widths.
 */
export function perHeadWidths(heads: number, kvHeads: number, dk: number, dv: number): string {
  if (kvHeads === heads) return `per head: ${heads} heads give Q, K ${heads}·${dk} = ${heads * dk} columns, V ${heads * dv}`;
  const kv = kvHeads === 1 ? '1 K/V head gives' : `${kvHeads} K/V heads give`;
  return `per head: ${heads} heads give Q ${heads}·${dk} = ${heads * dk} columns; ${kv} K ${kvHeads * dk}, V ${kvHeads * dv}`;
}

/** The K/V heads in use, checked to be a whole number that divides the query heads; an InputError naming the choices otherwise. */
export function checkKvHeads(options: Pick<AttentionOptions, 'heads' | 'kvHeads'>): number {
  const kvHeads = kvHeadCount(options);
  if (!Number.isInteger(kvHeads) || kvHeads < 1) throw new InputError(`K/V heads must be a whole number ≥ 1, got ${kvHeads}`);
  if (options.heads % kvHeads !== 0)
    throw new InputError(
      options.heads === 1
        ? `K/V heads (${kvHeads}) must divide the 1 query head: choose 1`
        : `K/V heads (${kvHeads}) must divide the ${options.heads} query heads, so that each K/V head serves the same number of them: choose ${kvHeadChoices(options.heads).join(', ')}`,
    );
  return kvHeads;
}

/** The features' own options (./features.ts), K/V heads included: each bad value is an InputError naming it. */
export function checkFeatures(options: AttentionOptions, dk: number): void {
  const { rope, window, alibi, softcap, sinks, heads } = options;
  checkKvHeads(options);
  if (window !== null && !(Number.isInteger(window) && window >= 1))
    throw new InputError(`the sliding window must be a whole number of keys ≥ 1, got ${window}`);
  if (softcap !== null && !(softcap > 0 && Number.isFinite(softcap)))
    throw new InputError(`the logit softcap must be a positive finite number, got ${softcap}`);
  if (softcap !== null) checkFloat32(softcap, 'the logit softcap');
  if (alibi !== null && alibi !== 'standard') {
    if (alibi.length !== heads)
      throw new InputError(
        `ALiBi needs one slope per query head: got ${alibi.length} slope${alibi.length === 1 ? '' : 's'} for ${heads} head${heads === 1 ? '' : 's'}`,
      );
    const bad = alibi.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new InputError(`ALiBi slope ${bad} is ${alibi[bad]}, not a finite number`);
    alibi.forEach((x, i) => checkFloat32(x, `ALiBi slope ${i}`));
  }
  if (sinks !== null) {
    if (sinks.length !== heads)
      throw new InputError(`attention sinks need one logit per query head: got ${sinks.length} for ${heads} head${heads === 1 ? '' : 's'}`);
    const bad = sinks.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new InputError(`sink logit ${bad} is ${sinks[bad]}, not a finite number`);
    sinks.forEach((x, i) => checkFloat32(x, `sink logit ${i}`));
  }
  if (!ACTIVATIONS.includes(options.activation))
    throw new InputError(`the activation must be one of ${ACTIVATIONS.join(', ')}, got ${String(options.activation)}`);
  if (sinks !== null && options.activation !== 'softmax')
    throw new InputError(
      `attention sinks need the softmax: a sink logit joins the softmax's denominator, and ${options.activation} has none (turn the sinks off or use activation softmax)`,
    );
  if (rope !== null) {
    if (rope.layout !== 'interleaved' && rope.layout !== 'half')
      throw new InputError(`the RoPE pair layout must be 'interleaved' or 'half', got ${String(rope.layout)}`);
    if (!(rope.base > 1 && Number.isFinite(rope.base)))
      throw new InputError(`the RoPE base θ must be a finite number > 1, got ${rope.base}`);
    checkFloat32(rope.base, 'the RoPE base θ');
    if (!Number.isInteger(rope.offset) || Math.abs(rope.offset) > 2 ** 24)
      throw new InputError(`the RoPE position offset must be a whole number within ±2^24, got ${rope.offset}`);
    const r = ropeDims(rope, dk);
    if (rope.dims === null && dk % 2 !== 0)
      throw new InputError(`RoPE rotates pairs of dimensions, so it needs an even head width dk, got ${dk}`);
    if (!(Number.isInteger(r) && r >= 2 && r % 2 === 0 && r <= dk))
      throw new InputError(`RoPE's rotated dimensions must be an even number from 2 to dk = ${dk}, got ${r}`);
  }
}

/** [start, end) checked to be a non-empty range of query rows inside [0, n); all rows when undefined. */
export function resolveRows(rows: readonly [number, number] | undefined, n: number): [number, number] {
  const [start, end] = rows ?? [0, n];
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= n && start < end)) {
    throw new RangeError(`rows [${start}, ${end}) is not a non-empty range inside [0, ${n})`);
  }
  return [start, end];
}

/** Mask as one byte per element (1 = may attend), or null when there is no explicit mask. */
export function maskBytes(mask: Matrix | null | undefined): Uint8Array | null {
  if (!mask) return null;
  return Uint8Array.from(mask.data, (x) => (x !== 0 ? 1 : 0));
}
