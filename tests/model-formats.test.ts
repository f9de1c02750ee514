/**
 * One model, every file format: a seeded random Llama model written as Hugging Face safetensors and
 * as GGUF F32, F16, Q8_0 and Q4_0 loads back and runs (the float64 forward pass) to the same logits —
 * exactly up to float64 rounding for the float32 files (GGUF's W_q/W_k are permuted and its RoPE
 * interleaved, so the sums run in another order), and within the format's rounding for the others.
 */
import { describe, expect, it } from 'vitest';
import type { ModelWeights } from '../src/core/model/config';
import { forward64 } from '../src/core/model/forward';
import { writeHfCheckpoint } from '../src/core/model/hf-layout';
import { randomModelWeights, smallConfig } from '../src/core/model/random';
import { writeGgufModel } from '../src/model/gguf-write';
import type { GgmlReadableType } from '../src/core/model/ggml-types';
import { loadModel } from '../src/model/load';
import { sentencePieceVocabulary, wordPieceTokenizerJson } from './helpers/tokenizer-json';
import { boundedWeights } from './helpers/format-bounds';

const IDS = [1, 9, 4, 33, 17, 17, 2, 40, 8];
// Widths that are whole 32-value blocks, so every matrix is quantised (a narrower one is written F32).
const weights = randomModelWeights(smallConfig('llama', { dModel: 64, ffnDim: 128, headDim: 16, vocabSize: 60 }), 99);
const encoder = new TextEncoder();

const vocabulary = (size: number) => sentencePieceVocabulary(Array.from({ length: size - 3 }, (_, i) => `▁w${i}`));

async function logitsOf(files: { name: string; bytes: Uint8Array }[]): Promise<{ logits: Float64Array; model: ModelWeights }> {
  const model = await loadModel(files);
  return { logits: (await forward64(model.weights, IDS, undefined, true)).logits, model: model.weights };
}

function relativeDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0,
    worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
}

const reference = forward64(weights, IDS, undefined, true);

describe('the same model in every format gives the same logits', () => {
  it('Hugging Face safetensors (F32): identical', async () => {
    const { safetensors, config } = writeHfCheckpoint(weights);
    const tokenizer = wordPieceTokenizerJson(Array.from({ length: weights.config.vocabSize - 3 }, (_, i) => `w${i}`));
    const { logits } = await logitsOf([
      { name: 'model.safetensors', bytes: safetensors },
      { name: 'config.json', bytes: encoder.encode(config) },
      { name: 'tokenizer.json', bytes: encoder.encode(JSON.stringify(tokenizer)) },
    ]);
    expect(relativeDistance(logits, (await reference).logits)).toBe(0);
  });

  // How far each format's rounding may move the logits, measured: the model with every quantised
  // value moved by the largest error its format allows there, with random signs
  // (tests/helpers/format-bounds.ts), through the float64 forward pass; the file's logits may move
  // twice as far. A format whose dequantisation was wrong would move them by order one.
  it.each<[GgmlReadableType]>([['F32'], ['F16'], ['Q8_0'], ['Q4_0']])('GGUF %s: within the format’s rounding', async (type) => {
    const { logits, model } = await logitsOf([
      { name: `model-${type}.gguf`, bytes: writeGgufModel(weights, vocabulary(weights.config.vocabSize), { type }) },
    ]);
    expect(model.config.rope?.layout).toBe('interleaved');
    const distance = relativeDistance(logits, (await reference).logits);
    if (type === 'F32') expect(distance).toBeLessThan(1e-12);
    else {
      const bounded = (await forward64(boundedWeights(weights, type, 99), IDS, undefined, true)).logits;
      expect(distance).toBeGreaterThan(0);
      expect(distance).toBeLessThan(2 * relativeDistance(bounded, (await reference).logits));
    }
  });

  it('orders the formats by their rounding: F16 closer than Q8_0, Q8_0 closer than Q4_0', async () => {
    const distance = async (type: GgmlReadableType) =>
      relativeDistance(
        (await logitsOf([{ name: 'm.gguf', bytes: writeGgufModel(weights, vocabulary(weights.config.vocabSize), { type }) }])).logits,
        (await reference).logits,
      );
    const [f16, q8, q4] = [await distance('F16'), await distance('Q8_0'), await distance('Q4_0')];
    expect(f16).toBeLessThan(q8);
    expect(q8).toBeLessThan(q4);
  });
});
