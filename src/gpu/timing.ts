/** Per-stage GPU time from timestamp queries: one begin/end pair per compute pass. */
import type { StageName } from '../core/stages';

export class StageTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private readonly readBuffer: GPUBuffer;
  private readonly sums: Partial<Record<StageName, number>> = {};
  private valid = true;

  /**
   * `stages` are the passes each submission runs (three for naive/tiled, one for fused, plus the
   * projection when there is one). Buffers go into `owned`, which the caller destroys; the query set
   * is destroyed by dispose().
   */
  constructor(device: GPUDevice, owned: GPUBuffer[], private readonly stages: readonly StageName[]) {
    const count = stages.length * 2;
    this.querySet = device.createQuerySet({ label: 'Attention.timestamps', type: 'timestamp', count });
    this.resolveBuffer = device.createBuffer({ label: 'Attention.timestamps.resolve', size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.readBuffer = device.createBuffer({ label: 'Attention.timestamps.readback', size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    owned.push(this.resolveBuffer, this.readBuffer);
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
  }

  /** Milliseconds per stage that ran (and only those), or null if any span was unusable. */
  totals(): Partial<Record<StageName, number>> | null {
    return this.valid ? { ...this.sums } : null;
  }

  dispose(): void {
    this.querySet.destroy();
  }
}
