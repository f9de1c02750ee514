/**
 * What every terminal command shares: exit codes, flag parsing with messages that name the flag,
 * the adapter line, and `main`, which runs a command and maps what it throws to an exit code.
 * Scripts in scripts/ are entries: each calls `main` once and imports no other script; shared
 * code lives here in scripts/lib/.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';
import { InputError } from '../../src/core/errors';
import { decimal } from '../../src/core/float32';
import { PrecisionError } from '../../src/core/precision';
import { NoAdapterError, requestAttentionDevice, requestDefaultLimitsDevice } from '../../src/gpu/device';
import type { AdapterSummary } from '../../src/gpu/device';
import { KernelCompileError, KernelInterfaceError, LimitError } from '../../src/gpu/errors';
import { nodeGpu } from '../../src/node/webgpu';
import type { StageName } from '../../src/core/stages';
import { STAGES } from '../../src/gpu/interface';
import type { VariantName } from '../../src/gpu/variants';
import { variantStages } from '../../src/gpu/variants';

/** 0 done and correct · 1 a check failed (or something unexpected broke) · 2 bad input · 3 no adapter. */
export const EXIT = { ok: 0, failed: 1, badInput: 2, noAdapter: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Bad flags or arguments: `main` prints the message and then the command's usage. */
export class UsageError extends InputError {}

/**
 * node:util parseArgs (strict unless the config says otherwise), with its complaints (unknown
 * option, missing value) as UsageErrors. Flags are long only: parseArgs would quietly take `-q` for
 * `--q`, so a single-dash flag is refused. Under `npm run`, flags written before `--` go to npm,
 * which keeps them (as npm_config_*) and drops them from the command: that is refused too.
 */
export function parseFlags<T extends ParseArgsConfig>(config: T, env: NodeJS.ProcessEnv = process.env): ReturnType<typeof parseArgs<T>> {
  const args = config.args ?? [];
  const end = args.indexOf('--');
  const short = (end < 0 ? args : args.slice(0, end)).find((arg) => /^-[^-\d.]/.test(arg));
  if (short !== undefined) {
    const long = Object.keys(config.options ?? {}).find((name) => name === short.slice(1).split('=')[0]);
    throw new UsageError(
      `short flags are not supported: ${short}${long ? ` (did you mean --${long}?)` : ''}; every flag is written --name`,
    );
  }
  const eaten = npmTakenFlags(Object.keys(config.options ?? {}), env);
  if (eaten.length)
    throw new UsageError(
      `npm took ${eaten.map((f) => `--${f}`).join(', ')} for itself (flags before \`--\` go to npm): write npm run ${env.npm_lifecycle_event} -- ${eaten.map((f) => `--${f} …`).join(' ')}`,
    );
  const joined: T = { ...config, args: joinNegativeValues(args, config.options ?? {}) };
  try {
    const { tokens } = parseArgs({ ...joined, tokens: true });
    const twice = givenTwice(tokens ?? [], config.options ?? {});
    if (twice) throw new UsageError(twice);
    return parseArgs(joined);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const hint =
      /Unexpected argument/.test((error as Error).message) && env.npm_lifecycle_event ? ' (under npm run, put -- before the flags)' : '';
    throw new UsageError(`${(error as Error).message}${hint}`);
  }
}

/**
 * `--temperature -1`: parseArgs refuses a value that starts with a dash as ambiguous and asks for
 * `--temperature=-1`. A negative number after a flag that takes a value is that flag's value, so it
 * is joined on; the flag's own check then says what is wrong with it, if anything.
 */
function joinNegativeValues(args: readonly string[], options: NonNullable<ParseArgsConfig['options']>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return [...out, ...args.slice(i)];
    const name = /^--([^=]+)$/.exec(arg)?.[1];
    const next = args[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/** A message when a flag that takes one value is given more than once with different values (one would be dropped silently). */
function givenTwice(
  tokens: readonly { kind: string; name?: string; value?: string }[],
  options: NonNullable<ParseArgsConfig['options']>,
): string | null {
  const seen = new Map<string, string[]>();
  for (const token of tokens) {
    const name = token.name ?? '';
    if (token.kind !== 'option' || options[name]?.type !== 'string' || options[name]?.multiple) continue;
    seen.set(name, [...(seen.get(name) ?? []), token.value ?? '']);
  }
  for (const [name, values] of seen) {
    if (new Set(values).size > 1)
      return `--${name} is given ${values.length} times (${values.map((v) => `"${v}"`).join(', ')}): give it once`;
  }
  return null;
}

/** The command's flags that npm kept for itself: set as npm_config_<flag> while npm runs this very script. */
export function npmTakenFlags(flags: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const script = env.npm_lifecycle_event;
  const ours = env.npm_lifecycle_script ?? '';
  if (!script || !/scripts\/[\w-]+\.ts/.test(ours)) return [];
  return flags.filter((flag) => env[`npm_config_${flag.replaceAll('-', '_')}`] !== undefined);
}

/** The number a flag's text holds, read as the page reads a typed number (src/core/float32.ts). */
export { decimal };

/** The value of a flag that has no default. */
export function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`--${flag} is required`);
  return value;
}

export function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const x = decimal(value);
  if (!Number.isFinite(x)) throw new UsageError(`--${flag} must be a decimal number, got "${value}"`);
  return x;
}

/** What an integer flag accepts, in words (min 0: non-negative, min 1: positive). */
function integerKind(min: number, plural = false): string {
  const s = plural ? 's' : '';
  return min === 0 ? `non-negative integer${s}` : min === 1 ? `positive integer${s}` : `integer${s} ≥ ${min}`;
}

export function integer(value: string | undefined, flag: string, { min = 0, max = Infinity } = {}): number | undefined {
  if (value === undefined) return undefined;
  const x = decimal(value);
  const kind = max === Infinity ? `a ${integerKind(min)}` : `an integer from ${min} to ${max}`;
  if (!Number.isSafeInteger(x) || x < min || x > max) throw new UsageError(`--${flag} must be ${kind}, got "${value}"`);
  return x;
}

/** A comma-separated list of integers ("64,128,256"). */
export function integerList(value: string | undefined, flag: string, { min = 0 } = {}): number[] | undefined {
  if (value === undefined) return undefined;
  const xs = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(decimal);
  if (xs.length === 0 || xs.some((x) => !Number.isSafeInteger(x) || x < min)) {
    throw new UsageError(`--${flag} takes ${integerKind(min, true)} separated by commas, got "${value}"`);
  }
  return xs;
}

/** A comma-separated list of names ("naive,tiled"). */
export function list(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A file's contents, or an InputError naming what it was for (`what: cannot read PATH (ENOENT)`). */
export function readInput(path: string, what: string): Buffer;
export function readInput(path: string, what: string, encoding: 'utf8'): string;
export function readInput(path: string, what: string, encoding?: 'utf8'): Buffer | string {
  try {
    return encoding ? readFileSync(path, encoding) : readFileSync(path);
  } catch (error) {
    throw new InputError(`${what}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/**
 * A file the command writes when its work is done, checked before the work: refused when it is a
 * folder, or its folder cannot be written (see writableFolder). Nothing is created.
 */
export function writableFile(path: string, flag: string): string {
  if (existsSync(path) && statSync(path).isDirectory()) throw new InputError(`${flag}: ${path} is a folder; give a file name`);
  writableFolder(dirname(path), flag);
  return path;
}

/**
 * A folder the command writes into when its work is done, checked before the work without leaving
 * anything behind: an existing one must take a file, a missing one must be one the write can make
 * (its nearest existing ancestor a folder that takes a new folder). The writer makes it (makeFolder).
 */
export function writableFolder(dir: string, flag: string): string {
  try {
    const existing = nearestExisting(dir);
    if (!statSync(existing).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    // Trying is the only test that holds for every user (root passes permission checks) and file system;
    // the probe is removed at once.
    const probe = join(existing, `.write-check-${process.pid}`);
    if (existing === dir) {
      writeFileSync(probe, '');
      rmSync(probe);
    } else {
      mkdirSync(probe);
      rmdirSync(probe);
    }
  } catch (error) {
    throw new InputError(`${flag}: cannot write to ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return dir;
}

/** `path` itself when it exists, else the nearest folder above it that does. */
function nearestExisting(path: string): string {
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  return at;
}

/**
 * Makes `dir` and the folders above it that are missing, one level at a time. Node's own
 * `mkdirSync(dir, { recursive: true })` never returns where a folder's parent exists but answers
 * ENOENT for it (any path under /proc: nodejs/node's recursive mkdir retries the parent forever);
 * here the ENOENT is thrown.
 */
export function makeFolder(dir: string): void {
  if (existsSync(dir)) return;
  const parent = dirname(dir);
  if (parent !== dir) makeFolder(parent);
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** "Google swiftshader (CPU emulation)": who ran the kernels, as the commands print it. */
export function adapterLine(summary: Pick<AdapterSummary, 'vendor' | 'architecture' | 'isSoftware'>): string {
  return `${summary.vendor} ${summary.architecture}`.trim() + (summary.isSoftware ? ' (CPU emulation)' : '');
}

/** A device on Node's WebGPU (Dawn) with the limits attention needs; throws NoAdapterError without one. */
export async function openDevice() {
  const { device, summary } = await requestAttentionDevice(await nodeGpu());
  return { device, summary, adapter: adapterLine(summary) };
}

/** A device with WebGPU's default limits, for the verifier's "fits any device" check (null without an adapter). */
export async function openDefaultLimitsDevice(): Promise<GPUDevice | null> {
  return requestDefaultLimitsDevice(await nodeGpu());
}

/** The exit code for an error that escaped a command, and what to print for it. */
export function classifyError(error: unknown, usage?: string): { code: ExitCode; message: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) return { code: EXIT.badInput, message: usage ? `error: ${message}\n${usage}` : `error: ${message}` };
  if (
    error instanceof InputError ||
    error instanceof KernelCompileError ||
    error instanceof KernelInterfaceError ||
    error instanceof LimitError ||
    error instanceof PrecisionError
  ) {
    return { code: EXIT.badInput, message: `error: ${message}` };
  }
  if (error instanceof NoAdapterError) return { code: EXIT.noAdapter, message: `error: ${message}` };
  // Not a failure the command knows: a bug or a broken device. The stack says where.
  return { code: EXIT.failed, message: `error: ${error instanceof Error ? (error.stack ?? message) : message}` };
}

/**
 * Runs a command on the process's arguments and exits with the code it returns, or with the code
 * `classifyError` gives what it throws (the message on stderr, `usage` after a UsageError).
 * `--help` is the command's business: return EXIT.ok after printing the usage.
 */
export async function main(command: (argv: string[]) => Promise<number>, { usage }: { usage?: string } = {}): Promise<void> {
  let code: number;
  try {
    code = await command(process.argv.slice(2));
  } catch (error) {
    const outcome = classifyError(error, usage);
    console.error(outcome.message);
    code = outcome.code;
  }
  process.exitCode = code;
  // Dawn (and a preview server) keep the event loop alive after the work is done; leave once output is flushed.
  setTimeout(() => process.exit(code), 50).unref();
}

/** --kernel STAGE=FILE.wgsl runs that stage with the file's WGSL instead of the built-in kernel. */
export function parseKernelFlags(flags: string[]): Partial<Record<StageName, string>> {
  const kernels: Partial<Record<StageName, string>> = {};
  for (const flag of flags) {
    // The first "=" ends the stage: a file's name may hold one too.
    const at = flag.indexOf('=');
    const [stage, path] = at < 0 ? [flag, ''] : [flag.slice(0, at), flag.slice(at + 1)];
    if (!path || !Object.hasOwn(STAGES, stage)) {
      throw new UsageError(`--kernel must be STAGE=FILE.wgsl with STAGE one of ${Object.keys(STAGES).join(', ')}, got "${flag}"`);
    }
    if (kernels[stage as StageName] !== undefined) throw new UsageError(`--kernel ${stage} is given 2 times: give one file a stage`);
    kernels[stage as StageName] = readInput(path, `--kernel ${stage}`, 'utf8');
  }
  return kernels;
}

/**
 * Refuses a --kernel for a stage the run never reaches (its kernel would be ignored and the run
 * pass without it): the variant's stages, plus `also` (RoPE when it is on, W_o when it is given).
 */
export function checkKernelStages(kernels: Partial<Record<StageName, string>>, variant: VariantName, also: readonly StageName[]): void {
  const runs = [...variantStages(variant), ...also];
  const unused = (Object.keys(kernels) as StageName[]).filter((stage) => !runs.includes(stage));
  if (unused.length)
    throw new UsageError(
      `--kernel ${unused.join(', ')}: the ${variant} variant does not run ${unused.length === 1 ? 'that stage' : 'those stages'} here (it runs ${runs.join(', ')}), so the kernel would be ignored`,
    );
}
