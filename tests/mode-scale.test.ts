import { describe, expect, it } from 'vitest';
import { withMode } from '../src/core/mode';
import { describeScale } from '../src/core/options';
import type { ScaleSetting } from '../src/core/options';
import { parsePreset } from '../src/core/presets';
import { defaultState, stateFromPreset } from '../src/core/state';
import type { Mode } from '../src/core/state';

describe('withMode', () => {
  it.each([
    ['none', 'default'],
    [0.5, 'default'],
    ['default', 'default'],
  ] as [ScaleSetting, ScaleSetting][])('entering sentence mode with scale %s uses %s', (before, after) => {
    const matrix = { ...defaultState(), mode: 'matrix' as Mode };
    const state = { ...matrix, options: { ...matrix.options, scale: before } };
    const next = withMode(state, 'sentence');
    expect(next.mode).toBe('sentence');
    expect(next.options.scale).toBe(after);
    expect(next.options.causal).toBe(state.options.causal);
  });

  it.each(['matrix', 'model'] as Mode[])('switching to %s mode keeps the scale', (mode) => {
    const sentence = { ...defaultState(), mode: 'sentence' as Mode };
    const state = { ...sentence, options: { ...sentence.options, scale: 'none' as ScaleSetting } };
    expect(withMode(state, mode).options.scale).toBe('none');
  });

  it('choosing the mode already shown changes nothing', () => {
    const state = { ...defaultState(), mode: 'sentence' as Mode, options: { ...defaultState().options, scale: 'none' as ScaleSetting } };
    expect(withMode(state, 'sentence')).toBe(state);
  });
});

describe('sentence presets', () => {
  it('a sentence preset without a scale of its own runs at 1/√d_k', () => {
    const preset = parsePreset({ id: 's', name: 'S', description: 'a sentence', mode: 'sentence', source: 'the cat sat' });
    expect(stateFromPreset(preset).options.scale).toBe('default');
  });
});

describe('describeScale', () => {
  it.each([
    ['default', 8, 'scale 1/√d_k = 0.354'],
    ['default', 16, 'scale 1/√d_k = 0.25'],
    ['none', 8, 'scale none (1)'],
    [0.5, 8, 'scale 0.5 (custom)'],
  ] as [ScaleSetting, number, string][])('%s with d_k %i → %s', (scale, dk, text) => expect(describeScale(scale, dk)).toBe(text));
});
