/**
 * The tokenizer of a GGUF file, from its tokenizer.ggml.* metadata: the vocabulary becomes a Hugging
 * Face tokenizer.json (core/model/gguf-vocab.ts) that tokenizers.js runs.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelFileError } from '../core/model/config';
import type { GgufVocabulary } from '../core/model/gguf-vocab';
import { TOKEN_TYPE, tokenizerJsonFromGguf } from '../core/model/gguf-vocab';
import type { ModelTokenizer } from '../core/model/tokenizer';
import type { GgufMetadata } from './gguf';
import { wrapTokenizer } from './tokenizer';

/** The vocabulary in a GGUF file's metadata. Throws ModelFileError naming `file` and the key. */
export function ggufVocabulary(metadata: GgufMetadata, file: string): GgufVocabulary {
  const fail = (what: string): never => {
    throw new ModelFileError(`${file}: ${what}`);
  };
  const model = metadata['tokenizer.ggml.model'];
  if (model === undefined) fail('has no tokenizer (metadata key "tokenizer.ggml.model" is missing)');
  if (model !== 'gpt2' && model !== 'llama' && model !== 'bert')
    fail(`tokenizer.ggml.model ${JSON.stringify(model)} is not supported: the playground reads "gpt2", "llama" and "bert" vocabularies`);
  const list = <T>(key: string, kind: string, check: (x: unknown) => boolean, needed: boolean): T[] | undefined => {
    const v = metadata[key];
    if (v === undefined) return needed ? fail(`metadata key "${key}" is missing`) : undefined;
    if (!Array.isArray(v) || !v.every(check)) return fail(`metadata "${key}" must be an array of ${kind}`);
    return v as T[];
  };
  const tokens = list<string>('tokenizer.ggml.tokens', 'strings', (x) => typeof x === 'string', true)!;
  const tokenTypes =
    list<number>('tokenizer.ggml.token_type', 'integers', (x) => typeof x === 'number', false) ?? tokens.map(() => TOKEN_TYPE.NORMAL);
  const scores = list<number>('tokenizer.ggml.scores', 'numbers', (x) => typeof x === 'number', model === 'llama');
  const merges = list<string>('tokenizer.ggml.merges', 'strings', (x) => typeof x === 'string', model === 'gpt2');
  const id = (key: string): number | null => {
    const v = metadata[key];
    if (v === undefined) return null;
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) return fail(`metadata "${key}" must be a token id, got ${String(v)}`);
    return n;
  };
  const addBos = metadata['tokenizer.ggml.add_bos_token'];
  return {
    model: model as GgufVocabulary['model'],
    tokens,
    tokenTypes,
    scores,
    merges,
    bos: id('tokenizer.ggml.bos_token_id'),
    eos: id('tokenizer.ggml.eos_token_id'),
    unk: id('tokenizer.ggml.unknown_token_id'),
    // llama.cpp's defaults when the key is absent: SentencePiece and WPM start with BOS, GPT-2 BPE does not.
    addBos: typeof addBos === 'boolean' ? addBos : model !== 'gpt2',
    addSpacePrefix: metadata['tokenizer.ggml.add_space_prefix'] !== false,
    pre: typeof metadata['tokenizer.ggml.pre'] === 'string' ? metadata['tokenizer.ggml.pre'] : undefined,
  };
}

/** The ModelTokenizer of a GGUF file. Throws ModelFileError naming `file`. */
export function ggufTokenizer(metadata: GgufMetadata, file: string): ModelTokenizer {
  return vocabularyTokenizer(ggufVocabulary(metadata, file), file);
}

/** The ModelTokenizer of a GGUF-style vocabulary (a GGUF file's, or one converted to it). Throws ModelFileError naming `file`. */
export function vocabularyTokenizer(vocabulary: GgufVocabulary, file: string): ModelTokenizer {
  try {
    const { tokenizer, config } = tokenizerJsonFromGguf(vocabulary);
    return wrapTokenizer(new Tokenizer(tokenizer, config), {
      bos: vocabulary.bos,
      eos: vocabulary.eos,
      byteLevel: vocabulary.model === 'gpt2',
    });
  } catch (error) {
    if (error instanceof ModelFileError) throw error;
    throw new ModelFileError(`${file}: the tokenizer cannot be built (${(error as Error).message})`);
  }
}
