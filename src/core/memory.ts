/**
 * A key–value memory read in hops (the seeds' history of attention: "Memory Networks — store facts
 * as memory slots → End-to-End Memory Networks — multi-hop reasoning over memory → Key–Value Memory
 * Networks — separate keys for matching, values for retrieval").
 *
 * m slots, keys K (m×d) and values V (m×d), a query q₁ (1×d), h hops. Hop t is one attention call
 * with a single query row, plain dot-product scores and the softmax:
 *   p_t = softmax(q_t Kᵀ · scale / temperature),  o_t = p_t V
 * and the query moves on by the update rule:
 *   residual  q_{t+1} = q_t + o_t
 *   rotate    q_{t+1} = R (q_t + o_t)   (R d×d, q as a column: (R x)_i = Σ_j R_ij x_j)
 * Each hop's query is an input to the attention operator, so it is float32 (as the GPU gets it): the
 * chain rounds q_{t+1} to float32 before hop t + 1. All other arithmetic is float64
 * (attentionReference of ./reference.ts, once per hop).
 */
import { InputError } from './errors';
import type { AttentionOptions, ScaleSetting } from './options';
import type { ReferenceResult } from './reference';
import { attentionReference } from './reference';
import type { Matrix } from './tensor';
import { firstNonFinite, matrix } from './tensor';
import { checkFloat32 } from './float32';

export type MemoryUpdate = 'residual' | 'rotate';
export const MEMORY_UPDATES: readonly MemoryUpdate[] = ['residual', 'rotate'];
export const MAX_HOPS = 16;

export interface MemoryProblem {
  /** m×d: slot j is matched by its key. */
  keys: Matrix;
  /** m×d: what slot j gives back. Same width as the query, since the output feeds the next query. */
  values: Matrix;
  /** 1×d: the first hop's query. */
  query: Matrix;
  hops: number;
  update: MemoryUpdate;
  /** d×d; used (and required) by the 'rotate' update only. */
  rotation: Matrix | null;
  temperature: number;
  scale: ScaleSetting;
}

export interface MemoryHop {
  /** q_t, the float32 query this hop ran with (1×d). */
  query: Float32Array;
  /** The scaled scores q_t·Kᵀ·scale/temperature (m). */
  scores: Float64Array;
  /** p_t (m), sums to 1. */
  weights: Float64Array;
  /** o_t = p_t V (d). */
  output: Float64Array;
  /** q_{t+1} in float64, before its rounding to float32. */
  next: Float64Array;
}

/** The attention options of every hop: dot scores, the softmax, the problem's scale and temperature. */
export function memoryOptions(problem: Pick<MemoryProblem, 'scale' | 'temperature'>): Partial<AttentionOptions> {
  return { score: 'dot', activation: 'softmax', scale: problem.scale, temperature: problem.temperature };
}

/** Checks shapes, hops, update and finiteness; throws an InputError naming the first problem. */
export function checkMemory(problem: MemoryProblem): void {
  const { keys, values, query, hops, update, rotation, temperature } = problem;
  if (!Number.isInteger(hops) || hops < 1 || hops > MAX_HOPS) throw new InputError(`hops must be 1 to ${MAX_HOPS}, got ${hops}`);
  if (!MEMORY_UPDATES.includes(update)) throw new InputError(`the update must be 'residual' or 'rotate', got ${String(update)}`);
  if (keys.rows < 1) throw new InputError('the memory has no slots: give at least one key and value');
  if (keys.rows !== values.rows) throw new InputError(`K has ${keys.rows} slots but V has ${values.rows}: every key needs a value`);
  if (query.rows !== 1) throw new InputError(`the query must be one row, got ${query.rows}`);
  const d = query.cols;
  if (keys.cols !== d) throw new InputError(`the query has width ${d} but K has width ${keys.cols}: they must match`);
  if (values.cols !== d)
    throw new InputError(`V has width ${values.cols} but the query has width ${d}: o_t is added to q_t, so they must match`);
  for (const [name, m] of [
    ['K', keys],
    ['V', values],
    ['q', query],
    ['R', rotation],
  ] as const) {
    if (!m) continue;
    const bad = firstNonFinite(m);
    if (bad) throw new InputError(`${name}[${bad.row}][${bad.col}] is ${bad.value}, not a finite number`);
  }
  if (update === 'rotate') {
    if (!rotation) throw new InputError("the 'rotate' update needs a matrix R (d×d)");
    if (rotation.rows !== d || rotation.cols !== d)
      throw new InputError(`R is ${rotation.rows}×${rotation.cols} but must be d×d = ${d}×${d}`);
  }
  if (!(temperature > 0) || !Number.isFinite(temperature))
    throw new InputError(`temperature must be a positive finite number, got ${temperature}`);
  checkFloat32(temperature, 'temperature');
}

/** q_{t+1} from q_t and o_t by the update rule, in float64. */
export function nextQuery(
  query: ArrayLike<number>,
  output: ArrayLike<number>,
  update: MemoryUpdate,
  rotation: Matrix | null,
): Float64Array {
  const d = query.length;
  const sum = Float64Array.from({ length: d }, (_, i) => query[i] + output[i]);
  if (update === 'residual') return sum;
  const r = rotation!;
  const out = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let acc = 0;
    for (let j = 0; j < d; j++) acc += r.data[i * d + j] * sum[j];
    out[i] = acc;
  }
  return out;
}

/** The float64 reference of one hop for the float32 query `query` (1×d). */
export function hopReference(problem: MemoryProblem, query: Matrix): ReferenceResult {
  return attentionReference({ q: query, k: problem.keys, v: problem.values }, memoryOptions(problem));
}

/** One hop from the query it ran with: weights, output and next query. */
export function hopFromReference(problem: MemoryProblem, query: Float32Array, ref: ReferenceResult): MemoryHop {
  const output = ref.output.data;
  return {
    query,
    scores: ref.scaled.data,
    weights: ref.probs.data,
    output,
    next: nextQuery(query, output, problem.update, problem.rotation),
  };
}

/** Every hop in float64 (each hop's query rounded to float32, as it goes to the operator). Throws InputError on bad input. */
export function memoryReference(problem: MemoryProblem): MemoryHop[] {
  checkMemory(problem);
  const hops: MemoryHop[] = [];
  let q = Float32Array.from(problem.query.data);
  for (let t = 0; t < problem.hops; t++) {
    const hop = hopFromReference(problem, q, hopReference(problem, matrix(1, q.length, q)));
    hops.push(hop);
    q = Float32Array.from(hop.next);
    const bad = q.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw new InputError(`the query after hop ${t + 1} overflows float32 at dimension ${bad}: use a smaller R or fewer hops`);
  }
  return hops;
}
