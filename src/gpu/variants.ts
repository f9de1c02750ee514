/** Kernel variants by name: which shader file implements each stage a variant runs. */
import type { StageName } from '../core/stages';
import { STAGE_NAMES } from '../core/stages';
import type { AttentionOptions } from '../core/options';

/**
 * naive and tiled run three passes (qk → softmax → pv) and write the h×n×m scores and
 * probabilities to memory; fused runs one pass with an online softmax and writes only the output
 * (split-KV: partial softmaxes per key split, which combine merges; the engine runs combine only
 * when a run uses more than one split).
 */
export const VARIANTS = {
  naive: { qk: 'qk_scores_naive.wgsl', softmax: 'softmax_rows_naive.wgsl', pv: 'weighted_values_naive.wgsl' },
  tiled: { qk: 'qk_scores.wgsl', softmax: 'softmax_rows.wgsl', pv: 'weighted_values.wgsl' },
  fused: { fused: 'flash_attention.wgsl', combine: 'flash_combine.wgsl' },
} as const satisfies Record<string, Partial<Record<StageName, string>>>;

export type VariantName = keyof typeof VARIANTS;

export const VARIANT_NAMES = Object.keys(VARIANTS) as VariantName[];

/** The output projection runs after any variant when W_o is given. */
export const PROJECTION_SHADER = 'output_projection.wgsl';

/** RoPE runs before any variant when the options turn it on. */
export const ROPE_SHADER = 'rope.wgsl';

/** The options, beyond the variant, that pick a stage's file; an absent one means the default (dot scores, softmax). */
export type KernelChoice = Partial<Pick<AttentionOptions, 'score' | 'activation'>>;

/**
 * Which option picks a stage's file, and the value that keeps the variant's own file: qk (and
 * fused, which has no other) by the score function, softmax by the activation. One line per stage
 * an option reaches.
 */
const CHOOSERS: Partial<Record<StageName, { pick: (choice: KernelChoice) => string | undefined; ownFile: string }>> = {
  qk: { pick: (c) => c.score, ownFile: 'dot' },
  fused: { pick: (c) => c.score, ownFile: 'dot' },
  softmax: { pick: (c) => c.activation, ownFile: 'softmax' },
};

/**
 * The softmax stage's file when an elementwise activation replaces the softmax: one kernel for naive
 * and tiled alike (an elementwise map has nothing to tile; see its header).
 */
export const ACTIVATION_SHADERS = { relu: 'activation_rows.wgsl', gelu: 'activation_rows.wgsl' } as const;

/**
 * The files that replace a variant's own for an option's other values: qk for the learned score
 * functions, softmax for the elementwise activations. The fused variant has none: it computes dot
 * scores with a softmax only, and the engine refuses the others on it.
 */
const CHOSEN_FILES: Partial<Record<VariantName, Partial<Record<StageName, Readonly<Record<string, string>>>>>> = {
  naive: { qk: { general: 'qk_general_naive.wgsl', additive: 'qk_additive_naive.wgsl' }, softmax: ACTIVATION_SHADERS },
  tiled: { qk: { general: 'qk_general.wgsl', additive: 'qk_additive.wgsl' }, softmax: ACTIVATION_SHADERS },
};

/**
 * The shader file of a variant's stage for the chosen options: the file the choice picks, else the
 * variant's own file, or the shared one of `rope` and `project`; undefined when it has no such
 * stage (or no file for the choice, as fused for general and additive scores).
 */
export function stageShaderFile(variant: VariantName, stage: StageName, choice: KernelChoice = {}): string | undefined {
  const files: Partial<Record<StageName, string>> = VARIANTS[variant];
  if (stage === 'rope') return ROPE_SHADER;
  if (stage === 'project') return PROJECTION_SHADER;
  const chooser = CHOOSERS[stage];
  const value = chooser?.pick(choice);
  if (chooser && value !== undefined && value !== chooser.ownFile) return CHOSEN_FILES[variant]?.[stage]?.[value];
  return files[stage];
}

export function isVariant(name: string): name is VariantName {
  return Object.hasOwn(VARIANTS, name);
}

/** The stages a variant runs, in order (without the optional projection). */
export function variantStages(variant: VariantName): StageName[] {
  return STAGE_NAMES.filter((stage) => Object.hasOwn(VARIANTS[variant], stage));
}

/** True when the variant writes scores and probabilities to memory (and can return them). */
export function hasIntermediates(variant: VariantName): boolean {
  return variantStages(variant).includes('softmax');
}

/**
 * Shader sources by path relative to shaders/, e.g. { 'qk_scores.wgsl': '…', 'roofline/copy_bandwidth.wgsl': '…' }:
 * every file under shaders/, read from disk in Node (src/node/shaders.ts), bundled in the page (src/ui/shader-library.ts).
 */
export type ShaderLibrary = Readonly<Record<string, string>>;
