/**
 * A heatmap's geometry on a 2-D canvas: cell size, margins for the labels on both axes, the legend
 * and the optional row sums, and which cell a point falls in. drawHeatmap (heatmap-draw.ts) draws
 * into this layout.
 */
import type { HeatmapInk } from './heatmap-ink';
import type { ColourScale } from './heatmap-scale';
import { autoDomain, shortValue } from './heatmap-scale';

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
  /** One more number per row, drawn after the row sums under its own heading (the sink's share). */
  rowNotes?: RowNotes | null;
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

/** A column of per-row numbers beside the row sums: a heading and one value per row. */
export interface RowNotes {
  label: string;
  values: ArrayLike<number>;
}

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
export const SMALL_FONT = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
export const TITLE_FONT = '600 14px system-ui, -apple-system, "Segoe UI", sans-serif';
const MAX_LABEL = 14;
const SUMS_W = 52;
/** Left edge of the row notes' column, from the row sums' left edge. */
export const NOTES_OFFSET = 44;

/** Left edge of the title (and its margin on the right). */
export const TITLE_X = 6;

/** Width of a title drawn in TITLE_FONT. */
export function titleWidth(ctx: CanvasRenderingContext2D, title: string): number {
  const font = ctx.font;
  ctx.font = TITLE_FONT;
  const width = Math.ceil(ctx.measureText(title).width);
  ctx.font = font;
  return width;
}

export function truncate(label: string): string {
  return label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label;
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
  const sums = spec.rowSums ? SUMS_W + (spec.rowNotes ? NOTES_OFFSET : 0) : 0;
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
  // The title (the PNG export's) is never cut: the picture is at least as wide as it, with its margins.
  const titleW = spec.title ? titleWidth(ctx, spec.title) + 2 * TITLE_X : 0;
  const width = Math.max(left + gridW + sums + Math.max(8, rightOverhang - sums), left + 160, titleW);
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

function legendHeight(spec: HeatmapSpec, hasMasked: boolean): number {
  return spec.colour === 'log' || hasMasked ? 50 : 30;
}
