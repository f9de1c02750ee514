/**
 * The heatmaps' colour scales: which colour a value gets, the automatic colour domain, the text
 * colour that reads on a cell, and a value written in a few characters. The scales' colours
 * (d3-scale-chromatic) are data, not theme: they stay whatever the page's colours are, so they
 * are chosen to read on light and dark pages alike and for colour-blind eyes: viridis and inferno
 * (perceptually uniform, monotone in lightness, readable with any colour-vision deficiency) and
 * ColorBrewer's RdBu (marked colour-blind safe) for signed values.
 */
import { interpolateInferno, interpolateRdBu, interpolateViridis } from 'd3-scale-chromatic';
import { format } from 'd3-format';

/**
 * probability: [0, 1], viridis (dark purple to yellow). diverging: symmetric around 0, blue to red.
 * log: positive magnitudes (errors) on a log10 axis, inferno (dark to light); exact zeros are white.
 */
export type ColourScale = 'probability' | 'diverging' | 'log';

/** Colours that belong to the scales, not the theme: they stay whatever the page's colours are. */
export const SCALE = {
  nan: '#ff00aa',
  logInfinity: '#4a0d67',
  logZero: '#ffffff',
  darkText: '#000000',
  lightText: '#ffffff',
  cellLines: 'rgba(255,255,255,0.7)',
};

export const fmt2f = format('.2f');
export const fmtExp = format('.1~e');
const fmt3 = format('.3~g');
const fmt4 = format('.4~g');

/** A cell's value as its table shows it: four significant digits, masked cells named. */
export function tableValue(x: number): string {
  if (x === -Infinity) return 'masked';
  if (x === Infinity) return '∞';
  if (Number.isNaN(x)) return 'NaN';
  return fmt4(x).replace('-', '−');
}

/** A cell's value in a few characters. */
export function shortValue(x: number, colour: ColourScale): string {
  if (x === -Infinity) return '−∞';
  if (x === Infinity) return '∞';
  if (Number.isNaN(x)) return 'NaN';
  if (colour === 'probability') return fmt2f(x);
  if (colour === 'log') return x === 0 ? '0' : fmtExp(x);
  const a = Math.abs(x);
  return (a !== 0 && (a < 0.001 || a >= 1e5) ? fmtExp(x) : fmt3(x)).replace('-', '−');
}

/** The colour domain: fixed for probabilities, symmetric for diverging, decades for log. */
export function autoDomain(values: ArrayLike<number>, colour: ColourScale): [number, number] {
  if (colour === 'probability') return [0, 1];
  let maxAbs = 0,
    minPos = Infinity,
    maxPos = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (!Number.isFinite(x)) continue;
    maxAbs = Math.max(maxAbs, Math.abs(x));
    if (x > 0) {
      minPos = Math.min(minPos, x);
      maxPos = Math.max(maxPos, x);
    }
  }
  if (colour === 'diverging') return [-(maxAbs || 1), maxAbs || 1];
  if (maxPos === 0) return [1e-9, 1e-8];
  const hi = 10 ** Math.ceil(Math.log10(maxPos));
  const lo = Math.max(10 ** Math.floor(Math.log10(minPos)), hi / 1e8);
  return [lo, lo === hi ? hi * 10 : hi];
}

export const LUT_SIZE = 256;
const INTERPOLATORS: Record<ColourScale, (t: number) => string> = {
  probability: (t) => interpolateViridis(t),
  diverging: (t) => interpolateRdBu(1 - t),
  // Inferno's last tenth is near-white: kept off, so the largest errors never look like the white of an exact zero.
  log: (t) => interpolateInferno(0.12 + 0.78 * t),
};

/** 256 colours per scale, as CSS strings and as RGB bytes (for the per-pixel path of huge maps). */
export const LUTS = Object.fromEntries(
  (Object.keys(INTERPOLATORS) as ColourScale[]).map((scale) => {
    const css = Array.from({ length: LUT_SIZE }, (_, i) => INTERPOLATORS[scale](i / (LUT_SIZE - 1)));
    const rgb = new Uint8ClampedArray(LUT_SIZE * 3);
    css.forEach((c, i) => rgb.set(parseRgb(c), i * 3));
    return [scale, { css, rgb }];
  }),
) as Record<ColourScale, { css: string[]; rgb: Uint8ClampedArray }>;

/** The red, green and blue bytes of #rgb, #rrggbb or rgb(...). */
export function parseRgb(colour: string): number[] {
  if (colour.startsWith('#') && colour.length === 4) return [1, 2, 3].map((i) => parseInt(colour[i] + colour[i], 16));
  if (colour.startsWith('#')) return [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  return (colour.match(/\d+/g) ?? ['255', '255', '255']).slice(0, 3).map(Number);
}

/** Position of a value on its scale, 0…1; NaN for values drawn specially (exact zeros on a log scale). */
export function scalePosition(x: number, colour: ColourScale, [lo, hi]: [number, number]): number {
  if (colour !== 'log') return clamp01((x - lo) / (hi - lo || 1));
  if (x === 0) return NaN;
  return clamp01((Math.log10(Math.max(x, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo) || 1));
}

/** The colour of one value under a scale and domain. */
export function colourOf(x: number, colour: ColourScale, domain: [number, number]): string {
  if (colour === 'log' && x === Infinity) return SCALE.logInfinity;
  const t = scalePosition(x, colour, domain);
  return Number.isNaN(t) ? SCALE.logZero : LUTS[colour].css[Math.round(t * (LUT_SIZE - 1))];
}

const clamp01 = (t: number) => (t < 0 ? 0 : t > 1 ? 1 : t);

/** WCAG relative luminance of an rgb(...) or #rrggbb colour. */
export function relativeLuminance(colour: string): number {
  const [r, g, b] = parseRgb(colour).map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Black or white text, whichever has the higher contrast on an rgb(...) or #rrggbb background (never below 4.5:1). */
export function textColourOn(background: string): string {
  return contrastRatio(background, SCALE.darkText) >= contrastRatio(background, SCALE.lightText) ? SCALE.darkText : SCALE.lightText;
}
