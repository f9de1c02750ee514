/**
 * What an attention run costs, counted from its shape: floating-point operations, bytes that must
 * cross memory, and where that puts a measured rate against a roofline. Pure functions.
 *
 * FLOPs, per head, for n queries and m keys (a multiply-add counts 2):
 *   QKᵀ        2·n·m·dk
 *   P·V        2·n·m·dv            (with dv = dk the two matmuls make the usual 4·n·m·dk)
 *   softmax    5·n·m               (per score: max-compare, subtract, exp, add to the sum, divide;
 *                                   exp counts as one operation, as in FLOP conventions for GPUs)
 * Causal runs count half of each (the visible triangle), the convention FlashAttention uses, even
 * though a kernel that does not skip masked tiles still does the full work. The scale multiply and
 * mask test are not counted.
 *
 * Bytes (float32, 4 bytes each) are the compulsory traffic of each algorithm: every tensor a pass
 * reads or writes crosses memory once per pass. Re-reads that caches or workgroup memory serve are
 * not counted, so a naive and a tiled kernel have the same byte count and GB/s is a lower bound on
 * the traffic a kernel really caused.
 *   three-pass (naive, tiled)  qk: Q + K + S     softmax: S + P     pv: P + V + O
 *   fused (online softmax)     Q + K + V + O     (S and P never reach memory)
 *   tfjs                       three-pass, plus the separate ·scale pass (S in, S out), the causal
 *                              bias add (S in, bias in, S out) and, with several heads, the
 *                              head transposes of Q, K, V and O (each in and out)
 * with S and P of h·n·m elements each. Causal runs move the same bytes (the full matrices are
 * written).
 */
import type { AttentionShape } from './shapes';
import { visibleKeyRange } from './options';

export interface CostShape extends Omit<AttentionShape, 'dModel' | 'kvHeads'> {
  causal: boolean;
  /** K/V heads (grouped-query attention reads fewer K and V columns); heads when absent. */
  kvHeads?: number;
  /** Sliding window: each query sees at most this many keys. */
  window?: number | null;
}

/**
 * Query–key pairs that are visible (n·m, about half with causal, about n·w with a window): the
 * useful work. With n ≠ m causal aligns the last query with the last key, as the engine does.
 */
export function visiblePairs(s: Pick<CostShape, 'n' | 'm' | 'causal' | 'window'>): number {
  const rule = { causal: s.causal, window: s.window ?? null, shift: s.m - s.n, m: s.m };
  let pairs = 0;
  for (let i = 0; i < s.n; i++) {
    const [first, last] = visibleKeyRange(i, rule);
    pairs += Math.max(0, last - first + 1);
  }
  return pairs;
}

/** Which dataflow a run follows, for the byte model. */
export type Dataflow = 'three-pass' | 'fused' | 'tfjs';

const FLOAT_BYTES = 4;
const SOFTMAX_FLOPS_PER_SCORE = 5;

export interface Flops {
  qk: number;
  softmax: number;
  pv: number;
  /** qk + pv: the matmul work, what "attention GFLOP/s" usually reports. */
  matmul: number;
  total: number;
}

export function attentionFlops(s: CostShape): Flops {
  // Square causal runs count half the pairs (the convention of published attention FLOP counts);
  // with n ≠ m (decode: one query sees every key) or a window, the pairs that are really visible.
  const counted = s.window || (s.causal && s.n !== s.m);
  const pairs = counted ? visiblePairs(s) * s.heads : s.n * s.m * s.heads * (s.causal ? 0.5 : 1);
  const qk = 2 * pairs * s.dk;
  const pv = 2 * pairs * s.dv;
  const softmax = SOFTMAX_FLOPS_PER_SCORE * pairs;
  return { qk, softmax, pv, matmul: qk + pv, total: qk + softmax + pv };
}

export interface Bytes {
  /** Per pass, keyed by the stage names the timings use. */
  stages: Record<string, number>;
  total: number;
}

/**
 * Bytes each pass moves. `inputBytes` is the size of one element of Q, K and V as stored: 4, or 2
 * with f16 storage (the fused variant's `precision: 'f16'`); scores, probabilities and the output
 * are always float32.
 */
export function attentionBytes(s: CostShape, dataflow: Dataflow, inputBytes = FLOAT_BYTES): Bytes {
  const shrink = inputBytes / FLOAT_BYTES;
  const q = s.n * s.heads * s.dk * shrink,
    k = s.m * (s.kvHeads ?? s.heads) * s.dk * shrink,
    v = s.m * (s.kvHeads ?? s.heads) * s.dv * shrink,
    o = s.n * s.heads * s.dv;
  const scores = s.heads * s.n * s.m;
  let elements: Record<string, number>;
  if (dataflow === 'fused') {
    elements = { fused: q + k + v + o };
  } else {
    elements = { qk: q + k + scores, softmax: 2 * scores, pv: scores + v + o };
    if (dataflow === 'tfjs') {
      elements.qk += 2 * scores + (s.causal ? 2 * scores + s.n * s.m : 0);
      if (s.heads > 1) elements.layout = 2 * (q + k + v + o);
    }
  }
  const stages = Object.fromEntries(Object.entries(elements).map(([stage, count]) => [stage, count * FLOAT_BYTES]));
  return { stages, total: Object.values(stages).reduce((a, b) => a + b, 0) };
}

/** FLOPs a stage performs: each three-pass stage its own share, a fused pass all of it. */
export function stageFlops(flops: Flops, stage: string): number | null {
  switch (stage) {
    case 'qk':
      return flops.qk;
    case 'softmax':
      return flops.softmax;
    case 'pv':
      return flops.pv;
    case 'fused':
      return flops.total;
    default:
      return null;
  }
}

/**
 * Bytes of K and V a run must read: m·kvHeads·(dk + dv) float32. At decode (n = 1) this is almost
 * all of the traffic, so K+V bytes ÷ time against the copy bandwidth says how close a kernel gets.
 */
export function kvBytes(s: Pick<CostShape, 'm' | 'heads' | 'kvHeads' | 'dk' | 'dv'>, inputBytes = FLOAT_BYTES): number {
  return s.m * (s.kvHeads ?? s.heads) * (s.dk + s.dv) * inputBytes;
}

/** A measured roofline: the machine's sustained compute and memory rates. */
export interface RooflinePeaks {
  gflops: number;
  gbps: number;
  /** Workgroup (shared) memory bandwidth, GB/s over the whole device; absent in older results. */
  workgroupGbps?: number | null;
}

/** Which roof bounds a kernel: DRAM bandwidth, FMA throughput or workgroup-memory bandwidth. */
export type Roof = 'memory' | 'fma' | 'workgroup';

/**
 * FLOP per byte of workgroup memory for a kernel that stages its operands there, when nothing more
 * is known of its inner loop (a kernel of your own): each multiply-add (2 FLOP) reads one float32
 * operand (4 bytes) from workgroup memory, the other from a register.
 */
export const WORKGROUP_INTENSITY = 0.5;

/**
 * The fused kernel's prefill in pairs of lanes (its subgroup form on a GPU): each float a lane reads
 * from workgroup memory feeds two multiply-adds, one per row of its pair — twice the intensity.
 */
export const PAIRS_WORKGROUP_INTENSITY = 2 * WORKGROUP_INTENSITY;

/**
 * The tiled qk and pv kernels: each invocation owns a 4×4 block of outputs, and each step of the
 * inner loop reads 4 + 4 floats of the tiles (16 + 16 bytes) for 16 multiply-adds (32 FLOP).
 */
export const BLOCKED_WORKGROUP_INTENSITY = 1;

/**
 * FLOP per byte of workgroup memory in the inner loops of a built-in variant (the loops that hold
 * nearly all its multiply-adds): tiled's 4×4-blocked qk and pv 1; fused 0.5 (one float of the key
 * tile per multiply-add, Q or the weights in registers), or 1 with its prefill in pairs of lanes.
 * With a kernel of your own in it, WORKGROUP_INTENSITY: its loop is not known.
 */
export function workgroupIntensity(variant: string, form: { pairs?: boolean; ownKernel?: boolean } = {}): number {
  if (form.ownKernel) return WORKGROUP_INTENSITY;
  if (variant === 'tiled') return BLOCKED_WORKGROUP_INTENSITY;
  if (variant === 'fused' && form.pairs) return PAIRS_WORKGROUP_INTENSITY;
  return WORKGROUP_INTENSITY;
}

export interface RoofIntensities {
  /** FLOP per byte of device memory (the byte model). */
  memory: number;
  /** FLOP per byte of workgroup memory, or null for a kernel that does not use it. */
  workgroup: number | null;
}

/**
 * The roof that binds at these intensities: the lowest of the FMA peak, intensity × copy bandwidth
 * and (for kernels that use workgroup memory, when it was measured) workgroup intensity × its bandwidth.
 */
export function bindingRoof(intensity: RoofIntensities, peaks: RooflinePeaks): { roof: Roof; attainableGflops: number } {
  let best: { roof: Roof; attainableGflops: number } = { roof: 'fma', attainableGflops: peaks.gflops };
  const memory = intensity.memory * peaks.gbps;
  if (memory < best.attainableGflops) best = { roof: 'memory', attainableGflops: memory };
  if (intensity.workgroup !== null && peaks.workgroupGbps) {
    const workgroup = intensity.workgroup * peaks.workgroupGbps;
    if (workgroup < best.attainableGflops) best = { roof: 'workgroup', attainableGflops: workgroup };
  }
  return best;
}

/** The best rate a kernel of this arithmetic intensity (FLOP/byte) can reach: min(peak, intensity·bandwidth). */
export function attainableGflops(intensity: number, peaks: RooflinePeaks): number {
  return Math.min(peaks.gflops, intensity * peaks.gbps);
}

/** Achieved GFLOP/s as a percentage of what the roofline allows at this intensity. */
export function rooflinePercent(achievedGflops: number, flops: number, bytes: number, peaks: RooflinePeaks): number {
  const attainable = attainableGflops(flops / bytes, peaks);
  return (100 * achievedGflops) / attainable;
}

/** GFLOP/s (or GB/s) from a count and milliseconds: count / (ms · 10⁶). */
export function ratePerSecondG(count: number, ms: number): number {
  return ms > 0 ? count / (ms * 1e6) : NaN;
}
