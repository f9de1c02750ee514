/**
 * The attention features modern models add to the 2017 operator, defined once: their names, what
 * they do in a line, where they come from, which options turn them on, and the small pieces of math
 * every layer shares (ALiBi's slopes, RoPE's frequencies and positions, the K/V head of a query
 * head). The reference (./reference.ts) applies them in this order, per head t:
 *
 *   q, k  ← RoPE(q), RoPE(k)                        rotary position embedding (rope)
 *   s     ← (q · k_g) · scale / temperature          g = ⌊t / (h / kvHeads)⌋ (kvHeads)
 *   s     ← c · tanh(s / c)                          logit softcap (softcap)
 *   s     ← s − slope_t · (i + shift − j)            ALiBi (alibi)
 *   s     ← −∞ where causal, window or mask hide j   sliding window (window)
 *   p     ← exp(s − M) / (exp(sink_t − M) + Σ exp(s − M)),  M = max(sink_t, max s)   (sinks)
 *   o     ← p · v_g
 */
import type { AttentionOptions, FeatureOptions, RopeLayout, RopeOptions } from './options';

export type FeatureName = 'rope' | 'kvHeads' | 'window' | 'alibi' | 'softcap' | 'sinks';

export interface FeatureInfo {
  /** Name in the page and the CLIs. */
  readonly title: string;
  /** What it does, in one line. */
  readonly summary: string;
  /** Where it comes from. */
  readonly source: { readonly title: string; readonly url: string };
  /**
   * The module-scope constant a kernel declares (`const SUPPORTS_WINDOW = true;`) to say it
   * implements the feature; a run with the feature on refuses a kernel of a stage that needs it but
   * does not declare it. RoPE is a stage of its own (`rope`), so it has none.
   */
  readonly supportConstant: string | null;
}

export const FEATURE_INFO: Readonly<Record<FeatureName, FeatureInfo>> = {
  rope: {
    title: 'RoPE',
    summary: 'Rotates each pair of query/key dimensions by an angle proportional to the position, so scores depend only on i − j.',
    source: { title: 'Su et al., RoFormer (2021)', url: 'https://arxiv.org/abs/2104.09864' },
    supportConstant: null,
  },
  kvHeads: {
    title: 'grouped-query heads',
    summary: 'Several query heads share one K/V head (GQA); one K/V head for all is multi-query attention (MQA).',
    source: { title: 'Ainslie et al., GQA (2023)', url: 'https://arxiv.org/abs/2305.13245' },
    supportConstant: 'SUPPORTS_KV_HEADS',
  },
  window: {
    title: 'sliding window',
    summary: 'Each query sees only the w keys nearest its own position (with causal: the w most recent).',
    source: { title: 'Jiang et al., Mistral 7B (2023)', url: 'https://arxiv.org/abs/2310.06825' },
    supportConstant: 'SUPPORTS_WINDOW',
  },
  alibi: {
    title: 'ALiBi',
    summary: 'Adds −slope·distance to each score, a per-head recency bias instead of position embeddings.',
    source: { title: 'Press et al., ALiBi (2021)', url: 'https://arxiv.org/abs/2108.12409' },
    supportConstant: 'SUPPORTS_ALIBI',
  },
  softcap: {
    title: 'logit softcap',
    summary: 'Squashes every score into (−c, c) with c·tanh(s/c), so no single score can dominate.',
    source: { title: 'Gemma Team, Gemma 2 (2024)', url: 'https://arxiv.org/abs/2408.00118' },
    supportConstant: 'SUPPORTS_SOFTCAP',
  },
  sinks: {
    title: 'attention sinks',
    summary: 'A per-head logit that joins the softmax but carries no value: a row can put its mass "nowhere".',
    source: { title: 'Xiao et al., Attention Sinks (2023); OpenAI gpt-oss (2025)', url: 'https://arxiv.org/abs/2309.17453' },
    supportConstant: 'SUPPORTS_SINKS',
  },
};

export const FEATURE_NAMES = Object.keys(FEATURE_INFO) as FeatureName[];

/** The features an options object turns on (kvHeads only when it differs from heads). */
export function activeFeatures(options: AttentionOptions): FeatureName[] {
  const on: Record<FeatureName, boolean> = {
    rope: options.rope !== null,
    kvHeads: options.kvHeads !== null && options.kvHeads !== options.heads,
    window: options.window !== null,
    alibi: options.alibi !== null,
    softcap: options.softcap !== null,
    sinks: options.sinks !== null,
  };
  return FEATURE_NAMES.filter((f) => on[f]);
}

/** One line naming the features on (the commands' headers, the profiler's configuration line); '' when none. */
export function describeFeatures(f: FeatureOptions): string {
  const parts: string[] = [];
  if (f.rope)
    parts.push(
      `RoPE ${f.rope.layout} θ=${f.rope.base}${f.rope.dims ? ` r=${f.rope.dims}` : ''}${f.rope.offset ? ` offset=${f.rope.offset}` : ''}`,
    );
  if (f.kvHeads !== null) parts.push(`kv-heads=${f.kvHeads}`);
  if (f.window !== null) parts.push(`window=${f.window}`);
  if (f.alibi !== null) parts.push(`ALiBi ${f.alibi === 'standard' ? 'standard slopes' : `slopes ${f.alibi.join(',')}`}`);
  if (f.softcap !== null) parts.push(`softcap=${f.softcap}`);
  if (f.sinks !== null) parts.push(`sinks ${f.sinks.join(',')}`);
  return parts.join(', ');
}

/** K/V heads in use: kvHeads, or heads when it is null. */
export function kvHeadCount(options: Pick<AttentionOptions, 'heads' | 'kvHeads'>): number {
  return options.kvHeads ?? options.heads;
}

/** The K/V head counts that fit h query heads: the divisors of h. */
export function kvHeadChoices(heads: number): number[] {
  return Array.from({ length: heads }, (_, i) => i + 1).filter((k) => heads % k === 0);
}

/** The K/V head query head t reads: ⌊t / (heads / kvHeads)⌋ (consecutive query heads share one). */
export function kvHeadOf(t: number, heads: number, kvHeads: number): number {
  return Math.floor(t / (heads / kvHeads));
}

/**
 * The ALiBi paper's slopes for h heads (its reference code, get_slopes): for a power of two, the
 * geometric sequence starting at 2^(−8/h) with that ratio (8 heads: 1/2, 1/4, …, 1/256); otherwise
 * the slopes of the largest power of two below h, followed by every other slope of twice that.
 */
export function alibiSlopes(heads: number): number[] {
  const powerOfTwo = (n: number) => {
    const start = 2 ** -(2 ** -(Math.log2(n) - 3));
    return Array.from({ length: n }, (_, i) => start * start ** i);
  };
  if (Number.isInteger(Math.log2(heads))) return powerOfTwo(heads);
  const closest = 2 ** Math.floor(Math.log2(heads));
  return [...powerOfTwo(closest), ...alibiSlopes(2 * closest).filter((_, i) => i % 2 === 0)].slice(0, heads);
}

/** The slope of every query head, as float32 (what the GPU receives and the reference uses). */
export function resolveAlibiSlopes(options: Pick<AttentionOptions, 'alibi' | 'heads'>): Float32Array | null {
  if (options.alibi === null) return null;
  return Float32Array.from(options.alibi === 'standard' ? alibiSlopes(options.heads) : options.alibi);
}

/** The sink logit of every query head, as float32; null without sinks. */
export function resolveSinks(options: Pick<AttentionOptions, 'sinks'>): Float32Array | null {
  return options.sinks === null ? null : Float32Array.from(options.sinks);
}

/** Dimensions RoPE rotates per head: r, or dk when null. */
export function ropeDims(rope: RopeOptions, dk: number): number {
  return rope.dims ?? dk;
}

/**
 * The pair RoPE rotation p (0 ≤ p < r/2) moves, as dimension indices within the head: (2p, 2p+1)
 * interleaved, (p, p + r/2) in halves. It rotates by position · θ_p, θ_p = base^(−2p/r).
 */
export function ropePair(layout: RopeLayout, p: number, r: number): [number, number] {
  return layout === 'interleaved' ? [2 * p, 2 * p + 1] : [p, p + r / 2];
}

/** θ_p = base^(−2p/r) for p = 0 … r/2 − 1, in float64. */
export function ropeFrequencies(base: number, r: number): Float64Array {
  return Float64Array.from({ length: r / 2 }, (_, p) => base ** ((-2 * p) / r));
}

/** Positions of query row i and key j, for n queries and m keys (key 0 at offset; the last query with the last key). */
export function queryPosition(offset: number, i: number, shift: number): number {
  return offset + i + shift;
}

/** The logit softcap c·tanh(s/c). */
export function softcapped(s: number, c: number): number {
  return c * Math.tanh(s / c);
}
