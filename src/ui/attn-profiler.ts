/**
 * <attn-profiler>: the sequence-length profiler panel. Choose N values, dk, heads, causal, the
 * variants (engine kernels and the TensorFlow.js peer), warm-ups and repeats; run with a progress
 * bar and a cancel button; read the per-stage table, the log-log time plot with fitted exponents,
 * the GFLOP/s plot and the measured roofline; export CSV, JSON and PNG.
 *
 * The page coordinator gives it `engine` (and optionally `device`, `adapter`); the work itself is
 * src/gpu/profile.ts and src/gpu/roofline.ts, so the element only holds view state. The form is
 * <attn-profile-controls>, the table and plots <attn-profile-results>; this element runs the sweep
 * and says what the roofline and the timestamps mean.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { ProfileConfig, ProfileResult, Roofline } from '../core/profile-report';
import type { AdapterSummary } from '../gpu/device';
import type { AttentionEngine } from '../gpu/engine';
import type { Peer, ProfileProgress } from '../gpu/profile';
import { profileSweep } from '../gpu/profile';
import { measureRoofline } from '../gpu/roofline';
import type { PlotKind } from '../plot/scaling-plots';
import type { AttnProfileControls } from './attn-profile-controls';
import type { AttnProfileResults } from './attn-profile-results';
import type { ProfileCommandEvent } from './events';
import './attn-profile-controls';
import './attn-profile-results';

@customElement('attn-profiler')
export class AttnProfiler extends LitElement {
  static override styles = css`
    :host {
      display: block;
      font: 14px/1.4 var(--attn-font-sans);
      color: var(--attn-color-text);
    }
    .banner {
      padding: 0.5rem 0.7rem;
      border-radius: var(--attn-radius-md);
      background: var(--attn-color-caution-bg);
      border: 1px solid var(--attn-color-warning-border);
      margin: 0.5rem 0;
    }
    .error {
      background: var(--attn-color-danger-bg);
      border-color: var(--attn-color-danger-border);
    }
    .note {
      color: var(--attn-color-text-note);
      font-size: 0.85rem;
      max-width: 62rem;
    }
  `;

  /** The engine to profile (its device is also the roofline's unless `device` is set). */
  @property({ attribute: false }) engine: AttentionEngine | null = null;
  /** The device the roofline microbenchmarks run on; defaults to the engine's. */
  @property({ attribute: false }) device: GPUDevice | null = null;
  /** Adapter description for the results (isSoftware marks CPU emulation). */
  @property({ attribute: false }) adapter: AdapterSummary | null = null;

  @state() private progress: ProfileProgress | null = null;
  @state() private running = false;
  @state() private result: ProfileResult | null = null;
  @state() private roofline: Roofline | null = null;
  @state() private message: string | null = null;
  @state() private peerNote: string | null = null;

  @query('attn-profile-controls') private controls!: AttnProfileControls;
  @query('attn-profile-results') private results!: AttnProfileResults;

  private controller: AbortController | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    this.dataset.state ??= 'idle';
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.controller?.abort();
  }

  /** Applies the parts of `config` given, runs the profile and resolves with its results. */
  async run(config: Partial<ProfileConfig> = {}): Promise<ProfileResult> {
    await this.updateComplete; // the form exists from the first render on
    this.controls.apply(config);
    const engine = this.engine;
    if (!engine) throw new Error('no engine: the profiler needs a WebGPU device');
    if (this.running) throw new Error('a profile is already running');
    this.controller = new AbortController();
    const signal = this.controller.signal;
    this.running = true;
    this.progress = null;
    this.message = null;
    this.dataset.state = 'running';
    try {
      const sweep = this.controls.sweepConfig(config);
      this.roofline = await this.measureRooflineOnce(engine);
      const peers = await this.loadPeers(sweep.variants);
      const result = await profileSweep(sweep, {
        engine,
        peers,
        roofline: this.roofline,
        signal,
        adapter: this.adapter && {
          description: this.adapter.description,
          vendor: this.adapter.vendor,
          architecture: this.adapter.architecture,
          isSoftware: this.adapter.isSoftware,
        },
        onProgress: (p) => (this.progress = p),
      });
      if (this.peerNote) result.notes.push(this.peerNote);
      this.result = result;
      this.dataset.state = result.cancelled ? 'cancelled' : 'done';
      return result;
    } catch (error) {
      this.message = (error as Error).message;
      this.dataset.state = 'error';
      throw error;
    } finally {
      this.running = false;
      this.controller = null;
    }
  }

  /** Shows results computed elsewhere (e.g. by `npm run bench -- --node`), to plot and export them. */
  show(result: ProfileResult): void {
    this.result = result;
    this.roofline = result.roofline;
    this.dataset.state = result.cancelled ? 'cancelled' : 'done';
  }

  /** The latest progress of a running profile (null before the first run starts). */
  get currentProgress(): ProfileProgress | null {
    return this.progress;
  }

  /** Stops the running profile after its current run; the results so far are kept. */
  cancel = (): void => {
    this.controller?.abort();
  };

  /** The chart as a PNG data URL (title and legend included), or null before any results. */
  plotPng(kind: PlotKind = 'time'): string | null {
    return this.results?.plotPng(kind) ?? null;
  }

  private async measureRooflineOnce(engine: AttentionEngine): Promise<Roofline | null> {
    try {
      return await measureRoofline(this.device ?? engine.device, engine.shaders);
    } catch (error) {
      this.message = `Roofline not measured: ${(error as Error).message}`;
      return null;
    }
  }

  /** tfjs is downloaded only when asked for; a peer that cannot start is reported, not fatal. */
  private async loadPeers(variants: string[]): Promise<Record<string, Peer>> {
    if (!variants.includes('tfjs')) return {};
    try {
      const { createTfjsPeer, tfjsDescription } = await import('../peer/tfjs');
      const peer = await createTfjsPeer();
      this.peerNote = `Peer: ${tfjsDescription()}; GPU time from tf.profile (per-kernel timestamp queries), wall time from a separate unprofiled run ending in await data().`;
      return { tfjs: peer };
    } catch (error) {
      this.peerNote = `TensorFlow.js peer unavailable: ${(error as Error).message}`;
      return {};
    }
  }

  private onRun = () => {
    this.run().catch(() => undefined); // the message is already on the panel
  };

  private onCommand = (event: ProfileCommandEvent) => {
    if (event.command === 'run') this.onRun();
    else this.cancel();
  };

  override render() {
    const software = this.adapter?.isSoftware;
    return html`
      ${software ? html`<div class="banner" id="software">This adapter is CPU emulation (${this.adapter?.description || this.adapter?.vendor}): the numbers measure a CPU pretending to be a GPU.</div>` : nothing}
      <attn-profile-controls
        @attn-profile-command=${this.onCommand}
        ?running=${this.running}
        .progress=${this.progress}
        ?engine-ready=${!!this.engine}
      ></attn-profile-controls>
      ${this.message ? html`<div class="banner error" id="message">${this.message}</div>` : nothing} ${this.renderRoofline()}
      <attn-profile-results .result=${this.result}></attn-profile-results> ${this.renderTimestampNote()}
    `;
  }

  private renderRoofline() {
    const r = this.roofline;
    if (!r) return nothing;
    return html`<p id="roofline">
      <strong>Measured roofline</strong> (${r.method === 'timestamp' ? 'timestamp queries' : 'wall time around onSubmittedWorkDone'}, median
      of ${r.copyMs.samples.length}): copy bandwidth <strong>${r.gbps.toFixed(2)} GB/s</strong> (${(r.copyBytes / 2 ** 20).toFixed(0)} MiB
      storage→storage, read + write counted), FMA throughput <strong>${r.gflops.toFixed(2)} GFLOP/s</strong> (8 independent dependent-FMA
      chains per invocation). “% roofline” = achieved GFLOP/s ÷ min(FMA peak, intensity × copy bandwidth).
    </p>`;
  }

  private renderTimestampNote() {
    const t = this.roofline?.timestamps;
    const measured = t
      ? t.quantumNs > 1
        ? html`On this adapter the ${t.count} raw stamps from the roofline passes are all multiples of
            <strong>${(t.quantumNs / 1000).toFixed(3)} µs</strong> (greatest common divisor of their offsets; smallest step
            ${((t.smallestStepNs ?? 0) / 1000).toFixed(1)} µs): timestamps <strong>are quantized</strong>.`
        : html`On this adapter the ${t.count} raw stamps from the roofline passes have a greatest common divisor of ${t.quantumNs} ns:
            <strong>no visible quantization</strong>.`
      : html`The granularity is measured with the roofline, on the first run.`;
    return html`<details class="note" id="timestamp-note" open>
      <summary>About GPU timestamps</summary>
      <p>
        Browsers may quantize GPU timestamps: the WebGPU specification lets an implementation coarsen timestamp-query values to blunt timing
        attacks, and Chromium's Dawn does so by default (it clears the low 16 bits of the nanosecond counter, steps of 65.536 µs).
        ${measured}
      </p>
      <p>
        How that is handled: every stage runs in its own compute pass with its own begin/end timestamps, so no span mixes stages; each
        figure is the median of the repeats after the warm-ups, with p10/p90 beside it; a negative span (a counter reset) discards that
        run's timestamps and the row falls back to wall time; stage medians shorter than ten quanta are listed in the notes, since their
        error can reach one quantum.
      </p>
    </details>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-profiler': AttnProfiler;
  }
}
