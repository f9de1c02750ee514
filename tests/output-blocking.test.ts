/**
 * Kernels that compute several outputs per invocation (OUTPUTS_PER_INVOCATION_X/Y): the reflection
 * reads the constants, the grid rule divides by them, and the blocked built-in tiled kernels match
 * the reference across several 64-wide tiles in every direction.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AttentionEngine } from '../src/gpu/engine';
import { STAGES } from '../src/gpu/interface';
import { interfaceProblems } from '../src/gpu/reflect';
import { loadShaderLibrary, SHADER_DIR } from '../src/node/shaders';
import { checkAgainstReference } from '../src/core/compare-run';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import { buildCase } from './helpers/cases';

const shader = (file: string) => readFileSync(join(SHADER_DIR, file), 'utf8');
const size = { rows: 130, m: 200, dk: 24, dv: 70, heads: 3, dModel: 0 };

describe('OUTPUTS_PER_INVOCATION_X/Y', () => {
  it('is read from the built-in tiled qk and pv kernels (4 × 4 per invocation)', () => {
    for (const [file, stage] of [
      ['qk_scores.wgsl', STAGES.qk],
      ['weighted_values.wgsl', STAGES.pv],
    ] as const) {
      const { problems, shape } = interfaceProblems(shader(file), stage);
      expect(problems).toEqual([]);
      expect(shape?.workgroupSize).toEqual([16, 16, 1]);
      expect(shape?.outputsPerInvocation).toEqual([4, 4]);
    }
  });

  it('defaults to 1 when a kernel does not declare it (the old layout stays valid)', () => {
    const { problems, shape } = interfaceProblems(shader('qk_scores_naive.wgsl'), STAGES.qk);
    expect(problems).toEqual([]);
    expect(shape?.outputsPerInvocation).toEqual([1, 1]);
    expect(STAGES.qk.grid(shape!, size)).toEqual([Math.ceil(200 / 8), Math.ceil(130 / 8), 3]);
  });

  it('scales the qk, pv and project grids, and leaves softmax and fused alone', () => {
    const blocked = { workgroupSize: [16, 16, 1], outputsPerInvocation: [4, 2] };
    expect(STAGES.qk.grid(blocked, size)).toEqual([Math.ceil(200 / 64), Math.ceil(130 / 32), 3]);
    expect(STAGES.pv.grid(blocked, size)).toEqual([Math.ceil(70 / 64), Math.ceil(130 / 32), 3]);
    expect(STAGES.project.grid(blocked, { ...size, dModel: 100 })).toEqual([2, 5, 1]);
    expect(STAGES.softmax.grid({ workgroupSize: [16, 16, 1] }, size)).toEqual([Math.ceil(130 / 16), 3, 1]);
  });

  it('evaluates constant expressions and rejects bad values or stages without output blocks', () => {
    const qk = (decl: string) =>
      interfaceProblems(
        `${decl}\n@group(0) @binding(4) var<storage, read_write> scores: array<f32>;\n@compute @workgroup_size(8, 8) fn main() { scores[0] = 0.0; }`,
        STAGES.qk,
      );
    expect(qk('const B: u32 = 2u; const OUTPUTS_PER_INVOCATION_X: u32 = B * 2u;').shape?.outputsPerInvocation).toEqual([4, 1]);
    expect(qk('const OUTPUTS_PER_INVOCATION_Y: u32 = 0u;').problems.join(' ')).toMatch(
      /OUTPUTS_PER_INVOCATION_Y must be a positive integer/,
    );
    const softmax = interfaceProblems(
      `const OUTPUTS_PER_INVOCATION_X: u32 = 4u;\n@compute @workgroup_size(64) fn main() {}`,
      STAGES.softmax,
    );
    expect(softmax.problems.join(' ')).toMatch(/softmax stage has no per-invocation output blocks/);
  });
});

const gpu = await acquireTestDevice();
watchDevice(gpu);

describe.skipIf(!gpu)('blocked tiled kernels across several 64 × 64 tiles', () => {
  it.each([
    { name: 'n=130 m=200 dk=20 dv=70, 2 heads, causal', n: 130, m: 200, dk: 20, dv: 70, heads: 2, causal: true, seed: 900 },
    { name: 'n=129 m=65 dk=67 dv=129, random mask', n: 129, m: 65, dk: 67, dv: 129, mask: 'random' as const, seed: 901 },
  ])('$name', async (c) => {
    const engine = new AttentionEngine(gpu!.device, loadShaderLibrary());
    const { inputs, options } = buildCase(c);
    const result = await engine.run(inputs, options, { variant: 'tiled', intermediates: true, poison: true });
    const check = checkAgainstReference(inputs, options, { ...result, output: result.output.data });
    expect(check.scores?.pass).toBe(true);
    expect(check.probs?.pass).toBe(true);
    expect(check.output.pass).toBe(true);
  });
});
