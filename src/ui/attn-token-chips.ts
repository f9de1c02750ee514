/**
 * <attn-token-chips>: the model's tokens of the text, one chip each with its text (as the
 * tokenizer shows it) and its id; tokens added by Generate are marked.
 */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { ModelToken } from './model-controller';

@customElement('attn-token-chips')
export class AttnTokenChips extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    ol {
      list-style: none;
      display: flex;
      flex-wrap: wrap;
      gap: 0.25rem;
      padding: 0;
      margin: 0.3rem 0;
    }
    li {
      display: inline-flex;
      align-items: baseline;
      gap: 0.25rem;
      border: 1px solid var(--attn-color-border-control);
      border-radius: var(--attn-radius-pill);
      padding: 0.05rem 0.45rem;
      font-size: 0.8rem;
      background: var(--attn-color-surface);
    }
    li.generated {
      border-style: dashed;
      border-color: var(--attn-color-accent);
    }
    .text {
      font-family: var(--attn-font-mono);
      white-space: pre;
    }
    .id {
      color: var(--attn-color-text-muted);
      font-size: 0.7rem;
    }
  `;

  @property({ attribute: false }) tokens: readonly ModelToken[] = [];

  override render() {
    return html`<ol id="token-chips" aria-label="tokens">
      ${this.tokens.map(
        (t, i) =>
          html`<li
            class=${t.generated ? 'generated' : ''}
            data-id=${t.id}
            title=${`token ${i}: id ${t.id}${t.generated ? ' (generated)' : ''}`}
          >
            <span class="text">${t.text}</span><span class="id">${t.id}</span>
          </li>`,
      )}
    </ol>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-token-chips': AttnTokenChips;
  }
}
