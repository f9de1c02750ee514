/**
 * The trained model as Hugging Face files: model.safetensors (F32, Llama tensor names, [out, in]),
 * config.json (LlamaConfig keys), tokenizer.json (a word-level WordPiece tokenizer with a BOS
 * template) and tokenizer_config.json.
 */
import type { ModelConfig } from '../../../src/core/model/config';
import { writeSafetensors } from '../../../src/core/model/safetensors';
import { BOS, EOS, SPECIALS, UNK } from './data';

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export function safetensorsBytes(tensors: readonly NamedTensor[], config: ModelConfig): Uint8Array {
  return writeSafetensors(tensors, { format: 'pt', source: 'npm run train-model', name: config.name });
}

/** HF LlamaConfig. */
export function hfConfig(config: ModelConfig, vocab: readonly string[]): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: config.dModel,
    intermediate_size: config.ffnDim,
    num_attention_heads: config.heads,
    num_key_value_heads: config.kvHeads,
    num_hidden_layers: config.layers,
    head_dim: config.headDim,
    hidden_act: 'silu',
    rms_norm_eps: config.normEps,
    rope_theta: config.rope!.base,
    rope_scaling: null,
    vocab_size: config.vocabSize,
    max_position_embeddings: config.contextLength,
    tie_word_embeddings: config.tiedEmbeddings,
    attention_bias: false,
    mlp_bias: false,
    bos_token_id: vocab.indexOf(BOS),
    eos_token_id: vocab.indexOf(EOS),
    torch_dtype: 'float32',
    name_or_path: config.name,
  };
}

/** tokenizer.json: lowercase, split on whitespace and punctuation, whole-word WordPiece, "<s>" prepended. */
export function tokenizerJson(vocab: readonly string[]): Record<string, unknown> {
  const bos = vocab.indexOf(BOS);
  const special = (content: string) => ({
    id: vocab.indexOf(content),
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
    added_tokens: SPECIALS.map(special),
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: BOS, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: BOS, type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: BOS, type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { [BOS]: { id: BOS, ids: [bos], tokens: [BOS] } },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: UNK,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((w, i) => [w, i])),
    },
  };
}

export function tokenizerConfigJson(config: ModelConfig): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    name_or_path: config.name,
    bos_token: BOS,
    eos_token: EOS,
    unk_token: UNK,
    add_bos_token: true,
    add_eos_token: false,
    model_max_length: config.contextLength,
    clean_up_tokenization_spaces: true,
  };
}
