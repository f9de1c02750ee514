/**
 * <attn-heatmap>: one matrix as a heatmap on a canvas, with labels on both axes, a colour legend,
 * optional row sums, a hover (or keyboard) tooltip that says what a cell is and where it comes
 * from, a click event, and PNG export. A matrix with more cells than the map has room for is
 * drawn downsampled (heatmap-pool.ts); tooltips and clicks still name original cells.
 */
import { LitElement, html, nothing } from 'lit';
import type { PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { CellClickEvent } from './events';
import { drawHeatmap, heatmapExportCanvas, heatmapPng } from './heatmap-draw';
import { inkFrom } from './heatmap-ink';
import type { HeatmapLayout, HeatmapSpec, RowNotes } from './heatmap-layout';
import { cellAt, layoutHeatmap } from './heatmap-layout';
import type { ColourScale } from './heatmap-scale';
import { autoDomain, tableValue } from './heatmap-scale';
import type { PooledMatrix } from './heatmap-pool';
import { poolCaption, poolLimits, poolMatrix, poolSpec } from './heatmap-pool';
import { downloadBlob } from './download';
import { heatmapStyles, heatmapTableStyles } from './heatmap-styles';
import { ThemeController } from './theme';

/** The values table shows at most this many rows and columns (a bigger map says which part it shows). */
export const TABLE_MAX_ROWS = 64;
export const TABLE_MAX_COLS = 32;

/** What the tooltip shows for a cell: a title line and the lines that explain the value. */
export interface CellInfo {
  title: string;
  lines: string[];
}

@customElement('attn-heatmap')
export class AttnHeatmap extends LitElement {
  static override styles = [heatmapStyles, heatmapTableStyles];

  /** Title above the map. */
  @property() heading = '';
  /** One line under the title. */
  @property() caption = '';
  /** rows×cols values, row-major; −∞ draws as masked. */
  @property({ attribute: false }) values: ArrayLike<number> | null = null;
  @property({ type: Number }) rows = 0;
  @property({ type: Number }) cols = 0;
  @property({ attribute: false }) rowLabels: readonly string[] = [];
  @property({ attribute: false }) colLabels: readonly string[] = [];
  /** Rows / columns whose label is marked as unknown (words without a real vector). */
  @property({ attribute: false }) rowMarked: readonly boolean[] | null = null;
  @property({ attribute: false }) colMarked: readonly boolean[] | null = null;
  @property() colour: ColourScale = 'diverging';
  @property({ attribute: false }) domain: [number, number] | null = null;
  /** Row drawn with an outline (the focused query); −1 for none. */
  @property({ type: Number, attribute: 'highlight-row' }) highlightRow = -1;
  @property({ attribute: false }) selected: readonly [number, number] | null = null;
  @property({ type: Boolean, attribute: 'row-sums' }) rowSums = false;
  /** A column of per-row numbers beside the row sums (drawn only with row-sums), e.g. the sink's share. */
  @property({ attribute: false }) rowNotes: RowNotes | null = null;
  @property({ attribute: 'row-axis' }) rowAxis = 'query';
  @property({ attribute: 'col-axis' }) colAxis = 'key';
  /** Widest the canvas may be, in CSS pixels; cells shrink to fit. */
  @property({ type: Number, attribute: 'max-width' }) maxWidth = 560;
  /** Largest cell side in CSS pixels (to line a map's rows up with another's). */
  @property({ type: Number, attribute: 'max-cell' }) maxCell = 56;
  /** Base of the exported file name. */
  @property({ attribute: 'file-name' }) fileName = 'heatmap';
  /** Explains a cell for the tooltip; without it the tooltip shows labels and value. */
  @property({ attribute: false }) describe: ((row: number, col: number) => CellInfo) | null = null;

  /** Whether the values table is open (it is only rendered then: big maps would cost a lot of DOM). */
  @state() private tableOpen = false;
  /** The canvas reads its ink from the design tokens when it draws: a theme change redraws it. */
  protected readonly themeWatch = new ThemeController(this);
  /** Hovered drawn cell (pooled coordinates when the map is downsampled). */
  @state() private hover: { row: number; col: number; x: number; y: number } | null = null;
  @query('canvas') private canvas!: HTMLCanvasElement;
  private layout: HeatmapLayout | null = null;
  /** The downsampled matrix when the original has more cells than fit; null when drawn as is. */
  private pooled: PooledMatrix | null = null;
  /** The colour domain of the original values (a pooled map must not change it). */
  private pooledDomain: [number, number] | null = null;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('values') || changed.has('rows') || changed.has('cols') || changed.has('maxWidth') || changed.has('colour')) {
      const { maxRows, maxCols } = poolLimits(this.maxWidth);
      this.pooled = this.values ? poolMatrix(this.values, this.rows, this.cols, maxRows, maxCols) : null;
      this.pooledDomain = this.pooled && this.values ? autoDomain(this.values, this.colour) : null;
      if (this.pooled) this.hover = null;
    }
  }

  /** Whether the map is drawn downsampled (blocks of cells shown by their largest value). */
  get downsampled(): { blockRows: number; blockCols: number } | null {
    return this.pooled && { blockRows: this.pooled.blockRows, blockCols: this.pooled.blockCols };
  }

  /** The original cell a drawn cell shows. */
  private original(row: number, col: number): [number, number] {
    const p = this.pooled;
    if (!p) return [row, col];
    const index = p.source[row * p.cols + col];
    return [Math.floor(index / this.cols), index % this.cols];
  }

  private spec(title?: string): HeatmapSpec {
    const spec: HeatmapSpec = {
      values: this.values ?? [],
      rows: this.rows,
      cols: this.cols,
      rowLabels: this.rowLabels,
      colLabels: this.colLabels,
      rowMarked: this.rowMarked,
      colMarked: this.colMarked,
      colour: this.colour,
      domain: this.domain,
      highlightRow: this.highlightRow,
      selected: this.selected,
      rowSums: this.rowSums,
      rowNotes: this.rowNotes,
      rowAxis: this.rowAxis,
      colAxis: this.colAxis,
      maxWidth: this.maxWidth,
      maxCell: this.maxCell,
      title,
      ink: inkFrom(this),
    };
    return this.pooled ? poolSpec(spec, this.pooled, this.pooledDomain) : spec;
  }

  override render() {
    const empty = !this.values || this.rows * this.cols === 0;
    const p = this.pooled;
    return html`
      <header>
        <h3>${this.heading}</h3>
        <slot name="actions"></slot>
        <button @click=${this.exportPng} ?disabled=${empty} title="Download this heatmap as a PNG image">PNG</button>
      </header>
      ${this.caption ? html`<span class="caption">${this.caption}</span>` : nothing}
      ${p ? html`<span class="caption downsampled">${poolCaption(this.rows, this.cols, p)}</span>` : nothing}
      <div class="scroll">
        <canvas
          tabindex="0"
          role="img"
          aria-label=${`${this.heading}: ${this.rows}×${this.cols} heatmap${p ? ' (downsampled)' : ''}; arrow keys move between cells; the values are in the table below`}
          @mousemove=${this.onMove}
          @mouseleave=${this.onLeave}
          @click=${this.onClick}
          @keydown=${this.onKey}
          @blur=${this.onLeave}
        ></canvas>
      </div>
      ${empty ? nothing : this.renderTable()} ${this.hover ? this.renderTip(this.hover) : nothing}
    `;
  }

  /** The values as a table, on demand: the first TABLE_MAX_ROWS × TABLE_MAX_COLS of them, saying so when the map is bigger. */
  private renderTable() {
    const rows = Math.min(this.rows, TABLE_MAX_ROWS);
    const cols = Math.min(this.cols, TABLE_MAX_COLS);
    const part = rows < this.rows || cols < this.cols ? ` (the first ${rows} rows and ${cols} columns of ${this.rows}×${this.cols})` : '';
    const values = this.values!;
    return html`<details class="values" @toggle=${this.onTableToggle}>
      <summary>Values as a table${part}</summary>
      ${
        this.tableOpen
          ? html`<div class="table-box" tabindex="0" role="region" aria-label=${`${this.heading} values`}>
              <table>
                <caption>
                  ${this.heading}: ${this.rowAxis} (rows) × ${this.colAxis} (columns)${part}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">${this.rowAxis} ↓ ${this.colAxis} →</th>
                    ${Array.from({ length: cols }, (_, j) => html`<th scope="col">${this.colLabels[j] ?? j}</th>`)}
                  </tr>
                </thead>
                <tbody>
                  ${Array.from(
                    { length: rows },
                    (_, i) =>
                      html`<tr>
                        <th scope="row">${this.rowLabels[i] ?? i}</th>
                        ${Array.from({ length: cols }, (_, j) => html`<td>${tableValue(values[i * this.cols + j])}</td>`)}
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
          : nothing
      }
    </details>`;
  }

  private onTableToggle = (event: Event) => {
    this.tableOpen = (event.target as HTMLDetailsElement).open;
  };

  private renderTip({ row: drawnRow, col: drawnCol, x, y }: { row: number; col: number; x: number; y: number }) {
    const [row, col] = this.original(drawnRow, drawnCol);
    const described = this.describe?.(row, col) ?? this.defaultInfo(row, col);
    const p = this.pooled;
    const info = p
      ? {
          ...described,
          lines: [
            `largest |value| of rows ${drawnRow * p.blockRows}…${Math.min(this.rows, (drawnRow + 1) * p.blockRows) - 1}, columns ${drawnCol * p.blockCols}…${Math.min(this.cols, (drawnCol + 1) * p.blockCols) - 1}: [${row}][${col}]`,
            ...described.lines,
          ],
        }
      : described;
    const left = Math.min(x + 14, Math.max(0, (this.layout?.width ?? 400) - 200));
    return html`<div class="tip" style="left:${left}px;top:${y + 40}px">
      <strong>${info.title}</strong>${info.lines.map((l) => html` ${l}`)}
    </div>`;
  }

  private defaultInfo(row: number, col: number): CellInfo {
    const value = this.values?.[row * this.cols + col] ?? NaN;
    return {
      title: `${this.rowLabels[row] ?? row} → ${this.colLabels[col] ?? col}`,
      lines: [`[${row}][${col}] = ${String(value)}`],
    };
  }

  protected override updated(): void {
    this.draw();
  }

  private draw(): void {
    const canvas = this.canvas;
    if (!canvas) return;
    const ctx = canvas.getContext('2d');
    if (!ctx || !this.values) return;
    const layout = layoutHeatmap(ctx, this.spec());
    const dpr = Math.min(window.devicePixelRatio || 1, 2);
    canvas.width = Math.ceil(layout.width * dpr);
    canvas.height = Math.ceil(layout.height * dpr);
    canvas.style.width = `${layout.width}px`;
    canvas.style.height = `${layout.height}px`;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawHeatmap(ctx, this.spec(), layout);
    this.layout = layout;
  }

  /** Rows and columns as drawn (pooled when downsampled). */
  private get drawn(): { rows: number; cols: number } {
    return this.pooled ?? { rows: this.rows, cols: this.cols };
  }

  /** The drawn cell under the pointer. */
  private cellFromEvent(event: MouseEvent): [number, number] | null {
    if (!this.layout) return null;
    const rect = this.canvas.getBoundingClientRect();
    return cellAt(this.layout, this.drawn.rows, this.drawn.cols, event.clientX - rect.left, event.clientY - rect.top);
  }

  private onMove = (event: MouseEvent) => {
    const cell = this.cellFromEvent(event);
    if (!cell) {
      this.hover = null;
      return;
    }
    const rect = this.canvas.getBoundingClientRect();
    const host = this.getBoundingClientRect();
    this.hover = { row: cell[0], col: cell[1], x: event.clientX - host.left, y: rect.top - host.top + (event.clientY - rect.top) - 30 };
  };

  private onLeave = () => {
    this.hover = null;
  };

  private onClick = (event: MouseEvent) => {
    const cell = this.cellFromEvent(event);
    if (cell) this.dispatchEvent(new CellClickEvent(...this.original(cell[0], cell[1])));
  };

  /** Arrow keys walk the cells (tooltip follows), Enter or Space clicks (as a button does): the map works without a mouse. */
  private onKey = (event: KeyboardEvent) => {
    const { rows, cols } = this.drawn;
    if (!this.layout || rows * cols === 0) return;
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    const current = this.hover ?? { row: 0, col: 0, x: 0, y: 0 };
    if ((event.key === 'Enter' || event.key === ' ') && this.hover) {
      // Space would otherwise scroll the page.
      event.preventDefault();
      this.dispatchEvent(new CellClickEvent(...this.original(current.row, current.col)));
      return;
    }
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const row = Math.min(rows - 1, Math.max(0, current.row + (this.hover ? move[0] : 0)));
    const col = Math.min(cols - 1, Math.max(0, current.col + (this.hover ? move[1] : 0)));
    const { left, top, cell } = this.layout;
    const canvasTop = this.canvas.offsetTop;
    this.hover = { row, col, x: left + col * cell + cell / 2, y: canvasTop + top + row * cell - 30 };
  };

  /** The exported picture's title: the heading and the caption, so the file explains itself. */
  get exportTitle(): string {
    return this.caption ? `${this.heading} — ${this.caption}` : this.heading;
  }

  /** The map as a PNG, drawn again with its title. */
  toPngBlob(): Promise<Blob> {
    return heatmapPng(this.spec(this.exportTitle));
  }

  /** The canvas the PNG export encodes (for tests: its size). */
  exportCanvas(): HTMLCanvasElement {
    return heatmapExportCanvas(this.spec(this.exportTitle));
  }

  private exportPng = async () => {
    downloadBlob(await this.toPngBlob(), `${this.fileName}.png`);
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-heatmap': AttnHeatmap;
  }
}
