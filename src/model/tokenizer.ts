/**
 * Any Hugging Face tokenizer (tokenizers.js, from a tokenizer.json or built from a GGUF vocabulary
 * by ./gguf-tokenizer.ts) as the ModelTokenizer the page and the CLI use.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelFileError } from '../core/model/config';
import { InputError } from '../core/errors';
import type { ModelTokenizer } from '../core/model/tokenizer';

type Json = Record<string, unknown>;

export interface TokenizerInfo {
  bos: number | null;
  eos: number | null;
  /** Pieces are byte-level ("Ġcat"): tokenText decodes them rather than showing the disguised bytes. */
  byteLevel?: boolean;
  /** The unknown token the tokenizer names, for the message when it is not in the vocabulary. */
  unk?: string;
}

/**
 * Wraps a tokenizers.js Tokenizer. encode adds what the tokenizer's post-processor adds (the BOS of
 * a TemplateProcessing "<s> $A"); decode leaves special tokens out.
 */
export function wrapTokenizer(tokenizer: Tokenizer, info: TokenizerInfo): ModelTokenizer {
  const vocab = tokenizer.get_vocab(true);
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  return {
    encode: (text) => {
      const { ids, tokens } = tokenizer.encode(text);
      // A word the vocabulary lacks, with no unknown token to stand for it, has no id at all.
      const missing = ids.findIndex((id) => id === undefined);
      if (missing >= 0)
        throw new InputError(
          info.unk !== undefined && tokens[missing] === info.unk
            ? `the tokenizer has no token for a word of the text (token ${missing}), and the unknown token it names, "${info.unk}", is not in its vocabulary: leave the word out or use another tokenizer`
            : `the tokenizer has no token for ${tokens[missing] === undefined ? 'a word of the text' : `"${tokens[missing]}"`} (token ${missing}) and names no unknown token to use instead: leave the word out or use another tokenizer`,
        );
      return ids;
    },
    decode: (ids) => {
      // An id without a token (a model's vocabulary padded past the tokenizer's) decodes to nothing.
      const known = ids.filter((id) => tokenizer.id_to_token(id) !== undefined);
      return known.length === 0 ? '' : tokenizer.decode(known, { skip_special_tokens: true });
    },
    tokenText: (id) => {
      const raw = tokenizer.id_to_token(id);
      if (raw === undefined) return `<${id}>`;
      // Byte-level pieces ("Ġcat", "Ċ") are bytes in disguise: the decoder maps them back.
      if (info.byteLevel) return tokenizer.decode([id], { clean_up_tokenization_spaces: false });
      return raw.replaceAll('▁', ' ');
    },
    vocabSize,
    bos: info.bos,
    eos: info.eos,
  };
}

/**
 * A tokenizer from a tokenizer.json object and, when given, tokenizer_config.json: its bos_token /
 * eos_token name the special tokens (else the BOS the post-processor adds and a conventional end
 * token, "</s>", "<|endoftext|>", "<eos>" or "[SEP]", are used). Throws ModelFileError naming `file`.
 */
export function tokenizerFromJson(json: unknown, config: unknown = null, file = 'tokenizer.json'): ModelTokenizer {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ModelFileError(`${file}: is not a JSON object`);
  const tokenizerJson = { added_tokens: [], normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, ...json } as Json;
  // tokenizers.js reads the unknown token of a model it has no class for (WordLevel) only from the
  // tokenizer config; Hugging Face's tokenizers read the model's own unk_token.
  const model = tokenizerJson.model as Json | null | undefined;
  const modelUnk = model && typeof model === 'object' && typeof model.unk_token === 'string' ? { unk_token: model.unk_token } : {};
  const cfg = { ...modelUnk, ...(config !== null && typeof config === 'object' ? config : {}) } as Json;
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, { clean_up_tokenization_spaces: false, ...cfg });
  } catch (error) {
    throw new ModelFileError(`${file}: not a tokenizer tokenizers.js can build (${(error as Error).message})`);
  }
  const named = (value: unknown): number | null => {
    const content = typeof value === 'string' ? value : value && typeof value === 'object' ? (value as Json).content : undefined;
    return typeof content === 'string' ? (tokenizer.token_to_id(content) ?? null) : null;
  };
  const conventional = (names: string[]) => {
    for (const n of names) {
      const id = tokenizer.token_to_id(n);
      if (id !== undefined) return id;
    }
    return null;
  };
  const bos = named(cfg.bos_token) ?? templateBos(tokenizerJson, tokenizer) ?? conventional(['<s>', '<|begin_of_text|>', '<bos>']);
  const eos = named(cfg.eos_token) ?? conventional(['</s>', '<|endoftext|>', '<|end_of_text|>', '<eos>', '[SEP]']);
  const decoder = tokenizerJson.decoder as Json | null;
  const byteLevel =
    decoder?.type === 'ByteLevel' || (Array.isArray(decoder?.decoders) && decoder.decoders.some((d: Json) => d.type === 'ByteLevel'));
  const unk = typeof cfg.unk_token === 'string' ? cfg.unk_token : undefined;
  return wrapTokenizer(tokenizer, { bos, eos, byteLevel, unk });
}

/** The id of the special token a TemplateProcessing post-processor puts before the text, if any. */
function templateBos(json: Json, tokenizer: Tokenizer): number | null {
  const post = json.post_processor as Json | null;
  if (!post || post.type !== 'TemplateProcessing' || !Array.isArray(post.single)) return null;
  const first = post.single[0] as Json | undefined;
  const special = first?.SpecialToken as Json | undefined;
  if (!special || typeof special.id !== 'string') return null;
  const entry = (post.special_tokens as Json | undefined)?.[special.id] as Json | undefined;
  const ids = entry?.ids;
  if (Array.isArray(ids) && typeof ids[0] === 'number') return ids[0];
  return tokenizer.token_to_id(special.id) ?? null;
}
