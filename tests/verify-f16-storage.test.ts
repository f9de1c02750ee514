/**
 * A fused kernel that declares `const F16_STORAGE = true;` reads Q, K and V as packed halves: the
 * verifier runs it with f16 storage and the f16 bound, so a correct one passes and one that reads
 * the halves wrongly fails, naming the halves (with float32 buffers both failed every case alike).
 */
import { describe, expect, it } from 'vitest';
import { formatReport, reportSummary } from '../src/core/verify/report';
import type { VerifyReport } from '../src/core/verify/report';
import type { VerifyCase } from '../src/core/verify/cases';
import { caseInputs, verifyCases } from '../src/core/verify/cases';
import { AttentionEngine } from '../src/gpu/engine';
import { verifyKernel } from '../src/gpu/verify-suite';
import { loadShaderLibrary } from '../src/node/shaders';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import { fixtureSource } from './helpers/mutants';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const engine = gpu ? new AttentionEngine(gpu.device, loadShaderLibrary()) : null;

// A few of the fused suite's cases (the whole suite runs in the corpus test): plain ones, the
// features, and the deep rows whose inputs no half can hold, which f16 storage cannot run.
const suite = verifyCases({ stage: 'fused', features: ['kvHeads', 'window', 'alibi', 'softcap', 'sinks'] });
const beyondHalves = (c: VerifyCase) => {
  const { q, k, v } = caseInputs(c).inputs;
  return [q, k, v].some((x) => x.data.some((e) => Math.abs(e) > 65504));
};
const deep = suite.filter(beyondHalves);
const cases = [...suite.slice(0, 3), ...suite.filter((c) => c.tags.includes('pairwise')).slice(0, 2), ...deep];

const explain = (report: VerifyReport) => `\n${formatReport(report)}`;
const verify = (file: string) =>
  verifyKernel(engine!, {
    stage: 'fused',
    variant: 'fused',
    source: fixtureSource({ file }),
    label: file,
    cases,
    shrink: false,
    skipHazards: true,
  });

describe.skipIf(!gpu)('fused kernels with f16 storage', () => {
  it(
    'the built-in kernel with its f16 block passes, run with f16 storage; cases it cannot run are named',
    { timeout: 300_000 },
    async () => {
      const report = await verify('fused_f16_storage.wgsl');
      expect(report.status, explain(report)).toBe('pass');
      expect(report.precision).toBe('f16');
      expect(report.cases.length).toBe(cases.length - report.coverage!.storage!.skipped.length);
      expect(reportSummary(report)).toMatch(/; f16 storage/);
      const text = formatReport(report);
      expect(text).toMatch(/other stages from the fused variant, with f16 storage/);
      expect(text).toMatch(/storage: f16 — the kernel declares F16_STORAGE/);
      expect(deep.length).toBeGreaterThan(0);
      {
        expect(report.coverage!.storage!.skipped.map((s) => s.name)).toEqual(deep.map((c) => c.name));
        expect(text).toMatch(/not run with f16 storage: .* beyond the largest half/);
      }
    },
  );

  it('one that reads each word’s halves swapped fails, the halves named first', { timeout: 300_000 }, async () => {
    const report = await verify('fused_f16_halves_swapped.wgsl');
    expect(report.status, explain(report)).toBe('fail');
    expect(report.precision).toBe('f16');
    expect(report.hints[0], explain(report)).toMatchObject({ id: 'f16-storage', bugClass: 'index' });
    expect(report.hints[0].title).toMatch(/with f16 storage → how Q, K and V's packed halves are read$/);
  });
});
