/**
 * <attn-rope-view>: RoPE's stage — the shown head's queries and the keys of the K/V head it reads,
 * before and after the rotation, as four maps (rows are tokens, columns the head's dimensions).
 * Each cell explains its pair's angle on hover (src/core/provenance-features.ts).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { kvHeadOf, ropeDims } from '../core/features';
import type { ProvenanceContext } from '../core/provenance';
import { short } from '../core/provenance';
import { explainRotated, ropePosition } from '../core/provenance-features';
import { VIEW_TITLES } from '../core/stages';
import type { Matrix } from '../core/tensor';
import { stageCardStyles, stageViewStyles } from './stage-view-styles';
import './attn-heatmap';

/** Columns [from, from + width) of a row-major matrix. */
function columns(m: Matrix<Float32Array | Float64Array>, from: number, width: number): Float64Array {
  const out = new Float64Array(m.rows * width);
  for (let i = 0; i < m.rows; i++) for (let c = 0; c < width; c++) out[i * width + c] = m.data[i * m.cols + from + c];
  return out;
}

@customElement('attn-rope-view')
export class AttnRopeView extends LitElement {
  static override styles = [
    stageCardStyles,
    stageViewStyles,
    css`
      .maps {
        display: grid;
        grid-template-columns: repeat(2, max-content);
      }
      /* Phones: one map a row. */
      @media (max-width: 600px) {
        .maps {
          grid-template-columns: minmax(0, 1fr);
        }
      }
    `,
  ];

  /** The run whose rotated Q and K are shown (its reference has `rotated`). */
  @property({ attribute: false }) ctx!: ProvenanceContext;
  /** The query head shown; K is the K/V head it reads. */
  @property({ type: Number }) head = 0;
  /** The width the maps may take, in pixels. */
  @property({ type: Number }) width = 800;
  /** Base for exported file names. */
  @property({ attribute: 'file-base' }) fileBase = 'attention';

  override render() {
    const rotated = this.ctx?.reference.rotated;
    const rope = this.ctx?.problem.options.rope;
    if (!rotated || !rope) return nothing;
    const p = this.ctx.problem;
    const { dk, heads, kvHeads } = p.shape;
    const kv = kvHeadOf(this.head, heads, kvHeads);
    const r = ropeDims(rope, dk);
    const dims = Array.from({ length: dk }, (_, d) => `d${d}`);
    const width = Math.max(200, Math.floor((this.width - 22) / 2) - 28);
    const first = (which: 'q' | 'k') => ropePosition(this.ctx, which, 0);
    const map = (which: 'q' | 'k', after: boolean) => {
      const source = which === 'q' ? (after ? rotated.q : p.inputs.q) : after ? rotated.k : p.inputs.k;
      const block = which === 'q' ? this.head : kv;
      const name = which === 'q' ? 'Q' : 'K';
      const heading = `${name}${heads > 1 ? ` (${which === 'q' ? 'head' : 'K/V head'} ${block})` : ''} ${after ? 'after RoPE' : 'before'}`;
      return html`<div class="card">
        <attn-heatmap
          data-stage="rotated"
          data-tensor=${`${which}-${after ? 'after' : 'before'}`}
          heading=${heading}
          caption=${after ? `${which === 'q' ? 'query' : 'key'} positions from ${first(which)}` : 'as given'}
          .values=${columns(source, block * dk, dk)}
          rows=${source.rows}
          cols=${dk}
          .rowLabels=${which === 'q' ? p.queryLabels : p.keyLabels}
          .colLabels=${dims}
          colour="diverging"
          row-axis=${which === 'q' ? 'query' : 'key'}
          col-axis="dimension"
          max-width=${width}
          max-cell="40"
          file-name=${`${this.fileBase}-${which}-${after ? 'rotated' : 'input'}`}
          .describe=${(i: number, d: number) => explainRotated(this.ctx, which, block, i, d)}
        ></attn-heatmap>
      </div>`;
    };
    return html`<h4>
        ${VIEW_TITLES.rotated}
        <span class="muted"
          >— ${rope.layout === 'interleaved' ? 'pairs (2i, 2i+1)' : 'pairs (i, i + r/2)'}, ${r} of ${dk} dimensions rotated, base
          ${short(rope.base)}, offset ${rope.offset}: each pair turns by position × θ_i, so q·k depends only on i − j</span
        >
      </h4>
      <div class="maps" data-stage="rotated">${map('q', false)} ${map('q', true)} ${map('k', false)} ${map('k', true)}</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-rope-view': AttnRopeView;
  }
}
