/**
 * The verifier and the learned score functions (general, additive): the suite a kernel that declares
 * one gets, the built-in kernels passing it, and the broken examples rejected with the score-function hint.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyCases, caseInputs } from '../src/core/verify/cases';
import { formatReport } from '../src/core/verify/report';
import type { VerifyReport } from '../src/core/verify/report';
import { AttentionEngine } from '../src/gpu/engine';
import { builtInKernels, verifyKernel } from '../src/gpu/verify-suite';
import { loadShaderLibrary } from '../src/node/shaders';
import { attentionReference } from '../src/core/reference';
import { reproCommand, reproInputs } from '../src/core/verify/repro';
import { shrinkCase } from '../src/core/verify/shrink';
import { acquireTestDevice, watchDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();
const explain = (report: VerifyReport) => `\n${formatReport(report)}`;
const QK_FEATURES = ['kvHeads', 'window', 'alibi', 'softcap'] as const;

describe('the suite of a learned score function', () => {
  it.each(['general', 'additive'] as const)('%s: every case uses it, most with dq ≠ dk, and every case is a valid problem', (score) => {
    const cases = verifyCases({ score, features: [...QK_FEATURES], tiles: { rows: 16, keys: 16, inner: ['dk'] } });
    expect(cases.every((c) => c.score === score && c.tags.includes('learned'))).toBe(true);
    expect(cases.filter((c) => c.tags.includes('dq-dk')).length).toBeGreaterThan(cases.length / 3);
    expect(cases.some((c) => (c.dq ?? 0) > 32)).toBe(true);
    if (score === 'additive') {
      expect(cases.filter((c) => c.tags.includes('tanh-saturated')).length).toBeGreaterThanOrEqual(2);
      expect(cases.some((c) => (c.scoreDim ?? 0) > 32)).toBe(true);
      expect(cases.filter((c) => c.scoreDim !== c.dk).length).toBeGreaterThan(cases.length / 2);
    }
    for (const c of cases) {
      const { inputs, options } = caseInputs(c);
      // checkInputs (inside the reference) accepts every case's weights and widths.
      expect(() => attentionReference(inputs, options), c.name).not.toThrow();
      expect(options.score).toBe(score);
    }
  });

  it('a dot kernel keeps the dot suite (no weights, dq absent)', () => {
    const cases = verifyCases({ score: 'dot' });
    expect(cases).toEqual(verifyCases());
    expect(cases.some((c) => c.score !== undefined || c.dq !== undefined)).toBe(false);
  });

  it.each(['general', 'additive'] as const)('%s: a failing case replays as npm run attention with its weights and scale', (score) => {
    const c = verifyCases({ score }).find((x) => x.tags.includes('dq-dk'))!;
    const files = reproInputs(c).map((f) => f.name);
    expect(files).toEqual(score === 'general' ? ['q', 'k', 'v', 'w'] : ['q', 'k', 'v', 'wq', 'wk', 'va']);
    const repro = reproCommand(c, { dir: 'r', stage: 'qk', kernelFile: 'my.wgsl', variant: 'naive' });
    expect(repro.command).toContain(`--score ${score}`);
    expect(repro.command).toContain(score === 'general' ? '--w r/w.npy' : '--wq r/wq.npy --wk r/wk.npy --va r/va.npy');
    // --score general/additive implies scale none; the case's default scale must be said.
    expect(repro.command).toContain('--scale default');
    expect(repro.unsupported).toEqual([]);
  });

  it("shrinking a failing case keeps its score function, dq and a (they are the kernel's and the weights')", async () => {
    const start = verifyCases({ score: 'additive' }).find((x) => x.tags.includes('tanh-saturated'))!;
    const tried: (typeof start)[] = [];
    const result = await shrinkCase(start, async (candidate) => {
      tried.push(candidate);
      return true; // everything fails: the shrinker goes as far as it can
    });
    expect(tried.length).toBeGreaterThan(0);
    for (const c of [...tried, result.case]) expect([c.score, c.dq, c.scoreDim]).toEqual([start.score, start.dq, start.scoreDim]);
    // weightScale is an ordinary option: shrunk to its default.
    expect(result.case.weightScale).toBeUndefined();
  });

  it('lists the built-in learned-score kernels among the kernels `npm run verify` checks', () => {
    const learned = builtInKernels().filter((k) => k.score !== undefined);
    expect(learned.map((k) => `${k.variant} ${k.stage} ${k.score}`)).toEqual([
      'naive qk general',
      'naive qk additive',
      'tiled qk general',
      'tiled qk additive',
    ]);
  });
});

const EXAMPLES = join(import.meta.dirname, '../examples/kernels');
const BROKEN = [
  ['qk_additive_swapped_weights.wgsl', 'naive'],
  ['qk_additive_linear.wgsl', 'tiled'],
  ['qk_general_transposed.wgsl', 'naive'],
] as const;

describe.skipIf(!gpu)('the verifier and learned-score kernels', () => {
  it.each(BROKEN)('rejects %s with the score-function hint first', { timeout: 400_000 }, async (file, variant) => {
    const engine = new AttentionEngine(gpu!.device, shaders);
    const source = readFileSync(join(EXAMPLES, file), 'utf8');
    const report = await verifyKernel(engine, { stage: 'qk', variant, source, label: file, shrink: false });
    expect(report.status, explain(report)).toBe('fail');
    expect(report.hints[0]?.id, explain(report)).toBe('score-function');
    expect(report.hints[0]?.bugClass).toBe('score-function');
  });
});
