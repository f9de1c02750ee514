/** Switching the input mode, and what a switch resets so the new mode does not inherit the old one's choices silently. */
import type { Mode, PlaygroundState } from './state';

/**
 * The state in `mode`. Entering sentence mode sets the scale to 1/√d_k: its learned-style
 * projections assume it, and a matrix example's "none" (the worked example's, kept so its numbers
 * stay hand-checkable) would otherwise carry over unnoticed. The scale stays editable afterwards.
 */
export function withMode(state: PlaygroundState, mode: Mode): PlaygroundState {
  if (mode === state.mode) return state;
  // The fused variant has only an online softmax: MLP mode's φ needs naive or tiled.
  if (mode === 'mlp') return { ...state, mode, variant: state.variant === 'naive' ? 'naive' : 'tiled' };
  if (mode !== 'sentence') return { ...state, mode };
  return { ...state, mode, options: { ...state.options, scale: 'default' } };
}
