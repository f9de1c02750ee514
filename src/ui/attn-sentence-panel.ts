/**
 * <attn-sentence-panel>: sentence mode's inputs. One sentence (self-attention) or two (a source
 * for keys and values, a target for queries: cross-attention as in Bahdanau's alignment), the
 * tokens the segmenter found (unknown words marked), positional encoding, the projections
 * W_q, W_k, W_v (editable, <attn-projection-editors>) and the Q, K, V they give, which can be
 * taken into matrix mode.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { fromMatrix } from '../core/grid';
import type { AttentionOptions } from '../core/options';
import type { Problem } from '../core/problem';
import { perHeadWidths } from '../core/shapes';
import { checkOptions } from '../core/feature-options';
import type { WholeNumberBox } from '../core/typed-number';
import { wholeNumberProblem } from '../core/typed-number';
import type { SentenceState } from '../core/state';
import { textLengthProblem } from '../core/state';
import type { WordToken } from '../core/sentence';
import { leftOutSymbols, sameWords, tokenize } from '../core/tokenize';
import { CommandEvent, StateEditEvent } from './events';
import { buttonStyles, panelStyles } from './styles';
import './attn-matrix-editor';
import './attn-projection-editors';

export type EmbeddingsStatus = 'idle' | 'loading' | 'ready' | 'failed';

@customElement('attn-sentence-panel')
export class AttnSentencePanel extends LitElement {
  static override styles = [
    buttonStyles,
    panelStyles,
    css`
      :host {
        display: block;
      }
      textarea {
        width: 100%;
        box-sizing: border-box;
        resize: vertical;
        min-height: 2.6em;
        font-size: 0.9rem;
      }
      .tokens {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem;
        margin: 0.35rem 0 0.2rem;
      }
      .token {
        font-size: 0.8rem;
        padding: 0.08rem 0.4rem;
        border-radius: var(--attn-radius-sm);
        background: var(--attn-color-token-bg);
        border: 1px solid var(--attn-color-token-border);
      }
      .token.unknown {
        background: var(--attn-color-caution-bg);
        border: 1px dashed var(--attn-color-unknown-border);
        color: var(--attn-color-unknown-text);
        font-style: italic;
      }
      .token.unknown::after {
        content: '?';
        font-weight: 700;
        margin-left: 1px;
      }
      details {
        margin: 0.5rem 0;
      }
      summary {
        cursor: pointer;
        font-size: 0.85rem;
        font-weight: 600;
      }
      .error {
        color: var(--attn-color-danger);
        font-size: 0.8rem;
      }
    `,
  ];

  @property({ attribute: false }) sentence!: SentenceState;
  /** The current problem when it was built from this sentence (tokens, Q/K/V, W). */
  @property({ attribute: false }) problem: Problem | null = null;
  @property() embeddings: EmbeddingsStatus = 'idle';
  /** Heads: each has its own W_q, W_k, W_v columns (d_k and d_v are per head). */
  @property({ type: Number }) heads = 1;
  /** K/V heads: W_k and W_v have one block of columns per K/V head (equal to heads without GQA). */
  @property({ type: Number, attribute: 'kv-heads' }) kvHeads = 1;

  /** The playground's options: a d_k the features cannot take (RoPE needs it even) is refused at its box. */
  @property({ attribute: false }) options: AttentionOptions | null = null;

  /** Why the number typed in a box is not applied, by box; the text stays in the box and the state keeps its value. */
  @state() private numberProblems: Partial<Record<NumberField, string>> = {};

  /** Why the text typed in a box is not applied (too long to save), by box; the text stays in the box. */
  @state() private textProblems: Partial<Record<'source' | 'target', string>> = {};

  /** Typed text goes to the state unless it is too long to save, which is flagged and kept in the box. */
  private typed(box: 'source' | 'target', event: Event): void {
    const text = (event.target as HTMLTextAreaElement).value;
    const problem = textLengthProblem(text);
    this.textProblems = { ...this.textProblems, [box]: problem ?? undefined };
    if (!problem) this.edit((x) => ({ ...x, [box]: text }), box);
  }

  private renderTextProblem(box: 'source' | 'target') {
    const problem = this.textProblems[box];
    return problem ? html`<p class="error" id="${box}-problem" role="alert">This sentence ${problem}.</p>` : nothing;
  }

  private edit(apply: (s: SentenceState) => SentenceState, key: string | null): void {
    this.dispatchEvent(new StateEditEvent((st) => ({ ...st, sentence: apply(st.sentence) }), key));
  }

  /** Changing the shape or the generator drops edited projections: they no longer fit. */
  private regenerate(patch: Partial<SentenceState>, key: string): void {
    this.edit((s) => ({ ...s, ...patch, wq: null, wk: null, wv: null, featureLabels: null, valueLabels: null }), key);
  }

  override render() {
    const s = this.sentence;
    const sq = this.problem?.sentence ?? null;
    const keyTokens = chipTokens(s.source, sq?.keyTokens);
    const queryTokens = s.cross ? chipTokens(s.target, sq?.queryTokens) : [];
    return html`
      <section class="panel">
        <h2>Sentence</h2>
        <label class="row"
          ><input
            type="checkbox"
            .checked=${s.cross}
            @change=${(e: Event) => this.edit((x) => ({ ...x, cross: (e.target as HTMLInputElement).checked }), null)}
          />
          Two sentences: cross-attention <span class="muted">(target words query the source words, as in translation)</span></label
        >
        <label for="source" class="muted">${s.cross ? 'Source sentence (keys and values)' : 'Sentence (queries, keys and values)'}</label>
        <textarea
          id="source"
          rows="2"
          spellcheck="false"
          .value=${s.source}
          aria-invalid=${this.textProblems.source ? 'true' : 'false'}
          aria-describedby=${this.textProblems.source ? 'source-problem' : nothing}
          @input=${(e: Event) => this.typed('source', e)}
        ></textarea>
        ${this.renderTextProblem('source')} ${this.renderTokens(keyTokens)}
        ${
          s.cross
            ? html` <label for="target" class="muted">Target sentence (queries)</label>
                <textarea
                  id="target"
                  rows="2"
                  spellcheck="false"
                  .value=${s.target}
                  aria-invalid=${this.textProblems.target ? 'true' : 'false'}
                  aria-describedby=${this.textProblems.target ? 'target-problem' : nothing}
                  @input=${(e: Event) => this.typed('target', e)}
                ></textarea>
                ${this.renderTextProblem('target')} ${this.renderTokens(queryTokens)}`
            : nothing
        }
        ${this.embeddings === 'loading' ? html`<p class="muted">Loading the word vectors (2 MB)…</p>` : nothing}
        ${this.embeddings === 'failed' ? html`<p class="error">The word vectors could not be loaded; sentence mode needs them.</p>` : nothing}
        ${this.renderLeftOut(s.cross ? `${s.source} ${s.target}` : s.source)}
        ${
          [...keyTokens, ...queryTokens].some((t) => t.known === false)
            ? html`<p class="muted">
                <span class="token unknown">word</span> is not among the 20,000 GloVe words shipped here (GloVe has no "a" or "I"): it gets
                a made-up vector derived from its spelling.
              </p>`
            : nothing
        }
        <div class="row">
          <label
            >d<sub>k</sub>
            <input type="number" min="1" max="512" aria-label="dk" .value=${String(s.dk)} @change=${(e: Event) => this.intField(e, 'dk')}
          /></label>
          <label
            >d<sub>v</sub>
            <input type="number" min="1" max="512" aria-label="dv" .value=${String(s.dv)} @change=${(e: Event) => this.intField(e, 'dv')}
          /></label>
          ${this.heads > 1 ? html`<span class="muted" id="per-head">${perHeadWidths(this.heads, this.kvHeads, s.dk, s.dv)}${this.kvHeads === this.heads ? '' : ' (W_k, W_v one block per K/V head)'}</span>` : nothing}
          <label
            >W init
            <select
              aria-label="projection init"
              @change=${(e: Event) => this.regenerate({ init: (e.target as HTMLSelectElement).value as SentenceState['init'] }, 'init')}
            >
              <option value="random" ?selected=${s.init === 'random'}>seeded random</option>
              <option value="identity" ?selected=${s.init === 'identity'}>identity</option>
            </select></label
          >
          ${s.init === 'random' ? html`<label>seed <input type="number" step="1" aria-label="seed" .value=${String(s.seed)} @change=${(e: Event) => this.intField(e, 'seed')} /></label>` : nothing}
        </div>
        ${this.renderNumberProblems()}
        <label class="row"
          ><input
            type="checkbox"
            .checked=${s.positional}
            @change=${(e: Event) => this.edit((x) => ({ ...x, positional: (e.target as HTMLInputElement).checked }), null)}
          />
          Add sinusoidal positional encoding <span class="muted">(same word, different place → different vector)</span></label
        >
        <label class="row"
          ><input
            type="checkbox"
            id="project"
            .checked=${s.project}
            @change=${(e: Event) => this.edit((x) => ({ ...x, project: (e.target as HTMLInputElement).checked }), null)}
          />
          Output projection W<sub>o</sub>
          <span class="muted"
            >(the heads' outputs, concatenated, back to the words' 100 dims;
            ${s.init === 'random' ? `seeded, seed ${s.seed}` : 'identity'})</span
          ></label
        >
        ${sq ? html`<attn-projection-editors .sentence=${s} .generated=${sq} heads=${this.heads}></attn-projection-editors>` : nothing}
        ${sq && this.problem ? this.renderDerived(this.problem) : nothing}
      </section>
    `;
  }

  private renderTokens(tokens: readonly ChipToken[]) {
    if (tokens.length === 0) return nothing;
    return html`<div class="tokens" aria-label="tokens">
      ${tokens.map(
        (t, i) =>
          html`<span
            class="token ${t.known === false ? 'unknown' : ''}"
            data-token=${i}
            title=${
              t.known === null
                ? `${t.text}: not run yet`
                : t.known
                  ? `${t.text}: GloVe vector`
                  : `${t.text}: not in the vocabulary; made-up vector`
            }
            >${t.text}</span
          >`,
      )}
    </div>`;
  }

  /** Symbols typed (an emoji) are not words: say so, rather than let them vanish. */
  private renderLeftOut(text: string) {
    const symbols = leftOutSymbols(text);
    if (symbols.length === 0) return nothing;
    return html`<p class="muted" id="left-out">Not words, so left out: ${symbols.join(' ')}</p>`;
  }

  private renderDerived(p: Problem) {
    const { q, k, v } = p.inputs;
    const [xq, xk] = this.sentence.cross ? ['X_target', 'X_source'] : ['X', 'X'];
    return html`<details open>
      <summary>Derived Q, K, V</summary>
      <div class="row">
        <button
          class="primary"
          @click=${() => this.dispatchEvent(new CommandEvent('take-into-matrix'))}
          title="Copy these Q, K and V into matrix mode, where every number can be edited"
        >
          Edit Q, K, V in matrix mode
        </button>
      </div>
      <attn-matrix-editor
        readonly
        name="q"
        heading=${`Q = ${xq}·W_q`}
        .values=${fromMatrix(q)}
        .rowLabels=${p.queryLabels}
        .colLabels=${p.featureLabels}
      ></attn-matrix-editor>
      <attn-matrix-editor
        readonly
        name="k"
        heading=${`K = ${xk}·W_k`}
        .values=${fromMatrix(k)}
        .rowLabels=${p.keyLabels}
        .colLabels=${p.featureLabels}
      ></attn-matrix-editor>
      <attn-matrix-editor
        readonly
        name="v"
        heading=${`V = ${xk}·W_v`}
        .values=${fromMatrix(v)}
        .rowLabels=${p.keyLabels}
        .colLabels=${p.valueLabels}
      ></attn-matrix-editor>
    </details>`;
  }

  /** Selects follow the state (undo, links): option attributes stop working once a user has picked. */
  protected override updated(): void {
    const select = this.renderRoot.querySelector<HTMLSelectElement>('select[aria-label="projection init"]');
    if (select && select.value !== this.sentence.init) select.value = this.sentence.init;
  }

  private intField(event: Event, field: NumberField): void {
    const text = (event.target as HTMLInputElement).value;
    const problem = numberProblem(field, text, this.sentence[field], this.options);
    this.numberProblems = { ...this.numberProblems, [field]: problem ?? undefined };
    if (!problem) this.regenerate({ [field]: Number(text) }, field);
  }

  private renderNumberProblems() {
    const shown = NUMBER_FIELDS.filter((f) => this.numberProblems[f]);
    return shown.map((f) => html`<p class="error" id="${f}-problem" role="alert">${this.numberProblems[f]}</p>`);
  }

  /** A value that changes from elsewhere (undo, an example, a link) replaces what its box refused. */
  override willUpdate(changed: Map<string, unknown>): void {
    const before = changed.get('sentence') as SentenceState | undefined;
    if (!before) return;
    const stale = NUMBER_FIELDS.filter((f) => this.numberProblems[f] && before[f] !== this.sentence[f]);
    if (stale.length) this.numberProblems = { ...this.numberProblems, ...Object.fromEntries(stale.map((f) => [f, undefined])) };
  }
}

type NumberField = 'dk' | 'dv' | 'seed';
const NUMBER_FIELDS: readonly NumberField[] = ['dk', 'dv', 'seed'];
const NUMBER_BOXES: Record<NumberField, WholeNumberBox> = {
  dk: { label: 'd_k', min: 1, max: 512 },
  dv: { label: 'd_v', min: 1, max: 512 },
  seed: { label: 'The seed', min: -(2 ** 31), max: 2 ** 31 - 1 },
};

/**
 * Why `text` typed into a number box cannot be applied, or null when it can: not a whole number in
 * the box's range, or (d_k) a head width the playground's features cannot take while the current
 * one can (RoPE rotates pairs of dimensions).
 */
function numberProblem(field: NumberField, text: string, current: number, options: AttentionOptions | null): string | null {
  const still = `; still using ${current}.`;
  const bad = wholeNumberProblem(NUMBER_BOXES[field], text);
  if (bad) return `${bad}${still}`;
  if (field !== 'dk' || !options) return null;
  const fails = (dk: number) => {
    try {
      checkOptions(options, dk);
      return null;
    } catch (error) {
      return (error as Error).message;
    }
  };
  const problem = fails(Number(text));
  return problem && !fails(current) ? `${problem}${still}` : null;
}

/** A chip: a word of the text as typed, with its vocabulary status once a run has looked it up (null before). */
interface ChipToken {
  text: string;
  known: boolean | null;
}

/**
 * The chips under a sentence: its words now, so they never show an earlier sentence's (a run that
 * failed, one not finished yet); each word's known/unknown status comes from the last run when that
 * run had the same words.
 */
function chipTokens(text: string, run: readonly WordToken[] | undefined): ChipToken[] {
  const words = tokenize(text);
  if (run && sameWords(words, run)) return run.map((t) => ({ text: t.text, known: t.known }));
  return words.map((t) => ({ text: t.text, known: null }));
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-sentence-panel': AttnSentencePanel;
  }
}
