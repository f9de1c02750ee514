/**
 * A tiny deterministic pairwise (2-way covering array) generator: every pair of values of any two
 * factors appears in at least one row. Greedy over the full product (fine for the verifier's few
 * small factors: some ten thousand combinations at most), first best row wins, so the same factors
 * always give the same rows. An optional constraint leaves out combinations that cannot be run
 * (grouped K/V heads with one query head); pairs only such combinations hold are not required.
 */

export type Factors = Record<string, readonly unknown[]>;
export type Row<F extends Factors> = { [K in keyof F]: F[K][number] };

export interface PairwiseOptions<F extends Factors> {
  /** Whether a combination may be a row; default every one. */
  allowed?: (row: Row<F>) => boolean;
}

export function pairwise<F extends Factors>(factors: F, options: PairwiseOptions<F> = {}): Row<F>[] {
  const names = Object.keys(factors);
  const sizes = names.map((n) => factors[n].length);
  const toRow = (indices: readonly number[]) => Object.fromEntries(names.map((n, i) => [n, factors[n][indices[i]]])) as Row<F>;
  // Pair (a, va, b, vb), a < b, as one index into a flat table: a block per factor pair.
  const offsets: number[][] = names.map(() => []);
  let pairCount = 0;
  for (let a = 0; a < names.length; a++)
    for (let b = a + 1; b < names.length; b++) {
      offsets[a][b] = pairCount;
      pairCount += sizes[a] * sizes[b];
    }
  const pairIndex = (a: number, va: number, b: number, vb: number) => offsets[a][b] + va * sizes[b] + vb;
  // Every allowed combination, as index vectors, in lexicographic order.
  let all: number[][] = [[]];
  for (const size of sizes) {
    const next: number[][] = [];
    for (const prefix of all) for (let v = 0; v < size; v++) next.push([...prefix, v]);
    all = next;
  }
  if (options.allowed) all = all.filter((row) => options.allowed!(toRow(row)));
  // Each combination's pairs, precomputed: the greedy loop below only sums table entries.
  const perRow = (names.length * (names.length - 1)) / 2;
  const pairsOf = new Int32Array(all.length * perRow);
  all.forEach((row, r) => {
    let at = r * perRow;
    for (let a = 0; a < row.length; a++) for (let b = a + 1; b < row.length; b++) pairsOf[at++] = pairIndex(a, row[a], b, row[b]);
  });
  const uncovered = new Uint8Array(pairCount);
  for (const p of pairsOf) uncovered[p] = 1;
  let remaining = uncovered.reduce((sum, x) => sum + x, 0);
  const rows: number[][] = [];
  while (remaining > 0) {
    let best = 0,
      bestGain = -1;
    for (let r = 0; r < all.length; r++) {
      let g = 0;
      for (let at = r * perRow; at < (r + 1) * perRow; at++) g += uncovered[pairsOf[at]];
      if (g > bestGain) [best, bestGain] = [r, g];
    }
    rows.push(all[best]);
    for (let at = best * perRow; at < (best + 1) * perRow; at++) {
      remaining -= uncovered[pairsOf[at]];
      uncovered[pairsOf[at]] = 0;
    }
  }
  return rows.map(toRow);
}
