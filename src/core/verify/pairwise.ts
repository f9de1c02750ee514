/**
 * A tiny deterministic pairwise (2-way covering array) generator: every pair of values of any two
 * factors appears in at least one row. Greedy over the full product (fine for the verifier's few
 * small factors: a few hundred combinations), first best row wins, so the same factors always give
 * the same rows.
 */

export type Factors = Record<string, readonly unknown[]>;
export type Row<F extends Factors> = { [K in keyof F]: F[K][number] };

export function pairwise<F extends Factors>(factors: F): Row<F>[] {
  const names = Object.keys(factors);
  const sizes = names.map((n) => factors[n].length);
  const key = (a: number, va: number, b: number, vb: number) => `${a}:${va}|${b}:${vb}`;
  const uncovered = new Set<string>();
  for (let a = 0; a < names.length; a++)
    for (let b = a + 1; b < names.length; b++)
      for (let va = 0; va < sizes[a]; va++) for (let vb = 0; vb < sizes[b]; vb++) uncovered.add(key(a, va, b, vb));
  // Every combination, as index vectors, in lexicographic order.
  const all: number[][] = [[]];
  for (const size of sizes) {
    const next: number[][] = [];
    for (const prefix of all) for (let v = 0; v < size; v++) next.push([...prefix, v]);
    all.splice(0, all.length, ...next);
  }
  const gain = (row: number[]) => {
    let count = 0;
    for (let a = 0; a < row.length; a++) for (let b = a + 1; b < row.length; b++) if (uncovered.has(key(a, row[a], b, row[b]))) count++;
    return count;
  };
  const rows: number[][] = [];
  while (uncovered.size > 0) {
    let best = all[0],
      bestGain = -1;
    for (const row of all) {
      const g = gain(row);
      if (g > bestGain) [best, bestGain] = [row, g];
    }
    rows.push(best);
    for (let a = 0; a < best.length; a++) for (let b = a + 1; b < best.length; b++) uncovered.delete(key(a, best[a], b, best[b]));
  }
  return rows.map((row) => Object.fromEntries(names.map((n, i) => [n, factors[n][row[i]]])) as Row<F>);
}
