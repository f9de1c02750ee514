/**
 * An independent forward pass for tests: written apart from src/core/model/forward.ts, from the
 * papers' formulas, over nested arrays, whole sequence at once (no cache), with its own RoPE
 * (RoFormer's rotation, in Hugging Face's rotate_half pairing or Meta's interleaved one), its own
 * softmax and norms. Slow and plain on purpose.
 */
import type { ModelWeights, Weight } from '../../src/core/model/config';

type Vec = number[];

const mul = (w: Weight, x: Vec, bias?: Float32Array | null): Vec =>
  Array.from({ length: w.rows }, (_, o) => {
    let s = bias ? bias[o] : 0;
    for (let i = 0; i < w.cols; i++) s += w.data[o * w.cols + i] * x[i];
    return s;
  });

function rmsNorm(x: Vec, g: Float32Array, eps: number): Vec {
  const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
  return x.map((v, i) => (v / Math.sqrt(ms + eps)) * g[i]);
}

function layerNorm(x: Vec, g: Float32Array, b: Float32Array, eps: number): Vec {
  const mu = x.reduce((a, v) => a + v, 0) / x.length;
  const variance = x.reduce((a, v) => a + (v - mu) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mu) / Math.sqrt(variance + eps)) * g[i] + b[i]);
}

/** RoFormer: rotate pair (a, b) by pos·θ^(−2i/d); 'half' pairs (i, i + d/2), 'interleaved' (2i, 2i + 1). */
function rotate(x: Vec, pos: number, base: number, layout: 'half' | 'interleaved'): Vec {
  const d = x.length;
  const out = x.slice();
  for (let i = 0; i < d / 2; i++) {
    const angle = pos * Math.pow(base, (-2 * i) / d);
    const [a, b] = layout === 'half' ? [i, i + d / 2] : [2 * i, 2 * i + 1];
    out[a] = x[a] * Math.cos(angle) - x[b] * Math.sin(angle);
    out[b] = x[a] * Math.sin(angle) + x[b] * Math.cos(angle);
  }
  return out;
}

/** Logits of every position, vocab-wide. */
export function oracleLogits(w: ModelWeights, ids: number[]): number[][] {
  const c = w.config;
  const T = ids.length;
  const hd = c.headDim;
  const gpt2 = c.architecture === 'gpt2';
  const normOf = (x: Vec, g: Float32Array, b: Float32Array | null) => (gpt2 ? layerNorm(x, g, b!, c.normEps) : rmsNorm(x, g, c.normEps));
  let xs: Vec[] = ids.map((id, t) =>
    Array.from(
      { length: c.dModel },
      (_, j) => w.tokenEmbedding.data[id * c.dModel + j] + (w.positionEmbedding ? w.positionEmbedding.data[t * c.dModel + j] : 0),
    ),
  );
  for (const L of w.layers) {
    const a = xs.map((x) => normOf(x, L.attnNorm, L.attnNormBias));
    const q = a.map((v) => mul(L.wq, v, L.bq));
    const k = a.map((v) => mul(L.wk, v, L.bk));
    const v = a.map((x) => mul(L.wv, x, L.bv));
    const heads: Vec[] = Array.from({ length: T }, () => []);
    for (let h = 0; h < c.heads; h++) {
      const g = Math.floor((h * c.kvHeads) / c.heads);
      for (let i = 0; i < T; i++) {
        let qi = q[i].slice(h * hd, (h + 1) * hd);
        if (c.rope) qi = rotate(qi, i, c.rope.base, c.rope.layout);
        const scores: number[] = [];
        for (let j = 0; j <= i; j++) {
          let kj = k[j].slice(g * hd, (g + 1) * hd);
          if (c.rope) kj = rotate(kj, j, c.rope.base, c.rope.layout);
          scores.push(qi.reduce((s, x, d) => s + x * kj[d], 0) / Math.sqrt(hd));
        }
        const top = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - top));
        const z = e.reduce((s, x) => s + x, 0);
        const o = new Array<number>(hd).fill(0);
        e.forEach((p, j) => {
          for (let d = 0; d < hd; d++) o[d] += (p / z) * v[j][g * hd + d];
        });
        heads[i].push(...o);
      }
    }
    xs = xs.map((x, i) => {
      const attn = mul(L.wo, heads[i], L.bo);
      const h1 = x.map((val, j) => val + attn[j]);
      const b = normOf(h1, L.mlpNorm, L.mlpNormBias);
      let hidden: Vec;
      if (gpt2) hidden = mul(L.up, b, L.upBias).map((u) => 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u))));
      else {
        const gate = mul(L.gate!, b);
        hidden = mul(L.up, b).map((u, j) => u * (gate[j] / (1 + Math.exp(-gate[j]))));
      }
      const down = mul(L.down, hidden, L.downBias);
      return h1.map((val, j) => val + down[j]);
    });
  }
  return xs.map((x) => mul(w.lmHead, normOf(x, w.finalNorm, w.finalNormBias)));
}
