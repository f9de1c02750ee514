/**
 * The additive translation preset (examples/translation-additive.json, scripts/make-presets.ts):
 * its weights are built so each French word attends its English word, the swap of “zone
 * économique européenne” ↔ “European Economic Area” included. Checked from the file through the
 * float64 reference, and one score worked by hand from the construction.
 */
import { describe, expect, it } from 'vitest';
import type { MatrixPreset } from '../src/core/presets';
import { parsePreset, presetMatrices } from '../src/core/presets';
import { attentionReference } from '../src/core/reference';
import file from '../examples/translation-additive.json';

const preset = parsePreset(file) as MatrixPreset;
const ref = attentionReference(presetMatrices(preset), preset.options);
const m = preset.k.length;
const row = (i: number) => Array.from(ref.probs.data.subarray(i * m, (i + 1) * m));

// French word → the English word it translates (by label, so the swap reads as words).
const ALIGNED: [string, string][] = [
  ['L’', 'The'],
  ['accord', 'agreement'],
  ['sur', 'on'],
  ['la', 'the'],
  ['zone', 'Area'],
  ['économique', 'Economic'],
  ['européenne', 'European'],
  ['a', 'was'],
  ['été', 'was'],
  ['signé', 'signed'],
  ['en', 'in'],
  ['août', 'August'],
  ['1992', '1992'],
];

describe('translation-additive: the alignment of Bahdanau et al., by construction', () => {
  it('uses the additive score with Q and K of different widths', () => {
    expect(preset.options.score).toBe('additive');
    expect(preset.options.scale).toBe('none');
    expect(preset.q[0].length).not.toBe(preset.k[0].length);
  });

  it.each(ALIGNED.map(([fr, en], i) => [fr, en, i] as const))('%s attends %s with weight > 0.8', (fr, en, i) => {
    expect(preset.queryLabels![i]).toBe(fr);
    const weights = row(i);
    const best = weights.indexOf(Math.max(...weights));
    expect(preset.keyLabels![best]).toBe(en);
    expect(weights[best]).toBeGreaterThan(0.8);
  });

  it('scores an aligned pair as worked by hand', () => {
    // zone (i = 4) and Area (j = 6): unit 4's pre-activation is 6 + 6 − 9 = 3, tanh 3 = 0.99505;
    // every other unit r has [i = r] = 0 and gives tanh(6·[j = j_r] − 9): for Area only unit 4
    // aligns with it, so the 12 others give tanh(−9) = −0.99999997. raw = 3·(0.99505 − 12·0.99999997).
    const raw = 3 * (Math.tanh(3) + 12 * Math.tanh(-9));
    expect(ref.raw.data[4 * m + 6]).toBeCloseTo(raw, 10);
    expect(raw).toBeCloseTo(-33.015, 3);
  });

  it('the expected weights in the file are the reference’s (regenerate with make-presets if not)', () => {
    const expected = preset.expect!.probs!.flat();
    Array.from(ref.probs.data).forEach((p, idx) => expect(p).toBeCloseTo(expected[idx], 10));
  });
});
