/**
 * A whole number typed into a box with bounds (a seed, a head width, a count): read from the text
 * as typed, or the reason it is not one, in words that name the box, its range and the text. The
 * boxes that use it keep refused text as typed and say why, rather than clamp it or drop it.
 */

/** The values a whole-number box takes, and its name in messages. */
export interface WholeNumberBox {
  label: string;
  min: number;
  max: number;
}

/** Why `text` is not a value of `box`, or null when it is. */
export function wholeNumberProblem(box: WholeNumberBox, text: string): string | null {
  const x = text.trim() === '' ? NaN : Number(text);
  if (Number.isSafeInteger(x) && x >= box.min && x <= box.max) return null;
  return `${box.label} must be a whole number from ${box.min} to ${box.max}, ${text.trim() ? `got "${text}"` : 'got nothing (or no number)'}`;
}

/** `text` read as a value of `box`; a RangeError says why it is not one. */
export function readWholeNumber(box: WholeNumberBox, text: string): number {
  const problem = wholeNumberProblem(box, text);
  if (problem) throw new RangeError(problem);
  return Number(text);
}
