import { describe, expect, it } from 'vitest';
import { compare, ulpDistance } from '../src/core/metrics';
import { gamma, outputTolerance, scoreTolerance, softmaxTolerance, UNIT_ROUNDOFF } from '../src/core/tolerance';
import { attentionReference } from '../src/core/reference';
import { randomMatrix } from '../src/core/rng';

describe('ulpDistance', () => {
  it('counts float32 steps, across zero too', () => {
    expect(ulpDistance(1, 1)).toBe(0);
    expect(ulpDistance(Math.fround(1 + 2 ** -23), 1)).toBe(1);
    expect(ulpDistance(2 ** -149, -(2 ** -149))).toBe(2);
    expect(ulpDistance(NaN, 1)).toBe(Infinity);
    expect(ulpDistance(-Infinity, -Infinity)).toBe(0);
  });
});

describe('compare', () => {
  it('passes within tolerance and reports the worst element position', () => {
    const c = compare([1, 2, 3, 4], [1, 2.001, 3, 4], 0.01, [1, 2, 2]);
    expect(c.pass).toBe(true);
    expect(c.worst?.position).toEqual([0, 0, 1]);
    expect(c.maxAbs).toBeCloseTo(0.001, 12);
    expect(c.maxRel).toBeCloseTo(0.001 / 2.001, 12);
  });

  it('fails on an error over tolerance and names the first bad element', () => {
    const c = compare([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5.5, 6], [1, 1, 1, 1, 0.1, 1], [2, 1, 3]);
    expect(c.pass).toBe(false);
    expect(c.failures).toBe(1);
    expect(c.firstBad).toMatchObject({ index: 4, position: [1, 0, 1], actual: 5, expected: 5.5 });
  });

  it('counts NaN and infinity mismatches; matching −∞ (masked) is exact', () => {
    const c = compare([NaN, -Infinity, Infinity, -Infinity], [0, -Infinity, 1, 0], 1, [1, 1, 4]);
    expect(c.nanMismatches).toBe(1);
    expect(c.infMismatches).toBe(2);
    expect(c.failures).toBe(3);
  });
});

describe('tolerances grow with the reduction length and the magnitudes', () => {
  it('γ(k) is about k·u', () => {
    expect(gamma(64) / (64 * UNIT_ROUNDOFF)).toBeCloseTo(1, 4);
    expect(gamma(64)).toBeGreaterThan(64 * UNIT_ROUNDOFF);
  });

  it('score bound scales with dk and with |q||k|', () => {
    const small = (dk: number, s: number) => {
      const q = randomMatrix(1, dk, 1, s),
        k = randomMatrix(1, dk, 2, s);
      const ref = attentionReference({ q, k, v: randomMatrix(1, 1, 3) }, { scale: 'none' });
      return scoreTolerance(q, k, 1, 1, ref.masked.data)[0];
    };
    expect(small(64, 1)).toBeGreaterThan(small(4, 1));
    expect(small(16, 10)).toBeGreaterThan(50 * small(16, 1));
  });

  it('softmax bound is 0 for masked keys and tight relative to p', () => {
    const scores = [0, 1, -Infinity];
    const probs = Float64Array.from([1 / (1 + Math.E), Math.E / (1 + Math.E), 0]);
    const tol = softmaxTolerance(scores, probs, 1, 3);
    expect(tol[2]).toBe(0);
    expect(tol[1] / probs[1]).toBeLessThan(40 * UNIT_ROUNDOFF);
    const propagated = softmaxTolerance(scores, probs, 1, 3, [1e-3, 1e-3, 0]);
    expect(propagated[1]).toBeGreaterThan(probs[1] * 2e-3 * 0.99);
  });

  it('output bound grows with m', () => {
    const bound = (m: number) => {
      const v = randomMatrix(m, 1, 4);
      const probs = new Float64Array(m).fill(1 / m);
      return outputTolerance(probs, null, v, 1, 1)[0];
    };
    expect(bound(256) / bound(16)).toBeGreaterThan(4);
  });
});
