/**
 * What the loaders hand the page and the CLI: the weights as float32, a tokenizer, the heads' roles
 * when the model came with them, and where it all came from.
 */
import type { ModelConfig, ModelWeights } from './config';
import type { ModelRoles } from './roles';
import type { ModelTokenizer } from './tokenizer';

/** Where a loaded model came from. */
export type ModelSource = LoadedModel['source'];

export interface LoadedModel {
  weights: ModelWeights;
  tokenizer: ModelTokenizer;
  roles: ModelRoles | null;
  source: {
    format: 'gguf' | 'safetensors' | 'llama2c';
    /** The files it was read from, by name. */
    files: string[];
    /** How many tensors the files stored in each type ("F32", "Q8_0", …). */
    tensorTypes: Record<string, number>;
    /** Bytes read, all files together. */
    bytes: number;
  };
}

/**
 * The most float32 weight memory a loaded model may take: 1.5 GiB. A model is dequantised to
 * float32 on load, so a 1B-parameter Q4_0 file (0.6 GB) would need 4 GB; the page and the float64
 * forward pass are for models far smaller than that.
 */
export const MODEL_MEMORY_LIMIT_BYTES = 1.5 * 2 ** 30;

/** Float32 parameters of a configuration (a tied head counted once), before any tensor is read. */
export function configParameterCount(c: ModelConfig): number {
  const gpt2 = c.architecture === 'gpt2';
  const q = c.heads * c.headDim,
    kv = c.kvHeads * c.headDim;
  const norm = gpt2 ? 2 * c.dModel : c.dModel;
  const perLayer =
    2 * norm +
    c.dModel * (q + 2 * kv) +
    q * c.dModel +
    (gpt2 ? q + 2 * kv + c.dModel : 0) +
    (gpt2 ? 2 : 3) * c.ffnDim * c.dModel +
    (gpt2 ? c.ffnDim + c.dModel : 0);
  return c.vocabSize * c.dModel * (c.tiedEmbeddings ? 1 : 2) + (gpt2 ? c.contextLength * c.dModel : 0) + norm + c.layers * perLayer;
}

/** "1.73 GiB" / "12.0 MiB". */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 2 ** 10).toFixed(1)} KiB`;
}

/** The refusal of a model too large to hold as float32, or null when it fits. */
export function memoryLimitProblem(file: string, floatCount: number, limit = MODEL_MEMORY_LIMIT_BYTES): string | null {
  const bytes = floatCount * 4;
  if (bytes <= limit) return null;
  return `${file}: the model's weights take ${formatBytes(bytes)} as float32 (${floatCount.toLocaleString('en-US')} values), over the playground's limit of ${formatBytes(limit)}`;
}
