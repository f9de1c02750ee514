/**
 * The storage of a model run's Q, K and V, as the page's storage select and `npm run model --storage`
 * choose it: float32, or f16 storage for the layers that can have it. A layer that cannot (RoPE, a
 * variant other than fused, values beyond a half's range, your own fused kernel) runs with float32
 * storage, and the note says which layers and why, rather than refusing the model.
 */
import type { Precision, PrecisionChoice } from '../precision';

/** The engine's precision choice for each layer of a model run with `storage` chosen: f16 where the layer allows it ('auto'). */
export function modelRunPrecision(storage: Precision): PrecisionChoice {
  return storage === 'f16' ? 'auto' : 'f32';
}

/** What each layer's run reports of its storage (the engine's RunResult has both). */
export interface LayerStorage {
  result: { precision: Precision; precisionReason: string };
}

/** Each layer's storage precision, in layer order (what the logits check takes). */
export function layerPrecisions(layers: readonly LayerStorage[]): Precision[] {
  return layers.map(({ result }) => result.precision);
}

/**
 * The note of a model step run with f16 storage chosen whose layers (some or all) stored Q, K and V as
 * float32 because f16 storage is not possible for them (RoPE, a variant other than fused, values
 * beyond a half's range, your own fused kernel): which layers, and why. Null when f32 was chosen or
 * every layer had f16 storage.
 */
export function storageNote(chosen: Precision, layers: readonly LayerStorage[]): string | null {
  if (chosen !== 'f16') return null;
  const f32 = layers.flatMap(({ result }, layer) => (result.precision === 'f32' ? [{ layer, reason: result.precisionReason }] : []));
  if (f32.length === 0) return null;
  const reasons = [...new Set(f32.map(({ reason }) => reason.replace(/^float32, because /, '')))];
  const which =
    f32.length === layers.length
      ? 'this model'
      : `layer${f32.length === 1 ? '' : 's'} ${f32.map(({ layer }) => layer).join(', ')} of this model`;
  return `f16 storage is not possible for ${which}, so its Q, K and V are stored as float32: ${reasons.join('; ')}.`;
}
