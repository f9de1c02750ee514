/**
 * The page's handle on the reference worker. A cancelled request terminates the worker (a
 * synchronous loop cannot be interrupted any other way) and the next request starts a fresh one.
 */
import { InputError } from '../core/errors';
import type { EvaluateRequest, EvaluateResponse } from '../core/evaluate';
import { evaluate } from '../core/evaluate';
import { FULL_REFERENCE_SCORES } from '../core/problem';
import { RunCancelledError } from '../core/errors';

export type WorkerReply = { id: number; ok: true; response: EvaluateResponse } | { id: number; ok: false; name: string; message: string };

interface Pending {
  resolve(response: EvaluateResponse): void;
  reject(error: Error): void;
}

export class ReferenceClient {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  evaluate(request: EvaluateRequest, signal?: AbortSignal): Promise<EvaluateResponse> {
    if (signal?.aborted) return Promise.reject(new RunCancelledError('run cancelled'));
    // Four h×n×m float64 stages (and as many error maps) of a long sequence would exhaust memory:
    // the coordinator sends big problems as sampled rows (src/core/problem.ts sampleProblem).
    const scores = request.options.heads * request.inputs.q.rows * request.inputs.k.rows;
    if (scores > FULL_REFERENCE_SCORES) {
      return Promise.reject(
        new InputError(
          `the float64 reference holds at most ${FULL_REFERENCE_SCORES} scores per run; this request has ${scores} (sample its query rows)`,
        ),
      );
    }
    if (typeof Worker === 'undefined') return Promise.resolve().then(() => evaluate(request));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<EvaluateResponse>((resolve, reject) => {
      const onAbort = () => this.restart();
      signal?.addEventListener('abort', onAbort, { once: true });
      const pending: Pending = {
        resolve: (r) => (signal?.removeEventListener('abort', onAbort), resolve(r)),
        reject: (e) => (signal?.removeEventListener('abort', onAbort), reject(e)),
      };
      this.pending.set(id, pending);
      try {
        worker.postMessage({ id, request });
      } catch (error) {
        this.pending.delete(id);
        pending.reject(new Error(`the problem could not be sent to the reference worker: ${describeError(error)}`));
      }
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    // Vite bundles the worker only when the URL is written inline in `new Worker(…)`.
    const worker = new Worker(new URL('./reference-worker.ts', import.meta.url), { type: 'module', name: 'attention-reference' });
    worker.onmessage = ({ data }: MessageEvent<WorkerReply>) => {
      const pending = this.pending.get(data.id);
      this.pending.delete(data.id);
      if (!pending) return;
      if (data.ok) pending.resolve(data.response);
      else if (data.name === 'InputError') pending.reject(new InputError(data.message));
      else pending.reject(Object.assign(new Error(`${data.name}: ${data.message}`), { name: data.name }));
    };
    // A reply the page cannot read back.
    worker.onmessageerror = () => this.crashed('its reply could not be read (it did not survive structured cloning)');
    // An error outside the worker's request handler: its script failed to load or evaluate, or it ran out of memory.
    worker.onerror = (event) => {
      event.preventDefault();
      const where = event.filename ? ` (${event.filename}:${event.lineno}:${event.colno})` : '';
      this.crashed(
        event.message
          ? `${event.message}${where}`
          : 'it stopped without saying why: its script (reference-worker) did not load or run, or it ran out of memory',
      );
    };
    this.worker = worker;
    return worker;
  }

  /** The worker failed outside a request: every pending request fails with a message naming what failed. */
  private crashed(why: string): void {
    this.worker?.terminate();
    this.worker = null;
    this.failAll(new Error(`its worker failed: ${why}`));
  }

  /** Stops whatever the worker is computing; every pending request is cancelled. */
  private restart(): void {
    this.worker?.terminate();
    this.worker = null;
    this.failAll(new RunCancelledError('run cancelled'));
  }

  private failAll(error: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(error);
  }

  dispose(): void {
    this.restart();
  }
}

/** Any thrown value as text (a DOMException, an Error, or something that is neither). */
export function describeError(error: unknown): string {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return `${typeof name === 'string' && name ? `${name}: ` : ''}${String(message)}`;
  }
  return String(error);
}
