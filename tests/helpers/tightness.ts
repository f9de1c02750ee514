/**
 * The tightness check shared by the tolerance tests: a checked tensor perturbed by 2× its bound
 * (one element, one element of a fully masked row, every element) must fail with the check naming
 * that bound, by 0.5× must pass.
 */
import { describe, expect, it } from 'vitest';
import type { Comparison } from '../../src/core/metrics';

/** One checked tensor: its exact value, its bound, and the real check of a perturbed copy. */
export interface Subject {
  name: string;
  expected: ArrayLike<number>;
  bound: ArrayLike<number>;
  /** Row length (m for h × n × m tensors, the width for n × width ones), to find fully masked rows. */
  cols: number;
  /** The check takes float32 (stage-alone checks): perturbed values are rounded to float32 first. */
  float32: boolean;
  check(actual: ArrayLike<number>): { comparison: Comparison; pass: boolean };
}

/** Elements a perturbation can move: finite, with a non-zero bound (a zero bound means "exactly", e.g. a hidden key's −∞). */
function movable(s: Subject): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.expected.length; i++) if (Number.isFinite(s.expected[i]) && s.bound[i] > 0) out.push(i);
  return out;
}

/** `expected` with the chosen elements moved by factor × bound, alternating in sign. */
function perturb(s: Subject, elements: number[], factor: number): Float64Array {
  const values = Float64Array.from(s.expected);
  elements.forEach((i, k) => {
    const moved = s.expected[i] + (k % 2 === 0 ? 1 : -1) * factor * s.bound[i];
    values[i] = s.float32 ? Math.fround(moved) : moved;
  });
  return values;
}

/** How far each moved element ended up, in bounds (after float32 rounding, for the test's own sake). */
const ratios = (s: Subject, values: Float64Array, elements: number[]) =>
  elements.map((i) => Math.abs(values[i] - s.expected[i]) / s.bound[i]);

/** True when element i lies in a row that is all zero in the reference (a query that sees no key). */
function inZeroRow(s: Subject, i: number): boolean {
  const start = i - (i % s.cols);
  for (let j = start; j < start + s.cols; j++) if (s.expected[j] !== 0) return false;
  return true;
}

const SCOPES = [
  { scope: 'one element', pick: (all: number[]) => [all[Math.floor(all.length / 2)]] },
  {
    scope: 'one element of a fully masked row (bound FLUSH)',
    pick: (all: number[], s: Subject) => all.filter((i) => inZeroRow(s, i)).slice(0, 1),
  },
  { scope: 'every element', pick: (all: number[]) => all },
];

export function describeTightness(subjects: Subject[]): void {
  describe.each(subjects)('$name', (s) => {
    const all = movable(s);
    // Scores have no zero rows (a hidden score is −∞ and must stay exactly that).
    const scopes = SCOPES.map(({ scope, pick }) => ({ scope, elements: pick(all, s) })).filter((c) => c.elements.length > 0);

    it.each(scopes)('$scope off by 2× its bound fails, by 0.5× passes', ({ elements }) => {
      const over = perturb(s, elements, 2),
        under = perturb(s, elements, 0.5);
      expect(Math.min(...ratios(s, over, elements)), 'the 2× perturbation survives rounding').toBeGreaterThan(1);
      expect(Math.max(...ratios(s, under, elements)), 'the 0.5× perturbation survives rounding').toBeLessThan(1);

      const failing = s.check(over);
      expect(failing.pass).toBe(false);
      expect(failing.comparison.failures).toBe(elements.length);
      expect(failing.comparison.firstBad?.index).toBe(elements[0]);
      expect(failing.comparison.firstBad?.tolerance, 'the check applies the bound of src/core/tolerance.ts').toBe(s.bound[elements[0]]);

      const passing = s.check(under);
      expect(passing.comparison.failures).toBe(0);
      expect(passing.pass).toBe(true);
    });

    it('the exact result passes, and the case has enough elements to move', () => {
      expect(s.check(s.expected).pass).toBe(true);
      expect(all.length).toBeGreaterThan(10);
    });
  });
}
