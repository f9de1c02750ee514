/**
 * --storage of npm run model and npm run bench:model: the page's storage select in Model mode
 * (src/core/model/storage.ts), the same choice per layer and the same note.
 */
import type { Precision } from '../../src/core/precision';
import { isPrecision, PRECISIONS } from '../../src/core/precision';
import { UsageError } from './cli';

/** The page's default storage (PlaygroundState.precision). */
export const DEFAULT_STORAGE: Precision = 'f32';

export const STORAGE_HELP = `--storage ${PRECISIONS.join('|')}  how the kernels store Q, K and V, as the page's storage select (default ${DEFAULT_STORAGE}):
            f16 is used by each layer that can have it (the fused variant, no RoPE, values within a
            half's range), and any other layer runs float32 with a note that says which and why.
            f16 storage rounds Q, K and V to halves packed two to a word and computes in float32,
            so it needs no shader-f16 and runs on any adapter, SwiftShader included`;

/** The --storage value; a UsageError naming the flag and the allowed values for any other. */
export function storageFlag(value: string | undefined): Precision {
  const storage = value ?? DEFAULT_STORAGE;
  if (!isPrecision(storage)) throw new UsageError(`--storage must be one of ${PRECISIONS.join(', ')}, got "${storage}"`);
  return storage;
}
