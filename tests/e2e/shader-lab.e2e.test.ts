/**
 * The shader lab in the playground (issue 4): typing a syntax error into Monaco puts a marker on
 * its line (read through monaco.editor.getModelMarkers: a headless browser cannot hover), fixing
 * it and pressing Verify passes the suite, a broken example fails with its hint, and its smallest
 * failing case loads into the playground, where the GPU-vs-CPU check fails too. Every step fails
 * on a console error (tests/e2e/browser.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { launchBrowser } from './browser';
import type { WatchedPage } from './browser';
import { $app, freshPage, readRun, readState, runId, savedLink, waitForRun } from './app';

let browser: Browser;
let watched: WatchedPage;

beforeAll(async () => {
  browser = await launchBrowser();
  watched = await freshPage(browser);
});

afterAll(async () => {
  await browser?.close();
});

const STAGE = 'softmax';

interface LabView {
  markers: { severity: string; message: string; line: number; column: number }[];
  source: string;
  builtIn: string;
  lines: number;
}

function readLab(page: Page): Promise<LabView> {
  return page.evaluate((stage) => {
    const lab = document.querySelector('attn-app')!.shadowRoot!.querySelector('attn-layout')!.shadowRoot!.querySelector('attn-shader-lab')!;
    const source = lab.source();
    return { markers: lab.markers, source, builtIn: lab.builtIn(stage as 'softmax'), lines: source.split('\n').length };
  }, STAGE);
}

/** Presses Verify once it can be pressed (an edited kernel's trial must end first) and waits for the verdict line. */
async function verify(page: Page): Promise<{ verdict: string; pass: boolean; hints: { id: string; text: string }[]; rows: number }> {
  await page.waitForFunction(
    () =>
      !document
        .querySelector('attn-app')!
        .shadowRoot!.querySelector('attn-layout')!
        .shadowRoot!.querySelector('attn-shader-lab')!
        .shadowRoot!.querySelector<HTMLButtonElement>('button.primary')!.disabled,
    { timeout: 120_000 },
  );
  await (await $app(page, 'attn-shader-lab >>> button.primary')).click();
  await page.waitForFunction(
    () => {
      const lab = document
        .querySelector('attn-app')!
        .shadowRoot!.querySelector('attn-layout')!
        .shadowRoot!.querySelector('attn-shader-lab')!.shadowRoot!;
      const report = lab.querySelector('attn-verify-report')!.shadowRoot!;
      return !!report.querySelector('.verdict') && !lab.querySelector<HTMLButtonElement>('button.primary')!.disabled;
    },
    { timeout: 300_000 },
  );
  return page.evaluate(() => {
    const lab = document
      .querySelector('attn-app')!
      .shadowRoot!.querySelector('attn-layout')!
      .shadowRoot!.querySelector('attn-shader-lab')!.shadowRoot!;
    const root = lab.querySelector('attn-verify-report')!.shadowRoot!;
    const verdict = root.querySelector('.verdict')!;
    return {
      verdict: verdict.textContent ?? '',
      pass: verdict.classList.contains('pass'),
      hints: [...root.querySelectorAll<HTMLElement>('.hint')].map((h) => ({ id: h.dataset.hint ?? '', text: h.textContent ?? '' })),
      rows: root.querySelectorAll('table[aria-label="verification report"] tbody tr').length,
    };
  });
}

describe('the shader lab in the playground', () => {
  it('marks a syntax error typed into Monaco, and the fixed kernel passes Verify', async () => {
    const { page, problems } = watched;
    await (await $app(page, '#tab-lab')).click();
    await $app(page, 'attn-shader-lab >>> .monaco-editor');
    const tab = await page.waitForSelector(`attn-app >>> attn-shader-lab >>> .tabs ::-p-text(${STAGE})`);
    await tab!.click();
    await page.waitForFunction(
      () =>
        document
          .querySelector('attn-app')!
          .shadowRoot!.querySelector('attn-layout')!
          .shadowRoot!.querySelector('attn-shader-lab')!
          .shadowRoot!.querySelector('.ok'),
      { timeout: 60_000 },
    );
    const before = await readLab(page);
    expect(before.source).toBe(before.builtIn);
    expect(before.markers).toEqual([]);

    // Type at the end of the kernel, as a user would: a stray identifier is a WGSL parse error.
    await (await $app(page, 'attn-shader-lab >>> .monaco-editor .view-lines')).click();
    await page.keyboard.down('Control');
    await page.keyboard.press('End');
    await page.keyboard.up('Control');
    await page.keyboard.press('Enter');
    await page.keyboard.type('oops');
    await page.waitForFunction(
      () =>
        document
          .querySelector('attn-app')!
          .shadowRoot!.querySelector('attn-layout')!
          .shadowRoot!.querySelector('attn-shader-lab')!
          .markers.some((m) => m.severity === 'error'),
      { timeout: 60_000 },
    );
    const broken = await readLab(page);
    expect(broken.source.trimEnd().endsWith('oops')).toBe(true);
    const error = broken.markers.find((m) => m.severity === 'error')!;
    expect(error.line, `${error.message} at ${error.line}:${error.column}`).toBe(broken.lines);
    const listed = await (await $app(page, 'attn-shader-lab >>> .messages li.error')).evaluate((el) => el.textContent ?? '');
    expect(listed).toContain(`${broken.lines}:`);

    // Fix it: delete what was typed; the marker goes away and the tab is the built-in kernel again.
    while ((await readLab(page)).source.length > before.source.length) await page.keyboard.press('Backspace');
    await page.waitForFunction(
      () =>
        document.querySelector('attn-app')!.shadowRoot!.querySelector('attn-layout')!.shadowRoot!.querySelector('attn-shader-lab')!.markers
          .length === 0,
      { timeout: 60_000 },
    );
    expect((await readLab(page)).source).toBe(before.builtIn);

    const passed = await verify(page);
    expect(passed.verdict).toMatch(/^PASS: all \d+ cases/);
    expect(passed.pass).toBe(true);
    expect(passed.rows).toBeGreaterThanOrEqual(20);

    // Another stage's tab shows its own report (none yet), never softmax's; back on softmax, its report is there.
    const reportShown = () =>
      page.evaluate(
        () =>
          document
            .querySelector('attn-app')!
            .shadowRoot!.querySelector('attn-layout')!
            .shadowRoot!.querySelector('attn-shader-lab')!
            .shadowRoot!.querySelector('attn-verify-report')!
            .shadowRoot!.querySelector('.verdict')?.textContent ?? null,
      );
    await (await page.waitForSelector('attn-app >>> attn-shader-lab >>> .tabs ::-p-text(P·V)'))!.click();
    expect(await reportShown()).toBeNull();
    await (await page.waitForSelector(`attn-app >>> attn-shader-lab >>> .tabs ::-p-text(${STAGE})`))!.click();
    expect(await reportShown()).toMatch(/^PASS/);
    expect(problems).toEqual([]);
  });

  it('a broken example (softmax without max subtraction) fails Verify with its hint', async () => {
    const { page, problems } = watched;
    const select = (await $app(page, 'attn-shader-lab >>> select[aria-label="load a broken example"]')) as ElementHandle<HTMLSelectElement>;
    await select.select('softmax_no_max_subtraction.wgsl');
    const note = await $app(page, 'attn-shader-lab >>> .example-note');
    expect(await note.evaluate((el) => el.textContent)).toContain('Softmax without max subtraction');
    await page.waitForFunction(
      () =>
        document
          .querySelector('attn-app')!
          .shadowRoot!.querySelector('attn-layout')!
          .shadowRoot!.querySelector('attn-shader-lab')!
          .shadowRoot!.querySelector('.ok'),
      { timeout: 60_000 },
    );

    const failed = await verify(page);
    expect(failed.pass).toBe(false);
    expect(failed.verdict).toMatch(/^FAIL: (the 1 case|all \d+ cases|\d+ of \d+ cases?) failed/);
    const hint = failed.hints.find((h) => h.id === 'overflow');
    expect(hint, JSON.stringify(failed.hints)).toBeDefined();
    expect(hint!.text).toContain('missing max subtraction');
    expect(problems).toEqual([]);
  });

  it('shows the smallest failing case first and loads it into the playground, where GPU and CPU disagree', async () => {
    const { page, problems } = watched;
    const select = (await $app(page, 'attn-shader-lab >>> select[aria-label="load a broken example"]')) as ElementHandle<HTMLSelectElement>;
    await select.select('softmax_masked_row_nan.wgsl');
    await page.waitForFunction(
      () =>
        document
          .querySelector('attn-app')!
          .shadowRoot!.querySelector('attn-layout')!
          .shadowRoot!.querySelector('attn-shader-lab')!
          .shadowRoot!.querySelector('.ok'),
      { timeout: 60_000 },
    );
    const failed = await verify(page);
    expect(failed.pass).toBe(false);

    const smallest = await $app(page, 'attn-verify-report >>> .smallest');
    const text = (await smallest.evaluate((el) => el.textContent ?? '')).replace(/\s+/g, ' ');
    const shape = text.match(/Smallest failing case: n=(\d+) m=(\d+) dk=(\d+) dv=(\d+) heads=(\d+)/);
    expect(shape, text).not.toBeNull();
    expect(text).toMatch(/GPU NaN, reference 0/);
    const [n, m, dk, dv, heads] = shape!.slice(1).map(Number);
    const coverage = await $app(page, 'attn-verify-report >>> .coverage');
    expect(await coverage.evaluate((el) => el.textContent ?? '')).toMatch(/\d+ cases; sizes run: n 1,/);

    const previous = await readState(page);
    const before = await runId(page);
    await (await $app(page, 'attn-verify-report >>> button.load-case')).click();
    await waitForRun(page, before, 120_000);
    // A run the lab started before the click (the example's kernel in the playground) may finish
    // first under load: wait for the run of the loaded case itself.
    await page.waitForFunction(
      (rows: number, keys: number) => {
        const app = document.querySelector('attn-app');
        const shape = app?.lastOutcome?.problem.shape;
        return app?.dataset.state === 'done' && shape?.n === rows && shape.m === keys;
      },
      { timeout: 120_000 },
      n,
      m,
    );
    const state = await readState(page);
    expect(state.mode).toBe('matrix');
    expect(state.view.tab).toBe('attention');
    expect(state.matrix.q.length).toBe(n);
    expect(state.matrix.k.length).toBe(m);
    expect(state.matrix.q[0].length).toBe(heads * dk);
    expect(state.matrix.v[0].length).toBe(heads * dv);
    expect(state.kernels?.softmax).toContain('fn main');
    const run = await readRun(page);
    expect(run).toMatchObject({ n, m, pass: false });
    expect(run.stages.probs).toBe(false);
    const verdict = await $app(page, '.verdict[data-verdict]');
    expect(await verdict.evaluate((el) => (el as HTMLElement).dataset.verdict)).toBe('fail');

    // One undo step puts the previous problem back.
    const loaded = await runId(page);
    await (await $app(page, 'button[title="Undo (Ctrl+Z)"]')).click();
    await waitForRun(page, loaded, 120_000);
    const undone = await readState(page);
    expect(undone.matrix.q).toEqual(previous.matrix.q);
    expect(undone.mode).toBe(previous.mode);
    expect(problems).toEqual([]);
  });
});

describe("the shader lab's stage tab in the saved view", () => {
  /** The stage tab the lab shows (aria-selected). */
  function openTab(page: Page): Promise<string | null> {
    return page.evaluate(() => {
      const lab = document
        .querySelector('attn-app')
        ?.shadowRoot?.querySelector('attn-layout')
        ?.shadowRoot?.querySelector('attn-shader-lab')?.shadowRoot;
      return lab?.querySelector('[role=tab][aria-selected="true"]')?.id ?? null;
    });
  }

  it('a reload opens the stage that was open, and an edited kernel without a report says it is not verified', async () => {
    const { page, problems } = await freshPage(browser);
    await (await $app(page, '#tab-lab')).click();
    await (await $app(page, 'attn-shader-lab >>> #stage-tab-pv')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.view.labStage === 'pv');
    // A view edit: no undo step.
    expect(await page.$eval('attn-app >>> attn-header >>> button[title="Undo (Ctrl+Z)"]', (b) => (b as HTMLButtonElement).disabled)).toBe(
      true,
    );
    expect(await page.$('attn-app >>> attn-shader-lab >>> #verify-none')).toBeNull();

    // An edited P·V kernel (a comment typed at its end), saved in the state with the stage.
    await $app(page, 'attn-shader-lab >>> .monaco-editor');
    await (await $app(page, 'attn-shader-lab >>> .monaco-editor .view-lines')).click();
    await page.keyboard.down('Control');
    await page.keyboard.press('End');
    await page.keyboard.up('Control');
    await page.keyboard.press('Enter');
    await page.keyboard.type('// mine');
    await savedLink(page, (s) => s.view.tab === 'lab' && s.view.labStage === 'pv' && !!s.kernels?.pv?.includes('// mine'));
    const note = await $app(page, 'attn-shader-lab >>> #verify-none');
    expect(await note.evaluate((el) => el.textContent ?? '')).toMatch(/Not verified since the page opened.*not kept in the saved state/s);

    await page.reload({ waitUntil: 'load' });
    await waitForRun(page);
    await page.waitForFunction(
      () =>
        document
          .querySelector('attn-app')
          ?.shadowRoot?.querySelector('attn-layout')
          ?.shadowRoot?.querySelector('attn-shader-lab')
          ?.shadowRoot?.querySelector('[role=tab][aria-selected="true"]')?.id === 'stage-tab-pv',
      { timeout: 30_000 },
    );
    expect(await openTab(page)).toBe('stage-tab-pv');
    expect((await readState(page)).view.labStage).toBe('pv');
    // The report Verify gave before the reload is gone, and the lab says so rather than show nothing.
    expect(await (await $app(page, 'attn-shader-lab >>> #verify-none')).evaluate((el) => el.textContent ?? '')).toContain('Not verified');
    expect(problems).toEqual([]);
  });
});
