/**
 * bench.html in headless Chromium: a tiny sweep with every engine variant and the TensorFlow.js
 * peer renders its table and both plots, tfjs agrees with the float64 reference, the page reports no
 * console error, and the Cancel button stops a run. No timing is asserted.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, ElementHandle } from 'puppeteer';
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
    // Every text the progress line shows while the run prepares, as it changes.
    await page.evaluate(() => {
      const controls = document.querySelector('attn-profiler')!.shadowRoot!.querySelector('attn-profile-controls')!.shadowRoot!;
      const seen: string[] = ((window as unknown as { progressTexts: string[] }).progressTexts = []);
      new MutationObserver(() => {
        const text = controls.querySelector('#progress-text')?.textContent ?? '';
        if (text && seen.at(-1) !== text) seen.push(text);
      }).observe(controls, { subtree: true, childList: true, characterData: true });
    });
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
        ratios: [...results.querySelectorAll<HTMLElement>('#results tbody tr')].map((tr) => {
          const head = [...results.querySelectorAll('#results thead th')].map((th) => th.textContent);
          return `${tr.dataset.variant} ${tr.children[head.indexOf('× naive')].textContent} ${tr.children[head.indexOf('× tfjs')].textContent}`;
        }),
        progressTexts: (window as unknown as { progressTexts: string[] }).progressTexts,
        timestamps: root.querySelector('#timestamp-note')?.textContent ?? '',
        png: window.attnBench.plotPng('time') ?? '',
      };
    });
    expect(view.state).toBe('done');
    expect(view.rows).toEqual(['16 naive', '16 tiled', '16 fused', '16 tfjs', '32 naive', '32 tiled', '32 fused', '32 tfjs']);
    expect(view.checks).toEqual(Array(8).fill('pass'));
    // A variant against itself: "baseline", not a ratio of 1.
    expect(view.ratios.filter((r) => r.startsWith('naive '))).toEqual([
      expect.stringMatching(/^naive baseline /),
      expect.stringMatching(/^naive baseline /),
    ]);
    expect(view.ratios.filter((r) => r.startsWith('tfjs '))).toEqual([
      expect.stringMatching(/ baseline$/),
      expect.stringMatching(/ baseline$/),
    ]);
    for (const r of view.ratios.filter((r) => /^(tiled|fused) /.test(r)))
      expect(r).toMatch(/^\S+ \d+(\.\d+)?(e-?\d+)? \d+(\.\d+)?(e-?\d+)?$/);
    // While TensorFlow.js downloads and starts, the progress says so (not "measuring the roofline…").
    expect(view.progressTexts.slice(0, 2)).toEqual(['measuring the roofline…', 'loading TensorFlow.js…']);
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

    // Its card can be downloaded, and the button, the card and the card loaded back all say it is partial.
    const button = await page.evaluate(() => {
      const b = document.querySelector('attn-profiler')!.shadowRoot!.querySelector<HTMLButtonElement>('#download-card')!;
      return { disabled: b.disabled, label: b.textContent!.trim(), title: b.title };
    });
    expect(button).toEqual({
      disabled: false,
      label: 'Download card (partial: cancelled)',
      title: 'The run was cancelled: the card holds only the runs that finished, and says so (cancelled: true)',
    });
    const card = (await page.evaluate(() => window.attnBench.card()))!;
    expect(card.result.cancelled).toBe(true);
    expect(card.result.rows).toHaveLength(shown.rows);
    const dir = mkdtempSync(join(tmpdir(), 'attn-card-'));
    writeFileSync(join(dir, 'partial.json'), JSON.stringify(card));
    const other = await openPage(browser, new URL('bench.html', inject('baseUrl')).href);
    await other.page.evaluate(() => window.attnBench.ready.then(() => undefined));
    const input = (await other.page.waitForSelector('attn-profiler >>> #load-card')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(join(dir, 'partial.json'));
    await other.page.waitForFunction(() => !!document.querySelector('attn-profiler')!.shadowRoot!.querySelector('#card-loaded'));
    const loaded = await other.page.evaluate(() => {
      const root = document.querySelector('attn-profiler')!.shadowRoot!;
      const results = root.querySelector('attn-profile-results')!.shadowRoot!;
      return {
        loaded: root.querySelector('#card-loaded')!.textContent!.replace(/\s+/g, ' '),
        note: results.querySelector('#cancelled')?.textContent ?? '',
        rows: results.querySelectorAll('#results tbody tr').length,
      };
    });
    expect(loaded.loaded).toMatch(/its run was cancelled, so only the runs that finished are in it/);
    expect(loaded.note).toBe('Cancelled: only the runs that finished are shown.');
    expect(loaded.rows).toBe(shown.rows);
    expect([...problems, ...other.problems]).toEqual([]);
  });
});
