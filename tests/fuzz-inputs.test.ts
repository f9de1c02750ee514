/**
 * Generated malformed inputs for every reader the page and the CLIs have: matrices (.npy, .json,
 * .csv, pasted blocks), links and saved states, and model files (safetensors, GGUF). Each input
 * either reads, with exactly the values it holds (or what a mutated header now says), or fails with
 * an InputError (ModelFileError is one) whose message names the problem; never a raw TypeError,
 * RangeError or SyntaxError, and never a value silently changed. Seeded: a failure names its seed
 * and case, and the same seed replays it.
 */
import { describe, expect, it } from 'vitest';
import { Float16Array } from '@petamoriken/float16';
import LZString from 'lz-string';
import { GGUFValueType } from '@huggingface/gguf';
import { InputError } from '../src/core/errors';
import { isDecimalText } from '../src/core/float32';
import { parseDelimited, parseJsonMatrix, parseNpy, toNpy } from '../src/core/io';
import { ModelFileError } from '../src/core/model/config';
import { randomModelWeights, smallConfig } from '../src/core/model/random';
import { readSafetensors, writeSafetensors } from '../src/core/model/safetensors';
import { parsePasteBlock } from '../src/core/paste';
import type { Rng } from '../src/core/rng';
import { createRng } from '../src/core/rng';
import type { PlaygroundState } from '../src/core/state';
import { checkState, decodeState, defaultState, encodeState, parseState, parseStateJson, sameState } from '../src/core/state';
import { matrix } from '../src/core/tensor';
import { readGgufModel } from '../src/model/gguf';
import { writeGgufModel } from '../src/model/gguf-write';
import { sentencePieceVocabulary } from './helpers/tokenizer-json';

/** Messages of JavaScript's own errors: none may reach the user in place of a description of the input. */
const RAW =
  /Cannot read propert|is not a function|is not iterable|Invalid typed array length|Maximum call stack|out of bounds|Offset is outside|Invalid array length|undefined/;

/** Runs a reader; returns its result, or null after checking that it failed the way an input should. */
function attempt<T>(read: () => T, where: string): T | null {
  try {
    return read();
  } catch (error) {
    expectInputError(error, where);
    return null;
  }
}

async function attemptAsync<T>(read: () => Promise<T>, where: string): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    expectInputError(error, where);
    return null;
  }
}

function expectInputError(error: unknown, where: string): void {
  const message = (error as Error)?.message ?? String(error);
  expect(error, `${where}: ${(error as Error)?.name}: ${message}`).toBeInstanceOf(InputError);
  expect(message.length, `${where}: an empty message`).toBeGreaterThan(10);
  expect(message, where).not.toMatch(RAW);
}

const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng.next() * list.length)];
const int = (rng: Rng, max: number) => Math.floor(rng.next() * max);

type Mutation = { kind: string; at: number; bytes: Uint8Array };

/** A valid file, damaged one way: cut short, a byte flipped or overwritten, bytes inserted or dropped. */
function mutate(rng: Rng, original: Uint8Array, region: [number, number] = [0, original.length]): Mutation {
  const at = region[0] + int(rng, region[1] - region[0]);
  const bytes = original.slice();
  const kind = pick(rng, ['truncate', 'flip', 'zero', 'ff', 'random', 'insert', 'drop'] as const);
  switch (kind) {
    case 'truncate':
      return { kind, at, bytes: bytes.slice(0, at) };
    case 'flip':
      bytes[at] ^= 1 << int(rng, 8);
      return { kind, at, bytes };
    case 'zero':
    case 'ff':
      bytes[at] = kind === 'zero' ? 0 : 0xff;
      return { kind, at, bytes };
    case 'random':
      bytes[at] = int(rng, 256);
      return { kind, at, bytes };
    case 'insert':
      return { kind, at, bytes: Uint8Array.from([...bytes.subarray(0, at), int(rng, 256), ...bytes.subarray(at)]) };
    case 'drop':
      return { kind, at, bytes: Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + 1)]) };
  }
}

const SEEDS = [11, 12, 13];

// ---------------------------------------------------------------- .npy

describe.each(SEEDS)('.npy files, damaged (seed %i)', (seed) => {
  it('read with the values the header says, or fail with an InputError', () => {
    const rng = createRng(seed);
    const m = matrix(
      3,
      4,
      Array.from({ length: 12 }, (_, i) => i - 5.25),
    );
    const original = new Uint8Array(toNpy(m));
    const dataOffset = original.length - 12 * 4;
    for (let i = 0; i < 60; i++) {
      const headerOnly = rng.next() < 0.6;
      const { kind, at, bytes } = mutate(rng, original, headerOnly ? [0, dataOffset] : [0, original.length]);
      const where = `seed ${seed}, case ${i}: ${kind} at byte ${at}`;
      const read = attempt(() => parseNpy(bytes.slice().buffer, 'fuzz.npy'), where);
      if (!read) continue;
      // A float32 file's values are read as the shortest decimals of its float32s: compare those float32s.
      const values = Array.from(read.data, Math.fround);
      const header = (b: Uint8Array) => new TextDecoder('latin1').decode(b.subarray(0, dataOffset));
      const sameHeader = header(bytes) === header(original);
      if (at >= dataOffset && ['flip', 'zero', 'ff', 'random'].includes(kind)) {
        // One value changed, in the element the byte belongs to; every other value is as written.
        const changed = Math.floor((at - dataOffset) / 4);
        const view = new Float32Array(bytes.slice(dataOffset).buffer);
        expect(values, where).toEqual(Array.from(view));
        m.data.forEach((x, j) => j !== changed && expect(read.data[j], where).toBe(x));
      } else if (sameHeader || kind === 'truncate') {
        expect(values, where).toEqual(Array.from(m.data));
      } else {
        // The header now says something else (another shape, dtype or order): the values are what it says.
        const descr = /'descr'\s*:\s*'([^']*)'/.exec(header(bytes))?.[1];
        if (descr === '<f4' && read.rows * read.cols === 12) {
          const stored = new Float32Array(bytes.slice(bytes.length - 48).buffer);
          expect(values.sort(), where).toEqual(Array.from(stored).sort());
        }
      }
    }
  });
});

/** The smallest Llama the GGUF cases write: one layer, two query heads sharing one K/V head. */
function tinyLlama() {
  return smallConfig('llama', { dModel: 16, ffnDim: 32, headDim: 8, heads: 2, kvHeads: 1, layers: 1, vocabSize: 12, contextLength: 16 });
}

describe('.npy files with other numbers in the header', () => {
  const m = matrix(
    3,
    4,
    Array.from({ length: 12 }, (_, i) => i * 1.5 - 4),
  );
  const original = new TextDecoder('latin1').decode(new Uint8Array(toNpy(m)));
  it.each([
    '(4, 3)',
    '(2, 6)',
    '(12,)',
    '(1, 12)',
    '(12, 1)',
    '(3, 4, 1)',
    '(-3, 4)',
    '(3.0, 4)',
    '(3e0, 4)',
    '(0x3, 4)',
    '(99999999999, 4)',
    '(2, 2)',
    '(4, 4)',
    '(0, 4)',
    '()',
    '(,)',
    '(3 4)',
    '(True, 4)',
  ])('shape %s: the same 12 values in that shape, or an InputError', (shape) => {
    // Same header length (padding absorbs the difference), so only the shape changed.
    const header = original.replace(/'shape': \([^)]*\), /, (found) => `'shape': ${shape}, `.padEnd(found.length, ' '));
    const bytes = Uint8Array.from(header, (c) => c.charCodeAt(0));
    const read = attempt(() => parseNpy(bytes.buffer, 'fuzz.npy'), shape);
    if (read) expect(Array.from(read.data), shape).toEqual(Array.from(m.data));
  });
});

// ---------------------------------------------------------------- text matrices

/** Cells as people and programs write them, and as attackers do. */
const CELLS = [
  '1',
  '-2.5',
  '.5',
  '3e2',
  '1E-3',
  '\u22124',
  '0',
  '-0',
  '1e39',
  '-1e39',
  '1e-50',
  '1e400',
  '0x10',
  '0b101',
  '0o17',
  'Infinity',
  'NaN',
  '',
  ' ',
  'abc',
  '1_000',
  '"1"',
  '1.2.3',
  '--1',
  '+7',
  '3.4028235e38',
  '[1]',
  '{}',
  'null',
  'true',
];

function generatedGrid(rng: Rng): string[][] {
  const rows = 1 + int(rng, 4),
    cols = 1 + int(rng, 4);
  return Array.from({ length: rows }, () => Array.from({ length: cols + (rng.next() < 0.1 ? 1 : 0) }, () => pick(rng, CELLS)));
}

/** What a cell must read as: a plain decimal within float32's range, else nothing (the reader must refuse it). */
function expected(cell: string): number | null {
  const text = cell.trim().replace(/^\u2212/, '-');
  if (!isDecimalText(text)) return null;
  const value = Number(text);
  return Number.isFinite(Math.fround(value)) ? value : null;
}

describe.each(SEEDS)('.csv, .json and pasted blocks, generated (seed %i)', (seed) => {
  it.each([
    ['csv', (g: string[][]) => g.map((r) => r.join(',')).join('\n'), (t: string) => Array.from(parseDelimited(t, 'fuzz.csv').data)],
    ['tsv', (g: string[][]) => g.map((r) => r.join('\t')).join('\r\n'), (t: string) => Array.from(parseDelimited(t, 'fuzz.tsv').data)],
    [
      'json',
      (g: string[][]) => `[${g.map((r) => `[${r.map((c) => (rng0.next() < 0.5 ? JSON.stringify(c) : c)).join(',')}]`).join(',')}]`,
      (t: string) => Array.from(parseJsonMatrix(t, 'fuzz.json').data),
    ],
    ['paste', (g: string[][]) => g.map((r) => r.join('\t')).join('\n'), (t: string) => parsePasteBlock(t).flat()],
  ] as const)('%s: values exactly as written, or an InputError', (format, write, read) => {
    const rng = createRng(seed);
    for (let i = 0; i < 60; i++) {
      const grid = generatedGrid(rng);
      const text = write(grid);
      const where = `seed ${seed}, case ${i}: ${JSON.stringify(text)}`;
      const values = attempt(() => read(text), where);
      if (!values) continue;
      // JSON strings are read for their text; a paste drops brackets (a printed array's).
      const cells = grid
        .flat()
        .map((c) => (format === 'json' ? c.replace(/^"(.*)"$/, '$1') : format === 'paste' ? c.replace(/[[\]]/g, '') : c));
      const wanted = cells.map(expected);
      // A grid the reader accepted held only decimals, and each reads as itself, as written (float64).
      expect(
        wanted.every((x) => x !== null),
        where,
      ).toBe(true);
      expect(values, where).toEqual(wanted);
    }
  });

  it('deeply nested and oversized JSON is refused with a message', () => {
    const rng = createRng(seed);
    for (let i = 0; i < 5; i++) {
      const depth = 2 + int(rng, 50_000);
      const text = '['.repeat(depth) + (rng.next() < 0.5 ? '1' : '') + ']'.repeat(depth);
      attempt(() => parseJsonMatrix(text, 'fuzz.json'), `seed ${seed}, depth ${depth}`);
    }
  });
});
const rng0 = createRng(5);

// ---------------------------------------------------------------- links and saved states

/** Junk of every JSON kind, and values just past each limit. */
const JUNK: unknown[] = [
  null,
  true,
  -1,
  0.5,
  1e39,
  2 ** 31,
  '',
  'x'.repeat(5000),
  [],
  [[]],
  [[1e39]],
  [[1, 2], [3]],
  {},
  { a: 1 },
  [null],
  -0,
];

function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const path = [...prefix, Array.isArray(value) ? Number(key) : key];
      out.push(path);
      paths(child, path, out);
    }
  }
  return out;
}

function at(value: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);
}

function withValue(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  const parent = at(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1]] = replacement;
  return copy;
}

function richState(): PlaygroundState {
  const s = defaultState();
  return {
    ...s,
    matrix: {
      ...s.matrix,
      queryLabels: ['a', 'b'],
      wo: [
        [1, 0],
        [0, 1],
      ],
    },
    mask: [
      [1, 0, 1],
      [1, 1, 0],
    ],
    padding: [2],
    options: { ...s.options, heads: 1, window: 2, sinks: [0.5], rope: { layout: 'half', base: 10000, dims: null, offset: 0 } },
    kernels: { softmax: '// edited' },
  };
}

describe.each(SEEDS)('saved states and links, damaged (seed %i)', (seed) => {
  it('a saved state with one field replaced reads exactly as written, or fails with an InputError', () => {
    const rng = createRng(seed);
    const original = JSON.parse(JSON.stringify(richState())) as unknown;
    const all = paths(original);
    for (let i = 0; i < 80; i++) {
      const path = pick(rng, all);
      const replacement = pick(rng, JUNK);
      const mutated = withValue(original, path, replacement);
      const where = `seed ${seed}, case ${i}: ${path.join('.')} = ${JSON.stringify(replacement)?.slice(0, 40)}`;
      const read = attempt(() => parseStateJson(JSON.stringify(mutated)), where);
      if (!read) continue;
      // Accepted: the value is kept as written (no coercion; an object's missing fields take their
      // defaults, unknown ones are ignored) and the state is one the page can keep.
      const isObject = replacement !== null && typeof replacement === 'object' && !Array.isArray(replacement);
      if (!isObject) expect(JSON.stringify(at(read, path)), where).toBe(JSON.stringify(replacement));
      expect(() => checkState(read), where).not.toThrow();
      expect(sameState(parseState(JSON.parse(JSON.stringify(read))), read), where).toBe(true);
    }
  });

  it('a link with characters changed, cut or added reads as some valid state, or fails with an InputError', () => {
    const rng = createRng(seed);
    const link = encodeState(richState());
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$%<>#?&=';
    for (let i = 0; i < 60; i++) {
      const k = int(rng, link.length);
      const kind = pick(rng, ['cut', 'change', 'add'] as const);
      const c = pick(rng, [...alphabet]);
      const mutated =
        kind === 'cut'
          ? link.slice(0, k)
          : kind === 'change'
            ? link.slice(0, k) + c + link.slice(k + 1)
            : link.slice(0, k) + c + link.slice(k);
      const where = `seed ${seed}, case ${i}: ${kind} at ${k} (${c})`;
      const read = attempt(() => decodeState(mutated), where);
      // A link that still decodes says exactly what its JSON says.
      if (read) expect(sameState(read, parseState(JSON.parse(LZString.decompressFromEncodedURIComponent(mutated)!))), where).toBe(true);
    }
  });
});

// ---------------------------------------------------------------- model files

describe.each(SEEDS)('model files, damaged (seed %i)', (seed) => {
  it('safetensors: tensors read as their header says, or a ModelFileError', () => {
    const rng = createRng(seed);
    const a = Float32Array.from({ length: 6 }, (_, i) => i / 4 - 0.5);
    const b = Float32Array.from({ length: 4 }, (_, i) => 10 + i);
    const original = writeSafetensors([
      { name: 'a', shape: [2, 3], data: a },
      { name: 'b', shape: [4], data: b, dtype: 'F16' },
    ]);
    const headerEnd = 8 + Number(new DataView(original.buffer).getBigUint64(0, true));
    for (let i = 0; i < 60; i++) {
      const { kind, at: byte, bytes } = mutate(rng, original, rng.next() < 0.7 ? [0, headerEnd] : [headerEnd, original.length]);
      const where = `seed ${seed}, case ${i}: ${kind} at byte ${byte}`;
      const read = attempt(() => readSafetensors(bytes, 'fuzz.safetensors'), where);
      if (!read) continue;
      expect(read.tensors.size, where).toBeGreaterThan(0);
      // Every tensor holds exactly the bytes its (possibly damaged) header entry points at, decoded as its dtype.
      const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<
        string,
        { dtype: string; data_offsets: [number, number] }
      >;
      for (const [name, tensor] of read.tensors) {
        const [begin, end] = header[name].data_offsets;
        const raw = bytes.slice(8 + length + begin, 8 + length + end);
        const decoded =
          tensor.dtype === 'F32'
            ? new Float32Array(raw.buffer)
            : tensor.dtype === 'F16'
              ? Float32Array.from(new Float16Array(raw.buffer))
              : null;
        if (decoded) expect(Array.from(tensor.data), `${where}: tensor ${name}`).toEqual(Array.from(decoded));
      }
    }
  });

  it('safetensors: other numbers in the header give what the header says, or a ModelFileError', () => {
    const rng = createRng(seed);
    const data = Float32Array.from({ length: 6 }, (_, i) => i - 2.5);
    const numbers = [-1, 0, 1, 2, 3, 6, 24, 25, 2 ** 53, 1e300, 0.5, '2', null];
    for (let i = 0; i < 30; i++) {
      const entry = {
        dtype: pick(rng, ['F32', 'F16', 'BF16', 'F64', 'I8', 'f32']),
        shape: [2, 3] as unknown[],
        data_offsets: [0, 24] as unknown[],
      };
      if (rng.next() < 0.5) entry.shape = Array.from({ length: int(rng, 4) }, () => pick(rng, numbers));
      if (rng.next() < 0.5) entry.data_offsets = [pick(rng, numbers), pick(rng, numbers)];
      const header = new TextEncoder().encode(JSON.stringify({ t: entry }));
      const bytes = new Uint8Array(8 + header.length + 24);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
      bytes.set(header, 8);
      bytes.set(new Uint8Array(data.buffer), 8 + header.length);
      const where = `seed ${seed}, case ${i}: ${JSON.stringify(entry)}`;
      const read = attempt(() => readSafetensors(bytes, 'fuzz.safetensors'), where);
      if (!read) continue;
      const t = read.tensors.get('t');
      if (!t) {
        // A dtype the playground does not read is set aside, refused only if a model needs it.
        expect(['F64', 'I8', 'f32'], where).toContain(entry.dtype);
        expect(read.unread.get('t'), where).toBe(entry.dtype);
        continue;
      }
      const [begin, end] = entry.data_offsets as [number, number];
      const raw = bytes.slice(8 + header.length + begin, 8 + header.length + end);
      expect(t.shape, where).toEqual(entry.shape);
      if (t.dtype === 'F32') expect(Array.from(t.data), where).toEqual(Array.from(new Float32Array(raw.buffer)));
    }
  });

  it('GGUF: other numbers in the metadata, or a ModelFileError', async () => {
    const rng = createRng(seed);
    const config = tinyLlama();
    const weights = randomModelWeights(config, seed);
    const vocabulary = sentencePieceVocabulary(Array.from({ length: config.vocabSize - 3 }, (_, i) => `▁w${i}`));
    const keys = [
      'llama.embedding_length',
      'llama.attention.head_count',
      'llama.attention.head_count_kv',
      'llama.block_count',
      'llama.feed_forward_length',
      'llama.context_length',
      'llama.vocab_size',
      'llama.attention.key_length',
    ];
    for (let i = 0; i < 8; i++) {
      const key = pick(rng, keys);
      const value = pick(rng, [0, 1, 3, 4, 7, 64, 2 ** 31 - 1]);
      const bytes = writeGgufModel(weights, vocabulary, { extraMetadata: { [key]: { value, type: GGUFValueType.UINT32 } } });
      const where = `seed ${seed}, case ${i}: ${key} = ${value}`;
      const read = await attemptAsync(() => readGgufModel(bytes, 'fuzz.gguf'), where);
      // Read: the model is the one written, with the number the file gives.
      if (read) expect(read.weights.layers[0].wv.data, where).toEqual(weights.layers[0].wv.data);
    }
  });

  it('GGUF: weights as written (a damaged data byte changes one value), or a ModelFileError', async () => {
    const rng = createRng(seed);
    const config = tinyLlama();
    const weights = randomModelWeights(config, seed);
    const pieces = Array.from({ length: config.vocabSize - 3 }, (_, i) => `▁w${i}`);
    const original = writeGgufModel(weights, sentencePieceVocabulary(pieces));
    const reference = await readGgufModel(original, 'fuzz.gguf');
    const flat = (w: typeof reference.weights) => [
      w.tokenEmbedding.data,
      w.finalNorm,
      ...w.layers.flatMap((l) => [
        l.attnNorm,
        l.wq.data,
        l.wk.data,
        l.wv.data,
        l.wo.data,
        l.mlpNorm,
        l.gate?.data ?? new Float32Array(0),
        l.up.data,
        l.down.data,
      ]),
    ];
    // The header (metadata and tensor infos) is all but the tensors' bytes at the end.
    const dataBytes = flat(reference.weights).reduce((sum, t) => sum + t.length * 4, 0);
    const headerEnd = original.length - dataBytes;
    for (let i = 0; i < 30; i++) {
      const inData = rng.next() < 0.3;
      const { kind, at: byte, bytes } = mutate(rng, original, inData ? [headerEnd, original.length] : [0, headerEnd]);
      const where = `seed ${seed}, case ${i}: ${kind} at byte ${byte} of ${original.length}`;
      const read = await attemptAsync(() => readGgufModel(bytes, 'fuzz.gguf'), where);
      if (!read || kind === 'insert' || kind === 'drop' || kind === 'truncate') continue;
      if (inData) {
        const changed = flat(read.weights).reduce(
          (count, t, j) => count + t.filter((x, k) => !Object.is(x, flat(reference.weights)[j][k])).length,
          0,
        );
        expect(changed, where).toBeLessThanOrEqual(1);
      }
    }
  });
});

it("ModelFileError is an InputError: one vocabulary for what is wrong with the user's input", () => {
  expect(new ModelFileError('x')).toBeInstanceOf(InputError);
});
