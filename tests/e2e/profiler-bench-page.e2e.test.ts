/**
 * bench.html with benchmark cards and nothing of the playground: a card of 15,000 rows shows a
 * bounded table (saying how many rows it leaves out and where they are) while its plots and its
 * CSV export hold every row; "Show all" shows them; the page speaks of no Shader lab or Features
 * panel it does not have; and a run cancelled before its first round, with a card shown, says the
 * results below are the card's. No timing is asserted.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import type { BenchCard } from '../../src/core/bench-card';
import { cardLabel } from '../../src/core/bench-card';
import type { ProfileRow } from '../../src/core/profile-report';
import { SHOWN_TABLE_ROWS } from '../../src/core/profile-report';
import { launchBrowser, openPage } from './browser';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const H200_CARD = 'docs/benchmarks/h200-sweep.card.json';

/** The H200 card with its first four rows (one N, four variants) repeated at `points` values of N. */
function cardWithPoints(points: number): { card: BenchCard; ns: number[] } {
  const card = JSON.parse(readFileSync(H200_CARD, 'utf8')) as BenchCard;
  const first = card.result.rows.filter((r) => r.n === card.result.rows[0].n);
  const ns = Array.from({ length: points }, (_, i) => 16 + i);
  const rows: ProfileRow[] = ns.flatMap((n) => first.map((r) => ({ ...r, n, m: n })));
  return { card: { ...card, result: { ...card.result, rows, config: { ...card.result.config, ns } } }, ns };
}

async function benchPage() {
  const watched = await openPage(browser, new URL('bench.html', inject('baseUrl')).href);
  await watched.page.evaluate(() => window.attnBench.ready.then(() => undefined));
  return watched;
}

/** Loads a card into the page's profiler through its file input and waits until it is shown. */
async function loadCard(page: Page, card: BenchCard, file = 'card.json'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'attn-card-'));
  writeFileSync(join(dir, file), JSON.stringify(card));
  const input = (await page.waitForSelector('attn-profiler >>> #load-card')) as ElementHandle<HTMLInputElement>;
  await input.uploadFile(join(dir, file));
  await page.waitForFunction(() => !!document.querySelector('attn-profiler')!.shadowRoot!.querySelector('#card-loaded'), {
    timeout: 120_000,
  });
}

/** What the results show: table rows, the line on a bounded table, the time plot's N. */
function resultsView(page: Page) {
  return page.evaluate(() => {
    const el = document.querySelector('attn-profiler')!.shadowRoot!.querySelector('attn-profile-results')!;
    const results = el.shadowRoot!;
    const plots = (el as unknown as { plots: { kind: string; plot: { data: unknown[][] } }[] }).plots;
    return {
      rows: results.querySelectorAll('#results tbody tr').length,
      bound: results.querySelector('#results-bound')?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
      plotted: Object.fromEntries(plots.map((p) => [p.kind, p.plot.data[0].length])),
    };
  });
}

describe('bench.html: cards and its own text', () => {
  it('shows a bounded table of a 15,000-row card, says so, and keeps every row in the plots and the CSV', async () => {
    const { page, problems } = await benchPage();
    const { card, ns } = cardWithPoints(3750);
    const total = card.result.rows.length;
    expect(total).toBe(15_000);
    await loadCard(page, card, 'huge.json');
    await page.waitForFunction(
      () =>
        !!document.querySelector('attn-profiler')!.shadowRoot!.querySelector('attn-profile-results')!.shadowRoot!.querySelector('#results'),
      { timeout: 120_000 },
    );
    const view = await resultsView(page);
    const shown = SHOWN_TABLE_ROWS;
    expect(view.rows).toBe(shown);
    expect(view.bound).toMatch(
      new RegExp(`^Showing the first ${shown} of ${total.toLocaleString('en')} rows; the plots hold them all, and so do Export CSV`),
    );
    expect(view.plotted).toEqual({ time: ns.length, gflops: ns.length });

    // Export CSV: every row (what the button hands to an <a download>).
    await page.evaluate(() => {
      const w = window as unknown as { downloads: { name: string; text: Promise<string> }[] };
      w.downloads = [];
      HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
        w.downloads.push({ name: this.download, text: fetch(this.href).then((r) => r.text()) });
      };
    });
    await (await page.waitForSelector('attn-profiler >>> attn-profile-results >>> #export-csv'))!.click();
    const csv = await page.evaluate(async () => {
      const w = window as unknown as { downloads: { name: string; text: Promise<string> }[] };
      return { name: w.downloads[0]?.name, text: await w.downloads[0]?.text };
    });
    expect(csv.name).toBe('attention-profile.csv');
    expect(csv.text.trim().split('\n')).toHaveLength(total + 1);
    expect(problems).toEqual([]);
  }, 300_000);

  it('"Show all" shows every row of a bounded table; a smaller card is shown whole', async () => {
    const { page, problems } = await benchPage();
    const shown = SHOWN_TABLE_ROWS;
    const points = Math.ceil(shown / 4) + 5;
    const { card } = cardWithPoints(points);
    await loadCard(page, card);
    await page.waitForFunction(
      () =>
        !!document.querySelector('attn-profiler')!.shadowRoot!.querySelector('attn-profile-results')!.shadowRoot!.querySelector('#results'),
    );
    expect((await resultsView(page)).rows).toBe(shown);
    await (await page.waitForSelector('attn-profiler >>> attn-profile-results >>> #results-bound button'))!.click();
    await page.waitForFunction(
      (n: number) =>
        document
          .querySelector('attn-profiler')!
          .shadowRoot!.querySelector('attn-profile-results')!
          .shadowRoot!.querySelectorAll('#results tbody tr').length === n,
      {},
      card.result.rows.length,
    );
    expect((await resultsView(page)).bound).toBe('');

    // A card within the bound: every row, and no line about rows left out.
    await loadCard(page, cardWithPoints(3).card, 'small.json');
    await page.waitForFunction(
      () =>
        document
          .querySelector('attn-profiler')!
          .shadowRoot!.querySelector('attn-profile-results')!
          .shadowRoot!.querySelectorAll('#results tbody tr').length === 12,
    );
    expect((await resultsView(page)).bound).toBe('');
    expect(problems).toEqual([]);
  }, 300_000);

  it('speaks of no Shader lab or Features panel in its profiler, and says where they are', async () => {
    const { page, problems } = await benchPage();
    const text = await page.evaluate(() => {
      const el = document.querySelector('attn-profiler')!;
      const parts = [el.shadowRoot!, el.shadowRoot!.querySelector('attn-profile-controls')!.shadowRoot!];
      return {
        profiler: parts.map((root) => [...root.children].map((c) => (c as HTMLElement).innerText ?? c.textContent).join('\n')).join('\n'),
        titles: parts.flatMap((root) => [...root.querySelectorAll('[title]')].map((e) => e.getAttribute('title')!)).join('\n'),
        about: document.querySelector('#about')?.textContent?.replace(/\s+/g, ' ') ?? '',
      };
    });
    expect(text.profiler).toMatch(/Run profile/);
    expect(`${text.profiler}\n${text.titles}`).not.toMatch(/Shader lab|Features panel|Your kernel/i);
    expect(text.about).toMatch(/Profiler tab of the playground .*Shader lab and Features panel/);
    expect(problems).toEqual([]);
  });

  it('cancelled before any run finished with a card shown, says the results below are the card’s', async () => {
    const { page, problems } = await benchPage();
    const { card } = cardWithPoints(3);
    await loadCard(page, card);
    await page.evaluate(() => {
      void document
        .querySelector('attn-profiler')!
        .run({ ns: [16, 32], dk: 8, variants: ['tiled'], warmup: 0, repeats: 1 })
        .catch(() => undefined);
    });
    // Running, no round yet: the roofline is being measured.
    await page.waitForFunction(() => {
      const el = document.querySelector('attn-profiler')!;
      return el.dataset.state === 'running' && el.currentProgress === null;
    });
    await (await page.waitForSelector('attn-profiler >>> attn-profile-controls >>> #cancel'))!.click();
    await page.waitForFunction(() => document.querySelector('attn-profiler')!.dataset.state === 'cancelled', { timeout: 60_000 });
    const message = await page.evaluate(() => document.querySelector('attn-profiler')!.shadowRoot!.querySelector('#message')?.textContent);
    expect(message).toBe(
      `Cancelled before any run finished: nothing was measured; the results below are the loaded card's (${cardLabel(card)}), not this device's.`,
    );
    expect(problems).toEqual([]);
  });
});
