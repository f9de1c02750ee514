/**
 * <attn-options-panel>: the score function (./score-choices.ts), what turns scores into weights (the
 * softmax, or ReLU / GELU elementwise), scale (1/√dk, custom, none), temperature, causal, heads and
 * the kernel variant. Sends StateEditEvents; an invalid number is flagged here and never applied.
 * Number boxes keep the text typed (./box-text.ts): "1.5e-1" stays while 0.15 is applied, and a
 * refused text stays beside its message until the options change (here or elsewhere).
 */
import type { Precision } from '../core/precision';
import { isPrecisionChoice, PRECISION_TITLES, PRECISIONS } from '../core/precision';
import type { PropertyValues } from 'lit';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { describeActivation } from '../core/activation';
import type { AttentionOptions } from '../core/options';
import { ACTIVATIONS, resolveScale } from '../core/options';
import type { PlaygroundState } from '../core/state';
import { withHeads } from '../core/state';
import { optionsForHeads } from '../core/feature-options';
import { checkFloat32 } from '../core/float32';
import { numberText, TypedBoxes } from './box-text';
import { StateEditEvent } from './events';
import type { ScoreChoice } from './score-choices';
import { SCORE_CHOICES, SCORE_HISTORY, scoreChoiceOf } from './score-choices';
import { buttonStyles, panelStyles } from './styles';

@customElement('attn-options-panel')
export class AttnOptionsPanel extends LitElement {
  static override styles = [
    buttonStyles,
    panelStyles,
    css`
      :host {
        display: block;
      }
      fieldset {
        border: 0;
        padding: 0;
        margin: 0;
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem 0.7rem;
        align-items: center;
      }
      legend {
        font-size: 0.82rem;
        font-weight: 600;
        padding: 0;
        margin-right: 0.4rem;
        float: left;
      }
      .error {
        color: var(--attn-color-danger);
        font-size: 0.78rem;
      }
      /* The choices name their papers: the select may be narrower than its longest option (phones). */
      .score label {
        display: flex;
        gap: 0.4rem;
        align-items: center;
        max-width: 100%;
      }
      .score select {
        min-width: 0;
        max-width: 100%;
        flex: 1;
      }
      details.history {
        font-size: 0.8rem;
        margin: 0.2rem 0 0.4rem;
      }
      details.history p {
        margin: 0.3rem 0;
      }
      input[type='range'] {
        width: 8rem;
        vertical-align: middle;
      }
    `,
  ];

  @property({ attribute: false }) options!: AttentionOptions;
  /** Width of one head's queries and keys (for the 1/√dk label). */
  @property({ type: Number }) dk = 1;
  @property() variant = 'tiled';
  /** Storage of Q, K and V (src/core/precision.ts). */
  @property() precision: Precision = 'f32';
  /** Kernel variants the engine offers (read from the engine, so new ones appear by themselves). */
  @property({ attribute: false }) variants: readonly string[] = [];
  /** Variants that do not return scores and probabilities (only the output is compared). */
  @property({ attribute: false }) outputOnly: readonly string[] = [];
  @property({ type: Boolean, attribute: 'gpu-available' }) gpuAvailable = true;

  /** The last refused value's message (cleared when the options change). */
  @state() private error: string | null = null;

  /** The heads, temperature and custom scale boxes' runs of keystrokes: what a refused text puts back (./box-text.ts). */
  private boxes = new TypedBoxes<number, string>(this);

  /**
   * New options, from here or elsewhere, make a refused value's message stale (its box is rewritten
   * by box-text.ts); the value a refusal put back keeps its message and text.
   */
  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('options')) this.error = this.boxes.optionsChanged();
  }

  private edit(apply: (o: AttentionOptions) => AttentionOptions, key: string | null): void {
    this.dispatchEvent(new StateEditEvent((s: PlaygroundState) => ({ ...s, options: apply(s.options) }), key));
  }

  override render() {
    const o = this.options;
    const custom = typeof o.scale === 'number';
    const defaultScale = resolveScale('default', this.dk);
    const learned = o.score !== 'dot';
    const elementwise = o.activation !== 'softmax';
    const noFused = fusedReason(learned, elementwise);
    return html`
      <section class="panel">
        <h2>Options</h2>
        <div class="row score">
          <label
            >Score
            <select aria-label="score function" @change=${this.onScore}>
              ${SCORE_CHOICES.map((c) => html`<option value=${c.choice} ?selected=${c.choice === scoreChoiceOf(o)}>${c.title}</option>`)}
            </select>
          </label>
        </div>
        <details class="history">
          <summary>Where these score functions come from</summary>
          ${SCORE_HISTORY.map((h) => html`<p><strong>${h.title}.</strong> ${h.text}</p>`)}
        </details>
        <div class="row">
          <label
            >Weights
            <select aria-label="activation" @change=${this.onActivation}>
              ${ACTIVATIONS.map(
                (a) =>
                  html`<option value=${a} ?selected=${a === o.activation}>
                    ${a === 'softmax' ? 'softmax of each row' : `${describeActivation(a)} of each score`}
                  </option>`,
              )}
            </select>
          </label>
          ${
            elementwise
              ? html`<span class="muted" id="activation-note"
                  >no normalisation: a row's weights need not sum to 1 (as an MLP's hidden layer)</span
                >`
              : nothing
          }
        </div>
        <fieldset>
          <legend>Scale</legend>
          <label
            ><input
              type="radio"
              name="scale"
              .checked=${o.scale === 'default'}
              @change=${() => this.edit((x) => ({ ...x, scale: 'default' }), null)}
            />
            1/√d<sub>k</sub> <span class="muted">(= ${fmt(defaultScale)})</span></label
          >
          <label
            ><input
              type="radio"
              name="scale"
              .checked=${custom}
              @change=${() => this.edit((x) => ({ ...x, scale: resolveScale(x.scale, this.dk) }), null)}
            />
            custom</label
          >
          ${typeof o.scale === 'number' ? html`<input type="number" step="any" aria-label="custom scale" .value=${numberText(o.scale, o, this.boxes.keptText('scale'))} @input=${this.onCustomScale} />` : nothing}
          <label
            ><input
              type="radio"
              name="scale"
              .checked=${o.scale === 'none'}
              @change=${() => this.edit((x) => ({ ...x, scale: 'none' }), null)}
            />
            none (1)</label
          >
        </fieldset>
        <div class="row">
          <label
            >Temperature
            <input
              type="number"
              min="0"
              step="0.1"
              aria-label="temperature"
              .value=${numberText(o.temperature, o, this.boxes.keptText('temperature'))}
              @input=${this.onTemperature}
          /></label>
          <input
            type="range"
            min="-2"
            max="2"
            step="0.01"
            aria-label="temperature (log scale)"
            .value=${String(Math.log10(o.temperature))}
            @input=${this.onTemperatureSlider}
          />
        </div>
        <div class="row">
          <label
            ><input
              type="checkbox"
              id="causal"
              .checked=${o.causal}
              @change=${(e: Event) => this.edit((x) => ({ ...x, causal: (e.target as HTMLInputElement).checked }), null)}
            />
            Causal <span class="muted">(query i sees keys j ≤ i)</span></label
          >
          <label
            >Heads
            <input
              type="number"
              min="1"
              max="64"
              step="1"
              aria-label="heads"
              .value=${numberText(o.heads, o, this.boxes.keptText('heads'))}
              @input=${this.onHeads}
          /></label>
        </div>
        <div class="row">
          <label
            >Kernel
            <select
              aria-label="kernel variant"
              @change=${this.onVariant}
              ?disabled=${!this.gpuAvailable}
              title=${this.gpuAvailable ? '' : 'Kernels run on the GPU: no WebGPU device (see the banner above)'}
            >
              ${this.variants.map(
                (v) =>
                  html`<option
                    value=${v}
                    ?selected=${v === this.variant}
                    ?disabled=${v === 'fused' && noFused !== null}
                    title=${v === 'fused' && noFused ? noFused.reason : ''}
                  >
                    ${v}${this.outputOnly.includes(v) ? ' (output only)' : ''}${v === 'fused' && noFused ? ` (${noFused.short})` : ''}
                  </option>`,
              )}
            </select>
          </label>
          ${noFused ? html`<span class="muted" id="fused-note">${noFused.reason}</span>` : nothing}
          ${this.outputOnly.includes(this.variant) ? html`<span class="muted">never writes the scores: only the output is compared</span>` : nothing}
        </div>
        <div class="row">
          <label
            >Storage
            <select
              aria-label="storage precision"
              @change=${this.onPrecision}
              ?disabled=${!this.gpuAvailable}
              title=${this.gpuAvailable ? '' : 'Storage precision is the GPU’s: no WebGPU device (see the banner above)'}
            >
              ${PRECISIONS.map((p) => html`<option value=${p} ?selected=${p === this.precision}>${PRECISION_TITLES[p]}</option>`)}
            </select>
          </label>
          ${
            this.precision === 'f16'
              ? html`<span class="muted"
                  >Q, K, V read as halves (fused only, without RoPE): the check adds their rounding, |x − half(x)| ≤ 2⁻¹¹|x|</span
                >`
              : nothing
          }
        </div>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      </section>
    `;
  }

  /** Selects follow the state (undo, links): option attributes stop working once a user has picked. */
  protected override updated(): void {
    const select = this.renderRoot.querySelector<HTMLSelectElement>('select[aria-label="kernel variant"]');
    if (select && select.value !== this.variant) select.value = this.variant;
    const score = this.renderRoot.querySelector<HTMLSelectElement>('select[aria-label="score function"]');
    if (score && score.value !== scoreChoiceOf(this.options)) score.value = scoreChoiceOf(this.options);
    const activation = this.renderRoot.querySelector<HTMLSelectElement>('select[aria-label="activation"]');
    if (activation && activation.value !== this.options.activation) activation.value = this.options.activation;
    const storage = this.renderRoot.querySelector<HTMLSelectElement>('select[aria-label="storage precision"]');
    if (storage && storage.value !== this.precision) storage.value = this.precision;
  }

  /**
   * Scale and temperature apply as they are typed and reach the kernels as float32: a text that is
   * not `rule`, or a value that float32 would not hold, is refused (./box-text.ts TypedBoxes): the
   * value from before the keystrokes that led to it goes back ("1e-4" on the way to "1e-46"), and
   * the message names it.
   */
  private typedFloat(event: Event, box: 'scale' | 'temperature', what: string, valid: (x: number) => boolean, rule: string): void {
    const text = (event.target as HTMLInputElement).value;
    const x = Number(text);
    const current = this.options[box];
    if (typeof current !== 'number') return;
    let problem: string | null = null;
    if (text.trim() === '' || !Number.isFinite(x) || !valid(x)) problem = `${what}: "${text}" is not ${rule}`;
    else {
      try {
        checkFloat32(x, what);
      } catch (error) {
        problem = (error as Error).message;
      }
    }
    if (problem === null) problem = this.boxes.typed(box, text, current, (s) => ({ ...s, options: { ...s.options, [box]: x } }));
    this.error =
      problem === null
        ? null
        : this.boxes.refused(
            box,
            text,
            current,
            (start) => `${problem}; the ${what.toLowerCase()} stays ${start}.`,
            (s, start) => ({ ...s, options: { ...s.options, [box]: start } }),
          );
  }

  private onCustomScale = (event: Event) => {
    this.typedFloat(event, 'scale', 'Scale', () => true, 'a finite number');
  };

  private onTemperature = (event: Event) => {
    this.typedFloat(event, 'temperature', 'Temperature', (t) => t > 0, 'a positive number');
  };

  private onTemperatureSlider = (event: Event) => {
    const t = Number((10 ** Number((event.target as HTMLInputElement).value)).toPrecision(3));
    this.error = null;
    this.edit((o) => ({ ...o, temperature: t }), 'temperature');
  };

  /**
   * Heads apply as they are typed; a refused text puts back the state from before the keystrokes
   * that led to it (typing "65" passes through 6), and the message names its count. Each keystroke
   * is applied to the state the run began from, not to the one the previous keystroke left, so
   * the "1" on the way to 16 drops nothing that 16 keeps (edited projections, K/V heads).
   */
  private onHeads = (event: Event) => {
    const text = (event.target as HTMLInputElement).value;
    const x = Number(text);
    let problem: string | null = null;
    if (text.trim() === '' || !(Number.isInteger(x) && x >= 1 && x <= 64)) problem = `"${text}" is not a whole number from 1 to 64`;
    else {
      try {
        // K/V heads must still divide the heads (checked here too, so the message sits by the field).
        optionsForHeads(this.options, x);
      } catch (error) {
        problem = (error as Error).message;
      }
    }
    // The run's start may have K/V heads that the count on the way had made plain (4 of 2 → "2" → "25"): withHeads throws then.
    if (problem === null) problem = this.boxes.typed('heads', text, this.options.heads, (from) => withHeads(from, x));
    this.error =
      problem === null
        ? null
        : this.boxes.refused('heads', text, this.options.heads, (start) => `Heads: ${problem}; heads stay ${start}.`, withHeads);
  };

  /**
   * A score choice sets the score and the scale together; general and additive cannot run on the
   * fused kernel (it computes dot scores only), so a fused variant moves to tiled, and says so.
   */
  private onScore = (event: Event) => {
    const picked = SCORE_CHOICES.find((c) => c.choice === ((event.target as HTMLSelectElement).value as ScoreChoice));
    if (!picked) return;
    this.dispatchEvent(
      new StateEditEvent((s) => {
        const variant = picked.score !== 'dot' && s.variant === 'fused' ? 'tiled' : s.variant;
        return { ...s, variant, options: { ...s.options, score: picked.score, scale: picked.scale } };
      }, null),
    );
  };

  /**
   * ReLU or GELU in place of the softmax: the fused kernel computes an online softmax in one pass and
   * has no elementwise form, so a fused variant moves to tiled, and says so (as for a learned score).
   */
  private onActivation = (event: Event) => {
    const value = (event.target as HTMLSelectElement).value;
    const activation = ACTIVATIONS.find((a) => a === value);
    if (!activation) return;
    this.dispatchEvent(
      new StateEditEvent((s) => {
        const variant = activation !== 'softmax' && s.variant === 'fused' ? 'tiled' : s.variant;
        return { ...s, variant, options: { ...s.options, activation } };
      }, null),
    );
  };

  private onPrecision = (event: Event) => {
    const precision = (event.target as HTMLSelectElement).value;
    if (isPrecisionChoice(precision) && precision !== 'auto') this.dispatchEvent(new StateEditEvent((s) => ({ ...s, precision }), null));
  };

  private onVariant = (event: Event) => {
    const variant = (event.target as HTMLSelectElement).value;
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, variant }), null));
  };
}

const FUSED_REASON =
  'The fused kernel computes dot scores only: general and additive run on tiled or naive (choosing one of them moves fused to tiled).';
const FUSED_ACTIVATION_REASON =
  'The fused kernel computes the softmax in one pass: ReLU and GELU run on tiled or naive (choosing one of them moves fused to tiled).';

/** Why the fused variant cannot run these options (null when it can), in a sentence and in a few words. */
function fusedReason(learned: boolean, elementwise: boolean): { reason: string; short: string } | null {
  if (learned && elementwise) return { reason: `${FUSED_REASON} ${FUSED_ACTIVATION_REASON}`, short: 'dot scores and softmax only' };
  if (learned) return { reason: FUSED_REASON, short: 'dot scores only' };
  if (elementwise) return { reason: FUSED_ACTIVATION_REASON, short: 'softmax only' };
  return null;
}

function fmt(x: number): string {
  return String(Number(x.toPrecision(4)));
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-options-panel': AttnOptionsPanel;
  }
}
