/**
 * Writes llama2.c files the way Karpathy's export.py (legacy_export, version 0) and tokenizer.py
 * (export) write them, for the loader's tests: written from that description, apart from the reader
 * in src/core/model/llama2c.ts.
 */
import type { ModelWeights } from '../../src/core/model/config';
import type { GgufVocabulary } from '../../src/core/model/gguf-vocab';
import { permuteHalfToInterleaved } from '../../src/core/model/rope-permute';

/** The checkpoint: 7 int32s, then every float32 tensor in export.py's order, W_q/W_k in Meta's (interleaved) order. */
export function writeLlama2cCheckpoint(w: ModelWeights): Uint8Array {
  const c = w.config;
  if (c.architecture !== 'llama' || !c.rope) throw new Error('llama2.c holds Llama models');
  const meta = (x: ModelWeights['layers'][number]['wq'], heads: number) =>
    c.rope!.layout === 'half' ? permuteHalfToInterleaved(x, heads).data : x.data;
  const parts: Float32Array[] = [w.tokenEmbedding.data];
  const each = (pick: (l: ModelWeights['layers'][number]) => Float32Array) => w.layers.forEach((l) => parts.push(pick(l)));
  each((l) => l.attnNorm);
  each((l) => meta(l.wq, c.heads));
  each((l) => meta(l.wk, c.kvHeads));
  each((l) => l.wv.data);
  each((l) => l.wo.data);
  each((l) => l.mlpNorm);
  each((l) => l.gate!.data);
  each((l) => l.down.data);
  each((l) => l.up.data);
  parts.push(w.finalNorm);
  // freqs_cos and freqs_sin as model.py's precompute_freqs_cis makes them: t · θ^(−2i/head_size).
  const half = c.headDim / 2;
  const cos = new Float32Array(c.contextLength * half),
    sin = new Float32Array(c.contextLength * half);
  for (let t = 0; t < c.contextLength; t++)
    for (let i = 0; i < half; i++) {
      const angle = t / Math.pow(10000, (2 * i) / c.headDim);
      cos[t * half + i] = Math.cos(angle);
      sin[t * half + i] = Math.sin(angle);
    }
  parts.push(cos, sin);
  if (!c.tiedEmbeddings) parts.push(w.lmHead.data);
  const floats = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(28 + 4 * floats);
  const view = new DataView(out.buffer);
  [c.dModel, c.ffnDim, c.layers, c.heads, c.kvHeads, c.tiedEmbeddings ? c.vocabSize : -c.vocabSize, c.contextLength].forEach((v, i) =>
    view.setInt32(4 * i, v, true),
  );
  let at = 28;
  for (const p of parts) for (const x of p) view.setFloat32((at += 4) - 4, x, true);
  return out;
}

/** The tokenizer: max_token_length, then (score, length, bytes) per token; "▁" as a space, BOS and EOS as tokenizer.py writes them. */
export function writeLlama2cTokenizer(v: GgufVocabulary): Uint8Array {
  const encoder = new TextEncoder();
  const pieces = v.tokens.map((t, i) => encoder.encode(i === v.bos ? '\n<s>\n' : i === v.eos ? '\n</s>\n' : t.replaceAll('▁', ' ')));
  const out = new Uint8Array(4 + pieces.reduce((n, p) => n + 8 + p.length, 0));
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.max(...pieces.map((p) => p.length)), true);
  let at = 4;
  pieces.forEach((p, i) => {
    view.setFloat32(at, v.scores![i], true);
    view.setInt32(at + 4, p.length, true);
    out.set(p, at + 8);
    at += 8 + p.length;
  });
  return out;
}
