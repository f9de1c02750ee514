/**
 * The kernel interface, in code: what each stage binds, how its uniform is laid out and how it is
 * dispatched. docs/kernel-interface.md says the same in words; keep the two together.
 */
import type { StageName } from '../core/stages';

export type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

export interface BindingSpec {
  binding: number;
  name: string;
  kind: BindingKind;
}

export interface StageSpec {
  name: StageName;
  bindings: BindingSpec[];
  /**
   * Workgroups to dispatch for `rows` query rows, given the kernel's @workgroup_size and (for the
   * stages with `outputBlocking`) how many outputs each invocation computes along x and y.
   */
  grid(kernel: DispatchShape, size: DispatchSize): [number, number, number];
  /**
   * The grid is an output tile that a kernel may block: it may declare module-scope constants
   * `OUTPUTS_PER_INVOCATION_X` / `_Y` (default 1), and a workgroup then covers
   * (x · OUTPUTS_PER_INVOCATION_X) × (y · OUTPUTS_PER_INVOCATION_Y) outputs.
   */
  outputBlocking?: boolean;
  /**
   * Pipeline-overridable constants the engine sets at pipeline creation, from the device's limits.
   * Each is set only when the kernel declares an `override` of that name, so a kernel may leave
   * it out and choose its own sizes.
   */
  constants?(limits: KernelLimits): Record<string, number>;
}

/** What the grid rule reads from a kernel (a CompiledKernel or KernelShape has both). */
export interface DispatchShape {
  workgroupSize: readonly number[];
  /** Outputs per invocation along x and y; [1, 1] when absent. */
  outputsPerInvocation?: readonly number[];
}

/** The output tile one workgroup covers: @workgroup_size x and y times the outputs per invocation. */
export function outputTile(kernel: DispatchShape): [number, number] {
  const [x, y = 1] = kernel.workgroupSize;
  const [ox = 1, oy = 1] = kernel.outputsPerInvocation ?? [];
  return [x * ox, y * oy];
}

export interface DispatchSize {
  rows: number;
  m: number;
  dv: number;
  heads: number;
  /** Columns of W_o (the projected width); 0 when the run has no output projection. */
  dModel: number;
}

/** The device limits a kernel may size itself by (the engine's planning limits, see EngineOptions). */
export interface KernelLimits {
  maxComputeWorkgroupStorageSize: number;
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

export const STAGES: Record<StageName, StageSpec> = {
  qk: {
    name: 'qk',
    bindings: [
      { binding: 0, name: 'params', kind: 'uniform' },
      { binding: 1, name: 'q', kind: 'read-only-storage' },
      { binding: 2, name: 'k', kind: 'read-only-storage' },
      { binding: 3, name: 'mask', kind: 'read-only-storage' },
      { binding: 4, name: 'scores', kind: 'storage' },
    ],
    outputBlocking: true,
    grid: (kernel, s) => {
      const [x, y] = outputTile(kernel);
      return [ceilDiv(s.m, x), ceilDiv(s.rows, y), s.heads];
    },
  },
  softmax: {
    name: 'softmax',
    bindings: [
      { binding: 0, name: 'params', kind: 'uniform' },
      { binding: 1, name: 'scores', kind: 'read-only-storage' },
      { binding: 2, name: 'probs', kind: 'storage' },
    ],
    grid: ({ workgroupSize: [, y = 1] }, s) => [ceilDiv(s.rows, y), s.heads, 1],
  },
  pv: {
    name: 'pv',
    bindings: [
      { binding: 0, name: 'params', kind: 'uniform' },
      { binding: 1, name: 'probs', kind: 'read-only-storage' },
      { binding: 2, name: 'v', kind: 'read-only-storage' },
      { binding: 3, name: 'out', kind: 'storage' },
    ],
    outputBlocking: true,
    grid: (kernel, s) => {
      const [x, y] = outputTile(kernel);
      return [ceilDiv(s.dv, x), ceilDiv(s.rows, y), s.heads];
    },
  },
  // One pass, online softmax: scores and probabilities never reach memory. The kernel owns whole
  // query rows (wg.x rows per workgroup, one head per grid z) and walks all keys itself.
  fused: {
    name: 'fused',
    bindings: [
      { binding: 0, name: 'params', kind: 'uniform' },
      { binding: 1, name: 'q', kind: 'read-only-storage' },
      { binding: 2, name: 'k', kind: 'read-only-storage' },
      { binding: 3, name: 'v', kind: 'read-only-storage' },
      { binding: 4, name: 'mask', kind: 'read-only-storage' },
      { binding: 5, name: 'out', kind: 'storage' },
    ],
    grid: ({ workgroupSize: [x] }, s) => [ceilDiv(s.rows, x), 1, s.heads],
    constants: (limits) => ({ WORKGROUP_BYTES: limits.maxComputeWorkgroupStorageSize }),
  },
  // Optional output projection: projected (rows × d_model) = out (rows × h·dv) · W_o.
  project: {
    name: 'project',
    bindings: [
      { binding: 0, name: 'params', kind: 'uniform' },
      { binding: 1, name: 'heads_out', kind: 'read-only-storage' },
      { binding: 2, name: 'wo', kind: 'read-only-storage' },
      { binding: 3, name: 'projected', kind: 'storage' },
    ],
    outputBlocking: true,
    grid: (kernel, s) => {
      const [x, y] = outputTile(kernel);
      return [ceilDiv(s.dModel, x), ceilDiv(s.rows, y), 1];
    },
  },
};

export const FLAG_CAUSAL = 1;
export const FLAG_MASK = 2;

/**
 * Byte size of the Params uniform (10 four-byte fields, padded to 16). Kernels may declare a
 * prefix of the struct: the attention stages declare the first 9 fields, the projection all 10.
 */
export const PARAMS_BYTES = 48;

export interface KernelParams {
  n: number;
  m: number;
  dk: number;
  dv: number;
  heads: number;
  causal: boolean;
  hasMask: boolean;
  causalShift: number;
  scale: number;
  temperature: number;
  /** Columns of W_o; 0 without an output projection. */
  dModel: number;
}

export function packParams(p: KernelParams): ArrayBuffer {
  const buffer = new ArrayBuffer(PARAMS_BYTES);
  const u32 = new Uint32Array(buffer), i32 = new Int32Array(buffer), f32 = new Float32Array(buffer);
  u32[0] = p.n;
  u32[1] = p.m;
  u32[2] = p.dk;
  u32[3] = p.dv;
  u32[4] = p.heads;
  u32[5] = (p.causal ? FLAG_CAUSAL : 0) | (p.hasMask ? FLAG_MASK : 0);
  i32[6] = p.causalShift;
  f32[7] = p.scale;
  f32[8] = p.temperature;
  u32[9] = p.dModel;
  return buffer;
}

const BUFFER_TYPES: Record<BindingKind, GPUBufferBindingType> = {
  uniform: 'uniform',
  'read-only-storage': 'read-only-storage',
  storage: 'storage',
};

export function bindGroupLayoutEntries(stage: StageSpec): GPUBindGroupLayoutEntry[] {
  return stage.bindings.map((b) => ({
    binding: b.binding,
    visibility: GPUShaderStage.COMPUTE,
    buffer: { type: BUFFER_TYPES[b.kind] },
  }));
}
