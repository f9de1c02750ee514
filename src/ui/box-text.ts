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
import { InputError } from '../core/errors';
import { parseNumberList } from '../core/feature-options';
import type { PlaygroundState } from '../core/state';
import { StateEditEvent } from './events';

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

/** A refused text kept in its box (by the box's id) while the options it was refused under stand. */
export interface KeptText {
  box: string;
  text: string;
}

/**
 * The refuse-and-restore bookkeeping of a panel's number boxes applied as they are typed, around
 * one TypingRun: each keystroke is sent as a StateEditEvent computed from the state the run began
 * from, and a refused text puts back the value (and state) from before the run while its text stays
 * in its box and its message (`E`, as the panel shows it) names the value in use. New options
 * make a message and a kept text stale, except those of the refusal whose restore brought them.
 */
export class TypedBoxes<T, E> {
  private readonly run = new TypingRun<T, PlaygroundState>();
  /** A refused text whose box's value was just put back: its message and text outlive that change of the options. */
  private restoring: { error: E; kept: KeptText } | null = null;
  private kept: KeptText | null = null;

  /** `host` sends the edits (a panel element: they bubble to the page). */
  constructor(private readonly host: EventTarget) {}

  /** The refused text `box` keeps (numberText's `kept`), or null. */
  keptText(box: string): string | null {
    return this.kept?.box === box ? this.kept.text : null;
  }

  /**
   * The options changed, here or elsewhere: returns the message of a refusal whose restore made
   * that change (its text stays in its box), or null (every kept text goes).
   */
  optionsChanged(): E | null {
    const restoring = this.restoring;
    this.restoring = null;
    this.kept = restoring?.kept ?? null;
    return restoring?.error ?? null;
  }

  /**
   * Sends `text`, typed into `box` over the value `before`, as `edit` of the state the box's run of
   * keystrokes began from. Returns null when sent (the box keeps no refused text), or the message
   * of the InputError `edit` threw: nothing is applied and the caller refuses the text.
   */
  typed(box: string, text: string, before: T, edit: (from: PlaygroundState) => PlaygroundState): string | null {
    let from: PlaygroundState | null = null;
    let problem: string | null = null;
    const event = new StateEditEvent((s) => {
      from = this.run.base(box, text, s);
      try {
        return edit(from);
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        problem = error.message;
        return s;
      }
    }, box);
    this.host.dispatchEvent(event);
    if (problem !== null) return problem;
    this.kept = null;
    if (from && event.applied) this.run.applied(box, text, before, { from, left: event.applied });
    return null;
  }

  /**
   * A refused `text` in `box`, whose value in use is `current`: the box keeps the text, and the
   * value from before the run of keystrokes that led to it goes back — the run's whole start state
   * while the state is the one the run left, else `restore(state, start)`. Returns the message
   * (`message(start)`, naming the value the box stays at) for the panel to show.
   */
  refused(box: string, text: string, current: T, message: (start: T) => E, restore: (s: PlaygroundState, start: T) => PlaygroundState): E {
    const start = this.run.startOf(box, text)?.value ?? current;
    const error = message(start);
    const kept = { box, text };
    this.kept = kept;
    if (start === current) return error;
    const event = new StateEditEvent((s) => this.run.startState(box, text, s) ?? restore(s, start), box);
    this.host.dispatchEvent(event);
    if (!event.refused) this.restoring = { error, kept };
    return error;
  }
}
