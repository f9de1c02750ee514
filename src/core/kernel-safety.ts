/**
 * What keeps a user's kernel from taking the page with it: the time a GPU run may take before the
 * page stops waiting (one formula, derived from the work), which of the edited kernels the
 * playground may use (staging), and the write-ahead record of a kernel on trial, so that a page
 * that dies while a kernel runs holds that kernel when it is opened again.
 *
 * Pure: no DOM, no WebGPU. The page (src/ui/kernel-staging.ts) owns the flow; see docs/playground.md.
 */
import type { ModelConfig } from './model/config';
import type { AttentionShape } from './shapes';
import type { StageName } from './stages';
import { isStageName, STAGE_INFO } from './stages';

/**
 * The slowest device the page must allow for, in multiply-adds per second: SwiftShader (a CPU
 * emulator, ~0.3 GFLOP/s ≈ 1.5·10⁸ multiply-adds/s measured on one core) on a machine shared with
 * other work, with a tenfold margin. A real GPU is thousands of times faster.
 */
export const FLOOR_MADDS_PER_SECOND = 1.5e7;
/** Compiling pipelines (seconds for the fused kernel on a CPU emulator), uploads and read-back. */
export const BASE_TIME_LIMIT_MS = 20_000;

export interface TimeLimitSettings {
  baseMs: number;
  floorMaddsPerSecond: number;
}

export const DEFAULT_TIME_LIMITS: TimeLimitSettings = { baseMs: BASE_TIME_LIMIT_MS, floorMaddsPerSecond: FLOOR_MADDS_PER_SECOND };

/**
 * How long a GPU run of `work` multiply-adds may take before the page gives up on it: the base
 * plus the work at the floor throughput, rounded up to a whole second. The one formula every
 * watchdog of the page uses (playground runs, model steps, the staging's quick check).
 */
export function gpuTimeLimitMs(work: number, settings: TimeLimitSettings = DEFAULT_TIME_LIMITS): number {
  if (!(work >= 0) || !Number.isFinite(work)) throw new RangeError(`work must be a finite count of multiply-adds ≥ 0, got ${work}`);
  const ms = settings.baseMs + (work / settings.floorMaddsPerSecond) * 1000;
  return Math.ceil(ms / 1000) * 1000;
}

/**
 * Multiply-adds of one attention run (all stages, every head): QKᵀ and P·V (n·m·(dk+dv) per head),
 * the softmax's few operations per score (counted as 8), RoPE (n+m)·dk, and the projection.
 */
export function attentionWork(shape: Pick<AttentionShape, 'n' | 'm' | 'dk' | 'dv' | 'heads' | 'dModel'>): number {
  const { n, m, dk, dv, heads } = shape;
  return heads * (n * m * (dk + dv + 8) + (n + m) * dk) + n * heads * dv * (shape.dModel ?? 0);
}

/**
 * Multiply-adds of one transformer forward over `tokens` new tokens attending to `context` tokens:
 * per layer the Q/K/V/O projections (4·d²), the MLP (3·d·d_ff, gated or not) per token and
 * attention, then the LM head (d·vocab per token).
 */
export function transformerWork(
  config: Pick<ModelConfig, 'layers' | 'dModel' | 'ffnDim' | 'heads' | 'headDim' | 'vocabSize'>,
  tokens: number,
  context: number,
): number {
  const { layers, dModel, ffnDim, heads, headDim, vocabSize } = config;
  const perToken = 4 * dModel * dModel + 3 * dModel * ffnDim;
  return layers * (tokens * perToken + heads * tokens * context * (2 * headDim + 8)) + tokens * dModel * vocabSize;
}

/** "12 s" for a limit in milliseconds. */
export function formatLimit(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}

/** What ran when a GPU run timed out: the edited kernels in use (null: only built-in ones). */
export interface TimeoutReport {
  kernels: Readonly<Record<string, string>> | null;
  variant: string;
  shape: Pick<AttentionShape, 'n' | 'm' | 'heads'>;
  limitMs: number;
}

/** "QKᵀ and softmax" for stage names. */
function stageList(stages: readonly string[]): string {
  const titles = stages.map((s) => (isStageName(s) ? STAGE_INFO[s].shortTitle : s));
  return titles.length > 1 ? `${titles.slice(0, -1).join(', ')} and ${titles[titles.length - 1]}` : (titles[0] ?? '');
}

/** The last sentence of a hold's message while the page replaces the device (timeoutMessage, GpuTimeoutEvent). */
export const DEVICE_BEING_REPLACED = 'The GPU device is being replaced.';

/**
 * A hold's message once the replacement device is ready: it no longer says the device is being
 * replaced (the held line and the Profiler's message outlive the replacement).
 */
export function afterDeviceReplaced(message: string): string {
  return message.replace(DEVICE_BEING_REPLACED, 'The GPU device has been replaced.');
}

/** `outcome` with its GPU error saying the device has been replaced; null when that changes nothing. */
export function afterDeviceReplacedIn<T extends { gpuError: string | null }>(outcome: T | null): T | null {
  if (!outcome?.gpuError) return null;
  const gpuError = afterDeviceReplaced(outcome.gpuError);
  return gpuError === outcome.gpuError ? null : { ...outcome, gpuError };
}

/** The sentence the page shows after a timeout: which kernel, on what, and what happens now. */
export function timeoutMessage(t: TimeoutReport): string {
  const size = `${t.shape.n}×${t.shape.m}${t.shape.heads > 1 ? ` with ${t.shape.heads} heads` : ''}`;
  const within = `within ${formatLimit(t.limitMs)} on ${size}`;
  const stages = Object.keys(t.kernels ?? {});
  if (stages.length === 0)
    return `The built-in ${t.variant} kernels did not finish ${within}. ${DEVICE_BEING_REPLACED} The results shown come from the CPU reference; press Run to try again.`;
  const whose = stages.length === 1 ? `Your edited ${stageList(stages)} kernel` : `One of your edited ${stageList(stages)} kernels`;
  const held = stages.length === 1 ? 'it is held' : 'they are held';
  return `${whose} did not finish ${within}; ${held}: the playground runs the built-in kernels, your text stays in the Shader lab, and "Use my kernel again" tries it again. ${DEVICE_BEING_REPLACED}`;
}

// ---------------------------------------------------------------- staging

/**
 * Where an edited kernel stands:
 * - checking: on trial (the interpreter, then a small GPU run); the playground uses the built-in kernel;
 * - passed: it compiled, fits the interface and matched the float64 reference on the quick case;
 * - failed: it did not (the reason says why); the built-in kernel runs until the text changes;
 * - held: it timed out or lost the device; not tried again, on reload or from a link, until the user asks.
 */
export type KernelTrialStatus = 'checking' | 'passed' | 'failed' | 'held';

export interface KernelTrial {
  status: KernelTrialStatus;
  /** The source the status is about (an edit makes it stale). */
  source: string;
  /** Why it failed or is held, in words; what it is doing while checking. */
  reason: string | null;
}

export type KernelTrials = Partial<Record<StageName, KernelTrial>>;

/**
 * The edited kernels the playground runs: those whose exact text passed its trial. Every other
 * stage runs the built-in kernel. Null when none (the engine's own kernels throughout).
 */
export function kernelsInUse(kernels: Readonly<Record<string, string>> | null, trials: KernelTrials): Record<string, string> | null {
  if (!kernels) return null;
  const used: Record<string, string> = {};
  for (const [stage, source] of Object.entries(kernels)) {
    const trial = isStageName(stage) ? trials[stage] : undefined;
    if (trial?.status === 'passed' && trial.source === source) used[stage] = source;
  }
  return Object.keys(used).length ? used : null;
}

/**
 * The stages whose edited kernel needs a trial now: edited, not held, and with no verdict on this
 * exact text yet (a new text, or one the page has not seen since it loaded).
 */
export function kernelsToTry(kernels: Readonly<Record<string, string>> | null, held: readonly string[], trials: KernelTrials): StageName[] {
  if (!kernels) return [];
  return Object.entries(kernels)
    .filter(([stage, source]) => isStageName(stage) && !held.includes(stage) && trials[stage]?.source !== source)
    .map(([stage]) => stage as StageName);
}

/** The stages the playground runs with the built-in kernel although the user edited them, in words ("QKᵀ (held), softmax (checking)"). */
export function builtInStandIns(
  kernels: Readonly<Record<string, string>> | null,
  held: readonly string[],
  trials: KernelTrials,
): string | null {
  if (!kernels) return null;
  const parts: string[] = [];
  for (const [stage, source] of Object.entries(kernels)) {
    if (!isStageName(stage)) continue;
    const trial = trials[stage];
    const why = held.includes(stage) ? 'held' : trial?.source !== source ? 'checking' : trial.status === 'passed' ? null : trial.status;
    if (why) parts.push(`${STAGE_INFO[stage].shortTitle} (${why})`);
  }
  return parts.length ? parts.join(', ') : null;
}

/**
 * Whether an edited kernel's trial on this exact text has ended in a verdict that lets it run on the
 * GPU outside the playground's own runs (the Shader lab's Verify, the Profiler's timing): passed,
 * or failed with its reason (a wrong answer is what Verify is for). Not while it is still being
 * checked (the CPU interpreter has not yet ruled out a kernel that never ends), nor when held.
 */
export function kernelTried(stage: StageName, source: string, held: readonly string[], trials: KernelTrials): boolean {
  const trial = trials[stage];
  return !held.includes(stage) && trial?.source === source && (trial.status === 'passed' || trial.status === 'failed');
}

/** The edited kernels whose trial has ended and that are not held (what the Profiler may offer to time after its own verification). */
export function kernelsTried(
  kernels: Readonly<Record<string, string>> | null,
  held: readonly string[],
  trials: KernelTrials,
): Record<string, string> | null {
  if (!kernels) return null;
  const left = Object.fromEntries(
    Object.entries(kernels).filter(([stage, source]) => isStageName(stage) && kernelTried(stage, source, held, trials)),
  );
  return Object.keys(left).length ? left : null;
}

/** An edited kernel the Profiler does not offer to time, and why: held, or its trial not ended. */
export interface WithheldKernel {
  stage: StageName;
  why: 'held' | 'checking';
}

/** The edited kernels kernelsTried leaves out, with why (held first: a hold stays until released). */
export function kernelsWithheld(
  kernels: Readonly<Record<string, string>> | null,
  held: readonly string[],
  trials: KernelTrials,
): WithheldKernel[] {
  if (!kernels) return [];
  return Object.entries(kernels)
    .filter((entry): entry is [StageName, string] => isStageName(entry[0]) && !kernelTried(entry[0], entry[1], held, trials))
    .map(([stage]): WithheldKernel => ({ stage, why: held.includes(stage) || trials[stage]?.status === 'held' ? 'held' : 'checking' }));
}

/** The held stages after holding (or releasing) one; sorted, so equal sets compare equal. */
export function withHold(held: readonly string[], stage: StageName, on: boolean): string[] {
  const next = new Set(held);
  if (on) next.add(stage);
  else next.delete(stage);
  return [...next].sort();
}

// ---------------------------------------------------------------- write-ahead record

/**
 * Written to storage before the first GPU run of a kernel not yet proven, cleared after it: a
 * page that hangs or dies in between finds it on the next load and holds that kernel.
 */
export interface TrialRecord {
  stage: StageName;
  /** fingerprint() of the source on trial. */
  fingerprint: string;
  /** When the trial started (ms since the epoch), for the message. */
  startedAt: number;
}

/** A short, stable fingerprint of a kernel's text (FNV-1a, 32 bits, with the length). */
export function fingerprint(source: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < source.length; i++) {
    h ^= source.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `${source.length}:${(h >>> 0).toString(16).padStart(8, '0')}`;
}

export function encodeTrialRecord(record: TrialRecord): string {
  return JSON.stringify(record);
}

/** Reads a stored record; anything malformed reads as none (it is only a hint to be careful). */
export function parseTrialRecord(text: string | null): TrialRecord | null {
  if (!text) return null;
  try {
    return trialRecordFrom(JSON.parse(text));
  } catch {
    return null;
  }
}

/** A parsed value as a record, or null when it is not one. */
function trialRecordFrom(value: unknown): TrialRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const o = value as Partial<TrialRecord>;
  if (typeof o.stage !== 'string' || !isStageName(o.stage)) return null;
  if (typeof o.fingerprint !== 'string' || typeof o.startedAt !== 'number') return null;
  return { stage: o.stage, fingerprint: o.fingerprint, startedAt: o.startedAt };
}

/** Several records (the runs in flight with edited kernels), as stored. */
export function encodeTrialRecords(records: readonly TrialRecord[]): string {
  return JSON.stringify(records);
}

/** Reads stored records; malformed ones (or a malformed list) read as none. */
export function parseTrialRecords(text: string | null): TrialRecord[] {
  if (!text) return [];
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  return list.map(trialRecordFrom).filter((r): r is TrialRecord => r !== null);
}

/** The stage to hold on load: the record's, when the kernel it was trying is still the state's. */
export function stageLeftOnTrial(record: TrialRecord | null, kernels: Readonly<Record<string, string>> | null): StageName | null {
  if (!record || !kernels) return null;
  const source = kernels[record.stage];
  return typeof source === 'string' && fingerprint(source) === record.fingerprint ? record.stage : null;
}
