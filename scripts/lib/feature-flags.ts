/**
 * The flags of the attention features (src/core/features.ts), shared by `npm run attention` and
 * `npm run bench`: --rope [interleaved|half] --rope-base B --rope-dims R --rope-offset P
 * --kv-heads H --window W --alibi [standard|S1,S2,…] --softcap C --sinks S.npy|S1,S2,….
 */
import { parseMatrix } from '../../src/core/io';
import type { AlibiSetting, FeatureOptions, RopeLayout } from '../../src/core/options';
import { DEFAULT_ROPE } from '../../src/core/options';
import { decimal, integer, number, readInput, UsageError } from './cli';

/** For parseFlags' options. */
export const FEATURE_FLAGS = {
  rope: { type: 'string' },
  'rope-base': { type: 'string' },
  'rope-dims': { type: 'string' },
  'rope-offset': { type: 'string' },
  'kv-heads': { type: 'string' },
  window: { type: 'string' },
  alibi: { type: 'string' },
  softcap: { type: 'string' },
  sinks: { type: 'string' },
} as const;

export const FEATURE_USAGE = `features (combine freely; see README "Definitions"):
  --rope [interleaved|half]  rotary position embedding of Q and K (default layout half: pairs (i, i + r/2), Hugging Face;
                             interleaved: pairs (2i, 2i+1), Meta), --rope-base B (θ, default ${DEFAULT_ROPE.base}),
                             --rope-dims R (rotate the first R of dk, even; default dk), --rope-offset P (position of key 0)
  --kv-heads H               grouped-query attention: K and V have H heads (H divides --heads; 1 = multi-query)
  --window W                 sliding window: a query sees the W keys nearest its position (with --causal: the W most recent)
  --alibi [standard|S1,S2,…] ALiBi recency bias −slope·distance: the paper's slopes for the head count, or one per head
  --softcap C                logit softcap: s ← C·tanh(s/C) after scale and temperature
  --sinks S.npy|S1,S2,…      attention sinks: one logit per head in the softmax's denominator (.npy/.json/.csv or a list)`;

/** Flags that take an optional value: given bare (last, or before another flag), they get this one. */
const BARE_VALUES: Record<string, string> = { '--rope': DEFAULT_ROPE.layout, '--alibi': 'standard' };

/**
 * argv ready for strict parsing: a bare `--rope` or `--alibi` gets its default value, and a
 * negative number after a flag (`--rope-offset -7`, `--softcap -1`) is joined to it
 * (`--rope-offset=-7`), which node:util's parseArgs otherwise takes for an option of its own.
 */
export function withFeatureDefaults(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i],
      next = argv[i + 1];
    if (arg.startsWith('--') && !arg.includes('=') && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
      continue;
    }
    out.push(arg);
    if (arg in BARE_VALUES && (next === undefined || next.startsWith('--'))) out.push(BARE_VALUES[arg]);
  }
  return out;
}

type FeatureValues = Partial<Record<keyof typeof FEATURE_FLAGS, string>>;

function numbers(text: string, flag: string): number[] {
  const values = text.split(',').map((x) => x.trim());
  return values.map((x) => {
    const value = decimal(x);
    if (!Number.isFinite(value)) throw new UsageError(`--${flag} must be a comma-separated list of numbers, got "${text}"`);
    return value;
  });
}

/** A list of numbers from a comma list or a one-row/one-column matrix file. */
function listOrFile(text: string, flag: string): number[] {
  if (/^[-+.\d\s,eE]+$/.test(text)) return numbers(text, flag);
  const bytes = readInput(text, `--${flag}`);
  const m = parseMatrix(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    text,
    `--${flag} (${text})`,
  );
  if (m.rows !== 1 && m.cols !== 1)
    throw new UsageError(`--${flag} ${text} is ${m.rows}×${m.cols}: it must be one row or one column, one value per head`);
  return Array.from(m.data);
}

/**
 * The feature options the flags ask for (each null when its flag is absent). Values are checked
 * here for form; their fit with the inputs (kvHeads dividing heads, RoPE's even dk, one slope or
 * sink per head) is checked by checkInputs, whose InputError exits 2 with the same clarity.
 */
export function featureOptions(v: FeatureValues): FeatureOptions {
  const ropeFlags = (['rope-base', 'rope-dims', 'rope-offset'] as const).filter((f) => v[f] !== undefined);
  if (v.rope === undefined && ropeFlags.length > 0) throw new UsageError(`--${ropeFlags[0]} needs --rope`);
  let rope: FeatureOptions['rope'] = null;
  if (v.rope !== undefined) {
    if (v.rope !== 'interleaved' && v.rope !== 'half') throw new UsageError(`--rope must be interleaved or half, got "${v.rope}"`);
    const base = number(v['rope-base'], 'rope-base') ?? DEFAULT_ROPE.base;
    if (!(base > 1)) throw new UsageError(`--rope-base must be a number > 1, got ${base}`);
    const offset = number(v['rope-offset'], 'rope-offset') ?? 0;
    if (!Number.isInteger(offset)) throw new UsageError(`--rope-offset must be a whole number, got ${offset}`);
    rope = { layout: v.rope as RopeLayout, base, dims: integer(v['rope-dims'], 'rope-dims', { min: 2 }) ?? null, offset };
  }
  const softcap = number(v.softcap, 'softcap') ?? null;
  if (softcap !== null && !(softcap > 0)) throw new UsageError(`--softcap must be a positive number, got ${softcap}`);
  let alibi: AlibiSetting | null = null;
  if (v.alibi !== undefined) alibi = v.alibi === 'standard' ? 'standard' : numbers(v.alibi, 'alibi');
  return {
    rope,
    kvHeads: integer(v['kv-heads'], 'kv-heads', { min: 1 }) ?? null,
    window: integer(v.window, 'window', { min: 1 }) ?? null,
    alibi,
    softcap,
    sinks: v.sinks === undefined ? null : listOrFile(v.sinks, 'sinks'),
  };
}
