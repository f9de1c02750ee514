/**
 * bench.html in headless Chromium: a tiny sweep with every engine variant and the TensorFlow.js
 * peer renders its table and both plots, tfjs agrees with the float64 reference, the page reports no
 * console error, and the Cancel button stops a run. No timing is asserted.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'puppeteer';
import type { ProfileResult } from '../../src/core/profile-report';
import { launchBrowser, openPage } from './browser';
import type { WatchedPage } from './browser';

let browser: Browser;
let watched: WatchedPage;
beforeAll(async () => {
  browser = await launchBrowser();
  watched = await openPage(browser, new URL('bench.html', inject('baseUrl')).href);
  await watched.page.evaluate(() => window.attnBench.ready.then(() => undefined));
});
afterAll(async () => {
  await browser?.close();
});

describe('the profiler page', () => {
  it('runs a tiny sweep with tfjs and renders the table, the plots and the roofline', async () => {
    const { page, problems } = watched;
    const result = (await page.evaluate(() =>
      window.attnBench.run({ ns: [16, 32], dk: 8, variants: ['naive', 'tiled', 'fused', 'tfjs'], warmup: 1, repeats: 2 }),
    )) as ProfileResult;

    expect(result.cancelled).toBe(false);
    expect(result.rows).toHaveLength(8);
    const tfjs = result.rows.filter((r) => r.variant === 'tfjs');
    expect(tfjs.map((r) => r.error)).toEqual([null, null]);
    expect(tfjs.map((r) => r.check?.pass)).toEqual([true, true]);
    expect(tfjs.every((r) => r.wallMs.median > 0 && Object.keys(r.stages).length > 0)).toBe(true);
    expect(result.notes.join(' ')).toMatch(/WEBGPU_CPU_FORWARD=false/);
    expect(result.notes.join(' ')).toMatch(/Peer: TensorFlow\.js/);
    for (const row of result.rows) expect(row, `${row.n} ${row.variant}`).toMatchObject({ error: null, check: { pass: true } });
    expect(result.roofline?.gflops).toBeGreaterThan(0);

    const view = await page.evaluate(() => {
      const root = document.querySelector('attn-profiler')!.shadowRoot!;
      const results = root.querySelector('attn-profile-results')!.shadowRoot!;
      const canvases = [...results.querySelectorAll<HTMLCanvasElement>('#plot-time canvas, #plot-gflops canvas')];
      return {
        state: document.querySelector('attn-profiler')!.dataset.state,
        rows: [...results.querySelectorAll('#results tbody tr')].map(
          (tr) => `${(tr as HTMLElement).dataset.n} ${(tr as HTMLElement).dataset.variant}`,
        ),
        checks: [...results.querySelectorAll('#results tbody tr td:last-child')].map((td) => td.textContent),
        canvases: canvases.map((c) => [c.width, c.height]),
        legend: results.querySelector('#plot-time .u-legend')?.textContent ?? '',
        roofline: root.querySelector('#roofline')?.textContent ?? '',
        timestamps: root.querySelector('#timestamp-note')?.textContent ?? '',
        png: window.attnBench.plotPng('time') ?? '',
      };
    });
    expect(view.state).toBe('done');
    expect(view.rows).toEqual(['16 naive', '16 tiled', '16 fused', '16 tfjs', '32 naive', '32 tiled', '32 fused', '32 tfjs']);
    expect(view.checks).toEqual(Array(8).fill('pass'));
    expect(view.canvases).toHaveLength(2);
    for (const [w, h] of view.canvases) expect(w * h).toBeGreaterThan(0);
    expect(view.legend).toMatch(/∝ N\^-?\d+\.\d\d/);
    expect(view.roofline).toMatch(/GB\/s.*GFLOP\/s/s);
    expect(view.timestamps).toMatch(/quantiz/);
    expect(view.png).toMatch(/^data:image\/png;base64,/);
    expect(problems).toEqual([]);
  });

  it('says nothing of TensorFlow.js in a run without it after one with it, nor in its card', async () => {
    const { page, problems } = watched;
    const result = (await page.evaluate(() =>
      window.attnBench.run({ ns: [16], dk: 8, variants: ['tiled'], warmup: 0, repeats: 1 }),
    )) as ProfileResult;
    expect(result.rows.map((r) => r.variant)).toEqual(['tiled']);
    expect(result.notes.join(' ')).not.toMatch(/TensorFlow\.js/);
    const notes = await page.evaluate(() =>
      [
        ...document
          .querySelector('attn-profiler')!
          .shadowRoot!.querySelector('attn-profile-results')!
          .shadowRoot!.querySelectorAll('#notes li'),
      ].map((li) => li.textContent ?? ''),
    );
    expect(notes.join(' ')).not.toMatch(/TensorFlow\.js/);
    const card = await page.evaluate(() => window.attnBench.card());
    expect(card?.result.notes.join(' ')).not.toMatch(/TensorFlow\.js/);
    expect(problems).toEqual([]);
  });

  it('cancels a run from the Cancel button and keeps the partial results', async () => {
    const { page, problems } = watched;
    await page.evaluate(() => {
      const profiler = document.querySelector('attn-profiler')!;
      void profiler.run({ ns: [16, 32, 64, 128, 256], dk: 8, variants: ['naive', 'tiled'], warmup: 1, repeats: 3 }).catch(() => undefined);
    });
    // Cancel stops the run in flight at once, so wait until N = 16 is finished (its rows are kept).
    await page.waitForFunction(() => (document.querySelector('attn-profiler')!.currentProgress?.n ?? 0) >= 32, { timeout: 60_000 });
    await page.evaluate(() =>
      document
        .querySelector('attn-profiler')!
        .shadowRoot!.querySelector('attn-profile-controls')!
        .shadowRoot!.querySelector<HTMLButtonElement>('#cancel')!
        .click(),
    );
    await page.waitForFunction(() => document.querySelector('attn-profiler')!.dataset.state === 'cancelled', { timeout: 60_000 });
    const shown = await page.evaluate(() => {
      const results = document.querySelector('attn-profiler')!.shadowRoot!.querySelector('attn-profile-results')!.shadowRoot!;
      return { rows: results.querySelectorAll('#results tbody tr').length, note: results.querySelector('#cancelled')?.textContent ?? '' };
    });
    expect(shown.rows).toBeGreaterThanOrEqual(2);
    expect(shown.rows).toBeLessThan(10);
    expect(shown.note).toMatch(/Cancelled/);
    expect(problems).toEqual([]);
  });
});
