/**
 * The built-in model (src/assets/model, written by npm run train-model with TensorFlow.js) read by
 * the playground's own loader and run by its own float64 forward pass: the head roles it measures on
 * the held-out set are those roles.json records (two independent implementations of the same network
 * agree), its next-token prediction follows the antecedent of "it", and its GGUF exports (F32, F16,
 * Q8_0) tokenize and predict like the original.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forward64, topK } from '../src/core/model/forward';
import { attentionReference } from '../src/core/reference';
import type { HeadRoleScores, ModelRoles, RoleCount } from '../src/core/model/roles';
import { antecedentCount, inductionCount, previousTokenCount, shareOf } from '../src/core/model/roles';
import { ggufVocabularyFromTokenizerJson } from '../src/core/model/gguf-vocab';
import { loadModel } from '../src/model/load';
import { writeGgufModel } from '../src/model/gguf-write';
import { boundedWeights } from './helpers/format-bounds';
import { heldOutSet } from '../scripts/lib/train/data';
import { BUILTIN_MODEL_DIR, readModelFiles } from '../scripts/lib/model-files';

const model = await loadModel(readModelFiles(BUILTIN_MODEL_DIR));
const roles = JSON.parse(readFileSync(join(BUILTIN_MODEL_DIR, 'roles.json'), 'utf8')) as ModelRoles;
const training = JSON.parse(readFileSync(join(BUILTIN_MODEL_DIR, 'training.json'), 'utf8')) as { seed: number; repeatShare?: number };

describe('the built-in model', () => {
  it('is small: under 2 MB of weights, a Llama with grouped-query attention', () => {
    expect(model.source.bytes).toBeLessThan(2_000_000);
    const c = model.weights.config;
    expect(c.architecture).toBe('llama');
    expect(c.kvHeads).toBeLessThan(c.heads);
    expect(c.rope?.layout).toBe('half');
  });

  it('the float64 forward pass measures the head roles that roles.json records (TensorFlow.js measured them)', async () => {
    const c = model.weights.config;
    const held = heldOutSet(
      { seed: training.seed, context: c.contextLength, repeatShare: 0.5 },
      roles.heldOut.antecedent,
      roles.heldOut.induction,
    );
    const counts = Array.from({ length: c.layers * c.heads }, () => ({
      previous: [] as RoleCount[],
      induction: [] as RoleCount[],
      antecedent: [] as RoleCount[],
    }));
    for (const seq of [...held.stories, ...held.repeats]) {
      const ids = seq.words.map((w) => model.tokenizer.encode(w).at(-1)!);
      const { calls } = await forward64(model.weights, ids);
      for (const call of calls) {
        const probs = attentionReference(call.inputs, call.options).probs;
        const n = ids.length;
        for (let h = 0; h < c.heads; h++) {
          const pattern = probs.data.subarray(h * n * n, (h + 1) * n * n);
          const count = counts[call.layer * c.heads + h];
          count.previous.push(previousTokenCount(pattern));
          if (seq.kind === 'repeat') count.induction.push(inductionCount(pattern, { start: 1, span: seq.span }));
          else count.antecedent.push(antecedentCount(pattern, seq.links));
        }
      }
    }
    const measured: Omit<HeadRoleScores, 'layer' | 'head'>[] = counts.map((count) => ({
      previousToken: shareOf(count.previous),
      induction: shareOf(count.induction),
      antecedent: shareOf(count.antecedent),
    }));
    // Shares of a few hundred rows: a row whose two strongest keys are within float32 rounding could
    // flip between the implementations, so allow one row's worth (1/100) and no more.
    roles.heads.forEach((recorded, i) => {
      expect(measured[i].previousToken).toBeCloseTo(recorded.previousToken, 2);
      expect(measured[i].induction).toBeCloseTo(recorded.induction, 2);
      expect(measured[i].antecedent).toBeCloseTo(recorded.antecedent, 2);
    });
  }, 120_000);

  it('predicts a predicate of the antecedent after "because it" (held-out word pairs are not needed: these are trained ones)', async () => {
    const next = async (text: string) => topK((await forward64(model.weights, model.tokenizer.encode(text))).logits, 1)[0];
    const cat = await next('the cat sat on the mat because it');
    const dog = await next('the dog chased the ball because it');
    expect(cat.probability).toBeGreaterThan(0.3);
    expect(model.tokenizer.tokenText(cat.id)).not.toBe(model.tokenizer.tokenText(dog.id));
  });

  // How far the format's rounding may move the logits, measured rather than guessed: the model with
  // every quantised value moved by the largest error its format allows there, with random signs
  // (tests/helpers/format-bounds.ts), through the float64 forward pass; the export may move the
  // logits twice as far as that. A wrong dequantisation moves them by order one. F32: float64
  // rounding (W_q/W_k permuted, RoPE interleaved, the norms' ε stored as a float32).
  const text = 'the animal did not cross the street because it was tired. the dog chased the ball because it';
  const boundedRun = async (type: 'F16' | 'Q8_0') =>
    (await forward64(boundedWeights(model.weights, type, 20261128), model.tokenizer.encode(text))).logits;

  it.each<['F32' | 'F16' | 'Q8_0']>([['F32'], ['F16'], ['Q8_0']])(
    'exported to GGUF %s, tokenizes the same and predicts the same next token',
    async (type) => {
      const tokenizerJson = JSON.parse(readFileSync(join(BUILTIN_MODEL_DIR, 'tokenizer.json'), 'utf8'));
      const gguf = writeGgufModel(model.weights, ggufVocabularyFromTokenizerJson(tokenizerJson), { type });
      const exported = await loadModel([{ name: `builtin-${type}.gguf`, bytes: gguf }]);
      const ids = model.tokenizer.encode(text);
      expect(exported.tokenizer.encode(text)).toEqual(ids);
      const [a, b] = [await forward64(model.weights, ids), await forward64(exported.weights, ids)];
      expect(topK(b.logits, 1)[0].id).toBe(topK(a.logits, 1)[0].id);
      const distance = (x: Float64Array) => Math.max(...Array.from(x, (v, i) => Math.abs(v - a.logits[i])));
      const tolerance = type === 'F32' ? 1e-10 * Math.max(...Array.from(a.logits, Math.abs)) : 2 * distance(await boundedRun(type));
      if (type !== 'F32') expect(distance(b.logits)).toBeGreaterThan(0);
      expect(distance(b.logits)).toBeLessThan(tolerance);
    },
  );
});
