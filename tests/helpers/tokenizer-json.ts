/** Tokenizer files for the model-loading tests. */
import type { GgufVocabulary } from '../../src/core/model/gguf-vocab';
import { TOKEN_TYPE } from '../../src/core/model/gguf-vocab';

/**
 * A Hugging Face WordPiece tokenizer.json: lowercase, a BERT or (as the built-in model's) Whitespace
 * pre-tokenizer, "<s>" first.
 */
export function wordPieceTokenizerJson(
  words: readonly string[],
  preTokenizer: 'BertPreTokenizer' | 'Whitespace' = 'BertPreTokenizer',
): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  ['<s>', '[UNK]', '</s>', ...words].forEach((w, i) => (vocab[w] = i));
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '<s>'), special(1, '[UNK]'), special(2, '</s>')],
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: preTokenizer },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

/** A SentencePiece ("llama") GGUF vocabulary of these pieces: <unk>, <s>, </s> first, scores −index. */
export function sentencePieceVocabulary(pieces: readonly string[]): GgufVocabulary {
  const tokens = ['<unk>', '<s>', '</s>', ...pieces];
  return {
    model: 'llama',
    tokens,
    tokenTypes: tokens.map((_, i) => (i === 0 ? TOKEN_TYPE.UNKNOWN : i < 3 ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.NORMAL)),
    scores: tokens.map((_, i) => -i),
    bos: 1,
    eos: 2,
    unk: 0,
    addBos: true,
  };
}
