/**
 * Typing in the heads box and the Features panel, keystroke by keystroke: per-head sinks and custom
 * ALiBi slopes survive a head count passed on the way (typing "16" passes through 1; arrows pass
 * through counts that cannot run), in the page and in its link. Fails on any console error
 * (./browser.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { alibiSlopes } from '../../src/core/features';
import type { AttentionOptions } from '../../src/core/options';
import { launchBrowser } from './browser';
import { $app, freshPage, loadPreset, messages, readState, runId, savedLink, waitForRun } from './app';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const feature = (page: Page, selector: string) => $app(page, `attn-feature-options >>> ${selector}`);
const headsBox = (page: Page) => $app(page, 'attn-options-panel >>> input[aria-label="heads"]');

/** Does something that edits the state and waits for the run it starts. */
async function edited(page: Page, action: () => Promise<unknown>): Promise<void> {
  const id = await runId(page);
  await action();
  await waitForRun(page, id);
}

/** Replaces the text of an input by typing, as a user would (one input event per key). */
async function typeInto(page: Page, input: ElementHandle<Element>, text: string): Promise<void> {
  await input.click({ count: 3 });
  await input.evaluate((el) => (el as HTMLInputElement).select());
  await page.keyboard.type(text);
}

async function options(page: Page): Promise<AttentionOptions> {
  return (await readState(page)).options;
}

/** Waits until the state's options satisfy `check` (edits reach the state through a run gate). */
async function optionsBecome(page: Page, check: (o: AttentionOptions) => boolean): Promise<AttentionOptions> {
  for (let i = 0; i < 100; i++) {
    const o = await options(page);
    if (check(o)) return o;
    await new Promise((r) => setTimeout(r, 100));
  }
  return options(page);
}

describe('per-head lists follow the head count without losing what was typed', () => {
  it('typing 16 heads (through 1) keeps sinks 1, 2, 3, 4 and custom slopes 0.1 … 0.4', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'sqrt-dk');
    await edited(page, async () => typeInto(page, await headsBox(page), '4'));
    await edited(page, async () => (await feature(page, '#sinks-on')).click());
    await edited(page, async () => {
      await typeInto(page, await feature(page, '#sinks'), '1, 2, 3, 4');
      await page.keyboard.press('Tab');
    });
    await edited(page, async () => (await feature(page, '#alibi-mode')).select('custom'));
    await edited(page, async () => {
      await typeInto(page, await feature(page, '#alibi-slopes'), '0.1, 0.2, 0.3, 0.4');
      await page.keyboard.press('Tab');
    });
    expect(await options(page)).toMatchObject({ heads: 4, sinks: [1, 2, 3, 4], alibi: [0.1, 0.2, 0.3, 0.4] });

    await typeInto(page, await headsBox(page), '16');
    const o = await optionsBecome(page, (x) => x.heads === 16);
    // Heads 4 … 15 were never typed: the last sink, and the paper's slopes (Chromium's pow may round apart from Node's).
    const standard = alibiSlopes(16).map((x) => expect.closeTo(x, 12) as unknown as number);
    expect(o.sinks).toEqual([1, 2, 3, 4, ...new Array<number>(12).fill(4)]);
    expect(o.alibi).toEqual([0.1, 0.2, 0.3, 0.4, ...standard.slice(4)]);
    expect(problems).toEqual([]);
  });

  it('arrows down through counts that cannot run and up again give every head its sink back; so does a link saved on the way', async () => {
    const { page, problems } = await freshPage(browser);
    // gqa: 4 query heads on one K/V head, Q 4 heads × 4 columns (3 heads cannot run).
    await loadPreset(page, 'gqa');
    await edited(page, async () => (await feature(page, '#sinks-on')).click());
    await edited(page, async () => {
      await typeInto(page, await feature(page, '#sinks'), '0.5, 1, -1, 2');
      await page.keyboard.press('Tab');
    });
    const box = await headsBox(page);
    await box.click();
    await page.keyboard.press('ArrowDown');
    await optionsBecome(page, (x) => x.heads === 3);
    await page.keyboard.press('ArrowDown');
    expect((await optionsBecome(page, (x) => x.heads === 2)).sinks).toEqual([0.5, 1]);
    // The link of the two-head state holds the sinks of heads 2 and 3 too.
    const link = await savedLink(page, (s) => s.options.heads === 2);

    await page.keyboard.press('ArrowUp');
    await optionsBecome(page, (x) => x.heads === 3);
    await page.keyboard.press('ArrowUp');
    expect((await optionsBecome(page, (x) => x.heads === 4)).sinks).toEqual([0.5, 1, -1, 2]);
    expect(await feature(page, '#sinks').then((el) => el.evaluate((e) => (e as HTMLInputElement).value))).toBe('0.5, 1, -1, 2');
    expect((await messages(page)).filter((m) => /sink/i.test(m))).toEqual([]);

    const second = await freshPage(browser, { url: link });
    expect((await options(second.page)).sinks).toEqual([0.5, 1]);
    await edited(second.page, async () => typeInto(second.page, await headsBox(second.page), '4'));
    expect((await options(second.page)).sinks).toEqual([0.5, 1, -1, 2]);
    expect([...problems, ...second.problems]).toEqual([]);
  });
});
