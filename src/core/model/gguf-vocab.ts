/**
 * A GGUF file's vocabulary (tokenizer.ggml.*) as a Hugging Face tokenizer.json object, and back, so
 * tokenizers.js does the tokenizing rather than a hand-written tokenizer. Three of llama.cpp's
 * vocabulary kinds:
 *
 * - "gpt2": byte-level BPE with the file's merges (ByteLevel pre-tokenizer and decoder).
 * - "llama": SentencePiece. As Hugging Face's SentencePiece converter (convert_slow_tokenizer.py,
 *   SentencePieceExtractor) does: BPE with byte fallback whose merges come from the vocabulary —
 *   every split of a piece into two pieces both in the vocabulary is a merge, ranked by the piece's
 *   score; a normalizer that prepends "▁" and turns spaces into "▁"; a decoder that undoes both.
 * - "bert": llama.cpp's WPM. Its converter marks word-initial pieces with a leading "▁" and strips
 *   the "##" of continuations; back in Hugging Face's form that is WordPiece with "##", after a BERT
 *   pre-tokenizer (whitespace and each punctuation mark) and lowercasing.
 *
 * Pure data: no tokenizers.js here (src/model builds the Tokenizer from these objects).
 */
export type GgufTokenizerModel = 'gpt2' | 'llama' | 'bert';

/** llama.cpp's token types (llama_token_type). */
export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

/** A vocabulary as GGUF stores it. */
export interface GgufVocabulary {
  model: GgufTokenizerModel;
  tokens: string[];
  tokenTypes: number[];
  /** SentencePiece scores ("llama"); optional otherwise. */
  scores?: number[];
  /** BPE merges "a b" ("gpt2"). */
  merges?: string[];
  bos: number | null;
  eos: number | null;
  unk: number | null;
  /** Whether encoding starts with BOS. */
  addBos: boolean;
  /** SentencePiece: whether a "▁" is put before the text (tokenizer.ggml.add_space_prefix); true unless false. */
  addSpacePrefix?: boolean;
  /** llama.cpp's name of the pre-tokenizer (tokenizer.ggml.pre): GPT-2's / BERT's when absent. */
  pre?: string;
}

const BYTE_LEVEL = { add_prefix_space: false, trim_offsets: true, use_regex: true };
/** Llama 3's split (its tokenizer.json): case-insensitive contractions, digits in threes, newlines apart. */
const LLAMA3_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/**
 * The Hugging Face pre-tokenizer of llama.cpp's byte-level pre-tokenizer names (llama-vocab.cpp), and
 * whether its merges are skipped for pieces already in the vocabulary (ignore_merges, Llama 3).
 */
function byteLevelPreTokenizer(pre: string | undefined): { preTokenizer: Json; ignoreMerges: boolean } {
  switch (pre ?? 'default') {
    case 'default':
    case 'gpt-2':
    case 'gpt2':
      return { preTokenizer: { type: 'ByteLevel', ...BYTE_LEVEL }, ignoreMerges: false };
    case 'smollm':
      return {
        preTokenizer: {
          type: 'Sequence',
          pretokenizers: [
            { type: 'Digits', individual_digits: true },
            { type: 'ByteLevel', ...BYTE_LEVEL },
          ],
        },
        ignoreMerges: false,
      };
    case 'llama-bpe':
    case 'llama3':
      return {
        preTokenizer: {
          type: 'Sequence',
          pretokenizers: [
            { type: 'Split', pattern: { Regex: LLAMA3_SPLIT }, behavior: 'Isolated', invert: false },
            { type: 'ByteLevel', ...BYTE_LEVEL, use_regex: false },
          ],
        },
        ignoreMerges: true,
      };
    default:
      throw new Error(
        `tokenizer.ggml.pre ${JSON.stringify(pre)} is not supported: the playground knows "default" (GPT-2), "smollm" and "llama-bpe"`,
      );
  }
}

type Json = Record<string, unknown>;

/** The tokenizer.json and tokenizer_config.json objects of a GGUF vocabulary. */
export interface TokenizerJsonPair {
  tokenizer: Json;
  config: Json;
}

const SPACE_MARK = '▁';

function addedTokens(v: GgufVocabulary, tokens: readonly string[]): Json[] {
  const out: Json[] = [];
  v.tokenTypes.forEach((type, id) => {
    if (type === TOKEN_TYPE.CONTROL || type === TOKEN_TYPE.USER_DEFINED || type === TOKEN_TYPE.UNKNOWN)
      out.push({
        id,
        content: tokens[id],
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: type === TOKEN_TYPE.USER_DEFINED,
        special: type !== TOKEN_TYPE.USER_DEFINED,
      });
  });
  return out;
}

function vocabObject(tokens: readonly string[]): Json {
  const vocab: Json = {};
  // The first id of a duplicated piece wins, as in llama.cpp's token_to_id.
  tokens.forEach((t, id) => {
    if (!Object.hasOwn(vocab, t)) vocab[t] = id;
  });
  return vocab;
}

function bosTemplate(v: GgufVocabulary, tokens: readonly string[]): Json | null {
  if (!v.addBos || v.bos === null) return null;
  const bos = tokens[v.bos];
  return {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { [bos]: { id: bos, ids: [v.bos], tokens: [bos] } },
  };
}

/**
 * SentencePiece merges from the vocabulary and scores, as HF's SentencePieceExtractor: for each
 * piece in id order, its splits into two vocabulary pieces (ordered by the ids of the left, then the
 * right part), then all of them stably sorted by the piece's score, highest first.
 */
export function sentencePieceMerges(tokens: readonly string[], scores: readonly number[]): [string, string][] {
  const ids = new Map<string, number>();
  tokens.forEach((t, i) => {
    if (!ids.has(t)) ids.set(t, i);
  });
  const merges: { left: string; right: string; score: number }[] = [];
  tokens.forEach((piece, id) => {
    if (ids.get(piece) !== id) return;
    const chars = Array.from(piece);
    const local: { left: string; right: string; score: number }[] = [];
    for (let k = 1; k < chars.length; k++) {
      const left = chars.slice(0, k).join(''),
        right = chars.slice(k).join('');
      if (ids.has(left) && ids.has(right)) local.push({ left, right, score: scores[id] ?? 0 });
    }
    local.sort((a, b) => ids.get(a.left)! - ids.get(b.left)! || ids.get(a.right)! - ids.get(b.right)!);
    merges.push(...local);
  });
  merges.sort((a, b) => b.score - a.score);
  return merges.map((m) => [m.left, m.right]);
}

/** The tokenizer.json of a GGUF vocabulary. Throws Error naming what is inconsistent (the caller adds the file). */
export function tokenizerJsonFromGguf(v: GgufVocabulary): TokenizerJsonPair {
  const n = v.tokens.length;
  for (const [what, id] of [
    ['bos_token_id', v.bos],
    ['eos_token_id', v.eos],
    ['unknown_token_id', v.unk],
  ] as const) {
    if (id !== null && !(Number.isInteger(id) && id >= 0 && id < n))
      throw new Error(`tokenizer.ggml.${what} ${id} is not a token id (0–${n - 1})`);
  }
  if (v.tokenTypes.length !== n) throw new Error(`tokenizer.ggml.token_type has ${v.tokenTypes.length} entries for ${n} tokens`);
  const config: Json = {
    clean_up_tokenization_spaces: v.model === 'bert',
    bos_token: v.bos === null ? null : v.tokens[v.bos],
    eos_token: v.eos === null ? null : v.tokens[v.eos],
  };
  const base = { version: '1.0', truncation: null, padding: null };
  if (v.model === 'gpt2') {
    const merges = (v.merges ?? []).map((m) => {
      const at = m.indexOf(' ', 1);
      if (at < 0) throw new Error(`tokenizer.ggml.merges entry ${JSON.stringify(m)} is not two pieces separated by a space`);
      return [m.slice(0, at), m.slice(at + 1)];
    });
    const { preTokenizer, ignoreMerges } = byteLevelPreTokenizer(v.pre);
    return {
      config,
      tokenizer: {
        ...base,
        added_tokens: addedTokens(v, v.tokens),
        normalizer: null,
        pre_tokenizer: preTokenizer,
        post_processor: bosTemplate(v, v.tokens),
        decoder: { type: 'ByteLevel', ...BYTE_LEVEL },
        model: {
          type: 'BPE',
          dropout: null,
          unk_token: null,
          continuing_subword_prefix: null,
          end_of_word_suffix: null,
          fuse_unk: false,
          byte_fallback: false,
          ignore_merges: ignoreMerges,
          vocab: vocabObject(v.tokens),
          merges,
        },
      },
    };
  }
  if (v.model === 'llama') {
    if (!v.scores || v.scores.length !== n) throw new Error(`tokenizer.ggml.scores has ${v.scores?.length ?? 0} entries for ${n} tokens`);
    const prefix = v.addSpacePrefix !== false;
    return {
      config,
      tokenizer: {
        ...base,
        added_tokens: addedTokens(v, v.tokens),
        normalizer: {
          type: 'Sequence',
          normalizers: [
            ...(prefix ? [{ type: 'Prepend', prepend: SPACE_MARK }] : []),
            { type: 'Replace', pattern: { String: ' ' }, content: SPACE_MARK },
          ],
        },
        pre_tokenizer: null,
        post_processor: bosTemplate(v, v.tokens),
        decoder: {
          type: 'Sequence',
          decoders: [
            { type: 'Replace', pattern: { String: SPACE_MARK }, content: ' ' },
            { type: 'ByteFallback' },
            { type: 'Fuse' },
            ...(prefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
          ],
        },
        model: {
          type: 'BPE',
          dropout: null,
          unk_token: v.unk === null ? null : v.tokens[v.unk],
          continuing_subword_prefix: null,
          end_of_word_suffix: null,
          fuse_unk: true,
          byte_fallback: true,
          ignore_merges: false,
          vocab: vocabObject(v.tokens),
          merges: sentencePieceMerges(v.tokens, v.scores),
        },
      },
    };
  }
  // "bert": back from llama.cpp's phantom-space form to WordPiece's "##" form.
  // Special tokens, and (as llama.cpp's converter keeps them) bracketed ones like "[unused0]", are not marked.
  const special = (id: number) =>
    v.tokenTypes[id] === TOKEN_TYPE.CONTROL || v.tokenTypes[id] === TOKEN_TYPE.UNKNOWN || /^\[.*\]$/.test(v.tokens[id]);
  const tokens = v.tokens.map((t, id) => (special(id) ? t : t.startsWith(SPACE_MARK) ? t.slice(SPACE_MARK.length) : `##${t}`));
  const unk = v.unk ?? tokens.indexOf('[UNK]');
  return {
    config,
    tokenizer: {
      ...base,
      added_tokens: addedTokens(v, tokens),
      normalizer: { type: 'Lowercase' },
      pre_tokenizer: wordPiecePreTokenizer(v.pre),
      post_processor: bosTemplate(v, tokens),
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: unk >= 0 ? tokens[unk] : '[UNK]',
        continuing_subword_prefix: '##',
        max_input_chars_per_word: 100,
        vocab: vocabObject(tokens),
      },
    },
  };
}

/**
 * The pre-tokenizer of a "bert" vocabulary: BERT's (whitespace, then each punctuation mark alone), as
 * llama.cpp's WPM splits, unless tokenizer.ggml.pre says "whitespace" — Hugging Face's Whitespace
 * (runs of word characters, runs of other non-space characters), which this writer records for a
 * tokenizer.json that uses it, so "..." stays one word as in the original.
 */
function wordPiecePreTokenizer(pre: string | undefined): Json {
  switch (pre ?? 'default') {
    case 'default':
    case 'bert':
      return { type: 'BertPreTokenizer' };
    case 'whitespace':
      return { type: 'Whitespace' };
    default:
      throw new Error(`tokenizer.ggml.pre ${JSON.stringify(pre)} is not supported for a "bert" vocabulary ("default" or "whitespace")`);
  }
}

/** The bos token of a tokenizer.json whose TemplateProcessing puts one special token before the text, else null. */
function templatePrefix(json: Json): { id: number; trailing: boolean } | null {
  const post = json.post_processor as Json | null | undefined;
  if (!post) return null;
  if (post.type !== 'TemplateProcessing' || !Array.isArray(post.single))
    throw new Error(`post_processor ${String(post.type)} cannot be carried into GGUF (only a TemplateProcessing "<bos> $A")`);
  const single = post.single as Json[];
  const at = single.findIndex((item) => 'Sequence' in item);
  if (at > 1) throw new Error('post_processor puts more than one token before the text; GGUF carries one BOS');
  const trailing = at < single.length - 1;
  if (at === 0) return trailing ? { id: -1, trailing } : null;
  const name = (single[0].SpecialToken as Json).id as string;
  const ids = ((post.special_tokens as Json)[name] as Json).ids as number[];
  return { id: ids[0], trailing };
}

/**
 * The GGUF vocabulary of a Hugging Face tokenizer.json: WordPiece → "bert" (llama.cpp's WPM form:
 * word-initial pieces marked "▁", continuations without "##", special tokens as CONTROL), byte-level
 * BPE → "gpt2". BOS comes from a TemplateProcessing "<bos> $A"; EOS from `eosToken` or a
 * conventional name. Throws Error for a tokenizer GGUF cannot carry.
 */
export function ggufVocabularyFromTokenizerJson(json: Json, eosToken?: string): GgufVocabulary {
  const model = json.model as Json;
  const added = (Array.isArray(json.added_tokens) ? json.added_tokens : []) as Json[];
  const vocab = new Map<number, string>();
  for (const [t, id] of Object.entries(model.vocab as Record<string, number>)) vocab.set(id, t);
  for (const a of added) vocab.set(a.id as number, a.content as string);
  const size = Math.max(...vocab.keys()) + 1;
  const specialIds = new Set(added.filter((a) => a.special === true).map((a) => a.id as number));
  const prefix = templatePrefix(json);
  if (prefix?.trailing) throw new Error('post_processor adds tokens after the text; GGUF carries only a BOS');
  const idOf = (names: (string | undefined)[]) => {
    for (const name of names) for (const [id, t] of vocab) if (name !== undefined && t === name) return id;
    return null;
  };
  const eos = idOf([eosToken, '</s>', '<|endoftext|>', '<eos>', '[SEP]']);
  const tokens: string[] = [],
    tokenTypes: number[] = [];
  const pre = json.pre_tokenizer as Json | null;
  if (model.type === 'WordPiece') {
    const cont = typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '##';
    const unk = idOf([model.unk_token as string]);
    for (let id = 0; id < size; id++) {
      const t = vocab.get(id);
      if (t === undefined) {
        tokens.push(`[unused${id}]`);
        tokenTypes.push(TOKEN_TYPE.UNUSED);
      } else if (specialIds.has(id) || id === unk) {
        tokens.push(t);
        tokenTypes.push(id === unk ? TOKEN_TYPE.UNKNOWN : TOKEN_TYPE.CONTROL);
      } else {
        tokens.push(t.startsWith(cont) ? t.slice(cont.length) : SPACE_MARK + t);
        tokenTypes.push(TOKEN_TYPE.NORMAL);
      }
    }
    const split = pre?.type;
    if (split !== 'BertPreTokenizer' && split !== 'Whitespace')
      throw new Error(
        `a WordPiece tokenizer with a ${String(split)} pre-tokenizer cannot be carried into GGUF (BertPreTokenizer or Whitespace)`,
      );
    return {
      model: 'bert',
      tokens,
      tokenTypes,
      bos: prefix?.id ?? null,
      eos,
      unk,
      addBos: prefix !== null,
      ...(split === 'Whitespace' ? { pre: 'whitespace' } : {}),
    };
  }
  const steps = pre?.type === 'Sequence' ? ((pre.pretokenizers ?? []) as Json[]) : pre ? [pre] : [];
  const smollm = steps.length === 2 && steps[0].type === 'Digits' && steps[0].individual_digits === true && steps[1].type === 'ByteLevel';
  if (model.type === 'BPE' && ((steps.length === 1 && steps[0].type === 'ByteLevel') || smollm)) {
    for (let id = 0; id < size; id++) {
      const t = vocab.get(id);
      tokens.push(t ?? `[unused${id}]`);
      tokenTypes.push(t === undefined ? TOKEN_TYPE.UNUSED : specialIds.has(id) ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.NORMAL);
    }
    const merges = (model.merges as (string | string[])[]).map((m) => (Array.isArray(m) ? m.join(' ') : m));
    return {
      model: 'gpt2',
      tokens,
      tokenTypes,
      merges,
      bos: prefix?.id ?? null,
      eos,
      unk: null,
      addBos: prefix !== null,
      ...(smollm ? { pre: 'smollm' } : {}),
    };
  }
  throw new Error(
    `a ${String(model.type)} tokenizer${pre ? ` with a ${String(pre.type)} pre-tokenizer` : ''} cannot be carried into GGUF (WordPiece or byte-level BPE only)`,
  );
}
