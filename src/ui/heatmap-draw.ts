/**
 * Heatmaps on a 2-D canvas: layout (labels on both axes, a colour legend, optional row sums) and
 * drawing. Kept apart from the element so the PNG export draws the same picture with a title.
 */
import { interpolateBlues, interpolateRdBu, interpolateYlOrRd } from 'd3-scale-chromatic';
import { format } from 'd3-format';

/**
 * probability: [0, 1], white to blue. diverging: symmetric around 0, blue to red.
 * log: positive magnitudes (errors) on a log10 axis, yellow to red; exact zeros are white.
 */
export type ColourScale = 'probability' | 'diverging' | 'log';

export interface HeatmapSpec {
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  rowLabels: readonly string[];
  colLabels: readonly string[];
  /** Labels drawn as "unknown" (italic, orange, with a ?): words without a real vector. */
  rowMarked?: readonly boolean[] | null;
  colMarked?: readonly boolean[] | null;
  colour: ColourScale;
  /** Overrides the automatic colour domain. */
  domain?: [number, number] | null;
  highlightRow?: number;
  selected?: readonly [number, number] | null;
  rowSums?: boolean;
  rowAxis: string;
  colAxis: string;
  maxWidth: number;
  /** Largest cell side (default 56). */
  maxCell?: number;
  /** Drawn above everything (used for the PNG export). */
  title?: string;
  /** Colours besides the scale's (default: the design tokens' light values). */
  ink?: HeatmapInk;
}

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

/** Colours that belong to the scales, not the theme: they stay whatever the page's colours are. */
const SCALE = {
  nan: '#ff00aa',
  logInfinity: '#4a0d67',
  logZero: '#ffffff',
  darkText: '#1d1d1f',
  lightText: '#ffffff',
  cellLines: 'rgba(255,255,255,0.7)',
};

export interface HeatmapLayout {
  cell: number;
  left: number;
  top: number;
  gridW: number;
  gridH: number;
  width: number;
  height: number;
  titleH: number;
  legendTop: number;
  sumsLeft: number;
  showValues: boolean;
  rowEvery: number;
  colEvery: number;
  colAngle: number;
  domain: [number, number];
  hasMasked: boolean;
}

export const FONT = '12px system-ui, -apple-system, "Segoe UI", sans-serif';
const SMALL_FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
const TITLE_FONT = '600 14px system-ui, -apple-system, "Segoe UI", sans-serif';
const MAX_LABEL = 14;
const SUMS_W = 52;

const fmt3 = format('.3~g');
const fmt2f = format('.2f');
const fmtExp = format('.1~e');

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

export function truncate(label: string): string {
  return label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label;
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

const LUT_SIZE = 256;
const INTERPOLATORS: Record<ColourScale, (t: number) => string> = {
  probability: (t) => interpolateBlues(0.04 + 0.96 * t),
  diverging: (t) => interpolateRdBu(1 - t),
  log: (t) => interpolateYlOrRd(0.08 + 0.92 * t),
};

/** 256 colours per scale, as CSS strings and as RGB bytes (for the per-pixel path of huge maps). */
const LUTS = Object.fromEntries(
  (Object.keys(INTERPOLATORS) as ColourScale[]).map((scale) => {
    const css = Array.from({ length: LUT_SIZE }, (_, i) => INTERPOLATORS[scale](i / (LUT_SIZE - 1)));
    const rgb = new Uint8ClampedArray(LUT_SIZE * 3);
    css.forEach((c, i) => rgb.set(parseRgb(c), i * 3));
    return [scale, { css, rgb }];
  }),
) as Record<ColourScale, { css: string[]; rgb: Uint8ClampedArray }>;

function parseRgb(colour: string): number[] {
  if (colour.startsWith('#')) return [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  return (colour.match(/\d+/g) ?? ['255', '255', '255']).slice(0, 3).map(Number);
}

/** Position of a value on its scale, 0…1; NaN for values drawn specially (exact zeros on a log scale). */
function scalePosition(x: number, colour: ColourScale, [lo, hi]: [number, number]): number {
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

/** Black or white text, whichever reads better on an rgb(...) or #rrggbb background. */
export function textColourOn(background: string): string {
  const rgb = parseRgb(background);
  const luminance = (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]) / 255;
  return luminance > 0.55 ? SCALE.darkText : SCALE.lightText;
}

function maxTextWidth(ctx: CanvasRenderingContext2D, labels: readonly string[]): number {
  let w = 0;
  for (const l of labels) w = Math.max(w, ctx.measureText(truncate(l)).width);
  return w;
}

export function layoutHeatmap(ctx: CanvasRenderingContext2D, spec: HeatmapSpec): HeatmapLayout {
  ctx.font = FONT;
  const { rows, cols } = spec;
  const rowLabelW = Math.ceil(maxTextWidth(ctx, spec.rowLabels)) + 10;
  const colLabelW = Math.ceil(maxTextWidth(ctx, spec.colLabels));
  const left = Math.max(rowLabelW, 56);
  const sums = spec.rowSums ? SUMS_W : 0;
  const fit = (reserve: number) => {
    const available = Math.max(40, spec.maxWidth - left - sums - reserve);
    return Math.max(2, Math.min(spec.maxCell ?? 56, Math.floor(available / Math.max(cols, 1)), Math.floor(720 / Math.max(rows, 1)) || 2));
  };
  const angleFor = (size: number) => (colLabelW + 6 <= size ? 0 : size >= 15 ? Math.PI / 4 : Math.PI / 2);
  let cell = fit(12);
  // Slanted labels stick out to the right of the grid: leave room for them.
  const slantOverhang = Math.ceil(colLabelW * Math.cos(Math.PI / 4));
  if (angleFor(cell) === Math.PI / 4) cell = fit(Math.max(12, slantOverhang - sums));
  const colAngle = angleFor(cell);
  const labelSpan = colAngle === 0 ? 16 : Math.ceil(colLabelW * Math.sin(colAngle)) + 12;
  const titleH = spec.title ? 26 : 0;
  // One line for the key-axis name, then the column labels.
  const top = titleH + 15 + labelSpan + 2;
  const gridW = cell * cols,
    gridH = cell * rows;
  const rightOverhang = colAngle === Math.PI / 4 ? slantOverhang : 0;
  const width = Math.max(left + gridW + sums + Math.max(8, rightOverhang - sums), left + 160);
  const legendTop = top + gridH + 10;
  let hasMasked = false;
  for (let i = 0; i < spec.values.length && !hasMasked; i++) hasMasked = spec.values[i] === -Infinity;
  return {
    cell,
    left,
    top,
    gridW,
    gridH,
    width,
    titleH,
    height: legendTop + legendHeight(spec, hasMasked),
    legendTop,
    sumsLeft: left + gridW + 8,
    showValues: cell >= 22 && rows * cols <= 1024 && widestValue(ctx, spec, cell) + 4 <= cell,
    rowEvery: Math.max(1, Math.ceil(13 / cell)),
    colEvery: Math.max(1, Math.ceil((colAngle === 0 ? colLabelW + 6 : 13) / cell)),
    colAngle,
    domain: spec.domain ?? autoDomain(spec.values, spec.colour),
    hasMasked,
  };
}

/** Width of the widest value as drawn in a cell (values are only printed when they all fit). */
function widestValue(ctx: CanvasRenderingContext2D, spec: HeatmapSpec, cell: number): number {
  ctx.font = cell >= 44 ? FONT : SMALL_FONT;
  let longest = '';
  for (let i = 0; i < spec.values.length; i++) {
    const text = shortValue(spec.values[i], spec.colour);
    if (text.length > longest.length) longest = text;
  }
  const width = ctx.measureText(longest).width;
  ctx.font = FONT;
  return width;
}

let measuring: CanvasRenderingContext2D | null = null;

/** The cell size a map would get, without drawing it (to line up another map's rows with it). */
export function measureCell(spec: HeatmapSpec): number {
  measuring ??= document.createElement('canvas').getContext('2d');
  return measuring ? layoutHeatmap(measuring, spec).cell : 24;
}

export function cellAt(layout: HeatmapLayout, rows: number, cols: number, x: number, y: number): [number, number] | null {
  const col = Math.floor((x - layout.left) / layout.cell);
  const row = Math.floor((y - layout.top) / layout.cell);
  return row >= 0 && row < rows && col >= 0 && col < cols ? [row, col] : null;
}

export function drawHeatmap(ctx: CanvasRenderingContext2D, spec: HeatmapSpec, L: HeatmapLayout): void {
  const ink = spec.ink ?? DEFAULT_INK;
  ctx.clearRect(0, 0, L.width, L.height);
  ctx.fillStyle = ink.background;
  ctx.fillRect(0, 0, L.width, L.height);
  if (spec.title) {
    ctx.font = TITLE_FONT;
    ctx.fillStyle = ink.text;
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    ctx.fillText(spec.title, 6, 6);
  }
  drawCells(ctx, spec, L);
  drawLabels(ctx, spec, L);
  if (spec.rowSums) drawRowSums(ctx, spec, L);
  drawLegend(ctx, spec, L);
}

/** Maps with cells of a few pixels: one pixel per cell in an ImageData, scaled up without smoothing. */
function drawCellsAsImage(ctx: CanvasRenderingContext2D, spec: HeatmapSpec, L: HeatmapLayout): void {
  const ink = spec.ink ?? DEFAULT_INK;
  const { rows, cols, values } = spec;
  const image = new ImageData(cols, rows);
  const { rgb } = LUTS[spec.colour];
  for (let idx = 0; idx < rows * cols; idx++) {
    const x = values[idx];
    const t = x === -Infinity || Number.isNaN(x) || x === Infinity ? NaN : scalePosition(x, spec.colour, L.domain);
    const o = idx * 4;
    if (Number.isNaN(t)) {
      const masked = x === -Infinity ? 236 : x === 0 ? 255 : -1;
      if (masked >= 0) image.data.set([masked, masked, masked, 255], o);
      else image.data.set([255, 0, 170, 255], o);
      continue;
    }
    const k = Math.round(t * (LUT_SIZE - 1)) * 3;
    image.data.set([rgb[k], rgb[k + 1], rgb[k + 2], 255], o);
  }
  const bitmap = document.createElement('canvas');
  bitmap.width = cols;
  bitmap.height = rows;
  bitmap.getContext('2d')!.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(bitmap, L.left, L.top, L.gridW, L.gridH);
  ctx.strokeStyle = ink.axis;
  ctx.strokeRect(L.left - 0.5, L.top - 0.5, L.gridW + 1, L.gridH + 1);
}

function drawCells(ctx: CanvasRenderingContext2D, spec: HeatmapSpec, L: HeatmapLayout): void {
  const ink = spec.ink ?? DEFAULT_INK;
  const { rows, cols, values } = spec;
  const { cell, left, top } = L;
  if (cell <= 4 && rows * cols > 4096) return drawCellsAsImage(ctx, spec, L);
  ctx.font = cell >= 44 ? FONT : SMALL_FONT;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const x = values[i * cols + j];
      const px = left + j * cell,
        py = top + i * cell;
      if (x === -Infinity) {
        drawMasked(ctx, ink, px, py, cell);
        continue;
      }
      const fill = Number.isNaN(x) ? SCALE.nan : colourOf(x, spec.colour, L.domain);
      ctx.fillStyle = fill;
      ctx.fillRect(px, py, cell, cell);
      if (L.showValues) {
        ctx.fillStyle = textColourOn(fill);
        ctx.fillText(shortValue(x, spec.colour), px + cell / 2, py + cell / 2 + 0.5);
      }
    }
  }
  if (cell >= 8) {
    ctx.strokeStyle = SCALE.cellLines;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 1; i < rows; i++) line(ctx, left, top + i * cell, left + L.gridW, top + i * cell);
    for (let j = 1; j < cols; j++) line(ctx, left + j * cell, top, left + j * cell, top + L.gridH);
    ctx.stroke();
  }
  ctx.strokeStyle = ink.axis;
  ctx.strokeRect(left - 0.5, top - 0.5, L.gridW + 1, L.gridH + 1);
  const h = spec.highlightRow ?? -1;
  if (h >= 0 && h < rows && rows > 1) {
    ctx.strokeStyle = ink.text;
    ctx.lineWidth = 2;
    ctx.strokeRect(left - 1, top + h * cell - 1, L.gridW + 2, cell + 2);
  }
  if (spec.selected) {
    const [r, c] = spec.selected;
    ctx.strokeStyle = ink.highlight;
    ctx.lineWidth = 3;
    ctx.strokeRect(left + c * cell - 1.5, top + r * cell - 1.5, cell + 3, cell + 3);
  }
  ctx.lineWidth = 1;
}

function line(ctx: CanvasRenderingContext2D, x0: number, y0: number, x1: number, y1: number): void {
  ctx.moveTo(x0 + 0.5, y0 + 0.5);
  ctx.lineTo(x1 + 0.5, y1 + 0.5);
}

/** Masked cells: grey with a diagonal hatch, so "−∞" never reads as a small number. */
function drawMasked(ctx: CanvasRenderingContext2D, ink: HeatmapInk, px: number, py: number, size: number): void {
  ctx.fillStyle = ink.maskedFill;
  ctx.fillRect(px, py, size, size);
  if (size < 6) return;
  ctx.save();
  ctx.beginPath();
  ctx.rect(px, py, size, size);
  ctx.clip();
  ctx.strokeStyle = ink.maskedLine;
  ctx.beginPath();
  const step = Math.max(4, Math.floor(size / 4));
  for (let d = -size; d < size; d += step) line(ctx, px + d, py + size, px + d + size, py);
  ctx.stroke();
  ctx.restore();
}

function drawLabels(ctx: CanvasRenderingContext2D, spec: HeatmapSpec, L: HeatmapLayout): void {
  const ink = spec.ink ?? DEFAULT_INK;
  const { cell, left, top } = L;
  ctx.font = FONT;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'right';
  for (let i = 0; i < spec.rows; i += L.rowEvery) {
    styleLabel(ctx, ink, spec.rowMarked?.[i], i === spec.highlightRow && spec.rows > 1);
    ctx.fillText(labelText(spec.rowLabels[i] ?? String(i), spec.rowMarked?.[i]), left - 6, top + i * cell + cell / 2);
  }
  for (let j = 0; j < spec.cols; j += L.colEvery) {
    styleLabel(ctx, ink, spec.colMarked?.[j], false);
    const text = labelText(spec.colLabels[j] ?? String(j), spec.colMarked?.[j]);
    const cx = left + j * cell + cell / 2;
    if (L.colAngle === 0) {
      ctx.textAlign = 'center';
      ctx.fillText(text, cx, top - 10);
    } else {
      ctx.save();
      ctx.translate(cx, top - 6);
      ctx.rotate(-L.colAngle);
      ctx.textAlign = 'left';
      ctx.fillText(text, 0, 0);
      ctx.restore();
    }
  }
  // Axis names: the key axis above its labels, the query axis in the corner above the row labels.
  ctx.font = SMALL_FONT;
  ctx.fillStyle = ink.muted;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  ctx.fillText(`${spec.colAxis} →`, left, L.titleH + 1);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'bottom';
  ctx.fillText(`${spec.rowAxis} ↓`, left - 6, top - 2);
}

function labelText(label: string, marked: boolean | undefined): string {
  return truncate(label) + (marked ? '?' : '');
}

function styleLabel(ctx: CanvasRenderingContext2D, ink: HeatmapInk, marked: boolean | undefined, bold: boolean): void {
  ctx.font = `${marked ? 'italic ' : ''}${bold ? '600 ' : ''}${FONT}`;
  ctx.fillStyle = marked ? ink.marked : ink.text;
}

function drawRowSums(ctx: CanvasRenderingContext2D, spec: HeatmapSpec, L: HeatmapLayout): void {
  const ink = spec.ink ?? DEFAULT_INK;
  ctx.font = SMALL_FONT;
  ctx.fillStyle = ink.muted;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'bottom';
  ctx.fillText('row Σ', L.sumsLeft, L.top - 4);
  if (L.cell < 11) return;
  ctx.textBaseline = 'middle';
  ctx.fillStyle = ink.text;
  for (let i = 0; i < spec.rows; i += L.rowEvery) {
    let sum = 0;
    for (let j = 0; j < spec.cols; j++) {
      const x = spec.values[i * spec.cols + j];
      if (Number.isFinite(x)) sum += x;
    }
    ctx.fillText(spec.colour === 'probability' ? fmt2f(sum) : shortValue(sum, 'diverging'), L.sumsLeft, L.top + i * L.cell + L.cell / 2);
  }
}

function drawLegend(ctx: CanvasRenderingContext2D, spec: HeatmapSpec, L: HeatmapLayout): void {
  const ink = spec.ink ?? DEFAULT_INK;
  const x0 = L.left,
    y0 = L.legendTop,
    w = Math.min(200, Math.max(130, L.gridW)),
    h = 10;
  const [lo, hi] = L.domain;
  const steps = 64;
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    const value = spec.colour === 'log' ? 10 ** (Math.log10(lo) + t * (Math.log10(hi) - Math.log10(lo))) : lo + t * (hi - lo);
    ctx.fillStyle = colourOf(value, spec.colour, L.domain);
    ctx.fillRect(x0 + (s * w) / steps, y0, w / steps + 1, h);
  }
  ctx.strokeStyle = ink.axis;
  ctx.strokeRect(x0 - 0.5, y0 - 0.5, w + 1, h + 1);
  ctx.font = SMALL_FONT;
  ctx.fillStyle = ink.text;
  ctx.textBaseline = 'top';
  const ticks: [number, string][] =
    spec.colour === 'log'
      ? [
          [0, fmtExp(lo)],
          [1, fmtExp(hi)],
        ]
      : spec.colour === 'probability'
        ? [
            [0, '0'],
            [0.5, '0.5'],
            [1, '1'],
          ]
        : [
            [0, shortValue(lo, 'diverging')],
            [0.5, '0'],
            [1, shortValue(hi, 'diverging')],
          ];
  for (const [t, text] of ticks) {
    ctx.textAlign = t === 0 ? 'left' : t === 1 ? 'right' : 'center';
    ctx.fillText(text, x0 + t * w, y0 + h + 3);
  }
  // Swatches for what the gradient cannot show, on a second line.
  let x = x0;
  const y = y0 + 30;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  if (spec.colour === 'log') {
    ctx.fillStyle = SCALE.logZero;
    ctx.fillRect(x, y, 11, 11);
    ctx.strokeRect(x - 0.5, y - 0.5, 12, 12);
    ctx.fillStyle = ink.text;
    ctx.fillText('exact (0)', x + 16, y + 6);
    x += 84;
  }
  if (L.hasMasked) {
    drawMasked(ctx, ink, x, y, 12);
    ctx.strokeRect(x - 0.5, y - 0.5, 13, 13);
    ctx.fillStyle = ink.text;
    ctx.fillText('masked (−∞)', x + 17, y + 6);
  }
}

function legendHeight(spec: HeatmapSpec, hasMasked: boolean): number {
  return spec.colour === 'log' || hasMasked ? 50 : 30;
}
