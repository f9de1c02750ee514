/**
 * The features in the terminal: `npm run attention` and `npm run bench` take a flag for each
 * (--rope, --kv-heads, --window, --alibi, --softcap, --sinks), run them, say which are on, and exit
 * 2 with a message naming the problem on a bad value or a combination the inputs do not allow.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toJson, toNpy } from '../src/core/io';
import type { ProfileResult } from '../src/core/profile-report';
import { randomMatrix } from '../src/core/rng';
import type { Matrix } from '../src/core/tensor';
import { featureOptions, withFeatureDefaults } from '../scripts/lib/feature-flags';
import { runScript } from './helpers/cli';
import { acquireTestDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
const dir = mkdtempSync(join(tmpdir(), 'attn-feature-cli-'));
const write = (name: string, m: Matrix) => {
  const path = join(dir, name);
  writeFileSync(path, name.endsWith('.npy') ? new Uint8Array(toNpy(m)) : toJson(m));
  return path;
};
const attention = (...args: string[]) => runScript('scripts/attention.ts', args);
const bench = (...args: string[]) => runScript('scripts/bench.ts', args);

// 4 query heads of dk = 4 (Q is 9×16), 2 K/V heads (K is 13×8, V 13×6: dv = 3).
let q: string, k: string, v: string, kFull: string, vFull: string, sinks: string;
beforeAll(() => {
  q = write('q.npy', randomMatrix(9, 16, 1));
  k = write('k.npy', randomMatrix(13, 8, 2));
  v = write('v.json', randomMatrix(13, 6, 3));
  kFull = write('k-full.npy', randomMatrix(13, 16, 4));
  vFull = write('v-full.npy', randomMatrix(13, 12, 5));
  sinks = write('sinks.npy', { rows: 1, cols: 4, data: Float32Array.from([0.5, -1, 2, 0]) });
});

describe('the feature flags', () => {
  it('give a bare --rope and --alibi their default values', () => {
    expect(withFeatureDefaults(['--rope', '--alibi'])).toEqual(['--rope', 'half', '--alibi', 'standard']);
    expect(withFeatureDefaults(['--rope-offset', '-7', '--softcap', '-.5', '--rope'])).toEqual([
      '--rope-offset=-7',
      '--softcap=-.5',
      '--rope',
      'half',
    ]);
    expect(withFeatureDefaults(['--rope', 'interleaved', '--alibi', '0.5,0.25', '--causal'])).toEqual([
      '--rope',
      'interleaved',
      '--alibi',
      '0.5,0.25',
      '--causal',
    ]);
  });

  it('turn into the feature options, off (null) where absent', () => {
    expect(featureOptions({})).toEqual({ rope: null, kvHeads: null, window: null, alibi: null, softcap: null, sinks: null });
    expect(
      featureOptions({
        rope: 'interleaved',
        'rope-base': '500000',
        'rope-dims': '32',
        'rope-offset': '-7',
        alibi: '0.5,0.25',
        sinks: '1,-2',
      }),
    ).toMatchObject({ rope: { layout: 'interleaved', base: 500000, dims: 32, offset: -7 }, alibi: [0.5, 0.25], sinks: [1, -2] });
  });
});

describe.skipIf(!gpu)('npm run attention with the features', () => {
  it('runs RoPE on every variant and reports the rotated Q and K', async () => {
    for (const variant of ['naive', 'tiled', 'fused']) {
      const r = await attention(
        '--q',
        q,
        '--k',
        kFull,
        '--v',
        vFull,
        '--heads',
        '4',
        '--rope',
        '--rope-offset',
        '100',
        '--causal',
        '--variant',
        variant,
      );
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toMatch(/features: RoPE half θ=10000 offset=100/);
      expect(r.stdout).toMatch(/RoPE Q\s+PASS/);
      expect(r.stdout).toMatch(/RoPE K\s+PASS/);
    }
  });

  it.each(['naive', 'tiled', 'fused'])('runs every feature at once on %s and agrees with the reference', async (variant) => {
    const r = await attention(
      '--q',
      q,
      '--k',
      k,
      '--v',
      v,
      '--heads',
      '4',
      '--kv-heads',
      '2',
      '--rope',
      'interleaved',
      '--window',
      '5',
      '--alibi',
      '--softcap',
      '3',
      '--sinks',
      sinks,
      '--causal',
      '--variant',
      variant,
      '--json',
    );
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.pass).toBe(true);
    expect(report.shape).toMatchObject({ heads: 4, kvHeads: 2, dk: 4, dv: 3 });
    expect(report.options).toMatchObject({ kvHeads: 2, window: 5, alibi: 'standard', softcap: 3, sinks: [0.5, -1, 2, 0] });
    expect(report.stages.rotatedQ.pass).toBe(true);
  });
});

describe('npm run attention: bad feature values and combinations exit 2 naming the problem', () => {
  it.each([
    { args: ['--window', '0'], message: /--window must be a positive integer/ },
    { args: ['--rope', 'sideways'], message: /--rope must be interleaved or half/ },
    { args: ['--rope-base', '500'], message: /--rope-base needs --rope/ },
    { args: ['--rope', '--rope-base', '1'], message: /--rope-base must be a number > 1/ },
    { args: ['--softcap', '-1'], message: /--softcap must be a positive number/ },
    { args: ['--alibi', '0.5,x'], message: /--alibi must be a comma-separated list of numbers/ },
    { args: ['--kv-heads', '3', '--heads', '4'], message: /K\/V heads \(3\) must divide the 4 query heads/ },
    {
      args: ['--kv-heads', '2', '--heads', '4', '--sinks', '1,2,3'],
      message: /attention sinks need one logit per query head: got 3 for 4 heads/,
    },
    {
      args: ['--kv-heads', '2', '--heads', '4', '--alibi', '1,2'],
      message: /ALiBi needs one slope per query head: got 2 slopes for 4 heads/,
    },
    {
      args: ['--kv-heads', '4', '--heads', '4'],
      message: /Q has 16 columns but K has 8.*for grouped-query attention, set K\/V heads to 2/,
    },
    { args: ['--kv-heads', '1', '--heads', '4'], message: /K has 8 columns but must have K\/V heads × dk = 1 × 4 = 4/ },
    {
      args: ['--kv-heads', '2', '--heads', '4', '--rope', '--rope-dims', '6'],
      message: /RoPE's rotated dimensions must be an even number from 2 to dk = 4, got 6/,
    },
  ])('$args', async ({ args, message }) => {
    const r = await attention('--q', q, '--k', k, '--v', v, ...args);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('refuses RoPE on an odd head width', async () => {
    const odd = write('q-odd.npy', randomMatrix(9, 12, 6)); // 4 heads of dk = 3
    const kOdd = write('k-odd.npy', randomMatrix(13, 6, 7));
    const r = await attention('--q', odd, '--k', kOdd, '--v', v, '--heads', '4', '--kv-heads', '2', '--rope');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/RoPE rotates pairs of dimensions, so it needs an even head width dk, got 3/);
  });
});

describe.skipIf(!gpu)('npm run bench with the features', () => {
  it('profiles the engine variants with the features on and records them', async () => {
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-features-'));
    const { code, stdout, stderr } = await bench(
      '--node',
      '--n',
      '16,32',
      '--dk',
      '8',
      '--heads',
      '2',
      '--kv-heads',
      '1',
      '--window',
      '4',
      '--alibi',
      '--softcap',
      '20',
      '--sinks',
      '0,1',
      '--rope',
      '--causal',
      '--variants',
      'tiled,fused',
      '--repeats',
      '1',
      '--warmup',
      '0',
      '--json',
      '--out',
      out,
      '--no-plot',
    );
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as ProfileResult;
    expect(result.config.features).toMatchObject({ kvHeads: 1, window: 4, alibi: 'standard', softcap: 20, sinks: [0, 1] });
    expect(result.rows.every((row) => row.check === null || row.check.pass)).toBe(true);
    expect(result.rows.some((row) => row.check?.pass)).toBe(true);
  });

  it.each([
    { args: ['--variants', 'tiled,tfjs', '--window', '4'], message: /tfjs runs plain attention only, not sliding window: drop tfjs/ },
    { args: ['--node', '--heads', '2', '--kv-heads', '3'], message: /K\/V heads \(3\) must divide the 2 query heads/ },
    { args: ['--node', '--dk', '7', '--rope'], message: /even head width dk, got 7/ },
  ])('$args exits 2 with a message', async ({ args, message }) => {
    const { code, stderr } = await bench(...args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });
});

describe.skipIf(!gpu)('scripts/large-run.ts: decode with the features', () => {
  it.each(['naive', 'tiled', 'fused'])('one query over 600 cached keys, GQA and a window, on %s', async (variant) => {
    const r = await runScript('scripts/large-run.ts', [
      '--n',
      '1',
      '--m',
      '600',
      '--dk',
      '16',
      '--heads',
      '4',
      '--kv-heads',
      '2',
      '--window',
      '100',
      '--alibi',
      '--causal',
      '--variant',
      variant,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ pass: true, shape: { n: 1, m: 600, heads: 4, kvHeads: 2 }, features: { kvHeads: 2, window: 100 } });
  });
});
