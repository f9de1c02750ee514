/**
 * <attn-model-picker>: which model model mode runs — the built-in one (the default), files the user
 * chooses or drops on the panel (a .gguf, .safetensors with config.json and tokenizer.json and
 * optionally roles.json, or a llama2.c checkpoint with its tokenizer .bin), or a URL the user types
 * and loads with Load (a llama2.c checkpoint's tokenizer from beside it or from a second URL after
 * a space; nothing is fetched until then) — and the loaded model's facts. A choice goes up as a
 * ModelSourceEvent; the coordinator loads it and, when the loader refuses it, says why and keeps the
 * previous model.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { parameterCount } from '../core/model/config';
import type { GeneratedTokens } from '../core/model/generated-tokens';
import { generatedTokens, modelSourceNote } from '../core/model/generated-tokens';
import type { LoadedModel } from '../core/model/loaded';
import type { ModelSourceState } from '../core/state';
import { ModelSourceEvent } from './events';
import { buttonStyles, panelStyles } from './styles';

@customElement('attn-model-picker')
export class AttnModelPicker extends LitElement {
  static override styles = [
    buttonStyles,
    panelStyles,
    css`
      :host {
        display: block;
      }
      .panel.dragging {
        border-color: var(--attn-color-accent);
        box-shadow: 0 0 0 2px var(--attn-color-accent);
      }
      #model-url {
        flex: 1;
        min-width: 10rem;
        font: inherit;
        font-size: 0.8rem;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.1rem 0.8rem;
        font-size: 0.78rem;
        margin: 0.4rem 0 0;
      }
      dt {
        color: var(--attn-color-text-muted);
      }
      dd {
        margin: 0;
      }
      .note {
        font-size: 0.78rem;
        background: var(--attn-color-note-bg);
        border: 1px solid var(--attn-color-note-border);
        border-radius: var(--attn-radius-card);
        padding: var(--attn-space-2) var(--attn-space-3);
        margin: 0.3rem 0;
      }
    `,
  ];

  /** The model the state names (a URL or files are restored by name only). */
  @property({ attribute: false }) source: ModelSourceState = { kind: 'builtin' };
  /** The model actually loaded, and what it was loaded from. */
  @property({ attribute: false }) model: LoadedModel | null = null;
  @property({ attribute: false }) loadedSource: ModelSourceState = { kind: 'builtin' };
  /** The state's generated tokens as the loaded model takes them (null: no model loaded yet). */
  @property({ attribute: false }) generation: GeneratedTokens | null = null;
  @property({ type: Boolean }) loading = false;

  @state() private url: string | null = null;
  @state() private dragging = false;

  private send(event: ModelSourceEvent): void {
    this.dispatchEvent(event);
  }

  private onFiles = (event: Event) => {
    const input = event.target as HTMLInputElement;
    const files = [...(input.files ?? [])];
    input.value = '';
    if (files.length) this.send(new ModelSourceEvent({ kind: 'files', files }));
  };

  private onDrop = (event: DragEvent) => {
    event.preventDefault();
    this.dragging = false;
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length) this.send(new ModelSourceEvent({ kind: 'files', files }));
  };

  private onDragOver = (event: DragEvent) => {
    event.preventDefault();
    this.dragging = true;
  };

  private loadUrl = () => {
    const url = (this.url ?? (this.source.kind === 'url' ? this.source.url : '')).trim();
    if (url) this.send(new ModelSourceEvent({ kind: 'url', url }));
  };

  override render() {
    const shownUrl = this.url ?? (this.source.kind === 'url' ? this.source.url : '');
    return html`<section
      class="panel ${this.dragging ? 'dragging' : ''}"
      id="model-picker"
      @dragover=${this.onDragOver}
      @dragleave=${() => (this.dragging = false)}
      @drop=${this.onDrop}
    >
      <h2>Model</h2>
      <div class="row">
        <button id="model-builtin" ?disabled=${this.loading} @click=${() => this.send(new ModelSourceEvent({ kind: 'builtin' }))}>
          Built-in model
        </button>
        <label
          class="button"
          title="a .gguf; .safetensors + config.json + tokenizer.json (+ roles.json); or a llama2.c checkpoint + its tokenizer .bin. Or drop them here"
          >Choose files…<input
            id="model-files"
            type="file"
            multiple
            hidden
            accept=".gguf,.safetensors,.json,.bin"
            ?disabled=${this.loading}
            @change=${this.onFiles}
        /></label>
        <span class="muted">or drop them here</span>
      </div>
      <div class="row">
        <input
          id="model-url"
          type="text"
          inputmode="url"
          spellcheck="false"
          placeholder="https://…/model.gguf"
          title="A GGUF file; safetensors with config.json and tokenizer.json beside it; a llama2.c checkpoint with tokenizer.bin beside it, or its tokenizer's URL after a space"
          aria-label="model URL"
          .value=${shownUrl}
          @input=${(e: Event) => (this.url = (e.target as HTMLInputElement).value)}
          @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && this.loadUrl()}
        />
        <button id="model-load-url" ?disabled=${this.loading || !shownUrl.trim()} @click=${this.loadUrl}>Load</button>
      </div>
      ${this.loading ? html`<p class="muted" id="model-loading">Loading the model…</p>` : nothing} ${this.renderRestoreNote()}
      ${this.model ? this.renderFacts(this.model) : nothing}
    </section>`;
  }

  /**
   * The state names another model than the loaded one (a file to choose again, a URL to load on
   * request, an Undo past a model switch), or its generated tokens do not fit: what to do, and what
   * became of the generated tokens.
   */
  private renderRestoreNote() {
    const vocabSize = this.model?.weights.config.vocabSize ?? Infinity;
    const generation = this.generation ?? generatedTokens({ source: this.source, generated: [] }, this.loadedSource, vocabSize);
    const note = modelSourceNote(this.source, this.loadedSource, generation, vocabSize);
    return note ? html`<p class="note" id="model-restore-note">${note}</p>` : nothing;
  }

  private renderFacts(model: LoadedModel) {
    const c = model.weights.config;
    const types = Object.entries(model.source.tensorTypes)
      .map(([type, count]) => `${type} ×${count}`)
      .join(', ');
    return html`<dl id="model-facts">
      <dt>name</dt>
      <dd>${c.name}</dd>
      <dt>architecture</dt>
      <dd>${c.architecture}${c.rope ? `, RoPE (${c.rope.layout}, θ = ${c.rope.base})` : ', learned positions'}</dd>
      <dt>layers</dt>
      <dd>${c.layers}</dd>
      <dt>heads / K/V heads</dt>
      <dd>${c.heads} / ${c.kvHeads}</dd>
      <dt>head dim · d_model</dt>
      <dd>${c.headDim} · ${c.dModel}</dd>
      <dt>vocabulary · context</dt>
      <dd>${c.vocabSize.toLocaleString('en')} · ${c.contextLength.toLocaleString('en')}</dd>
      <dt>parameters</dt>
      <dd>${parameterCount(model.weights).toLocaleString('en')}</dd>
      <dt>source</dt>
      <dd>${model.source.format} (${model.source.files.join(', ')}), ${types}</dd>
    </dl>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-model-picker': AttnModelPicker;
  }
}
