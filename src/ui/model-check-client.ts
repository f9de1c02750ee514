/**
 * The page's handle on the model-check worker (model-check-worker.ts). A newer run aborts the
 * older one's request: the worker is terminated (a synchronous check cannot be interrupted any
 * other way) and the next request starts a fresh one, sending the weights again.
 */
import { RunCancelledError } from '../core/errors';
import type { HeadCheck, LayerGpuStages, LogitsCheck } from '../core/model/check';
import type { ModelWeights } from '../core/model/config';
import type { AttentionCall } from '../core/model/forward';

export interface ModelCheckRequest {
  kind: 'check';
  id: number;
  modelKey: string;
  /** Every token of the sequence (the logits are checked against a float64 pass over all of them). */
  ids: number[];
  layers: { call: AttentionCall; gpu: LayerGpuStages }[];
  logits: Float64Array;
  onlineSoftmax: boolean;
}

export type ModelWorkerMessage = { kind: 'model'; key: string; weights: ModelWeights } | ModelCheckRequest;

export type ModelCheckReply =
  { id: number; ok: true; heads: HeadCheck[]; logits: LogitsCheck } | { id: number; ok: false; message: string };

export interface ModelChecks {
  heads: HeadCheck[];
  logits: LogitsCheck;
}

export class ModelCheckClient {
  private worker: Worker | null = null;
  private sentKey: string | null = null;
  private nextId = 1;
  private pending: { id: number; resolve(c: ModelChecks): void; reject(e: Error): void } | null = null;

  check(
    modelKey: string,
    weights: ModelWeights,
    request: Omit<ModelCheckRequest, 'kind' | 'id' | 'modelKey'>,
    signal: AbortSignal,
  ): Promise<ModelChecks> {
    if (signal.aborted) return Promise.reject(new RunCancelledError('run cancelled'));
    // One request at a time: a newer one supersedes whatever the worker is doing.
    if (this.pending) this.restart();
    const worker = this.ensureWorker();
    if (this.sentKey !== modelKey) {
      worker.postMessage({ kind: 'model', key: modelKey, weights } satisfies ModelWorkerMessage);
      this.sentKey = modelKey;
    }
    const id = this.nextId++;
    return new Promise<ModelChecks>((resolve, reject) => {
      const onAbort = () => {
        if (this.pending?.id === id) this.restart();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const done = () => signal.removeEventListener('abort', onAbort);
      this.pending = { id, resolve: (c) => (done(), resolve(c)), reject: (e) => (done(), reject(e)) };
      worker.postMessage({ kind: 'check', id, modelKey, ...request } satisfies ModelWorkerMessage);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./model-check-worker.ts', import.meta.url), { type: 'module', name: 'model-checks' });
    worker.onmessage = ({ data }: MessageEvent<ModelCheckReply>) => {
      const pending = this.pending;
      if (!pending || pending.id !== data.id) return; // a stale reply
      this.pending = null;
      if (data.ok) pending.resolve({ heads: data.heads, logits: data.logits });
      else pending.reject(new Error(data.message));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      const pending = this.pending;
      this.pending = null;
      this.worker?.terminate();
      this.worker = null;
      this.sentKey = null;
      pending?.reject(new Error(`the model-check worker failed: ${event.message || 'unknown error'}`));
    };
    this.worker = worker;
    return worker;
  }

  private restart(): void {
    this.worker?.terminate();
    this.worker = null;
    this.sentKey = null;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(new RunCancelledError('run cancelled'));
  }

  dispose(): void {
    this.restart();
  }
}
