/**
 * Web Worker: runs the float64 reference (and the GPU comparison) off the main thread, so an
 * O(n·m·d) reference on a big input never freezes the page. One request in, one reply out.
 */
import type { EvaluateRequest } from '../core/evaluate';
import { evaluate } from '../core/evaluate';
import type { WorkerReply } from './reference-client';

interface WorkerScope {
  onmessage: ((event: MessageEvent<{ id: number; request: EvaluateRequest }>) => void) | null;
  postMessage(message: WorkerReply): void;
}

const scope = self as unknown as WorkerScope;

scope.onmessage = ({ data: { id, request } }) => {
  try {
    scope.postMessage({ id, ok: true, response: evaluate(request) });
  } catch (error) {
    // Whatever was thrown (an Error, a DOMException, a string, null), the reply names it.
    const e = typeof error === 'object' && error !== null ? (error as { name?: unknown; message?: unknown }) : {};
    const name = typeof e.name === 'string' && e.name ? e.name : 'Error';
    const message = typeof e.message === 'string' && e.message ? e.message : String(error);
    scope.postMessage({ id, ok: false, name, message });
  }
};
