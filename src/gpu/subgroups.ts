/**
 * The fused kernel's subgroup form, made from the one kernel as f16 storage is (./half-storage.ts):
 * the kernel keeps its entry point and the decoding shape's merge in one marked block,
 *
 *   // @subgroups-begin   …main, merge (through workgroup memory)…   // @subgroups-end
 *
 * and the subgroup form replaces that block with shaders/subgroups/fused.wgsl (main with the
 * subgroup size, the prefill shape in pairs of lanes, a merge that reduces each subgroup in
 * registers first, the decoding shape in quads of lanes) and puts `enable subgroups;` at the top;
 * without pairs its PAIRS constant is false (the portable prefill), without quads its QUADS
 * constant (the decoding shape of one lane per batch of keys, merged within subgroups), and without
 * grouped heads (or quads) QUAD_HEADS is a const of 1 instead of an override the engine sets.
 * Whether a run uses it: src/core/subgroups.ts, with the layout that probeSubgroupLayout measures
 * once per device.
 */
import type { SubgroupLayout } from '../core/subgroups';
import { readSubgroupLayout } from '../core/subgroups';
import type { ShaderLibrary } from './variants';

export const SUBGROUPS_BEGIN = '// @subgroups-begin';
export const SUBGROUPS_END = '// @subgroups-end';
/** The replacement block, in the shader library. */
export const SUBGROUP_FILE = 'subgroups/fused.wgsl';
/** The probe kernel that finds where a device puts its subgroups. */
export const SUBGROUP_PROBE_FILE = 'subgroups/layout_probe.wgsl';
const PROBE_INVOCATIONS = 64;

function libraryFile(shaders: ShaderLibrary, file: string): string {
  const code = shaders[file];
  if (code === undefined) throw new Error(`shader ${file} is missing from the shader library`);
  return code;
}

/** The lines of the subgroup block that say whether the prefill shape runs in pairs of lanes, and the decoding shape in quads. */
export const PAIRS_LINE = 'const PAIRS = true;';
export const QUADS_LINE = 'const QUADS = true;';
/** The line that lets the engine set how many query heads of a K/V group a workgroup of the quads takes (QUAD_HEADS). */
export const QUAD_HEADS_LINE = 'override QUAD_HEADS: u32 = 1u;';

/**
 * Which shared lanes the subgroup form is built with (src/core/subgroups.ts), all by default: pairs
 * in the prefill, quads in decoding, and the quads taking the query heads of a K/V group together
 * (`groupHeads`; without it, or without quads, QUAD_HEADS is a const of 1: one head a workgroup).
 */
export interface SharedLanesForm {
  pairs?: boolean;
  quads?: boolean;
  groupHeads?: boolean;
}

/**
 * The kernel with its subgroups block replaced by the subgroup form, its prefill shape in pairs of
 * lanes or not, its decoding shape in quads or not; throws when it has no such block.
 */
export function subgroupSource(source: string, shaders: ShaderLibrary, lanes: SharedLanesForm = {}): string {
  const begin = source.indexOf(SUBGROUPS_BEGIN);
  const end = source.indexOf(SUBGROUPS_END);
  if (begin < 0 || end < begin) {
    throw new Error(`this kernel has no ${SUBGROUPS_BEGIN} … ${SUBGROUPS_END} block, so it has no subgroup form`);
  }
  let block = libraryFile(shaders, SUBGROUP_FILE);
  const quads = lanes.quads ?? true;
  for (const [line, on, off] of [
    [PAIRS_LINE, lanes.pairs ?? true, PAIRS_LINE.replace('true', 'false')],
    [QUADS_LINE, quads, QUADS_LINE.replace('true', 'false')],
    [QUAD_HEADS_LINE, quads && (lanes.groupHeads ?? true), QUAD_HEADS_LINE.replace('override', 'const')],
  ] as const) {
    if (!block.includes(line)) throw new Error(`${SUBGROUP_FILE} has no line "${line}"`);
    if (!on) block = block.replace(line, off);
  }
  const after = end + SUBGROUPS_END.length;
  return (
    `enable subgroups;\n${source.slice(0, begin)}${SUBGROUPS_BEGIN} (subgroup form: ${SUBGROUP_FILE})\n` +
    `${block.trimEnd()}\n${SUBGROUPS_END}${source.slice(after)}`
  );
}

const layouts = new WeakMap<GPUDevice, Promise<SubgroupLayout | null>>();

/**
 * Where the device puts its subgroups in a 64-wide workgroup (one dispatch of the probe kernel,
 * once per device); null when the device was created without the `subgroups` feature.
 */
export function probeSubgroupLayout(device: GPUDevice, shaders: ShaderLibrary): Promise<SubgroupLayout | null> {
  if (!device.features.has('subgroups')) return Promise.resolve(null);
  let layout = layouts.get(device);
  if (!layout) {
    layout = runProbe(device, libraryFile(shaders, SUBGROUP_PROBE_FILE));
    layouts.set(device, layout);
  }
  return layout;
}

async function runProbe(device: GPUDevice, code: string): Promise<SubgroupLayout> {
  const bytes = 2 * PROBE_INVOCATIONS * 4;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ label: 'Attention.subgroupProbe', code });
  let pipeline: GPUComputePipeline;
  try {
    pipeline = await device.createComputePipelineAsync({
      label: 'Attention.subgroupProbe',
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
    });
  } catch (error) {
    await device.popErrorScope();
    return { sizes: [], consecutive: false, error: `the probe kernel did not build: ${(error as Error).message}` };
  }
  const invalid = await device.popErrorScope();
  if (invalid) return { sizes: [], consecutive: false, error: `the probe kernel did not build: ${invalid.message}` };
  const out = device.createBuffer({
    label: 'Attention.subgroupProbe.out',
    size: bytes,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
  });
  const read = device.createBuffer({
    label: 'Attention.subgroupProbe.read',
    size: bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    const encoder = device.createCommandEncoder({ label: 'Attention.subgroupProbe' });
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(
      0,
      device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: out } }] }),
    );
    pass.dispatchWorkgroups(1);
    pass.end();
    encoder.copyBufferToBuffer(out, 0, read, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    return readSubgroupLayout(new Uint32Array(read.getMappedRange().slice(0)), PROBE_INVOCATIONS);
  } finally {
    read.destroy();
    out.destroy();
  }
}
