/**
 * <attn-profile-controls>: the profiler's sweep form — what `npm run bench` takes from its flags.
 * N values (presets and a custom list), decode key counts (n = 1 against m keys), dk, dv, heads,
 * K/V heads, causal, the Features panel's other features (RoPE, window, ALiBi, softcap, sinks)
 * when asked, warm-ups, repeats, the variants (checkboxes, and more by name: fused-Nsplits…) and
 * the variants every row is compared with; Run and Cancel (sent as ProfileCommandEvent) with the
 * progress of the running sweep. <attn-profiler> reads the form with `sweepConfig` (a RangeError
 * names a bad field; what was typed stays) and fills it from a config given to its `run` with `apply`.
 */
import { profileFormStyles } from './profile-form-styles';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { describeFeatures } from '../core/features';
import { sweepFeatures } from '../core/feature-options';
import type { AttentionOptions } from '../core/options';
import type { ProfileConfig } from '../core/profile-report';
import type { ProfileProgress } from '../gpu/profile';
import { checkVariantNames, PEER_NAMES, PROFILE_VARIANT_NAMES } from '../gpu/profile';
import { VARIANT_NAMES } from '../gpu/variants';
import { ProfileCommandEvent } from './events';

const N_PRESETS = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
/** The variants with a checkbox; others (fused-64splits…) are typed into "more variants". */
const ALL_VARIANTS = PROFILE_VARIANT_NAMES;

/** Names in a list typed as "a, b c": split on commas, semicolons and spaces. */
function names(text: string): string[] {
  return text.split(/[\s,;]+/).filter(Boolean);
}

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
    `,
  ];

  /** A sweep is running: the form is locked and shows its progress. */
  @property({ type: Boolean }) running = false;
  /** The running sweep's latest progress (null while the roofline is measured). */
  @property({ attribute: false }) progress: ProfileProgress | null = null;
  /** Whether there is an engine to profile (Run waits for one). */
  @property({ type: Boolean, attribute: 'engine-ready' }) engineReady = false;
  /** Said beside Run while there is no engine. */
  @property() waiting = 'Waiting for a WebGPU device…';
  /** The playground's attention options, whose features a sweep can take (null: none offered). */
  @property({ attribute: false }) options: AttentionOptions | null = null;

  /** Running or without a device: the form cannot change or start a sweep. */
  private get locked(): boolean {
    return this.running || !this.engineReady;
  }

  @state() private ns = new Set([64, 128, 256, 512]);
  @state() private customNs = '';
  /** Decode key counts, as typed ("4096, 16384, 32768"). */
  @state() private decodeMs = '';
  @state() private dk = 64;
  /** dv and K/V heads as typed; empty: dk, and one K/V head per query head. */
  @state() private dv = '';
  @state() private kvHeads = '';
  @state() private heads = 1;
  /** Profile with the Features panel's RoPE, window, ALiBi, softcap and sinks. */
  @state() private withFeatures = false;
  /** Variants without a checkbox, as typed ("fused-16splits, fused-64splits"). */
  @state() private moreVariants = '';
  /** Variants every row is compared with by paired ratio, as typed. */
  @state() private baselines = '';
  @state() private causal = false;
  // The setting variants (fused-f16) are there to compare, not checked by default.
  @state() private variants = new Set<string>([...VARIANT_NAMES, ...PEER_NAMES]);
  @state() private warmup = 2;
  @state() private repeats = 5;

  /** Fills the form with the parts of `c` given. */
  apply(c: Partial<ProfileConfig>): void {
    if (c.ns) {
      this.ns = new Set(c.ns.filter((n) => N_PRESETS.includes(n)));
      this.customNs = c.ns.filter((n) => !N_PRESETS.includes(n)).join(', ');
    }
    if (c.decode) this.decodeMs = c.decode.join(', ');
    if (c.dk !== undefined) this.dk = c.dk;
    if (c.dv !== undefined) this.dv = String(c.dv);
    if (c.heads !== undefined) this.heads = c.heads;
    if (c.features?.kvHeads !== undefined) this.kvHeads = c.features.kvHeads === null ? '' : String(c.features.kvHeads);
    if (c.causal !== undefined) this.causal = c.causal;
    if (c.variants) {
      this.variants = new Set(c.variants.filter((v) => ALL_VARIANTS.includes(v)));
      this.moreVariants = c.variants.filter((v) => !ALL_VARIANTS.includes(v)).join(', ');
    }
    if (c.baselines) this.baselines = c.baselines.join(', ');
    if (c.warmup !== undefined) this.warmup = c.warmup;
    if (c.repeats !== undefined) this.repeats = c.repeats;
  }

  /** The Features panel's features on (K/V heads aside), in words; '' when none. */
  private featureWords(): string {
    const o = this.options;
    return o ? describeFeatures({ ...o, kvHeads: null }) : '';
  }

  /** The sweep the form describes, on top of `extra` (the fields the form has no input for). */
  sweepConfig(extra: Partial<ProfileConfig>): ProfileConfig {
    const numbers = (text: string, what: string) => {
      const xs = text
        .split(/[\s,;]+/)
        .filter(Boolean)
        .map(Number);
      const bad = xs.filter((n) => !Number.isInteger(n) || n < 1);
      if (bad.length) throw new RangeError(`${what} must be positive integers: ${bad.join(', ')}`);
      return xs;
    };
    /** One positive integer typed into a field, or null when it is empty. */
    const optional = (text: string, what: string) => {
      const xs = numbers(text, what);
      if (xs.length > 1) throw new RangeError(`${what} takes one number, got "${text.trim()}"`);
      return xs.length ? xs[0] : null;
    };
    const custom = numbers(this.customNs, 'custom N values');
    const decode = numbers(this.decodeMs, 'decode key counts');
    const ns = [...new Set([...this.ns, ...custom])].sort((a, b) => a - b);
    if (ns.length === 0) throw new RangeError('choose at least one N');
    const more = names(this.moreVariants);
    checkVariantNames(more);
    const kvHeads = optional(this.kvHeads, 'K/V heads');
    const taken = this.withFeatures && this.options ? sweepFeatures(this.options, this.heads) : {};
    return {
      ...extra,
      ns,
      dk: this.dk,
      dv: optional(this.dv, 'dv') ?? this.dk,
      heads: this.heads,
      causal: this.causal,
      variants: [...new Set([...ALL_VARIANTS.filter((v) => this.variants.has(v)), ...more])],
      warmup: this.warmup,
      repeats: this.repeats,
      decode,
      features: { ...extra.features, ...taken, kvHeads },
      baselines: names(this.baselines),
    };
  }

  private toggle<T>(set: Set<T>, value: T, on: boolean): Set<T> {
    const next = new Set(set);
    if (on) next.add(value);
    else next.delete(value);
    return next;
  }

  private command(command: ProfileCommandEvent['command']) {
    return () => this.dispatchEvent(new ProfileCommandEvent(command));
  }

  private numberInput(label: string, value: number, min: number, set: (v: number) => void, id: string) {
    return html`<label
      >${label}
      <input
        id=${id}
        type="number"
        min=${min}
        .value=${String(value)}
        @change=${(e: Event) => set(Math.max(min, Math.round(Number((e.target as HTMLInputElement).value)) || min))}
        ?disabled=${this.locked}
    /></label>`;
  }

  /** A free-text field (kept as typed; read and checked by sweepConfig). */
  private textInput(label: string, value: string, set: (v: string) => void, id: string, placeholder: string, title: string, wide = false) {
    return html`<label
      >${label}
      <input
        id=${id}
        class=${wide ? 'names' : 'short'}
        placeholder=${placeholder}
        title=${title}
        .value=${value}
        ?disabled=${this.locked}
        @change=${(e: Event) => set((e.target as HTMLInputElement).value)}
    /></label>`;
  }

  private renderFeatures() {
    const words = this.featureWords();
    return html`<div class="row">
      <label
        title="Profile the engine's variants with the features switched on in the playground's Features panel (tfjs runs plain attention only)"
        ><input
          id="with-features"
          type="checkbox"
          .checked=${this.withFeatures && !!words}
          ?disabled=${this.locked || !words}
          @change=${(e: Event) => (this.withFeatures = (e.target as HTMLInputElement).checked)}
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
                .checked=${this.ns.has(n)}
                ?disabled=${this.locked}
                @change=${(e: Event) => (this.ns = this.toggle(this.ns, n, (e.target as HTMLInputElement).checked))}
              />${n}</label
            >`,
        )}
        <label
          >custom
          <input
            class="custom"
            id="custom-ns"
            placeholder="e.g. 96, 384, 768"
            .value=${this.customNs}
            ?disabled=${this.locked}
            @change=${(e: Event) => (this.customNs = (e.target as HTMLInputElement).value)}
        /></label>
        <label
          >decode m
          <input
            class="custom"
            id="decode-ms"
            placeholder="e.g. 4096, 16384, 32768"
            title="Also time one query (n = 1) against each of these key counts: K+V bytes read per second against the copy bandwidth"
            .value=${this.decodeMs}
            ?disabled=${this.locked}
            @change=${(e: Event) => (this.decodeMs = (e.target as HTMLInputElement).value)}
        /></label>
      </div>
      <div class="row">
        ${this.numberInput('dk', this.dk, 1, (v) => (this.dk = v), 'dk')}
        ${this.textInput('dv', this.dv, (v) => (this.dv = v), 'dv', '= dk', 'Width of a value head; empty: the same as dk')}
        ${this.numberInput('heads', this.heads, 1, (v) => (this.heads = v), 'heads')}
        ${this.textInput(
          'K/V heads',
          this.kvHeads,
          (v) => (this.kvHeads = v),
          'kv-heads',
          '= heads',
          'Grouped-query attention: K and V have this many heads, each shared by heads ÷ K/V heads query heads (1: multi-query); empty: one per query head',
        )}
        <label
          ><input
            id="causal"
            type="checkbox"
            .checked=${this.causal}
            ?disabled=${this.locked}
            @change=${(e: Event) => (this.causal = (e.target as HTMLInputElement).checked)}
          />causal</label
        >
        ${this.numberInput('warm-ups', this.warmup, 0, (v) => (this.warmup = v), 'warmup')}
        ${this.numberInput('repeats', this.repeats, 1, (v) => (this.repeats = v), 'repeats')}
      </div>
      <div class="row">
        Variants:
        ${ALL_VARIANTS.map(
          (v) =>
            html`<label
              ><input
                type="checkbox"
                data-variant=${v}
                .checked=${this.variants.has(v)}
                ?disabled=${this.locked}
                @change=${(e: Event) => (this.variants = this.toggle(this.variants, v, (e.target as HTMLInputElement).checked))}
              />${v === 'tfjs' ? 'tfjs (TensorFlow.js WebGPU peer)' : v}</label
            >`,
        )}
        ${this.textInput(
          'more',
          this.moreVariants,
          (v) => (this.moreVariants = v),
          'more-variants',
          'e.g. fused-16splits, fused-64splits',
          'More variants by name: fused-Nsplits forces N key splits (fused-Nsplits-nosubgroups without the subgroup form), to see what the split count does on this device',
          true,
        )}
      </div>
      ${this.renderFeatures()}
      <div class="row">
        ${this.textInput(
          'compare with',
          this.baselines,
          (v) => (this.baselines = v),
          'baselines',
          'e.g. fused-nosubgroups',
          'Variants every row is compared with by paired ratio (a "× V" column each, as for naive and tfjs): an A/B of two kernels in the same rounds',
          true,
        )}
      </div>
      <div class="row">
        <button id="run" @click=${this.command('run')} ?disabled=${this.locked}>Run profile</button>
        <button id="cancel" @click=${this.command('cancel')} ?disabled=${!this.running}>Cancel</button>
        ${
          this.running
            ? html`<progress id="progress" max=${p?.total ?? 1} value=${p?.done ?? 0}></progress>
                <span class="note">${p ? `${p.done}/${p.total} — N=${p.n}, ${p.variant}, ${p.phase}` : 'measuring the roofline…'}</span>`
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
