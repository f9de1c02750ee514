/**
 * <attn-code-editor>: a WGSL code editor (Monaco) that works inside shadow DOM. Several documents,
 * one shown at a time (`document`); each keeps its own Monaco model and with it its own undo
 * history. `value` is the shown document's text: setting it from outside replaces the text as one
 * undoable edit, and typing sends a CodeChangeEvent. `diagnostics` become markers on the shown
 * document. Monaco is imported on first use (its own chunk), its worker through Vite's `?worker`;
 * the CSS it puts in document.head is mirrored into this shadow root. When Monaco cannot load, a
 * plain textarea stands in. Everything connectedCallback creates, disconnectedCallback disposes.
 */
import { LitElement, css, html, nothing } from 'lit';
import type { PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type * as MonacoApi from 'monaco-editor/editor';
import type { ShaderMessage } from '../core/errors';
import { CodeChangeEvent } from './events';
import { HeadStyleMirror } from './head-style-mirror';
import type { Theme } from './theme';
import { currentTheme, ThemeController } from './theme';

/** Monaco's theme for the page's theme (Monaco has one theme for all its editors). */
const MONACO_THEMES: Record<Theme, string> = { light: 'vs', dark: 'attn-dark' };

/** vs-dark with comments light enough to read (its #608b4e is 4.2:1 on its background; this is 6:1). */
function defineMonacoThemes(monaco: Monaco): void {
  monaco.editor.defineTheme('attn-dark', {
    base: 'vs-dark',
    inherit: true,
    rules: [{ token: 'comment', foreground: '7ca668' }],
    colors: {},
  });
}

type Monaco = typeof MonacoApi;
type Model = MonacoApi.editor.ITextModel;

export interface EditorMarker {
  severity: 'error' | 'warning' | 'info' | 'hint';
  message: string;
  line: number;
  column: number;
}

let monacoModule: Promise<Monaco> | null = null;

/** Monaco with only the parts a WGSL editor needs, loaded once, on first use. */
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
    defineMonacoThemes(monaco);
    return monaco;
  })();
  monacoModule.catch(() => (monacoModule = null));
  return monacoModule;
}

let instances = 0;

@customElement('attn-code-editor')
export class AttnCodeEditor extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    #editor {
      height: 26rem;
      border: 1px solid var(--attn-color-border);
      border-radius: var(--attn-radius-control);
      overflow: hidden;
    }
    textarea.fallback {
      width: 100%;
      height: 26rem;
      box-sizing: border-box;
      font-family: var(--attn-font-mono);
      font-size: 0.8rem;
    }
    .muted {
      color: var(--attn-color-text-muted);
      font-size: 0.78rem;
    }
  `;

  /** Key of the shown document (e.g. a stage name); a new key opens a new document holding `value`. */
  @property() document = 'main';
  /** The shown document's text. */
  @property() value = '';
  /** Monaco language id. */
  @property() language = 'wgsl';
  /** Accessible name of the editing area. */
  @property() label = 'code';
  /** Compiler messages to mark in the shown document. */
  @property({ attribute: false }) diagnostics: readonly ShaderMessage[] = [];

  @state() private status: 'loading' | 'ready' | 'failed' = 'loading';
  @state() private loadError = '';

  @query('#editor') private host!: HTMLDivElement | null;
  @query('#monaco-styles') private styleHost!: HTMLDivElement | null;

  private readonly uriBase = `inmemory://attn-code-editor/${++instances}`;
  private monaco: Monaco | null = null;
  private editor: MonacoApi.editor.IStandaloneCodeEditor | null = null;
  private readonly models = new Map<string, Model>();
  private readonly disposables: { dispose(): void }[] = [];
  /** Monaco's CSS, which it puts in document.head, copied into this shadow root. */
  private readonly headStyles = new HeadStyleMirror(this, () => this.styleHost);
  /** Monaco follows the page's theme. */
  protected readonly themeWatch = new ThemeController(this, (theme) => this.monaco?.editor.setTheme(MONACO_THEMES[theme]));
  /** True while this element writes a model, so the change is not reported as typing. */
  private settingValue = false;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.createEditor();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const d of this.disposables.splice(0)) d.dispose();
    for (const model of this.models.values()) model.dispose();
    this.models.clear();
    this.editor?.dispose();
    this.editor = null;
    this.status = 'loading';
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (!this.editor) return;
    if (changed.has('document')) {
      this.editor.setModel(this.model(this.document));
      requestAnimationFrame(this.headStyles.sync);
    }
    if (changed.has('document') || changed.has('value')) this.setModelValue(this.model(this.document), this.value);
    if (changed.has('document') || changed.has('diagnostics')) this.showDiagnostics();
  }

  /** The markers Monaco holds for the shown document (a headless browser cannot hover to read them). */
  readMarkers(): EditorMarker[] {
    const monaco = this.monaco;
    const model = this.models.get(this.document);
    if (!monaco || !model) return [];
    const level = monaco.MarkerSeverity;
    return monaco.editor.getModelMarkers({ resource: model.uri }).map((m) => ({
      severity:
        m.severity === level.Error ? 'error' : m.severity === level.Warning ? 'warning' : m.severity === level.Info ? 'info' : 'hint',
      message: m.message,
      line: m.startLineNumber,
      column: m.startColumn,
    }));
  }

  /** Scrolls to a position and puts the cursor there. */
  reveal(line: number, column: number): void {
    if (!this.editor || line < 1) return;
    this.editor.revealLineInCenter(line);
    this.editor.setPosition({ lineNumber: line, column: Math.max(column, 1) });
    this.editor.focus();
  }

  private async createEditor(): Promise<void> {
    try {
      const monaco = await loadMonaco();
      await this.updateComplete;
      if (!this.isConnected || !this.host || this.editor) return;
      this.monaco = monaco;
      this.headStyles.start();
      this.editor = monaco.editor.create(this.host, {
        model: this.model(this.document),
        automaticLayout: true,
        minimap: { enabled: false },
        scrollBeyondLastLine: false,
        fontSize: 13,
        tabSize: 2,
        renderWhitespace: 'none',
        theme: MONACO_THEMES[currentTheme()],
      });
      this.disposables.push(this.editor.onDidChangeModelContent(this.onEditorChange));
      this.showDiagnostics();
      this.status = 'ready';
    } catch (error) {
      this.status = 'failed';
      this.loadError = (error as Error).message ?? String(error);
    }
  }

  private model(key: string): Model {
    let model = this.models.get(key);
    if (!model) {
      const monaco = this.monaco!;
      model = monaco.editor.createModel(this.value, this.language, monaco.Uri.parse(`${this.uriBase}/${encodeURIComponent(key)}`));
      this.models.set(key, model);
    }
    return model;
  }

  private setModelValue(model: Model, value: string): void {
    if (model.getValue() === value) return;
    this.settingValue = true;
    try {
      // pushEditOperations keeps the change undoable, unlike setValue.
      model.pushEditOperations([], [{ range: model.getFullModelRange(), text: value }], () => null);
    } finally {
      this.settingValue = false;
    }
  }

  private showDiagnostics(): void {
    const monaco = this.monaco;
    const model = this.models.get(this.document);
    if (!monaco || !model) return;
    const severity = { error: monaco.MarkerSeverity.Error, warning: monaco.MarkerSeverity.Warning, info: monaco.MarkerSeverity.Info };
    monaco.editor.setModelMarkers(
      model,
      this.language,
      this.diagnostics.map((m) => {
        const line = Math.min(Math.max(m.line, 1), model.getLineCount());
        const column = Math.max(m.column, 1);
        const end = m.length > 0 ? model.getPositionAt(m.offset + m.length) : { lineNumber: line, column: column + 1 };
        return {
          severity: severity[m.type],
          message: m.message,
          startLineNumber: line,
          startColumn: column,
          endLineNumber: end.lineNumber,
          endColumn: end.column,
        };
      }),
    );
    requestAnimationFrame(this.headStyles.sync);
  }

  private onEditorChange = () => {
    const model = this.editor?.getModel();
    const key = [...this.models].find(([, m]) => m === model)?.[0];
    if (!model || key === undefined || this.settingValue) return;
    this.dispatchEvent(new CodeChangeEvent(key, model.getValue()));
  };

  private onFallbackInput = (event: Event) => {
    this.dispatchEvent(new CodeChangeEvent(this.document, (event.target as HTMLTextAreaElement).value));
  };

  override render() {
    if (this.status === 'failed') {
      return html` <p class="muted">The code editor could not load (${this.loadError}); editing as plain text.</p>
        <textarea
          class="fallback"
          aria-label=${this.label}
          spellcheck="false"
          .value=${this.value}
          @input=${this.onFallbackInput}
        ></textarea>`;
    }
    // Monaco owns the host's children: no Lit content inside it.
    return html` <div id="monaco-styles"></div>
      ${this.status === 'loading' ? html`<p class="muted">Loading the editor…</p>` : nothing}
      <div id="editor" aria-label=${this.label}></div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-code-editor': AttnCodeEditor;
  }
}
