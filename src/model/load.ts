/**
 * One door for real checkpoints, in the page (files dropped or picked, or a URL) and in Node (files
 * read from disk): the format is told by the bytes, not the names — GGUF by its magic, safetensors
 * by a plausible header length followed by "{" — and JSON side files (config.json, tokenizer.json,
 * tokenizer_config.json, roles.json) by their names; a llama2.c checkpoint and its tokenizer file by
 * their structure (core/model/llama2c.ts). Every refusal is a ModelFileError naming the
 * file and its problem.
 */
import type { ModelWeights } from '../core/model/config';
import { ModelFileError, checkModelWeights } from '../core/model/config';
import type { LoadedModel } from '../core/model/loaded';
import type { ModelRoles } from '../core/model/roles';
import type { ModelTokenizer } from '../core/model/tokenizer';
import { isGguf, readGgufModel } from './gguf';
import { ggufTokenizer, vocabularyTokenizer } from './gguf-tokenizer';
import {
  isLlama2cCheckpoint,
  isLlama2cTokenizer,
  isLlama2cVersionedExport,
  readLlama2cModel,
  readLlama2cVocabulary,
} from '../core/model/llama2c';
import { safetensorsStartProblem } from '../core/model/safetensors';
import type { ModelFile } from './safetensors-model';
import { parseJsonFile, readSafetensorsModel } from './safetensors-model';

export type { LoadedModel } from '../core/model/loaded';
export { MODEL_MEMORY_LIMIT_BYTES } from '../core/model/loaded';
export type { ModelFile } from './safetensors-model';

/** A safetensors file starts with a little-endian u64 header length and a JSON header "{…". */
export function isSafetensors(bytes: Uint8Array): boolean {
  return safetensorsStartProblem(bytes) === null;
}

const SIDE_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'roles.json'];

const baseName = (name: string) => name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);

/** A file whose first non-blank byte is "{" or "[": a JSON side file (an unknown one is ignored). */
function looksLikeJson(bytes: Uint8Array): boolean {
  for (const b of bytes.subarray(0, 64)) {
    if (b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09) continue;
    return b === 0x7b || b === 0x5b;
  }
  return false;
}

function magicOf(bytes: Uint8Array): string {
  const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return head === '' ? 'empty file' : `magic ${head}`;
}

/**
 * Why a file is none of the formats, in the terms of the one its name claims first: a file named
 * .safetensors is explained by its header length, any other by its GGUF magic.
 */
function notAModel(file: ModelFile, label = file.name): string {
  const gguf = `${magicOf(file.bytes)}, expected 47 47 55 46 "GGUF"`;
  const rest = 'nor a llama2.c checkpoint or tokenizer';
  if (/\.safetensors$/i.test(file.name))
    return `${label}: not a safetensors file (${safetensorsStartProblem(file.bytes) ?? 'no JSON header'}), nor GGUF (${gguf}), ${rest}`;
  return `${label}: not a GGUF file (${gguf}), nor safetensors (an 8-byte header length, then a JSON header), ${rest}`;
}

export interface LoadOptions {
  /** Float32 bytes a model may take; MODEL_MEMORY_LIMIT_BYTES unless given. */
  memoryLimit?: number;
}

/**
 * Loads a model from its files: one .gguf (with an optional roles.json), .safetensors file(s) with
 * config.json, tokenizer.json (and optionally tokenizer_config.json, roles.json), or a llama2.c
 * checkpoint with its tokenizer .bin.
 */
export async function loadModel(files: readonly ModelFile[], options: LoadOptions = {}): Promise<LoadedModel> {
  if (files.length === 0)
    throw new ModelFileError(
      'no files were given: a model is a .gguf file, .safetensors with config.json and tokenizer.json, or a llama2.c checkpoint with its tokenizer .bin',
    );
  const gguf: ModelFile[] = [],
    safetensors: ModelFile[] = [],
    llama2c: ModelFile[] = [],
    llama2cTokenizers: ModelFile[] = [];
  const side = new Map<string, ModelFile>();
  for (const f of files) {
    if (isGguf(f.bytes)) gguf.push(f);
    else if (isSafetensors(f.bytes)) safetensors.push(f);
    else if (SIDE_FILES.includes(baseName(f.name)) || looksLikeJson(f.bytes)) side.set(baseName(f.name), f);
    else if (isLlama2cCheckpoint(f.bytes)) llama2c.push(f);
    else if (isLlama2cTokenizer(f.bytes)) llama2cTokenizers.push(f);
    else if (isLlama2cVersionedExport(f.bytes))
      throw new ModelFileError(
        `${f.name}: a llama2.c export of version ${new DataView(f.bytes.buffer, f.bytes.byteOffset, 8).getInt32(4, true)} ("ak42"); the playground reads the legacy format run.c reads (export.py --version 0), as the tinyllamas files are`,
      );
    else throw new ModelFileError(notAModel(f));
  }
  const kinds = [gguf, safetensors, llama2c].filter((k) => k.length > 0);
  if (kinds.length > 1)
    throw new ModelFileError(
      `${kinds
        .flat()
        .map((f) => f.name)
        .join(', ')}: a model is GGUF, safetensors or llama2.c, one of them`,
    );
  if (gguf.length > 1)
    throw new ModelFileError(`${gguf.map((f) => f.name).join(', ')}: one GGUF file at a time (split GGUF files are not supported)`);
  const bytes = files.reduce((s, f) => s + f.bytes.length, 0);
  const rolesFile = side.get('roles.json');
  if (llama2c.length > 0 || llama2cTokenizers.length > 0) {
    if (llama2c.length !== 1)
      throw new ModelFileError(
        llama2c.length === 0
          ? `${llama2cTokenizers.map((f) => f.name).join(', ')}: a llama2.c tokenizer needs its checkpoint (the model .bin) beside it`
          : `${llama2c.map((f) => f.name).join(', ')}: one llama2.c checkpoint at a time`,
      );
    const file = llama2c[0];
    if (llama2cTokenizers.length !== 1)
      throw new ModelFileError(
        llama2cTokenizers.length === 0
          ? `${file.name}: a llama2.c checkpoint needs its tokenizer file beside it (tokenizer.bin for the 32000-token models, tok512.bin for stories260K, …)`
          : `${llama2cTokenizers.map((f) => f.name).join(', ')}: one llama2.c tokenizer at a time`,
      );
    const weights = readLlama2cModel(file.bytes, file.name, options.memoryLimit);
    const tokenizerFile = llama2cTokenizers[0];
    const tokenizer = vocabularyTokenizer(
      readLlama2cVocabulary(tokenizerFile.bytes, tokenizerFile.name, weights.config.vocabSize),
      tokenizerFile.name,
    );
    check(weights, tokenizer, file.name);
    return {
      weights,
      tokenizer,
      roles: rolesFile ? readRoles(rolesFile, weights) : null,
      source: {
        format: 'llama2c',
        files: files.map((f) => f.name),
        tensorTypes: { F32: 9 * weights.config.layers + 2 + (weights.config.tiedEmbeddings ? 0 : 1) },
        bytes,
      },
    };
  }
  if (gguf.length === 1) {
    const file = gguf[0];
    const { weights, metadata, tensorTypes } = await readGgufModel(file.bytes, file.name, options.memoryLimit);
    const tokenizer = ggufTokenizer(metadata, file.name);
    check(weights, tokenizer, file.name);
    return {
      weights,
      tokenizer,
      roles: rolesFile ? readRoles(rolesFile, weights) : null,
      source: { format: 'gguf', files: files.map((f) => f.name), tensorTypes, bytes },
    };
  }
  if (safetensors.length === 0) {
    const given = files.map((f) => f.name).join(', ');
    throw new ModelFileError(
      `${given}: no model weights among the files (a .gguf file, .safetensors with config.json and tokenizer.json, or a llama2.c checkpoint with its tokenizer .bin)`,
    );
  }
  const { weights, tokenizer, tensorTypes } = readSafetensorsModel(safetensors, side, options.memoryLimit);
  check(weights, tokenizer, safetensors.map((f) => f.name).join(', '));
  return {
    weights,
    tokenizer,
    roles: rolesFile ? readRoles(rolesFile, weights) : null,
    source: { format: 'safetensors', files: files.map((f) => f.name), tensorTypes, bytes },
  };
}

/** checkModelWeights, and a tokenizer whose ids all have an embedding row. */
function check(weights: ModelWeights, tokenizer: ModelTokenizer, file: string): void {
  try {
    checkModelWeights(weights);
  } catch (error) {
    if (error instanceof ModelFileError) throw new ModelFileError(`${file}: ${error.message}`);
    throw error;
  }
  if (tokenizer.vocabSize > weights.config.vocabSize)
    throw new ModelFileError(
      `${file}: the tokenizer has ${tokenizer.vocabSize} tokens but the model embeds only ${weights.config.vocabSize}: they do not belong together`,
    );
}

/** roles.json, checked against the model's layers and heads. */
function readRoles(file: ModelFile, weights: ModelWeights): ModelRoles {
  const roles = parseJsonFile(file) as ModelRoles;
  const fail = (what: string): never => {
    throw new ModelFileError(`${file.name}: ${what}`);
  };
  if (
    roles === null ||
    typeof roles !== 'object' ||
    !Array.isArray(roles.heads) ||
    typeof roles.method !== 'object' ||
    roles.method === null
  )
    fail('is not a roles file (it needs "method", "heldOut" and "heads")');
  const { layers, heads } = weights.config;
  for (const h of roles.heads) {
    if (!Number.isInteger(h.layer) || !Number.isInteger(h.head) || h.layer < 0 || h.layer >= layers || h.head < 0 || h.head >= heads)
      fail(`names head ${h.layer}.${h.head}, but the model has ${layers} layers of ${heads} heads`);
  }
  return roles;
}

/** The llama2.c tokenizer's usual name (run.c's default), fetched from beside a checkpoint's URL. */
export const LLAMA2C_TOKENIZER_NAME = 'tokenizer.bin';

/**
 * The files of a model at a URL: a .gguf file; a .safetensors file whose config.json and
 * tokenizer.json (and, if present, tokenizer_config.json and roles.json) sit in the same directory;
 * or a llama2.c checkpoint with its tokenizer — a second URL after a space, else tokenizer.bin in the
 * checkpoint's directory. The format is told by the bytes fetched. Network errors and HTTP errors are
 * ModelFileErrors naming the URL.
 */
export async function fetchModelFiles(request: string, fetchFn: typeof fetch = fetch): Promise<ModelFile[]> {
  const get = async (target: string, optional: boolean): Promise<ModelFile | null> => {
    let response: Response;
    try {
      response = await fetchFn(target);
    } catch (error) {
      throw new ModelFileError(`${target}: could not be fetched (${(error as Error).message})`);
    }
    if (!response.ok) {
      if (optional && response.status === 404) return null;
      throw new ModelFileError(`${target}: HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    }
    const name = decodeURIComponent(new URL(target, 'http://localhost/').pathname.split('/').pop() ?? target);
    try {
      return { name, bytes: new Uint8Array(await response.arrayBuffer()) };
    } catch (error) {
      throw new ModelFileError(`${target}: the download failed (${(error as Error).message})`);
    }
  };
  const urls = request.trim().split(/\s+/);
  if (urls.length > 2)
    throw new ModelFileError(`${urls.length} URLs: give one model URL (or a llama2.c checkpoint's URL and its tokenizer's, after a space)`);
  const [url, second] = urls;
  const main = (await get(url, false))!;
  if (isLlama2cCheckpoint(main.bytes)) {
    const tokenizerUrl = second ?? siblingUrl(url, LLAMA2C_TOKENIZER_NAME);
    const tokenizer = await get(tokenizerUrl, second === undefined);
    if (!tokenizer)
      throw new ModelFileError(
        `${url}: a llama2.c checkpoint needs its tokenizer, and there is no ${LLAMA2C_TOKENIZER_NAME} beside it (${tokenizerUrl}: HTTP 404) — give the tokenizer's URL after the checkpoint's, separated by a space`,
      );
    return [main, tokenizer];
  }
  if (isLlama2cTokenizer(main.bytes))
    throw new ModelFileError(
      `${url}: a llama2.c tokenizer, not a model — give the checkpoint's URL first (and this one after it, separated by a space)`,
    );
  if (second !== undefined)
    throw new ModelFileError(`${url}: a second URL is only for a llama2.c checkpoint's tokenizer; this is not a llama2.c checkpoint`);
  if (isGguf(main.bytes)) return [main];
  if (!isSafetensors(main.bytes)) throw new ModelFileError(notAModel(main, url));
  const files: ModelFile[] = [main];
  for (const [name, optional] of [
    ['config.json', false],
    ['tokenizer.json', false],
    ['tokenizer_config.json', true],
    ['roles.json', true],
  ] as const) {
    const f = await get(siblingUrl(url, name), optional);
    if (f) files.push(f);
  }
  return files;
}

/** `name` in the directory of `url` (its query and fragment dropped), absolute or relative as `url` is. */
export function siblingUrl(url: string, name: string): string {
  const path = url.replace(/[?#].*$/, '');
  return path.slice(0, path.lastIndexOf('/') + 1) + name;
}
