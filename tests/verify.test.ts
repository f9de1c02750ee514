import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unsyncedWorkgroupReads } from '../src/core/verify/barriers';
import type { VerifyCase } from '../src/core/verify/cases';
import { tileSizes, verifyCases } from '../src/core/verify/cases';
import { pairwise } from '../src/core/verify/pairwise';
import { constantFactor, differingElements, POISON_BITS } from '../src/core/verify/check-stage';
import { poisonArray } from '../src/core/poison';
import { caseHint, diagnose } from '../src/core/verify/hints';
import type { CaseReport, VerifyReport } from '../src/core/verify/report';
import { compileErrorLines, formatReport } from '../src/core/verify/report';
import { requestAttentionDevice } from '../src/gpu/device';
import { AttentionEngine } from '../src/gpu/engine';
import { RunCancelledError } from '../src/core/errors';
import { DeviceLostError } from '../src/gpu/errors';
import type { StageName } from '../src/core/stages';
import { loadShaderLibrary } from '../src/node/shaders';
import { nodeGpu } from '../src/node/webgpu';
import { builtInKernels, verifyKernel } from '../src/gpu/verify-suite';
import { acquireTestDevice, watchDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();
const engine = () => new AttentionEngine(gpu!.device, shaders);

const EXAMPLES = join(import.meta.dirname, '../examples/kernels');
interface Example {
  file: string;
  stage: StageName;
  name: string;
  description: string;
  expectedHint: string;
}
const manifest = JSON.parse(readFileSync(join(EXAMPLES, 'index.json'), 'utf8')) as Example[];
const exampleSource = (file: string) => readFileSync(join(EXAMPLES, file), 'utf8');

/** The report's table and hints, for a failure message that says what happened. */
const explain = (report: VerifyReport) => `\n${formatReport(report)}`;

describe('the suite', () => {
  it("derives sizes 1, T−1, T, T+1 and 2T+1 along each axis from the kernel's own tiles", () => {
    expect(tileSizes([8, 8, 1])).toEqual([8, 16]);
    const cases = verifyCases({ tiles: { rows: 64, keys: 64, inner: ['dk'] } });
    for (const size of [63, 64, 65, 129]) {
      expect(
        cases.some((c) => c.n === size && c.tags.includes('tile-edge')),
        `n=${size}`,
      ).toBe(true);
      expect(
        cases.some((c) => c.m === size && c.tags.includes('tile-edge')),
        `m=${size}`,
      ).toBe(true);
    }
    expect(cases.some((c) => c.n === 1 && c.m === 1)).toBe(true);
    // 2T+1: three workgroups along the axis, the last one partial.
    const multi = cases.filter((c) => c.tags.includes('multi-wg'));
    expect(multi.some((c) => c.n === 129 && c.m <= 64)).toBe(true);
    expect(multi.some((c) => c.m === 129 && c.n <= 64)).toBe(true);
    expect(cases.some((c) => c.dk > 32 && c.tags.includes('inner'))).toBe(true);
  });

  it('covers every pair of options, row blocks and the score distributions', () => {
    const cases = verifyCases();
    const tagged = (...tags: VerifyCase['tags']) => cases.filter((c) => tags.every((t) => c.tags.includes(t))).length;
    for (const tag of ['cross', 'widths', 'heads', 'causal', 'mask', 'masked-row', 'large-scores', 'scale', 'aligned'] as const)
      expect(tagged(tag), tag).toBeGreaterThan(0);
    for (const pair of [
      ['heads', 'widths'],
      ['heads', 'cross'],
      ['causal', 'mask'],
      ['causal', 'cross'],
      ['mask', 'cross'],
      ['heads', 'temperature'],
    ] as const)
      expect(tagged(...pair), pair.join(' + ')).toBeGreaterThan(0);
    for (const tag of ['row-blocks', 'very-negative', 'equal-scores', 'one-visible', 'tiny-scores', 'mixed-heads'] as const)
      expect(tagged(tag), tag).toBeGreaterThan(0);
    expect(tagged('seed')).toBeGreaterThanOrEqual(2);
    expect(new Set(cases.map((c) => c.seed)).size).toBe(cases.length);
    expect(verifyCases({ seed: 7 }).map((c) => c.seed)).toEqual(cases.map((c) => c.seed + 7));
    expect(Math.max(...cases.map((c) => Math.max(c.n, c.m)))).toBeLessThanOrEqual(256);
  });

  it('a pairwise covering array holds every pair of values', () => {
    const factors = { a: [0, 1, 2], b: ['x', 'y'], c: [true, false], d: [1, 2, 3] } as const;
    const rows = pairwise(factors);
    const keys = Object.keys(factors) as (keyof typeof factors)[];
    for (const [i, p] of keys.entries())
      for (const q of keys.slice(i + 1))
        for (const vp of factors[p])
          for (const vq of factors[q])
            expect(
              rows.some((r) => r[p] === vp && r[q] === vq),
              `${p}=${vp} ${q}=${vq}`,
            ).toBe(true);
    expect(rows.length).toBeLessThan(3 * 2 * 2 * 3);
    expect(pairwise(factors)).toEqual(rows);
  });
});

describe('symptoms', () => {
  it('tells a never-written poison NaN from a computed one by its bits', () => {
    const poison = poisonArray(1);
    expect(new Uint32Array(poison.buffer)[0]).toBe(POISON_BITS);
    const computed = new Float32Array(new Uint32Array([0xffc00000]).buffer);
    expect(differingElements(poison, computed)).toBe(1);
    expect(differingElements(poison, new Float32Array([NaN]))).toBe(1);
    expect(differingElements(poison, poisonArray(1))).toBe(0);
  });

  it('finds a constant factor only when every sizeable element shares it', () => {
    expect(constantFactor([2, -4, 0.01, -Infinity], [1, -2, 0.004, -Infinity])).toBeCloseTo(2, 10);
    expect(constantFactor([1, 2], [1, 2])).toBeNull();
    expect(constantFactor([2, 3], [1, 2])).toBeNull();
    expect(constantFactor([2, 0], [1, -Infinity])).toBeNull();
  });

  it('flags workgroup memory read after a write with no barrier between, and nothing in the built-in kernels', () => {
    for (const [file, source] of Object.entries(shaders)) expect(unsyncedWorkgroupReads(source), file).toEqual([]);
    const staged = 'k_tile[e % CHUNK][r] = kv;\n    }\n    workgroupBarrier();';
    expect(shaders['qk_scores.wgsl']).toContain(staged);
    const racy = shaders['qk_scores.wgsl'].replace(staged, 'k_tile[e % CHUNK][r] = kv;\n    }');
    const findings = unsyncedWorkgroupReads(racy);
    expect(findings.map((f) => f.variable).sort()).toEqual(['k_tile', 'q_tile']);
    expect(racy.split('\n')[findings[0].line - 1]).toMatch(/(k|q)_tile\[/);
  });
});

function row(c: VerifyCase, fields: Partial<CaseReport> = {}): CaseReport {
  const base: Omit<CaseReport, 'hint'> = {
    name: c.name,
    case: c,
    status: 'pass',
    tensor: 'output',
    count: 1,
    failures: 0,
    maxAbs: 0,
    maxRel: 0,
    maxUlp: 0,
    firstBad: null,
    differing: 0,
    unwritten: 0,
    nonFiniteInMaskedRows: 0,
    nonFiniteElsewhere: 0,
    maskMismatches: 0,
    factor: null,
    ms: 1,
    ...fields,
  };
  return { ...base, hint: caseHint(base) };
}

describe('diagnosis from the pattern across cases', () => {
  const cases = verifyCases();

  it('calls results that change between two runs a race', () => {
    const rows = cases.map((c, i) => row(c, i === 3 ? { status: 'fail', differing: 5, failures: 5 } : {}));
    const hints = diagnose(rows, { stage: 'pv' });
    expect(hints[0].id).toBe('race');
    expect(hints[0].title).toMatch(/workgroupBarrier/);
    expect(rows[3].hint).toMatch(/differs between runs \(5 elements\): race/);
  });

  it('reads a timeout as an infinite loop or a very slow kernel', () => {
    const rows = [row(cases[0]), row(cases[1], { status: 'timeout', tensor: null })];
    expect(diagnose(rows, { stage: 'qk' })[0]).toMatchObject({ id: 'timeout', title: 'timed out — infinite loop or a very slow kernel?' });
  });

  it('blames n and m when only the n ≠ m cases fail', () => {
    const rows = cases.map((c) =>
      row(
        c,
        c.tags.includes('cross') && !c.tags.includes('causal') && !c.tags.includes('masked-row') ? { status: 'fail', failures: 1 } : {},
      ),
    );
    const hints = diagnose(rows, { stage: 'qk' });
    expect(hints.map((h) => h.id)).toContain('cross');
    expect(hints.map((h) => h.bugClass)).toEqual(expect.arrayContaining(['stride', 'bounds']));
  });

  it('names the mechanism from the pattern: several heads with dk ≠ dv → head offset; only all-negative rows → max initialisation', () => {
    const failWhen = (pred: (c: VerifyCase) => boolean) => cases.map((c) => row(c, pred(c) ? { status: 'fail', failures: 1 } : {}));
    const headOffset = diagnose(
      failWhen((c) => c.heads > 1 && c.dk !== c.dv),
      { stage: 'qk' },
    );
    expect(headOffset[0]).toMatchObject({ id: 'head-offset', bugClass: 'head-offset' });
    const maxInit = diagnose(
      failWhen((c) => c.tags.includes('very-negative')),
      { stage: 'softmax' },
    );
    expect(maxInit[0]).toMatchObject({ id: 'max-init', bugClass: 'initialisation' });
    const blocks = diagnose(
      failWhen((c) => c.tags.includes('row-blocks')),
      { stage: 'qk' },
    );
    expect(blocks[0]).toMatchObject({ id: 'causal-shift', bugClass: 'masking' });
  });

  it('never leaves a failing kernel without a hint', () => {
    const rows = cases.map((c, i) => row(c, i % 3 === 1 ? { status: 'fail', failures: 1 } : {}));
    expect(diagnose(rows, { stage: 'pv' }).length).toBeGreaterThan(0);
  });

  it('says nothing when everything passes', () => {
    expect(
      diagnose(
        cases.map((c) => row(c)),
        { stage: 'qk' },
      ),
    ).toEqual([]);
  });
});

describe.skipIf(!gpu)('broken examples are rejected with the right hint', () => {
  it.each(manifest)('$file: $name → $expectedHint', async (example) => {
    const source = exampleSource(example.file);
    expect(source.split('\n')[0], 'the first line says what is wrong').toMatch(/^\/\/ BROKEN: .{20,}/);
    const report = await verifyKernel(engine(), { stage: example.stage, source, label: example.file });
    expect(report.status, explain(report)).toBe('fail');
    expect(report.hints[0]?.id, explain(report)).toBe(example.expectedHint);
    // Shrunk to a failing case no larger than the one it came from, within the run budget.
    const smallest = report.smallest!;
    expect(smallest.row.status, explain(report)).toBe('fail');
    expect(smallest.runs).toBeLessThanOrEqual(40);
    const from = report.cases.find((c) => c.name === smallest.from)!.case;
    for (const axis of ['n', 'm', 'dk', 'dv', 'heads'] as const) expect(smallest.row.case[axis]).toBeLessThanOrEqual(from[axis]);
    expect(smallest.row.firstBad, explain(report)).not.toBeNull();
    expect(report.coverage?.cases).toBe(report.cases.length);
  });
});

describe.skipIf(!gpu)('built-in kernels pass the whole suite', () => {
  it.each(builtInKernels())('$variant $stage', async ({ variant, stage }) => {
    const e = engine();
    const report = await verifyKernel(e, { stage, variant, source: e.source(variant, stage), label: `built-in ${variant} ${stage}` });
    expect(report.status, explain(report)).toBe('pass');
    expect(report.cases.length).toBe(report.plannedCases);
    expect(report.hints).toEqual([]);
    expect(report.warnings).toEqual([]);
  });
});

describe.skipIf(!gpu)('kernels that cannot run', () => {
  const softmax = shaders['softmax_rows.wgsl'];

  it('reports a syntax error with line and column (the CLI exits 2)', async () => {
    const broken = softmax.replace('let lane = lid.x;', 'let lane = lid.x');
    const report = await verifyKernel(engine(), { stage: 'softmax', source: broken });
    expect(report.status).toBe('compile-error');
    expect(report.cases).toEqual([]);
    const line = broken.split('\n').findIndex((l) => l.includes('let lane = lid.x')) + 1;
    const [first] = compileErrorLines(report.compileMessages, 'k.wgsl');
    expect(first).toMatch(/^k\.wgsl:\d+:\d+ \S/);
    const reported = Number(first.split(':')[1]);
    expect(reported).toBeGreaterThanOrEqual(line);
    expect(reported).toBeLessThanOrEqual(line + 1);
    expect(formatReport(report)).toMatch(/does not compile:\n {2}\d+:\d+ /);
  });

  it('explains a binding that does not fit the interface', async () => {
    const broken = softmax.replace(
      '@group(0) @binding(1) var<storage, read> scores',
      '@group(0) @binding(1) var<storage, read_write> scores',
    );
    const report = await verifyKernel(engine(), { stage: 'softmax', source: broken });
    expect(report.status).toBe('interface-error');
    expect(report.interfaceProblems.join('\n')).toMatch(
      /@binding\(1\) must be var<storage, read> scores, but scores is declared as var<storage, read_write>/,
    );
  });

  it('explains a kernel written for another stage', async () => {
    const report = await verifyKernel(engine(), { stage: 'pv', source: shaders['qk_scores.wgsl'] });
    expect(report.status).toBe('interface-error');
    expect(report.interfaceProblems.join('\n')).toMatch(/not part of the pv stage/);
  });

  it('stops when a newer run supersedes it', async () => {
    const controller = new AbortController();
    const run = verifyKernel(engine(), {
      stage: 'softmax',
      source: softmax,
      signal: controller.signal,
      onCase: () => controller.abort(),
    });
    await expect(run).rejects.toThrow(RunCancelledError);
  });
});

/** An engine whose runs never finish (a kernel stuck in a loop) or whose device is gone. */
function stubEngine(run: () => Promise<never>, lost: string | null = null): AttentionEngine {
  return {
    lost,
    kernel: async () => ({ workgroupSize: [16, 16, 1], warnings: [] }),
    diagnose: async (stage: StageName) => ({ stage, messages: [], problems: [], kernel: { workgroupSize: [16, 16, 1], warnings: [] } }),
    run,
  } as unknown as AttentionEngine;
}

describe('time limit and lost devices', () => {
  it('reports a run that never finishes as timed out and stops the suite', async () => {
    // The stub's run never settles: only the time limit can end the case, so the status proves it fired.
    const report = await verifyKernel(
      stubEngine(() => new Promise<never>(() => {})),
      { stage: 'qk', source: '', timeLimitMs: 50 },
    );
    expect(report.status).toBe('timeout');
    expect(report.cases.map((c) => c.status)).toEqual(['timeout']);
    expect(report.plannedCases).toBeGreaterThan(1);
    expect(report.hints[0].title).toBe('timed out — infinite loop or a very slow kernel?');
    expect(formatReport(report)).toMatch(/TIMEOUT: 1 of 1 cases failed \(stopped after 1 of \d+\)/);
  });

  it('surfaces a lost device from a run as its own status', async () => {
    const report = await verifyKernel(
      stubEngine(() => Promise.reject(new DeviceLostError('the GPU device was lost')), 'destroyed'),
      { stage: 'pv', source: '' },
    );
    expect(report.status).toBe('device-lost');
    expect(report.error).toMatch(/device was lost \(destroyed\).*Acquire a new device/);
  });

  it.skipIf(!gpu)('surfaces a really lost device', async () => {
    const { device } = await requestAttentionDevice(await nodeGpu());
    const doomed = new AttentionEngine(device, shaders);
    device.destroy();
    await device.lost;
    const report = await verifyKernel(doomed, { stage: 'qk', source: shaders['qk_scores.wgsl'] });
    expect(report.status).toBe('device-lost');
    expect(report.error).toMatch(/Acquire a new device/);
  });
});
