/**
 * A measured roofline of the adapter: sustained copy bandwidth (GB/s) and FMA throughput
 * (GFLOP/s), each the median of a few timed passes, plus how finely its timestamps resolve time.
 * Measured once per device and set of options (cached in a WeakMap) because it takes a second or two
 * on CPU emulation.
 */
import type { Roofline, TimingMethod } from '../core/profile-report';
import { summarize, timestampGranularity } from '../core/stats';
import type { TimedPasses } from './pass-timing';
import { timeComputePasses } from './pass-timing';
import type { ShaderLibrary } from './variants';

/** The microbenchmark kernels, by their path in the shader library (shaders/roofline/). */
const ROOFLINE_SHADERS = { copy: 'roofline/copy_bandwidth.wgsl', fma: 'roofline/fma_throughput.wgsl' } as const;

type RooflineKernels = Record<keyof typeof ROOFLINE_SHADERS, string>;

function rooflineKernels(shaders: ShaderLibrary): RooflineKernels {
  const source = (file: string) => {
    const code = shaders[file];
    if (code === undefined) throw new Error(`shader ${file} is missing from the shader library`);
    return code;
  };
  return { copy: source(ROOFLINE_SHADERS.copy), fma: source(ROOFLINE_SHADERS.fma) };
}

export interface RooflineOptions {
  /** Bytes per copy buffer (two are allocated). Default 64 MiB, capped by the device's limits. */
  copyBytes?: number;
  /** Timed passes per microbenchmark, after one warm-up. Default 5. */
  repeats?: number;
  /** The FMA loop count is raised until one pass takes at least this long. Default 40 ms. */
  targetMs?: number;
}

const MIB = 1024 * 1024;
const FMA_WORKGROUP = 64;
const FMA_GROUPS = 256;
const FLOPS_PER_ITERATION = 64;
const COPY_WORKGROUP = 256;

/** Per device, one measurement per set of options (keyed by the resolved options). */
const cache = new WeakMap<GPUDevice, Map<string, Promise<Roofline>>>();

interface ResolvedOptions {
  copyBytes: number;
  repeats: number;
  targetMs: number;
}

function resolveOptions(device: GPUDevice, options: RooflineOptions): ResolvedOptions {
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  return {
    copyBytes: Math.floor(Math.min(options.copyBytes ?? 64 * MIB, limit) / 16) * 16,
    repeats: options.repeats ?? 5,
    targetMs: options.targetMs ?? 40,
  };
}

/**
 * The device's roofline, measured on the first request with these options and cached for the
 * device's lifetime; other options (a smaller copy, more repeats) measure anew.
 */
/** The kernels come from the shader library (the same one the engine runs from). */
export function measureRoofline(device: GPUDevice, shaders: ShaderLibrary, options: RooflineOptions = {}): Promise<Roofline> {
  const resolved = resolveOptions(device, options);
  const key = `${resolved.copyBytes}/${resolved.repeats}/${resolved.targetMs}`;
  const perDevice = cache.get(device) ?? new Map<string, Promise<Roofline>>();
  cache.set(device, perDevice);
  let roofline = perDevice.get(key);
  if (!roofline) {
    roofline = runRoofline(device, rooflineKernels(shaders), resolved);
    perDevice.set(key, roofline);
    roofline.catch(() => perDevice.delete(key));
  }
  return roofline;
}

async function runRoofline(
  device: GPUDevice,
  kernels: RooflineKernels,
  { copyBytes, repeats, targetMs }: ResolvedOptions,
): Promise<Roofline> {
  const owned: GPUBuffer[] = [];
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let measured: Roofline | null = null;
  let failure: unknown = null;
  try {
    measured = await measure(device, kernels, copyBytes, repeats, targetMs, owned);
  } catch (error) {
    failure = error;
  }
  // A WebGPU error caught by the scopes explains a failure better than what it caused downstream.
  const validation = await device.popErrorScope();
  const memory = await device.popErrorScope();
  for (const b of owned) b.destroy();
  const scopeError = validation ?? memory;
  if (scopeError) throw new Error(`roofline microbenchmark failed: ${scopeError.message}`);
  if (failure || !measured) throw failure;
  return measured;
}

async function measure(
  device: GPUDevice,
  kernels: RooflineKernels,
  copyBytes: number,
  repeats: number,
  targetMs: number,
  owned: GPUBuffer[],
): Promise<Roofline> {
  const stamps: bigint[] = [];
  const keep = (t: TimedPasses) => (stamps.push(...t.stamps), t);
  const copy = await copyBenchmark(device, kernels.copy, copyBytes, repeats, owned, keep);
  const fma = await fmaBenchmark(device, kernels.fma, repeats, targetMs, owned, keep);
  const copyMs = summarize(copy.ms),
    fmaMs = summarize(fma.ms);
  return {
    gbps: (2 * copyBytes) / (copyMs.median * 1e6),
    gflops: fma.flops / (fmaMs.median * 1e6),
    copyBytes,
    copyMs,
    fmaFlops: fma.flops,
    fmaMs,
    method: copy.method === 'timestamp' && fma.method === 'timestamp' ? 'timestamp' : 'wall',
    timestamps: stamps.length ? timestampGranularity(stamps) : null,
  };
}

function pipeline(device: GPUDevice, code: string, label: string): GPUComputePipeline {
  const module = device.createShaderModule({ label: `${label}.module`, code });
  return device.createComputePipeline({ label, layout: 'auto', compute: { module, entryPoint: 'main' } });
}

/** Splits a workgroup count into a grid within maxComputeWorkgroupsPerDimension. */
function grid(device: GPUDevice, groups: number): [number, number] {
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  return groups <= max ? [groups, 1] : [max, Math.ceil(groups / max)];
}

async function copyBenchmark(
  device: GPUDevice,
  code: string,
  bytes: number,
  repeats: number,
  owned: GPUBuffer[],
  keep: (t: TimedPasses) => TimedPasses,
) {
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
  const src = device.createBuffer({ label: 'Roofline.copy.src', size: bytes, usage });
  const dst = device.createBuffer({ label: 'Roofline.copy.dst', size: bytes, usage });
  owned.push(src, dst);
  // Non-zero data: some drivers special-case buffers they know are still cleared.
  const chunk = new Float32Array(Math.min(bytes, 4 * MIB) / 4).map((_, i) => i % 251);
  for (let offset = 0; offset < bytes; offset += chunk.byteLength) {
    device.queue.writeBuffer(src, offset, chunk, 0, Math.min(chunk.length, (bytes - offset) / 4));
  }
  const copy = pipeline(device, code, 'Roofline.copy');
  const bindGroup = device.createBindGroup({
    label: 'Roofline.copy.bindGroup',
    layout: copy.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: src } },
      { binding: 1, resource: { buffer: dst } },
    ],
  });
  const [gx, gy] = grid(device, Math.ceil(bytes / 16 / COPY_WORKGROUP));
  const encode = (pass: GPUComputePassEncoder) => {
    pass.setPipeline(copy);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(gx, gy);
  };
  await timeComputePasses(device, 'Roofline.copy.warmup', 1, encode);
  const ms: number[] = [];
  let method: TimingMethod = 'timestamp';
  for (let r = 0; r < repeats; r++) {
    const t = keep(await timeComputePasses(device, 'Roofline.copy', 1, encode));
    ms.push(t.ms[0]);
    if (t.method === 'wall') method = 'wall';
  }
  return { ms, method };
}

async function fmaBenchmark(
  device: GPUDevice,
  code: string,
  repeats: number,
  targetMs: number,
  owned: GPUBuffer[],
  keep: (t: TimedPasses) => TimedPasses,
) {
  const invocations = FMA_WORKGROUP * FMA_GROUPS;
  const params = device.createBuffer({ label: 'Roofline.fma.params', size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const out = device.createBuffer({ label: 'Roofline.fma.out', size: invocations * 4, usage: GPUBufferUsage.STORAGE });
  owned.push(params, out);
  const fma = pipeline(device, code, 'Roofline.fma');
  const bindGroup = device.createBindGroup({
    label: 'Roofline.fma.bindGroup',
    layout: fma.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: params } },
      { binding: 1, resource: { buffer: out } },
    ],
  });
  const setIterations = (iterations: number) => {
    const data = new ArrayBuffer(16);
    new Uint32Array(data)[0] = iterations;
    new Float32Array(data, 4, 2).set([0.999, 1e-3]);
    device.queue.writeBuffer(params, 0, data);
  };
  const encode = (pass: GPUComputePassEncoder) => {
    pass.setPipeline(fma);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(FMA_GROUPS);
  };
  // Grow the loop until a pass is long enough that launch overhead and timer resolution vanish.
  let iterations = 16;
  for (;;) {
    setIterations(iterations);
    const ms = keep(await timeComputePasses(device, 'Roofline.fma.calibrate', 1, encode)).ms[0];
    if (ms >= targetMs || iterations >= 1 << 20) break;
    iterations *= Math.min(16, Math.max(2, Math.ceil(targetMs / Math.max(ms, 1e-3))));
  }
  const ms: number[] = [];
  let method: TimingMethod = 'timestamp';
  for (let r = 0; r < repeats; r++) {
    const t = keep(await timeComputePasses(device, 'Roofline.fma', 1, encode));
    ms.push(t.ms[0]);
    if (t.method === 'wall') method = 'wall';
  }
  return { ms, method, flops: invocations * iterations * FLOPS_PER_ITERATION };
}
