/**
 * Heatmaps on a 2-D canvas: the drawing (cells, labels, row sums, colour legend) into a layout from
 * heatmap-layout.ts. Kept apart from the element so the PNG export draws the same picture with a title.
 */
import type { HeatmapInk } from './heatmap-ink';
import { DEFAULT_INK } from './heatmap-ink';
import type { HeatmapLayout, HeatmapSpec } from './heatmap-layout';
import { FONT, layoutHeatmap, NOTES_OFFSET, SMALL_FONT, TITLE_FONT, TITLE_X, truncate } from './heatmap-layout';
import { colourOf, fmt2f, fmtExp, LUT_SIZE, LUTS, parseRgb, SCALE, scalePosition, shortValue, textColourOn } from './heatmap-scale';

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
    ctx.fillText(spec.title, TITLE_X, 6);
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
  const masked = [...parseRgb(ink.maskedFill), 255];
  const zero = [...parseRgb(SCALE.logZero), 255];
  const nan = [...parseRgb(SCALE.nan), 255];
  for (let idx = 0; idx < rows * cols; idx++) {
    const x = values[idx];
    const t = x === -Infinity || Number.isNaN(x) || x === Infinity ? NaN : scalePosition(x, spec.colour, L.domain);
    const o = idx * 4;
    if (Number.isNaN(t)) {
      image.data.set(x === -Infinity ? masked : x === 0 ? zero : nan, o);
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
  if (spec.rowNotes) ctx.fillText(spec.rowNotes.label, L.sumsLeft + NOTES_OFFSET, L.top - 4);
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
  // The row notes (the sink's share) in the marked colour, so they do not read as part of the sum.
  const notes = spec.rowNotes;
  if (!notes) return;
  ctx.fillStyle = ink.marked;
  for (let i = 0; i < spec.rows; i += L.rowEvery)
    ctx.fillText(fmt2f(notes.values[i]), L.sumsLeft + NOTES_OFFSET, L.top + i * L.cell + L.cell / 2);
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

/** Pixels per CSS pixel of an exported PNG. */
export const PNG_SCALE = 2;

/** A map drawn for export: at PNG_SCALE times its CSS size, with the spec's title (the canvas is as wide as the title needs). */
export function heatmapExportCanvas(spec: HeatmapSpec): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d')!;
  const layout = layoutHeatmap(ctx, spec);
  canvas.width = Math.ceil(layout.width * PNG_SCALE);
  canvas.height = Math.ceil(layout.height * PNG_SCALE);
  ctx.setTransform(PNG_SCALE, 0, 0, PNG_SCALE, 0, 0);
  drawHeatmap(ctx, spec, layout);
  return canvas;
}

/** A map as a PNG (the export: drawn again, with the spec's title). */
export function heatmapPng(spec: HeatmapSpec): Promise<Blob> {
  const canvas = heatmapExportCanvas(spec);
  return new Promise((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas could not be encoded as PNG'))), 'image/png'),
  );
}
