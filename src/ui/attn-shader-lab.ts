/**
 * <attn-shader-lab>: edit a stage's WGSL (<attn-code-editor>), see compile errors in place, and
 * verify the kernel against the float64 reference with the suite of src/gpu/verify-suite.ts
 * (<attn-verify-report>).
 *
 * One tab per verifiable stage, starting from the built-in kernel. Edits compile on a debounce:
 * compiler messages become markers, interface mismatches and pipeline errors are listed in words.
 * The edited kernels belong to the page's state: they arrive as `kernels` and every edit goes back
 * up, after a short pause, as a KernelEditEvent (so they are saved, shared in links and undone with
 * the rest); the lab keeps only the draft typed since.
 *
 * The playground uses an edited kernel only after its trial (kernel-staging.ts): the lab says where
 * the current stage's kernel stands, and for a held one (it timed out or lost the device) offers
 * "Use my kernel again"; Verify stays off for a held kernel, which could hang the GPU, and for one still on trial.
 * Verify's GPU runs of an edited kernel are on the page's write-ahead record (GpuRunEvent), and a
 * kernel that times out there (or loses the device) is held and the device replaced (GpuTimeoutEvent).
 */
import type { Activation } from '../core/options';
import { LitElement, html, nothing } from 'lit';
import type { PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import type { ShaderMessage } from '../core/errors';
import { MAX_KERNEL_CHARS, textLengthProblem } from '../core/state';
import type { StageName } from '../core/stages';
import { STAGE_INFO } from '../core/stages';
import type { AttentionEngine } from '../gpu/engine';
import { diagnoseKernel } from '../gpu/kernels';
import { stageShaderFile } from '../gpu/variants';
import type { ScoreFunction } from '../core/options';
import type { RecordedRun } from '../gpu/verify-suite';
import { variantFor, verifiableStages } from '../gpu/verify-suite';
import type { AttnCodeEditor, EditorMarker } from './attn-code-editor';
import type { BrokenExample } from './broken-examples';
import { BROKEN_EXAMPLES } from './broken-examples';
import type { CodeChangeEvent } from './events';
import { GpuTimeoutEvent, KernelEditEvent, KernelReleaseEvent, NoticeEvent, recordedRun, StateEditEvent } from './events';
import type { KernelTrials } from '../core/kernel-safety';
import { DEVICE_BEING_REPLACED, formatLimit, kernelTried } from '../core/kernel-safety';
import type { VerifyReport } from '../core/verify/report';
import { reportSummary, verifyLeftDevice } from '../core/verify/report';
import { SHADERS } from './shader-library';
import { shaderLabStyles } from './shader-lab-styles';
import { buttonStyles, messageListStyles, panelStyles } from './styles';
import { onTablistKeydown, tabIndexFor } from './tab-keys';
import { VerificationController } from './verification-controller';
import './attn-code-editor';
import './attn-verify-report';

type StageKernels = Partial<Record<StageName, string>>;

const COMPILE_DEBOUNCE_MS = 350;

interface Diagnostics {
  messages: ShaderMessage[];
  /** Interface mismatches and pipeline-creation errors, in words. */
  problems: string[];
  checking: boolean;
}

@customElement('attn-shader-lab')
export class AttnShaderLab extends LitElement {
  static override styles = [buttonStyles, panelStyles, messageListStyles, shaderLabStyles];

  /** The engine that compiles and runs the kernels; null while no GPU is available. */
  @property({ attribute: false }) engine: AttentionEngine | null = null;
  /** The device compile diagnostics use (defaults to the engine's). */
  @property({ attribute: false }) device: GPUDevice | null = null;
  /** The page state's edited kernels by stage (null: none). */
  @property({ attribute: false }) kernels: Readonly<Record<string, string>> | null = null;
  /** The runs' activation: with ReLU or GELU the softmax tab starts from the elementwise kernel the runs use. */
  @property() activation: Activation = 'softmax';
  /** Where each edited kernel's trial stands (from the page's kernel staging). */
  @property({ attribute: false }) trials: KernelTrials = {};
  /** Stages whose edited kernel is held (the state's heldKernels). */
  @property({ attribute: false }) held: readonly string[] = [];
  /** The page's score function: the QKᵀ tab shows (and resets to) its kernel (qk_general.wgsl, qk_additive.wgsl). */
  @property() score: ScoreFunction = 'dot';
  /** Per-run time limit of the verification, in milliseconds. */
  @property({ type: Number, attribute: 'time-limit' }) timeLimit = 10_000;
  /** The stage tab the page's view names (view.labStage, restored from a link or a reload); null: the first. */
  @property({ attribute: false }) openStage: StageName | null = null;

  // QKᵀ first: RoPE, which runs before it, is a tab of its own but not where the lab opens.
  @state() private stage: StageName = verifiableStages().includes('qk') ? 'qk' : (verifiableStages()[0] ?? 'qk');
  /** The edited kernels: the state's, plus what was typed since the last KernelEditEvent. */
  @state() private edits: StageKernels = {};
  @state() private diagnostics: Partial<Record<StageName, Diagnostics>> = {};
  @state() private loadedExample: BrokenExample | null = null;

  @query('attn-code-editor') private codeEditor!: AttnCodeEditor | null;

  private compileTimer: ReturnType<typeof setTimeout> | undefined;
  private announceTimer: ReturnType<typeof setTimeout> | undefined;
  /** The edits last sent up or received (JSON), so nothing is announced twice. */
  private announced = '{}';
  /** The stage whose kernel the user was told is too long to save ('' when none). */
  private toldTooLong = '';
  private checkToken = 0;
  private readonly verification = new VerificationController(this);

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.compileTimer);
    this.announce();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('kernels') || changed.has('score')) this.applyKernels(this.kernels ?? {});
    if (changed.has('engine') || changed.has('device')) this.scheduleCheck(0);
    const open = this.openStage;
    if (changed.has('openStage') && open && open !== this.stage && verifiableStages().includes(open)) {
      this.stage = open;
      this.scheduleCheck(0);
    }
  }

  /** The built-in kernel of a stage, from the engine (or the bundled library while there is none). */
  builtIn(stage: StageName): string {
    const variant = variantFor(stage);
    if (!variant) return '';
    const choice = { score: this.score, activation: this.activation };
    if (this.engine) return this.engine.source(variant, stage, {}, choice);
    const file = stageShaderFile(variant, stage, choice);
    return file ? (SHADERS[file] ?? '') : '';
  }

  /** The source a stage's tab holds now. */
  source(stage: StageName = this.stage): string {
    return this.edits[stage] ?? this.builtIn(stage);
  }

  /** The markers the editor shows for the current stage (for tests: a headless browser cannot hover). */
  get markers(): EditorMarker[] {
    return this.codeEditor?.readMarkers() ?? [];
  }

  /** Kernels from the state (a link, undo): they replace the draft. */
  private applyKernels(kernels: Readonly<Record<string, string>>): void {
    const next: StageKernels = {};
    for (const stage of verifiableStages())
      if (typeof kernels[stage] === 'string' && kernels[stage] !== this.builtIn(stage)) next[stage] = kernels[stage];
    const json = JSON.stringify(next);
    // The state echoing what this lab sent: the drafts (newer typing, a kernel too long to apply) stay.
    if (json === this.announced) return;
    this.announced = json;
    if (json === JSON.stringify(this.edits)) return;
    clearTimeout(this.announceTimer);
    this.edits = next;
    this.scheduleCheck(0);
  }

  /** Any edit: outdated verification stops, the kernel is recompiled and sent up after a pause. */
  private edited(stage: StageName, source: string): void {
    const edits = { ...this.edits };
    if (source === this.builtIn(stage)) delete edits[stage];
    else edits[stage] = source;
    this.edits = edits;
    this.verification.cancel();
    this.verification.forget(stage);
    this.scheduleCheck(COMPILE_DEBOUNCE_MS);
    clearTimeout(this.announceTimer);
    this.announceTimer = setTimeout(() => this.announce(), COMPILE_DEBOUNCE_MS);
  }

  /**
   * Sends the edits up to the state, if they changed since last time. A kernel too long for a saved
   * state or a link stays here, in the editor, and is not applied (its stage keeps what the state
   * had); the other stages' edits are applied as usual.
   */
  private announce(): void {
    clearTimeout(this.announceTimer);
    const applied: StageKernels = {};
    let tooLong: [string, string] | null = null;
    for (const [stage, source] of Object.entries(this.edits)) {
      const problem = textLengthProblem(source, MAX_KERNEL_CHARS);
      if (!problem) applied[stage as StageName] = source;
      else {
        tooLong ??= [stage, problem];
        const kept = this.kernels?.[stage];
        if (typeof kept === 'string') applied[stage as StageName] = kept;
      }
    }
    // Said once per stage, not after every pause in typing.
    if (tooLong && this.toldTooLong !== tooLong[0])
      this.dispatchEvent(new NoticeEvent('error', `The ${tooLong[0]} kernel ${tooLong[1]}; it stays in the editor.`));
    this.toldTooLong = tooLong?.[0] ?? '';
    const json = JSON.stringify(applied);
    if (json === this.announced) return;
    this.announced = json;
    this.dispatchEvent(new KernelEditEvent({ ...applied }));
  }

  private onCodeChange = (event: CodeChangeEvent) => {
    event.stopPropagation();
    this.edited(event.document as StageName, event.value);
  };

  private scheduleCheck(delay: number): void {
    clearTimeout(this.compileTimer);
    this.compileTimer = setTimeout(() => void this.check(this.stage), delay);
  }

  /** Diagnoses the stage's current source and shows the result, unless a newer check started. */
  private async check(stage: StageName): Promise<void> {
    const token = ++this.checkToken;
    const target = this.device ?? this.engine ?? null;
    const show = (d: Diagnostics) => (this.diagnostics = { ...this.diagnostics, [stage]: d });
    if (!target) {
      show({ messages: [], problems: ['no GPU device: the kernel cannot be compiled here'], checking: false });
      return;
    }
    show({ ...(this.diagnostics[stage] ?? { messages: [], problems: [] }), checking: true });
    let result: Pick<Diagnostics, 'messages' | 'problems'>;
    try {
      result = await this.diagnose(stage, this.source(stage), target);
    } catch (error) {
      result = { messages: [], problems: [(error as Error).message ?? String(error)] };
    }
    if (token === this.checkToken && this.isConnected) show({ ...result, checking: false });
  }

  /** Compile → interface check → pipeline for one kernel: compiler messages, and problems in words. */
  private async diagnose(
    stage: StageName,
    source: string,
    target: GPUDevice | AttentionEngine,
  ): Promise<Pick<Diagnostics, 'messages' | 'problems'>> {
    const { messages, problems } = await diagnoseKernel(target, stage, source, { label: `Attention.${stage}.lab` });
    return { messages, problems };
  }

  /** Whether the current stage's edited kernel is held (a hold stays through edits until released). */
  private get isHeld(): boolean {
    return this.edits[this.stage] !== undefined && this.held.includes(this.stage);
  }

  /**
   * Whether the current stage's edited kernel is still on trial (being checked on the CPU
   * interpreter, or not yet handed to it): until its verdict, Verify would put a kernel that may
   * never end on the GPU, so it waits. The built-in kernel (no edit) needs no trial.
   */
  private get onTrial(): boolean {
    const edited = this.edits[this.stage];
    return edited !== undefined && !this.isHeld && !kernelTried(this.stage, edited, this.held, this.trials);
  }

  private release = () => this.dispatchEvent(new KernelReleaseEvent(this.stage));

  /** Where the current stage's edited kernel stands with the playground, in one line. */
  private renderStaging() {
    const edited = this.edits[this.stage];
    if (edited === undefined) return nothing;
    const trial = this.trials[this.stage];
    const title = STAGE_INFO[this.stage].shortTitle;
    if (this.isHeld)
      return html`<p class="staging" id="kernel-staging" data-status="held" role="status">
        <strong>Held:</strong>
        ${trial?.status === 'held' && trial.reason ? trial.reason : `this ${title} kernel timed out or lost the GPU device before, so the playground runs the built-in kernel.`}
        <button id="kernel-release" @click=${this.release}>Use my kernel again</button>
      </p>`;
    const current = trial && trial.source === edited && edited === this.kernels?.[this.stage] ? trial : null;
    if (!current || current.status === 'checking')
      return html`<p class="staging" id="kernel-staging" data-status="checking" role="status">
        Checking before the playground uses it${current?.reason ? `: ${current.reason}` : ''}… Until it passes, the playground runs the
        built-in ${title} kernel.
      </p>`;
    if (current.status === 'failed')
      return html`<p class="staging" id="kernel-staging" data-status="failed" role="status">
        Not used by the playground (it runs the built-in ${title} kernel): ${current.reason}. Edit the kernel to try again.
      </p>`;
    if (current.status === 'passed')
      return current.reason
        ? html`<p class="staging" id="kernel-staging" data-status="passed" role="status">
            The playground uses this kernel; ${current.reason}.
          </p>`
        : html`<p class="staging ok" id="kernel-staging" data-status="passed" role="status">
            Passed the quick check: the playground uses this kernel.
          </p>`;
    return nothing;
  }

  private verify = () => {
    const { engine, stage, loadedExample: example } = this;
    if (!engine || this.isHeld || this.onTrial) return;
    const edited = this.edits[stage];
    const label =
      edited === undefined ? 'built-in kernel' : example?.stage === stage && example.source === edited ? example.file : 'edited kernel';
    const source = this.source(stage);
    const kernels = edited === undefined ? null : { [stage]: source };
    const recorded: RecordedRun = (limitMs, run) => recordedRun(this, kernels, limitMs, run);
    void this.verification.run(engine, { stage, source, label, timeLimitMs: this.timeLimit, recorded }).then((report) => {
      if (report?.status === 'compile-error')
        this.diagnostics = { ...this.diagnostics, [stage]: { messages: report.compileMessages, problems: [], checking: false } };
      // A device lost (by a case, or by a smaller case while shrinking a failure) because the page
      // replaced it meanwhile (Reconnect) is not the kernel's doing.
      const left = report ? verifyLeftDevice(report) : null;
      if (left === 'timeout' || (left === 'device-lost' && this.engine === engine)) this.stuck(stage, report!, kernels);
    });
  };

  /**
   * Verify's kernel did not finish (or lost the device): it may still be running, so the page holds
   * an edited kernel and replaces the device (GpuTimeoutEvent), as the staging and the Profiler do.
   */
  private stuck(stage: StageName, report: VerifyReport, kernels: Record<string, string> | null): void {
    const title = STAGE_INFO[stage].shortTitle;
    const whose = kernels ? `Your edited ${title} kernel` : `The built-in ${title} kernel`;
    const at = report.cases.find((c) => c.status === 'timeout')?.name;
    const where =
      report.status === 'timeout'
        ? at
          ? `on the case "${at}"`
          : (report.error ?? reportSummary(report))
        : `on a smaller case, shrinking the failure of "${report.smallest?.from}"`;
    const what =
      report.status === 'device-lost'
        ? 'lost the GPU device in Verify'
        : report.smallest?.deviceLost
          ? `lost the GPU device in Verify (${where})`
          : `did not finish within ${formatLimit(report.timeLimitMs)} in Verify (${where}), so it may still be running on the GPU`;
    const held = kernels
      ? ` It is held: the playground runs the built-in ${title} kernel, your text stays in the Shader lab, and "Use my kernel again" tries it again.`
      : '';
    this.dispatchEvent(new GpuTimeoutEvent(kernels, `${whose} ${what}.${held} ${DEVICE_BEING_REPLACED}`));
  }

  /** Opens a stage's tab; the page's view keeps it (a view edit: no undo step), so a reload or a link opens it again. */
  private selectStage(stage: StageName): void {
    if (stage === this.stage) return;
    this.stage = stage;
    this.scheduleCheck(0);
    this.dispatchEvent(new StateEditEvent((s) => ({ ...s, view: { ...s.view, labStage: stage } }), null, false));
  }

  private loadExample = (event: Event) => {
    const select = event.target as HTMLSelectElement;
    const example = BROKEN_EXAMPLES.find((e) => e.file === select.value);
    select.value = '';
    if (example) void this.showExample(example);
  };

  /** Opens the example's stage, then replaces its text (one edit the editor can undo). */
  private async showExample(example: BrokenExample): Promise<void> {
    this.loadedExample = example;
    this.selectStage(example.stage);
    await this.updateComplete;
    await this.codeEditor?.updateComplete;
    this.edited(example.stage, example.source);
  }

  private reset = () => {
    if (this.loadedExample?.stage === this.stage) this.loadedExample = null;
    this.edited(this.stage, this.builtIn(this.stage));
  };

  override render() {
    const stages = verifiableStages();
    const edited = this.edits[this.stage] !== undefined;
    const example = this.loadedExample;
    const v = this.verification;
    return html`
      <section class="panel">
        <h2>Shader lab</h2>
        <div class="tabs" role="tablist" aria-label="kernel stage" @keydown=${onTablistKeydown}>
          ${stages.map(
            (stage) =>
              html` <button
                role="tab"
                id="stage-tab-${stage}"
                aria-selected=${stage === this.stage ? 'true' : 'false'}
                tabindex=${tabIndexFor(stage === this.stage)}
                aria-controls="stage-panel"
                class=${this.edits[stage] !== undefined ? 'edited' : ''}
                title=${this.edits[stage] !== undefined ? 'edited' : 'built-in kernel'}
                @click=${() => this.selectStage(stage)}
              >
                ${STAGE_INFO[stage].shortTitle}
              </button>`,
          )}
        </div>
        ${
          this.stage === 'qk' && this.score !== 'dot'
            ? html`<p class="muted" id="score-kernel">
                The page scores with the ${this.score} function, so this tab holds its kernel,
                ${stageShaderFile(variantFor('qk') ?? 'tiled', 'qk', { score: this.score })}, not the dot product's.
              </p>`
            : nothing
        }
        <div class="row">
          <button
            class="primary"
            @click=${this.verify}
            ?disabled=${!this.engine || v.running || this.isHeld || this.onTrial}
            title=${
              this.isHeld
                ? 'Held: press "Use my kernel again" first'
                : this.onTrial
                  ? 'Being checked first (compiled, then run on the CPU interpreter: a kernel that never ends must not reach the GPU): Verify is ready when the check ends'
                  : 'Run the verification suite on the GPU'
            }
          >
            ${v.running ? 'Verifying…' : 'Verify'}
          </button>
          <button @click=${this.reset} ?disabled=${!edited}>Reset to built-in</button>
          <label
            >Broken examples
            <select aria-label="load a broken example" @change=${this.loadExample}>
              <option value="">load…</option>
              ${stages.map((stage) => {
                const examples = BROKEN_EXAMPLES.filter((e) => e.stage === stage);
                return examples.length
                  ? html`<optgroup label=${STAGE_INFO[stage].shortTitle}>
                      ${examples.map((e) => html`<option value=${e.file}>${e.name}</option>`)}
                    </optgroup>`
                  : nothing;
              })}
            </select>
          </label>
          ${
            v.shrinking
              ? html`<span class="muted">shrinking the failure: try ${v.shrinking.runs} of at most ${v.shrinking.max}</span>`
              : v.progress
                ? html`<span class="muted">case ${v.progress.done} of ${v.progress.total}</span>`
                : nothing
          }
          ${this.engine ? nothing : html`<span class="muted">no GPU: kernels cannot run</span>`}
        </div>
        ${
          example?.stage === this.stage && this.edits[this.stage] === example.source
            ? html`<p class="example-note"><strong>${example.name}.</strong> ${example.description}</p>`
            : nothing
        }
        <attn-code-editor
          id="stage-panel"
          role="tabpanel"
          aria-labelledby="stage-tab-${this.stage}"
          document=${this.stage}
          .value=${this.source()}
          label="kernel source"
          .diagnostics=${this.diagnostics[this.stage]?.messages ?? []}
          @attn-code-change=${this.onCodeChange}
        ></attn-code-editor>
        ${this.renderDiagnostics(this.diagnostics[this.stage])} ${this.renderStaging()} ${this.renderReport()}
      </section>
    `;
  }

  /**
   * This tab's stage's last verification (another stage's report never shows here). Reports are not
   * saved (one is 50–60 kB of JSON, most of a link): an edited kernel without one says so.
   */
  private renderReport() {
    const shown = this.verification.shown(this.stage);
    const v = this.verification;
    const none = !shown.report && !shown.error && shown.cases.length === 0 && !(v.running && v.stage === this.stage);
    return html`${
        none && this.edits[this.stage] !== undefined
          ? html`<p class="muted" id="verify-none">
              Not verified since the page opened or the kernel last changed: Verify's reports are not kept in the saved state or a link.
            </p>`
          : nothing
      }<attn-verify-report
        .report=${shown.report}
        .cases=${shown.cases}
        .error=${shown.error}
        .source=${shown.source}
      ></attn-verify-report>`;
  }

  private renderDiagnostics(d: Diagnostics | undefined) {
    if (!d) return nothing;
    const shown = d.messages.filter((m) => m.type !== 'info');
    if (shown.length === 0 && d.problems.length === 0) {
      return d.checking ? html`<p class="muted">compiling…</p>` : html`<p class="ok">compiles and fits the ${this.stage} interface</p>`;
    }
    return html` <ul class="messages" aria-label="compile messages">
      ${shown.map((m) => html`<li class=${m.type}><a @click=${() => this.codeEditor?.reveal(m.line, m.column)}>${m.line}:${m.column}</a> ${m.type}: ${m.message}</li>`)}
      ${d.problems.map((p) => html`<li class="error">interface: ${p}</li>`)}
    </ul>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-shader-lab': AttnShaderLab;
  }
}
