/**
 * <attn-profile-controls>: the profiler's sweep form. N values (presets and a custom list), decode
 * key counts (n = 1 against m keys), dk, heads, causal, warm-ups, repeats and the variants; Run and Cancel (sent as ProfileCommandEvent)
 * with the progress of the running sweep. <attn-profiler> reads the form with `sweepConfig` and
 * fills it from a config given to its `run` with `apply`.
 */
import { profileFormStyles } from './profile-form-styles';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { ProfileConfig } from '../core/profile-report';
import type { ProfileProgress } from '../gpu/profile';
import { VARIANT_NAMES } from '../gpu/variants';
import { SETTING_VARIANT_NAMES } from '../gpu/profile';
import { ProfileCommandEvent } from './events';

const N_PRESETS = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
/** Variants besides the engine's: other libraries' attention, profiled the same way. */
const PEERS = ['tfjs'];
const ALL_VARIANTS = [...VARIANT_NAMES, ...SETTING_VARIANT_NAMES, ...PEERS];

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

  /** Running or without a device: the form cannot change or start a sweep. */
  private get locked(): boolean {
    return this.running || !this.engineReady;
  }

  @state() private ns = new Set([64, 128, 256, 512]);
  @state() private customNs = '';
  /** Decode key counts, as typed ("4096, 16384, 32768"). */
  @state() private decodeMs = '';
  @state() private dk = 64;
  @state() private heads = 1;
  @state() private causal = false;
  // The setting variants (fused-f16) are there to compare, not checked by default.
  @state() private variants = new Set<string>([...VARIANT_NAMES, ...PEERS]);
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
    if (c.heads !== undefined) this.heads = c.heads;
    if (c.causal !== undefined) this.causal = c.causal;
    if (c.variants) this.variants = new Set(c.variants);
    if (c.warmup !== undefined) this.warmup = c.warmup;
    if (c.repeats !== undefined) this.repeats = c.repeats;
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
    const custom = numbers(this.customNs, 'custom N values');
    const decode = numbers(this.decodeMs, 'decode key counts');
    const ns = [...new Set([...this.ns, ...custom])].sort((a, b) => a - b);
    if (ns.length === 0) throw new RangeError('choose at least one N');
    return {
      ...extra,
      ns,
      dk: this.dk,
      heads: this.heads,
      causal: this.causal,
      variants: ALL_VARIANTS.filter((v) => this.variants.has(v)).concat([...this.variants].filter((v) => !ALL_VARIANTS.includes(v))),
      warmup: this.warmup,
      repeats: this.repeats,
      decode,
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
        ${this.numberInput('heads', this.heads, 1, (v) => (this.heads = v), 'heads')}
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
