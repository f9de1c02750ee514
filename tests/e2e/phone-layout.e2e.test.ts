/**
 * The page on phones (issue 14): at 360 and 390 CSS pixels the page never scrolls sideways, and
 * the controls a user needs — the example menu, the Run button, every tab and the verdict badges —
 * lie inside the screen on every output tab, in matrix, sentence and model mode. Wide tables and
 * maps scroll inside their own boxes. Any console error fails (tests/e2e/browser.ts).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'puppeteer';
import { launchBrowser } from './browser';
import type { WatchedPage } from './browser';
import { freshPage, waitForRun } from './app';
import { DEFAULT_OPTIONS } from '../../src/core/options';
import { defaultState, encodeState } from '../../src/core/state';
import { MODES, showMode, showTab, tabsOf } from './views';
import type { ViewTab } from '../../src/core/state';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Controls that must be on screen: a deep selector each (all of its matches, where shown). */
const CONTROLS = [
  'attn-header >>> #preset',
  'attn-header >>> button.primary',
  '[role=tab]',
  'attn-verdict >>> .badge',
  'attn-model-grid >>> [data-verdict]',
];

interface Fit {
  scrollWidth: number;
  outside: string[];
}

/** The page's scroll width and the controls whose box sticks out of [0, width]. */
async function fit(page: Page, width: number): Promise<Fit> {
  const outside: string[] = [];
  for (const selector of CONTROLS) {
    for (const handle of await page.$$(`attn-app >>> ${selector}`)) {
      const box = await handle.boundingBox();
      if (!box || box.width === 0) continue; // not shown on this tab (hidden panel, closed menu)
      if (box.x < -0.5 || box.x + box.width > width + 0.5) {
        const name = await handle.evaluate((el) => el.id || el.textContent?.trim().slice(0, 30) || el.tagName);
        outside.push(`${selector} "${name}": ${Math.round(box.x)}…${Math.round(box.x + box.width)}`);
      }
    }
  }
  return { scrollWidth: await page.evaluate(() => document.documentElement.scrollWidth), outside };
}

describe.each([360, 390])('%i px wide', (width) => {
  let watched: WatchedPage;
  beforeAll(async () => {
    watched = await freshPage(browser, { beforeLoad: (p) => p.setViewport({ width, height: 780, isMobile: true, hasTouch: true }) });
  });
  afterAll(async () => {
    expect(watched?.problems ?? []).toEqual([]);
    await watched?.page.close();
  });

  describe.each(MODES)('%s mode', (mode) => {
    beforeAll(async () => {
      await showMode(watched.page, mode);
    });

    // A mode without output tabs (memory) is checked as it shows.
    it.each(tabsOf(mode).length ? tabsOf(mode) : ['its own panel, no'])(
      '%s tab: no sideways scrolling, every control on screen',
      async (tab) => {
        if (tabsOf(mode).length) await showTab(watched.page, tab as ViewTab);
        const { scrollWidth, outside } = await fit(watched.page, width);
        expect(scrollWidth).toBeLessThanOrEqual(width);
        expect(outside).toEqual([]);
      },
    );
  });
});

describe('a notice with buttons (a saved state kept aside)', () => {
  it('wraps its buttons below its text at 360 px: no sideways scrolling, every button on screen', async () => {
    const width = 360;
    const { page, problems } = await freshPage(browser, {
      beforeLoad: (p) => p.setViewport({ width, height: 780, isMobile: true, hasTouch: true }),
    });
    // A link opened over another saved state: the notice offers it (Open, Download) with a close button.
    await page.evaluate((json: string) => localStorage.setItem('attention-playground.state', json), JSON.stringify(defaultState()));
    const link = { ...defaultState(), options: { ...DEFAULT_OPTIONS, causal: true } };
    await page.goto('about:blank');
    await page.goto(`${inject('baseUrl')}#s=${encodeState(link)}`, { waitUntil: 'load' });
    await waitForRun(page);
    const buttons = await page.$$('attn-app >>> .notice[data-source="state-saved-beside"] button');
    expect(buttons).toHaveLength(3);
    for (const button of buttons) {
      const box = (await button.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(width + 0.5);
    }
    // The text keeps a readable width (unwrapped, the buttons squeezed it into a column a word wide).
    const text = (await (await page.$('attn-app >>> .notice[data-source="state-saved-beside"] span'))!.boundingBox())!;
    expect(text.width).toBeGreaterThan(width / 2);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    expect(problems).toEqual([]);
  });
});
