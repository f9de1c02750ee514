/**
 * The learned scores' raw-score bound (src/core/scoring-tolerance.ts) against float32 evaluations
 * simulated on the CPU (Math.fround after every operation), in the orders a kernel may choose: each
 * stays within the bound, and the bound is not so loose that a wrong kernel would hide under it.
 */
import { describe, expect, it } from 'vitest';
import { learnedRawError } from '../src/core/scoring-tolerance';
import { randomMatrix } from '../src/core/rng';
import type { Matrix } from '../src/core/tensor';
import type { ScoringWeights } from '../src/core/shapes';

const f = Math.fround;
const at = (m: Matrix, r: number, c: number) => m.data[r * m.cols + c];

/** General qᵀ W k in float32: W k first (the built-in kernels), qᵀ W first, or one flat sum. */
function general32(w: Matrix, q: Float32Array, k: Float32Array, order: 'wk' | 'qw' | 'flat'): number {
  const dq = w.rows,
    dk = w.cols;
  let acc = 0;
  if (order === 'wk') {
    for (let a = 0; a < dq; a++) {
      let wk = 0;
      for (let b = 0; b < dk; b++) wk = f(wk + f(at(w, a, b) * k[b]));
      acc = f(acc + f(q[a] * wk));
    }
  } else if (order === 'qw') {
    for (let b = 0; b < dk; b++) {
      let qw = 0;
      for (let a = 0; a < dq; a++) qw = f(qw + f(q[a] * at(w, a, b)));
      acc = f(acc + f(qw * k[b]));
    }
  } else {
    for (let a = 0; a < dq; a++) for (let b = 0; b < dk; b++) acc = f(acc + f(f(q[a] * at(w, a, b)) * k[b]));
  }
  return acc;
}

function additive32(s: Extract<ScoringWeights, { kind: 'additive' }>, q: Float32Array, k: Float32Array): number {
  let acc = 0;
  for (let r = 0; r < s.wq.rows; r++) {
    let pq = 0,
      pk = 0;
    for (let d = 0; d < q.length; d++) pq = f(pq + f(at(s.wq, r, d) * q[d]));
    for (let d = 0; d < k.length; d++) pk = f(pk + f(at(s.wk, r, d) * k[d]));
    acc = f(acc + f(s.v.data[r] * f(Math.tanh(f(pq + pk)))));
  }
  return acc;
}

function general64(w: Matrix, q: Float32Array, k: Float32Array): number {
  let acc = 0;
  for (let a = 0; a < w.rows; a++) for (let b = 0; b < w.cols; b++) acc += q[a] * at(w, a, b) * k[b];
  return acc;
}

function additive64(s: Extract<ScoringWeights, { kind: 'additive' }>, q: Float32Array, k: Float32Array): number {
  let acc = 0;
  for (let r = 0; r < s.wq.rows; r++) {
    let p = 0;
    for (let d = 0; d < q.length; d++) p += at(s.wq, r, d) * q[d];
    for (let d = 0; d < k.length; d++) p += at(s.wk, r, d) * k[d];
    acc += s.v.data[r] * Math.tanh(p);
  }
  return acc;
}

describe('the learned raw-score bound holds for float32 evaluations in any order', () => {
  const shapes: [string, number, number, number][] = [
    ['dq 3, dk 5', 3, 5, 4],
    ['dq 64, dk 48', 64, 48, 32],
    ['dq 1, dk 100', 1, 100, 7],
  ];
  it.each(shapes)('general, %s', (_name, dq, dk) => {
    const n = 6,
      m = 9;
    const q = randomMatrix(n, dq, 1, 2),
      k = randomMatrix(m, dk, 2, 2),
      w = randomMatrix(dq, dk, 3);
    const bound = learnedRawError({ kind: 'general', w }, q, k, { heads: 1, kvHeads: 1 });
    let worstRatio = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        const qi = q.data.subarray(i * dq, (i + 1) * dq),
          kj = k.data.subarray(j * dk, (j + 1) * dk);
        const exact = general64(w, qi, kj);
        for (const order of ['wk', 'qw', 'flat'] as const) {
          const error = Math.abs(general32(w, qi, kj, order) - exact);
          expect(error, `(${i}, ${j}) ${order}`).toBeLessThanOrEqual(bound[i * m + j]);
          worstRatio = Math.max(worstRatio, error / bound[i * m + j]);
        }
      }
    // The bound is a worst case, but within a few orders of magnitude of what rounding does.
    expect(worstRatio).toBeGreaterThan(1e-4);
  });

  it.each(shapes)('additive, %s', (_name, dq, dk, a) => {
    const n = 6,
      m = 9;
    const q = randomMatrix(n, dq, 4, 2),
      k = randomMatrix(m, dk, 5, 2);
    const s = { kind: 'additive' as const, wq: randomMatrix(a, dq, 6), wk: randomMatrix(a, dk, 7), v: randomMatrix(1, a, 8) };
    const bound = learnedRawError(s, q, k, { heads: 1, kvHeads: 1 });
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        const qi = q.data.subarray(i * dq, (i + 1) * dq),
          kj = k.data.subarray(j * dk, (j + 1) * dk);
        const error = Math.abs(additive32(s, qi, kj) - additive64(s, qi, kj));
        expect(error, `(${i}, ${j})`).toBeLessThanOrEqual(bound[i * m + j]);
        // A transposed W or a dropped tanh moves a score by O(1): far past the bound.
        expect(bound[i * m + j]).toBeLessThan(1e-2);
      }
  });

  it('RoPE-like input errors widen the bound by at least the error they can cause', () => {
    const q = randomMatrix(1, 4, 9),
      k = randomMatrix(1, 4, 10),
      w = randomMatrix(4, 4, 11);
    const plain = learnedRawError({ kind: 'general', w }, q, k, { heads: 1, kvHeads: 1 })[0];
    const dq = new Float64Array(4).fill(1e-3);
    const widened = learnedRawError({ kind: 'general', w }, q, k, { heads: 1, kvHeads: 1 }, dq, new Float64Array(4))[0];
    // Σ_a Δq_a Σ_b |W_ab||k_b|: the exact change a shift of q by Δq can cause at most.
    let propagated = 0;
    for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) propagated += 1e-3 * Math.abs(at(w, a, b) * k.data[b]);
    expect(widened - plain).toBeGreaterThanOrEqual(propagated * (1 - 1e-9));
  });
});
