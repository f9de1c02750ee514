/**
 * A second float64 attention, written from the README's Definitions alone (not from
 * src/core/reference.ts), for checking the reference: plain nested loops over nested arrays, one
 * query row and one head at a time, nothing shared with the code under test.
 *
 *   head t uses columns t·dk … (t+1)·dk − 1 of Q and K and t·dv … (t+1)·dv − 1 of V
 *   score(i, j) = (q_i · k_j) · scale / temperature, scale = 1/√dk, 1 or a number
 *   key j is visible to query i when (not causal or j ≤ i + (m − n)) and mask[i][j] ≠ 0 and j is not padding
 *   weights: softmax over the visible keys; a row with no visible key has all-zero weights
 *   output row i = Σ_j weight(i, j) · v_j, heads side by side; with W_o also output · W_o
 */

export interface OracleProblem {
  /** n rows of h·dk numbers. */
  q: number[][];
  /** m rows of h·dk numbers. */
  k: number[][];
  /** m rows of h·dv numbers. */
  v: number[][];
  heads: number;
  scale: 'default' | 'none' | number;
  temperature: number;
  causal: boolean;
  /** n×m, non-zero = may attend; absent means every pair may. */
  mask?: number[][];
  /** Keys that no query may attend (padding tokens). */
  padding?: number[];
  /** (h·dv)×d_model output projection. */
  wo?: number[][];
}

export interface OracleResult {
  /** weights[t][i][j]: head t, query i, key j. */
  weights: number[][][];
  /** n rows of h·dv numbers. */
  output: number[][];
  /** n rows of d_model numbers, or null without W_o. */
  projected: number[][] | null;
}

export function oracleAttention(p: OracleProblem): OracleResult {
  const n = p.q.length,
    m = p.k.length;
  const dk = p.q[0].length / p.heads,
    dv = p.v[0].length / p.heads;
  const scale = p.scale === 'default' ? 1 / Math.sqrt(dk) : p.scale === 'none' ? 1 : p.scale;
  const padded = new Set(p.padding ?? []);
  const visible = (i: number, j: number) =>
    (!p.causal || j <= i + (m - n)) && (p.mask === undefined || p.mask[i][j] !== 0) && !padded.has(j);

  const weights: number[][][] = [];
  const output: number[][] = Array.from({ length: n }, () => new Array<number>(p.heads * dv).fill(0));
  for (let t = 0; t < p.heads; t++) {
    const headWeights: number[][] = [];
    for (let i = 0; i < n; i++) {
      const scores: (number | null)[] = [];
      for (let j = 0; j < m; j++) {
        if (!visible(i, j)) {
          scores.push(null);
          continue;
        }
        let dot = 0;
        for (let d = 0; d < dk; d++) dot += p.q[i][t * dk + d] * p.k[j][t * dk + d];
        scores.push((dot * scale) / p.temperature);
      }
      const row = softmaxOfVisible(scores);
      headWeights.push(row);
      for (let c = 0; c < dv; c++) {
        let sum = 0;
        for (let j = 0; j < m; j++) sum += row[j] * p.v[j][t * dv + c];
        output[i][t * dv + c] = sum;
      }
    }
    weights.push(headWeights);
  }
  return { weights, output, projected: p.wo ? multiply(output, p.wo) : null };
}

/** Softmax over the non-null entries (null: hidden key, weight 0); all hidden gives all zeros. */
function softmaxOfVisible(scores: (number | null)[]): number[] {
  let largest = -Infinity;
  for (const s of scores) if (s !== null && s > largest) largest = s;
  if (largest === -Infinity) return scores.map(() => 0);
  const exps = scores.map((s) => (s === null ? 0 : Math.exp(s - largest)));
  let total = 0;
  for (const e of exps) total += e;
  return exps.map((e) => e / total);
}

/** a (r×s) times b (s×c), as nested arrays. */
export function multiply(a: number[][], b: number[][]): number[][] {
  return a.map((row) => {
    const out = new Array<number>(b[0].length).fill(0);
    for (let c = 0; c < out.length; c++) {
      let sum = 0;
      for (let s = 0; s < row.length; s++) sum += row[s] * b[s][c];
      out[c] = sum;
    }
    return out;
  });
}
