/**
 * The limits behind the commands' up-front refusals, against hand values: which numbers survive
 * float32 (the kernels' uniforms), which flag texts are decimals, and what a sweep asks of the machine.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/core/errors';
import { resolveConfig, sweepDemand } from '../src/core/profile-report';
import { checkFloat32 } from '../src/core/float32';
import { decimal, npmTakenFlags } from '../scripts/lib/cli';

describe('checkFloat32', () => {
  it.each([0, -0, 1, -1, 3.4028234663852886e38, -3.4028234663852886e38, 2 ** -126, -(2 ** -126), 1e-30])('accepts %s', (x) => {
    expect(() => checkFloat32(x, 'scale')).not.toThrow();
  });

  it.each([
    [3.4028235677973366e38, /scale 3\.4028235677973366e\+38 is too large for float32/],
    [1e39, /too large for float32/],
    [-1e39, /scale -1e\+39 is too large/],
    [2 ** -127, /too small for float32.*flushed to 0/],
    [1e-46, /scale 1e-46 is too small/],
  ])('refuses %s with an InputError naming it', (x, message) => {
    expect(() => checkFloat32(x, 'scale')).toThrow(InputError);
    expect(() => checkFloat32(x, 'scale')).toThrow(message);
  });
});

describe('decimal', () => {
  it.each([
    ['12', 12],
    [' 12 ', 12],
    ['-0.5', -0.5],
    ['.5', 0.5],
    ['5.', 5],
    ['+3', 3],
    ['1e-3', 0.001],
    ['2E4', 20000],
  ])('reads %j as %s', (text, value) => expect(decimal(text)).toBe(value));

  it.each(['', ' ', '0x10', '0b101', '0o17', 'Infinity', '-Infinity', 'NaN', '1e', '1_000', '12px', '--3', '1,5'])('refuses %j', (text) => {
    expect(decimal(text)).toBeNaN();
  });
});

describe('npmTakenFlags', () => {
  const running = { npm_lifecycle_event: 'bench', npm_lifecycle_script: 'node --import tsx scripts/bench.ts' };
  it('names the flags npm kept while it runs this command', () => {
    expect(npmTakenFlags(['n', 'no-plot', 'json'], { ...running, npm_config_no_plot: 'true', npm_config_json: 'true' })).toEqual([
      'no-plot',
      'json',
    ]);
  });
  it('is empty outside npm run, or under another script (npm test running the command)', () => {
    expect(npmTakenFlags(['json'], { npm_config_json: 'true' })).toEqual([]);
    expect(npmTakenFlags(['json'], { npm_lifecycle_event: 'test', npm_lifecycle_script: 'vitest run', npm_config_json: 'true' })).toEqual(
      [],
    );
  });
});

describe('sweepDemand', () => {
  const base = { ns: [64, 128], dk: 16, variants: ['naive', 'tiled'], warmup: 1, repeats: 2 };
  it('counts the largest Q, K, V and the matmul flops of every timed run', () => {
    const d = sweepDemand(resolveConfig(base));
    // Q, K, V of N = 128, dk = dv = 16, one head, float32.
    expect(d.inputBytes).toBe(4 * 3 * 128 * 16);
    // 2 variants × 3 runs × 2·N²·(dk + dv) for each N.
    expect(d.flops).toBe(6 * 2 * (64 * 64 + 128 * 128) * 32);
  });
  it('halves the pairs with causal, caps them at a window, and adds decode rows with their K/V heads', () => {
    const causal = sweepDemand(resolveConfig({ ...base, causal: true }));
    expect(causal.flops).toBe(6 * 2 * 0.5 * (64 * 64 + 128 * 128) * 32);
    const window = sweepDemand(resolveConfig({ ...base, features: { window: 8 } }));
    expect(window.flops).toBe(6 * 2 * (64 * 8 + 128 * 8) * 32);
    const decode = sweepDemand(resolveConfig({ ...base, heads: 4, decode: [4096], features: { kvHeads: 2 } }));
    expect(decode.inputBytes).toBe(4 * (1 * 4 * 16 + 4096 * 2 * 32));
    expect(decode.flops).toBe(6 * 2 * 4 * (64 * 64 + 128 * 128 + 4096) * 32);
  });
});
