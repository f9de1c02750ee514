/**
 * The benchmark card: one JSON file with everything needed to compare a run across devices — the
 * adapter and its limits, the SHA-256 of every kernel source the run used, the configuration and
 * the results. `npm run bench -- --card` writes it, the Profiler tab downloads it and loads one back
 * to plot beside the current run. `parseCard` checks a card from outside and names what is wrong.
 */
import { InputError } from './errors';
import { FEATURE_NAMES } from './features';
import type { FeatureOptions } from './options';
import { DEFAULT_OPTIONS } from './options';
import type { ProfileFormNumber } from './profile-form';
import { FORM_NUMBERS } from './profile-form';
import type { AdapterInfo, ProfileResult, ProfileRow } from './profile-report';
import { checkFeatures } from './shapes';

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

/** A field that may be absent or null, checked when it is there. */
function optional(x: Json, path: string, check: (x: Json, path: string) => unknown): void {
  if (x !== null && x !== undefined) check(x, path);
}

function boolean(x: Json, path: string): boolean {
  if (typeof x !== 'boolean') fail(path, 'true or false', x);
  return x;
}

/** An array whose every element passes `check` (named `what` in the message when the array itself is not one). */
function arrayOf<T>(x: Json, path: string, what: string, check: (x: Json, path: string) => T): T[] {
  if (!Array.isArray(x)) fail(path, what, x);
  return x.map((v, i) => check(v, `${path}[${i}]`));
}

/**
 * A setting "Use its settings" puts into a number box of the Profiler tab's form: a whole number
 * within the bounds that box takes (FORM_NUMBERS), so the form never holds a value it would refuse.
 */
function formNumber(x: Json, path: string, field: ProfileFormNumber): number {
  const { label, min, max } = FORM_NUMBERS[field];
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x > max)
    fail(path, `a whole number from ${min} to ${max} (the form's ${label})`, x);
  return x;
}

function summary(x: Json, path: string): void {
  const s = object(x, path);
  array(s.samples, `${path}.samples`).forEach((v, i) => numberOrNull(v, `${path}.samples[${i}]`));
  for (const key of ['median', 'p10', 'p90']) numberOrNull(s[key], `${path}.${key}`);
}

function row(x: Json, path: string): void {
  const r = object(x, path);
  positiveInteger(r.n, `${path}.n`);
  if (r.m !== undefined) positiveInteger(r.m, `${path}.m`);
  optional(r.decode, `${path}.decode`, boolean);
  string(r.variant, `${path}.variant`);
  optional(r.error, `${path}.error`, string);
  summary(r.wallMs, `${path}.wallMs`);
  optional(r.gpuMs, `${path}.gpuMs`, summary);
  optional(r.spanMs, `${path}.spanMs`, summary);
  const stages = object(r.stages, `${path}.stages`);
  for (const [stage, s] of Object.entries(stages)) summary(s, `${path}.stages.${stage}`);
  for (const key of [
    'gflops',
    'gbps',
    'intensity',
    'rooflinePct',
    'kvGbps',
    'kvBandwidthPct',
    'allocatedBytes',
    'keySplits',
    'headsPerWorkgroup',
    'rowsPerWorkgroup',
  ])
    numberOrNull(r[key], `${path}.${key}`);
  optional(r.roof, `${path}.roof`, string);
  optional(r.splitKeys, `${path}.splitKeys`, positiveInteger);
  optional(r.subgroups, `${path}.subgroups`, boolean);
  optional(r.lanes, `${path}.lanes`, string);
  optional(r.check, `${path}.check`, (c, p) => boolean(object(c, p).pass, `${p}.pass`));
  finite(object(r.flops, `${path}.flops`).total, `${path}.flops.total`);
  finite(object(r.bytes, `${path}.bytes`).total, `${path}.bytes.total`);
}

/** [from, to] of a fit: two finite numbers. */
function range(x: Json, path: string): void {
  const r = array(x, path);
  if (r.length !== 2) fail(path, '[smallest N, largest N]', r);
  r.forEach((v, i) => finite(v, `${path}[${i}]`));
}

/** A straight-line fit (result.fits[i]), as the plot labels and the terminal print it. */
function fitRow(x: Json, path: string): void {
  const f = object(x, path);
  string(f.variant, `${path}.variant`);
  string(f.stage, `${path}.stage`);
  const fit = object(f.fit, `${path}.fit`);
  finite(fit.exponent, `${path}.fit.exponent`);
  finite(fit.r2, `${path}.fit.r2`);
  positiveInteger(fit.points, `${path}.fit.points`);
  range(fit.xRange, `${path}.fit.xRange`);
  optional(f.flat, `${path}.flat`, string);
}

/** A fit t = a + b·N^p (result.models[i]), as the results explain it. */
function model(x: Json, path: string): void {
  const m = object(x, path);
  string(m.variant, `${path}.variant`);
  string(m.timing, `${path}.timing`);
  const fit = object(m.fit, `${path}.fit`);
  for (const key of ['a', 'b', 'p', 'rmsRelative']) finite(fit[key], `${path}.fit.${key}`);
  boolean(fit.atBound, `${path}.fit.atBound`);
  range(fit.xRange, `${path}.fit.xRange`);
  arrayOf(m.slopes, `${path}.slopes`, 'an array', (s, p) => {
    const slope = object(s, p);
    for (const key of ['from', 'to', 'slope']) finite(slope[key], `${p}.${key}`);
  });
  finite(m.overheadAtSmallest, `${path}.overheadAtSmallest`);
  finite(m.overheadAtLargest, `${path}.overheadAtLargest`);
}

/** A measured roofline, as the page and the terminal describe it. */
function roofline(x: Json, path: string): void {
  const roof = object(x, path);
  for (const key of ['gbps', 'gflops', 'copyBytes', 'fmaFlops']) finite(roof[key], `${path}.${key}`);
  numberOrNull(roof.workgroupGbps, `${path}.workgroupGbps`);
  summary(roof.copyMs, `${path}.copyMs`);
  summary(roof.fmaMs, `${path}.fmaMs`);
  string(roof.method, `${path}.method`);
  optional(roof.timestamps, `${path}.timestamps`, (t, p) => {
    const stamps = object(t, p);
    finite(stamps.quantumNs, `${p}.quantumNs`);
    finite(stamps.count, `${p}.count`);
    numberOrNull(stamps.smallestStepNs, `${p}.smallestStepNs`);
  });
  optional(roof.sizing, `${path}.sizing`, (z, p) => {
    const sizing = object(z, p);
    for (const key of ['targetMs', 'copyBytes', 'copyDispatches', 'fmaGroups', 'fmaIterations', 'workgroupGroups', 'workgroupIterations'])
      finite(sizing[key], `${p}.${key}`);
  });
}

const POSITIVE_INTEGERS = 'an array of positive integers';

/**
 * A sweep's features (config.features): each of the right type, then together as the engine
 * checks them for the sweep's heads and dk (the message of checkFeatures, under the field's path).
 */
function features(x: Json, path: string, heads: number, dk: number): void {
  const f = object(x, path);
  optional(f.kvHeads, `${path}.kvHeads`, positiveInteger);
  optional(f.window, `${path}.window`, positiveInteger);
  optional(f.softcap, `${path}.softcap`, finite);
  optional(f.rope, `${path}.rope`, (r, p) => {
    const rope = object(r, p);
    string(rope.layout, `${p}.layout`);
    finite(rope.base, `${p}.base`);
    optional(rope.dims, `${p}.dims`, positiveInteger);
    finite(rope.offset, `${p}.offset`);
  });
  if (f.alibi !== 'standard') optional(f.alibi, `${path}.alibi`, (a, p) => arrayOf(a, p, '"standard" or an array of slopes', finite));
  optional(f.sinks, `${path}.sinks`, (s, p) => arrayOf(s, p, 'an array of sink logits', finite));
  const taken = Object.fromEntries(FEATURE_NAMES.map((key) => [key, f[key] ?? null])) as unknown as FeatureOptions;
  try {
    checkFeatures({ ...DEFAULT_OPTIONS, ...taken, heads }, dk);
  } catch (error) {
    throw new CardError(`${path}: ${(error as Error).message}`);
  }
}

/**
 * A sweep's configuration (result.config): what the results' heading says and what "Use its
 * settings" puts into the Profiler tab's form, each within what the form takes. Fields older
 * results lack may be absent.
 */
function config(x: Json, path: string): void {
  const c = object(x, path);
  const ns = arrayOf(c.ns, `${path}.ns`, POSITIVE_INTEGERS, positiveInteger);
  if (ns.length === 0) fail(`${path}.ns`, 'at least one N', ns);
  const dk = formNumber(c.dk, `${path}.dk`, 'dk');
  optional(c.dv, `${path}.dv`, positiveInteger);
  const heads = formNumber(c.heads, `${path}.heads`, 'heads');
  optional(c.causal, `${path}.causal`, boolean);
  const variants = arrayOf(c.variants, `${path}.variants`, 'an array of variant names', string);
  if (variants.length === 0) fail(`${path}.variants`, 'at least one variant', variants);
  optional(c.baselines, `${path}.baselines`, (b, p) => arrayOf(b, p, 'an array of variant names', string));
  optional(c.decode, `${path}.decode`, (d, p) => arrayOf(d, p, POSITIVE_INTEGERS, positiveInteger));
  for (const field of ['warmup', 'repeats', 'seed'] as const) if (c[field] !== undefined) formNumber(c[field], `${path}.${field}`, field);
  optional(c.fitFromN, `${path}.fitFromN`, positiveInteger);
  optional(c.features, `${path}.features`, (f, p) => features(f, p, heads, dk));
}

/** A CPU reference time (result.cpu[i]). */
function cpuTime(x: Json, path: string): void {
  const t = object(x, path);
  positiveInteger(t.n, `${path}.n`);
  numberOrNull(t.ms, `${path}.ms`);
  optional(t.skipped, `${path}.skipped`, string);
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
  config(result.config, `${path}.config`);
  optional(result.adapter, `${path}.adapter`, (a, p) => {
    const adapter = object(a, p);
    for (const key of ['description', 'vendor', 'architecture']) string(adapter[key], `${p}.${key}`);
  });
  const rows = array(result.rows, `${path}.rows`);
  if (rows.length === 0) fail(`${path}.rows`, 'at least one row', rows);
  rows.forEach((r, i) => row(r, `${path}.rows[${i}]`));
  optional(result.roofline, `${path}.roofline`, roofline);
  arrayOf(result.fits, `${path}.fits`, 'an array', fitRow);
  optional(result.models, `${path}.models`, (m, p) => arrayOf(m, p, 'an array', model));
  arrayOf(result.notes, `${path}.notes`, 'an array of strings', string);
  arrayOf(result.cpu, `${path}.cpu`, 'an array', cpuTime);
  optional(result.cancelled, `${path}.cancelled`, boolean);
  return result as unknown as ProfileResult;
}

/** The card's rows of the N sweep that have a time, for plotting beside the current run. */
export function cardRows(card: BenchCard): ProfileRow[] {
  return card.result.rows.filter((r) => !r.decode && !r.error);
}
