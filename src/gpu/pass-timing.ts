/**
 * GPU time of compute passes, from timestamp queries (one begin/end pair per pass: `timestampWrites`
 * are per pass). Two users: the engine times each stage of every block with a StageTimer inside its
 * own command buffers; the roofline microbenchmarks time standalone passes with timeComputePasses,
 * which falls back to wall time from submit to onSubmittedWorkDone (labelled so, since it also
 * counts submission and scheduling) when the device has no timestamps.
 */

import type { TimingMethod } from '../core/profile-report';
import type { StageName } from '../core/stages';

/** Per-stage time of the engine's runs, summed over the blocks of one run. */
export class StageTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private readonly readBuffer: GPUBuffer;
  private readonly sums: Partial<Record<StageName, number>> = {};
  private span = 0;
  private valid = true;

  /**
   * `stages` are the passes each submission runs (three for naive/tiled, one for fused, plus the
   * projection when there is one). Buffers come from `buffer`, whose caller destroys them (or keeps
   * them in its pool); the query set is destroyed by dispose().
   */
  constructor(
    device: GPUDevice,
    buffer: (label: string, size: number, usage: number) => GPUBuffer,
    private readonly stages: readonly StageName[],
  ) {
    const count = stages.length * 2;
    this.querySet = device.createQuerySet({ label: 'Attention.timestamps', type: 'timestamp', count });
    this.resolveBuffer = buffer('timestamps.resolve', count * 8, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
    this.readBuffer = buffer('timestamps.readback', count * 8, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    for (const stage of stages) this.sums[stage] = 0;
  }

  writes(stage: StageName): GPUComputePassTimestampWrites {
    const i = this.stages.indexOf(stage);
    if (i < 0) throw new RangeError(`stage ${stage} is not timed by this run`);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  resolve(encoder: GPUCommandEncoder): void {
    encoder.resolveQuerySet(this.querySet, 0, this.stages.length * 2, this.resolveBuffer, 0);
    encoder.copyBufferToBuffer(this.resolveBuffer, 0, this.readBuffer, 0, this.resolveBuffer.size);
  }

  async collect(): Promise<void> {
    await this.readBuffer.mapAsync(GPUMapMode.READ);
    const stamps = new BigInt64Array(this.readBuffer.getMappedRange().slice(0));
    this.readBuffer.unmap();
    this.stages.forEach((stage, i) => {
      const delta = Number(stamps[2 * i + 1] - stamps[2 * i]);
      // Timestamps may be reset or reordered by the implementation; a negative span is not a time.
      if (delta < 0) this.valid = false;
      else this.sums[stage] = (this.sums[stage] ?? 0) + delta / 1e6;
    });
    // The block's span, first pass's begin to last pass's end: the passes plus the gaps between them.
    const span = Number(stamps[2 * this.stages.length - 1] - stamps[0]);
    if (span < 0) this.valid = false;
    else this.span += span / 1e6;
  }

  /** Milliseconds per stage that ran (and only those), or null if any span was unusable. */
  totals(): Partial<Record<StageName, number>> | null {
    return this.valid ? { ...this.sums } : null;
  }

  /**
   * Milliseconds from the first pass's begin to the last pass's end, summed over blocks (the gaps
   * between a block's passes count; the time between blocks does not), or null as for totals().
   */
  spanMs(): number | null {
    return this.valid ? this.span : null;
  }

  dispose(): void {
    this.querySet.destroy();
  }
}

export interface TimedPasses {
  /** Milliseconds per pass, in the order they were encoded. */
  ms: number[];
  method: TimingMethod;
  /** Raw begin/end stamps (ns) of every pass, when timestamps were used. */
  stamps: bigint[];
}

/**
 * Encodes `count` passes in one command buffer (pass i is filled by encode(pass, i)), submits it
 * and returns each pass's time. With wall timing there is only one interval, split evenly.
 */
export async function timeComputePasses(
  device: GPUDevice,
  label: string,
  count: number,
  encode: (pass: GPUComputePassEncoder, index: number) => void,
): Promise<TimedPasses> {
  const useStamps = device.features.has('timestamp-query');
  const owned: { destroy(): void }[] = [];
  try {
    let querySet: GPUQuerySet | null = null,
      resolve: GPUBuffer | null = null,
      read: GPUBuffer | null = null;
    if (useStamps) {
      querySet = device.createQuerySet({ label: `${label}.timestamps`, type: 'timestamp', count: 2 * count });
      resolve = device.createBuffer({
        label: `${label}.timestamps.resolve`,
        size: 16 * count,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
      read = device.createBuffer({
        label: `${label}.timestamps.readback`,
        size: 16 * count,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      owned.push(querySet, resolve, read);
    }
    const encoder = device.createCommandEncoder({ label });
    for (let i = 0; i < count; i++) {
      const timestampWrites = querySet ? { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } : undefined;
      const pass = encoder.beginComputePass({ label: `${label}.${i}`, timestampWrites });
      encode(pass, i);
      pass.end();
    }
    if (querySet && resolve && read) {
      encoder.resolveQuerySet(querySet, 0, 2 * count, resolve, 0);
      encoder.copyBufferToBuffer(resolve, 0, read, 0, resolve.size);
    }
    const started = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    const wallMs = performance.now() - started;
    if (!read) return { ms: Array(count).fill(wallMs / count), method: 'wall', stamps: [] };
    await read.mapAsync(GPUMapMode.READ);
    const stamps = [...new BigInt64Array(read.getMappedRange().slice(0))];
    read.unmap();
    const ms = Array.from({ length: count }, (_, i) => Number(stamps[2 * i + 1] - stamps[2 * i]) / 1e6);
    // A negative span means the implementation reset or reordered its counter: not a time.
    if (ms.some((x) => x < 0)) return { ms: Array(count).fill(wallMs / count), method: 'wall', stamps };
    return { ms, method: 'timestamp', stamps };
  } finally {
    for (const resource of owned) resource.destroy();
  }
}
