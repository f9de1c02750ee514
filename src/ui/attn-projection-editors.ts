/**
 * <attn-projection-editors>: sentence mode's projections W_q, W_k, W_v in a collapsible section,
 * one grid editor each (built only while the section is open: each has 100 rows). Their edits go
 * up as MatrixEditEvents; "Back to generated W" drops them (a StateEditEvent).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Grid } from '../core/grid';
import { fromMatrix } from '../core/grid';
import type { SentenceState } from '../core/state';
import type { Matrix } from '../core/tensor';
import { StateEditEvent } from './events';
import { buttonStyles, panelStyles } from './styles';
import './attn-matrix-editor';

@customElement('attn-projection-editors')
export class AttnProjectionEditors extends LitElement {
  static override styles = [
    buttonStyles,
    panelStyles,
    css`
      :host {
        display: block;
      }
      details {
        margin: 0.5rem 0;
      }
      summary {
        cursor: pointer;
        font-size: 0.85rem;
        font-weight: 600;
      }
    `,
  ];

  @property({ attribute: false }) sentence!: SentenceState;
  /** The generated projections (shown where the state holds no edited ones). */
  @property({ attribute: false }) generated!: { wq: Matrix; wk: Matrix; wv: Matrix };
  /** Heads: each has its own block of columns. */
  @property({ type: Number }) heads = 1;

  /** The 100-row projection editors are only built while their section is open. */
  @state() private open = false;

  private backToGenerated = () => {
    this.dispatchEvent(
      new StateEditEvent(
        (st) => ({ ...st, sentence: { ...st.sentence, wq: null, wk: null, wv: null, featureLabels: null, valueLabels: null } }),
        'generated',
      ),
    );
  };

  override render() {
    const s = this.sentence;
    const { wq, wk, wv } = this.generated;
    const edited = !!(s.wq || s.wk || s.wv);
    const rows = Array.from({ length: wq.rows }, (_, i) => `e${i}`);
    const heads = this.heads;
    // With several heads a column is named after its head: "h1·3" is head 1's column 3.
    const numbered = (j: number, count: number) =>
      heads > 1 && count % heads === 0 ? `h${Math.floor(j / (count / heads))}·${j % (count / heads)}` : String(j);
    const names = (given: string[] | null, count: number) =>
      Array.from({ length: count }, (_, j) => (given?.length === count ? given[j] : numbered(j, count)));
    const editor = (name: 'wq' | 'wk' | 'wv', title: string, grid: Grid) =>
      html`<attn-matrix-editor
        name=${name}
        heading=${title}
        .values=${grid}
        .rowLabels=${rows}
        .colLabels=${names(name === 'wv' ? s.valueLabels : s.featureLabels, grid[0].length)}
        max-rows="100"
      ></attn-matrix-editor>`;
    return html`<details @toggle=${(e: Event) => (this.open = (e.target as HTMLDetailsElement).open)}>
      <summary>
        Projections W<sub>q</sub>, W<sub>k</sub>, W<sub>v</sub>
        ${edited ? html`<span class="muted">(edited)</span>` : html`<span class="muted">(${s.init === 'random' ? `seeded random, seed ${s.seed}` : 'identity'}${heads > 1 ? `, one block of columns per head` : ''})</span>`}
      </summary>
      <p class="muted">
        Each word vector (100 numbers) times W gives its query, key or
        value${heads > 1 ? html`; head t uses its own block of columns (its own seed), so the ${heads} heads attend differently` : ''}. Edit
        any cell; the run updates.
      </p>
      ${edited ? html`<button @click=${this.backToGenerated}>Back to generated W</button>` : nothing}
      ${
        this.open
          ? html` ${editor('wq', 'W_q', s.wq ?? fromMatrix(wq))} ${editor('wk', 'W_k', s.wk ?? fromMatrix(wk))}
            ${editor('wv', 'W_v', s.wv ?? fromMatrix(wv))}`
          : nothing
      }
    </details>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-projection-editors': AttnProjectionEditors;
  }
}
