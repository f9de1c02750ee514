/** Seeded random numbers, so every "random" input can be reproduced from the seed it printed. */
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { matrix, type Matrix } from './tensor';

export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1), 53 random bits. */
  next(): number;
  /** Standard normal, N(0, 1). */
  normal(): number;
}

/** A stateful generator; the same seed always yields the same sequence. */
export function createRng(seed: number): Rng {
  // pure-rand takes a 32-bit integer seed; reduce any number to one so fractional seeds still work.
  const generator = xoroshiro128plus(seed | 0);
  const next = (): number => uniformFloat64(generator);
  return { seed, next, normal: () => boxMuller(next) };
}

/** Box–Muller; 1 − u keeps the logarithm's argument in (0, 1], never log(0). */
function boxMuller(uniform: () => number): number {
  const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
  return radius * Math.cos(2 * Math.PI * uniform());
}

/** A rows×cols matrix of N(0, scale²) entries. */
export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): Matrix {
  const rng = createRng(seed);
  const m = matrix(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = scale * rng.normal();
  return m;
}

/** FNV-1a over UTF-16 code units: a stable 32-bit seed for a string (e.g. an unknown word). */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}
