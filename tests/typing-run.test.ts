/**
 * TypingRun (src/ui/box-text.ts): what a refused text puts back in a box applied as it is typed —
 * the value from before the keystrokes that led to it, never a prefix applied on the way.
 */
import { describe, expect, it } from 'vitest';
import { UndoHistory } from '../src/core/history';
import type { PlaygroundState } from '../src/core/state';
import { defaultState } from '../src/core/state';
import { TypedBoxes, TypingRun } from '../src/ui/box-text';
import { StateEditEvent } from '../src/ui/events';

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

/** A stand-in for the page: applies StateEditEvents and records undo steps as StateController.apply does. */
class Page extends EventTarget {
  readonly history = new UndoHistory<PlaygroundState>();
  constructor(public state: PlaygroundState) {
    super();
    this.addEventListener(StateEditEvent.eventName, (event) => {
      const edit = event as StateEditEvent;
      const next = edit.edit(this.state);
      if (next !== this.state) {
        this.history.record(this.state, edit.coalesceKey);
        this.state = next;
        this.history.left(next);
      }
      edit.applied = this.state;
    });
  }
}

type OptionBox = 'heads' | 'temperature';
const withOption = (s: PlaygroundState, box: OptionBox, x: number): PlaygroundState => ({ ...s, options: { ...s.options, [box]: x } });

/** Types `text` key by key into an options box as the Options panel does; returns the last message (null: applied). */
function typeOption(
  boxes: TypedBoxes<number, string>,
  page: Page,
  box: OptionBox,
  text: string,
  fits: (x: number) => boolean,
): string | null {
  let message: string | null = null;
  for (let k = 1; k <= text.length; k++) {
    const typed = text.slice(0, k);
    const x = Number(typed);
    const current = page.state.options[box];
    message =
      typed.trim() !== '' && fits(x)
        ? boxes.typed(box, typed, current, (from) => withOption(from, box, x))
        : boxes.refused(
            box,
            typed,
            current,
            (start) => `"${typed}" refused; the ${box} is ${start}`,
            (s, start) => withOption(s, box, start),
          );
  }
  return message;
}

describe('TypedBoxes: a panel’s refuse-and-restore bookkeeping', () => {
  const fourHeads = (): { earlier: PlaygroundState; page: Page } => {
    const earlier = defaultState();
    const page = new Page(earlier);
    page.dispatchEvent(new StateEditEvent((s) => withOption(s, 'heads', 4), null));
    return { earlier, page };
  };
  const upTo64 = (x: number) => Number.isInteger(x) && x >= 1 && x <= 64;

  it('a refused "65" puts back the very state the run began from, keeps its text and names the count', () => {
    const { page } = fourHeads();
    const start = page.state;
    const boxes = new TypedBoxes<number, string>(page);
    expect(typeOption(boxes, page, 'heads', '65', upTo64)).toBe('"65" refused; the heads is 4');
    expect(page.state).toBe(start);
    expect(boxes.keptText('heads')).toBe('65');
    expect(boxes.keptText('temperature')).toBeNull();
    // The options the restore brought keep the message and the text; the next change of them does not.
    expect(boxes.optionsChanged()).toBe('"65" refused; the heads is 4');
    expect(boxes.keptText('heads')).toBe('65');
    expect(boxes.optionsChanged()).toBeNull();
    expect(boxes.keptText('heads')).toBeNull();
  });

  it('a refused typed head count leaves no undo step: Undo goes back past the typing, not to the state shown', () => {
    const { earlier, page } = fourHeads();
    const boxes = new TypedBoxes<number, string>(page);
    typeOption(boxes, page, 'heads', '65', upTo64);
    expect(page.state.options.heads).toBe(4);
    expect(page.history.undo(page.state)).toBe(earlier);
  });

  it('temperature "1e-46": a refused text puts back the value from before the typing, not the "1e-4" on the way', () => {
    const page = new Page(withOption(defaultState(), 'temperature', 0.5));
    const boxes = new TypedBoxes<number, string>(page);
    const fitsFloat32 = (t: number) => t > 0 && t >= 2 ** -126;
    const seen: number[] = [];
    page.addEventListener(StateEditEvent.eventName, () => seen.push(page.state.options.temperature));
    expect(typeOption(boxes, page, 'temperature', '1e-46', fitsFloat32)).toBe('"1e-46" refused; the temperature is 0.5');
    expect(seen).toContain(1e-4);
    expect(page.state.options.temperature).toBe(0.5);
  });

  it('a text that extends no run keeps the value in use and sends nothing', () => {
    const { page } = fourHeads();
    const boxes = new TypedBoxes<number, string>(page);
    const start = page.state;
    expect(
      boxes.refused(
        'heads',
        'x',
        4,
        (start) => `stays ${start}`,
        () => defaultState(),
      ),
    ).toBe('stays 4');
    expect(page.state).toBe(start);
    expect(boxes.keptText('heads')).toBe('x');
    expect(boxes.optionsChanged()).toBeNull();
  });
});
