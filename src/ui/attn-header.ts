/**
 * <attn-header>: the page's header. The title, the example picker, the run status (with the
 * progress of a big run) and the run controls (cancel, undo, redo, share, run), and under them the
 * example's description. It sends what the user asks for as StateEditEvent and CommandEvent.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import type { Preset } from '../core/presets';
import type { PlaygroundState } from '../core/state';
import { defaultState, stateFromPreset } from '../core/state';
import { CommandEvent, StateEditEvent } from './events';
import { PRESETS } from './presets';
import type { RunProgress } from './run-controller';
import { PROBLEM_FIELDS } from './state-controller';
import { buttonStyles } from './styles';
import type { ThemeChoice } from './theme';
import { setThemeChoice, THEME_CHOICES, ThemeController, themeChoice } from './theme';

const THEME_NAMES: Record<ThemeChoice, string> = { system: 'system', light: 'light', dark: 'dark' };

@customElement('attn-header')
export class AttnHeader extends LitElement {
  static override styles = [
    buttonStyles,
    css`
      :host {
        display: block;
      }
      .top {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: var(--attn-space-3) var(--attn-space-6);
        margin-bottom: var(--attn-space-2);
      }
      h1 {
        font-size: 1.25rem;
        margin: 0;
        letter-spacing: -0.01em;
      }
      .preset {
        display: flex;
        align-items: center;
        gap: 0.4rem;
        font-size: 0.85rem;
        min-width: 0;
        max-width: 100%;
      }
      .preset select,
      .theme select {
        font: inherit;
        font-size: 0.85rem;
        padding: 0.2rem 0.3rem;
        border-radius: var(--attn-radius-control);
        border: 1px solid var(--attn-color-border-control);
        max-width: 20rem;
        min-width: 0;
      }
      .actions {
        display: flex;
        flex-wrap: wrap;
        justify-content: flex-end;
        gap: var(--attn-space-2);
        margin-left: auto;
        align-items: center;
      }
      .status {
        font-size: 0.78rem;
        color: var(--attn-color-text-muted);
        min-width: 6.5rem;
        text-align: right;
      }
      .description {
        margin: 0 0 var(--attn-space-3);
        font-size: 0.85rem;
        color: var(--attn-color-text-body);
      }
      .muted {
        color: var(--attn-color-text-muted);
        font-size: 0.8rem;
      }
      kbd {
        font-family: inherit;
        font-size: 0.7rem;
        margin-left: var(--attn-space-1);
      }
      /* Phones: no keyboard shortcut hint, and the controls take the whole row. */
      @media (max-width: 480px) {
        kbd {
          display: none;
        }
        .preset select {
          flex: 1 1 0;
          max-width: none;
        }
        .actions {
          margin-left: 0;
          justify-content: flex-start;
        }
        .status {
          min-width: 0;
          text-align: left;
        }
      }
    `,
  ];

  @property({ attribute: false }) state: PlaygroundState = defaultState();
  /** The id of the last finished run (null before the first). */
  @property({ attribute: false }) runId: number | null = null;
  @property({ type: Boolean }) running = false;
  /** Rows of a big problem the GPU has finished, while it runs in blocks. */
  @property({ attribute: false }) progress: RunProgress | null = null;
  @property({ type: Boolean, attribute: 'can-undo' }) canUndo = false;
  @property({ type: Boolean, attribute: 'can-redo' }) canRedo = false;

  private readonly editedCache = new WeakMap<PlaygroundState, boolean>();
  /** Re-renders the theme picker when the theme changes elsewhere (another picker, the system). */
  protected readonly themeWatch = new ThemeController(this);

  /** The picker follows the state (undo, links), which option attributes alone cannot do once a user has picked. */
  protected override updated(): void {
    const select = this.renderRoot.querySelector<HTMLSelectElement>('#preset');
    const wanted = this.preset?.id ?? '';
    if (select && select.value !== wanted) select.value = wanted;
  }

  /** The state's example; a preset's text describes its own mode, so after a switch to the other mode it has none. */
  private get preset(): Preset | undefined {
    return PRESETS.find((p) => p.id === this.state.presetId && p.mode === this.state.mode);
  }

  /** Whether the problem differs from the preset it started from (cached per state object). */
  private editedSincePreset(preset: Preset): boolean {
    let edited = this.editedCache.get(this.state);
    if (edited === undefined) {
      const pick = (s: PlaygroundState) =>
        JSON.stringify(PROBLEM_FIELDS.map((f) => (s.mode === 'sentence' && f === 'matrix' ? null : s[f])));
      edited = pick(stateFromPreset(preset)) !== pick(this.state);
      this.editedCache.set(this.state, edited);
    }
    return edited;
  }

  private command(command: CommandEvent['command']) {
    return () => this.dispatchEvent(new CommandEvent(command));
  }

  private pickTheme = (event: Event) => setThemeChoice((event.target as HTMLSelectElement).value as ThemeChoice);

  private loadPreset = (event: Event) => {
    const preset = PRESETS.find((p) => p.id === (event.target as HTMLSelectElement).value);
    if (preset) this.dispatchEvent(new StateEditEvent(() => stateFromPreset(preset)));
  };

  override render() {
    const preset = this.preset;
    const edited = preset ? this.editedSincePreset(preset) : false;
    return html`
      <div class="top">
        <h1>Attention Playground</h1>
        <label class="preset"
          >Example
          <select id="preset" @change=${this.loadPreset} aria-label="example">
            <option value="" ?selected=${!preset}>— your own —</option>
            ${PRESETS.map((p) => html`<option value=${p.id} ?selected=${p.id === preset?.id}>${p.name}</option>`)}
          </select>
        </label>
        <label class="preset theme"
          >Theme
          <select id="theme" @change=${this.pickTheme} aria-label="colour theme">
            ${THEME_CHOICES.map((c) => html`<option value=${c} ?selected=${c === themeChoice()}>${THEME_NAMES[c]}</option>`)}
          </select>
        </label>
        <div class="actions">
          <span class="status" aria-live="polite">${this.renderStatus()}</span>
          ${this.running ? html`<button id="cancel-run" @click=${this.command('cancel')} title="Stop waiting for this run; the last finished results stay">Cancel</button>` : nothing}
          <button @click=${this.command('undo')} ?disabled=${!this.canUndo} title="Undo (Ctrl+Z)">Undo</button>
          <button @click=${this.command('redo')} ?disabled=${!this.canRedo} title="Redo (Ctrl+Shift+Z)">Redo</button>
          <button @click=${this.command('share')} title="Copy a link that reproduces this view">Share link</button>
          <button class="primary" @click=${this.command('run')} title="Run now (Ctrl+Enter)">Run <kbd>Ctrl+↵</kbd></button>
        </div>
      </div>
      ${preset ? html`<p class="description">${preset.description}${edited ? html` <span class="muted">(edited since: the notes may no longer match)</span>` : nothing}</p>` : nothing}
    `;
  }

  private renderStatus() {
    const p = this.progress;
    if (this.running && p) {
      const seconds = Math.round((performance.now() - p.startedAt) / 1000);
      return html`<progress id="run-progress" max=${p.total} value=${p.done}></progress> GPU: ${p.done} of ${p.total} rows · ${seconds} s`;
    }
    if (this.running) return 'computing…';
    return this.runId !== null ? `run #${this.runId}` : '';
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-header': AttnHeader;
  }
}
