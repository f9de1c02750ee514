/**
 * Where the model view's model comes from: the built-in model (the page's own assets), files the
 * user chose or dropped, or a URL the user typed and asked to load. Every path ends in the loader
 * (src/model/load.ts), so the built-in model goes through the same code as a user's checkpoint; a
 * file it refuses comes back as its ModelFileError, whose message names the file and the problem.
 */
import type { LoadedModel } from '../core/model/loaded';
import { builtinModelFiles } from './builtin-model';

/** The loader and its parsers (@huggingface/gguf, tokenizers.js) load with the first model, in their own chunk. */
const loader = () => import('../model/load');

/** What the user asked to load. */
export type ModelRequest = { kind: 'builtin' } | { kind: 'files'; files: File[] } | { kind: 'url'; url: string };

export async function loadBuiltinModel(): Promise<LoadedModel> {
  const { loadModel } = await loader();
  return loadModel(await builtinModelFiles());
}

/** Files from a file input or a drop: a .gguf, or .safetensors with config.json and tokenizer.json (and roles.json). */
export async function loadModelFromFiles(files: readonly File[]): Promise<LoadedModel> {
  const { loadModel } = await loader();
  const read = await Promise.all(files.map(async (file) => ({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) })));
  return loadModel(read);
}

export async function loadModelFromUrl(url: string): Promise<LoadedModel> {
  const { fetchModelFiles, loadModel } = await loader();
  return loadModel(await fetchModelFiles(url));
}
