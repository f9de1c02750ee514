/**
 * The verification suite: seeded attention problems derived from the kernel under test.
 *
 * Four families, each aimed at the bug classes a kernel author makes:
 * - tile edges: along every axis the kernel's grid tiles (its output tile: @workgroup_size × the
 *   outputs per invocation it declares), sizes 1, T−1, T, T+1 and 2T+1, so three workgroups run
 *   along the axis and the last is partial; one large axis at a time, the others small (SwiftShader
 *   is slow). Loops inside a workgroup (dk for QKᵀ, keys for softmax and P·V, the h·dv concatenated
 *   columns for the output projection, …) get sizes past the usual chunk sizes (16, 32, 64). The
 *   output projection's cases carry a d_model (W_o's columns), tiled like any other axis.
 * - option pairs: a pairwise covering array over heads, n vs m, dk vs dv, causal, mask, scale and
 *   temperature, so every two options meet (a head offset taken with dv only shows with heads > 1
 *   and dk ≠ dv).
 * - row blocks: query rows forced into small blocks, so params.causal_shift and row offsets change
 *   from one dispatch to the next, as they do when the engine splits a long sequence.
 * - score distributions: rows whose scores are all far below zero (a running max started at 0
 *   underflows), also around −1e6 and −1e30 and one visible key among hidden ones that deep (a max
 *   started at a finite floor such as −1e4 underflows), all equal, all masked but one, ±1e3, tiny
 *   (1e-30), and heads of mixed scales.
 * - reach: for every kernel, sizes past the usual powers of two (m = 300 and n = 260, past 256 and
 *   off every multiple of 64) and 5 heads (10 on 2 K/V heads where the kernel declares them), one
 *   row against 600 keys, with small dk and dv so they cost little; a bound or loop fixed at 128 keys
 *   or 4 heads fails there. And dk, dv = 160 (past 128: the fused kernel's wide-head paths).
 * - key splits (a fused kernel declaring SUPPORTS_KEY_SPLITS; the combine stage runs only these):
 *   2, 3 and 7 splits in both of the fused kernel's shapes (64 rows, and n ≤ 8 rows one a workgroup
 *   with lanes taking 4 keys a batch, up to three batches a split), empty splits, a row that sees no
 *   key, rows far below zero, and each declared feature alone with splits in both shapes.
 * - features (../features.ts), each only where the kernel under test declares it and its stage
 *   implements it: a family per feature built so that ignoring the feature or applying it at the
 *   wrong place fails (softcap after the mask or before the scale, ALiBi's sign, head and distance,
 *   the window's edge at w = 1, 2, m − 1 and ≥ m, the K/V head ⌊t / group⌋ against t mod kvHeads,
 *   a sink in the denominator and in a row that sees no key), decode (n = 1 against 150 keys, with
 *   every feature and with each alone), and
 *   the features as more factors of the option pairs. The rope stage gets its own suite: both pair
 *   layouts, position offsets, bases, rotary fractions, n ≠ m, row blocks and grouped K heads.
 *
 * Each case carries tags saying what it exercises, so the diagnosis (hints.ts) can read a pattern
 * across cases ("only cases with two or more workgroups along an axis fail").
 */
import type { AttentionInputs, AttentionShape } from '../shapes';
import type { AlibiSetting, AttentionOptions, RopeLayout, RopeOptions, ScaleSetting, ScoreFunction } from '../options';
import type { ScoringWeights } from '../shapes';
import { causalShift, DEFAULT_ROPE, isVisible, resolveScale } from '../options';
import type { FeatureName } from '../features';
import { ropeDims } from '../features';
import { createRng, randomMatrix } from '../rng';
import { matrix } from '../tensor';
import { UNIT_ROUNDOFF } from '../tolerance';
import { pairwise } from './pairwise';

/** The tile every built-in tiled kernel uses, and the chunk sizes inner loops commonly stage. */
const BUILT_IN_TILE = 16;
const INNER_SIZES = [17, 33, 65] as const;

export type CaseTag =
  /** Part of the tile-edge family (sizes 1, T−1, T, T+1, 2T+1). */
  | 'tile-edge'
  /** Every tiled size of the case is a multiple of its tile. */
  | 'aligned'
  /** Two or more workgroups run along an axis the kernel tiles. */
  | 'multi-wg'
  /** An inner loop (dk, keys, value columns) runs over several chunks. */
  | 'inner'
  | 'cross' // n ≠ m
  | 'widths' // dk ≠ dv
  | 'heads' // more than one head
  | 'causal'
  | 'mask' // an explicit mask
  | 'masked-row' // at least one query row sees no key at all
  | 'large-scores' // scores around ±1e3
  | 'seed' // an ordinary case repeated with other seeds
  | 'scale' // a custom scale or temperature
  | 'temperature' // a temperature ≠ 1
  | 'scaled' // the effective scale / temperature is not 1
  | 'pairwise' // a row of the option covering array
  | 'row-blocks' // query rows run in small blocks (causal_shift changes per block)
  /** The fused stage splits the keys (split-KV): partial softmaxes merged by the combine stage. */
  | 'key-splits'
  /** Some split sees no key of some row (past m, or hidden by causality, a window or the mask). */
  | 'empty-split'
  | 'very-negative' // every row's scores lie far below zero
  /** n or m past 256, or 5 or more heads: past the powers of two a bound may be fixed at. */
  | 'large-sizes'
  | 'equal-scores'
  | 'one-visible' // every row sees exactly one key
  | 'tiny-scores'
  | 'mixed-heads' // heads whose scores have very different scales
  /** Fewer K/V heads than query heads (grouped-query or multi-query attention). */
  | 'gqa'
  /** Groups of two or more query heads on two or more K/V heads: ⌊t / group⌋ and t mod kvHeads differ. */
  | 'gqa-grouped'
  | 'window' // a sliding window
  /** No causal, with a window or ALiBi: keys on both sides of the query's position matter. */
  | 'bidirectional'
  | 'alibi'
  | 'softcap'
  /** A softcap case where some key is hidden (causal, mask or window): a hidden score must stay −∞. */
  | 'softcap-hidden'
  | 'sinks'
  /** A sink logit far above every score (20 and more). */
  | 'sink-far'
  | 'rope'
  | 'rope-half' // RoPE pairs (p, p + r/2)
  | 'rope-interleaved' // RoPE pairs (2p, 2p + 1)
  | 'rope-offset' // a position offset ≠ 0
  | 'rope-fraction' // rotates fewer dimensions than dk
  | 'rope-base' // θ ≠ 10000
  /** Some query's position is not offset + i (n ≠ m, or rows in blocks): it must add causal_shift. */
  | 'rope-shifted'
  | 'decode' // one query row against many keys
  /** The general or additive score function (every case of a kernel that declares one). */
  | 'learned'
  | 'dq-dk' // Q's width per head dq differs from K's dk (general and additive only)
  /** Additive pre-activations far past ±15, where tanh saturates at ±1. */
  | 'tanh-saturated';

export type Distribution = 'normal' | 'very-negative' | 'equal' | 'one-visible' | 'tiny' | 'mixed-heads';

export interface VerifyCase extends Omit<AttentionShape, 'dModel' | 'kvHeads'> {
  name: string;
  /** Columns of W_o: present in the output projection's cases only (the inputs then carry W_o). */
  dModel?: number;
  causal: boolean;
  mask: 'none' | 'random' | 'fully-masked-row' | 'one-visible';
  /** Scores spread over about ±magnitude (after scaling); ordinary cases leave it out. */
  magnitude?: number;
  /** How the scores are spread (default 'normal'). */
  distribution?: Distribution;
  /** 'very-negative' only: the rows' offsets lie in −depth·(0.55…0.95) (default 1e3: −950…−550). */
  depth?: number;
  /** Query rows per block (the engine's maxBlockRows); absent: the engine's own choice. */
  blockRows?: number;
  /** Key splits forced on the fused stage (split-KV, the engine's keySplits); absent: the engine's own choice. */
  keySplits?: number;
  /** K/V heads (grouped-query attention): divides heads; absent: as many as heads. */
  kvHeads?: number;
  /** Sliding window w; absent: none. */
  window?: number;
  /** ALiBi: the paper's slopes, or these slopes repeated over the heads (so a shrunk case keeps one per head). */
  alibi?: AlibiSetting;
  /** Logit softcap c; absent: none. */
  softcap?: number;
  /** Sink logits, repeated over the heads; absent: none. */
  sinks?: readonly number[];
  /** An elementwise activation instead of the softmax (a softmax-stage kernel declaring ELEMENTWISE_ACTIVATION); absent: softmax. */
  activation?: 'relu' | 'gelu';
  /** Rotary position embedding (every case of the rope stage has one). */
  rope?: RopeOptions;
  /**
   * The learned score function of a qk kernel that declares one (../scoring.ts), with Q's width per
   * head dq (AttentionShape's) and, for additive, the hidden width scoreDim; absent: dot.
   */
  score?: 'general' | 'additive';
  /** The weights' spread (default 1): 40 drives the additive pre-activations into tanh's saturation. */
  weightScale?: number;
  scale: ScaleSetting;
  temperature: number;
  seed: number;
  tags: CaseTag[];
}

export interface CaseInputs {
  inputs: AttentionInputs;
  options: Partial<AttentionOptions>;
}

/** The output tile the kernel's grid covers per workgroup along each axis it tiles, and its inner loops. */
export interface KernelTiles {
  /** Query rows per workgroup. */
  rows: number;
  /** Keys per workgroup (QKᵀ's x). */
  keys?: number;
  /** Value columns per workgroup (P·V's x). */
  dv?: number;
  /** Lanes that share one row's keys (softmax's x): sizes around it, though one workgroup covers them. */
  lanes?: number;
  /** Columns of W_o per workgroup (the output projection's x); every case then carries a dModel. */
  dModel?: number;
  /** RoPE pairs per workgroup (the rope stage's x, ⌈dk / 2⌉ pairs); its rows then run over Q's rows and K's keys. */
  pairs?: number;
  /** Dimensions the kernel loops over inside a workgroup ('hdv': the heads·dv concatenated columns). */
  inner: InnerLoop[];
}

export type InnerLoop = 'dk' | 'm' | 'dv' | 'hdv';

/** The trip count of an inner loop in a case. */
function innerSize(c: Pick<VerifyCase, 'm' | 'dk' | 'dv' | 'heads'>, loop: InnerLoop): number {
  return loop === 'hdv' ? c.heads * c.dv : c[loop];
}

/** W_o's columns in the cases that do not size them on purpose: off every usual tile (4, 8, 16). */
const DEFAULT_D_MODEL = 11;

export interface SuiteOptions {
  /** The kernel's @workgroup_size, used when `tiles` is absent (x → keys and value columns, y → rows). */
  workgroupSize?: readonly number[];
  /** The kernel's tiles per axis (src/gpu/verify-suite.ts derives them from the stage and the kernel). */
  tiles?: KernelTiles;
  /** Offsets every case's seed, to draw other random inputs with the same shapes. */
  seed?: number;
  /**
   * The features the kernel declares and its stage implements (STAGES[stage].features ∩ the kernel's
   * SUPPORTS_* constants): only these get cases. Default none.
   */
  features?: readonly FeatureName[];
  /** The stage under test: 'rope' gets the RoPE suite. */
  stage?: string;
  /** The kernel runs with key splits (a fused kernel that declares SUPPORTS_KEY_SPLITS): split-KV cases. */
  keySplits?: boolean;
  /** The score function a qk kernel declares (SCORES_GENERAL / SCORES_ADDITIVE): every case then uses it. */
  score?: ScoreFunction;
  /**
   * The kernel applies an elementwise activation (declares ELEMENTWISE_ACTIVATION): every case runs
   * twice, with ReLU and with GELU (the sizes, masks, heads and score distributions of the softmax's suite).
   */
  elementwise?: boolean;
}

const MAX_TILE = 256;

/** Tile sizes to probe: the built-in tile plus the kernel's workgroup x and y (2…256). */
export function tileSizes(workgroupSize?: readonly number[]): number[] {
  const tiles = new Set([BUILT_IN_TILE]);
  for (const size of workgroupSize?.slice(0, 2) ?? []) if (size >= 2 && size <= MAX_TILE) tiles.add(size);
  return [...tiles].sort((a, b) => a - b);
}

function defaultTiles(workgroupSize?: readonly number[]): KernelTiles {
  const [x = BUILT_IN_TILE, y = BUILT_IN_TILE] = workgroupSize ?? [];
  return { rows: Math.max(1, y), keys: Math.max(1, x), dv: Math.max(1, x), inner: ['dk', 'm', 'dv'] };
}

type CaseDraft = Partial<Omit<VerifyCase, 'name' | 'n' | 'm' | 'dk' | 'dv'>> & Pick<VerifyCase, 'name' | 'n' | 'm' | 'dk' | 'dv'>;

/** Whether two or more workgroups run along a tiled axis, and whether every tiled size is a tile multiple. */
function tiling(c: Pick<VerifyCase, 'n' | 'm' | 'dk' | 'dv' | 'dModel' | 'blockRows'>, tiles: KernelTiles) {
  const rows = Math.min(c.n, c.blockRows ?? c.n);
  const axes: [number, number | undefined][] = [
    // The rope grid's rows are the block's query rows, then the m keys.
    [tiles.pairs !== undefined ? rows + c.m : rows, tiles.rows],
    [c.m, tiles.keys],
    [c.dv, tiles.dv],
    [c.dModel ?? 1, tiles.dModel],
    [Math.ceil(c.dk / 2), tiles.pairs],
  ];
  const tiled = axes.filter((a): a is [number, number] => a[1] !== undefined && a[1] > 1);
  return {
    multi: tiled.some(([size, tile]) => size > tile),
    aligned: tiled.every(([size, tile]) => size % tile === 0),
  };
}

/** Some query row sees no key at all: a fully masked mask row, or causal and window leave none. */
export function hasHiddenRow(c: Pick<VerifyCase, 'n' | 'm' | 'causal' | 'mask' | 'window'>): boolean {
  if (c.mask === 'fully-masked-row') return true;
  if (!c.causal && c.window === undefined) return false;
  const rule = { causal: c.causal, window: c.window ?? null, mask: null, m: c.m, shift: causalShift(c.n, c.m) };
  for (let i = 0; i < c.n; i++) {
    let seen = false;
    for (let j = 0; j < c.m && !seen; j++) seen = isVisible(i, j, rule);
    if (!seen) return true;
  }
  return false;
}

const isGqa = (c: Pick<VerifyCase, 'heads' | 'kvHeads'>) => c.kvHeads !== undefined && c.kvHeads < c.heads;

/**
 * The tags that follow from a case's feature fields, with what makes each true: finish() adds them,
 * and a shrunk case drops those that no longer hold (shrink.ts retag).
 */
export const FEATURE_TAG_RULES: Readonly<Partial<Record<CaseTag, (c: VerifyCase) => boolean>>> = {
  gqa: isGqa,
  'gqa-grouped': (c) => isGqa(c) && c.kvHeads! >= 2,
  window: (c) => c.window !== undefined,
  bidirectional: (c) => !c.causal && (c.window !== undefined || c.alibi !== undefined),
  alibi: (c) => c.alibi !== undefined,
  softcap: (c) => c.softcap !== undefined,
  'softcap-hidden': (c) => c.softcap !== undefined && (c.causal || c.mask !== 'none' || c.window !== undefined),
  sinks: (c) => c.sinks !== undefined,
  'sink-far': (c) => c.sinks?.some((s) => s >= 20) ?? false,
  rope: (c) => c.rope !== undefined,
  'rope-half': (c) => c.rope?.layout === 'half',
  'rope-interleaved': (c) => c.rope?.layout === 'interleaved',
  'rope-offset': (c) => (c.rope?.offset ?? 0) !== 0,
  'rope-fraction': (c) => c.rope !== undefined && ropeDims(c.rope, c.dk) < c.dk,
  'rope-base': (c) => c.rope !== undefined && c.rope.base !== DEFAULT_ROPE.base,
  'rope-shifted': (c) => c.rope !== undefined && (c.n !== c.m || (c.blockRows !== undefined && c.blockRows < c.n)),
  decode: (c) => c.n === 1 && c.m >= 32,
  learned: (c) => c.score !== undefined,
  'dq-dk': (c) => c.score !== undefined && (c.dq ?? c.dk) !== c.dk,
  'tanh-saturated': (c) => c.score === 'additive' && (c.weightScale ?? 1) >= 10,
};

/** Fills defaults and derives the tags that follow from the shape and options. */
function finish(c: CaseDraft, seed: number, tiles: KernelTiles): VerifyCase {
  const projected = tiles.dModel !== undefined ? { dModel: DEFAULT_D_MODEL } : {};
  const full: VerifyCase = { heads: 1, causal: false, mask: 'none', scale: 'default', temperature: 1, tags: [], seed, ...projected, ...c };
  const tags = new Set(full.tags);
  const { multi, aligned } = tiling(full, tiles);
  if (multi) tags.add('multi-wg');
  if (tags.has('tile-edge') && aligned && full.dk % BUILT_IN_TILE === 0) tags.add('aligned');
  if (full.n !== full.m) tags.add('cross');
  if (full.dk !== full.dv) tags.add('widths');
  if (full.heads > 1) tags.add('heads');
  if (full.causal) tags.add('causal');
  if (full.mask !== 'none') tags.add('mask');
  if (hasHiddenRow(full)) tags.add('masked-row');
  if (full.magnitude !== undefined && full.magnitude >= LARGE_SCORES) tags.add('large-scores');
  if (full.scale !== 'default' || full.temperature !== 1) tags.add('scale');
  if (full.temperature !== 1) tags.add('temperature');
  if (Math.abs(resolveScale(full.scale, full.dk) / full.temperature - 1) > 1e-9) tags.add('scaled');
  if (full.blockRows !== undefined && full.blockRows < full.n) tags.add('row-blocks');
  if (full.keySplits !== undefined && full.keySplits > 1) {
    tags.add('key-splits');
    // Splits are multiples of 64 keys: with more splits than that fills, the last see no key.
    const splitKeys = Math.max(64, Math.ceil(full.m / full.keySplits / 64) * 64);
    if (full.causal || full.window !== undefined || full.mask !== 'none' || splitKeys * (full.keySplits - 1) >= full.m)
      tags.add('empty-split');
  }
  if (tiles.inner.some((d) => innerSize(full, d) > BUILT_IN_TILE)) tags.add('inner');
  if (isLarge(full)) tags.add('large-sizes');
  const byDistribution: Partial<Record<Distribution, CaseTag>> = {
    'very-negative': 'very-negative',
    equal: 'equal-scores',
    'one-visible': 'one-visible',
    tiny: 'tiny-scores',
    'mixed-heads': 'mixed-heads',
  };
  const tag = byDistribution[full.distribution ?? 'normal'];
  if (tag) tags.add(tag);
  for (const [name, holds] of Object.entries(FEATURE_TAG_RULES)) if (holds(full)) tags.add(name as CaseTag);
  return { ...full, tags: [...tags] };
}

/** Past the powers of two a bound may be fixed at: n or m past 256, or 5 or more heads (the 'large-sizes' tag). */
export const isLarge = (c: Pick<VerifyCase, 'n' | 'm' | 'heads'>) => c.n > 256 || c.m > 256 || c.heads >= 5;

/** Score spreads from this magnitude on count as large scores (the ±1e3 family); smaller ones only shape a feature's cases. */
export const LARGE_SCORES = 100;

const shapeName = (c: Pick<VerifyCase, 'n' | 'm' | 'dk' | 'dv' | 'dModel'>) =>
  `n=${c.n} m=${c.m} dk=${c.dk} dv=${c.dv}${c.dModel !== undefined ? ` d_model=${c.dModel}` : ''}`;

/** Sizes 1, T−1, T, T+1, 2T+1 along each tiled axis (others small), and inner loops past 16, 32 and 64. */
function edgeCases(tiles: KernelTiles): CaseDraft[] {
  // dk and dv on the usual 16-wide chunk, so an 'aligned' case is aligned in its loops too.
  const projected = tiles.dModel !== undefined;
  const small: Pick<VerifyCase, 'n' | 'm' | 'dk' | 'dv' | 'dModel'> = {
    n: 5,
    m: 7,
    dk: BUILT_IN_TILE,
    dv: BUILT_IN_TILE,
    ...(projected ? { dModel: 7 } : {}),
  };
  const one = projected ? { dModel: 1 } : {};
  // RoPE rotates pairs: its smallest head has two dimensions.
  const drafts: CaseDraft[] =
    tiles.pairs !== undefined
      ? [{ name: 'size 1 (n=m=dv=1, dk=2: one pair)', n: 1, m: 1, dk: 2, dv: 1, tags: ['tile-edge'] }]
      : [{ name: `size 1 (n=m=dk=dv${projected ? '=d_model' : ''}=1)`, n: 1, m: 1, dk: 1, dv: 1, ...one, tags: ['tile-edge'] }];
  type Axis = 'n' | 'm' | 'dv' | 'dModel' | 'pairs';
  const axes: [Axis, number | undefined, string][] = [
    ['n', tiles.rows, 'rows'],
    ['m', tiles.keys ?? tiles.lanes, tiles.keys ? 'keys' : 'lanes'],
    ['dv', tiles.dv, 'value columns'],
    ['dModel', tiles.dModel, 'output columns'],
    ['pairs', tiles.pairs, 'pairs'],
  ];
  // A size along an axis: the pairs axis sets dk to twice the pairs.
  const put = (c: typeof small, axis: Axis, size: number) => {
    if (axis === 'pairs') c.dk = 2 * size;
    else c[axis] = size;
  };
  const seen = new Set<string>();
  for (const [field, tile, axis] of axes) {
    if (!tile || tile < 2) continue;
    for (const [size, label] of [
      [tile - 1, 'T−1'],
      [tile, 'T'],
      [tile + 1, 'T+1'],
      [2 * tile + 1, '2T+1'],
    ] as const) {
      const c = { ...small };
      // The other tiled axes sit exactly on their tile (up to 64), so "aligned" means every tiled size is a multiple.
      for (const [other, otherTile] of axes) if (otherTile && otherTile > 1 && otherTile <= 64) put(c, other, otherTile);
      put(c, field, size);
      const key = shapeName(c);
      if (seen.has(key)) continue;
      seen.add(key);
      drafts.push({ ...c, name: `${axis} tile ${tile} ${label}: ${key}`, tags: ['tile-edge'] });
    }
  }
  for (const dim of tiles.inner) {
    for (const size of INNER_SIZES) {
      // One head, so the concatenated width is dv itself.
      const c = { ...small, [dim === 'hdv' ? 'dv' : dim]: size };
      const key = shapeName(c);
      if (seen.has(key)) continue;
      seen.add(key);
      drafts.push({ ...c, name: `${dim === 'hdv' ? 'heads·dv' : dim} loop ${size}: ${key}` });
    }
  }
  return drafts;
}

/** The values a feature takes in the option pairs when it is on. */
const PAIR_FEATURES = {
  kvHeads: { label: () => '1 K/V head', set: (): Partial<CaseDraft> => ({ kvHeads: 1 }) },
  window: { label: () => 'window 4', set: (): Partial<CaseDraft> => ({ window: 4 }) },
  alibi: { label: () => 'ALiBi', set: (): Partial<CaseDraft> => ({ alibi: 'standard' }) },
  softcap: { label: () => 'softcap 3', set: (): Partial<CaseDraft> => ({ softcap: 3 }) },
  sinks: { label: () => 'sinks', set: (): Partial<CaseDraft> => ({ sinks: [0.7, -1.3, 2.1] }) },
} as const;
type PairFeature = keyof typeof PAIR_FEATURES;

/**
 * Every pair of option values in some case: heads, n vs m, dk vs dv, causal, mask, scale, temperature
 * and each feature the suite covers (on or off), so a feature meets every option and every other
 * feature; grouped K/V heads need two or more query heads.
 */
function pairCases(features: readonly FeatureName[]): CaseDraft[] {
  const featureFactors = (Object.keys(PAIR_FEATURES) as PairFeature[]).filter((f) => features.includes(f));
  const rows = pairwise(
    {
      heads: [1, 2, 3],
      nm: ['n<m', 'n=m', 'n>m'],
      widths: ['dk<dv', 'dk=dv', 'dk>dv'],
      causal: [false, true],
      mask: [false, true],
      scale: ['default', 0.3, 'none'],
      temperature: [1, 2.5],
      ...Object.fromEntries(featureFactors.map((f) => [f, [false, true]])),
    } as const,
    { allowed: (r) => !((r as Record<string, unknown>).kvHeads === true && r.heads === 1) },
  );
  const nm = { 'n<m': [11, 29], 'n=m': [19, 19], 'n>m': [29, 11] } as const;
  const widths = { 'dk<dv': [12, 20], 'dk=dv': [20, 20], 'dk>dv': [20, 12] } as const;
  return rows.map((r, i) => {
    const [n, m] = nm[r.nm];
    const [dk, dv] = widths[r.widths];
    const on = featureFactors.filter((f) => (r as Record<string, unknown>)[f] === true);
    let c: CaseDraft = {
      name: '',
      n,
      m,
      dk,
      dv,
      heads: r.heads,
      causal: r.causal,
      mask: r.mask ? 'random' : 'none',
      scale: r.scale,
      temperature: r.temperature,
      tags: ['pairwise'],
    };
    for (const f of on) c = { ...c, ...PAIR_FEATURES[f].set() };
    const options = [
      `${r.heads} head${r.heads > 1 ? 's' : ''}`,
      r.causal && 'causal',
      r.mask && 'mask',
      r.scale !== 'default' && `scale ${r.scale}`,
      r.temperature !== 1 && `temperature ${r.temperature}`,
      ...on.map((f) => PAIR_FEATURES[f].label()),
    ].filter(Boolean);
    return { ...c, name: `pair ${i + 1}: ${shapeName({ n, m, dk, dv })}, ${options.join(', ')}` };
  });
}

/** Query rows in small blocks: each block's params.n and params.causal_shift differ from the whole problem's. */
function blockCases(tiles: KernelTiles): CaseDraft[] {
  // A block smaller than the row tile, and one that ends mid-tile, so both offsets and shifts vary.
  const block = Math.max(3, Math.min(7, tiles.rows - 1));
  return [
    { name: `row blocks of ${block}: n=23 m=40 causal`, n: 23, m: 40, dk: 8, dv: 8, causal: true, blockRows: block },
    {
      name: `row blocks of ${block + 2}: n=40 m=23 causal, mask, 2 heads`,
      n: 40,
      m: 23,
      dk: 8,
      dv: 12,
      heads: 2,
      causal: true,
      mask: 'random',
      blockRows: block + 2,
    },
    { name: `row blocks of ${block}: n=m=33 causal`, n: 33, m: 33, dk: 8, dv: 8, causal: true, blockRows: block },
  ];
}

/**
 * How deep the deepest very-negative rows go. Past the fused stage, each stage is checked on its own
 * GPU input (softmax and P·V read the GPU's scores and probabilities), which is exact, so any finite
 * depth is checkable: 1e6 (float32's step there is 1/16, so the rows' spread of a few units shows)
 * and 1e30 (the spread is absorbed; keys then differ by eighths of the depth, so each row's weight
 * is shared by the keys that tie for its max and the rest are 0).
 * The fused stage is checked end to end from Q and K (tolerance.ts): a score s carries an error of up
 * to (γ(dk) + 3u)·|s|, which the fused bound grows by (1 + 1/dk) and u·|s| and the softmax turns into
 * a factor e^{±2Δ} on the weights. At dk = 4 that is Δ ≈ 9.75u·|s| ≤ 0.055 for |s| ≤ 0.95·1e5, so the
 * weights are held within 12% and a row of zeros still fails; at 1e6 the bound would pass anything.
 */
export const DEEP_SCORES = { stage: [1e6, 1e30], endToEnd: [1e5] } as const;

const negative = (x: number) => `−${x.toExponential(1).replace('e+', 'e')}`;
/** The very-negative rows' offsets at a depth, as a case name says them. */
const depthRange = (depth: number) => `${negative(0.95 * depth)}…${negative(0.55 * depth)}`;

/** Rows with particular score distributions; `endToEnd`: the fused stage's (see DEEP_SCORES). */
function distributionCases(endToEnd = false): CaseDraft[] {
  const depths = endToEnd ? DEEP_SCORES.endToEnd : DEEP_SCORES.stage;
  const range = depthRange;
  const deep: CaseDraft[] = depths.map((depth, i) => ({
    name: `all scores in ${range(depth)} n=11 m=${i ? 20 : 24}${i ? ' causal' : ''}, 2 heads`,
    n: 11,
    m: i ? 20 : 24,
    dk: 4,
    dv: 4,
    heads: 2,
    causal: i > 0,
    distribution: 'very-negative',
    depth,
  }));
  deep.push({
    name: `one visible key per row, its score in ${range(depths[0])} n=12 m=26`,
    n: 12,
    m: 26,
    dk: 4,
    dv: 4,
    mask: 'one-visible',
    distribution: 'very-negative',
    depth: depths[0],
    tags: ['one-visible'],
  });
  return [
    { name: 'all scores in −1e3…−5e2 n=m=20', n: 20, m: 20, dk: 16, dv: 8, distribution: 'very-negative' },
    {
      name: 'all scores in −1e3…−5e2 n=9 m=30 causal, 2 heads',
      n: 9,
      m: 30,
      dk: 16,
      dv: 8,
      heads: 2,
      causal: true,
      distribution: 'very-negative',
    },
    ...deep,
    // One row: the fused kernel's decoding shape, whose lanes' maxima are merged across the workgroup.
    { name: 'all scores in −1e3…−5e2, one row n=1 m=130', n: 1, m: 130, dk: 4, dv: 4, distribution: 'very-negative' },
    { name: 'all scores equal n=m=18', n: 18, m: 18, dk: 8, dv: 8, distribution: 'equal' },
    { name: 'all masked but one key n=12 m=26', n: 12, m: 26, dk: 8, dv: 8, mask: 'one-visible', distribution: 'one-visible' },
    { name: 'fully masked row n=m=16 (row 8)', n: 16, m: 16, dk: 8, dv: 8, mask: 'fully-masked-row' },
    { name: 'causal n=20 m=12 (rows 0–7 see no key)', n: 20, m: 12, dk: 8, dv: 8, causal: true },
    { name: 'scores around ±1e3 n=m=24', n: 24, m: 24, dk: 8, dv: 8, magnitude: 1e3 },
    { name: 'scores around ±1e3 n=9 m=40 causal', n: 9, m: 40, dk: 8, dv: 8, magnitude: 1e3, causal: true },
    { name: 'tiny scores (about 1e-30) n=m=14', n: 14, m: 14, dk: 8, dv: 8, distribution: 'tiny' },
    { name: 'heads of mixed scales (1e-2, 1, 30) n=m=15', n: 15, m: 15, dk: 8, dv: 8, heads: 3, distribution: 'mixed-heads' },
  ];
}

/**
 * Past the powers of two a bound may be fixed at (128 or 256 keys or rows, 4 heads): m = 300 and
 * n = 260 (off every multiple of 64), 5 heads and, where the kernel declares grouped K/V heads, 10 on
 * 2 (groups of 5: ⌊t / 5⌋ against t mod 2); one row against 600 keys (three batches of the fused
 * kernel's decoding shape a lane); dk and dv past 128 (the fused kernel's paths for wide heads), in
 * 10 rows and in one. Otherwise dk and dv stay 4, so they cost a CPU emulator little.
 */
function reachCases(features: readonly FeatureName[]): CaseDraft[] {
  const drafts: CaseDraft[] = [
    { name: 'past 256 keys: n=5 m=300 dk=dv=4', n: 5, m: 300, dk: 4, dv: 4 },
    { name: 'past 256 rows: n=260 m=9 dk=dv=4, causal', n: 260, m: 9, dk: 4, dv: 4, causal: true },
    { name: '5 heads: n=7 m=12 dk=4 dv=6', n: 7, m: 12, dk: 4, dv: 6, heads: 5 },
    // One row against 600 keys: the fused kernel's decoding shape (64 lanes × 4 keys a batch) gives each lane three batches.
    { name: 'decoding row past two batches a lane: n=1 m=600 dk=dv=4, causal', n: 1, m: 600, dk: 4, dv: 4, causal: true },
    // Heads past 128 columns: the fused kernel keeps Q's first 128 in registers and sweeps V's columns 128 at a time.
    { name: 'dk past 128: n=10 m=20 dk=160 dv=4', n: 10, m: 20, dk: 160, dv: 4 },
    { name: 'dv past 128: n=10 m=20 dk=4 dv=160', n: 10, m: 20, dk: 4, dv: 160 },
    { name: 'dk and dv past 128, decoding row: n=1 m=40 dk=dv=160', n: 1, m: 40, dk: 160, dv: 160 },
  ];
  if (features.includes('kvHeads'))
    drafts.push({ name: 'GQA: 10 heads on 2 K/V heads n=5 m=9 dk=dv=4', n: 5, m: 9, dk: 4, dv: 4, heads: 10, kvHeads: 2 });
  return drafts;
}

/**
 * Grouped K/V heads: query head t reads K/V head ⌊t / (heads / kvHeads)⌋. 4 on 2, 6 on 3 and 6 on 2
 * tell that from t mod kvHeads (4 on 2: 0 0 1 1 against 0 1 0 1); 3 on 1 (multi-query) checks
 * the K and V row strides of kvHeads·dk and kvHeads·dv alone; 6 on 1 with one query row, the
 * decoding shape's grouped heads.
 */
function kvHeadCases(): CaseDraft[] {
  return [
    { name: 'GQA: 4 heads on 2 K/V heads n=9 m=14 dk=8 dv=12', n: 9, m: 14, dk: 8, dv: 12, heads: 4, kvHeads: 2 },
    { name: 'MQA: 3 heads on 1 K/V head n=m=11 causal', n: 11, m: 11, dk: 8, dv: 8, heads: 3, kvHeads: 1, causal: true },
    { name: 'GQA: 6 heads on 3 K/V heads n=7 m=10 dk=4 dv=6', n: 7, m: 10, dk: 4, dv: 6, heads: 6, kvHeads: 3 },
    { name: 'GQA: 6 heads on 2 K/V heads n=m=8 dk=6 dv=4, mask', n: 8, m: 8, dk: 6, dv: 4, heads: 6, kvHeads: 2, mask: 'random' },
    // One query row (the fused kernel's decoding shape): its quads take 4 of the 6 heads in one
    // workgroup and 2 in the next, over more keys than one round of the quads.
    { name: 'MQA decoding: 6 heads on 1 K/V head n=1 m=90 dk=dv=8', n: 1, m: 90, dk: 8, dv: 8, heads: 6, kvHeads: 1 },
  ];
}

/**
 * The sliding window at its edges: w = 1 (the query's own key), 2, m − 1 (one key hidden per
 * corner) and ≥ m (nothing hidden), causal and both-sided (|i + shift − j| < w), with n ≠ m (the
 * shift), a mask, row blocks (the shift per block) and a window that ends past the first key tile.
 */
function windowCases(): CaseDraft[] {
  return [
    { name: 'window 1, causal n=m=12 (own key only)', n: 12, m: 12, dk: 8, dv: 8, causal: true, window: 1 },
    { name: 'window 1 n=m=12 (own key only)', n: 12, m: 12, dk: 8, dv: 8, window: 1 },
    { name: 'window 2, causal n=9 m=16', n: 9, m: 16, dk: 8, dv: 8, causal: true, window: 2 },
    { name: 'window 2 n=16 m=9 (rows 0–5 see no key)', n: 16, m: 9, dk: 8, dv: 8, window: 2 },
    { name: 'window m−1 = 13, causal n=m=14', n: 14, m: 14, dk: 8, dv: 8, causal: true, window: 13 },
    { name: 'window m−1 = 13 n=m=14', n: 14, m: 14, dk: 8, dv: 8, window: 13 },
    { name: 'window m = 13, causal n=10 m=13 (hides nothing)', n: 10, m: 13, dk: 8, dv: 8, causal: true, window: 13 },
    { name: 'window m+3 = 13 n=m=10 (hides nothing)', n: 10, m: 10, dk: 8, dv: 8, window: 13 },
    { name: 'window 4, causal, mask n=m=20', n: 20, m: 20, dk: 8, dv: 8, causal: true, mask: 'random', window: 4 },
    { name: 'window 70, causal n=20 m=150 (past the first key tiles)', n: 20, m: 150, dk: 8, dv: 8, causal: true, window: 70 },
    { name: 'window 5, causal, row blocks of 7 n=23 m=40', n: 23, m: 40, dk: 8, dv: 8, causal: true, window: 5, blockRows: 7 },
  ];
}

/**
 * ALiBi: −slope_t · (i + shift − j). One head and several (the paper's slopes differ by 4× per head
 * at 4 heads), own slopes, both-sided (keys ahead get a positive bias), n ≠ m and row blocks (the
 * distance counts from the aligned position), and grouped K/V heads (the slope is the query head's).
 */
function alibiCases(features: readonly FeatureName[]): CaseDraft[] {
  const drafts: CaseDraft[] = [
    { name: 'ALiBi n=m=12', n: 12, m: 12, dk: 8, dv: 8, alibi: 'standard' },
    { name: 'ALiBi 4 heads, causal n=10 m=16', n: 10, m: 16, dk: 8, dv: 8, heads: 4, causal: true, alibi: 'standard' },
    { name: 'ALiBi slopes 0.5, 0.0625, 1.5 n=15 m=8', n: 15, m: 8, dk: 8, dv: 8, heads: 3, alibi: [0.5, 0.0625, 1.5] },
    {
      name: 'ALiBi 2 heads, causal, row blocks of 7 n=23 m=40',
      n: 23,
      m: 40,
      dk: 8,
      dv: 8,
      heads: 2,
      causal: true,
      alibi: 'standard',
      blockRows: 7,
    },
  ];
  if (features.includes('kvHeads'))
    drafts.push({
      name: 'ALiBi 4 heads on 2 K/V heads, causal n=m=12',
      n: 12,
      m: 12,
      dk: 8,
      dv: 8,
      heads: 4,
      kvHeads: 2,
      causal: true,
      alibi: 'standard',
    });
  return drafts;
}

/**
 * The logit softcap c·tanh(s/c) on scores spread well past c: alone, with hidden keys (capped after
 * the mask they would be −c, not −∞), with scale and temperature ≠ 1 (capped before them it is
 * another number) and = 1, with ALiBi (the bias comes after the cap) and on scores of ±1e3 (tanh
 * must not overflow).
 */
function softcapCases(features: readonly FeatureName[]): CaseDraft[] {
  const drafts: CaseDraft[] = [
    { name: 'softcap 4, scores ±20 n=m=12', n: 12, m: 12, dk: 8, dv: 8, softcap: 4, magnitude: 20 },
    {
      name: 'softcap 4, scores ±20, causal, mask n=m=14',
      n: 14,
      m: 14,
      dk: 8,
      dv: 8,
      softcap: 4,
      magnitude: 20,
      causal: true,
      mask: 'random',
    },
    {
      name: 'softcap 3, scale none, temperature 2 n=10 m=13',
      n: 10,
      m: 13,
      dk: 8,
      dv: 8,
      softcap: 3,
      scale: 'none',
      temperature: 2,
      magnitude: 4,
    },
    // Scale and temperature 1: the one place where capping before them is right, so that bug shows as a pattern.
    { name: 'softcap 4, scale none n=m=11', n: 11, m: 11, dk: 8, dv: 8, softcap: 4, scale: 'none', magnitude: 2 },
    { name: 'softcap 5, scores ±1e3 n=m=10', n: 10, m: 10, dk: 8, dv: 8, softcap: 5, magnitude: 1e3 },
  ];
  if (features.includes('alibi'))
    drafts.push({
      name: 'softcap 5 and ALiBi, 2 heads, causal n=m=12',
      n: 12,
      m: 12,
      dk: 8,
      dv: 8,
      heads: 2,
      softcap: 5,
      magnitude: 10,
      causal: true,
      alibi: [0.75, 0.25],
    });
  return drafts;
}

/**
 * Attention sinks: a logit per head in the denominator (and the max). Moderate sinks per head, a
 * sink far above every score (40: the weights stay representable), rows that see no key (they must
 * stay 0 with a sink) and four heads with four sinks.
 */
function sinkCases(): CaseDraft[] {
  return [
    { name: 'sinks 0.5, −1 (2 heads) n=m=12', n: 12, m: 12, dk: 8, dv: 8, heads: 2, sinks: [0.5, -1] },
    { name: 'sink 40, far above the scores n=m=10', n: 10, m: 10, dk: 8, dv: 8, sinks: [40] },
    { name: 'sink 1.5, causal n=20 m=12 (rows 0–7 see no key)', n: 20, m: 12, dk: 8, dv: 8, causal: true, sinks: [1.5] },
    {
      name: 'sinks 2, −3, 0 (3 heads), fully masked row n=m=16',
      n: 16,
      m: 16,
      dk: 8,
      dv: 8,
      heads: 3,
      mask: 'fully-masked-row',
      sinks: [2, -3, 0],
    },
    { name: 'sinks 3, −2, 0.5, 1 (4 heads), causal n=9 m=14', n: 9, m: 14, dk: 8, dv: 8, heads: 4, causal: true, sinks: [3, -2, 0.5, 1] },
  ];
}

/**
 * Each feature alone, as the decoding and split cases set it: 4 heads on 2 K/V heads, a causal window
 * of 40 (the decoding rows' of 100: it hides the first splits), the paper's ALiBi slopes on 2 heads,
 * a softcap of 3 on scores of ±20, sinks 1.5 and −0.5 on 2 heads (5 and 2 in decoding rows).
 */
const FEATURE_ALONE: Readonly<Record<Exclude<FeatureName, 'rope'>, (decoding: boolean) => Partial<CaseDraft>>> = {
  kvHeads: () => ({ heads: 4, kvHeads: 2 }),
  window: (decoding) => ({ causal: true, window: decoding ? 100 : 40 }),
  alibi: () => ({ heads: 2, alibi: 'standard' }),
  softcap: () => ({ softcap: 3, magnitude: 20 }),
  // Against 600 keys a sink must be large to weigh: e^5 against the keys' sum of about 600·e^0.5.
  sinks: (decoding) => ({ heads: 2, sinks: decoding ? [5, 2] : [1.5, -0.5] }),
};
const FEATURE_LABEL: Readonly<Record<keyof typeof FEATURE_ALONE, (decoding: boolean) => string>> = {
  kvHeads: () => '4 heads on 2 K/V heads',
  window: (decoding) => `window ${decoding ? 100 : 40}, causal`,
  alibi: () => 'ALiBi, 2 heads',
  softcap: () => 'softcap 3, scores ±20',
  sinks: (decoding) => `sinks ${decoding ? '5, 2' : '1.5, −0.5'} (2 heads)`,
};
const aloneFeatures = (features: readonly FeatureName[]) =>
  (Object.keys(FEATURE_ALONE) as (keyof typeof FEATURE_ALONE)[]).filter((f) => features.includes(f));

/**
 * One query row against 150 keys (decoding with a cache), with every feature the suite covers, and
 * (with two or more) with each feature alone, so one feature's bug in the decoding shape shows by itself.
 */
function decodeCases(features: readonly FeatureName[]): CaseDraft[] {
  const has = (f: FeatureName) => features.includes(f);
  const c: CaseDraft = { name: '', n: 1, m: 150, dk: 16, dv: 16, heads: 4, causal: true };
  if (has('kvHeads')) c.kvHeads = 2;
  if (has('window')) c.window = 100;
  if (has('alibi')) c.alibi = 'standard';
  if (has('softcap')) c.softcap = 20;
  if (has('sinks')) c.sinks = [1, -1, 0.5, 2];
  const on = [
    c.kvHeads && `${c.kvHeads} K/V heads`,
    c.window && `window ${c.window}`,
    c.alibi && 'ALiBi',
    c.softcap && `softcap ${c.softcap}`,
    c.sinks && 'sinks',
  ].filter(Boolean);
  const all: CaseDraft = { ...c, name: `decode n=1 m=150, 4 heads, causal${on.length ? `, ${on.join(', ')}` : ''}` };
  const alone = aloneFeatures(features);
  if (alone.length < 2) return [all];
  return [
    all,
    ...alone.map((f): CaseDraft => ({
      name: `decode, ${FEATURE_LABEL[f]} alone: n=1 m=150 dk=dv=4`,
      n: 1,
      m: 150,
      dk: 4,
      dv: 4,
      ...FEATURE_ALONE[f](true),
    })),
  ];
}

/**
 * Split-KV: the keys split across workgroups (2, 3, 7, 9 and 13 splits of 64-key multiples), each writing a
 * partial softmax that the combine stage merges. Splits that see no key (past m, before a causal
 * row's first key or outside its window), a split boundary inside a key tile's reach, the sink
 * (counted in one split only), decoding rows (n ≤ 8, the fused kernel's decoding shape: 64 lanes ×
 * 4 keys a batch, here also with 576 keys a split, three batches a lane) and row blocks; a row that
 * sees no key and rows far below zero (the merge's max, its 0 for a row without keys); and each
 * declared feature alone in both shapes (20 rows against 150 keys, one row against 600).
 */
function keySplitCases(features: readonly FeatureName[]): CaseDraft[] {
  const has = (f: FeatureName) => features.includes(f);
  const cases: CaseDraft[] = [
    { name: 'key splits 2: n=20 m=150 dk=12 dv=10', n: 20, m: 150, dk: 12, dv: 10, keySplits: 2 },
    { name: 'key splits 3: n=5 m=200 causal, 2 heads (decoding shape)', n: 5, m: 200, dk: 8, dv: 12, heads: 2, causal: true, keySplits: 3 },
    { name: 'key splits 7: n=12 m=130, mask (4 splits see no key)', n: 12, m: 130, dk: 8, dv: 8, mask: 'random', keySplits: 7 },
    // Past 8 splits: the built-in combine reads them 8 at a time (a whole batch and a partial one).
    { name: 'key splits 9: n=20 m=570, mask (every split sees keys)', n: 20, m: 570, dk: 4, dv: 6, mask: 'random', keySplits: 9 },
    { name: 'key splits 13: n=4 m=800 causal (decoding rows)', n: 4, m: 800, dk: 4, dv: 4, causal: true, keySplits: 13 },
    { name: 'key splits 3: n=70 m=140 causal (early rows see one split)', n: 70, m: 140, dk: 8, dv: 8, causal: true, keySplits: 3 },
    { name: 'key splits 2: n=1 m=129, scores around ±1e3', n: 1, m: 129, dk: 8, dv: 8, magnitude: 1e3, keySplits: 2 },
    { name: 'key splits 3 in row blocks of 5: n=23 m=150 causal', n: 23, m: 150, dk: 8, dv: 8, causal: true, blockRows: 5, keySplits: 3 },
    {
      name: 'key splits 2, decoding rows past two batches a lane: n=2 m=1100 causal',
      n: 2,
      m: 1100,
      dk: 4,
      dv: 4,
      causal: true,
      keySplits: 2,
    },
    { name: 'key splits 2, fully masked row: n=16 m=150 (row 8)', n: 16, m: 150, dk: 4, dv: 4, mask: 'fully-masked-row', keySplits: 2 },
    {
      name: 'key splits 3, decoding rows, fully masked row: n=3 m=200 (row 1)',
      n: 3,
      m: 200,
      dk: 4,
      dv: 4,
      mask: 'fully-masked-row',
      keySplits: 3,
    },
    {
      name: 'key splits 2, all scores in −1e3…−5e2: n=12 m=150',
      n: 12,
      m: 150,
      dk: 4,
      dv: 4,
      distribution: 'very-negative',
      keySplits: 2,
    },
    {
      name: `key splits 3, decoding row, all scores in ${depthRange(DEEP_SCORES.endToEnd[0])}: n=1 m=200`,
      n: 1,
      m: 200,
      dk: 4,
      dv: 4,
      distribution: 'very-negative',
      depth: DEEP_SCORES.endToEnd[0],
      keySplits: 3,
    },
  ];
  for (const f of aloneFeatures(features)) {
    cases.push(
      {
        name: `key splits 2, ${FEATURE_LABEL[f](false)}: n=20 m=150`,
        n: 20,
        m: 150,
        dk: 4,
        dv: 4,
        ...FEATURE_ALONE[f](false),
        keySplits: 2,
      },
      // Two splits of 320 keys (two batches a lane); the window of 100 hides the first.
      {
        name: `key splits 2, ${FEATURE_LABEL[f](true)}, decoding row: n=1 m=600 causal`,
        n: 1,
        m: 600,
        dk: 4,
        dv: 4,
        causal: true,
        ...FEATURE_ALONE[f](true),
        keySplits: 2,
      },
    );
  }
  if (has('sinks')) {
    cases.push(
      {
        name: 'key splits 3 with sinks: n=9 m=150 causal',
        n: 9,
        m: 150,
        dk: 8,
        dv: 8,
        heads: 2,
        causal: true,
        sinks: [2, -1],
        keySplits: 3,
      },
      { name: 'key splits 7 with sinks: n=20 m=100 (5 splits see no key)', n: 20, m: 100, dk: 8, dv: 8, sinks: [0.5], keySplits: 7 },
    );
  }
  if (has('window'))
    cases.push({ name: 'key splits 4, window 40: n=30 m=250 causal', n: 30, m: 250, dk: 8, dv: 8, causal: true, window: 40, keySplits: 4 });
  if (has('kvHeads') && has('alibi'))
    cases.push({
      name: 'key splits 3, GQA 4 on 2, ALiBi: n=3 m=180',
      n: 3,
      m: 180,
      dk: 8,
      dv: 8,
      heads: 4,
      kvHeads: 2,
      alibi: 'standard',
      keySplits: 3,
    });
  return cases;
}

const rope = (layout: RopeLayout, fields: Partial<RopeOptions> = {}): RopeOptions => ({ ...DEFAULT_ROPE, layout, ...fields });

/**
 * The rope stage's own pairs: heads, n vs m, pair layout, offset, base, rotary fraction and (when
 * the kernel declares it) grouped K heads. dk = 12; a fraction rotates 6 of it.
 */
function ropePairCases(features: readonly FeatureName[]): CaseDraft[] {
  const gqa = features.includes('kvHeads');
  const rows = pairwise(
    {
      heads: [1, 2, 3],
      nm: ['n<m', 'n=m', 'n>m'],
      layout: ['half', 'interleaved'],
      offset: [0, 5, -3],
      base: [DEFAULT_ROPE.base, 500],
      dims: ['all', 'part'],
      ...(gqa ? { kvHeads: [false, true] } : {}),
    } as const,
    { allowed: (r) => !((r as Record<string, unknown>).kvHeads === true && r.heads === 1) },
  );
  const nm = { 'n<m': [11, 29], 'n=m': [19, 19], 'n>m': [29, 11] } as const;
  return rows.map((r, i) => {
    const [n, m] = nm[r.nm];
    const grouped = (r as Record<string, unknown>).kvHeads === true;
    const c: CaseDraft = {
      name: '',
      n,
      m,
      dk: 12,
      dv: 4,
      heads: r.heads,
      rope: rope(r.layout, { base: r.base, offset: r.offset, dims: r.dims === 'part' ? 6 : null }),
      tags: ['pairwise'],
      ...(grouped ? { kvHeads: 1 } : {}),
    };
    const options = [
      `${r.heads} head${r.heads > 1 ? 's' : ''}`,
      r.layout,
      r.offset !== 0 && `offset ${r.offset}`,
      r.base !== DEFAULT_ROPE.base && `base ${r.base}`,
      r.dims === 'part' && 'r=6',
      grouped && '1 K head',
    ].filter(Boolean);
    return { ...c, name: `pair ${i + 1}: ${shapeName(c)}, ${options.join(', ')}` };
  });
}

/**
 * RoPE: both pair layouts with position offsets (also negative and far from 0), another base,
 * rotary fractions (half the head, and all but one dimension of an odd head), n ≠ m (queries sit at
 * offset + i + m − n), row blocks (each block's causal_shift), grouped K heads and decode.
 */
function ropeCases(features: readonly FeatureName[]): CaseDraft[] {
  const drafts: CaseDraft[] = [
    { name: 'RoPE half, offset 7 n=9 m=14', n: 9, m: 14, dk: 16, dv: 4, rope: rope('half', { offset: 7 }) },
    { name: 'RoPE interleaved, offset 7 n=9 m=14', n: 9, m: 14, dk: 16, dv: 4, rope: rope('interleaved', { offset: 7 }) },
    { name: 'RoPE half, offset −3 n=14 m=9', n: 14, m: 9, dk: 8, dv: 4, rope: rope('half', { offset: -3 }) },
    { name: 'RoPE interleaved, offset 1000 n=m=8', n: 8, m: 8, dk: 8, dv: 4, rope: rope('interleaved', { offset: 1000 }) },
    { name: 'RoPE half, base 500 n=m=10 dk=12', n: 10, m: 10, dk: 12, dv: 4, rope: rope('half', { base: 500 }) },
    { name: 'RoPE interleaved, base 500 n=m=10 dk=12', n: 10, m: 10, dk: 12, dv: 4, rope: rope('interleaved', { base: 500 }) },
    { name: 'RoPE half, r=8 of dk=16 n=m=10', n: 10, m: 10, dk: 16, dv: 4, rope: rope('half', { dims: 8 }) },
    { name: 'RoPE interleaved, r=6 of dk=16 n=m=10', n: 10, m: 10, dk: 16, dv: 4, rope: rope('interleaved', { dims: 6 }) },
    { name: 'RoPE half, r=10 of dk=11 n=m=7', n: 7, m: 7, dk: 11, dv: 4, rope: rope('half', { dims: 10 }) },
    { name: 'RoPE half, row blocks of 7 n=23 m=40', n: 23, m: 40, dk: 8, dv: 4, blockRows: 7, rope: rope('half') },
    { name: 'RoPE interleaved, row blocks of 9 n=40 m=23', n: 40, m: 23, dk: 8, dv: 4, blockRows: 9, rope: rope('interleaved') },
    { name: 'RoPE half, decode n=1 m=150', n: 1, m: 150, dk: 8, dv: 4, rope: rope('half') },
  ];
  if (features.includes('kvHeads'))
    drafts.push(
      { name: 'RoPE half, 4 heads on 2 K heads n=9 m=14', n: 9, m: 14, dk: 8, dv: 4, heads: 4, kvHeads: 2, rope: rope('half') },
      {
        name: 'RoPE interleaved, 6 heads on 3 K heads, offset 5 n=m=7',
        n: 7,
        m: 7,
        dk: 6,
        dv: 4,
        heads: 6,
        kvHeads: 3,
        rope: rope('interleaved', { offset: 5 }),
      },
    );
  return drafts;
}

/** A generic case made a rope-stage case: RoPE on (layouts alternating), an even head or all but its last dimension rotated. */
function withRope(c: CaseDraft, index: number): CaseDraft {
  if (c.rope) return c;
  const layout: RopeLayout = index % 2 ? 'interleaved' : 'half';
  return { ...c, rope: rope(layout, { dims: c.dk % 2 ? c.dk - 1 : null }), name: `${c.name}, RoPE ${layout}` };
}

/**
 * A case of the dot suite with a learned score: dq alternates between dk + 3 and ⌈dk/2⌉ (dk with
 * RoPE, which rotates Q and K alike), the additive hidden width a among 18 (two chunks of 16), 5 and
 * dk + 2, so that neither equals dk and a head offset or weight index taken with the other width fails.
 */
function learned(c: CaseDraft, score: 'general' | 'additive', i: number): CaseDraft {
  const dq = c.rope ? c.dk : i % 2 === 0 ? c.dk + 3 : Math.max(1, Math.ceil(c.dk / 2));
  const scoreDim = score === 'additive' ? [18, 5, c.dk + 2][i % 3] : 0;
  return { ...c, score, dq, scoreDim };
}

/** The learned score's own cases: long dq and a (several chunks), two heads with dq ≠ dk, tanh's saturation. */
function learnedCases(score: 'general' | 'additive'): CaseDraft[] {
  const base = { score, scoreDim: score === 'additive' ? 7 : 0 };
  const drafts: CaseDraft[] = [
    { ...base, name: 'dq=33 dk=5: several chunks of dq', n: 9, m: 12, dk: 5, dv: 4, dq: 33 },
    { ...base, name: '2 heads, dq=3 dk=6, causal', n: 8, m: 11, dk: 6, dv: 3, dq: 3, heads: 2, causal: true },
    { ...base, name: 'square W: dq = dk = 8, mask', n: 7, m: 9, dk: 8, dv: 5, dq: 8, mask: 'random' },
  ];
  if (score === 'additive')
    drafts.push(
      { ...base, name: 'a=33: several chunks of hidden units', n: 6, m: 17, dk: 4, dv: 3, dq: 6, scoreDim: 33 },
      { ...base, name: 'tanh saturated (weights ×40)', n: 5, m: 7, dk: 3, dv: 2, dq: 5, weightScale: 40 },
      { ...base, name: 'tanh saturated, 2 heads, causal', n: 6, m: 6, dk: 4, dv: 2, dq: 2, heads: 2, causal: true, weightScale: 40 },
    );
  return drafts;
}

/** The suite for a kernel; every case is seeded and named after what it covers. */
export function verifyCases(options: SuiteOptions = {}): VerifyCase[] {
  const base = options.seed ?? 0;
  const tiles = options.tiles ?? defaultTiles(options.workgroupSize);
  const features = options.features ?? [];
  const has = (f: FeatureName) => features.includes(f);
  const seeds = [1, 2].map((extra): CaseDraft => ({
    name: `seed +${extra} n=m=21 dk=dv=10`,
    n: 21,
    m: 21,
    dk: 10,
    dv: 10,
    tags: ['seed'],
  }));
  let raw: CaseDraft[];
  if (options.stage === 'rope') {
    raw = [...edgeCases(tiles), ...blockCases(tiles), ...seeds, ...reachCases(features)].map(withRope);
    raw.push(...ropePairCases(features), ...ropeCases(features), ...(has('kvHeads') ? kvHeadCases().map(withRope) : []));
  } else {
    // Without features the option pairs are those of plain attention; with them, the features are more factors.
    raw = [
      ...edgeCases(tiles),
      ...pairCases(features),
      ...blockCases(tiles),
      ...distributionCases(options.stage === 'fused'),
      ...seeds,
      ...reachCases(features),
    ];
    if (features.length > 0) {
      if (has('kvHeads')) raw.push(...kvHeadCases());
      if (has('window')) raw.push(...windowCases());
      if (has('alibi')) raw.push(...alibiCases(features));
      if (has('softcap')) raw.push(...softcapCases(features));
      if (has('sinks')) raw.push(...sinkCases());
      raw.push(...decodeCases(features));
    }
    if (options.keySplits) raw.push(...keySplitCases(features));
    const score = options.score ?? 'dot';
    if (score !== 'dot') raw = [...raw.map((c, i) => learned(c, score, i)), ...learnedCases(score)];
    if (options.elementwise)
      raw = raw.flatMap((c) => [
        { ...c, activation: 'relu' as const, name: `${c.name}, ReLU` },
        { ...c, activation: 'gelu' as const, name: `${c.name}, GELU` },
      ]);
  }
  return raw.map((c, i) => finish(c, base + 1000 * (i + 1), tiles));
}

/** Why a case cannot run (its options do not fit its sizes, or the stage needs an option it lacks); null when it can. */
export function caseProblem(c: VerifyCase, stage?: string): string | null {
  if (c.kvHeads !== undefined && !(Number.isInteger(c.kvHeads) && c.kvHeads >= 1 && c.heads % c.kvHeads === 0))
    return `${c.kvHeads} K/V heads do not divide ${c.heads} heads`;
  if (c.rope) {
    const r = ropeDims(c.rope, c.dk);
    if (!(r >= 2 && r % 2 === 0 && r <= c.dk)) return `RoPE cannot rotate ${r} of dk = ${c.dk} dimensions`;
  } else if (stage === 'rope') return 'the rope stage needs RoPE on';
  if (c.window !== undefined && !(Number.isInteger(c.window) && c.window >= 1)) return `window ${c.window} is not a whole number ≥ 1`;
  if (c.rope && c.score !== undefined && (c.dq ?? c.dk) !== c.dk) return `RoPE needs dq = dk, got dq = ${c.dq} and dk = ${c.dk}`;
  if (c.score === 'additive' && !((c.scoreDim ?? 0) >= 1)) return 'the additive score needs a hidden width a ≥ 1';
  return null;
}

/** The sizes and options a case's report row shows. */
export function caseShape(c: VerifyCase): string {
  return shapeName(c);
}

/** `values` repeated (or cut) to one per head. */
const perHead = (values: readonly number[], heads: number) => Array.from({ length: heads }, (_, t) => values[t % values.length]);

/** The attention options of a case's features, those it sets only. */
function featureOptions(c: VerifyCase): Partial<AttentionOptions> {
  const options: Partial<AttentionOptions> = {};
  if (c.kvHeads !== undefined) options.kvHeads = c.kvHeads;
  if (c.rope !== undefined) options.rope = { ...c.rope };
  if (c.window !== undefined) options.window = c.window;
  if (c.alibi !== undefined) options.alibi = c.alibi === 'standard' ? 'standard' : perHead(c.alibi, c.heads);
  if (c.softcap !== undefined) options.softcap = c.softcap;
  if (c.sinks !== undefined) options.sinks = perHead(c.sinks, c.heads);
  if (c.score !== undefined) options.score = c.score;
  if (c.activation !== undefined) options.activation = c.activation;
  return options;
}

/** Seeded weights of a case's learned score (shared by every head), N(0, weightScale²). */
function caseScoring(c: VerifyCase): ScoringWeights | null {
  const dq = c.dq ?? c.dk,
    spread = c.weightScale ?? 1;
  if (c.score === 'general') return { kind: 'general', w: randomMatrix(dq, c.dk, c.seed + 6, spread) };
  if (c.score !== 'additive') return null;
  const a = c.scoreDim ?? 1;
  return {
    kind: 'additive',
    wq: randomMatrix(a, dq, c.seed + 6, spread),
    wk: randomMatrix(a, c.dk, c.seed + 7, spread),
    v: randomMatrix(1, a, c.seed + 8),
  };
}

/** Seeded inputs for a case: N(0, σ²) entries shaped so the scaled scores follow the case's distribution. */
export function caseInputs(c: VerifyCase): CaseInputs {
  // With the default scale 1/√dk, s = q·k/√dk has spread σ²; so σ = √magnitude.
  const sigma = c.magnitude ? Math.sqrt(c.magnitude) : c.distribution === 'tiny' ? 1e-15 : 1;
  const kvHeads = c.kvHeads ?? c.heads;
  const q = randomMatrix(c.n, c.heads * (c.dq ?? c.dk), c.seed, sigma);
  const k = randomMatrix(c.m, kvHeads * c.dk, c.seed + 1, sigma);
  const v = randomMatrix(c.m, kvHeads * c.dv, c.seed + 2);
  const wo = c.dModel !== undefined ? randomMatrix(c.heads * c.dv, c.dModel, c.seed + 5) : null;
  // The shaping assumes dot scores of Q and K of one width; equal key rows give equal scores under any score function.
  if (c.score === undefined || c.distribution === 'equal') shapeScores(c, q.data, k.data);
  let mask = null;
  if (c.mask !== 'none') {
    const rng = createRng(c.seed + 3);
    mask = matrix(c.n, c.m);
    if (c.mask === 'one-visible') {
      for (let i = 0; i < c.n; i++) mask.data[i * c.m + Math.floor(rng.next() * c.m)] = 1;
    } else {
      for (let i = 0; i < mask.data.length; i++) mask.data[i] = rng.next() < 0.7 ? 1 : 0;
    }
    if (c.mask === 'fully-masked-row') {
      const row = Math.floor(c.n / 2);
      mask.data.fill(0, row * c.m, (row + 1) * c.m);
    }
  }
  return {
    inputs: { q, k, v, mask, wo, scoring: caseScoring(c) },
    options: { causal: c.causal, heads: c.heads, scale: c.scale, temperature: c.temperature, ...featureOptions(c) },
  };
}

/** Reshapes Q and K in place so the scores follow the case's distribution (the default scale 1/√dk assumed). */
function shapeScores(c: VerifyCase, q: Float32Array | Float64Array, k: Float32Array | Float64Array): void {
  const kvHeads = c.kvHeads ?? c.heads;
  const qWidth = c.heads * c.dk,
    kWidth = kvHeads * c.dk;
  const rng = createRng(c.seed + 4);
  switch (c.distribution) {
    case 'very-negative': {
      // Column 0 of every head carries a row offset b_i in −depth·(0.55…0.95): k = 1 there, q = b_i·√dk
      // (exact for dk a power of 4), the other columns add a few units of spread. Where float32 cannot
      // hold that spread next to the depth, keys differ instead: k = 1, 1.125 or 1.25 in column 0.
      const depth = c.depth ?? 1e3;
      const root = Math.sqrt(c.dk);
      const absorbed = depth * UNIT_ROUNDOFF > 1;
      for (let j = 0; j < c.m; j++) {
        const k0 = absorbed ? 1 + 0.125 * Math.floor(3 * rng.next()) : 1;
        for (let g = 0; g < kvHeads; g++) k[j * kWidth + g * c.dk] = k0;
      }
      for (let i = 0; i < c.n; i++) {
        const offset = -Math.round(depth * 0.55 + depth * 0.4 * rng.next());
        for (let t = 0; t < c.heads; t++) q[i * qWidth + t * c.dk] = offset * root;
      }
      break;
    }
    case 'equal':
      // Every key row the same: each query row's scores are all equal.
      for (let j = 1; j < c.m; j++) k.copyWithin(j * kWidth, 0, kWidth);
      break;
    case 'mixed-heads': {
      // Head t's scores scaled by spread_t² (Q and K of the head each by spread_t; K/V heads by the first head they serve).
      const spread = [0.1, 1, Math.sqrt(30)];
      const group = c.heads / kvHeads;
      for (let t = 0; t < c.heads; t++) {
        const s = spread[t % spread.length];
        for (let i = 0; i < c.n; i++) for (let d = 0; d < c.dk; d++) q[i * qWidth + t * c.dk + d] *= s;
      }
      for (let g = 0; g < kvHeads; g++) {
        const s = spread[(g * group) % spread.length];
        for (let j = 0; j < c.m; j++) for (let d = 0; d < c.dk; d++) k[j * kWidth + g * c.dk + d] *= s;
      }
      break;
    }
    default:
  }
}

/** Which query rows see no key at all (their reference probabilities and outputs are all zero). */
export function fullyMaskedRows(c: VerifyCase, inputs: AttentionInputs): boolean[] {
  const mask = inputs.mask ? Uint8Array.from(inputs.mask.data, (x) => (x !== 0 ? 1 : 0)) : null;
  const rule = { causal: c.causal, window: c.window ?? null, mask, m: c.m, shift: causalShift(c.n, c.m) };
  return Array.from({ length: c.n }, (_, i) => {
    for (let j = 0; j < c.m; j++) if (isVisible(i, j, rule)) return false;
    return true;
  });
}
