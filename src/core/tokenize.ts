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
