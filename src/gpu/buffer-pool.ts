/**
 * GPU buffers kept from one engine run to the next (RunOptions.buffers), so that repeated runs of
 * one problem do not allocate (and zero) their buffers again, and, when the caller says its inputs
 * do not change, do not upload Q, K and V again either. The profiler gives each variant of a point
 * a pool of its own; wall time then measures the run rather than the setting up of its buffers.
 *
 * A pool never hands one buffer to two runs at once. It keeps a run's buffers only while all it
 * keeps stays within `keepBytes`; past that it destroys them as a run without a pool does.
 */

export interface BufferPoolOptions {
  /**
   * Every run given this pool computes on the same input arrays, which nobody changes in place: an
   * input already uploaded into a kept buffer from the same array, range and form is not uploaded
   * again, and an array whose values a run checked is not scanned for NaN and infinities again.
   * Only the caller can promise this (the profiler makes its inputs and never edits them).
   */
  sameInputs?: boolean;
  /** Bytes of buffers the pool may keep between runs (default KEEP_BYTES). */
  keepBytes?: number;
}

/** What a pool keeps at most by default: enough for the profiler's usual points, not a whole GPU. */
export const KEEP_BYTES = 512 * 1024 * 1024;

/** Where a buffer's contents came from: the caller's array, the range of it, and how it was packed. */
export interface Upload {
  source: ArrayBufferView;
  offset: number;
  count: number;
  /** 'f32', 'f16' (packed halves), 'mask' (0/1 words): one array uploaded in two forms is two uploads. */
  form: string;
}

interface Kept {
  buffer: GPUBuffer;
  key: string;
  /** The upload it holds, when one was recorded and nothing has written it since. */
  holds: Upload | null;
}

export class BufferPool {
  readonly sameInputs: boolean;
  readonly keepBytes: number;
  private readonly free: Kept[] = [];
  private readonly busy = new Map<GPUBuffer, Kept>();
  private destroyed = false;
  private readonly finite = new WeakSet<ArrayBufferView>();
  /** Buffers created and uploads skipped since the pool was made (what tests and notes read). */
  created = 0;
  skippedUploads = 0;

  constructor(
    readonly device: GPUDevice,
    options: BufferPoolOptions = {},
  ) {
    this.sameInputs = options.sameInputs ?? false;
    this.keepBytes = options.keepBytes ?? KEEP_BYTES;
  }

  /** Bytes of the buffers the pool holds, free or in a run. */
  get bytes(): number {
    let total = 0;
    for (const k of this.free) total += k.buffer.size;
    for (const k of this.busy.values()) total += k.buffer.size;
    return total;
  }

  /** A buffer of this label, size and usage: a kept one that no run holds, else a new one. */
  take(descriptor: GPUBufferDescriptor): GPUBuffer {
    if (this.destroyed) throw new Error('this buffer pool was destroyed');
    const key = `${descriptor.label ?? ''}|${descriptor.size}|${descriptor.usage}`;
    const i = this.free.findIndex((k) => k.key === key);
    const kept = i >= 0 ? this.free.splice(i, 1)[0] : { buffer: this.device.createBuffer(descriptor), key, holds: null };
    if (i < 0) this.created++;
    this.busy.set(kept.buffer, kept);
    return kept.buffer;
  }

  /**
   * Writes an input into a buffer taken from this pool, unless the pool is for the same inputs and
   * the buffer holds this very upload already. `write` does the writing (and any packing).
   */
  upload(buffer: GPUBuffer, upload: Upload, write: () => void): void {
    const kept = this.busy.get(buffer);
    const held = kept?.holds;
    if (
      this.sameInputs &&
      held &&
      held.source === upload.source &&
      held.offset === upload.offset &&
      held.count === upload.count &&
      held.form === upload.form
    ) {
      this.skippedUploads++;
      return;
    }
    write();
    if (kept) kept.holds = upload;
  }

  /** Whether a run found every value of this array finite, and the pool is for the same inputs. */
  checked(data: ArrayBufferView): boolean {
    return this.sameInputs && this.finite.has(data);
  }

  /** A run found these arrays' values finite (remembered only for the same inputs). */
  markChecked(arrays: Iterable<ArrayBufferView>): void {
    if (this.sameInputs) for (const data of arrays) this.finite.add(data);
  }

  /** The run is over: its buffers are free for the next run, as far as keepBytes allows. */
  giveBack(buffers: Iterable<GPUBuffer>): void {
    for (const buffer of buffers) {
      const kept = this.busy.get(buffer);
      if (!kept) continue;
      this.busy.delete(buffer);
      if (this.destroyed) buffer.destroy();
      else this.free.push(kept);
    }
    // Over the budget: destroy the largest free buffers first.
    this.free.sort((a, b) => b.buffer.size - a.buffer.size);
    while (this.free.length > 0 && this.bytes > this.keepBytes) this.free.shift()!.buffer.destroy();
  }

  /** The run failed: destroy its buffers rather than keep what it left in them. */
  drop(buffers: Iterable<GPUBuffer>): void {
    for (const buffer of buffers) {
      if (!this.busy.delete(buffer)) continue;
      buffer.destroy();
    }
  }

  /** Destroys every kept buffer; buffers a run still holds are destroyed when it gives them back. */
  destroy(): void {
    this.destroyed = true;
    for (const k of this.free.splice(0)) k.buffer.destroy();
  }
}
