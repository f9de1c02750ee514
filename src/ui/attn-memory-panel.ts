/**
 * <attn-memory-panel>: memory mode's inputs column — the facts (one per line), the question, the
 * number of hops, the update rule and the temperature. Edits go up as StateEditEvents; text is
 * always kept as typed (a fact the memory cannot read is reported by the run, which keeps the last
 * good result), and a hop count outside 1–16 is refused with a message, changing nothing.
 */
import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { InputError } from '../core/errors';
import { checkFloat32 } from '../core/float32';
import type { MemoryUpdate } from '../core/memory';
import { MAX_HOPS, MEMORY_UPDATES } from '../core/memory';
import { OBJECTS, PEOPLE, PLACES, VOCABULARY, defaultRotation } from '../core/memory-facts';
import { parseDelimited, toCsv } from '../core/io';
import { fromMatrix, toMatrix64 } from '../core/grid';
import type { MemoryState, PlaygroundState } from '../core/state';
import { defaultState } from '../core/state';
import { StateEditEvent } from './events';
import { buttonStyles, panelStyles } from './styles';

const UPDATE_TITLES: Record<MemoryUpdate, string> = { residual: 'q ← q + o (residual)', rotate: 'q ← R·(q + o) (rotate)' };

@customElement('attn-memory-panel')
export class AttnMemoryPanel extends LitElement {
  static override styles = [
    buttonStyles,
    panelStyles,
    css`
      :host {
        display: block;
      }
      textarea,
      input[type='text'] {
        width: 100%;
        box-sizing: border-box;
        font: inherit;
        font-size: 0.9rem;
      }
      textarea {
        min-height: 9rem;
      }
      label {
        display: block;
        margin: 0.5rem 0 0.2rem;
        font-size: 0.85rem;
      }
      .row {
        display: flex;
        gap: 1rem;
        flex-wrap: wrap;
        align-items: end;
      }
      .muted {
        color: var(--attn-color-text-muted);
        font-size: 0.8rem;
      }
    `,
  ];

  @property({ attribute: false }) state: PlaygroundState = defaultState();

  private edit(change: (m: MemoryState) => MemoryState, key: string | null = null): void {
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, memory: change(s.memory) }), key));
  }

  private onFacts = (e: Event) => {
    const facts = (e.target as HTMLTextAreaElement).value;
    this.edit((m) => ({ ...m, facts }), 'memory-facts');
  };

  private onQuestion = (e: Event) => {
    const question = (e.target as HTMLInputElement).value;
    this.edit((m) => ({ ...m, question }), 'memory-question');
  };

  private onHops = (e: Event) => {
    const text = (e.target as HTMLInputElement).value.trim();
    const hops = Number(text);
    this.edit((m) => {
      if (!/^-?\d+$/.test(text) || hops < 1 || hops > MAX_HOPS)
        throw new InputError(`hops must be 1 to ${MAX_HOPS}, got ${text || 'nothing'}`);
      return { ...m, hops };
    });
  };

  private onUpdate = (e: Event) => {
    const update = (e.target as HTMLSelectElement).value as MemoryUpdate;
    this.edit((m) => ({ ...m, update }));
  };

  private onTemperature = (e: Event) => {
    const text = (e.target as HTMLInputElement).value.trim();
    const temperature = Number(text);
    this.edit((m) => {
      if (!(temperature > 0) || !Number.isFinite(temperature))
        throw new InputError(`temperature must be a positive finite number, got ${text || 'nothing'}`);
      // The hops divide by it in float32, as the Options panel's temperature box checks.
      checkFloat32(temperature, 'temperature');
      return { ...m, temperature };
    });
  };

  private resetRotation = () => this.edit((m) => ({ ...m, rotation: null }));

  /** R typed as comma-separated rows: a malformed one is refused with the parser's message; a wrong size is the run's message. */
  private onRotation = (e: Event) => {
    const text = (e.target as HTMLTextAreaElement).value;
    this.edit((m) => ({ ...m, rotation: fromMatrix(parseDelimited(text, 'R')) }));
  };

  override render() {
    const m = this.state.memory;
    return html`<div class="panel">
      <h2>Key–value memory</h2>
      <label for="memory-facts">Facts, one per line ("PERSON picked up the OBJECT" or "PERSON went to the PLACE")</label>
      <textarea id="memory-facts" spellcheck="false" .value=${m.facts} @input=${this.onFacts}></textarea>
      <label for="memory-question">Question ("where is the OBJECT?")</label>
      <input id="memory-question" type="text" spellcheck="false" .value=${m.question} @change=${this.onQuestion} />
      <div class="row">
        <div>
          <label for="memory-hops">Hops (1–${MAX_HOPS})</label>
          <input id="memory-hops" type="number" min="1" max=${MAX_HOPS} step="1" .value=${String(m.hops)} @change=${this.onHops} />
        </div>
        <div>
          <label for="memory-update">Update between hops</label>
          <select id="memory-update" @change=${this.onUpdate}>
            ${MEMORY_UPDATES.map((u) => html`<option value=${u} ?selected=${u === m.update}>${UPDATE_TITLES[u]}</option>`)}
          </select>
        </div>
        <div>
          <label for="memory-temperature">Temperature</label>
          <input id="memory-temperature" type="number" min="0" step="0.05" .value=${String(m.temperature)} @change=${this.onTemperature} />
        </div>
      </div>
      <p class="muted">
        R:
        ${m.rotation ? html`your ${m.rotation.length}×${m.rotation[0].length} matrix <button @click=${this.resetRotation}>Default R</button>` : 'the default (keeps people and places, drops objects)'}.
      </p>
      <details>
        <summary>Edit R (d×d; rows and columns ${VOCABULARY.join(', ')})</summary>
        <label for="memory-rotation">R, one row per line, values separated by commas</label>
        <textarea
          id="memory-rotation"
          spellcheck="false"
          .value=${toCsv(m.rotation ? toMatrix64(m.rotation) : defaultRotation())}
          @change=${this.onRotation}
        ></textarea>
      </details>
      <p class="muted">
        Vocabulary (one dimension each): people ${PEOPLE.join(', ')}; objects ${OBJECTS.join(', ')}; places ${PLACES.join(', ')}.
      </p>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-memory-panel': AttnMemoryPanel;
  }
}
