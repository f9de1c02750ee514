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
    const e = error as Error;
    scope.postMessage({ id, ok: false, name: e.name ?? 'Error', message: e.message ?? String(error) });
  }
};
