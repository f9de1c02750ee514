/** The verifier on elementwise-activation kernels: its cases, the built-in kernel, the broken examples. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyCases } from '../src/core/verify/cases';
import { reproCommand } from '../src/core/verify/repro';
import { formatReport } from '../src/core/verify/report';
import { AttentionEngine } from '../src/gpu/engine';
import { verifyKernel } from '../src/gpu/verify-suite';
import { loadShaderLibrary } from '../src/node/shaders';
import { acquireTestDevice, watchDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();
const EXAMPLES = join(import.meta.dirname, '../examples/kernels');

describe('the elementwise suite', () => {
  const cases = verifyCases({ stage: 'softmax', workgroupSize: [64, 4, 1], elementwise: true });
  it.each(['relu', 'gelu'] as const)('%s gets negative, tiny, large ± scores, hidden keys, masked rows and heads', (activation) => {
    const own = cases.filter((c) => c.activation === activation);
    for (const tag of ['very-negative', 'tiny-scores', 'large-scores', 'mask', 'causal', 'masked-row', 'heads'] as const)
      expect(
        own.some((c) => c.tags.includes(tag)),
        tag,
      ).toBe(true);
    expect(own.length * 2).toBe(cases.length);
    expect(own.every((c) => c.sinks === undefined)).toBe(true);
  });

  it('a case’s repro command runs it with its activation', () => {
    const c = cases.find((x) => x.activation === 'gelu')!;
    const repro = reproCommand(c, { dir: 'r', stage: 'softmax', kernelFile: 'mine.wgsl', variant: 'tiled' });
    expect(repro.command).toMatch(/--activation gelu/);
    expect(repro.unsupported).toEqual([]);
  });
});

describe.skipIf(!gpu)('verifying elementwise kernels', () => {
  const engine = () => new AttentionEngine(gpu!.device, shaders);

  it('the built-in activation_rows.wgsl passes', { timeout: 300_000 }, async () => {
    const report = await verifyKernel(engine(), {
      stage: 'softmax',
      variant: 'tiled',
      source: shaders['activation_rows.wgsl'],
      shrink: false,
    });
    expect(report.status, formatReport(report)).toBe('pass');
    expect(report.cases.some((c) => c.case.activation === 'gelu')).toBe(true);
  });

  it.each([
    ['activation_still_normalises.wgsl', 'normalisation'],
    ['activation_hidden_nan.wgsl', 'hidden-nan'],
    ['activation_gelu_wrong_constant.wgsl', 'activation-form'],
  ])('%s is rejected with the %s hint', { timeout: 300_000 }, async (file, hint) => {
    const source = readFileSync(join(EXAMPLES, file), 'utf8');
    const report = await verifyKernel(engine(), { stage: 'softmax', variant: 'tiled', source, shrink: false });
    expect(report.status, formatReport(report)).toBe('fail');
    expect(report.hints[0]?.id, formatReport(report)).toBe(hint);
  });
});
