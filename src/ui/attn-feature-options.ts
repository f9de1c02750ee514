/**
 * <attn-feature-options>: the attention features modern models add (src/core/features.ts) — RoPE,
 * K/V heads (GQA/MQA), sliding window, ALiBi, logit softcap, attention sinks — each with its
 * controls, a one-line explanation and a link to its source. A value is checked against the
 * problem before it is sent (src/core/feature-options.ts): a bad one is named here, the state
 * keeps its last valid options, and the text typed stays in its field (./box-text.ts) until the
 * options change — by an edit here, an example, undo or redo, a link — which clears the message
 * and puts the state's values back in the boxes whose text no longer says them. A new head width
 * d_k clears the message too. Number boxes apply each keystroke; a refused text puts back the
 * state from before the keystrokes that led to it, not a prefix applied on the way ("2000000"
 * while typing "20000000": ./box-text.ts TypingRun), and the message names the box's value; each
 * keystroke is applied to the state the run began from, so the "2" on the way to "24" K/V heads
 * does not cut K and V to two heads' columns.
 */
import type { PropertyValues } from 'lit';
import { LitElement, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { checkOptions, parseNumberList, withOptions } from '../core/feature-options';
import { kvHeadChoices } from '../core/features';
import type { FeatureName } from '../core/features';
import { alibiSlopes, FEATURE_INFO, kvHeadCount } from '../core/features';
import type { AttentionOptions, RopeOptions } from '../core/options';
import { DEFAULT_ROPE } from '../core/options';
import { listText, numberText, TypedBoxes } from './box-text';
import { StateEditEvent } from './events';
import { featureOptionsStyles } from './feature-options-styles';
import { buttonStyles, panelStyles } from './styles';

/** A number box applied as it is typed: its feature, its value in the options and how a value goes back in. */
interface NumberField {
  feature: FeatureName;
  /** The box's id (and its edits' undo key). */
  id: string;
  get: (o: AttentionOptions) => number | null;
  patch: (o: AttentionOptions, value: number | null) => Partial<AttentionOptions>;
  /** What the message says the value in use is: "the RoPE position offset stays 0". */
  stays: (value: number | null) => string;
}

const ropePatch =
  (key: 'base' | 'dims' | 'offset') =>
  (o: AttentionOptions, value: number | null): Partial<AttentionOptions> =>
    o.rope ? { rope: { ...o.rope, [key]: value } } : {};

const FIELDS = {
  ropeBase: {
    feature: 'rope',
    id: 'rope-base',
    get: (o) => o.rope?.base ?? null,
    patch: ropePatch('base'),
    stays: (x) => `the RoPE base θ stays ${x}`,
  },
  ropeDims: {
    feature: 'rope',
    id: 'rope-dims',
    get: (o) => o.rope?.dims ?? null,
    patch: ropePatch('dims'),
    stays: (x) => `the RoPE rotated dims stay ${x ?? 'all'}`,
  },
  ropeOffset: {
    feature: 'rope',
    id: 'rope-offset',
    get: (o) => o.rope?.offset ?? null,
    patch: ropePatch('offset'),
    stays: (x) => `the RoPE position offset stays ${x}`,
  },
  kvHeads: {
    feature: 'kvHeads',
    id: 'kv-heads',
    get: (o) => kvHeadCount(o),
    patch: (_, x) => ({ kvHeads: x }),
    stays: (x) => `K/V heads stay ${x}`,
  },
  window: {
    feature: 'window',
    id: 'window',
    get: (o) => o.window,
    patch: (_, x) => ({ window: x }),
    stays: (x) => `the sliding window stays ${x}`,
  },
  softcap: {
    feature: 'softcap',
    id: 'softcap',
    get: (o) => o.softcap,
    patch: (_, x) => ({ softcap: x }),
    stays: (x) => `the logit softcap stays ${x}`,
  },
} satisfies Record<string, NumberField>;

/** Values a feature starts with when it is switched on: visible on the page's small examples. */
const START = { window: 2, softcap: 5, sink: 0 } as const;

@customElement('attn-feature-options')
export class AttnFeatureOptions extends LitElement {
  static override styles = [buttonStyles, panelStyles, featureOptionsStyles];

  @property({ attribute: false }) options!: AttentionOptions;
  /** One head's width d_k in the current state, or null when the state's shape does not say (RoPE needs it even). */
  @property({ attribute: false }) dk: number | null = null;

  /** The last refused value, naming the feature it belongs to (cleared when the options change). */
  @state() private error: { feature: FeatureName; text: string } | null = null;

  /** The number boxes' runs of keystrokes: what a refused text puts back (./box-text.ts). */
  private boxes = new TypedBoxes<number | null, { feature: FeatureName; text: string }>(this);

  /**
   * New options, from here or elsewhere, make a refused value's message stale (its box is rewritten
   * by box-text.ts); so does a new head width, which a refusal may have named ("an even head width
   * dk, got 5"). The options a refusal put back keep its message and text.
   */
  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('options') || changed.has('dk')) this.error = this.boxes.optionsChanged();
  }

  /** `.value` of a number box: the options' value, or the refused text it keeps. */
  private boxValue(field: NumberField) {
    return numberText(field.get(this.options), this.options, this.boxes.keptText(field.id));
  }

  /** Applies a typed value (null: an empty box where that means "none"), or refuses it when it does not fit the problem. */
  private typed(event: Event, field: NumberField, value: number | null): void {
    try {
      checkOptions({ ...this.options, ...field.patch(this.options, value) }, this.dk);
    } catch (error) {
      return this.refuse(event, field, (error as Error).message);
    }
    this.error = null;
    const text = (event.target as HTMLInputElement).value;
    // Applied to the state the run of keystrokes began from: the "2" on the way to "24" K/V heads cuts nothing.
    const problem = this.boxes.typed(field.id, text, field.get(this.options), (from) =>
      withOptions(from, field.patch(from.options, value)),
    );
    if (problem !== null) this.refuse(event, field, problem);
  }

  /**
   * A refused text: the box's value goes back to what it was before the keystrokes that led to it,
   * not a prefix applied on the way ("2000000" while typing "20000000"), and the message says which
   * value is in use.
   */
  private refuse(event: Event, field: NumberField, problem: string): void {
    const text = (event.target as HTMLInputElement).value;
    this.error = this.boxes.refused(
      field.id,
      text,
      field.get(this.options),
      (start) => ({ feature: field.feature, text: `${problem}; ${field.stays(start)}.` }),
      (s, start) => withOptions(s, field.patch(s.options, start)),
    );
  }

  /**
   * Applies a change to the options when it fits the problem; otherwise names the problem and
   * keeps the state. Returns whether it was sent.
   */
  private apply(feature: FeatureName, patch: Partial<AttentionOptions>, key: string | null): boolean {
    try {
      checkOptions({ ...this.options, ...patch }, this.dk);
    } catch (error) {
      this.error = { feature, text: `${(error as Error).message}; the ${FEATURE_INFO[feature].title} setting is unchanged.` };
      return false;
    }
    this.error = null;
    this.dispatchEvent(new StateEditEvent((s) => withOptions(s, patch), key));
    return true;
  }

  /** A number typed into a box: applied, or refused naming the rule when it is not one that fits. */
  private number(event: Event, field: NumberField, what: string, valid: (x: number) => boolean, rule: string): void {
    const text = (event.target as HTMLInputElement).value;
    const x = Number(text);
    if (text.trim() === '' || !Number.isFinite(x) || !valid(x)) this.refuse(event, field, `${what}: "${text}" is not ${rule}`);
    else this.typed(event, field, x);
  }

  /** A list typed into a box (applied when it is left, so no prefix was applied on the way), or null with the problem named. */
  private list(event: Event, feature: FeatureName, what: string, current: readonly number[] | null): number[] | null {
    try {
      return parseNumberList((event.target as HTMLInputElement).value, what);
    } catch (error) {
      const stay = current ? `the ${what.toLowerCase().replace('alibi', 'ALiBi')} stay ${current.join(', ')}` : 'nothing changed';
      this.error = { feature, text: `${(error as Error).message}; ${stay}.` };
      return null;
    }
  }

  /** A checkbox whose change was refused goes back to what the state says. */
  private toggle(event: Event, feature: FeatureName, on: Partial<AttentionOptions>, off: Partial<AttentionOptions>): void {
    const box = event.target as HTMLInputElement;
    if (!this.apply(feature, box.checked ? on : off, null)) box.checked = !box.checked;
  }

  override render() {
    const o = this.options;
    const kv = kvHeadCount(o);
    return html`<section class="panel">
      <h2>Features of modern models</h2>
      ${this.feature('rope', this.renderRope(o.rope))}
      ${this.feature(
        'kvHeads',
        html`<label
            >K/V heads
            <input
              type="number"
              id="kv-heads"
              min="1"
              max=${o.heads}
              step="1"
              aria-label="K/V heads"
              .value=${this.boxValue(FIELDS.kvHeads)}
              @input=${this.onKvHeads}
          /></label>
          <span class="muted"
            >${o.heads === 1 ? 'one head: nothing to share' : `of ${o.heads} query heads (${kvHeadChoices(o.heads).join(', ')} fit): ${o.heads / kv} per K/V head${kv === 1 ? ' (MQA)' : kv === o.heads ? ' (plain multi-head)' : ' (GQA)'}`}</span
          >`,
      )}
      ${this.feature(
        'window',
        html`<label
            ><input
              type="checkbox"
              id="window-on"
              .checked=${o.window !== null}
              @change=${(e: Event) => this.toggle(e, 'window', { window: START.window }, { window: null })}
            />
            Sliding window</label
          >
          ${o.window !== null ? html`<label>w <input type="number" id="window" min="1" step="1" aria-label="window" .value=${this.boxValue(FIELDS.window)} @input=${this.onWindow} /></label>` : nothing}`,
      )}
      ${this.feature('alibi', this.renderAlibi(o))}
      ${this.feature(
        'softcap',
        html`<label
            ><input
              type="checkbox"
              id="softcap-on"
              .checked=${o.softcap !== null}
              @change=${(e: Event) => this.toggle(e, 'softcap', { softcap: START.softcap }, { softcap: null })}
            />
            Logit softcap</label
          >
          ${o.softcap !== null ? html`<label>c <input type="number" id="softcap" min="0" step="any" aria-label="softcap" .value=${this.boxValue(FIELDS.softcap)} @input=${this.onSoftcap} /></label><span class="muted">Gemma 2 uses 50</span>` : nothing}`,
      )}
      ${this.feature(
        'sinks',
        html`<label
            ><input
              type="checkbox"
              id="sinks-on"
              .checked=${o.sinks !== null}
              @change=${(e: Event) => this.toggle(e, 'sinks', { sinks: new Array<number>(o.heads).fill(START.sink) }, { sinks: null })}
            />
            Attention sinks</label
          >
          ${o.sinks !== null ? html`<label>logit per head <input type="text" id="sinks" aria-label="sink logits" .value=${listText(o.sinks, o)} @change=${this.onSinks} /></label>` : nothing}`,
      )}
    </section>`;
  }

  /** One feature: its controls, what it does in a line, its source, and its refused value if any. */
  private feature(name: FeatureName, controls: unknown) {
    const info = FEATURE_INFO[name];
    return html`<div class="feature" data-feature=${name}>
      <div class="row">${controls}</div>
      <p class="about">${info.summary} <a href=${info.source.url} target="_blank" rel="noopener">${info.source.title}</a></p>
      ${this.error?.feature === name ? html`<p class="error" role="alert">${this.error.text}</p>` : nothing}
    </div>`;
  }

  private renderRope(rope: RopeOptions | null) {
    return html`<label
        >RoPE
        <select id="rope-layout" aria-label="RoPE" @change=${this.onRopeLayout}>
          <option value="off" ?selected=${!rope}>off</option>
          <option value="interleaved" ?selected=${rope?.layout === 'interleaved'}>pairs (2i, 2i+1), as Llama</option>
          <option value="half" ?selected=${rope?.layout === 'half'}>halves (i, i + r/2), as Hugging Face</option>
        </select></label
      >
      ${
        rope
          ? html`<label
                >base θ
                <input
                  type="number"
                  id="rope-base"
                  step="any"
                  aria-label="RoPE base"
                  .value=${this.boxValue(FIELDS.ropeBase)}
                  @input=${this.onRopeBase}
              /></label>
              <label
                >rotated dims
                <input
                  type="number"
                  id="rope-dims"
                  min="2"
                  step="2"
                  placeholder=${`all ${this.dk ?? ''}`}
                  aria-label="RoPE rotated dims"
                  .value=${this.boxValue(FIELDS.ropeDims)}
                  @input=${this.onRopeDims}
              /></label>
              <label
                >position offset
                <input
                  type="number"
                  id="rope-offset"
                  step="1"
                  aria-label="RoPE position offset"
                  .value=${this.boxValue(FIELDS.ropeOffset)}
                  @input=${this.onRopeOffset}
              /></label>`
          : nothing
      }`;
  }

  private renderAlibi(o: AttentionOptions) {
    const mode = o.alibi === null ? 'off' : o.alibi === 'standard' ? 'standard' : 'custom';
    const standard = alibiSlopes(o.heads).map((x) => Number(x.toPrecision(4)));
    return html`<label
        >ALiBi
        <select id="alibi-mode" aria-label="ALiBi" @change=${this.onAlibiMode}>
          <option value="off" ?selected=${mode === 'off'}>off</option>
          <option value="standard" ?selected=${mode === 'standard'}>standard slopes</option>
          <option value="custom" ?selected=${mode === 'custom'}>custom slopes</option>
        </select></label
      >
      ${mode === 'standard' ? html`<span class="muted">slopes ${standard.join(', ')}</span>` : nothing}
      ${Array.isArray(o.alibi) ? html`<label>slope per head <input type="text" id="alibi-slopes" aria-label="ALiBi slopes" .value=${listText(o.alibi, o)} @change=${this.onAlibiSlopes} /></label>` : nothing}`;
  }

  /** Selects follow the state (undo, links, a refused choice): option attributes stop working once a user has picked. */
  protected override updated(): void {
    const o = this.options;
    const set = (id: string, value: string) => {
      const select = this.renderRoot.querySelector<HTMLSelectElement>(`#${id}`);
      if (select && select.value !== value) select.value = value;
    };
    set('rope-layout', o.rope?.layout ?? 'off');
    set('alibi-mode', o.alibi === null ? 'off' : o.alibi === 'standard' ? 'standard' : 'custom');
  }

  private onRopeLayout = (event: Event) => {
    const value = (event.target as HTMLSelectElement).value;
    const rope = value === 'off' ? null : { ...(this.options.rope ?? DEFAULT_ROPE), layout: value as RopeOptions['layout'] };
    if (!this.apply('rope', { rope }, null)) this.requestUpdate();
  };

  private onRopeBase = (event: Event) => {
    this.number(event, FIELDS.ropeBase, 'RoPE base θ', (b) => b > 1, 'a number greater than 1');
  };

  private onRopeDims = (event: Event) => {
    const text = (event.target as HTMLInputElement).value;
    if (text.trim() === '') return this.typed(event, FIELDS.ropeDims, null);
    this.number(event, FIELDS.ropeDims, 'RoPE rotated dims', (d) => Number.isInteger(d), 'a whole number');
  };

  private onRopeOffset = (event: Event) => {
    this.number(event, FIELDS.ropeOffset, 'RoPE position offset', (d) => Number.isInteger(d), 'a whole number');
  };

  private onKvHeads = (event: Event) => {
    this.number(event, FIELDS.kvHeads, 'K/V heads', (k) => Number.isInteger(k) && k >= 1, 'a whole number ≥ 1');
  };

  private onWindow = (event: Event) => {
    this.number(event, FIELDS.window, 'Sliding window', (w) => Number.isInteger(w) && w >= 1, 'a whole number of keys ≥ 1');
  };

  private onSoftcap = (event: Event) => {
    this.number(event, FIELDS.softcap, 'Logit softcap', (c) => c > 0, 'a positive number');
  };

  private onAlibiMode = (event: Event) => {
    const mode = (event.target as HTMLSelectElement).value;
    const standard = alibiSlopes(this.options.heads).map((x) => Number(x.toPrecision(6)));
    const alibi = mode === 'off' ? null : mode === 'standard' ? 'standard' : standard;
    if (!this.apply('alibi', { alibi }, null)) this.requestUpdate();
  };

  private onAlibiSlopes = (event: Event) => {
    const slopes = this.list(event, 'alibi', 'ALiBi slopes', Array.isArray(this.options.alibi) ? this.options.alibi : null);
    if (slopes) this.apply('alibi', { alibi: slopes }, 'alibi-slopes');
  };

  private onSinks = (event: Event) => {
    const sinks = this.list(event, 'sinks', 'Sink logits', this.options.sinks);
    if (sinks) this.apply('sinks', { sinks }, 'sinks');
  };
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-feature-options': AttnFeatureOptions;
  }
}
