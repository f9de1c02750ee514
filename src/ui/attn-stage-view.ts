/**
 * <attn-stage-view>: every stage of one run as a labelled heatmap — attention weights (with row
 * sums), output, the focused query's line view, raw, scaled and masked scores — each cell
 * explaining itself on hover, and a click showing CPU and GPU values side by side
 * (<attn-cell-inspector>). With several heads, <attn-head-grid> shows them all and picks one.
 */
import { LitElement, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Explained, ProvenanceContext } from '../core/provenance';
import { explainMasked, explainOutput, explainProb, explainProjected, explainRaw, explainScaled, short } from '../core/provenance';
import type { Problem } from '../core/problem';
import type { ReferenceResult } from '../core/reference';
import type { Matrix64 } from '../core/tensor';
import { downloadMatrix } from './download';
import type { CellClickEvent } from './events';
import { StateEditEvent } from './events';
import type { GpuValues } from './run-types';
import { buttonStyles } from './styles';
import { measureCell } from './heatmap-layout';
import { stageCardStyles, stageViewStyles } from './stage-view-styles';
import type { PickedCell } from './attn-cell-inspector';
import './attn-cell-inspector';
import './attn-head-grid';
import './attn-heatmap';
import './attn-line-view';
import type { ViewName } from '../core/stages';
import { VIEW_TITLES } from '../core/stages';

@customElement('attn-stage-view')
export class AttnStageView extends LitElement {
  static override styles = [buttonStyles, stageCardStyles, stageViewStyles];

  @property({ attribute: false }) problem!: Problem;
  @property({ attribute: false }) reference!: ReferenceResult;
  @property({ attribute: false }) gpu: GpuValues | null = null;
  @property({ type: Number }) head = 0;
  /** The focused query row. */
  @property({ type: Number, attribute: 'focus-row' }) focusRow = 0;
  /** Base for exported file names. */
  @property({ attribute: 'file-base' }) fileBase = 'attention';

  @state() private showGpu = false;
  @state() private picked: PickedCell | null = null;
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
      case 'capped':
        return ref.capped ? this.slice(ref.capped.data, head) : [];
      case 'bias':
        return ref.bias ? this.slice(ref.bias.data, head) : [];
      case 'rotated':
        return [];
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
      ${
        heads > 1
          ? html`<attn-head-grid
              .ctx=${this.ctx}
              .weightsOf=${(t: number) => this.stageValues('probs', t)}
              selected=${head}
              width=${this.width}
              file-base=${this.fileBase}
            ></attn-head-grid>`
          : nothing
      }
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
      ${this.picked ? html`<attn-cell-inspector .ctx=${this.ctx} .picked=${this.picked} head=${head}></attn-cell-inspector>` : nothing}
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
