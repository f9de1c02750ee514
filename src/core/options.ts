/** Options shared by the CPU reference and the GPU engine, and the mapping to kernel parameters. */

/** 'default' is 1/√dk, 'none' is 1, a number is used as given. */
export type ScaleSetting = 'default' | 'none' | number;

export interface AttentionOptions {
  scale: ScaleSetting;
  /** Divides the scaled scores; must be positive. 1 leaves them unchanged. */
  temperature: number;
  /**
   * Query i may attend key j when j ≤ i + (m − n). With n = m this is the usual j ≤ i; with n ≠ m
   * the last query is aligned with the last key (as in decoding with a cache of m − n earlier keys).
   */
  causal: boolean;
  /** Number of heads h: Q is n×(h·dk), K is m×(h·dk), V is m×(h·dv); head t uses its own column block. */
  heads: number;
}

export const DEFAULT_OPTIONS: AttentionOptions = { scale: 'default', temperature: 1, causal: false, heads: 1 };

export function withDefaults(options: Partial<AttentionOptions> = {}): AttentionOptions {
  return { ...DEFAULT_OPTIONS, ...options };
}

export function resolveScale(scale: ScaleSetting, dk: number): number {
  if (scale === 'default') return 1 / Math.sqrt(dk);
  if (scale === 'none') return 1;
  return scale;
}

/** The shift s in "key j visible to query i ⇔ j ≤ i + s" for n queries (starting at row offset) and m keys. */
export function causalShift(n: number, m: number, rowOffset = 0): number {
  return rowOffset + m - n;
}

export function isVisible(i: number, j: number, shift: number, causal: boolean, mask: Uint8Array | null, m: number): boolean {
  if (causal && j > i + shift) return false;
  return mask === null || mask[i * m + j] !== 0;
}
