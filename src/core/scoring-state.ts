/**
 * The scoring weights as the page keeps them (grids in the matrix state, src/core/state.ts), and
 * what turns them into the engine's ScoringWeights (src/core/shapes.ts, computed by
 * src/core/scoring.ts). The page keeps all four grids whichever score is chosen, so switching to
 * dot and back finds the weights a user typed unchanged; only those the score in force uses are
 * checked and sent.
 *
 *   general   W:   dq×dk           score = q_iᵀ W k_j                      (Luong et al., 2015)
 *   additive  W_q: a×dq, W_k: a×dk, v: 1×a, score = vᵀ tanh(W_q q_i + W_k k_j)   (Bahdanau et al., 2014)
 *
 * dq, dk are Q's and K's widths per head; a is the additive hidden width (W_q's rows).
 */
import { InputError } from './errors';
import type { Grid } from './grid';
import { fromMatrix, gridShape, identity, randomGrid, resize, toMatrix } from './grid';
import { kvHeadCount } from './features';
import type { AttentionOptions, ScoreFunction } from './options';
import { checkScoring } from './scoring';
import type { ScoringWeights } from './shapes';
import type { PlaygroundState } from './state';

export interface ScoringGrids {
  /** General: dq×dk. */
  w: Grid | null;
  /** Additive: a×dq, a×dk and 1×a. */
  wq: Grid | null;
  wk: Grid | null;
  v: Grid | null;
}

export type ScoringGridName = keyof ScoringGrids;
export const SCORING_GRID_NAMES: readonly ScoringGridName[] = ['w', 'wq', 'wk', 'v'];
/** How each grid is named in messages and headings (the engine's names, src/core/scoring.ts). */
export const SCORING_GRID_TITLES: Record<ScoringGridName, string> = { w: 'W', wq: 'W_q', wk: 'W_k', v: 'v' };

export const NO_SCORING: ScoringGrids = { w: null, wq: null, wk: null, v: null };

/** The grids a score function uses. */
export function gridsOf(score: ScoreFunction): readonly ScoringGridName[] {
  return score === 'general' ? ['w'] : score === 'additive' ? ['wq', 'wk', 'v'] : [];
}

export const isLearned = (score: ScoreFunction): boolean => score === 'general' || score === 'additive';

/** Q's and K's widths per head, or null when the heads do not split them (checkInputs says why). */
export function headWidths(qCols: number, kCols: number, options: AttentionOptions): { dq: number; dk: number } | null {
  const kv = kvHeadCount(options);
  if (qCols % options.heads !== 0 || kCols % kv !== 0) return null;
  return { dq: qCols / options.heads, dk: kCols / kv };
}

/** A default hidden width for new additive weights: as wide as the wider of Q and K, at least 2, at most 16. */
const hiddenWidth = (dq: number, dk: number) => Math.min(16, Math.max(2, dq, dk));

/**
 * The grids fitted to widths dq, dk for `score`: missing ones get defaults (W identity-like, so
 * general starts as the plain dot product where dq = dk; W_q and W_k small seeded numbers in
 * [−0.5, 0.5); v ones), present ones keep their cells and are cut or padded with zeros. Returns
 * the names of the grids it made or reshaped (empty when nothing changed).
 */
export function fitScoring(
  grids: ScoringGrids,
  score: ScoreFunction,
  dq: number,
  dk: number,
): { grids: ScoringGrids; changed: ScoringGridName[] } {
  const changed: ScoringGridName[] = [];
  const next = { ...grids };
  const fit = (name: ScoringGridName, rows: number, cols: number, make: () => Grid) => {
    const g = next[name];
    if (!g) next[name] = make();
    else {
      const shape = gridShape(g);
      if (shape.rows === rows && shape.cols === cols) return;
      next[name] = resize(g, rows, cols, 0);
    }
    changed.push(name);
  };
  if (score === 'general') fit('w', dq, dk, () => identity(dq, dk));
  if (score === 'additive') {
    const a = grids.wq ? gridShape(grids.wq).rows : hiddenWidth(dq, dk);
    const small = (rows: number, cols: number, seed: number) => randomGrid(rows, cols, seed).map((r) => r.map((x) => x / 2));
    fit('wq', a, dq, () => small(a, dq, 15));
    fit('wk', a, dk, () => small(a, dk, 16));
    fit('v', 1, a, () => [Array.from({ length: a }, () => 1)]);
  }
  return { grids: changed.length ? next : grids, changed };
}

/** The engine's ScoringWeights for `score` from the grids (null for dot); throws an InputError when one is missing. */
export function scoringWeights(grids: ScoringGrids, score: ScoreFunction): ScoringWeights | null {
  if (!isLearned(score)) return null;
  for (const name of gridsOf(score))
    if (!grids[name]) throw new InputError(`the ${score} score needs ${SCORING_GRID_TITLES[name]}, but it is not set`);
  if (score === 'general') return { kind: 'general', w: toMatrix(grids.w!) };
  return { kind: 'additive', wq: toMatrix(grids.wq!), wk: toMatrix(grids.wk!), v: toMatrix(grids.v!) };
}

/**
 * Checks the grids the score in force uses against Q's and K's widths (what parseState runs for
 * matrix mode): an InputError names the matrix and the shape it must have.
 */
export function checkScoringGrids(grids: ScoringGrids, options: AttentionOptions, qCols: number, kCols: number): void {
  if (!isLearned(options.score)) return;
  const widths = headWidths(qCols, kCols, options);
  if (!widths) return; // the heads do not split Q or K: checkInputs names that at run time
  checkScoring(scoringWeights(grids, options.score), options.score, widths.dq, widths.dk);
}

/** The shapes in words, for headings: "W — d_q × d_k = 3 × 2". */
export function describeGrid(name: ScoringGridName, dq: number, dk: number, a: number): string {
  switch (name) {
    case 'w':
      return `one row per query feature (d_q = ${dq}), one column per key feature (d_k = ${dk})`;
    case 'wq':
      return `one row per hidden unit (a = ${a}), one column per query feature (d_q = ${dq})`;
    case 'wk':
      return `one row per hidden unit (a = ${a}), one column per key feature (d_k = ${dk})`;
    case 'v':
      return `one row, one weight per hidden unit (a = ${a})`;
  }
}

/**
 * What the page's gate runs before checking a new state (src/ui/state-controller.ts): when the
 * score in force is general or additive and Q's or K's width per head, the heads, the mode or the
 * score itself changed, the weights are made or refitted to the new widths (as the mask is
 * fitted to n×m), and `note` says which. An edit of the weights themselves changes none of
 * these, so a W of the wrong shape still reaches the check and is refused there.
 */
export function fitScoringToState(previous: PlaygroundState, next: PlaygroundState): { state: PlaygroundState; note: string | null } {
  const score = next.options.score;
  if (next.mode !== 'matrix' || !isLearned(score)) return { state: next, note: null };
  const widths = (s: PlaygroundState) => headWidths(s.matrix.q[0]?.length ?? 0, s.matrix.k[0]?.length ?? 0, s.options);
  const now = widths(next);
  if (!now) return { state: next, note: null };
  const before = widths(previous);
  const moved = previous.mode !== next.mode || previous.options.score !== score || !before || before.dq !== now.dq || before.dk !== now.dk;
  const missing = gridsOf(score).some((name) => !next.matrix.scoring[name]);
  if (!moved && !missing) return { state: next, note: null };
  const { grids, changed } = fitScoring(next.matrix.scoring, score, now.dq, now.dk);
  if (!changed.length) return { state: next, note: null };
  const made = changed.filter((name) => !next.matrix.scoring[name]);
  const refitted = changed.filter((name) => next.matrix.scoring[name]);
  const shape = (name: ScoringGridName) => `${SCORING_GRID_TITLES[name]} ${gridShape(grids[name]!).rows}×${gridShape(grids[name]!).cols}`;
  const parts = [
    made.length
      ? `made ${made.map(shape).join(', ')} (${made.includes('w') ? 'W starts as the identity' : 'W_q and W_k small seeded numbers, v ones'})`
      : '',
    refitted.length ? `refitted ${refitted.map(shape).join(', ')} to d_q = ${now.dq}, d_k = ${now.dk} (cells kept, new ones 0)` : '',
  ].filter(Boolean);
  return {
    state: { ...next, matrix: { ...next.matrix, scoring: grids } },
    note: `The ${score} score's weights: ${parts.join('; ')}.`,
  };
}

/** Grids holding `weights` (a verifier case's, a problem's); the other score's grids are kept from `keep`. */
export function gridsFromWeights(weights: ScoringWeights | null | undefined, keep: ScoringGrids): ScoringGrids {
  if (!weights) return keep;
  if (weights.kind === 'general') return { ...keep, w: fromMatrix(weights.w) };
  return { ...keep, wq: fromMatrix(weights.wq), wk: fromMatrix(weights.wk), v: fromMatrix(weights.v) };
}

/** The raw-score heatmap's heading for each score function (the stage view names the one in force). */
export const RAW_SCORE_TITLES: Record<ScoreFunction, string> = {
  dot: 'Raw scores QKᵀ',
  general: 'Raw scores qᵀWk (general)',
  additive: 'Raw scores vᵀtanh(W_q q + W_k k) (additive)',
};

/** What one raw score is, for the heatmap's caption. */
export const RAW_SCORE_CAPTIONS: Record<ScoreFunction, string> = {
  dot: 'q_i · k_j',
  general: 'q_iᵀ W k_j',
  additive: 'Σ_r v_r tanh((W_q q_i)_r + (W_k k_j)_r)',
};
