/**
 * Every event the page's elements send, in one place and under one scheme: the class is
 * `<Name>Event`, its name is `attn-<name in kebab case>` in the static `eventName` field, and it
 * bubbles out of shadow roots (composed). Views never change state themselves: they describe an
 * edit or ask for a command, and the coordinator (<attn-app>) applies it, records undo and reruns.
 */
import type { MaskOp, MatrixName, MatrixOp } from '../core/edits';
import type { MlpMatrixName } from '../core/mlp-state';
import type { PlaygroundState } from '../core/state';
import type { StageName } from '../core/stages';
import type { CaseToLoad } from '../core/verify/load-case';
import type { ModelRequest } from './model-source';

const up = { bubbles: true, composed: true } as const;

/** A change to the state, as a pure function of the current state. */
export class StateEditEvent extends Event {
  static readonly eventName = 'attn-state-edit';
  /** Set by the page when the edit did not fit or its gate refused it (it has said why). */
  refused = false;
  /** Set by the page to the state it holds after applying the edit (null when refused). */
  applied: PlaygroundState | null = null;
  constructor(
    readonly edit: (state: PlaygroundState) => PlaygroundState,
    /** Edits with the same key in quick succession are one undo step (typing in one field). */
    readonly coalesceKey: string | null = null,
    /** View-only edits (tab, focused query) are not undo steps. */
    readonly undoable = true,
  ) {
    super(StateEditEvent.eventName, up);
  }
}

/** A grid editor's matrix: matrix and sentence mode's (edits.ts), or MLP mode's x, W₁, W₂ (applied by <attn-mlp-panel>). */
export type GridName = MatrixName | MlpMatrixName;

/** A grid editor's edit to one named matrix. */
export class MatrixEditEvent extends Event {
  static readonly eventName = 'attn-matrix-edit';
  /** Set by the page when its gate refused the edit (it has said why), so the sender does not announce it. */
  refused = false;
  constructor(
    readonly name: GridName,
    readonly op: MatrixOp,
    /** An undo step of its own even right after typing in the same cell (Escape's take-back), not merged with it. */
    readonly ownStep = false,
  ) {
    super(MatrixEditEvent.eventName, up);
  }
}

/** An edit of the explicit mask or the padding marks. */
export class MaskEditEvent extends Event {
  static readonly eventName = 'attn-mask-edit';
  constructor(readonly op: MaskOp) {
    super(MaskEditEvent.eventName, up);
  }
}

/** The shader lab's edited kernels by stage (only stages that differ from the built-in kernel). */
export class KernelEditEvent extends Event {
  static readonly eventName = 'attn-kernel-edit';
  constructor(readonly kernels: Readonly<Record<string, string>>) {
    super(KernelEditEvent.eventName, up);
  }
}

/** "Use my kernel again": release a held kernel of the shader lab; it gets a fresh trial. */
export class KernelReleaseEvent extends Event {
  static readonly eventName = 'attn-kernel-release';
  constructor(readonly stage: StageName) {
    super(KernelReleaseEvent.eventName, up);
  }
}

/** Load a verification case (the smallest failing one) into the playground, with the kernel it ran. */
export class LoadCaseEvent extends Event {
  static readonly eventName = 'attn-load-case';
  constructor(readonly load: CaseToLoad) {
    super(LoadCaseEvent.eventName, up);
  }
}

export type NoticeLevel = 'error' | 'info';

/**
 * A message for the user (a bad file, a malformed paste); the state is unchanged. `source` names
 * what it is about ("matrix:q"): the next notice from there replaces it, and `NoticeEvent.clear`
 * (a success there) takes it away.
 */
export class NoticeEvent extends Event {
  static readonly eventName = 'attn-notice';
  constructor(
    readonly level: NoticeLevel,
    /** Empty for a clear. */
    readonly text: string,
    readonly source?: string,
  ) {
    super(NoticeEvent.eventName, up);
  }

  /** The problem `source` reported is gone. */
  static clear(source: string): NoticeEvent {
    return new NoticeEvent('info', '', source);
  }
}

/** The user closed a notice. */
export class NoticeDismissEvent extends Event {
  static readonly eventName = 'attn-notice-dismiss';
  constructor(readonly id: number) {
    super(NoticeDismissEvent.eventName, up);
  }
}

/** A heatmap cell was clicked (row and column in the drawn matrix). */
export class CellClickEvent extends Event {
  static readonly eventName = 'attn-cell-click';
  constructor(
    readonly row: number,
    readonly col: number,
  ) {
    super(CellClickEvent.eventName, up);
  }
}

export type Command =
  | 'run'
  | 'cancel'
  | 'reconnect'
  | 'undo'
  | 'redo'
  | 'share'
  | 'take-into-matrix'
  /** Model mode: add tokens by decode steps; put the selected head's Q, K, V and options into matrix mode. */
  | 'model-generate'
  | 'model-head-to-matrix';

/** Asks the coordinator for something that is not a state edit. */
export class CommandEvent extends Event {
  static readonly eventName = 'attn-command';
  constructor(readonly command: Command) {
    super(CommandEvent.eventName, up);
  }
}

/** Model mode: load a model (the built-in one, files the user chose or dropped, a URL the user typed). */
export class ModelSourceEvent extends Event {
  static readonly eventName = 'attn-model-source';
  constructor(readonly request: ModelRequest) {
    super(ModelSourceEvent.eventName, up);
  }
}

/** A code editor's document changed by typing (not by a new `value` from outside). */
export class CodeChangeEvent extends Event {
  static readonly eventName = 'attn-code-change';
  constructor(
    /** The editor's document key (one per tab). */
    readonly document: string,
    readonly value: string,
  ) {
    super(CodeChangeEvent.eventName, up);
  }
}

/**
 * GPU work outside the playground's runs (the Profiler's verification or sweep, the Shader lab's
 * Verify) did not finish in time: the kernel may still be running, so the device is of no more
 * use. The coordinator holds the edited kernels it ran (by stage, as the state's heldKernels),
 * shows `message` as the page's banner and replaces the device, as after a playground run that
 * timed out.
 */
export class GpuTimeoutEvent extends Event {
  static readonly eventName = 'attn-gpu-timeout';
  /** Set by the page once it holds the kernels and is replacing the device (a page without a coordinator does not). */
  recovering = false;
  constructor(
    /** The edited kernels that ran, by stage; null when only built-in kernels did. */
    readonly kernels: Readonly<Record<string, string>> | null,
    readonly message: string,
  ) {
    super(GpuTimeoutEvent.eventName, up);
  }
}

/**
 * A GPU run of edited kernels outside the playground's runs (one run of the Shader lab's Verify or
 * of the Profiler's verification or sweep; sent by recordedRun):
 * the coordinator keeps it on the page's write-ahead record (kernel-run-record.ts) while it is out,
 * so a page that freezes or dies meanwhile holds those kernels on the next load. The coordinator
 * sets `result` to the recorded run; where none answers, the sender runs it itself.
 */
export class GpuRunEvent extends Event {
  static readonly eventName = 'attn-gpu-run';
  /** The run, started by the page inside its record; null while no page answered. */
  result: Promise<unknown> | null = null;
  constructor(
    /** The edited kernels the run uses, by stage; null when only built-in ones do. */
    readonly kernels: Readonly<Record<string, string>> | null,
    /** The run's time limit: a page closed normally within it shows no sign of a hang. */
    readonly limitMs: number,
    readonly run: () => Promise<unknown>,
  ) {
    super(GpuRunEvent.eventName, up);
  }
}

/**
 * Runs `run` (one GPU run of the edited `kernels`, limited to `limitMs`) on the page's write-ahead
 * record: sends a GpuRunEvent from `from` and returns the run the page started, or runs it itself
 * where no page answers (bench.html) or no edited kernel is in it.
 */
export function recordedRun<T>(
  from: EventTarget,
  kernels: Readonly<Record<string, string>> | null,
  limitMs: number,
  run: () => Promise<T>,
): Promise<T> {
  if (!kernels) return run();
  const event = new GpuRunEvent(kernels, limitMs, run);
  from.dispatchEvent(event);
  return (event.result as Promise<T> | null) ?? run();
}

/** The profiler's Run and Cancel buttons (a sweep, not the page's run: <attn-profiler> answers it). */
export class ProfileCommandEvent extends Event {
  static readonly eventName = 'attn-profile-command';
  constructor(readonly command: 'run' | 'cancel' | 'refit') {
    super(ProfileCommandEvent.eventName, up);
  }
}

declare global {
  interface HTMLElementEventMap {
    'attn-state-edit': StateEditEvent;
    'attn-matrix-edit': MatrixEditEvent;
    'attn-mask-edit': MaskEditEvent;
    'attn-kernel-edit': KernelEditEvent;
    'attn-kernel-release': KernelReleaseEvent;
    'attn-load-case': LoadCaseEvent;
    'attn-notice': NoticeEvent;
    'attn-notice-dismiss': NoticeDismissEvent;
    'attn-cell-click': CellClickEvent;
    'attn-command': CommandEvent;
    'attn-model-source': ModelSourceEvent;
    'attn-code-change': CodeChangeEvent;
    'attn-profile-command': ProfileCommandEvent;
    'attn-gpu-timeout': GpuTimeoutEvent;
    'attn-gpu-run': GpuRunEvent;
  }
}
