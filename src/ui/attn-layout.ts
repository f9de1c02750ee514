/**
 * <attn-layout>: the playground's layout. It renders what the coordinator (<attn-app>) gives it —
 * the header with the example picker and the run controls (<attn-header>), the adapter banner, the
 * notices (<attn-notices>), the inputs (<attn-problem-editor>) and the outputs with their verdict
 * (<attn-verdict>) and tabs — and speaks only through the typed events of events.ts. The Shader lab and Profiler tabs load their own chunks when first shown.
 * Landmarks for screen readers: the header (banner, with a skip link to the results), an Inputs
 * region and the main Results; one column on narrow screens.
 */
import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { joinSentences } from '../core/errors';
import type { Preset } from '../core/presets';
import type { KernelTrials } from '../core/kernel-safety';
import { builtInStandIns, kernelsTried, kernelsWithheld } from '../core/kernel-safety';
import type { PlaygroundState, ViewTab } from '../core/state';
import { defaultState } from '../core/state';
import type { EmbeddingsStatus } from './attn-sentence-panel';
import { downloadMatrix } from './download';
import { NoticeEvent, StateEditEvent } from './events';
import type { GpuStatus } from './gpu-session';
import type { Notice } from './notice-controller';
import { PRESETS } from './presets';
import type { ModelView } from './model-controller';
import type { MemoryView } from './memory-controller';
import './attn-memory-view';
import { modelHeadOutcome, shownModelHead } from './model-head-outcome';
import type { RunProgress } from './run-controller';
import type { RunOutcome } from './run-types';
import { buttonStyles, srOnlyStyles, tabStyles } from './styles';
import { onTablistKeydown, tabIndexFor } from './tab-keys';
import './attn-adapter-panel';
import './attn-compare-panel';
import './attn-header';
import './attn-model-view';
import './attn-mlp-result';
import './attn-notices';
import './attn-problem-editor';
import './attn-stage-view';
import './attn-verdict';

const OUTPUT_TABS: [ViewTab, string][] = [
  ['attention', 'Attention'],
  ['compare', 'GPU vs CPU'],
  ['lab', 'Shader lab'],
  ['profiler', 'Profiler'],
];
/** Tabs whose element lives in its own chunk, loaded on first show (a click, a link, undo). */
const LAZY_TABS: Partial<Record<ViewTab, { load: () => Promise<unknown>; name: string }>> = {
  lab: { load: () => import('./attn-shader-lab'), name: 'shader lab' },
  profiler: { load: () => import('./attn-profiler'), name: 'profiler' },
};

@customElement('attn-layout')
export class AttnLayout extends LitElement {
  static override styles = [
    buttonStyles,
    tabStyles,
    srOnlyStyles,
    css`
      :host {
        display: block;
        max-width: 1560px;
        margin: 0 auto;
        padding: var(--attn-space-5) 1.1rem 2rem;
        box-sizing: border-box;
      }
      .layout {
        display: grid;
        grid-template-columns: minmax(320px, 420px) minmax(0, 1fr);
        gap: var(--attn-space-6);
        margin-top: 0.6rem;
        align-items: start;
      }
      /* Phones and narrow windows: one column; each box scrolls its own wide content, never the page. */
      @media (max-width: 900px) {
        .layout {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      @media (max-width: 480px) {
        :host {
          padding: var(--attn-space-3) var(--attn-space-3) 1.5rem;
        }
      }
      .inputs,
      main {
        min-width: 0;
      }
      main:focus {
        outline: none;
      }
      /* Out of sight until focused: the first Tab on the page offers it. */
      .skip-link {
        font: inherit;
        position: absolute;
        left: var(--attn-space-3);
        top: -3rem;
        z-index: 10;
        padding: var(--attn-space-2) var(--attn-space-4);
        background: var(--attn-color-surface);
        color: var(--attn-color-accent-strong);
        border: 2px solid var(--attn-color-focus-ring);
        border-radius: var(--attn-radius-control);
      }
      .skip-link:focus {
        top: var(--attn-space-3);
      }
      .problem {
        padding: var(--attn-space-3) 0.75rem;
        border-radius: var(--attn-radius-card);
        background: var(--attn-color-danger-bg);
        border: 1px solid var(--attn-color-danger-border);
        font-size: 0.85rem;
        margin-bottom: 0.6rem;
      }
      .notes {
        font-size: 0.84rem;
        background: var(--attn-color-note-bg);
        border: 1px solid var(--attn-color-note-border);
        border-radius: var(--attn-radius-card);
        padding: var(--attn-space-3) 0.75rem;
        margin-bottom: var(--attn-space-4);
        line-height: 1.45;
      }
      .stale {
        opacity: 0.45;
        pointer-events: none;
      }
      .muted {
        color: var(--attn-color-text-muted);
        font-size: 0.8rem;
      }
    `,
  ];

  @property({ attribute: false }) state: PlaygroundState = defaultState();
  /** The last finished run (null before the first). */
  @property({ attribute: false }) outcome: RunOutcome | null = null;
  /** Why the current state cannot run; the last good result stays, dimmed. */
  @property({ attribute: false }) problemError: string | null = null;
  @property({ type: Boolean }) running = false;
  /** Rows of a big problem the GPU has finished, while it runs in blocks. */
  @property({ attribute: false }) progress: RunProgress | null = null;
  @property({ attribute: false }) gpuStatus: GpuStatus = { kind: 'connecting' };
  @property({ attribute: false }) notices: readonly Notice[] = [];
  /** Errors the current one replaced (behind a disclosure in <attn-notices>). */
  @property({ attribute: false }) earlierNotices: readonly Notice[] = [];
  /** Whether the word vectors for sentence mode are loaded: idle, loading, ready or failed. */
  @property() embeddings: EmbeddingsStatus = 'idle';
  @property({ type: Boolean, attribute: 'can-undo' }) canUndo = false;
  @property({ type: Boolean, attribute: 'can-redo' }) canRedo = false;
  /** Where each edited kernel's trial stands (kernel-staging.ts). */
  @property({ attribute: false }) kernelTrials: KernelTrials = {};
  /** The edited kernels runs use: those that passed their trial (null: built-in only). */
  @property({ attribute: false }) kernelsInUse: Readonly<Record<string, string>> | null = null;
  /** Model mode's model and last step. */
  @property({ attribute: false }) model: ModelView | null = null;
  /** Memory mode's last run. */
  @property({ attribute: false }) memory: MemoryView | null = null;

  /** Lazy tabs whose chunk has loaded. */
  @state() private loaded: ReadonlySet<ViewTab> = new Set();
  private readonly loading = new Set<ViewTab>();

  protected override willUpdate(): void {
    void this.loadTab(this.state.view.tab);
  }

  private async loadTab(tab: ViewTab): Promise<void> {
    const lazy = LAZY_TABS[tab];
    if (!lazy || this.loaded.has(tab) || this.loading.has(tab)) return;
    this.loading.add(tab);
    try {
      await lazy.load();
      this.loaded = new Set([...this.loaded, tab]);
    } catch (error) {
      this.dispatchEvent(new NoticeEvent('error', `The ${lazy.name} could not be loaded: ${(error as Error).message}`));
    } finally {
      this.loading.delete(tab);
    }
  }

  /** The state's example; a preset's text describes its own mode, so after a switch to the other mode it has none. */
  private get preset(): Preset | undefined {
    return PRESETS.find((p) => p.id === this.state.presetId && p.mode === this.state.mode);
  }

  private headMemo: { outcome: unknown; layer: number; head: number; result: RunOutcome | null } | null = null;

  /** Model mode's shown head (shownModelHead) as an ordinary run, computed once per step and selection. */
  private get modelHead(): RunOutcome | null {
    const o = this.model?.outcome ?? null;
    const shown = shownModelHead(o, this.state.model);
    if (!o || !shown) return null;
    const { layer, head } = shown;
    const m = this.headMemo;
    if (m && m.outcome === o && m.layer === layer && m.head === head) return m.result;
    const result = modelHeadOutcome(o, layer, head);
    this.headMemo = { outcome: o, layer, head, result };
    return result;
  }

  private setTab(tab: ViewTab): void {
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, view: { ...s.view, tab } }), null, false));
  }

  /**
   * The skip link: its target lives in this shadow root, where a fragment link (#results) cannot
   * reach, so it is a button that moves the focus.
   */
  private skipToResults = () => {
    const results = this.renderRoot.querySelector<HTMLElement>('#results');
    results?.focus();
    results?.scrollIntoView();
  };

  override render() {
    return html`
      <header>
        <button class="skip-link" id="skip-link" @click=${this.skipToResults}>Skip to the results</button>
        <attn-header
          .state=${this.state}
          .runId=${this.outcome?.id ?? null}
          ?running=${this.running}
          .progress=${this.progress}
          ?can-undo=${this.canUndo}
          ?can-redo=${this.canRedo}
        ></attn-header>
        <attn-adapter-panel .status=${this.gpuStatus}></attn-adapter-panel>
        <attn-notices .notices=${this.notices} .earlier=${this.earlierNotices}></attn-notices>
      </header>
      <div class="layout">
        <section class="inputs" aria-labelledby="inputs-title">
          <h2 id="inputs-title" class="sr-only">Inputs</h2>
          <attn-problem-editor
            .state=${this.state}
            .problem=${this.outcome?.full ?? null}
            embeddings=${this.embeddings}
            ?gpu-available=${this.gpuStatus.kind === 'ready'}
            .modelView=${this.model}
          ></attn-problem-editor>
        </section>
        <main id="results" tabindex="-1" aria-labelledby="results-title">
          <h2 id="results-title" class="sr-only">Results</h2>
          ${this.renderOutputs(this.preset?.notes)}
        </main>
      </div>
    `;
  }

  private renderOutputs(notes: string | undefined) {
    const { state: s, outcome: o } = this;
    // Memory mode has its own results (hops, answer, per-hop check): no kernel tabs.
    if (s.mode === 'memory') return html`<attn-memory-view .view=${this.memory}></attn-memory-view>`;
    const model = s.mode === 'model';
    const problemError = model ? null : this.problemError;
    return html`
      ${problemError ? html`<div class="problem" role="alert" id="problem-error"><strong>Not run:</strong> ${joinSentences(problemError, o && 'The results below are from the last valid input.')}</div>` : nothing}
      ${
        model
          ? nothing
          : html`${notes ? html`<div class="notes">${notes}</div>` : nothing} ${o?.problem.sample ? this.renderSampleNote(o) : nothing}
              <attn-verdict .outcome=${o} .kernels=${this.kernelsInUse} ?running=${this.running}></attn-verdict>
              ${s.mode === 'mlp' ? html`<attn-mlp-result .outcome=${o}></attn-mlp-result>` : nothing} ${this.renderStandIns()}`
      }
      <div class="tabs" role="tablist" aria-label="output view" @keydown=${onTablistKeydown}>
        ${OUTPUT_TABS.map(
          ([tab, title]) =>
            html`<button
              role="tab"
              id="tab-${tab}"
              aria-selected=${s.view.tab === tab ? 'true' : 'false'}
              tabindex=${tabIndexFor(s.view.tab === tab)}
              aria-controls="output-panel"
              @click=${() => this.setTab(tab)}
            >
              ${model && tab === 'attention' ? 'Model' : model && tab === 'compare' ? 'GPU vs CPU (selected head)' : title}
            </button>`,
        )}
      </div>
      <div role="tabpanel" id="output-panel" aria-labelledby="tab-${s.view.tab}">
        <div class=${problemError && s.view.tab !== 'profiler' ? 'stale' : ''}>${model ? this.renderModelTab() : this.renderTab(o)}</div>
        ${this.renderLazyTabs(!!problemError)}
      </div>
    `;
  }

  private renderModelTab() {
    switch (this.state.view.tab) {
      case 'attention':
        return html`<attn-model-view .view=${this.model} .state=${this.state} .headOutcome=${this.modelHead}></attn-model-view>`;
      case 'compare':
        return html`<attn-compare-panel .outcome=${this.modelHead} head="0"></attn-compare-panel>`;
      default:
        return this.renderTab(this.outcome);
    }
  }

  /** What a big problem's results cover, and the GPU's whole output for download. */
  private renderSampleNote(o: RunOutcome) {
    const { n, m } = o.full.shape;
    const rows = o.problem.sample!.rows.length;
    const seconds = o.gpuMs !== null ? ` in ${(o.gpuMs / 1000).toFixed(1)} s` : '';
    return html`<div class="notes" id="sample-note">
      <strong>${n.toLocaleString('en')} queries × ${m.toLocaleString('en')} keys.</strong>
      ${o.fullOutput ? html`The GPU computed every query row${seconds}, in blocks (output only: no n×m score matrix is read back).` : nothing}
      The float64 reference, the GPU-vs-CPU check and the maps cover ${rows}
      ${o.problem.sample!.rows[0] === n - rows ? 'consecutive query rows, the last ones (RoPE and ALiBi depend on where a row sits),' : 'evenly spaced query rows'}
      (${o.problem.queryLabels.slice(0, 3).join(', ')}, … ${o.problem.queryLabels[rows - 1]}) against all ${m.toLocaleString('en')} keys.
      ${o.fullOutput ? html`<button @click=${() => this.downloadFull(o, 'output')} title="The GPU's whole output as .npy">Download the whole output (.npy)</button>` : nothing}
      ${o.fullProjected ? html`<button @click=${() => this.downloadFull(o, 'projected')} title="The GPU's whole projected output as .npy">… and output · W_o</button>` : nothing}
    </div>`;
  }

  private downloadFull(o: RunOutcome, what: 'output' | 'projected'): void {
    const data = what === 'output' ? o.fullOutput : o.fullProjected;
    const cols = what === 'output' ? o.full.inputs.v.cols : (o.full.inputs.wo?.cols ?? 0);
    if (data) downloadMatrix({ rows: o.full.shape.n, cols, data }, `${this.state.presetId ?? 'attention'}-${what}`, 'npy');
  }

  private renderTab(o: RunOutcome | null) {
    const s = this.state;
    switch (s.view.tab) {
      case 'attention':
        return o
          ? html`<attn-stage-view
              .problem=${o.problem}
              .reference=${o.reference}
              .gpu=${o.gpu}
              head=${s.view.head}
              focus-row=${s.view.focusQuery}
              file-base=${s.presetId ?? 'attention'}
            ></attn-stage-view>`
          : nothing;
      case 'compare':
        return html`<attn-compare-panel .outcome=${o} head=${s.view.head}></attn-compare-panel>`;
      case 'lab':
        return this.loaded.has('lab') ? nothing : html`<p class="muted">Loading the shader lab…</p>`;
      case 'profiler':
        return this.loaded.has('profiler') ? nothing : html`<p class="muted">Loading the profiler…</p>`;
    }
  }

  /**
   * Once loaded, the shader lab and the profiler stay mounted (hidden on other tabs), so a
   * verification or a sweep keeps running, and the editor's tabs, undo history and results stay,
   * while the user looks at something else.
   */
  private renderLazyTabs(stale: boolean) {
    const tab = this.state.view.tab;
    const summary = this.gpuStatus.kind === 'ready' || this.gpuStatus.kind === 'lost' ? this.gpuStatus.summary : null;
    return html` ${
      this.loaded.has('lab')
        ? html`<div id="lab-panel" class=${stale ? 'stale' : ''} ?hidden=${tab !== 'lab'}>
            <attn-shader-lab
              .engine=${this.engine}
              .kernels=${this.state.kernels}
              .trials=${this.kernelTrials}
              .held=${this.state.heldKernels}
              .openStage=${this.state.view.labStage ?? null}
              score=${this.state.options.score}
              activation=${this.outcome?.full.options.activation ?? 'softmax'}
            ></attn-shader-lab>
          </div>`
        : nothing
    }
    ${
      this.loaded.has('profiler')
        ? html`<div id="profiler-panel" ?hidden=${tab !== 'profiler'}>
            <attn-profiler
              .engine=${this.engine}
              .adapter=${summary}
              .gpuStatus=${this.gpuStatus}
              .kernels=${kernelsTried(this.state.kernels, this.state.heldKernels, this.kernelTrials)}
              .withheld=${kernelsWithheld(this.state.kernels, this.state.heldKernels, this.kernelTrials)}
              .options=${this.state.options}
              .form=${this.state.view.profile ?? null}
            ></attn-profiler>
          </div>`
        : nothing
    }`;
  }

  /** Which edited kernels the run above did not use, and why (checking, failed, held). */
  private renderStandIns() {
    const s = this.state;
    const standIns = builtInStandIns(s.kernels, s.heldKernels, this.kernelTrials);
    return standIns
      ? html`<div class="notes" id="kernel-stand-ins">Built-in kernel in use instead of your edited ${standIns}: see the Shader lab.</div>`
      : nothing;
  }

  private get engine() {
    return this.gpuStatus.kind === 'ready' ? this.gpuStatus.engine : null;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-layout': AttnLayout;
  }
}
