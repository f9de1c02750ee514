/**
 * The playground's state and where it lives: the current state, the undo history, localStorage
 * (saved after a short pause), the URL hash (#s=…, also read back when a link is pasted into the
 * address bar) and the shared link. It tells its owner about every change; the owner decides
 * whether the change means a new run.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { InputError } from '../core/errors';
import { UndoHistory } from '../core/history';
import { fitScoringToState } from '../core/scoring-state';
import type { PlaygroundState } from '../core/state';
import {
  checkState,
  defaultState,
  MAX_SAVED_CELLS,
  stateCells,
  stateFromPreset,
  viewRangeNote,
  withProfileForm,
  withView,
  withViewInRange,
} from '../core/state';
import type { NoticeLevel } from './events';
import { loadLocal, readHashState, saveLocal, shareableLink, takeLegacyLabKernels, writeHash } from './persistence';
import { PRESETS } from './presets';

const SAVE_DEBOUNCE_MS = 400;
/** The notice source of a save the browser's storage refused: cleared by the next save that works. */
const UNSAVED_SOURCE = 'state-unsaved';
/** The notice source of a change the gate refused: the next change made (or undo, redo) clears it. */
export const REFUSED_SOURCE = 'state-refused';
/** The notice source of an edit whose value did not fit (attn-app's applyEdit): a good edit, an undo or a redo clears it. */
export const EDIT_SOURCE = 'edit';
const DEFAULT_PRESET = 'worked-3d';

/** Fields whose change means a new run (the others — the view — only re-render). */
export const PROBLEM_FIELDS = [
  'mode',
  'matrix',
  'sentence',
  'mlp',
  'options',
  'mask',
  'padding',
  'variant',
  'precision',
  'kernels',
] as const;

export function problemChanged(previous: PlaygroundState, next: PlaygroundState): boolean {
  return PROBLEM_FIELDS.some((f) => previous[f] !== next[f]);
}

export interface StateControllerOptions {
  notify(level: NoticeLevel, text: string, source?: string): void;
  /** The notices of `source` are out of date. */
  clear(source: string): void;
  /** After every change of the state (an edit, undo or redo, a pasted link). */
  changed(previous: PlaygroundState, next: PlaygroundState): void;
}

export class StateController implements ReactiveController {
  state: PlaygroundState = defaultState();
  private readonly history = new UndoHistory<PlaygroundState>();
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the user has been told the state is too large to save (told once per large stretch). */
  private toldTooLarge = false;
  private toldUnsaved = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly options: StateControllerOptions,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    window.addEventListener('hashchange', this.onHashChange);
  }

  hostDisconnected(): void {
    window.removeEventListener('hashchange', this.onHashChange);
    clearTimeout(this.saveTimer);
  }

  get canUndo(): boolean {
    return this.history.canUndo;
  }

  get canRedo(): boolean {
    return this.history.canRedo;
  }

  /** The link's state, else the last saved one, else the first example. A bad link says so and changes nothing. */
  load(): void {
    const fromLink = readHashState();
    if (fromLink.error) this.options.notify('error', fromLink.error);
    this.state = this.inRange(fromLink.state ?? this.savedOrDefault(), fromLink.state ? 'This link' : 'The saved state');
    // Kernels the shader lab once kept under its own storage key move into the state, once (a link wins).
    const legacy = fromLink.state ? null : takeLegacyLabKernels();
    if (legacy && !this.state.kernels) {
      this.state = { ...this.state, kernels: legacy };
      this.saveSoon();
    }
    this.host.requestUpdate();
  }

  /**
   * Applies an edit: records an undo step (unless view-only) and saves. Every path that writes the
   * state comes here, so this is the one gate: a state that could not be restored from a link or
   * storage (checkState) is refused with the validator's message, and false is returned.
   */
  apply(next: PlaygroundState, coalesceKey: string | null = null, undoable = true): boolean {
    if (next === this.state) return true;
    // Learned score weights follow Q's and K's widths (and are made when the score is first chosen).
    const fitted = fitScoringToState(this.state, next);
    next = fitted.state;
    try {
      checkState(next);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.options.notify('error', `This change could not be saved or shared, so it was not made: ${error.message}.`, REFUSED_SOURCE);
      return false;
    }
    if (undoable) {
      this.history.record(this.state, coalesceKey);
      // A change the user made (not a view-only one: a tab, a focused query) supersedes a refused one.
      this.options.clear(REFUSED_SOURCE);
    }
    this.set(next);
    if (fitted.note) this.options.notify('info', fitted.note);
    return true;
  }

  /** An undo or redo takes the state elsewhere: what an edit or the gate refused no longer describes it. */
  private clearRefusals(): void {
    this.options.clear(REFUSED_SOURCE);
    this.options.clear(EDIT_SOURCE);
  }

  // Undo and redo change the problem, not the view: the tab, the lab's stage and the Profiler form
  // stay as they are, the head and focused query too where the state has them (withView).
  undo(): void {
    const previous = this.history.undo(this.state);
    if (!previous) return;
    this.clearRefusals();
    this.set(withView(previous, this.state.view));
  }

  redo(): void {
    const next = this.history.redo(this.state);
    if (!next) return;
    this.clearRefusals();
    this.set(withView(next, this.state.view));
  }

  /** Copies a link that reproduces this view, or shows it when the clipboard is out of reach. */
  async share(): Promise<void> {
    // The address bar's limits: a link that long would not open, and encoding millions of numbers stalls the page.
    const shared = shareableLink(this.state);
    if ('problem' in shared) {
      this.options.notify('error', `No link: ${shared.problem}. Export the matrices (.npy) to share them.`);
      return;
    }
    const { link } = shared;
    try {
      await navigator.clipboard.writeText(link);
      this.options.notify('info', 'A link to exactly this view is on the clipboard.');
    } catch {
      this.options.notify('info', `Copy this link: ${link}`);
    }
  }

  private set(next: PlaygroundState): void {
    const previous = this.state;
    // An example or a link without a Profiler form keeps the one typed; the view stays within the problem.
    this.state = withViewInRange(next.view.profile === undefined ? withProfileForm(next, previous.view.profile) : next);
    this.saveSoon();
    this.host.requestUpdate();
    this.options.changed(previous, this.state);
  }

  /** `state` with its view within its problem, telling the user when `whose` view named a head or query past it. */
  private inRange(state: PlaygroundState, whose: string): PlaygroundState {
    const fitted = withViewInRange(state);
    const note = viewRangeNote(state, fitted);
    if (note) this.options.notify('info', `${whose}'s ${note}.`);
    return fitted;
  }

  private savedOrDefault(): PlaygroundState {
    const saved = loadLocal();
    if (saved.error) this.options.notify('error', saved.error);
    if (saved.state) return saved.state;
    const preset = PRESETS.find((p) => p.id === DEFAULT_PRESET) ?? PRESETS[0];
    return preset ? stateFromPreset(preset) : defaultState();
  }

  private saveSoon(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => {
      // Encoding millions of numbers would stall the page, and the text fits neither a link nor storage.
      const cells = stateCells(this.state);
      const fits = cells <= MAX_SAVED_CELLS;
      if (!fits && !this.toldTooLarge) {
        this.options.notify(
          'info',
          `This problem holds ${cells.toLocaleString('en')} numbers, too many for a link or this browser's storage: export the matrices (.npy) to keep them.`,
        );
      }
      this.toldTooLarge = !fits;
      if (fits) this.tellUnsaved(!saveLocal(this.state));
      if (!fits || !writeHash(this.state)) history.replaceState(null, '', `${location.pathname}${location.search}`);
    }, SAVE_DEBOUNCE_MS);
  }

  /** Says once that this browser's storage refused the state (it is full, or off), and again after a save that worked. */
  private tellUnsaved(failed: boolean): void {
    if (failed && !this.toldUnsaved)
      this.options.notify(
        'error',
        "This browser's storage refused to save the page's state (it is full, or storage is off): a reload would lose your latest changes. Share link or export to keep them.",
        UNSAVED_SOURCE,
      );
    if (!failed && this.toldUnsaved) this.options.clear(UNSAVED_SOURCE);
    this.toldUnsaved = failed;
  }

  /** A link pasted into this tab's address bar: load it (undoable), or say why not. */
  private onHashChange = () => {
    const loaded = readHashState();
    if (loaded.error) this.options.notify('error', loaded.error);
    else if (loaded.state && JSON.stringify(loaded.state) !== JSON.stringify(this.state))
      this.apply(this.inRange(loaded.state, 'This link'));
  };
}
