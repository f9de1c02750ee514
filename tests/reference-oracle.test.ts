/**
 * The float64 reference against an independent float64 oracle (tests/helpers/oracle.ts, written
 * from the README's Definitions, not from src/core/reference.ts): they must agree to 1e-12 on every
 * probability, output and projected element, over heads, causal alignment with n ≠ m, an explicit
 * mask with padding, fully masked rows and W_o. Inputs are seeded; the seed is in each case's name.
 */
import { describe, expect, it } from 'vitest';
import { attentionReference, projectionReference } from '../src/core/reference';
import { fromMatrix, toMatrix } from '../src/core/grid';
import { fromRows, matrix, toRows } from '../src/core/tensor';
import { withDefaults } from '../src/core/options';
import type { AttentionCase } from './helpers/cases';
import { buildCase } from './helpers/cases';
import { oracleAttention } from './helpers/oracle';

const AGREEMENT = 1e-12;

const CASES: AttentionCase[] = [
  { name: 'one head, n=m=6 dk=4 dv=3', n: 6, m: 6, dk: 4, dv: 3, seed: 31 },
  { name: 'three heads, n=5 m=7 dk=4 dv=2', n: 5, m: 7, dk: 4, dv: 2, heads: 3, seed: 32 },
  {
    name: 'causal n=4 m=9: the last query aligned with the last key, two heads',
    n: 4,
    m: 9,
    dk: 3,
    dv: 2,
    heads: 2,
    causal: true,
    seed: 33,
  },
  { name: 'causal n=9 m=4: the first five queries see no key at all', n: 9, m: 4, dk: 5, dv: 3, causal: true, seed: 34 },
  { name: 'random mask and padded keys 1, 4, two heads', n: 6, m: 8, dk: 3, dv: 4, heads: 2, mask: 'random', padding: [1, 4], seed: 35 },
  { name: 'a fully masked row, and causal', n: 7, m: 7, dk: 2, dv: 3, causal: true, mask: 'fully-masked-row', seed: 36 },
  { name: 'padding every key: every row fully masked', n: 3, m: 4, dk: 2, dv: 2, padding: [0, 1, 2, 3], dModel: 3, seed: 37 },
  { name: 'W_o: four heads projected to d_model=5', n: 5, m: 6, dk: 2, dv: 3, heads: 4, dModel: 5, seed: 38 },
  {
    name: 'everything: two heads, causal n=6 m=8, mask, padding, scale 0.3, temperature 1.7, W_o',
    n: 6,
    m: 8,
    dk: 4,
    dv: 3,
    heads: 2,
    causal: true,
    mask: 'random',
    padding: [6],
    scale: 0.3,
    temperature: 1.7,
    dModel: 4,
    seed: 39,
  },
  {
    name: 'no scaling, temperature 0.5, scores around ±20',
    n: 5,
    m: 5,
    dk: 8,
    dv: 2,
    scale: 'none',
    temperature: 0.5,
    magnitude: 20,
    seed: 40,
  },
];

/** The largest |a − b| / max(1, |b|) and where it is, for a message that points at the element. */
function worst(actual: ArrayLike<number>, expected: readonly number[]): { error: number; at: number } {
  let error = 0,
    at = -1;
  expected.forEach((e, idx) => {
    const diff = Math.abs(actual[idx] - e) / Math.max(1, Math.abs(e));
    if (!(diff <= error)) [error, at] = [diff, idx];
  });
  return { error, at };
}

function expectAgreement(what: string, c: AttentionCase, actual: ArrayLike<number>, expected: number[]): void {
  expect(actual.length, `${what}: length (seed ${c.seed})`).toBe(expected.length);
  const { error, at } = worst(actual, expected);
  expect(
    error,
    `${what} (seed ${c.seed}): worst at flat index ${at}: reference ${actual[at]} vs oracle ${expected[at]}`,
  ).toBeLessThanOrEqual(AGREEMENT);
}

function solve(c: AttentionCase) {
  const { inputs, options, explicitMask } = buildCase(c);
  const o = withDefaults(options);
  const oracle = oracleAttention({
    q: fromMatrix(inputs.q),
    k: fromMatrix(inputs.k),
    v: fromMatrix(inputs.v),
    heads: o.heads,
    scale: o.scale,
    temperature: o.temperature,
    causal: o.causal,
    mask: explicitMask ? fromMatrix(explicitMask) : undefined,
    padding: c.padding,
    wo: inputs.wo ? fromMatrix(inputs.wo) : undefined,
  });
  return { inputs, options, oracle };
}

describe.each(CASES)('reference = oracle: $name (seed $seed)', (c) => {
  const { inputs, options, oracle } = solve(c);

  it('probabilities (h × n × m)', () => {
    const ref = attentionReference(inputs, options);
    expectAgreement('probabilities', c, ref.probs.data, oracle.weights.flat(2));
  });

  it('output (n × h·dv), fully masked rows exactly zero', () => {
    const ref = attentionReference(inputs, options);
    expectAgreement('output', c, ref.output.data, oracle.output.flat());
    const rows = toRows(ref.output);
    oracle.weights.forEach((head, t) =>
      head.forEach((weights, i) => {
        if (weights.some((w) => w !== 0)) return;
        expect(rows[i].slice(t * c.dv, (t + 1) * c.dv), `head ${t} row ${i} sees no key (seed ${c.seed})`).toEqual(new Array(c.dv).fill(0));
      }),
    );
  });

  it("a range of query rows, with the full problem's causal alignment", () => {
    const rows: [number, number] = [Math.floor(c.n / 3), c.n];
    const ref = attentionReference(inputs, options, rows);
    expectAgreement('output rows', c, ref.output.data, oracle.output.slice(...rows).flat());
  });
});

describe('reference = oracle with W_o', () => {
  it.each(CASES.filter((c) => c.dModel))('projection (n × d_model): $name (seed $seed)', (c) => {
    const { inputs, options, oracle } = solve(c);
    const ref = attentionReference(inputs, options);
    expectAgreement('projected', c, ref.projected!.data, oracle.projected!.flat());
  });
});

describe('projectionReference, by hand', () => {
  it('multiplies O (n × h·dv) by W_o ((h·dv) × d_model)', () => {
    const output = fromRows([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const wo = fromRows([
      [0.5, 2],
      [-1, 0.25],
      [3, 1],
    ]);
    // Row 0: [0.5 − 2 + 9, 2 + 0.5 + 3]; row 1: [2 − 5 + 18, 8 + 1.25 + 6].
    expect(toRows(projectionReference(output, wo))).toEqual([
      [7.5, 5.5],
      [15, 15.25],
    ]);
  });

  it('takes a float64 O as it is (no rounding to float32)', () => {
    const output = { rows: 1, cols: 2, data: Float64Array.from([0.1, 0.2]) };
    const y = projectionReference(output, toMatrix([[1], [1]]));
    expect(y.data[0]).toBe(0.1 + 0.2);
  });

  it('with an identity W_o returns O, and with a zero W_o zeros', () => {
    const output = fromRows([
      [1.5, -2],
      [0, 3],
    ]);
    expect(
      toRows(
        projectionReference(
          output,
          fromRows([
            [1, 0],
            [0, 1],
          ]),
        ),
      ),
    ).toEqual([
      [1.5, -2],
      [0, 3],
    ]);
    expect(toRows(projectionReference(output, matrix(2, 3)))).toEqual([
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it("rejects a W_o whose rows do not match O's columns", () => {
    expect(() => projectionReference(fromRows([[1, 2, 3]]), fromRows([[1], [2]]))).toThrow(/W_o has 2 rows, the output has 3 columns/);
  });
});
