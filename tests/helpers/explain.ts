/** Failure messages for GPU-vs-reference checks that say which stage failed where, and with which seed. */
import type { StageComparisons } from '../../src/core/compare-run';
import type { Comparison } from '../../src/core/metrics';

/** '' when the comparison passed (or was not made), else its failures and first bad element. */
export function explainComparison(label: string, c: Comparison | null, seed: number | string): string {
  if (!c || c.pass) return '';
  const w = c.firstBad ?? c.worst;
  return `${label} failed (seed ${seed}): ${c.failures} bad (NaN ${c.nanMismatches}, ±Inf ${c.infMismatches}), first at ${JSON.stringify(w?.position)} gpu=${w?.actual} ref=${w?.expected} tol=${w?.tolerance}`;
}

/** Every failed stage of a check, one after the other. */
export function explainCheck(check: StageComparisons, seed: number | string): string {
  return (['scores', 'probs', 'output', 'projected'] as const)
    .map((s) => explainComparison(s, check[s], seed))
    .filter(Boolean)
    .join('; ');
}
