/**
 * <attn-mlp-panel>: MLP mode's inputs column — x, W₁ and W₂ (grid editors whose shapes stay linked),
 * φ (ReLU or GELU), "put the softmax back", the kernel variant (naive or tiled: the fused variant
 * has only an online softmax), the built-in example, and why an MLP is attention with φ for the
 * softmax (Karpathy's note). Edits go up as StateEditEvents; one that does not fit changes nothing.
 */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { MlpMatrixName } from '../core/mlp-state';
import { applyMlpMatrixOp } from '../core/mlp-state';
import type { MlpState } from '../core/state';
import { DEFAULT_MLP_STATE } from '../core/state';
import { StateEditEvent } from './events';
import type { MatrixEditEvent } from './events';
import { buttonStyles, panelStyles } from './styles';
import './attn-matrix-editor';

/** Karpathy's note, from the seeds (002: his post on the history of attention). */
export const KARPATHY_NOTE =
  'Even the Multilayer Perceptron (MLP) can actually be almost re-written as Attention over data-indepedent weights (1st layer weights are the queries, 2nd layer weights are the values, the keys are just input, and softmax becomes elementwise, deleting the normalization).';

const labels = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);

@customElement('attn-mlp-panel')
export class AttnMlpPanel extends LitElement {
  static override styles = [
    buttonStyles,
    panelStyles,
    css`
      :host {
        display: block;
      }
      blockquote {
        margin: var(--attn-space-3) 0;
        padding-left: var(--attn-space-4);
        border-left: 3px solid var(--attn-color-border);
        font-size: 0.85rem;
      }
      p {
        font-size: 0.85rem;
      }
    `,
  ];

  @property({ attribute: false }) mlp: MlpState = DEFAULT_MLP_STATE;
  @property() variant = 'tiled';
  @property({ type: Boolean, attribute: 'gpu-available' }) gpuAvailable = false;

  private edit(name: MlpMatrixName, event: MatrixEditEvent): void {
    // This panel applies its own three grids' edits (the page's matrix edits are matrix mode's).
    event.stopPropagation();
    const op = event.op;
    const key = op.kind === 'set' && !event.ownStep ? `mlp:${name}:${op.row}:${op.col}` : null;
    const edit = new StateEditEvent((s) => applyMlpMatrixOp(s, name, op), key);
    this.dispatchEvent(edit);
    // An import the shapes refuse is then not announced as imported (attn-matrix-toolbar).
    event.refused = edit.refused;
  }

  private set(patch: Partial<MlpState>): void {
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, mlp: { ...s.mlp, ...patch } })));
  }

  private onVariant = (event: Event) => {
    const variant = (event.target as HTMLSelectElement).value;
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, variant })));
  };

  override render() {
    const m = this.mlp;
    const d = m.x[0]?.length ?? 0,
      hidden = m.w1.length,
      dout = m.w2.length;
    return html`
      <section class="panel">
        <h2>MLP: y = W₂ · φ(W₁ x)</h2>
        <attn-matrix-editor
          id="mlp-x"
          name="x"
          heading="x — inputs"
          hint="one input per row (the queries)"
          structural
          .values=${m.x}
          .rowLabels=${labels(m.x.length, 'x')}
          .colLabels=${labels(d, 'd')}
          @attn-matrix-edit=${(e: MatrixEditEvent) => this.edit('x', e)}
        ></attn-matrix-editor>
        <attn-matrix-editor
          id="mlp-w1"
          name="w1"
          heading="W₁ — keys"
          hint="first layer: one row per hidden unit, as wide as x"
          structural
          .values=${m.w1}
          .rowLabels=${labels(hidden, 'h')}
          .colLabels=${labels(d, 'd')}
          @attn-matrix-edit=${(e: MatrixEditEvent) => this.edit('w1', e)}
        ></attn-matrix-editor>
        <attn-matrix-editor
          id="mlp-w2"
          name="w2"
          heading="W₂ — values"
          hint="second layer: one row per output, one column per hidden unit (V = W₂ᵀ)"
          structural
          .values=${m.w2}
          .rowLabels=${labels(dout, 'y')}
          .colLabels=${labels(hidden, 'h')}
          @attn-matrix-edit=${(e: MatrixEditEvent) => this.edit('w2', e)}
        ></attn-matrix-editor>
        <div class="row">
          <label
            >φ
            <select
              id="mlp-activation"
              aria-label="activation φ"
              @change=${(e: Event) => this.set({ activation: (e.target as HTMLSelectElement).value as MlpState['activation'] })}
            >
              <option value="relu" ?selected=${m.activation === 'relu'}>ReLU</option>
              <option value="gelu" ?selected=${m.activation === 'gelu'}>GELU (tanh form)</option>
            </select></label
          >
          <label
            >variant
            <select id="mlp-variant" aria-label="kernel variant" @change=${this.onVariant} ?disabled=${!this.gpuAvailable}>
              ${['naive', 'tiled'].map((v) => html`<option value=${v} ?selected=${v === this.variant}>${v}</option>`)}
            </select></label
          >
        </div>
        <label class="row"
          ><input
            type="checkbox"
            id="mlp-softmax"
            .checked=${m.softmax}
            @change=${(e: Event) => this.set({ softmax: (e.target as HTMLInputElement).checked })}
          />
          Put the softmax back</label
        >
        <div class="row">
          <button id="mlp-example" @click=${() => this.set({ ...DEFAULT_MLP_STATE })}>Built-in example</button>
        </div>
      </section>
      <section class="panel" id="mlp-explanation">
        <h2>Why this is attention</h2>
        <p>Karpathy, in the seeds' history of attention (his post about Bahdanau's email):</p>
        <blockquote>“${KARPATHY_NOTE}”</blockquote>
        <p>
          Here the attention form is Q = x, K = W₁ (one key per hidden unit), V = W₂ᵀ, a plain dot product (scale none), and φ applied to
          each score on its own: o = Σᵢ φ(x · W₁[i]) · W₂[:, i], which is y = W₂ · φ(W₁ x) term by term. The note names the roles the other
          way round — the first layer's weights as queries and the input as keys — and a dot product does not care: x · W₁[i] = W₁[i] · x.
          Taking the input as the query gives one output row per input, as everywhere else in the playground.
        </p>
        <p>
          Putting the softmax back divides each row of weights by its sum after exponentiating: the weights become positive and sum to 1, so
          the output is a weighted average of W₂'s columns — bounded by them whatever the size of x — instead of the MLP's unnormalised sum,
          which scales with the pre-activations and can ignore units entirely (ReLU's zeros).
        </p>
      </section>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-mlp-panel': AttnMlpPanel;
  }
}
