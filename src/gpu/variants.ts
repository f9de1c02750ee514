/** Kernel variants by name: which shader file implements each stage. */
import type { StageName } from './errors';

export const VARIANTS = {
  naive: { qk: 'qk_scores_naive.wgsl', softmax: 'softmax_rows_naive.wgsl', pv: 'weighted_values_naive.wgsl' },
  tiled: { qk: 'qk_scores.wgsl', softmax: 'softmax_rows.wgsl', pv: 'weighted_values.wgsl' },
} as const satisfies Record<string, Record<StageName, string>>;

export type VariantName = keyof typeof VARIANTS;

export const VARIANT_NAMES = Object.keys(VARIANTS) as VariantName[];

export function isVariant(name: string): name is VariantName {
  return Object.hasOwn(VARIANTS, name);
}

/** Shader sources by file name, e.g. { 'qk_scores.wgsl': '…' }: read from disk in Node, bundled in the page. */
export type ShaderLibrary = Readonly<Record<string, string>>;
