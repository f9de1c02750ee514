/**
 * npm run attention with the score functions: --score dot|scaled|general|additive and the weight
 * files (--w; --wq, --wk, --va), checked against the float64 reference; every wrong combination of
 * flags exits 2 with a message naming the flag.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMatrix, toNpy } from '../src/core/io';
import { randomMatrix } from '../src/core/rng';
import type { Matrix } from '../src/core/tensor';
import { attentionReference } from '../src/core/reference';
import type { AttentionOptions } from '../src/core/options';
import type { ScoringWeights } from '../src/core/shapes';
import { runScript } from './helpers/cli';
import { acquireTestDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
const dir = mkdtempSync(join(tmpdir(), 'attn-cli-scoring-'));
const matrices: Record<string, Matrix> = {};
const file = (name: string, m: Matrix) => {
  matrices[name] = m;
  const path = join(dir, name);
  writeFileSync(path, new Uint8Array(toNpy(m)));
  return path;
};
// Two heads: Q's width per head dq = 3, K's dk = 4; the additive hidden width a = 5.
const q = file('q.npy', randomMatrix(5, 6, 1));
const k = file('k.npy', randomMatrix(7, 8, 2));
const v = file('v.npy', randomMatrix(7, 4, 3));
const w = file('w.npy', randomMatrix(3, 4, 4));
const wq = file('wq.npy', randomMatrix(5, 3, 5));
const wk = file('wk.npy', randomMatrix(5, 4, 6));
const va = file('va.npy', randomMatrix(1, 5, 7));
const qkv = ['--q', q, '--k', k, '--v', v, '--heads', '2'];
const attention = (...args: string[]) => runScript('scripts/attention.ts', args, { npm_lifecycle_event: '' });

const errors: [string, string[], RegExp][] = [
  ['an unknown score function', ['--score', 'cosine'], /--score must be one of dot, scaled, general, additive, got "cosine"/],
  ['general without --w', ['--score', 'general'], /--score general needs --w W\.npy, the weight matrix W \(dq×dk\)/],
  ['additive missing --va', ['--score', 'additive', '--wq', wq, '--wk', wk], /--score additive needs .* missing --va/],
  ['--w without --score general', ['--w', w], /--w is the general score's weight matrix W \(dq×dk\): add --score general/],
  [
    'additive weights with --score general',
    ['--score', 'general', '--w', w, '--wq', wq],
    /--wq: weights of the additive score; add --score additive/,
  ],
  ['a W of the wrong shape', ['--score', 'general', '--w', k], /W is 7×8 but must be dq×dk = 3×4/],
  [
    'W_k with other rows than W_q',
    ['--score', 'additive', '--wq', wq, '--wk', w, '--va', va],
    /W_k is 3×4 but must be a×dk = 5×4 \(a = 5 rows, from W_q/,
  ],
  ['a weight file that does not exist', ['--score', 'general', '--w', join(dir, 'none.npy')], /none\.npy/],
  ['dq ≠ dk with dot scores', ['--score', 'dot'], /Q has 6 columns but K has 8/],
];

describe('npm run attention --score: wrong flags exit 2 naming the problem', () => {
  it.each(errors)('%s', async (_name, args, message) => {
    const r = await attention(...qkv, ...args);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe.skipIf(!gpu)('npm run attention --score runs and checks against the reference', () => {
  const general: ScoringWeights = { kind: 'general', w: matrices['w.npy'] };
  const additive: ScoringWeights = { kind: 'additive', wq: matrices['wq.npy'], wk: matrices['wk.npy'], v: matrices['va.npy'] };
  const runs: [string, string[], Partial<AttentionOptions>, ScoringWeights | null][] = [
    ['general (scale none)', ['--score', 'general', '--w', w, '--causal'], { score: 'general', scale: 'none', causal: true }, general],
    ['additive (scale none)', ['--score', 'additive', '--wq', wq, '--wk', wk, '--va', va], { score: 'additive', scale: 'none' }, additive],
    [
      'additive with --scale 0.5',
      ['--score', 'additive', '--wq', wq, '--wk', wk, '--va', va, '--scale', '0.5'],
      { score: 'additive', scale: 0.5 },
      additive,
    ],
  ];
  it.each(runs)('%s', async (name, args, options, scoring) => {
    const out = join(dir, `${name.replace(/\W+/g, '-')}.npy`);
    const r = await attention(...qkv, ...args, '--variant', 'naive', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { pass: boolean; shape: { dq: number; dk: number; scoreDim: number } };
    expect(report.pass).toBe(true);
    expect(report.shape).toMatchObject({ dq: 3, dk: 4, scoreDim: scoring?.kind === 'additive' ? 5 : 0 });
    // The written output is the reference's, within float32 error.
    const written = parseMatrix(new Uint8Array(readFileSync(out)).buffer, out);
    const ref = attentionReference({ q: matrices['q.npy'], k: matrices['k.npy'], v: matrices['v.npy'], scoring }, { ...options, heads: 2 });
    written.data.forEach((x, i) => expect(x).toBeCloseTo(ref.output.data[i], 4));
  });

  it('dot and scaled are the dot product with scale none and 1/√dk', async () => {
    const square = ['--q', k, '--k', k, '--v', v, '--variant', 'naive', '--json'];
    const dot = JSON.parse((await attention(...square, '--score', 'dot')).stdout) as { options: Partial<AttentionOptions> };
    const scaled = JSON.parse((await attention(...square, '--score', 'scaled')).stdout) as { options: Partial<AttentionOptions> };
    expect([dot.options.score, dot.options.scale]).toEqual(['dot', 'none']);
    expect([scaled.options.score, scaled.options.scale]).toEqual(['dot', 'default']);
  });

  it('the fused variant refuses general and additive, naming naive and tiled', async () => {
    const r = await attention(...qkv, '--score', 'general', '--w', w, '--variant', 'fused');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/computes dot-product scores only.*use variant naive or tiled/);
  });
});
