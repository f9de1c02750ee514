/**
 * Hugging Face checkpoints: config.json, one or more .safetensors files and tokenizer.json (with
 * tokenizer_config.json when given), in the Llama or the GPT-2 layout (core/model/hf-layout.ts).
 */
import type { ModelWeights } from '../core/model/config';
import { ModelFileError } from '../core/model/config';
import { configFromHfJson, weightsFromHfTensors } from '../core/model/hf-layout';
import { configParameterCount, memoryLimitProblem } from '../core/model/loaded';
import type { SafetensorsTensor } from '../core/model/safetensors';
import { readSafetensors } from '../core/model/safetensors';
import type { ModelTokenizer } from '../core/model/tokenizer';
import { tokenizerJsonProblem } from '../core/model/tokenizer-file';
import { tokenizerFromJson } from './tokenizer';

export interface ModelFile {
  name: string;
  bytes: Uint8Array;
}

/** The JSON text of a file, parsed. Throws ModelFileError naming the file. */
export function parseJsonFile(file: ModelFile): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(file.bytes));
  } catch (error) {
    throw new ModelFileError(`${file.name}: not valid JSON (${(error as Error).message})`);
  }
}

/**
 * A safetensors model from its weight files and side files (found by their base names: config.json,
 * tokenizer.json, tokenizer_config.json). Throws ModelFileError naming the missing or broken file.
 */
export function readSafetensorsModel(
  weightFiles: readonly ModelFile[],
  sideFiles: ReadonlyMap<string, ModelFile>,
  memoryLimit?: number,
): { weights: ModelWeights; tokenizer: ModelTokenizer; tensorTypes: Record<string, number> } {
  const names = weightFiles.map((f) => f.name).join(', ');
  const need = (name: string) => {
    const f = sideFiles.get(name);
    if (!f) throw new ModelFileError(`${names}: a safetensors model needs ${name} beside it, and it was not given`);
    return f;
  };
  const configFile = need('config.json');
  const tokenizerFile = need('tokenizer.json');
  const modelName = weightFiles[0].name.replace(/(-\d+-of-\d+)?\.safetensors$/i, '');
  const config = configFromHfJson(parseJsonFile(configFile), modelName, configFile.name);
  // Refuse a model too big for float32 before decoding a tensor.
  const tooBig = memoryLimitProblem(names, configParameterCount(config), memoryLimit);
  if (tooBig) throw new ModelFileError(tooBig);
  const tensors = new Map<string, SafetensorsTensor>();
  const unread = new Map<string, string>();
  const tensorTypes: Record<string, number> = {};
  for (const f of weightFiles) {
    const file = readSafetensors(f.bytes, f.name);
    for (const [name, t] of file.tensors) {
      tensors.set(name, t);
      tensorTypes[t.dtype] = (tensorTypes[t.dtype] ?? 0) + 1;
    }
    for (const [name, dtype] of file.unread) unread.set(name, dtype);
  }
  const weights = weightsFromHfTensors(config, tensors, names, { unread, missingHint: missingShards(weightFiles.map((f) => f.name)) });
  const tokenizerConfig = sideFiles.get('tokenizer_config.json');
  const tokenizerJson = parseJsonFile(tokenizerFile);
  // A field of the wrong kind is named here, not left to fail inside tokenizers.js.
  const tokenizerProblem = tokenizerJsonProblem(tokenizerJson);
  if (tokenizerProblem) throw new ModelFileError(`${tokenizerFile.name}: ${tokenizerProblem}`);
  const tokenizer = tokenizerFromJson(tokenizerJson, tokenizerConfig ? parseJsonFile(tokenizerConfig) : null, tokenizerFile.name);
  return { weights, tokenizer, tensorTypes };
}

/**
 * What to say after a missing tensor when the files are some of a sharded checkpoint's shards
 * ("model-00001-of-00002.safetensors"): which shards were not given. Null when they all were, or the
 * names are not shard names.
 */
export function missingShards(names: readonly string[]): string | null {
  const shards = names.map((n) => /^(.*)-(\d+)-of-(\d+)\.safetensors$/i.exec(n)).filter((m) => m !== null);
  if (shards.length === 0) return null;
  const [, stem, , total] = shards[0];
  const width = total.length;
  const given = new Set(shards.filter((m) => m[1] === stem && m[3] === total).map((m) => Number(m[2])));
  const absent: string[] = [];
  for (let i = 1; i <= Number(total); i++)
    if (!given.has(i)) absent.push(`${stem}-${String(i).padStart(width, '0')}-of-${total}.safetensors`);
  if (absent.length === 0) return null;
  const listed = absent.length > 3 ? `${absent.slice(0, 3).join(', ')} and ${absent.length - 3} more` : absent.join(', ');
  return `the checkpoint is in ${Number(total)} shards and ${listed} ${absent.length === 1 ? 'was' : 'were'} not given: choose all of them together`;
}
