/**
 * <attn-head-grid>: every head's attention weights side by side, small, as many to a row as fit
 * the given width. Clicking a head (or a cell of it, or Enter on a cell of its focused map) selects
 * that head for the maps below (a view-only StateEditEvent; head-card.ts). With grouped-query
 * attention, the query heads that share a K/V head are drawn in one outlined group.
 */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ProvenanceContext } from '../core/provenance';
import { explainProb } from '../core/provenance';
import { headGroups } from '../core/feature-options';
import { kvHeadOf } from '../core/features';
import { StateEditEvent } from './events';
import { selectOnCardClick } from './head-card';
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
      .groups {
        display: flex;
        flex-wrap: wrap;
        gap: 0.6rem;
        margin-bottom: 1rem;
      }
      .group {
        border: 2px dashed var(--attn-color-border-control);
        border-radius: var(--attn-radius-card);
        padding: 0.3rem 0.4rem 0.4rem;
      }
      .group .head-grid {
        margin-bottom: 0;
      }
      p.muted {
        color: var(--attn-color-text-muted);
        font-size: 0.8rem;
        margin: 0 0 0.4rem;
      }
      .group-label {
        font-size: 0.78rem;
        color: var(--attn-color-text-soft);
        margin: 0 0 0.3rem;
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
    const { heads, kvHeads } = this.ctx.problem.shape;
    const title = html`<h4>Attention weights of every head <span class="muted">— click a head to show it below</span></h4>`;
    if (kvHeads === heads)
      return html`${title}${this.renderGrid(
        Array.from({ length: heads }, (_, t) => t),
        this.width,
      )}`;
    // Grouped-query attention: the query heads that share a K/V head sit in one outlined group.
    const groups = headGroups(heads, kvHeads);
    const perGroup = heads / kvHeads;
    // Groups side by side while their maps fit at ~250px each; a group wider than the view wraps its maps.
    const groupsPerRow = Math.max(1, Math.min(kvHeads, Math.floor(this.width / (perGroup * 250))));
    const groupWidth = Math.max(250, Math.floor((this.width - (groupsPerRow - 1) * 10) / groupsPerRow) - 16);
    return html`${title}
      <p class="muted">
        ${heads} query heads share ${kvHeads} K/V head${kvHeads > 1 ? 's' : ''} (${perGroup} per group): heads in one outline read the same
        keys and values.
      </p>
      <div class="groups">
        ${groups.map(
          (members, g) =>
            html`<div class="group" data-kv-head=${g}>
              <p class="group-label">K/V head ${g}: query heads ${members.join(', ')}</p>
              ${this.renderGrid(members, groupWidth)}
            </div>`,
        )}
      </div>`;
  }

  private renderGrid(members: readonly number[], space: number) {
    const p = this.ctx.problem;
    const { n, m, heads, kvHeads } = p.shape;
    // A small map is at least ~230px wide (labels and legend): as many per row as fit, rows evenly filled.
    const count = members.length;
    const fit = Math.max(1, Math.min(count, Math.floor((space + 10) / 240)));
    const perRow = Math.ceil(count / Math.ceil(count / fit));
    const width = Math.floor((space - (perRow - 1) * 10) / perRow) - 22;
    return html`<div class="head-grid" role="list" style=${`--per-row: ${perRow}`}>
      ${members.map(
        (t) =>
          html`<div
            class="card"
            role="listitem"
            data-head=${t}
            data-kv-head=${kvHeadOf(t, heads, kvHeads)}
            aria-current=${t === this.selected ? 'true' : 'false'}
            title=${`show head ${t}`}
            @click=${selectOnCardClick(() => this.select(t))}
            @attn-cell-click=${() => this.select(t)}
          >
            <attn-heatmap
              data-head=${t}
              heading=${kvHeads === heads ? `head ${t}` : `head ${t} · K/V ${kvHeadOf(t, heads, kvHeads)}`}
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
