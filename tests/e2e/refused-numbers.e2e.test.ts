/**
 * Whole-number boxes that refuse a value keep it as typed and say why, rather than clamp it or
 * drop it without a word: sentence mode's d_k, d_v and seed (a d_k the features cannot take, odd
 * under RoPE, named at its box), model mode's top, tokens to generate, sampling k and seed. The
 * state keeps its last valid value, and a value that changes from elsewhere (an Undo) replaces the
 * refused text and its message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { launchBrowser } from './browser';
import { $app, freshPage, readState, runId, toSentenceMode, waitForRun } from './app';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Replaces a box's text by typing, as a user would, and leaves the box so its change is read. */
async function retype(page: Page, box: ElementHandle<Element>, text: string): Promise<void> {
  await box.click({ count: 3 });
  await page.keyboard.press('Backspace');
  await page.keyboard.type(text);
  await page.keyboard.press('Tab');
}

const value = (box: ElementHandle<Element>) => box.evaluate((el) => (el as HTMLInputElement).value);

/** The text of an element inside the app by deep selector, or null when there is none. */
async function textOf(page: Page, selector: string): Promise<string | null> {
  const el = await page.$(`attn-app >>> ${selector}`);
  return el ? el.evaluate((e) => e.textContent!.replace(/\s+/g, ' ').trim()) : null;
}

describe('whole-number boxes keep refused text and say why', () => {
  it('sentence mode: d_k, d_v and seed out of range, and an odd d_k under RoPE, named at the box; an Undo clears it', async () => {
    const { page, problems } = await freshPage(browser);
    await toSentenceMode(page);
    const dk = await $app(page, 'attn-sentence-panel >>> input[aria-label="dk"]');
    const dv = await $app(page, 'attn-sentence-panel >>> input[aria-label="dv"]');
    const seed = await $app(page, 'attn-sentence-panel >>> input[aria-label="seed"]');
    const start = (await readState(page)).sentence;

    await retype(page, dk, '0');
    expect(await value(dk)).toBe('0');
    expect(await textOf(page, 'attn-sentence-panel >>> #dk-problem')).toBe(
      `d_k must be a whole number from 1 to 512, got "0"; still using ${start.dk}.`,
    );
    await retype(page, dv, '600');
    expect(await textOf(page, 'attn-sentence-panel >>> #dv-problem')).toBe(
      `d_v must be a whole number from 1 to 512, got "600"; still using ${start.dv}.`,
    );
    await retype(page, seed, '2.5');
    expect(await textOf(page, 'attn-sentence-panel >>> #seed-problem')).toMatch(
      /^The seed must be a whole number from -2147483648 to 2147483647, got "2.5"; still using/,
    );
    const kept = (await readState(page)).sentence;
    expect([kept.dk, kept.dv, kept.seed]).toEqual([start.dk, start.dv, start.seed]);

    // A valid value clears its box's message and is applied.
    let before = await runId(page);
    await retype(page, dv, '6');
    await waitForRun(page, before);
    expect(await textOf(page, 'attn-sentence-panel >>> #dv-problem')).toBeNull();
    expect((await readState(page)).sentence.dv).toBe(6);

    // RoPE on: an odd d_k is refused at its box, in the features' words; an even one runs.
    before = await runId(page);
    await (await $app(page, 'attn-feature-options >>> #rope-layout')).select('half');
    await waitForRun(page, before);
    await retype(page, dk, '5');
    expect(await textOf(page, 'attn-sentence-panel >>> #dk-problem')).toBe(
      `RoPE rotates pairs of dimensions, so it needs an even head width dk, got 5; still using ${start.dk}.`,
    );
    expect((await readState(page)).sentence.dk).toBe(start.dk);
    before = await runId(page);
    await retype(page, dk, String(start.dk + 2));
    await waitForRun(page, before);
    expect(await textOf(page, 'attn-sentence-panel >>> #dk-problem')).toBeNull();
    expect((await readState(page)).sentence.dk).toBe(start.dk + 2);

    // The seed's refused text goes when an Undo changes the value under it.
    expect(await value(seed)).toBe('2.5');
    await retype(page, dk, '0');
    before = await runId(page);
    await (await $app(page, 'attn-header >>> button[title="Undo (Ctrl+Z)"]')).click();
    await waitForRun(page, before);
    expect((await readState(page)).sentence.dk).toBe(start.dk);
    expect(await value(dk)).toBe(String(start.dk));
    expect(await textOf(page, 'attn-sentence-panel >>> #dk-problem')).toBeNull();
    expect(problems).toEqual([]);
  });

  it("a feature's refusal that names d_k goes when d_k changes", async () => {
    const { page, problems } = await freshPage(browser);
    await toSentenceMode(page);
    const dk = await $app(page, 'attn-sentence-panel >>> input[aria-label="dk"]');
    let before = await runId(page);
    await retype(page, dk, '5');
    await waitForRun(page, before);
    // RoPE refused on an odd d_k, named in the Features panel.
    await (await $app(page, 'attn-feature-options >>> #rope-layout')).select('half');
    expect(await textOf(page, 'attn-feature-options >>> p.error')).toBe(
      'RoPE rotates pairs of dimensions, so it needs an even head width dk, got 5; the RoPE setting is unchanged.',
    );
    expect((await readState(page)).options.rope).toBeNull();
    // An even d_k: the message no longer describes the problem, so it goes; RoPE can now be chosen.
    before = await runId(page);
    await retype(page, dk, '6');
    await waitForRun(page, before);
    expect(await textOf(page, 'attn-feature-options >>> p.error')).toBeNull();
    before = await runId(page);
    await (await $app(page, 'attn-feature-options >>> #rope-layout')).select('half');
    await waitForRun(page, before);
    expect((await readState(page)).options.rope?.layout).toBe('half');
    expect(problems).toEqual([]);
  });

  it('model mode: top, tokens to generate, sampling k and seed out of range are named; the button says what is used', async () => {
    const { page, problems } = await freshPage(browser);
    await (await $app(page, '#mode-model')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')?.modelRuns.outcome?.checks, { timeout: 120_000 });
    const count = await $app(page, 'attn-next-token >>> input[aria-label="tokens to generate"]');
    await retype(page, count, '100');
    expect(await value(count)).toBe('100');
    expect(await textOf(page, 'attn-next-token >>> #generateCount-problem')).toBe(
      'tokens to generate must be a whole number from 1 to 64, got "100"; still using 3.',
    );
    expect(await textOf(page, 'attn-next-token >>> #generate')).toBe('Generate 3');
    const top = await $app(page, 'attn-next-token >>> #top-k');
    await retype(page, top, '0');
    expect(await textOf(page, 'attn-next-token >>> #topK-problem')).toBe(
      'top (tokens listed) must be a whole number from 1 to 50, got "0"; still using 5.',
    );
    expect(await page.$$eval('attn-app >>> attn-next-token >>> #top-tokens li', (li) => li.length)).toBe(5);
    await (await $app(page, 'attn-next-token >>> #sampling')).select('top-k');
    const [k, seed] = await Promise.all(
      ['input[min="1"][max="1000"]', 'input:not([min])'].map((s) => $app(page, `attn-next-token >>> ${s}`)),
    );
    await retype(page, k, '-3');
    await retype(page, seed, '1e99');
    expect(await textOf(page, 'attn-next-token >>> #samplingK-problem')).toBe(
      'sampling k must be a whole number from 1 to 1000, got "-3"; still using 5.',
    );
    expect(await textOf(page, 'attn-next-token >>> #seed-problem')).toMatch(
      /^seed must be a whole number from -2147483648 to 2147483647, got "1e99"/,
    );

    // A valid value replaces the message and is used.
    await retype(page, count, '4');
    expect(await textOf(page, 'attn-next-token >>> #generateCount-problem')).toBeNull();
    expect(await textOf(page, 'attn-next-token >>> #generate')).toBe('Generate 4');
    const model = (await readState(page)).model;
    expect([model.generateCount, model.topK, model.samplingK]).toEqual([4, 5, 5]);
    expect(problems).toEqual([]);
  });
});
