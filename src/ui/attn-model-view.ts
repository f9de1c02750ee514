/**
 * <attn-model-view>: model mode's outputs — the next-token prediction and generation
 * (<attn-next-token>), the grid of every layer × head (<attn-model-grid>), and the selected head in
 * full: its learned role with the measured scores, its verdict against float64 (<attn-verdict>),
 * "Edit in matrix mode", and every stage (<attn-stage-view>, as in matrix mode).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { joinSentences } from '../core/errors';
import { headRoleLabel, headRoleScores } from '../core/model/roles';
import type { PlaygroundState } from '../core/state';
import { defaultState } from '../core/state';
import { CommandEvent } from './events';
import type { ModelView } from './model-controller';
import type { ShownHead } from '../core/model/shown-head';
import { shownModelHead } from './model-head-outcome';
import type { RunOutcome } from './run-types';
import { buttonStyles } from './styles';
import './attn-model-grid';
import './attn-next-token';
import './attn-stage-view';
import './attn-verdict';
import { WidthController } from './width-controller';

@customElement('attn-model-view')
export class AttnModelView extends LitElement {
  static override styles = [
    buttonStyles,
    css`
      :host {
        display: block;
      }
      .message {
        padding: var(--attn-space-3) 0.75rem;
        border-radius: var(--attn-radius-card);
        background: var(--attn-color-danger-bg);
        border: 1px solid var(--attn-color-danger-border);
        font-size: 0.85rem;
        margin-bottom: 0.6rem;
      }
      .status,
      .muted {
        color: var(--attn-color-text-muted);
        font-size: 0.8rem;
      }
      .head-title {
        display: flex;
        flex-wrap: wrap;
        align-items: baseline;
        gap: 0.6rem;
        margin: 1rem 0 0.4rem;
      }
      .head-title h3 {
        margin: 0;
        font-size: 1rem;
      }
      .role {
        font-size: 0.8rem;
      }
      .range-note {
        font-size: 0.84rem;
        background: var(--attn-color-note-bg);
        border: 1px solid var(--attn-color-note-border);
        border-radius: var(--attn-radius-card);
        padding: var(--attn-space-3) 0.75rem;
        margin-bottom: 0.6rem;
      }
    `,
  ];

  @property({ attribute: false }) view: ModelView | null = null;
  @property({ attribute: false }) state: PlaygroundState = defaultState();
  /** The selected head as an ordinary run (model-head-outcome.ts); null before the first step. */
  @property({ attribute: false }) headOutcome: RunOutcome | null = null;

  /** Our own width: the maps share it. */
  private readonly size = new WidthController(this);

  private get width(): number {
    return this.size.width;
  }

  override render() {
    const v = this.view;
    const o = v?.outcome ?? null;
    const s = this.state.model;
    // The state's head, or the model's last where the state names one past it (then said).
    const shown = shownModelHead(o, s);
    return html`
      ${v?.error ? html`<div class="message" role="alert" id="model-error"><strong>Not run:</strong> ${joinSentences(v.error, o && 'The results below are from the last text that ran.')}</div>` : nothing}
      ${o?.checkError ? html`<div class="message" role="alert">${o.checkError}</div>` : nothing}
      ${
        o
          ? html`<p class="status" id="model-status">
              ${o.tokens.length} tokens, ${o.layers.length} layers on the ${o.variant}
              kernels${o.yourKernels.length ? html` + <strong>your ${o.yourKernels.join(', ')} kernel</strong>` : ''}:
              ${o.layerMs.map((ms) => `${ms.toFixed(0)} ms`).join(' + ')} per layer; grid ${(o.gridMs / 1000).toFixed(2)} s after the edit.
            </p>`
          : html`<p class="status">${v?.running || v?.loading ? 'Running the model…' : ''}</p>`
      }
      <attn-next-token
        .outcome=${o}
        .tokenizer=${v?.model?.tokenizer ?? null}
        .settings=${s}
        ?busy=${v?.running ?? false}
        .canGenerate=${v?.generation?.canGenerate ?? true}
        ?tokens-elsewhere=${v?.generation?.setAside?.reason === 'another-model'}
      ></attn-next-token>
      ${o?.storageNote ? html`<p class="range-note" id="model-storage-note" role="status">${o.storageNote}</p>` : nothing}
      ${shown?.note ? html`<p class="range-note" id="head-range" role="status">${shown.note}</p>` : nothing}
      <attn-model-grid
        .outcome=${o}
        .roles=${v?.model?.roles ?? null}
        layer=${shown?.layer ?? s.layer}
        head=${shown?.head ?? s.head}
        width=${this.width}
      ></attn-model-grid>
      ${shown && this.headOutcome ? this.renderHead(this.headOutcome, shown) : nothing}
    `;
  }

  private renderHead(h: RunOutcome, { layer, head }: ShownHead) {
    const scores = headRoleScores(this.view?.model?.roles ?? null, layer, head);
    const role = scores && headRoleLabel(scores);
    return html`<div class="head-title" id="head-detail" data-layer=${layer} data-head=${head}>
        <h3>Layer ${layer}, head ${head}</h3>
        <span class="role" id="head-role"
          >${role ? html`role: <strong>${role}</strong>` : 'no learned role measured above the thresholds'}${
            scores
              ? html` <span class="muted"
                  >(previous-token ${scores.previousToken.toFixed(2)}, induction ${scores.induction.toFixed(2)}, antecedent
                  ${scores.antecedent.toFixed(2)})</span
                >`
              : nothing
          }</span
        >
        <button
          id="head-to-matrix"
          title="Q, K, V (before RoPE) and this layer's options, as editable matrices"
          @click=${() => this.dispatchEvent(new CommandEvent('model-head-to-matrix'))}
        >
          Edit in matrix mode
        </button>
      </div>
      <attn-verdict .outcome=${h} .kernels=${this.state.kernels}></attn-verdict>
      <attn-stage-view
        .problem=${h.problem}
        .reference=${h.reference}
        .gpu=${h.gpu}
        head="0"
        focus-row=${h.problem.shape.n - 1}
        file-base=${`model-L${layer}-H${head}`}
      ></attn-stage-view>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-model-view': AttnModelView;
  }
}
