/**
 * The heatmaps' colour scales read in both themes and for colour-blind eyes: text printed on any
 * cell of any scale keeps WCAG AA contrast (4.5:1), the sequential scales are monotone in lightness
 * (so order survives any colour-vision deficiency and greyscale), and the tab keys of every tablist
 * move as the WAI-ARIA tab pattern says.
 */
import { describe, expect, it } from 'vitest';
import type { ColourScale } from '../src/ui/heatmap-scale';
import { contrastRatio, LUTS, relativeLuminance, SCALE, tableValue, textColourOn } from '../src/ui/heatmap-scale';
import { tabKeyTarget } from '../src/ui/tab-keys';

const SCALES: ColourScale[] = ['probability', 'diverging', 'log'];

describe.each(SCALES)('the %s scale', (scale) => {
  it('prints values on every one of its colours with at least 4.5:1 contrast', () => {
    const worst = LUTS[scale].css
      .map((colour) => ({ colour, ratio: contrastRatio(colour, textColourOn(colour)) }))
      .reduce((a, b) => (b.ratio < a.ratio ? b : a));
    expect(worst.ratio, `on ${worst.colour}`).toBeGreaterThanOrEqual(4.5);
  });
});

describe.each(['probability', 'log'] as const)('the sequential %s scale', (scale) => {
  it('gets lighter from its low end to its high end (order reads without hue)', () => {
    const lum = LUTS[scale].css.map(relativeLuminance);
    const drops = lum.slice(1).filter((l, i) => l < lum[i] - 1e-3);
    expect(drops).toEqual([]);
    expect(lum[lum.length - 1] - lum[0]).toBeGreaterThan(0.5);
  });
});

describe('special cells', () => {
  it.each([
    ['NaN', SCALE.nan],
    ['an exact zero on the log scale', SCALE.logZero],
    ['an infinite error', SCALE.logInfinity],
  ])('text on %s reads (≥ 4.5:1)', (_, colour) => {
    expect(contrastRatio(colour, textColourOn(colour))).toBeGreaterThanOrEqual(4.5);
  });

  it.each([
    [-Infinity, 'masked'],
    [0.2, '0.2'],
    [-1.23456, '−1.235'],
    [Number.NaN, 'NaN'],
  ])('the values table writes %s as %s', (x, text) => {
    expect(tableValue(x)).toBe(text);
  });
});

describe('contrast ratio', () => {
  it.each([
    ['#000000', '#ffffff', 21],
    ['#fff', '#fff', 1],
    ['rgb(119, 119, 119)', '#ffffff', 4.48],
  ])('%s on %s is %s:1', (a, b, ratio) => {
    expect(contrastRatio(a, b)).toBeCloseTo(ratio, 2);
  });
});

describe('tab keys (WAI-ARIA tab pattern)', () => {
  it.each([
    ['ArrowRight', 0, 4, 1],
    ['ArrowRight', 3, 4, 0],
    ['ArrowLeft', 0, 4, 3],
    ['ArrowLeft', 2, 4, 1],
    ['Home', 2, 4, 0],
    ['End', 1, 4, 3],
    ['ArrowDown', 1, 4, null],
    ['Enter', 1, 4, null],
    ['ArrowRight', 0, 0, null],
  ])('%s from tab %i of %i goes to %s', (key, from, count, to) => {
    expect(tabKeyTarget(key, from, count)).toBe(to);
  });
});
