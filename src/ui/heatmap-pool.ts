/**
 * Downsampling for heatmaps too big to draw cell by cell (a 128×8192 slice of a long sequence):
 * the matrix is cut into blocks of br×bc cells and each block is drawn as its largest-magnitude
 * value, so a sharp peak (one key a query attends to) stays visible instead of being averaged
 * away. Each drawn cell remembers which original cell it shows, for tooltips and clicks.
 */
import type { HeatmapSpec } from './heatmap-layout';

export interface PooledMatrix {
  values: Float64Array;
  rows: number;
  cols: number;
  /** Block height and width in original cells (1 × 1 when nothing was pooled). */
  blockRows: number;
  blockCols: number;
  /** For each drawn cell, the row-major index of the original cell it shows. */
  source: Int32Array;
}

/** Fewest pixels a drawn cell gets; beyond maxRows × maxCols drawn cells the matrix is pooled. */
export function poolLimits(maxWidth: number): { maxRows: number; maxCols: number } {
  return { maxRows: 360, maxCols: Math.max(16, Math.floor((maxWidth - 80) / 2)) };
}

/** |x| for picking a block's representative: NaN wins (a bug must show), −∞ loses to anything finite. */
function weight(x: number): number {
  if (Number.isNaN(x)) return Infinity;
  if (x === -Infinity) return -1;
  return Math.abs(x);
}

/** The matrix pooled to at most maxRows × maxCols drawn cells, or null when it already fits. */
export function poolMatrix(values: ArrayLike<number>, rows: number, cols: number, maxRows: number, maxCols: number): PooledMatrix | null {
  if (rows <= maxRows && cols <= maxCols) return null;
  const blockRows = Math.ceil(rows / maxRows),
    blockCols = Math.ceil(cols / maxCols);
  const outRows = Math.ceil(rows / blockRows),
    outCols = Math.ceil(cols / blockCols);
  const out = new Float64Array(outRows * outCols);
  const source = new Int32Array(outRows * outCols);
  for (let bi = 0; bi < outRows; bi++) {
    const r1 = Math.min(rows, (bi + 1) * blockRows);
    for (let bj = 0; bj < outCols; bj++) {
      const c0 = bj * blockCols,
        c1 = Math.min(cols, c0 + blockCols);
      let best = bi * blockRows * cols + c0,
        bestWeight = -2;
      for (let r = bi * blockRows; r < r1; r++) {
        for (let c = c0; c < c1; c++) {
          const w = weight(values[r * cols + c]);
          if (w > bestWeight) {
            bestWeight = w;
            best = r * cols + c;
          }
        }
      }
      out[bi * outCols + bj] = values[best];
      source[bi * outCols + bj] = best;
    }
  }
  return { values: out, rows: outRows, cols: outCols, blockRows, blockCols, source };
}

/**
 * The caption of a pooled map, true to what poolMatrix draws: blocks of blockRows × blockCols from
 * the top left, so where a side is not a whole number of blocks the bottom row (or the right-hand
 * column) of blocks holds only what is left.
 */
export function poolCaption(rows: number, cols: number, p: Pick<PooledMatrix, 'rows' | 'cols' | 'blockRows' | 'blockCols'>): string {
  const lastRows = rows - (p.rows - 1) * p.blockRows,
    lastCols = cols - (p.cols - 1) * p.blockCols;
  const edges = [
    lastRows < p.blockRows ? `the bottom row of blocks is ${lastRows} tall` : '',
    lastCols < p.blockCols ? `the right-hand column of blocks is ${lastCols} wide` : '',
  ].filter(Boolean);
  const uneven = edges.length ? ` (${edges.join(', ')})` : '';
  return `${rows}×${cols}, drawn as ${p.rows}×${p.cols}: each cell shows the largest |value| of a block of ${p.blockRows}×${p.blockCols}${uneven}`;
}

/** Labels of the drawn rows (or columns): each block is named after its first original one. */
export function poolLabels<T>(labels: readonly T[] | null, count: number, block: number): T[] | null {
  if (!labels) return null;
  return Array.from({ length: count }, (_, b) => labels[b * block]);
}

/**
 * The spec of a pooled map: its drawn cells, every block's first label, the blocks of the
 * highlighted row and the selected cell, the original values' colour domain, and no row sums
 * (sums of block maxima would mean nothing).
 */
export function poolSpec(spec: HeatmapSpec, p: PooledMatrix, domain: [number, number] | null): HeatmapSpec {
  const block = (x: number, size: number) => Math.floor(x / size);
  const highlightRow = spec.highlightRow ?? -1;
  return {
    ...spec,
    values: p.values,
    rows: p.rows,
    cols: p.cols,
    rowLabels: poolLabels(spec.rowLabels, p.rows, p.blockRows)!,
    colLabels: poolLabels(spec.colLabels, p.cols, p.blockCols)!,
    rowMarked: poolLabels(spec.rowMarked ?? null, p.rows, p.blockRows),
    colMarked: poolLabels(spec.colMarked ?? null, p.cols, p.blockCols),
    domain: spec.domain ?? domain,
    highlightRow: highlightRow >= 0 ? block(highlightRow, p.blockRows) : -1,
    selected: spec.selected ? [block(spec.selected[0], p.blockRows), block(spec.selected[1], p.blockCols)] : null,
    rowSums: false,
    rowNotes: null,
  };
}
