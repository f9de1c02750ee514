/**
 * The page's one GPU device: acquires it, reports loss and uncaptured errors in one place, and
 * rebuilds it on request without a page reload. Owns the device (and destroys it on dispose).
 */
import type { AdapterSummary } from '../gpu/device';
import { HOW_TO_GET_WEBGPU, requestAttentionDevice } from '../gpu/device';
import { AttentionEngine } from '../gpu/engine';
import type { ShaderLibrary } from '../gpu/variants';

export type GpuStatus =
  | { kind: 'connecting' }
  | { kind: 'ready'; summary: AdapterSummary; engine: AttentionEngine }
  /** No WebGPU at all: the page runs on the CPU reference. */
  | { kind: 'unavailable'; reason: string; howTo: string }
  | { kind: 'lost'; reason: string; summary: AdapterSummary | null };

export class GpuSession extends EventTarget {
  status: GpuStatus = { kind: 'connecting' };
  /** The last uncaptured WebGPU error, for the message bar. */
  lastError: string | null = null;
  private device: GPUDevice | null = null;

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
    this.setStatus({ kind: 'connecting' });
    try {
      const { device, summary } = await requestAttentionDevice(this.gpu);
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
    } catch (error) {
      this.device = null;
      this.setStatus({
        kind: 'unavailable',
        reason: (error as Error).message.replace(HOW_TO_GET_WEBGPU, '').trim(),
        howTo: HOW_TO_GET_WEBGPU,
      });
    }
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
    const old = this.device;
    this.device = null;
    old?.destroy();
  }

  private setStatus(status: GpuStatus): void {
    this.status = status;
    this.dispatchEvent(new Event('change'));
  }
}
