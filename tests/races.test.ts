/**
 * The interpreter check (src/core/verify/races.ts, src/gpu/hazards.ts): every race, out-of-bounds
 * access, read of unwritten workgroup memory and barrier divergence, with lines; nothing for the
 * built-in kernels or the corpus's correct kernels; every barrier mutant caught. Pure: no GPU.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StageName } from '../src/core/stages';
import { DEFAULT_INVOCATION_STEP_BUDGET, DEFAULT_STEP_BUDGET, detectHazards, overridesAsConstants } from '../src/core/verify/races';
import { PROJECTION_SHADER, ROPE_SHADER, VARIANTS } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import { checkWorkgroupHazards, DEFAULT_WORKGROUP_STORAGE, hasHazards, planHazardShape } from '../src/gpu/hazards';
import { fixtureSource, loadKernelFixtures } from './helpers/mutants';

const shaders = loadShaderLibrary();
const builtIns: { file: string; stage: StageName }[] = [
  ...Object.values(VARIANTS).flatMap((variant) => Object.entries(variant).map(([stage, file]) => ({ file, stage: stage as StageName }))),
  { file: PROJECTION_SHADER, stage: 'project' },
  { file: ROPE_SHADER, stage: 'rope' },
];
const fixtures = loadKernelFixtures();
const EXAMPLES = join(import.meta.dirname, '../examples/kernels');

/** A line of the source, for messages and for checking that a reported line touches the variable. */
const line = (source: string, n: number) => source.split('\n')[n - 1] ?? '';
const findings = (r: ReturnType<typeof checkWorkgroupHazards>) => [
  ...r.races.map((x) => `race ${x.variable} ${x.kind} lines ${x.a.line}/${x.b.line}`),
  ...r.outOfBounds.map((x) => `out of bounds ${x.buffer} line ${x.site.line}`),
  ...r.uninitialisedReads.map((x) => `unwritten ${x.variable} line ${x.site.line}`),
  ...r.barrierDivergence.map((x) => x.message),
];

describe('built-in kernels on the interpreter', () => {
  it.each(builtIns)('$file ($stage): no race, out-of-bounds access, unwritten read or divergence', ({ file, stage }) => {
    const report = checkWorkgroupHazards(shaders[file], stage);
    expect(report.incomplete, report.covered).toBeUndefined();
    expect(report.interpreterErrors).toEqual([]);
    expect(findings(report), report.covered).toEqual([]);
    expect(report.exceedsDefaultWorkgroupStorage).toBe(false);
    expect(report.invocations).toBeGreaterThan(0);
    // Far from the step budgets that fail a kernel as an endless loop (both runs, flags on and off).
    expect(report.maxInvocationSteps).toBeLessThan(DEFAULT_INVOCATION_STEP_BUDGET / 100);
    expect(report.steps).toBeLessThan(DEFAULT_STEP_BUDGET / 10);
  });

  it('says the check is partial when the interpreter met something it could not evaluate', () => {
    // wgsl_reflect's interpreter cannot branch on a bool member of a struct: it logs and carries on.
    const fused = shaders['flash_attention.wgsl'];
    const branch = '  if (f.rescale != 1.0) {';
    expect(fused).toContain(branch);
    const source = fused
      .replace('struct Folded {', 'struct Flag {\n  on: bool,\n}\n\nstruct Folded {')
      .replace(branch, '  var flag: Flag;\n  flag.on = f.rescale != 1.0;\n  if (flag.on) {');
    const report = checkWorkgroupHazards(source, 'fused');
    expect(report.interpreterErrors.length).toBeGreaterThan(0);
    expect(report.covered).toMatch(/ — partial: the interpreter could not evaluate everything \(.+\)$/);
    expect(checkWorkgroupHazards(fused, 'fused').covered).not.toMatch(/ — partial:/);
  });

  it('runs at least two workgroups along the first axis each tiled kernel blocks, the second one partial', () => {
    const tiled = planHazardShape('qk', { workgroupSize: [16, 16, 1], outputsPerInvocation: [4, 4] });
    expect(tiled.m).toBe(127);
    expect(tiled.n).not.toBe(tiled.m);
    const naive = planHazardShape('qk', { workgroupSize: [8, 8, 1] });
    expect([naive.m, naive.n, naive.heads]).toEqual([15, 13, 2]);
    expect(planHazardShape('fused', { workgroupSize: [64, 1, 1] }).n).toBe(125);
  });
});

describe('corpus kernels on the interpreter', () => {
  const barrierBugs = [
    ...fixtures.filter((f) => f.bugClass === 'barrier').map((f) => ({ file: f.file, stage: f.stage, source: fixtureSource(f) })),
    {
      file: 'examples/kernels/pv_missing_barrier.wgsl',
      stage: 'pv' as StageName,
      source: readFileSync(join(EXAMPLES, 'pv_missing_barrier.wgsl'), 'utf8'),
    },
  ];
  it.each(barrierBugs)('$file: reports a race on workgroup memory, with both lines', ({ stage, source }) => {
    const report = checkWorkgroupHazards(source, stage);
    const shared = report.races.filter((r) => r.scope === 'workgroup');
    expect(shared.length, report.covered).toBeGreaterThan(0);
    for (const race of shared) {
      expect(race.a.local).not.toEqual(race.b.local);
      expect(race.a.kind === 'write' || race.b.kind === 'write').toBe(true);
      for (const side of [race.a, race.b]) expect(line(source, side.line), `line ${side.line}`).toContain(race.variable);
    }
  });

  it('runs a second problem with causal, the mask and the features off: a barrier only on the causal path races there', () => {
    const source = fixtureSource({ file: 'pv_tiled_trailing_barrier_causal_only.wgsl' });
    const report = checkWorkgroupHazards(source, 'pv');
    expect(report.covered).toMatch(/causal \(shift 0\) mask, .*; and with causal off, no mask, kvHeads off: n=\d+ m=40 /);
    const races = report.races.filter((r) => r.variable === 'p_tile' || r.variable === 'v_tile');
    expect(races.length, findings(report).join('\n')).toBeGreaterThan(0);
    // Only the second problem finds it, and says so.
    for (const race of races) expect(race.problem).toBe('causal off, no mask, kvHeads off');
  });

  it('runs the fused kernel split (3 key splits, the last empty): a barrier skipped only with key splits races there', () => {
    const source = fixtureSource({ file: 'fused_split_trailing_barrier.wgsl' });
    const report = checkWorkgroupHazards(source, 'fused');
    expect(report.covered).toMatch(
      /; and split-KV \(3 key splits of 64 keys, the last empty; partials sized as the engine sizes them, window off\): n=9 m=100 .*grid 1×3×2, and its decoding shape n=1 m=100 causal \(shift 99\), grid 1×3×2, /,
    );
    const races = report.races.filter((r) => r.variable === 'shared_mem' && r.scope === 'workgroup');
    expect(races.length, findings(report).join('\n')).toBeGreaterThan(0);
    // Only the split problem finds it, and says so.
    for (const race of races) expect(race.problem).toBe('3 key splits');
    // The first problem alone (unsplit) sees nothing.
    expect(checkWorkgroupHazards(source, 'fused', { shape: {} }).races).toEqual([]);
  });

  it('sizes partials as the engine does: a split index one split too far writes past its end', () => {
    const fused = shaders['flash_attention.wgsl'];
    const index = '  return base + ((job.head * params.key_splits + job.split) * params.n + row) * 2u;';
    expect(fused).toContain(index);
    const report = checkWorkgroupHazards(fused.replace(index, index.replace('job.split)', 'job.split + 1u)')), 'fused');
    const past = report.outOfBounds.filter((o) => o.buffer === 'partials');
    expect(past.length, findings(report).join('\n')).toBeGreaterThan(0);
    expect(past[0]).toMatchObject({ problem: '3 key splits', site: { kind: 'write' } });
    expect(past[0].index).toBeGreaterThanOrEqual(past[0].length);
  });

  it('stops a loop that never ends on one invocation’s step budget, with its line and problem', () => {
    const source = fixtureSource({ file: 'softmax_naive_loop_never_ends.wgsl' });
    const report = checkWorkgroupHazards(source, 'softmax');
    const loop = source.split('\n').findIndex((l) => l.includes('loop {')) + 1;
    expect(report.outOfSteps).toMatchObject({ of: 'invocation', budget: DEFAULT_INVOCATION_STEP_BUDGET, lines: [loop] });
    expect(report.outOfSteps?.problem).toMatch(/^n=\d+ m=40 /);
    expect(report.incomplete).toMatch(/^stopped after \d+ interpreter steps of one invocation/);
  });

  it.each(fixtures.filter((f) => f.expect === 'pass'))('$file (correct): reports nothing', (f) => {
    const report = checkWorkgroupHazards(fixtureSource(f), f.stage);
    expect(report.incomplete).toBeUndefined();
    expect(findings(report), report.covered).toEqual([]);
    expect(hasHazards(report)).toBe(false);
  });

  it.each(fixtures.filter((f) => f.bugClass === 'limits'))('$file: declares more workgroup memory than a default device has', (f) => {
    const report = checkWorkgroupHazards(fixtureSource(f), f.stage);
    expect(report.workgroupBytes).toBeGreaterThan(DEFAULT_WORKGROUP_STORAGE);
    expect(report.exceedsDefaultWorkgroupStorage).toBe(true);
  });
});

describe('features on the interpreter', () => {
  const fixture = (file: string) => fixtureSource({ file });

  it('runs the rope kernel with RoPE on (a rotary fraction, an offset) and one K head for two query heads', () => {
    const report = checkWorkgroupHazards(shaders[ROPE_SHADER], 'rope');
    expect(findings(report), report.covered).toEqual([]);
    expect(report.incomplete).toBeUndefined();
    expect(report.shape).toMatchObject({ heads: 2, kvHeads: 1, features: ['rope', 'kvHeads'] });
    expect(report.covered).toMatch(/features rope=half r=16 offset 3 kvHeads=1/);
  });

  it.each([
    ['qk_naive_features.wgsl', 'qk', ['kvHeads', 'window', 'alibi', 'softcap']],
    ['softmax_naive_sinks.wgsl', 'softmax', ['sinks']],
    ['pv_naive_kv_heads.wgsl', 'pv', ['kvHeads']],
  ] as const)('%s: the %s kernel with its declared features on, its bindings and buffers sized for them', (file, stage, features) => {
    const report = checkWorkgroupHazards(fixture(file), stage);
    expect(findings(report), report.covered).toEqual([]);
    expect(report.shape.features).toEqual(features);
    if (features.includes('kvHeads' as never)) expect(report.shape).toMatchObject({ heads: 2, kvHeads: 1 });
  });

  it('leaves the features off for a kernel that does not declare them', () => {
    const report = checkWorkgroupHazards(shaders['qk_scores_naive.wgsl'].replace(/const SUPPORTS_\w+ = true;\n/g, ''), 'qk');
    expect(report.shape).toMatchObject({ features: [], kvHeads: report.shape.heads });
  });

  it.each([
    ['qk_naive_k_stride_heads.wgsl', 'qk', 'k'],
    ['pv_naive_v_stride_heads.wgsl', 'pv', 'v'],
    ['rope_k_rows_heads.wgsl', 'rope', 'k'],
  ] as const)('%s: K or V strided by the query heads runs past %s with fewer K/V heads', (file, stage, buffer) => {
    const report = checkWorkgroupHazards(fixture(file), stage);
    expect(report.outOfBounds.map((o) => o.buffer)).toContain(buffer);
  });

  it('reports two invocations writing one element of q_rot (the half layout split at dk/2)', () => {
    const report = checkWorkgroupHazards(fixture('rope_half_pairs_dk.wgsl'), 'rope');
    expect(
      report.races.some((r) => r.kind === 'write-write' && (r.variable === 'q_rot' || r.variable === 'k_rot')),
      findings(report).join('\n'),
    ).toBe(true);
  });
});

describe('detectHazards', () => {
  const uniform = (values: number[]) => ({ data: new Uint32Array(values).buffer, uniform: true });
  const kernel = (body: string, size = 8) => `
struct P { n: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> data: array<f32>;
var<workgroup> tile: array<f32, ${size}>;
@compute @workgroup_size(${size})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
${body}
}`;
  const run = (source: string, words = 8, grid: [number, number, number] = [1, 1, 1]) =>
    detectHazards(source, { grid, bindings: { 0: uniform([8]), 1: { data: new Float32Array(words).buffer } } });

  it('sees a barrier that opens an if or a loop body (the debugger runs a block’s first statement as it enters)', () => {
    const inIf = kernel('  tile[lid] = f32(lid);\n  if (p.n > 0u) {\n    workgroupBarrier();\n    data[lid] = tile[(lid + 1u) % 8u];\n  }');
    const inLoop = kernel(
      '  tile[lid] = f32(lid);\n  for (var i = 0u; i < 2u; i++) {\n    workgroupBarrier();\n    data[lid] = tile[(lid + i + 1u) % 8u];\n  }',
    );
    expect(run(inIf).races).toEqual([]);
    expect(run(inLoop).races).toEqual([]);
    expect(run(inIf).barrierDivergence).toEqual([]);
    // and without the barrier the same code races
    expect(run(inIf.replace('workgroupBarrier();', '')).races.length).toBeGreaterThan(0);
  });

  it('finds read-after-write on workgroup memory without a barrier, with both lines, and none with it', () => {
    const racy = kernel('  tile[lid] = f32(lid);\n  data[lid] = tile[(lid + 1u) % 8u];');
    const report = run(racy);
    expect(report.races.length).toBeGreaterThan(0);
    const race = report.races[0];
    expect([race.variable, race.kind, race.scope]).toEqual(['tile', 'read-write', 'workgroup']);
    expect(new Set([race.a.line, race.b.line])).toEqual(new Set([8, 9])); // the body starts on line 8
    const synced = kernel('  tile[lid] = f32(lid);\n  workgroupBarrier();\n  data[lid] = tile[(lid + 1u) % 8u];');
    const clean = run(synced);
    expect(clean.races).toEqual([]);
  });

  it('finds write-after-read across loop iterations (the barrier that ends a tile)', () => {
    const loop = (end: string) =>
      kernel(`  var acc = 0.0;
  for (var t = 0u; t < 3u; t++) {
    tile[lid] = f32(t + lid);
    workgroupBarrier();
    acc += tile[7u - lid];${end}
  }
  data[lid] = acc;`);
    const report = run(loop(''));
    expect(report.races.some((r) => r.variable === 'tile' && r.kind === 'read-write')).toBe(true);
    expect(run(loop('\n    workgroupBarrier();')).races).toEqual([]);
  });

  it('reports writes of one element by two workgroups', () => {
    const report = run(kernel('  data[lid] = f32(wid.x);'), 8, [2, 1, 1]);
    expect(report.races).toHaveLength(1);
    expect(report.races[0]).toMatchObject({ variable: 'data', kind: 'write-write', scope: 'dispatch', count: 8 });
    expect(report.races[0].a.workgroup).toEqual([0, 0, 0]);
    expect(report.races[0].b.workgroup).toEqual([1, 0, 0]);
  });

  it('reports out-of-bounds reads and writes with the line, index and length, and carries on', () => {
    const report = run(kernel('  let x = data[lid + 4u];\n  data[lid + 2u] = x;'));
    expect(report.outOfBounds.map((o) => [o.buffer, o.site.kind, o.site.line, o.index, o.length, o.count])).toEqual([
      ['data', 'read', 8, 8, 8, 4],
      ['data', 'write', 9, 8, 8, 2],
    ]);
    expect(report.interpreterErrors).toEqual([]);
  });

  it('reports reads of workgroup memory no invocation of the workgroup wrote', () => {
    const report = run(kernel('  if (lid < 4u) { tile[lid] = 1.0; }\n  workgroupBarrier();\n  data[lid] = tile[lid];'));
    expect(report.uninitialisedReads).toHaveLength(1);
    expect(report.uninitialisedReads[0]).toMatchObject({ variable: 'tile', index: 4, count: 4 });
    expect(report.uninitialisedReads[0].site.line).toBe(10);
  });

  it('reports a barrier that some invocations never reach', () => {
    const report = run(kernel('  if (lid >= p.n - 2u) { return; }\n  workgroupBarrier();\n  data[lid] = 1.0;'));
    expect(report.barrierDivergence).toHaveLength(1);
    expect(report.barrierDivergence[0].line).toBe(9);
  });

  it('writes a vector component by index (which wgsl_reflect 1.6 alone cannot), without false races', () => {
    const source = `
@group(0) @binding(0) var<storage, read_write> data: array<f32>;
var<workgroup> tile: array<vec4f, 2>;
@compute @workgroup_size(8)
fn main(@builtin(local_invocation_index) lid: u32) {
  tile[lid / 4u][lid % 4u] = f32(lid) + 0.5;
  workgroupBarrier();
  data[lid] = tile[(7u - lid) / 4u][(7u - lid) % 4u];
}`;
    const out = new Float32Array(8);
    const report = detectHazards(source, { grid: [1, 1, 1], bindings: { 0: { data: out.buffer } } });
    expect(report.races).toEqual([]);
    expect(report.interpreterErrors).toEqual([]);
    expect([...out]).toEqual([7.5, 6.5, 5.5, 4.5, 3.5, 2.5, 1.5, 0.5]);
  });

  it("counts the caller's elements in arrayLength() (the interpreter pads buffers to survive overruns)", () => {
    const out = new Float32Array(8);
    const report = detectHazards(kernel('  data[lid] = f32(arrayLength(&data));'), {
      grid: [1, 1, 1],
      bindings: { 0: uniform([8]), 1: { data: out.buffer } },
    });
    expect(report.outOfBounds).toEqual([]);
    expect([...out]).toEqual(new Array(8).fill(8));
  });

  it('turns override declarations into constants on the same lines', () => {
    const { code, missing } = overridesAsConstants('override A: u32 = 4u;\n@id(3) override B: f32;\noverride C: u32 = A * 2u;', { B: 0.5 });
    expect(code).toBe('const A: u32 = 4u;\nconst B: f32 = f32(0.5);\nconst C: u32 = A * 2u;');
    expect(missing).toEqual([]);
    expect(overridesAsConstants('override D: u32;').missing).toEqual(['D']);
  });
});
