/**
 * What the page accepts it can restore: checkState (StateController.apply's gate) refuses exactly
 * what parseState would refuse reading the state back, and every state a sequence of ordinary
 * edits produces survives JSON (localStorage) and a link unchanged.
 */
import { describe, expect, it } from 'vitest';
import type { MatrixOp } from '../src/core/edits';
import { applyMaskOp, applyMatrixOp } from '../src/core/edits';
import { InputError } from '../src/core/errors';
import { withOptions } from '../src/core/feature-options';
import { zeros } from '../src/core/grid';
import { MAX_ROWS } from '../src/core/limits';
import { createRng } from '../src/core/rng';
import type { PlaygroundState } from '../src/core/state';
import {
  checkState,
  decodeState,
  defaultState,
  encodeState,
  MAX_KERNEL_CHARS,
  MAX_TEXT,
  parseState,
  parseStateJson,
  sameState,
  textLengthProblem,
  withHeads,
  withRandomProblem,
} from '../src/core/state';

const restored = (s: PlaygroundState) => parseState(JSON.parse(JSON.stringify(s)));
const word = (length: number) => 'w'.repeat(length);

describe('checkState refuses, at input time, what could not be restored', () => {
  it.each<[string, (s: PlaygroundState) => PlaygroundState, RegExp]>([
    [
      'a cell of 1e39 (infinite in float32)',
      (s) => applyMatrixOp(s, 'q', { kind: 'set', row: 0, col: 0, value: 1e39 }),
      /state\.matrix\.q\[0\]\[0\] is 1e\+39, outside float32's range/,
    ],
    [
      'an imported matrix holding 1e39',
      (s) =>
        applyMatrixOp(s, 'v', {
          kind: 'replace',
          grid: [
            [1, 2],
            [3, 1e39],
            [5, 6],
          ],
        }),
      /state\.matrix\.v\[1\]\[1\] is 1e\+39/,
    ],
    [
      'a NaN cell',
      (s) => applyMatrixOp(s, 'k', { kind: 'set', row: 1, col: 1, value: NaN }),
      /state\.matrix\.k\[1\]\[1\] must be a finite number/,
    ],
    ['a 0×3 import', (s) => applyMatrixOp(s, 'k', { kind: 'replace', grid: [] }), /state\.matrix\.k must be a non-empty array of rows/],
    [
      'a 3×0 import',
      (s) => applyMatrixOp(s, 'k', { kind: 'replace', grid: [[], [], []] }),
      /state\.matrix\.k must have rows of one, non-zero length/,
    ],
    [
      `${MAX_ROWS + 1} rows`,
      (s) => applyMatrixOp(s, 'k', { kind: 'replace', grid: zeros(MAX_ROWS + 1, 3) }),
      new RegExp(`state\\.matrix\\.k has ${MAX_ROWS + 1} rows, more than ${MAX_ROWS}`),
    ],
    [
      `a row inserted into ${MAX_ROWS} rows`,
      (s) => applyMatrixOp({ ...s, matrix: { ...s.matrix, q: zeros(MAX_ROWS, 3) } }, 'q', { kind: 'insert-row', at: 0 }),
      /has 16385 rows/,
    ],
    [
      `a sentence over ${MAX_TEXT} characters`,
      (s) => ({ ...s, sentence: { ...s.sentence, source: word(MAX_TEXT + 1) } }),
      /state\.sentence\.source is longer than 4000 characters/,
    ],
    [
      `model text over ${MAX_TEXT} characters`,
      (s) => ({ ...s, model: { ...s.model, text: word(MAX_TEXT + 1) } }),
      /state\.model\.text is longer than 4000/,
    ],
    [
      `a kernel over ${MAX_KERNEL_CHARS} characters`,
      (s) => ({ ...s, kernels: { qk: word(MAX_KERNEL_CHARS + 1) } }),
      /state\.kernels\.qk must be WGSL text of at most 100000 characters/,
    ],
    [
      `a label over ${MAX_TEXT} characters`,
      (s) => ({ ...s, matrix: { ...s.matrix, keyLabels: ['a', word(MAX_TEXT + 1), 'c'] } }),
      /state\.matrix\.keyLabels\[1\] must be a string of at most 4000 characters/,
    ],
    ['an infinite temperature', (s) => withOptions(s, { temperature: Infinity }), /state\.options\.temperature must be a finite number/],
  ])('%s', (_, edit, message) => {
    const next = edit(defaultState());
    expect(() => checkState(next)).toThrow(InputError);
    expect(() => checkState(next)).toThrow(message);
    // The same message parseState gives reading the saved JSON back (where NaN and ±∞ become null).
    expect(() => restored(next)).toThrow(InputError);
  });

  it('refuses a random problem with more values per matrix than the page holds, before making it', () => {
    expect(() => withRandomProblem(defaultState(), { n: 16384, m: 16, dk: 128, dv: 1, seed: 1 })).toThrow(
      /16384×128 values in one matrix is more than the page holds/,
    );
  });
});

describe('what checkState accepts is restored unchanged', () => {
  it.each<[string, (s: PlaygroundState) => PlaygroundState]>([
    [
      'a 300-letter word taken into matrix mode as a label',
      (s) => ({ ...s, matrix: { ...s.matrix, queryLabels: [word(300), 'b'], keyLabels: ['x', word(300), 'z'] } }),
    ],
    [`a sentence of exactly ${MAX_TEXT} characters`, (s) => ({ ...s, sentence: { ...s.sentence, source: word(MAX_TEXT) } })],
    [`a kernel of exactly ${MAX_KERNEL_CHARS} characters`, (s) => ({ ...s, kernels: { qk: word(MAX_KERNEL_CHARS) } })],
    ['float32 max and a subnormal', (s) => applyMatrixOp(s, 'q', { kind: 'replace', grid: [[3.4028234663852886e38, 1e-45, -0.5]] })],
    [`${MAX_ROWS} rows`, (s) => applyMatrixOp(s, 'k', { kind: 'replace', grid: zeros(MAX_ROWS, 1) })],
  ])('%s', (_, edit) => {
    const next = edit(defaultState());
    expect(() => checkState(next)).not.toThrow();
    expect(sameState(restored(next), next)).toBe(true);
  });

  it('says why text is too long to save, and nothing for text that fits', () => {
    expect(textLengthProblem(word(MAX_TEXT))).toBeNull();
    expect(textLengthProblem(word(MAX_TEXT + 1))).toMatch(/is 4,001 characters long; a saved state or a link holds at most 4,000/);
    expect(textLengthProblem(word(MAX_KERNEL_CHARS + 1), MAX_KERNEL_CHARS)).toMatch(/holds at most 100,000/);
  });
});

/** One random edit of the kinds the page makes (cells, pastes, rows, columns, imports, mask, heads, options, text, kernels). */
function randomEdit(s: PlaygroundState, rng: ReturnType<typeof createRng>): [string, PlaygroundState] {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng.next() * list.length)];
  const int = (max: number) => Math.floor(rng.next() * max);
  // Values of every kind a user can type: ordinary, huge, tiny, beyond float32, non-finite.
  const value = () => pick([rng.next() * 4 - 2, 1e38 * rng.next(), 1e-44, -0, 3.4028235e38, 1e39, -1e39, NaN, Infinity]);
  const name = pick(['q', 'k', 'v'] as const);
  const grid = s.matrix[name];
  const op: MatrixOp = pick<MatrixOp>([
    { kind: 'set', row: int(grid.length), col: int(grid[0].length), value: value() },
    { kind: 'paste', row: int(grid.length + 1), col: int(grid[0].length), block: [[value(), value()]] },
    { kind: 'insert-row', at: int(grid.length + 1) },
    { kind: 'remove-row', at: int(grid.length) },
    { kind: 'insert-col', at: int(grid[0].length + 1) },
    { kind: 'remove-col', at: int(grid[0].length) },
    { kind: 'replace', grid: pick([[], [[]], zeros(1 + int(4), int(3)), [[value()]]]) },
  ]);
  const n = s.matrix.q.length,
    m = s.matrix.k.length;
  return pick<() => [string, PlaygroundState]>([
    () => [`${name} ${JSON.stringify(op)}`, applyMatrixOp(s, name, op)],
    () => [`mask toggle`, applyMaskOp(s, { kind: 'toggle', row: int(n), col: int(m) }, n, m)],
    () => [`padding toggle`, applyMaskOp(s, { kind: 'toggle-padding', key: int(m) }, n, m)],
    () => [`heads`, withHeads(s, pick([1, 2, 3]))],
    () => [`temperature`, withOptions(s, { temperature: pick([0.5, 2, 1e-30, 1e39]) })],
    () => [`sentence`, { ...s, sentence: { ...s.sentence, source: word(pick([5, MAX_TEXT, MAX_TEXT + 1])) } }],
    () => [`labels`, { ...s, matrix: { ...s.matrix, queryLabels: Array.from({ length: n }, () => word(pick([1, 300, MAX_TEXT + 1]))) } }],
    () => [`kernel`, { ...s, kernels: rng.next() < 0.5 ? null : { softmax: word(pick([10, MAX_KERNEL_CHARS + 1])) } }],
    () => [`random problem`, withRandomProblem(s, { n: 1 + int(5), m: 1 + int(5), dk: 1 + int(3), dv: 1 + int(3), seed: int(100) })],
  ])();
}

describe.each([1, 2, 3, 4])('a random sequence of edits (seed %i)', (seed) => {
  it('every state the gate accepts survives storage and a link unchanged', () => {
    const rng = createRng(seed);
    let state = defaultState();
    let accepted = 0;
    for (let step = 0; step < 150; step++) {
      let edit: string, next: PlaygroundState;
      try {
        [edit, next] = randomEdit(state, rng);
      } catch (error) {
        // An edit function may refuse the value itself (withOptions, withHeads): the state is unchanged.
        expect(error, `seed ${seed}, step ${step}`).toBeInstanceOf(InputError);
        continue;
      }
      try {
        checkState(next);
      } catch (error) {
        expect(error, `seed ${seed}, step ${step}: ${edit}`).toBeInstanceOf(InputError);
        continue;
      }
      const where = `seed ${seed}, step ${step}: ${edit}`;
      expect(sameState(parseStateJson(JSON.stringify(next)), next), where).toBe(true);
      expect(sameState(decodeState(encodeState(next)), next), where).toBe(true);
      state = next;
      accepted++;
    }
    expect(accepted).toBeGreaterThan(20);
  });
});
