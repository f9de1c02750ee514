/**
 * The learned score functions (options.score 'general' and 'additive'): their weights' checks and
 * the float64 raw score each computes. 'dot' has no weights; its raw score stays in ./reference.ts.
 *
 *   general   s(q, k) = qᵀ W k = Σ_a Σ_b q_a W[a][b] k_b           W: dq×dk (Luong et al., 2015)
 *   additive  s(q, k) = vᵀ tanh(W_q q + W_k k) = Σ_r v_r tanh(p_r)  W_q: a×dq, W_k: a×dk, v: 1×a
 *             p = W_q q + W_k k                                      (Bahdanau, Cho and Bengio, 2014)
 *
 * dq and dk are Q's and K's widths per head (they may differ here, not for dot); a is the additive
 * attention's hidden width, read from W_q's rows. The weights are shared by every head.
 * With score 'dot', inputs.scoring is ignored (not refused): the page keeps the weights a user
 * typed while they try dot, and a switch back finds them unchanged.
 */
import { InputError } from './errors';
import type { FloatArray, Matrix } from './tensor';
import { firstNonFinite } from './tensor';
import type { ScoreFunction } from './options';
import type { ScoringWeights } from './shapes';
import { float32RangeProblem } from './float32';

const WIDTHS = (dq: number, dk: number) => `dq = ${dq}, Q's width per head; dk = ${dk}, K's width per head`;

/** Each element finite and inside float32's range (the GPU gets float32), else an InputError naming the matrix and the element. */
function checkValues(name: string, w: Matrix): void {
  const bad = firstNonFinite(w);
  if (bad) throw new InputError(`${name}[${bad.row}][${bad.col}] is ${bad.value}, not a finite number`);
  for (let idx = 0; idx < w.data.length; idx++) {
    const problem = float32RangeProblem(w.data[idx]);
    if (problem) throw new InputError(`${name}[${Math.floor(idx / w.cols)}][${idx % w.cols}] ${problem}`);
  }
}

function what(score: ScoreFunction): string {
  return score === 'general'
    ? 'the general score qᵀ W k needs W (dq×dk)'
    : 'the additive score vᵀ tanh(W_q q + W_k k) needs W_q (a×dq), W_k (a×dk) and v (1×a)';
}

/**
 * Checks the weights against the score function and the per-head widths; returns the additive
 * hidden width a (0 for dot and general). An InputError names the matrix and the expected shape.
 */
export function checkScoring(scoring: ScoringWeights | null | undefined, score: ScoreFunction, dq: number, dk: number): number {
  if (score === 'dot') return 0;
  if (!scoring) throw new InputError(`${what(score)}, but no scoring weights were given`);
  if (scoring.kind !== score) {
    const kind = (scoring as { kind: unknown }).kind;
    const given =
      kind === 'general' ? 'W (general)' : kind === 'additive' ? 'W_q, W_k and v (additive)' : `of an unknown kind ${String(kind)}`;
    throw new InputError(`${what(score)}, but the scoring weights given are ${given}`);
  }
  if (scoring.kind === 'general') {
    const { w } = scoring;
    if (w.rows !== dq || w.cols !== dk)
      throw new InputError(`W is ${w.rows}×${w.cols} but must be dq×dk = ${dq}×${dk} (${WIDTHS(dq, dk)})`);
    checkValues('W', w);
    return 0;
  }
  const { wq, wk, v } = scoring;
  const a = wq.rows;
  if (a < 1 || wq.cols !== dq)
    throw new InputError(
      `W_q is ${wq.rows}×${wq.cols} but must be a×dq with a ≥ 1 rows (the hidden width) and dq = ${dq} columns (Q's width per head)`,
    );
  if (wk.rows !== a || wk.cols !== dk)
    throw new InputError(
      `W_k is ${wk.rows}×${wk.cols} but must be a×dk = ${a}×${dk} (a = ${a} rows, from W_q; dk = ${dk}, K's width per head)`,
    );
  if (!((v.rows === 1 && v.cols === a) || (v.cols === 1 && v.rows === a)))
    throw new InputError(`v is ${v.rows}×${v.cols} but must be 1×a = 1×${a} (or ${a}×1) (a = ${a}, from W_q's rows)`);
  checkValues('W_q', wq);
  checkValues('W_k', wk);
  checkValues('v', v);
  return a;
}

/** One head's rows: `count` values of row `row` of x from column `base`. */
function slice(x: Matrix<FloatArray>, row: number, base: number, count: number): FloatArray {
  return x.data.subarray(row * x.cols + base, row * x.cols + base + count);
}

/** y = A x for A (rows×cols, row-major) and x (cols), in float64. */
function times(a: Matrix, x: ArrayLike<number>): Float64Array {
  const y = new Float64Array(a.rows);
  for (let r = 0; r < a.rows; r++) {
    let acc = 0;
    for (let c = 0; c < a.cols; c++) acc += a.data[r * a.cols + c] * x[c];
    y[r] = acc;
  }
  return y;
}

/**
 * The raw score of every (query row, key row) pair of one head in float64: q's columns
 * [qBase, qBase + dq), k's [kBase, kBase + dk). raw(i, j) for i < q.rows, j < k.rows.
 * General projects each key once (W k_j, dq values) and dots it with q_i; additive projects each
 * query (W_q q_i) and key (W_k k_j) once and sums v_r tanh(·) over the hidden width.
 */
export function learnedScores(
  scoring: ScoringWeights,
  q: Matrix<FloatArray>,
  k: Matrix<FloatArray>,
  qBase: number,
  kBase: number,
  dq: number,
  dk: number,
): (i: number, j: number) => number {
  if (scoring.kind === 'general') {
    const wk = Array.from({ length: k.rows }, (_, j) => times(scoring.w, slice(k, j, kBase, dk)));
    return (i, j) => {
      const qi = slice(q, i, qBase, dq);
      let acc = 0;
      for (let d = 0; d < dq; d++) acc += qi[d] * wk[j][d];
      return acc;
    };
  }
  const pq = Array.from({ length: q.rows }, (_, i) => times(scoring.wq, slice(q, i, qBase, dq)));
  const pk = Array.from({ length: k.rows }, (_, j) => times(scoring.wk, slice(k, j, kBase, dk)));
  const v = scoring.v.data;
  return (i, j) => {
    let acc = 0;
    for (let r = 0; r < v.length; r++) acc += v[r] * Math.tanh(pq[i][r] + pk[j][r]);
    return acc;
  };
}

/** The weights packed for the GPU's `scoring` buffer, row-major: general W; additive W_q, then W_k, then v. */
export function packScoring(scoring: ScoringWeights | null | undefined, score: ScoreFunction): Float32Array {
  if (score === 'dot' || !scoring) return new Float32Array(1);
  if (scoring.kind === 'general') return Float32Array.from(scoring.w.data);
  const { wq, wk, v } = scoring;
  const out = new Float32Array(wq.data.length + wk.data.length + v.data.length);
  out.set(wq.data, 0);
  out.set(wk.data, wq.data.length);
  out.set(v.data, wq.data.length + wk.data.length);
  return out;
}
