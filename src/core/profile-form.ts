/**
 * The Profiler tab's form (src/ui/attn-profile-controls.ts) as data: what the user ticked and typed,
 * kept as typed so nothing is lost (the page saves it and carries it in links, in the state's view),
 * and the sweep it describes. Reading the form into a sweep names the first bad field; filling it
 * from a sweep (a config given to the profiler, or a loaded card's) keeps every value it can show.
 */
import { sweepFeatures } from './feature-options';
import { decimal } from './float32';
import type { AttentionOptions } from './options';
import type { ProfileConfig } from './profile-report';
import { fitFromProblem } from './profile-report';
import type { WholeNumberBox } from './typed-number';
import { readWholeNumber } from './typed-number';

/** The N values with a checkbox; others are typed into the custom list. */
export const N_PRESETS: readonly number[] = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];

export interface ProfileForm {
  /** N values ticked among N_PRESETS. */
  ns: number[];
  /** More N values, as typed ("96, 384"). */
  customNs: string;
  /** Decode key counts, as typed ("4096, 16384, 32768"). */
  decode: string;
  dk: number;
  /** As typed; empty: dv = dk. */
  dv: string;
  heads: number;
  /** As typed; empty: one K/V head per query head. */
  kvHeads: string;
  causal: boolean;
  /** Take the Features panel's RoPE, window, ALiBi, softcap and sinks. */
  withFeatures: boolean;
  /** Variants ticked (names with a checkbox). */
  variants: string[];
  /** More variants by name, as typed ("fused-16splits, fused-64splits"). */
  moreVariants: string;
  /** Variants every row is compared with by paired ratio, as typed. */
  baselines: string;
  warmup: number;
  repeats: number;
  /** Seed of the random Q, K and V (each N adds itself to it), as `--seed`. */
  seed: number;
  /** As typed: the straight-line exponents use N ≥ this (`--fit-from`); empty: the upper half of the sweep. */
  fitFrom: string;
}

export const DEFAULT_PROFILE_FORM: ProfileForm = {
  ns: [64, 128, 256, 512],
  customNs: '',
  decode: '',
  dk: 64,
  dv: '',
  heads: 1,
  kvHeads: '',
  causal: false,
  withFeatures: false,
  // The built-in variants and the TensorFlow.js peer; the setting variants (fused-f16…) are there to compare.
  variants: ['naive', 'tiled', 'fused', 'tfjs'],
  moreVariants: '',
  baselines: '',
  warmup: 2,
  repeats: 5,
  seed: 1,
  fitFrom: '',
};

/** The form's number fields. */
export type ProfileFormNumber = 'dk' | 'heads' | 'warmup' | 'repeats' | 'seed';

/** Each number field's label and the values it takes (a saved form is read with the same bounds). */
export const FORM_NUMBERS: Readonly<Record<ProfileFormNumber, WholeNumberBox>> = {
  dk: { label: 'dk', min: 1, max: 65536 },
  heads: { label: 'heads', min: 1, max: 1024 },
  warmup: { label: 'warm-ups', min: 0, max: 1000 },
  repeats: { label: 'repeats', min: 1, max: 1000 },
  seed: { label: 'seed', min: 0, max: Number.MAX_SAFE_INTEGER },
};

/** A number field's text read as its value; a RangeError names the field, its bounds and the text. */
export function formNumber(field: ProfileFormNumber, text: string): number {
  return readWholeNumber(FORM_NUMBERS[field], text);
}

/** Names in a list typed as "a, b c": split on commas, semicolons and spaces. */
export function listedNames(text: string): string[] {
  return text.split(/[\s,;]+/).filter(Boolean);
}

/** A number typed into the form, read as the terminal reads `--n` (plain decimals: not 0x40, Infinity or 1_000). */
function isPositiveInteger(word: string): boolean {
  const x = decimal(word);
  return Number.isSafeInteger(x) && x >= 1;
}

/** Positive integers typed as a list; a RangeError names the field and the values that are not. */
function positiveIntegers(text: string, what: string): number[] {
  const words = listedNames(text);
  const bad = words.filter((w) => !isPositiveInteger(w));
  if (bad.length) throw new RangeError(`${what} must be positive integers: ${bad.join(', ')}`);
  return words.map(decimal);
}

/** One positive integer typed into a field, or null when it is empty; a RangeError names the field and the text. */
function optionalInteger(text: string, what: string): number | null {
  const words = listedNames(text);
  if (words.length > 1) throw new RangeError(`${what} takes one number, got "${text.trim()}"`);
  if (words.length === 0) return null;
  if (!isPositiveInteger(words[0])) throw new RangeError(`${what} must be a positive integer, got "${words[0]}"`);
  return decimal(words[0]);
}

/** The field "exponents from N ≥", as messages name it. */
const FIT_FROM_LABEL = '"exponents from N ≥"';

/** The N the straight-line exponents are fitted from, as typed in the form; null: the upper half of the sweep. */
export function formFitFrom(form: ProfileForm): number | null {
  return optionalInteger(form.fitFrom, FIT_FROM_LABEL);
}

/**
 * The sweep a form describes, on top of `extra` (what the form has no field for: a config's
 * features other than K/V heads). `checkboxes` orders the ticked variants; `options` are the
 * playground's, whose features are taken when the form asks. Throws a RangeError naming a bad field;
 * the variant names and the fit of the features are checked by the profiler (resolveConfig).
 */
export function formToConfig(
  form: ProfileForm,
  checkboxes: readonly string[],
  options: AttentionOptions | null,
  extra: Partial<ProfileConfig> = {},
): ProfileConfig {
  const custom = positiveIntegers(form.customNs, 'custom N values');
  const decode = positiveIntegers(form.decode, 'decode key counts');
  const ns = [...new Set([...form.ns, ...custom])].sort((a, b) => a - b);
  if (ns.length === 0) throw new RangeError('choose at least one N');
  const kvHeads = optionalInteger(form.kvHeads, 'K/V heads');
  const fitFromN = formFitFrom(form);
  const unfitted = fitFromProblem(ns, fitFromN);
  if (unfitted) throw new RangeError(unfitted);
  const taken = form.withFeatures && options ? sweepFeatures(options, form.heads) : {};
  const ticked = [...checkboxes.filter((v) => form.variants.includes(v)), ...form.variants.filter((v) => !checkboxes.includes(v))];
  return {
    ...extra,
    ns,
    dk: form.dk,
    dv: optionalInteger(form.dv, 'dv') ?? form.dk,
    heads: form.heads,
    causal: form.causal,
    variants: [...new Set([...ticked, ...listedNames(form.moreVariants)])],
    warmup: form.warmup,
    repeats: form.repeats,
    seed: form.seed,
    ...(fitFromN === null ? {} : { fitFromN }),
    decode,
    features: { ...extra.features, ...taken, kvHeads },
    baselines: listedNames(form.baselines),
  };
}

/**
 * The form with the parts of `c` given: N values on their checkboxes or in the custom list,
 * variants on their checkboxes or in "more", dv and K/V heads as numbers (empty for K/V heads
 * null). Features other than K/V heads have no field: the caller keeps them (extra).
 */
export function formFromConfig(form: ProfileForm, c: Partial<ProfileConfig>, checkboxes: readonly string[]): ProfileForm {
  const next = { ...form };
  if (c.ns) {
    next.ns = c.ns.filter((n) => N_PRESETS.includes(n));
    next.customNs = c.ns.filter((n) => !N_PRESETS.includes(n)).join(', ');
  }
  if (c.decode) next.decode = c.decode.join(', ');
  if (c.dk !== undefined) next.dk = c.dk;
  if (c.dv !== undefined) next.dv = String(c.dv);
  if (c.heads !== undefined) next.heads = c.heads;
  if (c.features?.kvHeads !== undefined) next.kvHeads = c.features.kvHeads === null ? '' : String(c.features.kvHeads);
  if (c.causal !== undefined) next.causal = c.causal;
  if (c.variants) {
    next.variants = c.variants.filter((v) => checkboxes.includes(v));
    next.moreVariants = c.variants.filter((v) => !checkboxes.includes(v)).join(', ');
  }
  if (c.baselines) next.baselines = c.baselines.join(', ');
  if (c.warmup !== undefined) next.warmup = c.warmup;
  if (c.repeats !== undefined) next.repeats = c.repeats;
  if (c.seed !== undefined) next.seed = c.seed;
  if ('fitFromN' in c) next.fitFrom = c.fitFromN ? String(c.fitFromN) : '';
  return next;
}
