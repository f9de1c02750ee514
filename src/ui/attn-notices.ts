/**
 * <attn-notices>: the page's notices (a bad file, a lost device, a copied link): the current error,
 * information, and the earlier errors behind a disclosure. Each has a close button that sends
 * NoticeDismissEvent. The NoticeController decides which are shown and for how long.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { NoticeDismissEvent } from './events';
import type { Notice, NoticeAction } from './notice-controller';
import { buttonStyles } from './styles';

@customElement('attn-notices')
export class AttnNotices extends LitElement {
  static override styles = [
    buttonStyles,
    css`
      :host {
        display: block;
      }
      .notices {
        display: grid;
        gap: var(--attn-space-2);
        margin: var(--attn-space-3) 0;
      }
      .notice {
        display: flex;
        gap: 0.6rem;
        align-items: baseline;
        padding: 0.4rem var(--attn-space-4);
        border-radius: var(--attn-radius-notice);
        font-size: 0.83rem;
        background: var(--attn-color-notice-bg);
        border: 1px solid var(--attn-color-notice-border);
      }
      .notice.error {
        background: var(--attn-color-danger-bg);
        border-color: var(--attn-color-danger-border);
      }
      .notice {
        /* Buttons wrap below the text on a narrow screen instead of running past it. */
        flex-wrap: wrap;
      }
      .notice span {
        flex: 1 1 14rem;
        min-width: 0;
        overflow-wrap: anywhere;
      }
      .notice button {
        border: 0;
        background: none;
        font-size: 0.9rem;
      }
      .notice button.action {
        border: 1px solid var(--attn-color-border-control);
        border-radius: var(--attn-radius-control);
        font-size: 0.8rem;
        white-space: nowrap;
      }
      .earlier {
        font-size: 0.8rem;
      }
      .earlier .notices {
        margin: var(--attn-space-2) 0 0;
      }
    `,
  ];

  /** The notices to show: the current error (if any) first. */
  @property({ attribute: false }) notices: readonly Notice[] = [];
  /** Errors the current one replaced, newest first. */
  @property({ attribute: false }) earlier: readonly Notice[] = [];

  override render() {
    if (!this.notices.length && !this.earlier.length) return nothing;
    return html`<div class="notices" role="status">${this.notices.map(this.renderNotice)}</div>
      ${
        this.earlier.length
          ? html`<details class="earlier" id="earlier-notices">
              <summary>Earlier problems (${this.earlier.length})</summary>
              <div class="notices">${this.earlier.map(this.renderNotice)}</div>
            </details>`
          : nothing
      }`;
  }

  /** A notice's button: its action, then the notice closes when the action settles it. */
  private act(n: Notice, action: NoticeAction): void {
    action.run();
    if (action.closes) this.dispatchEvent(new NoticeDismissEvent(n.id));
  }

  private renderNotice = (n: Notice) =>
    html`<div class="notice ${n.level}" data-level=${n.level} data-source=${n.source ?? ''}>
      <span>${n.text}</span>${(n.actions ?? []).map(
        (a) => html`<button class="action" @click=${() => this.act(n, a)}>${a.label}</button>`,
      )}<button aria-label="Close this notice" title="Close" @click=${() => this.dispatchEvent(new NoticeDismissEvent(n.id))}>✕</button>
    </div>`;
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-notices': AttnNotices;
  }
}
