/**
 * Word tokens from the platform's Unicode word segmenter (Intl.Segmenter, UAX #29), the same in
 * Node and the browser. Punctuation and spaces are dropped: the vocabulary holds words only, and a
 * heat map row per comma would crowd out the alignment the sentence view is there to show.
 */

export interface Token {
  /** The word as typed. */
  text: string;
  /** UTF-16 offsets into the input: text === input.slice(start, end). */
  start: number;
  end: number;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'word' });

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const { segment, index, isWordLike } of segmenter.segment(text)) {
    if (isWordLike) tokens.push({ text: segment, start: index, end: index + segment.length });
  }
  return tokens;
}

/** Symbols (emoji, ©, +, $) are not words either: the segmenter's other non-word pieces are spaces and punctuation. */
const SYMBOL = /[\p{S}\p{Extended_Pictographic}]/u;

/**
 * The symbols the text holds that tokenize leaves out, each once, in order: a user who typed an
 * emoji is told it is not a word rather than see it vanish. Spaces and punctuation are not listed.
 */
export function leftOutSymbols(text: string): string[] {
  const found = new Set<string>();
  for (const { segment, isWordLike } of segmenter.segment(text)) {
    if (!isWordLike && SYMBOL.test(segment)) found.add(segment);
  }
  return [...found];
}

/** Whether two token lists hold the same words in the same order. */
export function sameWords(a: readonly Pick<Token, 'text'>[], b: readonly Pick<Token, 'text'>[]): boolean {
  return a.length === b.length && a.every((t, i) => t.text === b[i].text);
}
