/**
 * The playground's state and where it lives: the current state, the undo history, localStorage
 * (saved after a short pause), the URL hash (#s=…, also read back when a link is pasted into the
 * address bar) and the shared link. It tells its owner about every change; the owner decides
 * whether the change means a new run. Tabs of the playground share one saved state: when another
 * tab saves a different one, this tab keeps its own and says what that means until it saves again.
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
  parseState,
  parseStateJson,
  sameState,
  stateCells,
  stateFromPreset,
  viewRangeNote,
  withProfileForm,
  withView,
  withViewInRange,
} from '../core/state';
import { downloadBlob } from './download';
import type { NoticeLevel } from './events';
import type { NoticeAction, NoticeExtras } from './notice-controller';
import type { Loaded } from './persistence';
import {
  loadLocal,
  readHashState,
  savedBesideLink,
  saveLocal,
  shareableLink,
  STORAGE_KEY,
  takeLegacyLabKernels,
  writeHash,
} from './persistence';
import { PRESETS } from './presets';

const SAVE_DEBOUNCE_MS = 400;
/** The notice source of the saved state a link was opened over (offered to open or download). */
const SAVED_BESIDE_SOURCE = 'state-saved-beside';
/** The name of a kept-aside saved state's file. */
const SAVED_FILE = 'attention-playground-saved-state.json';

/** "Download it": the saved text as a file (what the next save would otherwise replace). */
function downloadSaved(text: string): NoticeAction {
  return { label: 'Download it', run: () => downloadBlob(new Blob([text], { type: 'application/json' }), SAVED_FILE) };
}

/** The notice source of a problem too large to save (MAX_SAVED_CELLS): cleared once it fits again. */
const TOO_LARGE_SOURCE = 'state-too-large';
/** The notice source of a save the browser's storage refused: cleared by the next save that works. */
const UNSAVED_SOURCE = 'state-unsaved';
/** The notice source of another tab's save over this tab's: cleared when this tab saves again. */
export const OTHER_TAB_SOURCE = 'state-other-tab';
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
  /** `lasting` information, and a notice with actions, stays until its source is cleared or it is closed (NoticeController.notify). */
  notify(level: NoticeLevel, text: string, source?: string, extras?: NoticeExtras): void;
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
    window.addEventListener('storage', this.onStorage);
  }

  hostDisconnected(): void {
    window.removeEventListener('hashchange', this.onHashChange);
    window.removeEventListener('storage', this.onStorage);
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
    this.tell(fromLink);
    if (fromLink.state) this.offerSavedBeside(fromLink.state);
    this.state = this.inRange(fromLink.state ?? this.savedOrDefault(), fromLink.state ? 'This link' : 'The saved state');
    this.tellTooLargeToSave(fromLink.state ? "This link's state" : 'The saved state');
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
    // A refused typed text that put back the state its keystrokes began from leaves no undo step.
    if (undoable) this.history.left(this.state);
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
    this.set(withView(previous, this.state));
  }

  redo(): void {
    const next = this.history.redo(this.state);
    if (!next) return;
    this.clearRefusals();
    this.set(withView(next, this.state));
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

  /** What reading a link or the saved state found: what it could not read, and the fields it ignored. */
  private tell(loaded: Loaded): void {
    const actions = loaded.aside === null ? [] : [downloadSaved(loaded.aside)];
    if (loaded.error) this.options.notify('error', loaded.error, undefined, { actions });
    if (loaded.ignored) this.options.notify('info', loaded.ignored, undefined, { actions: loaded.error ? [] : actions });
  }

  /**
   * A link opened over another saved state: the first save would replace it, so it is kept aside
   * and offered — opened here (an undo step: Undo comes back to the link) or as a file.
   */
  private offerSavedBeside(link: PlaygroundState): void {
    const saved = savedBesideLink(link);
    if (!saved) return;
    const { state, problems } = saved;
    const partly = problems.error ? ` Not all of it reads: ${problems.error}` : ` ${saved.kept}`;
    // The notice stays until closed, past this tab's first save: every word of it must stay true then
    // (and when storage refuses that save), so it says where the saved state is, not what comes next.
    const text = state
      ? `This tab shows the link's state, not the state this browser saved before (another visit's or another tab's).${partly}`
      : `This tab shows the link's state; the state this browser saved before could not be read.${partly}`;
    const open = (restored: PlaygroundState) => () => {
      if (!this.apply(this.inRange(restored, 'The saved state'))) return;
      // What did not read is said again where it now matters.
      this.tell({ ...problems, state: restored, aside: null });
    };
    const actions: NoticeAction[] = state ? [{ label: 'Open the saved state', run: open(state), closes: true }] : [];
    this.options.notify('info', text, SAVED_BESIDE_SOURCE, { actions: [...actions, downloadSaved(saved.text)] });
  }

  /**
   * A link or saved state holding more numbers than a save takes (written by hand, or by a page with
   * another limit) is shown, and said to be unsaved at once rather than at the first change.
   */
  private tellTooLargeToSave(whose: string): void {
    const cells = stateCells(this.state);
    if (cells <= MAX_SAVED_CELLS) return;
    this.options.notify(
      'info',
      `${whose} holds ${cells.toLocaleString('en')} numbers, more than this page saves or puts in a link (at most ${MAX_SAVED_CELLS.toLocaleString('en')}): it is shown, but no change is saved while the problem holds more. Export the matrices (.npy) to keep them.`,
      TOO_LARGE_SOURCE,
      { lasting: true },
    );
    this.toldTooLarge = true;
  }

  private savedOrDefault(): PlaygroundState {
    const saved = loadLocal();
    this.tell(saved);
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
          TOO_LARGE_SOURCE,
        );
      }
      if (fits && this.toldTooLarge) this.options.clear(TOO_LARGE_SOURCE);
      this.toldTooLarge = !fits;
      if (fits) {
        const saved = saveLocal(this.state);
        this.tellUnsaved(!saved);
        // This tab's state is the saved one again: another tab's save is no longer about to be replaced.
        if (saved) this.options.clear(OTHER_TAB_SOURCE);
      }
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
    this.tell(loaded);
    if (loaded.state && JSON.stringify(loaded.state) !== JSON.stringify(this.state)) this.apply(this.inRange(loaded.state, 'This link'));
  };

  /**
   * Another tab of the playground saved its state (the event never fires in the tab that saved).
   * This tab keeps its own, puts it in its link so a reload keeps it, and says what the other save
   * means until this tab saves again; a save equal to this tab's state, or the saved state
   * removed (storage cleared), leaves nothing to tell.
   */
  private onStorage = (e: StorageEvent) => {
    if (e.storageArea !== localStorage || (e.key !== STORAGE_KEY && e.key !== null)) return;
    if (e.key === null || e.newValue === null || this.isThisTabsState(e.newValue)) {
      this.options.clear(OTHER_TAB_SOURCE);
      return;
    }
    // A tab opened without a link has none until it saves: give it one, so a reload keeps this tab's state.
    const savable = stateCells(this.state) <= MAX_SAVED_CELLS;
    const linked = savable && writeHash(this.state);
    this.options.notify('info', otherTabNotice(savable, linked), OTHER_TAB_SOURCE, { lasting: true });
  };

  private isThisTabsState(json: string): boolean {
    if (json === JSON.stringify(this.state)) return true;
    try {
      return sameState(parseStateJson(json), parseState(this.state));
    } catch {
      return false; // not a state this page reads: not this tab's
    }
  }
}

/** Another tab's save, in words true for this tab: whether its link holds its state, and whether it can save it. */
function otherTabNotice(savable: boolean, linked: boolean): string {
  const saved = 'Another tab of the playground saved its state, so a new tab';
  if (!savable)
    return `${saved}, or a reload of this one, now opens with that one: this tab's problem holds too many numbers to save or link. Export the matrices (.npy) to keep them.`;
  if (!linked)
    return `${saved}, or a reload of this one, now opens with that one: this tab's state is too long for its link. This tab keeps its own, and your next change here saves it over the other tab's.`;
  return `${saved} now opens with that one. This tab keeps its own (its link holds it), and your next change here saves it over the other tab's.`;
}
