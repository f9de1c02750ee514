/**
 * Web Worker: the float64 checks of a model run (src/core/model/check.ts) off the main thread —
 * every head against the reference of its own inputs, and the logits against a float64 forward
 * pass — so typing stays responsive. The weights arrive once per model (by key) and are kept.
 */
import type { ModelWeights } from '../core/model/config';
import { checkLayerHeads, checkLogits } from '../core/model/check';
import type { ModelCheckReply, ModelCheckRequest, ModelWorkerMessage } from './model-check-client';

interface WorkerScope {
  onmessage: ((event: MessageEvent<ModelWorkerMessage>) => void) | null;
  postMessage(message: ModelCheckReply): void;
}

const scope = self as unknown as WorkerScope;
const models = new Map<string, ModelWeights>();

async function check(request: ModelCheckRequest): Promise<ModelCheckReply> {
  const weights = models.get(request.modelKey);
  if (!weights) throw new Error(`the worker has no model ${request.modelKey}`);
  const heads = request.layers.flatMap(({ call, gpu }) => checkLayerHeads(call, gpu));
  // Each layer's storage precision: an f16-storage layer's Q, K and V rounding joins the logits' tolerance.
  const precisions = request.layers.map(({ gpu }) => gpu.precision ?? 'f32');
  const logits = await checkLogits(weights, request.ids, request.logits, { onlineSoftmax: request.onlineSoftmax, precisions });
  return { id: request.id, ok: true, heads, logits };
}

scope.onmessage = ({ data }) => {
  if (data.kind === 'model') {
    models.clear();
    models.set(data.key, data.weights);
    return;
  }
  check(data).then(
    (reply) => scope.postMessage(reply),
    (error: Error) => scope.postMessage({ id: data.id, ok: false, message: error.message ?? String(error) }),
  );
};
