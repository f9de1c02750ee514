/**
 * The kernel interface, in code: what each stage binds, how its uniform is laid out and how it is
 * dispatched. docs/kernel-interface.md says the same in words; keep the two together.
 */
import type { AttentionShape } from '../core/shapes';
import type { StageName } from '../core/stages';
import type { FeatureName } from '../core/features';
import type { Activation, RopeLayout } from '../core/options';

export type BindingKind = 'uniform' | 'read-only-storage' | 'storage';

/**
 * The buffers the engine binds, by name. A stage's bindings name the buffer each binding receives,
 * so the bind groups are built from this table alone.
 */
export type BufferName =
  | 'params'
  | 'q'
  | 'k'
  | 'v'
  | 'mask'
  | 'qRot'
  | 'kRot'
  | 'slopes'
  | 'sinks'
  | 'scores'
  | 'probs'
  | 'out'
  | 'partials'
  | 'wo'
  | 'projected'
  | 'scoring';

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
   * Pipeline-overridable constants the engine sets at pipeline creation, from the device's limits
   * and, when a run is planned, the whole problem's shape (absent when a kernel is only checked,
   * as the shader lab does). Each is set only when the kernel declares an `override` of that name,
   * so a kernel may leave it out and choose its own sizes.
   */
  constants?(limits: KernelLimits, problem?: KernelProblem): Record<string, number>;
  /**
   * The features (src/core/features.ts) a kernel of this stage must implement when they are on; it
   * says it does with `const SUPPORTS_<FEATURE> = true;` (FEATURE_INFO[f].supportConstant), and a
   * run with a feature on refuses a kernel that does not.
   */
  features: readonly FeatureName[];
}

/** What the grid rule reads from a kernel (a CompiledKernel or KernelShape has both). */
export interface DispatchShape {
  workgroupSize: readonly number[];
  /** Outputs per invocation along x and y; [1, 1] when absent. */
  outputsPerInvocation?: readonly number[];
  /** The override constants the pipeline was created with (a fused kernel's DECODE). */
  constants?: Readonly<Record<string, number>>;
}

/** The whole problem a pipeline is specialised for (fused: head-width buckets, rows per workgroup). */
export interface KernelProblem {
  /** Query rows of the whole problem (not of a block or a range). */
  n: number;
  m: number;
  dk: number;
  dv: number;
  heads: number;
  /** K/V heads (grouped-query attention); heads when absent. */
  kvHeads?: number;
}

/**
 * A head width rounded up to the fused kernel's buckets (64, 128, then multiples of 128), so that
 * widths share pipelines: each costs seconds to compile on a CPU emulator (a 32-wide bucket would
 * save little work on small heads and double the pipelines the tests and the verifier build).
 */
export function widthBucket(width: number): number {
  for (const bucket of [64, 128]) if (width <= bucket) return bucket;
  return Math.ceil(width / 128) * 128;
}

/** Most query rows of a whole problem that the fused kernel runs in its decoding shape (one row per workgroup). */
export const DECODE_MAX_ROWS = 8;

/** Query rows one fused workgroup owns: 1 when its DECODE override is set, else @workgroup_size x. */
export function fusedRowsPerWorkgroup(kernel: DispatchShape): number {
  return kernel.constants?.DECODE ? 1 : kernel.workgroupSize[0];
}

/** Query heads of one K/V group the fused kernel's decoding shape in quads takes at most (shaders/subgroups/fused.wgsl). */
export const QUAD_HEADS_MAX = 4;
/** Columns of Q, and of the running output, that a quad of that shape holds for all its heads (16 vec4s of each per lane). */
const QUAD_HEADS_COLUMNS = 256;

/** Value columns of one sweep of the fused kernel (DV_CHUNK): dv's bucket, at most 128. */
export function dvChunk(dv: number): number {
  return Math.min(128, widthBucket(dv));
}

/**
 * Query heads of one K/V group that a workgroup of the fused kernel's decoding shape in quads takes
 * together, reading each key once for all of them (QUAD_HEADS): the group's size, at most
 * QUAD_HEADS_MAX and at most QUAD_HEADS_COLUMNS columns of Q and of o per lane (HEAD_DK and
 * DV_CHUNK); 1 for the 64-row shape and past 128 key columns (no quads there).
 */
export function quadHeads(problem: KernelProblem): number {
  const headDk = widthBucket(problem.dk);
  if (problem.n > DECODE_MAX_ROWS || headDk > 128) return 1;
  const group = problem.heads / (problem.kvHeads ?? problem.heads);
  if (!Number.isInteger(group) || group < 1) return 1;
  return Math.max(1, Math.min(group, QUAD_HEADS_MAX, Math.floor(QUAD_HEADS_COLUMNS / Math.max(headDk, dvChunk(problem.dv)))));
}

/**
 * Workgroups along the fused grid's z: one per query head, or, when the pipeline takes QUAD_HEADS
 * query heads of a K/V group together, ⌈group / QUAD_HEADS⌉ per K/V head.
 */
export function fusedHeadWorkgroups(kernel: DispatchShape, heads: number, kvHeads = heads): number {
  const together = kernel.constants?.QUAD_HEADS ?? 1;
  if (together <= 1) return heads;
  return kvHeads * Math.ceil(heads / kvHeads / together);
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
  dk: number;
  dv: number;
  heads: number;
  /** K/V heads (grouped-query attention); heads when absent. */
  kvHeads?: number;
  /** Columns of W_o (the projected width); 0 when the run has no output projection. */
  dModel: number;
  /** Key splits of the fused stage (grid y); 1 without split-KV. */
  keySplits?: number;
}

/** The device limits a kernel may size itself by (the engine's planning limits, see EngineOptions). */
export interface KernelLimits {
  maxComputeWorkgroupStorageSize: number;
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

export const STAGES: Record<StageName, StageSpec> = {
  // RoPE, when on: Q's rows of this block and all of K, rotated into q_rot and k_rot, which the
  // qk and fused stages then receive as their q and k. Invocation (p, r, z) rotates pair p of
  // head z of row r: rows 0 … rows − 1 are Q's, rows … rows + m − 1 are K's (K has kv_heads heads).
  // In a run of several row blocks only the first grid covers K (the engine passes m = 0 after it).
  rope: {
    name: 'rope',
    bindings: [
      { binding: 0, name: 'params', kind: 'uniform' },
      { binding: 1, name: 'q', kind: 'read-only-storage' },
      { binding: 2, name: 'k', kind: 'read-only-storage' },
      { binding: 3, name: 'qRot', kind: 'storage' },
      { binding: 4, name: 'kRot', kind: 'storage' },
    ],
    grid: ({ workgroupSize: [x, y = 1] }, s) => [ceilDiv(Math.ceil(s.dk / 2), x), ceilDiv(s.rows + s.m, y), s.heads],
    features: ['kvHeads'],
  },
  qk: {
    name: 'qk',
    bindings: [
      { binding: 0, name: 'params', kind: 'uniform' },
      { binding: 1, name: 'q', kind: 'read-only-storage' },
      { binding: 2, name: 'k', kind: 'read-only-storage' },
      { binding: 3, name: 'mask', kind: 'read-only-storage' },
      { binding: 4, name: 'scores', kind: 'storage' },
      { binding: 5, name: 'slopes', kind: 'read-only-storage' },
      // The general or additive score's weights, row-major (general: W; additive: W_q, W_k, v);
      // a dot kernel leaves it out.
      { binding: 6, name: 'scoring', kind: 'read-only-storage' },
    ],
    features: ['kvHeads', 'window', 'alibi', 'softcap'],
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
      { binding: 3, name: 'sinks', kind: 'read-only-storage' },
    ],
    features: ['sinks'],
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
    features: ['kvHeads'],
    outputBlocking: true,
    grid: (kernel, s) => {
      const [x, y] = outputTile(kernel);
      return [ceilDiv(s.dv, x), ceilDiv(s.rows, y), s.heads];
    },
  },
  // One pass, online softmax: scores and probabilities never reach memory. The kernel owns whole
  // query rows (wg.x rows per workgroup, one head per grid z — or, in the subgroup form's decoding
  // shape in quads, QUAD_HEADS query heads of a K/V group) and walks all keys itself.
  fused: {
    name: 'fused',
    bindings: [
      { binding: 0, name: 'params', kind: 'uniform' },
      { binding: 1, name: 'q', kind: 'read-only-storage' },
      { binding: 2, name: 'k', kind: 'read-only-storage' },
      { binding: 3, name: 'v', kind: 'read-only-storage' },
      { binding: 4, name: 'mask', kind: 'read-only-storage' },
      { binding: 5, name: 'out', kind: 'storage' },
      { binding: 6, name: 'slopes', kind: 'read-only-storage' },
      { binding: 7, name: 'sinks', kind: 'read-only-storage' },
      // Split-KV: each split's unnormalised output and (max, denominator), for the combine stage.
      { binding: 8, name: 'partials', kind: 'storage' },
    ],
    features: ['kvHeads', 'window', 'alibi', 'softcap', 'sinks'],
    grid: (kernel, s) => [
      ceilDiv(s.rows, fusedRowsPerWorkgroup(kernel)),
      s.keySplits ?? 1,
      fusedHeadWorkgroups(kernel, s.heads, s.kvHeads),
    ],
    constants: (limits, problem): Record<string, number> => {
      if (!problem) return { WORKGROUP_BYTES: limits.maxComputeWorkgroupStorageSize };
      return {
        WORKGROUP_BYTES: limits.maxComputeWorkgroupStorageSize,
        HEAD_DK: widthBucket(problem.dk),
        DV_CHUNK: dvChunk(problem.dv),
        DECODE: problem.n <= DECODE_MAX_ROWS ? 1 : 0,
        // Every row of Q, K and V starts on a vec4 (the built-in kernel then reads them 16 bytes at a time).
        VEC4_ROWS: problem.dk % 4 === 0 && problem.dv % 4 === 0 ? 1 : 0,
        // Declared only by the subgroup form with grouped heads in its quads (src/gpu/subgroups.ts).
        QUAD_HEADS: quadHeads(problem),
      };
    },
  },
  // Split-KV combine, after fused when a run uses more than one key split: merges the splits'
  // partial softmaxes into out. Invocation t of workgroup (x, h) owns element x·wg.x + t of head
  // h's rows × dv output block.
  combine: {
    name: 'combine',
    bindings: [
      { binding: 0, name: 'params', kind: 'uniform' },
      { binding: 1, name: 'partials', kind: 'read-only-storage' },
      { binding: 2, name: 'out', kind: 'storage' },
    ],
    features: [],
    grid: ({ workgroupSize: [x] }, s) => [ceilDiv(s.rows * s.dv, x), s.heads, 1],
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
    features: [],
    outputBlocking: true,
    grid: (kernel, s) => {
      const [x, y] = outputTile(kernel);
      return [ceilDiv(s.dModel, x), ceilDiv(s.rows, y), 1];
    },
  },
};

/** The bits of Params.flags: what is on. The fields after d_model hold the values of those that have one. */
export const FLAGS = {
  causal: 1,
  mask: 2,
  window: 4,
  alibi: 8,
  softcap: 16,
  sinks: 32,
  rope: 64,
  /** RoPE pairs (i, i + r/2) (Hugging Face's rotate_half); clear: (2i, 2i + 1) (Meta's Llama). */
  ropeHalf: 128,
  /** Elementwise activation instead of the softmax (a kernel declaring ELEMENTWISE_ACTIVATION): ReLU … */
  relu: 256,
  /** … or GELU in its tanh form. */
  gelu: 512,
} as const;

/** What one dispatch's Params hold; `n` counts the query rows of this dispatch (a block when rows are blocked). */
export interface KernelParams extends Omit<AttentionShape, 'dModel'> {
  causal: boolean;
  hasMask: boolean;
  causalShift: number;
  scale: number;
  temperature: number;
  /** Columns of W_o; 0 without an output projection. */
  dModel: number;
  /** Sliding window w, or 0 without one. */
  window: number;
  /** Logit softcap c, or 0 without one. */
  softcap: number;
  alibi: boolean;
  sinks: boolean;
  /** RoPE: its pair layout, base θ, rotated dimensions r and position offset; null without RoPE. */
  rope: { layout: RopeLayout; base: number; dims: number; offset: number } | null;
  /** The softmax stage's φ: 'softmax' (or absent) sets no flag, 'relu' and 'gelu' their bits. */
  activation?: Activation;
  /** Split-KV: splits along the fused grid's y (1 without) and keys per split (a multiple of 64). */
  keySplits: number;
  splitKeys: number;
}

function flagBits(p: KernelParams): number {
  let flags = 0;
  if (p.causal) flags |= FLAGS.causal;
  if (p.hasMask) flags |= FLAGS.mask;
  if (p.window > 0) flags |= FLAGS.window;
  if (p.alibi) flags |= FLAGS.alibi;
  if (p.softcap > 0) flags |= FLAGS.softcap;
  if (p.sinks) flags |= FLAGS.sinks;
  if (p.rope) flags |= FLAGS.rope | (p.rope.layout === 'half' ? FLAGS.ropeHalf : 0);
  if (p.activation === 'relu') flags |= FLAGS.relu;
  if (p.activation === 'gelu') flags |= FLAGS.gelu;
  return flags;
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
  { name: 'flags', type: 'u32', value: flagBits },
  { name: 'causal_shift', type: 'i32', value: (p) => p.causalShift },
  { name: 'scale', type: 'f32', value: (p) => p.scale },
  { name: 'temperature', type: 'f32', value: (p) => p.temperature },
  { name: 'd_model', type: 'u32', value: (p) => p.dModel },
  { name: 'kv_heads', type: 'u32', value: (p) => p.kvHeads },
  // A u32: a wider window would wrap (2^32 + 1 → 1). Any window ≥ max(n, m) hides nothing, so the
  // widest a u32 holds means the same.
  { name: 'window', type: 'u32', value: (p) => Math.min(p.window, 0xffff_ffff) },
  { name: 'softcap', type: 'f32', value: (p) => p.softcap },
  { name: 'rope_base', type: 'f32', value: (p) => p.rope?.base ?? 0 },
  { name: 'rope_dims', type: 'u32', value: (p) => p.rope?.dims ?? 0 },
  { name: 'position_offset', type: 'i32', value: (p) => p.rope?.offset ?? 0 },
  { name: 'key_splits', type: 'u32', value: (p) => p.keySplits },
  { name: 'split_keys', type: 'u32', value: (p) => p.splitKeys },
  // Q's width per head (= dk for dot) and the additive score's hidden width a (0 otherwise).
  { name: 'dq', type: 'u32', value: (p) => p.dq ?? p.dk },
  { name: 'score_dim', type: 'u32', value: (p) => p.scoreDim ?? 0 },
];

/**
 * The `Params` struct at @binding(0), field by field, in order: what packParams writes and what a
 * kernel's declaration is checked against (src/gpu/reflect.ts). A kernel may declare a prefix of
 * it: a kernel without the features declares the first 9 fields (the projection 10); one that
 * implements a feature declares up to the field it reads.
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
