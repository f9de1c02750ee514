/** A model as the page and the CLI hold it once loaded: weights, tokenizer, measured head roles, and where it came from. */
import type { ModelWeights } from './config';
import type { ModelRoles } from './roles';
import type { ModelTokenizer } from './tokenizer';

export interface ModelSource {
  format: 'gguf' | 'safetensors';
  /** The files it was read from (names as the user gave them). */
  files: string[];
  /** Tensor type → how many tensors were stored in it (F32, F16, Q8_0, …), before dequantisation. */
  tensorTypes: Record<string, number>;
  /** Bytes read. */
  bytes: number;
}

export interface LoadedModel {
  weights: ModelWeights;
  tokenizer: ModelTokenizer;
  /** Head roles measured when the model was trained (roles.json); null for other checkpoints. */
  roles: ModelRoles | null;
  source: ModelSource;
}
