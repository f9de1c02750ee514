/**
 * What a heatmap draws besides its colour scale, read from the design tokens (tokens.css).
 */
/**
 * What a heatmap draws besides its colour scale: background, labels, axes, focus and masked cells.
 * A canvas cannot use CSS custom properties, so the element reads these from the design tokens
 * (tokens.css) when it draws; DEFAULT_INK holds their values for a canvas drawn without them.
 */
export interface HeatmapInk {
  background: string;
  text: string;
  muted: string;
  axis: string;
  highlight: string;
  marked: string;
  maskedFill: string;
  maskedLine: string;
}

export const DEFAULT_INK: HeatmapInk = {
  background: '#fff',
  text: '#1d1d1f',
  muted: '#6b6b70',
  axis: '#9a9a9a',
  highlight: '#ff8a00',
  marked: '#b45309',
  maskedFill: '#ececec',
  maskedLine: '#c4c4c4',
};

const INK_TOKENS: Record<keyof HeatmapInk, string> = {
  background: '--attn-color-surface',
  text: '--attn-color-text',
  muted: '--attn-color-text-muted',
  axis: '--attn-color-axis',
  highlight: '--attn-color-highlight',
  marked: '--attn-color-marked',
  maskedFill: '--attn-color-masked-fill',
  maskedLine: '--attn-color-masked-line',
};

/** The ink the design tokens give an element (DEFAULT_INK for any token it does not see). */
export function inkFrom(element: Element): HeatmapInk {
  const style = getComputedStyle(element);
  const ink = { ...DEFAULT_INK };
  for (const key of Object.keys(INK_TOKENS) as (keyof HeatmapInk)[]) ink[key] = style.getPropertyValue(INK_TOKENS[key]).trim() || ink[key];
  return ink;
}
