/**
 * f16 storage on the CPU side: halves against hand values, the packing the kernel unpacks with
 * unpack2x16float, the choice of precision, and the bound for a run that read its inputs as halves
 * (src/core/tolerance.ts): a float32 kernel on rounded inputs — simulated here in float64 on the
 * halves — stays inside it, and the bound is no looser than the rounding it accounts for.
 */
import { describe, expect, it } from 'vitest';
import { checkAgainstReference } from '../src/core/compare-run';
import {
  firstBeyondHalf,
  HALF_MAX,
  halfRangeProblem,
  halfRoundingBound,
  halfRoundingErrors,
  packHalves,
  roundedToHalf,
  roundToHalf,
} from '../src/core/half';
import type { AttentionOptions } from '../src/core/options';
import type { PrecisionContext } from '../src/core/precision';
import { halfStorageObstacles, PrecisionError, resolvePrecision } from '../src/core/precision';
import { attentionReference } from '../src/core/reference';
import { randomMatrix } from '../src/core/rng';
import type { AttentionInputs } from '../src/core/shapes';
import { matrix } from '../src/core/tensor';

describe('halves', () => {
  it.each([
    [1, 1],
    [0.1, 0.0999755859375], // 0x2E66
    [1 / 3, 0.333251953125], // 0x3555
    [65504, 65504],
    [65519, 65504], // below the midpoint to 65536: rounds down
    [65520, Infinity], // the midpoint rounds to even, which is 2¹⁶: overflow
    [2 ** -24, 2 ** -24], // the smallest subnormal
    [2 ** -26, 0],
    [1 + 2 ** -11, 1], // a tie between 1 and 1 + 2⁻¹⁰: to even (1)
    [1 + 3 * 2 ** -11, 1 + 2 ** -9], // a tie between 1 + 2⁻¹⁰ and 1 + 2⁻⁹: to even (1 + 2⁻⁹)
    [-2.5, -2.5],
  ])('%d rounds to the half %d', (x, half) => {
    expect(roundToHalf(x)).toBe(half);
  });

  it('packs element e into word e >> 1, the even one in the low 16 bits, an odd count padded with 0', () => {
    const words = packHalves([1, -2, 0.5]);
    expect(words.length).toBe(2);
    expect(words[0] & 0xffff).toBe(0x3c00); // 1
    expect(words[0] >>> 16).toBe(0xc000); // −2
    expect(words[1] & 0xffff).toBe(0x3800); // 0.5
    expect(words[1] >>> 16).toBe(0);
  });

  it('packs float32 arrays bit for bit as the float16 library does: every exponent, subnormals, ties, overflow, ±0, ±∞, NaN', () => {
    const values: number[] = [0, -0, Infinity, -Infinity, NaN, 65504, 65519, 65520, -65520, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -14];
    // Ties at every exponent a half can hold (normal and subnormal): x = (2k + 1)/2 ulp of the half.
    for (let e = -24; e <= 15; e++) for (const k of [0, 1, 2, 3, 1023]) values.push((k + 0.5) * 2 ** e, -(k + 1.5) * 2 ** e);
    // Random float32 bit patterns over the whole range, and values near one.
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
    const bits = new Uint32Array(4000).map(() => next());
    values.push(...new Float32Array(bits.buffer), ...Array.from({ length: 1000 }, (_, i) => 1 + (i - 500) * 2 ** -14));
    const data = Float32Array.from(values);
    const fast = new Uint16Array(packHalves(data).buffer);
    const library = new Uint16Array(packHalves(Array.from(data)).buffer);
    const firstDifference = fast.findIndex(
      (h, e) => h !== library[e] && !(Number.isNaN(data[e]) && (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0),
    );
    expect(
      firstDifference === -1 ? null : { value: data[firstDifference], fast: fast[firstDifference], library: library[firstDifference] },
    ).toBeNull();
  });

  it('rounds arrays to float32 halves and reports exact rounding errors within the a-priori bound', () => {
    const data = randomMatrix(40, 8, 11, 3).data;
    const rounded = roundedToHalf(data);
    const errors = halfRoundingErrors(data);
    let largest = 0;
    data.forEach((x, e) => {
      expect(rounded[e]).toBe(roundToHalf(x));
      expect(errors[e]).toBe(Math.abs(x - rounded[e]));
      expect(errors[e]).toBeLessThanOrEqual(halfRoundingBound(x));
      largest = Math.max(largest, errors[e] / Math.abs(x));
    });
    // Random values use the whole rounding interval: the relative bound 2⁻¹¹ is nearly reached.
    expect(largest).toBeGreaterThan(2 ** -12);
  });

  it('names the first value a half cannot hold, with its row and column', () => {
    const q = matrix(2, 3, [1, 2, 3, 4, -70000, 6]);
    expect(firstBeyondHalf(q.data)).toEqual({ index: 4, value: -70000 });
    expect(halfRangeProblem('Q', q)).toMatch(/^Q\[1\]\[1\] = -70000 is beyond the largest half \(±65504\)/);
    expect(halfRangeProblem('Q', matrix(1, 2, [HALF_MAX, -HALF_MAX]))).toBeNull();
  });
});

describe('choosing the precision', () => {
  const inputs = { q: randomMatrix(2, 4, 1), k: randomMatrix(3, 4, 2), v: randomMatrix(3, 4, 3) };
  const context = (over: Partial<PrecisionContext> = {}): PrecisionContext => ({
    variant: 'fused',
    rope: false,
    customKernel: null,
    inputs,
    ...over,
  });

  it('f32 is always possible', () => {
    expect(resolvePrecision('f32', context({ variant: 'naive', rope: true })).precision).toBe('f32');
  });

  it('f16 and auto take f16 storage for the fused variant', () => {
    expect(resolvePrecision('f16', context()).precision).toBe('f16');
    expect(resolvePrecision('auto', context())).toEqual({ precision: 'f16', reason: expect.stringMatching(/half the bytes/) });
    expect(resolvePrecision('f16', context({ customKernel: { declaresF16Storage: true } })).precision).toBe('f16');
  });

  it.each([
    ['the tiled variant', { variant: 'tiled' }, /only the fused variant has an f16-storage kernel \(this run uses tiled\)/],
    ['RoPE', { rope: true }, /RoPE is on/],
    [
      'a custom kernel without F16_STORAGE',
      { customKernel: { declaresF16Storage: false } },
      /does not declare `const F16_STORAGE = true;`/,
    ],
    ['a value beyond 65504', { inputs: { ...inputs, v: matrix(1, 2, [1, 1e5]) } }, /V\[0\]\[1\] = 100000 is beyond the largest half/],
  ] as const)('f16 is refused for %s, and auto falls back to f32 saying why', (_, over, reason) => {
    expect(halfStorageObstacles(context(over))).toEqual([expect.stringMatching(reason)]);
    expect(() => resolvePrecision('f16', context(over))).toThrow(PrecisionError);
    expect(() => resolvePrecision('f16', context(over))).toThrow(reason);
    const auto = resolvePrecision('auto', context(over));
    expect(auto.precision).toBe('f32');
    expect(auto.reason).toMatch(reason);
  });

  it('lists every obstacle at once', () => {
    expect(halfStorageObstacles(context({ variant: 'naive', rope: true }))).toHaveLength(2);
  });
});

describe('the bound of an f16-storage run', () => {
  const n = 7,
    m = 40,
    dk = 16,
    dv = 8,
    heads = 2;
  const inputs: AttentionInputs = {
    q: randomMatrix(n, heads * dk, 21, 2),
    k: randomMatrix(m, heads * dk, 22, 2),
    v: randomMatrix(m, heads * dv, 23),
  };
  const halves: AttentionInputs = {
    q: { ...inputs.q, data: roundedToHalf(inputs.q.data) },
    k: { ...inputs.k, data: roundedToHalf(inputs.k.data) },
    v: { ...inputs.v, data: roundedToHalf(inputs.v.data) },
  };
  const cases: [string, Partial<AttentionOptions>][] = [
    ['plain', { heads }],
    ['causal with a window, a softcap and sinks', { heads, causal: true, window: 5, softcap: 3, sinks: [0.5, -1] }],
  ];

  it.each(cases)('%s: exact attention of the halves passes as f16 storage and fails as float32', (_, options) => {
    // The perfect f16-storage kernel: exact arithmetic on what it read.
    const perfect = attentionReference(halves, options).output.data;
    const gpu = { scores: null, probs: null, output: perfect, onlineSoftmax: true };
    const asHalf = checkAgainstReference(inputs, options, { ...gpu, precision: 'f16' });
    expect(asHalf.output.pass).toBe(true);
    // The rounding is far beyond what float32 arithmetic allows: the f16 terms are what make it pass.
    expect(checkAgainstReference(inputs, options, gpu).output.pass).toBe(false);
    // And the bound is not slack: the rounding uses more than 1/64 of it somewhere.
    const worst = asHalf.output.worst!;
    expect(worst.error / worst.tolerance).toBeGreaterThan(1 / 64);
  });

  it('a kernel that stores K as bfloat16 (8 significant bits, truncated) is caught', () => {
    const bf16 = (x: number) => {
      const bits = new Float32Array([x]);
      new Uint32Array(bits.buffer)[0] &= 0xffff0000;
      return bits[0];
    };
    const wrong = { ...halves, k: { ...halves.k, data: inputs.k.data.map(bf16) } };
    const output = attentionReference(wrong, { heads }).output.data;
    const result = checkAgainstReference(inputs, { heads }, { scores: null, probs: null, output, onlineSoftmax: true, precision: 'f16' });
    expect(result.output.pass).toBe(false);
  });
});
