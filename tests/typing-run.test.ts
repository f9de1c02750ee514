/**
 * TypingRun (src/ui/box-text.ts): what a refused text puts back in a box applied as it is typed —
 * the value from before the keystrokes that led to it, never a prefix applied on the way.
 */
import { describe, expect, it } from 'vitest';
import { TypingRun } from '../src/ui/box-text';

/** Types `text` key by key into `box` from `value`: keys whose prefix `fits` are applied. Returns the value in use. */
function typeKeys(run: TypingRun<number>, box: string, text: string, value: number, fits: (x: number) => boolean): number {
  for (let k = 1; k <= text.length; k++) {
    const typed = text.slice(0, k);
    const x = Number(typed);
    if (typed.trim() !== '' && fits(x)) {
      run.applied(box, typed, value);
      value = x;
    }
  }
  return value;
}

describe('TypingRun', () => {
  const upTo = (max: number) => (x: number) => Number.isInteger(x) && Math.abs(x) <= max;

  it.each([
    ['20000000', 0, 2_000_000],
    ['4294967297', 2, 4_294_967],
    ['1.5', 0, 1],
  ])('a refused "%s" goes back to %d, not to the prefix %d that fitted on the way', (text, start, prefix) => {
    const run = new TypingRun<number>();
    const inUse = typeKeys(run, 'box', text, start, upTo(2 ** 24));
    expect(inUse).toBe(prefix);
    expect(run.startOf('box', text)).toEqual({ value: start });
  });

  it('a text that does not extend the last run keeps the value in use', () => {
    const run = new TypingRun<number>();
    const inUse = typeKeys(run, 'box', '2', 1, upTo(4));
    expect(inUse).toBe(2);
    // The box re-selected and "3" typed: "2" was a finished edit, not a step on the way to "3".
    expect(run.startOf('box', '3')).toBeNull();
    // Another box's run says nothing about this one.
    expect(run.startOf('other', '24')).toBeNull();
    // "24" extends "2": the run goes back to 1.
    expect(run.startOf('box', '24')).toEqual({ value: 1 });
  });

  it('an applied text that does not extend the run starts a new one', () => {
    const run = new TypingRun<number>();
    run.applied('box', '2', 1);
    run.applied('box', '20', 2);
    run.applied('box', '7', 20);
    expect(run.startOf('box', '70')).toEqual({ value: 20 });
    expect(run.startOf('box', '200')).toBeNull();
  });
});

describe('TypingRun with states: every keystroke of a run is applied to the state the run began from', () => {
  /** A stand-in for the page's state: a head count and the matrices kept (a lower count cuts them). */
  interface Page {
    heads: number;
    kept: readonly string[];
  }
  const withHeads = (s: Page, heads: number): Page => ({ heads, kept: s.kept.slice(0, heads) });

  /** Types `text` key by key into the heads box as the Options panel does; returns the state each key left. */
  function typeHeads(run: TypingRun<number, Page>, text: string, state: Page): Page[] {
    const left: Page[] = [];
    for (let k = 1; k <= text.length; k++) {
      const typed = text.slice(0, k);
      const from = run.base('heads', typed, state);
      const next = withHeads(from, Number(typed));
      run.applied('heads', typed, state.heads, { from, left: next });
      left.push((state = next));
    }
    return left;
  }

  const four: Page = { heads: 4, kept: ['h0', 'h1', 'h2', 'h3'] };

  it('typing 16 over 4 heads: "16" is applied to the 4-head state, not to the one "1" left', () => {
    const run = new TypingRun<number, Page>();
    const [one, sixteen] = typeHeads(run, '16', four);
    expect(one.kept).toEqual(['h0']);
    expect(sixteen.kept).toEqual(four.kept);
    // A refused "165" puts back the whole state the run began from.
    expect(run.startState('heads', '165', sixteen)).toBe(four);
    expect(run.startOf('heads', '165')).toEqual({ value: 4 });
  });

  it('a state changed elsewhere since the last keystroke (undo, an example) ends the run', () => {
    const run = new TypingRun<number, Page>();
    const [one] = typeHeads(run, '1', four);
    const elsewhere = { ...one };
    expect(run.base('heads', '16', elsewhere)).toBe(elsewhere);
    expect(run.startState('heads', '165', elsewhere)).toBeNull();
    // Applied to that state, "16" starts a run of its own: a refused "165" goes back to that state.
    const sixteen = withHeads(elsewhere, 16);
    run.applied('heads', '16', 1, { from: elsewhere, left: sixteen });
    expect(run.startState('heads', '165', sixteen)).toBe(elsewhere);
    expect(run.startOf('heads', '165')).toEqual({ value: 1 });
  });

  it('another box, or a text that does not extend the run, builds on the state in use', () => {
    const run = new TypingRun<number, Page>();
    const [one] = typeHeads(run, '1', four);
    expect(run.base('kv-heads', '16', one)).toBe(one);
    expect(run.base('heads', '2', one)).toBe(one);
  });
});
