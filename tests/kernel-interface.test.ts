/**
 * The kernels' front door (src/gpu/kernels.ts) and the Params check: a kernel's uniform struct is
 * read by reflection and held to the layout packParams writes, so a misordered or mistyped field is
 * an interface error that names it, instead of a kernel that silently reads the wrong number.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StageName } from '../src/core/stages';
import { AttentionEngine } from '../src/gpu/engine';
import { KernelInterfaceError } from '../src/gpu/errors';
import { packParams, PARAMS_BYTES, PARAMS_FIELDS, STAGES } from '../src/gpu/interface';
import { diagnoseKernel } from '../src/gpu/kernels';
import { interfaceProblems } from '../src/gpu/reflect';
import { ACTIVATION_SHADERS, PROJECTION_SHADER, VARIANT_NAMES, VARIANTS } from '../src/gpu/variants';
import { verifyKernel } from '../src/gpu/verify-suite';
import { loadShaderLibrary } from '../src/node/shaders';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import { buildCase } from './helpers/cases';

const shaders = loadShaderLibrary();

/** Every built-in kernel with the stage it implements. */
const builtIns: { file: string; stage: StageName }[] = [
  ...VARIANT_NAMES.flatMap((variant) => Object.entries(VARIANTS[variant]).map(([stage, file]) => ({ file, stage: stage as StageName }))),
  { file: PROJECTION_SHADER, stage: 'project' },
  // The softmax stage's file for an elementwise activation (ReLU, GELU), naive and tiled alike.
  { file: ACTIVATION_SHADERS.relu, stage: 'softmax' },
];

const EXAMPLES = join(import.meta.dirname, '../examples/kernels');
const examples = (JSON.parse(readFileSync(join(EXAMPLES, 'index.json'), 'utf8')) as { file: string; stage: StageName }[]).map(
  ({ file, stage }) => ({ file, stage, source: readFileSync(join(EXAMPLES, file), 'utf8') }),
);

const TILED_QK = shaders['qk_scores.wgsl'];
/** The tiled qk kernel with `n` and `m` declared in each other's place. */
const SWAPPED = TILED_QK.replace(/n: u32,([^\n]*)\n(\s*)m: u32,/, 'm: u32,$1\n$2n: u32,');
/** The tiled qk kernel with causal_shift declared as u32. */
const MISTYPED = TILED_QK.replace('causal_shift: i32', 'causal_shift: u32');

describe('the Params layout', () => {
  it('packs each field at the offset and with the type the table gives', () => {
    const params = {
      n: 7,
      m: 9,
      dk: 3,
      dv: 5,
      heads: 2,
      causal: true,
      hasMask: true,
      causalShift: -4,
      scale: 0.25,
      temperature: 1.5,
      dModel: 11,
      kvHeads: 1,
      window: 3,
      softcap: 30,
      alibi: true,
      sinks: false,
      rope: { layout: 'half' as const, base: 500000, dims: 2, offset: -6 },
      keySplits: 3,
      splitKeys: 128,
      dq: 5,
      scoreDim: 6,
    };
    const packed = packParams(params);
    expect(packed.byteLength).toBe(PARAMS_BYTES);
    expect(PARAMS_BYTES).toBe(80);
    const u32 = new Uint32Array(packed),
      i32 = new Int32Array(packed),
      f32 = new Float32Array(packed);
    expect(PARAMS_FIELDS.map((f) => [f.name, f.type, f.offset])).toEqual([
      ['n', 'u32', 0],
      ['m', 'u32', 4],
      ['dk', 'u32', 8],
      ['dv', 'u32', 12],
      ['heads', 'u32', 16],
      ['flags', 'u32', 20],
      ['causal_shift', 'i32', 24],
      ['scale', 'f32', 28],
      ['temperature', 'f32', 32],
      ['d_model', 'u32', 36],
      ['kv_heads', 'u32', 40],
      ['window', 'u32', 44],
      ['softcap', 'f32', 48],
      ['rope_base', 'f32', 52],
      ['rope_dims', 'u32', 56],
      ['position_offset', 'i32', 60],
      ['key_splits', 'u32', 64],
      ['split_keys', 'u32', 68],
      ['dq', 'u32', 72],
      ['score_dim', 'u32', 76],
    ]);
    // flags: causal 1 | mask 2 | window 4 | ALiBi 8 | softcap 16 | RoPE 64 | RoPE half layout 128
    expect([...u32.subarray(0, 6)]).toEqual([7, 9, 3, 5, 2, 1 | 2 | 4 | 8 | 16 | 64 | 128]);
    expect(i32[6]).toBe(-4);
    expect([f32[7], f32[8]]).toEqual([0.25, 1.5]);
    expect([u32[9], u32[10], u32[11]]).toEqual([11, 1, 3]);
    expect([f32[12], f32[13]]).toEqual([30, 500000]);
    expect(u32[14]).toBe(2);
    expect(i32[15]).toBe(-6);
    expect([u32[16], u32[17]]).toEqual([3, 128]);
    expect([u32[18], u32[19]]).toEqual([5, 6]);
    // A shape written for dot (no dq, no score_dim): dq = dk, score_dim = 0.
    const dot = new Uint32Array(packParams({ ...params, dq: undefined, scoreDim: undefined }));
    expect([dot[18], dot[19]]).toEqual([3, 0]);
  });

  it.each(builtIns)('accepts the built-in $file ($stage)', ({ file, stage }) => {
    expect(interfaceProblems(shaders[file], STAGES[stage]).problems).toEqual([]);
  });

  it.each(examples)('accepts the broken example $file: its bug is in the arithmetic, not the interface', ({ source, stage }) => {
    expect(interfaceProblems(source, STAGES[stage]).problems).toEqual([]);
  });

  it('names swapped fields with their offsets and where they belong', () => {
    expect(SWAPPED).not.toBe(TILED_QK);
    const problems = interfaceProblems(SWAPPED, STAGES.qk).problems.join('\n');
    expect(problems).toMatch(/Params\.m: u32 is at byte offset 0, where the engine packs n: u32; m belongs at offset 4/);
    expect(problems).toMatch(/Params\.n: u32 is at byte offset 4, where the engine packs m: u32; n belongs at offset 0/);
  });

  it('names a mistyped field', () => {
    const problems = interfaceProblems(MISTYPED, STAGES.qk).problems.join('\n');
    expect(problems).toMatch(/Params\.causal_shift: u32 is at byte offset 24, but the engine packs causal_shift there as i32/);
  });

  it('names a field the engine does not pack, and a uniform that is not a struct', () => {
    const fields = PARAMS_FIELDS.map((f) => `${f.name}: ${f.type}`).join(', ');
    const extra = `struct Params { ${fields}, extra: u32 }\n@group(0) @binding(0) var<uniform> params: Params;\n@compute @workgroup_size(1) fn main() { _ = params.n; }`;
    expect(interfaceProblems(extra, STAGES.qk).problems.join('\n')).toMatch(
      /Params\.extra: u32 is at byte offset 80, but the engine packs nothing there/,
    );
    const renamed = TILED_QK.replace('dk: u32', 'width: u32');
    expect(interfaceProblems(renamed, STAGES.qk).problems.join('\n')).toMatch(
      /Params\.width: u32 is at byte offset 8, where the engine packs dk: u32; Params has no field width/,
    );
    const vector = '@group(0) @binding(0) var<uniform> params: vec4<u32>;\n@compute @workgroup_size(1) fn main() { _ = params.x; }';
    expect(interfaceProblems(vector, STAGES.softmax).problems.join('\n')).toMatch(
      /params at @binding\(0\) must be a struct with the fields of Params \(n: u32 @0, m: u32 @4/,
    );
  });

  it('accepts a shorter prefix of the struct', () => {
    const prefix =
      'struct P { n: u32, m: u32 }\n@group(0) @binding(0) var<uniform> params: P;\n@compute @workgroup_size(64) fn main() { _ = params.m; }';
    expect(interfaceProblems(prefix, STAGES.softmax).problems).toEqual([]);
  });
});

const gpu = await acquireTestDevice();
watchDevice(gpu);

describe.skipIf(!gpu)('diagnoseKernel', () => {
  it('compiles a built-in kernel once per device and caches the pipeline', async () => {
    const first = await diagnoseKernel(gpu!.device, 'softmax', shaders['softmax_rows.wgsl']);
    expect(first.problems).toEqual([]);
    expect(first.messages.filter((m) => m.type === 'error')).toEqual([]);
    expect(first.kernel?.workgroupSize).toEqual([16, 16, 1]);
    expect(await diagnoseKernel(gpu!.device, 'softmax', shaders['softmax_rows.wgsl'])).toBe(first);
  });

  it('gives compiler errors with line and column, and no pipeline', async () => {
    const broken = shaders['softmax_rows.wgsl'].replace('let lane = lid.x;', 'let lane = lid.x');
    const diagnosis = await diagnoseKernel(gpu!.device, 'softmax', broken);
    expect(diagnosis.kernel).toBeNull();
    const error = diagnosis.messages.find((m) => m.type === 'error');
    expect(error?.line).toBeGreaterThan(1);
    expect(error?.column).toBeGreaterThan(0);
    expect(diagnosis.problems).toEqual([]);
  });

  it("sets the override constants from an engine's limits", async () => {
    const engine = new AttentionEngine(gpu!.device, shaders, { limits: { maxComputeWorkgroupStorageSize: 8192 } });
    const diagnosis = await diagnoseKernel(engine, 'fused', shaders['flash_attention.wgsl']);
    expect(diagnosis.kernel?.constants).toEqual({ WORKGROUP_BYTES: 8192 });
  });

  it('explains a swapped Params struct before anything runs, in the engine and in the verifier', async () => {
    const diagnosis = await diagnoseKernel(gpu!.device, 'qk', SWAPPED);
    expect(diagnosis.kernel).toBeNull();
    expect(diagnosis.problems.join('\n')).toMatch(/Params\.m: u32 is at byte offset 0, where the engine packs n: u32/);

    const engine = new AttentionEngine(gpu!.device, shaders);
    const { inputs, options } = buildCase({ name: 'swapped', n: 3, m: 5, dk: 2, dv: 2, seed: 1 });
    const error = await engine.run(inputs, options, { kernels: { qk: SWAPPED } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelInterfaceError);
    expect((error as Error).message).toMatch(/Params\.n: u32 is at byte offset 4, where the engine packs m: u32; n belongs at offset 0/);

    const report = await verifyKernel(engine, { stage: 'qk', source: SWAPPED, cases: [] });
    expect(report.status).toBe('interface-error');
    expect(report.interfaceProblems.join('\n')).toMatch(/Params\.m: u32 is at byte offset 0/);
  });
});
