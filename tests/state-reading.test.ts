/**
 * Reading a state from outside: a saved state field by field (parseStateLeniently: one bad field
 * costs that field, not the whole state), a link strictly (readState), and both naming the fields
 * this page does not read.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/core/errors';
import { DEFAULT_OPTIONS } from '../src/core/options';
import { DEFAULT_PROFILE_FORM } from '../src/core/profile-form';
import { checkState, defaultState, parseStateLeniently, readState } from '../src/core/state';
import type { PlaygroundState } from '../src/core/state';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tests spoil arbitrary fields of plain JSON
type Json = Record<string, any>;

/** A saved state as JSON.parse gives it back, with some changes that are not the defaults. */
function saved(): Json {
  const state: PlaygroundState = {
    ...defaultState(),
    mode: 'sentence',
    presetId: 'worked-3d',
    padding: [1],
    options: { ...DEFAULT_OPTIONS, causal: true, heads: 2 },
    sentence: { ...defaultState().sentence, source: 'a dog barked' },
    view: { focusQuery: 1, head: 1, tab: 'compare' },
  };
  return JSON.parse(JSON.stringify(state));
}

describe('parseStateLeniently', () => {
  it('reads a good state as parseState does, dropping nothing', () => {
    const value = saved();
    const reading = parseStateLeniently(value);
    expect(reading).toEqual({ state: value, dropped: [], unknown: [] });
  });

  it.each<[string, (s: Json) => void, { field: string; message: RegExp }[]]>([
    [
      'a bad option',
      (s) => (s.options.heads = 0),
      [{ field: 'options.heads', message: /^state\.options\.heads must be an integer from 1 to 64$/ }],
    ],
    ['a bad mask', (s) => (s.mask = [[1, 'x']]), [{ field: 'mask', message: /^state\.mask\[0\]\[1\] must be a finite number$/ }]],
    [
      'two bad fields, named in the state’s order',
      (s) => {
        s.view.tab = 'nowhere';
        s.sentence.dk = -1;
      },
      [
        { field: 'sentence.dk', message: /^state\.sentence\.dk must be an integer from 1 to 512$/ },
        { field: 'view.tab', message: /^state\.view\.tab must be one of attention, compare, lab, profiler$/ },
      ],
    ],
    ['a field of the wrong type', (s) => (s.padding = 'all'), [{ field: 'padding', message: /^state\.padding must be an array/ }]],
  ])(
    '%s: that field (or only its bad key) gets its default, named with the validator’s message; the rest is restored',
    (_, damage, expected) => {
      const value = saved();
      damage(value);
      const { state, dropped, unknown } = parseStateLeniently(value);
      expect(dropped.map((d) => d.field)).toEqual(expected.map((e) => e.field));
      dropped.forEach((d, i) => expect(d.message).toMatch(expected[i].message));
      const defaults = defaultState() as unknown as Record<string, Record<string, unknown>>;
      const good = saved();
      for (const [key, read] of Object.entries(state)) {
        // A key dropped alone takes its default within the field kept; a field dropped whole takes the field's.
        const keys = dropped.filter((d) => d.field.startsWith(`${key}.`)).map((d) => d.field.slice(key.length + 1));
        const whole = dropped.some((d) => d.field === key);
        const expectedValue = whole
          ? defaults[key]
          : keys.length
            ? { ...good[key], ...Object.fromEntries(keys.map((k) => [k, defaults[key][k]])) }
            : good[key];
        expect(read, key).toEqual(expectedValue);
      }
      expect(unknown).toEqual([]);
      expect(() => checkState(state)).not.toThrow();
    },
  );

  it('fields that read well alone but disagree (matrix.scoring and the options’ score) give up the options, keeping the matrices', () => {
    const value = saved();
    value.mode = 'matrix';
    value.options = { ...DEFAULT_OPTIONS, score: 'general', causal: true };
    // General scores need W of d_q × d_k = 3 × 3; this one is 2 × 2.
    value.matrix.scoring = {
      w: [
        [1, 0],
        [0, 1],
      ],
      wq: null,
      wk: null,
      v: null,
    };
    const { state, dropped } = parseStateLeniently(value);
    expect(dropped).toHaveLength(1);
    expect(dropped[0].field).toBe('options');
    expect(dropped[0].message).toMatch(/^state\.matrix\.scoring: /);
    expect(state.options).toEqual(DEFAULT_OPTIONS);
    expect(state.matrix).toEqual(value.matrix);
    expect(state.mode).toBe('matrix');
    expect(() => checkState(state)).not.toThrow();
  });

  it.each([
    ['a newer version', { ...saved(), version: 2 }, /^state\.version is 2; this page reads version 1$/],
    ['no version', { mode: 'matrix' }, /^state is an object without a version field \(its fields: mode\), not a playground state$/],
    ['an empty object', {}, /^state is an empty object, not a playground state$/],
    ['a number', 42, /^state is a number \(42\), not a playground state$/],
    ['not an object', [1, 2], /^state is an array of 2 items, not a playground state$/],
    ['null', null, /^state is null, not a playground state$/],
  ])('%s is not read field by field: an InputError', (_, value, message) => {
    expect(() => parseStateLeniently(value)).toThrow(InputError);
    expect(() => parseStateLeniently(value)).toThrow(message);
  });

  it('names the fields this page does not read, at every depth it reads by known keys, but not the stage names of kernels', () => {
    const value = saved();
    value.foo = 1;
    value.options.bar = true;
    value.options.rope = { layout: 'half', base: 10000, dims: null, offset: 0, scaling: 2 };
    value.matrix.scoring.extra = null;
    value.view.profile = { ns: [64], colour: 'red' };
    value.kernels = { qk: '// my kernel' };
    const { state, dropped, unknown } = parseStateLeniently(value);
    expect(dropped).toEqual([]);
    expect([...unknown].sort()).toEqual(['foo', 'matrix.scoring.extra', 'options.bar', 'options.rope.scaling', 'view.profile.colour']);
    expect(state.kernels).toEqual({ qk: '// my kernel' });
    expect(state).not.toHaveProperty('foo');
  });

  it('names the unknown fields of a field kept but for its bad key, once (not again for the try that failed)', () => {
    const value = saved();
    value.options = { ...value.options, heads: 0, bar: 1 };
    value.view.baz = 2;
    const { dropped, unknown } = parseStateLeniently(value);
    expect(dropped.map((d) => d.field)).toEqual(['options.heads']);
    expect(unknown).toEqual(['options.bar', 'view.baz']);
  });

  it('one bad key of the view does not cost the rest of it (the Profiler form typed stays)', () => {
    const value = saved();
    value.view = { ...value.view, tab: 'profiler', labStage: 'bogus', profile: { ...DEFAULT_PROFILE_FORM, ns: [64, 128] } };
    const { state, dropped } = parseStateLeniently(value);
    expect(dropped.map((d) => d.field)).toEqual(['view.labStage']);
    expect(state.view.tab).toBe('profiler');
    expect(state.view.profile?.ns).toEqual([64, 128]);
    expect(state.view.labStage).toBeUndefined();
  });

  it('a field with more bad keys than it gives up alone gets its default whole', () => {
    const value = saved();
    value.options = {
      ...value.options,
      heads: 0,
      causal: 'x',
      temperature: 'y',
      scale: {},
      score: 3,
      activation: 4,
      kvHeads: 'z',
      window: 'w',
      softcap: 'v',
    };
    const { dropped } = parseStateLeniently(value);
    expect(dropped.map((d) => d.field)).toContain('options');
  });
});

describe('readState (links: strict)', () => {
  it('names the fields it ignored', () => {
    const value = { ...saved(), foo: 1, options: { ...saved().options, bar: 2 } };
    const { state, dropped, unknown } = readState(value);
    expect(dropped).toEqual([]);
    expect(unknown).toEqual(['foo', 'options.bar']);
    expect(state).toEqual(saved());
  });

  it('throws the first bad field, as parseState does', () => {
    const value = saved();
    value.options.heads = 0;
    expect(() => readState(value)).toThrow('state.options.heads must be an integer from 1 to 64');
  });

  it('a reading that failed leaves nothing behind: the next one names only its own unknown fields', () => {
    expect(() => readState({ ...saved(), foo: 1, mask: 'x' })).toThrow(InputError);
    expect(readState(saved()).unknown).toEqual([]);
  });
});
