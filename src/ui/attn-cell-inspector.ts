/**
 * <attn-cell-inspector>: the cell last clicked in a stage's map, explained. Its CPU (float64) and
 * GPU (float32) values side by side, their distance in ULP, and how the value was computed
 * (src/core/provenance.ts).
 */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ProvenanceContext } from '../core/provenance';
import { exact, explainMasked, explainOutput, explainProb, explainProjected, explainRaw, explainScaled, short } from '../core/provenance';
import { ulpDistance } from '../core/metrics';
import { explainBias, explainCapped } from '../core/provenance-features';
import type { ViewName } from '../core/stages';

/** A clicked cell: the stage's map and the row and column in it. */
export interface PickedCell {
  stage: ViewName;
  row: number;
  col: number;
}

@customElement('attn-cell-inspector')
export class AttnCellInspector extends LitElement {
  static override styles = css`
    :host {
      display: block;
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
  `;

  /** The run the cell belongs to. */
  @property({ attribute: false }) ctx!: ProvenanceContext;
  @property({ attribute: false }) picked!: PickedCell;
  /** The head whose maps are shown. */
  @property({ type: Number }) head = 0;

  override render() {
    const { stage, row, col } = this.picked;
    const { head, ctx } = this;
    const { n, m } = ctx.problem.shape;
    const perHead = {
      raw: explainRaw,
      scaled: explainScaled,
      capped: explainCapped,
      bias: explainBias,
      masked: explainMasked,
      probs: explainProb,
    };
    const explained =
      stage in perHead
        ? perHead[stage as keyof typeof perHead](ctx, head, row, col)
        : stage === 'projected'
          ? explainProjected(ctx, row, col)
          : explainOutput(ctx, row, col);
    const ref = ctx.reference;
    const idx =
      stage === 'output'
        ? row * ref.output.cols + col
        : stage === 'projected'
          ? row * (ref.projected?.cols ?? 0) + col
          : (head * n + row) * m + col;
    const cpuArray =
      stage === 'output'
        ? ref.output.data
        : stage === 'projected'
          ? (ref.projected?.data ?? [])
          : stage === 'rotated'
            ? []
            : (ref[stage]?.data ?? []);
    const gpuArray =
      stage === 'output'
        ? ctx.gpu?.output
        : stage === 'projected'
          ? ctx.gpu?.projected
          : stage === 'probs'
            ? ctx.gpu?.probs
            : stage === 'masked'
              ? ctx.gpu?.scores
              : null;
    const cpu = cpuArray[idx],
      gpu = gpuArray?.[idx];
    return html`<div class="inspector" role="status" data-inspector=${stage}>
      <strong>${explained.title}</strong> CPU (float64) = ${exact(cpu)} GPU (float32) =
      ${gpu === undefined ? (['raw', 'scaled', 'capped', 'bias'].includes(stage) ? 'not a separate GPU stage' : 'not returned by this run') : exact(gpu)}${
        gpu !== undefined && Number.isFinite(cpu)
          ? `
|GPU − CPU| = ${short(Math.abs(gpu - cpu))}   (${ulpDistance(gpu, cpu)} ULP)`
          : ''
      }
      ${explained.lines.join('\n')}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-cell-inspector': AttnCellInspector;
  }
}
