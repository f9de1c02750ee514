/**
 * MLP mode (issue 15): the MLP form and the GPU's attention form agree with ReLU and GELU, putting
 * the softmax back changes the output and says so, and a link restores the mode; its grids are
 * x, W₁ and W₂ in file names and notices, and an import whose shape does not fit is not announced.
 * Fails on any console error (./browser.ts).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { launchBrowser } from './browser';
import {
  allowDownloads,
  $app,
  downloaded,
  edited,
  freshPage,
  messages,
  readRun,
  readState,
  runId,
  savedLink,
  waitForMessage,
  waitForRun,
} from './app';
import { showMode } from './views';

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

  it('names x, W₁ and W₂ in exported files and notices, and does not announce an import that does not fit', async () => {
    const { page, problems } = await freshPage(browser);
    await showMode(page, 'mlp');
    const dir = await allowDownloads(page);
    const exported = async (editor: string, format: 'npy' | 'csv', file: string) => {
      await (await $app(page, `#mlp-${editor} >>> details[data-menu="export"] summary`)).click();
      await (await $app(page, `#mlp-${editor} >>> details[open] button:nth-of-type(${format === 'npy' ? 1 : 2})`)).click();
      return downloaded(join(dir, file));
    };
    // The built-in example's x (src/core/state.ts).
    expect(readFileSync(await exported('x', 'csv', 'x.csv'), 'utf8')).toBe('1,2,-1\n-1,0.5,2\n2,-1,1\n');
    expect(existsSync(await exported('w2', 'npy', 'w2.npy'))).toBe(true);
    expect(existsSync(join(dir, 'q.csv')) || existsSync(join(dir, 'q.npy'))).toBe(false);

    // A W₂ that fits (2 outputs × 4 hidden units) is imported into W₂, and says so under W₂'s source.
    const fits = join(dir, 'w2-new.csv');
    writeFileSync(fits, '1,2,3,4\n5,6,7,8\n');
    const before = await runId(page);
    await ((await $app(page, '#mlp-w2 >>> input[type=file]')) as ElementHandle<HTMLInputElement>).uploadFile(fits);
    await waitForRun(page, before);
    expect((await readState(page)).mlp.w2).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ]);
    await waitForMessage(page, 'Imported w2-new.csv into W₂ (2×4).');
    expect(await page.$eval('attn-app >>> attn-notices >>> .notice[data-source="matrix:w2"]', (el) => el.textContent)).toContain(
      'Imported w2-new.csv into W₂',
    );

    // An x two features wide does not fit W₁ (4×3): refused with both shapes, and not announced as imported.
    const state = await readState(page);
    const narrow = join(dir, 'x-narrow.csv');
    writeFileSync(narrow, '1,2\n3,4\n5,6\n');
    await ((await $app(page, '#mlp-x >>> input[type=file]')) as ElementHandle<HTMLInputElement>).uploadFile(narrow);
    await waitForMessage(page, 'W₁ is 4×3 but x is 3×2');
    expect((await messages(page)).some((t) => t.includes('Imported x-narrow.csv'))).toBe(false);
    expect((await readState(page)).mlp).toEqual(state.mlp);
    expect(problems).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
    await page.browserContext().close();
  });
});
