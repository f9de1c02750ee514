/**
 * A verification case as a playground state: its Q, K, V, mask and W_o in matrix mode, its options,
 * the variant it ran in and the kernel it ran, focused on the first bad element, so the page's
 * GPU-vs-CPU check shows the failure the verifier saw.
 */
import { gridsFromWeights } from '../scoring-state';
import { fromMatrix } from '../grid';
import type { AttentionOptions } from '../options';
import { DEFAULT_OPTIONS } from '../options';
import type { PlaygroundState } from '../state';
import type { CaseReport } from './report';
import { caseInputs } from './cases';

export interface CaseToLoad {
  row: CaseReport;
  /** The stage the kernel implements and its source (null: the built-in kernel). */
  stage: string;
  source: string | null;
  variant: string;
}

const OPTION_KEYS = Object.keys(DEFAULT_OPTIONS) as (keyof AttentionOptions)[];

/** The state with the case's problem in matrix mode and the kernel among the edited kernels. */
export function stateWithCase(state: PlaygroundState, { row, stage, source, variant }: CaseToLoad): PlaygroundState {
  const { inputs, options } = caseInputs(row.case);
  const picked = Object.fromEntries(OPTION_KEYS.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
  const kernels = { ...(state.kernels ?? {}) };
  if (source === null) delete kernels[stage];
  else kernels[stage] = source;
  const [head, focus] = row.firstBad?.position ?? [0, 0];
  return {
    ...state,
    mode: 'matrix',
    presetId: null,
    matrix: {
      q: fromMatrix(inputs.q),
      k: fromMatrix(inputs.k),
      v: fromMatrix(inputs.v),
      queryLabels: null,
      keyLabels: null,
      featureLabels: null,
      valueLabels: null,
      wo: inputs.wo ? fromMatrix(inputs.wo) : null,
      scoring: gridsFromWeights(inputs.scoring, state.matrix.scoring),
    },
    options: { ...DEFAULT_OPTIONS, ...picked },
    mask: inputs.mask ? fromMatrix(inputs.mask) : null,
    padding: [],
    variant,
    kernels: Object.keys(kernels).length ? kernels : null,
    view: { ...state.view, tab: 'attention', head: Math.min(head, row.case.heads - 1), focusQuery: Math.min(focus, row.case.n - 1) },
  };
}
