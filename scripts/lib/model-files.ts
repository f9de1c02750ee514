/**
 * The files of a model on disk, for loadModel (src/model/load.ts): a .gguf file alone; a
 * .safetensors file with the config.json, tokenizer.json (and tokenizer_config.json, roles.json when
 * present) beside it; a llama2.c checkpoint and its tokenizer .bin, named together ("A.bin,B.bin");
 * or a directory holding one of these, or the shards of one .safetensors checkpoint (and its
 * roles.json, when present, whatever the format).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../../src/core/errors';
import { readInput } from './cli';

/** The built-in model the project trains (`npm run train-model`). */
export const BUILTIN_MODEL_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../src/assets/model');

const COMPANIONS = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'roles.json'];
/** A shard's name in a sharded Hugging Face checkpoint. */
const SHARD = /-\d+-of-\d+\.safetensors$/i;

export interface ModelFile {
  name: string;
  bytes: Uint8Array;
}

function read(path: string): ModelFile {
  const data = readInput(path, 'model file');
  return { name: basename(path), bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The files of the model at `path` (a file or a directory). Throws InputError naming what is missing. */
export function readModelFiles(path: string): ModelFile[] {
  if (path.includes(',') && !existsSync(path)) return path.split(',').flatMap((p) => readModelFiles(p));
  if (!existsSync(path)) throw new InputError(`--model: ${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const names = readdirSync(path);
    const gguf = names.filter((n) => n.endsWith('.gguf'));
    const weights = names.filter((n) => n.endsWith('.safetensors'));
    const bins = names.filter((n) => n.endsWith('.bin'));
    // The heads' roles, when the directory has them, go with any format (a .safetensors file reads its companions).
    const roles = names.includes('roles.json') ? [read(join(path, 'roles.json'))] : [];
    if (gguf.length === 1 && weights.length === 0) return [read(join(path, gguf[0])), ...roles];
    if (weights.length === 1 && gguf.length === 0) return readModelFiles(join(path, weights[0]));
    // A sharded checkpoint (model-00001-of-00002.safetensors, …): every shard, with the companions.
    if (weights.length > 1 && gguf.length === 0 && weights.every((n) => SHARD.test(n)))
      return [
        ...weights.sort().map((n) => read(join(path, n))),
        ...COMPANIONS.filter((n) => names.includes(n)).map((n) => read(join(path, n))),
      ];
    if (gguf.length === 0 && weights.length === 0 && bins.length === 2) return [...bins.map((n) => read(join(path, n))), ...roles];
    throw new InputError(
      `--model: ${path} should hold one .gguf file, one .safetensors file (or the shards of one: NAME-00001-of-00002.safetensors, …) with config.json and tokenizer.json, or a llama2.c checkpoint and its tokenizer (two .bin files); it holds ${gguf.length} .gguf, ${weights.length} .safetensors and ${bins.length} .bin`,
    );
  }
  if (path.endsWith('.safetensors')) {
    const dir = dirname(path);
    return [read(path), ...COMPANIONS.filter((n) => existsSync(join(dir, n))).map((n) => read(join(dir, n)))];
  }
  return [read(path)];
}
