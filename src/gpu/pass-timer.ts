/**
 * Times compute passes on their own: timestamp queries when the device has them, else the wall
 * time from submit to onSubmittedWorkDone (labelled so, since it also counts submission and
 * scheduling). Used by the roofline microbenchmarks; the engine times its stages with StageTimer.
 */

import type { TimingMethod } from '../core/profile-report';

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
    let querySet: GPUQuerySet | null = null, resolve: GPUBuffer | null = null, read: GPUBuffer | null = null;
    if (useStamps) {
      querySet = device.createQuerySet({ label: `${label}.timestamps`, type: 'timestamp', count: 2 * count });
      resolve = device.createBuffer({ label: `${label}.timestamps.resolve`, size: 16 * count, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
      read = device.createBuffer({ label: `${label}.timestamps.readback`, size: 16 * count, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
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
