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
import type { SharedLanes, SubgroupChoice, SubgroupContext, SubgroupLayout } from '../src/core/subgroups';
import {
  describeFusedForm,
  layoutRunsSubgroupForm,
  QUAD_LANES,
  readSubgroupLayout,
  resolveSubgroups,
  sharedLanesOf,
} from '../src/core/subgroups';
import { isSoftwareAdapter } from '../src/gpu/device';
import { AttentionEngine } from '../src/gpu/engine';
import { fusedHeadWorkgroups, QUAD_HEADS_MAX, quadHeads, STAGES } from '../src/gpu/interface';
import type { RunResult } from '../src/gpu/engine';
import { halfStorageSource, STORAGE_BEGIN } from '../src/gpu/half-storage';
import { checkWorkgroupHazards } from '../src/gpu/hazards';
import {
  PAIRS_LINE,
  probeSubgroupLayout,
  QUAD_HEADS_LINE,
  QUADS_LINE,
  SUBGROUP_FILE,
  subgroupSource,
  SUBGROUPS_BEGIN,
} from '../src/gpu/subgroups';
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
  const base: SubgroupContext = {
    variant: 'fused',
    deviceHasSubgroups: true,
    layout: consecutive,
    customKernel: false,
    cpuEmulator: false,
  };

  const cases: {
    name: string;
    choice: SubgroupChoice;
    context: Partial<SubgroupContext>;
    uses: boolean;
    pairs?: boolean;
    quads?: boolean;
    groupHeads?: boolean;
    reason: RegExp;
  }[] = [
    {
      name: 'auto, fused, a consecutive layout on a GPU: quads one query head a workgroup, no pairs (as measured on an H200)',
      choice: 'auto',
      context: { quadHeads: 4 },
      uses: true,
      quads: true,
      reason:
        /^subgroups of 32 invocations; keys shared in quads \(decoding\), one query head a workgroup; no pairs in the prefill \(on a GPU, pairs and grouped heads were measured slower \(BENCHMARKS.md\)\)$/,
    },
    {
      name: 'auto on a CPU emulator: no shared lanes',
      choice: 'auto',
      context: { cpuEmulator: true, layout: { sizes: [4], consecutive: true } },
      uses: true,
      pairs: false,
      quads: false,
      reason:
        /^subgroups of 4 invocations; no shared lanes \(on a CPU emulator, where shared lanes gain nothing\); the decoding shape's lanes merge within subgroups$/,
    },
    {
      name: 'auto on a CPU emulator, decoding 3 heads of a K/V group a workgroup: quads only',
      choice: 'auto',
      context: { cpuEmulator: true, layout: { sizes: [4], consecutive: true }, quadHeads: 3 },
      uses: true,
      pairs: false,
      quads: true,
      groupHeads: true,
      reason:
        /^subgroups of 4 invocations; keys shared in quads \(decoding\), 3 query heads of a K\/V group a workgroup \(on a CPU emulator, quads only where they take 3 or more heads\)$/,
    },
    {
      name: 'auto on a CPU emulator, 2 heads a workgroup: no shared lanes',
      choice: 'auto',
      context: { cpuEmulator: true, layout: { sizes: [4], consecutive: true }, quadHeads: 2 },
      uses: true,
      pairs: false,
      quads: false,
      reason: /no shared lanes \(on a CPU emulator, where shared lanes gain nothing\)/,
    },
    {
      name: 'auto on a CPU emulator, 4 heads, but subgroups of 2: no quads',
      choice: 'auto',
      context: { cpuEmulator: true, layout: { sizes: [2], consecutive: true }, quadHeads: 4 },
      uses: true,
      pairs: false,
      quads: false,
      reason: /no shared lanes \(on a CPU emulator/,
    },
    {
      name: 'merge asked for on a CPU emulator, 4 heads: no shared lanes',
      choice: 'merge',
      context: { cpuEmulator: true, layout: { sizes: [4], consecutive: true }, quadHeads: 4 },
      uses: true,
      pairs: false,
      quads: false,
      reason: /no shared lanes \(asked for\)/,
    },
    {
      name: 'shared lanes asked for on a CPU emulator',
      choice: 'shared',
      context: { cpuEmulator: true, layout: { sizes: [4], consecutive: true } },
      uses: true,
      pairs: true,
      quads: true,
      groupHeads: true,
      reason: /lanes share rows in pairs \(prefill\) and keys in quads \(decoding\) \(asked for\)/,
    },
    {
      name: 'shared lanes asked for on a GPU: pairs, and quads taking the heads of a K/V group together',
      choice: 'shared',
      context: { quadHeads: 4 },
      uses: true,
      pairs: true,
      quads: true,
      groupHeads: true,
      reason: /^subgroups of 32 invocations; lanes share rows in pairs \(prefill\) and keys in quads \(decoding\) \(asked for\)$/,
    },
    {
      name: 'subgroups of 2 on a GPU: no shared lanes',
      choice: 'auto',
      context: { layout: { sizes: [2], consecutive: true } },
      uses: true,
      quads: false,
      reason:
        /no shared lanes: subgroups of 2 do not hold whole quads of lanes, and on a GPU, pairs and grouped heads were measured slower/,
    },
    {
      name: 'shared asked for in subgroups of 2: pairs, no quads',
      choice: 'shared',
      context: { layout: { sizes: [2], consecutive: true } },
      uses: true,
      pairs: true,
      quads: false,
      reason: /lanes share rows in pairs \(prefill\); no quads: subgroups of 2 do not hold whole quads of lanes \(asked for\)/,
    },
    {
      name: 'merge asked for on a GPU',
      choice: 'merge',
      context: {},
      uses: true,
      pairs: false,
      quads: false,
      reason: /no shared lanes \(asked for\)/,
    },
    {
      name: 'subgroups of one invocation',
      choice: 'auto',
      context: { layout: { sizes: [1], consecutive: true } },
      uses: false,
      reason: /subgroups have 1 invocation \(the form needs at least 2\)/,
    },
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
  it.each(cases)('$name', ({ choice, context, uses, pairs, quads, groupHeads, reason }) => {
    const decision = resolveSubgroups(choice, { ...base, ...context });
    expect(decision.subgroups).toBe(uses);
    // Shared lanes only within the subgroup form.
    expect(decision.pairs).toBe(pairs ?? false);
    expect(decision.quads).toBe(quads ?? false);
    expect(decision.groupHeads).toBe(groupHeads ?? false);
    expect(decision.reason).toMatch(reason);
  });

  it('a run names the shared lanes its shape used: pairs in the prefill, quads in decoding, none past 128 key columns', () => {
    const shared = { subgroups: true, pairs: true, quads: true };
    expect(sharedLanesOf(shared, { DECODE: 0, HEAD_DK: 64 })).toBe('pairs');
    expect(sharedLanesOf(shared, { DECODE: 1, HEAD_DK: 128 })).toBe('quads');
    expect(sharedLanesOf(shared, { DECODE: 1, HEAD_DK: 256 })).toBeNull();
    expect(sharedLanesOf(shared, { DECODE: 0, HEAD_DK: 256 })).toBeNull();
    expect(sharedLanesOf({ ...shared, quads: false }, { DECODE: 1, HEAD_DK: 64 })).toBeNull();
    expect(sharedLanesOf({ ...shared, quads: false }, { DECODE: 0, HEAD_DK: 64 })).toBe('pairs');
    expect(sharedLanesOf({ subgroups: false, pairs: false, quads: false }, { DECODE: 0, HEAD_DK: 64 })).toBeNull();
    expect(sharedLanesOf(shared, undefined)).toBeNull();
  });

  it('the form runs on consecutive subgroups of at least 2 invocations only', () => {
    expect(layoutRunsSubgroupForm({ sizes: [4], consecutive: true })).toBe(true);
    expect(layoutRunsSubgroupForm({ sizes: [1], consecutive: true })).toBe(false);
    expect(layoutRunsSubgroupForm({ sizes: [32], consecutive: false })).toBe(false);
    expect(layoutRunsSubgroupForm(null)).toBe(false);
  });

  it('the fused kernel line says which form ran', () => {
    const line = (subgroups: boolean, subgroupLanes: SharedLanes | null, headsPerWorkgroup = 1) =>
      describeFusedForm({ keySplits: 1, subgroups, subgroupLanes, headsPerWorkgroup, subgroupsReason: 'why' });
    expect(line(true, 'quads', 4)).toBe(
      'fused kernel: 1 key split, subgroup form in quads of lanes, 4 query heads of a K/V group a workgroup (why)',
    );
    expect(line(true, 'pairs')).toBe('fused kernel: 1 key split, subgroup form in pairs of lanes (why)');
    expect(line(true, 'quads')).toBe('fused kernel: 1 key split, subgroup form in quads of lanes (why)');
    expect(line(true, null)).toBe('fused kernel: 1 key split, subgroup form (why)');
    expect(line(false, null)).toBe('fused kernel: 1 key split, no subgroups (why)');
  });
});

describe('grouped query heads in the quads (QUAD_HEADS)', () => {
  const decode = { n: 1, m: 4096, dk: 64, dv: 64, heads: 32, kvHeads: 8 };
  it('takes a K/V group’s heads together, at most 4, and at most 256 columns of Q or o per lane', () => {
    expect(quadHeads(decode)).toBe(4);
    expect(quadHeads({ ...decode, dk: 40, dv: 36 })).toBe(4); // buckets of 64
    expect(quadHeads({ ...decode, kvHeads: 16 })).toBe(2);
    expect(quadHeads({ ...decode, kvHeads: 4 })).toBe(4); // groups of 8: two workgroups each
    expect(quadHeads({ ...decode, dk: 128, dv: 128 })).toBe(2);
    expect(quadHeads({ ...decode, dv: 100 })).toBe(2);
    expect(quadHeads({ ...decode, dv: 300 })).toBe(2); // sweeps of 128 value columns
    expect(quadHeads({ ...decode, kvHeads: 32 })).toBe(1); // no GQA
    expect(quadHeads({ ...decode, kvHeads: undefined })).toBe(1);
    expect(quadHeads({ ...decode, n: 9 })).toBe(1); // the 64-row shape
    expect(quadHeads({ ...decode, dk: 200 })).toBe(1); // no quads past 128 key columns
  });

  it('the grid has ⌈group / QUAD_HEADS⌉ workgroups per K/V head along z', () => {
    const kernel = (QUAD_HEADS?: number) => ({ workgroupSize: [64], constants: { DECODE: 1, ...(QUAD_HEADS && { QUAD_HEADS }) } });
    const size = { rows: 1, m: 4096, dk: 64, dv: 64, heads: 32, kvHeads: 8, dModel: 0, keySplits: 5 };
    expect(STAGES.fused.grid(kernel(4), size)).toEqual([1, 5, 8]);
    expect(STAGES.fused.grid(kernel(1), size)).toEqual([1, 5, 32]);
    expect(STAGES.fused.grid(kernel(), size)).toEqual([1, 5, 32]);
    expect(fusedHeadWorkgroups(kernel(4), 7, 1)).toBe(2); // 4 + 3 heads
    expect(fusedHeadWorkgroups(kernel(4), 12, 2)).toBe(4); // 6 a group: 4 + 2, twice
    expect(fusedHeadWorkgroups(kernel(2), 8, 4)).toBe(4);
    // The kernel's arrays hold as many heads as the engine may set.
    const subgroupBlock = shaders[SUBGROUP_FILE];
    expect(subgroupBlock).toContain(`const QUAD_HEADS_MAX: u32 = ${QUAD_HEADS_MAX}u;`);
    // The engine offers QUAD_HEADS with the other constants; a kernel that does not declare it gets one head a workgroup.
    expect(STAGES.fused.constants!({ maxComputeWorkgroupStorageSize: 16384 }, decode).QUAD_HEADS).toBe(4);
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

  it('has its prefill in pairs of lanes and its decoding shape in quads, taking grouped heads together, unless asked not to', () => {
    const shared = subgroupSource(FUSED, shaders);
    expect(shared).toContain(PAIRS_LINE);
    expect(shared).toContain(QUADS_LINE);
    expect(shared).toContain(QUAD_HEADS_LINE);
    expect(shared).toContain('subgroupShuffleXor(acc_a, 1u)');
    expect(shared).toContain('a += subgroupShuffleXor(a, 2u);');
    const noPairs = subgroupSource(FUSED, shaders, { pairs: false });
    const noQuads = subgroupSource(FUSED, shaders, { quads: false });
    const neither = subgroupSource(FUSED, shaders, { pairs: false, quads: false });
    const ungrouped = subgroupSource(FUSED, shaders, { groupHeads: false });
    const oneHead = 'const QUAD_HEADS: u32 = 1u;';
    expect(noPairs).not.toContain(PAIRS_LINE);
    expect(noQuads).not.toContain(QUADS_LINE);
    // Without quads, or without grouped heads, the engine cannot set QUAD_HEADS: one head a workgroup.
    expect(noQuads).toContain(oneHead);
    expect(ungrouped).toContain(oneHead);
    // Only those lines differ.
    expect(noPairs.replace('const PAIRS = false;', PAIRS_LINE)).toBe(shared);
    expect(noQuads.replace('const QUADS = false;', QUADS_LINE).replace(oneHead, QUAD_HEADS_LINE)).toBe(shared);
    expect(ungrouped.replace(oneHead, QUAD_HEADS_LINE)).toBe(shared);
    expect(
      neither.replace('const PAIRS = false;', PAIRS_LINE).replace('const QUADS = false;', QUADS_LINE).replace(oneHead, QUAD_HEADS_LINE),
    ).toBe(shared);
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
      barrier: '  shared_mem[lane] = vec4f(run_max, denom, 0.0, 0.0);\n  workgroupBarrier();',
      without: '  shared_mem[lane] = vec4f(run_max, denom, 0.0, 0.0);',
    },
    {
      form: 'subgroup',
      source: subgroupSource(FUSED, shaders, { quads: false }),
      barrier: '  if (lead) { shared_mem[slot] = vec4f(slot_max, slot_denom, 0.0, 0.0); }\n  workgroupBarrier();',
      without: '  if (lead) { shared_mem[slot] = vec4f(slot_max, slot_denom, 0.0, 0.0); }',
    },
    {
      form: 'quads',
      source: subgroupSource(FUSED, shaders),
      barrier: '  if (t == 0u) { shared_mem[quad] = vec4f(run_max, denom, 0.0, 0.0); }\n  workgroupBarrier();',
      without: '  if (t == 0u) { shared_mem[quad] = vec4f(run_max, denom, 0.0, 0.0); }',
    },
    {
      form: 'quads (the sum of their outputs)',
      source: subgroupSource(FUSED, shaders),
      barrier: 'col - base] = (*o)[c4] * factor; }\n    }\n    workgroupBarrier();',
      without: 'col - base] = (*o)[c4] * factor; }\n    }\n',
    },
  ])('the race check runs the $form decoding merge and catches a missing barrier there', ({ form, source, barrier, without }) => {
    const clean = checkWorkgroupHazards(source, 'fused');
    expect(clean.covered).toMatch(/decoding shape n=1 m=100 causal \(shift 99\), grid 1×3×\d, .*DECODE=1 VEC4_ROWS=0/);
    // The quads run with both of the check's query heads (on one K/V head) in one workgroup.
    expect(/decoding shape .* QUAD_HEADS=2/.test(clean.covered)).toBe(form.startsWith('quads'));
    expect(clean.covered).toMatch(/grid 2×1×2 of 64×1×1, .*DECODE=0 VEC4_ROWS=1/);
    expect(clean.races).toEqual([]);
    expect(clean.interpreterErrors).toEqual([]);
    expect(source).toContain(barrier);
    const broken = checkWorkgroupHazards(source.replace(barrier, without), 'fused');
    expect(broken.races.length).toBeGreaterThan(0);
    expect(broken.races.every((r) => r.variable === 'shared_mem' && r.scope === 'workgroup')).toBe(true);
  });

  it('the race check runs the prefill in pairs of lanes and catches a missing barrier after its tile', () => {
    const source = subgroupSource(FUSED, shaders);
    const pairs = source.indexOf('fn prefill_pairs(');
    const barrier = '      }\n      workgroupBarrier();\n    }\n    for (var c4 = 0u; c4 < dv4; c4++) {';
    const at = source.indexOf(barrier, pairs);
    expect(pairs).toBeGreaterThan(0);
    expect(at).toBeGreaterThan(pairs);
    const broken = source.slice(0, at) + barrier.replace('      workgroupBarrier();\n', '') + source.slice(at + barrier.length);
    const found = checkWorkgroupHazards(broken, 'fused');
    expect(found.races.length).toBeGreaterThan(0);
    expect(found.races.every((r) => r.variable === 'shared_mem' && r.scope === 'workgroup')).toBe(true);
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
    // 8 heads on 2: auto runs the quads, on a CPU emulator with the 4 heads of a group together, on a
    // GPU one head a workgroup (grouped heads measured slower on an H200).
    const quadsHere = layoutRunsSubgroupForm(layout) && layout!.sizes[0] % QUAD_LANES === 0;
    expect(auto.subgroupLanes).toBe(quadsHere ? 'quads' : null);
    expect(auto.headsPerWorkgroup).toBe(quadsHere && isSoftwareAdapter(gpu!.device.adapterInfo) ? 4 : 1);
    for (let i = 0; i < auto.output.data.length; i++) expect(auto.output.data[i]).toBeCloseTo(off.output.data[i], 5);
  });

  it('auto decodes in quads, one head a workgroup, on a GPU, but not 2 heads of a K/V group on a CPU emulator', async () => {
    const seed = 7150;
    const inputs = prefillInputs({ n: 1, m: 200, dk: 64, dv: 64, heads: 2, kvHeads: 1 }, seed);
    const options: Partial<AttentionOptions> = { heads: 2, kvHeads: 1, causal: true };
    const auto = await engine().run(inputs, options, { variant: 'fused', poison: true });
    expectReference(inputs, options, auto, seed);
    const layout = await engine().subgroupLayout();
    const quadsHere = layoutRunsSubgroupForm(layout) && layout!.sizes[0] % QUAD_LANES === 0;
    const emulator = isSoftwareAdapter(gpu!.device.adapterInfo);
    if (IN_CI) expect(emulator, 'CI runs SwiftShader').toBe(true);
    expect(auto.subgroupLanes).toBe(quadsHere && !emulator ? 'quads' : null);
    // One query head a workgroup: on a GPU 'auto' does not group them (measured slower on an H200),
    // and on a CPU emulator 2 heads are too few for the quads.
    expect(auto.headsPerWorkgroup).toBe(1);
  });

  // Prefill shapes for the pairs: an odd row count (the last pair has one row), rows past one
  // workgroup, dk and dv that end inside the second lane's half, every feature, GQA, splits, dk 128.
  const prefillCases = [
    {
      name: 'n=67 m=90 dk=dv=64, 2 heads on 1, causal, ALiBi, sinks',
      n: 67,
      m: 90,
      dk: 64,
      dv: 64,
      heads: 2,
      kvHeads: 1,
      options: { causal: true, alibi: 'standard', sinks: [1, -1] },
    },
    {
      name: 'n=33 m=129 dk=40 dv=36, softcap, window',
      n: 33,
      m: 129,
      dk: 40,
      dv: 36,
      heads: 2,
      kvHeads: 2,
      options: { softcap: 5, window: 17, causal: true },
    },
    { name: 'n=130 m=70 dk=dv=128, 3 key splits', n: 130, m: 70, dk: 128, dv: 128, heads: 1, kvHeads: 1, options: {}, keySplits: 3 },
    {
      name: 'n=20 m=50 dk=100 dv=130 (dk bucket 128, two value sweeps), mask',
      n: 20,
      m: 50,
      dk: 100,
      dv: 130,
      heads: 1,
      kvHeads: 1,
      options: {},
      mask: true,
    },
  ] as const;
  const prefillInputs = (
    c: { n: number; m: number; dk: number; dv: number; heads: number; kvHeads: number; mask?: boolean },
    seed: number,
  ): AttentionInputs => {
    const mask = c.mask ? randomMatrix(c.n, c.m, seed + 3) : null;
    if (mask) for (let i = 0; i < mask.data.length; i++) mask.data[i] = mask.data[i] > -0.8 ? 1 : 0;
    return {
      q: randomMatrix(c.n, c.heads * c.dk, seed),
      k: randomMatrix(c.m, c.kvHeads * c.dk, seed + 1),
      v: randomMatrix(c.m, c.kvHeads * c.dv, seed + 2),
      mask,
    };
  };

  it.each(prefillCases)('prefill in pairs of lanes: $name', async (c) => {
    const seed = 7400 + c.n;
    const inputs = prefillInputs(c, seed);
    const options: Partial<AttentionOptions> = { heads: c.heads, kvHeads: c.kvHeads, ...c.options };
    const keySplits = 'keySplits' in c ? c.keySplits : undefined;
    const pairs = await engine().run(inputs, options, { variant: 'fused', poison: true, subgroups: 'shared', keySplits });
    const layout = await engine().subgroupLayout();
    const available = layoutRunsSubgroupForm(layout);
    if (IN_CI) expect(available, 'CI runs SwiftShader, which has consecutive subgroups of 4').toBe(true);
    expect(pairs.subgroupLanes).toBe(available ? 'pairs' : null);
    expectReference(inputs, options, pairs, seed);
    if (!available) return;
    // Not the portable prefill: the two halves of each score were summed apart.
    const portable = await engine().run(inputs, options, { variant: 'fused', poison: true, subgroups: 'merge', keySplits });
    expect(portable.subgroupLanes).toBeNull();
    expectReference(inputs, options, portable, seed);
    expect([...pairs.output.data].some((x, i) => x !== portable.output.data[i])).toBe(true);
  });

  // Decoding shapes for the quads: one row and the most the shape takes (8), splits, GQA, every
  // feature, widths that end inside a quad's last vec4s, two value sweeps, fewer batches than quads,
  // and dk past 128 (where the quads step aside).
  const decodeCases = [
    {
      name: 'n=1 m=300 dk=dv=64, 8 heads on 2, causal, ALiBi, sinks',
      n: 1,
      m: 300,
      dk: 64,
      dv: 64,
      heads: 8,
      kvHeads: 2,
      options: { causal: true, alibi: 'standard', sinks: [1, 0, -1, 2, 0, 0, 3, -2] },
    },
    {
      name: 'n=2 m=700 dk=dv=64, 3 key splits, sinks',
      n: 2,
      m: 700,
      dk: 64,
      dv: 64,
      heads: 2,
      kvHeads: 1,
      options: { causal: true, sinks: [2, -1] },
      keySplits: 3,
    },
    {
      name: 'n=8 m=257 dk=40 dv=36, softcap, window, mask, 2 key splits',
      n: 8,
      m: 257,
      dk: 40,
      dv: 36,
      heads: 2,
      kvHeads: 2,
      options: { softcap: 5, window: 50, causal: true },
      mask: true,
      keySplits: 2,
    },
    { name: 'n=3 m=130 dk=128 dv=130 (two value sweeps)', n: 3, m: 130, dk: 128, dv: 130, heads: 1, kvHeads: 1, options: {} },
    { name: 'n=1 m=5: fewer batches than quads', n: 1, m: 5, dk: 64, dv: 64, heads: 1, kvHeads: 1, options: {}, same: true },
    {
      name: 'n=2 m=90 dk=256: past 128 key columns, no quads',
      n: 2,
      m: 90,
      dk: 256,
      dv: 64,
      heads: 1,
      kvHeads: 1,
      options: { causal: true },
      wide: true,
    },
  ] as const;

  it.each(decodeCases)('decoding in quads of lanes: $name', async (c) => {
    const seed = 7600 + c.m;
    const inputs = prefillInputs(c, seed);
    const options: Partial<AttentionOptions> = { heads: c.heads, kvHeads: c.kvHeads, ...c.options };
    const keySplits = 'keySplits' in c ? c.keySplits : undefined;
    const quads = await engine().run(inputs, options, { variant: 'fused', poison: true, subgroups: 'shared', keySplits });
    const layout = await engine().subgroupLayout();
    const available = layoutRunsSubgroupForm(layout) && layout!.sizes[0] % QUAD_LANES === 0;
    if (IN_CI) expect(available, 'CI runs SwiftShader, which has consecutive subgroups of 4').toBe(true);
    expect(quads.subgroupLanes).toBe(available && !('wide' in c) ? 'quads' : null);
    expect(quads.keySplits).toBe(keySplits ?? quads.keySplits);
    expectReference(inputs, options, quads, seed);
    if (!available) return;
    const merge = await engine().run(inputs, options, { variant: 'fused', poison: true, subgroups: 'merge', keySplits });
    expect(merge.subgroupLanes).toBeNull();
    expectReference(inputs, options, merge, seed);
    // Not the per-lane decoding shape: each score was summed from a quad's four partial dot products.
    if (!('wide' in c) && !('same' in c)) expect([...quads.output.data].some((x, i) => x !== merge.output.data[i])).toBe(true);
    if ('wide' in c) expect([...quads.output.data]).toEqual([...merge.output.data]);
  });

  // Grouped query heads in the quads: a workgroup takes up to 4 query heads of a K/V group (2 at
  // dk = 128), and each head's bits are those it has alone. Groups of 4 in one workgroup, 6 and 7
  // heads on one K/V head (a last workgroup of 2 and 3 heads), two value sweeps, splits, every feature.
  const groupedCases = [
    {
      name: '8 heads on 2, n=1 m=300, causal, ALiBi, sinks, 3 key splits: 4 heads a workgroup',
      n: 1,
      m: 300,
      dk: 64,
      dv: 64,
      heads: 8,
      kvHeads: 2,
      options: { causal: true, alibi: 'standard', sinks: [1, 0, -1, 2, 0, 0, 3, -2] },
      keySplits: 3,
      together: 4,
    },
    {
      name: '6 heads on 1, n=2 m=150 dk=40 dv=36, softcap, window, mask: 4 + 2 heads',
      n: 2,
      m: 150,
      dk: 40,
      dv: 36,
      heads: 6,
      kvHeads: 1,
      options: { causal: true, softcap: 5, window: 60, alibi: 'standard' },
      mask: true,
      together: 4,
    },
    {
      name: '7 heads on 1, n=1 m=90: 4 + 3 heads',
      n: 1,
      m: 90,
      dk: 64,
      dv: 64,
      heads: 7,
      kvHeads: 1,
      options: { sinks: [0, 1, 2, 3, 4, 5, 6] },
      together: 4,
    },
    {
      name: '4 heads on 2, n=3 m=130 dk=128 dv=130 (two value sweeps): 2 heads a workgroup',
      n: 3,
      m: 130,
      dk: 128,
      dv: 130,
      heads: 4,
      kvHeads: 2,
      options: { causal: true },
      together: 2,
    },
  ] as const;

  it.each(groupedCases)('decoding in quads with grouped heads: $name', async (c) => {
    const seed = 7800 + c.m + c.heads;
    const inputs = prefillInputs(c, seed);
    const options: Partial<AttentionOptions> = { heads: c.heads, kvHeads: c.kvHeads, ...c.options };
    const keySplits = 'keySplits' in c ? c.keySplits : undefined;
    const layout = await engine().subgroupLayout();
    const available = layoutRunsSubgroupForm(layout) && layout!.sizes[0] % QUAD_LANES === 0;
    if (IN_CI) expect(available, 'CI runs SwiftShader, which has consecutive subgroups of 4').toBe(true);
    const grouped = await engine().run(inputs, options, { variant: 'fused', poison: true, subgroups: 'shared', keySplits });
    const alone = await engine().run(inputs, options, {
      variant: 'fused',
      poison: true,
      subgroups: 'shared',
      keySplits,
      groupHeads: false,
    });
    expectReference(inputs, options, grouped, seed);
    expectReference(inputs, options, alone, seed);
    expect(grouped.headsPerWorkgroup).toBe(available ? c.together : 1);
    expect(alone.headsPerWorkgroup).toBe(1);
    expect(describeFusedForm(grouped)).toContain(available ? `quads of lanes, ${c.together} query heads of a K/V group a workgroup` : '');
    // The same bits whichever heads share a workgroup.
    expect([...grouped.output.data]).toEqual([...alone.output.data]);
  });

  // Deleting one exchange from the subgroup form must make its output fail the check.
  it.runIf(gpu?.device.features.has('subgroups')).each([
    {
      form: 'the quads',
      missing: 'the second exchange',
      c: decodeCases[0],
      seed: 7700,
      exchange: '          a += subgroupShuffleXor(a, 2u);\n',
    },
    {
      form: 'the pairs',
      missing: 'the exchange of the halves',
      c: prefillCases[0],
      seed: 7500,
      exchange: '        acc_a += subgroupShuffleXor(acc_a, 1u);\n',
    },
  ])('without $missing, $form are wrong and the check says so', async ({ c, seed, exchange }) => {
    const inputs = prefillInputs(c, seed);
    const options: Partial<AttentionOptions> = { heads: c.heads, kvHeads: c.kvHeads, ...c.options };
    const source = subgroupSource(FUSED, shaders);
    expect(source).toContain(exchange);
    const result = await engine().run(inputs, options, { variant: 'fused', kernels: { fused: source.replace(exchange, '') } });
    const comparison = checkAgainstReference(inputs, options, { ...result, output: result.output.data });
    expect(comparison.output.pass).toBe(false);
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
