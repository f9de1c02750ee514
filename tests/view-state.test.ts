/**
 * The saved view (state.view) and the model view's head: what a link or a saved state restores
 * (the Shader lab's stage tab), what it may name (a head or query past the problem's: moved to the
 * last and said, naming the field), what a change of heads and an undo do to it, and model mode's
 * layer and head past the chosen model's.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/core/errors';
import { shownHead } from '../src/core/model/shown-head';
import { DEFAULT_PROFILE_FORM } from '../src/core/profile-form';
import type { PlaygroundState, ViewState } from '../src/core/state';
import { decodeState, defaultState, encodeState, parseState, viewRangeNote, withHeads, withView, withViewInRange } from '../src/core/state';

/** The default matrix problem (2 queries) with h heads and the view `view`. */
function withViewOf(view: Partial<ViewState>, heads = 4): PlaygroundState {
  const s = withHeads(defaultState(), heads);
  return { ...s, view: { ...s.view, ...view } };
}

describe("the Shader lab's stage tab in the saved view", () => {
  it('round-trips through a link', () => {
    const state = withViewOf({ tab: 'lab', labStage: 'softmax' }, 1);
    expect(decodeState(encodeState(state)).view).toEqual({ focusQuery: 0, head: 0, tab: 'lab', labStage: 'softmax' });
  });

  it('is absent in links and saved states from before it was kept, which still load', () => {
    const older = JSON.parse(JSON.stringify(defaultState()));
    expect(parseState(older).view).not.toHaveProperty('labStage');
  });

  it.each([
    ['an unknown stage', 'vertex'],
    ['a number', 2],
    ['null', null],
  ])('refuses %s, naming the field', (_, labStage) => {
    const json = { ...JSON.parse(JSON.stringify(defaultState())), view: { ...defaultState().view, labStage } };
    expect(() => parseState(json)).toThrow(InputError);
    expect(() => parseState(json)).toThrow(/state\.view\.labStage must be one of rope, qk, softmax, pv, fused, combine, project/);
  });
});

describe('view.head follows the heads', () => {
  it.each([
    [4, 3, 2, 1],
    [4, 3, 1, 0],
    [4, 1, 2, 1],
    [2, 1, 4, 1],
  ])('%i heads showing head %i, set to %i, shows head %i', (from, head, to, shown) => {
    const state = withViewOf({ head }, from);
    expect(withHeads(state, to).view.head).toBe(shown);
  });

  it('leaves a view that fits as it was (the same object)', () => {
    const state = withViewOf({ head: 1, focusQuery: 1 }, 2);
    expect(withViewInRange(state)).toBe(state);
  });
});

describe('withViewInRange and its note (a link or saved state naming a head or query past its problem)', () => {
  it('moves a head past the heads to the last, and says so naming view.head', () => {
    const asked = withViewOf({ head: 9 }, 2);
    const fitted = withViewInRange(asked);
    expect(fitted.view.head).toBe(1);
    expect(viewRangeNote(asked, fitted)).toBe('view.head is 9, past its 2 heads (0 to 1): showing head 1');
  });

  it("moves a focused query past matrix mode's queries to the last, naming view.focusQuery", () => {
    const asked = withViewOf({ focusQuery: 7 }, 1);
    const fitted = withViewInRange(asked);
    expect(fitted.view.focusQuery).toBe(1);
    expect(viewRangeNote(asked, fitted)).toBe('view.focusQuery is 7, past its 2 queries (0 to 1): showing query 1');
  });

  it("counts sentence mode's queries as the words of the query sentence", () => {
    const base = withViewOf({ focusQuery: 9 }, 1);
    const self: PlaygroundState = { ...base, mode: 'sentence', sentence: { ...base.sentence, source: 'one, two three', cross: false } };
    expect(withViewInRange(self).view.focusQuery).toBe(2);
    const cross = { ...self, sentence: { ...self.sentence, cross: true, target: 'a b c d e' } };
    expect(withViewInRange(cross).view.focusQuery).toBe(4);
  });

  it('leaves model mode, whose views do not read view.focusQuery, alone', () => {
    const state: PlaygroundState = { ...withViewOf({ focusQuery: 40 }, 1), mode: 'model' };
    expect(withViewInRange(state)).toBe(state);
  });

  it('has no note when nothing moved', () => {
    const state = withViewOf({ head: 1 }, 2);
    expect(viewRangeNote(state, withViewInRange(state))).toBeNull();
  });
});

describe('undo and redo keep the view (withView)', () => {
  const profile = { ...DEFAULT_PROFILE_FORM, heads: 8 };
  const view: ViewState = { focusQuery: 1, head: 3, tab: 'compare', labStage: 'pv', profile };
  const current = withViewOf(view, 4);

  it('keeps the tab, the lab stage, the Profiler form, and the head and query where the step kept their counts', () => {
    const snapshot = withViewOf({ tab: 'attention', head: 0, focusQuery: 0 }, 4);
    const undone = withView(snapshot, current);
    expect(undone.view).toEqual(view);
    expect(undone.matrix).toBe(snapshot.matrix);
    expect(undone.options).toBe(snapshot.options);
  });

  it("brings back the snapshot's head and query where the step changed their counts, within the state's", () => {
    const snapshot = withViewOf({ tab: 'attention', head: 1, focusQuery: 0 }, 2);
    const fewerRows = { ...snapshot, matrix: { ...snapshot.matrix, q: [snapshot.matrix.q[0]] } };
    expect(withView(fewerRows, current).view).toEqual({ ...view, head: 1, focusQuery: 0 });
  });

  it('Undo of lowering Heads shows the head it had moved off', () => {
    const before = withViewOf({ head: 3 }, 4);
    const lowered = withHeads(before, 2);
    expect(lowered.view.head).toBe(1);
    expect(withView(before, lowered).view.head).toBe(3);
  });
});

describe("model mode's shown head (shownHead)", () => {
  it('is the chosen one while the model has it', () => {
    expect(shownHead({ layer: 3, head: 1 }, 4, 2)).toEqual({ layer: 3, head: 1, note: null });
  });

  it('is the last layer past the layers, with a note naming model.layer', () => {
    expect(shownHead({ layer: 999, head: 0 }, 4, 2)).toEqual({
      layer: 3,
      head: 0,
      note: "Layer 999 (model.layer) is past this model's 4 layers (0 to 3): showing layer 3. Click a head in the grid to show another.",
    });
  });

  it('is the last head past the heads, with a note naming model.head; both past names both', () => {
    expect(shownHead({ layer: 0, head: 7 }, 1, 4).note).toBe(
      "Head 7 (model.head) is past this model's 4 heads per layer (0 to 3): showing head 3. Click a head in the grid to show another.",
    );
    const both = shownHead({ layer: 5, head: 5 }, 1, 1);
    expect(both).toMatchObject({ layer: 0, head: 0 });
    expect(both.note).toMatch(/^Layer 5 \(model\.layer\) is past this model's 1 layer \(0 to 0\).*\. Head 5 \(model\.head\) is past/);
  });
});
