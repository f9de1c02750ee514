/**
 * Driving <attn-app> from puppeteer: wait for runs, pick presets, and read what the page computed
 * (the coordinator exposes its last run as `lastOutcome` and its state as `currentState`).
 */
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { decodeState } from '../../src/core/state';
import type { PlaygroundState } from '../../src/core/state';
import type { AttentionOptions } from '../../src/core/options';
import { openPage } from './browser';
import type { WatchedPage } from './browser';

export interface PageRun {
  run: number;
  state: string;
  pass: boolean | null;
  stages: Record<'scores' | 'probs' | 'output', boolean | null>;
  n: number;
  m: number;
  queryLabels: string[];
  keyLabels: string[];
  gpuOutput: number[] | null;
  gpuProbs: number[] | null;
  cpuOutput: number[];
  cpuProbs: number[];
  outputCols: number;
  gpuError: string | null;
}

export interface FreshPageOptions {
  /** The address to open; the served app (inject('baseUrl')) by default. */
  url?: string;
  /** Appended to the address, e.g. `#s=…` for a state in the link. */
  hash?: string;
  /** Runs before the page loads (e.g. evaluateOnNewDocument). */
  beforeLoad?: (page: Page) => Promise<void>;
}

/**
 * The app in a new browser context (empty localStorage: nothing leaks between tests), opened and
 * past its first run. Its `problems` collect console errors and failed requests (./browser.ts).
 */
export async function freshPage(browser: Browser, options: FreshPageOptions = {}): Promise<WatchedPage> {
  const context = await browser.createBrowserContext();
  const watched = await openPage(context, `${options.url ?? inject('baseUrl')}${options.hash ?? ''}`, options.beforeLoad);
  await waitForRun(watched.page);
  return watched;
}

/** The run id the page finished last (0 before the first). */
export function runId(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.querySelector('attn-app')?.dataset.run ?? 0));
}

/** Waits until a run newer than `after` has finished (or the state cannot run). */
export async function waitForRun(page: Page, after = 0, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (previous: number) => {
      const app = document.querySelector('attn-app');
      const state = app?.dataset.state;
      return state === 'error' || (state === 'done' && Number(app?.dataset.run ?? 0) > previous);
    },
    { timeout },
    after,
  );
}

export async function readRun(page: Page): Promise<PageRun> {
  return page.evaluate(() => {
    const app = document.querySelector('attn-app')!;
    const o = app.lastOutcome!;
    const c = o.check;
    return {
      run: o.id,
      state: app.dataset.state ?? '',
      pass: c ? c.pass : null,
      stages: { scores: c?.scores?.pass ?? null, probs: c?.probs?.pass ?? null, output: c?.output.pass ?? null },
      n: o.problem.shape.n,
      m: o.problem.shape.m,
      queryLabels: [...o.problem.queryLabels],
      keyLabels: [...o.problem.keyLabels],
      gpuOutput: o.gpu ? Array.from(o.gpu.output) : null,
      gpuProbs: o.gpu?.probs ? Array.from(o.gpu.probs) : null,
      cpuOutput: Array.from(o.reference.output.data),
      cpuProbs: Array.from(o.reference.probs.data),
      outputCols: o.reference.output.cols,
      gpuError: o.gpuError,
    };
  });
}

export function readState(page: Page): Promise<PlaygroundState> {
  return page.evaluate(() => JSON.parse(JSON.stringify(document.querySelector('attn-app')!.currentState)) as PlaygroundState);
}

/** Does something that edits the state and waits for the run it starts. */
export async function edited(page: Page, action: () => Promise<unknown>): Promise<void> {
  const id = await runId(page);
  await action();
  await waitForRun(page, id);
}

/** Replaces the text of an input by typing, as a user would (one input event per key). */
export async function typeInto(page: Page, input: ElementHandle<Element>, text: string): Promise<void> {
  await input.click({ count: 3 });
  await input.evaluate((el) => (el as HTMLInputElement).select());
  await page.keyboard.type(text);
}

/** The options of the current state. */
export async function readOptions(page: Page): Promise<AttentionOptions> {
  return (await readState(page)).options;
}

/** An element inside the app's shadow roots, by a puppeteer deep selector (">>>" pierces shadow roots). */
export async function $app(page: Page, selector: string): Promise<ElementHandle<Element>> {
  const handle = await page.waitForSelector(`attn-app >>> ${selector}`, { timeout: 30_000 });
  if (!handle) throw new Error(`no element matches attn-app >>> ${selector}`);
  return handle;
}

export async function loadPreset(page: Page, id: string): Promise<void> {
  const before = await runId(page);
  const select = (await $app(page, '#preset')) as ElementHandle<HTMLSelectElement>;
  await select.select(id);
  await waitForRun(page, before);
}

/** Waits until some notice or inline message contains `text`. */
export async function waitForMessage(page: Page, text: string, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    (wanted: string) => {
      const found = (root: ParentNode): boolean =>
        [...root.querySelectorAll('[role=alert], .notice, .message')].some((el) => (el.textContent ?? '').includes(wanted)) ||
        [...root.querySelectorAll('*')].some((el) => !!el.shadowRoot && found(el.shadowRoot));
      return found(document);
    },
    { timeout },
    text,
  );
}

/** Text of the page's notices and inline messages (everything role=alert or a notice). */
export function messages(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const walk = (root: ParentNode) => {
      root.querySelectorAll('[role=alert], .notice, .message').forEach((el) => out.push((el.textContent ?? '').trim()));
      root.querySelectorAll('*').forEach((el) => el.shadowRoot && walk(el.shadowRoot));
    };
    walk(document);
    return out;
  });
}

/** Row i of an n×cols row-major array. */
export function row(values: number[], cols: number, i: number): number[] {
  return values.slice(i * cols, (i + 1) * cols);
}

/** Clicks the sentence-mode tab and waits for the first finished run in sentence mode. */
export async function toSentenceMode(page: Page): Promise<void> {
  await (await $app(page, '#mode-sentence')).click();
  await page.waitForFunction(
    () =>
      document.querySelector('attn-app')?.lastOutcome?.problem.mode === 'sentence' &&
      document.querySelector('attn-app')?.dataset.state === 'done',
    { timeout: 60_000 },
  );
}

/**
 * The page's address once its hash holds a state that satisfies `check`. The hash and the stored
 * state are written after a short pause, so waiting on `currentState` alone can read an older link.
 */
export async function savedLink(page: Page, check: (s: PlaygroundState) => boolean): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const href = await page.evaluate(() => location.href);
    const at = href.indexOf('#s=');
    if (at >= 0 && check(decodeState(href.slice(at + 3)))) return href;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the link never held the expected state');
}

/** Lets the page download into a fresh folder, which it returns. */
export async function allowDownloads(page: Page): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'attn-e2e-downloads-'));
  const cdp = await page.createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir, browserContextId: page.browserContext().id });
  return dir;
}

/** The path of a download once its bytes are there (the file can appear empty first); the path as it is after 10 s. */
export async function downloaded(path: string): Promise<string> {
  for (let t = 0; t < 100 && !(existsSync(path) && statSync(path).size > 0); t++) await new Promise((r) => setTimeout(r, 100));
  return path;
}
