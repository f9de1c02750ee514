import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { toJson, toNpy, parseNpy } from '../src/core/io';
import { randomMatrix } from '../src/core/rng';
import { attentionReference } from '../src/core/reference';
import type { Matrix } from '../src/core/tensor';
import { runScript, ROOT } from './helpers/cli';
import { acquireTestDevice } from './helpers/gpu';
import { boolNpy } from './helpers/npy-bytes';

const gpu = await acquireTestDevice();
const dir = mkdtempSync(join(tmpdir(), 'attn-cli-'));
const write = (name: string, m: Matrix) => {
  const path = join(dir, name);
  writeFileSync(path, name.endsWith('.npy') ? new Uint8Array(toNpy(m)) : toJson(m));
  return path;
};
const attention = (...args: string[]) => runScript('scripts/attention.ts', args);

let q: string, k: string, v: string;
beforeAll(() => {
  q = write('q.npy', randomMatrix(9, 6, 1));
  k = write('k.npy', randomMatrix(13, 6, 2));
  v = write('v.json', randomMatrix(13, 5, 3));
});

describe.skipIf(!gpu)('npm run attention', () => {
  it('exits 0 when GPU and CPU agree, writes the output and prints one JSON object', async () => {
    const out = join(dir, 'o.npy');
    const r = await attention('--q', q, '--k', k, '--v', v, '--causal', '--temperature', '0.7', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ pass: true, variant: 'tiled' });
    for (const key of ['maxAbs', 'maxRel', 'maxUlp', 'adapter']) expect(report).toHaveProperty(key);
    const written = parseNpy(new Uint8Array(readFileSync(out)).buffer);
    const ref = attentionReference(
      { q: randomMatrix(9, 6, 1), k: randomMatrix(13, 6, 2), v: randomMatrix(13, 5, 3) },
      { causal: true, temperature: 0.7 },
    );
    expect(written.rows).toBe(9);
    written.data.forEach((x, i) => expect(x).toBeCloseTo(ref.output.data[i], 5));
  });

  it('--precision f16 stores Q, K, V as halves in the fused kernel and checks against the f16 bound', async () => {
    const r = await attention('--q', q, '--k', k, '--v', v, '--variant', 'fused', '--precision', 'f16', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ pass: true, variant: 'fused', precision: 'f16' });
    const text = await attention('--q', q, '--k', k, '--v', v, '--variant', 'fused', '--precision', 'auto');
    expect(text.stdout).toMatch(/precision: f16 storage \(float32 arithmetic\)/);
  });

  it('refuses f16 storage where the run cannot have it, and unknown precisions (exit 2)', async () => {
    const tiled = await attention('--q', q, '--k', k, '--v', v, '--precision', 'f16');
    expect(tiled.code).toBe(2);
    expect(tiled.stderr).toMatch(/f16 storage is not possible for this run: only the fused variant/);
    const bad = await attention('--q', q, '--k', k, '--v', v, '--precision', 'bf16');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--precision must be one of f32, f16, auto, got "bf16"/);
  });

  it("reads a boolean ('|b1') --mask as 0/1, True = may attend, and a boolean --q as 0/1 values", async () => {
    // Query i may attend keys j ≤ i + 2 and every third key: a pattern causal alone would not give.
    const allowed = Array.from({ length: 9 * 13 }, (_, e) => Number(e % 13 <= Math.floor(e / 13) + 2 || e % 3 === 0));
    const maskPath = join(dir, 'mask-bool.npy');
    writeFileSync(maskPath, new Uint8Array(boolNpy(9, 13, allowed)));
    const out = join(dir, 'o-bool-mask.npy');
    const r = await attention('--q', q, '--k', k, '--v', v, '--mask', maskPath, '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ pass: true });
    const mask = { rows: 9, cols: 13, data: Float32Array.from(allowed) };
    const ref = attentionReference({ q: randomMatrix(9, 6, 1), k: randomMatrix(13, 6, 2), v: randomMatrix(13, 5, 3), mask }, {});
    const unmasked = attentionReference({ q: randomMatrix(9, 6, 1), k: randomMatrix(13, 6, 2), v: randomMatrix(13, 5, 3) }, {});
    expect(ref.output.data).not.toEqual(unmasked.output.data);
    const written = parseNpy(new Uint8Array(readFileSync(out)).buffer);
    written.data.forEach((x, i) => expect(x).toBeCloseTo(ref.output.data[i], 5));

    const bits = Array.from({ length: 9 * 6 }, (_, e) => ((e * 7) % 5 < 2 ? 1 : 0));
    const qBool = join(dir, 'q-bool.npy');
    writeFileSync(qBool, new Uint8Array(boolNpy(9, 6, bits)));
    const outQ = join(dir, 'o-bool-q.npy');
    const rq = await attention('--q', qBool, '--k', k, '--v', v, '--out', outQ, '--json');
    expect(rq.code, rq.stderr).toBe(0);
    const refQ = attentionReference(
      { q: { rows: 9, cols: 6, data: Float32Array.from(bits) }, k: randomMatrix(13, 6, 2), v: randomMatrix(13, 5, 3) },
      {},
    );
    const writtenQ = parseNpy(new Uint8Array(readFileSync(outQ)).buffer);
    writtenQ.data.forEach((x, i) => expect(x).toBeCloseTo(refQ.output.data[i], 5));
  });

  it('splits the keys of a fused run with --key-splits (split-KV, the combine stage)', async () => {
    const r = await attention('--q', q, '--k', k, '--v', v, '--causal', '--variant', 'fused', '--key-splits', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    // 13 keys fit in one split (a split holds at least 64): the other two run empty, and the report says so.
    expect(JSON.parse(r.stdout)).toMatchObject({ pass: true, variant: 'fused', keySplits: 3, splitsHoldingKeys: 1 });
    const text = await attention('--q', q, '--k', k, '--v', v, '--variant', 'fused', '--key-splits', '99');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('fused kernel: 99 key splits (only 1 holds keys, 64 a split of m = 13: the other 98 are empty)');
  });

  it('--subgroups off runs the fused kernel without its subgroup form and says so, shared with pairs of lanes; bad values exit 2', async () => {
    const off = await attention('--q', q, '--k', k, '--v', v, '--variant', 'fused', '--subgroups', 'off');
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/fused kernel: 1 key split, no subgroups \(subgroups turned off\)/);
    const auto = await attention('--q', q, '--k', k, '--v', v, '--variant', 'fused', '--json');
    expect(JSON.parse(auto.stdout)).toMatchObject({
      pass: true,
      subgroups: expect.any(Boolean),
      subgroupsReason: expect.any(String),
    });
    // auto shares lanes on a GPU only (this prefill: in pairs).
    expect([null, 'pairs']).toContain(JSON.parse(auto.stdout).subgroupLanes);
    // shared: the subgroup form's shared lanes, asked for (CI's SwiftShader has the form); this
    // prefill runs in pairs of lanes.
    const pairs = await attention('--q', q, '--k', k, '--v', v, '--variant', 'fused', '--subgroups', 'shared');
    expect(pairs.code, pairs.stderr).toBe(0);
    expect(pairs.stdout).toMatch(/output\s+PASS/);
    if (JSON.parse(auto.stdout).subgroups)
      expect(pairs.stdout).toMatch(/fused kernel: 1 key split, subgroup form in pairs of lanes \(.*\(asked for\)\)/);
    const bad = await attention('--q', q, '--k', k, '--v', v, '--variant', 'fused', '--subgroups', 'on');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--subgroups must be one of auto, shared, merge, off, got "on"/);
  });

  it('prints a readable report with the naive variant', async () => {
    const r = await attention('--q', q, '--k', k, '--v', v, '--variant', 'naive', '--scale', 'none');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/output\s+PASS\s+maxAbs=/);
    expect(r.stdout).toMatch(/variant=naive/);
  });

  it('exits 1 when a kernel disagrees with the reference', async () => {
    const broken = readFileSync(join(ROOT, 'shaders/softmax_rows.wgsl'), 'utf8').replaceAll('exp(s - row_max)', 'exp(s)');
    const kernel = join(dir, 'broken_softmax.wgsl');
    writeFileSync(kernel, broken);
    const big = write('big.npy', randomMatrix(9, 6, 4, 20));
    const r = await attention(
      '--q',
      big,
      '--k',
      big,
      '--v',
      write('v9.npy', randomMatrix(9, 2, 5)),
      '--scale',
      'none',
      '--kernel',
      `softmax=${kernel}`,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/probs\s+FAIL/);
    expect(r.stdout).toMatch(/DISAGREE/);
  });

  it.each([
    ['a missing file', () => ['--q', join(dir, 'missing.npy'), '--k', k, '--v', v], /Q: cannot read .*missing\.npy \(ENOENT\)/],
    ['wrong shapes', () => ['--q', q, '--k', v, '--v', v], /Q has 6 columns but K has 5/],
    [
      'NaN',
      () => ['--q', write('nan.npy', { rows: 1, cols: 6, data: Float32Array.from([0, 1, NaN, 3, 4, 5]) }), '--k', k, '--v', v],
      /\[0\]\[2\] is NaN/,
    ],
    ['an unknown variant', () => ['--q', q, '--k', k, '--v', v, '--variant', 'quantum'], /--variant must be one of/],
    ['a missing --k', () => ['--q', q, '--v', v], /--k is required/],
    ['zero key splits', () => ['--q', q, '--k', k, '--v', v, '--variant', 'fused', '--key-splits', '0'], /--key-splits must be/],
  ])('exits 2 on %s with a message naming the problem', async (_, args, message) => {
    const r = await attention(...args());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('exits 2 on text where numbers belong', async () => {
    const path = join(dir, 'words.csv');
    writeFileSync(path, '1,2,3,4,5,six\n');
    const r = await attention('--q', path, '--k', k, '--v', v);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/element \[0\]\[5\] is "six", not a decimal number/);
  });
});

describe('npm run attention without an adapter', () => {
  it('exits 3 and says how to get WebGPU', async () => {
    const r = await runScript('scripts/attention.ts', ['--q', q, '--k', k, '--v', v], { VK_ICD_FILENAMES: join(dir, 'no-driver.json') });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/No WebGPU adapter was found.*SwiftShader/);
  });
});
