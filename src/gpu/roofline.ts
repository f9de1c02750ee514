/**
 * A measured roofline of the adapter: sustained copy bandwidth (GB/s), FMA throughput (GFLOP/s) and
 * workgroup-memory bandwidth (GB/s), each the median of a few timed passes, plus how finely its
 * timestamps resolve time. Every microbenchmark sizes itself by time: it grows its work (the copy
 * buffer, then copies per pass; the workgroup count, then the loop) until one pass takes the target
 * time (10 ms), so a large GPU is filled and a CPU emulator stays quick; caps stop the growth.
 * Measured once per device and set of options (cached in a WeakMap).
 */
import type { Roofline, RooflineSizing, TimingMethod } from '../core/profile-report';
import { summarize, timestampGranularity } from '../core/stats';
import type { TimedPasses } from './pass-timing';
import { timeComputePasses } from './pass-timing';
import type { ShaderLibrary } from './variants';

/** The microbenchmark kernels, by their path in the shader library (shaders/roofline/). */
export const ROOFLINE_SHADERS = {
  copy: 'roofline/copy_bandwidth.wgsl',
  fma: 'roofline/fma_throughput.wgsl',
  workgroup: 'roofline/workgroup_bandwidth.wgsl',
} as const;

type RooflineKernels = Record<keyof typeof ROOFLINE_SHADERS, string>;

function rooflineKernels(shaders: ShaderLibrary): RooflineKernels {
  const source = (file: string) => {
    const code = shaders[file];
    if (code === undefined) throw new Error(`shader ${file} is missing from the shader library`);
    return code;
  };
  return { copy: source(ROOFLINE_SHADERS.copy), fma: source(ROOFLINE_SHADERS.fma), workgroup: source(ROOFLINE_SHADERS.workgroup) };
}

export interface RooflineOptions {
  /**
   * Bytes per copy buffer (two are allocated), fixed. By default the buffer starts at 64 MiB (above
   * the last-level cache of today's GPUs) and doubles up to 1 GiB while a pass is shorter than the
   * target; both capped by the device's limits.
   */
  copyBytes?: number;
  /** Timed passes per microbenchmark, after one warm-up. Default 5. */
  repeats?: number;
  /** Work grows until one pass takes at least this long (or a cap is reached). Default 10 ms. */
  targetMs?: number;
  /**
   * Runs the FMA microbenchmark for at least this long before measuring, so that a GPU that idled
   * down is back at its working clock (ClockWarmer below). Default 0: a CPU emulator needs none.
   */
  warmUpMs?: number;
}

const MIB = 1024 * 1024;
const FMA_WORKGROUP = 64;
const FLOPS_PER_ITERATION = 64;
const COPY_WORKGROUP = 256;
const WORKGROUP_INVOCATIONS = 256;
/** Bytes each invocation of workgroup_bandwidth.wgsl reads per iteration: 4 vec4f. */
const WORKGROUP_BYTES_PER_ITERATION = 64;
const MIN_COPY_BYTES = 64 * MIB;
const MAX_COPY_BYTES = 1024 * MIB;
const MAX_COPIES_PER_PASS = 64;
const MAX_GROUPS = 65_535;
const MAX_ITERATIONS = 1 << 20;

/** Per device, one measurement per set of options (keyed by the resolved options). */
const cache = new WeakMap<GPUDevice, Map<string, Promise<Roofline>>>();

interface ResolvedOptions {
  /** Smallest and largest copy buffer (equal when copyBytes was given). */
  copyBytes: [number, number];
  repeats: number;
  targetMs: number;
  warmUpMs: number;
}

function resolveOptions(device: GPUDevice, options: RooflineOptions): ResolvedOptions {
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const fit = (bytes: number) => Math.floor(Math.min(bytes, limit) / 16) * 16;
  return {
    copyBytes:
      options.copyBytes !== undefined ? [fit(options.copyBytes), fit(options.copyBytes)] : [fit(MIN_COPY_BYTES), fit(MAX_COPY_BYTES)],
    repeats: options.repeats ?? 5,
    targetMs: options.targetMs ?? 10,
    warmUpMs: options.warmUpMs ?? 0,
  };
}

/**
 * The device's roofline, measured on the first request with these options and cached for the
 * device's lifetime; other options (a smaller copy, more repeats) measure anew.
 */
/** The kernels come from the shader library (the same one the engine runs from). */
export function measureRoofline(device: GPUDevice, shaders: ShaderLibrary, options: RooflineOptions = {}): Promise<Roofline> {
  const resolved = resolveOptions(device, options);
  const key = `${resolved.copyBytes.join('-')}/${resolved.repeats}/${resolved.targetMs}/${resolved.warmUpMs}`;
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

async function runRoofline(device: GPUDevice, kernels: RooflineKernels, options: ResolvedOptions): Promise<Roofline> {
  const owned: GPUBuffer[] = [];
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let measured: Roofline | null = null;
  let failure: unknown = null;
  try {
    measured = await measure(device, kernels, options, owned);
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

/**
 * Grows a two-part size (the work per unit, then the units) until one pass takes `targetMs`: the
 * first part up to its cap, then the second. Each step multiplies by the shortfall (2× to 16×).
 */
export async function growUntil(
  targetMs: number,
  start: [number, number],
  caps: [number, number],
  time: (size: [number, number]) => Promise<number>,
  snap: (first: number) => number = (x) => x,
): Promise<[number, number]> {
  const size: [number, number] = [...start];
  for (;;) {
    const ms = await time(size);
    if (ms >= targetMs) return size;
    const factor = Math.min(16, Math.max(2, Math.ceil(targetMs / Math.max(ms, 1e-3))));
    if (size[0] < caps[0]) size[0] = Math.min(caps[0], snap(size[0] * factor));
    else if (size[1] < caps[1]) size[1] = Math.min(caps[1], size[1] * factor);
    else return size;
  }
}

async function measure(device: GPUDevice, kernels: RooflineKernels, options: ResolvedOptions, owned: GPUBuffer[]): Promise<Roofline> {
  const stamps: bigint[] = [];
  const keep = (t: TimedPasses) => (stamps.push(...t.stamps), t);
  // Measured cold, an H200's roofline came out at 345 of its 1980 MHz: 8.6 instead of 47.4 TFLOP/s;
  // after 200 ms of warm-up, at half (22.6–23.7): its clock took 1–2 s to rise from idle, in steps.
  if (options.warmUpMs > 0)
    await warmUntilSettled(Math.max(options.warmUpMs, ROOFLINE_WARM_UP_MS), async () => {
      const fma = await fmaBenchmark(device, kernels.fma, options, owned, (t) => t);
      return fma.flops / summarize(fma.ms).median;
    });
  const copy = await copyBenchmark(device, kernels.copy, options, owned, keep);
  const fma = await fmaBenchmark(device, kernels.fma, options, owned, keep);
  const shared = await workgroupBenchmark(device, kernels.workgroup, options, owned, keep);
  const copyMs = summarize(copy.ms),
    fmaMs = summarize(fma.ms),
    workgroupMs = summarize(shared.ms);
  const sizing: RooflineSizing = {
    targetMs: options.targetMs,
    copyBytes: copy.bytes,
    copyDispatches: copy.dispatches,
    fmaGroups: fma.groups,
    fmaIterations: fma.iterations,
    workgroupGroups: shared.groups,
    workgroupIterations: shared.iterations,
  };
  return {
    gbps: (2 * copy.bytes * copy.dispatches) / (copyMs.median * 1e6),
    gflops: fma.flops / (fmaMs.median * 1e6),
    workgroupGbps: shared.bytes / (workgroupMs.median * 1e6),
    copyBytes: copy.bytes,
    copyMs,
    fmaFlops: fma.flops,
    fmaMs,
    workgroupBytes: shared.bytes,
    workgroupMs,
    method: [copy, fma, shared].every((b) => b.method === 'timestamp') ? 'timestamp' : 'wall',
    timestamps: stamps.length ? timestampGranularity(stamps) : null,
    sizing,
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

/** One warm-up pass, then `repeats` timed ones. */
async function timeRepeats(
  device: GPUDevice,
  label: string,
  repeats: number,
  encode: (pass: GPUComputePassEncoder) => void,
  keep: (t: TimedPasses) => TimedPasses,
): Promise<{ ms: number[]; method: TimingMethod }> {
  await timeComputePasses(device, `${label}.warmup`, 1, encode);
  const ms: number[] = [];
  let method: TimingMethod = 'timestamp';
  for (let r = 0; r < repeats; r++) {
    const t = keep(await timeComputePasses(device, label, 1, encode));
    ms.push(t.ms[0]);
    if (t.method === 'wall') method = 'wall';
  }
  return { ms, method };
}

/** Destroys a benchmark's buffers when it resizes them (the rest are destroyed by the caller). */
function release(owned: GPUBuffer[], buffers: GPUBuffer[]): void {
  for (const b of buffers) {
    b.destroy();
    owned.splice(owned.indexOf(b), 1);
  }
}

async function copyBenchmark(
  device: GPUDevice,
  code: string,
  { copyBytes: [minBytes, maxBytes], repeats, targetMs }: ResolvedOptions,
  owned: GPUBuffer[],
  keep: (t: TimedPasses) => TimedPasses,
) {
  const copy = pipeline(device, code, 'Roofline.copy');
  let buffers: GPUBuffer[] = [];
  let bindGroup: GPUBindGroup | null = null;
  let allocated = 0;
  const allocate = (bytes: number) => {
    if (bytes === allocated) return;
    release(owned, buffers);
    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    const src = device.createBuffer({ label: 'Roofline.copy.src', size: bytes, usage });
    const dst = device.createBuffer({ label: 'Roofline.copy.dst', size: bytes, usage });
    buffers = [src, dst];
    owned.push(src, dst);
    // Non-zero data: some drivers special-case buffers they know are still cleared.
    const chunk = new Float32Array(Math.min(bytes, 4 * MIB) / 4).map((_, i) => i % 251);
    for (let offset = 0; offset < bytes; offset += chunk.byteLength) {
      device.queue.writeBuffer(src, offset, chunk, 0, Math.min(chunk.length, (bytes - offset) / 4));
    }
    bindGroup = device.createBindGroup({
      label: 'Roofline.copy.bindGroup',
      layout: copy.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: src } },
        { binding: 1, resource: { buffer: dst } },
      ],
    });
    allocated = bytes;
  };
  const encoder = ([bytes, dispatches]: [number, number]) => {
    allocate(bytes);
    const [gx, gy] = grid(device, Math.ceil(bytes / 16 / COPY_WORKGROUP));
    return (pass: GPUComputePassEncoder) => {
      pass.setPipeline(copy);
      pass.setBindGroup(0, bindGroup);
      for (let i = 0; i < dispatches; i++) pass.dispatchWorkgroups(gx, gy);
    };
  };
  // Powers of two keep the buffer a multiple of 16 bytes; the first pass also warms up.
  const size = await growUntil(
    targetMs,
    [minBytes, 1],
    [maxBytes, MAX_COPIES_PER_PASS],
    async (s) => keep(await timeComputePasses(device, 'Roofline.copy.calibrate', 1, encoder(s))).ms[0],
    (bytes) => 2 ** Math.round(Math.log2(bytes)),
  );
  const timed = await timeRepeats(device, 'Roofline.copy', repeats, encoder(size), keep);
  return { ...timed, bytes: size[0], dispatches: size[1] };
}

/** Sizes a kernel with a Params { iterations } uniform and one output float per invocation by time: groups first, then iterations. */
async function loopBenchmark(
  device: GPUDevice,
  code: string,
  label: string,
  invocationsPerGroup: number,
  { repeats, targetMs }: ResolvedOptions,
  owned: GPUBuffer[],
  keep: (t: TimedPasses) => TimedPasses,
  setParams: (iterations: number) => ArrayBuffer,
) {
  const kernel = pipeline(device, code, label);
  const params = device.createBuffer({ label: `${label}.params`, size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  owned.push(params);
  let out: GPUBuffer[] = [];
  let bindGroup: GPUBindGroup | null = null;
  let allocated = 0;
  const encoder = ([groups, iterations]: [number, number]) => {
    if (groups !== allocated) {
      release(owned, out);
      const buffer = device.createBuffer({ label: `${label}.out`, size: groups * invocationsPerGroup * 4, usage: GPUBufferUsage.STORAGE });
      out = [buffer];
      owned.push(buffer);
      bindGroup = device.createBindGroup({
        label: `${label}.bindGroup`,
        layout: kernel.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: params } },
          { binding: 1, resource: { buffer } },
        ],
      });
      allocated = groups;
    }
    device.queue.writeBuffer(params, 0, setParams(iterations));
    return (pass: GPUComputePassEncoder) => {
      pass.setPipeline(kernel);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(groups);
    };
  };
  const maxGroups = Math.min(MAX_GROUPS, device.limits.maxComputeWorkgroupsPerDimension);
  // Enough workgroups to fill a large GPU before the loop grows: a small grid measures one corner of it.
  const size = await growUntil(
    targetMs,
    [64, 64],
    [maxGroups, MAX_ITERATIONS],
    async (s) => keep(await timeComputePasses(device, `${label}.calibrate`, 1, encoder(s))).ms[0],
  );
  const timed = await timeRepeats(device, label, repeats, encoder(size), keep);
  return { ...timed, groups: size[0], iterations: size[1] };
}

/** The FMA kernel's uniform: its loop count, then the multiplier and addend of its chains. */
function fmaParams(iterations: number): ArrayBuffer {
  const data = new ArrayBuffer(16);
  new Uint32Array(data)[0] = iterations;
  new Float32Array(data, 4, 2).set([0.999, 1e-3]);
  return data;
}

async function fmaBenchmark(
  device: GPUDevice,
  code: string,
  options: ResolvedOptions,
  owned: GPUBuffer[],
  keep: (t: TimedPasses) => TimedPasses,
) {
  const r = await loopBenchmark(device, code, 'Roofline.fma', FMA_WORKGROUP, options, owned, keep, fmaParams);
  return { ...r, flops: r.groups * FMA_WORKGROUP * r.iterations * FLOPS_PER_ITERATION };
}

async function workgroupBenchmark(
  device: GPUDevice,
  code: string,
  options: ResolvedOptions,
  owned: GPUBuffer[],
  keep: (t: TimedPasses) => TimedPasses,
) {
  const r = await loopBenchmark(
    device,
    code,
    'Roofline.workgroup',
    WORKGROUP_INVOCATIONS,
    options,
    owned,
    keep,
    (iterations) => Uint32Array.of(iterations, 0, 0, 0).buffer,
  );
  return { ...r, bytes: r.groups * WORKGROUP_INVOCATIONS * r.iterations * WORKGROUP_BYTES_PER_ITERATION };
}

/** The clock warm-up before each round of a profile on a GPU (the page's, and `npm run bench`'s default there). */
export const WARM_CLOCK_MS = 200;

/**
 * The least warm-up before a roofline measured warm: an idle H200 took 1–2 s to climb from 345 to
 * 1980 MHz, in steps it held for up to 800 ms (issue 12's sixteenth session, the SM clock logged
 * every 100 ms), so neither 200 ms nor "the rate stopped rising" reached its peak.
 */
export const ROOFLINE_WARM_UP_MS = 2500;
/** A warm-up with no target goes on past its minimum while a pass ran this much faster than the one before it. */
export const WARM_RISE = 1.02;
/** The ClockWarmer's passes go on until they run at this share of the roofline's FMA rate… */
export const WARM_TARGET = 0.9;
/** …or for at most this long: a device whose passes never get there (or a noisy one) is measured as it is then. */
export const WARM_MAX_MS = 5000;

/**
 * Runs `pass` (which returns a rate: higher is faster) for at least `minMs` of wall time and two
 * passes, and on until the rate reaches `target` (when given) or else stops rising by more than
 * WARM_RISE from one pass to the next, for at most `maxMs`. A GPU idles its clock down within a
 * second and takes as long to raise it again, in steps: a fixed short warm-up left an H200 at a
 * sixth of its clock for some rounds, and its roofline at half its peak. Returns the last pass's
 * rate, the wall time and the passes run.
 */
export async function warmUntilSettled(
  minMs: number,
  pass: () => Promise<number>,
  { maxMs = Math.max(minMs, WARM_MAX_MS), target }: { maxMs?: number; target?: number } = {},
): Promise<{ rate: number; ms: number; passes: number }> {
  const started = performance.now();
  let previous = 0;
  let rate = 0;
  let passes = 0;
  for (;;) {
    rate = await pass();
    passes++;
    const elapsed = performance.now() - started;
    const ready = target !== undefined ? rate >= target : !(previous > 0 && rate > previous * WARM_RISE);
    if (elapsed >= maxMs || (elapsed >= minMs && passes > 1 && ready)) return { rate, ms: elapsed, passes };
    previous = rate;
  }
}

/** What one clock warm-up found: the FMA kernel's rate in its last pass, against the roofline's. */
export interface ClockProbe {
  /** Wall time the warm-up took. */
  ms: number;
  /** The last pass's FMA rate. */
  gflops: number;
  /** gflops ÷ the roofline's FMA peak: about 1 when the GPU ran at the clock it had for the roofline. */
  fractionOfRoof: number;
}

/**
 * Keeps a GPU at its working clock between benchmark runs. A GPU lowers its clock when it sits idle
 * — on an H200 from 1980 MHz to 345 MHz within a second — and a benchmark whose runs are short
 * beside the host's work around them (uploads, read-backs, the reference) leaves it idle most of the
 * time, so its kernels ran at a sixth of the clock the roofline was measured at (the SM clock logged
 * during issue 12's decode rows on an H200). The warmer runs the roofline's FMA kernel, at the size
 * that took targetMs for the roofline, for at least `minMs` of wall time right before the runs it
 * precedes, and reports the last pass's rate as a probe of the clock they start at.
 */
export class ClockWarmer {
  private readonly kernel: GPUComputePipeline;
  private readonly params: GPUBuffer;
  private readonly out: GPUBuffer;
  private readonly bindGroup: GPUBindGroup;
  private readonly groups: number;
  private readonly flops: number;

  constructor(
    private readonly device: GPUDevice,
    shaders: ShaderLibrary,
    private readonly roofline: Roofline,
    private readonly minMs: number,
    /** At most this long (default: warmUntilSettled's). */
    private readonly maxMs?: number,
  ) {
    const groups = roofline.sizing?.fmaGroups ?? 4096;
    const iterations = roofline.sizing?.fmaIterations ?? 1024;
    this.kernel = pipeline(device, rooflineKernels(shaders).fma, 'ClockWarmer.fma');
    this.params = device.createBuffer({ label: 'ClockWarmer.params', size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.out = device.createBuffer({ label: 'ClockWarmer.out', size: groups * FMA_WORKGROUP * 4, usage: GPUBufferUsage.STORAGE });
    device.queue.writeBuffer(this.params, 0, fmaParams(iterations));
    this.bindGroup = device.createBindGroup({
      label: 'ClockWarmer.bindGroup',
      layout: this.kernel.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.params } },
        { binding: 1, resource: { buffer: this.out } },
      ],
    });
    this.groups = groups;
    this.flops = groups * FMA_WORKGROUP * iterations * FLOPS_PER_ITERATION;
  }

  /**
   * Runs FMA passes for at least minMs of wall time, and on until one runs at WARM_TARGET of the
   * roofline's FMA rate (the clock back up: warmUntilSettled), for at most maxMs; returns the last
   * one's rate.
   */
  async warm(): Promise<ClockProbe> {
    const target = WARM_TARGET * this.roofline.gflops;
    const { rate: gflops, ms } = await warmUntilSettled(
      this.minMs,
      async () => {
        const timed = await timeComputePasses(this.device, 'ClockWarmer.fma', 1, (pass) => {
          pass.setPipeline(this.kernel);
          pass.setBindGroup(0, this.bindGroup);
          pass.dispatchWorkgroups(this.groups);
        });
        return this.flops / (timed.ms[0] * 1e6);
      },
      { target, maxMs: this.maxMs },
    );
    return { ms, gflops, fractionOfRoof: gflops / this.roofline.gflops };
  }

  destroy(): void {
    this.params.destroy();
    this.out.destroy();
  }
}
