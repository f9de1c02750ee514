import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../src/core/model/safetensors';
import type { ModelRoles } from '../src/core/model/roles';
import { heldOutSet, sentencesOf, trainingStream, vocabulary } from '../scripts/lib/train/data';
import type { DataOptions, Sequence } from '../scripts/lib/train/data';
import { encodeWords } from '../scripts/lib/train/loop';
import { ROOT, runScript } from './helpers/cli';

const options: DataOptions = { seed: 5, context: 64, repeatShare: 0.4 };
const take = (next: () => Sequence, n: number) => Array.from({ length: n }, next);
const readJson = (dir: string, name: string) => JSON.parse(readFileSync(join(dir, name), 'utf8'));

describe('training data', () => {
  it('is the same for the same seed and differs for another', () => {
    expect(take(trainingStream(options), 20)).toEqual(take(trainingStream(options), 20));
    expect(take(trainingStream({ ...options, seed: 6 }), 20)).not.toEqual(take(trainingStream(options), 20));
    expect(heldOutSet(options, 5, 5)).toEqual(heldOutSet(options, 5, 5));
  });

  it('fills the context, starts with BOS and links every pronoun to its antecedent noun', () => {
    for (const seq of take(trainingStream(options), 50)) {
      expect(seq.words).toHaveLength(64);
      expect(seq.words[0]).toBe('<s>');
      for (const { pronoun, antecedent } of seq.links) {
        expect(seq.words[pronoun]).toBe('it');
        expect(seq.words[antecedent - 1] === 'the' || seq.words[antecedent - 2] === 'the').toBe(true);
      }
      if (seq.kind === 'repeat') expect(seq.words.slice(1 + seq.span, 1 + 2 * seq.span)).toEqual(seq.words.slice(1, 1 + seq.span));
    }
  });

  it('held-out sentences and repeats never occur in training', () => {
    const training = take(trainingStream(options), 3000);
    const seen = new Set(training.flatMap((s) => (s.kind === 'story' ? sentencesOf(s) : [s.words.join(' ')])));
    const heldOut = heldOutSet(options, 100, 100);
    const heldSentences = heldOut.stories.flatMap(sentencesOf);
    expect(heldSentences.length).toBeGreaterThan(300);
    for (const s of heldSentences) expect(seen.has(s), s).toBe(false);
    for (const r of heldOut.repeats) expect(seen.has(r.words.join(' '))).toBe(false);
  });
});

describe('npm run train-model --quick', () => {
  const out = mkdtempSync(join(tmpdir(), 'attn-train-'));
  let stdout = '';
  beforeAll(async () => {
    const r = await runScript('scripts/train-model.ts', ['--quick', '--steps', '40', '--seed', '3', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    stdout = r.stdout;
  }, 120_000);

  it('prints the loss curve, the role table and the wall time', () => {
    expect(stdout).toMatch(/step {2}train loss {2}held-out loss {2}\(stories {2}repeats\)/);
    expect(stdout).toMatch(/layer head {2}previous-token {2}induction {2}antecedent {2}role/);
    expect(stdout).toMatch(/wall time \d+\.\d s/);
  });

  it('writes HF Llama tensors whose shapes agree with config.json', () => {
    const config = readJson(out, 'config.json');
    expect(config).toMatchObject({ architectures: ['LlamaForCausalLM'], model_type: 'llama', tie_word_embeddings: true });
    const { hidden_size: d, intermediate_size: ffn, num_attention_heads: heads, num_key_value_heads: kv, head_dim: hd } = config;
    const file = readSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
    const expected: Record<string, number[]> = {
      'model.embed_tokens.weight': [config.vocab_size, d],
      'model.norm.weight': [d],
    };
    for (let l = 0; l < config.num_hidden_layers; l++) {
      const p = `model.layers.${l}.`;
      Object.assign(expected, {
        [`${p}input_layernorm.weight`]: [d],
        [`${p}self_attn.q_proj.weight`]: [heads * hd, d],
        [`${p}self_attn.k_proj.weight`]: [kv * hd, d],
        [`${p}self_attn.v_proj.weight`]: [kv * hd, d],
        [`${p}self_attn.o_proj.weight`]: [d, heads * hd],
        [`${p}post_attention_layernorm.weight`]: [d],
        [`${p}mlp.gate_proj.weight`]: [ffn, d],
        [`${p}mlp.up_proj.weight`]: [ffn, d],
        [`${p}mlp.down_proj.weight`]: [d, ffn],
      });
    }
    expect(Object.fromEntries([...file.tensors].map(([name, t]) => [name, t.shape]))).toEqual(expected);
    for (const t of file.tensors.values()) expect(t.dtype).toBe('F32');
    expect(config.vocab_size).toBe(vocabulary().length);
    expect(config.bos_token_id).toBe(vocabulary().indexOf('<s>'));
  });

  it('the loss after a few dozen steps is below the loss at step 0', () => {
    const training = readJson(out, 'training.json');
    expect(training).toMatchObject({ seed: 3, steps: 40 });
    const [first] = training.curve;
    const last = training.curve[training.curve.length - 1];
    expect(first.step).toBe(0);
    expect(last.train).toBeLessThan(first.train);
    expect(last.heldOut).toBeLessThan(first.heldOut);
  });

  it('roles.json has a score per layer and head', () => {
    const roles: ModelRoles = readJson(out, 'roles.json');
    const config = readJson(out, 'config.json');
    expect(roles.heads).toHaveLength(config.num_hidden_layers * config.num_attention_heads);
    for (const h of roles.heads)
      for (const key of ['previousToken', 'induction', 'antecedent'] as const) expect(h[key]).toBeGreaterThanOrEqual(0);
    expect(Object.keys(roles.method).sort()).toEqual(['antecedent', 'induction', 'previous-token']);
  });

  it('tokenizer.json encodes training text to exactly the ids the trainer used', () => {
    const tokenizer = new Tokenizer(readJson(out, 'tokenizer.json'), readJson(out, 'tokenizer_config.json'));
    const vocab = vocabulary();
    for (const seq of take(trainingStream(options), 40)) {
      const text = seq.words.slice(1).join(' ');
      expect(tokenizer.encode(text).ids).toEqual(encodeWords(seq.words, vocab));
    }
    // Capitals and punctuation glued to a word split as the trainer splits them.
    expect(tokenizer.encode('The cat sat on the mat because it purred.').ids).toEqual(
      encodeWords(['<s>', 'the', 'cat', 'sat', 'on', 'the', 'mat', 'because', 'it', 'purred', '.'], vocab),
    );
  });
});

describe('the committed model (src/assets/model)', () => {
  const dir = join(ROOT, 'src/assets/model');
  it('is under 2 MB, loads, and agrees with its config, tokenizer and roles', () => {
    const bytes = readFileSync(join(dir, 'model.safetensors'));
    expect(bytes.length).toBeLessThan(2 * 1024 * 1024);
    const file = readSafetensors(new Uint8Array(bytes));
    const config = readJson(dir, 'config.json');
    expect(file.tensors.get('model.embed_tokens.weight')!.shape).toEqual([config.vocab_size, config.hidden_size]);
    expect(file.tensors.has('lm_head.weight')).toBe(false);
    expect(config.vocab_size).toBe(vocabulary().length);
    const tokenizer = new Tokenizer(readJson(dir, 'tokenizer.json'), readJson(dir, 'tokenizer_config.json'));
    expect(tokenizer.encode('the animal did not cross the street because it was tired.').ids).toEqual(
      encodeWords('<s> the animal did not cross the street because it was tired .'.split(' '), vocabulary()),
    );
    const roles: ModelRoles = readJson(dir, 'roles.json');
    expect(roles.heads).toHaveLength(config.num_hidden_layers * config.num_attention_heads);
  });
});
