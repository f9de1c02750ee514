/**
 * <attn-head-grid>: every head's attention weights side by side, small, as many to a row as fit
 * the given width. Clicking a head (or a cell of it) selects that head for the maps below (a
 * view-only StateEditEvent).
 */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ProvenanceContext } from '../core/provenance';
import { explainProb } from '../core/provenance';
import { StateEditEvent } from './events';
import { stageCardStyles } from './stage-view-styles';
import './attn-heatmap';

@customElement('attn-head-grid')
export class AttnHeadGrid extends LitElement {
  static override styles = [
    stageCardStyles,
    css`
      :host {
        display: block;
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

  /** The run whose heads are shown. */
  @property({ attribute: false }) ctx!: ProvenanceContext;
  /** A head's weights as drawn (the CPU reference's or the GPU's). */
  @property({ attribute: false }) weightsOf: (head: number) => ArrayLike<number> = () => [];
  /** The head shown below the grid. */
  @property({ type: Number }) selected = 0;
  /** The width the grid may take, in pixels. */
  @property({ type: Number }) width = 800;
  /** Base for exported file names. */
  @property({ attribute: 'file-base' }) fileBase = 'attention';

  private select(head: number): void {
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, view: { ...s.view, head } }), null, false));
  }

  override render() {
    const p = this.ctx.problem;
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
              aria-current=${t === this.selected ? 'true' : 'false'}
              title=${`show head ${t}`}
              @click=${() => this.select(t)}
              @attn-cell-click=${() => this.select(t)}
            >
              <attn-heatmap
                data-head=${t}
                heading=${`head ${t}`}
                .values=${this.weightsOf(t)}
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
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-head-grid': AttnHeadGrid;
  }
}
