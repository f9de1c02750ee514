/**
 * One head of a model run as a matrix-mode problem: its Q, K and V (before RoPE, as the layer
 * computed them), its options (causal, RoPE layout and base, scale 1/√headDim, one head) and the
 * tokens as labels — so every number of a learned head can be edited in the matrix editor.
 */
import { fromMatrix } from '../grid';
import type { PlaygroundState } from '../state';
import type { AttentionCall } from './forward';
import { headInputs, headOptions } from './check';

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
      scoring: state.matrix.scoring,
    },
    options: headOptions(call.options),
    mask: null,
    padding: [],
    view: { ...state.view, head: 0, focusQuery: Math.max(0, q.rows - 1), tab: 'attention' },
  };
}
