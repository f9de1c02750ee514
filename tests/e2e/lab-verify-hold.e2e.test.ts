/**
 * The Shader lab's Verify and a kernel that hangs only on some inputs (QA's report): the kernel
 * passes its staging trial (its small problem never reaches the loop), so the playground uses it
 * and Verify may run it; Verify's case with large scores never finishes. The page must then do what
 * the staging and the Profiler do: hold the kernel, say so with the way to release it, replace the
 * device and run the playground with the built-in kernel. And while Verify's runs are out they are
 * on the write-ahead run record, so a page killed in the middle holds the kernel on the next load.
 *
 * A real never-ending kernel would wedge SwiftShader's GPU process for good (see
 * kernel-safety.e2e.test.ts), so the page's engine stands in for the GPU where the kernel would
 * loop: a run of it whose scores may pass 100 never answers (the page cannot tell the two apart).
 * The tests have a browser of their own all the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'puppeteer';
import { inject } from 'vitest';
import { fingerprint } from '../../src/core/kernel-safety';
import { launchBrowser, openPage } from './browser';
import { $app, freshPage, messages, readRun, readState, runId, waitForMessage, waitForRun } from './app';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const RUNS_KEY = 'attention-playground.kernel-runs';

/** QA's kernel: the built-in naive softmax that spins for ever on a row whose first score passes 100. */
function hangsOnLargeScores(builtIn: string): string {
  const hang = `var spin = 0u;
  if (scores[base] > 100.0) {
    loop {
      probs[base] = f32(spin);
      spin = spin + 1u;
      if (scores[base] == 12345.678 && spin > 0u) { break; }
    }
  }
  var row_max`;
  const kernel = builtIn.replace('var row_max', hang);
  if (kernel === builtIn) throw new Error('the built-in softmax kernel has no `var row_max` to put the loop before');
  return kernel;
}

function lab(page: Page) {
  return page.evaluateHandle(() =>
    document.querySelector('attn-app')!.shadowRoot!.querySelector('attn-layout')!.shadowRoot!.querySelector('attn-shader-lab')!,
  );
}

/** Opens the lab's softmax tab (the naive kernel: the lab's softmax stage); returns the built-in kernel. */
async function openLab(page: Page): Promise<string> {
  await (await $app(page, '#tab-lab')).click();
  await $app(page, 'attn-shader-lab >>> .monaco-editor');
  await (await page.waitForSelector('attn-app >>> attn-shader-lab >>> .tabs ::-p-text(softmax)'))!.click();
  return (await lab(page)).evaluate((l) => l.builtIn('softmax'));
}

/** Replaces the editor's text as pasting does (through Monaco, so the lab hears it). */
async function paste(page: Page, source: string): Promise<void> {
  await (
    await lab(page)
  ).evaluate((l, text) => {
    const editor = (
      l.shadowRoot!.querySelector('attn-code-editor') as unknown as {
        editor: { getModel(): { getFullModelRange(): unknown }; executeEdits(s: string, e: unknown[]): void };
      }
    ).editor;
    editor.executeEdits('test', [{ range: editor.getModel().getFullModelRange(), text }]);
  }, source);
}

/**
 * Makes the page's engine stand in for a GPU that never finishes `kernel` where it would loop: a
 * run of it never answers once a score may pass 100 (|s| ≤ dk·max|q|·max|k|·scale/temperature),
 * and counts in `window.hung`. Other runs (the staging's quick check, the playground's problem)
 * run on the GPU as usual.
 */
async function engineThatHangsOnLargeScores(page: Page, kernel: string): Promise<void> {
  await page.evaluate((kernel) => {
    const engine = document.querySelector('attn-app')!.gpu.engine!;
    (window as unknown as { stuckEngine: unknown }).stuckEngine = engine;
    const run = engine.run.bind(engine);
    const maxAbs = (data: ArrayLike<number>) => Array.from(data).reduce((a, x) => Math.max(a, Math.abs(x)), 0);
    engine.run = (inputs, options = {}, r = {}) => {
      if (r.kernels?.softmax !== kernel) return run(inputs, options, r);
      const dk = inputs.q.cols / (options.heads ?? 1);
      const scale = typeof options.scale === 'number' ? options.scale : options.scale === 'none' ? 1 : 1 / Math.sqrt(dk);
      const bound = (dk * maxAbs(inputs.q.data) * maxAbs(inputs.k.data) * Math.abs(scale)) / (options.temperature ?? 1);
      if (bound <= 100) return run(inputs, options, r);
      (window as unknown as { hung: number }).hung = ((window as unknown as { hung?: number }).hung ?? 0) + 1;
      return new Promise(() => {});
    };
  }, kernel);
}

/** The lab's staging line: its status and text. */
function staging(page: Page): Promise<{ status: string | null; text: string }> {
  return page.evaluate(() => {
    const line = document
      .querySelector('attn-app')!
      .shadowRoot!.querySelector('attn-layout')!
      .shadowRoot!.querySelector('attn-shader-lab')!
      .shadowRoot!.querySelector<HTMLElement>('#kernel-staging');
    return { status: line?.dataset.status ?? null, text: line?.textContent?.replace(/\s+/g, ' ').trim() ?? '' };
  });
}

/** The verdict line of the lab's verification report ('' while there is none). */
function verdict(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      document
        .querySelector('attn-app')!
        .shadowRoot!.querySelector('attn-layout')!
        .shadowRoot!.querySelector('attn-shader-lab')!
        .shadowRoot!.querySelector('attn-verify-report')!
        .shadowRoot!.querySelector('.verdict')
        ?.textContent?.replace(/\s+/g, ' ')
        .trim() ?? '',
  );
}

/** The run records in storage (the stages and fingerprints on record). */
function runRecords(page: Page): Promise<{ stage: string; fingerprint: string }[]> {
  return page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? '[]') as { stage: string; fingerprint: string }[], RUNS_KEY);
}

/**
 * A fresh page with QA's kernel pasted into the lab's softmax tab and through its trial (the
 * playground uses it), the engine standing in for the GPU, and Verify's limit per run set to `limitMs`.
 */
async function pageWithKernelInUse(limitMs: number) {
  const watched = await freshPage(browser);
  const { page } = watched;
  const kernel = hangsOnLargeScores(await openLab(page));
  await engineThatHangsOnLargeScores(page, kernel);
  await paste(page, kernel);
  await page.waitForFunction(() => document.querySelector('attn-app')!.kernelStaging.trials.softmax?.status === 'passed', {
    timeout: 180_000,
  });
  expect(await staging(page)).toEqual({ status: 'passed', text: 'Passed the quick check: the playground uses this kernel.' });
  expect(await page.evaluate(() => document.querySelector('attn-app')!.kernelStaging.inUse())).toEqual({ softmax: kernel });
  await (await lab(page)).evaluate((l, ms) => (l.timeLimit = ms), limitMs);
  // The playground's run with the kernel is over: the runs on record from now on are Verify's.
  await page.waitForFunction(() => document.querySelector('attn-app')!.dataset.state === 'done', { timeout: 120_000 });
  const verifyButton = await $app(page, 'attn-shader-lab >>> button.primary');
  await page.waitForFunction((button) => !(button as HTMLButtonElement).disabled, { timeout: 60_000 }, verifyButton);
  return { ...watched, kernel, verifyButton };
}

describe("the Shader lab's Verify of a kernel that never finishes on some inputs", () => {
  it('holds the kernel, says so, replaces the device and runs the playground with the built-in kernel', async () => {
    const { page, problems, kernel, verifyButton } = await pageWithKernelInUse(2000);
    await verifyButton.click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.heldKernels.includes('softmax'), {
      timeout: 180_000,
    });
    expect(await verdict(page)).toMatch(/^TIMEOUT: .*timed out after 2000 ms/);
    // The banner says which kernel, where, and how to release it.
    await waitForMessage(page, 'Your edited softmax kernel did not finish within 2 s in Verify (on the case "');
    // The device is being replaced, or already has been (every message then says so, the notice too).
    await waitForMessage(page, '"Use my kernel again" tries it again. The GPU device ');
    expect((await messages(page)).join('\n')).toMatch(
      /"Use my kernel again" tries it again\. The GPU device (is being|has been) replaced\./,
    );
    const state = await readState(page);
    expect(state.heldKernels).toEqual(['softmax']);
    expect(state.kernels?.softmax).toBe(kernel);
    // The staging line no longer says the playground uses it: held, with the way to release it.
    const line = await staging(page);
    expect(line.status).toBe('held');
    expect(line.text).toMatch(
      /^Held: Your edited softmax kernel did not finish within 2 s in Verify .* It is held: the playground runs the built-in softmax kernel, .*Use my kernel again$/,
    );
    expect(await page.evaluate(() => document.querySelector('attn-app')!.kernelStaging.inUse())).toBeNull();
    // Verify would run it on the GPU again: it is off while the kernel is held.
    expect(await verifyButton.evaluate((el) => (el as HTMLButtonElement).disabled)).toBe(true);
    // Nothing is left on the run record once the run timed out: the hold is in the state.
    expect(await runRecords(page)).toEqual([]);

    // A new device, and the playground redone on it with the built-in kernel, its numbers right.
    const heldAt = await runId(page);
    await page.waitForFunction(
      (after: number) => {
        const app = document.querySelector('attn-app')!;
        return (
          app.gpu.status.kind === 'ready' &&
          app.gpu.engine !== (window as unknown as { stuckEngine: unknown }).stuckEngine &&
          app.dataset.state === 'done' &&
          Number(app.dataset.run) > after &&
          app.lastOutcome?.gpu != null
        );
      },
      { timeout: 120_000 },
      heldAt,
    );
    const run = await readRun(page);
    expect(run.gpuError).toBeNull();
    expect(run.pass).toBe(true);
    // The held line outlives the replacement: it now says the device has been replaced.
    const replaced = await staging(page);
    expect(replaced.status).toBe('held');
    expect(replaced.text).toMatch(/tries it again\. The GPU device has been replaced\./);
    expect(replaced.text).not.toMatch(/being replaced/);
    // So does the timeout's error notice (on show, or among the earlier ones).
    const noticeTexts = await page.evaluate(() => {
      const notices = (
        document.querySelector('attn-app') as unknown as { notices: { notices: { text: string }[]; earlier: { text: string }[] } }
      ).notices;
      return [...notices.notices, ...notices.earlier].map((n) => n.text);
    });
    expect(noticeTexts.filter((t) => /tries it again\. The GPU device has been replaced\./.test(t))).toHaveLength(1);
    expect(noticeTexts.filter((t) => /being replaced/.test(t))).toEqual([]);
    expect(problems).toEqual([]);
  }, 400_000);

  it("keeps Verify's runs on the run record: a page killed while Verify waits holds the kernel on the next load", async () => {
    // Verify would wait ten minutes for the run: the page is killed first.
    const { page, problems, kernel, verifyButton } = await pageWithKernelInUse(600_000);
    // The state with the kernel is saved (400 ms after the edit), so the next load finds the kernel.
    await page.waitForFunction(
      () => localStorage.getItem('attention-playground.state') === JSON.stringify(document.querySelector('attn-app')!.currentState),
    );
    await verifyButton.click();
    // Verify's first run that never finishes: the page waits for it.
    await page.waitForFunction(() => (window as unknown as { hung?: number }).hung === 1, { timeout: 180_000 });
    expect(await runRecords(page)).toEqual([expect.objectContaining({ stage: 'softmax', fingerprint: fingerprint(kernel) })]);
    expect((await readState(page)).heldKernels).toEqual([]);

    // The renderer dies mid-run (no pagehide): the record stays for the next load of the same storage.
    const context = page.browserContext();
    const cdp = await page.createCDPSession();
    // The command gets no answer from a crashed page: wait for the crash instead.
    const crashed = new Promise((resolve) => page.once('error', resolve));
    void cdp.send('Page.crash').catch(() => {});
    await crashed;
    const next = await openPage(context, inject('baseUrl'));
    await waitForRun(next.page);
    const state = await readState(next.page);
    expect(state.kernels?.softmax).toBe(kernel);
    expect(state.heldKernels).toEqual(['softmax']);
    await waitForMessage(next.page, 'Your edited softmax kernel was running on the GPU when this page last closed without finishing');
    expect(await next.page.evaluate(() => document.querySelector('attn-app')!.kernelStaging.inUse())).toBeNull();
    expect(await runRecords(next.page)).toEqual([]);
    expect((await readRun(next.page)).pass).toBe(true);
    expect([...problems, ...next.problems]).toEqual([]);
  }, 400_000);
});
