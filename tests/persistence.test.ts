/**
 * The saved state in words (src/ui/persistence.ts), against an in-memory localStorage: a saved text
 * that is no playground state at all is named for what it is, and every notice's words about the
 * text kept aside stay true after the page's next save, or when storage refuses it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultState } from '../src/core/state';
import { loadLocal, savedBesideLink, STORAGE_KEY, UNRESTORED_KEY } from '../src/ui/persistence';

/** localStorage as a Map; `refuse` names keys whose writes throw (storage full or off). */
class MemoryStorage {
  readonly items = new Map<string, string>();
  constructor(private readonly refuse: (key: string) => boolean = () => false) {}
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.refuse(key)) throw new DOMException('quota exceeded', 'QuotaExceededError');
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

function useStorage(storage: MemoryStorage): MemoryStorage {
  vi.stubGlobal('localStorage', storage);
  return storage;
}

afterEach(() => vi.unstubAllGlobals());

describe('a saved state that is no playground state', () => {
  beforeEach(() => useStorage(new MemoryStorage()));

  it.each([
    ['42', 'a number (42)'],
    ['[1,2,3]', 'an array of 3 items'],
    ['[]', 'an empty array'],
    ['{}', 'an empty object'],
    ['null', 'null'],
    ['true', 'the value true'],
    ['"hello"', 'a string ("hello")'],
    ['{"mode":"matrix","q":[[1]]}', 'an object without a version field (its fields: mode, q)'],
  ])('%s is named for what it is, and kept aside', (text, what) => {
    localStorage.setItem(STORAGE_KEY, text);
    const loaded = loadLocal();
    expect(loaded.state).toBeNull();
    expect(loaded.error).toBe(
      `The saved state is ${what}, not a playground state, so nothing of it was restored. The saved text is kept aside in this browser's storage (${UNRESTORED_KEY}; the 3 latest are kept), so your next change does not lose it.`,
    );
    expect(loaded.aside).toBe(text);
    expect(localStorage.getItem(UNRESTORED_KEY)).toBe(text);
  });

  it('a state of another version still names its version', () => {
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ ...defaultState(), version: 2 }));
    expect(loadLocal().error).toMatch(/^The saved state could not be restored: state\.version is 2; this page reads version 1\. /);
  });
});

describe('a saved text that storage refuses to keep aside', () => {
  it('is said in words true before and after the next save: it is in storage only until then', () => {
    const storage = useStorage(new MemoryStorage((key) => key.startsWith(UNRESTORED_KEY)));
    const saved = JSON.stringify({ ...defaultState(), presetId: 'causal' });
    storage.items.set(STORAGE_KEY, saved);
    const beside = savedBesideLink({ ...defaultState(), presetId: 'large-scores' });
    expect(beside?.text).toBe(saved);
    expect(beside?.kept).toBe(
      "The saved text could not be kept aside (this browser's storage refused it): once this page saves a change, it is gone from storage, so download it to keep it.",
    );
    expect(beside?.kept).not.toMatch(/next change/);
  });
});
