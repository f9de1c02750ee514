/**
 * <attn-stage-view>: every stage of one run as a labelled heatmap — attention weights (with row
 * sums), output, the focused query's line view, raw, scaled and masked scores — each cell
 * explaining itself on hover, and a click showing CPU and GPU values side by side.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Explained, ProvenanceContext } from '../core/provenance';
import { exact, explainMasked, explainOutput, explainProb, explainProjected, explainRaw, explainScaled, short } from '../core/provenance';
import { ulpDistance } from '../core/metrics';
import type { Problem } from '../core/problem';
import type { ReferenceResult } from '../core/reference';
import type { Matrix64 } from '../core/tensor';
import { downloadMatrix } from './download';
import type { CellClickEvent } from './events';
import { StateEditEvent } from './events';
import type { GpuValues } from './run-types';
import { buttonStyles } from './styles';
import { measureCell } from './heatmap-layout';
import './attn-heatmap';
import './attn-line-view';
import type { ViewName } from '../core/stages';
import { VIEW_TITLES } from '../core/stages';

interface Picked {
  stage: ViewName;
  row: number;
  col: number;
}

@customElement('attn-stage-view')
export class AttnStageView extends LitElement {
  static override styles = [
    buttonStyles,
    css`
      :host {
        display: block;
      }
      .maps {
        display: flex;
        flex-wrap: wrap;
        gap: 1rem 22px;
        align-items: flex-start;
        margin-bottom: 1rem;
      }
      .card {
        background: var(--attn-color-surface);
        border: 1px solid var(--attn-color-border);
        border-radius: var(--attn-radius-card);
        padding: 0.6rem 0.7rem;
      }
      .heads {
        display: flex;
        gap: 0.3rem;
        align-items: center;
        margin-bottom: 0.6rem;
        font-size: 0.85rem;
      }
      .heads button[aria-pressed='true'] {
        background: var(--attn-color-accent);
        color: var(--attn-color-on-accent);
        border-color: var(--attn-color-accent);
      }
      .source {
        font-size: 0.8rem;
        display: flex;
        gap: 0.7rem;
        align-items: center;
        margin-bottom: 0.5rem;
        color: var(--attn-color-text-soft);
      }
      .inspector {
        font-family: var(--attn-font-mono);
        font-size: 0.78rem;
        background: var(--attn-color-surface-code);
        border: 1px solid var(--attn-color-border-code);
        border-radius: var(--attn-radius-card);
        padding: 0.5rem 0.7rem;
        white-space: pre-wrap;
        margin-bottom: 1rem;
      }
      .inspector strong {
        font-family: var(--attn-font-sans);
      }
      h4 {
        margin: 0.2rem 0 0.6rem;
        font-size: 0.88rem;
        color: var(--attn-color-text-soft);
        font-weight: 600;
      }
      h4 .muted {
        font-weight: 400;
        font-size: 0.8rem;
      }
      .head-grid {
        display: grid;
        grid-template-columns: repeat(var(--per-row, 4), max-content);
        gap: 0.6rem;
        margin-bottom: 1rem;
      }
      .head-grid .card {
        cursor: pointer;
        padding: 0.4rem 0.5rem;
      }
      .head-grid .card[aria-current='true'] {
        border-color: var(--attn-color-accent);
        box-shadow: 0 0 0 2px var(--attn-color-accent);
      }
    `,
  ];

  @property({ attribute: false }) problem!: Problem;
  @property({ attribute: false }) reference!: ReferenceResult;
  @property({ attribute: false }) gpu: GpuValues | null = null;
  @property({ type: Number }) head = 0;
  /** The focused query row. */
  @property({ type: Number, attribute: 'focus-row' }) focusRow = 0;
  /** Base for exported file names. */
  @property({ attribute: 'file-base' }) fileBase = 'attention';

  @state() private showGpu = false;
  @state() private picked: Picked | null = null;
  /** Our own width: the maps share it (weights and output side by side, the score maps three to a row). */
  @state() private width = 800;
  private resizeObserver: ResizeObserver | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.resizeObserver = new ResizeObserver(([entry]) => {
      const width = Math.floor(entry.contentRect.width);
      if (width > 0 && Math.abs(width - this.width) > 8) this.width = width;
    });
    this.resizeObserver.observe(this);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.resizeObserver = null;
  }

  private get ctx(): ProvenanceContext {
    return { problem: this.problem, reference: this.reference, gpu: this.gpu };
  }

  private slice(data: ArrayLike<number> & { subarray?: unknown }, head: number): ArrayLike<number> {
    const { n, m } = this.problem.shape;
    return (data as Float64Array).subarray(head * n * m, (head + 1) * n * m);
  }

  /** The values a map draws: the float64 reference, or the GPU's float32 where asked and available. */
  private stageValues(stage: ViewName, head: number): ArrayLike<number> {
    const ref = this.reference;
    const gpu = this.showGpu ? this.gpu : null;
    switch (stage) {
      case 'raw':
        return this.slice(ref.raw.data, head);
      case 'scaled':
        return this.slice(ref.scaled.data, head);
      case 'masked':
        return gpu?.scores ? this.slice(gpu.scores, head) : this.slice(ref.masked.data, head);
      case 'probs':
        return gpu?.probs ? this.slice(gpu.probs, head) : this.slice(ref.probs.data, head);
      case 'output':
        return gpu ? gpu.output : ref.output.data;
      case 'projected':
        return gpu?.projected ?? ref.projected?.data ?? [];
    }
  }

  override render() {
    if (!this.problem || !this.reference) return nothing;
    const p = this.problem;
    const { n, m, heads } = p.shape;
    const head = Math.min(this.head, heads - 1);
    const focus = Math.min(this.focusRow, n - 1);
    const probs = this.stageValues('probs', head);
    // Card chrome (padding and border) is 28px; gaps between cards 22px.
    const probsWidth = Math.max(260, Math.floor(this.width * 0.6) - 28);
    const outputWidth = Math.max(200, this.width - probsWidth - 28 - 28 - 24);
    const perRow = m <= 6 ? 3 : 2;
    const scoreWidth = Math.max(220, Math.floor((this.width - (perRow - 1) * 22) / perRow) - 28);
    const probsCell = measureCell({
      values: [],
      rows: n,
      cols: m,
      rowLabels: p.queryLabels,
      colLabels: p.keyLabels,
      colour: 'probability',
      rowSums: true,
      rowAxis: 'query',
      colAxis: 'key',
      maxWidth: probsWidth,
    });
    const scoreMap = (stage: ViewName, caption: string, explain: (h: number, i: number, j: number) => Explained) =>
      html`<attn-heatmap
        data-stage=${stage}
        heading=${VIEW_TITLES[stage]}
        caption=${caption}
        .values=${this.stageValues(stage, head)}
        rows=${n}
        cols=${m}
        .rowLabels=${p.queryLabels}
        .colLabels=${p.keyLabels}
        .rowMarked=${p.queryKnown?.map((k) => !k) ?? null}
        .colMarked=${p.keyKnown?.map((k) => !k) ?? null}
        colour="diverging"
        highlight-row=${focus}
        max-width=${scoreWidth}
        .selected=${this.picked?.stage === stage ? [this.picked.row, this.picked.col] : null}
        file-name=${`${this.fileBase}-${stage}`}
        .describe=${(i: number, j: number) => explain(head, i, j)}
        @attn-cell-click=${(e: CellClickEvent) => this.pick(stage, e.row, e.col)}
        >${this.exportButton(stage, head)}</attn-heatmap
      >`;
    return html`
      ${heads > 1 ? html`<div class="heads">Head ${Array.from({ length: heads }, (_, t) => html`<button aria-pressed=${t === head ? 'true' : 'false'} @click=${() => this.setView({ head: t })}>${t}</button>`)}</div>` : nothing}
      ${heads > 1 ? this.renderHeadGrid(head) : nothing}
      ${
        this.gpu
          ? html`<div class="source">
              Values drawn from:
              <label
                ><input type="radio" name="src" .checked=${!this.showGpu} @change=${() => (this.showGpu = false)} /> CPU reference
                (float64)</label
              >
              <label
                ><input type="radio" name="src" .checked=${this.showGpu} @change=${() => (this.showGpu = true)} /> GPU
                (float32)${this.gpu.scores ? '' : ' — output only for this kernel'}</label
              >
            </div>`
          : nothing
      }
      <div class="maps">
        <div class="card">
          <attn-heatmap
            data-stage="probs"
            heading=${VIEW_TITLES.probs}
            caption="softmax of each row; rows sum to 1"
            .values=${probs}
            rows=${n}
            cols=${m}
            .rowLabels=${p.queryLabels}
            .colLabels=${p.keyLabels}
            .rowMarked=${p.queryKnown?.map((k) => !k) ?? null}
            .colMarked=${p.keyKnown?.map((k) => !k) ?? null}
            colour="probability"
            row-sums
            highlight-row=${focus}
            max-width=${probsWidth}
            .selected=${this.picked?.stage === 'probs' ? [this.picked.row, this.picked.col] : null}
            file-name=${`${this.fileBase}-probs`}
            .describe=${(i: number, j: number) => explainProb(this.ctx, head, i, j)}
            @attn-cell-click=${(e: CellClickEvent) => this.pick('probs', e.row, e.col)}
            >${this.exportButton('probs', head)}</attn-heatmap
          >
        </div>
        <div class="card">
          <attn-heatmap
            data-stage="output"
            heading=${VIEW_TITLES.output}
            caption="weights × V: one row per query"
            .values=${this.stageValues('output', head)}
            rows=${n}
            cols=${this.reference.output.cols}
            .rowLabels=${p.queryLabels}
            .colLabels=${p.valueLabels}
            .rowMarked=${p.queryKnown?.map((k) => !k) ?? null}
            colour="diverging"
            highlight-row=${focus}
            max-width=${outputWidth}
            max-cell=${probsCell}
            col-axis="value dim"
            .selected=${this.picked?.stage === 'output' ? [this.picked.row, this.picked.col] : null}
            file-name=${`${this.fileBase}-output`}
            .describe=${(i: number, c: number) => explainOutput(this.ctx, i, c)}
            @attn-cell-click=${(e: CellClickEvent) => this.pick('output', e.row, e.col)}
            >${this.exportButton('output', head)}</attn-heatmap
          >
        </div>
        ${
          this.reference.projected
            ? html`<div class="card">
                <attn-heatmap
                  data-stage="projected"
                  heading=${VIEW_TITLES.projected}
                  caption=${`the heads' outputs, concatenated (${this.reference.output.cols}), projected to ${this.reference.projected.cols} dims`}
                  .values=${this.stageValues('projected', head)}
                  rows=${n}
                  cols=${this.reference.projected.cols}
                  .rowLabels=${p.queryLabels}
                  .colLabels=${p.projectedLabels}
                  colour="diverging"
                  highlight-row=${focus}
                  max-width=${Math.max(outputWidth, 260)}
                  max-cell=${probsCell}
                  col-axis="model dim"
                  .selected=${this.picked?.stage === 'projected' ? [this.picked.row, this.picked.col] : null}
                  file-name=${`${this.fileBase}-projected`}
                  .describe=${(i: number, c: number) => explainProjected(this.ctx, i, c)}
                  @attn-cell-click=${(e: CellClickEvent) => this.pick('projected', e.row, e.col)}
                  >${this.exportButton('projected', head)}</attn-heatmap
                >
              </div>`
            : nothing
        }
      </div>
      ${this.picked ? this.renderInspector(this.picked, head) : nothing}
      <div class="maps">
        <div class="card">
          <attn-line-view
            .queryLabels=${p.queryLabels}
            .keyLabels=${p.keyLabels}
            .probs=${probs}
            focus-row=${focus}
            .queryMarked=${p.queryKnown?.map((k) => !k) ?? null}
            .keyMarked=${p.keyKnown?.map((k) => !k) ?? null}
          ></attn-line-view>
        </div>
      </div>
      <h4>How the weights are made: raw → scaled → masked → softmax</h4>
      <div class="maps">
        <div class="card">${scoreMap('raw', 'q_i · k_j', (h, i, j) => explainRaw(this.ctx, h, i, j))}</div>
        <div class="card">
          ${scoreMap('scaled', `× ${scaleCaption(p)} ÷ T=${short(p.options.temperature)}`, (h, i, j) => explainScaled(this.ctx, h, i, j))}
        </div>
        <div class="card">
          ${scoreMap('masked', p.inputs.mask || p.options.causal ? 'hidden pairs → −∞' : 'nothing hidden', (h, i, j) => explainMasked(this.ctx, h, i, j))}
        </div>
      </div>
    `;
  }

  /** Every head's weights side by side, small; clicking one (or a cell of it) selects that head. */
  private renderHeadGrid(selected: number) {
    const p = this.problem;
    const { n, m, heads } = p.shape;
    // A small map is at least ~230px wide (labels and legend): as many per row as fit, rows evenly filled.
    const fit = Math.max(1, Math.min(heads, Math.floor((this.width + 10) / 240)));
    const perRow = Math.ceil(heads / Math.ceil(heads / fit));
    const width = Math.floor((this.width - (perRow - 1) * 10) / perRow) - 22;
    return html` <h4>Attention weights of every head <span class="muted">— click a head to show it below</span></h4>
      <div class="head-grid" role="list" style=${`--per-row: ${perRow}`}>
        ${Array.from(
          { length: heads },
          (_, t) =>
            html`<div
              class="card"
              role="listitem"
              data-head=${t}
              aria-current=${t === selected ? 'true' : 'false'}
              title=${`show head ${t}`}
              @click=${() => this.setView({ head: t })}
              @attn-cell-click=${() => this.setView({ head: t })}
            >
              <attn-heatmap
                data-head=${t}
                heading=${`head ${t}`}
                .values=${this.stageValues('probs', t)}
                rows=${n}
                cols=${m}
                .rowLabels=${p.queryLabels}
                .colLabels=${p.keyLabels}
                colour="probability"
                max-width=${width}
                max-cell="22"
                file-name=${`${this.fileBase}-probs-head${t}`}
                .describe=${(i: number, j: number) => explainProb(this.ctx, t, i, j)}
              ></attn-heatmap>
            </div>`,
        )}
      </div>`;
  }

  private exportButton(stage: ViewName, head: number) {
    return html`<button slot="actions" title="Download these values as .npy" @click=${() => this.exportStage(stage, head)}>.npy</button>`;
  }

  private exportStage(stage: ViewName, head: number): void {
    const { n, m } = this.problem.shape;
    const cols = stage === 'output' ? this.reference.output.cols : stage === 'projected' ? (this.reference.projected?.cols ?? 0) : m;
    const matrix: Matrix64 = { rows: n, cols, data: Float64Array.from(this.stageValues(stage, head)) };
    downloadMatrix(matrix, `${this.fileBase}-${stage}${this.problem.shape.heads > 1 ? `-head${head}` : ''}`, 'npy');
  }

  private pick(stage: ViewName, row: number, col: number): void {
    this.picked = { stage, row, col };
    if (row !== this.focusRow) this.setView({ focusQuery: row });
  }

  private setView(view: Partial<{ head: number; focusQuery: number }>): void {
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, view: { ...s.view, ...view } }), null, false));
  }

  private renderInspector({ stage, row, col }: Picked, head: number) {
    const { n, m } = this.problem.shape;
    const ctx = this.ctx;
    const explained =
      stage === 'raw'
        ? explainRaw(ctx, head, row, col)
        : stage === 'scaled'
          ? explainScaled(ctx, head, row, col)
          : stage === 'masked'
            ? explainMasked(ctx, head, row, col)
            : stage === 'probs'
              ? explainProb(ctx, head, row, col)
              : stage === 'projected'
                ? explainProjected(ctx, row, col)
                : explainOutput(ctx, row, col);
    const ref = this.reference;
    const idx =
      stage === 'output'
        ? row * ref.output.cols + col
        : stage === 'projected'
          ? row * (ref.projected?.cols ?? 0) + col
          : (head * n + row) * m + col;
    const cpuArray = stage === 'output' ? ref.output.data : stage === 'projected' ? (ref.projected?.data ?? []) : ref[stage].data;
    const gpuArray =
      stage === 'output'
        ? this.gpu?.output
        : stage === 'projected'
          ? this.gpu?.projected
          : stage === 'probs'
            ? this.gpu?.probs
            : stage === 'masked'
              ? this.gpu?.scores
              : null;
    const cpu = cpuArray[idx],
      gpu = gpuArray?.[idx];
    return html`<div class="inspector" role="status" data-inspector=${stage}>
      <strong>${explained.title}</strong> CPU (float64) = ${exact(cpu)} GPU (float32) =
      ${gpu === undefined ? (stage === 'raw' || stage === 'scaled' ? 'not a separate GPU stage' : 'not returned by this run') : exact(gpu)}${
        gpu !== undefined && Number.isFinite(cpu)
          ? `
|GPU − CPU| = ${short(Math.abs(gpu - cpu))}   (${ulpDistance(gpu, cpu)} ULP)`
          : ''
      }
      ${explained.lines.join('\n')}
    </div>`;
  }
}

function scaleCaption(p: Problem): string {
  const { scale } = p.options;
  return scale === 'default' ? `1/√${p.shape.dk}` : scale === 'none' ? '1' : short(scale);
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-stage-view': AttnStageView;
  }
}
