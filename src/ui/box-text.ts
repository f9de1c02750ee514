/**
 * `.value` bindings for boxes whose text is applied as it is typed (`@input`). A plain
 * `.value=${String(x)}` writes the bound value back after every keystroke that changes it, so
 * "1.5e-1" becomes "0.15" under the caret and the next key makes another number. These directives
 * leave the box's text alone while it already says the bound value, and leave a refused text
 * alone while nothing changed, so the message beside it still describes it.
 *
 * The box is rewritten when the bound value or `sync` changed since the last render and its text
 * does not already say the value. A panel passes its options object as `sync`: any new options
 * (its own edit, an example, undo or redo, a link) then put the state's value into every box whose
 * text is stale, even one whose value did not change (a refused "3" when K/V heads stayed 1).
 */
import { noChange } from 'lit';
import type { ElementPart, PartInfo, PropertyPart } from 'lit/directive.js';
import { Directive, directive, PartType } from 'lit/directive.js';
import { parseNumberList } from '../core/feature-options';

class BoxTextDirective extends Directive {
  private text: string | undefined;
  private sync: unknown;

  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.PROPERTY || part.name !== 'value') throw new Error('box text directives bind `.value` only');
  }

  render(text: string, _sync: unknown, _says: (typed: string) => boolean): string {
    return text;
  }

  override update(part: PropertyPart | ElementPart, [text, sync, says]: Parameters<this['render']>): unknown {
    const box = part.element as HTMLInputElement;
    const changed = text !== this.text || sync !== this.sync;
    this.text = text;
    this.sync = sync;
    if (changed && !says(box.value)) box.value = text;
    return noChange;
  }
}

const boxText = directive(BoxTextDirective);

/** Whether a box's text reads as this number (null: an empty box); `Number` is how the panels read it. */
export function textSaysNumber(typed: string, value: number | null): boolean {
  if (typed.trim() === '') return value === null;
  return value !== null && Number(typed) === value;
}

/** Whether a box's text reads as this list of numbers (as parseNumberList reads it). */
export function textSaysList(typed: string, values: readonly number[]): boolean {
  try {
    const typedValues = parseNumberList(typed, 'list');
    return typedValues.length === values.length && typedValues.every((x, i) => x === values[i]);
  } catch {
    return false;
  }
}

/**
 * `.value=${numberText(x, sync)}`: a number box (null: empty) that keeps its text while it says x,
 * or while it is `kept`: a refused text whose panel put the box's earlier value back.
 */
export function numberText(value: number | null, sync: unknown = null, kept: string | null = null) {
  return boxText(value === null ? '' : String(value), sync, (typed) => typed === kept || textSaysNumber(typed, value));
}

/** `.value=${listText(xs, sync)}`: a box of comma-separated numbers that keeps its text while it says xs. */
export function listText(values: readonly number[], sync: unknown = null) {
  return boxText(values.join(', '), sync, (typed) => textSaysList(typed, values));
}

/**
 * What a refused text puts back in a box applied as it is typed: the value from before the run of
 * keystrokes that led to it, not a prefix applied on the way ("2000000" while typing "20000000").
 * Texts applied one after another, each extending the last ("2", "20", "200"…), are one run; a
 * refused text that extends the run's first text takes the whole run back.
 *
 * A run given the states its edits were computed from and left (`S`, the page's state) also keeps
 * the state it began from: each keystroke's change is computed from that start (`base`), so a count
 * passed on the way ("1" while typing "16" into the heads box) drops nothing the final count keeps,
 * and a refused text puts that whole state back (`startState`). Only while the state is the one the
 * run's last keystroke left: any other change (an example, undo, a link) ends the run.
 */
export class TypingRun<T, S = never> {
  private run: { box: string; first: string; last: string; before: T; states: { from: S; left: S } | null } | null = null;

  /** `text` was applied to `box`, replacing `before`; `states`: the state the edit was computed from (`base`) and the one it left. */
  applied(box: string, text: string, before: T, states: { from: S; left: S } | null = null): void {
    const run = this.run;
    if (run?.box === box && text.startsWith(run.last) && (states === null || states.from === run.states?.from)) {
      run.last = text;
      run.states = states ?? run.states;
    } else this.run = { box, first: text, last: text, before, states };
  }

  /** The state a keystroke's `text` is applied to: the run's start when it extends the run and `current` is what the run left; else `current`. */
  base(box: string, text: string, current: S): S {
    const run = this.run;
    return run?.box === box && text.startsWith(run.last) && run.states?.left === current ? run.states.from : current;
  }

  /** The value from before the run that a refused `text` extends, or null when it extends none (the value in use stays). */
  startOf(box: string, text: string): { value: T } | null {
    const run = this.run;
    return run?.box === box && text.startsWith(run.first) ? { value: run.before } : null;
  }

  /** The state the run that a refused `text` extends began from, while `current` is the state it left; else null. */
  startState(box: string, text: string, current: S): S | null {
    const run = this.run;
    return run?.box === box && text.startsWith(run.first) && run.states?.left === current ? run.states.from : null;
  }
}
