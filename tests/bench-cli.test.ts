/**
 * `npm run bench` on Node's WebGPU, as a user runs it. Only the shape of the output is checked:
 * timings are what the benchmark reports, never a pass/fail.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProfileResult } from '../src/core/profile-report';
import { VARIANT_NAMES } from '../src/gpu/variants';
import { runScript } from './helpers/cli';
import { acquireTestDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
const bench = (...args: string[]) => runScript('scripts/bench.ts', args);

describe.skipIf(!gpu)('npm run bench -- --node', () => {
  it('prints parseable JSON with every figure, and writes results.json', async () => {
    // --out keeps the test away from the repository's bench/; --no-plot keeps Chromium out of a unit test.
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-cli-'));
    const { code, stdout, stderr } = await bench(
      '--node',
      '--n',
      '16,32',
      '--dk',
      '8',
      '--repeats',
      '2',
      '--json',
      '--out',
      out,
      '--no-plot',
    );
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as ProfileResult;
    expect(result.config).toMatchObject({ ns: [16, 32], dk: 8, dv: 8, heads: 1, causal: false, repeats: 2 });
    expect(result.config.variants).toEqual(VARIANT_NAMES);
    expect(result.adapter?.description ?? result.adapter?.vendor).toBeDefined();
    expect(result.roofline?.gbps).toBeGreaterThan(0);
    expect(result.roofline?.gflops).toBeGreaterThan(0);
    expect(result.rows).toHaveLength(2 * VARIANT_NAMES.length);
    for (const row of result.rows) {
      expect(row).toMatchObject({ error: null, check: { pass: true } });
      expect(Object.keys(row)).toEqual(
        expect.arrayContaining([
          'n',
          'variant',
          'stages',
          'gpuMs',
          'wallMs',
          'flops',
          'bytes',
          'gflops',
          'gbps',
          'rooflinePct',
          'allocatedBytes',
          'check',
        ]),
      );
      expect(row.wallMs.median).toBeGreaterThan(0);
    }
    expect(result.fits.length).toBeGreaterThan(0);
    expect(result.cpu.map((c) => c.n)).toEqual([16, 32]);
    const written = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(written.command).toMatch(/^npm run bench -- --node/);
    expect(written.rows).toHaveLength(result.rows.length);
    expect(existsSync(join(out, 'scaling.png'))).toBe(false);
  });

  it('prints the table by default', async () => {
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-cli-'));
    const { code, stdout, stderr } = await bench(
      '--node',
      '--n',
      '16',
      '--dk',
      '4',
      '--variants',
      'naive',
      '--repeats',
      '1',
      '--warmup',
      '0',
      '--out',
      out,
      '--no-plot',
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^N\s+variant\s+qk ms\s+softmax ms\s+pv ms/m);
    expect(stdout).toMatch(/roofline \((timestamp|wall)\): copy [\d.]+ GB\/s, FMA [\d.]+ GFLOP\/s/);
    expect(stdout).toMatch(/fitted exponent/);
  });
});

describe('npm run bench: bad arguments', () => {
  it.each([
    { args: ['--node', '--variants', 'tiled,tfjs'], message: /tfjs needs a browser/ },
    { args: ['--variants', 'bogus'], message: /unknown variant/ },
    { args: ['--n', '16,abc'], message: /--n takes non-negative integers/ },
    { args: ['--dk', '0'], message: /dk must be a positive integer/ },
    { args: ['--frobnicate'], message: /Unknown option/ },
  ])('$args exits 2 with a message', async ({ args, message }) => {
    const { code, stderr } = await bench(...args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/usage: npm run bench/);
  });
});
