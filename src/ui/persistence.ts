/**
 * Where the state lives between visits: the URL hash (#s=…, compressed; a link reproduces the
 * view) and localStorage (the last state, restored on reload). Reading either never throws: a
 * malformed link or a corrupt saved state comes back as an error message instead.
 */
import type { TrialRecord } from '../core/kernel-safety';
import { encodeTrialRecord, encodeTrialRecords, parseTrialRecord, parseTrialRecords } from '../core/kernel-safety';
import type { PlaygroundState } from '../core/state';
import { decodeState, encodeState, MAX_KERNEL_CHARS, MAX_SAVED_CELLS, parseStateJson, stateCells } from '../core/state';
import { isVerifiedStage } from '../core/stages';
import { isVariant, VARIANT_NAMES } from '../gpu/variants';

export const STORAGE_KEY = 'attention-playground.state';
/** Where the shader lab kept edited kernels before the state owned them (read once, then removed). */
const LEGACY_LAB_KEY = 'attn.shaderLab.v1';
const HASH_PREFIX = '#s=';
/** Longer links are not written to the address bar (browsers and chat apps cut them). */
export const MAX_LINK_CHARS = 60_000;

export type Loaded = { state: PlaygroundState; error: null } | { state: null; error: string | null };

/** The state in the current URL's hash; { state: null, error: null } when there is none. */
export function readHashState(hash = location.hash): Loaded {
  if (!hash.startsWith(HASH_PREFIX)) return { state: null, error: null };
  try {
    return { state: withKnownVariant(decodeState(hash.slice(HASH_PREFIX.length))), error: null };
  } catch (error) {
    return { state: null, error: `This link's state could not be read: ${(error as Error).message}.` };
  }
}

/** The state when its kernel variant is one the engine has; an Error naming the field otherwise (core cannot know the variants). */
function withKnownVariant(state: PlaygroundState): PlaygroundState {
  if (!isVariant(state.variant))
    throw new Error(`state.variant must be one of ${VARIANT_NAMES.join(', ')}, got ${JSON.stringify(state.variant)}`);
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

export function loadLocal(): Loaded {
  let json: string | null = null;
  try {
    json = localStorage.getItem(STORAGE_KEY);
  } catch {
    return { state: null, error: null };
  }
  if (!json) return { state: null, error: null };
  try {
    return { state: withKnownVariant(parseStateJson(json)), error: null };
  } catch (error) {
    return { state: null, error: `The saved state could not be restored: ${(error as Error).message}.` };
  }
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
