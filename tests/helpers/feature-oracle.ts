/**
 * A textbook version of the attention features, written from the papers' and model code's own
 * formulations (not from src/core/reference.ts or src/core/features.ts), for checking the
 * reference: each feature is done the way its source does it, which differs from how the reference
 * computes it.
 *
 *   RoPE      each pair is a complex number z = a + ib, multiplied by e^{i·pos·θ_p} (RoFormer eq. 14)
 *   GQA       K and V heads repeated (Hugging Face's repeat_kv), then plain multi-head attention
 *   window    an explicit n×m band mask built first (Mistral's sliding-window mask)
 *   ALiBi     a bias matrix −slope·(query position − key position) added to the scores (ALiBi paper)
 *   softcap   tanh(s / c) · c (Gemma 2)
 *   sinks     the sink logit appended as an extra column, softmax over m + 1, the column dropped (gpt-oss)
 * Masked entries are null throughout; −∞ never enters arithmetic.
 */

export interface FeatureProblem {
  q: number[][];
  k: number[][];
  v: number[][];
  heads: number;
  kvHeads: number;
  scale: number;
  causal: boolean;
  mask?: number[][];
  rope?: { layout: 'interleaved' | 'half'; base: number; dims: number; offset: number };
  window?: number;
  slopes?: number[];
  softcap?: number;
  sinks?: number[];
}

export interface FeatureOracleResult {
  /** weights[t][i][j] */
  weights: number[][][];
  output: number[][];
}

interface Complex {
  re: number;
  im: number;
}

const times = (a: Complex, b: Complex): Complex => ({ re: a.re * b.re - a.im * b.im, im: a.re * b.im + a.im * b.re });

/** One head's row of width dk, rotated as RoFormer's complex form says. */
function rotate(row: number[], rope: NonNullable<FeatureProblem['rope']>, pos: number): number[] {
  const out = [...row];
  const r = rope.dims;
  for (let p = 0; p < r / 2; p++) {
    const [ia, ib] = rope.layout === 'interleaved' ? [2 * p, 2 * p + 1] : [p, p + r / 2];
    const angle = pos / Math.pow(rope.base, (2 * p) / r);
    const z = times({ re: row[ia], im: row[ib] }, { re: Math.cos(angle), im: Math.sin(angle) });
    out[ia] = z.re;
    out[ib] = z.im;
  }
  return out;
}

/** Columns [t·w, (t+1)·w) of every row. */
const slice = (rows: number[][], t: number, w: number) => rows.map((row) => row.slice(t * w, (t + 1) * w));

export function featureOracle(p: FeatureProblem): FeatureOracleResult {
  const n = p.q.length,
    m = p.k.length;
  const dk = p.q[0].length / p.heads,
    dv = p.v[0].length / p.kvHeads;
  const offsetQ = m - n; // the last query sits with the last key
  // The band (and causal and explicit) mask, built up front.
  const allowed: boolean[][] = Array.from({ length: n }, (_, i) =>
    Array.from({ length: m }, (_, j) => {
      const qPos = i + offsetQ;
      if (p.causal && j > qPos) return false;
      if (p.window !== undefined) {
        if (p.causal ? qPos - j >= p.window : Math.abs(qPos - j) >= p.window) return false;
      }
      return p.mask === undefined || p.mask[i][j] !== 0;
    }),
  );
  // repeat_kv: query head t reads K/V head ⌊t / group⌋, i.e. each K/V head repeated `group` times in order.
  const group = p.heads / p.kvHeads;
  const kHeads = Array.from({ length: p.heads }, (_, t) => slice(p.k, Math.floor(t / group), dk));
  const vHeads = Array.from({ length: p.heads }, (_, t) => slice(p.v, Math.floor(t / group), dv));

  const weights: number[][][] = [];
  const output = Array.from({ length: n }, () => new Array<number>(p.heads * dv).fill(0));
  for (let t = 0; t < p.heads; t++) {
    let qh = slice(p.q, t, dk),
      kh = kHeads[t];
    const rope = p.rope;
    if (rope) {
      qh = qh.map((row, i) => rotate(row, rope, rope.offset + i + offsetQ));
      kh = kh.map((row, j) => rotate(row, rope, rope.offset + j));
    }
    const headWeights: number[][] = [];
    for (let i = 0; i < n; i++) {
      const logits: (number | null)[] = kh.map((krow, j) => {
        if (!allowed[i][j]) return null;
        let s = qh[i].reduce((acc, x, d) => acc + x * krow[d], 0) * p.scale;
        if (p.softcap !== undefined) s = Math.tanh(s / p.softcap) * p.softcap;
        if (p.slopes) s += -p.slopes[t] * (i + offsetQ - j);
        return s;
      });
      if (p.sinks) logits.push(p.sinks[t]);
      const finite = logits.filter((x): x is number => x !== null);
      const top = finite.length ? Math.max(...finite) : 0;
      const e = logits.map((x) => (x === null ? 0 : Math.exp(x - top)));
      const total = e.reduce((a, b) => a + b, 0);
      const row = e.map((x) => (total > 0 ? x / total : 0)).slice(0, m); // the sink's column dropped
      headWeights.push(row);
      for (let c = 0; c < dv; c++) output[i][t * dv + c] = row.reduce((acc, w, j) => acc + w * vHeads[t][j][c], 0);
    }
    weights.push(headWeights);
  }
  return { weights, output };
}
