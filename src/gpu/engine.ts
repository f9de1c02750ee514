/**
 * The attention engine: runs QKᵀ → softmax → P·V on a GPUDevice it is given, in Node or the page.
 *
 * Query rows are processed in blocks small enough that the h×rows×m score matrix fits one storage
 * binding; each block is one queue submission of the three stages. Every buffer a run creates is
 * destroyed before it returns.
 */
import type { AttentionInputs, AttentionShape } from '../core/shapes';
import { checkInputs } from '../core/shapes';
import type { AttentionOptions } from '../core/options';
import { causalShift, resolveScale, withDefaults } from '../core/options';
import type { Matrix } from '../core/tensor';
import type { StageName } from './errors';
import { DeviceLostError, GpuValidationError, LimitError, RunCancelledError } from './errors';
import type { KernelParams } from './interface';
import { packParams, PARAMS_BYTES, STAGE_ORDER, STAGES } from './interface';
import type { CompiledKernel } from './pipelines';
import { getKernel } from './pipelines';
import type { ShaderLibrary, VariantName } from './variants';
import { VARIANTS } from './variants';
import { StageTimer } from './timing';

export interface RunOptions {
  variant?: VariantName;
  /** Caller-supplied WGSL replacing the variant's kernel for a stage (same interface). */
  kernels?: Partial<Record<StageName, string>>;
  /** Also read back the scores and probabilities. */
  intermediates?: boolean;
  /** Fill every output buffer with NaN first, so an element a kernel never writes cannot pass. */
  poison?: boolean;
  /** Only query rows [start, end) against all keys. */
  rows?: [number, number];
  /** Upper bound on rows per block (the engine picks the largest that fits the device otherwise). */
  maxBlockRows?: number;
  signal?: AbortSignal;
}

/** Milliseconds of GPU time per stage, summed over blocks. */
export type StageTimings = Record<StageName, number>;

export interface RunResult {
  shape: AttentionShape;
  rows: [number, number];
  /** rows × (h·dv) */
  output: Matrix;
  /** h × rows × m, when intermediates were requested */
  scores: Float32Array | null;
  probs: Float32Array | null;
  /** null when the adapter has no timestamp-query */
  gpuTimings: StageTimings | null;
  wallMs: number;
  blocks: number;
  variant: VariantName;
}

interface Plan {
  shape: AttentionShape;
  params: Omit<KernelParams, 'n' | 'causalShift'>;
  start: number;
  end: number;
  blockRows: number;
  kernels: Record<StageName, CompiledKernel>;
}

const F32 = 4;

export interface EngineOptions {
  /**
   * Lower some device limits, to plan as a smaller device would (tests use it to force row blocks).
   * Values above the device's own limits are ignored.
   */
  limits?: Partial<Record<'maxStorageBufferBindingSize' | 'maxBufferSize' | 'maxComputeWorkgroupsPerDimension', number>>;
}

type PlanningLimits = Record<'maxStorageBufferBindingSize' | 'maxBufferSize' | 'maxComputeWorkgroupsPerDimension', number>;

export class AttentionEngine {
  private lostReason: string | null = null;
  readonly limits: PlanningLimits;

  constructor(readonly device: GPUDevice, private readonly shaders: ShaderLibrary, options: EngineOptions = {}) {
    const own = device.limits;
    const lower = (name: keyof PlanningLimits) => Math.min(own[name], options.limits?.[name] ?? Infinity);
    this.limits = {
      maxStorageBufferBindingSize: lower('maxStorageBufferBindingSize'),
      maxBufferSize: lower('maxBufferSize'),
      maxComputeWorkgroupsPerDimension: lower('maxComputeWorkgroupsPerDimension'),
    };
    device.lost.then((info) => {
      this.lostReason = info.message || info.reason || 'unknown reason';
    });
  }

  get hasTimestamps(): boolean {
    return this.device.features.has('timestamp-query');
  }

  get lost(): string | null {
    return this.lostReason;
  }

  /** The kernel source a stage would run for a variant (built-in). */
  source(variant: VariantName, stage: StageName): string {
    const file = VARIANTS[variant][stage];
    const source = this.shaders[file];
    if (source === undefined) throw new Error(`shader ${file} is missing from the shader library`);
    return source;
  }

  async kernel(stage: StageName, variant: VariantName, custom?: string): Promise<CompiledKernel> {
    const label = custom ? `Attention.${stage}.custom` : `Attention.${stage}.${variant}`;
    return getKernel(this.device, stage, custom ?? this.source(variant, stage), label);
  }

  async run(inputs: AttentionInputs, partial: Partial<AttentionOptions> = {}, run: RunOptions = {}): Promise<RunResult> {
    const started = performance.now();
    this.throwIfLost();
    const options = withDefaults(partial);
    const shape = checkInputs(inputs, options);
    const variant = run.variant ?? 'tiled';
    const kernels = {} as Record<StageName, CompiledKernel>;
    for (const stage of STAGE_ORDER) kernels[stage] = await this.kernel(stage, variant, run.kernels?.[stage]);
    checkCancelled(run.signal);

    const [start, end] = run.rows ?? [0, shape.n];
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= shape.n && start < end)) {
      throw new RangeError(`rows [${start}, ${end}) is not a non-empty range inside [0, ${shape.n})`);
    }
    const plan: Plan = {
      shape,
      start,
      end,
      kernels,
      blockRows: 0,
      params: {
        m: shape.m, dk: shape.dk, dv: shape.dv, heads: shape.heads,
        causal: options.causal, hasMask: !!inputs.mask,
        scale: resolveScale(options.scale, shape.dk), temperature: options.temperature,
      },
    };
    plan.blockRows = this.blockRows(plan, run.maxBlockRows);
    const result = await this.execute(inputs, plan, run);
    return { ...result, shape, rows: [start, end], variant, wallMs: performance.now() - started };
  }

  /** Largest number of query rows per block that fits every binding and dispatch limit. */
  private blockRows(plan: Plan, requested = Infinity): number {
    const { limits } = this;
    const { m, dk, dv, heads } = plan.shape;
    const binding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
    const fits = (what: string, bytes: number) => {
      if (bytes > binding) {
        throw new LimitError('maxStorageBufferBindingSize', bytes, binding, what, 'Use fewer keys, a smaller width, or a device with a larger limit.');
      }
    };
    fits(`K (${m}×${heads * dk} float32)`, m * heads * dk * F32);
    fits(`V (${m}×${heads * dv} float32)`, m * heads * dv * F32);
    const scoreRow = heads * m * F32;
    fits(`one row of scores (${heads} head(s) × ${m} keys, float32)`, scoreRow);
    let rows = Math.floor(binding / scoreRow);
    rows = Math.min(rows, Math.floor(binding / (heads * Math.max(dk, dv) * F32)));
    const maxGroups = limits.maxComputeWorkgroupsPerDimension;
    for (const stage of STAGE_ORDER) {
      const kernel = plan.kernels[stage];
      const [gx, , gz] = STAGES[stage].grid(kernel.workgroupSize, { rows: 1, m, dv, heads });
      if (gx > maxGroups) throw new LimitError('maxComputeWorkgroupsPerDimension', gx, maxGroups, `the ${stage} dispatch (x)`);
      if (gz > maxGroups) throw new LimitError('maxComputeWorkgroupsPerDimension', gz, maxGroups, `the ${stage} dispatch over heads`);
      // The row count sets grid.y for qk and pv, grid.x for softmax: each row dimension is ceil(rows / wg.y).
      rows = Math.min(rows, maxGroups * kernel.workgroupSize[1]);
    }
    return Math.max(1, Math.min(rows, requested, plan.end - plan.start));
  }

  private async execute(inputs: AttentionInputs, plan: Plan, run: RunOptions) {
    const { device } = this;
    const { shape, blockRows, start, end } = plan;
    const { m, dk, dv, heads } = shape;
    const total = end - start;
    const owned: GPUBuffer[] = [];
    const buffer = (label: string, size: number, usage: number) => {
      const b = device.createBuffer({ label: `Attention.${label}`, size: Math.max(16, Math.ceil(size / 4) * 4), usage });
      owned.push(b);
      return b;
    };
    const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST;
    const RESULT = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const READ = GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST;
    const scoreBytes = heads * blockRows * m * F32;
    const outBytes = blockRows * heads * dv * F32;

    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    let scopesOpen = true;
    const closeScopes = () => {
      scopesOpen = false;
      return raiseScopeErrors(device);
    };
    const timer = this.hasTimestamps ? new StageTimer(device, owned) : null;
    try {
      const params = buffer('params', PARAMS_BYTES, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
      const q = buffer('q', blockRows * heads * dk * F32, STORAGE);
      const k = buffer('k', m * heads * dk * F32, STORAGE);
      const v = buffer('v', m * heads * dv * F32, STORAGE);
      const mask = buffer('mask', inputs.mask ? blockRows * m * F32 : 4, STORAGE);
      const scores = buffer('scores', scoreBytes, RESULT);
      const probs = buffer('probs', scoreBytes, RESULT);
      const out = buffer('out', outBytes, RESULT);
      const outRead = buffer('out.readback', outBytes, READ);
      const scoresRead = run.intermediates ? buffer('scores.readback', scoreBytes, READ) : null;
      const probsRead = run.intermediates ? buffer('probs.readback', scoreBytes, READ) : null;
      device.queue.writeBuffer(k, 0, inputs.k.data);
      device.queue.writeBuffer(v, 0, inputs.v.data);

      const groups = {
        qk: [params, q, k, mask, scores],
        softmax: [params, scores, probs],
        pv: [params, probs, v, out],
      } satisfies Record<StageName, GPUBuffer[]>;
      const bindGroups = Object.fromEntries(STAGE_ORDER.map((stage) => [stage, device.createBindGroup({
        label: `Attention.${stage}.bindGroup`,
        layout: plan.kernels[stage].layout,
        entries: groups[stage].map((b, binding) => ({ binding, resource: { buffer: b } })),
      })])) as Record<StageName, GPUBindGroup>;

      const output = new Float32Array(total * heads * dv);
      const scoresAll = run.intermediates ? new Float32Array(heads * total * m) : null;
      const probsAll = run.intermediates ? new Float32Array(heads * total * m) : null;
      const maskData = inputs.mask ? Uint32Array.from(inputs.mask.data, (x) => (x !== 0 ? 1 : 0)) : null;
      let blocks = 0;

      for (let r0 = start; r0 < end; r0 += blockRows) {
        checkCancelled(run.signal);
        this.throwIfLost();
        const rows = Math.min(blockRows, end - r0);
        blocks++;
        device.queue.writeBuffer(params, 0, packParams({ ...plan.params, n: rows, causalShift: causalShift(shape.n, m, r0) }));
        device.queue.writeBuffer(q, 0, inputs.q.data, r0 * heads * dk, rows * heads * dk);
        if (maskData) device.queue.writeBuffer(mask, 0, maskData, r0 * m, rows * m);
        if (run.poison) {
          const poison = new Float32Array(heads * rows * m).fill(NaN);
          device.queue.writeBuffer(scores, 0, poison);
          device.queue.writeBuffer(probs, 0, poison);
          device.queue.writeBuffer(out, 0, new Float32Array(rows * heads * dv).fill(NaN));
        }
        const encoder = device.createCommandEncoder({ label: 'Attention.block' });
        for (const stage of STAGE_ORDER) {
          const kernel = plan.kernels[stage];
          const pass = encoder.beginComputePass({ label: `Attention.${stage}`, timestampWrites: timer?.writes(stage) });
          pass.setPipeline(kernel.pipeline);
          pass.setBindGroup(0, bindGroups[stage]);
          pass.dispatchWorkgroups(...STAGES[stage].grid(kernel.workgroupSize, { rows, m, dv, heads }));
          pass.end();
        }
        const outSize = rows * heads * dv * F32, scoreSize = heads * rows * m * F32;
        encoder.copyBufferToBuffer(out, 0, outRead, 0, outSize);
        if (scoresRead && probsRead) {
          encoder.copyBufferToBuffer(scores, 0, scoresRead, 0, scoreSize);
          encoder.copyBufferToBuffer(probs, 0, probsRead, 0, scoreSize);
        }
        timer?.resolve(encoder);
        device.queue.submit([encoder.finish()]);

        output.set(await readFloats(outRead, outSize), (r0 - start) * heads * dv);
        if (scoresRead && probsRead && scoresAll && probsAll) {
          placeHeadRows(scoresAll, await readFloats(scoresRead, scoreSize), heads, rows, m, total, r0 - start);
          placeHeadRows(probsAll, await readFloats(probsRead, scoreSize), heads, rows, m, total, r0 - start);
        }
        await timer?.collect();
      }
      await closeScopes();
      return {
        output: { rows: total, cols: heads * dv, data: output },
        scores: scoresAll,
        probs: probsAll,
        gpuTimings: timer?.totals() ?? null,
        blocks,
      };
    } catch (error) {
      // A WebGPU error caught by the scopes explains a failure better than what it caused downstream.
      if (scopesOpen) await closeScopes();
      if (this.lostReason) throw new DeviceLostError(`the GPU device was lost: ${this.lostReason}`);
      throw error;
    } finally {
      timer?.dispose();
      for (const b of owned) b.destroy();
    }
  }

  private throwIfLost(): void {
    if (this.lostReason) throw new DeviceLostError(`the GPU device was lost (${this.lostReason}); acquire a new device`);
  }
}

function checkCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new RunCancelledError('run cancelled');
}

/** Pops the validation and out-of-memory scopes pushed by execute(), throwing the first error. */
async function raiseScopeErrors(device: GPUDevice): Promise<void> {
  const validation = await device.popErrorScope();
  const memory = await device.popErrorScope();
  const error = validation ?? memory;
  if (error) throw new GpuValidationError(error.message);
}

async function readFloats(buffer: GPUBuffer, bytes: number): Promise<Float32Array> {
  await buffer.mapAsync(GPUMapMode.READ, 0, bytes);
  const copy = new Float32Array(buffer.getMappedRange(0, bytes).slice(0));
  buffer.unmap();
  return copy;
}

/** Copies a block's h×rows×m scores into the h×total×m tensor at row offset. */
function placeHeadRows(all: Float32Array, block: Float32Array, heads: number, rows: number, m: number, total: number, offset: number) {
  for (let t = 0; t < heads; t++) {
    all.set(block.subarray(t * rows * m, (t + 1) * rows * m), (t * total + offset) * m);
  }
}
