/**
 * Options shared by the CPU reference and the GPU engine, and the rules they imply: which key a
 * query may see (causal, sliding window, explicit mask) and where each row and key sits.
 * The features modern models add (RoPE, grouped-query heads, sliding window, ALiBi, logit softcap,
 * attention sinks) are defined in ./features.ts; their options live here with the rest.
 */

/** 'default' is 1/√dk, 'none' is 1, a number is used as given. */
export type ScaleSetting = 'default' | 'none' | number;

/**
 * Which dimensions RoPE pairs: 'interleaved' rotates (2i, 2i+1) as Meta's Llama code does, 'half'
 * rotates (i, i + r/2) as Hugging Face's `rotate_half` does.
 */
export type RopeLayout = 'interleaved' | 'half';

export interface RopeOptions {
  layout: RopeLayout;
  /** θ in θ_i = base^(−2i/r); 10000 in most models. */
  base: number;
  /**
   * Dimensions rotated per head, r (even, ≤ dk): the first r of each head's dk; the rest pass
   * through unchanged (a rotary fraction r/dk, as in GPT-NeoX and Phi). null: all dk.
   */
  dims: number | null;
  /**
   * Position of key 0 (an integer). Key j sits at offset + j, query i at offset + i + (m − n): the
   * alignment causal attention uses, so the last query sits with the last key. Shifting every
   * position by the same offset leaves the scores unchanged (only i − j matters).
   */
  offset: number;
}

/**
 * How a query and a key make a score, before scale, temperature and the features: the lineage of
 * attention (docs/lineage.md).
 *   dot       q · k (Luong's "dot"; with scale 1/√dk, Vaswani's scaled dot product)
 *   general   qᵀ W k, W (dq×dk) learned (Luong's "general", 2015)
 *   additive  vᵀ tanh(W_q q + W_k k), W_q (a×dq), W_k (a×dk), v (a) learned (Bahdanau, Cho and Bengio, 2014)
 * The weights of general and additive are inputs (AttentionInputs.scoring), shared by every head.
 */
export type ScoreFunction = 'dot' | 'general' | 'additive';
export const SCORE_FUNCTIONS: readonly ScoreFunction[] = ['dot', 'general', 'additive'];

/**
 * What turns a row of scores into weights: the softmax (normalised, sums to 1), or an elementwise
 * φ with no normalisation — the MLP read as attention over fixed weights (Karpathy's note): ReLU, or
 * GELU in its tanh form (as GPT-2): 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Hidden (−∞) scores
 * weigh 0 under every choice.
 */
export type Activation = 'softmax' | 'relu' | 'gelu';
export const ACTIVATIONS: readonly Activation[] = ['softmax', 'relu', 'gelu'];

/** ALiBi slopes: 'standard' is the ALiBi paper's geometric sequence for the head count; or one slope per head. */
export type AlibiSetting = 'standard' | readonly number[];

export interface AttentionOptions {
  /** The score function (default 'dot'); scale and temperature apply after it, whichever it is. */
  score: ScoreFunction;
  /** The softmax (default), or an elementwise activation with no normalisation. */
  activation: Activation;
  scale: ScaleSetting;
  /** Divides the scaled scores; must be positive. 1 leaves them unchanged. */
  temperature: number;
  /**
   * Query i may attend key j when j ≤ i + (m − n). With n = m this is the usual j ≤ i; with n ≠ m
   * the last query is aligned with the last key (as in decoding with a cache of m − n earlier keys).
   */
  causal: boolean;
  /** Number of query heads h: Q is n×(h·dk); query head t uses its own column block. */
  heads: number;
  /**
   * Key/value heads (grouped-query attention): K is m×(kvHeads·dk), V is m×(kvHeads·dv), and query
   * head t uses K/V head ⌊t / (heads / kvHeads)⌋. Must divide heads; 1 is multi-query attention;
   * null means kvHeads = heads (plain multi-head attention).
   */
  kvHeads: number | null;
  /** Rotary position embedding of Q and K before the scores; null: none. */
  rope: RopeOptions | null;
  /**
   * Sliding window w ≥ 1: with causal, key j is visible to query i when i + s − w < j ≤ i + s
   * (s = m − n, the causal shift): the w most recent keys. Without causal, |i + s − j| < w. null: none.
   */
  window: number | null;
  /** ALiBi: adds −slope_t · (i + s − j) to head t's score. null: none. */
  alibi: AlibiSetting | null;
  /** Logit softcap c > 0: s ← c · tanh(s / c) after scale and temperature, before the bias and masks. null: none. */
  softcap: number | null;
  /**
   * Attention sinks: one logit per query head that joins the softmax's denominator but has no
   * value (gpt-oss). Row weights then sum to less than 1; a row that sees no key gives zeros. null: none.
   */
  sinks: readonly number[] | null;
}

/** The options of the features alone (./features.ts): what a profile or a CLI adds to plain attention. */
export type FeatureOptions = Pick<AttentionOptions, 'kvHeads' | 'rope' | 'window' | 'alibi' | 'softcap' | 'sinks'>;

/** The largest sliding window a state holds (2^24 keys, far past any sequence the page runs): the parser's bound and the edit check's. */
export const MAX_WINDOW = 1 << 24;

export const DEFAULT_ROPE: RopeOptions = { layout: 'half', base: 10000, dims: null, offset: 0 };

export const DEFAULT_OPTIONS: AttentionOptions = {
  score: 'dot',
  activation: 'softmax',
  scale: 'default',
  temperature: 1,
  causal: false,
  heads: 1,
  kvHeads: null,
  rope: null,
  window: null,
  alibi: null,
  softcap: null,
  sinks: null,
};

export function withDefaults(options: Partial<AttentionOptions> = {}): AttentionOptions {
  const merged = { ...DEFAULT_OPTIONS, ...options };
  // Options written before the score function and the activation existed mean dot and softmax.
  merged.score ??= 'dot';
  merged.activation ??= 'softmax';
  // A saved state or an old caller may carry undefined where null means "off".
  for (const key of ['kvHeads', 'rope', 'window', 'alibi', 'softcap', 'sinks'] as const) {
    if (merged[key] === undefined) (merged as Record<string, unknown>)[key] = null;
  }
  return merged;
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

/** What decides whether query i sees key j, besides the indices: the same for every head. */
export interface VisibilityRule {
  causal: boolean;
  /** Sliding window w, or null. */
  window: number | null;
  /** One byte per (row, key), 1 = may attend; null without an explicit mask. */
  mask: Uint8Array | null;
  /** Keys per mask row. */
  m: number;
  /** The causal shift of row 0 (see causalShift). */
  shift: number;
}

/**
 * Whether query row i (of the rows the rule's shift refers to) may attend key j: causal, window and
 * mask combine by AND. The distance i + shift − j is how far the key lies behind the query's
 * aligned position (negative: ahead of it).
 */
export function isVisible(i: number, j: number, rule: VisibilityRule): boolean {
  const distance = i + rule.shift - j;
  if (rule.causal && distance < 0) return false;
  if (rule.window !== null && (rule.causal ? distance >= rule.window : Math.abs(distance) >= rule.window)) return false;
  return rule.mask === null || rule.mask[i * rule.m + j] !== 0;
}

/** Why query i may not attend key j by the rule's causal option or window (the explicit mask aside), or null. */
export function positionalHide(
  i: number,
  j: number,
  rule: Pick<VisibilityRule, 'causal' | 'window' | 'shift'>,
): 'causal' | 'window' | null {
  const distance = i + rule.shift - j;
  if (rule.causal && distance < 0) return 'causal';
  if (rule.window !== null && (rule.causal ? distance >= rule.window : Math.abs(distance) >= rule.window)) return 'window';
  return null;
}

/**
 * The keys [first, last] (inclusive; empty when first > last) that causal and the window leave
 * visible to query i: a contiguous range, so a long sequence's hidden pairs are counted per row.
 */
export function visibleKeyRange(i: number, rule: Pick<VisibilityRule, 'causal' | 'window' | 'shift' | 'm'>): [number, number] {
  const at = i + rule.shift;
  let first = 0,
    last = rule.m - 1;
  if (rule.causal) last = Math.min(last, at);
  if (rule.window !== null) {
    first = Math.max(first, at - rule.window + 1);
    if (!rule.causal) last = Math.min(last, at + rule.window - 1);
  }
  return [first, last];
}

/** The scale in force, in words: "scale 1/√d_k = 0.354", "scale none (1)", "scale 0.5 (custom)". */
export function describeScale(scale: ScaleSetting, dk: number): string {
  if (scale === 'default') return `scale 1/√d_k = ${Number((1 / Math.sqrt(dk)).toPrecision(3))}`;
  if (scale === 'none') return 'scale none (1)';
  return `scale ${scale} (custom)`;
}
