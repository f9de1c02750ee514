/**
 * <attn-line-view>: one query's attention as lines from its word (left) to every key (right),
 * thicker and darker for more weight — the picture BertViz made familiar. Click a query word to
 * focus it; "all queries" draws every row at once, faintly.
 */
import { LitElement, css, html, svg } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { StateEditEvent } from './events';

const ROW = 22;
const TOP = 28;
const LEFT_X = 150;
const RIGHT_X = 330;
const WIDTH = 560;
/** Beyond this many words per side the view shows a window of queries and the heaviest keys. */
const MAX_SIDE = 40;

@customElement('attn-line-view')
export class AttnLineView extends LitElement {
  static override styles = css`
    /* A fixed-size picture: on a narrow screen it scrolls inside its own box. */
    :host {
      display: block;
      overflow-x: auto;
      max-width: 100%;
    }
    header {
      display: flex;
      align-items: baseline;
      gap: 0.6rem;
    }
    h3 {
      font-size: 0.95rem;
      margin: 0 0 0.25rem;
      font-weight: 600;
    }
    .muted {
      color: var(--attn-color-text-muted);
      font-size: 0.8rem;
    }
    svg {
      display: block;
      font: 12px var(--attn-font-sans);
      user-select: none;
    }
    text.query {
      cursor: pointer;
    }
    text.query:hover {
      fill: var(--attn-color-accent);
    }
    text.query:focus,
    text.key:focus {
      outline: none;
      text-decoration: underline;
      fill: var(--attn-color-accent-strong);
    }
    text.query,
    text.key {
      fill: var(--attn-color-text);
    }
    text.focus {
      font-weight: 700;
      fill: var(--attn-color-accent-strong);
    }
    text.hidden {
      fill: var(--attn-color-text-disabled);
    }
    line.link {
      stroke: var(--attn-color-accent-line);
    }
    rect.bar {
      fill: var(--attn-color-accent-line);
    }
    .weight {
      fill: var(--attn-color-text-soft);
      font-size: 11px;
      font-variant-numeric: tabular-nums;
    }
    label {
      font-size: 0.8rem;
    }
  `;

  @property({ attribute: false }) queryLabels: readonly string[] = [];
  @property({ attribute: false }) keyLabels: readonly string[] = [];
  /** n×m weights of one head, row-major. */
  @property({ attribute: false }) probs: ArrayLike<number> = [];
  /** The focused query row. */
  @property({ type: Number, attribute: 'focus-row' }) focusRow = 0;
  @property({ attribute: false }) queryMarked: readonly boolean[] | null = null;
  @property({ attribute: false }) keyMarked: readonly boolean[] | null = null;

  @state() private all = false;

  override render() {
    const n = this.queryLabels.length,
      m = this.keyLabels.length;
    const focus = Math.min(this.focusRow, n - 1);
    const weight = (i: number, j: number) => this.probs[i * m + j] ?? 0;
    const queries = windowAround(focus, n, MAX_SIDE);
    const keys = heaviest(
      Array.from({ length: m }, (_, j) => weight(focus, j)),
      MAX_SIDE,
    );
    const height = TOP + Math.max(queries.length, keys.length) * ROW + 6;
    const yq = (i: number) => TOP + queries.indexOf(i) * ROW + ROW / 2;
    const yk = (j: number) => TOP + keys.indexOf(j) * ROW + ROW / 2;
    const rows = this.all ? queries : [focus];
    return html`
      <header>
        <h3>Where “${this.queryLabels[focus] ?? ''}” looks</h3>
        <span class="muted">line width and colour ∝ weight; click a word on the left to focus it</span>
        <label
          ><input type="checkbox" .checked=${this.all} @change=${(e: Event) => (this.all = (e.target as HTMLInputElement).checked)} /> all
          queries</label
        >
      </header>
      ${
        n > queries.length || m > keys.length
          ? html`<p class="muted">
              Showing ${queries.length} of ${n} queries around the focused one and the ${keys.length} keys it weighs most, of ${m}.
            </p>`
          : ''
      }
      <svg
        width=${WIDTH}
        height=${height}
        viewBox="0 0 ${WIDTH} ${height}"
        role="group"
        aria-label=${`attention of ${this.queryLabels[focus]} over the keys: query words, then the keys with their weights`}
      >
        ${svg`<text x=${LEFT_X} y="14" text-anchor="end" class="weight" aria-hidden="true">queries</text><text x=${RIGHT_X} y="14" class="weight" aria-hidden="true">keys</text>`}
        ${rows.map((i) =>
          keys.map((j) => {
            const w = weight(i, j);
            if (!(w > 0.002)) return svg``;
            const opacity = this.all && i !== focus ? 0.12 + 0.5 * w : 0.15 + 0.85 * w;
            return svg`<line aria-hidden="true" x1=${LEFT_X + 8} y1=${yq(i)} x2=${RIGHT_X - 8} y2=${yk(j)} class="link" stroke-opacity=${opacity} stroke-width=${0.6 + 7 * w} stroke-linecap="round"></line>`;
          }),
        )}
        ${queries.map(
          (i) => svg`<text x=${LEFT_X} y=${yq(i) + 4} text-anchor="end"
          class="query ${i === focus ? 'focus' : ''}" font-style=${this.queryMarked?.[i] ? 'italic' : 'normal'}
          tabindex="0" role="button" aria-pressed=${i === focus ? 'true' : 'false'}
          aria-label=${`query ${this.queryLabels[i]}${this.queryMarked?.[i] ? ' (no real vector)' : ''}: show where it looks`}
          @click=${() => this.setFocus(i)} @keydown=${(e: KeyboardEvent) => this.onQueryKey(e, i)}>${this.queryLabels[i]}${this.queryMarked?.[i] ? '?' : ''}</text>`,
        )}
        ${keys.map((j) => {
          const w = weight(focus, j);
          return svg`<text x=${RIGHT_X} y=${yk(j) + 4} class="key ${w === 0 ? 'hidden' : ''}" font-style=${this.keyMarked?.[j] ? 'italic' : 'normal'}
            tabindex="0" role="img" aria-label=${`key ${this.keyLabels[j]}${this.keyMarked?.[j] ? ' (no real vector)' : ''}: weight ${w.toFixed(3)}`}>${this.keyLabels[j]}${this.keyMarked?.[j] ? '?' : ''}</text>
            <text x=${RIGHT_X + 110} y=${yk(j) + 4} class="weight" aria-hidden="true">${w.toFixed(3)}</text>
            <rect x=${RIGHT_X + 150} y=${yk(j) - 5} width=${Math.max(0, w) * 60} height="10" class="bar" fill-opacity="0.55" aria-hidden="true"></rect>`;
        })}
      </svg>
    `;
  }

  /** Enter or Space on a focused query word focuses that query, as a click does. */
  private onQueryKey(event: KeyboardEvent, i: number): void {
    if (event.key !== 'Enter' && event.key !== ' ') return;
    event.preventDefault();
    this.setFocus(i);
  }

  private setFocus(i: number): void {
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, view: { ...s.view, focusQuery: i } }), null, false));
  }
}

/** Up to `size` consecutive indices of [0, n) with `center` among them. */
function windowAround(center: number, n: number, size: number): number[] {
  const start = Math.max(0, Math.min(center - Math.floor(size / 2), n - size));
  return Array.from({ length: Math.min(size, n) }, (_, k) => start + k);
}

/** Indices of the `size` largest weights, in their original order. */
function heaviest(weights: number[], size: number): number[] {
  if (weights.length <= size) return weights.map((_, j) => j);
  return weights
    .map((w, j) => [w, j] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, size)
    .map(([, j]) => j)
    .sort((a, b) => a - b);
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-line-view': AttnLineView;
  }
}
