/**
 * <attn-adapter-panel>: which GPU runs the kernels. Vendor and architecture; on SwiftShader a
 * plain notice that this is CPU emulation; with no WebGPU a banner that says why and how to get
 * it; after a device loss the reason and a Reconnect button that rebuilds the device in place.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { CommandEvent } from './events';
import type { GpuStatus } from './gpu-session';
import { buttonStyles } from './styles';

@customElement('attn-adapter-panel')
export class AttnAdapterPanel extends LitElement {
  static override styles = [
    buttonStyles,
    css`
      :host {
        display: block;
      }
      .banner {
        display: flex;
        flex-wrap: wrap;
        gap: 0.3rem 0.8rem;
        align-items: baseline;
        padding: 0.45rem 0.75rem;
        border-radius: var(--attn-radius-card);
        border: 1px solid var(--attn-color-info-border);
        background: var(--attn-color-info-bg);
        font-size: 0.82rem;
      }
      .warn {
        background: var(--attn-color-warning-bg);
        border-color: var(--attn-color-warning-border);
      }
      .error {
        background: var(--attn-color-danger-bg);
        border-color: var(--attn-color-danger-border);
      }
      details {
        font-size: 0.78rem;
      }
      summary {
        cursor: pointer;
        color: var(--attn-color-accent);
      }
      dl {
        display: grid;
        grid-template-columns: max-content minmax(0, 1fr);
        gap: 0.1rem 0.8rem;
        margin: 0.4rem 0;
      }
      dt {
        color: var(--attn-color-text-muted);
      }
      dd {
        margin: 0;
        font-family: var(--attn-font-mono);
        overflow-wrap: anywhere;
      }
      strong {
        font-weight: 650;
      }
    `,
  ];

  @property({ attribute: false }) status: GpuStatus = { kind: 'connecting' };

  override render() {
    const s = this.status;
    switch (s.kind) {
      case 'connecting':
        return html`<div class="banner" id="adapter-connecting">Looking for a WebGPU adapter…</div>`;
      case 'unavailable':
        return html`<div class="banner warn" id="no-webgpu" role="alert">
          <strong>No WebGPU here</strong> — ${s.reason} Everything still works on the float64 CPU reference; there is just no GPU result to
          compare.
          <details>
            <summary>How to get WebGPU</summary>
            <p>${s.howTo}</p>
          </details>
        </div>`;
      case 'lost':
        return html`<div class="banner error" id="device-lost" role="alert">
          <strong>The GPU device was lost</strong> — ${s.reason}. Results below come from the CPU reference until the device is back.
          <button class="primary" id="reconnect" @click=${() => this.dispatchEvent(new CommandEvent('reconnect'))}>Reconnect</button>
        </div>`;
      case 'ready': {
        const a = s.summary;
        const name = [a.vendor, a.architecture].filter(Boolean).join(' · ') || 'unnamed adapter';
        return html`<div class="banner ${a.isSoftware ? 'warn' : ''}" id="adapter">
          <span>WebGPU adapter: <strong>${name}</strong>${a.description ? html` <span>(${a.description})</span>` : nothing}</span>
          ${a.isSoftware ? html`<span id="software-notice"><strong>CPU emulation</strong> (SwiftShader): results are real WebGPU results, but timings say nothing about a GPU.</span>` : nothing}
          <details>
            <summary>features and limits</summary>
            <dl>
              <dt>features</dt>
              <dd>${a.features.join(', ') || 'none'}</dd>
              ${Object.entries(a.limits).map(
                ([k, v]) =>
                  html`<dt>${k}</dt>
                    <dd>${v.toLocaleString('en')}</dd>`,
              )}
            </dl>
          </details>
        </div>`;
      }
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-adapter-panel': AttnAdapterPanel;
  }
}
