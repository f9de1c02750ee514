/**
 * The page for everyone (issue 14): axe-core finds no violation on any output tab, in matrix,
 * sentence and model mode, in the light and the dark theme; the dark theme follows
 * prefers-color-scheme and the theme picker, which a reload keeps; every tablist follows the
 * WAI-ARIA tab pattern; the skip link reaches the results; a heatmap's values open as a table; the
 * line view's words are focusable and say their weights; an exported PNG is as wide as its title.
 * Any console error fails (tests/e2e/browser.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, KeyInput, Page } from 'puppeteer';
import { launchBrowser } from './browser';
import type { WatchedPage } from './browser';
import { $app, freshPage } from './app';
import { axeViolations, emulateScheme, MODES, settle, showMode, showTab, tabsOf } from './views';
import type { ViewTab } from '../../src/core/state';

let browser: Browser;
let watched: WatchedPage;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  watched = await freshPage(browser);
  page = watched.page;
});

afterAll(async () => {
  expect(watched?.problems ?? []).toEqual([]);
  await browser?.close();
});

const SCHEMES = ['light', 'dark'] as const;

describe.each(MODES)('%s mode', (mode) => {
  beforeAll(async () => {
    await emulateScheme(page, 'light');
    await showMode(page, mode);
  });

  // A mode without output tabs (memory) is checked as it shows, once per theme.
  const views = tabsOf(mode).length ? tabsOf(mode) : [null];
  it.each(views.flatMap((tab) => SCHEMES.map((scheme) => [tab ?? 'its own panel, no', scheme] as const)))(
    '%s tab, %s theme: axe finds no violations',
    async (tab, scheme) => {
      if (tabsOf(mode).length) await showTab(page, tab as ViewTab);
      await emulateScheme(page, scheme);
      const violations = await axeViolations(page);
      expect(violations, violations.join('\n')).toEqual([]);
    },
  );
});

/** The page's background and text colours, and the first heatmap's background pixel. */
function colours(p: Page): Promise<{ background: string; text: string; heading: string }> {
  return p.evaluate(() => {
    const layout = document.querySelector('attn-app')!.shadowRoot!.querySelector('attn-layout')!;
    const h1 = layout.shadowRoot!.querySelector('attn-header')!.shadowRoot!.querySelector('h1')!;
    return {
      background: getComputedStyle(document.body).backgroundColor,
      text: getComputedStyle(document.body).color,
      heading: getComputedStyle(h1).color,
    };
  });
}

describe('dark mode', () => {
  beforeAll(async () => {
    await showMode(page, 'matrix');
    await showTab(page, 'attention');
  });

  it('follows prefers-color-scheme: the background and the text change colour', async () => {
    await emulateScheme(page, 'light');
    const light = await colours(page);
    await emulateScheme(page, 'dark');
    const dark = await colours(page);
    expect(dark.background).not.toBe(light.background);
    expect(dark.text).not.toBe(light.text);
    expect(dark.heading).not.toBe(light.heading);
    // Dark really is dark: the background's channels are low.
    expect(Math.max(...(dark.background.match(/\d+/g) ?? []).slice(0, 3).map(Number))).toBeLessThan(60);
  });

  it('the picker overrides the system, and a reload keeps the choice (localStorage)', async () => {
    const fresh = await freshPage(browser, {
      beforeLoad: (p) => p.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]),
    });
    const p = fresh.page;
    expect(await p.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    await ((await $app(p, '#theme')) as unknown as { select(v: string): Promise<string[]> }).select('dark');
    expect(await p.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await p.reload({ waitUntil: 'load' });
    await p.waitForFunction(() => document.querySelector('attn-app')?.dataset.state === 'done', { timeout: 60_000 });
    expect(await p.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await p.$eval('attn-app >>> #theme', (el) => (el as HTMLSelectElement).value)).toBe('dark');
    // Back to the system's choice: the page follows prefers-color-scheme again.
    await ((await $app(p, '#theme')) as unknown as { select(v: string): Promise<string[]> }).select('system');
    expect(await p.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    await emulateScheme(p, 'dark');
    expect(fresh.problems).toEqual([]);
    await p.close();
  });

  it('redraws the heatmaps with the dark ink', async () => {
    await emulateScheme(page, 'dark');
    const corner = () =>
      page.$eval('attn-app >>> attn-stage-view >>> attn-heatmap >>> canvas', (c) =>
        Array.from((c as HTMLCanvasElement).getContext('2d')!.getImageData(1, 1, 1, 1).data.slice(0, 3)),
      );
    const dark = await corner();
    await emulateScheme(page, 'light');
    const light = await corner();
    expect(Math.max(...dark)).toBeLessThan(60);
    expect(Math.min(...light)).toBeGreaterThan(200);
  });
});

/** The deep active element's id (through shadow roots). */
function activeId(p: Page): Promise<string> {
  return p.evaluate(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return el?.id || el?.className || el?.tagName || '';
  });
}

describe('keyboard', () => {
  beforeAll(async () => {
    await emulateScheme(page, 'light');
    await showMode(page, 'matrix');
    await showTab(page, 'attention');
  });

  it.each([
    [
      'output tabs',
      '#tab-attention',
      ['ArrowRight', 'tab-compare'],
      ['End', 'tab-profiler'],
      ['ArrowRight', 'tab-attention'],
      ['ArrowLeft', 'tab-profiler'],
    ],
    [
      'input modes',
      '#mode-matrix',
      ['ArrowRight', 'mode-sentence'],
      ['Home', 'mode-matrix'],
      ['ArrowLeft', 'mode-memory'],
      ['ArrowLeft', 'mode-mlp'],
      ['End', 'mode-memory'],
      ['ArrowRight', 'mode-matrix'],
    ],
  ] as const)('%s follow the tab pattern (arrows, Home, End; one tab in the Tab order)', async (_, first, ...moves) => {
    await (await $app(page, first)).focus();
    for (const [key, id] of moves) {
      await page.keyboard.press(key as KeyInput);
      expect(await activeId(page), `after ${key}`).toBe(id);
      const tabs = await page.$$eval(`attn-app >>> #${id}`, (els) => {
        const list = els[0].closest('[role=tablist]')!;
        return [...list.querySelectorAll('[role=tab]')].map((t) => ({
          id: t.id,
          selected: t.getAttribute('aria-selected'),
          tabindex: t.getAttribute('tabindex'),
          controls: !!(t.getRootNode() as ShadowRoot).getElementById(t.getAttribute('aria-controls') ?? ''),
        }));
      });
      for (const t of tabs) {
        expect(t.selected, t.id).toBe(t.id === id ? 'true' : 'false');
        expect(t.tabindex, t.id).toBe(t.id === id ? '0' : '-1');
        expect(t.controls, `${t.id} controls a tabpanel`).toBe(true);
      }
    }
    await showMode(page, 'matrix');
    await showTab(page, 'attention');
  });

  it('the shader lab stage tabs follow it too', async () => {
    await showTab(page, 'lab');
    const ids = await page.$$eval('attn-app >>> attn-shader-lab >>> [role=tab]', (els) => els.map((e) => e.id));
    await (await $app(page, `attn-shader-lab >>> #${ids[0]}`)).focus();
    await page.keyboard.press('ArrowRight');
    expect(await activeId(page)).toBe(ids[1]);
    await page.keyboard.press('End');
    expect(await activeId(page)).toBe(ids[ids.length - 1]);
    expect(await page.$eval(`attn-app >>> attn-shader-lab >>> #${ids[ids.length - 1]}`, (el) => el.getAttribute('aria-selected'))).toBe(
      'true',
    );
    await page.keyboard.press('Home');
    await showTab(page, 'attention');
  });

  it('the first Tab reaches the skip link, which moves the focus to the results', async () => {
    // A click on the page's margin puts the Tab order's starting point at the top of the page.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.mouse.click(2, 2);
    await page.keyboard.press('Tab');
    expect(await activeId(page)).toBe('skip-link');
    await page.keyboard.press('Enter');
    expect(await activeId(page)).toBe('results');
  });
});

describe('screen readers', () => {
  beforeAll(async () => {
    await showMode(page, 'matrix');
    await showTab(page, 'attention');
  });

  it("a heatmap's values open as a table with a header per row and column", async () => {
    const map = await $app(page, 'attn-stage-view >>> attn-heatmap[data-stage="probs"]');
    const summary = await map.$('>>> details.values summary');
    await summary!.click();
    await settle(page);
    const table = await map.evaluate((el) => {
      const h = el as HTMLElement & { rows: number; cols: number; values: ArrayLike<number> };
      const t = el.shadowRoot!.querySelector('table')!;
      return {
        rows: h.rows,
        cols: h.cols,
        first: h.values[0],
        colHeaders: t.querySelectorAll('thead th[scope=col]').length,
        rowHeaders: t.querySelectorAll('tbody th[scope=row]').length,
        cells: [...t.querySelectorAll('tbody td')].map((td) => td.textContent?.trim() ?? ''),
      };
    });
    expect(table.rowHeaders).toBe(table.rows);
    expect(table.colHeaders).toBe(table.cols + 1);
    expect(table.cells).toHaveLength(table.rows * table.cols);
    expect(Number(table.cells[0])).toBeCloseTo(table.first, 3);
  });

  it("the line view's words are focusable and say their weights", async () => {
    await showMode(page, 'sentence');
    await showTab(page, 'attention');
    const words = await page.$$eval('attn-app >>> attn-line-view >>> text[tabindex="0"]', (els) =>
      els.map((e) => ({ role: e.getAttribute('role'), label: e.getAttribute('aria-label') ?? '' })),
    );
    const keys = words.filter((w) => w.role === 'img');
    const queries = words.filter((w) => w.role === 'button');
    expect(queries.length).toBeGreaterThan(1);
    expect(keys.length).toBeGreaterThan(1);
    for (const k of keys) expect(k.label).toMatch(/^key .+: weight \d\.\d{3}$/);
    // Enter on a query word focuses that query.
    const before = await page.evaluate(() => document.querySelector('attn-app')!.currentState.view.focusQuery);
    const next = await $app(page, `attn-line-view >>> text[role=button][aria-pressed="false"]`);
    await next.evaluate((el) => (el as SVGElement).focus());
    expect(
      await next.evaluate((el) => el.getRootNode() instanceof ShadowRoot && (el.getRootNode() as ShadowRoot).activeElement === el),
    ).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForFunction((b: number) => document.querySelector('attn-app')!.currentState.view.focusQuery !== b, {}, before);
    await showMode(page, 'matrix');
  });
});

describe('heatmap PNG export', () => {
  it('is at least as wide as its title, however long', async () => {
    await showTab(page, 'attention');
    const result = await page.$eval('attn-app >>> attn-stage-view >>> attn-heatmap', async (el) => {
      const map = el as HTMLElement & {
        caption: string;
        exportTitle: string;
        exportCanvas(): HTMLCanvasElement;
        updateComplete: Promise<boolean>;
      };
      map.caption = 'a caption long enough to be wider than the map itself, which is small, so the title must not be cut off at the edge';
      await map.updateComplete;
      const ctx = document.createElement('canvas').getContext('2d')!;
      ctx.font = '600 14px system-ui, -apple-system, "Segoe UI", sans-serif';
      return { canvas: map.exportCanvas().width, title: ctx.measureText(map.exportTitle).width };
    });
    // The export is drawn at twice the CSS size; the title starts 6 px in.
    expect(result.canvas / 2).toBeGreaterThanOrEqual(result.title + 6);
  });
});
