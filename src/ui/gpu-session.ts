/**
 * The page's one GPU device: acquires it, reports loss and uncaptured errors in one place, and
 * rebuilds it on request without a page reload. Owns the device (and destroys it on dispose).
 *
 * Asking for a device is itself time-limited: after a kernel that never finishes, the browser's
 * GPU process may not answer again (headless Chromium's SwiftShader does not), and the banner must
 * say so rather than look for an adapter forever. Of two reconnects in a row the last one wins; a
 * device that arrives for an earlier one is destroyed.
 */
import type { AdapterSummary } from '../gpu/device';
import { HOW_TO_GET_WEBGPU, requestAttentionDevice } from '../gpu/device';
import { AttentionEngine } from '../gpu/engine';
import type { ShaderLibrary } from '../gpu/variants';
import { GpuTimeoutError, withTimeLimit } from '../gpu/watchdog';
import { formatLimit } from '../core/kernel-safety';

export type GpuStatus =
  | { kind: 'connecting' }
  | { kind: 'ready'; summary: AdapterSummary; engine: AttentionEngine }
  /** No WebGPU at all: the page runs on the CPU reference. */
  | { kind: 'unavailable'; reason: string; howTo: string }
  | { kind: 'lost'; reason: string; summary: AdapterSummary | null };

/** How long the adapter and device requests may take before the page says they did not come. */
export const CONNECT_TIME_LIMIT_MS = 20_000;

type Acquired = Awaited<ReturnType<typeof requestAttentionDevice>>;

export class GpuSession extends EventTarget {
  status: GpuStatus = { kind: 'connecting' };
  /** The time limit of a device request (tests shorten it). */
  connectTimeLimitMs = CONNECT_TIME_LIMIT_MS;
  /** The last uncaptured WebGPU error, for the message bar. */
  lastError: string | null = null;
  private device: GPUDevice | null = null;
  /** Counts connect() calls: a device that arrives for an older one is not used. */
  private attempt = 0;

  constructor(
    private readonly shaders: ShaderLibrary,
    private readonly gpu: GPU | undefined = navigator.gpu,
  ) {
    super();
  }

  get engine(): AttentionEngine | null {
    return this.status.kind === 'ready' ? this.status.engine : null;
  }

  async connect(): Promise<void> {
    const attempt = ++this.attempt;
    this.setStatus({ kind: 'connecting' });
    let acquired: Acquired;
    const request = requestAttentionDevice(this.gpu);
    try {
      acquired = await withTimeLimit(() => request, this.connectTimeLimitMs);
    } catch (error) {
      if (attempt !== this.attempt) return;
      this.device = null;
      if (error instanceof GpuTimeoutError) {
        const reason = `no WebGPU device came back within ${formatLimit(this.connectTimeLimitMs)} of asking: the browser's GPU process may still be busy with a kernel that did not finish. Press Reconnect to ask again; if it never answers, restart the browser (what you typed is kept)`;
        this.setStatus({ kind: 'lost', reason, summary: null });
        // A device that comes after all is used, unless a newer reconnect asked in the meantime.
        request.then((late) => this.adopt(attempt, late)).catch(() => {});
        return;
      }
      this.setStatus({
        kind: 'unavailable',
        reason: (error as Error).message.replace(HOW_TO_GET_WEBGPU, '').trim(),
        howTo: HOW_TO_GET_WEBGPU,
      });
      return;
    }
    this.adopt(attempt, acquired);
  }

  private adopt(attempt: number, { device, summary }: Acquired): void {
    if (attempt !== this.attempt) {
      device.destroy();
      return;
    }
    this.device = device;
    device.addEventListener('uncapturederror', (event) => {
      this.lastError = (event as GPUUncapturedErrorEvent).error.message;
      this.dispatchEvent(new Event('error'));
    });
    void device.lost.then((info) => {
      // A device we replaced or disposed of ourselves is not news.
      if (this.device !== device) return;
      this.setStatus({ kind: 'lost', reason: info.message || info.reason || 'unknown reason', summary });
    });
    this.setStatus({ kind: 'ready', summary, engine: new AttentionEngine(device, this.shaders) });
  }

  /** A fresh device after a loss (or to retry); the old one is dropped. */
  async reconnect(): Promise<void> {
    const old = this.device;
    this.device = null;
    old?.destroy();
    await this.connect();
  }

  /** For tests and the "simulate loss" control: destroys the device as a driver reset would. */
  loseDevice(): void {
    this.device?.destroy();
  }

  dispose(): void {
    this.attempt++;
    const old = this.device;
    this.device = null;
    old?.destroy();
  }

  private setStatus(status: GpuStatus): void {
    this.status = status;
    this.dispatchEvent(new Event('change'));
  }
}
