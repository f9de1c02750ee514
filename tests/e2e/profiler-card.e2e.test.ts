/**
 * The Profiler tab's own-kernel timing and benchmark cards, in the playground: the Shader lab's
 * edited kernels (in the state of the link) are offered for timing; the one that passes the
 * verifier is timed as custom:lab-<stage> and checked, the one that fails is not timed and the tab
 * says so with the verdict. "Download card" produces a card that validates; loading a card plots
 * its series beside the run, labelled with its device; a malformed card is refused with a message
 * naming the field and changes nothing. Tiny sizes; no timing is asserted.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { parseCard } from '../../src/core/bench-card';
import type { BenchCard } from '../../src/core/bench-card';
import { defaultState, encodeState } from '../../src/core/state';
import { inject } from 'vitest';
import { launchBrowser, openPage } from './browser';
import { freshPage } from './app';
import { profiler, setChecked, waitForProfile, waitForResultsText, waitForRunButton } from './profiler-page';

let browser: Browser;
/** The card the first test downloads, for the second. */
let downloadedCard: BenchCard | null = null;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Text of an element of the profiler (or its results), '' when absent. */
function text(page: Page, selector: string): Promise<string> {
  return page.evaluate((sel) => {
    const el = document.querySelector('attn-app')!.shadowRoot!.querySelector('attn-layout')!.shadowRoot!.querySelector('attn-profiler')!;
    const root = el.shadowRoot!;
    const results = root.querySelector('attn-profile-results')!.shadowRoot!;
    return (root.querySelector(sel) ?? results.querySelector(sel))?.textContent ?? '';
  }, selector);
}

async function chooseFile(page: Page, path: string): Promise<void> {
  const input = await profiler(page, '#load-card');
  const [chooser] = await Promise.all([page.waitForFileChooser(), input.click()]);
  await chooser.accept([path]);
}

describe('own kernels and benchmark cards in the Profiler tab', () => {
  it(
    'times the lab kernel that passes the verifier, refuses the one that fails, downloads and loads cards',
    { timeout: 600_000 },
    async () => {
      const state = defaultState();
      state.view.tab = 'profiler';
      state.kernels = {
        // The built-in softmax with a comment: passes. QKᵀ without the 1/√dk scale: fails.
        softmax: `// my softmax\n${readFileSync('shaders/softmax_rows.wgsl', 'utf8')}`,
        qk: readFileSync('examples/kernels/qk_missing_scale.wgsl', 'utf8'),
      };
      const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState(state)}` });
      await waitForRunButton(page, 60_000);
      expect(await text(page, '#lab-kernels')).toMatch(/time the Shader lab's qk kernel[\s\S]*time the Shader lab's softmax kernel/);
      await setChecked(page, 'input[data-lab-stage="softmax"]', true);
      await setChecked(page, 'input[data-lab-stage="qk"]', true);
      for (const n of [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384]) await setChecked(page, `input[data-n="${n}"]`, false);
      for (const v of ['naive', 'tiled', 'fused', 'tfjs']) await setChecked(page, `input[data-variant="${v}"]`, v === 'tiled');
      // Every GPU run of an edited kernel (the verifier's and the sweep's) goes on the page's run record.
      await page.evaluate(() => {
        const w = window as unknown as { recordedStages: string[] };
        w.recordedStages = [];
        // On the page's element itself: it handles the event and stops it there.
        document
          .querySelector('attn-app')!
          .addEventListener('attn-gpu-run', (e) => w.recordedStages.push(...Object.keys((e as Event & { kernels: object }).kernels)));
      });
      await page.evaluate(() => {
        const el = document
          .querySelector('attn-app')!
          .shadowRoot!.querySelector('attn-layout')!
          .shadowRoot!.querySelector('attn-profiler')!;
        void el.run({ ns: [16, 24, 32], dk: 8, warmup: 0, repeats: 1, decode: [48] }).catch(() => undefined);
      });
      // Before the first timed round the progress says what the wait is for: the verifier first.
      const progressText = await page.waitForFunction(
        () =>
          document
            .querySelector('attn-app')!
            .shadowRoot!.querySelector('attn-layout')!
            .shadowRoot!.querySelector('attn-profiler')!
            .shadowRoot!.querySelector('attn-profile-controls')!
            .shadowRoot!.querySelector('#progress-text')?.textContent,
      );
      expect(await progressText.jsonValue()).toBe("verifying the Shader lab's kernels, then measuring the roofline…");
      await waitForProfile(page, 540_000);
      const view = await page.evaluate(() => {
        const el = document
          .querySelector('attn-app')!
          .shadowRoot!.querySelector('attn-layout')!
          .shadowRoot!.querySelector('attn-profiler')!;
        const results = el.shadowRoot!.querySelector('attn-profile-results')!.shadowRoot!;
        return {
          state: el.dataset.state,
          message: el.shadowRoot!.querySelector('#message')?.textContent ?? '',
          rows: [...results.querySelectorAll<HTMLElement>('#results tbody tr')].map((tr) => `${tr.dataset.n} ${tr.dataset.variant}`),
          decode: [...results.querySelectorAll<HTMLElement>('#decode-results tbody tr')].map(
            (tr) => `${tr.dataset.n} ${tr.dataset.variant}`,
          ),
          checks: [...results.querySelectorAll('#results tbody tr td:last-child')].map((td) => td.textContent),
          verdicts: [...el.shadowRoot!.querySelectorAll<HTMLElement>('#lab-verdicts li')].map(
            (li) => `${li.dataset.stage}: ${li.className}`,
          ),
        };
      });
      expect(view.state, view.message).toBe('done');
      const recorded = await page.evaluate(() => (window as unknown as { recordedStages: string[] }).recordedStages);
      expect(new Set(recorded)).toEqual(new Set(['qk', 'softmax']));
      expect(view.verdicts).toEqual(['qk: fail', 'softmax: pass']);
      expect(await text(page, '#lab-verdicts')).toMatch(
        /qk: did not pass the verifier, not timed — FAIL: (the 1 case|all \d+ cases|\d+ of \d+ cases?) failed/,
      );
      expect(view.rows).toEqual([
        '16 tiled',
        '16 custom:lab-softmax',
        '24 tiled',
        '24 custom:lab-softmax',
        '32 tiled',
        '32 custom:lab-softmax',
      ]);
      expect(view.checks).toEqual(Array(6).fill('pass'));
      expect(view.decode).toEqual(['48 tiled', '48 custom:lab-softmax']);
      expect(await text(page, '#notes')).toMatch(/The Shader lab's qk kernel was not timed: it did not pass the verifier/);
      expect(await text(page, '#fit')).toMatch(/tiled: t ≈ .* ms \+ .* ms·N\^\d\.\d\d over N 16–32/);

      // Download the card: capture what the button hands to an <a download>.
      await page.evaluate(() => {
        const w = window as unknown as { downloads: { name: string; text: Promise<string> }[] };
        w.downloads = [];
        HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
          w.downloads.push({ name: this.download, text: fetch(this.href).then((r) => r.text()) });
        };
      });
      await (await profiler(page, '#download-card')).click();
      const downloaded = await page.evaluate(async () => {
        const w = window as unknown as { downloads: { name: string; text: Promise<string> }[] };
        return { name: w.downloads[0]?.name, text: await w.downloads[0]?.text };
      });
      expect(downloaded.name).toBe('attention-bench-card.json');
      const card = parseCard(downloaded.text);
      downloadedCard = card;
      expect(card.source).toBe('Profiler tab');
      expect(card.result.rows).toHaveLength(8);
      expect(Object.keys(card.shaders)).toEqual(
        expect.arrayContaining(['custom:lab-softmax/softmax', 'qk_scores.wgsl', 'softmax_rows.wgsl']),
      );

      // Load it back as another device's card: its series join the time plot, labelled with the device.
      const dir = mkdtempSync(join(tmpdir(), 'attn-card-'));
      const other: BenchCard = { ...card, adapter: { ...card.adapter, description: 'Other GPU 9000', isSoftware: false } };
      writeFileSync(join(dir, 'other.json'), JSON.stringify(other));
      await chooseFile(page, join(dir, 'other.json'));
      await page.waitForFunction(
        () =>
          document
            .querySelector('attn-app')!
            .shadowRoot!.querySelector('attn-layout')!
            .shadowRoot!.querySelector('attn-profiler')!
            .shadowRoot!.querySelector('#card-loaded') !== null,
      );
      expect(await text(page, '#card-loaded')).toMatch(/Plotted beside this run: Other GPU 9000/);
      const legend = () => text(page, '#plot-time .u-legend');
      await waitForResultsText(page, '#plot-time .u-legend', 'Other GPU 9000');
      expect(await legend()).toMatch(/tiled — Other GPU 9000 \(card\)/);

      // A malformed card: refused, named, and the loaded one stays.
      const broken = JSON.parse(JSON.stringify(card)) as Record<string, Record<string, unknown>>;
      broken.adapter.vendor = 42;
      writeFileSync(join(dir, 'broken.json'), JSON.stringify(broken));
      await chooseFile(page, join(dir, 'broken.json'));
      await page.waitForFunction(
        () =>
          document
            .querySelector('attn-app')!
            .shadowRoot!.querySelector('attn-layout')!
            .shadowRoot!.querySelector('attn-profiler')!
            .shadowRoot!.querySelector('#card-message') !== null,
      );
      expect(await text(page, '#card-message')).toMatch(/broken\.json not loaded: card\.adapter\.vendor: expected a string, got 42/);
      expect(await text(page, '#card-loaded')).toMatch(/Other GPU 9000/);
      expect(await legend()).toMatch(/Other GPU 9000/);
      expect(problems).toEqual([]);
    },
  );

  it('refuses cards it could not show or put into its form, naming the field, and keeps the card loaded', async () => {
    const { page, problems } = await openPage(browser, new URL('bench.html', inject('baseUrl')).href);
    await page.evaluate(() => window.attnBench.ready.then(() => undefined));
    const good = readFileSync('docs/benchmarks/h200-sweep.card.json', 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'attn-card-'));
    const input = (await page.waitForSelector('attn-profiler >>> #load-card')) as ElementHandle<HTMLInputElement>;
    const root = (sel: string) =>
      page.evaluate((s) => document.querySelector('attn-profiler')!.shadowRoot!.querySelector(s)?.textContent ?? '', sel);
    writeFileSync(join(dir, 'good.json'), good);
    await input.uploadFile(join(dir, 'good.json'));
    await page.waitForFunction(() => !!document.querySelector('attn-profiler')!.shadowRoot!.querySelector('#card-loaded'));

    /** The good card with one field of its configuration or results changed. */
    const variant = (change: (card: { result: Record<string, unknown> & { config: Record<string, unknown> } }) => void) => {
      const card = JSON.parse(good) as { result: Record<string, unknown> & { config: Record<string, unknown> } };
      change(card);
      return JSON.stringify(card);
    };
    const cases = [
      {
        file: 'models.json',
        card: variant((c) => (c.result.models = [{}])),
        message: 'card.result.models[0].variant: expected a string, got nothing (missing)',
      },
      {
        file: 'fits.json',
        card: variant((c) => (c.result.fits = [{}])),
        message: 'card.result.fits[0].variant: expected a string, got nothing (missing)',
      },
      {
        file: 'baselines.json',
        card: variant((c) => (c.result.config.baselines = 'naive')),
        message: 'card.result.config.baselines: expected an array of variant names, got "naive"',
      },
      {
        file: 'decode.json',
        card: variant((c) => (c.result.config.decode = '48')),
        message: 'card.result.config.decode: expected an array of positive integers, got "48"',
      },
      {
        file: 'warmup.json',
        card: variant((c) => (c.result.config.warmup = -3)),
        message: "card.result.config.warmup: expected a whole number from 0 to 1000 (the form's warm-ups), got -3",
      },
      {
        file: 'kv-heads.json',
        card: variant((c) => ((c.result.config.features as Record<string, unknown>).kvHeads = 'zz')),
        message: 'card.result.config.features.kvHeads: expected a positive integer, got "zz"',
      },
    ];
    for (const { file, card, message } of cases) {
      writeFileSync(join(dir, file), card);
      await input.uploadFile(join(dir, file));
      await page.waitForFunction(
        (f: string) =>
          document.querySelector('attn-profiler')!.shadowRoot!.querySelector('#card-message')?.textContent?.includes(f) ?? false,
        {},
        file,
      );
      expect(await root('#card-message')).toBe(`${file} not loaded: ${message}`);
      expect(await root('#card-loaded'), file).toMatch(/Shown until you run a profile, then plotted beside it: NVIDIA/);
    }
    // The card still loaded puts its settings into the form.
    await (await page.waitForSelector('attn-profiler >>> #use-card'))!.click();
    await page.waitForFunction(() => !!document.querySelector('attn-profiler')!.shadowRoot!.querySelector('#card-note'));
    expect(await root('#card-note')).toMatch(/The form now holds the card's sweep/);
    expect(problems).toEqual([]);
  });

  it('shows a card loaded before any run (bench.html), and the Download card button waits for a run', async () => {
    expect(downloadedCard, 'the first test downloads the card').not.toBeNull();
    const { page, problems } = await openPage(browser, new URL('bench.html', inject('baseUrl')).href);
    await page.evaluate(() => window.attnBench.ready.then(() => undefined));
    const dir = mkdtempSync(join(tmpdir(), 'attn-card-'));
    writeFileSync(join(dir, 'card.json'), JSON.stringify(downloadedCard));
    const input = await page.waitForSelector('attn-profiler >>> #load-card');
    const [chooser] = await Promise.all([page.waitForFileChooser(), input!.click()]);
    await chooser.accept([join(dir, 'card.json')]);
    await page.waitForFunction(() => !!document.querySelector('attn-profiler')!.shadowRoot!.querySelector('#card-loaded'));
    const view = await page.evaluate(() => {
      const root = document.querySelector('attn-profiler')!.shadowRoot!;
      const results = root.querySelector('attn-profile-results')!.shadowRoot!;
      return {
        loaded: root.querySelector('#card-loaded')?.textContent ?? '',
        rows: [...results.querySelectorAll<HTMLElement>('#results tbody tr')].map((tr) => `${tr.dataset.n} ${tr.dataset.variant}`),
        download: root.querySelector<HTMLButtonElement>('#download-card')!.disabled,
      };
    });
    expect(view.loaded).toMatch(/Shown until you run a profile/);
    expect(view.rows).toEqual([
      '16 tiled',
      '16 custom:lab-softmax',
      '24 tiled',
      '24 custom:lab-softmax',
      '32 tiled',
      '32 custom:lab-softmax',
    ]);
    expect(view.download).toBe(true);
    expect(await page.evaluate(() => window.attnBench.card())).toBeNull();
    expect(problems).toEqual([]);
  });
});
