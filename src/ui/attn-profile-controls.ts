/**
 * <attn-profile-controls>: the profiler's sweep form — what `npm run bench` takes from its flags.
 * N values (presets and a custom list), decode key counts (n = 1 against m keys), dk, dv, heads,
 * K/V heads, causal, the Features panel's other features (RoPE, window, ALiBi, softcap, sinks)
 * when asked, warm-ups, repeats, the variants (checkboxes, and more by name: fused-Nsplits…) and
 * the variants every row is compared with, the seed, and the N the exponents are fitted from; Run,
 * Cancel and a refit of the results shown when that N changes (sent as ProfileCommandEvent), with the
 * progress of the running sweep. <attn-profiler> reads the form with `sweepConfig` (a RangeError
 * names a bad field; what was typed stays) and fills it from a config given to its `run` with `apply`.
 */
import { profileFormStyles } from './profile-form-styles';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { describeFeatures } from '../core/features';
import type { AttentionOptions } from '../core/options';
import type { ProfileForm, ProfileFormNumber } from '../core/profile-form';
import { DEFAULT_PROFILE_FORM, FORM_NUMBERS, formFitFrom, formFromConfig, formNumber, formToConfig, N_PRESETS } from '../core/profile-form';
import type { ProfileConfig } from '../core/profile-report';
import type { ProfileProgress } from '../gpu/profile';
import { checkVariantNames, PROFILE_VARIANT_NAMES } from '../gpu/profile';
import { numberText } from './box-text';
import { ProfileCommandEvent, StateEditEvent } from './events';

/** The variants with a checkbox; others (fused-64splits…) are typed into "more variants". */
const ALL_VARIANTS = PROFILE_VARIANT_NAMES;

@customElement('attn-profile-controls')
export class AttnProfileControls extends LitElement {
  static override styles = [
    profileFormStyles,
    css`
      :host {
        display: block;
      }
      label {
        white-space: nowrap;
      }
      input[type='number'] {
        width: 4.5rem;
      }
      input.custom {
        width: 14rem;
      }
      input.short {
        width: 4.5rem;
      }
      input.names {
        width: 11rem;
      }
      .row {
        margin: 0.3rem 0;
      }
      button {
        margin-right: 0.4rem;
      }
      progress {
        width: 20rem;
        vertical-align: middle;
      }
      .note {
        color: var(--attn-color-text-note);
        font-size: 0.85rem;
        max-width: 62rem;
      }
      .note.error {
        color: var(--attn-color-danger);
      }
    `,
  ];

  /** A sweep is running: the form is locked and shows its progress. */
  @property({ type: Boolean }) running = false;
  /** The running sweep's latest progress (null while the roofline is measured). */
  @property({ attribute: false }) progress: ProfileProgress | null = null;
  /** Whether there is an engine to profile (Run waits for one). */
  @property({ type: Boolean, attribute: 'engine-ready' }) engineReady = false;
  /** Said beside the progress bar while a run prepares, before its first timed round (verifying lab kernels, the roofline). */
  @property() preparing = 'measuring the roofline…';
  /** Said beside Run while there is no engine. */
  @property() waiting = 'Waiting for a WebGPU device…';
  /** The playground's attention options, whose features a sweep can take (null: none offered). */
  @property({ attribute: false }) options: AttentionOptions | null = null;

  /** Running or without a device: the form cannot change or start a sweep. */
  private get locked(): boolean {
    return this.running || !this.engineReady;
  }

  /**
   * The form as saved in the page's state (view.profile), given back after every edit and on a
   * restore: a value that is not the form's own last edit replaces the form.
   */
  @property({ attribute: false }) saved: ProfileForm | null = null;

  @state() private form: ProfileForm = DEFAULT_PROFILE_FORM;
  /** Number fields holding text that is not a valid value, by id, with what is wrong (the form keeps their last valid value). */
  @state() private invalid = new Map<string, string>();
  /** The last form that came from elsewhere: a new one puts its values into boxes holding refused text. */
  private replaced: ProfileForm | null = null;
  /** The form this element last sent to the page's state. */
  private sent: ProfileForm | null = null;

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('saved') && this.saved && this.saved !== this.sent) this.replace(this.saved);
  }

  /** Changes the form and sends it to the page's state (a view edit: saved and in the link, not an undo step). */
  private edit(patch: Partial<ProfileForm>): void {
    const form = { ...this.form, ...patch };
    this.form = form;
    this.sent = form;
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, view: { ...s.view, profile: form } }), null, false));
  }

  /** Fills the form with the parts of `c` given (none: the form and the page's state stay as they are). */
  apply(c: Partial<ProfileConfig>): void {
    if (!Object.keys(c).length) return;
    this.replace(this.form);
    this.edit(formFromConfig(this.form, c, ALL_VARIANTS));
  }

  /**
   * A form from elsewhere (the page's state restored, a config applied): what it holds replaces
   * any number typed that was not valid, and the boxes show its values.
   */
  private replace(form: ProfileForm): void {
    this.form = form;
    if (this.invalid.size) this.invalid = new Map();
    // A new form object is the boxes' sync (box-text.ts): each box still showing other text gets its value.
    this.replaced = form;
  }

  /** The Features panel's features on (K/V heads aside), in words; '' when none. */
  private featureWords(): string {
    const o = this.options;
    return o ? describeFeatures({ ...o, kvHeads: null }) : '';
  }

  /** The N the exponents are fitted from, as the form says (null: the upper half); a RangeError names a bad value. */
  fitFromN(): number | null {
    return formFitFrom(this.form);
  }

  /** The sweep the form describes, on top of `extra` (the fields the form has no input for); a RangeError names a bad field. */
  sweepConfig(extra: Partial<ProfileConfig>): ProfileConfig {
    const [refused] = this.invalid.values();
    if (refused) throw new RangeError(refused);
    const config = formToConfig(this.form, ALL_VARIANTS, this.options, extra);
    checkVariantNames(config.variants, config.features ?? null);
    return config;
  }

  private toggled<T>(list: readonly T[], value: T, on: boolean): T[] {
    return on ? [...new Set([...list, value])] : list.filter((x) => x !== value);
  }

  private command(command: ProfileCommandEvent['command']) {
    return () => this.dispatchEvent(new ProfileCommandEvent(command));
  }

  /** A number field: text that is not a valid value is kept as typed and named, the form keeps its last valid value, and Run refuses until it is mended. */
  private numberInput(field: ProfileFormNumber, title = '') {
    const { label, min, max } = FORM_NUMBERS[field];
    return html`<label
      >${label}
      <input
        id=${field}
        type="number"
        min=${min}
        max=${max}
        step="1"
        title=${title || nothing}
        aria-invalid=${this.invalid.has(field) ? 'true' : 'false'}
        .value=${numberText(this.form[field], this.replaced)}
        @change=${(e: Event) => {
          const invalid = new Map(this.invalid);
          try {
            const x = formNumber(field, (e.target as HTMLInputElement).value);
            invalid.delete(field);
            this.invalid = invalid;
            this.edit({ [field]: x });
          } catch (error) {
            this.invalid = invalid.set(field, (error as Error).message);
          }
        }}
        ?disabled=${this.locked}
    /></label>`;
  }

  /** A free-text field (kept as typed; read and checked by sweepConfig). */
  private textInput(
    label: string,
    value: string,
    set: (v: string) => void,
    id: string,
    placeholder: string,
    title: string,
    { wide = false, disabled = this.locked } = {},
  ) {
    return html`<label
      >${label}
      <input
        id=${id}
        class=${wide ? 'names' : 'short'}
        placeholder=${placeholder}
        title=${title}
        .value=${value}
        ?disabled=${disabled}
        @change=${(e: Event) => set((e.target as HTMLInputElement).value)}
    /></label>`;
  }

  private renderFeatures() {
    // Without the playground's options (bench.html) there is no Features panel to take features from.
    if (!this.options) return nothing;
    const words = this.featureWords();
    return html`<div class="row">
      <label
        title="Profile the engine's variants with the features switched on in the playground's Features panel (tfjs runs plain attention only)"
        ><input
          id="with-features"
          type="checkbox"
          .checked=${this.form.withFeatures && !!words}
          ?disabled=${this.locked || !words}
          @change=${(e: Event) => this.edit({ withFeatures: (e.target as HTMLInputElement).checked })}
        />with the Features panel's features</label
      >
      <span class="note" id="feature-words"
        >${words ? `(${words}; per-head values fitted to the heads above)` : '(none on in the Features panel)'}</span
      >
    </div>`;
  }

  override render() {
    const p = this.progress;
    return html` <fieldset>
      <legend>Sweep</legend>
      <div class="row">
        N:
        ${N_PRESETS.map(
          (n) =>
            html`<label
              ><input
                type="checkbox"
                data-n=${n}
                .checked=${this.form.ns.includes(n)}
                ?disabled=${this.locked}
                @change=${(e: Event) => this.edit({ ns: this.toggled(this.form.ns, n, (e.target as HTMLInputElement).checked) })}
              />${n}</label
            >`,
        )}
        <label
          >custom
          <input
            class="custom"
            id="custom-ns"
            placeholder="e.g. 96, 384, 768"
            .value=${this.form.customNs}
            ?disabled=${this.locked}
            @change=${(e: Event) => this.edit({ customNs: (e.target as HTMLInputElement).value })}
        /></label>
        <label
          >decode m
          <input
            class="custom"
            id="decode-ms"
            placeholder="e.g. 4096, 16384, 32768"
            title="Also time one query (n = 1) against each of these key counts: K+V bytes read per second against the copy bandwidth"
            .value=${this.form.decode}
            ?disabled=${this.locked}
            @change=${(e: Event) => this.edit({ decode: (e.target as HTMLInputElement).value })}
        /></label>
      </div>
      <div class="row">
        ${this.numberInput('dk')}
        ${this.textInput('dv', this.form.dv, (dv) => this.edit({ dv }), 'dv', '= dk', 'Width of a value head; empty: the same as dk')}
        ${this.numberInput('heads')}
        ${this.textInput(
          'K/V heads',
          this.form.kvHeads,
          (kvHeads) => this.edit({ kvHeads }),
          'kv-heads',
          '= heads',
          'Grouped-query attention: K and V have this many heads, each shared by heads ÷ K/V heads query heads (1: multi-query); empty: one per query head',
        )}
        <label
          ><input
            id="causal"
            type="checkbox"
            .checked=${this.form.causal}
            ?disabled=${this.locked}
            @change=${(e: Event) => this.edit({ causal: (e.target as HTMLInputElement).checked })}
          />causal</label
        >
        ${this.numberInput('warmup')} ${this.numberInput('repeats')}
        ${this.numberInput('seed', 'Seed of the random Q, K and V (each N adds itself to it): the same seed, the same inputs')}
      </div>
      <div class="row">
        Variants:
        ${ALL_VARIANTS.map(
          (v) =>
            html`<label
              ><input
                type="checkbox"
                data-variant=${v}
                .checked=${this.form.variants.includes(v)}
                ?disabled=${this.locked}
                @change=${(e: Event) => this.edit({ variants: this.toggled(this.form.variants, v, (e.target as HTMLInputElement).checked) })}
              />${v === 'tfjs' ? 'tfjs (TensorFlow.js WebGPU peer)' : v}</label
            >`,
        )}
        ${this.textInput(
          'more',
          this.form.moreVariants,
          (moreVariants) => this.edit({ moreVariants }),
          'more-variants',
          'e.g. fused-16splits, fused-64splits',
          'More variants by name: fused-Nsplits forces N key splits (fused-Nsplits-nosubgroups without the subgroup form), to see what the split count does on this device',
          { wide: true },
        )}
      </div>
      ${this.invalid.size ? html`<p class="note error" id="form-error" role="alert">${[...this.invalid.values()].join('; ')}</p>` : nothing}
      ${this.renderFeatures()}
      <div class="row">
        ${this.textInput(
          'compare with',
          this.form.baselines,
          (baselines) => this.edit({ baselines }),
          'baselines',
          'e.g. fused-nosubgroups',
          'Variants every row is compared with by paired ratio (a "× V" column each, as for naive and tfjs): an A/B of two kernels in the same rounds',
          { wide: true },
        )}
        ${this.textInput(
          'exponents from N ≥',
          this.form.fitFrom,
          (fitFrom) => {
            this.edit({ fitFrom });
            this.dispatchEvent(new ProfileCommandEvent('refit'));
          },
          'fit-from',
          'upper half',
          "The straight-line exponents of the plot (log t against log N) use the N from this one up; empty: the upper half of the sweep. A change refits the results shown, a loaded card's too",
          // A fit is reading, not measuring: it refits a loaded card's results without a GPU.
          { disabled: this.running },
        )}
      </div>
      <div class="row">
        <button id="run" @click=${this.command('run')} ?disabled=${this.locked}>Run profile</button>
        <button id="cancel" @click=${this.command('cancel')} ?disabled=${!this.running}>Cancel</button>
        ${
          this.running
            ? html`<progress id="progress" max=${p?.total ?? 1} value=${p?.done ?? 0}></progress>
                <span class="note" id="progress-text"
                  >${p ? `${p.done}/${p.total} — N=${p.n}, ${p.variant}, ${p.phase}` : this.preparing}</span
                >`
            : nothing
        }
        ${!this.engineReady ? html`<span class="note" id="waiting">${this.waiting}</span>` : nothing}
      </div>
    </fieldset>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-profile-controls': AttnProfileControls;
  }
}
