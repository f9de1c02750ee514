/**
 * The profiler's two uPlot charts, built from a ProfileResult: time against N (log-log, one line per
 * variant and stage, the fitted exponent written on the chart) and GFLOP/s against N (with the
 * measured FMA peak). Also their export as PNG, legend and title included, through a canvas.
 */
import uPlot from 'uplot';
import type { BenchCard } from '../core/bench-card';
import { cardLabel, cardRows } from '../core/bench-card';
import type { FitRow, ProfileResult, ProfileRow } from '../core/profile-report';
import { findFit, rowTime, stageColumns, sweepRows } from '../core/profile-report';
import { attainableGflops } from '../core/cost';

export type PlotKind = 'time' | 'gflops';

const COLORS: Record<string, string> = { naive: '#c62828', tiled: '#1565c0', fused: '#2e7d32', tfjs: '#ef6c00' };
const PALETTE = ['#6a1b9a', '#00838f', '#5d4037', '#ad1457', '#455a64'];
const DASHES: Record<string, number[]> = { qk: [8, 4], softmax: [2, 4], pv: [12, 4, 2, 4], layout: [1, 3] };

function variantColor(variant: string, variants: readonly string[]): string {
  return COLORS[variant] ?? PALETTE[Math.max(0, variants.indexOf(variant)) % PALETTE.length];
}

interface SeriesSpec {
  label: string;
  color: string;
  dash?: number[];
  width: number;
  values: (number | null)[];
  /** Fitted exponent to print on the chart next to the line's last point. */
  fit?: FitRow['fit'] | null;
}

export interface PlotSpec {
  title: string;
  yLabel: string;
  xs: number[];
  series: SeriesSpec[];
}

const positive = (x: number | null | undefined) => (x !== null && x !== undefined && x > 0 && Number.isFinite(x) ? x : null);

function column(result: Pick<ProfileResult, 'rows'>, xs: number[], variant: string, value: (row: ProfileRow) => number | null | undefined) {
  // The variant's rows by N (the first one at each N), so a card of thousands of rows is read in one pass.
  const byN = new Map<number, ProfileRow>();
  for (const r of sweepRows(result.rows)) if (r.variant === variant && !r.error && !byN.has(r.n)) byN.set(r.n, r);
  return xs.map((n) => {
    const row = byN.get(n);
    return row ? positive(value(row)) : null;
  });
}

/** The N the plot's straight-line exponents were fitted over, in words. */
export function fitRange(result: Pick<ProfileResult, 'config'>): string {
  return result.config.fitFromN ? `N ≥ ${result.config.fitFromN}` : 'upper half of the sweep';
}

function isFlat(fits: readonly FitRow[], variant: string, stage: string): boolean {
  return fits.some((f) => f.variant === variant && f.stage === stage && f.flat);
}

/** A series label's exponent: " (∝ N^p)", " (flat: no exponent)" when the times do not vary (the results say why), or nothing. */
function exponentLabel(fits: readonly FitRow[], variant: string, stage: string): string {
  if (isFlat(fits, variant, stage)) return ' (flat: no exponent)';
  const fit = findFit(fits, variant, stage);
  return fit ? ` (∝ N^${fit.exponent.toFixed(2)})` : '';
}

/**
 * Time against N: per variant its total (the timestamp span when measured, else the passes' sum,
 * else wall) and, for multi-pass variants, each stage. A loaded benchmark card adds its variants'
 * totals, thin and dashed, labelled with its device.
 */
export function timePlotSpec(result: ProfileResult, comparison: BenchCard | null = null): PlotSpec {
  const other = comparison ? cardRows(comparison) : [];
  const xs = [...new Set([...sweepRows(result.rows), ...other].map((r) => r.n))].sort((a, b) => a - b);
  const variants = [...new Set(sweepRows(result.rows).map((r) => r.variant))];
  const series: SeriesSpec[] = [];
  for (const variant of variants) {
    const color = variantColor(variant, variants);
    const mine = result.rows.filter((r) => r.variant === variant);
    const spanned = mine.some((r) => r.spanMs);
    const timed = mine.some((r) => r.gpuMs);
    const total = spanned ? 'span' : timed ? 'gpu' : 'wall';
    const fit = findFit(result.fits, variant, total);
    series.push({
      label: `${variant} ${spanned ? 'GPU span' : timed ? 'GPU total' : 'wall'}${exponentLabel(result.fits, variant, total)}`,
      color,
      width: 2.5,
      fit: isFlat(result.fits, variant, total) ? null : fit,
      values: column(result, xs, variant, rowTime),
    });
    const stages = stageColumns(mine);
    if (stages.length > 1) {
      for (const stage of stages) {
        series.push({
          label: `${variant} ${stage}${exponentLabel(result.fits, variant, stage)}`,
          color,
          width: 1.2,
          dash: DASHES[stage] ?? [4, 4],
          values: column(result, xs, variant, (r) => r.stages[stage]?.median),
        });
      }
    }
  }
  if (comparison) {
    const label = cardLabel(comparison);
    const theirs = [...new Set(other.map((r) => r.variant))];
    for (const variant of theirs)
      series.push({
        label: `${variant} — ${label} (card)`,
        color: variantColor(variant, [...variants, ...theirs]),
        width: 1.5,
        dash: [10, 3, 2, 3],
        values: column({ rows: other }, xs, variant, rowTime),
      });
  }
  return { title: `Time per run vs N (median; exponents fitted over ${fitRange(result)})`, yLabel: 'ms', xs, series };
}

/** Achieved GFLOP/s against N, with the measured FMA peak and the roofline bound of each variant's byte model. */
export function gflopsPlotSpec(result: ProfileResult): PlotSpec {
  const xs = [...new Set(sweepRows(result.rows).map((r) => r.n))].sort((a, b) => a - b);
  const variants = [...new Set(sweepRows(result.rows).map((r) => r.variant))];
  const series: SeriesSpec[] = variants.map((variant) => ({
    label: `${variant} GFLOP/s`,
    color: variantColor(variant, variants),
    width: 2.5,
    values: column(result, xs, variant, (r) => r.gflops),
  }));
  const roof = result.roofline;
  if (roof) {
    series.push({
      label: `FMA peak ${roof.gflops.toFixed(2)} GFLOP/s (measured)`,
      color: '#000',
      width: 1,
      dash: [6, 3],
      values: xs.map(() => roof.gflops),
    });
    // Only where memory bounds a variant below the FMA peak; variants with one byte model share a line.
    const drawn = new Set<string>();
    for (const variant of variants) {
      const values = column(result, xs, variant, (r) => attainableGflops(r.intensity, roof));
      const key = JSON.stringify(values);
      if (drawn.has(key) || !values.some((v) => v !== null && v < roof.gflops)) continue;
      drawn.add(key);
      series.push({
        label: `${variant} roofline bound (min(peak, intensity × GB/s))`,
        color: variantColor(variant, variants),
        width: 1,
        dash: [1, 3],
        values,
      });
    }
  }
  return { title: 'Achieved GFLOP/s vs N (FLOP model in BENCHMARKS.md)', yLabel: 'GFLOP/s', xs, series };
}

/** Writes each fitted exponent on the canvas beside the last point of its line, labels kept apart. */
function exponentLabels(spec: PlotSpec): (u: uPlot) => void {
  return (u) => {
    const ctx = u.ctx;
    const px = devicePixelRatio;
    const labels = spec.series.flatMap((s, i) => {
      const last = s.values.findLastIndex((v) => v !== null);
      if (!s.fit || !u.series[i + 1].show || last < 0) return [];
      return [
        {
          text: `N^${s.fit.exponent.toFixed(2)}`,
          color: s.color,
          x: u.valToPos(spec.xs[last], 'x', true),
          y: u.valToPos(s.values[last]!, 'y', true),
        },
      ];
    });
    // Lines often end close together: push labels down until each has its own row.
    labels.sort((a, b) => a.y - b.y);
    for (let i = 1; i < labels.length; i++) labels[i].y = Math.max(labels[i].y, labels[i - 1].y + 18 * px);
    ctx.save();
    ctx.font = `600 ${Math.round(12 * px)}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    for (const label of labels) {
      const w = ctx.measureText(label.text).width;
      ctx.fillStyle = 'rgba(255,255,255,0.85)';
      ctx.fillRect(label.x - w - 12 * px, label.y - 9 * px, w + 4 * px, 18 * px);
      ctx.fillStyle = label.color;
      ctx.fillText(label.text, label.x - 10 * px, label.y);
    }
    ctx.restore();
  };
}

/** uPlot leaves null in the splits it does not label on log scales. */
function tickLabel(v: number | null): string {
  if (v === null) return '';
  return v >= 1e4 || v < 1e-2 ? v.toExponential(0) : String(+v.toPrecision(3));
}

export function createPlot(spec: PlotSpec, target: HTMLElement, width = 760, height = 360): uPlot {
  const opts: uPlot.Options = {
    width,
    height,
    scales: { x: { time: false, distr: 3, log: 2 }, y: { distr: 3, log: 10 } },
    axes: [
      { label: 'N (sequence length)', values: (_u, splits) => splits.map((v) => (v === null ? '' : String(v))) },
      { label: spec.yLabel, size: 70, values: (_u, splits) => splits.map(tickLabel) },
    ],
    series: [
      { label: 'N' },
      ...spec.series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: s.width,
        dash: s.dash,
        spanGaps: true,
        points: { show: true, size: s.width > 2 ? 6 : 3 },
      })),
    ],
    hooks: { draw: [exponentLabels(spec)] },
    legend: { live: false },
  };
  return new uPlot(opts, [spec.xs, ...spec.series.map((s) => s.values)] as uPlot.AlignedData, target);
}

/** The chart as a PNG data URL, with its title on top and its legend underneath (uPlot draws those in HTML). */
export function plotPng(u: uPlot, spec: PlotSpec): string {
  const source = u.ctx.canvas;
  const scale = source.width / u.width;
  const lineHeight = 18 * scale,
    pad = 10 * scale,
    columns = 2;
  const legendRows = Math.ceil(spec.series.length / columns);
  const canvas = document.createElement('canvas');
  canvas.width = source.width;
  canvas.height = source.height + 30 * scale + legendRows * lineHeight + 2 * pad;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#111';
  ctx.font = `600 ${14 * scale}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  ctx.fillText(spec.title, pad, 15 * scale);
  ctx.drawImage(source, 0, 30 * scale);
  ctx.font = `${12 * scale}px system-ui, sans-serif`;
  const colWidth = (canvas.width - 2 * pad) / columns;
  spec.series.forEach((s, i) => {
    const x = pad + (i % columns) * colWidth,
      y = source.height + 30 * scale + pad + Math.floor(i / columns) * lineHeight + lineHeight / 2;
    ctx.strokeStyle = s.color;
    ctx.lineWidth = s.width * scale;
    ctx.setLineDash((s.dash ?? []).map((d) => d * scale));
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 24 * scale, y);
    ctx.stroke();
    ctx.fillStyle = '#111';
    ctx.fillText(s.label, x + 30 * scale, y);
  });
  return canvas.toDataURL('image/png');
}
