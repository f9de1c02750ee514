/**
 * A second float64 attention for the learned score functions, written from the definitions in
 * src/core/options.ts's comment alone (not from src/core/reference.ts or src/core/scoring.ts):
 * nested arrays, one head and one (query, key) pair at a time, nothing shared with the code under test.
 *
 *   general   raw(i, j) = Σ_a Σ_b q_i[a] · W[a][b] · k_j[b]
 *   additive  raw(i, j) = Σ_r v[r] · tanh(Σ_a W_q[r][a] q_i[a] + Σ_b W_k[r][b] k_j[b])
 *   then      s = raw · scale / temperature; with a softcap c, s = c·tanh(s/c); hidden keys (causal
 *             j > i + m − n, mask 0) get weight 0; weights = softmax over the visible keys
 *   head t reads Q columns t·dq…, K head g = ⌊t / (h / kvHeads)⌋ columns g·dk…
 */

export type OracleScoring = { kind: 'general'; w: number[][] } | { kind: 'additive'; wq: number[][]; wk: number[][]; v: number[] };

export interface ScoringProblem {
  q: number[][];
  k: number[][];
  heads: number;
  kvHeads: number;
  scoring: OracleScoring;
  /** The number the raw score is multiplied by (already resolved). */
  scale: number;
  temperature: number;
  causal: boolean;
  softcap: number | null;
  mask?: number[][];
}

export function oracleRaw(sc: OracleScoring, q: number[], k: number[]): number {
  if (sc.kind === 'general') {
    let s = 0;
    for (let a = 0; a < q.length; a++) for (let b = 0; b < k.length; b++) s += q[a] * sc.w[a][b] * k[b];
    return s;
  }
  let s = 0;
  for (let r = 0; r < sc.v.length; r++) {
    let pre = 0;
    for (let a = 0; a < q.length; a++) pre += sc.wq[r][a] * q[a];
    for (let b = 0; b < k.length; b++) pre += sc.wk[r][b] * k[b];
    s += sc.v[r] * Math.tanh(pre);
  }
  return s;
}

/** raw[t][i][j] and weights[t][i][j]. */
export function oracleScoring(p: ScoringProblem): { raw: number[][][]; weights: number[][][] } {
  const n = p.q.length,
    m = p.k.length;
  const dq = p.q[0].length / p.heads,
    dk = p.k[0].length / p.kvHeads;
  const raw: number[][][] = [],
    weights: number[][][] = [];
  for (let t = 0; t < p.heads; t++) {
    const g = Math.floor(t / (p.heads / p.kvHeads));
    const rawHead: number[][] = [],
      weightHead: number[][] = [];
    for (let i = 0; i < n; i++) {
      const qi = p.q[i].slice(t * dq, (t + 1) * dq);
      const rawRow: number[] = [],
        logits: (number | null)[] = [];
      for (let j = 0; j < m; j++) {
        const r = oracleRaw(p.scoring, qi, p.k[j].slice(g * dk, (g + 1) * dk));
        rawRow.push(r);
        let s = (r * p.scale) / p.temperature;
        if (p.softcap !== null) s = p.softcap * Math.tanh(s / p.softcap);
        const visible = (!p.causal || j <= i + (m - n)) && (p.mask === undefined || p.mask[i][j] !== 0);
        logits.push(visible ? s : null);
      }
      const shown = logits.filter((x): x is number => x !== null);
      const top = Math.max(...shown);
      const total = shown.reduce((acc, x) => acc + Math.exp(x - top), 0);
      rawHead.push(rawRow);
      weightHead.push(logits.map((x) => (x === null || shown.length === 0 ? 0 : Math.exp(x - top) / total)));
    }
    raw.push(rawHead);
    weights.push(weightHead);
  }
  return { raw, weights };
}
