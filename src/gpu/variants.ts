/** Kernel variants by name: which shader file implements each stage a variant runs. */
import type { StageName } from '../core/stages';
import { STAGE_NAMES } from '../core/stages';
import type { Activation, AttentionOptions } from '../core/options';

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

/**
 * The softmax stage's file when an elementwise activation replaces the softmax: one kernel for naive
 * and tiled alike (an elementwise map has nothing to tile; see its header).
 */
export const ACTIVATION_SHADERS: Readonly<Record<Exclude<Activation, 'softmax'>, string>> = {
  relu: 'activation_rows.wgsl',
  gelu: 'activation_rows.wgsl',
};

/** The options that choose a stage's file besides the variant (absent: the defaults). */
export type StageFileOptions = Partial<Pick<AttentionOptions, 'activation'>>;

/**
 * The shader file of a variant's stage: its own file, the shared one of `rope` and `project`, or the
 * one the options choose (the activation's for softmax); undefined when it has no such stage.
 */
export function stageShaderFile(variant: VariantName, stage: StageName, options: StageFileOptions = {}): string | undefined {
  const files: Partial<Record<StageName, string>> = VARIANTS[variant];
  if (stage === 'rope') return ROPE_SHADER;
  if (stage === 'project') return PROJECTION_SHADER;
  const activation = options.activation ?? 'softmax';
  if (stage === 'softmax' && files.softmax && activation !== 'softmax') return ACTIVATION_SHADERS[activation];
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
