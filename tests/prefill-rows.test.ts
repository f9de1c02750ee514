/**
 * The fused prefill's rows a workgroup (src/core/prefill-rows.ts, src/gpu/prefill-rows.ts): the
 * decision (128 on a GPU, 64 on a CPU emulator, the decoding shape and a kernel of your own as they
 * are), the source swap, how a run reports it; on the GPU, the kernel with 128 rows against the
 * float64 reference in every form (portable, subgroups, pairs, quads), splits and features, and the
 * verifier's whole fused suite on the 128-row kernels a GPU runs.
 */
import { describe, expect, it } from 'vitest';
import { checkAgainstReference } from '../src/core/compare-run';
import type { AttentionOptions } from '../src/core/options';
import type { PrefillRowsContext } from '../src/core/prefill-rows';
import { choosePrefillRows, DEFAULT_PREFILL_ROWS, WIDE_PREFILL_ROWS } from '../src/core/prefill-rows';
import { randomMatrix } from '../src/core/rng';
import type { AttentionInputs } from '../src/core/shapes';
import { describeFusedForm } from '../src/core/subgroups';
import { formatReport } from '../src/core/verify/report';
import { isSoftwareAdapter } from '../src/gpu/device';
import { AttentionEngine } from '../src/gpu/engine';
import { checkWorkgroupHazards } from '../src/gpu/hazards';
import { prefillRowsSource, WG_LINE } from '../src/gpu/prefill-rows';
import { settingVariant } from '../src/gpu/profile';
import { verifyKernel } from '../src/gpu/verify-suite';
import { loadShaderLibrary } from '../src/node/shaders';
import { explainCheck } from './helpers/explain';
import { acquireTestDevice, IN_CI, watchDevice } from './helpers/gpu';

const shaders = loadShaderLibrary();
const FUSED = shaders['flash_attention.wgsl'];

describe('the prefill rows decision', () => {
  const gpuPrefill: PrefillRowsContext = { variant: 'fused', customKernel: false, cpuEmulator: false, decode: false };
  it.each([
    { name: 'a GPU takes 128', forced: undefined, context: {}, rows: 128, reason: /^a GPU: each staged key tile serves twice the rows/ },
    {
      name: 'a CPU emulator keeps 64',
      forced: undefined,
      context: { cpuEmulator: true },
      rows: 64,
      reason: /CPU emulator, where 128 rows measured within noise/,
    },
    { name: 'forced 64 on a GPU', forced: 64, context: {}, rows: 64, reason: /^asked for$/ },
    { name: 'forced 128 on a CPU emulator', forced: 128, context: { cpuEmulator: true }, rows: 128, reason: /^asked for$/ },
    { name: 'the decoding shape keeps 64, forced or not', forced: 128, context: { decode: true }, rows: 64, reason: /decoding shape/ },
    { name: 'a kernel of your own keeps its own', forced: 128, context: { customKernel: true }, rows: 64, reason: /your own/ },
    { name: 'tiled has no such shape', forced: undefined, context: { variant: 'tiled' }, rows: 64, reason: /only the fused kernel/ },
  ] as const)('$name', ({ forced, context, rows, reason }) => {
    const decision = choosePrefillRows(forced, { ...gpuPrefill, ...context });
    expect(decision.rows).toBe(rows);
    expect(decision.reason).toMatch(reason);
  });

  it('swaps only the kernel’s WG line, and refuses a kernel without one', () => {
    expect(FUSED).toContain(WG_LINE);
    const wide = prefillRowsSource(FUSED, WIDE_PREFILL_ROWS);
    expect(wide).toContain('const WG: u32 = 128u;');
    expect(wide.replace('const WG: u32 = 128u;', WG_LINE)).toBe(FUSED);
    expect(prefillRowsSource(FUSED, DEFAULT_PREFILL_ROWS)).toBe(FUSED);
    expect(() => prefillRowsSource('@compute @workgroup_size(64) fn main() {}', 128)).toThrow(/has no line "const WG: u32 = 64u;"/);
  });

  it('a run’s line and the profile’s cell say 128 rows, and nothing about the kernel’s own 64', () => {
    const line = (rowsPerWorkgroup: number | null) =>
      describeFusedForm({
        keySplits: 2,
        subgroups: true,
        subgroupLanes: null,
        subgroupsReason: 'why',
        rowsPerWorkgroup,
        rowsReason: 'asked for',
      });
    expect(line(128)).toBe('fused kernel: 2 key splits, subgroup form (why); 128 query rows a workgroup (asked for)');
    expect(line(64)).toBe('fused kernel: 2 key splits, subgroup form (why)');
    expect(line(1)).toBe(line(64));
    expect(line(null)).toBe(line(64));
    expect(settingVariant('fused-128rows')?.run).toEqual({ prefillRows: 128 });
    expect(settingVariant('fused-64rows')?.run).toEqual({ prefillRows: 64 });
  });

  it('the race check runs the 128-row kernel with its 128 invocations and catches a missing barrier after its tile', () => {
    const wide = prefillRowsSource(FUSED, 128);
    const clean = checkWorkgroupHazards(wide, 'fused');
    expect(clean.covered).toMatch(/of 128×1×1/);
    expect(clean.races).toEqual([]);
    expect(clean.interpreterErrors).toEqual([]);
    // The barrier after a key tile's rows are read, before the next tile overwrites it.
    const barrier = '          }\n        }\n      }\n      workgroupBarrier();';
    expect(wide.split(barrier)).toHaveLength(2);
    const broken = checkWorkgroupHazards(wide.replace(barrier, barrier.replace('\n      workgroupBarrier();', '')), 'fused');
    expect(broken.races.some((r) => r.variable === 'shared_mem')).toBe(true);
  });
});

const gpu = await acquireTestDevice();
watchDevice(gpu);

describe.skipIf(!gpu)('the fused prefill with 128 rows a workgroup, on the GPU', () => {
  const engine = () => new AttentionEngine(gpu!.device, shaders);
  const inputsOf = (
    c: { n: number; m: number; dk: number; dv: number; heads: number; kvHeads: number },
    seed: number,
  ): AttentionInputs => ({
    q: randomMatrix(c.n, c.heads * c.dk, seed),
    k: randomMatrix(c.m, c.kvHeads * c.dk, seed + 1),
    v: randomMatrix(c.m, c.kvHeads * c.dv, seed + 2),
    mask: null,
  });

  // Rows past one 128-row workgroup and past a 64-row one inside it, GQA, every feature, splits,
  // widths that end inside a vec4, two value sweeps.
  const cases = [
    {
      name: 'n=300 m=260 dk=40 dv=24, 4 heads on 2, causal, ALiBi, softcap, window, 3 key splits',
      n: 300,
      m: 260,
      dk: 40,
      dv: 24,
      heads: 4,
      kvHeads: 2,
      options: { causal: true, alibi: 'standard', softcap: 6, window: 90 },
      keySplits: 3,
    },
    { name: 'n=129 m=150 dk=64 dv=130, sinks', n: 129, m: 150, dk: 64, dv: 130, heads: 2, kvHeads: 2, options: { sinks: [1, -2] } },
    { name: 'n=70 m=33 dk=17 dv=9', n: 70, m: 33, dk: 17, dv: 9, heads: 1, kvHeads: 1, options: {} },
  ] as const;

  it.each(cases)('$name: every form passes the reference', async (c) => {
    const seed = 8100 + c.n;
    const inputs = inputsOf(c, seed);
    const options: Partial<AttentionOptions> = { heads: c.heads, kvHeads: c.kvHeads, ...c.options };
    const keySplits = 'keySplits' in c ? c.keySplits : undefined;
    for (const subgroups of ['off', 'merge', 'shared', 'auto'] as const) {
      const wide = await engine().run(inputs, options, { variant: 'fused', poison: true, prefillRows: 128, subgroups, keySplits });
      expect(wide.rowsPerWorkgroup).toBe(128);
      expect(wide.rowsReason).toBe('asked for');
      if (keySplits) expect(wide.keySplits).toBe(keySplits);
      const comparison = checkAgainstReference(inputs, options, { ...wide, output: wide.output.data });
      expect(comparison.output.pass, `subgroups ${subgroups}: ${explainCheck(comparison, seed)}`).toBe(true);
    }
  });

  it('auto takes 64 rows on a CPU emulator and 128 on a GPU; decoding keeps one row a workgroup', async () => {
    const emulator = isSoftwareAdapter(gpu!.device.adapterInfo);
    if (IN_CI) expect(emulator, 'CI runs SwiftShader').toBe(true);
    const prefill = inputsOf({ n: 70, m: 40, dk: 16, dv: 16, heads: 1, kvHeads: 1 }, 8200);
    const auto = await engine().run(prefill, { heads: 1 }, { variant: 'fused' });
    expect(auto.rowsPerWorkgroup).toBe(emulator ? 64 : 128);
    expect(engine().autoPrefillRows()).toBe(auto.rowsPerWorkgroup);
    const decode = inputsOf({ n: 1, m: 40, dk: 16, dv: 16, heads: 1, kvHeads: 1 }, 8201);
    const one = await engine().run(decode, { heads: 1 }, { variant: 'fused', prefillRows: 128 });
    expect(one.rowsPerWorkgroup).toBe(1);
    expect(one.rowsReason).toMatch(/decoding shape/);
    const tiled = await engine().run(prefill, { heads: 1 }, { variant: 'tiled' });
    expect(tiled.rowsPerWorkgroup).toBeNull();
  });

  it(
    'the 128-row kernels a GPU runs pass the verifier’s whole fused suite (portable, and the subgroup form with quads)',
    { timeout: 900_000 },
    async () => {
      for (const form of [{ rows: 128 as const }, { rows: 128 as const, subgroups: true, pairs: false, quads: true, groupHeads: false }]) {
        const source = engine().source('fused', 'fused', form);
        expect(source).toContain('const WG: u32 = 128u;');
        const report = await verifyKernel(engine(), {
          stage: 'fused',
          variant: 'fused',
          source,
          label: `128 rows ${JSON.stringify(form)}`,
        });
        expect(report.status, `\n${formatReport(report)}`).toBe('pass');
        expect(report.workgroupSize).toEqual([128, 1, 1]);
      }
    },
  );
});
