/**
 * Subgroups in the fused kernel: reading the layout probe, the decision (auto/off, fused only, not a
 * user's kernel, only where the device lays its subgroups out as consecutive invocations), the
 * source swap; on the GPU, the probe, the engine's choice and its reasons, the subgroup form's
 * decoding merge against the float64 reference (and beside the portable form), and the race check
 * catching a missing barrier in either form's merge.
 */
import { describe, expect, it } from 'vitest';
import { checkAgainstReference } from '../src/core/compare-run';
import type { AttentionOptions } from '../src/core/options';
import { randomMatrix } from '../src/core/rng';
import type { AttentionInputs } from '../src/core/shapes';
import type { SubgroupChoice, SubgroupContext, SubgroupLayout } from '../src/core/subgroups';
import { readSubgroupLayout, resolveSubgroups } from '../src/core/subgroups';
import { AttentionEngine } from '../src/gpu/engine';
import type { RunResult } from '../src/gpu/engine';
import { halfStorageSource, STORAGE_BEGIN } from '../src/gpu/half-storage';
import { checkWorkgroupHazards } from '../src/gpu/hazards';
import { probeSubgroupLayout, SUBGROUP_FILE, subgroupSource, SUBGROUPS_BEGIN } from '../src/gpu/subgroups';
import { loadShaderLibrary } from '../src/node/shaders';
import { explainCheck } from './helpers/explain';
import { acquireTestDevice, IN_CI, watchDevice } from './helpers/gpu';

const shaders = loadShaderLibrary();
const FUSED = shaders['flash_attention.wgsl'];

/** Probe words for 64 invocations in subgroups of `size`, with `id(lane)` as the index within. */
function probeWords(size: (lane: number) => number, id: (lane: number) => number): Uint32Array {
  return Uint32Array.from({ length: 128 }, (_, w) => (w % 2 === 0 ? size(w / 2) : id((w - 1) / 2)));
}

describe('reading the layout probe', () => {
  it.each([4, 8, 16, 32, 64, 128])('subgroups of %i consecutive invocations', (size) => {
    expect(
      readSubgroupLayout(
        probeWords(
          () => size,
          (lane) => lane % size,
        ),
        64,
      ),
    ).toEqual({ sizes: [size], consecutive: true });
  });

  it('interleaved subgroups (invocation i in subgroup i mod 2) are not consecutive', () => {
    const layout = readSubgroupLayout(
      probeWords(
        () => 32,
        (lane) => Math.floor(lane / 2),
      ),
      64,
    );
    expect(layout).toEqual({ sizes: [32], consecutive: false });
  });

  it('two sizes in one workgroup are not one layout, and a size of 0 is nothing', () => {
    expect(
      readSubgroupLayout(
        probeWords(
          (lane) => (lane < 32 ? 32 : 16),
          (lane) => (lane < 32 ? lane : lane % 16),
        ),
        64,
      ),
    ).toEqual({ sizes: [16, 32], consecutive: false });
    expect(
      readSubgroupLayout(
        probeWords(
          () => 0,
          () => 0,
        ),
        64,
      ).consecutive,
    ).toBe(false);
  });

  it('refuses a readout shorter than its invocations', () => {
    expect(() => readSubgroupLayout(new Uint32Array(10), 64)).toThrow(/10 words for 64 invocations/);
  });
});

describe('whether a run uses subgroups', () => {
  const consecutive: SubgroupLayout = { sizes: [32], consecutive: true };
  const base: SubgroupContext = { variant: 'fused', deviceHasSubgroups: true, layout: consecutive, customKernel: false };

  const cases: { name: string; choice: SubgroupChoice; context: Partial<SubgroupContext>; uses: boolean; reason: RegExp }[] = [
    { name: 'auto, fused, a consecutive layout', choice: 'auto', context: {}, uses: true, reason: /subgroups of 32 invocations/ },
    { name: 'off', choice: 'off', context: {}, uses: false, reason: /turned off/ },
    { name: 'tiled', choice: 'auto', context: { variant: 'tiled' }, uses: false, reason: /only the fused kernel .* uses tiled/ },
    { name: "the user's kernel", choice: 'auto', context: { customKernel: true }, uses: false, reason: /your own and runs as written/ },
    {
      name: 'no feature',
      choice: 'auto',
      context: { deviceHasSubgroups: false, layout: null },
      uses: false,
      reason: /no `subgroups` feature/,
    },
    {
      name: 'interleaved subgroups',
      choice: 'auto',
      context: { layout: { sizes: [32], consecutive: false } },
      uses: false,
      reason: /not runs of consecutive invocations \(sizes seen: 32\)/,
    },
    {
      name: 'a probe that could not run',
      choice: 'auto',
      context: { layout: { sizes: [], consecutive: false, error: 'no pipeline' } },
      uses: false,
      reason: /could not be probed \(no pipeline\)/,
    },
  ];
  it.each(cases)('$name', ({ choice, context, uses, reason }) => {
    const decision = resolveSubgroups(choice, { ...base, ...context });
    expect(decision.subgroups).toBe(uses);
    expect(decision.reason).toMatch(reason);
  });
});

describe('the subgroup form of the fused kernel', () => {
  it('swaps the marked block for shaders/subgroups/fused.wgsl and enables subgroups first', () => {
    const form = subgroupSource(FUSED, shaders);
    expect(form.startsWith('enable subgroups;\n')).toBe(true);
    expect(form).toContain(`${SUBGROUPS_BEGIN} (subgroup form: ${SUBGROUP_FILE})`);
    expect(form).toContain('@builtin(subgroup_size) subgroup_lanes: u32');
    expect(form).toContain('subgroupAdd(');
    // The portable entry point is gone (one main), the rest of the kernel is untouched.
    expect(form.match(/fn main\(/g)).toHaveLength(1);
    expect(form).toContain(FUSED.slice(0, FUSED.indexOf(SUBGROUPS_BEGIN)));
  });

  it('composes with f16 storage, and a kernel without the block has no subgroup form', () => {
    const both = subgroupSource(halfStorageSource(FUSED, shaders), shaders);
    expect(both).toContain(`${STORAGE_BEGIN} (f16 storage`);
    expect(both).toContain('subgroupMax(');
    expect(() => subgroupSource('@compute @workgroup_size(1) fn main() {}', shaders)).toThrow(/no \/\/ @subgroups-begin/);
  });

  it.each([
    {
      form: 'portable',
      source: FUSED,
      barrier: '  shared_mem[lane] = vec4f(denom * factor);\n  workgroupBarrier();',
      without: '  shared_mem[lane] = vec4f(denom * factor);',
    },
    {
      form: 'subgroup',
      source: subgroupSource(FUSED, shaders),
      barrier: '  if (lead) { shared_mem[slot] = vec4f(slot_max, slot_denom, 0.0, 0.0); }\n  workgroupBarrier();',
      without: '  if (lead) { shared_mem[slot] = vec4f(slot_max, slot_denom, 0.0, 0.0); }',
    },
  ])('the race check runs the $form decoding merge and catches a missing barrier there', ({ source, barrier, without }) => {
    const clean = checkWorkgroupHazards(source, 'fused');
    expect(clean.covered).toMatch(/decoding shape n=2 .*DECODE=1 VEC4_ROWS=0/);
    expect(clean.covered).toMatch(/grid 2×1×2 of 64×1×1, .*DECODE=0 VEC4_ROWS=1/);
    expect(clean.races).toEqual([]);
    expect(clean.interpreterErrors).toEqual([]);
    expect(source).toContain(barrier);
    const broken = checkWorkgroupHazards(source.replace(barrier, without), 'fused');
    expect(broken.races.length).toBeGreaterThan(0);
    expect(broken.races.every((r) => r.variable === 'shared_mem' && r.scope === 'workgroup')).toBe(true);
  });
});

const gpu = await acquireTestDevice();
watchDevice(gpu);

describe.skipIf(!gpu)('subgroups on this device', () => {
  const engine = () => new AttentionEngine(gpu!.device, shaders);
  const hasSubgroups = () => gpu!.device.features.has('subgroups');

  function decodeInputs(m: number, seed: number): { inputs: AttentionInputs; options: Partial<AttentionOptions> } {
    return {
      inputs: { q: randomMatrix(2, 8 * 64, seed), k: randomMatrix(m, 2 * 64, seed + 1), v: randomMatrix(m, 2 * 64, seed + 2), mask: null },
      options: { heads: 8, kvHeads: 2, causal: true, alibi: 'standard', sinks: [1, 0, -1, 2, 0, 0, 3, -2] },
    };
  }

  const expectReference = (inputs: AttentionInputs, options: Partial<AttentionOptions>, result: RunResult, seed: number) => {
    const comparison = checkAgainstReference(inputs, options, { ...result, output: result.output.data });
    expect(comparison.output.pass, explainCheck(comparison, seed)).toBe(true);
  };

  it('the probe reads the layout once per device', async () => {
    const layout = await probeSubgroupLayout(gpu!.device, shaders);
    if (!hasSubgroups()) {
      expect(layout).toBeNull();
      return;
    }
    expect(layout!.sizes).toHaveLength(1);
    expect(layout!.sizes[0]).toBeGreaterThanOrEqual(1);
    expect(await probeSubgroupLayout(gpu!.device, shaders)).toBe(layout);
  });

  it.each([
    { m: 300, splits: 1 },
    { m: 700, splits: 3 },
  ])('decoding 2 rows over m = $m keys, $splits split(s): both forms pass the reference and agree', async ({ m, splits }) => {
    const seed = 7100 + m;
    const { inputs, options } = decodeInputs(m, seed);
    const auto = await engine().run(inputs, options, { variant: 'fused', keySplits: splits, poison: true });
    const off = await engine().run(inputs, options, { variant: 'fused', keySplits: splits, poison: true, subgroups: 'off' });
    const layout = await engine().subgroupLayout();
    expect(auto.subgroups).toBe(layout?.consecutive ?? false);
    // CI's SwiftShader has subgroups (4 invocations, consecutive): there the subgroup form must run.
    if (IN_CI) expect(auto.subgroups, auto.subgroupsReason).toBe(true);
    expect(off.subgroups).toBe(false);
    expect(off.subgroupsReason).toBe('subgroups turned off');
    expectReference(inputs, options, auto, seed);
    expectReference(inputs, options, off, seed);
    for (let i = 0; i < auto.output.data.length; i++) expect(auto.output.data[i]).toBeCloseTo(off.output.data[i], 5);
  });

  it('tiled and a user’s fused kernel run without, saying why', async () => {
    const { inputs, options } = decodeInputs(100, 7200);
    const tiled = await engine().run(inputs, options, { variant: 'tiled' });
    expect(tiled.subgroups).toBe(false);
    expect(tiled.subgroupsReason).toMatch(/only the fused kernel/);
    const own = await engine().run(inputs, options, { variant: 'fused', kernels: { fused: FUSED } });
    expect(own.subgroups).toBe(false);
    expect(own.subgroupsReason).toMatch(/your own/);
  });

  it.runIf(gpu?.device.features.has('subgroups'))('a user may run the subgroup form as their own kernel', async () => {
    const { inputs, options } = decodeInputs(200, 7300);
    const result = await engine().run(inputs, options, { variant: 'fused', kernels: { fused: subgroupSource(FUSED, shaders) } });
    expectReference(inputs, options, result, 7300);
  });
});
