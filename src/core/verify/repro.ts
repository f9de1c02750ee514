/**
 * A failing case as something to run again: its inputs as files and the `npm run attention`
 * command that runs them with the kernel. Only what the attention command can express goes in the
 * command; anything else the case sets is named, so nobody is handed a command that silently
 * differs from the case.
 */
import type { AttentionOptions } from '../options';
import { DEFAULT_ROPE } from '../options';
import type { Matrix } from '../tensor';
import type { VerifyCase } from './cases';
import { caseInputs } from './cases';
import { optionFields } from './shrink';

/** Case fields that only shape the inputs, which the files carry as they are. */
const INPUT_ONLY_FIELDS: ReadonlySet<string> = new Set(['mask', 'magnitude', 'distribution', 'depth', 'weightScale']);
/** Case fields that are run options with a flag of their own: keySplits → --key-splits. */
const RUN_FLAG_FIELDS: ReadonlySet<string> = new Set(['keySplits']);
/** Run options `npm run attention` has a flag for (the features' flags: scripts/lib/feature-flags.ts). */
const FLAGGED_OPTIONS: ReadonlySet<string> = new Set([
  'causal',
  'heads',
  'scale',
  'temperature',
  'kvHeads',
  'rope',
  'window',
  'alibi',
  'softcap',
  'sinks',
  'score',
  'activation',
]);

type InputRole = 'q' | 'k' | 'v' | 'mask' | 'wo' | 'w' | 'wq' | 'wk' | 'va';
/** The roles in the order the command names them; w: the general score's W; wq, wk, va: the additive score's W_q, W_k, v. */
const ROLES: readonly InputRole[] = ['q', 'k', 'v', 'mask', 'wo', 'w', 'wq', 'wk', 'va'];

export interface Repro {
  /** The folder the inputs were written to. */
  dir: string;
  /** Input files by role, as paths the command uses. */
  files: Partial<Record<InputRole, string>>;
  /** `npm run attention -- …` with the kernel. */
  command: string;
  /** What the case sets that the command cannot express; empty when the command is the case. */
  unsupported: string[];
  /** Whether the command's run was seen to fail as the case did (null: not tried). */
  reproduces: boolean | null;
}

export interface ReproTarget {
  dir: string;
  /** The kernel's stage and file; no file means the variant's built-in kernel. */
  stage: string;
  kernelFile?: string;
  variant: string;
  /** Joins the folder and a file name (node:path's join in the terminal). */
  join?: (dir: string, file: string) => string;
}

/**
 * The case's input matrices by file name (q.npy, k.npy, v.npy, mask.npy and wo.npy when it has them;
 * w.npy, or wq.npy, wk.npy and va.npy, for a learned score).
 */
export function reproInputs(c: VerifyCase): { name: InputRole; matrix: Matrix }[] {
  const { inputs } = caseInputs(c);
  const files: { name: InputRole; matrix: Matrix }[] = [
    { name: 'q', matrix: inputs.q },
    { name: 'k', matrix: inputs.k },
    { name: 'v', matrix: inputs.v },
  ];
  if (inputs.mask) files.push({ name: 'mask', matrix: inputs.mask });
  if (inputs.wo) files.push({ name: 'wo', matrix: inputs.wo });
  const scoring = inputs.scoring;
  if (scoring?.kind === 'general') files.push({ name: 'w', matrix: scoring.w });
  if (scoring?.kind === 'additive')
    files.push({ name: 'wq', matrix: scoring.wq }, { name: 'wk', matrix: scoring.wk }, { name: 'va', matrix: scoring.v });
  return files;
}

/** The run options the command passes: those of the case that have a flag. */
export function reproOptions(c: VerifyCase): Partial<AttentionOptions> {
  const { options } = caseInputs(c);
  return Object.fromEntries(Object.entries(options).filter(([key]) => FLAGGED_OPTIONS.has(key))) as Partial<AttentionOptions>;
}

/** What the case sets that `npm run attention` cannot express. */
function unsupportedFields(c: VerifyCase): string[] {
  const { options } = caseInputs(c);
  const problems = Object.keys(options)
    .filter((key) => !FLAGGED_OPTIONS.has(key) && (options as Record<string, unknown>)[key] !== undefined)
    .map((key) => `run option ${key}=${JSON.stringify((options as Record<string, unknown>)[key])}`);
  for (const key of optionFields(c)) {
    if (FLAGGED_OPTIONS.has(key) || INPUT_ONLY_FIELDS.has(key) || RUN_FLAG_FIELDS.has(key)) continue;
    problems.push(`${key}=${JSON.stringify((c as unknown as Record<string, unknown>)[key])}`);
  }
  return problems;
}

/** `--name value`, or `--name=value` when the value starts with a minus (which would read as a flag). */
const flag = (name: string, value: string | number): string[] => {
  const text = String(value);
  return text.startsWith('-') ? [`--${name}=${text}`] : [`--${name}`, text];
};

/** The feature flags of `npm run attention` for the features the options turn on. */
function featureFlags(options: Partial<AttentionOptions>): string[] {
  const words: string[] = [];
  const { rope, kvHeads, window, alibi, softcap, sinks } = options;
  if (kvHeads !== undefined && kvHeads !== null) words.push(...flag('kv-heads', kvHeads));
  if (rope) {
    words.push('--rope', rope.layout);
    if (rope.base !== DEFAULT_ROPE.base) words.push(...flag('rope-base', rope.base));
    if (rope.dims !== null) words.push(...flag('rope-dims', rope.dims));
    if (rope.offset !== 0) words.push(...flag('rope-offset', rope.offset));
  }
  if (window !== undefined && window !== null) words.push(...flag('window', window));
  if (alibi !== undefined && alibi !== null) words.push(...flag('alibi', alibi === 'standard' ? 'standard' : alibi.join(',')));
  if (softcap !== undefined && softcap !== null) words.push(...flag('softcap', softcap));
  if (sinks !== undefined && sinks !== null) words.push(...flag('sinks', sinks.join(',')));
  return words;
}

/** Quotes a shell word when it needs it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The command and files for a case (the caller writes reproInputs into `dir`). */
export function reproCommand(c: VerifyCase, target: ReproTarget): Omit<Repro, 'reproduces'> {
  const join = target.join ?? ((dir: string, file: string) => `${dir.replace(/\/+$/, '')}/${file}`);
  const files: Repro['files'] = {};
  for (const { name } of reproInputs(c)) files[name] = join(target.dir, `${name}.npy`);
  const options = reproOptions(c);
  const words = ['npm', 'run', 'attention', '--'];
  if (options.score !== undefined && options.score !== 'dot') words.push('--score', options.score);
  for (const role of ROLES) if (files[role]) words.push(`--${role}`, files[role]);
  if (options.causal) words.push('--causal');
  // --score general/additive implies scale none: a learned case says its scale, the default included.
  const learned = options.score !== undefined && options.score !== 'dot';
  if (options.scale !== undefined && (options.scale !== 'default' || learned)) words.push('--scale', String(options.scale));
  if (options.temperature !== undefined && options.temperature !== 1) words.push('--temperature', String(options.temperature));
  if (options.heads !== undefined && options.heads !== 1) words.push('--heads', String(options.heads));
  words.push(...featureFlags(options));
  if (options.activation !== undefined && options.activation !== 'softmax') words.push('--activation', options.activation);
  words.push('--variant', target.variant);
  if (target.kernelFile) words.push('--kernel', `${target.stage}=${target.kernelFile}`);
  if (c.keySplits !== undefined) words.push('--key-splits', String(c.keySplits));
  // The verifier fills every buffer with NaN first, so elements a kernel never writes show.
  words.push('--poison');
  return { dir: target.dir, files, command: words.map(shellWord).join(' '), unsupported: unsupportedFields(c) };
}
