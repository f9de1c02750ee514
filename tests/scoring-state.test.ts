/**
 * The learned score functions' weights in the page's state (src/core/scoring-state.ts): they
 * survive a link and storage, old links without them still load, a weight of the wrong shape is
 * refused by the gate (checkState) with a message naming the matrix and its shape, the gate's fit
 * makes or refits them when the score or Q's and K's widths change, and buildProblem sends them.
 */
import { describe, expect, it } from 'vitest';
import { applyMatrixOp } from '../src/core/edits';
import { InputError } from '../src/core/errors';
import type { Grid } from '../src/core/grid';
import { parsePreset } from '../src/core/presets';
import { buildProblem } from '../src/core/problem';
import { attentionReference } from '../src/core/reference';
import type { AttentionOptions } from '../src/core/options';
import { SCORE_CHOICES, scoreChoiceOf } from '../src/ui/score-choices';
import { fitScoringToState, NO_SCORING } from '../src/core/scoring-state';
import type { PlaygroundState } from '../src/core/state';
import { checkState, decodeState, defaultState, encodeState, parseState, stateFromPreset } from '../src/core/state';
import additive from '../examples/translation-additive.json';

const translation = () => stateFromPreset(parsePreset(additive));

/** A whole weight matrix replaced (an import or a fill: any shape gets through to the gate). */
function replaced(state: PlaygroundState, name: 'score-wq' | 'score-wk' | 'score-v', edit: (g: Grid) => Grid): PlaygroundState {
  const grid = state.matrix.scoring[name.slice('score-'.length) as 'wq' | 'wk' | 'v']!;
  return applyMatrixOp(state, name, { kind: 'replace', grid: edit(grid) });
}

/** The default 2×3 / 3×3 problem with the general score and the given W. */
function general(w: Grid): PlaygroundState {
  const s = defaultState();
  return { ...s, options: { ...s.options, score: 'general', scale: 'none' }, matrix: { ...s.matrix, scoring: { ...NO_SCORING, w } } };
}

describe('scoring weights survive a link and storage', () => {
  it.each<[string, () => PlaygroundState]>([
    ['the additive translation preset', translation],
    [
      'general with a hand-typed W',
      () =>
        general([
          [1, 0, 0],
          [0, 2, 0],
          [0, 0, 3],
        ]),
    ],
    ['dot, keeping weights typed for additive', () => ({ ...translation(), options: { ...translation().options, score: 'dot' } })],
  ])('%s', (_, make) => {
    const state = make();
    checkState(state);
    expect(decodeState(encodeState(state))).toEqual(state);
    expect(parseState(JSON.parse(JSON.stringify(state)))).toEqual(state);
  });

  it('reads a link written before the score functions as dot with no weights', () => {
    const old = JSON.parse(JSON.stringify(defaultState()));
    delete old.matrix.scoring;
    delete old.options.score;
    const state = parseState(old);
    expect(state.options.score).toBe('dot');
    expect(state.matrix.scoring).toEqual(NO_SCORING);
  });
});

describe('a weight of the wrong shape is refused, naming the matrix and the shape', () => {
  // The translation preset: Q 13×14 (dq = 14), K 12×12 (dk = 12), a = 13 hidden units.
  it.each<[string, () => PlaygroundState, RegExp]>([
    [
      'W_k one column too narrow',
      () => replaced(translation(), 'score-wk', (g) => g.map((r) => r.slice(1))),
      /state\.matrix\.scoring: W_k is 13×11 but must be a×dk = 13×12/,
    ],
    ['W_q one column too wide', () => replaced(translation(), 'score-wq', (g) => g.map((r) => [0, ...r])), /W_q is 13×15 but must be a×dq/],
    [
      'v longer than W_q has rows',
      () => replaced(translation(), 'score-v', (g) => g.map((r) => [0, ...r])),
      /v is 1×14 but must be 1×a = 1×13/,
    ],
    [
      'W (general) imported 2×3 for Q and K 3 wide',
      () =>
        applyMatrixOp(
          general([
            [1, 0, 0],
            [0, 1, 0],
            [0, 0, 1],
          ]),
          'score-w',
          {
            kind: 'replace',
            grid: [
              [1, 2, 3],
              [4, 5, 6],
            ],
          },
        ),
      /W is 2×3 but must be dq×dk = 3×3/,
    ],
    ['general chosen with no W (a hand-made link)', () => general([[1]]), /W is 1×1 but must be dq×dk = 3×3/],
  ])('%s', (_, make, message) => {
    const state = make();
    expect(() => checkState(state)).toThrow(InputError);
    expect(() => checkState(state)).toThrow(message);
  });

  it('sentence mode does not check matrix mode’s weights against matrix mode’s Q and K', () => {
    const s = general([[1]]);
    expect(() => checkState({ ...s, mode: 'sentence' })).not.toThrow();
  });
});

describe('the additive score’s hidden units are added and removed in W_q, W_k and v together', () => {
  const shapes = (s: PlaygroundState) => {
    const { wq, wk, v } = s.matrix.scoring;
    return [wq!.length, wq![0].length, wk!.length, wk![0].length, v!.length, v![0].length];
  };
  const scores = (s: PlaygroundState) => {
    const p = buildProblem(s, null);
    return attentionReference(p.inputs, p.options).raw.data;
  };

  it.each<[string, 'score-wq' | 'score-wk' | 'score-v', 'insert-row' | 'insert-col']>([
    ['a row of W_q', 'score-wq', 'insert-row'],
    ['a row of W_k', 'score-wk', 'insert-row'],
    ['a column of v', 'score-v', 'insert-col'],
  ])('adding %s adds a zero unit to all three: the shapes stay consistent and no score moves', (_, name, kind) => {
    const before = translation();
    const after = applyMatrixOp(before, name, { kind, at: 5 });
    expect(shapes(before)).toEqual([13, 14, 13, 12, 1, 13]);
    expect(shapes(after)).toEqual([14, 14, 14, 12, 1, 14]);
    expect(after.matrix.scoring.wq![5].every((x) => x === 0)).toBe(true);
    expect(after.matrix.scoring.wk![5].every((x) => x === 0)).toBe(true);
    expect(after.matrix.scoring.v![0][5]).toBe(0);
    // The units after the new one moved down by one.
    expect(after.matrix.scoring.wq![6]).toEqual(before.matrix.scoring.wq![5]);
    expect(after.matrix.scoring.v![0][6]).toBe(before.matrix.scoring.v![0][5]);
    checkState(after);
    expect(Array.from(scores(after))).toEqual(Array.from(scores(before)));
  });

  it('removing a unit removes it from all three, and the last unit stays', () => {
    const before = translation();
    const after = applyMatrixOp(before, 'score-v', { kind: 'remove-col', at: 2 });
    expect(shapes(after)).toEqual([12, 14, 12, 12, 1, 12]);
    expect(after.matrix.scoring.wk![2]).toEqual(before.matrix.scoring.wk![3]);
    checkState(after);
    let one = before;
    for (let i = 0; i < 20; i++) one = applyMatrixOp(one, 'score-wq', { kind: 'remove-row', at: 0 });
    expect(shapes(one)).toEqual([1, 14, 1, 12, 1, 1]);
    checkState(one);
  });

  it('a v imported as a column (a×1) gains a row', () => {
    const before = translation();
    const column = replaced(before, 'score-v', (g) => g[0].map((x) => [x]));
    const after = applyMatrixOp(column, 'score-wq', { kind: 'insert-row', at: 0 });
    expect(after.matrix.scoring.v!.length).toBe(14);
    expect(after.matrix.scoring.v![0]).toEqual([0]);
  });

  it('widths are Q’s and K’s: W_q’s and W_k’s columns, W and v’s rows take no structural edit', () => {
    const before = translation();
    for (const [name, kind] of [
      ['score-wq', 'insert-col'],
      ['score-wk', 'remove-col'],
      ['score-v', 'insert-row'],
    ] as const)
      expect(applyMatrixOp(before, name, { kind, at: 0 })).toBe(before);
    const g = general([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(applyMatrixOp(g, 'score-w', { kind: 'insert-row', at: 0 })).toBe(g);
    expect(applyMatrixOp(g, 'score-w', { kind: 'remove-col', at: 0 })).toBe(g);
  });
});

describe('the gate makes and refits the weights', () => {
  it('choosing general makes W as the identity dq×dk, and says so', () => {
    const before = defaultState();
    const { state, note } = fitScoringToState(before, { ...before, options: { ...before.options, score: 'general' } });
    expect(state.matrix.scoring.w).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(note).toMatch(/made W 3×3 \(W starts as the identity\)/);
    checkState(state);
  });

  it('choosing additive makes W_q a×dq, W_k a×dk and v 1×a of ones', () => {
    const before = defaultState();
    const { state } = fitScoringToState(before, { ...before, options: { ...before.options, score: 'additive' } });
    const { wq, wk, v } = state.matrix.scoring;
    expect([wq!.length, wq![0].length, wk!.length, wk![0].length]).toEqual([3, 3, 3, 3]);
    expect(v).toEqual([[1, 1, 1]]);
    expect(wq!.flat().every((x) => Math.abs(x) <= 0.5)).toBe(true);
    checkState(state);
  });

  it('a new column of Q (and K) refits W_q and W_k, keeping their cells', () => {
    const before = translation();
    const edited = applyMatrixOp(before, 'q', { kind: 'insert-col', at: 14 });
    const { state, note } = fitScoringToState(before, edited);
    expect(state.matrix.scoring.wq![0]).toEqual([...before.matrix.scoring.wq![0], 0]);
    expect(state.matrix.scoring.wk![0].length).toBe(13);
    expect(note).toMatch(/refitted W_q 13×15, W_k 13×13 to d_q = 15, d_k = 13/);
    checkState(state);
  });

  it('an edit of the weights themselves is not refitted (the gate refuses it instead)', () => {
    const before = translation();
    const edited = applyMatrixOp(before, 'score-wk', { kind: 'remove-col', at: 0 });
    expect(fitScoringToState(before, edited)).toEqual({ state: edited, note: null });
  });
});

describe('buildProblem sends the weights', () => {
  it('general: raw score qᵀWk, worked by hand', () => {
    // q0 = [1,0,1], W = diag(1,2,3): q0ᵀW = [1,0,3]; keys e0, e1, e2 give raw 1, 0, 3.
    // q1 = [0,1,0]: q1ᵀW = [0,2,0]; raw 0, 2, 0.
    const problem = buildProblem(
      general([
        [1, 0, 0],
        [0, 2, 0],
        [0, 0, 3],
      ]),
      null,
    );
    expect(problem.inputs.scoring?.kind).toBe('general');
    const ref = attentionReference(problem.inputs, problem.options);
    expect(Array.from(ref.raw.data)).toEqual([1, 0, 3, 0, 2, 0]);
  });

  it('dot leaves them out even when the state holds some', () => {
    const s = general([
      [1, 0, 0],
      [0, 2, 0],
      [0, 0, 3],
    ]);
    expect(buildProblem({ ...s, options: { ...s.options, score: 'dot' } }, null).inputs.scoring).toBeNull();
  });
});

describe('the options panel’s score choices', () => {
  it.each<[AttentionOptions['score'], AttentionOptions['scale'], string]>([
    ['dot', 'default', 'scaled'],
    ['dot', 'none', 'dot'],
    ['dot', 0.5, 'dot'],
    ['general', 'none', 'general'],
    ['general', 'default', 'general'],
    ['additive', 2, 'additive'],
  ])('score %s with scale %s shows “%s”', (score, scale, choice) => {
    expect(scoreChoiceOf({ score, scale })).toBe(choice);
  });

  it.each(SCORE_CHOICES.map((c) => [c.choice, c] as const))('choosing %s sets a score and scale that show it again', (_, c) => {
    expect(scoreChoiceOf({ score: c.score, scale: c.scale })).toBe(c.choice);
    expect(c.scale).toBe(c.choice === 'scaled' ? 'default' : 'none');
  });
});
