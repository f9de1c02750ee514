/**
 * <attn-mask-editor>: the n×m attention mask as clickable cells. A click hides key j from query i
 * (or shows it again); a click on a key's name marks that key as padding, hidden from every query.
 * Cells the causal option hides are drawn hatched, and those outside the sliding window hatched the
 * other way (a band), so the mask the kernel will apply is all here.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Grid } from '../core/grid';
import { causalShift, positionalHide, visibleKeyRange } from '../core/options';
import { MaskEditEvent } from './events';
import { buttonStyles, panelStyles, srOnlyStyles } from './styles';

const MAX_SIDE = 40;

@customElement('attn-mask-editor')
export class AttnMaskEditor extends LitElement {
  static override styles = [
    buttonStyles,
    panelStyles,
    srOnlyStyles,
    css`
      :host {
        /* the sliding window's hatching, shared by the cells it hides and the legend */
        --window-stripes: repeating-linear-gradient(
          -45deg,
          var(--attn-color-border-faint),
          var(--attn-color-border-faint) 2px,
          var(--attn-color-mask-window) 2px,
          var(--attn-color-mask-window) 4px
        );
        display: block;
      }
      .scroll {
        overflow: auto;
        max-height: 320px;
      }
      table {
        border-collapse: collapse;
        font-size: 11px;
      }
      th {
        font-weight: 500;
        color: var(--attn-color-text-header);
        padding: 0 3px;
        white-space: nowrap;
      }
      thead th {
        height: 4.5em;
        vertical-align: bottom;
      }
      thead th button {
        writing-mode: vertical-rl;
        transform: rotate(180deg);
        border: 0;
        padding: 2px 0;
        font-size: 11px;
        background: none;
      }
      thead th button.pad {
        color: var(--attn-color-danger);
        text-decoration: line-through;
      }
      tbody th {
        text-align: right;
      }
      td {
        padding: 0;
      }
      td button {
        width: 18px;
        height: 18px;
        padding: 0;
        border: 1px solid var(--attn-color-border-cell);
        border-radius: var(--attn-radius-xs);
        display: block;
      }
      td button.on {
        background: var(--attn-color-mask-visible);
      }
      td button.off {
        background: var(--attn-color-mask-hidden);
      }
      td button.causal {
        background: repeating-linear-gradient(
          45deg,
          var(--attn-color-border-faint),
          var(--attn-color-border-faint) 3px,
          var(--attn-color-mask-hatch) 3px,
          var(--attn-color-mask-hatch) 5px
        );
      }
      td button.padded {
        background: var(--attn-color-mask-padded);
      }
      td button.window {
        background: var(--window-stripes);
      }
      .legend {
        display: flex;
        gap: 0.8rem;
        flex-wrap: wrap;
        margin-top: 0.35rem;
      }
      .legend span::before {
        content: '';
        display: inline-block;
        width: 10px;
        height: 10px;
        margin-right: 4px;
        vertical-align: -1px;
        border: 1px solid var(--attn-color-border-legend);
      }
      .legend .on::before {
        background: var(--attn-color-mask-visible);
      }
      .legend .off::before {
        background: var(--attn-color-mask-hidden);
      }
      .legend .causal::before {
        background: repeating-linear-gradient(
          45deg,
          var(--attn-color-border-faint),
          var(--attn-color-border-faint) 2px,
          var(--attn-color-mask-hatch) 2px,
          var(--attn-color-mask-hatch) 4px
        );
      }
      .legend .padded::before {
        background: var(--attn-color-mask-padded);
      }
      .legend .window::before {
        background: var(--window-stripes);
      }
    `,
  ];

  @property({ attribute: false }) mask: Grid | null = null;
  @property({ attribute: false }) padding: ReadonlySet<number> = new Set();
  @property({ attribute: false }) rowLabels: readonly string[] = [];
  @property({ attribute: false }) colLabels: readonly string[] = [];
  @property({ type: Boolean }) causal = false;
  /** Sliding window w (each query sees the keys within w of its position), or null: the band it leaves is drawn. */
  @property({ attribute: false }) window: number | null = null;

  private get rule() {
    const n = this.rowLabels.length,
      m = this.colLabels.length;
    return { causal: this.causal, window: this.window, shift: causalShift(n, m), m };
  }

  override render() {
    const n = this.rowLabels.length,
      m = this.colLabels.length;
    const hidden = this.countHidden(n, m);
    const tooBig = n > MAX_SIDE || m > MAX_SIDE;
    return html`
      <section class="panel">
        <h2>Mask <span class="muted">${hidden ? `${hidden} of ${n * m} pairs hidden` : 'every query sees every key'}</span></h2>
        ${
          tooBig
            ? html`<p class="muted">The mask editor shows problems up to ${MAX_SIDE}×${MAX_SIDE}; this one is ${n}×${m}.</p>`
            : html`<p class="muted">Click a cell to hide that key from that query; click a key's name to mark it as padding.</p>
                <div class="scroll">${this.renderGrid()}</div>
                <div class="legend muted">
                  <span class="on">visible</span><span class="off">masked</span
                  ><span class="padded">padding</span>${this.causal ? html`<span class="causal">hidden by causal</span>` : nothing}${
                    this.window !== null ? html`<span class="window">outside the window (w = ${this.window})</span>` : nothing
                  }
                </div>`
        }
        <div class="row">
          <button
            @click=${() => this.dispatchEvent(new MaskEditEvent({ kind: 'clear' }))}
            ?disabled=${!this.mask && this.padding.size === 0}
          >
            Clear mask and padding
          </button>
        </div>
      </section>
    `;
  }

  private renderGrid() {
    const rule = this.rule;
    return html`<table>
      <thead>
        <tr>
          <th><span class="sr-only">query</span></th>
          ${this.colLabels.map(
            (label, j) =>
              html`<th>
                <button
                  class=${this.padding.has(j) ? 'pad' : ''}
                  title=${this.padding.has(j) ? `${label} is padding: click to unmark` : `Mark ${label} as padding`}
                  aria-pressed=${this.padding.has(j) ? 'true' : 'false'}
                  data-pad=${j}
                  @click=${() => this.dispatchEvent(new MaskEditEvent({ kind: 'toggle-padding', key: j }))}
                >
                  ${label}
                </button>
              </th>`,
          )}
        </tr>
      </thead>
      <tbody>
        ${this.rowLabels.map(
          (label, i) =>
            html`<tr>
              <th>${label}</th>
              ${this.colLabels.map((_, j) => {
                const explicit = (this.mask?.[i]?.[j] ?? 1) !== 0;
                const cls = !explicit ? 'off' : this.padding.has(j) ? 'padded' : (positionalHide(i, j, rule) ?? 'on');
                return html`<td>
                  <button
                    class=${cls}
                    data-cell=${`${i},${j}`}
                    aria-label=${`${label} → ${this.colLabels[j]}: ${cls}`}
                    @click=${() => this.dispatchEvent(new MaskEditEvent({ kind: 'toggle', row: i, col: j }))}
                  ></button>
                </td>`;
              })}
            </tr>`,
        )}
      </tbody>
    </table>`;
  }

  /** Hidden pairs, counted per row: O(n·(padding + 1)) without an explicit mask, so a long sequence costs nothing. */
  private countHidden(n: number, m: number): number {
    const rule = this.rule;
    const padded = [...this.padding].filter((j) => j < m);
    let hidden = 0;
    for (let i = 0; i < n; i++) {
      const row = this.mask?.[i];
      if (row) {
        for (let j = 0; j < m; j++) if ((row[j] ?? 1) === 0 || this.padding.has(j) || positionalHide(i, j, rule)) hidden++;
        continue;
      }
      // Causal and the window leave keys first … last visible to query i; padding hides some of them too.
      const [first, last] = visibleKeyRange(i, rule);
      const visible = Math.max(0, last - first + 1);
      hidden += m - visible + padded.filter((j) => j >= first && j <= last).length;
    }
    return hidden;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-mask-editor': AttnMaskEditor;
  }
}
