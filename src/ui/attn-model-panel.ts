/**
 * <attn-model-panel>: model mode's inputs column — the model picker and facts, the text (its
 * tokens as chips), and the kernel variant and storage every head runs with. Edits go up as StateEditEvents.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { PlaygroundState } from '../core/state';
import { defaultState, textLengthProblem } from '../core/state';
import { hasIntermediates, isVariant, VARIANT_NAMES } from '../gpu/variants';
import { isPrecisionChoice, PRECISION_TITLES, PRECISIONS } from '../core/precision';
import { StateEditEvent } from './events';
import type { ModelToken, ModelView } from './model-controller';
import { buttonStyles, panelStyles } from './styles';
import './attn-model-picker';
import './attn-token-chips';

@customElement('attn-model-panel')
export class AttnModelPanel extends LitElement {
  static override styles = [
    buttonStyles,
    panelStyles,
    css`
      :host {
        display: block;
      }
      textarea {
        width: 100%;
        box-sizing: border-box;
        min-height: 4.5rem;
        font: inherit;
        font-size: 0.9rem;
      }
      .error {
        color: var(--attn-color-danger);
        font-size: 0.8rem;
      }
    `,
  ];

  @property({ attribute: false }) state: PlaygroundState = defaultState();
  @property({ attribute: false }) view: ModelView | null = null;
  @property({ type: Boolean, attribute: 'gpu-available' }) gpuAvailable = false;

  /** Why the typed text is not applied (too long to save); it stays in the box, flagged. */
  @state() private textProblem: string | null = null;

  private onText = (event: Event) => {
    const text = (event.target as HTMLTextAreaElement).value;
    this.textProblem = textLengthProblem(text);
    if (this.textProblem) return;
    // New text: the tokens generated after the old text no longer follow it.
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, model: { ...s.model, text, generated: [] } }), 'model-text'));
  };

  private onVariant = (event: Event) => {
    const variant = (event.target as HTMLSelectElement).value;
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, variant })));
  };

  private onPrecision = (event: Event) => {
    const precision = (event.target as HTMLSelectElement).value;
    if (isPrecisionChoice(precision) && precision !== 'auto') this.dispatchEvent(new StateEditEvent((s) => ({ ...s, precision })));
  };

  /**
   * The tokens of the text as typed now (the last run's generated tokens after them while they still
   * follow it); tokens another model generated are set aside, not drawn in this model's words.
   */
  private get tokens(): ModelToken[] {
    const model = this.view?.model;
    if (!model) return [];
    const o = this.view?.outcome;
    let typedIds: number[];
    try {
      typedIds = model.tokenizer.encode(this.state.model.text);
    } catch {
      // A word without an id: the run says so (ModelController); no chips until the text is fixed.
      typedIds = [];
    }
    const typed = typedIds.map((id) => ({ id, text: model.tokenizer.tokenText(id), generated: false }));
    const generated = (this.view?.generation?.run ?? []).map((id) => ({ id, text: model.tokenizer.tokenText(id), generated: true }));
    return o && o.tokens.length === typed.length + generated.length ? o.tokens : [...typed, ...generated];
  }

  /** The storage select follows the state (Undo, links): its option attributes stop working once a user has picked. */
  protected override updated(): void {
    const storage = this.renderRoot.querySelector<HTMLSelectElement>('#model-storage');
    if (storage && storage.value !== this.state.precision) storage.value = this.state.precision;
  }

  override render() {
    const v = this.view;
    const s = this.state;
    const variant = isVariant(s.variant) ? s.variant : 'tiled';
    return html`
      <attn-model-picker
        .source=${s.model.source}
        .model=${v?.model ?? null}
        .loadedSource=${v?.loadedSource ?? { kind: 'builtin' }}
        .generation=${v?.generation ?? null}
        ?loading=${v?.loading ?? false}
      ></attn-model-picker>
      <section class="panel">
        <h2>Text</h2>
        <textarea
          id="model-text"
          aria-label="model text"
          aria-invalid=${this.textProblem ? 'true' : 'false'}
          aria-describedby=${this.textProblem ? 'model-text-problem' : nothing}
          .value=${s.model.text}
          @input=${this.onText}
        ></textarea>
        ${this.textProblem ? html`<p class="error" id="model-text-problem" role="alert">This text ${this.textProblem}.</p>` : nothing}
        <attn-token-chips .tokens=${this.tokens}></attn-token-chips>
        ${v?.model ? html`<p class="muted">${this.tokens.length} of ${v.model.weights.config.contextLength} tokens of context</p>` : nothing}
      </section>
      <section class="panel">
        <h2>Kernels</h2>
        <div class="row">
          <label
            >variant
            <select id="model-variant" aria-label="kernel variant" @change=${this.onVariant} ?disabled=${!this.gpuAvailable}>
              ${VARIANT_NAMES.map((name) => html`<option value=${name} ?selected=${name === variant}>${name}${hasIntermediates(name) ? '' : ' (output only)'}</option>`)}
            </select></label
          >
          <label
            >storage
            <select id="model-storage" aria-label="storage precision" @change=${this.onPrecision} ?disabled=${!this.gpuAvailable}>
              ${PRECISIONS.map((p) => html`<option value=${p} ?selected=${p === s.precision}>${PRECISION_TITLES[p]}</option>`)}
            </select></label
          >
          ${s.kernels ? html`<span class="muted">with your ${Object.keys(s.kernels).join(', ')} kernel from the Shader lab</span>` : nothing}
        </div>
        <p class="muted">
          Every head of every layer runs on these kernels; edit them in the Shader lab tab. f16 storage applies where a layer can have it
          (fused, without RoPE); other layers store float32, and the result says why.
        </p>
      </section>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-model-panel': AttnModelPanel;
  }
}
