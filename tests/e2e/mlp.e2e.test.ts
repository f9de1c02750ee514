/**
 * MLP mode (issue 15): the MLP form and the GPU's attention form agree with ReLU and GELU, putting
 * the softmax back changes the output and says so, and a link restores the mode. Fails on any
 * console error (./browser.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { launchBrowser } from './browser';
import { $app, freshPage, readRun, readState, runId, savedLink, waitForRun } from './app';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** The forms badge: whether it says the two forms agree, and its text. */
async function forms(page: Page): Promise<{ agree: string | null; text: string }> {
  const badge = await $app(page, 'attn-mlp-result >>> #mlp-forms');
  const agree = await $app(page, 'attn-mlp-result >>> [data-forms]');
  return {
    agree: await agree.evaluate((el) => el.getAttribute('data-forms')),
    text: await badge.evaluate((el) => el.textContent ?? ''),
  };
}

async function edited(page: Page, action: () => Promise<unknown>): Promise<void> {
  const id = await runId(page);
  await action();
  await waitForRun(page, id);
}

describe('MLP as attention in the page', () => {
  it('opens, agrees with ReLU and GELU, changes with the softmax back, and comes back from a link', async () => {
    const { page, problems } = await freshPage(browser);
    await edited(page, async () => (await $app(page, '#mode-mlp')).click());
    await page.waitForFunction(() => document.querySelector('attn-app')?.lastOutcome?.problem.mode === 'mlp', { timeout: 60_000 });
    const relu = await readRun(page);
    expect(relu.gpuError).toBeNull();
    expect(relu.pass).toBe(true);
    // The built-in example's y0 is [4, 2] (tests/mlp-state.test.ts); the GPU's attention form gives it.
    expect(relu.gpuOutput!.slice(0, 2)).toEqual([4, 2]);
    expect(await forms(page)).toMatchObject({ agree: 'agree' });
    expect((await forms(page)).text).toMatch(/equal within tolerance/);

    const select = (await $app(page, 'attn-mlp-panel >>> #mlp-activation')) as ElementHandle<HTMLSelectElement>;
    await edited(page, () => select.select('gelu'));
    const gelu = await readRun(page);
    expect(gelu.pass).toBe(true);
    expect((await forms(page)).agree).toBe('agree');
    expect(gelu.gpuOutput).not.toEqual(relu.gpuOutput);

    await edited(page, async () => (await $app(page, 'attn-mlp-panel >>> #mlp-softmax')).click());
    const softmax = await readRun(page);
    expect(softmax.pass).toBe(true);
    expect((await forms(page)).agree).toBe('differ');
    expect((await forms(page)).text).toMatch(/not equal/);
    // Normalised: every row of weights sums to 1, and the output moved.
    for (let i = 0; i < softmax.n; i++)
      expect(softmax.gpuProbs!.slice(i * softmax.m, (i + 1) * softmax.m).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(softmax.gpuOutput).not.toEqual(gelu.gpuOutput);
    const note = await $app(page, 'attn-mlp-result >>> #mlp-softmax-note');
    expect(await note.evaluate((el) => el.textContent)).toMatch(/sum to 1/);
    const explanation = await $app(page, 'attn-mlp-panel >>> #mlp-explanation');
    expect(await explanation.evaluate((el) => el.textContent)).toMatch(/other\s+way round/);

    const link = await savedLink(page, (s) => s.mode === 'mlp' && s.mlp.softmax && s.mlp.activation === 'gelu');
    const second = await freshPage(browser, { url: link });
    const restored = await readState(second.page);
    expect(restored.mode).toBe('mlp');
    expect(restored.mlp).toMatchObject({ activation: 'gelu', softmax: true });
    expect((await readRun(second.page)).gpuOutput).toEqual(softmax.gpuOutput);
    expect((await forms(second.page)).agree).toBe('differ');
    expect(problems).toEqual([]);
    expect(second.problems).toEqual([]);
    await second.page.browserContext().close();
    await page.browserContext().close();
  });
});
