/**
 * The typed events views send up to the coordinator (<attn-app>). Views never change state
 * themselves: they describe an edit, and the coordinator applies it, records undo and reruns.
 */
import type { MaskOp, MatrixName, MatrixOp } from '../core/edits';
import type { PlaygroundState } from '../core/state';

const up = { bubbles: true, composed: true } as const;

/** A change to the state, as a pure function of the current state. */
export class StateEditEvent extends Event {
  static readonly type = 'attn-edit';
  constructor(
    readonly edit: (state: PlaygroundState) => PlaygroundState,
    /** Edits with the same key in quick succession are one undo step (typing in one field). */
    readonly coalesceKey: string | null = null,
    /** View-only edits (tab, focused query) are not undo steps. */
    readonly undoable = true,
  ) {
    super(StateEditEvent.type, up);
  }
}

/** A grid editor's edit to one named matrix. */
export class MatrixEditEvent extends Event {
  static readonly type = 'attn-matrix-edit';
  constructor(readonly name: MatrixName, readonly op: MatrixOp) {
    super(MatrixEditEvent.type, up);
  }
}

export class MaskEditEvent extends Event {
  static readonly type = 'attn-mask-edit';
  constructor(readonly op: MaskOp) {
    super(MaskEditEvent.type, up);
  }
}

export type NoticeLevel = 'error' | 'info';

/** A message for the user (a bad file, a malformed paste); the state is unchanged. */
export class NoticeEvent extends Event {
  static readonly type = 'attn-notice';
  constructor(readonly level: NoticeLevel, readonly text: string) {
    super(NoticeEvent.type, up);
  }
}

/** A heatmap cell was clicked (row and column in the drawn matrix). */
export class CellClickEvent extends Event {
  static readonly type = 'attn-cell-click';
  constructor(readonly row: number, readonly col: number) {
    super(CellClickEvent.type, up);
  }
}

/** Asks the coordinator for something that is not a state edit. */
export class CommandEvent extends Event {
  static readonly type = 'attn-command';
  constructor(readonly command: 'run' | 'reconnect' | 'undo' | 'redo' | 'share' | 'take-into-matrix') {
    super(CommandEvent.type, up);
  }
}

declare global {
  interface HTMLElementEventMap {
    'attn-edit': StateEditEvent;
    'attn-matrix-edit': MatrixEditEvent;
    'attn-mask-edit': MaskEditEvent;
    'attn-notice': NoticeEvent;
    'attn-cell-click': CellClickEvent;
    'attn-command': CommandEvent;
  }
}
