// PLACEHOLDER until the loader branch merges: the real src/model/load.ts reads GGUF and safetensors
// checkpoints. This stand-in has the same exported signatures and builds a seeded random Llama-style
// model of the built-in model's size (d_model 64, 3 layers, 4 heads sharing 2 K/V heads, RoPE) with
// a whitespace word tokenizer, so the model view can be built and tested before the merge.
import { ModelFileError } from '../core/model/config';
import type { LoadedModel } from '../core/model/loaded';
import { randomModelWeights, smallConfig } from '../core/model/random';
import type { ModelRoles } from '../core/model/roles';
import type { ModelTokenizer } from '../core/model/tokenizer';

export interface ModelFile {
  name: string;
  bytes: Uint8Array;
}

const WORDS = `<unk> the a cat dog mat ball sat on chased because it was warm tired bouncing animal street did not cross
 and he she they is are in of to with big small red blue green old new house tree sun moon day night saw ran jumped
 over under near far away home went came back again then when where why who what this that these those one two three
 happy sad fast slow bird fish ate drank water milk food good bad very little boy girl man woman park garden sky rain
 snow cold hot`
  .split(/\s+/)
  .filter((w) => w);

function wordTokenizer(words: readonly string[]): ModelTokenizer {
  const index = new Map(words.map((w, i) => [w, i]));
  return {
    encode: (text) =>
      text
        .toLowerCase()
        .split(/[^a-z<>]+/)
        .filter((w) => w)
        .map((w) => index.get(w) ?? 0),
    decode: (ids) => ids.map((id) => words[id] ?? '<unk>').join(' '),
    tokenText: (id) => words[id] ?? '<unk>',
    vocabSize: words.length,
    bos: null,
    eos: null,
  };
}

const PLACEHOLDER_ROLES: ModelRoles = {
  method: {
    'previous-token': 'placeholder scores (random model)',
    induction: 'placeholder scores (random model)',
    antecedent: 'placeholder scores (random model)',
  },
  heldOut: { 'previous-token': 0, induction: 0, antecedent: 0 },
  heads: [
    { layer: 0, head: 1, previousToken: 0.95, induction: 0.1, antecedent: 0.2 },
    { layer: 1, head: 2, previousToken: 0.2, induction: 0.6, antecedent: 0.1 },
    { layer: 2, head: 0, previousToken: 0.1, induction: 0.2, antecedent: 0.92 },
  ],
};

export async function loadModel(files: ModelFile[]): Promise<LoadedModel> {
  await Promise.resolve();
  if (files.length === 0)
    throw new ModelFileError('no files were given: choose a .gguf, or .safetensors with config.json and tokenizer.json');
  for (const file of files) {
    if (file.name.endsWith('.gguf')) {
      const magic = new TextDecoder().decode(file.bytes.subarray(0, 4));
      if (magic !== 'GGUF') throw new ModelFileError(`${file.name}: not a GGUF file (it does not start with "GGUF")`);
    }
  }
  const config = smallConfig('llama', {
    name: 'placeholder (random weights)',
    vocabSize: WORDS.length,
    dModel: 64,
    headDim: 16,
    ffnDim: 128,
    layers: 3,
    contextLength: 64,
  });
  const weights = randomModelWeights(config, 7);
  const bytes = files.reduce((sum, f) => sum + f.bytes.length, 0);
  return {
    weights,
    tokenizer: wordTokenizer(WORDS),
    roles: PLACEHOLDER_ROLES,
    source: { format: 'safetensors', files: files.map((f) => f.name), tensorTypes: { F32: 9 * config.layers + 3 }, bytes },
  };
}

export async function fetchModelFiles(url: string, fetchFn: typeof fetch = fetch): Promise<ModelFile[]> {
  const response = await fetchFn(url);
  if (!response.ok) throw new ModelFileError(`${url}: the server answered HTTP ${response.status}`);
  const name = new URL(url, 'http://localhost/').pathname.split('/').pop() || 'model';
  return [{ name, bytes: new Uint8Array(await response.arrayBuffer()) }];
}
