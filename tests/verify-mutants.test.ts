/**
 * The mutation test of the verifier: every broken kernel of the corpus (tests/fixtures/kernels) is
 * rejected with a hint that names its bug class (for 'limits', a limits failure), and every correct
 * kernel passes. One device and engine for the whole file (pipelines of the built-in stages are
 * compiled once), plus a device with WebGPU's default limits for the limits check.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { formatReport } from '../src/core/verify/report';
import type { VerifyReport } from '../src/core/verify/report';
import { requestDefaultLimitsDevice } from '../src/gpu/device';
import { AttentionEngine } from '../src/gpu/engine';
import { verifiableStages, verifyKernel } from '../src/gpu/verify-suite';
import { loadShaderLibrary } from '../src/node/shaders';
import { nodeGpu } from '../src/node/webgpu';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import { fixtureSource, loadKernelFixtures } from './helpers/mutants';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const defaultLimitsDevice = gpu ? ((await requestDefaultLimitsDevice(await nodeGpu())) ?? undefined) : undefined;
afterAll(() => defaultLimitsDevice?.destroy());
const engine = gpu ? new AttentionEngine(gpu.device, loadShaderLibrary()) : null;

// Every stage the suite verifies alone (project included); a stage it cannot check would be left out.
const fixtures = loadKernelFixtures().filter((f) => verifiableStages().includes(f.stage));
const mutants = fixtures.filter((f) => f.expect === 'fail');
const correct = fixtures.filter((f) => f.expect === 'pass');

const explain = (report: VerifyReport) =>
  `\n${formatReport(report)}\nhint classes: ${report.hints.map((h) => `${h.id}:${h.bugClass}`).join(', ')}`;

const verify = (f: (typeof fixtures)[number]) =>
  verifyKernel(engine!, {
    stage: f.stage,
    variant: f.variant,
    source: fixtureSource(f),
    label: f.file,
    defaultLimitsDevice,
    shrink: false,
  });

describe.skipIf(!gpu)('every broken kernel is rejected with a hint naming its class', () => {
  it.each(mutants)('$file ($bugClass)', async (f) => {
    const report = await verify(f);
    expect(['fail', 'timeout', 'interface-error'], explain(report)).toContain(report.status);
    expect(report.hints.length, explain(report)).toBeGreaterThan(0);
    if (f.bugClass === 'limits') expect(report.limits.length, explain(report)).toBeGreaterThan(0);
    expect(
      report.hints.map((h) => h.bugClass),
      explain(report),
    ).toContain(f.bugClass);
  });
});

describe.skipIf(!gpu)('the interpreter fails what every case passes, naming the line', () => {
  const fixture = (file: string) => mutants.find((f) => f.file === file)!;
  it('a barrier only on the causal path: the race found with causal off', async () => {
    const report = await verify(fixture('pv_tiled_trailing_barrier_causal_only.wgsl'));
    expect(report.status, explain(report)).toBe('fail');
    expect(report.hints[0].title, explain(report)).toMatch(
      /^race on [pv]_tile between lines \d+ and \d+ with causal off, no mask, kvHeads off → missing workgroupBarrier\(\)$/,
    );
  });

  it('a loop without side effects that never ends for m > 20: out of interpreter steps, a FAIL', async () => {
    const f = fixture('softmax_naive_loop_never_ends.wgsl');
    const loop =
      fixtureSource(f)
        .split('\n')
        .findIndex((l) => l.includes('loop {')) + 1;
    const report = await verify(f);
    expect(report.status, explain(report)).toBe('fail');
    expect(report.hints[0], explain(report)).toMatchObject({
      id: 'timeout',
      title: `never finished on the interpreter's small problem at line ${loop} → an endless loop?`,
      lines: [loop],
    });
    expect(report.hints[0].detail).toMatch(/^on n=\d+ m=40 .*a GPU that keeps the loop hangs/);
  });
});

describe.skipIf(!gpu)('every correct kernel passes', () => {
  it.each(correct)('$file', async (f) => {
    const report = await verify(f);
    expect(report.status, explain(report)).toBe('pass');
    expect(report.hints).toEqual([]);
    expect(report.limits).toEqual([]);
  });
});

describe.skipIf(!gpu)('the diagnosis is the same on every run', () => {
  const [first] = mutants.filter((f) => f.bugClass === 'head-offset');
  it(`${first.file}`, async () => {
    const a = await verify(first);
    const b = await verify(first);
    expect(b.hints).toEqual(a.hints);
    expect(b.cases.map((c) => [c.name, c.status])).toEqual(a.cases.map((c) => [c.name, c.status]));
  });
});
