/**
 * The saved state is never lost without a word: two tabs share it (the one that did not save last
 * says so until it saves again), a saved state with one bad field restores the rest and keeps its
 * text aside across the next save, and a link's fields this page does not read are named.
 */
import LZString from 'lz-string';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'puppeteer';
import { DEFAULT_OPTIONS } from '../../src/core/options';
import { defaultState } from '../../src/core/state';
import { launchBrowser, openPage } from './browser';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  $app,
  allowDownloads,
  downloaded,
  freshPage,
  loadPreset,
  messages,
  readState,
  runId,
  savedLink,
  waitForMessage,
  waitForRun,
} from './app';

const STORAGE_KEY = 'attention-playground.state';
const UNRESTORED_KEY = 'attention-playground.state.unrestored';
const OTHER_TAB_NOTICE = 'attn-app >>> .notice[data-source="state-other-tab"]';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** Waits until the page has saved its current state (the save comes 400 ms after a change). */
async function waitForOwnSave(page: Page): Promise<void> {
  await page.waitForFunction(
    (key: string) => localStorage.getItem(key) === JSON.stringify(document.querySelector('attn-app')!.currentState),
    { polling: 100, timeout: 30_000 },
    STORAGE_KEY,
  );
}

/** The text of the page's notice about another tab's save, or null when it shows none. */
async function otherTabNotice(page: Page): Promise<string | null> {
  const notice = await page.$(OTHER_TAB_NOTICE);
  return notice ? notice.evaluate((el) => el.textContent?.trim() ?? '') : null;
}

/** Makes a random problem with the random-problem panel (n queries, m keys, widths dk and dv); its run is not waited for. */
async function generateRandom(page: Page, size: { n: number; m: number; dk: number; dv: number; seed: number }): Promise<void> {
  // The panel stays open after Generate: open it only when it is closed.
  if (!(await (await $app(page, 'attn-random-problem >>> details')).evaluate((el) => (el as HTMLDetailsElement).open)))
    await (await $app(page, 'attn-random-problem >>> summary')).click();
  for (const [field, value] of Object.entries(size)) {
    const input = await $app(page, `attn-random-problem >>> input[aria-label="random ${field}"]`);
    await input.click({ count: 3 });
    await page.keyboard.type(String(value));
  }
  await (await $app(page, 'attn-random-problem >>> #generate')).click();
  await page.waitForFunction(
    (n: number, m: number) => {
      const { q, k } = document.querySelector('attn-app')!.currentState.matrix;
      return q.length === n && k.length === m;
    },
    { polling: 100, timeout: 60_000 },
    size.n,
    size.m,
  );
}

describe('two tabs of the playground', () => {
  it('another tab’s different save is named until this tab saves again; an equal save or a removed one is not', async () => {
    const a = await freshPage(browser);
    await loadPreset(a.page, 'large-scores');
    await waitForOwnSave(a.page);
    // B shares A's storage (same browser context) and opens with A's saved state, without a link yet.
    const b = await openPage(a.page.browserContext(), inject('baseUrl'));
    await waitForRun(b.page);
    const bState = await readState(b.page);
    expect(bState.presetId).toBe('large-scores');
    expect(await b.page.evaluate(() => location.hash)).toBe('');

    // The storage event reaches B's test listener after the app's own (added first) has run.
    await b.page.evaluate(() => {
      (window as unknown as { storageEvents: number }).storageEvents = 0;
      addEventListener('storage', () => (window as unknown as { storageEvents: number }).storageEvents++);
    });
    // A saves B's own state, its keys in another order: nothing to tell B.
    await a.page.evaluate(
      (key: string, json: string) =>
        localStorage.setItem(key, JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(json)).reverse()))),
      STORAGE_KEY,
      JSON.stringify(bState),
    );
    await b.page.waitForFunction(() => (window as unknown as { storageEvents: number }).storageEvents === 1, { polling: 100 });
    expect(await otherTabNotice(b.page)).toBeNull();

    // A saves a different state: B says so, keeps its own state, and its link now holds it.
    // (A page in the background gets no animation frames: the one driven is brought to the front.)
    await a.page.bringToFront();
    await loadPreset(a.page, 'causal');
    await waitForOwnSave(a.page);
    await b.page.bringToFront();
    await b.page.waitForSelector(OTHER_TAB_NOTICE, { timeout: 30_000 });
    expect(await otherTabNotice(b.page)).toContain(
      "Another tab of the playground saved its state, so a new tab now opens with that one. This tab keeps its own (its link holds it), and your next change here saves it over the other tab's.",
    );
    expect(await readState(b.page)).toEqual(bState);
    await savedLink(b.page, (s) => s.presetId === 'large-scores');
    expect(await otherTabNotice(a.page)).toBeNull();

    // B changes something: its save replaces A's, B's notice goes, and A now says so.
    await loadPreset(b.page, 'sliding-window');
    await waitForOwnSave(b.page);
    await b.page.waitForSelector(OTHER_TAB_NOTICE, { hidden: true, timeout: 30_000 });
    await a.page.bringToFront();
    await a.page.waitForSelector(OTHER_TAB_NOTICE, { timeout: 30_000 });
    expect((await readState(a.page)).presetId).toBe('causal');

    // The saved state removed (storage cleared in B): nothing of B's is left for A to replace.
    await b.page.evaluate((key: string) => localStorage.removeItem(key), STORAGE_KEY);
    await a.page.waitForSelector(OTHER_TAB_NOTICE, { hidden: true, timeout: 30_000 });
    expect([...a.problems, ...b.problems]).toEqual([]);
  });

  it('a tab whose state is too long for its link, or holds too many numbers to save, is told a reload of it opens the other tab’s', async () => {
    const a = await freshPage(browser);
    const b = await openPage(a.page.browserContext(), inject('baseUrl'));
    await waitForRun(b.page);
    // 38,400 numbers: B saves them, but their link would be over 60,000 characters (none is written).
    await generateRandom(b.page, { n: 400, m: 400, dk: 32, dv: 32, seed: 1 });
    await waitForOwnSave(b.page);
    expect(await b.page.evaluate(() => location.hash)).toBe('');

    await a.page.bringToFront();
    await loadPreset(a.page, 'causal');
    await waitForOwnSave(a.page);
    await b.page.bringToFront();
    await b.page.waitForSelector(OTHER_TAB_NOTICE, { timeout: 30_000 });
    expect(await otherTabNotice(b.page)).toContain(
      "Another tab of the playground saved its state, so a new tab, or a reload of this one, now opens with that one: this tab's state is too long for its link. This tab keeps its own, and your next change here saves it over the other tab's.",
    );
    expect(await b.page.evaluate(() => location.hash)).toBe('');

    // 64·32 + 1600·64 = 104,448 numbers: B saves nothing, so A's save stays the saved state.
    await generateRandom(b.page, { n: 64, m: 1600, dk: 32, dv: 32, seed: 2 });
    await a.page.bringToFront();
    await loadPreset(a.page, 'sliding-window');
    await waitForOwnSave(a.page);
    await b.page.bringToFront();
    await waitForMessage(b.page, "this tab's problem holds too many numbers to save or link");
    expect(await otherTabNotice(b.page)).toContain(
      "Another tab of the playground saved its state, so a new tab, or a reload of this one, now opens with that one: this tab's problem holds too many numbers to save or link. Export the matrices (.npy) to keep them.",
    );
    expect(await b.page.evaluate((key: string) => JSON.parse(localStorage.getItem(key)!).presetId, STORAGE_KEY)).toBe('sliding-window');
    expect([...a.problems, ...b.problems]).toEqual([]);
  }, 300_000);
});

describe('a saved state this page cannot restore whole', () => {
  /** Writes `text` as the saved state and reopens the page (no link), waiting for its first run. */
  async function reopenWithSaved(page: Page, text: string): Promise<void> {
    await page.evaluate((key: string, saved: string) => localStorage.setItem(key, saved), STORAGE_KEY, text);
    await page.goto(inject('baseUrl'), { waitUntil: 'load' });
    await waitForRun(page);
  }

  it('bad fields: the rest is restored, each field named, and the saved text kept aside across the next save', async () => {
    const { page, problems } = await freshPage(browser);
    const q = [
      [2, 0, 1],
      [0, 3, 0],
    ];
    const state = defaultState();
    const text = JSON.stringify({
      ...state,
      matrix: { ...state.matrix, q },
      options: { ...DEFAULT_OPTIONS, heads: 0 },
      variant: 'bogus',
      view: { ...state.view, tab: 'compare' },
    });
    await reopenWithSaved(page, text);
    await waitForMessage(
      page,
      `The saved state's options.heads and variant could not be restored (state.options.heads must be an integer from 1 to 64; state.variant must be one of naive, tiled, fused, got "bogus"); the rest was. The saved text is kept aside in this browser's storage (attention-playground.state.unrestored; the 3 latest are kept), so your next change does not lose it.`,
    );
    const restored = await readState(page);
    expect(restored.matrix.q).toEqual(q);
    expect(restored.view.tab).toBe('compare');
    expect(restored.options).toEqual(DEFAULT_OPTIONS);
    expect(restored.variant).toBe(state.variant);
    expect(await page.evaluate((key: string) => localStorage.getItem(key), UNRESTORED_KEY)).toBe(text);

    // The next change saves over the saved state; the text kept aside stays.
    await loadPreset(page, 'causal');
    await waitForOwnSave(page);
    expect(await page.evaluate((key: string) => localStorage.getItem(key), UNRESTORED_KEY)).toBe(text);

    // A link opened over the new saved state keeps that one aside too: the earlier text moves one slot down, not out.
    const saved = await page.evaluate((key: string) => localStorage.getItem(key)!, STORAGE_KEY);
    await loadPreset(page, 'large-scores');
    const link = await savedLink(page, (s) => s.presetId === 'large-scores');
    await page.evaluate((key: string, json: string) => localStorage.setItem(key, json), STORAGE_KEY, saved);
    await page.goto('about:blank');
    await page.goto(link, { waitUntil: 'load' });
    await waitForRun(page);
    await page.waitForSelector('attn-app >>> .notice[data-source="state-saved-beside"]', { timeout: 30_000 });
    const kept = await page.evaluate((key: string) => [localStorage.getItem(key), localStorage.getItem(`${key}.1`)], UNRESTORED_KEY);
    expect(kept).toEqual([saved, text]);
    expect(problems).toEqual([]);
  });

  it('a state of another version is kept aside whole, and the page says so', async () => {
    const { page, problems } = await freshPage(browser);
    const text = JSON.stringify({ ...defaultState(), version: 2 });
    await reopenWithSaved(page, text);
    await waitForMessage(
      page,
      "The saved state could not be restored: state.version is 2; this page reads version 1. The saved text is kept aside in this browser's storage (attention-playground.state.unrestored; the 3 latest are kept)",
    );
    expect(await page.evaluate((key: string) => localStorage.getItem(key), UNRESTORED_KEY)).toBe(text);
    expect(problems).toEqual([]);
  });

  it('a state with more numbers than a save takes is shown, and said at once not to be saved; the saved text stays', async () => {
    const { page, problems } = await freshPage(browser);
    const state = defaultState();
    const grid = (seed: number) =>
      Array.from({ length: 240 }, (_, i) => Array.from({ length: 160 }, (_, j) => (((i * 7 + j * 3 + seed) % 19) - 9) / 10));
    // 3 · 240 · 160 = 115,200 numbers, past the 100,000 a save or a link takes.
    const text = JSON.stringify({ ...state, matrix: { ...state.matrix, q: grid(0), k: grid(1), v: grid(2) } });
    await reopenWithSaved(page, text);
    const TOO_LARGE =
      'The saved state holds 115,200 numbers, more than this page saves or puts in a link (at most 100,000): it is shown, but no change is saved while the problem holds more. Export the matrices (.npy) to keep them.';
    await waitForMessage(page, TOO_LARGE);
    expect((await readState(page)).matrix.q).toEqual(grid(0));

    // A change: not saved, and not announced again as news.
    const before = await runId(page);
    await (await $app(page, 'attn-options-panel >>> #causal')).click();
    await waitForRun(page, before);
    // Past the save's pause (400 ms), the page has had its chance to say it again.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await messages(page)).filter((t) => t.includes('numbers'))).toEqual([expect.stringContaining(TOO_LARGE)]);
    expect(await page.evaluate((key: string) => localStorage.getItem(key), STORAGE_KEY)).toBe(text);

    // A problem that fits is saved, and the notice goes.
    await loadPreset(page, 'causal');
    await waitForOwnSave(page);
    await page.waitForSelector('attn-app >>> .notice[data-source="state-too-large"]', { hidden: true, timeout: 30_000 });
    expect(problems).toEqual([]);
  }, 300_000);
});

describe('a link opened over another saved state', () => {
  const BESIDE_NOTICE = 'attn-app >>> .notice[data-source="state-saved-beside"]';

  it('keeps that saved state aside and offers it: opened here (Undo comes back to the link) or as a file', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'causal');
    await waitForOwnSave(page);
    const own = await page.evaluate((key: string) => localStorage.getItem(key)!, STORAGE_KEY);
    // Another problem's link, opened in the same tab as a new visit.
    await loadPreset(page, 'large-scores');
    const link = await savedLink(page, (s) => s.presetId === 'large-scores');
    await page.evaluate((key: string, saved: string) => localStorage.setItem(key, saved), STORAGE_KEY, own);
    await page.goto('about:blank');
    await page.goto(link, { waitUntil: 'load' });
    await waitForRun(page);
    expect((await readState(page)).presetId).toBe('large-scores');
    const notice = await page.waitForSelector(BESIDE_NOTICE, { timeout: 30_000 });
    expect(await notice!.evaluate((el) => el.textContent)).toContain(
      "This tab shows the link's state, not the state this browser saved before (another visit's or another tab's). The saved text is kept aside in this browser's storage (attention-playground.state.unrestored; the 3 latest are kept)",
    );
    expect(await page.evaluate((key: string) => localStorage.getItem(key), UNRESTORED_KEY)).toBe(own);

    // Download it: the saved text as a file.
    const dir = await allowDownloads(page);
    const buttons = async () => (await $app(page, '.notice[data-source="state-saved-beside"]')).$$('button.action');
    const [, download] = await buttons();
    expect(await download.evaluate((el) => el.textContent)).toBe('Download it');
    await download.click();
    expect(readFileSync(await downloaded(join(dir, 'attention-playground-saved-state.json')), 'utf8')).toBe(own);

    // Open it: the saved state replaces the link's as one undo step.
    const [open] = await buttons();
    expect(await open.evaluate((el) => el.textContent)).toBe('Open the saved state');
    const before = await runId(page);
    await open.click();
    await waitForRun(page, before);
    expect((await readState(page)).presetId).toBe('causal');
    expect(await page.$(BESIDE_NOTICE)).toBeNull();
    await (await $app(page, 'attn-header >>> button[title="Undo (Ctrl+Z)"]')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.presetId === 'large-scores', { polling: 100 });

    // A link to the state saved is no news: no offer.
    await waitForOwnSave(page);
    const same = await savedLink(page, (s) => s.presetId === 'large-scores');
    await page.goto('about:blank');
    await page.goto(same, { waitUntil: 'load' });
    await waitForRun(page);
    expect(await page.$(BESIDE_NOTICE)).toBeNull();
    expect(problems).toEqual([]);
  });
});

describe('a link opened over another saved state, then changed', () => {
  const BESIDE_NOTICE = 'attn-app >>> .notice[data-source="state-saved-beside"]';

  it('the offer says nothing that stops being true once this tab’s change saves over the saved state', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'causal');
    await waitForOwnSave(page);
    const own = await page.evaluate((key: string) => localStorage.getItem(key)!, STORAGE_KEY);
    await loadPreset(page, 'large-scores');
    const link = await savedLink(page, (s) => s.presetId === 'large-scores');
    await page.evaluate((key: string, saved: string) => localStorage.setItem(key, saved), STORAGE_KEY, own);
    await page.goto('about:blank');
    await page.goto(link, { waitUntil: 'load' });
    await waitForRun(page);
    const noticeText = async () => (await page.waitForSelector(BESIDE_NOTICE, { timeout: 30_000 }))!.evaluate((el) => el.textContent ?? '');
    const offer = await noticeText();
    expect(offer).toContain(
      "This tab shows the link's state, not the state this browser saved before (another visit's or another tab's). The saved text is kept aside in this browser's storage (attention-playground.state.unrestored; the 3 latest are kept), so your next change does not lose it.",
    );

    // A change here: its save replaces the saved state, and every word of the offer still holds.
    await loadPreset(page, 'sliding-window');
    await waitForOwnSave(page);
    expect(await page.evaluate((key: string) => localStorage.getItem(key), STORAGE_KEY)).not.toBe(own);
    expect(await noticeText()).toBe(offer);
    expect(await page.evaluate((key: string) => localStorage.getItem(key), UNRESTORED_KEY)).toBe(own);
    const [open] = await (await $app(page, '.notice[data-source="state-saved-beside"]')).$$('button.action');
    const before = await runId(page);
    await open.click();
    await waitForRun(page, before);
    expect((await readState(page)).presetId).toBe('causal');
    expect(problems).toEqual([]);
  });
});

describe('fields this page does not read', () => {
  it('a link’s unknown fields are named, and the rest of the link is read', async () => {
    const state = defaultState();
    const value = { ...state, foo: 1, options: { ...DEFAULT_OPTIONS, causal: true, bar: 2 } };
    const hash = `#s=${LZString.compressToEncodedURIComponent(JSON.stringify(value))}`;
    // Information closes itself after six seconds: look for it before the first run is waited for.
    const { page, problems } = await openPage(await browser.createBrowserContext(), `${inject('baseUrl')}${hash}`);
    await waitForMessage(page, 'This link has fields this page does not read: foo, options.bar; they were ignored.');
    await waitForRun(page);
    expect((await readState(page)).options.causal).toBe(true);
    expect((await messages(page)).some((t) => t.includes("This link's state could not be read"))).toBe(false);
    expect(problems).toEqual([]);
  });
});
