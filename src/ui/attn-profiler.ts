/**
 * <attn-profiler>: the sequence-length profiler panel. Choose N values, decode lengths, dk, dv, heads,
 * K/V heads, causal, the Features panel's features, the variants (engine kernels, forced key splits
 * and the TensorFlow.js peer), baselines, warm-ups and repeats; run with a progress
 * bar and a cancel button; read the per-stage table, the log-log time plot with fitted exponents,
 * the GFLOP/s plot and the measured roofline; export CSV, JSON and PNG.
 *
 * The page coordinator gives it `engine` (and optionally `device`, `adapter`) and the Shader lab's
 * edited `kernels`; the work itself is src/gpu/profile.ts and src/gpu/roofline.ts, so the element
 * only holds view state. The form is <attn-profile-controls>, the table and plots
 * <attn-profile-results>; this element runs the sweep (with the lab's kernels that pass the
 * verifier, when chosen), says what the roofline and the timestamps mean, and downloads or loads
 * benchmark cards (src/core/bench-card.ts) to plot another device's run beside this one (a
 * cancelled run's card says it is partial). "Your kernel" names the lab's edited kernels it cannot
 * time yet (held, or still on trial); `standalone` (bench.html) leaves out what needs the playground.
 *
 * A kernel must not take the page with it: the sweep's runs are under the page's watchdog, a lab
 * kernel the verifier timed out stops the profile before anything else queues behind it on the
 * GPU, and either way the page (GpuTimeoutEvent) holds the edited kernel and replaces the device.
 * Cancel stops every wait on the GPU at once.
 */
import { profileFormStyles } from './profile-form-styles';
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { BenchCard } from '../core/bench-card';
import { cardLabel, parseCard } from '../core/bench-card';
import { RunCancelledError } from '../core/errors';
import type { TimeLimitSettings, WithheldKernel } from '../core/kernel-safety';
import { afterDeviceReplaced, DEFAULT_TIME_LIMITS, DEVICE_BEING_REPLACED, formatLimit } from '../core/kernel-safety';
import type { AttentionOptions } from '../core/options';
import { DEFAULT_OPTIONS } from '../core/options';
import { describeFeatures } from '../core/features';
import type { ProfileForm } from '../core/profile-form';
import type { AdapterInfo, ProfileConfig, ProfileResult, Roofline } from '../core/profile-report';
import { refitExponents, resolveConfig, sweepMemoryProblem, sweepTimeProblem } from '../core/profile-report';
import type { StageName } from '../core/stages';
import type { VerifyReport } from '../core/verify/report';
import { reportSummary } from '../core/verify/report';
import { benchCard } from '../gpu/bench-card';
import type { AdapterSummary } from '../gpu/device';
import type { AttentionEngine } from '../gpu/engine';
import type { CustomVariant, Peer, ProfileProgress } from '../gpu/profile';
import { customKernelRun, customRunNote, profileSweep, SweepTimeoutError } from '../gpu/profile';
import { ClockWarmer, measureRoofline, WARM_CLOCK_MS } from '../gpu/roofline';
import { VARIANT_NAMES, variantStages } from '../gpu/variants';
import { DEFAULT_TIME_LIMIT_MS, variantFor, verifyKernel } from '../gpu/verify-suite';
import { untilCancelled } from '../gpu/watchdog';
import type { PlotKind } from '../plot/scaling-plots';
import type { AttnProfileControls } from './attn-profile-controls';
import type { AttnProfileResults } from './attn-profile-results';
import { CommandEvent, GpuTimeoutEvent, recordedRun } from './events';
import type { ProfileCommandEvent } from './events';
import type { GpuStatus } from './gpu-session';
import './attn-profile-controls';
import './attn-profile-results';

/**
 * The largest problem's Q, K and V a sweep in the page may need (float32): browsers hold a few GiB
 * a tab, and the engine's buffers come on top.
 */
const PAGE_INPUT_BYTES = 2 ** 31;
/** A sweep whose arithmetic alone takes longer at the measured peak is refused (as `npm run bench`'s --max-minutes default). */
const PAGE_MAX_MINUTES = 60;

export interface ProfileRunOptions {
  /** The caller has checked the sweep's memory and time against limits of its own: the page's are not applied. */
  demandChecked?: boolean;
}

/** Stages a lab kernel can be timed for: those a variant runs itself. */
const TIMED_STAGES: readonly string[] = [...new Set(VARIANT_NAMES.flatMap((v) => variantStages(v)))];

/** The verifier's verdict on a lab kernel before the sweep. */
interface LabVerdict {
  stage: string;
  pass: boolean;
  summary: string;
}

@customElement('attn-profiler')
export class AttnProfiler extends LitElement {
  static override styles = [
    profileFormStyles,
    css`
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
      .pass {
        color: var(--attn-color-success, inherit);
      }
      .fail {
        color: var(--attn-color-danger);
      }
    `,
  ];

  /** The engine to profile (its device is also the roofline's unless `device` is set). */
  @property({ attribute: false }) engine: AttentionEngine | null = null;
  /** The device the roofline microbenchmarks run on; defaults to the engine's. */
  @property({ attribute: false }) device: GPUDevice | null = null;
  /** Adapter description for the results (isSoftware marks CPU emulation). */
  @property({ attribute: false }) adapter: AdapterSummary | null = null;
  /** Where the page's GPU stands: without a device the panel says why and locks what needs one. */
  @property({ attribute: false }) gpuStatus: GpuStatus | null = null;
  /** The Shader lab's edited kernels by stage (the page state's), which a sweep can time. */
  @property({ attribute: false }) kernels: Readonly<Record<string, string>> | null = null;
  /** The playground's attention options: a sweep can take the Features panel's features. */
  @property({ attribute: false }) options: AttentionOptions | null = null;
  /** The form as the page's state saved it (view.profile): restored from a reload or a link. */
  @property({ attribute: false }) form: ProfileForm | null = null;
  /**
   * The Shader lab's edited kernels not offered for timing, and why: held (it timed out or lost the
   * device; the lab's "Use my kernel again" releases it) or still on trial.
   */
  @property({ attribute: false }) withheld: readonly WithheldKernel[] = [];
  /** On a page of its own (bench.html): no Shader lab or Features panel to take kernels or features from, so none is spoken of. */
  @property({ type: Boolean }) standalone = false;

  @state() private progress: ProfileProgress | null = null;
  @state() private running = false;
  @state() private result: ProfileResult | null = null;
  @state() private roofline: Roofline | null = null;
  @state() private message: string | null = null;
  /** The engine whose device the page is replacing after a stop (stopped()); the message says so until a new one comes. */
  private replacedEngine: AttentionEngine | null = null;
  /** What a running profile waits for before its first timed round (the verifier, the roofline, TensorFlow.js). */
  @state() private preparing = '';
  /** Lab kernels (by stage) chosen to be timed. */
  @state() private labStages = new Set<string>();
  @state() private labVerdicts: LabVerdict[] = [];
  /** A loaded card, plotted beside the current run. */
  @state() private comparison: BenchCard | null = null;
  @state() private cardMessage: string | null = null;
  /** What "Use its settings" took from the loaded card, and what it could not. */
  @state() private cardNote: string | null = null;

  /** How long the verifier waits for one run of a lab kernel (tests shorten it). */
  verifyTimeLimitMs = DEFAULT_TIME_LIMIT_MS;
  /** The watchdog's settings for the sweep's runs: the page's formula (tests shorten them). */
  timeLimits: TimeLimitSettings = { ...DEFAULT_TIME_LIMITS };

  /** The custom variants of the last run (their sources go into its card's hashes). */
  private custom: Record<string, CustomVariant> = {};
  /** The shown result ran on this page's device (a card of results shown from elsewhere would mix devices). */
  @state() private ranHere = false;

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

  /**
   * Applies the parts of `config` given, runs the profile and resolves with its results. A sweep
   * past the page's limits (PAGE_INPUT_BYTES, PAGE_MAX_MINUTES) is refused with a message, unless
   * the caller has checked it against limits of its own (`npm run bench` through bench.html).
   */
  async run(config: Partial<ProfileConfig> = {}, options: ProfileRunOptions = {}): Promise<ProfileResult> {
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
    this.preparing = this.chosenLabStages().length
      ? "verifying the Shader lab's kernels, then measuring the roofline…"
      : 'measuring the roofline…';
    try {
      let sweep = this.controls.sweepConfig(config);
      // A sweep too large for the page is refused before anything is allocated or verified.
      const memory =
        !options.demandChecked &&
        sweepMemoryProblem(resolveConfig(sweep), PAGE_INPUT_BYTES, 'the 2 GiB the page allows', 'lower N (or decode m, dk, heads)');
      if (memory) throw new RangeError(`Not run: ${memory}.`);
      this.custom = await this.verifiedLabKernels(engine, signal);
      sweep = { ...sweep, variants: [...sweep.variants, ...Object.keys(this.custom)] };
      this.preparing = 'measuring the roofline…';
      this.roofline = await this.measureRooflineOnce(engine, signal);
      const time =
        !options.demandChecked &&
        this.roofline &&
        sweepTimeProblem(
          resolveConfig(sweep),
          this.roofline.gflops,
          PAGE_MAX_MINUTES,
          `the page's limit of ${PAGE_MAX_MINUTES} min`,
          'lower N or the repeats, or run it with npm run bench -- --max-minutes',
        );
      if (time) throw new RangeError(`Not run: ${time}.`);
      const { peers, note: peerNote } = await this.loadPeers(sweep.variants);
      // On a GPU, keep the clock up between rounds (a GPU idles down while the page works between runs).
      const warmer =
        this.roofline && this.adapterInfo()?.isSoftware === false
          ? new ClockWarmer(this.device ?? engine.device, engine.shaders, this.roofline, WARM_CLOCK_MS)
          : null;
      const result = await profileSweep(sweep, {
        engine,
        peers,
        custom: this.custom,
        roofline: this.roofline,
        signal,
        adapter: this.adapterInfo(),
        onProgress: (p) => (this.progress = p),
        warmer,
        timeLimits: this.timeLimits,
        recordRun: this.recordRun,
      }).finally(() => warmer?.destroy());
      if (peerNote) result.notes.push(peerNote);
      for (const v of this.labVerdicts.filter((x) => !x.pass))
        result.notes.push(`The Shader lab's ${v.stage} kernel was not timed: it did not pass the verifier (${v.summary}).`);
      this.dataset.state = result.cancelled ? 'cancelled' : 'done';
      // Cancelled before a single repeat (e.g. during the roofline): an empty table is no result; the last one stays.
      if (result.cancelled && !result.rows.length) {
        this.message = this.cancelledEmpty();
        return result;
      }
      this.ranHere = true;
      this.result = result;
      return result;
    } catch (error) {
      if (error instanceof RunCancelledError) {
        this.message = this.cancelledEmpty();
        this.dataset.state = 'cancelled';
        throw error;
      }
      this.message = error instanceof SweepTimeoutError ? this.sweepTimedOut(error) : (error as Error).message;
      this.dataset.state = 'error';
      throw error;
    } finally {
      this.running = false;
      this.controller = null;
    }
  }

  /** A run cancelled before any repeat finished, and whose the results shown below are (the last run's, or the loaded card's). */
  private cancelledEmpty(): string {
    const below = this.result
      ? '; the results below are from the previous profile'
      : this.comparison
        ? `; the results below are the loaded card's (${cardLabel(this.comparison)}), not this device's`
        : '';
    return `Cancelled before any run finished: nothing was measured${below}.`;
  }

  /**
   * GPU work of the profile did not finish: the page holds the edited kernels it ran and replaces
   * the device (GpuTimeoutEvent). Returns the whole message: `what` happened, then what happens now.
   */
  private stopped(kernels: Readonly<Record<string, string>> | null, what: string): string {
    const stages = Object.keys(kernels ?? {});
    const held = stages.length
      ? ` ${stages.length === 1 ? 'It is' : 'They are'} held: the playground runs the built-in kernel, your text stays in the Shader lab, and "Use my kernel again" tries it again.`
      : '';
    const event = new GpuTimeoutEvent(kernels, `${what}${held} ${DEVICE_BEING_REPLACED}`);
    this.dispatchEvent(event);
    if (event.recovering) this.replacedEngine = this.engine;
    return event.recovering ? event.message : `${what} Nothing more can run on this GPU device until the page is reloaded.`;
  }

  /** One GPU run of edited kernels (the verification's or the sweep's), on the page's write-ahead record. */
  private recordRun = <T>(kernels: Readonly<Record<string, string>>, limitMs: number, run: () => Promise<T>): Promise<T> =>
    recordedRun(this, kernels, limitMs, run);

  private sweepTimedOut(error: SweepTimeoutError): string {
    const lab = Object.entries(this.custom).find(([name]) => name === error.variant)?.[1];
    const yours = lab
      ? `the Shader lab's ${Object.keys(lab.kernels).join(', ')} kernel (${error.variant})`
      : `the built-in ${error.variant} kernels`;
    const at = error.n === error.m ? `N=${error.n}` : `decode m=${error.m}`;
    return this.stopped(
      lab?.kernels ?? null,
      `Profile stopped: ${yours} did not finish within ${formatLimit(error.limitMs)} at ${at}, so the GPU may still be busy with it; nothing more was measured.`,
    );
  }

  /** Chooses which of the Shader lab's edited kernels (by stage) the next run times. */
  timeLabKernels(stages: readonly string[]): void {
    this.labStages = new Set(stages);
  }

  /**
   * The lab's chosen kernels that pass the verifier, as custom variants "custom:lab-<stage>" on the
   * built-in variant that has the stage. One that fails is not timed; its verdict is shown. One that
   * times out (or loses the device) stops the profile: it may still be running, and anything queued
   * behind it on the GPU (the roofline, the sweep) would wait for ever.
   */
  private async verifiedLabKernels(engine: AttentionEngine, signal: AbortSignal): Promise<Record<string, CustomVariant>> {
    const custom: Record<string, CustomVariant> = {};
    const verdicts: LabVerdict[] = [];
    this.labVerdicts = verdicts;
    for (const stage of this.chosenLabStages()) {
      const source = this.kernels![stage];
      const variant = variantFor(stage as StageName)!;
      const report = await untilCancelled(
        verifyKernel(engine, {
          stage: stage as StageName,
          source,
          label: 'Shader lab',
          variant,
          signal,
          timeLimitMs: this.verifyTimeLimitMs,
          recorded: (limitMs, run) => this.recordRun({ [stage]: source }, limitMs, run),
        }),
        signal,
      );
      verdicts.push({ stage, pass: report.status === 'pass', summary: reportSummary(report) });
      this.labVerdicts = [...verdicts];
      if (report.status === 'timeout' || report.status === 'device-lost') throw new Error(this.labKernelStuck(stage, source, report));
      if (report.status === 'pass')
        custom[`custom:lab-${stage}`] = {
          base: variant,
          kernels: { [stage]: source },
          note: `the Shader lab's ${stage} kernel on the ${variant} variant${customRunNote([stage])}; passed the verifier (${report.cases.length} cases) and checked against the reference`,
          checked: true,
          run: customKernelRun([stage]),
        };
    }
    return custom;
  }

  private labKernelStuck(stage: string, source: string, report: VerifyReport): string {
    const what =
      report.status === 'timeout'
        ? `did not finish within ${formatLimit(report.timeLimitMs)} in the verifier (${report.error ?? reportSummary(report)}), so it may still be running on the GPU`
        : 'lost the GPU device in the verifier';
    return this.stopped({ [stage]: source }, `Profile stopped: the Shader lab's ${stage} kernel ${what}; nothing was timed.`);
  }

  /** Edited stages the sweep can time, and which of them are chosen. */
  private labCandidates(): string[] {
    return TIMED_STAGES.filter((stage) => typeof this.kernels?.[stage] === 'string');
  }

  private chosenLabStages(): string[] {
    return this.labCandidates().filter((stage) => this.labStages.has(stage));
  }

  private adapterInfo(): AdapterInfo | null {
    const a = this.adapter;
    return a && { description: a.description, vendor: a.vendor, architecture: a.architecture, isSoftware: a.isSoftware };
  }

  /** The benchmark card of the last run (null before one or without a device). */
  async card(source = 'Profiler tab'): Promise<BenchCard | null> {
    const engine = this.engine;
    const adapter = this.adapterInfo() ?? this.result?.adapter;
    if (!this.result || !this.ranHere || !engine || !adapter) return null;
    return benchCard({
      result: this.result,
      device: this.device ?? engine.device,
      adapter,
      shaders: engine.shaders,
      custom: this.custom,
      source,
    });
  }

  /** Loads a card (its JSON text) to plot beside the current run; a malformed one changes nothing and says why. */
  loadCard(text: string, name = 'card'): BenchCard | null {
    try {
      this.comparison = parseCard(text);
      this.cardMessage = null;
      this.cardNote = null;
      return this.comparison;
    } catch (error) {
      this.cardMessage = `${name} not loaded: ${(error as Error).message}`;
      return null;
    }
  }

  /**
   * Puts the loaded card's sweep into the form, to run it on this device and compare. What the form
   * cannot hold is said: the card's features other than K/V heads (turn them on in the Features
   * panel), its own kernels (custom:…; time yours through "Your kernel").
   */
  useCardSettings(): void {
    const card = this.comparison;
    if (!card) return;
    const c = card.result.config;
    const custom = c.variants.filter((v) => v.startsWith('custom:'));
    const variants = c.variants.filter((v) => !custom.includes(v));
    const baselines = (c.baselines ?? []).filter((b) => variants.includes(b));
    const { ns, dk, dv, heads, causal, warmup, repeats } = c;
    const decode = c.decode ?? [];
    this.controls.apply({
      ns,
      dk,
      dv,
      heads,
      causal,
      warmup,
      repeats,
      seed: c.seed ?? 1,
      fitFromN: c.fitFromN ?? undefined,
      decode,
      variants,
      baselines,
      features: { kvHeads: c.features?.kvHeads ?? null },
    });
    const features = c.features ? describeFeatures({ ...DEFAULT_OPTIONS, ...c.features, kvHeads: null }) : '';
    const left = [
      features
        ? this.standalone
          ? `its features (${features}) have no field here: the playground's Profiler tab takes them from its Features panel`
          : `its features (${features}) have no field here: turn them on in the Features panel and tick "with the Features panel's features"`
        : '',
      custom.length
        ? `its own kernels (${custom.join(', ')}) are not taken: time yours ${this.standalone ? "with npm run bench -- --kernel, or in the playground's Profiler tab" : 'through "Your kernel"'}`
        : '',
    ].filter(Boolean);
    this.cardNote = `The form now holds the card's sweep${left.length ? `; ${left.join('; ')}` : ''}.`;
  }

  private onDownloadCard = async () => {
    const card = await this.card();
    if (!card) return;
    const url = URL.createObjectURL(new Blob([JSON.stringify(card, null, 2)], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'attention-bench-card.json';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  private onCardFile = async (event: Event) => {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    this.loadCard(await file.text(), file.name);
    input.value = '';
  };

  /** Shows results computed elsewhere (e.g. by `npm run bench -- --node`), to plot and export them. */
  show(result: ProfileResult): void {
    this.result = result;
    this.ranHere = false;
    this.roofline = result.roofline;
    this.dataset.state = result.cancelled ? 'cancelled' : 'done';
  }

  /** The latest progress of a running profile (null before the first run starts). */
  get currentProgress(): ProfileProgress | null {
    return this.progress;
  }

  /** Stops the running profile at once (the run in flight is not waited for); the repeats finished so far are kept. */
  cancel = (): void => {
    this.controller?.abort();
  };

  /** The chart as a PNG data URL (title and legend included), or null before any results. */
  plotPng(kind: PlotKind = 'time'): string | null {
    return this.results?.plotPng(kind) ?? null;
  }

  private async measureRooflineOnce(engine: AttentionEngine, signal: AbortSignal): Promise<Roofline | null> {
    try {
      const measured = measureRoofline(this.device ?? engine.device, engine.shaders, {
        warmUpMs: this.adapterInfo()?.isSoftware === false ? WARM_CLOCK_MS : 0,
      });
      return await untilCancelled(measured, signal);
    } catch (error) {
      if (error instanceof RunCancelledError) throw error;
      this.message = `Roofline not measured: ${(error as Error).message}`;
      return null;
    }
  }

  /**
   * The peers this run's variants name, with the note that goes into this run's results (none
   * without a peer). tfjs is downloaded only when asked for; a peer that cannot start is reported, not fatal.
   */
  private async loadPeers(variants: string[]): Promise<{ peers: Record<string, Peer>; note: string | null }> {
    if (!variants.includes('tfjs')) return { peers: {}, note: null };
    this.preparing = 'loading TensorFlow.js…';
    try {
      const { createTfjsPeer, tfjsDescription } = await import('../peer/tfjs');
      const peer = await createTfjsPeer();
      const note = `Peer: ${tfjsDescription()}; GPU time from tf.profile (per-kernel timestamp queries), wall time from a separate unprofiled run ending in await data().`;
      return { peers: { tfjs: peer }, note };
    } catch (error) {
      return { peers: {}, note: `TensorFlow.js peer unavailable: ${(error as Error).message}` };
    }
  }

  private onRun = () => {
    this.run().catch(() => undefined); // the message is already on the panel
  };

  private onCommand = (event: ProfileCommandEvent) => {
    if (event.command === 'run') this.onRun();
    else if (event.command === 'refit') this.refit();
    else this.cancel();
  };

  /**
   * Fits the exponents of the results shown (the last run's, else the loaded card's) again from the
   * form's "exponents from N ≥"; a value that leaves fewer than two N is named and changes nothing.
   */
  private refit(): void {
    const shown = this.result ?? this.comparison?.result;
    if (!shown) return;
    try {
      const refitted = refitExponents(shown, this.controls.fitFromN());
      if (this.result) this.result = refitted;
      else this.comparison = { ...this.comparison!, result: refitted };
      this.message = null;
    } catch (error) {
      this.message = `Not refitted: ${(error as Error).message}.`;
    }
  }

  override willUpdate(): void {
    // The page replaced the device after a stop: the message stops saying it is being replaced.
    if (this.replacedEngine && this.engine && this.engine !== this.replacedEngine) {
      this.replacedEngine = null;
      if (this.message) this.message = afterDeviceReplaced(this.message);
    }
  }

  override render() {
    const software = this.adapter?.isSoftware;
    return html`
      ${this.renderNoGpu()}
      ${software ? html`<div class="banner" id="software">This adapter is CPU emulation (${this.adapter?.description || [this.adapter?.vendor, this.adapter?.architecture].filter(Boolean).join(' · ')}): the numbers measure a CPU pretending to be a GPU.</div>` : nothing}
      <attn-profile-controls
        @attn-profile-command=${this.onCommand}
        ?running=${this.running}
        .progress=${this.progress}
        ?engine-ready=${!!this.engine}
        .options=${this.options}
        .saved=${this.form}
        preparing=${this.preparing}
        waiting=${this.gpuStatus?.kind === 'unavailable' || this.gpuStatus?.kind === 'lost' ? 'Needs a WebGPU device (see above).' : 'Waiting for a WebGPU device…'}
      ></attn-profile-controls>
      ${this.renderLabKernels()} ${this.message ? html`<div class="banner error" id="message">${this.message}</div>` : nothing}
      ${this.renderRoofline()} ${this.renderCards()}
      <attn-profile-results
        .result=${this.result ?? this.comparison?.result ?? null}
        .comparison=${this.result ? this.comparison : null}
      ></attn-profile-results>
      ${this.renderTimestampNote()}
    `;
  }

  /** Without a device nothing can be timed: say why, and what still works (loading a card). */
  private renderNoGpu() {
    const s = this.gpuStatus;
    if (s?.kind === 'unavailable')
      return html`<div class="banner error" id="no-gpu" role="alert">
        <strong>The profiler needs WebGPU, which is not available here</strong> — ${s.reason} Sweeps, the roofline and timing your kernels
        are off; you can still load a benchmark card to look at another device's results.
        <details>
          <summary>How to get WebGPU</summary>
          <p>${s.howTo}</p>
        </details>
      </div>`;
    if (s?.kind === 'lost')
      return html`<div class="banner error" id="no-gpu" role="alert">
        <strong>The GPU device was lost</strong> — ${s.reason}. Nothing can be timed until it is back.
        <button id="reconnect" @click=${() => this.dispatchEvent(new CommandEvent('reconnect'))}>Reconnect</button>
      </div>`;
    return nothing;
  }

  /** The lab's edited kernels this tab cannot time now, and what to do about each. */
  private renderWithheld() {
    const withheld = this.withheld.filter((w) => TIMED_STAGES.includes(w.stage));
    if (!withheld.length) return nothing;
    return html`<ul id="lab-withheld">
      ${withheld.map((w) =>
        w.why === 'held'
          ? html`<li data-stage=${w.stage} data-why="held">
              Your ${w.stage} kernel is held: it did not finish on the GPU (or lost the device), so it is not offered here and the built-in
              one is timed instead. Press "Use my kernel again" in the Shader lab to try it again, then tick it here.
            </li>`
          : html`<li data-stage=${w.stage} data-why="checking">
              Your ${w.stage} kernel is still being tried in the Shader lab; it is offered here once its trial ends.
            </li>`,
      )}
    </ul>`;
  }

  private renderLabKernels() {
    if (this.standalone) return nothing;
    const candidates = this.labCandidates();
    const withheld = this.renderWithheld();
    return html`<fieldset id="lab-kernels">
      <legend>Your kernel</legend>
      ${
        candidates.length
          ? candidates.map(
              (stage) =>
                html`<label
                  ><input
                    type="checkbox"
                    data-lab-stage=${stage}
                    .checked=${this.labStages.has(stage)}
                    ?disabled=${this.running || !this.engine}
                    @change=${(e: Event) => {
                      const next = new Set(this.labStages);
                      if ((e.target as HTMLInputElement).checked) next.add(stage);
                      else next.delete(stage);
                      this.labStages = next;
                    }}
                  />time the Shader lab's ${stage} kernel (as custom:lab-${stage})</label
                >`,
            )
          : withheld === nothing
            ? html`<span class="note">Edit a kernel in the Shader lab to time it here against the built-ins.</span>`
            : nothing
      }
      ${withheld}
      <div class="note">
        A lab kernel is timed only after it passes the verifier (the Shader lab's Verify suite), on the same inputs as the built-ins.
      </div>
      ${
        this.labVerdicts.length
          ? html`<ul id="lab-verdicts">
              ${this.labVerdicts.map(
                (v) =>
                  html`<li class=${v.pass ? 'pass' : 'fail'} data-stage=${v.stage}>
                    ${v.stage}: ${v.pass ? 'passed the verifier, timed' : 'did not pass the verifier, not timed'} — ${v.summary}
                  </li>`,
              )}
            </ul>`
          : nothing
      }
    </fieldset>`;
  }

  private renderCards() {
    const c = this.comparison;
    const partial = !!this.result?.cancelled;
    return html`<fieldset id="cards">
      <legend>Benchmark card</legend>
      <button
        id="download-card"
        @click=${this.onDownloadCard}
        ?disabled=${!this.result || !this.ranHere || this.running || !this.engine}
        title=${
          partial
            ? 'The run was cancelled: the card holds only the runs that finished, and says so (cancelled: true)'
            : "This run's card: the adapter, its limits, the kernels' hashes, the configuration and the results"
        }
      >
        ${partial ? 'Download card (partial: cancelled)' : 'Download card'}
      </button>
      <label>Load a card to compare <input id="load-card" type="file" accept=".json,application/json" @change=${this.onCardFile} /></label>
      ${
        c
          ? html`<span class="note" id="card-loaded"
                >${this.result ? 'Plotted beside this run' : 'Shown until you run a profile, then plotted beside it'}: ${cardLabel(c)}
                (${c.createdAt.slice(0, 10)}, ${c.result.rows.length}
                rows${c.result.cancelled ? '; its run was cancelled, so only the runs that finished are in it' : ''}).</span
              >
              <button
                id="use-card"
                @click=${() => this.useCardSettings()}
                ?disabled=${this.running}
                title="Fill the form with the card's sweep, to run it on this device and plot the two side by side"
              >
                Use its settings
              </button>`
          : nothing
      }
      ${this.cardNote ? html`<div class="note" id="card-note">${this.cardNote}</div>` : nothing}
      ${this.cardMessage ? html`<div class="banner error" id="card-message">${this.cardMessage}</div>` : nothing}
      <div class="note">
        A card holds the adapter and its limits, the SHA-256 of every kernel the run used, the configuration and the results (<code
          >npm run bench -- --card</code
        >
        writes the same), so runs on different devices can be compared.
      </div>
    </fieldset>`;
  }

  private renderRoofline() {
    const r = this.roofline;
    if (!r) return nothing;
    const z = r.sizing;
    return html`<p id="roofline">
      <strong>Measured roofline</strong> (${r.method === 'timestamp' ? 'timestamp queries' : 'wall time around onSubmittedWorkDone'}, median
      of ${r.copyMs.samples.length}): copy bandwidth <strong>${r.gbps.toFixed(2)} GB/s</strong> (${(r.copyBytes / 2 ** 20).toFixed(0)} MiB
      storage→storage${z ? ` × ${z.copyDispatches} per pass` : ''}, read + write counted), FMA throughput
      <strong>${r.gflops.toFixed(2)} GFLOP/s</strong> (8 independent dependent-FMA chains per
      invocation${z ? `, ${z.fmaGroups} workgroups` : ''})${
        r.workgroupGbps ? html`, workgroup-memory bandwidth <strong>${r.workgroupGbps.toFixed(2)} GB/s</strong>` : nothing
      }.
      ${z ? `Each microbenchmark grew its work until a pass took ≥ ${z.targetMs} ms (or hit a cap).` : ''} “% roofline” = achieved GFLOP/s ÷
      the lowest roof at the row's intensity: FMA peak, intensity × copy bandwidth, or (for kernels that stage operands in workgroup memory)
      their FLOP per workgroup byte × workgroup bandwidth — tiled's 4×4-blocked loops 1, fused 0.5 (1 with its prefill in pairs of lanes), a
      kernel of your own 0.5 for its whole variant, built-in stages included (its loop is not known, so beside the built-in it reads high);
      the “roof” column names it.
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
