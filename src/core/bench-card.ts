/**
 * The benchmark card: one JSON file with everything needed to compare a run across devices — the
 * adapter and its limits, the SHA-256 of every kernel source the run used, the configuration and
 * the results. `npm run bench -- --card` writes it, the Profiler tab downloads it and loads one back
 * to plot beside the current run. `parseCard` checks a card from outside and names what is wrong.
 */
import { InputError } from './errors';
import type { AdapterInfo, ProfileResult, ProfileRow } from './profile-report';

export const CARD_FORMAT = 'attention-playground/bench-card';
export const CARD_VERSION = 1;

export interface BenchCard {
  format: typeof CARD_FORMAT;
  version: typeof CARD_VERSION;
  createdAt: string;
  /** The command that made it (terminal) or 'Profiler tab' (page). */
  source: string;
  adapter: AdapterInfo;
  /** The device's limits (name → value), as the run's device had them. */
  limits: Record<string, number>;
  /** Optional WebGPU features the device had (timestamp-query, shader-f16, …). */
  features: string[];
  /** SHA-256 (hex) of each shader the run used, by its path under shaders/ (custom kernels as custom:<name>/<stage>). */
  shaders: Record<string, string>;
  /** The results, configuration included (result.config). */
  result: ProfileResult;
}

/** What is wrong with a card, with where (`card.result.rows[3].n: …`). */
export class CardError extends InputError {}

export function makeCard(parts: Omit<BenchCard, 'format' | 'version' | 'createdAt'> & { createdAt?: string }): BenchCard {
  return { format: CARD_FORMAT, version: CARD_VERSION, createdAt: parts.createdAt ?? new Date().toISOString(), ...parts };
}

/** The device as a legend names it: "NVIDIA H200" or "Google swiftshader (CPU emulation)". */
export function cardLabel(card: Pick<BenchCard, 'adapter'>): string {
  const a = card.adapter;
  const name = a.description || `${a.vendor} ${a.architecture}`.trim() || 'unknown adapter';
  return a.isSoftware ? `${name} (CPU emulation)` : name;
}

type Json = unknown;

const kind = (x: Json) =>
  x === undefined
    ? 'nothing (missing)'
    : x === null
      ? 'null'
      : Array.isArray(x)
        ? 'an array'
        : typeof x === 'object'
          ? 'an object'
          : `a ${typeof x}`;

function fail(path: string, expected: string, got: Json): never {
  const shown =
    typeof got === 'string'
      ? `"${got.length > 40 ? `${got.slice(0, 40)}…` : got}"`
      : typeof got === 'number' || typeof got === 'boolean'
        ? String(got)
        : kind(got);
  throw new CardError(`${path}: expected ${expected}, got ${shown}`);
}

function object(x: Json, path: string): Record<string, Json> {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) fail(path, 'an object', x);
  return x as Record<string, Json>;
}

function string(x: Json, path: string): string {
  if (typeof x !== 'string') fail(path, 'a string', x);
  return x;
}

function finite(x: Json, path: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) fail(path, 'a finite number', x);
  return x;
}

function positiveInteger(x: Json, path: string): number {
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1) fail(path, 'a positive integer', x);
  return x;
}

function array(x: Json, path: string): Json[] {
  if (!Array.isArray(x)) fail(path, 'an array', x);
  return x;
}

/** A number, or null where a figure is missing (JSON writes NaN and Infinity as null). */
function numberOrNull(x: Json, path: string): void {
  if (x !== null && x !== undefined) finite(x, path);
}

function summary(x: Json, path: string): void {
  const s = object(x, path);
  array(s.samples, `${path}.samples`).forEach((v, i) => numberOrNull(v, `${path}.samples[${i}]`));
  numberOrNull(s.median, `${path}.median`);
}

function row(x: Json, path: string): void {
  const r = object(x, path);
  positiveInteger(r.n, `${path}.n`);
  if (r.m !== undefined) positiveInteger(r.m, `${path}.m`);
  string(r.variant, `${path}.variant`);
  if (r.error !== null && r.error !== undefined) string(r.error, `${path}.error`);
  summary(r.wallMs, `${path}.wallMs`);
  if (r.gpuMs !== null && r.gpuMs !== undefined) summary(r.gpuMs, `${path}.gpuMs`);
  if (r.spanMs !== null && r.spanMs !== undefined) summary(r.spanMs, `${path}.spanMs`);
  const stages = object(r.stages, `${path}.stages`);
  for (const [stage, s] of Object.entries(stages)) summary(s, `${path}.stages.${stage}`);
  numberOrNull(r.gflops, `${path}.gflops`);
  numberOrNull(r.gbps, `${path}.gbps`);
  finite(object(r.flops, `${path}.flops`).total, `${path}.flops.total`);
  finite(object(r.bytes, `${path}.bytes`).total, `${path}.bytes.total`);
}

/**
 * A card from JSON text (or an already parsed value), checked field by field. Throws CardError
 * naming the first thing wrong; returns the card unchanged otherwise.
 */
export function parseCard(input: string | Json): BenchCard {
  let value: Json = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new CardError(`not JSON: ${(error as Error).message}`);
    }
  }
  const card = object(value, 'card');
  if (card.format !== CARD_FORMAT) fail('card.format', `"${CARD_FORMAT}"`, card.format);
  if (card.version !== CARD_VERSION) fail('card.version', String(CARD_VERSION), card.version);
  string(card.createdAt, 'card.createdAt');
  string(card.source, 'card.source');
  const adapter = object(card.adapter, 'card.adapter');
  for (const key of ['description', 'vendor', 'architecture']) string(adapter[key], `card.adapter.${key}`);
  if (typeof adapter.isSoftware !== 'boolean') fail('card.adapter.isSoftware', 'a boolean', adapter.isSoftware);
  for (const [key, v] of Object.entries(object(card.limits, 'card.limits'))) finite(v, `card.limits.${key}`);
  array(card.features, 'card.features').forEach((f, i) => string(f, `card.features[${i}]`));
  const shaders = object(card.shaders, 'card.shaders');
  if (Object.keys(shaders).length === 0) fail('card.shaders', 'at least one kernel hash', shaders);
  for (const [file, hash] of Object.entries(shaders))
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) fail(`card.shaders["${file}"]`, 'a SHA-256 in 64 hex digits', hash);
  parseProfileResult(card.result, 'card.result');
  return card as unknown as BenchCard;
}

/**
 * A profile's results (results.json as npm run bench writes it, or a card's result), checked field
 * by field: a CardError naming the first thing wrong (`results.rows[3].n: …`).
 */
export function parseProfileResult(value: Json, path = 'results'): ProfileResult {
  const result = object(value, path);
  const config = object(result.config, `${path}.config`);
  array(config.ns, `${path}.config.ns`).forEach((n, i) => positiveInteger(n, `${path}.config.ns[${i}]`));
  positiveInteger(config.dk, `${path}.config.dk`);
  positiveInteger(config.heads, `${path}.config.heads`);
  array(config.variants, `${path}.config.variants`).forEach((v, i) => string(v, `${path}.config.variants[${i}]`));
  const rows = array(result.rows, `${path}.rows`);
  if (rows.length === 0) fail(`${path}.rows`, 'at least one row', rows);
  rows.forEach((r, i) => row(r, `${path}.rows[${i}]`));
  if (result.roofline !== null && result.roofline !== undefined) {
    const roof = object(result.roofline, `${path}.roofline`);
    finite(roof.gbps, `${path}.roofline.gbps`);
    finite(roof.gflops, `${path}.roofline.gflops`);
  }
  array(result.fits, `${path}.fits`);
  array(result.notes, `${path}.notes`);
  array(result.cpu, `${path}.cpu`);
  return result as unknown as ProfileResult;
}

/** The card's rows of the N sweep that have a time, for plotting beside the current run. */
export function cardRows(card: BenchCard): ProfileRow[] {
  return card.result.rows.filter((r) => !r.decode && !r.error);
}
