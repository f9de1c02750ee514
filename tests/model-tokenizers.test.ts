/**
 * The tokenizers of real checkpoints: GGUF vocabularies of each kind ("gpt2" byte-level BPE, "llama"
 * SentencePiece, "bert" WordPiece) rebuilt as tokenizer.json for tokenizers.js, and a Hugging Face
 * WordPiece tokenizer.json carried into GGUF and back. Each sentence's ids are worked out by hand in
 * the comments.
 */
import { describe, expect, it } from 'vitest';
import type { GgufVocabulary } from '../src/core/model/gguf-vocab';
import { TOKEN_TYPE, ggufVocabularyFromTokenizerJson, sentencePieceMerges } from '../src/core/model/gguf-vocab';
import { randomModelWeights, smallConfig } from '../src/core/model/random';
import { ggufTokenizer, ggufVocabulary } from '../src/model/gguf-tokenizer';
import { writeGgufModel } from '../src/model/gguf-write';
import { loadModel } from '../src/model/load';
import { tokenizerFromJson } from '../src/model/tokenizer';
import type { GgufMetadata } from '../src/model/gguf';
import { wordPieceTokenizerJson } from './helpers/tokenizer-json';
import { InputError } from '../src/core/errors';

const { NORMAL, CONTROL, UNKNOWN, BYTE } = TOKEN_TYPE;

/** GGUF metadata of a vocabulary, as the reader sees it. */
function metadataOf(v: GgufVocabulary): GgufMetadata {
  const md: GgufMetadata = {
    'tokenizer.ggml.model': v.model,
    'tokenizer.ggml.tokens': v.tokens,
    'tokenizer.ggml.token_type': v.tokenTypes,
    'tokenizer.ggml.add_bos_token': v.addBos,
  };
  if (v.scores) md['tokenizer.ggml.scores'] = v.scores;
  if (v.merges) md['tokenizer.ggml.merges'] = v.merges;
  if (v.bos !== null) md['tokenizer.ggml.bos_token_id'] = v.bos;
  if (v.eos !== null) md['tokenizer.ggml.eos_token_id'] = v.eos;
  if (v.unk !== null) md['tokenizer.ggml.unknown_token_id'] = v.unk;
  if (v.pre !== undefined) md['tokenizer.ggml.pre'] = v.pre;
  return md;
}

// Byte-level BPE: "Ġ" is the space byte. Merges in rank order.
const GPT2: GgufVocabulary = {
  model: 'gpt2',
  //        0                1    2    3    4    5    6    7     8      9     10      11    12
  tokens: ['<|endoftext|>', 'l', 'o', 'w', 'e', 'r', 'Ġ', 'lo', 'low', 'Ġl', 'Ġlow', 'er', 'Ġlo'],
  tokenTypes: [CONTROL, ...Array<number>(12).fill(NORMAL)],
  merges: ['l o', 'lo w', 'Ġ l', 'Ġl o', 'Ġlo w', 'e r'],
  bos: 0,
  eos: 0,
  unk: null,
  addBos: false,
};

// SentencePiece: merges come from the pieces and their scores.
const SPM: GgufVocabulary = {
  model: 'llama',
  //        0        1      2       3         4    5    6    7    8     9     10      11   12   13    14     15
  tokens: ['<unk>', '<s>', '</s>', '<0x21>', '▁', 't', 'h', 'e', '▁t', 'he', '▁the', 'c', 'a', '▁c', 'at', '▁cat'],
  tokenTypes: [UNKNOWN, CONTROL, CONTROL, BYTE, ...Array<number>(12).fill(NORMAL)],
  scores: [0, 0, 0, 0, -10, -10, -10, -10, -3, -4, -1, -10, -10, -5, -6, -2],
  bos: 1,
  eos: 2,
  unk: 0,
  addBos: true,
};

//                 3      4      5      6     7      8    9     10
const WORDS = ['the', 'cat', 'sat', 'on', 'mat', '##s', '.', 'dog'];

describe('GGUF "gpt2" vocabulary (byte-level BPE)', () => {
  const tokenizer = ggufTokenizer(metadataOf(GPT2), 'gpt2.gguf');

  it('encodes by merge rank', () => {
    // "low" → l o w → (l o, rank 0) lo w → (lo w, rank 1) low = 8.
    // " lower" → Ġ l o w e r: l o (rank 0) beats Ġ l (2) → Ġ lo w e r; "Ġ lo" is no merge, lo w (1)
    // → Ġ low e r; e r (5) → Ġ low er = 6 8 11. No BOS: add_bos_token is false.
    expect(tokenizer.encode('low lower')).toEqual([8, 6, 8, 11]);
    expect(tokenizer.decode([8, 6, 8, 11])).toBe('low lower');
  });

  it('shows byte-level pieces as text, and knows its special tokens', () => {
    expect(tokenizer.tokenText(6)).toBe(' ');
    expect(tokenizer.tokenText(10)).toBe(' low');
    expect(tokenizer.vocabSize).toBe(13);
    expect([tokenizer.bos, tokenizer.eos]).toEqual([0, 0]);
    expect(tokenizer.decode([0, 8])).toBe('low');
    // Ids past the vocabulary (a model's padded embedding) decode to nothing; no ids, no text.
    expect(tokenizer.decode([8, 13, 999])).toBe('low');
    expect(tokenizer.decode([])).toBe('');
    expect(tokenizer.tokenText(999)).toBe('<999>');
  });
});

describe.each([
  // GPT-2's split keeps "12345" and " 6" whole: 12345 = 10, Ġ6 = 11.
  [undefined, [10, 11]],
  // Llama 3's splits digits in threes and leaves the space alone: 123 45 Ġ 6 = 8 9 6 5.
  ['llama-bpe', [8, 9, 6, 5]],
  // SmolLM's splits every digit (Digits, individual) before the byte-level split: 1 2 3 4 5 Ġ 6.
  ['smollm', [0, 1, 2, 3, 4, 6, 5]],
] as const)('GGUF "gpt2" vocabulary with tokenizer.ggml.pre %s', (pre, ids) => {
  const DIGITS: GgufVocabulary = {
    model: 'gpt2',
    //        0    1    2    3    4    5    6    7     8      9     10       11
    tokens: ['1', '2', '3', '4', '5', '6', 'Ġ', '12', '123', '45', '12345', 'Ġ6'],
    tokenTypes: Array<number>(12).fill(NORMAL),
    merges: ['1 2', '12 3', '4 5', '123 45', 'Ġ 6'],
    bos: null,
    eos: null,
    unk: null,
    addBos: false,
    pre,
  };

  it('encodes "12345 6" with its split', () => {
    const tokenizer = ggufTokenizer(metadataOf(DIGITS), 'digits.gguf');
    expect(tokenizer.encode('12345 6')).toEqual(ids);
    expect(tokenizer.decode([...ids])).toBe('12345 6');
  });
});

describe('GGUF "llama" vocabulary (SentencePiece → BPE with byte fallback)', () => {
  it("derives the merges from pieces and scores, as HF's converter", () => {
    // Each piece's two-piece splits, ranked by the piece's score (−1 first): ▁the = ▁t+he (−1),
    // ▁cat = ▁c+at (−2), ▁t = ▁+t (−3), he = h+e (−4), ▁c = ▁+c (−5), at = a+t (−6).
    expect(sentencePieceMerges(SPM.tokens, SPM.scores!)).toEqual([
      ['▁t', 'he'],
      ['▁c', 'at'],
      ['▁', 't'],
      ['h', 'e'],
      ['▁', 'c'],
      ['a', 't'],
    ]);
  });

  it('encodes with BOS, "▁" for spaces and bytes for unknown characters', () => {
    const tokenizer = ggufTokenizer(metadataOf(SPM), 'spm.gguf');
    // "the cat!" → "▁the▁cat!"; ▁+t → ▁t, h+e → he, ▁t+he → ▁the, ▁+c → ▁c, a+t → at, ▁c+at → ▁cat;
    // "!" is no piece: byte fallback <0x21> (3). BOS 1 first.
    expect(tokenizer.encode('the cat!')).toEqual([1, 10, 15, 3]);
    expect(tokenizer.decode([1, 10, 15, 3])).toBe('the cat!');
    expect(tokenizer.tokenText(15)).toBe(' cat');
    expect([tokenizer.bos, tokenizer.eos, tokenizer.vocabSize]).toEqual([1, 2, 16]);
  });

  it('puts no "▁" before the text when add_space_prefix is false', () => {
    const tokenizer = ggufTokenizer({ ...metadataOf(SPM), 'tokenizer.ggml.add_space_prefix': false }, 'spm.gguf');
    // "the cat!" → "the▁cat!": no ▁t at the start, so t stays alone; h+e → he; ▁c+at → ▁cat; ! → <0x21>.
    expect(tokenizer.encode('the cat!')).toEqual([1, 5, 9, 15, 3]);
    expect(tokenizer.decode([1, 5, 9, 15, 3])).toBe('the cat!');
  });
});

describe.each(['BertPreTokenizer', 'Whitespace'] as const)(
  'WordPiece with %s: a Hugging Face tokenizer.json and its GGUF "bert" form',
  (split) => {
    const json = wordPieceTokenizerJson(WORDS, split);

    it('the tokenizer.json encodes with <s>, lowercase, "##" continuations and [UNK]', () => {
      const tokenizer = tokenizerFromJson(json);
      // "The cats sat on the mat." → <s> the cat ##s sat on the mat . = 0 3 4 8 5 6 3 7 9
      expect(tokenizer.encode('The cats sat on the mat.')).toEqual([0, 3, 4, 8, 5, 6, 3, 7, 9]);
      // "a dog" → "a" is no word piece: [UNK] (1); dog = 10.
      expect(tokenizer.encode('a dog')).toEqual([0, 1, 10]);
      expect(tokenizer.decode([0, 3, 4, 8, 5, 6, 3, 7, 9])).toBe('the cats sat on the mat.');
      expect([tokenizer.bos, tokenizer.eos]).toEqual([0, 2]);
    });

    it('carries into GGUF as llama.cpp\'s WPM form: "▁" marks word starts, continuations lose "##"', () => {
      const v = ggufVocabularyFromTokenizerJson(json);
      expect(v.model).toBe('bert');
      expect(v.tokens).toEqual(['<s>', '[UNK]', '</s>', '▁the', '▁cat', '▁sat', '▁on', '▁mat', 's', '▁.', '▁dog']);
      expect(v.tokenTypes.slice(0, 4)).toEqual([CONTROL, UNKNOWN, CONTROL, NORMAL]);
      expect([v.bos, v.eos, v.unk, v.addBos]).toEqual([0, 2, 1, true]);
      const back = ggufVocabulary(metadataOf(v), 'x.gguf');
      expect(back.tokens).toEqual(v.tokens);
    });

    it('splits punctuation as its pre-tokenizer does', () => {
      // BERT: "..." is three words "." "." "." (9 9 9); Whitespace: one word "...", which WordPiece
      // cannot build from "." and "##." (no "##." piece): [UNK] (1).
      expect(tokenizerFromJson(json).encode('cat...')).toEqual(split === 'Whitespace' ? [0, 4, 1] : [0, 4, 9, 9, 9]);
    });

    it.each(['The cats sat on the mat.', 'the dog sat on the cats', 'A cat, the mat; the dogs!', 'CATS', 'the cat... sat.!'])(
      'a GGUF export tokenizes %j as the tokenizer.json does',
      async (sentence) => {
        const hf = tokenizerFromJson(json);
        const weights = randomModelWeights(smallConfig('llama', { vocabSize: 11 }), 3);
        const file = writeGgufModel(weights, ggufVocabularyFromTokenizerJson(json));
        const { tokenizer } = await loadModel([{ name: 'export.gguf', bytes: file }]);
        expect(tokenizer.encode(sentence)).toEqual(hf.encode(sentence));
        const ids = hf.encode(sentence);
        expect(tokenizer.decode(ids)).toBe(hf.decode(ids));
      },
    );

    it('shows a continuation piece on its chip as the tokenizer.json spells it', async () => {
      const weights = randomModelWeights(smallConfig('llama', { vocabSize: 11 }), 3);
      const { tokenizer } = await loadModel([{ name: 'e.gguf', bytes: writeGgufModel(weights, ggufVocabularyFromTokenizerJson(json)) }]);
      expect(tokenizer.tokenText(8)).toBe('##s');
      expect(tokenizer.tokenText(4)).toBe('cat');
    });
  },
);

describe('a word the vocabulary lacks', () => {
  const wordPiece = wordPieceTokenizerJson(WORDS, 'Whitespace');
  const model = wordPiece.model as Record<string, unknown>;

  it('a WordLevel tokenizer.json uses its model’s unk_token, as Hugging Face’s tokenizers do', () => {
    // tokenizers.js has no WordLevel class: it read the unknown token only from tokenizer_config.json.
    const wordLevel = { ...wordPiece, decoder: null, model: { type: 'WordLevel', vocab: model.vocab, unk_token: '[UNK]' } };
    // "the dog because" → <s> the dog [UNK] = 0 3 10 1
    expect(tokenizerFromJson(wordLevel).encode('the dog because')).toEqual([0, 3, 10, 1]);
    // A tokenizer_config.json's own unk_token still wins.
    expect(tokenizerFromJson(wordLevel, { unk_token: '</s>' }).encode('the because')).toEqual([0, 3, 2]);
  });

  it('with no unknown token at all: a message naming the problem, not an id of undefined', () => {
    const noUnk = { ...wordPiece, model: { ...model, unk_token: 'NOT-IN-VOCAB' } };
    const tokenizer = tokenizerFromJson(noUnk);
    expect(tokenizer.encode('the dog')).toEqual([0, 3, 10]);
    expect(() => tokenizer.encode('the because')).toThrow(InputError);
    expect(() => tokenizer.encode('the because')).toThrow(
      /^the tokenizer has no token for a word of the text \(token 2\), and the unknown token it names, "NOT-IN-VOCAB", is not in its vocabulary/,
    );
    const unnamed = { ...wordPiece, model: { ...model, unk_token: undefined } };
    expect(() => tokenizerFromJson(unnamed).encode('the because')).toThrow(InputError);
  });
});
