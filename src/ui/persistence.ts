/**
 * Where the state lives between visits: the URL hash (#s=…, compressed; a link reproduces the
 * view) and localStorage (the last state, restored on reload). Reading either never throws: a
 * malformed link or a corrupt saved state comes back as a message instead. A link is read
 * strictly (it reproduces a view exactly, or says why not, and the link itself is still where it
 * was copied from); a saved state leniently (every field that reads well is restored), and what
 * could not be restored is kept aside under UNRESTORED_KEY, since the next save replaces it.
 */
import type { TrialRecord } from '../core/kernel-safety';
import { encodeTrialRecord, encodeTrialRecords, parseTrialRecord, parseTrialRecords } from '../core/kernel-safety';
import type { PlaygroundState, StateReading } from '../core/state';
import {
  decodeStateValue,
  defaultState,
  encodeState,
  MAX_KERNEL_CHARS,
  MAX_SAVED_CELLS,
  notAState,
  parseStateLeniently,
  readState,
  sameState,
  stateCells,
  stateJsonValue,
} from '../core/state';
import { isVerifiedStage } from '../core/stages';
import { isVariant, VARIANT_NAMES } from '../gpu/variants';

export const STORAGE_KEY = 'attention-playground.state';
/** The latest saved text not restored whole (a field dropped, or a link opened over it), kept from the next save (older ones: unrestoredKey). */
export const UNRESTORED_KEY = 'attention-playground.state.unrestored';
/** How many texts are kept aside (the latest under UNRESTORED_KEY, older ones under UNRESTORED_KEY.1, …). */
export const UNRESTORED_SLOTS = 3;
/** Where the shader lab kept edited kernels before the state owned them (read once, then removed). */
const LEGACY_LAB_KEY = 'attn.shaderLab.v1';
const HASH_PREFIX = '#s=';
/** Longer links are not written to the address bar (browsers and chat apps cut them). */
export const MAX_LINK_CHARS = 60_000;

/** A state read from the link or storage: the state (null: none, or none usable) and what to tell the user. */
export interface Loaded {
  state: PlaygroundState | null;
  /** What could not be read or restored (an error notice), or null. */
  error: string | null;
  /** The fields it has that this page does not read (an information notice), or null. */
  ignored: string | null;
  /** The saved text kept aside because the next save would lose some of it (the page offers it as a file), or null. */
  aside: string | null;
}

const NOTHING: Loaded = { state: null, error: null, ignored: null, aside: null };

/** The state in the current URL's hash; NOTHING when there is none. */
export function readHashState(hash = location.hash): Loaded {
  if (!hash.startsWith(HASH_PREFIX)) return NOTHING;
  try {
    const value = decodeStateValue(hash.slice(HASH_PREFIX.length));
    const what = notAState(value);
    if (what) return { state: null, error: `This link holds ${what}, not a playground state.`, ignored: null, aside: null };
    const { state, unknown } = readState(value);
    const ignored = unknown.length ? `This link has fields this page does not read: ${unknown.join(', ')}; they were ignored.` : null;
    return { state: withKnownVariant(state), error: null, ignored, aside: null };
  } catch (error) {
    return { state: null, error: `This link's state could not be read: ${(error as Error).message}.`, ignored: null, aside: null };
  }
}

/** Why the state's kernel variant is not one the engine has, or null (core cannot know the variants). */
function variantProblem(state: PlaygroundState): string | null {
  return isVariant(state.variant) ? null : `state.variant must be one of ${VARIANT_NAMES.join(', ')}, got ${JSON.stringify(state.variant)}`;
}

/** The state when its kernel variant is one the engine has; an Error naming the field otherwise. */
function withKnownVariant(state: PlaygroundState): PlaygroundState {
  const problem = variantProblem(state);
  if (problem) throw new Error(problem);
  return state;
}

/**
 * The link that reproduces the state, or why it gets none (the address bar's rule: too many numbers
 * to encode, or too long a link), in words.
 */
export function shareableLink(state: PlaygroundState): { link: string } | { problem: string } {
  const cells = stateCells(state);
  if (cells > MAX_SAVED_CELLS)
    return {
      problem: `this problem holds ${cells.toLocaleString('en')} numbers, too many for a link (at most ${MAX_SAVED_CELLS.toLocaleString('en')})`,
    };
  const encoded = encodeState(state);
  if (encoded.length > MAX_LINK_CHARS)
    return {
      problem: `its link would be ${encoded.length.toLocaleString('en')} characters long, too long to share (at most ${MAX_LINK_CHARS.toLocaleString('en')})`,
    };
  return { link: `${location.origin}${location.pathname}${location.search}${HASH_PREFIX}${encoded}` };
}

/** Puts the state in the address bar without a history entry; false when it is too long for a link. */
export function writeHash(state: PlaygroundState): boolean {
  const encoded = encodeState(state);
  if (encoded.length > MAX_LINK_CHARS) return false;
  history.replaceState(null, '', `${location.pathname}${location.search}${HASH_PREFIX}${encoded}`);
  return true;
}

/**
 * The saved state, restored field by field: a field that does not read (or names a kernel variant
 * the engine lacks) gets its default and is named. Whenever something of the saved text would be
 * lost by the next save (a field dropped, a field this page does not read, a state of another
 * version or not a state at all), the text is first kept aside under UNRESTORED_KEY.
 */
export function loadLocal(): Loaded {
  const json = savedText();
  if (!json) return NOTHING;
  let reading: StateReading;
  try {
    const value = stateJsonValue(json);
    const what = notAState(value);
    if (what) return unrestorable(json, `The saved state is ${what}, not a playground state, so nothing of it was restored.`);
    reading = withDefaultVariant(parseStateLeniently(value));
  } catch (error) {
    return unrestorable(json, `The saved state could not be restored: ${(error as Error).message}.`);
  }
  const { state, dropped, unknown } = reading;
  const kept = dropped.length || unknown.length ? keepAside(json) : '';
  const fields = dropped.map((d) => d.field);
  const error = dropped.length
    ? `The saved state's ${listed(fields)} could not be restored (${dropped.map((d) => d.message).join('; ')}); the rest was. ${kept}`
    : null;
  const ignored = unknown.length
    ? `The saved state has fields this page does not read: ${unknown.join(', ')}; they were ignored.${error ? '' : ` ${kept}`}`
    : null;
  return { state, error, ignored, aside: kept ? json : null };
}

/** A saved text nothing of which is restored: `why`, and the text kept aside. */
function unrestorable(json: string, why: string): Loaded {
  return { state: null, error: `${why} ${keepAside(json)}`, ignored: null, aside: json };
}

/** The saved state a link's state would replace at the next save, kept aside first; null when there is none or it is the link's. */
export interface SavedBesideLink {
  /** The saved state as far as it reads (loadLocal), null when it does not read at all. */
  state: PlaygroundState | null;
  /** The saved text, kept aside under UNRESTORED_KEY. */
  text: string;
  /** Where it is kept, in words (or that storage refused it). */
  kept: string;
  /** What of it could not be restored (loadLocal's messages), to say when it is opened; null when all of it reads. */
  problems: Pick<Loaded, 'error' | 'ignored'>;
}

/**
 * A tab opened with a link shows the link's state, and its first save replaces the state this
 * browser had saved (another visit's work). That saved state is kept aside under UNRESTORED_KEY
 * first, and returned so the page can offer it; null when nothing is saved, or the same state.
 */
export function savedBesideLink(link: PlaygroundState): SavedBesideLink | null {
  const text = savedText();
  if (!text) return null;
  const { state, error, ignored } = loadLocal();
  if (state && sameState(state, link)) return null;
  return { state, text, kept: keepAside(text), problems: { error, ignored } };
}

/** The saved state's text; null when there is none or storage is out of reach. */
function savedText(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** The reading with a kernel variant the engine lacks dropped like any other field that did not read. */
function withDefaultVariant(reading: StateReading): StateReading {
  const problem = variantProblem(reading.state);
  if (!problem) return reading;
  return {
    ...reading,
    state: { ...reading.state, variant: defaultState().variant },
    dropped: [...reading.dropped, { field: 'variant', message: problem }],
  };
}

/** "a", "a and b", "a, b and c". */
function listed(names: readonly string[]): string {
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** Copies the saved text to UNRESTORED_KEY, and says where it is (or that storage refused it). */
function keepAside(json: string): string {
  try {
    // The latest UNRESTORED_SLOTS texts, newest first: keeping one aside never drops the one before.
    const slots = Array.from({ length: UNRESTORED_SLOTS }, (_, i) => unrestoredKey(i));
    const kept = slots.map((key) => localStorage.getItem(key));
    if (!kept.includes(json)) {
      for (let i = UNRESTORED_SLOTS - 1; i > 0; i--) if (kept[i - 1] !== null) localStorage.setItem(slots[i], kept[i - 1]!);
      localStorage.setItem(slots[0], json);
    }
    return `The saved text is kept aside in this browser's storage (${UNRESTORED_KEY}; the ${UNRESTORED_SLOTS} latest are kept), so your next change does not lose it.`;
  } catch {
    // True before and after this page's next save, and when storage refuses that save too.
    return "The saved text could not be kept aside (this browser's storage refused it): once this page saves a change, it is gone from storage, so download it to keep it.";
  }
}

/** The storage key of the i-th latest text kept aside: UNRESTORED_KEY, then UNRESTORED_KEY.1, … */
export function unrestoredKey(i: number): string {
  return i === 0 ? UNRESTORED_KEY : `${UNRESTORED_KEY}.${i}`;
}

/** False when storage is full or blocked (the page keeps working, it just will not remember). */
export function saveLocal(state: PlaygroundState): boolean {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(state));
    return true;
  } catch {
    return false;
  }
}

/**
 * The edited kernels an older page kept under the shader lab's own key, removing the key: from
 * now on the state (and so the link and the saved state) is their only home. Null when none.
 */
export function takeLegacyLabKernels(): Record<string, string> | null {
  try {
    const json = localStorage.getItem(LEGACY_LAB_KEY);
    if (json === null) return null;
    localStorage.removeItem(LEGACY_LAB_KEY);
    const stored = JSON.parse(json) as { kernels?: Record<string, unknown> } | null;
    const kernels = Object.entries(stored?.kernels ?? {}).filter(
      (e): e is [string, string] => isVerifiedStage(e[0]) && typeof e[1] === 'string' && e[1].length <= MAX_KERNEL_CHARS,
    );
    return kernels.length ? Object.fromEntries(kernels) : null;
  } catch {
    return null;
  }
}

/** The write-ahead record of a kernel on its first GPU run (src/core/kernel-safety.ts). */
const TRIAL_KEY = 'attention-playground.kernel-trial';

export function readTrialRecord(): TrialRecord | null {
  try {
    return parseTrialRecord(localStorage.getItem(TRIAL_KEY));
  } catch {
    return null;
  }
}

/** Written before the GPU runs a kernel not yet proven; null clears it (after the run came back). */
export function writeTrialRecord(record: TrialRecord | null): void {
  try {
    if (record) localStorage.setItem(TRIAL_KEY, encodeTrialRecord(record));
    else localStorage.removeItem(TRIAL_KEY);
  } catch {
    // Storage blocked: the page still holds a kernel that times out while it is open.
  }
}

/** The write-ahead records of the playground's and model mode's GPU runs with edited kernels (kernel-run-record.ts). */
const RUN_KEY = 'attention-playground.kernel-runs';

export function readRunRecords(): TrialRecord[] {
  try {
    return parseTrialRecords(localStorage.getItem(RUN_KEY));
  } catch {
    return [];
  }
}

/** The kernels of the runs in flight; an empty list clears the record. */
export function writeRunRecords(records: readonly TrialRecord[]): void {
  try {
    if (records.length) localStorage.setItem(RUN_KEY, encodeTrialRecords(records));
    else localStorage.removeItem(RUN_KEY);
  } catch {
    // Storage blocked: the watchdog still holds a kernel that times out while the page is open.
  }
}
