/**
 * Multi-head attention in the page (issue 5): sentence mode with 4 heads, each with its own
 * projections, agrees with the CPU reference at every stage; the per-head grid shows all 4 maps
 * and clicking one selects that head (its PNG button does not); a 4-head matrix problem passes with every kernel variant.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { fromMatrix } from '../../src/core/grid';
import { randomMatrix } from '../../src/core/rng';
import type { PlaygroundState } from '../../src/core/state';
import { defaultState, encodeState } from '../../src/core/state';
import { launchBrowser, SCREENSHOT_DIR } from './browser';
import { allowDownloads, $app, freshPage, loadPreset, readRun, readState, runId, toSentenceMode, waitForMessage, waitForRun } from './app';

const SCREENSHOTS = SCREENSHOT_DIR;

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Waits for a finished run whose problem has `heads` heads. */
function waitForHeads(page: Page, heads: number): Promise<unknown> {
  return page.waitForFunction(
    (h: number) => {
      const app = document.querySelector('attn-app');
      return app?.dataset.state === 'done' && app.lastOutcome?.problem.shape.heads === h;
    },
    { timeout: 60_000 },
    heads,
  );
}

describe('multi-head attention in the playground', () => {
  it('sentence mode with 4 heads: own projections per head, GPU = CPU, a grid of 4 maps, click selects a head', async () => {
    const { page, problems } = await freshPage(browser);
    await toSentenceMode(page);
    const single = await readRun(page);

    const heads = await $app(page, 'attn-options-panel >>> input[aria-label="heads"]');
    await heads.click({ count: 3 });
    await page.keyboard.type('4');
    await waitForHeads(page, 4);
    const run = await readRun(page);
    expect(run.gpuError).toBeNull();
    expect(run.stages).toEqual({ scores: true, probs: true, output: true });
    const shape = await page.evaluate(() => {
      const p = document.querySelector('attn-app')!.lastOutcome!.problem;
      return { q: p.inputs.q.cols, v: p.inputs.v.cols, dk: p.shape.dk, wq: p.sentence!.wq.cols };
    });
    expect(shape).toEqual({ q: 32, v: 32, dk: 8, wq: 32 });
    const { n, m } = run;
    const headProbs = (t: number) => run.gpuProbs!.slice(t * n * m, (t + 1) * n * m);
    // Head 0 keeps the one-head projections; the other heads have their own.
    headProbs(0).forEach((x, i) => expect(x).toBeCloseTo(single.gpuProbs![i], 6));
    for (let t = 1; t < 4; t++) expect(headProbs(t), `head ${t}`).not.toEqual(headProbs(0));
    expect(await page.$eval('attn-app >>> attn-sentence-panel >>> #per-head', (el) => el.textContent)).toContain('4 heads');

    const grid = await page.$$('attn-app >>> attn-stage-view >>> .head-grid attn-heatmap');
    expect(grid).toHaveLength(4);
    await (await $app(page, 'attn-stage-view >>> .head-grid .card[data-head="2"]')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.view.head === 2);
    await page.waitForFunction(
      () =>
        document
          .querySelector('attn-app')!
          .shadowRoot!.querySelector('attn-layout')!
          .shadowRoot!.querySelector('attn-stage-view')!
          .shadowRoot!.querySelector('attn-head-grid')!
          .shadowRoot!.querySelector('.head-grid .card[data-head="2"]')
          ?.getAttribute('aria-current') === 'true',
    );
    const shown = await page.$eval('attn-app >>> attn-stage-view >>> attn-heatmap[data-stage="probs"]', (el) =>
      Array.from((el as unknown as { values: ArrayLike<number> }).values),
    );
    const cpuHead2 = run.cpuProbs.slice(2 * n * m, 3 * n * m);
    shown.forEach((x, i) => expect(x).toBeCloseTo(cpuHead2[i], 12));
    expect((await readState(page)).options.heads).toBe(4);

    // Head 3's PNG button downloads its map and leaves head 2 selected.
    const downloads = await allowDownloads(page);
    await (await $app(page, 'attn-stage-view >>> .head-grid .card[data-head="3"] attn-heatmap >>> header button')).click();
    const saved = () => readdirSync(downloads).filter((f) => f.endsWith('-probs-head3.png'));
    for (let t = 0; t < 100 && saved().length === 0; t++) await new Promise((r) => setTimeout(r, 100));
    expect(saved()).toHaveLength(1);
    expect((await readState(page)).view.head).toBe(2);
    rmSync(downloads, { recursive: true, force: true });

    await page.mouse.move(0, 0);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: join(SCREENSHOTS, 'multi-head.png') as `${string}.png`, fullPage: true });
    expect(problems).toEqual([]);
  });

  it('an output projection W_o: 4 sentence heads back to 100 dims, and an editable W_o in matrix mode', async () => {
    const { page, problems } = await freshPage(browser);
    await toSentenceMode(page);
    const heads = await $app(page, 'attn-options-panel >>> input[aria-label="heads"]');
    await heads.click({ count: 3 });
    await page.keyboard.type('4');
    await waitForHeads(page, 4);
    await (await $app(page, 'attn-sentence-panel >>> #project')).click();
    await page.waitForFunction(
      () => {
        const app = document.querySelector('attn-app')!;
        return app.dataset.state === 'done' && !!app.lastOutcome?.reference.projected;
      },
      { timeout: 60_000 },
    );
    const sentence = await page.evaluate(() => {
      const app = document.querySelector('attn-app')!;
      const o = app.lastOutcome!;
      return {
        wo: [o.problem.inputs.wo!.rows, o.problem.inputs.wo!.cols],
        projected: o.check?.projected?.pass ?? null,
        pass: o.check?.pass ?? null,
        badges: [
          ...app
            .shadowRoot!.querySelector('attn-layout')!
            .shadowRoot!.querySelector('attn-verdict')!
            .shadowRoot!.querySelectorAll('.verdict .badge'),
        ].map((b) => b.textContent?.trim() ?? ''),
        map:
          (
            app
              .shadowRoot!.querySelector('attn-layout')!
              .shadowRoot!.querySelector('attn-stage-view')!
              .shadowRoot!.querySelector('attn-heatmap[data-stage="projected"]') as unknown as { cols: number } | null
          )?.cols ?? null,
      };
    });
    expect(sentence).toMatchObject({ wo: [32, 100], projected: true, pass: true, map: 100 });
    expect(sentence.badges.some((b) => b.includes('output · W_o'))).toBe(true);
    await (await $app(page, '#tab-compare')).click();
    expect(await page.$eval('attn-app >>> attn-compare-panel >>> tr[data-stage="projected"]', (el) => el.getAttribute('data-pass'))).toBe(
      'true',
    );

    // Matrix mode: W_o starts as the identity (the output passes through), then gets random values.
    await (await $app(page, '#mode-matrix')).click();
    await loadPreset(page, 'worked-3d');
    let id = await runId(page);
    await (await $app(page, '#use-wo')).click();
    await waitForRun(page, id);
    let run = await page.evaluate(() => {
      const o = document.querySelector('attn-app')!.lastOutcome!;
      return { output: Array.from(o.gpu!.output), projected: Array.from(o.gpu!.projected ?? []), pass: o.check!.pass };
    });
    expect(run.projected).toEqual(run.output);
    expect(run.pass).toBe(true);
    id = await runId(page);
    await (await $app(page, 'attn-matrix-editor[name="wo"] >>> details summary')).click();
    await (await $app(page, 'attn-matrix-editor[name="wo"] >>> details[open] button')).click();
    await waitForRun(page, id);
    run = await page.evaluate(() => {
      const o = document.querySelector('attn-app')!.lastOutcome!;
      return { output: Array.from(o.gpu!.output), projected: Array.from(o.gpu!.projected ?? []), pass: o.check!.pass };
    });
    expect(run.projected).not.toEqual(run.output);
    expect(run.projected).toHaveLength(3);
    expect(run.pass).toBe(true);
    expect((await readState(page)).matrix.wo).toHaveLength(3);
    // Its messages call it W_o, as its heading does.
    const bad = join(mkdtempSync(join(tmpdir(), 'attn-wo-')), 'bad.csv');
    writeFileSync(bad, '1,a\n');
    await ((await $app(page, 'attn-matrix-editor[name="wo"] >>> input[type=file]')) as ElementHandle<HTMLInputElement>).uploadFile(bad);
    await waitForMessage(page, 'W_o from bad.csv: element [0][1] is "a", not a decimal number. W_o is unchanged.');
    expect(problems).toEqual([]);
  });

  it.each(['naive', 'tiled', 'fused'])('a 4-head causal matrix problem (n=24, m=40, dk=8, dv=6) passes with %s', async (variant) => {
    const base = defaultState();
    const q = randomMatrix(24, 32, 11),
      k = randomMatrix(40, 32, 12),
      v = randomMatrix(40, 24, 13);
    const state = {
      ...base,
      matrix: { ...base.matrix, q: fromMatrix(q), k: fromMatrix(k), v: fromMatrix(v) },
      options: { ...base.options, heads: 4, causal: true },
      variant,
    };
    const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState(state)}` });
    const run = await readRun(page);
    expect(run.gpuError).toBeNull();
    expect(run.pass).toBe(true);
    expect(run.outputCols).toBe(24);
    expect(run.stages.output).toBe(true);
    expect(await page.$$('attn-app >>> attn-stage-view >>> .head-grid attn-heatmap')).toHaveLength(4);
    expect(problems).toEqual([]);
  });
});

describe('the head shown stays one of the heads', () => {
  /** A 4-head matrix problem (n=3, m=4, dk=dv=2) with the view `view`. */
  function fourHeads(view: Partial<PlaygroundState['view']> = {}): PlaygroundState {
    const base = defaultState();
    return {
      ...base,
      matrix: {
        ...base.matrix,
        q: fromMatrix(randomMatrix(3, 8, 21)),
        k: fromMatrix(randomMatrix(4, 8, 22)),
        v: fromMatrix(randomMatrix(4, 8, 23)),
      },
      options: { ...base.options, heads: 4 },
      view: { ...base.view, ...view },
    };
  }

  /** The head the stage view's buttons and its grid mark as shown. */
  function markedHead(page: Page): Promise<{ button: string | null; card: string | null }> {
    return page.evaluate(() => {
      const view = document
        .querySelector('attn-app')!
        .shadowRoot!.querySelector('attn-layout')!
        .shadowRoot!.querySelector('attn-stage-view')!.shadowRoot!;
      return {
        button: view.querySelector('.heads button[aria-pressed="true"]')?.textContent?.trim() ?? null,
        card:
          view.querySelector('attn-head-grid')?.shadowRoot?.querySelector('.card[aria-current="true"]')?.getAttribute('data-head') ?? null,
      };
    });
  }

  /** Waits until the stage view's head buttons mark `label` as shown. */
  function waitForPressedHead(page: Page, label: string): Promise<unknown> {
    return page.waitForFunction(
      (shown: string) =>
        document
          .querySelector('attn-app')!
          .shadowRoot!.querySelector('attn-layout')!
          .shadowRoot!.querySelector('attn-stage-view')!
          .shadowRoot!.querySelector('.heads button[aria-pressed="true"]')
          ?.textContent?.trim() === shown,
      {},
      label,
    );
  }

  it('lowering Heads below the head shown shows, and names, the last head', async () => {
    const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState(fourHeads())}` });
    await (await $app(page, 'attn-stage-view >>> .head-grid .card[data-head="3"]')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.view.head === 3);

    const heads = await $app(page, 'attn-options-panel >>> input[aria-label="heads"]');
    await heads.click({ count: 3 });
    await page.keyboard.type('2');
    await waitForHeads(page, 2);
    expect((await readState(page)).view.head).toBe(1);
    await waitForPressedHead(page, '1');
    expect(await markedHead(page)).toEqual({ button: '1', card: '1' });
    expect(problems).toEqual([]);
  });

  it('a link naming a head past its heads shows the last, says so naming view.head, and the state agrees', async () => {
    const twoHeads = { ...fourHeads({ head: 9 }), options: { ...fourHeads().options, heads: 2 } };
    const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState(twoHeads)}` });
    expect((await readState(page)).view.head).toBe(1);
    expect(await markedHead(page)).toEqual({ button: '1', card: '1' });

    // The same from a link pasted into the address bar (its notice read at once: information closes itself).
    const before = await runId(page);
    await page.evaluate((hash: string) => (location.hash = hash), `#s=${encodeState(fourHeads({ head: 9 }))}`);
    await waitForMessage(page, "This link's view.head is 9, past its 4 heads (0 to 3): showing head 3.");
    await waitForHeads(page, 4);
    await waitForRun(page, before);
    expect((await readState(page)).view.head).toBe(3);
    await waitForPressedHead(page, '3');
    expect(await markedHead(page)).toEqual({ button: '3', card: '3' });
    expect(problems).toEqual([]);
  });
});
