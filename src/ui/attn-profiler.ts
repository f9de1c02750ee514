/**
 * <attn-profiler>: the sequence-length profiler panel. Choose N values, dk, heads, causal, the
 * variants (engine kernels and the TensorFlow.js peer), warm-ups and repeats; run with a progress
 * bar and a cancel button; read the per-stage table, the log-log time plot with fitted exponents,
 * the GFLOP/s plot and the measured roofline; export CSV, JSON and PNG.
 *
 * The page coordinator gives it `engine` (and optionally `device`, `adapter`); the work itself is
 * src/gpu/profile.ts and src/gpu/roofline.ts, so the element only holds view state.
 */
import { LitElement, css, html, nothing, unsafeCSS } from 'lit';
import type { PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css?inline';
import type { ProfileConfig, ProfileResult, Roofline } from '../core/profile-report';
import { formatCell, reportTable, toCsv } from '../core/profile-report';
import type { AdapterSummary } from '../gpu/device';
import type { AttentionEngine } from '../gpu/engine';
import type { Peer, ProfileProgress } from '../gpu/profile';
import { profileSweep } from '../gpu/profile';
import { measureRoofline } from '../gpu/roofline';
import { VARIANT_NAMES } from '../gpu/variants';
import type { PlotKind, PlotSpec } from '../plot/scaling-plots';
import { createPlot, gflopsPlotSpec, plotPng, timePlotSpec } from '../plot/scaling-plots';

const N_PRESETS = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096];
const PEERS = ['tfjs'];

@customElement('attn-profiler')
export class AttnProfiler extends LitElement {
  static override styles = [
    unsafeCSS(uplotCss),
    css`
      :host {
        display: block;
        font: 14px/1.4 var(--attn-font-sans);
        color: var(--attn-color-text);
      }
      fieldset {
        border: 1px solid var(--attn-color-border-table);
        border-radius: var(--attn-radius-md);
        margin: 0 0 0.8rem;
        padding: 0.5rem 0.8rem;
      }
      legend {
        font-weight: 600;
      }
      label {
        margin-right: 0.8rem;
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
      table {
        border-collapse: collapse;
        margin: 0.5rem 0 1rem;
        font: 12px var(--attn-font-mono);
      }
      th,
      td {
        border: 1px solid var(--attn-color-border-table);
        padding: 0.15rem 0.4rem;
        text-align: right;
      }
      th {
        background: var(--attn-color-surface-muted);
      }
      td.text {
        text-align: left;
      }
      td.fail {
        color: var(--attn-color-danger);
        font-weight: 600;
      }
      .plots {
        display: flex;
        flex-wrap: wrap;
        gap: 1rem;
      }
      .plot h3 {
        font-size: 0.95rem;
        margin: 0.5rem 0 0.2rem;
      }
    `,
  ];

  /** The engine to profile (its device is also the roofline's unless `device` is set). */
  @property({ attribute: false }) engine: AttentionEngine | null = null;
  /** The device the roofline microbenchmarks run on; defaults to the engine's. */
  @property({ attribute: false }) device: GPUDevice | null = null;
  /** Adapter description for the results (isSoftware marks CPU emulation). */
  @property({ attribute: false }) adapter: AdapterSummary | null = null;

  @state() private ns = new Set([64, 128, 256, 512]);
  @state() private customNs = '';
  @state() private dk = 64;
  @state() private heads = 1;
  @state() private causal = false;
  @state() private variants = new Set<string>([...VARIANT_NAMES, ...PEERS]);
  @state() private warmup = 2;
  @state() private repeats = 5;
  @state() private progress: ProfileProgress | null = null;
  @state() private running = false;
  @state() private result: ProfileResult | null = null;
  @state() private roofline: Roofline | null = null;
  @state() private message: string | null = null;
  @state() private peerNote: string | null = null;

  private controller: AbortController | null = null;
  private plots: { kind: PlotKind; plot: uPlot; spec: PlotSpec }[] = [];

  override connectedCallback(): void {
    super.connectedCallback();
    this.dataset.state ??= 'idle';
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.controller?.abort();
    this.destroyPlots();
  }

  /** Applies the parts of `config` given, runs the profile and resolves with its results. */
  async run(config: Partial<ProfileConfig> = {}): Promise<ProfileResult> {
    this.applyConfig(config);
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
      const sweep = this.sweepConfig(config);
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
    const entry = this.plots.find((p) => p.kind === kind);
    return entry ? plotPng(entry.plot, entry.spec) : null;
  }

  private applyConfig(c: Partial<ProfileConfig>): void {
    if (c.ns) {
      this.ns = new Set(c.ns.filter((n) => N_PRESETS.includes(n)));
      this.customNs = c.ns.filter((n) => !N_PRESETS.includes(n)).join(', ');
    }
    if (c.dk !== undefined) this.dk = c.dk;
    if (c.heads !== undefined) this.heads = c.heads;
    if (c.causal !== undefined) this.causal = c.causal;
    if (c.variants) this.variants = new Set(c.variants);
    if (c.warmup !== undefined) this.warmup = c.warmup;
    if (c.repeats !== undefined) this.repeats = c.repeats;
  }

  private sweepConfig(extra: Partial<ProfileConfig>): ProfileConfig {
    const custom = this.customNs
      .split(/[\s,;]+/)
      .filter(Boolean)
      .map(Number);
    const bad = custom.filter((n) => !Number.isInteger(n) || n < 1);
    if (bad.length) throw new RangeError(`custom N values must be positive integers: ${bad.join(', ')}`);
    const ns = [...new Set([...this.ns, ...custom])].sort((a, b) => a - b);
    if (ns.length === 0) throw new RangeError('choose at least one N');
    return {
      ...extra,
      ns,
      dk: this.dk,
      heads: this.heads,
      causal: this.causal,
      variants: [...VARIANT_NAMES, ...PEERS]
        .filter((v) => this.variants.has(v))
        .concat([...this.variants].filter((v) => ![...VARIANT_NAMES, ...PEERS].includes(v))),
      warmup: this.warmup,
      repeats: this.repeats,
    };
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

  override updated(changed: PropertyValues<this>): void {
    if (changed.has('result' as keyof AttnProfiler)) this.drawPlots();
  }

  private destroyPlots(): void {
    for (const p of this.plots) p.plot.destroy();
    this.plots = [];
  }

  private drawPlots(): void {
    this.destroyPlots();
    const result = this.result;
    if (!result || result.rows.length === 0) return;
    for (const [kind, spec] of [
      ['time', timePlotSpec(result)],
      ['gflops', gflopsPlotSpec(result)],
    ] as const) {
      const target = this.renderRoot.querySelector<HTMLElement>(`#plot-${kind}`);
      if (target) this.plots.push({ kind, spec, plot: createPlot(spec, target) });
    }
  }

  private download(name: string, content: string | Blob, type = 'application/octet-stream'): void {
    const blob = typeof content === 'string' ? new Blob([content], { type }) : content;
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  private onRun = () => {
    this.run().catch(() => undefined); // the message is already on the panel
  };

  private onExportCsv = () => this.result && this.download('attention-profile.csv', toCsv(this.result), 'text/csv');
  private onExportJson = () =>
    this.result && this.download('attention-profile.json', JSON.stringify(this.result, null, 2), 'application/json');
  private onExportPng = (kind: PlotKind) => {
    const url = this.plotPng(kind);
    if (url) {
      const a = document.createElement('a');
      a.href = url;
      a.download = `attention-${kind}.png`;
      a.click();
    }
  };

  private toggle(set: Set<string>, value: string, on: boolean): Set<string>;
  private toggle(set: Set<number>, value: number, on: boolean): Set<number>;
  private toggle<T>(set: Set<T>, value: T, on: boolean): Set<T> {
    const next = new Set(set);
    if (on) next.add(value);
    else next.delete(value);
    return next;
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
        ?disabled=${this.running}
    /></label>`;
  }

  override render() {
    const software = this.adapter?.isSoftware;
    return html`
      ${software ? html`<div class="banner" id="software">This adapter is CPU emulation (${this.adapter?.description || this.adapter?.vendor}): the numbers measure a CPU pretending to be a GPU.</div>` : nothing}
      ${this.renderControls()} ${this.message ? html`<div class="banner error" id="message">${this.message}</div>` : nothing}
      ${this.renderRoofline()} ${this.renderResults()} ${this.renderTimestampNote()}
    `;
  }

  private renderControls() {
    const p = this.progress;
    const allVariants = [...VARIANT_NAMES, ...PEERS];
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
                ?disabled=${this.running}
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
            ?disabled=${this.running}
            @change=${(e: Event) => (this.customNs = (e.target as HTMLInputElement).value)}
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
            ?disabled=${this.running}
            @change=${(e: Event) => (this.causal = (e.target as HTMLInputElement).checked)}
          />causal</label
        >
        ${this.numberInput('warm-ups', this.warmup, 0, (v) => (this.warmup = v), 'warmup')}
        ${this.numberInput('repeats', this.repeats, 1, (v) => (this.repeats = v), 'repeats')}
      </div>
      <div class="row">
        Variants:
        ${allVariants.map(
          (v) =>
            html`<label
              ><input
                type="checkbox"
                data-variant=${v}
                .checked=${this.variants.has(v)}
                ?disabled=${this.running}
                @change=${(e: Event) => (this.variants = this.toggle(this.variants, v, (e.target as HTMLInputElement).checked))}
              />${v === 'tfjs' ? 'tfjs (TensorFlow.js WebGPU peer)' : v}</label
            >`,
        )}
      </div>
      <div class="row">
        <button id="run" @click=${this.onRun} ?disabled=${this.running || !this.engine}>Run profile</button>
        <button id="cancel" @click=${this.cancel} ?disabled=${!this.running}>Cancel</button>
        ${
          this.running
            ? html`<progress id="progress" max=${p?.total ?? 1} value=${p?.done ?? 0}></progress>
                <span class="note">${p ? `${p.done}/${p.total} — N=${p.n}, ${p.variant}, ${p.phase}` : 'measuring the roofline…'}</span>`
            : nothing
        }
        ${!this.engine ? html`<span class="note">Waiting for a WebGPU device…</span>` : nothing}
      </div>
    </fieldset>`;
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

  private renderResults() {
    const result = this.result;
    if (!result) return nothing;
    const records = reportTable(result);
    const columns = records.length ? Object.keys(records[0]) : [];
    return html` <div class="row">
        <button id="export-csv" @click=${this.onExportCsv}>Export CSV</button>
        <button id="export-json" @click=${this.onExportJson}>Export JSON</button>
        <button id="export-png-time" @click=${() => this.onExportPng('time')}>Time plot PNG</button>
        <button id="export-png-gflops" @click=${() => this.onExportPng('gflops')}>GFLOP/s plot PNG</button>
        ${result.cancelled ? html`<span class="note" id="cancelled">Cancelled: partial results.</span>` : nothing}
      </div>
      <table id="results">
        <thead>
          <tr>
            ${columns.map((c) => html`<th>${c}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${records.map(
            (r) =>
              html`<tr data-n=${String(r.N)} data-variant=${String(r.variant)}>
                ${columns.map((c) => {
                  const v = r[c] ?? null;
                  const fail = c === 'check' && typeof v === 'string' && v !== 'pass' && v !== 'skipped';
                  return html`<td class=${typeof v === 'string' ? (fail ? 'text fail' : 'text') : ''}>${formatCell(v)}</td>`;
                })}
              </tr>`,
          )}
        </tbody>
      </table>
      <p class="note">
        Times in ms: GPU medians from timestamp queries (p10/p90 over the repeats), wall = the whole run as the page sees it (upload,
        passes, readback). GFLOP/s counts 2·n·m·(dk + dv) per head for the matmuls plus 5 per score for softmax (halved when causal); GB/s
        uses each variant's compulsory-traffic model (see BENCHMARKS.md). × naive / × tfjs: how many times faster than that variant at the
        same N. cpu ms: one float64 JS reference run (skipped for large N).
      </p>
      ${
        result.notes.length
          ? html`<ul class="note" id="notes">
              ${result.notes.map((n) => html`<li>${n}</li>`)}
            </ul>`
          : nothing
      }
      <div class="plots">
        <div class="plot">
          <h3>Time vs N (log-log)</h3>
          <div id="plot-time"></div>
        </div>
        <div class="plot">
          <h3>GFLOP/s vs N</h3>
          <div id="plot-gflops"></div>
        </div>
      </div>`;
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
