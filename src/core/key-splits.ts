/**
 * Split-KV ("flash decoding") for the fused kernel: how many key splits a run uses, chosen from the
 * whole problem. Split s covers keys [s·splitKeys, min((s + 1)·splitKeys, m)); each writes a
 * partial softmax that the combine stage merges.
 *
 * Why these numbers: a GPU needs hundreds of workgroups in flight to fill its compute units (an
 * H100 has 132 of them, each holding several workgroups), but without splits the fused grid has
 * only ⌈n / rows per workgroup⌉ · heads workgroups — 8 for decoding with 8 heads. Splitting the keys
 * multiplies the grid; each split then costs a partial write and a share of the combine, so a
 * split keeps at least MIN_SPLIT_KEYS keys (several key tiles), enough that the loop over its keys
 * dominates. The choice depends only on the whole problem (never on a row block or a range of
 * rows), so a run in row blocks, or of a range of rows, gives the same bits as one run.
 */

/**
 * Workgroups the fused grid aims for on a GPU in its decoding shape (one query row a workgroup): a
 * few per compute unit on a large GPU. Measured on an H200 (issue 12's sixteenth session; 8 heads on
 * 2, m = 4096 … 32768): with the combine reading one split at a time, the 512 of this target
 * decoded 1.1–1.5× as fast as twice the splits forced and 1.9–2.3× as fast as four times; with the
 * combine reading 8 splits at a time, twice the splits (128 at m = 32768, the only m where a
 * target of 1024 would change the count) ran 1.05× — one point, so the target stays.
 */
export const TARGET_WORKGROUPS = 512;
/**
 * The same for the 64-row shape (the prefill). On that H200, N = 4096 with 8 heads (512 workgroups
 * unsplit) ran 1.22× as fast in 2 key splits (1024), 1.17× in 4 and 1.11× in 8; at N = 8192 (1024
 * unsplit) 2 and 4 splits were 1.01×: one workgroup of 64 invocations and 16 KiB holds 2 warps of
 * an SM's 64, so a few per SM leave it short of warps to hide latency with.
 */
export const PREFILL_TARGET_WORKGROUPS = 1024;
/**
 * The same on a CPU emulator (SwiftShader, llvmpipe): one workgroup, so no split. Measured on
 * SwiftShader, 2 cores (BENCHMARKS.md, sixth session): a grid of more workgroups does not run faster
 * (8 heads' decode took 7.8× one head's: while the GPU works, the process that waits on it keeps a
 * core busy), and each workgroup costs set-up of its own. Decoding one head at m = 4096, 2 splits
 * took 1.2× as long as one and 8 splits 2.1×; at m = 32768, 2 splits were within noise of one
 * (speed ratio 1.20, p10–p90 0.88–1.38) and 8 took 1.1×. A prefill's 64-row workgroups were within
 * noise either way.
 */
export const SOFTWARE_TARGET_WORKGROUPS = 1;
/** Fewest keys a split keeps, so its key loop outweighs its partial write and combine. */
export const MIN_SPLIT_KEYS = 256;
/** Split boundaries fall on multiples of this (the key tiles' alignment). */
export const SPLIT_ALIGN = 64;
/** The most splits a run uses; the combine reads every split's statistics per output element. */
export const MAX_KEY_SPLITS = 256;

export interface KeySplitProblem {
  /** Query rows of the whole problem. */
  n: number;
  m: number;
  heads: number;
  /** Query rows one fused workgroup owns. */
  rowsPerWorkgroup: number;
  causal: boolean;
  /** Sliding window w, or 0 / null without one. */
  window?: number | null;
  /**
   * Workgroups to aim for: on a GPU the default, TARGET_WORKGROUPS for the decoding shape (one row a
   * workgroup) and PREFILL_TARGET_WORKGROUPS for more rows a workgroup; SOFTWARE_TARGET_WORKGROUPS
   * on a CPU emulator.
   */
  targetWorkgroups?: number;
}

export interface KeySplits {
  /** Splits along the fused grid's y. */
  keySplits: number;
  /** Keys per split, a multiple of SPLIT_ALIGN. */
  splitKeys: number;
}

const alignUp = (x: number) => Math.max(SPLIT_ALIGN, Math.ceil(x / SPLIT_ALIGN) * SPLIT_ALIGN);

/**
 * The most key splits a caller may force (`--key-splits`, the Profiler's fused-Nsplits): far below
 * any device's grid limit of 65535 workgroups a dimension, and past any m a page or terminal runs
 * (a split holds at least SPLIT_ALIGN keys, so 4096 splits fill m = 262144).
 */
export const MAX_FORCED_KEY_SPLITS = 4096;

/** Splits of exactly `count` (trailing splits may see no key when m is small): for tests and benchmarks. */
export function forcedKeySplits(m: number, count: number): KeySplits {
  if (!Number.isInteger(count) || count < 1 || count > MAX_FORCED_KEY_SPLITS)
    throw new RangeError(`keySplits must be an integer from 1 to ${MAX_FORCED_KEY_SPLITS}, got ${count}`);
  if (count === 1) return { keySplits: 1, splitKeys: alignUp(m) };
  return { keySplits: count, splitKeys: alignUp(m / count) };
}

/** How many of the splits hold keys: the trailing ones of a forced count past ⌈m / splitKeys⌉ hold none. */
export function keySplitsHoldingKeys(m: number, splits: KeySplits): number {
  return Math.min(splits.keySplits, Math.ceil(m / splits.splitKeys));
}

/**
 * The most keys one row can see: m, or the span of a sliding window (w keys under causal, 2w − 1
 * without), whichever is fewer.
 */
export function visibleKeys(p: Pick<KeySplitProblem, 'm' | 'causal' | 'window'>): number {
  const w = p.window ?? 0;
  if (w <= 0) return p.m;
  return Math.min(p.m, p.causal ? w : 2 * w - 1);
}

/**
 * The split count for a problem: 1 when the grid already has its target of workgroups or a row
 * sees fewer than 2·MIN_SPLIT_KEYS keys; else enough splits of the keys a row sees to reach the
 * target, each at least MIN_SPLIT_KEYS keys. Under a window the splits cover all m keys at the
 * window's split size, so a workgroup meets about as many keys as its window holds (the splits
 * outside it see nothing and cost a pass over no tiles).
 */
export function chooseKeySplits(p: KeySplitProblem): KeySplits {
  const groups = Math.ceil(p.n / p.rowsPerWorkgroup) * p.heads;
  const visible = visibleKeys(p);
  const target = p.targetWorkgroups ?? (p.rowsPerWorkgroup > 1 ? PREFILL_TARGET_WORKGROUPS : TARGET_WORKGROUPS);
  const wanted = Math.ceil(target / groups);
  const byKeys = Math.floor(visible / MIN_SPLIT_KEYS);
  const splitsOfVisible = Math.min(wanted, byKeys);
  if (splitsOfVisible < 2) return { keySplits: 1, splitKeys: alignUp(p.m) };
  const splitKeys = alignUp(Math.ceil(visible / splitsOfVisible));
  const keySplits = Math.ceil(p.m / splitKeys);
  if (keySplits > MAX_KEY_SPLITS) {
    const capped = alignUp(Math.ceil(p.m / MAX_KEY_SPLITS));
    return { keySplits: Math.ceil(p.m / capped), splitKeys: capped };
  }
  return keySplits < 2 ? { keySplits: 1, splitKeys: alignUp(p.m) } : { keySplits, splitKeys };
}
