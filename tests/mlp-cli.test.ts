/**
 * The MLP as attention in the terminal: `npm run mlp` prints both forms and their agreement, and
 * `npm run attention --activation relu|gelu` runs the elementwise activation; bad input exits 2
 * with a message naming the problem.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toJson } from '../src/core/io';
import { fromRows } from '../src/core/tensor';
import type { Matrix } from '../src/core/tensor';
import { runScript } from './helpers/cli';
import { acquireTestDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
const dir = mkdtempSync(join(tmpdir(), 'attn-mlp-cli-'));
const write = (name: string, m: Matrix) => {
  const path = join(dir, name);
  writeFileSync(path, toJson(m));
  return path;
};
// The hand example of tests/mlp.test.ts: ReLU gives y = [[4, 7], [4, 3]].
const x = write(
  'x.json',
  fromRows([
    [1, 2],
    [2, -1],
  ]),
);
const w1 = write(
  'w1.json',
  fromRows([
    [1, 0],
    [0, -1],
    [1, 1],
  ]),
);
const w2 = write(
  'w2.json',
  fromRows([
    [1, 1, 1],
    [1, -1, 2],
  ]),
);
const mlp = (...args: string[]) => runScript('scripts/mlp.ts', args);

describe('npm run mlp, bad input', () => {
  it.each([
    ['W₁ whose columns are not x’s width', ['--x', x, '--w1', w2, '--w2', w2], /W₁ is 2×3 but x is 2×2/],
    ['an unknown activation', ['--x', x, '--w1', w1, '--w2', w2, '--activation', 'tanh'], /--activation must be one of relu, gelu/],
    ['the fused variant', ['--x', x, '--w1', w1, '--w2', w2, '--variant', 'fused'], /naive or tiled/],
    ['a missing W₂', ['--x', x, '--w1', w1], /w2/],
  ])('%s exits 2 naming it', async (_, args, message) => {
    const r = await mlp(...args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe.skipIf(!gpu)('npm run mlp on the GPU', () => {
  it.each(['relu', 'gelu'])('%s: both forms printed, they agree (exit 0)', async (activation) => {
    const r = await mlp('--x', x, '--w1', w1, '--w2', w2, '--activation', activation, '--variant', 'naive', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.formsAgree).toBe(true);
    if (activation === 'relu') expect(out.mlp).toEqual([4, 7, 4, 3]);
    out.attention.forEach((a: number, i: number) => expect(a).toBeCloseTo(out.mlp[i], 5));
  });

  it('--softmax puts the softmax back: the GPU still matches its reference, the forms no longer agree', async () => {
    const r = await mlp('--x', x, '--w1', w1, '--w2', w2, '--softmax');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/row 0 {2}MLP form \(float64\): +4\.00000 7\.00000/);
    expect(r.stdout).toMatch(/row 0 {2}attention form \(GPU\): +1\.00000/);
    expect(r.stdout).toMatch(/forms differ by up to 5\.13/);
  });

  it('npm run attention --activation gelu runs and checks the elementwise stage', async () => {
    const r = await runScript('scripts/attention.ts', [
      '--q',
      x,
      '--k',
      w1,
      '--v',
      write(
        'v.json',
        fromRows([
          [1, 1],
          [1, -1],
          [1, 2],
        ]),
      ),
      '--scale',
      'none',
      '--activation',
      'gelu',
      '--variant',
      'naive',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/activation: GELU \(tanh form\) elementwise/);
    expect(r.stdout).toMatch(/probs +PASS/);
  });

  it('npm run attention refuses a bad --activation and the fused variant with relu', async () => {
    const v = write(
      'v2.json',
      fromRows([
        [1, 1],
        [1, -1],
        [1, 2],
      ]),
    );
    const bad = await runScript('scripts/attention.ts', ['--q', x, '--k', w1, '--v', v, '--activation', 'elu']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--activation must be one of softmax, relu, gelu/);
    const fused = await runScript('scripts/attention.ts', ['--q', x, '--k', w1, '--v', v, '--activation', 'relu', '--variant', 'fused']);
    expect(fused.code).toBe(2);
    expect(fused.stderr).toMatch(/naive or tiled/);
  });
});
