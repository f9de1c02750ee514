/** Errors and messages shared by every layer: the user's input, compiler messages, cancelled runs. */

/** What is wrong with the user's input, for the CLI (exit 2) and the page. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** A WGSL compiler message (WebGPU's GPUCompilationMessage, made plain). */
export interface ShaderMessage {
  type: 'error' | 'warning' | 'info';
  message: string;
  /** 1-based line and column in the kernel source, 0 when the compiler gave no position. */
  line: number;
  column: number;
  offset: number;
  length: number;
}

/** A newer run superseded this one, or the caller aborted it. */
export class RunCancelledError extends Error {
  override readonly name = 'RunCancelledError';
}

/** Whether `text` already ends a sentence: a full stop, "!", "?" or "…", perhaps before a closing quote or bracket. */
const ENDS_SENTENCE = /[.!?…]["'”’)\]]*$/;

/**
 * Messages as one paragraph: each part ends with a full stop (added unless it has one), joined by
 * spaces; empty parts are left out. "Q width 3 is not divisible by 2 heads" and "The results below
 * are from the last valid input." read as two sentences, never as one run-on or with "..".
 */
export function joinSentences(...parts: (string | null | undefined | false)[]): string {
  return parts
    .map((part) => (part || '').trim())
    .filter((part) => part !== '')
    .map((part) => (ENDS_SENTENCE.test(part) ? part : `${part}.`))
    .join(' ');
}
