/**
 * <attn-app>: the page's headless coordinator. It owns the GPU session (device and engine) and,
 * through its controllers, the state with its undo history and persistence (StateController), the
 * runs (RunController) and the notices (NoticeController). It draws nothing itself: <attn-layout>
 * renders what it is given, and every element below sends typed events (events.ts) that land here.
 */
import { LitElement, css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import type { MatrixName, MatrixOp } from '../core/edits';
import { applyMaskOp, applyMatrixOp } from '../core/edits';
import { isMlpMatrixName } from '../core/mlp-state';
import { gridsFromWeights } from '../core/scoring-state';
import { InputError } from '../core/errors';
import { fromMatrix } from '../core/grid';
import type { Problem } from '../core/problem';
import type { PlaygroundState } from '../core/state';
import { stateWithCase } from '../core/verify/load-case';
import { withModelHeadAsMatrices } from '../core/model/head-matrix';
import { sameModelSource } from '../core/model/generated-tokens';
import type {
  CommandEvent,
  GpuRunEvent,
  GpuTimeoutEvent,
  KernelEditEvent,
  KernelReleaseEvent,
  LoadCaseEvent,
  MaskEditEvent,
  MatrixEditEvent,
  ModelSourceEvent,
  NoticeDismissEvent,
  NoticeEvent,
  StateEditEvent,
} from './events';
import type { GpuStatus } from './gpu-session';
import { GpuSession } from './gpu-session';
import { NoticeController } from './notice-controller';
import { ModelController } from './model-controller';
import { shownModelHead } from './model-head-outcome';
import { MemoryController } from './memory-controller';
import type { ModelView } from './model-controller';
import { RunController } from './run-controller';
import type { RunOutcome } from './run-types';
import { SHADERS } from './shader-library';
import { EDIT_SOURCE, problemChanged, StateController } from './state-controller';
import type { TimeLimitSettings } from '../core/kernel-safety';
import { afterDeviceReplaced, DEFAULT_TIME_LIMITS, stageLeftOnTrial, timeoutMessage, withHold } from '../core/kernel-safety';
import type { StageName } from '../core/stages';
import { KernelStaging } from './kernel-staging';
import { readRunRecords, readTrialRecord, writeRunRecords, writeTrialRecord } from './persistence';
import { KernelRunRecord } from './kernel-run-record';
import type { RunTimeout } from './run-controller';
import './attn-layout';

const HANDLED_EVENTS = [
  'attn-state-edit',
  'attn-matrix-edit',
  'attn-mask-edit',
  'attn-kernel-edit',
  'attn-kernel-release',
  'attn-load-case',
  'attn-notice',
  'attn-notice-dismiss',
  'attn-gpu-timeout',
  'attn-gpu-run',
  'attn-command',
  'attn-model-source',
] as const;
type HandledEvent = (typeof HANDLED_EVENTS)[number];

@customElement('attn-app')
export class AttnApp extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
  `;

  @state() private gpuStatus: GpuStatus = { kind: 'connecting' };

  private readonly session = new GpuSession(SHADERS);
  private readonly notices = new NoticeController(this);
  private readonly store = new StateController(this, {
    notify: (level, text, source, extras) => this.notices.notify(level, text, source, extras),
    clear: (source) => this.notices.clear(source),
    changed: (previous, next) => {
      if (previous.kernels !== next.kernels || previous.heldKernels !== next.heldKernels) this.staging.sync();
      // Model mode runs the model (ModelController); the other modes' problem waits until they are shown again.
      if (next.mode === 'model') return this.models.stateChanged(next);
      if (next.mode === 'memory') return this.memory.stateChanged(next);
      if (next.mode === 'sentence') void this.runs.loadEmbeddings();
      if (problemChanged(previous, next)) this.runs.schedule();
    },
  });
  private readonly models = new ModelController(this, {
    state: () => this.store.state,
    engine: () => this.session.engine,
    noGpuReason: () => noGpuReason(this.gpuStatus),
    notify: (level, text, source) => this.notices.notify(level, text, source),
    generated: (ids) => {
      const s = this.store.state;
      this.store.apply({ ...s, model: { ...s.model, generated: [...s.model.generated, ...ids] } });
    },
    kernels: (state) => this.staging.inUse(state),
    limits: () => this.timeLimits,
    timedOut: (t) => this.runTimedOut(t),
    recorded: (kernels, limitMs, run) => this.runRecord.around(kernels, limitMs, run),
  });
  private readonly memory = new MemoryController(this, {
    state: () => this.store.state,
    engine: () => this.session.engine,
    noGpuReason: () => noGpuReason(this.gpuStatus),
    notify: (level, text) => this.notices.notify(level, text),
    limits: () => this.timeLimits,
    timedOut: (t) => this.runTimedOut(t),
  });
  private readonly runs = new RunController(this, {
    state: () => this.store.state,
    engine: () => this.session.engine,
    noGpuReason: () => noGpuReason(this.gpuStatus),
    notify: (level, text) => this.notices.notify(level, text),
    kernels: (state) => this.staging.inUse(state),
    limits: () => this.timeLimits,
    timedOut: (t) => this.runTimedOut(t),
    recorded: (kernels, limitMs, run) => this.runRecord.around(kernels, limitMs, run),
  });
  /** Which edited kernels are on the GPU now, in localStorage, for the next load (kernel-run-record.ts). */
  private readonly runRecord = new KernelRunRecord();
  /** Edited kernels reach the runs only after their trial; timed-out ones are held (kernel-staging.ts). */
  private readonly staging = new KernelStaging(this, {
    state: () => this.store.state,
    engine: () => this.session.engine,
    setHeld: (stage, held) => this.setHeld(stage, held),
    recover: () => this.session.reconnect(),
    notify: (level, text) => this.notices.notify(level, text),
    changed: () => this.rerun(),
    limits: () => this.timeLimits,
  });
  /** The watchdog's settings (tests and the console may shorten them). */
  timeLimits: TimeLimitSettings = { ...DEFAULT_TIME_LIMITS };
  /** After the built-in kernels timed out, the replaced device does not rerun on its own. */
  private rerunAfterReconnect = true;
  private started = false;

  /** The current state (read by tests and the console). */
  get currentState(): PlaygroundState {
    return this.store.state;
  }

  /** The last completed run (read by tests and the console). */
  get lastOutcome(): RunOutcome | null {
    return this.runs.outcome;
  }

  /** Model mode's controller: the loaded model and its last step (read by tests and the console). */
  get modelRuns(): ModelController {
    return this.models;
  }

  /** Memory mode's controller: its last run (read by tests and the console). */
  get memoryRuns(): MemoryController {
    return this.memory;
  }

  /** The kernel staging: trials and holds of the shader lab's kernels (read by tests and the console). */
  get kernelStaging(): KernelStaging {
    return this.staging;
  }

  /** The GPU session, e.g. to simulate a device loss from the console. */
  get gpu(): GpuSession {
    return this.session;
  }

  /** The typed events of events.ts this element answers, by name; each stops here. */
  private readonly handlers: { [K in HandledEvent]: (event: HTMLElementEventMap[K]) => void } = {
    'attn-state-edit': (e: StateEditEvent) => {
      e.refused = !this.applyEdit(() => e.edit(this.store.state), e.coalesceKey, e.undoable);
      e.applied = e.refused ? null : this.store.state;
    },
    'attn-matrix-edit': (e: MatrixEditEvent) => {
      const name = e.name;
      // MLP mode's grids are <attn-mlp-panel>'s: it applies their edits as StateEditEvents, so none gets here.
      if (isMlpMatrixName(name)) return;
      e.refused = !this.store.apply(this.matrixEdited(name, e.op), e.ownStep ? null : matrixKey(name, e.op));
      this.notices.clear(`matrix:${name}`);
    },
    'attn-mask-edit': (e: MaskEditEvent) => {
      const shape = this.runs.outcome?.full.shape;
      if (shape) this.store.apply(applyMaskOp(this.store.state, e.op, shape.n, shape.m));
    },
    // The shader lab's kernels live in the state: links carry them and every run uses them.
    'attn-kernel-edit': (e: KernelEditEvent) => {
      const kernels = Object.keys(e.kernels).length ? { ...e.kernels } : null;
      // A stage reset to its built-in kernel has nothing left to hold.
      const s = this.store.state;
      const heldKernels = s.heldKernels.filter((stage) => kernels?.[stage] !== undefined);
      this.store.apply(
        { ...s, kernels, heldKernels: heldKernels.length === s.heldKernels.length ? s.heldKernels : heldKernels },
        'kernels',
      );
    },
    'attn-kernel-release': (e: KernelReleaseEvent) => this.staging.release(e.stage),
    // One undo step: the problem, its options and the kernel, as the verifier ran them.
    'attn-load-case': (e: LoadCaseEvent) => {
      if (!this.store.apply(stateWithCase(this.store.state, e.load))) return;
      const kernel = e.load.source === null ? `the built-in ${e.load.stage} kernel` : `your ${e.load.stage} kernel`;
      this.notices.notify('info', `Loaded the verifier's case (${e.load.row.name}) with ${kernel}; Undo restores the previous problem.`);
    },
    'attn-notice': (e: NoticeEvent) => (e.text ? this.notices.notify(e.level, e.text, e.source) : this.notices.clear(e.source!)),
    'attn-notice-dismiss': (e: NoticeDismissEvent) => this.notices.dismiss(e.id),
    // The Profiler's verification or sweep, or the Shader lab's Verify: the same recovery as a playground run that timed out.
    'attn-gpu-timeout': (e: GpuTimeoutEvent) => {
      this.gpuTimedOut(e.kernels, e.message);
      e.recovering = true;
    },
    // A run of the Shader lab's Verify: on the write-ahead record, as the playground's runs are.
    'attn-gpu-run': (e: GpuRunEvent) => {
      e.result = this.runRecord.around(e.kernels, e.limitMs, e.run);
    },
    'attn-command': (e: CommandEvent) => this.command(e.command),
    'attn-model-source': (e: ModelSourceEvent) => void this.loadModel(e),
  };

  override connectedCallback(): void {
    super.connectedCallback();
    for (const name of HANDLED_EVENTS) this.addEventListener(name, this.onEvent);
    window.addEventListener('keydown', this.onGlobalKey);
    window.addEventListener('pagehide', this.onPageHide);
    this.session.addEventListener('change', this.onGpuChange);
    this.session.addEventListener('error', this.onGpuError);
    if (!this.started) {
      this.started = true;
      void this.start();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const name of HANDLED_EVENTS) this.removeEventListener(name, this.onEvent);
    window.removeEventListener('keydown', this.onGlobalKey);
    window.removeEventListener('pagehide', this.onPageHide);
    this.session.removeEventListener('change', this.onGpuChange);
    this.session.removeEventListener('error', this.onGpuError);
    this.session.dispose();
    this.started = false;
  }

  private async start(): Promise<void> {
    this.dataset.state = 'starting';
    this.store.load();
    this.holdKernelLeftOnTrial();
    this.staging.sync();
    await this.session.connect();
    await this.runs.run();
    if (this.store.state.mode === 'model') await this.models.run();
    if (this.store.state.mode === 'memory') await this.memory.run();
  }

  /**
   * Kernels that were on the GPU when the page last closed without saying goodbye (it froze or
   * died: the write-ahead records of kernel-staging.ts and kernel-run-record.ts) are held, not run
   * again.
   */
  private holdKernelLeftOnTrial(): void {
    const state = this.store.state;
    const records = [readTrialRecord(), ...readRunRecords()];
    writeTrialRecord(null);
    writeRunRecords([]);
    const stages = [...new Set(records.map((r) => stageLeftOnTrial(r, state.kernels)))].filter(
      (stage): stage is StageName => stage !== null && !state.heldKernels.includes(stage),
    );
    if (stages.length === 0) return;
    const heldKernels = stages.reduce((held, stage) => withHold(held, stage, true), state.heldKernels);
    this.store.apply({ ...state, heldKernels }, null, false);
    const which = stages.length === 1 ? `Your edited ${stages[0]} kernel was` : `Your edited ${stages.join(', ')} kernels were`;
    const them = stages.length === 1 ? 'it' : 'them';
    this.notices.notify(
      'error',
      `${which} running on the GPU when this page last closed without finishing, so ${stages.length === 1 ? 'it' : 'they'} may have hung the GPU. ${stages.length === 1 ? 'It is' : 'They are'} held: the playground runs the built-in kernel, your text stays in the Shader lab, and "Use my kernel again" tries ${them} again.`,
    );
  }

  private onPageHide = () => this.runRecord.pageHidden();

  private setHeld(stage: StageName, held: boolean): void {
    const s = this.store.state;
    const next = withHold(s.heldKernels, stage, held);
    if (next.join() !== s.heldKernels.join()) this.store.apply({ ...s, heldKernels: next }, null, false);
  }

  /** A playground or model run timed out: hold the edited kernels it ran, say so, replace the device. */
  private runTimedOut(t: RunTimeout): void {
    this.gpuTimedOut(t.kernels, timeoutMessage(t));
  }

  /**
   * GPU work did not finish: hold the edited kernels it ran, say `message`, replace the device. The
   * playground reruns on the new device unless only built-in kernels were running (they would again).
   */
  private gpuTimedOut(kernels: Readonly<Record<string, string>> | null, message: string): void {
    for (const [stage, source] of Object.entries(kernels ?? {})) this.staging.held(stage as StageName, source, message);
    this.rerunAfterReconnect = kernels !== null;
    this.notices.notify('error', message);
    void this.session.reconnect();
  }

  private rerun(): void {
    if (this.store.state.mode === 'memory') void this.memory.run();
    else if (this.store.state.mode === 'model') this.models.schedule();
    else this.runs.schedule();
  }

  /**
   * A model the user chose: once it loads, the state names it (undoable). The model the state names
   * chosen again (a file after a reload, a restored URL loaded) brings back the tokens it generated;
   * another model drops them (Undo brings them back, set aside until their model is loaded again).
   */
  private async loadModel(e: ModelSourceEvent): Promise<void> {
    if (!(await this.models.load(e.request))) return;
    const s = this.store.state;
    const source = this.models.loadedSource;
    const model = sameModelSource(s.model.source, source)
      ? { ...s.model, source }
      : { ...s.model, source, generated: [], layer: 0, head: 0 };
    if (!this.store.apply({ ...s, model })) return;
    this.notices.notify('info', `Loaded ${this.models.model!.weights.config.name}.`, 'model');
  }

  /** The selected head's Q, K, V (before RoPE) and options as a matrix-mode problem (one undo step). */
  private headToMatrix(): void {
    const o = this.models.outcome;
    // The head shown: the state's, or the model's last where the state names one past it.
    const shown = shownModelHead(o, this.store.state.model);
    const run = shown && o?.layers[shown.layer];
    if (!o || !shown || !run) return;
    const { layer, head } = shown;
    const labels = { queries: o.tokens.slice(o.queryStart).map((t) => t.text), keys: o.tokens.map((t) => t.text) };
    if (!this.store.apply(withModelHeadAsMatrices(this.store.state, run.call, head, labels))) return;
    this.notices.notify('info', `Layer ${layer} head ${head}'s Q, K, V and options are now in matrix mode; Undo goes back to the model.`);
  }

  private command(command: CommandEvent['command']): void {
    switch (command) {
      case 'run':
        void (this.store.state.mode === 'model'
          ? this.models.run()
          : this.store.state.mode === 'memory'
            ? this.memory.run()
            : this.runs.run());
        break;
      case 'cancel':
        this.runs.cancel();
        this.models.cancel();
        this.memory.cancel();
        break;
      case 'undo':
        this.store.undo();
        void this.models.show(this.store.state.model.source);
        break;
      case 'redo':
        this.store.redo();
        void this.models.show(this.store.state.model.source);
        break;
      case 'share':
        void this.store.share();
        break;
      case 'reconnect':
        void this.session.reconnect();
        break;
      case 'take-into-matrix':
        this.takeIntoMatrix();
        break;
      case 'model-generate':
        void this.models.generate();
        break;
      case 'model-head-to-matrix':
        this.headToMatrix();
        break;
    }
  }

  private onEvent = (event: Event) => {
    event.stopPropagation();
    (this.handlers[event.type as HandledEvent] as (event: Event) => void)(event);
  };

  /**
   * An edit that finds the user's value does not fit (an InputError) changes nothing and says why;
   * false when it or the store's gate refused the edit.
   */
  private applyEdit(edit: () => PlaygroundState, coalesceKey: string | null, undoable: boolean): boolean {
    let next: PlaygroundState;
    try {
      next = edit();
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.notices.notify('error', `${error.message}. Nothing was changed.`, EDIT_SOURCE);
      return false;
    }
    this.notices.clear(EDIT_SOURCE);
    return this.store.apply(next, coalesceKey, undoable);
  }

  private matrixEdited(name: MatrixName, op: MatrixOp): PlaygroundState {
    const sentence = this.runs.outcome?.full.sentence;
    const generated = sentence ? { wq: fromMatrix(sentence.wq), wk: fromMatrix(sentence.wk), wv: fromMatrix(sentence.wv) } : {};
    return applyMatrixOp(this.store.state, name, op, generated);
  }

  private takeIntoMatrix(): void {
    const problem = this.runs.outcome?.full;
    if (!problem?.sentence) return;
    if (!this.store.apply(withProblemAsMatrices(this.store.state, problem))) return;
    this.notices.notify('info', 'Q, K and V are now in matrix mode: every number can be edited.');
  }

  private onGlobalKey = (event: KeyboardEvent) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
    const key = event.key.toLowerCase();
    const command =
      key === 'enter' ? 'run' : key === 'z' && !event.shiftKey ? 'undo' : (key === 'z' && event.shiftKey) || key === 'y' ? 'redo' : null;
    if (!command) return;
    event.preventDefault();
    this.command(command);
  };

  private onGpuChange = () => {
    this.gpuStatus = this.session.status;
    if (this.gpuStatus.kind === 'lost')
      this.notices.notify('error', `The GPU device was lost: ${this.gpuStatus.reason}. Press Reconnect to get a new one.`, 'gpu');
    if (this.gpuStatus.kind === 'ready') this.notices.clear('gpu');
    if (this.gpuStatus.kind === 'connecting') return;
    if (this.gpuStatus.kind === 'ready') {
      // Messages of work that timed out stop saying the device is being replaced.
      this.staging.deviceReplaced();
      this.runs.deviceReplaced();
      this.models.deviceReplaced();
      this.memory.deviceReplaced();
      this.notices.rewrite(afterDeviceReplaced);
      this.staging.sync();
    }
    const rerun = this.rerunAfterReconnect;
    this.rerunAfterReconnect = true;
    if (!rerun) return;
    if (this.runs.outcome) void this.runs.run();
    if (this.store.state.mode === 'model' && this.models.outcome) void this.models.run();
    if (this.store.state.mode === 'memory') void this.memory.run();
  };

  private onGpuError = () => {
    if (this.session.lastError) this.notices.notify('error', `WebGPU reported an error: ${this.session.lastError}`);
  };

  override render() {
    const { store, runs } = this;
    return html`<attn-layout
      .state=${store.state}
      .outcome=${runs.outcome}
      .problemError=${runs.problemError}
      ?running=${runs.running || this.models.running || this.memory.running}
      .progress=${runs.progress}
      .gpuStatus=${this.gpuStatus}
      .kernelTrials=${this.staging.trials}
      .kernelsInUse=${this.staging.inUse()}
      .notices=${this.notices.notices}
      .earlierNotices=${this.notices.earlier}
      embeddings=${runs.embeddingsStatus}
      ?can-undo=${store.canUndo}
      ?can-redo=${store.canRedo}
      .model=${this.modelView()}
      .memory=${this.memory.view}
    ></attn-layout>`;
  }

  private modelView(): ModelView {
    const m = this.models;
    return {
      model: m.model,
      outcome: m.outcome,
      error: m.error,
      loading: m.loading,
      running: m.running,
      generating: m.generating,
      loadedSource: m.loadedSource,
      generation: m.generation(this.store.state),
    };
  }
}

function noGpuReason(status: GpuStatus): string {
  if (status.kind === 'unavailable') return `No WebGPU: ${status.reason}`;
  if (status.kind === 'lost') return `The GPU device was lost (${status.reason}); press Reconnect.`;
  return 'The GPU is not ready yet.';
}

/** Typing in one cell is one undo step; every other matrix edit is its own. */
function matrixKey(name: MatrixName, op: MatrixOp): string | null {
  return op.kind === 'set' ? `cell:${name}:${op.row}:${op.col}` : null;
}

/** A sentence problem's Q, K, V (and W_o) as editable matrices, with their token labels. */
function withProblemAsMatrices(state: PlaygroundState, p: Problem): PlaygroundState {
  const { q, k, v, wo } = p.inputs;
  const { featureLabels, valueLabels } = state.sentence;
  const matrix = {
    q: fromMatrix(q),
    k: fromMatrix(k),
    v: fromMatrix(v),
    queryLabels: [...p.queryLabels],
    keyLabels: [...p.keyLabels],
    featureLabels,
    valueLabels,
    wo: wo ? fromMatrix(wo) : null,
    scoring: gridsFromWeights(p.inputs.scoring, state.matrix.scoring),
  };
  // The matrices are the sentence's now, not an example's: its title, description and notes no longer apply.
  return { ...state, mode: 'matrix', presetId: null, matrix };
}

declare global {
  interface HTMLElementTagNameMap {
    'attn-app': AttnApp;
  }
}
