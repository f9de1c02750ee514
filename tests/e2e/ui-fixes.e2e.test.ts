/**
 * Small things users hit (issue 14): the profiler without WebGPU, its table at 1280 px and a cancel
 * before anything finished; menus that close; one current error that a success clears; the scale in
 * force in sentence mode; verdict badges relative to the tolerance; the GPU-vs-CPU table at 1280 px.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { launchBrowser } from './browser';
import { $app, freshPage, loadPreset, messages, readState, runId, toSentenceMode, waitForMessage, waitForRun } from './app';
import { showTab } from './views';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** The profiler panel, loaded (its tab opened). */
async function openProfiler(page: Page): Promise<ElementHandle<HTMLElementTagNameMap['attn-profiler']>> {
  await (await $app(page, '#tab-profiler')).click();
  // waitForSelector's mutation polling does not see into shadow roots: poll for the lazily loaded panel instead.
  await page.waitForFunction(
    () => !!document.querySelector('attn-app')?.shadowRoot?.querySelector('attn-layout')?.shadowRoot?.querySelector('attn-profiler'),
    {
      timeout: 30_000,
    },
  );
  return (await $app(page, 'attn-profiler')) as ElementHandle<HTMLElementTagNameMap['attn-profiler']>;
}

/** The notices on show (current error and information) and the earlier ones, as text. */
function notices(page: Page): Promise<{ shown: { level: string; text: string; close: string }[]; earlier: string[] }> {
  return page.evaluate(() => {
    const root = document
      .querySelector('attn-app')!
      .shadowRoot!.querySelector('attn-layout')!
      .shadowRoot!.querySelector('attn-notices')!.shadowRoot!;
    const read = (el: Element) => ({
      level: (el as HTMLElement).dataset.level ?? '',
      text: el.querySelector('span')?.textContent ?? '',
      close: el.querySelector('button')?.getAttribute('aria-label') ?? '',
    });
    return {
      shown: [...root.querySelectorAll('.notices[role=status] > .notice')].map(read),
      earlier: [...root.querySelectorAll('#earlier-notices .notice')].map((el) => read(el).text),
    };
  });
}

function paste(cell: ElementHandle<Element>, text: string): Promise<void> {
  return cell.evaluate((el, text) => {
    const data = new DataTransfer();
    data.setData('text/plain', text);
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, composed: true, cancelable: true }));
  }, text);
}

describe('the profiler', () => {
  it('without WebGPU says why and disables every control that needs a GPU', async () => {
    const { page, problems } = await freshPage(browser, {
      beforeLoad: async (p) => {
        await p.evaluateOnNewDocument(() => {
          Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
        });
      },
    });
    await openProfiler(page);
    const banner = await $app(page, 'attn-profiler >>> #no-gpu');
    expect(await banner.evaluate((el) => el.textContent)).toMatch(/profiler needs WebGPU[\s\S]*WebGPU is not available here/);
    const controls = await page.$eval('attn-app >>> attn-profiler', (el) => {
      const root = el.shadowRoot!;
      const form = root.querySelector('attn-profile-controls')!.shadowRoot!;
      const all = [
        ...form.querySelectorAll<HTMLInputElement | HTMLButtonElement>('input, button'),
        ...root.querySelectorAll<HTMLInputElement>('#lab-kernels input'),
      ];
      return {
        enabled: all.filter((c) => !c.disabled).map((c) => c.id || c.dataset.variant || c.dataset.n || c.outerHTML.slice(0, 40)),
        count: all.length,
        downloadCard: root.querySelector<HTMLButtonElement>('#download-card')!.disabled,
        loadCard: root.querySelector<HTMLInputElement>('#load-card')!.disabled,
        waiting: form.querySelector('#waiting')?.textContent ?? '',
      };
    });
    expect(controls.count).toBeGreaterThan(10);
    // Only the fit range stays: it refits a loaded card's results, which needs no GPU.
    expect(controls.enabled).toEqual(['fit-from']);
    expect(controls.downloadCard).toBe(true);
    // Another device's card needs no GPU to be plotted.
    expect(controls.loadCard).toBe(false);
    expect(controls.waiting).not.toMatch(/Waiting/);
    const variant = await $app(page, 'attn-options-panel >>> select[aria-label="kernel variant"]');
    expect(await variant.evaluate((el) => (el as HTMLSelectElement).disabled)).toBe(true);
    expect(problems).toEqual([]);
  });

  it('a cancel during the roofline shows no empty "partial" table; a finished run’s table fits the panel at 1280 px', async () => {
    const { page, problems } = await freshPage(browser);
    const profiler = await openProfiler(page);
    const config = { ns: [16], decode: [64], dk: 8, variants: ['naive', 'tiled', 'fused'], warmup: 0, repeats: 1 };
    // Cancel from the button as soon as the run has started: the roofline (first on a fresh device) is still being measured.
    const cancelled = await profiler.evaluate(async (el, config) => {
      const p = el.run(config);
      await new Promise((r) => setTimeout(r, 50));
      const phase = el.currentProgress === null ? 'roofline' : 'sweep';
      el.shadowRoot!.querySelector('attn-profile-controls')!.shadowRoot!.querySelector<HTMLButtonElement>('#cancel')!.click();
      // Cancelled before any run finished, the run rejects (RunCancelledError); the panel says so.
      const rows = await p.then(
        (result) => result.rows.length,
        (error: Error) => (error.name === 'RunCancelledError' ? 0 : Promise.reject(error)),
      );
      await el.updateComplete;
      const results = el.shadowRoot!.querySelector('attn-profile-results')!;
      await results.updateComplete;
      return {
        phase,
        rows,
        state: el.dataset.state,
        message: el.shadowRoot!.querySelector('#message')?.textContent ?? '',
        table: !!results.shadowRoot!.querySelector('table'),
        partial: !!results.shadowRoot!.querySelector('#cancelled'),
      };
    }, config);
    expect(cancelled).toMatchObject({ phase: 'roofline', rows: 0, state: 'cancelled', table: false, partial: false });
    expect(cancelled.message).toMatch(/Cancelled before any run finished: nothing was measured/);

    await profiler.evaluate((el, config) => el.run(config).then(() => el.updateComplete), config);
    const fit = await page.$eval('attn-app >>> #profiler-panel', (panel) => {
      const results = panel.querySelector('attn-profiler')!.shadowRoot!.querySelector('attn-profile-results')!.shadowRoot!;
      const box = (el: Element) => el.getBoundingClientRect();
      const p = box(panel);
      return {
        tables: [...results.querySelectorAll('.table-box')].map((t) => ({ left: box(t).left - p.left, right: p.right - box(t).right })),
        pageWidth: document.documentElement.scrollWidth,
        viewport: window.innerWidth,
      };
    });
    expect(fit.tables).toHaveLength(2); // the sweep and the decode table
    for (const t of fit.tables) {
      expect(t.left).toBeGreaterThanOrEqual(0);
      expect(t.right).toBeGreaterThanOrEqual(0);
    }
    expect(fit.pageWidth).toBeLessThanOrEqual(fit.viewport);
    expect(problems).toEqual([]);
  });
});

describe('menus and notices', () => {
  it('the Fill and Export menus close on a choice, Escape, a click outside and focus leaving', async () => {
    const { page, problems } = await freshPage(browser);
    const menu = (which: string) => $app(page, `attn-matrix-editor[name="q"] >>> details[data-menu="${which}"]`);
    const isOpen = async (which: string) => (await menu(which)).evaluate((el) => (el as HTMLDetailsElement).open);
    const open = async (which: string) => {
      await (await $app(page, `attn-matrix-editor[name="q"] >>> details[data-menu="${which}"] summary`)).click();
      expect(await isOpen(which)).toBe(true);
    };

    await open('fill');
    await page.keyboard.press('Escape');
    expect(await isOpen('fill')).toBe(false);
    // Focus is back on the menu's button.
    expect(
      await (
        await menu('fill')
      ).evaluate((el) => el.getRootNode() instanceof ShadowRoot && (el.getRootNode() as ShadowRoot).activeElement?.tagName),
    ).toBe('SUMMARY');

    await open('fill');
    await page.mouse.click(1200, 880);
    expect(await isOpen('fill')).toBe(false);

    await open('fill');
    const id = await runId(page);
    await (await $app(page, 'attn-matrix-editor[name="q"] >>> details[data-menu="fill"] ::-p-text(Identity)')).click();
    expect(await isOpen('fill')).toBe(false);
    await waitForRun(page, id);
    const q = (await readState(page)).matrix.q;
    expect(q.map((r, i) => r[i])).toEqual(q.map(() => 1));

    // The constant is read like a cell: text that is not a float32 number is named and Q is unchanged; a good one fills.
    const constant = await $app(page, 'attn-matrix-editor[name="q"] >>> input[aria-label="constant value"]');
    for (const [typed, why] of [
      ['1e999', '"1e999" is not a finite number'],
      ['abc', '"abc" is not a decimal number'],
    ]) {
      await open('fill');
      await constant.click({ count: 3 });
      await page.keyboard.type(typed);
      await page.keyboard.press('Enter');
      await waitForMessage(page, `Constant fill: ${why}. Q is unchanged.`);
      expect(await isOpen('fill')).toBe(false);
      expect((await readState(page)).matrix.q).toEqual(q);
    }
    await open('fill');
    await constant.click({ count: 3 });
    await page.keyboard.type('-0.25');
    const filled = await runId(page);
    await page.keyboard.press('Enter');
    await waitForRun(page, filled);
    expect((await readState(page)).matrix.q.flat()).toEqual(q.flat().map(() => -0.25));

    await open('export');
    for (let i = 0; i < 4 && (await isOpen('export')); i++) await page.keyboard.press('Tab');
    expect(await isOpen('export')).toBe(false);
    expect(problems).toEqual([]);
  });

  it('shows one current error, keeps the earlier ones behind a disclosure, and a good edit clears its matrix’s error', async () => {
    const { page, problems } = await freshPage(browser);
    const v00 = await $app(page, 'attn-matrix-editor[name="v"] >>> input[data-row="0"][data-col="0"]');
    await paste(v00, '1\t2\nx\t3');
    await waitForMessage(page, 'Nothing was pasted');

    const files = mkdtempSync(join(tmpdir(), 'attn-e2e-ui-'));
    writeFileSync(join(files, 'bad.npy'), 'this is not numpy');
    const upload = (await $app(page, 'attn-matrix-editor[name="q"] >>> input[type=file]')) as ElementHandle<HTMLInputElement>;
    await upload.uploadFile(join(files, 'bad.npy'));
    await waitForMessage(page, 'Q from bad.npy');
    let n = await notices(page);
    expect(n.shown.filter((x) => x.level === 'error').map((x) => x.text)).toEqual([expect.stringContaining('Q from bad.npy')]);
    expect(n.earlier).toEqual([expect.stringContaining('Nothing was pasted')]);
    expect(n.shown.every((x) => x.close === 'Close this notice')).toBe(true);

    // A successful edit of V: the paste error (notice and the line under the grid) is gone; Q's stays.
    const id = await runId(page);
    await v00.click();
    await page.keyboard.type('0.5');
    await waitForRun(page, id);
    n = await notices(page);
    expect(n.earlier).toEqual([]);
    expect(n.shown.map((x) => x.text)).toEqual([expect.stringContaining('Q from bad.npy')]);
    expect(await page.$$eval('attn-app >>> attn-matrix-editor[name="v"] >>> .message', (els) => els.length)).toBe(0);

    await (await $app(page, 'attn-notices >>> .notice.error button')).click();
    expect((await notices(page)).shown).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('a cell and Escape', () => {
  it('Escape puts back the value the cell had when it was focused, after a valid edit (already applied) or a refused one', async () => {
    const { page, problems } = await freshPage(browser);
    const cell = await $app(page, 'attn-matrix-editor[name="k"] >>> input[data-row="0"][data-col="0"]');
    const start = (await readState(page)).matrix.k[0][0];
    await cell.click({ count: 3 });
    let before = await runId(page);
    await page.keyboard.type('5');
    await waitForRun(page, before);
    expect((await readState(page)).matrix.k[0][0]).toBe(5);
    before = await runId(page);
    await page.keyboard.press('Escape');
    await waitForRun(page, before);
    expect((await readState(page)).matrix.k[0][0]).toBe(start);
    expect(await cell.evaluate((el) => (el as HTMLInputElement).value)).toBe(String(start));
    // A refused text: its message goes and the value stays what it was.
    await page.keyboard.type('x');
    await waitForMessage(page, 'still using');
    await page.keyboard.press('Escape');
    expect((await readState(page)).matrix.k[0][0]).toBe(start);
    expect(await cell.evaluate((el) => (el as HTMLInputElement).value)).toBe(String(start));
    // A paste is not typing: Escape after it leaves the pasted block whole.
    await page.keyboard.type('3');
    before = await runId(page);
    await paste(cell, '7\t8');
    await waitForRun(page, before);
    await page.keyboard.press('Escape');
    expect((await readState(page)).matrix.k[0].slice(0, 2)).toEqual([7, 8]);
    expect(problems).toEqual([]);
  });
});

describe('Escape right after typing', () => {
  it('is its own undo step: Undo brings back the value typed', async () => {
    const { page, problems } = await freshPage(browser);
    const cell = await $app(page, 'attn-matrix-editor[name="q"] >>> input[data-row="0"][data-col="1"]');
    const start = (await readState(page)).matrix.q[0][1];
    await cell.click({ count: 3 });
    // Within the second in which typing in one cell is one undo step.
    await page.keyboard.type('5');
    await page.keyboard.press('Escape');
    await page.waitForFunction((v: number) => document.querySelector('attn-app')!.currentState.matrix.q[0][1] === v, {}, start);
    await (await $app(page, 'attn-header >>> button[title="Undo (Ctrl+Z)"]')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.matrix.q[0][1] === 5);
    await (await $app(page, 'attn-header >>> button[title="Undo (Ctrl+Z)"]')).click();
    await page.waitForFunction((v: number) => document.querySelector('attn-app')!.currentState.matrix.q[0][1] === v, {}, start);
    expect(problems).toEqual([]);
  });
});

describe('Undo and Redo change the problem, not the view', () => {
  it("keep the output tab and the Shader lab's stage the user is on", async () => {
    const { page, problems } = await freshPage(browser);
    const start = (await readState(page)).matrix.q[0][1];
    const cell = await $app(page, 'attn-matrix-editor[name="q"] >>> input[data-row="0"][data-col="1"]');
    await cell.click({ count: 3 });
    await page.keyboard.type('5');
    await page.keyboard.press('Tab');
    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.matrix.q[0][1] === 5);
    // Then the user looks elsewhere: the Shader lab's softmax stage, then the GPU vs CPU tab.
    await showTab(page, 'lab');
    await (await $app(page, 'attn-shader-lab >>> #stage-tab-softmax')).click();
    await showTab(page, 'compare');

    const undo = await $app(page, 'attn-header >>> button[title="Undo (Ctrl+Z)"]');
    await undo.click();
    await page.waitForFunction((v: number) => document.querySelector('attn-app')!.currentState.matrix.q[0][1] === v, {}, start);
    expect((await readState(page)).view).toMatchObject({ tab: 'compare', labStage: 'softmax' });
    expect(await page.$eval('attn-app >>> #tab-compare', (el) => el.getAttribute('aria-selected'))).toBe('true');

    await (await $app(page, 'attn-header >>> button[title="Redo (Ctrl+Shift+Z)"]')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.matrix.q[0][1] === 5);
    expect((await readState(page)).view).toMatchObject({ tab: 'compare', labStage: 'softmax' });
    expect(problems).toEqual([]);
  });
});

describe("when the browser's storage refuses the state", () => {
  it('the page says so, and says nothing more once a save works again', async () => {
    const { page, problems } = await freshPage(browser);
    // Another page of this origin fills the storage.
    await page.evaluate(() => {
      // Halving chunks down to one character: no room is left for any save.
      let i = 0;
      for (let size = 1 << 20; size >= 1;) {
        try {
          localStorage.setItem(`filler-${i++}`, 'x'.repeat(size));
        } catch {
          size >>= 1;
        }
      }
    });
    const cell = await $app(page, 'attn-matrix-editor[name="q"] >>> input[data-row="0"][data-col="0"]');
    await cell.click({ count: 3 });
    await page.keyboard.type('7');
    await waitForMessage(page, "This browser's storage refused to save the page's state");
    // Room again: the next save works and the notice goes.
    await page.evaluate(() => Object.keys(localStorage).forEach((key) => key.startsWith('filler-') && localStorage.removeItem(key)));
    await page.keyboard.type('5');
    await page.waitForFunction(() => JSON.parse(localStorage.getItem('attention-playground.state') ?? '{}').matrix?.q?.[0]?.[0] === 75);
    expect((await messages(page)).filter((t) => t.includes('storage refused'))).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('pasting a printed array', () => {
  it('a one-line nested list lands as its 2×2 block, not as one row of four', async () => {
    const { page, problems } = await freshPage(browser);
    const before = (await readState(page)).matrix.v;
    const id = await runId(page);
    await paste(await $app(page, 'attn-matrix-editor[name="v"] >>> input[data-row="0"][data-col="0"]'), '[[1, 2], [3, 4]]');
    await waitForRun(page, id);
    const v = (await readState(page)).matrix.v;
    expect(v.length).toBe(Math.max(before.length, 2));
    expect(v[0].length).toBe(Math.max(before[0].length, 2));
    expect(v.slice(0, 2).map((r) => r.slice(0, 2))).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(problems).toEqual([]);
  });
});

describe('what a result says', () => {
  it('a problem that cannot run says so in sentences: one full stop before "The results below…"', async () => {
    const { page, problems } = await freshPage(browser);
    const q = (await readState(page)).matrix.q;
    const heads = await $app(page, 'attn-options-panel >>> input[aria-label="heads"]');
    await heads.click({ count: 3 });
    await page.keyboard.type('2');
    await waitForMessage(page, 'divisible by 2 heads');
    const text = await (await $app(page, '#problem-error')).evaluate((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim());
    expect(q[0].length % 2, 'the first Q has an odd width').toBe(1);
    expect(text).toBe(`Not run: Q width ${q[0].length} is not divisible by 2 heads. The results below are from the last valid input.`);
    expect(problems).toEqual([]);
  });

  it('sentence mode runs at 1/√d_k after a "none" example and says so; badges give the error against its tolerance', async () => {
    const { page, problems } = await freshPage(browser);
    const scaleText = async () => (await $app(page, 'attn-verdict >>> #scale-in-force')).evaluate((el) => el.textContent);
    expect(await scaleText()).toBe('scale none (1)');
    // Dot scores and the softmax are the default: the line names no score function.
    expect(await page.$('attn-app >>> attn-verdict >>> #score-in-force')).toBeNull();
    const badges = await page.$$eval('attn-app >>> attn-verdict >>> button.badge', (els) =>
      els.map((el) => [el.textContent?.trim(), el.getAttribute('title')]),
    );
    expect(badges.length).toBeGreaterThan(0);
    for (const [text, title] of badges) {
      expect(text).toMatch(/✓ (error [<\d.e+]+× tolerance|exact)$/);
      expect(text).not.toMatch(/ULP/);
      expect(title).toMatch(/max \d+ ULP/);
    }

    await toSentenceMode(page);
    expect((await readState(page)).options.scale).toBe('default');
    expect(await scaleText()).toMatch(/^scale 1\/√d_k = 0\.\d+$/);
    expect(problems).toEqual([]);
  });
});

describe('the GPU vs CPU tab at 1280 × 800', () => {
  it.each(['default', 'rope-relative', 'gqa'])('%s: the table by stage fits its box, no sideways scrolling', async (preset) => {
    const { page, problems } = await freshPage(browser, { beforeLoad: (p) => p.setViewport({ width: 1280, height: 800 }) });
    if (preset !== 'default') await loadPreset(page, preset);
    await showTab(page, 'compare');
    const fit = await page.$eval('attn-app >>> attn-compare-panel', (el) => {
      const box = el.shadowRoot!.querySelector<HTMLElement>('.table')!;
      const verdict = el.shadowRoot!.querySelector('thead th:last-child')!.getBoundingClientRect();
      return {
        scrollWidth: box.scrollWidth,
        clientWidth: box.clientWidth,
        verdictRight: verdict.right,
        boxRight: box.getBoundingClientRect().right,
      };
    });
    expect(fit.scrollWidth).toBeLessThanOrEqual(fit.clientWidth);
    expect(fit.verdictRight).toBeLessThanOrEqual(fit.boxRight + 0.5);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    expect(problems).toEqual([]);
  });
});

describe('the random problem with several heads', () => {
  it('says beside d_k and d_v that they size one head, and what widths the grids will get', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'gqa'); // 4 query heads, 1 K/V head
    await (await $app(page, 'attn-random-problem >>> summary')).click();
    const note = async () => (await $app(page, 'attn-random-problem >>> #per-head')).evaluate((el) => el.textContent);
    expect(await note()).toBe('per head: 4 heads give Q 4·64 = 256 columns; 1 K/V head gives K 64, V 64');
    const described = await page.$$eval('attn-app >>> attn-random-problem >>> input[aria-describedby="per-head"]', (els) =>
      els.map((el) => el.getAttribute('aria-label')),
    );
    expect(described).toEqual(['random dk', 'random dv']);

    for (const [field, value] of Object.entries({ n: 4, m: 5, dk: 2, dv: 3 })) {
      const input = await $app(page, `attn-random-problem >>> input[aria-label="random ${field}"]`);
      await input.click({ count: 3 });
      await page.keyboard.type(String(value));
    }
    expect(await note()).toBe('per head: 4 heads give Q 4·2 = 8 columns; 1 K/V head gives K 2, V 3');
    const id = await runId(page);
    await (await $app(page, 'attn-random-problem >>> #generate')).click();
    await waitForRun(page, id);
    const { q, k, v } = (await readState(page)).matrix;
    expect([q[0].length, k[0].length, v[0].length]).toEqual([8, 2, 3]);
    expect(problems).toEqual([]);
  });
});

describe("sentence mode's token chips", () => {
  /** Replaces the sentence by typing, as a user would. */
  async function typeSentence(page: Page, text: string): Promise<void> {
    const source = await $app(page, 'attn-sentence-panel >>> #source');
    await source.click();
    await source.evaluate((el) => (el as HTMLTextAreaElement).select());
    if (text === '') await page.keyboard.press('Backspace');
    else await page.keyboard.type(text);
  }
  const chips = (page: Page) =>
    page.$$eval('attn-app >>> attn-sentence-panel >>> .token[data-token]', (els) =>
      els.map((e) => [e.textContent, e.classList.contains('unknown')]),
    );

  it('show the words typed now (none for an empty sentence), and name the symbols left out', async () => {
    const { page, problems } = await freshPage(browser);
    await toSentenceMode(page);
    let before = await runId(page);
    await typeSentence(page, 'the cat 🐱 sat zqxv');
    await waitForRun(page, before);
    expect(await chips(page)).toEqual([
      ['the', false],
      ['cat', false],
      ['sat', false],
      ['zqxv', true],
    ]);
    const leftOut = await $app(page, 'attn-sentence-panel >>> #left-out');
    expect(await leftOut.evaluate((e) => e.textContent!.replace(/\s+/g, ' ').trim())).toBe('Not words, so left out: 🐱');

    // An empty sentence cannot run; its chips are not the last sentence's.
    await typeSentence(page, '');
    await waitForMessage(page, 'sentence has no words');
    expect(await chips(page)).toEqual([]);
    expect(await page.$('attn-app >>> attn-sentence-panel >>> #left-out')).toBeNull();
    before = await runId(page);
    await typeSentence(page, 'dogs bark');
    await waitForRun(page, before);
    expect(await chips(page)).toEqual([
      ['dogs', false],
      ['bark', false],
    ]);
    expect(problems).toEqual([]);
  });
});
