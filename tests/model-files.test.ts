/**
 * Real checkpoint files: a seeded random model written as Hugging Face safetensors and as GGUF
 * (F32, F16, Q8_0, Q4_0) loads back to the same weights — exactly for F32, within each format's
 * derived error bound otherwise; dequantisation against blocks written out by hand; the HF→GGUF
 * permutation of W_q/W_k against RoPE in both layouts; GPT-2's Conv1D layout; and every broken file
 * refused with a message that names the file and the problem.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Float16Array, f16round } from '@petamoriken/float16';
import type { ModelWeights, Weight } from '../src/core/model/config';
import { ModelFileError } from '../src/core/model/config';
import { dequantize, floatToHalfBits, halfBitsOf, halfBitsToFloat } from '../src/core/model/ggml-types';
import { createRng } from '../src/core/rng';
import type { GgufVocabulary } from '../src/core/model/gguf-vocab';
import { writeHfCheckpoint } from '../src/core/model/hf-layout';
import { MODEL_MEMORY_LIMIT_BYTES } from '../src/core/model/loaded';
import { randomModelWeights, smallConfig } from '../src/core/model/random';
import { permuteHalfToInterleaved, permuteInterleavedToHalf } from '../src/core/model/rope-permute';
import type { TensorToWrite } from '../src/core/model/safetensors';
import { readSafetensors, writeSafetensors } from '../src/core/model/safetensors';
import { ropeReference } from '../src/core/reference';
import { GGUFValueType } from '@huggingface/gguf';
import type { GgufTensor, GgufWriteOptions } from '../src/model/gguf-write';
import { writeGgufModel } from '../src/model/gguf-write';
import { readGgufModel } from '../src/model/gguf';
import type { ModelFile } from '../src/model/load';
import { fetchModelFiles, loadModel } from '../src/model/load';
import { tableFetch } from './helpers/fake-fetch';
import { readModelFiles } from '../scripts/lib/model-files';
import { sentencePieceVocabulary, wordPieceTokenizerJson } from './helpers/tokenizer-json';
import type { Bound } from './helpers/format-bounds';
import { bfloat16Bound, halfBound, q4Bound, q8Bound } from './helpers/format-bounds';

const SEED = 20261127;
const encoder = new TextEncoder();
const json = (value: unknown) => encoder.encode(JSON.stringify(value));

/** A SentencePiece vocabulary of `size` (≥ 26) pieces for a random model: ▁, w, digits, ▁w, ▁w0 … ▁w9, fillers. */
function vocabulary(size: number): GgufVocabulary {
  const digits = Array.from({ length: 10 }, (_, i) => String(i));
  const pieces = ['▁', 'w', ...digits, '▁w', ...digits.map((d) => `▁w${d}`)];
  return sentencePieceVocabulary([...pieces, ...Array.from({ length: size - pieces.length - 3 }, (_, i) => `x${i}`)]);
}

const llama = () => randomModelWeights(smallConfig('llama'), SEED);
const gguf = (w: ModelWeights, options: GgufWriteOptions = {}) => writeGgufModel(w, vocabulary(w.config.vocabSize), options);
const tokenizerFile = (vocabSize: number): ModelFile => ({
  name: 'tokenizer.json',
  bytes: json(wordPieceTokenizerJson(Array.from({ length: vocabSize - 3 }, (_, i) => `w${i}`))),
});

function hfFiles(w: ModelWeights, options: Parameters<typeof writeHfCheckpoint>[1] = {}): ModelFile[] {
  const { safetensors, config } = writeHfCheckpoint(w, options);
  return [
    { name: 'model.safetensors', bytes: safetensors },
    { name: 'config.json', bytes: encoder.encode(config) },
    tokenizerFile(w.config.vocabSize),
  ];
}

/** Every tensor of a model by a readable name, with W_q and W_k as the layout `layout` orders them. */
function tensorsOf(w: ModelWeights, layout: 'half' | 'interleaved'): Map<string, Float32Array> {
  const c = w.config;
  const permute = (x: Weight, heads: number) =>
    c.rope && c.rope.layout !== layout
      ? (layout === 'interleaved' ? permuteHalfToInterleaved : permuteInterleavedToHalf)(x, heads).data
      : x.data;
  const out = new Map<string, Float32Array>([
    ['token embedding', w.tokenEmbedding.data],
    ['LM head', w.lmHead.data],
    ['final norm', w.finalNorm],
  ]);
  if (w.positionEmbedding) out.set('positions', w.positionEmbedding.data);
  if (w.finalNormBias) out.set('final norm bias', w.finalNormBias);
  w.layers.forEach((l, i) => {
    const add = (name: string, v: Float32Array | null) => v && out.set(`layer ${i} ${name}`, v);
    add('attn norm', l.attnNorm);
    add('attn norm bias', l.attnNormBias);
    add('wq', permute(l.wq, c.heads));
    add('wk', permute(l.wk, c.kvHeads));
    add('wv', l.wv.data);
    add('wo', l.wo.data);
    for (const b of ['bq', 'bk', 'bv', 'bo', 'mlpNorm', 'mlpNormBias', 'upBias', 'downBias'] as const) add(b, l[b]);
    add('gate', l.gate?.data ?? null);
    add('up', l.up.data);
    add('down', l.down.data);
  });
  return out;
}

function expectSameWeights(actual: ModelWeights, expected: ModelWeights) {
  const a = tensorsOf(actual, 'half'),
    e = tensorsOf(expected, 'half');
  expect([...a.keys()]).toEqual([...e.keys()]);
  for (const [name, values] of e) expect(a.get(name), name).toEqual(values);
}

function expectWithin(actual: ModelWeights, expected: ModelWeights, bound: Bound) {
  const a = tensorsOf(actual, 'interleaved'),
    e = tensorsOf(expected, 'interleaved');
  for (const [name, x] of e) {
    const y = a.get(name)!;
    // Norm vectors are always written F32: exact.
    const bounds = name.includes('norm') ? new Float64Array(x.length) : bound(x);
    for (let i = 0; i < x.length; i++) {
      if (Math.abs(x[i] - y[i]) > bounds[i])
        expect.fail(`${name}[${i}]: ${y[i]} vs ${x[i]}, error ${Math.abs(x[i] - y[i])} > bound ${bounds[i]}`);
    }
  }
}

describe('round trips of a random llama model', () => {
  it('safetensors (HF layout) loads back exactly', async () => {
    const w = llama();
    const loaded = await loadModel(hfFiles(w));
    expect(loaded.weights.config).toEqual(w.config);
    expectSameWeights(loaded.weights, w);
    expect(loaded.source).toMatchObject({ format: 'safetensors', tensorTypes: { F32: 3 + 9 * 2 } });
  });

  it('GGUF F32 loads back exactly, with W_q/W_k in the interleaved order and the config saying so', async () => {
    const w = llama();
    const loaded = await loadModel([{ name: 'random.gguf', bytes: gguf(w) }]);
    // ε is stored as a float32 in GGUF.
    expect(loaded.weights.config).toEqual({ ...w.config, normEps: Math.fround(1e-5), rope: { base: 10000, layout: 'interleaved' } });
    expect(loaded.weights.layers[0].wq.data).toEqual(permuteHalfToInterleaved(w.layers[0].wq, 4).data);
    expectSameWeights(loaded.weights, w);
    expect(loaded.source).toMatchObject({ format: 'gguf', files: ['random.gguf'], tensorTypes: { F32: 3 + 9 * 2 } });
    // "w3 w0" → ▁w3▁w0: ▁+w → ▁w (id 15), ▁w+3 → ▁w3 (19), ▁w+0 → ▁w0 (16); BOS first.
    expect(loaded.tokenizer.encode('w3 w0')).toEqual([1, 19, 16]);
    expect(loaded.tokenizer.decode([1, 19, 16])).toBe('w3 w0');
  });

  it('a tied head: no output.weight / lm_head.weight, the head is the token embedding', async () => {
    const w = randomModelWeights(smallConfig('llama', { tiedEmbeddings: true }), SEED);
    const g = await loadModel([{ name: 'tied.gguf', bytes: gguf(w) }]);
    expect(g.weights.config.tiedEmbeddings).toBe(true);
    expect(g.weights.lmHead).toBe(g.weights.tokenEmbedding);
    expect(g.source.tensorTypes).toEqual({ F32: 2 + 9 * 2 });
    const s = await loadModel(hfFiles(w));
    expect(s.weights.lmHead).toBe(s.weights.tokenEmbedding);
    expectSameWeights(s.weights, w);
  });

  it.each([
    ['F16', halfBound, { F32: 5, F16: 16 }],
    ['BF16', bfloat16Bound, { F32: 5, BF16: 16 }],
    ['Q8_0', q8Bound, { F32: 5, Q8_0: 16 }],
    ['Q4_0', q4Bound, { F32: 5, Q4_0: 16 }],
  ] as const)('GGUF %s loads back within its error bound', async (type, bound, types) => {
    const w = llama();
    const loaded = await loadModel([{ name: `random-${type}.gguf`, bytes: gguf(w, { type }) }]);
    expectWithin(loaded.weights, w, bound);
    expect(loaded.source.tensorTypes).toEqual(types);
  });

  it('safetensors F16 loads back within half an ulp', async () => {
    const w = llama();
    const loaded = await loadModel(hfFiles(w, { dtype: 'F16' }));
    const a = tensorsOf(loaded.weights, 'half');
    for (const [name, x] of tensorsOf(w, 'half')) expect(a.get(name), name).toEqual(Float32Array.from(x, f16round));
  });

  it('GGUF with general.alignment 64 finds its tensors at the wider alignment', async () => {
    const w = llama();
    const loaded = await loadModel([{ name: 'a64.gguf', bytes: gguf(w, { alignment: 64, type: 'Q8_0' }) }]);
    expectWithin(loaded.weights, w, q8Bound);
  });

  it('GGUF → safetensors → GGUF: the permutation is undone on export', async () => {
    const w = llama();
    const fromGguf = (await loadModel([{ name: 'a.gguf', bytes: gguf(w) }])).weights;
    const back = (await loadModel(hfFiles(fromGguf))).weights;
    expect(back.config.rope?.layout).toBe('half');
    expectSameWeights(back, w);
  });
});

describe('dequantisation of blocks written out by hand', () => {
  it('F16 and BF16 bit patterns', () => {
    // 0x3C00 = 1, 0xC000 = −2, 0x3555 = 1365/4096·… = 0.333251953125, 0x0001 = 2⁻²⁴, 0x7BFF = 65504.
    const f16 = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x55, 0x35, 0x01, 0x00, 0xff, 0x7b]);
    expect(Array.from(dequantize('F16', f16, 5))).toEqual([1, -2, 0.333251953125, 2 ** -24, 65504]);
    // bf16 0x3F80 = 1, 0xC040 = −3, 0x3E20 = 0.15625.
    expect(Array.from(dequantize('BF16', new Uint8Array([0x80, 0x3f, 0x40, 0xc0, 0x20, 0x3e]), 3))).toEqual([1, -3, 0.15625]);
    expect([floatToHalfBits(1), floatToHalfBits(-2), floatToHalfBits(65504), halfBitsToFloat(0x3555)]).toEqual([
      0x3c00, 0xc000, 0x7bff, 0.333251953125,
    ]);
  });

  it("the fast float32 → half conversion gives @petamoriken/float16's bits", () => {
    const rng = createRng(SEED);
    const edges = [
      0,
      -0,
      1,
      -2,
      65504,
      65519.99,
      65520,
      1e6,
      -Infinity,
      NaN,
      2 ** -24,
      2 ** -25,
      3 * 2 ** -26,
      2 ** -14 - 2 ** -25,
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
    ];
    const values = Float32Array.from([...edges, ...Array.from({ length: 20000 }, () => (rng.next() - 0.5) * 2 ** (rng.next() * 60 - 40))]);
    expect(halfBitsOf(values)).toEqual(new Uint16Array(Float16Array.from(values).buffer));
  });

  it('Q8_0: d = 0.5, x = d·q', () => {
    // d = half 0x3800 = 0.5; q = 1, −2, 127, −128, then zeros, last 3.
    const block = new Uint8Array(34);
    block.set([0x00, 0x38, 1, 0xfe, 127, 0x80]);
    block[33] = 3;
    const x = dequantize('Q8_0', block, 32);
    expect(Array.from(x.subarray(0, 4))).toEqual([0.5, -1, 63.5, -64]);
    expect(x[31]).toBe(1.5);
    expect(x.subarray(4, 31).every((v) => v === 0)).toBe(true);
  });

  it('Q4_0: d = −1, low nibbles are values 0–15, high nibbles 16–31, x = d·(q − 8)', () => {
    // d = half 0xBC00 = −1. Byte 0 = 0x9F: value 0 = −1·(15 − 8) = −7, value 16 = −1·(9 − 8) = −1.
    // Byte 1 = 0x08: value 1 = −1·(8 − 8) = 0, value 17 = −1·(0 − 8) = 8. The rest 0x88: zeros.
    const block = new Uint8Array(18).fill(0x88);
    block.set([0x00, 0xbc, 0x9f, 0x08]);
    const x = dequantize('Q4_0', block, 32);
    expect([x[0], x[16], x[1], x[17]]).toEqual([-7, -1, -0, 8]);
    expect(Array.from(x).filter((v) => v !== 0)).toEqual([-7, -1, 8]);
  });

  it('a Q8_0 row quantised and read back through a GGUF file', async () => {
    // A model with dModel 32 has 32-value rows: the token embedding's row 0 is one block. x_j =
    // (4j − 62)/64 and x_31 = 127/64: max|x| = 127/64, so d = 1/64 (a half, exactly) and q_j = 64·x_j
    // are integers: the block holds the row exactly.
    const w = llama();
    const row = Float32Array.from({ length: 32 }, (_, j) => (j === 31 ? 127 : 4 * j - 62) / 64);
    w.tokenEmbedding.data.set(row);
    const file = gguf(w, { type: 'Q8_0' });
    const loaded = await loadModel([{ name: 'q8.gguf', bytes: file }]);
    expect(loaded.weights.tokenEmbedding.data.subarray(0, 32)).toEqual(row);
  });
});

describe('the HF → GGUF permutation of W_q and W_k', () => {
  it('RoPE in halves on the HF weights equals interleaved RoPE on the GGUF weights, and the scores agree', async () => {
    const w = llama();
    const g = (await loadModel([{ name: 'perm.gguf', bytes: gguf(w) }])).weights;
    const c = w.config;
    const hidden = Float32Array.from({ length: c.dModel }, (_, i) => Math.sin(i * 1.7 + 0.3));
    const positions = [0, 1, 5, 17];
    const project = (wt: Weight) => {
      const row = new Float64Array(wt.rows);
      for (let r = 0; r < wt.rows; r++) for (let i = 0; i < wt.cols; i++) row[r] += wt.data[r * wt.cols + i] * hidden[i];
      const data = new Float64Array(positions.length * wt.rows);
      positions.forEach((_, p) => data.set(row, p * wt.rows));
      return { rows: positions.length, cols: wt.rows, data };
    };
    const rope = (layout: 'half' | 'interleaved') => ({ layout, base: 10000, dims: null, offset: 0 });
    for (const layer of [0, 1]) {
      const qHf = ropeReference(project(w.layers[layer].wq), c.heads, rope('half'), (i) => positions[i]);
      const kHf = ropeReference(project(w.layers[layer].wk), c.kvHeads, rope('half'), (i) => positions[i]);
      const qG = ropeReference(project(g.layers[layer].wq), c.heads, rope('interleaved'), (i) => positions[i]);
      const kG = ropeReference(project(g.layers[layer].wk), c.kvHeads, rope('interleaved'), (i) => positions[i]);
      // The rotated GGUF q is the rotated HF q with each head's dimensions in the interleaved order.
      const asInterleaved = (m: { rows: number; cols: number; data: Float64Array }, heads: number) =>
        Array.from({ length: m.rows }, (_, r) =>
          Array.from(
            permuteHalfToInterleaved(
              { rows: m.cols, cols: 1, data: Float32Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)) },
              heads,
            ).data,
          ),
        );
      const rows = (m: { rows: number; cols: number; data: Float64Array }) =>
        Array.from({ length: m.rows }, (_, r) => Array.from(Float32Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols))));
      expect(rows(qG)).toEqual(asInterleaved(qHf, c.heads));
      expect(rows(kG)).toEqual(asInterleaved(kHf, c.kvHeads));
      // Scores q_i·k_j of query head h against its key/value head: the same in both layouts.
      const d = c.headDim,
        group = c.heads / c.kvHeads;
      for (let h = 0; h < c.heads; h++)
        for (let i = 0; i < positions.length; i++)
          for (let j = 0; j < positions.length; j++) {
            let sHf = 0,
              sG = 0;
            const kh = Math.floor(h / group);
            for (let t = 0; t < d; t++) {
              sHf += qHf.data[i * c.heads * d + h * d + t] * kHf.data[j * c.kvHeads * d + kh * d + t];
              sG += qG.data[i * c.heads * d + h * d + t] * kG.data[j * c.kvHeads * d + kh * d + t];
            }
            expect(Math.abs(sHf - sG)).toBeLessThan(1e-12 * Math.max(1, Math.abs(sHf)));
          }
    }
  });
});

describe('GPT-2 layout', () => {
  it('splits and transposes a known Conv1D c_attn into W_q, W_k, W_v and ignores attn.bias buffers', async () => {
    const config = smallConfig('gpt2', {
      dModel: 4,
      heads: 2,
      kvHeads: 2,
      headDim: 2,
      ffnDim: 8,
      vocabSize: 6,
      contextLength: 5,
      layers: 1,
    });
    const w = randomModelWeights(config, SEED);
    const { safetensors, config: configJson } = writeHfCheckpoint(w, { gpt2Prefix: true });
    const tensors = readSafetensors(safetensors).tensors;
    // c_attn is in×out, 4 × 12, columns q | k | v: entry (i, j) = 100·i + j.
    const cAttn = Float32Array.from({ length: 48 }, (_, e) => 100 * Math.floor(e / 12) + (e % 12));
    const rewritten: TensorToWrite[] = [...tensors].map(([name, t]) => ({
      name,
      shape: t.shape,
      data: name === 'transformer.h.0.attn.c_attn.weight' ? cAttn : t.data,
    }));
    rewritten.push({ name: 'transformer.h.0.attn.bias', shape: [1, 1, 5, 5], data: new Float32Array(25).fill(1) });
    rewritten.push({ name: 'transformer.h.0.attn.masked_bias', shape: [], data: [-1e4] });
    const loaded = await loadModel([
      { name: 'gpt2.safetensors', bytes: writeSafetensors(rewritten) },
      { name: 'config.json', bytes: encoder.encode(configJson) },
      tokenizerFile(6),
    ]);
    const l = loaded.weights.layers[0];
    // W_q is out×in: W_q[o][i] = c_attn[i][o] = 100·i + o; W_k[o][i] = 100·i + 4 + o; W_v: + 8.
    const expected = (from: number) => Float32Array.from({ length: 16 }, (_, e) => 100 * (e % 4) + from + Math.floor(e / 4));
    expect(l.wq).toEqual({ rows: 4, cols: 4, data: expected(0) });
    expect(l.wk.data).toEqual(expected(4));
    expect(l.wv.data).toEqual(expected(8));
    expect(loaded.weights.config).toMatchObject({
      architecture: 'gpt2',
      heads: 2,
      kvHeads: 2,
      headDim: 2,
      rope: null,
      tiedEmbeddings: true,
    });
  });

  it.each([true, false])('a random GPT-2 model round-trips (transformer. prefix: %s)', async (prefix) => {
    const w = randomModelWeights(smallConfig('gpt2'), SEED);
    const loaded = await loadModel(hfFiles(w, { gpt2Prefix: prefix }));
    expectSameWeights(loaded.weights, w);
    expect(loaded.weights.lmHead).toBe(loaded.weights.tokenEmbedding);
  });
});

/** The message of the ModelFileError `load` rejects with. */
async function refusal(load: Promise<unknown>): Promise<string> {
  try {
    await load;
  } catch (error) {
    expect(error).toBeInstanceOf(ModelFileError);
    return (error as Error).message;
  }
  return expect.fail('the file was accepted');
}

const renamed = (name: string, to: Partial<GgufTensor>) => (ts: GgufTensor[]) => ts.map((t) => (t.name === name ? { ...t, ...to } : t));

/** Offset of the u64 data offset in the tensor info of `name`, found by the name's bytes. */
function tensorInfoOffsetField(file: Uint8Array, name: string, dims: number): number {
  const needle = encoder.encode(name);
  for (let i = 0; i < file.length; i++) {
    if (needle.every((b, k) => file[i + k] === b)) return i + needle.length + 4 + 8 * dims + 4;
  }
  throw new Error(`${name} not found`);
}

describe('broken GGUF files', () => {
  const one = (bytes: Uint8Array, name = 'm.gguf') => loadModel([{ name, bytes }]);

  it('truncated in the header, and in the tensor data', async () => {
    const file = gguf(llama());
    expect(await refusal(one(file.subarray(0, 16)))).toBe('m.gguf: 16 bytes is too short for a GGUF header (24): the file is truncated');
    expect(await refusal(one(file.subarray(0, 600)))).toMatch(
      /^m\.gguf: the header runs to byte \d+ but the file has 600: the file is truncated$/,
    );
    expect(await refusal(one(file.subarray(0, file.length - 64)))).toMatch(
      /^m\.gguf: tensor "blk\.1\.ffn_down\.weight" \(F32\) spans bytes \d+–\d+ but the file has \d+: the file is truncated or the offset is wrong$/,
    );
  });

  it('wrong magic', async () => {
    const bytes = new Uint8Array(64).fill(7);
    expect(await refusal(one(bytes, 'model.bin'))).toBe(
      'model.bin: not a GGUF file (magic 07 07 07 07, expected 47 47 55 46 "GGUF"), nor safetensors (an 8-byte header length, then a JSON header), nor a llama2.c checkpoint or tokenizer',
    );
    const ggml = gguf(llama());
    ggml[3] = 0x4c; // "GGUL"
    expect(await refusal(one(ggml))).toBe(
      'm.gguf: not a GGUF file (magic 47 47 55 4c, expected 47 47 55 46 "GGUF"), nor safetensors (an 8-byte header length, then a JSON header), nor a llama2.c checkpoint or tokenizer',
    );
  });

  it('a header that does not parse', async () => {
    const file = gguf(llama());
    // The first key is "general.architecture" (20 bytes): its value type sits at 24 + 8 + 20.
    new DataView(file.buffer).setUint32(52, 99, true);
    expect(await refusal(one(file))).toBe('m.gguf: bad GGUF header: Unsupported metadata type: 99');
  });

  it('tensor data out of range of the file', async () => {
    const file = gguf(llama());
    new DataView(file.buffer).setBigUint64(tensorInfoOffsetField(file, 'blk.0.attn_v.weight', 2), 1n << 40n, true);
    expect(await refusal(one(file))).toMatch(
      /^m\.gguf: tensor "blk\.0\.attn_v\.weight" \(F32\) spans bytes \d+–\d+ but the file has \d+: the file is truncated or the offset is wrong$/,
    );
  });

  it('an architecture other than llama', async () => {
    const file = gguf(llama(), { extraMetadata: { 'general.architecture': { value: 'falcon', type: GGUFValueType.STRING } } });
    expect(await refusal(one(file))).toBe('m.gguf: architecture "falcon" is not supported: the playground reads GGUF "llama" models');
  });

  it('an empty GGUF file, and one without general.architecture, are named as missing the key', async () => {
    // Magic, version 3, no tensors, no metadata: the smallest GGUF file there is.
    const empty = new Uint8Array(24);
    empty.set(encoder.encode('GGUF'));
    new DataView(empty.buffer).setUint32(4, 3, true);
    const missing = 'has no general.architecture in its metadata: the playground reads GGUF "llama" models';
    expect(await refusal(one(empty))).toBe(`m.gguf: ${missing}`);
    const renamedKey = gguf(llama());
    // The first key, "general.architecture", renamed in place: the model's own metadata without it.
    renamedKey.set(encoder.encode('general.architectur_'), 32);
    expect(await refusal(one(renamedKey))).toBe(`m.gguf: ${missing}`);
  });

  it.each([
    [13, 'Q5_K'],
    [999, '999 (no ggml type has that number)'],
  ])('a tensor type the playground cannot dequantise (%i)', async (type, named) => {
    const file = gguf(llama(), { tamper: renamed('blk.0.attn_q.weight', { type }) });
    expect(await refusal(one(file))).toBe(
      `m.gguf: tensor "blk.0.attn_q.weight" has type ${named}; the playground dequantises F32, F16, BF16, Q8_0 and Q4_0`,
    );
  });

  it.each([
    [13, 'Q5_K'],
    [999, '999 (no ggml type has that number)'],
  ])('a tensor of a type the playground cannot dequantise that the model does not use (%i) is set aside', async (type, named) => {
    const w = llama();
    // llama.cpp's files may carry tensors the forward pass here never reads (rope_freqs.weight, …).
    const extra = { name: 'rope_freqs.weight', dims: [256], type, data: new Uint8Array(256) };
    const file = gguf(w, { tamper: (ts) => [...ts, extra] });
    const read = await readGgufModel(file, 'm.gguf');
    expect(read.unread).toEqual(new Map([['rope_freqs.weight', named]]));
    // The model is the one the file holds without it, which sets nothing aside.
    const without = await readGgufModel(gguf(w), 'm.gguf');
    expect(without.unread).toEqual(new Map());
    expect(read.tensorTypes).toEqual(without.tensorTypes);
    expect(read.weights).toEqual(without.weights);
    const loaded = await loadModel([{ name: 'm.gguf', bytes: file }]);
    expect(Array.from(loaded.weights.finalNorm)).toEqual(Array.from(w.finalNorm));
  });

  it('a missing tensor', async () => {
    const file = gguf(llama(), { tamper: (ts) => ts.filter((t) => t.name !== 'blk.1.ffn_up.weight') });
    expect(await refusal(one(file))).toBe('m.gguf: tensor "blk.1.ffn_up.weight" is missing');
  });

  it('a tensor of the wrong shape', async () => {
    const file = gguf(llama(), { tamper: renamed('blk.0.attn_k.weight', { dims: [32, 8] }) });
    expect(await refusal(one(file))).toBe('m.gguf: tensor "blk.0.attn_k.weight" has shape [32, 8] (ne0 first), expected [32, 16]');
  });

  it('an inconsistent configuration', async () => {
    const kv3 = gguf(llama(), { extraMetadata: { 'llama.attention.head_count_kv': { value: 3, type: GGUFValueType.UINT32 } } });
    expect(await refusal(one(kv3))).toBe('m.gguf: head_count 4 is not a multiple of head_count_kv 3');
    const noLayers = gguf(llama(), { extraMetadata: { 'llama.block_count': { value: 'two', type: GGUFValueType.STRING } } });
    expect(await refusal(one(noLayers))).toBe('m.gguf: metadata "llama.block_count" must be a positive integer, got two');
  });

  it('a model over the memory limit, refused from its header before anything is dequantised', async () => {
    // A 7B-sized configuration over a file that holds only the small model's tensors.
    const u32 = (value: number) => ({ value, type: GGUFValueType.UINT32 });
    const file = gguf(llama(), {
      extraMetadata: {
        'llama.embedding_length': u32(4096),
        'llama.feed_forward_length': u32(11008),
        'llama.block_count': u32(32),
        'llama.attention.head_count': u32(32),
        'llama.attention.head_count_kv': u32(32),
        'llama.attention.key_length': u32(128),
        'llama.attention.value_length': u32(128),
        'llama.rope.dimension_count': u32(128),
        'llama.vocab_size': u32(32000),
      },
    });
    const message = await refusal(one(file));
    expect(message).toMatch(
      /^m\.gguf: the model's weights take 25\.\d\d GiB as float32 \([\d,]+ values\), over the playground's limit of 1\.50 GiB$/,
    );
    expect(MODEL_MEMORY_LIMIT_BYTES).toBe(1.5 * 2 ** 30);
  });
});

describe('broken safetensors models', () => {
  const files = () => hfFiles(llama());
  const replace = (list: ModelFile[], name: string, bytes: Uint8Array) => list.map((f) => (f.name === name ? { ...f, bytes } : f));

  it('truncated', async () => {
    const list = files();
    const st = list[0].bytes;
    expect(await refusal(loadModel(replace(list, 'model.safetensors', st.subarray(0, st.length - 10))))).toMatch(
      /^model\.safetensors: tensor "[^"]+" ends at byte \d+ of the data but the file holds \d+: the file is truncated or the offsets are wrong$/,
    );
    expect(await refusal(loadModel(replace(list, 'model.safetensors', st.subarray(0, 100))))).toMatch(
      /^model\.safetensors: the header says it is \d+ bytes but the file has only 92 after the length: the file is truncated$/,
    );
  });

  it.each([
    [
      'a header length past the end of the file (2^50)',
      2n ** 50n,
      'header length 1125899906842624 bytes is larger than the file (64 bytes)',
    ],
    ['a header that is not JSON', 32n, 'the header after the 8-byte length does not start with "{" (it starts with byte 07)'],
  ])('a file named .safetensors with %s is explained as safetensors first', async (_, headerLength, why) => {
    const bytes = new Uint8Array(64).fill(7);
    new DataView(bytes.buffer).setBigUint64(0, headerLength, true);
    expect(await refusal(loadModel(replace(files(), 'model.safetensors', bytes)))).toBe(
      `model.safetensors: not a safetensors file (${why}), nor GGUF (magic ${headerLength === 32n ? '20 00 00 00' : '00 00 00 00'}, expected 47 47 55 46 "GGUF"), nor a llama2.c checkpoint or tokenizer`,
    );
  });

  it('a random file named x.safetensors, and a huge header length read directly', async () => {
    const junk = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
    expect(await refusal(loadModel([{ name: 'x.safetensors', bytes: junk }]))).toMatch(
      /^x\.safetensors: not a safetensors file \(header length \d+ bytes is larger than the file \(64 bytes\)\), nor GGUF \(magic 0b 30 55 7a, expected 47 47 55 46 "GGUF"\), nor a llama2\.c checkpoint or tokenizer$/,
    );
    const huge = new Uint8Array(64);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 50n, true);
    expect(() => readSafetensors(huge, 'model.safetensors')).toThrow(
      'model.safetensors: header length 1125899906842624 bytes is larger than the file (64 bytes): this is not a safetensors file',
    );
  });

  it('a header that is not JSON', async () => {
    const bytes = new Uint8Array(40);
    new DataView(bytes.buffer).setBigUint64(0, 32n, true);
    bytes.set(encoder.encode('{"a": [1, 2'), 8);
    expect(await refusal(loadModel(replace(files(), 'model.safetensors', bytes)))).toMatch(
      /^model\.safetensors: the header is not valid JSON \(.+\)$/,
    );
  });

  it('a missing tensor, and one of the wrong shape', async () => {
    const w = llama();
    const without = writeSafetensors(
      [...readSafetensors(writeHfCheckpoint(w).safetensors).tensors]
        .filter(([name]) => name !== 'model.layers.1.mlp.up_proj.weight')
        .map(([name, t]) => ({ name, shape: t.shape, data: t.data })),
    );
    expect(await refusal(loadModel(replace(hfFiles(w), 'model.safetensors', without)))).toBe(
      'model.safetensors: tensor "model.layers.1.mlp.up_proj.weight" is missing',
    );
    const config = JSON.parse(writeHfCheckpoint(w).config) as Record<string, unknown>;
    const wider = replace(hfFiles(w), 'config.json', json({ ...config, intermediate_size: 48 }));
    expect(await refusal(loadModel(wider))).toBe(
      'model.safetensors: tensor "model.layers.0.mlp.gate_proj.weight" has shape [64, 32], expected [48, 32]',
    );
  });

  it('a weight that is not finite, named by its place', async () => {
    const w = llama();
    w.finalNorm[3] = NaN;
    expect(await refusal(loadModel(hfFiles(w)))).toBe(
      "model.safetensors: tensor final norm holds NaN at [3]: a checkpoint's weights must be finite numbers",
    );
  });

  /** A checkpoint whose tensor `name` (F32, of `shape`) is retyped as `dtype` of the same byte length, written as `newShape`. */
  const retyped = (tensors: TensorToWrite[], name: string, shape: string, dtype: string, newShape: string): Uint8Array => {
    const bytes = writeSafetensors(tensors);
    const headerEnd = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, headerEnd));
    const from = `"${name}":{"dtype":"F32","shape":${shape}`;
    const to = `"${name}":{"dtype":"${dtype}","shape":${newShape}`;
    expect(header).toContain(from);
    expect(to.length).toBe(from.length);
    const out = bytes.slice();
    out.set(new TextEncoder().encode(header.replace(from, to)), 8);
    return out;
  };
  const checkpointTensors = (w: ModelWeights): TensorToWrite[] =>
    [...readSafetensors(writeHfCheckpoint(w).safetensors).tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));

  it('a tensor of a dtype the playground does not read: ignored when the model does not need it, named when it does', async () => {
    const w = llama();
    // Hugging Face checkpoints may carry I64 position ids (and BOOL mask buffers) beside the weights.
    const extra = retyped(
      [...checkpointTensors(w), { name: 'position_ids', shape: [2], data: [0, 0] }],
      'position_ids',
      '[2]',
      'I64',
      '[1]',
    );
    const file = readSafetensors(extra, 'model.safetensors');
    expect(file.unread).toEqual(new Map([['position_ids', 'I64']]));
    const loaded = await loadModel(replace(hfFiles(w), 'model.safetensors', extra));
    expect(Array.from(loaded.weights.finalNorm)).toEqual(Array.from(w.finalNorm));
    // The final norm (32 values, 128 bytes) as 16 I64s: the model needs it.
    const needed = retyped(checkpointTensors(w), 'model.norm.weight', '[32]', 'I64', '[16]');
    expect(await refusal(loadModel(replace(hfFiles(w), 'model.safetensors', needed)))).toBe(
      'model.safetensors: tensor "model.norm.weight" has dtype I64; the playground reads F32, F16 and BF16',
    );
    // Its offsets are still checked against its width: 32 I64s do not fit 128 bytes.
    expect(() => readSafetensors(retyped(checkpointTensors(w), 'model.norm.weight', '[32]', 'I64', '[32]'), 'm.safetensors')).toThrow(
      'm.safetensors: tensor "model.norm.weight" is I64 [32], 256 bytes, but its offsets span 128',
    );
  });

  it('one shard of a sharded checkpoint: the missing tensor names the shards not given', async () => {
    const w = llama();
    const tensors = checkpointTensors(w);
    const half = Math.ceil(tensors.length / 2);
    const shard = (i: number, part: TensorToWrite[]) => ({ name: `model-0000${i}-of-00002.safetensors`, bytes: writeSafetensors(part) });
    const [first, second] = [shard(1, tensors.slice(0, half)), shard(2, tensors.slice(half))];
    const side = hfFiles(w).filter((f) => f.name !== 'model.safetensors');
    expect(await refusal(loadModel([first, ...side]))).toMatch(
      /^model-00001-of-00002\.safetensors: tensor ".+" is missing \(the checkpoint is in 2 shards and model-00002-of-00002\.safetensors was not given: choose all of them together\)$/,
    );
    const both = await loadModel([first, second, ...side]);
    expect(Array.from(both.weights.finalNorm)).toEqual(Array.from(w.finalNorm));
    // npm run model --model DIR: a directory of the shards and their companions.
    const dir = mkdtempSync(join(tmpdir(), 'attn-shards-'));
    for (const f of [second, first, ...side]) writeFileSync(join(dir, f.name), f.bytes);
    const listed = readModelFiles(dir);
    expect(listed.map((f) => f.name)).toEqual([first.name, second.name, 'config.json', 'tokenizer.json']);
    expect(Array.from((await loadModel(listed)).weights.finalNorm)).toEqual(Array.from(w.finalNorm));
  });

  it('a tokenizer with more tokens than the model embeds', async () => {
    const list = files().map((f) => (f.name === 'tokenizer.json' ? tokenizerFile(60) : f));
    expect(await refusal(loadModel(list))).toBe(
      'model.safetensors: the tokenizer has 60 tokens but the model embeds only 50: they do not belong together',
    );
  });

  const words = wordPieceTokenizerJson(Array.from({ length: 47 }, (_, i) => `w${i}`)) as { model: Record<string, unknown> };
  it.each([
    ['without a model', { version: '1.0' }, 'has no "model" (the tokenizer\'s type and vocabulary)'],
    ['a null model', { ...words, model: null }, '"model" is null; it should be an object with the tokenizer\'s type and vocabulary'],
    [
      'a Unigram vocab that is a number',
      { model: { type: 'Unigram', vocab: 5 } },
      "model.vocab is a number; a Unigram tokenizer's vocab is a list of [piece, score] pairs",
    ],
    [
      'a vocab that is a string',
      { ...words, model: { ...words.model, vocab: 'w0 w1' } },
      "model.vocab is a string; a WordPiece tokenizer's vocab is an object of token: id",
    ],
    [
      'a vocab id that is not an integer',
      { ...words, model: { ...words.model, vocab: { w0: 0, w1: 'one' } } },
      'model.vocab gives the token "w1" the id "one", not an integer from 0',
    ],
    [
      'a BPE model without merges',
      { model: { type: 'BPE', vocab: { a: 0 } } },
      'model.merges is missing; a BPE tokenizer lists its merges',
    ],
    ['added_tokens that are a string', { ...words, added_tokens: 'x' }, '"added_tokens" is a string; it should be a list of tokens'],
    [
      'a pre_tokenizer that is a string',
      { ...words, pre_tokenizer: 'Whitespace' },
      '"pre_tokenizer" is a string; it should be an object with a "type", or null',
    ],
  ])('a tokenizer.json with %s names the field', async (_, tokenizer, message) => {
    expect(await refusal(loadModel(replace(files(), 'tokenizer.json', json(tokenizer))))).toBe(`tokenizer.json: ${message}`);
  });

  it.each(['config.json', 'tokenizer.json'])('without %s', async (missing) => {
    expect(await refusal(loadModel(files().filter((f) => f.name !== missing)))).toBe(
      `model.safetensors: a safetensors model needs ${missing} beside it, and it was not given`,
    );
  });

  it('an inconsistent or unknown configuration', async () => {
    const config = JSON.parse(writeHfCheckpoint(llama()).config) as Record<string, unknown>;
    const bad = (patch: Record<string, unknown>) => loadModel(replace(files(), 'config.json', json({ ...config, ...patch })));
    expect(await refusal(bad({ num_key_value_heads: 3 }))).toBe(
      'config.json: num_attention_heads 4 is not a multiple of num_key_value_heads 3',
    );
    expect(await refusal(bad({ model_type: 'falcon' }))).toBe(
      'config.json: model_type "falcon" is not supported: the playground reads "llama" (and "mistral") and "gpt2" models',
    );
    expect(await refusal(bad({ hidden_size: -1 }))).toBe('config.json: "hidden_size" must be a positive integer, got -1');
    const withoutType = Object.fromEntries(Object.entries(config).filter(([key]) => !['model_type', 'hidden_size'].includes(key)));
    expect(await refusal(loadModel(replace(files(), 'config.json', json(withoutType))))).toBe(
      'config.json: has no model_type (nor hidden_size or n_embd to tell the architecture by): the playground reads "llama" (and "mistral") and "gpt2" models',
    );
  });

  it('a model over the memory limit, refused from config.json before a tensor is decoded', async () => {
    const config = JSON.parse(writeHfCheckpoint(llama()).config) as Record<string, unknown>;
    const big = {
      ...config,
      hidden_size: 4096,
      intermediate_size: 11008,
      num_attention_heads: 32,
      num_key_value_heads: 32,
      num_hidden_layers: 32,
      head_dim: 128,
      vocab_size: 32000,
    };
    expect(await refusal(loadModel(replace(files(), 'config.json', json(big))))).toMatch(
      /^model\.safetensors: the model's weights take 25\.\d\d GiB as float32 \(6,7\d\d,\d{3},\d{3} values\), over the playground's limit of 1\.50 GiB$/,
    );
  });

  it('GGUF and safetensors together, or no weights at all', async () => {
    expect(await refusal(loadModel([...files(), { name: 'x.gguf', bytes: gguf(llama()) }]))).toBe(
      'x.gguf, model.safetensors: a model is GGUF, safetensors or llama2.c, one of them',
    );
    expect(await refusal(loadModel(files().slice(1)))).toBe(
      'config.json, tokenizer.json: no model weights among the files (a .gguf file, .safetensors with config.json and tokenizer.json, or a llama2.c checkpoint with its tokenizer .bin)',
    );
  });
});

describe('roles.json and URLs', () => {
  const roles = {
    method: { 'previous-token': 'p', induction: 'i', antecedent: 'a' },
    heldOut: { 'previous-token': 10, induction: 10, antecedent: 10 },
    heads: [{ layer: 1, head: 3, previousToken: 0.9, induction: 0.1, antecedent: 0 }],
  };

  it('reads roles.json beside a model, and refuses one that names a head the model lacks', async () => {
    const loaded = await loadModel([
      { name: 'm.gguf', bytes: gguf(llama()) },
      { name: 'roles.json', bytes: json(roles) },
    ]);
    expect(loaded.roles).toEqual(roles);
    const wrong = { ...roles, heads: [{ ...roles.heads[0], layer: 2 }] };
    expect(
      await refusal(
        loadModel([
          { name: 'm.gguf', bytes: gguf(llama()) },
          { name: 'roles.json', bytes: json(wrong) },
        ]),
      ),
    ).toBe('roles.json: names head 2.3, but the model has 2 layers of 4 heads');
  });

  const server = tableFetch;

  it('fetches a GGUF URL, or a safetensors URL and its neighbours', async () => {
    const g = gguf(llama());
    expect(
      await fetchModelFiles('https://models.test/a/m.gguf?download=1', server({ 'https://models.test/a/m.gguf?download=1': g })),
    ).toEqual([{ name: 'm.gguf', bytes: g }]);
    const [st, config, tokenizer] = hfFiles(llama());
    const seen: string[] = [];
    const fetched = await fetchModelFiles(
      '/models/model.safetensors',
      server(
        { '/models/model.safetensors': st.bytes, '/models/config.json': config.bytes, '/models/tokenizer.json': tokenizer.bytes },
        seen,
      ),
    );
    expect(fetched.map((f) => f.name)).toEqual(['model.safetensors', 'config.json', 'tokenizer.json']);
    expect(seen).toEqual([
      '/models/model.safetensors',
      '/models/config.json',
      '/models/tokenizer.json',
      '/models/tokenizer_config.json',
      '/models/roles.json',
    ]);
    expect((await loadModel(fetched)).weights.config.architecture).toBe('llama');
  });

  it('names the URL of a network error or an HTTP error', async () => {
    const failing = (() => Promise.reject(new TypeError('fetch failed'))) as typeof fetch;
    expect(await refusal(fetchModelFiles('https://models.test/m.gguf', failing))).toBe(
      'https://models.test/m.gguf: could not be fetched (fetch failed)',
    );
    expect(await refusal(fetchModelFiles('https://models.test/m.gguf', server({})))).toBe('https://models.test/m.gguf: HTTP 404 Not Found');
    const st = hfFiles(llama())[0].bytes;
    expect(await refusal(fetchModelFiles('https://models.test/m.safetensors', server({ 'https://models.test/m.safetensors': st })))).toBe(
      'https://models.test/config.json: HTTP 404 Not Found',
    );
  });
});
