import { describe, expect, it } from 'vitest';
import { compare, formatToleranceUse, verdictBadge } from '../src/core/metrics';

describe('verdictBadge', () => {
  it.each([
    // A GPU value of 1e-20 where the reference is 0: a billion ULP, and nothing to worry about.
    ['tiny error near zero (huge ULP count)', [1e-20, 0.5], [0, 0.5], 1e-7, '✓ error <0.01× tolerance'],
    ['a fifth of the tolerance', [1.002, 2], [1, 2], 0.01, '✓ error 0.2× tolerance'],
    ['identical', [1, 2], [1, 2], 0.01, '✓ exact'],
    ['out of tolerance', [1.05, 2, 3], [1, 2, 3], 0.01, '✗ error 5× tolerance (1 of 3 out)'],
    ['NaN where a number belongs', [NaN, 2], [1, 2], 0.01, '✗ NaN/∞ mismatch'],
  ])('%s', (_, actual, expected, tolerance, text) => {
    const c = compare(actual, expected, tolerance, [1, 1, actual.length]);
    expect(verdictBadge(c).text).toBe(text);
  });

  it('keeps the absolute numbers for the title: the worst element, its tolerance and the ULP count', () => {
    const c = compare([1e-20, 0.5], [0, 0.5], 1e-7, [1, 1, 2]);
    const { detail } = verdictBadge(c);
    expect(detail).toContain('worst element |Δ| 1.00e-20 against its tolerance 1.00e-7');
    expect(detail).toMatch(/max \d{6,} ULP over 2 elements/);
  });
});

describe('formatToleranceUse', () => {
  it.each([
    [0, '0×'],
    [0.004, '<0.01×'],
    [0.0234, '0.023×'],
    [1, '1×'],
    [12.34, '12×'],
    [841.6, '842×'],
    [3.2e7, '3.2e+7×'],
  ])('%f → %s', (use, text) => expect(formatToleranceUse(use)).toBe(text));
});
