/**
 * The RoPE stage on the GPU: Q and K rotated, both pair layouts, a rotary fraction, position
 * offsets and rows in blocks, against the float64 reference — and every variant downstream of it.
 */
import { describe, expect, it } from 'vitest';
import { AttentionEngine } from '../src/gpu/engine';
import { hasIntermediates, VARIANT_NAMES } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import { checkAgainstReference } from '../src/core/compare-run';
import { randomMatrix } from '../src/core/rng';
import type { AttentionOptions } from '../src/core/options';
import { acquireTestDevice, watchDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();

interface RopeCase {
  name: string;
  n: number;
  m: number;
  dk: number;
  heads: number;
  options: Partial<AttentionOptions>;
  maxBlockRows?: number;
}

const CASES: RopeCase[] = [
  { name: 'half layout, n = m', n: 9, m: 9, dk: 8, heads: 1, options: { rope: { layout: 'half', base: 10000, dims: null, offset: 0 } } },
  {
    name: 'interleaved, n ≠ m, causal',
    n: 5,
    m: 13,
    dk: 6,
    heads: 2,
    options: { causal: true, rope: { layout: 'interleaved', base: 10000, dims: null, offset: 0 } },
  },
  {
    name: 'rotary fraction r = 4 of dk = 7',
    n: 6,
    m: 6,
    dk: 7,
    heads: 3,
    options: { rope: { layout: 'half', base: 500, dims: 4, offset: 0 } },
  },
  {
    name: 'offset 1000, base 1e6',
    n: 7,
    m: 11,
    dk: 16,
    heads: 2,
    options: { rope: { layout: 'interleaved', base: 1e6, dims: null, offset: 1000 } },
  },
  {
    name: 'row blocks of 2',
    n: 9,
    m: 9,
    dk: 4,
    heads: 2,
    maxBlockRows: 2,
    options: { causal: true, rope: { layout: 'half', base: 10000, dims: null, offset: -3 } },
  },
];

describe.each(VARIANT_NAMES)('RoPE before the %s variant', (variant) => {
  it.each(CASES)('$name', async ({ n, m, dk, heads, options, maxBlockRows }) => {
    const inputs = { q: randomMatrix(n, heads * dk, 1), k: randomMatrix(m, heads * dk, 2), v: randomMatrix(m, heads * 3, 3) };
    const engine = new AttentionEngine(gpu!.device, shaders);
    const all = { ...options, heads };
    const result = await engine.run(inputs, all, { variant, intermediates: true, maxBlockRows });
    expect(result.stages[0]).toBe('rope');
    expect(result.rotated).not.toBeNull();
    const check = checkAgainstReference(inputs, all, { ...result, output: result.output.data, onlineSoftmax: !hasIntermediates(variant) });
    expect(check.rotatedQ?.pass, JSON.stringify(check.rotatedQ?.worst)).toBe(true);
    expect(check.rotatedK?.pass, JSON.stringify(check.rotatedK?.worst)).toBe(true);
    expect(check.pass).toBe(true);
  });
});

describe('RoPE over row blocks', () => {
  it('rotates K in the first block only, and later blocks (on NaN-poisoned buffers) still read it', async () => {
    const inputs = { q: randomMatrix(9, 8, 11), k: randomMatrix(12, 4, 12), v: randomMatrix(12, 6, 13) };
    const options: Partial<AttentionOptions> = {
      heads: 2,
      kvHeads: 1,
      causal: true,
      rope: { layout: 'interleaved', base: 10000, dims: null, offset: 5 },
    };
    for (const variant of VARIANT_NAMES) {
      const engine = new AttentionEngine(gpu!.device, shaders);
      const result = await engine.run(inputs, options, { variant, intermediates: true, maxBlockRows: 2, poison: true });
      expect(result.blocks).toBe(5);
      const check = checkAgainstReference(inputs, options, {
        ...result,
        output: result.output.data,
        onlineSoftmax: !hasIntermediates(variant),
      });
      expect(check.rotatedK?.pass).toBe(true);
      expect(check.pass).toBe(true);
    }
  });
});
