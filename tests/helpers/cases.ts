/** Seeded attention problems for GPU-vs-reference tests, each with a name that says what it covers. */
import { randomMatrix, createRng } from '../../src/core/rng';
import type { Matrix } from '../../src/core/tensor';
import { matrix } from '../../src/core/tensor';
import type { AttentionInputs } from '../../src/core/shapes';
import type { AttentionOptions } from '../../src/core/options';

export interface AttentionCase {
  name: string;
  n: number;
  m: number;
  dk: number;
  dv: number;
  heads?: number;
  causal?: boolean;
  mask?: 'random' | 'fully-masked-row';
  /** Keys hidden from every query (padding tokens), folded into the mask. */
  padding?: number[];
  /** Columns of a random W_o ((h·dv)×dModel); no output projection when absent. */
  dModel?: number;
  /** Multiplies Q and K so scores reach about ±magnitude. */
  magnitude?: number;
  scale?: AttentionOptions['scale'];
  temperature?: number;
  seed: number;
}

export interface BuiltCase {
  inputs: AttentionInputs;
  options: Partial<AttentionOptions>;
  /** The explicit n×m mask before padding was folded in (null when the case has none). */
  explicitMask: Matrix | null;
}

export function buildCase(c: AttentionCase): BuiltCase {
  const heads = c.heads ?? 1;
  // Scores of q·k with N(0, σ²) entries have spread σ²·√dk; pick σ so the spread is ≈ magnitude.
  const sigma = c.magnitude ? Math.sqrt(c.magnitude / Math.sqrt(c.dk)) : 1;
  const q = randomMatrix(c.n, heads * c.dk, c.seed, sigma);
  const k = randomMatrix(c.m, heads * c.dk, c.seed + 1, sigma);
  const v = randomMatrix(c.m, heads * c.dv, c.seed + 2);
  let explicitMask: Matrix | null = null;
  if (c.mask) {
    const rng = createRng(c.seed + 3);
    explicitMask = matrix(c.n, c.m);
    for (let i = 0; i < explicitMask.data.length; i++) explicitMask.data[i] = rng.next() < 0.7 ? 1 : 0;
    if (c.mask === 'fully-masked-row') explicitMask.data.fill(0, Math.floor(c.n / 2) * c.m, (Math.floor(c.n / 2) + 1) * c.m);
  }
  let mask = explicitMask;
  if (c.padding?.length) {
    mask = matrix(c.n, c.m, explicitMask?.data ?? new Float32Array(c.n * c.m).fill(1));
    for (let i = 0; i < c.n; i++) for (const j of c.padding) mask.data[i * c.m + j] = 0;
  }
  const wo = c.dModel ? randomMatrix(heads * c.dv, c.dModel, c.seed + 4) : null;
  return {
    inputs: { q, k, v, mask, wo },
    options: { causal: c.causal ?? false, heads, scale: c.scale ?? (c.magnitude ? 'none' : 'default'), temperature: c.temperature ?? 1 },
    explicitMask,
  };
}

const SIZES = [1, 3, 16, 17, 63, 64, 65, 130];
const WIDTHS = [1, 4, 7, 64];

/** The suite: square shapes with varied widths, cross shapes, masks, large scores, options. */
export function attentionCases(): AttentionCase[] {
  const cases: AttentionCase[] = [];
  SIZES.forEach((size, i) => {
    const dk = WIDTHS[i % 4],
      dv = WIDTHS[(i + 1) % 4];
    for (const causal of [false, true]) {
      cases.push({ name: `self n=m=${size} dk=${dk} dv=${dv}${causal ? ' causal' : ''}`, n: size, m: size, dk, dv, causal, seed: 100 + i });
    }
  });
  const cross: [number, number, number, number][] = [
    [1, 130, 64, 7],
    [130, 1, 4, 64],
    [3, 65, 7, 1],
    [17, 64, 64, 4],
    [63, 16, 1, 7],
    [65, 3, 4, 4],
  ];
  cross.forEach(([n, m, dk, dv], i) => {
    cases.push({ name: `cross n=${n} m=${m} dk=${dk} dv=${dv}`, n, m, dk, dv, seed: 200 + i });
    cases.push({
      name: `cross n=${n} m=${m} dk=${dk} dv=${dv} causal (last query aligned with last key)`,
      n,
      m,
      dk,
      dv,
      causal: true,
      seed: 210 + i,
    });
  });
  cases.push(
    { name: 'random mask n=17 m=63', n: 17, m: 63, dk: 7, dv: 4, mask: 'random', seed: 300 },
    { name: 'fully masked row n=m=16', n: 16, m: 16, dk: 4, dv: 4, mask: 'fully-masked-row', seed: 301 },
    { name: 'fully masked row + causal n=65 m=130', n: 65, m: 130, dk: 64, dv: 7, mask: 'fully-masked-row', causal: true, seed: 302 },
    { name: 'scores around ±1e3 n=m=64 dk=4', n: 64, m: 64, dk: 4, dv: 4, magnitude: 1e3, seed: 400 },
    { name: 'scores around ±1e3 n=17 m=130 dk=64', n: 17, m: 130, dk: 64, dv: 7, magnitude: 1e3, seed: 401 },
    { name: 'custom scale 0.5, temperature 2.5', n: 16, m: 17, dk: 7, dv: 4, scale: 0.5, temperature: 2.5, seed: 500 },
    { name: 'no scaling, temperature 0.25', n: 17, m: 16, dk: 4, dv: 7, scale: 'none', temperature: 0.25, seed: 501 },
  );
  return cases;
}
