/**
 * <attn-shader-lab>: edit a stage's WGSL in Monaco, see compile errors in place, and verify the
 * kernel against the float64 reference with the suite of src/gpu/verify-suite.ts.
 *
 * One tab per verifiable stage, starting from the built-in kernel. Edits compile on a debounce:
 * compiler messages become Monaco markers, interface mismatches and pipeline errors are listed in
 * words. Edited kernels are kept in localStorage and announced with a `kernels-changed` event so the
 * coordinator can put them in the shared URL. Monaco is imported lazily (its own chunk), its worker
 * through Vite's `?worker`, and its styles are cloned into this shadow root.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type * as MonacoApi from 'monaco-editor/editor';
import type { CaseReport, VerifyReport } from '../core/verify/report';
import { compileErrorLines, REPORT_COLUMNS, reportCells, reportSummary } from '../core/verify/report';
import type { AttentionEngine } from '../gpu/engine';
import type { ShaderMessage } from '../core/errors';
import type { StageName } from '../core/stages';
import { STAGE_INFO } from '../core/stages';
import { RunCancelledError } from '../core/errors';
import { diagnoseKernel } from '../gpu/kernels';
import { VARIANTS } from '../gpu/variants';
import { variantFor, verifiableStages, verifyKernel } from '../gpu/verify-suite';
import exampleIndex from '../../examples/kernels/index.json';
import { CommandEvent } from './events';
import { SHADERS } from './shader-library';
import { buttonStyles, panelStyles } from './styles';

type Monaco = typeof MonacoApi;
export type StageKernels = Partial<Record<StageName, string>>;

export const STORAGE_KEY = 'attn.shaderLab.v1';
const COMPILE_DEBOUNCE_MS = 350;

/** The edited kernels (only stages that differ from the built-in one). */
export class KernelsChangedEvent extends Event {
  static readonly type = 'kernels-changed';
  constructor(readonly kernels: StageKernels) {
    super(KernelsChangedEvent.type, { bubbles: true, composed: true });
  }
}

export interface BrokenExample {
  file: string;
  stage: StageName;
  name: string;
  description: string;
  expectedHint: string;
  source: string;
}

const exampleSources = import.meta.glob('/examples/kernels/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

/** The instructive broken kernels of examples/kernels/, with their sources. */
export const BROKEN_EXAMPLES: BrokenExample[] = (exampleIndex as Omit<BrokenExample, 'source'>[])
  .map((e) => ({ ...e, source: exampleSources[`/examples/kernels/${e.file}`] ?? '' }))
  .filter((e) => e.source !== '');

let monacoModule: Promise<Monaco> | null = null;

/** Monaco with only the parts the lab needs, loaded once, on first use. */
function loadMonaco(): Promise<Monaco> {
  monacoModule ??= (async () => {
    const [monaco, worker] = await Promise.all([
      import('monaco-editor/editor'),
      import('monaco-editor/editor/editor.worker?worker'),
      import('monaco-editor/languages/definitions/wgsl/register'),
      import('monaco-editor/features/hover/register'),
      import('monaco-editor/features/gotoError/register'),
      import('monaco-editor/features/find/register'),
      import('monaco-editor/features/bracketMatching/register'),
      import('monaco-editor/features/comment/register'),
    ]);
    const EditorWorker = worker.default;
    self.MonacoEnvironment = { getWorker: () => new EditorWorker() };
    return monaco;
  })();
  monacoModule.catch(() => (monacoModule = null));
  return monacoModule;
}

interface Diagnostics {
  messages: ShaderMessage[];
  /** Interface mismatches and pipeline-creation errors, in words. */
  problems: string[];
  checking: boolean;
}

interface Stored {
  kernels?: StageKernels;
  stage?: StageName;
}


@customElement('attn-shader-lab')
export class AttnShaderLab extends LitElement {
  static override styles = [
    buttonStyles,
    panelStyles,
    css`
      :host { display: block; }
      .tabs { display: flex; gap: 0.2rem; border-bottom: 1px solid #e2e2e6; margin-bottom: 0.4rem; flex-wrap: wrap; }
      .tabs button { border-radius: 5px 5px 0 0; border-bottom: 0; }
      .tabs button[aria-selected='true'] { background: #0a66d8; color: #fff; border-color: #0a66d8; }
      .tabs .edited::after { content: ' •'; }
      #editor { height: 26rem; border: 1px solid #e2e2e6; border-radius: 5px; overflow: hidden; }
      textarea.fallback { width: 100%; height: 26rem; box-sizing: border-box; font-family: ui-monospace, monospace; font-size: 0.8rem; }
      .messages { font-family: ui-monospace, monospace; font-size: 0.76rem; margin: 0.4rem 0; padding: 0; list-style: none; }
      .messages li { margin: 0.1rem 0; }
      .messages .error { color: #b3261e; }
      .messages .warning { color: #8a5a00; }
      .messages a { color: inherit; cursor: pointer; text-decoration: underline dotted; }
      .ok { color: #1b7f3b; font-size: 0.78rem; }
      .verdict { font-weight: 600; font-size: 0.85rem; margin: 0.5rem 0 0.3rem; }
      .verdict.pass { color: #1b7f3b; }
      .verdict.fail { color: #b3261e; }
      .hint { border-left: 3px solid #b3261e; padding: 0.2rem 0.6rem; margin: 0.3rem 0; font-size: 0.8rem; }
      .hint strong { display: block; }
      .warning-note { border-left: 3px solid #c98a00; padding: 0.2rem 0.6rem; font-size: 0.8rem; }
      .table { overflow-x: auto; }
      table { border-collapse: collapse; font-size: 0.74rem; font-variant-numeric: tabular-nums; width: 100%; }
      th, td { text-align: left; padding: 0.15rem 0.45rem; border-bottom: 1px solid #eee; white-space: nowrap; }
      td.hint-cell { white-space: normal; min-width: 14rem; }
      tr.fail td, tr.timeout td, tr.error td { background: #fdf0ef; }
      .example-note { font-size: 0.78rem; margin: 0.3rem 0; }
    `,
  ];

  /** The engine that compiles and runs the kernels; null while no GPU is available. */
  @property({ attribute: false }) engine: AttentionEngine | null = null;
  /** The device compile diagnostics use (defaults to the engine's). */
  @property({ attribute: false }) device: GPUDevice | null = null;
  /** Edited kernels from outside (the shared URL); they replace what localStorage held. */
  @property({ attribute: false }) kernels: StageKernels | null = null;
  /** Per-run time limit of the verification, in milliseconds. */
  @property({ type: Number, attribute: 'time-limit' }) timeLimit = 10_000;

  @state() private stage: StageName = verifiableStages()[0] ?? 'qk';
  @state() private edits: StageKernels = {};
  @state() private diagnostics: Partial<Record<StageName, Diagnostics>> = {};
  @state() private editorStatus: 'loading' | 'ready' | 'failed' = 'loading';
  @state() private editorError = '';
  @state() private running = false;
  @state() private progress: { done: number; total: number } | null = null;
  @state() private liveCases: CaseReport[] = [];
  @state() private report: VerifyReport | null = null;
  @state() private runError: string | null = null;
  @state() private loadedExample: BrokenExample | null = null;

  @query('#editor') private editorHost!: HTMLDivElement | null;
  @query('#monaco-styles') private styleHost!: HTMLDivElement | null;

  private monaco: Monaco | null = null;
  private editor: MonacoApi.editor.IStandaloneCodeEditor | null = null;
  private models = new Map<StageName, MonacoApi.editor.ITextModel>();
  private disposables: { dispose(): void }[] = [];
  private headObserver: MutationObserver | null = null;
  private clones = new Map<Node, HTMLElement>();
  private compileTimer: ReturnType<typeof setTimeout> | undefined;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  /** The edits last announced with kernels-changed (JSON), so a tab switch announces nothing. */
  private announced = '{}';
  private checkToken = 0;
  private verification: AbortController | null = null;
  private settingValue = false;

  // ---- lifecycle -------------------------------------------------------------------------------

  override connectedCallback(): void {
    super.connectedCallback();
    this.restore();
    void this.createEditor();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.verification?.abort();
    this.verification = null;
    clearTimeout(this.compileTimer);
    this.flushSave();
    this.headObserver?.disconnect();
    this.headObserver = null;
    for (const d of this.disposables.splice(0)) d.dispose();
    for (const model of this.models.values()) model.dispose();
    this.models.clear();
    this.editor?.dispose();
    this.editor = null;
    for (const clone of this.clones.values()) clone.remove();
    this.clones.clear();
    this.editorStatus = 'loading';
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('kernels') && this.kernels) this.applyKernels(this.kernels);
    if (changed.has('engine') || changed.has('device')) this.scheduleCheck(0);
  }

  // ---- sources ---------------------------------------------------------------------------------

  private get stages(): StageName[] {
    return verifiableStages();
  }

  /** The built-in kernel of a stage, from the engine (or the bundled library while there is none). */
  builtIn(stage: StageName): string {
    const variant = variantFor(stage);
    if (!variant) return '';
    if (this.engine) return this.engine.source(variant, stage);
    const file = (VARIANTS[variant] as Partial<Record<StageName, string>>)[stage];
    return file ? SHADERS[file] ?? '' : '';
  }

  /** The source a stage's tab holds now. */
  source(stage: StageName = this.stage): string {
    return this.edits[stage] ?? this.builtIn(stage);
  }

  private restore(): void {
    let stored: Stored = {};
    try {
      stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '{}') as Stored;
    } catch {
      stored = {};
    }
    const stages = this.stages;
    if (stored.stage && stages.includes(stored.stage)) this.stage = stored.stage;
    const kernels = this.kernels ?? stored.kernels ?? {};
    this.edits = Object.fromEntries(Object.entries(kernels).filter(([stage, source]) => stages.includes(stage as StageName) && typeof source === 'string')) as StageKernels;
    // Kernels restored from storage are news to the coordinator (the URL may not have them yet).
    if (JSON.stringify(this.edits) !== this.announced) this.scheduleSave();
  }

  private applyKernels(kernels: StageKernels): void {
    const next: StageKernels = {};
    for (const stage of this.stages) if (typeof kernels[stage] === 'string' && kernels[stage] !== this.builtIn(stage)) next[stage] = kernels[stage];
    if (JSON.stringify(next) === JSON.stringify(this.edits)) return;
    this.edits = next;
    this.announced = JSON.stringify(next); // they came from the coordinator: nothing to announce
    this.scheduleSave();
    for (const [stage, model] of this.models) this.setModelValue(model, this.source(stage));
    this.scheduleCheck(0);
  }

  /** Records an edit of a stage: persisted and announced after a short pause. */
  private setEdit(stage: StageName, source: string): void {
    const edits = { ...this.edits };
    if (source === this.builtIn(stage)) delete edits[stage];
    else edits[stage] = source;
    this.edits = edits;
    this.scheduleSave();
  }

  /** Writes localStorage and announces changed kernels now, if a save is pending. */
  private flushSave(): void {
    if (this.saveTimer === undefined) return;
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify({ kernels: this.edits, stage: this.stage } satisfies Stored));
    } catch {
      // Storage full or disabled (private mode): the URL still carries the kernels.
    }
    const edits = JSON.stringify(this.edits);
    if (edits !== this.announced) {
      this.announced = edits;
      this.dispatchEvent(new KernelsChangedEvent({ ...this.edits }));
    }
  }

  private scheduleSave(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.flushSave(), COMPILE_DEBOUNCE_MS);
  }

  // ---- Monaco ----------------------------------------------------------------------------------

  private async createEditor(): Promise<void> {
    try {
      const monaco = await loadMonaco();
      await this.updateComplete;
      if (!this.isConnected || !this.editorHost || this.editor) return;
      this.monaco = monaco;
      this.watchStyles();
      this.editor = monaco.editor.create(this.editorHost, {
        model: this.model(this.stage),
        automaticLayout: true,
        minimap: { enabled: false },
        scrollBeyondLastLine: false,
        fontSize: 13,
        tabSize: 2,
        renderWhitespace: 'none',
      });
      this.disposables.push(this.editor.onDidChangeModelContent(this.onEditorChange));
      this.editorStatus = 'ready';
      this.scheduleCheck(0);
    } catch (error) {
      this.editorStatus = 'failed';
      this.editorError = (error as Error).message ?? String(error);
    }
  }

  /** One model per stage keeps each tab's undo history. */
  private model(stage: StageName): MonacoApi.editor.ITextModel {
    let model = this.models.get(stage);
    if (!model) {
      const monaco = this.monaco!;
      model = monaco.editor.createModel(this.source(stage), 'wgsl', monaco.Uri.parse(`inmemory://attn-shader-lab/${stage}.wgsl`));
      this.models.set(stage, model);
    }
    return model;
  }

  private setModelValue(model: MonacoApi.editor.ITextModel, source: string): void {
    if (model.getValue() === source) return;
    this.settingValue = true;
    try {
      // pushEditOperations keeps the change undoable, unlike setValue.
      model.pushEditOperations([], [{ range: model.getFullModelRange(), text: source }], () => null);
    } finally {
      this.settingValue = false;
    }
  }

  private onEditorChange = () => {
    const model = this.editor?.getModel();
    const stage = [...this.models].find(([, m]) => m === model)?.[0];
    if (!model || !stage || this.settingValue) return;
    this.edited(stage, model.getValue());
  };

  private onFallbackInput = (event: Event) => {
    this.edited(this.stage, (event.target as HTMLTextAreaElement).value);
  };

  /** Any edit: outdated verification stops, the kernel is recompiled after a pause. */
  private edited(stage: StageName, source: string): void {
    this.setEdit(stage, source);
    this.cancelVerification();
    if (this.report?.stage === stage) this.report = null;
    this.scheduleCheck(COMPILE_DEBOUNCE_MS);
  }

  /**
   * Monaco puts its CSS in document.head, which does not reach into a shadow root: clone every
   * style and stylesheet link here and follow changes (Monaco also adds rules through the CSSOM).
   */
  private watchStyles(): void {
    this.syncStyles();
    this.headObserver = new MutationObserver(() => this.syncStyles());
    this.headObserver.observe(document.head, { childList: true, subtree: true, characterData: true });
  }

  private syncStyles = () => {
    const host = this.styleHost;
    if (!host) return;
    const current = new Set<Node>();
    for (const node of document.head.querySelectorAll('style, link[rel="stylesheet"]')) {
      current.add(node);
      let clone = this.clones.get(node);
      if (!clone) {
        clone = node.cloneNode(true) as HTMLElement;
        host.append(clone);
        this.clones.set(node, clone);
      }
      if (node instanceof HTMLStyleElement) {
        const text = styleText(node);
        if (clone.textContent !== text) clone.textContent = text;
      }
    }
    for (const [node, clone] of this.clones) {
      if (!current.has(node)) {
        clone.remove();
        this.clones.delete(node);
      }
    }
  };

  private setMarkers(stage: StageName, messages: ShaderMessage[]): void {
    const monaco = this.monaco;
    const model = this.models.get(stage);
    if (!monaco || !model) return;
    const severity = { error: monaco.MarkerSeverity.Error, warning: monaco.MarkerSeverity.Warning, info: monaco.MarkerSeverity.Info };
    monaco.editor.setModelMarkers(model, 'wgsl', messages.map((m) => {
      const line = Math.min(Math.max(m.line, 1), model.getLineCount());
      const column = Math.max(m.column, 1);
      const end = m.length > 0 ? model.getPositionAt(m.offset + m.length) : { lineNumber: line, column: column + 1 };
      return { severity: severity[m.type], message: m.message, startLineNumber: line, startColumn: column, endLineNumber: end.lineNumber, endColumn: end.column };
    }));
    requestAnimationFrame(this.syncStyles);
  }

  /**
   * The markers Monaco holds for the shown stage (monaco.editor.getModelMarkers), for tests:
   * a headless browser cannot hover to read them.
   */
  get markers(): { severity: 'error' | 'warning' | 'info' | 'hint'; message: string; line: number; column: number }[] {
    const monaco = this.monaco;
    const model = this.models.get(this.stage);
    if (!monaco || !model) return [];
    const level = monaco.MarkerSeverity;
    return monaco.editor.getModelMarkers({ resource: model.uri }).map((m) => ({
      severity: m.severity === level.Error ? 'error' : m.severity === level.Warning ? 'warning' : m.severity === level.Info ? 'info' : 'hint',
      message: m.message,
      line: m.startLineNumber,
      column: m.startColumn,
    }));
  }

  private reveal(message: ShaderMessage): void {
    if (!this.editor || message.line < 1) return;
    this.editor.revealLineInCenter(message.line);
    this.editor.setPosition({ lineNumber: message.line, column: Math.max(message.column, 1) });
    this.editor.focus();
  }

  // ---- compile on edit -------------------------------------------------------------------------

  private scheduleCheck(delay: number): void {
    clearTimeout(this.compileTimer);
    this.compileTimer = setTimeout(() => void this.check(this.stage), delay);
  }

  /** Compiler messages as markers, then the interface and the pipeline, for the stage's current source. */
  private async check(stage: StageName): Promise<void> {
    const token = ++this.checkToken;
    const source = this.source(stage);
    const target = this.device ?? this.engine;
    const current = () => token === this.checkToken && this.isConnected;
    if (!target) {
      this.diagnostics = { ...this.diagnostics, [stage]: { messages: [], problems: ['no GPU device: the kernel cannot be compiled here'], checking: false } };
      return;
    }
    this.diagnostics = { ...this.diagnostics, [stage]: { ...(this.diagnostics[stage] ?? { messages: [], problems: [] }), checking: true } };
    let messages: ShaderMessage[] = [];
    let problems: string[] = [];
    try {
      ({ messages, problems } = await diagnoseKernel(target, stage, source, { label: `Attention.${stage}.lab` }));
    } catch (error) {
      problems = [(error as Error).message ?? String(error)];
    }
    if (!current()) return;
    this.setMarkers(stage, messages);
    this.diagnostics = { ...this.diagnostics, [stage]: { messages, problems, checking: false } };
  }

  // ---- verification ----------------------------------------------------------------------------

  private cancelVerification(): void {
    this.verification?.abort();
    this.verification = null;
    this.running = false;
    this.progress = null;
  }

  private verify = async () => {
    const engine = this.engine;
    if (!engine) return;
    this.cancelVerification();
    const controller = new AbortController();
    this.verification = controller;
    const stage = this.stage;
    this.running = true;
    this.report = null;
    this.runError = null;
    this.liveCases = [];
    this.progress = null;
    try {
      const report = await verifyKernel(engine, {
        stage,
        source: this.source(stage),
        label: this.edits[stage] === undefined ? 'built-in kernel' : this.loadedExample?.stage === stage && this.loadedExample.source === this.edits[stage] ? this.loadedExample.file : 'edited kernel',
        timeLimitMs: this.timeLimit,
        signal: controller.signal,
        onCase: (row, done, total) => {
          if (controller.signal.aborted) return;
          this.liveCases = [...this.liveCases, row];
          this.progress = { done, total };
        },
      });
      if (controller.signal.aborted) return;
      this.report = report;
      if (report.status === 'compile-error') this.setMarkers(stage, report.compileMessages);
    } catch (error) {
      if (error instanceof RunCancelledError || controller.signal.aborted) return;
      this.runError = (error as Error).message ?? String(error);
    } finally {
      if (this.verification === controller) {
        this.verification = null;
        this.running = false;
        this.progress = null;
      }
    }
  };

  // ---- tabs, examples, reset ------------------------------------------------------------------

  private selectStage(stage: StageName): void {
    if (stage === this.stage) return;
    this.stage = stage;
    if (this.editor && this.monaco) this.editor.setModel(this.model(stage));
    requestAnimationFrame(this.syncStyles);
    this.scheduleCheck(0);
    this.scheduleSave();
  }

  private loadExample = (event: Event) => {
    const select = event.target as HTMLSelectElement;
    const example = BROKEN_EXAMPLES.find((e) => e.file === select.value);
    select.value = '';
    if (!example) return;
    this.loadedExample = example;
    this.selectStage(example.stage);
    this.replaceSource(example.stage, example.source);
  };

  private reset = () => {
    if (this.loadedExample?.stage === this.stage) this.loadedExample = null;
    this.replaceSource(this.stage, this.builtIn(this.stage));
  };

  /** Puts a whole new source in a tab, as one undoable edit. */
  private replaceSource(stage: StageName, source: string): void {
    const model = this.models.get(stage);
    if (model) this.setModelValue(model, source);
    this.edited(stage, source);
  }

  // ---- rendering -------------------------------------------------------------------------------

  override render() {
    const stages = this.stages;
    const diagnostics = this.diagnostics[this.stage];
    return html`
      <div id="monaco-styles"></div>
      <section class="panel">
        <h2>Shader lab</h2>
        <div class="tabs" role="tablist">
          ${stages.map((stage) => html`
            <button role="tab" aria-selected=${stage === this.stage ? 'true' : 'false'} class=${this.edits[stage] !== undefined ? 'edited' : ''}
              title=${this.edits[stage] !== undefined ? 'edited' : 'built-in kernel'} @click=${() => this.selectStage(stage)}>${STAGE_INFO[stage].shortTitle}</button>`)}
        </div>
        <div class="row">
          <button class="primary" @click=${this.verify} ?disabled=${!this.engine || this.running}>${this.running ? 'Verifying…' : 'Verify'}</button>
          <button @click=${this.reset} ?disabled=${this.edits[this.stage] === undefined}>Reset to built-in</button>
          <label>Broken examples
            <select aria-label="load a broken example" @change=${this.loadExample}>
              <option value="">load…</option>
              ${stages.map((stage) => {
                const examples = BROKEN_EXAMPLES.filter((e) => e.stage === stage);
                return examples.length ? html`<optgroup label=${STAGE_INFO[stage].shortTitle}>${examples.map((e) => html`<option value=${e.file}>${e.name}</option>`)}</optgroup>` : nothing;
              })}
            </select>
          </label>
          ${this.progress ? html`<span class="muted">case ${this.progress.done} of ${this.progress.total}</span>` : nothing}
          ${this.engine ? nothing : html`<span class="muted">no GPU: kernels cannot run</span>`}
        </div>
        ${this.loadedExample?.stage === this.stage && this.edits[this.stage] === this.loadedExample.source
          ? html`<p class="example-note"><strong>${this.loadedExample.name}.</strong> ${this.loadedExample.description}</p>` : nothing}
        ${this.renderEditor()}
        ${this.renderDiagnostics(diagnostics)}
        ${this.renderReport()}
      </section>
    `;
  }

  private renderEditor() {
    if (this.editorStatus === 'failed') {
      return html`
        <p class="muted">The code editor could not load (${this.editorError}); editing as plain text.</p>
        <textarea class="fallback" aria-label="kernel source" spellcheck="false" .value=${this.source()} @input=${this.onFallbackInput}></textarea>`;
    }
    // Monaco owns the host's children: no Lit content inside it.
    return html`
      ${this.editorStatus === 'loading' ? html`<p class="muted">Loading the editor…</p>` : nothing}
      <div id="editor" aria-label="kernel source"></div>`;
  }

  private renderDiagnostics(d: Diagnostics | undefined) {
    if (!d) return nothing;
    const shown = d.messages.filter((m) => m.type !== 'info');
    if (shown.length === 0 && d.problems.length === 0) {
      return d.checking ? html`<p class="muted">compiling…</p>` : html`<p class="ok">compiles and fits the ${this.stage} interface</p>`;
    }
    return html`
      <ul class="messages" aria-label="compile messages">
        ${shown.map((m) => html`<li class=${m.type}><a @click=${() => this.reveal(m)}>${m.line}:${m.column}</a> ${m.type}: ${m.message}</li>`)}
        ${d.problems.map((p) => html`<li class="error">interface: ${p}</li>`)}
      </ul>`;
  }

  private renderReport() {
    if (this.runError) return html`<p class="verdict fail" role="alert">${this.runError}</p>`;
    const report = this.report;
    const cases = report?.cases ?? this.liveCases;
    if (!report && cases.length === 0) return nothing;
    const needsDevice = report?.status === 'device-lost' || report?.status === 'timeout';
    return html`
      ${report ? html`<p class="verdict ${report.status === 'pass' ? 'pass' : 'fail'}" role="status">${this.verdict(report)}</p>` : nothing}
      ${needsDevice ? html`<p class="muted">A kernel that hung or crashed can leave the GPU unusable.
        <button @click=${() => this.dispatchEvent(new CommandEvent('reconnect'))}>Reconnect the GPU</button></p>` : nothing}
      ${report?.status === 'interface-error' ? html`<ul class="messages">${report.interfaceProblems.map((p) => html`<li class="error">${p}</li>`)}</ul>` : nothing}
      ${report?.hints.map((h) => html`<div class="hint" data-hint=${h.id}><strong>${h.title}</strong>${h.detail}</div>`) ?? nothing}
      ${report?.warnings.map((w) => html`<div class="warning-note">${w}</div>`) ?? nothing}
      ${cases.length ? html`
        <div class="table">
          <table aria-label="verification report">
            <thead><tr>${REPORT_COLUMNS.map((c) => html`<th>${c}</th>`)}</tr></thead>
            <tbody>${cases.map((c) => {
              const cells = reportCells(c);
              return html`<tr class=${c.status} title=${`seed ${c.case.seed}`}>${cells.map((cell, i) => html`<td class=${i === cells.length - 1 ? 'hint-cell' : ''}>${cell}</td>`)}</tr>`;
            })}</tbody>
          </table>
        </div>` : nothing}
    `;
  }

  private verdict(report: VerifyReport): string {
    if (report.status === 'compile-error') return `does not compile: ${compileErrorLines(report.compileMessages).join('; ')}`;
    if (report.status === 'interface-error') return 'does not fit the kernel interface';
    return reportSummary(report);
  }
}

/** A style element's CSS, including rules added through the CSSOM (which textContent misses). */
function styleText(style: HTMLStyleElement): string {
  try {
    const rules = style.sheet?.cssRules;
    if (rules && rules.length) return Array.from(rules, (r) => r.cssText).join('\n');
  } catch {
    // A cross-origin sheet cannot be read; its text is all there is.
  }
  return style.textContent ?? '';
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-shader-lab': AttnShaderLab;
  }
  interface HTMLElementEventMap {
    'kernels-changed': KernelsChangedEvent;
  }
}
