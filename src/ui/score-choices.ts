/**
 * The score functions as the options panel offers them: four choices that set the score and the
 * scale together ("scaled dot" is the dot score with 1/√d_k; the others start unscaled), with a
 * short history of each in the seeds' words. The scale stays editable after a choice.
 */
import type { AttentionOptions, ScoreFunction } from '../core/options';

export type ScoreChoice = 'scaled' | 'dot' | 'general' | 'additive';

export interface ScoreChoiceInfo {
  choice: ScoreChoice;
  score: ScoreFunction;
  scale: 'default' | 'none';
  title: string;
}

export const SCORE_CHOICES: readonly ScoreChoiceInfo[] = [
  { choice: 'scaled', score: 'dot', scale: 'default', title: 'scaled dot — Vaswani et al. 2017' },
  { choice: 'dot', score: 'dot', scale: 'none', title: 'dot — Luong et al. 2015' },
  { choice: 'general', score: 'general', scale: 'none', title: 'general qᵀWk — Luong et al. 2015' },
  { choice: 'additive', score: 'additive', scale: 'none', title: 'additive vᵀtanh(W_q q + W_k k) — Bahdanau, Cho & Bengio 2014' },
];

/** The choice the options show: the score, and for dot whether the scale is 1/√d_k (a custom or no scale shows "dot"). */
export function scoreChoiceOf(options: Pick<AttentionOptions, 'score' | 'scale'>): ScoreChoice {
  if (options.score !== 'dot') return options.score;
  return options.scale === 'default' ? 'scaled' : 'dot';
}

/** A paragraph per score function, shown beside the selector (docs/playground.md says the same). */
export const SCORE_HISTORY: readonly { title: string; text: string }[] = [
  {
    title: 'Additive (Bahdanau, Cho & Bengio, 2014)',
    text:
      'The first attention, in “Neural Machine Translation by Jointly Learning to Align and Translate”: a small network scores each ' +
      'source word for the word being written, vᵀ tanh(W_q q + W_k k), so the decoder can “look back at the entire input sequence and ' +
      'learn where to focus when generating each output word” (the seeds’ “Focus, Not Memory”). Q and K may have different widths; ' +
      'W_q and W_k map both into a hidden layer of width a. The name came late: Bengio chose “attention” in place of RNNSearch ' +
      '(Bahdanau’s email, in the seeds).',
  },
  {
    title: 'Dot and general (Luong, Pham & Manning, 2015)',
    text:
      'Luong et al. compared cheaper scores: the plain dot product qᵀk, and “general”, qᵀWk, a learned bilinear form (W: d_q×d_k, ' +
      'so Q and K may differ in width here too). The dot product needs no weights and is one matrix product for all pairs.',
  },
  {
    title: 'Scaled dot product (Vaswani et al., 2017)',
    text:
      'The Transformer kept the dot product and divided it by √d_k, so the scores do not grow with the width and push the softmax ' +
      'into saturation; the seeds’ history runs “Bahdanau 2014 → Vaswani 2017”, and counts “scaled attention” among the ' +
      'Transformer’s additions. The fused kernel computes only this family (dot, any scale).',
  },
];
