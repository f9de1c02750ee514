/**
 * <attn-next-token>: the model's prediction for the next token — the top k with their
 * probabilities (from the run's logits on the playground's kernels), the logits' verdict against a
 * float64 forward pass — and generation: greedy or top-k sampling with a seed, a few tokens per
 * press, each a decode step over the KV cache.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { topK } from '../core/model/forward';
import type { ModelTokenizer } from '../core/model/tokenizer';
import type { ModelState } from '../core/state';
import { DEFAULT_MODEL_STATE, MODEL_NUMBERS } from '../core/state';
import { wholeNumberProblem } from '../core/typed-number';
import { CommandEvent, StateEditEvent } from './events';
import { verdictBadgeStyles } from './attn-verdict';
import type { ModelOutcome } from './model-controller';
import { buttonStyles, panelStyles } from './styles';

type ModelNumber = keyof typeof MODEL_NUMBERS;

@customElement('attn-next-token')
export class AttnNextToken extends LitElement {
  static override styles = [
    buttonStyles,
    panelStyles,
    verdictBadgeStyles,
    css`
      :host {
        display: block;
      }
      ol {
        padding: 0;
        margin: 0.3rem 0;
        list-style: none;
        font-size: 0.82rem;
      }
      li {
        display: grid;
        grid-template-columns: 8rem 1fr 4rem;
        gap: 0.5rem;
        align-items: center;
      }
      .bar {
        height: 0.6rem;
        background: var(--attn-color-accent);
        border-radius: var(--attn-radius-xs);
      }
      .token {
        font-family: var(--attn-font-mono);
        white-space: pre;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      input[type='number'] {
        width: 4rem;
      }
      .error {
        color: var(--attn-color-danger);
        font-size: 0.8rem;
      }
    `,
  ];

  @property({ attribute: false }) outcome: ModelOutcome | null = null;
  @property({ attribute: false }) tokenizer: ModelTokenizer | null = null;
  @property({ attribute: false }) settings: ModelState = DEFAULT_MODEL_STATE;
  @property({ type: Boolean }) busy = false;
  /** False while the state's generated tokens belong to another model than the one shown (the model picker's note says why). */
  @property({ attribute: false }) canGenerate = true;
  /**
   * True while the state's generated tokens are another model's, set aside (not drawn, not run):
   * Clear would drop tokens the user cannot see, and would not turn Generate on (the model shown is
   * still not the state's), so it is off. Tokens set aside because they do not fit the model the
   * state names can be cleared (the picker's note says to).
   */
  @property({ type: Boolean, attribute: 'tokens-elsewhere' }) tokensElsewhere = false;
  /** Why the number typed in a box is not used, by box; the text stays in the box. */
  @state() private problems: Partial<Record<ModelNumber, string>> = {};

  private edit(fields: Partial<ModelState>, key: string | null = null): void {
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, model: { ...s.model, ...fields } }), key));
  }

  /**
   * A number box's change: a value in its range goes to the state; anything else stays in the box as
   * typed, and the panel says why and what is still used.
   */
  private number(name: ModelNumber) {
    return (event: Event) => {
      const text = (event.target as HTMLInputElement).value;
      const problem = wholeNumberProblem(MODEL_NUMBERS[name], text);
      this.problems = { ...this.problems, [name]: problem ? `${problem}; still using ${this.settings[name]}.` : undefined };
      if (!problem) this.edit({ [name]: Number(text) }, `model-${name}`);
    };
  }

  /** A value that changes from elsewhere (undo, a link, the model's defaults) replaces what its box refused. */
  override willUpdate(changed: Map<string, unknown>): void {
    const before = changed.get('settings') as ModelState | undefined;
    if (!before) return;
    for (const name of Object.keys(this.problems) as ModelNumber[])
      if (this.problems[name] && before[name] !== this.settings[name]) this.problems = { ...this.problems, [name]: undefined };
  }

  override render() {
    const o = this.outcome;
    const s = this.settings;
    const top = o && this.tokenizer ? topK(o.logits, s.topK) : [];
    const logits = o?.checks?.logits;
    return html`<section class="panel" id="next-token">
      <h2>Next token</h2>
      <div class="row">
        <label>top <input type="number" id="top-k" min="1" max="50" .value=${String(s.topK)} @change=${this.number('topK')} /></label>
        ${
          logits
            ? html`<span
                class="badge ${logits.pass ? 'pass' : 'fail'}"
                id="logits-verdict"
                data-verdict=${logits.pass ? 'pass' : 'fail'}
                title=${`max |Δ| ${logits.comparison.maxAbs.toExponential(2)} against the estimated tolerance ${logits.tolerance.toExponential(2)}`}
                >${logits.pass ? '✓' : '✗'} logits vs float64 forward pass${logits.sameTop ? '' : ' (a different top token)'}</span
              >`
            : o
              ? html`<span class="badge" data-verdict="pending">checking the logits…</span>`
              : nothing
        }
      </div>
      <ol id="top-tokens">
        ${top.map(
          (t) =>
            html`<li data-id=${t.id}>
              <span class="token" title=${`id ${t.id}, logit ${t.logit.toFixed(3)}`}>${this.tokenizer!.tokenText(t.id)}</span>
              <span class="bar" style=${`width: ${(100 * t.probability).toFixed(1)}%`}></span>
              <span>${(100 * t.probability).toFixed(1)}%</span>
            </li>`,
        )}
      </ol>
      <div class="row">
        <button
          class="primary"
          id="generate"
          ?disabled=${!o || this.busy || !this.canGenerate}
          title=${this.canGenerate ? nothing : 'Off while the model shown is not the one that generated this state’s tokens (see the note under Model)'}
          @click=${() => this.dispatchEvent(new CommandEvent('model-generate'))}
        >
          Generate ${s.generateCount}
        </button>
        <label
          ><input
            type="number"
            aria-label="tokens to generate"
            min="1"
            max="64"
            .value=${String(s.generateCount)}
            @change=${this.number('generateCount')}
          />
          tokens</label
        >
        <label
          ><select
            id="sampling"
            aria-label="sampling"
            @change=${(e: Event) => this.edit({ sampling: (e.target as HTMLSelectElement).value === 'top-k' ? 'top-k' : 'greedy' })}
          >
            <option value="greedy" ?selected=${s.sampling === 'greedy'}>greedy</option>
            <option value="top-k" ?selected=${s.sampling === 'top-k'}>top-k sampling</option>
          </select></label
        >
        ${
          s.sampling === 'top-k'
            ? html`<label
                  >k <input type="number" min="1" max="1000" .value=${String(s.samplingK)} @change=${this.number('samplingK')}
                /></label>
                <label>seed <input type="number" .value=${String(s.seed)} @change=${this.number('seed')} /></label>`
            : nothing
        }
        ${
          s.generated.length
            ? html`<button
                id="clear-generated"
                ?disabled=${this.busy || this.tokensElsewhere}
                title=${this.tokensElsewhere ? 'Off while the generated tokens belong to another model than the one shown (see the note under Model)' : nothing}
                @click=${() => this.edit({ generated: [] })}
              >
                Clear ${s.generated.length} generated
              </button>`
            : nothing
        }
      </div>
      ${(Object.keys(MODEL_NUMBERS) as ModelNumber[])
        .filter((name) => this.problems[name])
        .map((name) => html`<p class="error" id="${name}-problem" role="alert">${this.problems[name]}</p>`)}
      <p class="muted">Each generated token is one decode step over the KV cache: the grid then shows the new token's attention row.</p>
    </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-next-token': AttnNextToken;
  }
}
