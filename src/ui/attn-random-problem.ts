/**
 * <attn-random-problem>: seeded random Q, K, V of any size (up to 16384 tokens), for long
 * sequences that nobody types: n, m, d_k and d_v per head, and a seed. With several heads a note
 * beside the boxes says what they make of the widths the grids show (perHeadWidths, as sentence
 * mode says it). Sends one StateEditEvent (one undo step) that replaces the three matrices. The
 * boxes keep the text typed (./box-text.ts).
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { RandomProblemSize } from '../core/state';
import { MAX_RANDOM_ROWS, MAX_RANDOM_WIDTH, randomProblemError, withRandomProblem } from '../core/state';
import { FULL_REFERENCE_SCORES } from '../core/problem';
import { perHeadWidths } from '../core/shapes';
import { numberText } from './box-text';
import { StateEditEvent } from './events';
import { buttonStyles, panelStyles } from './styles';

type Field = keyof RandomProblemSize;

const FIELDS: { field: Field; label: string; max: number }[] = [
  { field: 'n', label: 'n (queries)', max: MAX_RANDOM_ROWS },
  { field: 'm', label: 'm (keys)', max: MAX_RANDOM_ROWS },
  { field: 'dk', label: 'd_k', max: MAX_RANDOM_WIDTH },
  { field: 'dv', label: 'd_v', max: MAX_RANDOM_WIDTH },
  { field: 'seed', label: 'seed', max: 2 ** 31 - 1 },
];

@customElement('attn-random-problem')
export class AttnRandomProblem extends LitElement {
  static override styles = [
    buttonStyles,
    panelStyles,
    css`
      :host {
        display: block;
      }
      details {
        font-size: 0.82rem;
      }
      summary {
        cursor: pointer;
        font-weight: 600;
      }
      .error {
        color: var(--attn-color-danger);
        font-size: 0.78rem;
      }
      input[type='number'] {
        width: 5.5em;
      }
    `,
  ];

  /** Heads: Q gets heads·d_k columns; K and V kvHeads·d_k and kvHeads·d_v. */
  @property({ type: Number }) heads = 1;
  /** K/V heads (grouped-query attention; equal to heads without it). */
  @property({ type: Number, attribute: 'kv-heads' }) kvHeads = 1;

  @state() private size: RandomProblemSize = { n: 8192, m: 8192, dk: 64, dv: 64, seed: 1 };

  override render() {
    const error = randomProblemError(this.size);
    const { n, m, dk, dv } = this.size;
    const scores = this.heads * n * m;
    // d_k and d_v size one head; the grids show heads × d_k columns.
    const perHead = this.heads > 1 && !error;
    return html`<details>
      <summary>Random Q, K, V of any size</summary>
      <p class="muted">
        Seeded uniform values in [−1, 1) — for long sequences (up to ${MAX_RANDOM_ROWS} tokens). Or import an .npy into each matrix.
      </p>
      <div class="row">
        ${FIELDS.map(
          ({ field, label, max }) =>
            html`<label
                >${label}
                <input
                  type="number"
                  min=${field === 'seed' ? -max : 1}
                  max=${max}
                  step="1"
                  aria-label=${`random ${field}`}
                  aria-describedby=${perHead && (field === 'dk' || field === 'dv') ? 'per-head' : nothing}
                  .value=${numberText(Number.isNaN(this.size[field]) ? null : this.size[field])}
                  @input=${(e: Event) => this.set(field, e)} /></label
              >${field === 'dv' && perHead ? html`<span class="muted" id="per-head">${perHeadWidths(this.heads, this.kvHeads, dk, dv)}</span>` : nothing}`,
        )}
        <button class="primary" id="generate" ?disabled=${!!error} @click=${this.generate}>Generate</button>
      </div>
      ${
        error
          ? html`<p class="error" role="alert">${error}</p>`
          : html`<p class="muted">
              Q ${n}×${this.heads * dk}, K ${m}×${this.kvHeads * dk}, V
              ${m}×${this.kvHeads * dv}${this.heads > 1 ? ` (${this.heads} heads${this.kvHeads !== this.heads ? `, ${this.kvHeads} K/V` : ''})` : ''}:
              ${(scores / 1e6).toFixed(scores < 1e6 ? 3 : 1)} M
              scores.${
                scores > FULL_REFERENCE_SCORES
                  ? html` The GPU computes every row, in blocks you can cancel; the CPU reference and the maps use sampled rows. The fused
                    kernel needs the least memory.`
                  : nothing
              }
            </p>`
      }
    </details>`;
  }

  private set(field: Field, event: Event): void {
    const text = (event.target as HTMLInputElement).value;
    this.size = { ...this.size, [field]: text.trim() === '' ? NaN : Number(text) };
  }

  private generate = () => {
    const size = { ...this.size };
    if (randomProblemError(size)) return;
    this.dispatchEvent(new StateEditEvent((s) => withRandomProblem(s, size)));
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-random-problem': AttnRandomProblem;
  }
}
