/**
 * The profiler as a tab of the playground: opened from the tab bar (its chunk loads then), a tiny
 * sweep set up through its controls renders its table and plots, the tab is in the shared link,
 * and no console error appears. No timing is asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'puppeteer';
import { decodeState } from '../../src/core/state';
import { launchBrowser } from './browser';
import { $app, freshPage } from './app';
import { profiler, setChecked, waitForProfile, waitForRunButton } from './profiler-page';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function typeNumber(page: Page, id: string, value: number): Promise<void> {
  const input = await profiler(page, `#${id}`);
  await input.click({ count: 3 });
  await page.keyboard.type(String(value));
  await page.keyboard.press('Tab');
}

describe('the Profiler tab of the playground', () => {
  it('runs a tiny sweep (N 16, 32; naive and fused; one repeat) and keeps the tab in the link', async () => {
    const { page, problems } = await freshPage(browser);
    expect(await page.evaluate(() => !!customElements.get('attn-profiler')), 'the profiler is loaded lazily').toBe(false);
    await (await $app(page, '#tab-profiler')).click();
    await waitForRunButton(page);
    expect(await (await $app(page, '#tab-profiler')).evaluate((el) => el.getAttribute('aria-selected'))).toBe('true');

    for (const n of [16, 32, 64, 128, 256, 512, 1024, 2048, 4096]) await setChecked(page, `input[data-n="${n}"]`, n <= 32);
    for (const v of ['naive', 'tiled', 'fused', 'tfjs'])
      await setChecked(page, `input[data-variant="${v}"]`, v === 'naive' || v === 'fused');
    await typeNumber(page, 'dk', 16);
    await typeNumber(page, 'warmup', 0);
    await typeNumber(page, 'repeats', 1);
    await (await profiler(page, '#run')).click();
    await waitForProfile(page, 180_000);

    const view = await page.evaluate(() => {
      const el = document.querySelector('attn-app')!.shadowRoot!.querySelector('attn-layout')!.shadowRoot!.querySelector('attn-profiler')!;
      const root = el.shadowRoot!;
      const results = root.querySelector('attn-profile-results')!.shadowRoot!;
      return {
        state: el.dataset.state,
        message: root.querySelector('#message')?.textContent ?? '',
        rows: [...results.querySelectorAll<HTMLElement>('#results tbody tr')].map((tr) => `${tr.dataset.n} ${tr.dataset.variant}`),
        checks: [...results.querySelectorAll('#results tbody tr td:last-child')].map((td) => td.textContent),
        canvases: [...results.querySelectorAll<HTMLCanvasElement>('#plot-time canvas, #plot-gflops canvas')].map((c) => c.width * c.height),
        software: root.querySelector('#software')?.textContent ?? '',
      };
    });
    expect(view.state, view.message).toBe('done');
    expect(view.rows).toEqual(['16 naive', '16 fused', '32 naive', '32 fused']);
    expect(view.checks).toEqual(Array(4).fill('pass'));
    expect(view.canvases).toHaveLength(2);
    for (const area of view.canvases) expect(area).toBeGreaterThan(0);

    // The tab is part of the state in the link: opening the link shows the profiler again.
    await page.waitForFunction(() => location.hash.startsWith('#s='));
    const link = await page.evaluate(() => location.href);
    expect(decodeState(new URL(link).hash.slice(3)).view.tab).toBe('profiler');
    const again = await freshPage(browser, { url: link });
    await $app(again.page, 'attn-profiler >>> #run');
    expect(await (await $app(again.page, '#tab-profiler')).evaluate((el) => el.getAttribute('aria-selected'))).toBe('true');
    expect([...problems, ...again.problems]).toEqual([]);
  });
});
