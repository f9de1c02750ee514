/**
 * <attn-profile-results>: a profile's results. Export buttons (CSV, JSON, the plots as PNG), the
 * per-variant table, the decode table, what their columns mean, the fitted t = a + b·N^p with its
 * local slopes and what the fixed part does to a small-N exponent, the sweep's notes, and the
 * log-log time plot (with a loaded card's series) and the GFLOP/s plot (uPlot, created when a
 * result arrives and destroyed on disconnect).
 */
import { LitElement, css, html, nothing, unsafeCSS } from 'lit';
import type { PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import type { BenchCard } from '../core/bench-card';
import type { ModelFit, ProfileResult, TableCell } from '../core/profile-report';
import {
  decodeTable,
  describeProfileConfig,
  explainModel,
  fitModels,
  fitWords,
  formatCell,
  reportTable,
  SHOWN_TABLE_ROWS,
  toCsv,
} from '../core/profile-report';
import type { PlotKind, PlotSpec } from '../plot/scaling-plots';
import { createPlot, fitRange, gflopsPlotSpec, plotPng, timePlotSpec } from '../plot/scaling-plots';

@customElement('attn-profile-results')
export class AttnProfileResults extends LitElement {
  static override styles = [
    unsafeCSS(uplotCss),
    css`
      :host {
        display: block;
      }
      .row {
        margin: 0.3rem 0;
      }
      button {
        margin-right: 0.4rem;
      }
      .note {
        color: var(--attn-color-text-note);
        font-size: 0.85rem;
        max-width: 62rem;
      }
      /* A wide table (many columns, long variant names) scrolls inside the panel instead of widening the page. */
      .table-box {
        max-width: 100%;
        overflow-x: auto;
        margin: 0.5rem 0 1rem;
      }
      table {
        border-collapse: collapse;
        font: 12px var(--attn-font-mono);
      }
      th,
      td {
        border: 1px solid var(--attn-color-border-table);
        padding: 0.15rem 0.4rem;
        text-align: right;
      }
      th {
        background: var(--attn-color-surface-muted);
      }
      td.text {
        text-align: left;
      }
      td.fail {
        color: var(--attn-color-danger);
        font-weight: 600;
      }
      .plots {
        display: flex;
        flex-wrap: wrap;
        gap: 1rem;
      }
      .plot h3 {
        font-size: 0.95rem;
        margin: 0.5rem 0 0.2rem;
      }
    `,
  ];

  /** The results to show (nothing before the first). */
  @property({ attribute: false }) result: ProfileResult | null = null;
  /** A loaded benchmark card, drawn beside the result on the time plot. */
  @property({ attribute: false }) comparison: BenchCard | null = null;

  /** The tables show every row (else the first SHOWN_TABLE_ROWS of each); a new result starts bounded again. */
  @state() private showAll = false;

  private plots: { kind: PlotKind; plot: uPlot; spec: PlotSpec }[] = [];
  /** The result's tables and fits, computed once per result (not on every render). */
  private records: Record<string, TableCell>[] = [];
  private decode: Record<string, TableCell>[] = [];
  private models: ModelFit[] = [];

  override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('result')) return;
    this.showAll = false;
    const result = this.result;
    this.records = result ? reportTable(result) : [];
    this.decode = result ? decodeTable(result) : [];
    this.models = result ? (result.models ?? fitModels(result.rows)) : [];
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.destroyPlots();
  }

  /** The chart as a PNG data URL (title and legend included), or null before any results. */
  plotPng(kind: PlotKind = 'time'): string | null {
    const entry = this.plots.find((p) => p.kind === kind);
    return entry ? plotPng(entry.plot, entry.spec) : null;
  }

  override updated(changed: PropertyValues<this>): void {
    if (changed.has('result') || changed.has('comparison')) this.drawPlots();
  }

  private destroyPlots(): void {
    for (const p of this.plots) p.plot.destroy();
    this.plots = [];
  }

  private drawPlots(): void {
    this.destroyPlots();
    const result = this.result;
    if (!result || result.rows.length === 0) return;
    for (const [kind, spec] of [
      ['time', timePlotSpec(result, this.comparison)],
      ['gflops', gflopsPlotSpec(result)],
    ] as const) {
      const target = this.renderRoot.querySelector<HTMLElement>(`#plot-${kind}`);
      if (target) this.plots.push({ kind, spec, plot: createPlot(spec, target) });
    }
  }

  private download(name: string, content: string | Blob, type = 'application/octet-stream'): void {
    const blob = typeof content === 'string' ? new Blob([content], { type }) : content;
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  private onExportCsv = () => this.result && this.download('attention-profile.csv', toCsv(this.result), 'text/csv');
  private onExportJson = () =>
    this.result && this.download('attention-profile.json', JSON.stringify(this.result, null, 2), 'application/json');
  private onExportPng = (kind: PlotKind) => {
    const url = this.plotPng(kind);
    if (url) {
      const a = document.createElement('a');
      a.href = url;
      a.download = `attention-${kind}.png`;
      a.click();
    }
  };

  /** Says how many rows a bounded table leaves out and where they are, with the button that shows them. */
  private renderBound(id: string, shown: number, total: number) {
    if (shown === total) return nothing;
    return html`<p class="note" id=${`${id}-bound`}>
      Showing the first ${shown.toLocaleString('en')} of ${total.toLocaleString('en')} rows; the plots hold them all, and so do Export CSV
      and Export JSON (or the card).
      <button class="show-all" @click=${() => (this.showAll = true)}>Show all ${total.toLocaleString('en')} rows</button>
    </p>`;
  }

  private renderTable(id: string, all: Record<string, TableCell>[], key: 'N' | 'm') {
    const columns = Object.keys(all[0]);
    const records = this.showAll ? all : all.slice(0, SHOWN_TABLE_ROWS);
    return html`${this.renderBound(id, records.length, all.length)}
      <div class="table-box" tabindex="0" role="region" aria-label=${id === 'results' ? 'profile results' : 'decode results'}>
        <table id=${id}>
          <thead>
            <tr>
              ${columns.map((c) => html`<th>${c}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${records.map(
              (r) =>
                html`<tr data-n=${String(r[key])} data-variant=${String(r.variant)}>
                  ${columns.map((c) => {
                    const v = r[c] ?? null;
                    const fail = c === 'check' && typeof v === 'string' && v !== 'pass' && v !== 'skipped';
                    return html`<td class=${typeof v === 'string' ? (fail ? 'text fail' : 'text') : ''}>${formatCell(v)}</td>`;
                  })}
                </tr>`,
            )}
          </tbody>
        </table>
      </div>`;
  }

  override render() {
    const result = this.result;
    if (!result) return nothing;
    const { records, decode, models } = this;
    const flat = result.fits.filter((f) => f.flat);
    if (!result.rows.length)
      return html`<p class="note" id="no-results">
        ${result.cancelled ? 'Cancelled before any run finished: nothing was measured.' : 'No results.'}
      </p>`;
    return html` <div class="row">
        <button id="export-csv" @click=${this.onExportCsv}>Export CSV</button>
        <button id="export-json" @click=${this.onExportJson}>Export JSON</button>
        <button id="export-png-time" @click=${() => this.onExportPng('time')}>Time plot PNG</button>
        <button id="export-png-gflops" @click=${() => this.onExportPng('gflops')}>GFLOP/s plot PNG</button>
        ${result.cancelled ? html`<span class="note" id="cancelled">Cancelled: only the runs that finished are shown.</span>` : nothing}
      </div>
      <p class="note" id="config"><strong>Measured:</strong> ${describeProfileConfig(result.config)}</p>
      ${records.length ? this.renderTable('results', records, 'N') : nothing}
      <p class="note">
        Times in ms, medians over the repeats: each pass's GPU time from its timestamps, gpu = their sum, span = first pass's begin to last
        pass's end (the gaps between passes included) — the row's time when measured, with p10/p90 — and wall = the whole run as the page
        sees it (the repeats reuse the first run's buffers and uploaded Q, K and V, so: the run's host work, passes, readback; the notes
        name any row whose buffers were too large to keep). GFLOP/s counts 2·n·m·(dk + dv) per head for the matmuls plus 5 per score for
        softmax (halved when causal); GB/s uses each variant's compulsory-traffic model (see BENCHMARKS.md). × naive / × tfjs: the median of
        the per-round ratios t_naive[r] / t_variant[r] of the round-robin repeats, with their p10–p90 ("baseline" in the compared variant's
        own row). roof: what bounds the row at its intensity (memory, fma or workgroup). cpu ms: one float64 JS reference run (skipped for
        large N).
      </p>
      ${
        decode.length
          ? html`<h3>Decode: one query against m keys</h3>
              ${this.renderTable('decode-results', decode, 'm')}
              <p class="note">
                K+V GB/s: the bytes of K and V a run must read, m·kvHeads·(dk + dv)·4, ÷ its time; % copy BW: that against the measured copy
                bandwidth.
              </p>`
          : nothing
      }
      ${
        models.length
          ? html`<div id="fit" class="note">
              <strong>Fitted t = a + b·N<sup>p</sup></strong> (least squares on relative residuals over every N; a is the fixed cost of a
              run — launches, synchronisation, a GPU not yet full — and p the exponent once it no longer matters):
              <ul>
                ${models.map((m) => html`<li data-variant=${m.variant}>${explainModel(m)}</li>`)}
              </ul>
            </div>`
          : nothing
      }
      ${
        result.notes.length
          ? html`<ul class="note" id="notes">
              ${result.notes.map((n) => html`<li>${n}</li>`)}
            </ul>`
          : nothing
      }
      ${
        flat.length
          ? html`<div id="flat-fits" class="note">
              <strong>No straight-line exponent</strong> (over ${fitRange(result)}) for:
              <ul>
                ${flat.map((f) => html`<li data-variant=${f.variant} data-stage=${f.stage}>${f.variant} ${f.stage}: ${fitWords(f)}</li>`)}
              </ul>
            </div>`
          : nothing
      }
      <div class="plots">
        <div class="plot">
          <h3 id="plot-time-title">Time vs N (log-log; exponents fitted over ${fitRange(result)})</h3>
          <div id="plot-time"></div>
        </div>
        <div class="plot">
          <h3>GFLOP/s vs N</h3>
          <div id="plot-gflops"></div>
        </div>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-profile-results': AttnProfileResults;
  }
}
