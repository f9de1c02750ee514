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
 *   underflows), all equal, all masked but one, ±1e3, tiny (1e-30), and heads of mixed scales.
 *
 * Each case carries tags saying what it exercises, so the diagnosis (hints.ts) can read a pattern
 * across cases ("only cases with two or more workgroups along an axis fail").
 */
import type { AttentionInputs, AttentionShape } from '../shapes';
import type { AttentionOptions, ScaleSetting } from '../options';
import { causalShift, isVisible, resolveScale } from '../options';
import { createRng, randomMatrix } from '../rng';
import { matrix } from '../tensor';
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
  | 'very-negative' // every row's scores lie far below zero
  | 'equal-scores'
  | 'one-visible' // every row sees exactly one key
  | 'tiny-scores'
  | 'mixed-heads'; // heads whose scores have very different scales

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
  /** Query rows per block (the engine's maxBlockRows); absent: the engine's own choice. */
  blockRows?: number;
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
function tiling(c: Pick<VerifyCase, 'n' | 'm' | 'dv' | 'dModel' | 'blockRows'>, tiles: KernelTiles) {
  const axes: [number, number | undefined][] = [
    [Math.min(c.n, c.blockRows ?? c.n), tiles.rows],
    [c.m, tiles.keys],
    [c.dv, tiles.dv],
    [c.dModel ?? 1, tiles.dModel],
  ];
  const tiled = axes.filter((a): a is [number, number] => a[1] !== undefined && a[1] > 1);
  return {
    multi: tiled.some(([size, tile]) => size > tile),
    aligned: tiled.every(([size, tile]) => size % tile === 0),
  };
}

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
  if (full.mask === 'fully-masked-row' || (full.causal && full.n > full.m)) tags.add('masked-row');
  if (full.magnitude) tags.add('large-scores');
  if (full.scale !== 'default' || full.temperature !== 1) tags.add('scale');
  if (full.temperature !== 1) tags.add('temperature');
  if (Math.abs(resolveScale(full.scale, full.dk) / full.temperature - 1) > 1e-9) tags.add('scaled');
  if (full.blockRows !== undefined && full.blockRows < full.n) tags.add('row-blocks');
  if (tiles.inner.some((d) => innerSize(full, d) > BUILT_IN_TILE)) tags.add('inner');
  const byDistribution: Partial<Record<Distribution, CaseTag>> = {
    'very-negative': 'very-negative',
    equal: 'equal-scores',
    'one-visible': 'one-visible',
    tiny: 'tiny-scores',
    'mixed-heads': 'mixed-heads',
  };
  const tag = byDistribution[full.distribution ?? 'normal'];
  if (tag) tags.add(tag);
  return { ...full, tags: [...tags] };
}

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
  const drafts: CaseDraft[] = [
    { name: `size 1 (n=m=dk=dv${projected ? '=d_model' : ''}=1)`, n: 1, m: 1, dk: 1, dv: 1, ...one, tags: ['tile-edge'] },
  ];
  const axes: ['n' | 'm' | 'dv' | 'dModel', number | undefined, string][] = [
    ['n', tiles.rows, 'rows'],
    ['m', tiles.keys ?? tiles.lanes, tiles.keys ? 'keys' : 'lanes'],
    ['dv', tiles.dv, 'value columns'],
    ['dModel', tiles.dModel, 'output columns'],
  ];
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
      for (const [other, otherTile] of axes) if (otherTile && otherTile > 1 && otherTile <= 64) c[other] = otherTile;
      c[field] = size;
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

/** Every pair of option values in some case: heads, n vs m, dk vs dv, causal, mask, scale, temperature. */
function pairCases(): CaseDraft[] {
  const rows = pairwise({
    heads: [1, 2, 3],
    nm: ['n<m', 'n=m', 'n>m'],
    widths: ['dk<dv', 'dk=dv', 'dk>dv'],
    causal: [false, true],
    mask: [false, true],
    scale: ['default', 0.3, 'none'],
    temperature: [1, 2.5],
  } as const);
  const nm = { 'n<m': [11, 29], 'n=m': [19, 19], 'n>m': [29, 11] } as const;
  const widths = { 'dk<dv': [12, 20], 'dk=dv': [20, 20], 'dk>dv': [20, 12] } as const;
  return rows.map((r, i) => {
    const [n, m] = nm[r.nm];
    const [dk, dv] = widths[r.widths];
    const options = [
      `${r.heads} head${r.heads > 1 ? 's' : ''}`,
      r.causal && 'causal',
      r.mask && 'mask',
      r.scale !== 'default' && `scale ${r.scale}`,
      r.temperature !== 1 && `temperature ${r.temperature}`,
    ].filter(Boolean);
    return {
      name: `pair ${i + 1}: ${shapeName({ n, m, dk, dv })}, ${options.join(', ')}`,
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
    } satisfies CaseDraft;
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

/** Rows with particular score distributions. */
function distributionCases(): CaseDraft[] {
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

/** The suite for a kernel; every case is seeded and named after what it covers. */
export function verifyCases(options: SuiteOptions = {}): VerifyCase[] {
  const base = options.seed ?? 0;
  const tiles = options.tiles ?? defaultTiles(options.workgroupSize);
  const raw: CaseDraft[] = [
    ...edgeCases(tiles),
    ...pairCases(),
    ...blockCases(tiles),
    ...distributionCases(),
    ...[1, 2].map((extra): CaseDraft => ({ name: `seed +${extra} n=m=21 dk=dv=10`, n: 21, m: 21, dk: 10, dv: 10, tags: ['seed'] })),
  ];
  return raw.map((c, i) => finish(c, base + 1000 * (i + 1), tiles));
}

/** The sizes and options a case's report row shows. */
export function caseShape(c: VerifyCase): string {
  return shapeName(c);
}

/** Seeded inputs for a case: N(0, σ²) entries shaped so the scaled scores follow the case's distribution. */
export function caseInputs(c: VerifyCase): CaseInputs {
  // With the default scale 1/√dk, s = q·k/√dk has spread σ²; so σ = √magnitude.
  const sigma = c.magnitude ? Math.sqrt(c.magnitude) : c.distribution === 'tiny' ? 1e-15 : 1;
  const q = randomMatrix(c.n, c.heads * c.dk, c.seed, sigma);
  const k = randomMatrix(c.m, c.heads * c.dk, c.seed + 1, sigma);
  const v = randomMatrix(c.m, c.heads * c.dv, c.seed + 2);
  const wo = c.dModel !== undefined ? randomMatrix(c.heads * c.dv, c.dModel, c.seed + 5) : null;
  shapeScores(c, q.data, k.data);
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
    inputs: { q, k, v, mask, wo },
    options: { causal: c.causal, heads: c.heads, scale: c.scale, temperature: c.temperature },
  };
}

/** Reshapes Q and K in place so the scores follow the case's distribution (the default scale 1/√dk assumed). */
function shapeScores(c: VerifyCase, q: Float32Array | Float64Array, k: Float32Array | Float64Array): void {
  const width = c.heads * c.dk;
  const rng = createRng(c.seed + 4);
  switch (c.distribution) {
    case 'very-negative': {
      // Column 0 of every head carries a row offset b_i in −950…−550: k = 1 there, q = b_i·√dk (exact
      // for dk a power of 4), the other columns add a few units of spread.
      const root = Math.sqrt(c.dk);
      for (let j = 0; j < c.m; j++) for (let t = 0; t < c.heads; t++) k[j * width + t * c.dk] = 1;
      for (let i = 0; i < c.n; i++) {
        const offset = -Math.round(550 + 400 * rng.next());
        for (let t = 0; t < c.heads; t++) q[i * width + t * c.dk] = offset * root;
      }
      break;
    }
    case 'equal':
      // Every key row the same: each query row's scores are all equal.
      for (let j = 1; j < c.m; j++) k.copyWithin(j * width, 0, width);
      break;
    case 'mixed-heads': {
      const spread = [0.1, 1, Math.sqrt(30)];
      for (let t = 0; t < c.heads; t++) {
        const s = spread[t % spread.length];
        for (let i = 0; i < c.n; i++) for (let d = 0; d < c.dk; d++) q[i * width + t * c.dk + d] *= s;
        for (let j = 0; j < c.m; j++) for (let d = 0; d < c.dk; d++) k[j * width + t * c.dk + d] *= s;
      }
      break;
    }
    default:
  }
}

/** Which query rows see no key at all (their reference probabilities and outputs are all zero). */
export function fullyMaskedRows(c: VerifyCase, inputs: AttentionInputs): boolean[] {
  const mask = inputs.mask ? Uint8Array.from(inputs.mask.data, (x) => (x !== 0 ? 1 : 0)) : null;
  const rule = { causal: c.causal, window: null, mask, m: c.m, shift: causalShift(c.n, c.m) };
  return Array.from({ length: c.n }, (_, i) => {
    for (let j = 0; j < c.m; j++) if (isVisible(i, j, rule)) return false;
    return true;
  });
}
