/**
 * <attn-app>: the coordinator. It owns the GPU session (device and engine), the reference worker,
 * the state, undo history and the current run; every other element only renders what it is given
 * and sends typed events back. Each edit reruns after a short debounce (Ctrl+Enter runs at once);
 * a newer edit aborts the run in flight, and every await is followed by a staleness check.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import gloveUrl from '../assets/embeddings/glove-20k-int8.bin?url';
import type { MaskOp, MatrixName, MatrixOp } from '../core/edits';
import { applyMaskOp, applyMatrixOp } from '../core/edits';
import type { Embeddings } from '../core/embeddings';
import { parseEmbeddings } from '../core/embeddings';
import { InputError } from '../core/errors';
import { fromMatrix, identity } from '../core/grid';
import { UndoHistory } from '../core/history';
import type { Preset } from '../core/presets';
import type { Problem } from '../core/problem';
import { buildProblem, needsSampling, referenceOptions, sampleCount, sampleProblem, evenlySpacedRows } from '../core/problem';
import type { PlaygroundState, ViewTab } from '../core/state';
import { defaultState, MAX_SAVED_CELLS, stateCells, stateFromPreset } from '../core/state';
import type { AttentionEngine, RunOptions } from '../gpu/engine';
import { DeviceLostError } from '../gpu/errors';
import { RunCancelledError } from '../core/errors';
import { hasIntermediates, isVariant, VARIANT_NAMES } from '../gpu/variants';
import type { CommandEvent, MaskEditEvent, MatrixEditEvent, NoticeEvent, NoticeLevel, StateEditEvent } from './events';
import type { GpuStatus } from './gpu-session';
import { GpuSession } from './gpu-session';
import { linkFor, loadLocal, readHashState, saveLocal, writeHash } from './persistence';
import { PRESETS } from './presets';
import { ReferenceClient } from './reference-client';
import type { RunOutcome } from './run-types';
import type { EmbeddingsStatus } from './attn-sentence-panel';
import { SHADERS } from './shader-library';
import { buttonStyles } from './styles';
import { downloadMatrix } from './download';
import './attn-adapter-panel';
import './attn-compare-panel';
import './attn-mask-editor';
import './attn-matrix-editor';
import './attn-options-panel';
import './attn-random-problem';
import './attn-sentence-panel';
import './attn-stage-view';

/** The shader lab is another team's element; mount it only when its module exists. */
const LAB_MODULES = import.meta.glob('./attn-shader-lab.ts');
const loadLab = Object.values(LAB_MODULES)[0] as (() => Promise<unknown>) | undefined;
/** The profiler pulls in uPlot (and TensorFlow.js when asked for): its own chunk, loaded on first use. */
const loadProfiler = () => import('./attn-profiler');

const RUN_DEBOUNCE_MS = 200;
/** Multiply-adds per GPU block of a big problem's rows (a few seconds on a CPU emulator, far less on a GPU). */
const BLOCK_WORK = 2 ** 28;
const SAVE_DEBOUNCE_MS = 400;
const DEFAULT_PRESET = 'worked-3d';

interface Notice {
  id: number;
  level: NoticeLevel;
  text: string;
}

/** Fields whose change means a new run (view fields only re-render). */
const RUN_FIELDS = ['mode', 'matrix', 'sentence', 'options', 'mask', 'padding', 'variant', 'kernels'] as const;

@customElement('attn-app')
export class AttnApp extends LitElement {
  static override styles = [
    buttonStyles,
    css`
      :host { display: block; max-width: 1560px; margin: 0 auto; padding: 0.8rem 1.1rem 2rem; box-sizing: border-box; }
      .top { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem; margin-bottom: 0.35rem; }
      h1 { font-size: 1.25rem; margin: 0; letter-spacing: -0.01em; }
      .preset { display: flex; align-items: center; gap: 0.4rem; font-size: 0.85rem; }
      .preset select { font: inherit; font-size: 0.85rem; padding: 0.2rem 0.3rem; border-radius: 5px; border: 1px solid #c8c8cc; max-width: 24rem; }
      .actions { display: flex; gap: 0.35rem; margin-left: auto; align-items: center; }
      .status { font-size: 0.78rem; color: #6b6b70; min-width: 6.5rem; text-align: right; }
      .description { margin: 0 0 0.5rem; font-size: 0.85rem; color: #3a3a3f; }
      .notices { display: grid; gap: 0.35rem; margin: 0.5rem 0; }
      .notice { display: flex; gap: 0.6rem; align-items: baseline; padding: 0.4rem 0.7rem; border-radius: 7px; font-size: 0.83rem; background: #eef6ee; border: 1px solid #b8dcb8; }
      .notice.error { background: #fdecea; border-color: #f5a9a3; }
      .notice span { flex: 1; }
      .notice button { border: 0; background: none; font-size: 0.9rem; }
      .layout { display: grid; grid-template-columns: minmax(320px, 420px) minmax(0, 1fr); gap: 1rem; margin-top: 0.6rem; align-items: start; }
      @media (max-width: 900px) { .layout { grid-template-columns: 1fr; } }
      aside { min-width: 0; }
      .tabs { display: flex; gap: 0.2rem; border-bottom: 1px solid #d8d8dd; margin-bottom: 0.7rem; }
      .tabs button { border: 1px solid transparent; border-bottom: 0; border-radius: 6px 6px 0 0; background: none; padding: 0.35rem 0.8rem; font-size: 0.85rem; color: #55555a; }
      .tabs button[aria-selected='true'] { background: #fff; border-color: #d8d8dd; color: #1d1d1f; font-weight: 600; margin-bottom: -1px; }
      .matrices { background: #fff; border: 1px solid #e2e2e6; border-radius: 8px; padding: 0.7rem 0.8rem; margin-bottom: 0.8rem; }
      .toggle { display: block; font-size: 0.82rem; margin: 0 0 0.7rem; }
      .verdict { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; font-size: 0.8rem; margin-bottom: 0.6rem; }
      .badge { padding: 0.12rem 0.5rem; border-radius: 999px; border: 1px solid #c8c8cc; background: #fff; cursor: pointer; font: inherit; }
      .badge.pass { border-color: #9fd4a8; background: #eefaf0; color: #0f5f25; }
      .badge.fail { border-color: #f5a9a3; background: #fdecea; color: #8c1d18; }
      .problem { padding: 0.5rem 0.75rem; border-radius: 8px; background: #fdecea; border: 1px solid #f5a9a3; font-size: 0.85rem; margin-bottom: 0.6rem; }
      .notes { font-size: 0.84rem; background: #fffdf4; border: 1px solid #ece3bf; border-radius: 8px; padding: 0.5rem 0.75rem; margin-bottom: 0.7rem; line-height: 1.45; }
      .stale { opacity: 0.45; pointer-events: none; }
      .muted { color: #6b6b70; font-size: 0.8rem; }
      kbd { font-family: inherit; font-size: 0.7rem; opacity: 0.85; margin-left: 0.2rem; }
    `,
  ];

  @state() private state: PlaygroundState = defaultState();
  @state() private outcome: RunOutcome | null = null;
  /** Why the current state cannot run (shape mismatch, empty sentence …); the last good result stays, dimmed. */
  @state() private problemError: string | null = null;
  @state() private running = false;
  /** Rows of a big problem the GPU has finished, while it runs in blocks. */
  @state() private progress: { done: number; total: number; startedAt: number } | null = null;
  @state() private gpuStatus: GpuStatus = { kind: 'connecting' };
  @state() private notices: Notice[] = [];
  @state() private embeddingsStatus: EmbeddingsStatus = 'idle';
  @state() private labLoaded = false;
  @state() private profilerLoaded = false;

  private readonly session = new GpuSession(SHADERS);
  private readonly reference = new ReferenceClient();
  private readonly history = new UndoHistory<PlaygroundState>();
  private embeddings: Embeddings | null = null;
  private embeddingsLoad: Promise<void> | null = null;
  private runTimer: ReturnType<typeof setTimeout> | undefined;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private runAbort: AbortController | null = null;
  private runCounter = 0;
  private noticeCounter = 0;
  private started = false;
  /** Whether the user has been told the state is too large to save (told once per large stretch). */
  private toldTooLarge = false;
  private profilerLoading = false;
  private readonly editedCache = new WeakMap<PlaygroundState, boolean>();

  /** The current state (read by tests and the console). */
  get currentState(): PlaygroundState {
    return this.state;
  }

  /** The last completed run (read by tests and the console). */
  get lastOutcome(): RunOutcome | null {
    return this.outcome;
  }

  /** The GPU session, e.g. to simulate a device loss from the console. */
  get gpu(): GpuSession {
    return this.session;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('keydown', this.onGlobalKey);
    window.addEventListener('hashchange', this.onHashChange);
    this.session.addEventListener('change', this.onGpuChange);
    this.session.addEventListener('error', this.onGpuError);
    this.addEventListener('attn-edit', this.onEdit);
    this.addEventListener('attn-matrix-edit', this.onMatrixEdit);
    this.addEventListener('attn-mask-edit', this.onMaskEdit);
    this.addEventListener('attn-notice', this.onNotice);
    this.addEventListener('attn-command', this.onCommand);
    this.addEventListener('kernels-changed', this.onKernelsChanged);
    if (!this.started) {
      this.started = true;
      void this.start();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('keydown', this.onGlobalKey);
    window.removeEventListener('hashchange', this.onHashChange);
    this.session.removeEventListener('change', this.onGpuChange);
    this.session.removeEventListener('error', this.onGpuError);
    this.removeEventListener('attn-edit', this.onEdit);
    this.removeEventListener('attn-matrix-edit', this.onMatrixEdit);
    this.removeEventListener('attn-mask-edit', this.onMaskEdit);
    this.removeEventListener('attn-notice', this.onNotice);
    this.removeEventListener('attn-command', this.onCommand);
    this.removeEventListener('kernels-changed', this.onKernelsChanged);
    clearTimeout(this.runTimer);
    clearTimeout(this.saveTimer);
    this.runAbort?.abort();
    this.reference.dispose();
    this.session.dispose();
    this.started = false;
  }

  // ------------------------------------------------------------------ startup and state

  private async start(): Promise<void> {
    this.dataset.state = 'starting';
    this.state = this.initialState();
    await this.session.connect();
    this.ensurePanel(this.state.view.tab);
    await this.runNow();
  }

  /** The link's state, else the last saved one, else the first example. A bad link says so and changes nothing. */
  private initialState(): PlaygroundState {
    const fromLink = readHashState();
    if (fromLink.error) this.notify('error', fromLink.error);
    if (fromLink.state) return fromLink.state;
    const saved = loadLocal();
    if (saved.error) this.notify('error', saved.error);
    if (saved.state) return saved.state;
    const preset = PRESETS.find((p) => p.id === DEFAULT_PRESET) ?? PRESETS[0];
    return preset ? stateFromPreset(preset) : defaultState();
  }

  /** Applies an edit: records undo (unless view-only), saves, and reruns when the problem changed. */
  private apply(next: PlaygroundState, coalesceKey: string | null = null, undoable = true): void {
    const previous = this.state;
    if (next === previous) return;
    if (undoable) this.history.record(previous, coalesceKey);
    this.state = next;
    this.saveSoon();
    if (RUN_FIELDS.some((f) => previous[f] !== next[f])) this.scheduleRun();
  }

  private saveSoon(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      // Encoding millions of numbers would stall the page, and the text fits neither a link nor storage.
      const cells = stateCells(this.state);
      const fits = cells <= MAX_SAVED_CELLS;
      if (!fits && !this.toldTooLarge) {
        this.notify('info', `This problem holds ${cells.toLocaleString('en')} numbers, too many for a link or this browser's storage: export the matrices (.npy) to keep them.`);
      }
      this.toldTooLarge = !fits;
      if (fits) saveLocal(this.state);
      if (!fits || !writeHash(this.state)) history.replaceState(null, '', `${location.pathname}${location.search}`);
    }, SAVE_DEBOUNCE_MS);
  }

  private undo(): void {
    const previous = this.history.undo(this.state);
    if (previous) this.restore(previous);
  }

  private redo(): void {
    const next = this.history.redo(this.state);
    if (next) this.restore(next);
  }

  private restore(target: PlaygroundState): void {
    const previous = this.state;
    this.state = target;
    this.saveSoon();
    if (RUN_FIELDS.some((f) => previous[f] !== target[f])) this.scheduleRun();
  }

  // ------------------------------------------------------------------ runs

  private scheduleRun(): void {
    clearTimeout(this.runTimer);
    this.dataset.state = 'pending';
    this.runTimer = setTimeout(() => void this.runNow(), RUN_DEBOUNCE_MS);
  }

  /**
   * One run: build the problem, GPU (when there is one), then reference and comparison in the
   * worker. A big problem (more than FULL_REFERENCE_SCORES scores) runs on the GPU in blocks of
   * query rows, with progress and a cancel between blocks, and is checked and drawn on sampled
   * rows: a float64 n×m reference of a long sequence would not fit in memory.
   */
  async runNow(): Promise<void> {
    clearTimeout(this.runTimer);
    this.runAbort?.abort();
    const abort = new AbortController();
    this.runAbort = abort;
    const id = ++this.runCounter;
    const stale = () => abort.signal.aborted;
    const state = this.state;
    this.dataset.state = 'running';
    this.running = true;
    this.progress = null;

    if (state.mode === 'sentence' && !this.embeddings) {
      await this.loadEmbeddings();
      if (stale()) return;
      if (!this.embeddings) return this.fail('The word vectors could not be loaded, so sentence mode cannot run.');
    }
    let full: Problem;
    try {
      full = buildProblem(state, this.embeddings);
    } catch (error) {
      return this.fail((error as Error).message);
    }
    const problem = needsSampling(full.shape) ? sampleProblem(full, evenlySpacedRows(full.shape.n, sampleCount(full.shape))) : full;

    const variant = isVariant(state.variant) ? state.variant : 'tiled';
    const engine = this.session.engine;
    let gpu: RunOutcome['gpu'] = null;
    let fullOutput: Float32Array | null = null;
    let fullProjected: Float32Array | null = null;
    let gpuError: string | null = null;
    let gpuMs: number | null = null;
    let gpuTimings: RunOutcome['gpuTimings'] = null;
    if (engine) {
      try {
        const run = { variant, kernels: state.kernels ?? undefined, signal: abort.signal };
        if (problem.sample) {
          const result = await this.runInBlocks(engine, full, run);
          const { rows } = problem.sample;
          ({ output: fullOutput, projected: fullProjected, wallMs: gpuMs, gpuTimings } = result);
          gpu = {
            scores: null, probs: null,
            output: pickRows(result.output, rows, full.inputs.v.cols),
            projected: result.projected && pickRows(result.projected, rows, full.inputs.wo!.cols),
            onlineSoftmax: !hasIntermediates(variant),
          };
        } else {
          const result = await engine.run(full.inputs, full.options, { ...run, intermediates: hasIntermediates(variant) });
          gpu = { scores: result.scores, probs: result.probs, output: result.output.data, projected: result.projected?.data ?? null, onlineSoftmax: result.onlineSoftmax };
          gpuMs = result.wallMs;
          gpuTimings = result.gpuTimings;
        }
      } catch (error) {
        if (error instanceof RunCancelledError || stale()) return;
        const yours = state.kernels ? ' (your kernels from the shader lab are in use)' : '';
        gpuError = error instanceof DeviceLostError ? (error as Error).message : `The GPU run failed${yours}: ${(error as Error).message}`;
      }
    } else {
      gpuError = this.noGpuReason();
    }
    if (stale()) return;
    this.progress = null;

    const started = performance.now();
    let evaluation;
    try {
      const stages = gpu && { ...gpu, projected: gpu.projected && { data: gpu.projected } };
      evaluation = await this.reference.evaluate({ inputs: problem.inputs, options: referenceOptions(problem), gpu: stages }, abort.signal);
    } catch (error) {
      if (error instanceof RunCancelledError || stale()) return;
      return this.fail(error instanceof InputError ? error.message : `The CPU reference failed: ${(error as Error).message}`);
    }
    if (stale()) return;
    this.outcome = {
      id, problem, full, fullOutput, fullProjected, gpu, gpuError, variant, gpuMs, gpuTimings,
      reference: evaluation.reference,
      check: evaluation.check,
      errors: evaluation.errors,
      cpuMs: performance.now() - started,
    };
    this.problemError = null;
    this.running = false;
    this.dataset.run = String(id);
    this.dataset.state = 'done';
  }

  /**
   * The whole output of a big problem, BLOCK_WORK multiply-adds of query rows at a time: each
   * block is one engine run over rows [start, end) (the engine keeps the causal alignment), so
   * the page can show progress and a cancel stops the run after the block in flight.
   */
  private async runInBlocks(engine: AttentionEngine, problem: Problem, run: RunOptions & { signal: AbortSignal }) {
    const { n, m, heads, dk, dv } = problem.shape;
    const rowsPerBlock = Math.max(1, Math.min(n, Math.floor(BLOCK_WORK / (heads * m * (dk + dv)))));
    const width = heads * dv;
    const output = new Float32Array(n * width);
    const dModel = problem.inputs.wo?.cols ?? 0;
    const projected = problem.inputs.wo ? new Float32Array(n * dModel) : null;
    const timings: Record<string, number> = {};
    let timed = true;
    const started = performance.now();
    this.progress = { done: 0, total: n, startedAt: started };
    for (let start = 0; start < n; start += rowsPerBlock) {
      const end = Math.min(n, start + rowsPerBlock);
      const result = await engine.run(problem.inputs, problem.options, { ...run, rows: [start, end] });
      if (run.signal.aborted) throw new RunCancelledError('run cancelled');
      output.set(result.output.data, start * width);
      if (projected && result.projected) projected.set(result.projected.data, start * dModel);
      if (result.gpuTimings) for (const [stage, ms] of Object.entries(result.gpuTimings)) timings[stage] = (timings[stage] ?? 0) + (ms ?? 0);
      else timed = false;
      this.progress = { done: end, total: n, startedAt: started };
    }
    return { output, projected, wallMs: performance.now() - started, gpuTimings: timed ? timings : null };
  }

  /** Stops the run in flight (after the GPU block it is on); the last finished results stay. */
  private cancelRun(): void {
    if (!this.running) return;
    clearTimeout(this.runTimer);
    this.runAbort?.abort();
    this.runAbort = null;
    this.running = false;
    this.progress = null;
    this.dataset.state = 'cancelled';
    this.notify('info', 'Run cancelled. The results shown are from the last finished run; press Run to start again.');
  }

  private fail(message: string): void {
    this.problemError = message;
    this.running = false;
    this.dataset.state = 'error';
  }

  private noGpuReason(): string {
    const s = this.gpuStatus;
    if (s.kind === 'unavailable') return `No WebGPU: ${s.reason}`;
    if (s.kind === 'lost') return `The GPU device was lost (${s.reason}); press Reconnect.`;
    return 'The GPU is not ready yet.';
  }

  private loadEmbeddings(): Promise<void> {
    this.embeddingsLoad ??= (async () => {
      this.embeddingsStatus = 'loading';
      try {
        const response = await fetch(gloveUrl);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        this.embeddings = parseEmbeddings(await response.arrayBuffer());
        this.embeddingsStatus = 'ready';
      } catch (error) {
        this.embeddingsStatus = 'failed';
        this.embeddingsLoad = null;
        this.notify('error', `The word vectors could not be loaded (${(error as Error).message}).`);
      }
    })();
    return this.embeddingsLoad;
  }

  /** Tabs whose element lives in its own chunk are loaded when first shown (a click, a link, undo). */
  private ensurePanel(tab: ViewTab): void {
    if (tab === 'lab') void this.ensureLab();
    if (tab === 'profiler') void this.ensureProfiler();
  }

  private async ensureLab(): Promise<void> {
    if (!loadLab || this.labLoaded) return;
    try {
      await loadLab();
      this.labLoaded = true;
    } catch (error) {
      this.notify('error', `The shader lab could not be loaded: ${(error as Error).message}`);
    }
  }

  private async ensureProfiler(): Promise<void> {
    if (this.profilerLoaded || this.profilerLoading) return;
    this.profilerLoading = true;
    try {
      await loadProfiler();
      this.profilerLoaded = true;
    } catch (error) {
      this.notify('error', `The profiler could not be loaded: ${(error as Error).message}`);
    } finally {
      this.profilerLoading = false;
    }
  }

  // ------------------------------------------------------------------ events

  private onEdit = (event: StateEditEvent) => {
    event.stopPropagation();
    this.apply(event.edit(this.state), event.coalesceKey, event.undoable);
  };

  private onMatrixEdit = (event: MatrixEditEvent) => {
    event.stopPropagation();
    this.apply(this.matrixEdited(event.name, event.op), matrixKey(event.name, event.op));
  };

  private matrixEdited(name: MatrixName, op: MatrixOp): PlaygroundState {
    const sentence = this.outcome?.full.sentence;
    const generated = sentence ? { wq: fromMatrix(sentence.wq), wk: fromMatrix(sentence.wk), wv: fromMatrix(sentence.wv) } : {};
    return applyMatrixOp(this.state, name, op, generated);
  }

  private onMaskEdit = (event: MaskEditEvent) => {
    event.stopPropagation();
    const shape = this.outcome?.full.shape;
    if (!shape) return;
    this.apply(applyMaskOp(this.state, event.op as MaskOp, shape.n, shape.m));
  };

  private onNotice = (event: NoticeEvent) => {
    event.stopPropagation();
    this.notify(event.level, event.text);
  };

  private onCommand = (event: CommandEvent) => {
    event.stopPropagation();
    switch (event.command) {
      case 'run': void this.runNow(); break;
      case 'undo': this.undo(); break;
      case 'redo': this.redo(); break;
      case 'share': void this.share(); break;
      case 'reconnect': void this.session.reconnect(); break;
      case 'take-into-matrix': this.takeIntoMatrix(); break;
    }
  };

  /** The shader lab's edited kernels: kept in the state (so links carry them) and used by every run. */
  private onKernelsChanged = (event: Event) => {
    const kernels = (event as Event & { kernels?: Record<string, string> }).kernels ?? {};
    this.apply({ ...this.state, kernels: Object.keys(kernels).length ? { ...kernels } : null }, 'kernels');
  };

  private onGlobalKey = (event: KeyboardEvent) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === 'enter') {
      event.preventDefault();
      void this.runNow();
    } else if (key === 'z' && !event.shiftKey) {
      event.preventDefault();
      this.undo();
    } else if ((key === 'z' && event.shiftKey) || key === 'y') {
      event.preventDefault();
      this.redo();
    }
  };

  /** A link pasted into this tab's address bar: load it (undoable), or say why not. */
  private onHashChange = () => {
    const loaded = readHashState();
    if (loaded.error) this.notify('error', loaded.error);
    else if (loaded.state && JSON.stringify(loaded.state) !== JSON.stringify(this.state)) this.apply(loaded.state);
  };

  private onGpuChange = () => {
    this.gpuStatus = this.session.status;
    if (this.gpuStatus.kind === 'lost') this.notify('error', `The GPU device was lost: ${this.gpuStatus.reason}. Press Reconnect to get a new one.`);
    if (this.gpuStatus.kind !== 'connecting' && this.outcome) void this.runNow();
  };

  private onGpuError = () => {
    if (this.session.lastError) this.notify('error', `WebGPU reported an error: ${this.session.lastError}`);
  };

  private notify(level: NoticeLevel, text: string): void {
    const id = ++this.noticeCounter;
    this.notices = [...this.notices.filter((n) => n.text !== text), { id, level, text }].slice(-4);
    if (level === 'info') setTimeout(() => this.dismiss(id), 6000);
  }

  private dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  private async share(): Promise<void> {
    const link = linkFor(this.state);
    try {
      await navigator.clipboard.writeText(link);
      this.notify('info', 'A link to exactly this view is on the clipboard.');
    } catch {
      this.notify('info', `Copy this link: ${link}`);
    }
  }

  private takeIntoMatrix(): void {
    const p = this.outcome?.full;
    if (!p?.sentence) return;
    this.apply({
      ...this.state,
      mode: 'matrix',
      matrix: {
        q: fromMatrix(p.inputs.q),
        k: fromMatrix(p.inputs.k),
        v: fromMatrix(p.inputs.v),
        queryLabels: [...p.queryLabels],
        keyLabels: [...p.keyLabels],
        featureLabels: this.state.sentence.featureLabels,
        valueLabels: this.state.sentence.valueLabels,
        wo: p.inputs.wo ? fromMatrix(p.inputs.wo) : null,
      },
    });
    this.notify('info', 'Q, K and V are now in matrix mode: every number can be edited.');
  }

  /** W_o on (starting as the identity, so the output is unchanged until it is edited) or off. */
  private toggleOutputProjection = (event: Event) => {
    const on = (event.target as HTMLInputElement).checked;
    const width = this.state.matrix.v[0]?.length ?? 1;
    this.apply({ ...this.state, matrix: { ...this.state.matrix, wo: on ? identity(width, width) : null } });
  };

  private loadPreset = (event: Event) => {
    const id = (event.target as HTMLSelectElement).value;
    const preset = PRESETS.find((p) => p.id === id);
    if (preset) this.apply(stateFromPreset(preset));
  };

  private setTab(tab: ViewTab): void {
    this.ensurePanel(tab);
    this.apply({ ...this.state, view: { ...this.state.view, tab } }, null, false);
  }

  private setMode(mode: PlaygroundState['mode']): void {
    if (mode === 'sentence') void this.loadEmbeddings();
    this.apply({ ...this.state, mode });
  }

  /** Whether the problem differs from the preset it started from (cached per state object). */
  private editedSincePreset(preset: Preset): boolean {
    let edited = this.editedCache.get(this.state);
    if (edited === undefined) {
      const fresh = stateFromPreset(preset);
      const pick = (s: PlaygroundState) => JSON.stringify(RUN_FIELDS.map((f) => (s.mode === 'sentence' && f === 'matrix' ? null : s[f])));
      edited = pick(fresh) !== pick(this.state);
      this.editedCache.set(this.state, edited);
    }
    return edited;
  }

  // ------------------------------------------------------------------ rendering

  /** The picker follows the state (undo, links), which option attributes alone cannot do once a user has picked. */
  protected override updated(): void {
    if (this.started) this.ensurePanel(this.state.view.tab);
    const select = this.renderRoot.querySelector<HTMLSelectElement>('#preset');
    const wanted = PRESETS.find((p) => p.id === this.state.presetId && p.mode === this.state.mode)?.id ?? '';
    if (select && select.value !== wanted) select.value = wanted;
  }

  override render() {
    const s = this.state;
    // A preset's text describes its own mode; after a switch to the other mode it would mislead.
    const preset = PRESETS.find((p) => p.id === s.presetId && p.mode === s.mode);
    const edited = preset ? this.editedSincePreset(preset) : false;
    return html`
      <div class="top">
        <h1>Attention Playground</h1>
        <label class="preset">Example
          <select id="preset" @change=${this.loadPreset} aria-label="example">
            <option value="" ?selected=${!preset}>— your own —</option>
            ${PRESETS.map((p) => html`<option value=${p.id} ?selected=${p.id === preset?.id}>${p.name}</option>`)}
          </select>
        </label>
        <div class="actions">
          <span class="status" aria-live="polite">${this.renderStatus()}</span>
          ${this.running && this.progress ? html`<button id="cancel-run" @click=${() => this.cancelRun()} title="Stop this run after the GPU block in flight">Cancel</button>` : nothing}
          <button @click=${() => this.undo()} ?disabled=${!this.history.canUndo} title="Undo (Ctrl+Z)">Undo</button>
          <button @click=${() => this.redo()} ?disabled=${!this.history.canRedo} title="Redo (Ctrl+Shift+Z)">Redo</button>
          <button @click=${() => void this.share()} title="Copy a link that reproduces this view">Share link</button>
          <button class="primary" @click=${() => void this.runNow()} title="Run now (Ctrl+Enter)">Run <kbd>Ctrl+↵</kbd></button>
        </div>
      </div>
      ${preset ? html`<p class="description">${preset.description}${edited ? html` <span class="muted">(edited since: the notes may no longer match)</span>` : nothing}</p>` : nothing}
      <attn-adapter-panel .status=${this.gpuStatus}></attn-adapter-panel>
      ${this.notices.length ? html`<div class="notices" role="status">${this.notices.map((n) => html`<div class="notice ${n.level}" data-level=${n.level}>
        <span>${n.text}</span><button aria-label="dismiss" @click=${() => this.dismiss(n.id)}>✕</button></div>`)}</div>` : nothing}
      <div class="layout">
        <aside>${this.renderInputs()}</aside>
        <main>${this.renderOutputs(preset?.notes)}</main>
      </div>
    `;
  }

  private renderStatus() {
    const p = this.progress;
    if (this.running && p) {
      const seconds = Math.round((performance.now() - p.startedAt) / 1000);
      return html`<progress id="run-progress" max=${p.total} value=${p.done}></progress> GPU: ${p.done} of ${p.total} rows · ${seconds} s`;
    }
    if (this.running) return 'computing…';
    return this.outcome ? `run #${this.outcome.id}` : '';
  }

  private renderInputs() {
    const s = this.state;
    const p = this.outcome?.full ?? null;
    const dkPerHead = p ? p.shape.dk : Math.max(1, Math.floor((s.matrix.q[0]?.length ?? 1) / s.options.heads));
    return html`
      <div class="tabs" role="tablist" aria-label="input mode">
        <button role="tab" id="mode-matrix" aria-selected=${s.mode === 'matrix' ? 'true' : 'false'} @click=${() => this.setMode('matrix')}>Matrices</button>
        <button role="tab" id="mode-sentence" aria-selected=${s.mode === 'sentence' ? 'true' : 'false'} @click=${() => this.setMode('sentence')}>Sentence</button>
      </div>
      ${s.mode === 'matrix' ? this.renderMatrices() : html`<attn-sentence-panel .sentence=${s.sentence} .problem=${p?.mode === 'sentence' ? p : null} embeddings=${this.embeddingsStatus} heads=${s.options.heads}></attn-sentence-panel>`}
      <attn-options-panel .options=${s.options} dk=${dkPerHead} variant=${isVariant(s.variant) ? s.variant : 'tiled'}
        .variants=${VARIANT_NAMES} .outputOnly=${VARIANT_NAMES.filter((v) => !hasIntermediates(v))} ?gpu-available=${this.gpuStatus.kind === 'ready'}></attn-options-panel>
      ${p ? html`<attn-mask-editor .mask=${p.explicitMask} .padding=${p.padding} .rowLabels=${p.queryLabels} .colLabels=${p.keyLabels} ?causal=${s.options.causal}></attn-mask-editor>` : nothing}
    `;
  }

  private renderMatrices() {
    const m = this.state.matrix;
    const label = (given: string[] | null, count: number, prefix: string) => Array.from({ length: count }, (_, i) => given?.[i]?.trim() || `${prefix}${i}`);
    const n = m.q.length, keys = m.k.length, dk = m.q[0]?.length ?? 0, dv = m.v[0]?.length ?? 0;
    const features = label(m.featureLabels, dk, 'd');
    return html`<div class="matrices">
      <attn-matrix-editor name="q" heading="Q — queries" hint="one row per query" structural .values=${m.q} .rowLabels=${label(m.queryLabels, n, 'q')} .colLabels=${features}></attn-matrix-editor>
      <attn-matrix-editor name="k" heading="K — keys" hint="one row per key; width = Q's" structural .values=${m.k} .rowLabels=${label(m.keyLabels, keys, 'k')} .colLabels=${label(m.featureLabels, m.k[0]?.length ?? 0, 'd')}></attn-matrix-editor>
      <attn-matrix-editor name="v" heading="V — values" hint="one row per key" structural .values=${m.v} .rowLabels=${label(m.keyLabels, m.v.length, 'k')} .colLabels=${label(m.valueLabels, dv, 'v')}></attn-matrix-editor>
      <label class="toggle"><input type="checkbox" id="use-wo" .checked=${!!m.wo} @change=${this.toggleOutputProjection} />
        Output projection W<sub>o</sub> <span class="muted">(the heads' outputs, concatenated, × W_o)</span></label>
      ${m.wo ? html`<attn-matrix-editor name="wo" heading="W_o — output projection" hint="one row per output column (h·d_v), one column per model dimension"
        .values=${m.wo} .rowLabels=${label(m.valueLabels, m.wo.length, 'v')} .colLabels=${label(null, m.wo[0]?.length ?? 0, 'y')}></attn-matrix-editor>` : nothing}
      <attn-random-problem heads=${this.state.options.heads}></attn-random-problem>
    </div>`;
  }

  private renderOutputs(notes: string | undefined) {
    const s = this.state;
    const o = this.outcome;
    return html`
      ${this.problemError ? html`<div class="problem" role="alert" id="problem-error"><strong>Not run:</strong> ${this.problemError}${o ? ' The results below are from the last valid input.' : ''}</div>` : nothing}
      ${notes ? html`<div class="notes">${notes}</div>` : nothing}
      ${o?.problem.sample ? this.renderSampleNote(o) : nothing}
      ${this.renderVerdict(o)}
      <div class="tabs" role="tablist" aria-label="output view">
        <button role="tab" id="tab-attention" aria-selected=${s.view.tab === 'attention' ? 'true' : 'false'} @click=${() => this.setTab('attention')}>Attention</button>
        <button role="tab" id="tab-compare" aria-selected=${s.view.tab === 'compare' ? 'true' : 'false'} @click=${() => this.setTab('compare')}>GPU vs CPU</button>
        ${loadLab ? html`<button role="tab" id="tab-lab" aria-selected=${s.view.tab === 'lab' ? 'true' : 'false'} @click=${() => this.setTab('lab')}>Shader lab</button>` : nothing}
        <button role="tab" id="tab-profiler" aria-selected=${s.view.tab === 'profiler' ? 'true' : 'false'} @click=${() => this.setTab('profiler')}>Profiler</button>
      </div>
      <div class=${this.problemError && s.view.tab !== 'profiler' ? 'stale' : ''}>${this.renderTab(o)}</div>
      ${this.renderProfiler()}
    `;
  }

  /** What a big problem's results cover, and the GPU's whole output for download. */
  private renderSampleNote(o: RunOutcome) {
    const { n, m } = o.full.shape;
    const rows = o.problem.sample!.rows.length;
    const seconds = o.gpuMs !== null ? ` in ${(o.gpuMs / 1000).toFixed(1)} s` : '';
    return html`<div class="notes" id="sample-note">
      <strong>${n.toLocaleString('en')} queries × ${m.toLocaleString('en')} keys.</strong>
      ${o.fullOutput ? html`The GPU computed every query row${seconds}, in blocks (output only: no n×m score matrix is read back).` : nothing}
      The float64 reference, the GPU-vs-CPU check and the maps cover ${rows} evenly spaced query rows (${o.problem.queryLabels.slice(0, 3).join(', ')}, … ${o.problem.queryLabels[rows - 1]}) against all ${m.toLocaleString('en')} keys.
      ${o.fullOutput ? html`<button @click=${() => this.downloadFull(o, 'output')} title="The GPU's whole output as .npy">Download the whole output (.npy)</button>` : nothing}
      ${o.fullProjected ? html`<button @click=${() => this.downloadFull(o, 'projected')} title="The GPU's whole projected output as .npy">… and output · W_o</button>` : nothing}
    </div>`;
  }

  private downloadFull(o: RunOutcome, what: 'output' | 'projected'): void {
    const data = what === 'output' ? o.fullOutput : o.fullProjected;
    const cols = what === 'output' ? o.full.inputs.v.cols : o.full.inputs.wo?.cols ?? 0;
    if (data) downloadMatrix({ rows: o.full.shape.n, cols, data }, `${this.state.presetId ?? 'attention'}-${what}`, 'npy');
  }

  private renderVerdict(o: RunOutcome | null) {
    if (!o) return html`<div class="verdict muted">${this.running ? 'Computing the first run…' : ''}</div>`;
    if (!o.check) return html`<div class="verdict"><span class="badge" data-verdict="cpu-only">CPU reference only</span><span class="muted">${o.gpuError ?? ''}</span></div>`;
    const stages = [['scores', 'masked scores'], ['probs', 'weights'], ['output', 'output'], ['projected', 'output · W_o']] as const;
    return html`<div class="verdict" data-verdict=${o.check.pass ? 'pass' : 'fail'}>
      <span>GPU vs CPU (${o.variant}${this.state.kernels ? ` + your ${Object.keys(this.state.kernels).join(', ')} kernel` : ''}):</span>
      ${stages.filter(([k]) => o.check![k]).map(([k, name]) => {
        const c = o.check![k]!;
        return html`<button class="badge ${c.pass ? 'pass' : 'fail'}" @click=${() => this.setTab('compare')} title="max |Δ| ${c.maxAbs.toExponential(2)}, max ${c.maxUlp} ULP">
          ${c.pass ? '✓' : '✗'} ${name} · ${c.maxUlp === Infinity ? 'NaN/∞ mismatch' : `≤ ${c.maxUlp} ULP`}</button>`;
      })}
    </div>`;
  }

  private renderTab(o: RunOutcome | null) {
    const s = this.state;
    switch (s.view.tab) {
      case 'attention':
        return o ? html`<attn-stage-view .problem=${o.problem} .reference=${o.reference} .gpu=${o.gpu} head=${s.view.head}
          focus-row=${s.view.focusQuery} file-base=${s.presetId ?? 'attention'}></attn-stage-view>` : nothing;
      case 'compare':
        return html`<attn-compare-panel .outcome=${o} head=${s.view.head}></attn-compare-panel>`;
      case 'lab':
        return this.labLoaded
          ? html`<attn-shader-lab .engine=${this.session.engine} .kernels=${s.kernels}></attn-shader-lab>`
          : html`<p class="muted">${loadLab ? 'Loading the shader lab…' : 'The shader lab is not part of this build.'}</p>`;
      case 'profiler':
        return this.profilerLoaded ? nothing : html`<p class="muted">Loading the profiler…</p>`;
    }
  }

  /**
   * Once loaded, the profiler stays mounted (hidden on other tabs), so a sweep keeps running and
   * its results stay while the user looks at something else.
   */
  private renderProfiler() {
    if (!this.profilerLoaded) return nothing;
    const summary = this.gpuStatus.kind === 'ready' || this.gpuStatus.kind === 'lost' ? this.gpuStatus.summary : null;
    return html`<div id="profiler-panel" ?hidden=${this.state.view.tab !== 'profiler'}>
      <attn-profiler .engine=${this.session.engine} .adapter=${summary}></attn-profiler>
    </div>`;
  }
}

/** The given rows of a row-major matrix with `cols` columns. */
function pickRows(data: Float32Array, rows: readonly number[], cols: number): Float32Array {
  const out = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => out.set(data.subarray(r * cols, (r + 1) * cols), i * cols));
  return out;
}

/** Typing in one cell is one undo step; every other matrix edit is its own. */
function matrixKey(name: MatrixName, op: MatrixOp): string | null {
  return op.kind === 'set' ? `cell:${name}:${op.row}:${op.col}` : null;
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-app': AttnApp;
  }
}
