/**
 * The Profiler tab's form as data (src/core/profile-form.ts): the sweep it describes, a bad field
 * named, a config put back into the form and read out again unchanged, and the form kept in the
 * page's state (saved, in links) with a bad saved value named. No GPU, no DOM.
 */
import { describe, expect, it } from 'vitest';
import { alibiSlopes } from '../src/core/features';
import { DEFAULT_OPTIONS } from '../src/core/options';
import type { ProfileConfig } from '../src/core/profile-report';
import { resolveConfig } from '../src/core/profile-report';
import type { ProfileForm } from '../src/core/profile-form';
import { DEFAULT_PROFILE_FORM, FORM_NUMBERS, formFromConfig, formNumber, formToConfig } from '../src/core/profile-form';
import { decodeState, defaultState, encodeState, parseStateJson, withProfileForm } from '../src/core/state';
import { PEER_NAMES, PROFILE_VARIANT_NAMES } from '../src/gpu/profile';
import { VARIANT_NAMES } from '../src/gpu/variants';

const boxes = PROFILE_VARIANT_NAMES;
const form = (patch: Partial<ProfileForm>): ProfileForm => ({ ...DEFAULT_PROFILE_FORM, ...patch });

describe('the sweep a form describes', () => {
  it('the default form: N 64…512, dk = dv = 64, one head, the built-in variants and tfjs, no features', () => {
    const c = formToConfig(DEFAULT_PROFILE_FORM, boxes, null);
    expect(c).toEqual({
      ns: [64, 128, 256, 512],
      dk: 64,
      dv: 64,
      heads: 1,
      causal: false,
      variants: ['naive', 'tiled', 'fused', 'tfjs'],
      warmup: 2,
      repeats: 5,
      seed: 1,
      decode: [],
      features: { kvHeads: null },
      baselines: [],
    });
    expect(() => resolveConfig(c)).not.toThrow();
    // Core cannot import the engine's names: the default must follow them by hand, and this says when it does not.
    expect(DEFAULT_PROFILE_FORM.variants).toEqual([...VARIANT_NAMES, ...PEER_NAMES]);
  });

  it('reads the typed fields: custom N, decode, dv, K/V heads, more variants, baselines, seed, fit from', () => {
    const c = formToConfig(
      form({
        ns: [512, 64],
        customNs: '96; 64  384',
        decode: '32768, 4096',
        dv: ' 32 ',
        heads: 8,
        kvHeads: '2',
        variants: ['fused', 'tfjs', 'naive'],
        moreVariants: 'fused-16splits,fused-64splits fused-16splits',
        baselines: 'fused-16splits',
        seed: 42,
        fitFrom: ' 384 ',
      }),
      boxes,
      null,
    );
    expect(c.ns).toEqual([64, 96, 384, 512]);
    expect(c.seed).toBe(42);
    expect(c.fitFromN).toBe(384);
    expect(resolveConfig({ ...c, variants: ['fused'], baselines: [], features: {} }).fitFromN).toBe(384);
    // Empty: the upper half of the sweep, as without --fit-from.
    expect(resolveConfig(formToConfig(form({ fitFrom: '' }), boxes, null)).fitFromN).toBeNull();
    expect(c.decode).toEqual([32768, 4096]);
    expect(c.dv).toBe(32);
    expect(c.features).toEqual({ kvHeads: 2 });
    // Ticked variants in the checkboxes' order, then the named ones, each once.
    expect(c.variants).toEqual(['naive', 'fused', 'tfjs', 'fused-16splits', 'fused-64splits']);
    expect(c.baselines).toEqual(['fused-16splits']);
  });

  it('takes the Features panel’s features only when asked, fitted to the form’s heads', () => {
    const options = { ...DEFAULT_OPTIONS, heads: 1, alibi: [0.5], window: 16 };
    expect(formToConfig(form({ heads: 4 }), boxes, options).features).toEqual({ kvHeads: null });
    expect(formToConfig(form({ heads: 4, withFeatures: true, kvHeads: '2' }), boxes, options).features).toEqual({
      rope: null,
      window: 16,
      alibi: [0.5, ...alibiSlopes(4).slice(1)],
      softcap: null,
      sinks: null,
      kvHeads: 2,
    });
    // What the form has no field for (a config's features other than K/V heads) passes through; the form's seed wins.
    const extra: Partial<ProfileConfig> = { seed: 7, features: { softcap: 20 }, cpuReferenceLimit: 10 };
    const c = formToConfig(form({ kvHeads: '' }), boxes, options, extra);
    expect(c.seed).toBe(1);
    expect(c.cpuReferenceLimit).toBe(10);
    expect(c.features).toEqual({ softcap: 20, kvHeads: null });
  });

  it.each([
    [{ customNs: '96, 1.5, x' }, 'custom N values must be positive integers: 1.5, x'],
    [{ decode: '0' }, 'decode key counts must be positive integers: 0'],
    [{ dv: '8 9' }, 'dv takes one number, got "8 9"'],
    [{ kvHeads: '-2' }, 'K/V heads must be a positive integer, got "-2"'],
    [{ dv: '0' }, 'dv must be a positive integer, got "0"'],
    [{ ns: [], customNs: '' }, 'choose at least one N'],
    // Numbers are read as the terminal reads --n: a plain decimal, not hex.
    [{ customNs: '0x40, 96' }, 'custom N values must be positive integers: 0x40'],
    [{ decode: 'Infinity' }, 'decode key counts must be positive integers: Infinity'],
    [{ fitFrom: '1e3x' }, '"exponents from N ≥" must be a positive integer, got "1e3x"'],
    [{ fitFrom: 'zz' }, '"exponents from N ≥" must be a positive integer, got "zz"'],
    [{ fitFrom: '64 128' }, '"exponents from N ≥" takes one number, got "64 128"'],
    // Fewer than two N from there on: no exponent could be fitted, so Run refuses as a refit does.
    [{ ns: [16, 32], fitFrom: '100000' }, "exponents from N ≥ 100000: a fit needs two N at least, and this sweep's N are 16, 32"],
    [{ ns: [16, 32], fitFrom: '32' }, "exponents from N ≥ 32: a fit needs two N at least, and this sweep's N are 16, 32"],
  ])('names a bad field: %j', (patch, message) => {
    expect(() => formToConfig(form(patch), boxes, null)).toThrow(new RangeError(message));
  });

  it("reads the lists' numbers as the terminal reads --n, and fits from an N that leaves two", () => {
    const c = formToConfig(form({ ns: [16, 32], customNs: '1e2, +48', decode: '064', fitFrom: '32', dv: '16.0' }), boxes, null);
    expect(c.ns).toEqual([16, 32, 48, 100]);
    expect(c.decode).toEqual([64]);
    expect(c.dv).toBe(16);
    expect(c.fitFromN).toBe(32);
  });

  it('reads a number field within its bounds, and names the field, the bounds and the text otherwise', () => {
    expect(formNumber('dk', ' 64 ')).toBe(64);
    expect(formNumber('warmup', '0')).toBe(0);
    expect(formNumber('seed', '9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => formNumber('dk', '0')).toThrow(new RangeError('dk must be a whole number from 1 to 65536, got "0"'));
    expect(() => formNumber('heads', '2.5')).toThrow('heads must be a whole number from 1 to 1024, got "2.5"');
    expect(() => formNumber('repeats', '1001')).toThrow('repeats must be a whole number from 1 to 1000, got "1001"');
    expect(() => formNumber('warmup', '-1')).toThrow('warm-ups must be a whole number from 0 to 1000, got "-1"');
    expect(() => formNumber('seed', '')).toThrow('seed must be a whole number from 0 to 9007199254740991, got nothing (or no number)');
    // A saved form is read with the same bounds as the boxes.
    for (const [name, { min, max }] of Object.entries(FORM_NUMBERS)) {
      const saved = (x: number) => JSON.stringify({ ...defaultState(), view: { ...defaultState().view, profile: { [name]: x } } });
      expect((parseStateJson(saved(max)).view.profile as unknown as Record<string, number>)[name]).toBe(max);
      expect(() => parseStateJson(saved(min - 1))).toThrow(`state.view.profile.${name} must be an integer from ${min} to ${max}`);
    }
  });

  it('a config put into the form reads back as the same sweep', () => {
    const configs: ProfileConfig[] = [
      {
        ns: [16, 96, 1024],
        dk: 8,
        dv: 12,
        heads: 4,
        causal: true,
        variants: ['fused', 'fused-2splits', 'tiled'],
        warmup: 0,
        repeats: 1,
        seed: 99,
        fitFromN: 96,
        decode: [64, 4096],
        features: { kvHeads: 2 },
        baselines: ['fused-2splits'],
      },
      {
        ns: [64],
        dk: 64,
        dv: 64,
        heads: 1,
        causal: false,
        variants: ['naive'],
        warmup: 2,
        repeats: 5,
        seed: 1,
        decode: [],
        features: { kvHeads: null },
        baselines: [],
      },
    ];
    for (const c of configs) {
      const back = formToConfig(formFromConfig(DEFAULT_PROFILE_FORM, c, boxes), boxes, null);
      expect({ ...back, variants: [...back.variants].sort() }).toEqual({ ...c, variants: [...c.variants].sort() });
    }
    // Only the parts given change.
    expect(formFromConfig(form({ dk: 32, kvHeads: '2' }), { repeats: 9 }, boxes)).toEqual(form({ dk: 32, kvHeads: '2', repeats: 9 }));
    // A config that names no fit range (a stored result's null among them) empties the field.
    expect(formFromConfig(form({ fitFrom: '256' }), { fitFromN: undefined }, boxes).fitFrom).toBe('');
    expect(formFromConfig(form({ fitFrom: '256' }), {}, boxes).fitFrom).toBe('256');
  });
});

describe('the form in the page’s state', () => {
  const edited = form({
    ns: [16, 4096],
    customNs: '96',
    decode: '32768',
    dk: 128,
    dv: '64',
    heads: 32,
    kvHeads: '8',
    causal: true,
    withFeatures: true,
    variants: ['fused'],
    moreVariants: 'fused-64splits',
    baselines: 'fused-64splits',
    warmup: 1,
    repeats: 9,
    seed: 12345,
    fitFrom: '4096',
  });

  it('goes through a link and a saved state unchanged; a state without one has none', () => {
    const state = { ...defaultState(), view: { ...defaultState().view, tab: 'profiler' as const, profile: edited } };
    expect(decodeState(encodeState(state)).view.profile).toEqual(edited);
    expect(parseStateJson(JSON.stringify(state)).view.profile).toEqual(edited);
    expect(decodeState(encodeState(defaultState())).view.profile).toBeUndefined();
    // A saved form missing fields (an older page's) gets the defaults for them.
    const partial = { ...state, view: { ...state.view, profile: { dk: 32 } } };
    expect(parseStateJson(JSON.stringify(partial)).view.profile).toEqual(form({ dk: 32 }));
  });

  it.each([
    [{ dk: 0 }, 'state.view.profile.dk must be an integer from 1 to 65536'],
    [{ ns: [100] }, 'state.view.profile.ns[0] must be one of 16, 32, 64'],
    [{ variants: 'fused' }, 'state.view.profile.variants must be an array of at most 64 variant names'],
    [{ causal: 'yes' }, 'state.view.profile.causal must be true or false'],
    [{ baselines: 7 }, 'state.view.profile.baselines must be a string'],
    [{ seed: -1 }, 'state.view.profile.seed must be an integer from 0 to 9007199254740991'],
    [{ fitFrom: 64 }, 'state.view.profile.fitFrom must be a string'],
    ['x', 'state.view.profile must be an object'],
  ])('names a bad saved value: %j', (profile, message) => {
    const json = JSON.stringify({ ...defaultState(), view: { ...defaultState().view, profile } });
    expect(() => parseStateJson(json)).toThrow(message);
  });
});

describe('the form outside the undo history', () => {
  it('withProfileForm puts the typed form on an older snapshot or an example, and leaves a state without one to give as it is', () => {
    const typed = form({ heads: 8, kvHeads: '2' });
    const older = { ...defaultState(), view: { ...defaultState().view, profile: form({ heads: 2 }) } };
    expect(withProfileForm(older, typed).view.profile).toBe(typed);
    expect(withProfileForm(older, typed).matrix).toBe(older.matrix);
    expect(withProfileForm(defaultState(), typed).view).toEqual({ ...defaultState().view, profile: typed });
    expect(withProfileForm(older, undefined)).toBe(older);
    expect(withProfileForm(older, older.view.profile)).toBe(older);
  });
});
