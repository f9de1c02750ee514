/**
 * Hugging Face's Llama and GGUF order the rows of W_q and W_k differently. HF's checkpoints rotate
 * dimension i with i + d/2 of each head ('half', rotate_half); llama.cpp's converter permutes each
 * head's rows so that dimensions (2i, 2i + 1) form the pairs ('interleaved'):
 *
 *     GGUF row 2i     = HF row i
 *     GGUF row 2i + 1 = HF row i + d/2        (per head of d rows)
 *
 * — convert_hf_to_gguf.py `LlamaModel.permute`: w.reshape(n_head, 2, d/2, cols).swapaxes(1, 2),
 * with n_head the key/value head count for W_k. Scores q·k are unchanged: q and k are permuted alike.
 */
import type { Weight } from './config';

/** HF ('half') rows → GGUF ('interleaved') rows, for a weight of `heads` heads. */
export function permuteHalfToInterleaved(w: Weight, heads: number): Weight {
  return permuteRows(w, heads, (i, half) => (i < half ? 2 * i : 2 * (i - half) + 1));
}

/** GGUF ('interleaved') rows → HF ('half') rows: the inverse of permuteHalfToInterleaved. */
export function permuteInterleavedToHalf(w: Weight, heads: number): Weight {
  return permuteRows(w, heads, (i, half) => (i % 2 === 0 ? i / 2 : half + (i - 1) / 2));
}

/** Row r of head h moves to row destination(r, d/2) of the same head. */
function permuteRows(w: Weight, heads: number, destination: (row: number, half: number) => number): Weight {
  const d = w.rows / heads;
  if (!Number.isInteger(d) || d % 2 !== 0) throw new RangeError(`${w.rows} rows do not split into ${heads} heads of an even width`);
  const data = new Float32Array(w.data.length);
  for (let h = 0; h < heads; h++) {
    for (let r = 0; r < d; r++) {
      const from = (h * d + r) * w.cols,
        to = (h * d + destination(r, d / 2)) * w.cols;
      data.set(w.data.subarray(from, from + w.cols), to);
    }
  }
  return { rows: w.rows, cols: w.cols, data };
}
