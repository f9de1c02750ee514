/**
 * How far each GGUF storage type may move a stored value (per value, derived in the comments), and a
 * model whose quantised weights are all moved by that much with random signs: run through the
 * float64 forward pass, it measures how far a format's rounding may move a model's logits, so a test
 * can hold an export to that instead of a guessed multiple of the format's step.
 */
import { f16round } from '@petamoriken/float16';
import type { ModelWeights, Weight } from '../../src/core/model/config';
import type { GgmlReadableType } from '../../src/core/model/ggml-types';
import { blockSize } from '../../src/core/model/ggml-types';
import { createRng } from '../../src/core/rng';

/** Per-value error bounds of a storage type. */
export type Bound = (x: Float32Array) => Float64Array;

// F16: round to nearest, so |x − half(x)| ≤ half an ulp: 2⁻¹¹·|x| for normal halves, 2⁻²⁵ below 2⁻¹⁴.
export const halfBound: Bound = (x) => Float64Array.from(x, (v) => Math.max(2 ** -11 * Math.abs(v), 2 ** -25));

// BF16 keeps 8 significant bits, rounded to nearest: half an ulp is 2⁻⁸ relative.
export const bfloat16Bound: Bound = (x) => Float64Array.from(x, (v) => 2 ** -8 * Math.abs(v));

/**
 * Q8_0, per block of 32: d = max|x|/127, q = round(x/d), so |x − d·q| ≤ d/2; d is stored as a half
 * d', which moves each value by |q|·|d − d'| ≤ 127·|d − d'|; float32 arithmetic adds ~2⁻²⁴ relative.
 */
export const q8Bound: Bound = (x) => {
  const out = new Float64Array(x.length);
  for (let b = 0; b < x.length; b += 32) {
    const block = x.subarray(b, b + 32);
    const d = Math.fround(Math.max(...Array.from(block, Math.abs)) / 127);
    const bound = d / 2 + 127 * Math.abs(d - f16round(d)) + 2 ** -20 * 127 * d;
    out.fill(bound, b, b + 32);
  }
  return out;
};

/**
 * Q4_0, per block: m = the value of largest magnitude, d = m/−8, so x/d ∈ [−8, 8] and
 * q = min(15, ⌊x/d + 8.5⌋) gives |x/d − (q − 8)| ≤ 1/2 — except where clamping bites, x/d > 7.5,
 * where the error is x/d − 7 ≤ 1: |x − d(q − 8)| ≤ |d|·max(1/2, x/d − 7). The half-rounded scale adds
 * |q − 8|·|d − d'| ≤ 8·|d − d'|.
 */
export const q4Bound: Bound = (x) => {
  const out = new Float64Array(x.length);
  for (let b = 0; b < x.length; b += 32) {
    const block = Array.from(x.subarray(b, b + 32));
    const m = block.reduce((best, v) => (Math.abs(v) > Math.abs(best) ? v : best), 0);
    const d = Math.fround(m / -8);
    block.forEach((v, j) => {
      out[b + j] = Math.abs(d) * Math.max(0.5, v / d - 7) + 8 * Math.abs(d - f16round(d)) + 2 ** -20 * 8 * Math.abs(d);
    });
  }
  return out;
};

export const FORMAT_BOUNDS: Record<Exclude<GgmlReadableType, 'F32'>, Bound> = {
  F16: halfBound,
  BF16: bfloat16Bound,
  Q8_0: q8Bound,
  Q4_0: q4Bound,
};

/**
 * The model with every matrix the GGUF export stores as `type` (those whose rows are whole blocks;
 * norms stay F32) moved by its format's bound, each value up or down at random (seeded). The
 * export's true errors lie within those bounds and are spread inside them, so its logits move less
 * than this model's, typically; tests allow twice this model's distance for the draw of the signs.
 */
export function boundedWeights(w: ModelWeights, type: Exclude<GgmlReadableType, 'F32'>, seed: number): ModelWeights {
  const rng = createRng(seed);
  const move = (x: Weight): Weight => {
    if (x.cols % blockSize(type) !== 0) return x;
    const bound = FORMAT_BOUNDS[type](x.data);
    return { ...x, data: Float32Array.from(x.data, (v, i) => v + (rng.next() < 0.5 ? -1 : 1) * bound[i]) };
  };
  const tokenEmbedding = move(w.tokenEmbedding);
  return {
    ...w,
    tokenEmbedding,
    lmHead: w.config.tiedEmbeddings ? tokenEmbedding : move(w.lmHead),
    layers: w.layers.map((l) => ({
      ...l,
      wq: move(l.wq),
      wk: move(l.wk),
      wv: move(l.wv),
      wo: move(l.wo),
      gate: l.gate && move(l.gate),
      up: move(l.up),
      down: move(l.down),
    })),
  };
}
