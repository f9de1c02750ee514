/**
 * <attn-model-grid>: BertViz's model view — every layer × head of a model step as a small map of
 * its attention weights (the GPU's probabilities, or the float64 reference's for a variant that
 * returns none, labelled so), the query heads that share a K/V head outlined together, each with
 * its verdict against float64 and its learned role. Hover a cell for the weight; click a head, or
 * press Enter on a cell of its focused map, to show it in full (a view-only StateEditEvent;
 * head-card.ts).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { verdictBadge } from '../core/metrics';
import { kvHeadOf } from '../core/features';
import { headGroups } from '../core/feature-options';
import type { HeadCheck } from '../core/model/check';
import type { ModelRoles } from '../core/model/roles';
import { headRoleLabel, headRoleScores } from '../core/model/roles';
import { StateEditEvent } from './events';
import { selectOnCardClick } from './head-card';
import type { CellInfo } from './attn-heatmap';
import { verdictBadgeStyles } from './attn-verdict';
import type { ModelOutcome } from './model-controller';
import { stageCardStyles } from './stage-view-styles';
import './attn-heatmap';

@customElement('attn-model-grid')
export class AttnModelGrid extends LitElement {
  static override styles = [
    stageCardStyles,
    verdictBadgeStyles,
    css`
      :host {
        display: block;
      }
      .layer {
        display: flex;
        align-items: flex-start;
        gap: 0.5rem;
        margin-bottom: 0.6rem;
      }
      .layer-label {
        writing-mode: vertical-rl;
        transform: rotate(180deg);
        font-size: 0.78rem;
        color: var(--attn-color-text-soft);
      }
      .group {
        display: flex;
        gap: 0.4rem;
        border: 2px dashed var(--attn-color-border-control);
        border-radius: var(--attn-radius-card);
        padding: 0.25rem;
      }
      .groups {
        display: flex;
        gap: 0.5rem;
        min-width: 0;
        overflow-x: auto;
      }
      /* Phones: a layer's heads wrap onto more rows instead of scrolling off the screen. */
      @media (max-width: 600px) {
        .groups,
        .group {
          flex-wrap: wrap;
        }
      }
      .card {
        cursor: pointer;
        padding: 0.3rem 0.4rem;
      }
      .card[aria-current='true'] {
        border-color: var(--attn-color-accent);
        box-shadow: 0 0 0 2px var(--attn-color-accent);
      }
      .tags {
        display: flex;
        gap: 0.3rem;
        align-items: center;
        font-size: 0.72rem;
        margin-top: 0.2rem;
      }
      .badge {
        padding: 0 0.4rem;
      }
      .role {
        border-radius: var(--attn-radius-pill);
        background: var(--attn-color-note-bg);
        border: 1px solid var(--attn-color-note-border);
        padding: 0 0.4rem;
      }
      p.muted {
        color: var(--attn-color-text-muted);
        font-size: 0.8rem;
        margin: 0 0 0.4rem;
      }
    `,
  ];

  @property({ attribute: false }) outcome: ModelOutcome | null = null;
  @property({ attribute: false }) roles: ModelRoles | null = null;
  @property({ type: Number }) layer = 0;
  @property({ type: Number }) head = 0;
  /** The width the grid may take, in pixels. */
  @property({ type: Number }) width = 800;

  private select(layer: number, head: number): void {
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, model: { ...s.model, layer, head } }), null, false));
  }

  /** A head's weights as drawn, and whether they are the GPU's. */
  private weights(layer: number, head: number, check: HeadCheck | undefined): { values: ArrayLike<number>; gpu: boolean } | null {
    const run = this.outcome!.layers[layer];
    const n = run.call.inputs.q.rows;
    const m = run.call.inputs.k.rows;
    if (run.result.probs) return { values: run.result.probs.subarray(head * n * m, (head + 1) * n * m), gpu: true };
    return check ? { values: check.referenceProbs, gpu: false } : null;
  }

  override render() {
    const o = this.outcome;
    if (!o || o.layers.length === 0) return nothing;
    const { heads, kvHeads } = o.layers[0].call.options;
    const kv = kvHeads ?? heads;
    const gpuProbs = o.layers[0].result.probs !== null;
    // One layer to a row (scrolling sideways when the maps cannot shrink further): the layer label, each
    // group's outline and gaps, each card's padding and gap, and the map's own margins around max-width.
    const cell = Math.max(110, Math.floor((this.width - 40 - kv * 24 - heads * 48) / heads));
    return html`<h3 class="grid-title">
        Every layer × head <span class="muted">— click a head to show it below; hover a cell for its weight</span>
      </h3>
      <p class="muted" id="grid-source">
        ${gpuProbs ? 'Weights from the GPU (float32).' : `${o.variant} returns no weights: the maps show the float64 reference's weights for the same inputs.`}
        ${kv !== heads ? `${heads} query heads share ${kv} K/V heads: heads in one outline read the same keys and values.` : ''}
        ${o.queryStart > 0 ? `A decode step: the new token's row over all ${o.tokens.length} tokens (the KV cache).` : ''}
      </p>
      ${o.layers.map((_, layer) => {
        const groups = headGroups(heads, kv);
        return html`<div class="layer" data-layer=${layer}>
          <span class="layer-label">layer ${layer}</span>
          <div class="groups">
            ${groups.map((members, g) => html`<div class="group" data-kv-head=${g} title=${`K/V head ${g}: query heads ${members.join(', ')}`}>${members.map((t) => this.renderHead(layer, t, cell, kvHeadOf(t, heads, kv)))}</div>`)}
          </div>
        </div>`;
      })}`;
  }

  private renderHead(layer: number, head: number, width: number, kvHead: number) {
    const o = this.outcome!;
    const check = o.checks?.heads.find((h) => h.layer === layer && h.head === head);
    const weights = this.weights(layer, head, check);
    const run = o.layers[layer];
    const n = run.call.inputs.q.rows;
    const m = run.call.inputs.k.rows;
    const queries = o.tokens.slice(o.queryStart).map((t) => t.text);
    const keys = o.tokens.map((t) => t.text);
    const scores = headRoleScores(this.roles, layer, head);
    const role = scores && headRoleLabel(scores);
    const describe = (i: number, j: number): CellInfo => ({
      title: `${queries[i]} → ${keys[j]}: ${weights ? weights.values[i * m + j].toFixed(4) : '…'}`,
      lines: [`layer ${layer}, head ${head} (K/V head ${kvHead}), query ${o.queryStart + i} → key ${j}`],
    });
    const selected = layer === this.layer && head === this.head;
    return html`<div
      class="card"
      data-layer=${layer}
      data-head=${head}
      aria-current=${selected ? 'true' : 'false'}
      @click=${selectOnCardClick(() => this.select(layer, head))}
      @attn-cell-click=${() => this.select(layer, head)}
    >
      ${
        weights
          ? html`<attn-heatmap
              heading=${`L${layer} H${head}`}
              .values=${weights.values}
              rows=${n}
              cols=${m}
              .rowLabels=${queries}
              .colLabels=${keys}
              colour="probability"
              .domain=${[0, 1]}
              max-width=${width}
              max-cell="14"
              file-name=${`model-L${layer}-H${head}`}
              .describe=${describe}
            ></attn-heatmap>`
          : html`<p class="muted">L${layer} H${head}: waiting for the reference…</p>`
      }
      <div class="tags">
        ${
          check
            ? html`<span
                class="badge ${check.pass ? 'pass' : 'fail'}"
                data-verdict=${check.pass ? 'pass' : 'fail'}
                title=${`output vs float64: ${verdictBadge(check.output).text}; ${verdictBadge(check.output).detail}`}
                >${check.pass ? '✓' : '✗'} float64</span
              >`
            : html`<span class="badge" data-verdict="pending">checking…</span>`
        }
        ${role ? html`<span class="role" data-role=${role}>${role}</span>` : nothing}
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-model-grid': AttnModelGrid;
  }
}
