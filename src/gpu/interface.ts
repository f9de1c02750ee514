/**
 * The kernel interface, in code: what each stage binds, how its uniform is laid out and how it is
 * dispatched. docs/kernel-interface.md says the same in words; keep the two together.
 */
import type { AttentionShape } from '../core/shapes';
import type { StageName } from '../core/stages';

export type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

/**
 * The buffers the engine binds, by name. A stage's bindings name the buffer each binding receives,
 * so the bind groups are built from this table alone.
 */
export type BufferName = 'params' | 'q' | 'k' | 'v' | 'mask' | 'scores' | 'probs' | 'out' | 'wo' | 'projected';

export interface BindingSpec {
  binding: number;
  name: BufferName;
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
      { binding: 1, name: 'out', kind: 'read-only-storage' }, // the heads' concatenated output
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

const FLAG_CAUSAL = 1;
const FLAG_MASK = 2;

/** What one dispatch's Params hold; `n` counts the query rows of this dispatch (a block when rows are blocked). */
export interface KernelParams extends Omit<AttentionShape, 'dModel'> {
  causal: boolean;
  hasMask: boolean;
  causalShift: number;
  scale: number;
  temperature: number;
  /** Columns of W_o; 0 without an output projection. */
  dModel: number;
}

/** A scalar of the Params uniform: its WGSL name and type, its byte offset, and what fills it. */
export interface ParamsField {
  name: string;
  type: 'u32' | 'i32' | 'f32';
  offset: number;
  value(p: KernelParams): number;
}

const PARAMS_SCALARS: Omit<ParamsField, 'offset'>[] = [
  { name: 'n', type: 'u32', value: (p) => p.n },
  { name: 'm', type: 'u32', value: (p) => p.m },
  { name: 'dk', type: 'u32', value: (p) => p.dk },
  { name: 'dv', type: 'u32', value: (p) => p.dv },
  { name: 'heads', type: 'u32', value: (p) => p.heads },
  { name: 'flags', type: 'u32', value: (p) => (p.causal ? FLAG_CAUSAL : 0) | (p.hasMask ? FLAG_MASK : 0) },
  { name: 'causal_shift', type: 'i32', value: (p) => p.causalShift },
  { name: 'scale', type: 'f32', value: (p) => p.scale },
  { name: 'temperature', type: 'f32', value: (p) => p.temperature },
  { name: 'd_model', type: 'u32', value: (p) => p.dModel },
];

/**
 * The `Params` struct at @binding(0), field by field, in order: what packParams writes and what a
 * kernel's declaration is checked against (src/gpu/reflect.ts). A kernel may declare a prefix of
 * it: the attention stages declare the first 9 fields, the projection all 10.
 */
export const PARAMS_FIELDS: readonly ParamsField[] = PARAMS_SCALARS.map((field, i) => ({ ...field, offset: 4 * i }));

/** Byte size of the Params uniform: its four-byte fields, padded to 16. */
export const PARAMS_BYTES = Math.ceil((4 * PARAMS_FIELDS.length) / 16) * 16;

export function packParams(p: KernelParams): ArrayBuffer {
  const buffer = new ArrayBuffer(PARAMS_BYTES);
  const view = new DataView(buffer);
  for (const field of PARAMS_FIELDS) {
    const value = field.value(p);
    // WebGPU buffers are little-endian.
    if (field.type === 'f32') view.setFloat32(field.offset, value, true);
    else if (field.type === 'i32') view.setInt32(field.offset, value, true);
    else view.setUint32(field.offset, value, true);
  }
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
