/**
 * <attn-stage-view>: every stage of one run as a labelled heatmap — attention weights (with row
 * sums, and the sink's share of each row with attention sinks), output, the focused query's line
 * view, Q and K before and after RoPE (<attn-rope-view>), then raw, scaled, softcapped scores, the
 * ALiBi bias and the masked scores — each cell explaining itself on hover, and a click showing CPU
 * and GPU values side by side (<attn-cell-inspector>). With several heads, <attn-head-grid> shows
 * them all (grouped by the K/V head they share) and picks one.
 */
import { LitElement, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Explained, ProvenanceContext } from '../core/provenance';
import {
  explainElementwise,
  explainMasked,
  explainOutput,
  explainProb,
  explainProjected,
  explainRaw,
  explainScaled,
  short,
} from '../core/provenance';
import { explainBias, explainCapped } from '../core/provenance-features';
import { kvHeadOf, resolveAlibiSlopes } from '../core/features';
import { describeActivation } from '../core/activation';
import type { Problem } from '../core/problem';
import type { ReferenceResult } from '../core/reference';
import type { ViewName } from '../core/stages';
import { VIEW_TITLES } from '../core/stages';
import { RAW_SCORE_CAPTIONS, RAW_SCORE_TITLES } from '../core/scoring-state';
import type { Matrix64 } from '../core/tensor';
import { downloadMatrix } from './download';
import type { CellClickEvent } from './events';
import { StateEditEvent } from './events';
import type { RowNotes } from './heatmap-layout';
import { measureCell } from './heatmap-layout';
import type { GpuValues } from './run-types';
import { buttonStyles } from './styles';
import { stageCardStyles, stageViewStyles } from './stage-view-styles';
import type { PickedCell } from './attn-cell-inspector';
import './attn-cell-inspector';
import './attn-head-grid';
import './attn-heatmap';
import './attn-line-view';
import './attn-rope-view';
import { WidthController } from './width-controller';

/** One map of the view: which stage, its caption and values, and how it is drawn. */
interface MapSpec {
  stage: ViewName;
  caption: string;
  values: ArrayLike<number>;
  maxWidth: number;
  explain: (i: number, j: number) => Explained;
  colour?: 'diverging' | 'probability';
  /** Columns other than the keys (the output's value dimensions), with their labels and axis name. */
  columns?: { count: number; labels: readonly string[]; axis: string };
  maxCell?: number;
  rowSums?: boolean;
  rowNotes?: RowNotes | null;
}

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
  /** Our own width: the maps share it. */
  private readonly size = new WidthController(this);

  private get width(): number {
    return this.size.width;
  }

  private get ctx(): ProvenanceContext {
    return { problem: this.problem, reference: this.reference, gpu: this.gpu };
  }

  private get currentHead(): number {
    return Math.min(this.head, this.problem.shape.heads - 1);
  }

  private slice(data: Float64Array | Float32Array, head: number): ArrayLike<number> {
    const { n, m } = this.problem.shape;
    return data.subarray(head * n * m, (head + 1) * n * m);
  }

  /** The values a map draws: the float64 reference, or the GPU's float32 where asked and available. */
  private stageValues(stage: ViewName, head: number): ArrayLike<number> {
    const ref = this.reference;
    const gpu = this.showGpu ? this.gpu : null;
    switch (stage) {
      case 'raw':
      case 'scaled':
        return this.slice(ref[stage].data, head);
      case 'capped':
      case 'bias':
        return ref[stage] ? this.slice(ref[stage].data, head) : [];
      case 'rotated':
        return [];
      case 'masked':
        return this.slice(gpu?.scores ?? ref.masked.data, head);
      case 'probs':
        return this.slice(gpu?.probs ?? ref.probs.data, head);
      case 'output':
        return gpu ? gpu.output : ref.output.data;
      case 'projected':
        return gpu?.projected ?? ref.projected?.data ?? [];
    }
  }

  /** The sink's share of each of the head's rows, beside the weights' row sums; null without sinks. */
  private sinkNotes(head: number): RowNotes | null {
    const share = this.reference.sinkShare;
    const n = this.problem.shape.n;
    return share ? { label: 'sink', values: share.subarray(head * n, (head + 1) * n) } : null;
  }

  private map(spec: MapSpec) {
    const p = this.problem;
    const { n, m } = p.shape;
    const head = this.currentHead;
    const { stage, columns } = spec;
    return html`<attn-heatmap
      data-stage=${stage}
      heading=${stage === 'raw' ? RAW_SCORE_TITLES[p.options.score] : VIEW_TITLES[stage]}
      caption=${spec.caption}
      .values=${spec.values}
      rows=${n}
      cols=${columns?.count ?? m}
      .rowLabels=${p.queryLabels}
      .colLabels=${columns?.labels ?? p.keyLabels}
      .rowMarked=${p.queryKnown?.map((k) => !k) ?? null}
      .colMarked=${columns ? null : (p.keyKnown?.map((k) => !k) ?? null)}
      colour=${spec.colour ?? 'diverging'}
      ?row-sums=${spec.rowSums ?? false}
      .rowNotes=${spec.rowNotes ?? null}
      highlight-row=${Math.min(this.focusRow, n - 1)}
      max-width=${spec.maxWidth}
      max-cell=${spec.maxCell ?? 56}
      col-axis=${columns?.axis ?? 'key'}
      .selected=${this.picked?.stage === stage ? [this.picked.row, this.picked.col] : null}
      file-name=${`${this.fileBase}-${stage}`}
      .describe=${spec.explain}
      @attn-cell-click=${(e: CellClickEvent) => this.pick(stage, e.row, e.col)}
      ><button slot="actions" title="Download these values as .npy" @click=${() => this.exportStage(stage, head)}>
        .npy
      </button></attn-heatmap
    >`;
  }

  override render() {
    if (!this.problem || !this.reference) return nothing;
    const p = this.problem;
    const ref = this.reference;
    const { n, m, heads, kvHeads } = p.shape;
    const head = this.currentHead;
    const probs = this.stageValues('probs', head);
    const sinks = this.sinkNotes(head);
    // Card chrome (padding and border) is 28px; gaps between cards 22px.
    const probsWidth = Math.max(260, Math.floor(this.width * 0.6) - 28);
    const outputWidth = Math.max(200, this.width - probsWidth - 28 - 28 - 24);
    const stages = 3 + (ref.capped ? 1 : 0) + (ref.bias ? 1 : 0);
    const perRow = m <= 6 ? Math.min(stages, 3) : 2;
    const scoreWidth = Math.max(220, Math.floor((this.width - (perRow - 1) * 22) / perRow) - 28);
    const probsCell = measureCell({
      values: [],
      rows: n,
      cols: m,
      rowLabels: p.queryLabels,
      colLabels: p.keyLabels,
      colour: 'probability',
      rowSums: true,
      rowNotes: sinks,
      rowAxis: 'query',
      colAxis: 'key',
      maxWidth: probsWidth,
    });
    const scoreMap = (stage: ViewName, caption: string, explain: (h: number, i: number, j: number) => Explained) =>
      html`<div class="card">
        ${this.map({ stage, caption, values: this.stageValues(stage, head), maxWidth: scoreWidth, explain: (i, j) => explain(head, i, j) })}
      </div>`;
    const sinkCaption = sinks ? `; the sink (σ = ${short(p.options.sinks![head])}) takes the rest: row Σ + sink = 1` : '; rows sum to 1';
    const chain = [
      'raw',
      'scaled',
      ref.capped && 'softcapped',
      ref.bias && '+ ALiBi bias',
      'masked',
      p.options.activation !== 'softmax' ? describeActivation(p.options.activation) : sinks ? 'softmax with a sink' : 'softmax',
    ];
    const kvNote = (t: number) => (kvHeads !== heads ? `K/V head ${kvHeadOf(t, heads, kvHeads)}` : `head ${t}`);
    return html`
      ${heads > 1 ? html`<div class="heads">Head ${Array.from({ length: heads }, (_, t) => html`<button aria-pressed=${t === head ? 'true' : 'false'} title=${`show head ${t} (reads ${kvNote(t)})`} @click=${() => this.setView({ head: t })}>${t}</button>`)}</div>` : nothing}
      ${heads > 1 ? html`<attn-head-grid .ctx=${this.ctx} .weightsOf=${(t: number) => this.stageValues('probs', t)} selected=${head} width=${this.width} file-base=${this.fileBase}></attn-head-grid>` : nothing}
      ${this.gpu ? this.renderSource(this.gpu) : nothing}
      <div class="maps">
        <div class="card">
          ${
            p.options.activation === 'softmax'
              ? this.map({
                  stage: 'probs',
                  caption: `softmax of each row${sinkCaption}`,
                  values: probs,
                  maxWidth: probsWidth,
                  colour: 'probability',
                  rowSums: true,
                  rowNotes: sinks,
                  explain: (i, j) => explainProb(this.ctx, head, i, j),
                })
              : // An elementwise φ: unnormalised weights, any size (GELU: slightly negative too), so a signed scale and no row sums.
                this.map({
                  stage: 'probs',
                  caption: `${describeActivation(p.options.activation)} of each score, no normalisation: rows need not sum to 1`,
                  values: probs,
                  maxWidth: probsWidth,
                  colour: 'diverging',
                  explain: (i, j) => explainElementwise(this.ctx, head, i, j),
                })
          }
        </div>
        <div class="card">
          ${this.map({ stage: 'output', caption: 'weights × V: one row per query', values: this.stageValues('output', head), maxWidth: outputWidth, maxCell: probsCell, columns: { count: ref.output.cols, labels: p.valueLabels, axis: 'value dim' }, explain: (i, c) => explainOutput(this.ctx, i, c) })}
        </div>
        ${
          ref.projected
            ? html`<div class="card">
                ${this.map({ stage: 'projected', caption: `the heads' outputs, concatenated (${ref.output.cols}), projected to ${ref.projected.cols} dims`, values: this.stageValues('projected', head), maxWidth: Math.max(outputWidth, 260), maxCell: probsCell, columns: { count: ref.projected.cols, labels: p.projectedLabels, axis: 'model dim' }, explain: (i, c) => explainProjected(this.ctx, i, c) })}
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
            focus-row=${Math.min(this.focusRow, n - 1)}
            .queryMarked=${p.queryKnown?.map((k) => !k) ?? null}
            .keyMarked=${p.keyKnown?.map((k) => !k) ?? null}
          ></attn-line-view>
        </div>
      </div>
      ${ref.rotated ? html`<attn-rope-view .ctx=${this.ctx} head=${head} width=${this.width} file-base=${this.fileBase}></attn-rope-view>` : nothing}
      <h4>How the weights are made: ${chain.filter((x) => x).join(' → ')}</h4>
      <div class="maps">
        ${scoreMap('raw', `${RAW_SCORE_CAPTIONS[p.options.score]}${ref.rotated ? ', q and k after RoPE' : ''}`, (h, i, j) => explainRaw(this.ctx, h, i, j))}
        ${scoreMap('scaled', `× ${scaleCaption(p)} ÷ T=${short(p.options.temperature)}`, (h, i, j) => explainScaled(this.ctx, h, i, j))}
        ${ref.capped ? scoreMap('capped', `c · tanh(s / c), c = ${short(p.options.softcap!)}`, (h, i, j) => explainCapped(this.ctx, h, i, j)) : nothing}
        ${ref.bias ? scoreMap('bias', `−slope × distance; this head's slope ${short(resolveAlibiSlopes(p.options)![head])}`, (h, i, j) => explainBias(this.ctx, h, i, j)) : nothing}
        ${scoreMap('masked', maskedCaption(p), (h, i, j) => explainMasked(this.ctx, h, i, j))}
      </div>
    `;
  }

  private renderSource(gpu: GpuValues) {
    return html`<div class="source">
      Values drawn from:
      <label
        ><input type="radio" name="src" .checked=${!this.showGpu} @change=${() => (this.showGpu = false)} /> CPU reference (float64)</label
      >
      <label
        ><input type="radio" name="src" .checked=${this.showGpu} @change=${() => (this.showGpu = true)} /> GPU
        (float32)${gpu.scores ? '' : ' — output only for this kernel'}</label
      >
    </div>`;
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

function maskedCaption(p: Problem): string {
  const { causal, window } = p.options;
  if (window !== null) return `outside the window of ${window} → −∞${p.inputs.mask || causal ? ', and other hidden pairs' : ''}`;
  return p.inputs.mask || causal ? 'hidden pairs → −∞' : 'nothing hidden';
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-stage-view': AttnStageView;
  }
}
