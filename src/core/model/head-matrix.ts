/**
 * One head of a model run as a matrix-mode problem: its Q, K and V (before RoPE, as the layer
 * computed them), its options (causal, RoPE layout and base, scale 1/√headDim, one head) and the
 * tokens as labels — so every number of a learned head can be edited in the matrix editor.
 */
import { fromMatrix } from '../grid';
import type { PlaygroundState } from '../state';
import type { AttentionCall } from './forward';
import type { LayerGpuStages } from './check';
import { headInputs, headOptions } from './check';
import type { GpuStages } from '../compare-run';
import { kvHeadOf } from '../features';
import { columns } from '../tensor';

export function withModelHeadAsMatrices(
  state: PlaygroundState,
  call: Pick<AttentionCall, 'inputs' | 'options'>,
  head: number,
  labels: { queries: readonly string[]; keys: readonly string[] },
): PlaygroundState {
  const { q, k, v } = headInputs(call, head);
  return {
    ...state,
    mode: 'matrix',
    presetId: null,
    matrix: {
      q: fromMatrix(q),
      k: fromMatrix(k),
      v: fromMatrix(v),
      queryLabels: [...labels.queries],
      keyLabels: [...labels.keys],
      featureLabels: null,
      valueLabels: null,
      wo: null,
    },
    options: headOptions(call.options),
    mask: null,
    padding: [],
    view: { ...state.view, head: 0, focusQuery: Math.max(0, q.rows - 1), tab: 'attention' },
  };
}

/** One head's slice of what the GPU returned for a layer (all heads), as a one-head run's stages. */
export function headGpuStages(
  call: Pick<AttentionCall, 'inputs' | 'options'>,
  gpu: LayerGpuStages,
  head: number,
): GpuStages & {
  output: Float32Array;
  scores: Float32Array | null;
  probs: Float32Array | null;
  rotated: { q: Float32Array; k: Float32Array } | null;
} {
  const { inputs, options } = call;
  const heads = options.heads;
  const kvHeads = options.kvHeads ?? heads;
  const n = inputs.q.rows;
  const m = inputs.k.rows;
  const dk = inputs.q.cols / heads;
  const g = kvHeadOf(head, heads, kvHeads);
  const slab = (data: ArrayLike<number> | null | undefined) =>
    data ? Float32Array.from(Array.prototype.slice.call(data, head * n * m, (head + 1) * n * m) as number[]) : null;
  const cols = (data: ArrayLike<number>, rows: number, width: number, start: number) =>
    columns({ rows, cols: width, data: Float32Array.from(data) }, start, dk).data;
  return {
    scores: slab(gpu.scores),
    probs: slab(gpu.probs),
    output: cols(gpu.output, n, heads * dk, head * dk),
    projected: null,
    rotated: gpu.rotated ? { q: cols(gpu.rotated.q, n, heads * dk, head * dk), k: cols(gpu.rotated.k, m, kvHeads * dk, g * dk) } : null,
    onlineSoftmax: gpu.onlineSoftmax,
    fused: gpu.fused,
    precision: gpu.precision,
  };
}
