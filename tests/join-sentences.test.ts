/** Messages joined as sentences: one full stop between them, never none and never two. */
import { describe, expect, it } from 'vitest';
import { joinSentences } from '../src/core/errors';

const RESULTS = 'The results below are from the last valid input.';

describe('joinSentences', () => {
  it.each([
    ['a message without a full stop', 'Q width 3 is not divisible by 2 heads', `Q width 3 is not divisible by 2 heads. ${RESULTS}`],
    ['a message with one', 'the memory holds no facts.', `the memory holds no facts. ${RESULTS}`],
    ['a message ending in a bracket', 'n is too large (max 4096)', `n is too large (max 4096). ${RESULTS}`],
    ['a question', 'is the model loaded?', `is the model loaded? ${RESULTS}`],
    ['a full stop inside a closing quote', 'the cell says "1."', `the cell says "1." ${RESULTS}`],
    ['trailing spaces', 'no keys  ', `no keys. ${RESULTS}`],
  ])('%s', (_, message, joined) => {
    expect(joinSentences(message, RESULTS)).toBe(joined);
  });

  it('leaves out empty parts and still ends the last one', () => {
    expect(joinSentences('Q width 3 is not divisible by 2 heads', null, false, '')).toBe('Q width 3 is not divisible by 2 heads.');
    expect(joinSentences()).toBe('');
  });
});
