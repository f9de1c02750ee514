/**
 * Measures the GPU memory a piece of work allocates, without the work's cooperation: while it runs,
 * the device's createBuffer is wrapped to count every buffer's size until that buffer is destroyed.
 * Anything else using the device at the same time is counted too, so callers measure one run they
 * own (the profiler does it on a warm-up run, never on a timed one).
 */

export interface Allocations<T> {
  result: T;
  /** Largest number of bytes alive at once. */
  peakBytes: number;
  /** Bytes of every buffer created, alive or not. */
  totalBytes: number;
  buffers: number;
}

export async function measureAllocations<T>(device: GPUDevice, work: () => Promise<T>): Promise<Allocations<T>> {
  const own = Object.getOwnPropertyDescriptor(device, 'createBuffer');
  const original = device.createBuffer;
  let live = 0,
    peakBytes = 0,
    totalBytes = 0,
    buffers = 0;
  device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
    const buffer = original.call(device, descriptor);
    const size = buffer.size;
    live += size;
    totalBytes += size;
    buffers++;
    peakBytes = Math.max(peakBytes, live);
    const destroy = buffer.destroy;
    let destroyed = false;
    buffer.destroy = () => {
      if (!destroyed) live -= size;
      destroyed = true;
      destroy.call(buffer);
    };
    return buffer;
  };
  try {
    const result = await work();
    return { result, peakBytes, totalBytes, buffers };
  } finally {
    if (own) Object.defineProperty(device, 'createBuffer', own);
    else delete (device as Partial<Pick<GPUDevice, 'createBuffer'>>).createBuffer;
  }
}
