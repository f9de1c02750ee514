/**
 * llama2.c checkpoints and tokenizers (the format of Karpathy's tinyllamas, run.c's legacy format):
 * a seeded random model written as llama2.c files (tests/helpers/llama2c-writer.ts, from export.py's
 * description) loads back to the same weights, tokenizes as the same vocabulary does from GGUF, and
 * gives the logits of the same model from GGUF; every damaged or mismatched file is refused with a
 * message naming it and what is wrong.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelWeights } from '../src/core/model/config';
import { ModelFileError } from '../src/core/model/config';
import { forward64 } from '../src/core/model/forward';
import type { GgufVocabulary } from '../src/core/model/gguf-vocab';
import { TOKEN_TYPE } from '../src/core/model/gguf-vocab';
import { randomModelWeights, smallConfig } from '../src/core/model/random';
import { permuteHalfToInterleaved } from '../src/core/model/rope-permute';
import { writeGgufModel } from '../src/model/gguf-write';
import type { ModelFile } from '../src/model/load';
import { fetchModelFiles, loadModel } from '../src/model/load';
import { tableFetch } from './helpers/fake-fetch';
import { readModelFiles } from '../scripts/lib/model-files';
import { writeLlama2cCheckpoint, writeLlama2cTokenizer } from './helpers/llama2c-writer';
import { sentencePieceVocabulary } from './helpers/tokenizer-json';

const SEED = 20261128;

/** ▁, w, digits, ▁w, ▁w0 … ▁w9, two byte pieces, fillers: `size` tokens with <unk>, <s>, </s>. */
function vocabulary(size: number): GgufVocabulary {
  const digits = Array.from({ length: 10 }, (_, i) => String(i));
  const pieces = ['▁', 'w', ...digits, '▁w', ...digits.map((d) => `▁w${d}`), '<0x0A>', '<0x21>'];
  const v = sentencePieceVocabulary([...pieces, ...Array.from({ length: size - pieces.length - 3 }, (_, i) => `x${i}`)]);
  return { ...v, tokenTypes: v.tokens.map((t, i) => (t.startsWith('<0x') ? TOKEN_TYPE.BYTE : v.tokenTypes[i])) };
}

const model = (tied = false) => randomModelWeights(smallConfig('llama', { tiedEmbeddings: tied }), SEED);
const files = (w: ModelWeights): ModelFile[] => [
  { name: 'random.bin', bytes: writeLlama2cCheckpoint(w) },
  { name: 'tok50.bin', bytes: writeLlama2cTokenizer(vocabulary(w.config.vocabSize)) },
];

async function refusal(given: ModelFile[]): Promise<string> {
  const error = await loadModel(given).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFileError);
  return (error as Error).message;
}

describe('llama2.c checkpoints', () => {
  it('load back to the same weights: Meta RoPE order (interleaved), θ 10000, ε 10⁻⁵, an untied classifier', async () => {
    const w = model();
    const loaded = await loadModel(files(w));
    expect(loaded.weights.config).toEqual({ ...w.config, name: 'random', rope: { base: 10000, layout: 'interleaved' } });
    expect(loaded.source).toMatchObject({ format: 'llama2c', files: ['random.bin', 'tok50.bin'], tensorTypes: { F32: 3 + 9 * 2 } });
    const l = loaded.weights.layers[1];
    expect(l.wq.data).toEqual(permuteHalfToInterleaved(w.layers[1].wq, 4).data);
    expect(l.wk.data).toEqual(permuteHalfToInterleaved(w.layers[1].wk, 2).data);
    for (const name of ['wv', 'wo', 'gate', 'up', 'down'] as const) expect(l[name]!.data, name).toEqual(w.layers[1][name]!.data);
    expect(l.attnNorm).toEqual(w.layers[1].attnNorm);
    expect(l.mlpNorm).toEqual(w.layers[1].mlpNorm);
    expect(loaded.weights.finalNorm).toEqual(w.finalNorm);
    expect(loaded.weights.tokenEmbedding.data).toEqual(w.tokenEmbedding.data);
    expect(loaded.weights.lmHead.data).toEqual(w.lmHead.data);
    expect(loaded.weights.lmHead).not.toBe(loaded.weights.tokenEmbedding);
  });

  it('a positive vocab_size: the classifier is the embedding', async () => {
    const loaded = await loadModel(files(model(true)));
    expect(loaded.weights.config.tiedEmbeddings).toBe(true);
    expect(loaded.weights.lmHead).toBe(loaded.weights.tokenEmbedding);
    expect(loaded.source.tensorTypes).toEqual({ F32: 2 + 9 * 2 });
  });

  it('gives the logits the same model gives from GGUF, and the tokens the same vocabulary gives from GGUF', async () => {
    const w = model();
    const fromBin = await loadModel(files(w));
    const fromGguf = await loadModel([{ name: 'random.gguf', bytes: writeGgufModel(w, vocabulary(w.config.vocabSize)) }]);
    const text = 'w3 w0 w w7!\nw1';
    const ids = fromGguf.tokenizer.encode(text);
    expect(fromBin.tokenizer.encode(text)).toEqual(ids);
    // BOS first; "!" and the newline are the byte pieces <0x21> and <0x0A>.
    expect(ids[0]).toBe(1);
    expect(ids).toContain(27);
    expect(ids).toContain(26);
    expect(fromBin.tokenizer.decode(ids)).toBe(text);
    const [a, b] = [await forward64(fromBin.weights, ids), await forward64(fromGguf.weights, ids)];
    // Both are W_q/W_k in Meta's order with the same float32 values; GGUF stores ε as a float32.
    let worst = 0;
    for (let i = 0; i < a.logits.length; i++) worst = Math.max(worst, Math.abs(a.logits[i] - b.logits[i]));
    expect(worst).toBeLessThan(1e-9);
    // And the model as it was made (the half layout) agrees: the permutation changes no score.
    const original = await forward64(w, ids);
    for (let i = 0; i < a.logits.length; i++) expect(a.logits[i]).toBeCloseTo(original.logits[i], 9);
  });

  it('npm run model reads "A.bin,B.bin" and a directory holding the two .bin files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llama2c-'));
    for (const f of files(model())) writeFileSync(join(dir, f.name), f.bytes);
    const listed = readModelFiles(`${join(dir, 'random.bin')},${join(dir, 'tok50.bin')}`);
    expect(listed.map((f) => f.name)).toEqual(['random.bin', 'tok50.bin']);
    expect((await loadModel(readModelFiles(dir))).source.format).toBe('llama2c');
  });

  const roles = { method: {}, heldOut: {}, heads: [{ layer: 1, head: 2, previousToken: 0.95, induction: 0.1, antecedent: 0 }] };
  it.each([
    ['a llama2.c checkpoint and its tokenizer', (w: ModelWeights) => files(w), 'llama2c'],
    ['a GGUF file', (w: ModelWeights) => [{ name: 'random.gguf', bytes: writeGgufModel(w, vocabulary(w.config.vocabSize)) }], 'gguf'],
  ])('npm run model reads the roles.json beside %s in a directory', async (_, written, format) => {
    const dir = mkdtempSync(join(tmpdir(), 'roles-'));
    for (const f of written(model())) writeFileSync(join(dir, f.name), f.bytes);
    writeFileSync(join(dir, 'roles.json'), JSON.stringify(roles));
    const loaded = await loadModel(readModelFiles(dir));
    expect(loaded.source.format).toBe(format);
    expect(loaded.roles?.heads).toEqual(roles.heads);
  });
});

describe('llama2.c files that are refused, each with a message', () => {
  const w = model();
  const [checkpoint, tokenizer] = files(w);

  it('a truncated checkpoint, and one with bytes to spare', async () => {
    expect(await refusal([{ ...checkpoint, bytes: checkpoint.bytes.subarray(0, checkpoint.bytes.length - 4) }, tokenizer])).toMatch(
      /^random\.bin: a llama2\.c checkpoint with this header \(dim 32, hidden_dim 64, 2 layers, 4 heads, 2 kv heads, vocabulary 50, seq_len 64\) is \d+ bytes, this file is \d+: it is truncated$/,
    );
    const longer = new Uint8Array(checkpoint.bytes.length + 4);
    longer.set(checkpoint.bytes);
    expect(await refusal([{ ...checkpoint, bytes: longer }, tokenizer])).toMatch(/bytes to spare, so it is not that checkpoint$/);
  });

  it('RoPE tables that do not start at angle 0', async () => {
    const bytes = checkpoint.bytes.slice();
    const view = new DataView(bytes.buffer);
    // The tables sit before the untied classifier: cos row 0 starts 2 · seq_len · head_size/2 floats before it.
    const c = w.config;
    const cosStart = bytes.length - 4 * (c.vocabSize * c.dModel + c.contextLength * c.headDim);
    view.setFloat32(cosStart, 0.5, true);
    expect(await refusal([{ ...checkpoint, bytes }, tokenizer])).toMatch(/RoPE tables do not start with cos 0 = 1, sin 0 = 0/);
  });

  it('a checkpoint without its tokenizer, a tokenizer without its checkpoint, two checkpoints', async () => {
    expect(await refusal([checkpoint])).toMatch(/^random\.bin: a llama2\.c checkpoint needs its tokenizer file beside it/);
    expect(await refusal([tokenizer])).toMatch(/^tok50\.bin: a llama2\.c tokenizer needs its checkpoint/);
    expect(await refusal([checkpoint, { ...checkpoint, name: 'other.bin' }, tokenizer])).toMatch(/one llama2\.c checkpoint at a time$/);
  });

  it("a tokenizer of another size than the model's vocabulary, and a damaged tokenizer", async () => {
    const small = { name: 'tok40.bin', bytes: writeLlama2cTokenizer(vocabulary(40)) };
    expect(await refusal([checkpoint, small])).toBe(
      'tok40.bin: the tokenizer has 40 tokens but the checkpoint embeds 50: they do not belong together',
    );
    expect(await refusal([checkpoint, { ...tokenizer, bytes: tokenizer.bytes.subarray(0, tokenizer.bytes.length - 2) }])).toMatch(
      /^tok50\.bin: token 49 runs past the end of the file: the file is truncated$/,
    );
  });

  it('a newer llama2.c export ("ak42") and a llama2.c file mixed with a GGUF', async () => {
    const ak42 = new Uint8Array(256);
    new DataView(ak42.buffer).setUint32(0, 0x616b3432, true);
    new DataView(ak42.buffer).setInt32(4, 2, true);
    expect(await refusal([{ name: 'q80.bin', bytes: ak42 }, tokenizer])).toMatch(
      /^q80\.bin: a llama2\.c export of version 2 \("ak42"\); the playground reads the legacy format run\.c reads/,
    );
    const gguf = { name: 'random.gguf', bytes: writeGgufModel(w, vocabulary(50)) };
    expect(await refusal([checkpoint, tokenizer, gguf])).toMatch(/a model is GGUF, safetensors or llama2\.c, one of them$/);
  });

  describe('from a URL', () => {
    const server = tableFetch;
    const fetchRefusal = (request: string, fetchFn: typeof fetch) =>
      fetchModelFiles(request, fetchFn).then(
        () => 'loaded',
        (e: unknown) => (e instanceof ModelFileError ? e.message : `not a ModelFileError: ${String(e)}`),
      );

    it('a checkpoint with tokenizer.bin beside it loads as the two files do', async () => {
      const seen: string[] = [];
      const fetched = await fetchModelFiles(
        'https://models.test/llama/random.bin?download=1',
        server(
          {
            'https://models.test/llama/random.bin?download=1': checkpoint.bytes,
            'https://models.test/llama/tokenizer.bin': tokenizer.bytes,
          },
          seen,
        ),
      );
      expect(seen).toEqual(['https://models.test/llama/random.bin?download=1', 'https://models.test/llama/tokenizer.bin']);
      expect(fetched.map((f) => f.name)).toEqual(['random.bin', 'tokenizer.bin']);
      const loaded = await loadModel(fetched);
      const fromFiles = await loadModel([checkpoint, tokenizer]);
      expect(loaded.source.format).toBe('llama2c');
      expect(loaded.weights.layers[0].wq.data).toEqual(fromFiles.weights.layers[0].wq.data);
      expect(loaded.tokenizer.encode('w3 w0')).toEqual(fromFiles.tokenizer.encode('w3 w0'));
    });

    it('a checkpoint and its tokenizer as two URLs, separated by spaces', async () => {
      const fetched = await fetchModelFiles(
        '  https://a.test/random.bin   https://b.test/tok/tok50.bin ',
        server({ 'https://a.test/random.bin': checkpoint.bytes, 'https://b.test/tok/tok50.bin': tokenizer.bytes }),
      );
      expect(fetched.map((f) => f.name)).toEqual(['random.bin', 'tok50.bin']);
      expect((await loadModel(fetched)).source.format).toBe('llama2c');
    });

    it('refuses what cannot be a llama2.c model, naming the URL and what to give', async () => {
      expect(await fetchRefusal('https://a.test/random.bin', server({ 'https://a.test/random.bin': checkpoint.bytes }))).toBe(
        "https://a.test/random.bin: a llama2.c checkpoint needs its tokenizer, and there is no tokenizer.bin beside it (https://a.test/tokenizer.bin: HTTP 404) — give the tokenizer's URL after the checkpoint's, separated by a space",
      );
      expect(
        await fetchRefusal('https://a.test/random.bin https://a.test/tok.bin', server({ 'https://a.test/random.bin': checkpoint.bytes })),
      ).toBe('https://a.test/tok.bin: HTTP 404 Not Found');
      expect(await fetchRefusal('https://a.test/tok50.bin', server({ 'https://a.test/tok50.bin': tokenizer.bytes }))).toBe(
        "https://a.test/tok50.bin: a llama2.c tokenizer, not a model — give the checkpoint's URL first (and this one after it, separated by a space)",
      );
      const gguf = writeGgufModel(model(), vocabulary(model().config.vocabSize));
      expect(await fetchRefusal('https://a.test/m.gguf https://a.test/tok50.bin', server({ 'https://a.test/m.gguf': gguf }))).toBe(
        "https://a.test/m.gguf: a second URL is only for a llama2.c checkpoint's tokenizer; this is not a llama2.c checkpoint",
      );
      expect(await fetchRefusal('https://a.test/1 https://a.test/2 https://a.test/3', server({}))).toBe(
        "3 URLs: give one model URL (or a llama2.c checkpoint's URL and its tokenizer's, after a space)",
      );
    });
  });

  it('a checkpoint over the memory limit is refused from its header, before its size is checked', async () => {
    await expect(loadModel([checkpoint, tokenizer], { memoryLimit: 1024 })).rejects.toThrow(
      /^random\.bin: the model's weights take .* as float32 .*, over the playground's limit of 1\.0 KiB$/,
    );
  });

  it('other bytes are named as none of the formats', async () => {
    expect(await refusal([{ name: 'notes.txt', bytes: new TextEncoder().encode('hello, world, not a model at all') }])).toMatch(
      /^notes\.txt: not a GGUF file \(magic 68 65 6c 6c.*nor a llama2\.c checkpoint or tokenizer$/,
    );
  });
});
