/**
 * The verification suite: small seeded attention problems, each aimed at one usual bug class.
 *
 * Sizes are built around the tiles a kernel is likely to use: the built-in tile (16) and the
 * kernel's own @workgroup_size. Each case carries tags saying what it exercises, so the diagnosis
 * (hints.ts) can read a pattern across cases, e.g. "only the cases that are not a multiple of the
 * tile fail". Sizes stay small: the suite runs twice per case on a CPU emulator too.
 */
import type { AttentionInputs, AttentionShape } from '../shapes';
import type { AttentionOptions, ScaleSetting } from '../options';
import { causalShift, isVisible } from '../options';
import { createRng, randomMatrix } from '../rng';
import { matrix } from '../tensor';

/** The tile every built-in tiled kernel uses. */
const BUILT_IN_TILE = 16;

export type CaseTag =
  /** Part of the tile-edge family (sizes 1, T−1, T, T+1, larger). */
  | 'tile-edge'
  /** Every size of the case is a multiple of the tile it targets. */
  | 'aligned'
  | 'cross' // n ≠ m
  | 'widths' // dk ≠ dv
  | 'heads' // more than one head
  | 'causal'
  | 'mask' // an explicit mask
  | 'masked-row' // at least one query row sees no key at all
  | 'large-scores' // scores around ±1e3
  | 'seed' // an ordinary case repeated with other seeds
  | 'scale'; // a custom scale and temperature

export interface VerifyCase extends Omit<AttentionShape, 'dModel'> {
  name: string;
  causal: boolean;
  mask: 'none' | 'random' | 'fully-masked-row';
  /** Scores spread over about ±magnitude (after scaling); ordinary cases leave it out. */
  magnitude?: number;
  scale: ScaleSetting;
  temperature: number;
  seed: number;
  tags: CaseTag[];
}

export interface CaseInputs {
  inputs: AttentionInputs;
  options: Partial<AttentionOptions>;
}

export interface SuiteOptions {
  /** The kernel's @workgroup_size; its x and y give extra tile sizes to test around. */
  workgroupSize?: readonly number[];
  /** Offsets every case's seed, to draw other random inputs with the same shapes. */
  seed?: number;
}

const MAX_TILE = 256;
const SMALL_TILE = 64;

/** Tile sizes to probe: the built-in tile plus the kernel's workgroup x and y (2…256). */
export function tileSizes(workgroupSize?: readonly number[]): number[] {
  const tiles = new Set([BUILT_IN_TILE]);
  for (const size of workgroupSize?.slice(0, 2) ?? []) if (size >= 2 && size <= MAX_TILE) tiles.add(size);
  return [...tiles].sort((a, b) => a - b);
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
const lcm = (a: number, b: number) => (a / gcd(a, b)) * b;

interface CaseDraft extends Omit<VerifyCase, 'heads' | 'causal' | 'mask' | 'scale' | 'temperature' | 'tags' | 'seed'> {
  heads?: number;
  causal?: boolean;
  mask?: VerifyCase['mask'];
  scale?: ScaleSetting;
  temperature?: number;
  tags?: CaseTag[];
}

/** Fills defaults and derives the shape tags (cross, widths, heads, causal, mask, masked-row). */
function finish(c: CaseDraft, seed: number): VerifyCase {
  const full: VerifyCase = {
    heads: 1,
    causal: false,
    mask: 'none',
    scale: 'default',
    temperature: 1,
    tags: [],
    seed,
    ...c,
  };
  const tags = new Set(full.tags);
  if (full.n !== full.m) tags.add('cross');
  if (full.dk !== full.dv) tags.add('widths');
  if (full.heads > 1) tags.add('heads');
  if (full.causal) tags.add('causal');
  if (full.mask !== 'none') tags.add('mask');
  if (full.mask === 'fully-masked-row' || (full.causal && full.n > full.m)) tags.add('masked-row');
  if (full.magnitude) tags.add('large-scores');
  if (full.scale !== 'default' || full.temperature !== 1) tags.add('scale');
  return { ...full, tags: [...tags] };
}

function edgeCase(s: number, tile: number, name: string): CaseDraft {
  const tags: CaseTag[] = ['tile-edge'];
  if (s % tile === 0) tags.push('aligned');
  // Up to 64 every dimension sits at the edge; past it only the key count does, to stay small.
  if (tile <= SMALL_TILE) return { name, n: s, m: s, dk: s, dv: s, tags };
  return { name, n: BUILT_IN_TILE, m: s, dk: BUILT_IN_TILE, dv: BUILT_IN_TILE, tags };
}

/** The suite for a kernel with this workgroup size; every case is seeded and named after what it covers. */
export function verifyCases(options: SuiteOptions = {}): VerifyCase[] {
  const base = options.seed ?? 0;
  const tiles = tileSizes(options.workgroupSize);
  const raw: CaseDraft[] = [{ name: 'size 1 (n=m=dk=dv=1)', n: 1, m: 1, dk: 1, dv: 1, tags: ['tile-edge'] }];
  for (const tile of tiles) {
    for (const s of [tile - 1, tile, tile + 1]) {
      const c = edgeCase(s, tile, '');
      c.name = `tile ${tile}: ${s === tile ? 'size' : s < tile ? 'size−1' : 'size+1'} n=${c.n} m=${c.m} dk=${c.dk} dv=${c.dv}`;
      raw.push(c);
    }
  }
  const small = tiles.filter((t) => t <= SMALL_TILE).reduce(lcm, 1);
  if (small <= SMALL_TILE) {
    const size = small * Math.max(2, Math.ceil(48 / small)); // past every tile, several tiles long
    raw.push({
      name: `larger, tile multiple n=m=${size} dk=dv=${small}`,
      n: size,
      m: size,
      dk: small,
      dv: small,
      tags: ['tile-edge', 'aligned'],
    });
  }
  raw.push(
    { name: 'larger, not a tile multiple n=m=53 dk=dv=21', n: 53, m: 53, dk: 21, dv: 21, tags: ['tile-edge'] },
    { name: 'n < m (n=5 m=37)', n: 5, m: 37, dk: 8, dv: 8 },
    { name: 'n > m (n=37 m=5)', n: 37, m: 5, dk: 8, dv: 8 },
    { name: 'dk ≠ dv (dk=24 dv=9)', n: 20, m: 20, dk: 24, dv: 9 },
    { name: '2 heads n=m=18 dk=dv=8', n: 18, m: 18, dk: 8, dv: 8, heads: 2 },
    { name: 'causal n=m=33', n: 33, m: 33, dk: 8, dv: 8, causal: true },
    { name: 'causal n=7 m=40 (last query sees every key)', n: 7, m: 40, dk: 8, dv: 8, causal: true },
    { name: 'random mask n=20 m=35', n: 20, m: 35, dk: 8, dv: 8, mask: 'random' },
    { name: 'fully masked row n=m=16 (row 8)', n: 16, m: 16, dk: 8, dv: 8, mask: 'fully-masked-row' },
    { name: 'causal n=20 m=12 (rows 0–7 see no key)', n: 20, m: 12, dk: 8, dv: 8, causal: true },
    { name: 'scores around ±1e3 n=m=24', n: 24, m: 24, dk: 8, dv: 8, magnitude: 1e3 },
    { name: 'scores around ±1e3 n=9 m=40 causal', n: 9, m: 40, dk: 8, dv: 8, magnitude: 1e3, causal: true },
    { name: 'scale 0.5, temperature 2.5 n=m=12', n: 12, m: 12, dk: 8, dv: 8, scale: 0.5, temperature: 2.5 },
  );
  for (const extra of [1, 2, 3]) {
    raw.push({ name: `seed +${extra} n=m=21 dk=dv=10`, n: 21, m: 21, dk: 10, dv: 10, tags: ['seed'] });
  }
  return raw.map((c, i) => finish(c, base + 1000 * (i + 1)));
}

/** Seeded inputs for a case: N(0, σ²) entries, σ chosen so scaled scores spread about ±magnitude. */
export function caseInputs(c: VerifyCase): CaseInputs {
  // With the default scale 1/√dk, s = q·k/√dk has spread σ²; so σ = √magnitude.
  const sigma = c.magnitude ? Math.sqrt(c.magnitude) : 1;
  const q = randomMatrix(c.n, c.heads * c.dk, c.seed, sigma);
  const k = randomMatrix(c.m, c.heads * c.dk, c.seed + 1, sigma);
  const v = randomMatrix(c.m, c.heads * c.dv, c.seed + 2);
  let mask = null;
  if (c.mask !== 'none') {
    const rng = createRng(c.seed + 3);
    mask = matrix(c.n, c.m);
    for (let i = 0; i < mask.data.length; i++) mask.data[i] = rng.next() < 0.7 ? 1 : 0;
    if (c.mask === 'fully-masked-row') {
      const row = Math.floor(c.n / 2);
      mask.data.fill(0, row * c.m, (row + 1) * c.m);
    }
  }
  return {
    inputs: { q, k, v, mask },
    options: { causal: c.causal, heads: c.heads, scale: c.scale, temperature: c.temperature },
  };
}

/** Which query rows see no key at all (their reference probabilities and outputs are all zero). */
export function fullyMaskedRows(c: VerifyCase, inputs: AttentionInputs): boolean[] {
  const shift = causalShift(c.n, c.m);
  const mask = inputs.mask ? Uint8Array.from(inputs.mask.data, (x) => (x !== 0 ? 1 : 0)) : null;
  return Array.from({ length: c.n }, (_, i) => {
    for (let j = 0; j < c.m; j++) if (isVisible(i, j, shift, c.causal, mask, c.m)) return false;
    return true;
  });
}
