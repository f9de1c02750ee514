import { describe, expect, it } from 'vitest';
import {
  antecedentScore,
  headRoleLabel,
  inductionScore,
  previousTokenCount,
  previousTokenScore,
  shareOf,
  strongestKey,
} from '../src/core/model/roles';

/** An n × n causal pattern whose row i puts `peak` on key target(i) and spreads the rest evenly over keys ≤ i. */
function pattern(n: number, target: (i: number) => number, peak = 0.7): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const row = new Array<number>(n).fill(0);
    if (i === 0) {
      row[0] = 1;
      return row;
    }
    const rest = (1 - peak) / i;
    for (let j = 0; j <= i; j++) row[j] = j === target(i) ? peak : rest;
    return row;
  });
}
const uniform = (n: number) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j <= i ? 1 / (i + 1) : 0)));
const flat = (rows: number[][]) => Float64Array.from(rows.flat());

describe('previous-token score', () => {
  it.each([
    ['rows', (p: number[][]) => p],
    ['a flat Float64Array', flat],
  ])('an exact previous-token pattern scores 1 (%s)', (_, as) => {
    expect(previousTokenScore(as(pattern(12, (i) => i - 1)))).toBe(1);
  });

  it('uniform attention scores low (ties go to the earliest key, so only row 1 counts)', () => {
    expect(previousTokenScore(uniform(16))).toBeCloseTo(1 / 15);
  });

  it('a head that parks on BOS scores only row 1, and attention to the current token scores 0 from row 2 on', () => {
    expect(previousTokenCount(pattern(10, () => 0))).toEqual({ hits: 1, total: 9 });
    expect(previousTokenCount(pattern(10, (i) => i))).toEqual({ hits: 0, total: 9 });
  });
});

describe('induction score', () => {
  const span = 5;
  const repeat = { start: 1, span };
  // BOS, a span at 1..5, its copy at 6..10: row i of the copy should read i − span + 1.
  it('an exact induction pattern scores 1', () => {
    expect(
      inductionScore(
        pattern(11, (i) => (i > span ? i - span + 1 : i - 1)),
        repeat,
      ),
    ).toBe(1);
  });

  it('a previous-token head and uniform attention score 0 on the copy', () => {
    expect(
      inductionScore(
        pattern(11, (i) => i - 1),
        repeat,
      ),
    ).toBe(0);
    expect(inductionScore(uniform(11), repeat)).toBe(0);
  });

  it('attending to the earlier occurrence itself (not the token after it) is not induction', () => {
    expect(
      inductionScore(
        pattern(11, (i) => (i > span ? i - span : 0)),
        repeat,
      ),
    ).toBe(0);
  });
});

describe('antecedent score', () => {
  const links = [
    { pronoun: 8, antecedent: 3 },
    { pronoun: 14, antecedent: 11 },
  ];
  it('a head that reads the antecedent from the pronoun scores 1', () => {
    const p = pattern(16, (i) => (i === 8 ? 3 : i === 14 ? 11 : i - 1));
    expect(antecedentScore(p, links)).toBe(1);
  });

  it('BOS is left out: a head that parks on BOS but puts its next-largest weight on the antecedent counts', () => {
    const p = pattern(16, () => 0, 0.6);
    p[8][3] += 0.05;
    p[8][4] -= 0.05;
    expect(antecedentScore(p, links)).toBe(0.5);
  });

  it('uniform attention scores 0 (the strongest key after BOS is then position 1)', () => {
    expect(antecedentScore(uniform(16), links)).toBe(0);
  });
});

describe('helpers', () => {
  it('strongestKey looks only at keys ≤ the row (causal) and from the given start', () => {
    const rows = [
      [1, 0, 0],
      [0.2, 0.3, 0.9],
      [0.5, 0.2, 0.3],
    ];
    expect(strongestKey(rows, 1)).toBe(1);
    expect(strongestKey(rows, 2)).toBe(0);
    expect(strongestKey(rows, 2, 1)).toBe(2);
  });

  it('shareOf pools counts and is 0 for nothing', () => {
    expect(
      shareOf([
        { hits: 1, total: 2 },
        { hits: 3, total: 6 },
      ]),
    ).toBe(0.5);
    expect(shareOf([])).toBe(0);
  });
});

describe('headRoleLabel', () => {
  it.each([
    [{ previousToken: 0.95, induction: 0.1, antecedent: 0.2 }, 'previous-token'],
    [{ previousToken: 0.1, induction: 0.55, antecedent: 0.2 }, 'induction'],
    [{ previousToken: 0.1, induction: 0.2, antecedent: 0.93 }, 'antecedent'],
    [{ previousToken: 0.95, induction: 0.6, antecedent: 0.91 }, 'antecedent'],
    [{ previousToken: 0.92, induction: 0.7, antecedent: 0.1 }, 'previous-token'],
    [{ previousToken: 0.89, induction: 0.49, antecedent: 0.89 }, null],
  ] as const)('%j → %s', (scores, label) => {
    expect(headRoleLabel(scores)).toBe(label);
  });
});
