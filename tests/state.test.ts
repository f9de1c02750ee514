import { DEFAULT_OPTIONS } from '../src/core/options';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import LZString from 'lz-string';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/core/errors';
import { readWholeNumber, wholeNumberProblem } from '../src/core/typed-number';
import { withOptions } from '../src/core/feature-options';
import { UndoHistory } from '../src/core/history';
import { parsePreset } from '../src/core/presets';
import type { PlaygroundState } from '../src/core/state';
import {
  decodeState,
  defaultState,
  MODEL_NUMBERS,
  encodeState,
  MAX_TEXT,
  parseState,
  parseStateJson,
  sameState,
  stateFromPreset,
} from '../src/core/state';

const EXAMPLES = join(import.meta.dirname, '../examples');
const presets = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => parsePreset(JSON.parse(readFileSync(join(EXAMPLES, f), 'utf8')), f));

describe('state links', () => {
  it.each(presets.map((p) => [p.id, p] as const))('%s round-trips through a link unchanged', (_, preset) => {
    const state = stateFromPreset(preset);
    expect(decodeState(encodeState(state))).toEqual(state);
    expect(encodeState(state)).toMatch(/^[A-Za-z0-9+\-$]*$/);
  });

  it('keeps every field: mask, padding, view, variant, edited projections', () => {
    const state: PlaygroundState = {
      ...defaultState(),
      mode: 'sentence',
      mask: [
        [1, 0],
        [0, 1],
      ],
      padding: [3],
      variant: 'fused',
      precision: 'f16',
      kernels: { qk: '@compute @workgroup_size(1) fn main() {}' },
      view: { focusQuery: 2, head: 1, tab: 'compare' },
      options: {
        ...DEFAULT_OPTIONS,
        scale: 0.25,
        temperature: 2,
        causal: true,
        heads: 2,
        window: 3,
        rope: { layout: 'interleaved', base: 500, dims: null, offset: 4 },
      },
      sentence: { ...defaultState().sentence, cross: true, wq: [[1, 2]], valueLabels: ['a', 'b'] },
    };
    expect(decodeState(encodeState(state))).toEqual(state);
  });

  it.each([
    ['an empty link', ''],
    ['garbage', 'not-a-real-state'],
    ['a link cut in half', encodeState(defaultState()).slice(0, 40)],
  ])('rejects %s with an InputError', (_, text) => {
    expect(() => decodeState(text)).toThrow(InputError);
  });
});

describe('parseState', () => {
  const valid = () => JSON.parse(JSON.stringify(defaultState()));

  it('fills missing fields from the defaults', () => {
    expect(parseState({ version: 1 })).toEqual(defaultState());
  });

  it('reads the storage precision, float32 when a state saved before it has none, and names a bad one', () => {
    expect(parseState({ ...valid(), precision: 'f16' }).precision).toBe('f16');
    const older = valid();
    delete older.precision;
    expect(parseState(older).precision).toBe('f32');
    expect(() => parseState({ ...valid(), precision: 'f64' })).toThrow(/state\.precision/);
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the test spoils arbitrary fields of plain JSON
  it.each<[string, (s: Record<string, any>) => void, RegExp]>([
    ['a wrong version', (s) => (s.version = 2), /state.version is 2/],
    ['a non-finite cell', (s) => (s.matrix.q[0][1] = 'x'), /state.matrix.q\[0\]\[1\] must be a finite number/],
    ['a ragged matrix', (s) => (s.matrix.k = [[1, 2], [3]]), /state.matrix.k must have rows/],
    ['an empty matrix', (s) => (s.matrix.v = []), /state.matrix.v must be a non-empty array/],
    ['zero temperature', (s) => (s.options.temperature = 0), /temperature must be positive/],
    ['a fractional head count', (s) => (s.options.heads = 1.5), /heads must be an integer/],
    ['an unknown scale', (s) => (s.options.scale = 'half'), /scale must be/],
    ['an unknown mode', (s) => (s.mode = 'video'), /mode must be one of matrix, sentence/],
    ['an unknown tab', (s) => (s.view.tab = 'x'), /tab must be one of/],
    ['a huge sentence', (s) => (s.sentence.source = 'a'.repeat(MAX_TEXT + 1)), /longer than/],
    ['a negative padding index', (s) => (s.padding = [-1]), /padding\[0\] must be an integer/],
    ['labels that are not strings', (s) => (s.matrix.queryLabels = [1]), /queryLabels\[0\] must be a string of at most 4000 characters/],
    ['an array instead of an object', (s) => (s.options = []), /state.options must be an object/],
    ['a kernel for an unknown stage', (s) => (s.kernels = { vertex: '' }), /state.kernels.vertex is not a stage/],
    ['a kernel that is not text', (s) => (s.kernels = { qk: 1 }), /state.kernels.qk must be WGSL text/],
    [
      'K/V heads that do not divide the heads',
      (s) => Object.assign(s.options, { heads: 4, kvHeads: 3 }),
      /kvHeads \(3\) must divide heads \(4\)/,
    ],
    ['a window of 0', (s) => (s.options.window = 0), /state.options.window must be an integer from 1/],
    ['a softcap of 0', (s) => (s.options.softcap = 0), /state.options.softcap must be a positive finite number/],
    [
      'sinks for the wrong number of heads',
      (s) => Object.assign(s.options, { heads: 2, sinks: [1] }),
      /sinks must hold one sink logit per head \(2\), not 1/,
    ],
    [
      'ALiBi slopes for the wrong number of heads',
      (s) => (s.options.alibi = [0.5, 0.25]),
      /alibi must hold one slope per head \(1\), not 2/,
    ],
    ['an unknown ALiBi setting', (s) => (s.options.alibi = 'steep'), /state.options.alibi must be an array/],
    ['an odd number of RoPE dims', (s) => (s.options.rope = { layout: 'half', dims: 3 }), /state.options.rope.dims must be even/],
    ['an unknown RoPE layout', (s) => (s.options.rope = { layout: 'spiral' }), /rope.layout must be one of interleaved, half/],
    ['a RoPE base of 1', (s) => (s.options.rope = { base: 1 }), /rope.base must be greater than 1/],
  ])('rejects %s, naming the field', (_, spoil, message) => {
    const s = valid();
    spoil(s);
    expect(() => parseState(s)).toThrow(InputError);
    expect(() => parseState(s)).toThrow(message);
  });

  it('rejects a valid link whose JSON is not a state', () => {
    expect(() => decodeState(LZString.compressToEncodedURIComponent('[1,2,3]'))).toThrow(
      /state is an array of 3 items, not a playground state/,
    );
  });

  it('parses saved JSON and says when it is not JSON', () => {
    expect(sameState(parseStateJson(JSON.stringify(defaultState())), defaultState())).toBe(true);
    expect(() => parseStateJson('{oops', 'saved state')).toThrow(/saved state is not valid JSON/);
  });
});

describe('the features in links, saved states and undo', () => {
  const featured = (): PlaygroundState => ({
    ...defaultState(),
    options: {
      ...DEFAULT_OPTIONS,
      heads: 4,
      kvHeads: 2,
      causal: true,
      rope: { layout: 'half', base: 500000, dims: 2, offset: -7 },
      window: 5,
      alibi: [0.5, 0.25, 0.125, 0.0625],
      softcap: 30,
      sinks: [0, -1.5, 2, 0.25],
    },
  });

  it('round-trips every feature option through a link and through saved JSON', () => {
    const state = featured();
    expect(decodeState(encodeState(state))).toEqual(state);
    expect(parseStateJson(JSON.stringify(state))).toEqual(state);
    const standard = { ...state, options: { ...state.options, alibi: 'standard' as const, rope: null, kvHeads: null } };
    expect(decodeState(encodeState(standard))).toEqual(standard);
  });

  it('reads a state saved before the features as all of them off', () => {
    const old = JSON.parse(JSON.stringify(defaultState()));
    for (const key of ['kvHeads', 'rope', 'window', 'alibi', 'softcap', 'sinks']) delete old.options[key];
    expect(parseState(old).options).toEqual(DEFAULT_OPTIONS);
  });

  it('undoes a feature edit and redoes it', () => {
    const history = new UndoHistory<PlaygroundState>();
    const before = defaultState();
    const after = withOptions(before, { window: 2 });
    history.record(before, null);
    expect(history.undo(after)).toBe(before);
    expect(history.redo(before)).toBe(after);
  });
});

describe('stateFromPreset', () => {
  it('takes a matrix preset with its labels and options', () => {
    const p = presets.find((x) => x.id === 'worked-3d')!;
    const s = stateFromPreset(p);
    expect(s.mode).toBe('matrix');
    expect(s.presetId).toBe('worked-3d');
    expect(s.matrix.keyLabels).toEqual(['cat', 'sat', 'on']);
    expect(s.options.scale).toBe('none');
  });

  it('takes a sentence preset with its hand-set projections', () => {
    const p = presets.find((x) => x.id === 'dog-ball')!;
    const s = stateFromPreset(p);
    expect(s.mode).toBe('sentence');
    expect(s.sentence.source).toMatch(/bouncing/);
    expect(s.sentence.wk?.length).toBe(100);
    expect(s.view.focusQuery).toBe(6);
  });
});

describe('UndoHistory', () => {
  it('undoes and redoes in order', () => {
    const h = new UndoHistory<number>();
    h.record(1, null, 0);
    h.record(2, null, 10);
    expect(h.undo(3)).toBe(2);
    expect(h.undo(2)).toBe(1);
    expect(h.undo(1)).toBeNull();
    expect(h.redo(1)).toBe(2);
    expect(h.redo(2)).toBe(3);
    expect(h.redo(3)).toBeNull();
  });

  it('collapses a burst of edits with one key into one step', () => {
    const h = new UndoHistory<string>(10, 1000);
    h.record('a', 'cell', 0);
    h.record('ab', 'cell', 300);
    h.record('abc', 'cell', 600);
    h.record('abcd', 'other', 700);
    expect(h.undo('abcde')).toBe('abcd');
    expect(h.undo('abcd')).toBe('a');
  });

  it('starts a new step after a pause, and a new edit clears redo', () => {
    const h = new UndoHistory<number>(10, 1000);
    h.record(1, 'k', 0);
    h.record(2, 'k', 5000);
    expect(h.undo(3)).toBe(2);
    h.record(2, null, 6000);
    expect(h.canRedo).toBe(false);
  });

  it.each([
    ['within one burst', 300],
    ['across bursts', 5000],
  ])('a run of one key that comes back to the very snapshot it began from leaves no step (%s)', (_, gap) => {
    const h = new UndoHistory<{ heads: number }>(10, 1000);
    const earlier = { heads: 1 };
    const start = { heads: 4 };
    const six = { heads: 6 };
    h.record(earlier, null, 0);
    h.record(start, 'heads', 10_000);
    h.left(six);
    // A refused "65" puts `start` back: the run's steps go, so Undo is no no-op.
    h.record(six, 'heads', 10_000 + gap);
    h.left(start);
    expect(h.undo(start)).toBe(earlier);
    expect(h.canUndo).toBe(false);
    expect(h.redo(earlier)).toBe(start);
  });

  it('after a run left no step, the next edit of its key is a step of its own', () => {
    const h = new UndoHistory<{ heads: number }>(10, 1000);
    const start = { heads: 4 };
    h.record(start, 'heads', 0);
    h.left({ heads: 6 });
    h.record({ heads: 6 }, 'heads', 100);
    h.left(start);
    h.record(start, 'heads', 200);
    expect(h.undo({ heads: 8 })).toBe(start);
  });

  it.each([
    ['an equal state that is another object', (start: { heads: number }) => ({ ...start }), 'heads'],
    ['the snapshot reached under another key', (start: { heads: number }) => start, 'other'],
  ])('keeps the steps for %s', (_, after, key) => {
    const h = new UndoHistory<{ heads: number }>(10, 1000);
    const start = { heads: 4 };
    const six = { heads: 6 };
    h.record(start, 'heads', 0);
    h.left(six);
    h.record(six, key, 100);
    h.left(after(start));
    expect(h.canUndo).toBe(true);
    expect(h.undo(after(start))).toBe(key === 'heads' ? start : six);
  });

  it('keeps at most `limit` steps', () => {
    const h = new UndoHistory<number>(3);
    for (let i = 0; i < 10; i++) h.record(i, null, i * 10_000);
    expect([h.undo(10), h.undo(9), h.undo(8), h.undo(7)]).toEqual([9, 8, 7, null]);
  });
});

describe('whole-number boxes and the saved fields behind them take the same values', () => {
  it('model mode: each box’s bounds are the saved state’s, and text outside them is named with the box', () => {
    for (const [name, box] of Object.entries(MODEL_NUMBERS)) {
      const saved = (x: number) => JSON.stringify({ ...defaultState(), model: { ...defaultState().model, [name]: x } });
      expect((parseStateJson(saved(box.max)).model as unknown as Record<string, number>)[name]).toBe(box.max);
      expect((parseStateJson(saved(box.min)).model as unknown as Record<string, number>)[name]).toBe(box.min);
      expect(() => parseStateJson(saved(box.max + 1))).toThrow(`state.model.${name} must be an integer from ${box.min} to ${box.max}`);
      expect(wholeNumberProblem(box, String(box.max))).toBeNull();
      expect(wholeNumberProblem(box, String(box.max + 1))).toBe(
        `${box.label} must be a whole number from ${box.min} to ${box.max}, got "${box.max + 1}"`,
      );
    }
    expect(readWholeNumber(MODEL_NUMBERS.topK, ' 7 ')).toBe(7);
    expect(() => readWholeNumber(MODEL_NUMBERS.topK, '1.5')).toThrow(RangeError);
    expect(wholeNumberProblem(MODEL_NUMBERS.seed, '')).toBe(
      'seed must be a whole number from -2147483648 to 2147483647, got nothing (or no number)',
    );
    expect(wholeNumberProblem(MODEL_NUMBERS.seed, '-2147483648')).toBeNull();
  });
});
