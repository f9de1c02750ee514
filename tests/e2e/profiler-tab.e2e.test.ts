/**
 * The profiler as a tab of the playground: opened from the tab bar (its chunk loads then), a tiny
 * sweep set up through its controls renders its table and plots, the tab is in the shared link,
 * and no console error appears; a Shader lab kernel the verifier times out stops the profile, is
 * held and the device replaced, and Cancel stops a wait on the GPU at once. No timing is asserted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'puppeteer';
import { readFileSync } from 'node:fs';
import { decodeState, defaultState, encodeState } from '../../src/core/state';
import type { PlaygroundState } from '../../src/core/state';
import { launchBrowser } from './browser';
import { $app, freshPage, readState, waitForMessage } from './app';
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

/** The profiler element's state, message, lab verdicts and whether a roofline was measured. */
function profilerView(page: Page) {
  return page.evaluate(() => {
    const el = document.querySelector('attn-app')!.shadowRoot!.querySelector('attn-layout')!.shadowRoot!.querySelector('attn-profiler')!;
    const root = el.shadowRoot!;
    const results = root.querySelector('attn-profile-results')!.shadowRoot!;
    return {
      state: el.dataset.state,
      message: root.querySelector('#message')?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
      verdicts: [...root.querySelectorAll('#lab-verdicts li')].map((li) => li.textContent!.replace(/\s+/g, ' ').trim()),
      labBoxes: [...root.querySelectorAll<HTMLElement>('input[data-lab-stage]')].map((box) => box.dataset.labStage),
      roofline: !!root.querySelector('#roofline'),
      rows: [...results.querySelectorAll<HTMLElement>('#results tbody tr')].map((tr) => `${tr.dataset.n} ${tr.dataset.variant}`),
    };
  });
}

/**
 * Opens a page whose link carries an edited qk kernel (the built-in one with a comment: it passes
 * its trial), waits for the trial, then makes the page's engine never answer a verifier's run of
 * it (poisoned buffers: the verifier's runs only). A real kernel that never finishes would wedge
 * SwiftShader's GPU process for good (see kernel-safety.e2e.test.ts); the page cannot tell the two
 * apart. Sets up the Profiler for a one-point sweep of tiled with the lab's qk kernel ticked.
 */
async function profilerWithStuckLabKernel(verifyTimeLimitMs: number) {
  const watched = await freshPage(browser);
  const { page } = watched;
  const kernel = `${readFileSync('shaders/qk_scores.wgsl', 'utf8')}\n// edited: the verifier's runs of it never finish (the test's engine)\n`;
  const state: PlaygroundState = await readState(page);
  await page.evaluate((hash) => (location.hash = hash), `#s=${encodeState({ ...state, kernels: { qk: kernel }, heldKernels: [] })}`);
  await page.waitForFunction(() => document.querySelector('attn-app')!.kernelStaging.trials.qk?.status === 'passed', { timeout: 180_000 });
  await page.evaluate(() => {
    const engine = document.querySelector('attn-app')!.gpu.engine!;
    (window as unknown as { stuckEngine: unknown }).stuckEngine = engine;
    const run = engine.run.bind(engine);
    engine.run = (inputs, options, r = {}) => (r.kernels?.qk && r.poison ? new Promise(() => {}) : run(inputs, options, r));
  });
  await (await $app(page, '#tab-profiler')).click();
  await waitForRunButton(page);
  for (const n of [16, 32, 64, 128, 256, 512, 1024, 2048, 4096]) await setChecked(page, `input[data-n="${n}"]`, n === 16);
  for (const v of ['naive', 'tiled', 'fused', 'tfjs']) await setChecked(page, `input[data-variant="${v}"]`, v === 'tiled');
  await typeNumber(page, 'dk', 16);
  await typeNumber(page, 'warmup', 0);
  await typeNumber(page, 'repeats', 1);
  await setChecked(page, 'input[data-lab-stage="qk"]', true);
  await page.evaluate((ms) => {
    const el = document.querySelector('attn-app')!.shadowRoot!.querySelector('attn-layout')!.shadowRoot!.querySelector('attn-profiler')!;
    el.verifyTimeLimitMs = ms;
  }, verifyTimeLimitMs);
  return { ...watched, kernel };
}

describe('a Shader lab kernel in the Profiler', () => {
  it('held (from the link) is not offered, and "Your kernel" says it is held and how to release it', async () => {
    const state = defaultState();
    state.view.tab = 'profiler';
    state.kernels = { qk: `${readFileSync('shaders/qk_scores.wgsl', 'utf8')}\n// edited\n` };
    state.heldKernels = ['qk'];
    const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState(state)}` });
    await waitForRunButton(page, 60_000);
    expect((await readState(page)).heldKernels).toEqual(['qk']);
    const view = await profilerView(page);
    expect(view.labBoxes).toEqual([]);
    const text = await (await profiler(page, '#lab-kernels')).evaluate((el) => el.textContent!.replace(/\s+/g, ' '));
    expect(text).toMatch(/Your qk kernel is held: it did not finish on the GPU \(or lost the device\), so it is not offered here/);
    expect(text).toMatch(/Press "Use my kernel again" in the Shader lab to try it again/);
    expect(text).not.toMatch(/Edit a kernel in the Shader lab/);
    expect(problems).toEqual([]);
  });

  it('that times out in the verifier stops the profile with a message, is held, the device is replaced, and a profile then runs', async () => {
    const { page, problems, kernel } = await profilerWithStuckLabKernel(2000);
    await (await profiler(page, '#run')).click();
    await waitForProfile(page, 120_000);
    const stopped = await profilerView(page);
    // Stopped after the verdict: no roofline measured behind the kernel, nothing timed.
    expect(stopped.state, stopped.message).toBe('error');
    expect(stopped.message).toMatch(
      /^Profile stopped: the Shader lab's qk kernel did not finish within 2 s in the verifier \(.*timed out after 2000 ms.*\), so it may still be running on the GPU; nothing was timed\. It is held: .*"Use my kernel again" tries it again\. The GPU device (is being|has been) replaced\.$/,
    );
    expect(stopped.verdicts).toEqual([expect.stringMatching(/^qk: did not pass the verifier, not timed — TIMEOUT: /)]);
    expect(stopped.roofline).toBe(false);
    expect(stopped.rows).toEqual([]);
    // The page holds the kernel (its text kept), says so in its banner and replaces the device.
    await waitForMessage(page, "Profile stopped: the Shader lab's qk kernel did not finish");
    const held = await readState(page);
    expect(held.heldKernels).toEqual(['qk']);
    expect(held.kernels?.qk).toBe(kernel);
    await page.waitForFunction(
      () => {
        const gpu = document.querySelector('attn-app')!.gpu;
        return gpu.status.kind === 'ready' && gpu.engine !== (window as unknown as { stuckEngine: unknown }).stuckEngine;
      },
      { timeout: 120_000 },
    );
    // Once the new device is ready, the message no longer says it is being replaced.
    await page.waitForFunction(
      () =>
        document
          .querySelector('attn-app')!
          .shadowRoot!.querySelector('attn-layout')!
          .shadowRoot!.querySelector('attn-profiler')!
          .shadowRoot!.querySelector('#message')
          ?.textContent?.includes('The GPU device has been replaced.'),
      { timeout: 10_000 },
    );
    expect((await profilerView(page)).message).not.toMatch(/being replaced/);
    // The held kernel is no longer offered; a profile of the built-in kernels runs on the new device.
    await waitForRunButton(page);
    expect((await profilerView(page)).labBoxes).toEqual([]);
    await (await profiler(page, '#run')).click();
    await waitForProfile(page, 180_000);
    const after = await profilerView(page);
    expect(after.state, after.message).toBe('done');
    expect(after.rows).toEqual(['16 tiled']);
    expect(after.roofline).toBe(true);
    expect(problems).toEqual([]);
  }, 400_000);

  it('Cancel stops waiting for the GPU at once; the kernel is not held', async () => {
    // The verifier would wait ten minutes for the run: only Cancel can end the wait within the test.
    const { page, problems } = await profilerWithStuckLabKernel(600_000);
    await (await profiler(page, '#run')).click();
    await page.waitForFunction(
      () =>
        document.querySelector('attn-app')!.shadowRoot!.querySelector('attn-layout')!.shadowRoot!.querySelector('attn-profiler')!.dataset
          .state === 'running',
    );
    await (await profiler(page, '#cancel')).click();
    await page.waitForFunction(
      () =>
        document.querySelector('attn-app')!.shadowRoot!.querySelector('attn-layout')!.shadowRoot!.querySelector('attn-profiler')!.dataset
          .state === 'cancelled',
      { timeout: 30_000 },
    );
    const view = await profilerView(page);
    expect(view.message).toBe('Cancelled before any run finished: nothing was measured.');
    // Stopped while the verifier was still waiting: no verdict, and nothing ran after it.
    expect(view.verdicts).toEqual([]);
    expect(view.roofline).toBe(false);
    expect((await readState(page)).heldKernels).toEqual([]);
    expect(problems).toEqual([]);
  }, 300_000);
});
