/**
 * Number boxes that apply what is typed on every keystroke (src/ui/box-text.ts): the text stays as
 * typed and the value typed is applied or refused with a message beside it, never turned into
 * another number ("1.5e-10" used to end as 0.15); a window past the state's bound is named at its
 * field; a refused change's notice goes with the next change; and a refused value's message and
 * box follow the state when the options come from elsewhere (an example, undo). Typed with the
 * keyboard, as a user would. Fails on any console error (./browser.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import type { AttentionOptions } from '../../src/core/options';
import { launchBrowser } from './browser';
import { $app, freshPage, loadPreset, messages, readState, runId, waitForMessage, waitForRun } from './app';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const REFUSED = 'This change could not be saved or shared, so it was not made';

/** Selects a box's text and types over it, key by key. */
async function typeInto(page: Page, box: ElementHandle<Element>, text: string): Promise<void> {
  await box.click({ count: 3 });
  await box.evaluate((el) => (el as HTMLInputElement).select());
  await page.keyboard.type(text);
}

function boxText(box: ElementHandle<Element>): Promise<string> {
  return box.evaluate((el) => (el as HTMLInputElement).value);
}

function options(page: Page): Promise<AttentionOptions> {
  return page.evaluate(() => JSON.parse(JSON.stringify(document.querySelector('attn-app')!.currentState.options)) as AttentionOptions);
}

/** Waits until the state's options satisfy `check` (typing applies values on the way). */
async function optionsWhere(page: Page, body: string): Promise<void> {
  await page.waitForFunction(
    (b: string) => new Function('o', `return (${b})`)(document.querySelector('attn-app')!.currentState.options),
    { timeout: 30_000 },
    body,
  );
}

/** The message shown under a features-panel feature, or null. */
function featureError(page: Page, feature: string): Promise<string | null> {
  return page.evaluate((name: string) => {
    const panel = document
      .querySelector('attn-app')!
      .shadowRoot!.querySelector('attn-layout')!
      .shadowRoot!.querySelector('attn-problem-editor')!
      .shadowRoot!.querySelector('attn-feature-options')!.shadowRoot!;
    return panel.querySelector(`.feature[data-feature="${name}"] .error`)?.textContent ?? null;
  }, feature);
}

/** Lets the page settle (a re-render, a debounced run) before reading what must not have changed. */
const pause = (ms = 500) => new Promise((r) => setTimeout(r, ms));

/**
 * A change the state's gate refuses, sent as a panel would send it (no control reaches the gate
 * with these fixes: each checks its value first, so this stands in for one that does not).
 */
function sendRefusedChange(page: Page): Promise<void> {
  return page.evaluate(() => {
    const event = new Event('attn-state-edit', { bubbles: true, composed: true });
    Object.assign(event, {
      edit: (s: { options: object }) => ({ ...s, options: { ...s.options, window: 99_999_999 } }),
      coalesceKey: null,
      undoable: true,
    });
    document.querySelector('attn-app')!.dispatchEvent(event);
  });
}

async function refusedNoticeShown(page: Page): Promise<boolean> {
  return (await messages(page)).some((t) => t.includes(REFUSED));
}

describe('a number box keeps the text typed and applies what it says', () => {
  it.each<[string, string, string, keyof AttentionOptions]>([
    ['temperature', '1.5e-10', 'attn-options-panel >>> input[aria-label="temperature"]', 'temperature'],
    ['custom scale', '2.5e-10', 'attn-options-panel >>> input[aria-label="custom scale"]', 'scale'],
    ['softcap', '1.5e-10', 'attn-feature-options >>> #softcap', 'softcap'],
  ])('%s: "%s" typed key by key stays and is applied', async (what, typed, selector, key) => {
    const { page, problems } = await freshPage(browser);
    if (what === 'custom scale')
      await (await $app(page, 'attn-options-panel >>> fieldset label:nth-of-type(2) input[type="radio"]')).click();
    if (what === 'softcap') await (await $app(page, 'attn-feature-options >>> #softcap-on')).click();
    const box = await $app(page, selector);
    await typeInto(page, box, typed);
    await optionsWhere(page, `o.${key} === ${typed}`);
    await pause();
    expect(await boxText(box)).toBe(typed);
    expect((await options(page))[key]).toBe(Number(typed));
    expect((await messages(page)).filter((t) => /is not|too (small|large)|could not/.test(t))).toEqual([]);
    expect(problems).toEqual([]);
  });

  it.each<[string, 'Temperature' | 'Scale', 'temperature' | 'scale']>([
    ['temperature', 'Temperature', 'temperature'],
    ['custom scale', 'Scale', 'scale'],
  ])(
    '%s "1e-46" (too small for float32) stays in the box, refused with a message; the value from before the typing comes back, not the "1e-4" on the way',
    async (what, title, key) => {
      const { page, problems } = await freshPage(browser);
      if (what === 'custom scale')
        await (await $app(page, 'attn-options-panel >>> fieldset label:nth-of-type(2) input[type="radio"]')).click();
      await optionsWhere(page, `typeof o.${key} === 'number'`);
      const before = (await options(page))[key];
      const box = await $app(page, `attn-options-panel >>> input[aria-label="${what}"]`);
      await typeInto(page, box, '1e-46');
      await waitForMessage(page, `${title} 1e-46 is too small for float32`);
      await waitForMessage(page, `; the ${key} stays ${before}.`);
      await optionsWhere(page, `o.${key} === ${before}`);
      await pause();
      expect(await boxText(box)).toBe('1e-46');
      expect((await options(page))[key]).toBe(before);
      expect(problems).toEqual([]);
    },
  );

  it('the random problem’s n: "1e3" stays and means 1000', async () => {
    const { page, problems } = await freshPage(browser);
    await (await $app(page, 'attn-random-problem >>> summary')).click();
    const box = await $app(page, 'attn-random-problem >>> input[aria-label="random n"]');
    await typeInto(page, box, '1e3');
    await pause(200);
    expect(await boxText(box)).toBe('1e3');
    const summary = await page.$eval('attn-app >>> attn-random-problem >>> p.muted:last-of-type', (el) => el.textContent ?? '');
    expect(summary.replace(/\s+/g, ' ')).toContain('Q 1000×');
    expect(problems).toEqual([]);
  });
});

describe('a window past the state’s bound, and the notice of a refused change', () => {
  it('a window of 99999999 is named at its field, in words; the state keeps its window', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'sliding-window');
    const { window } = await options(page);
    const box = await $app(page, 'attn-feature-options >>> #window');
    await typeInto(page, box, '99999999');
    await waitForMessage(page, 'the sliding window can be at most 16,777,216 keys');
    await pause();
    expect(await featureError(page, 'window')).toContain(`got 99,999,999; the sliding window stays ${window}`);
    expect(await boxText(box)).toBe('99999999');
    // "9999999" (seven nines) fitted on the way; the eighth was refused here, not by the state's gate,
    // and the window went back to the one it had before the typing.
    expect((await options(page)).window).toBe(window);
    expect(await refusedNoticeShown(page)).toBe(false);
    expect(problems).toEqual([]);
  });

  it('the next change made clears a refused change’s notice: a valid window, a cell, an example, undo', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'sliding-window');

    await sendRefusedChange(page);
    await waitForMessage(page, REFUSED);
    let id = await runId(page);
    await typeInto(page, await $app(page, 'attn-feature-options >>> #window'), '2');
    await waitForRun(page, id);
    expect((await options(page)).window).toBe(2);
    expect(await refusedNoticeShown(page)).toBe(false);

    await sendRefusedChange(page);
    await waitForMessage(page, REFUSED);
    id = await runId(page);
    await (await $app(page, 'attn-matrix-editor[name="v"] >>> input[data-row="0"][data-col="0"]')).click();
    await page.keyboard.type('0.5');
    await waitForRun(page, id);
    expect(await refusedNoticeShown(page)).toBe(false);

    await sendRefusedChange(page);
    await waitForMessage(page, REFUSED);
    await loadPreset(page, 'worked-3d');
    expect(await refusedNoticeShown(page)).toBe(false);

    await sendRefusedChange(page);
    await waitForMessage(page, REFUSED);
    id = await runId(page);
    await page.keyboard.down('Control');
    await page.keyboard.press('z');
    await page.keyboard.up('Control');
    await waitForRun(page, id);
    expect((await readState(page)).options.window).toBe(2);
    expect(await refusedNoticeShown(page)).toBe(false);
    expect(problems).toEqual([]);
  });
});

describe('a refused value follows the state when the options come from elsewhere', () => {
  it('K/V heads 3 for gqa, then another example and undo: the message goes and the box shows the state', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'gqa');
    const box = await $app(page, 'attn-feature-options >>> #kv-heads');
    expect(await boxText(box)).toBe('1');
    await typeInto(page, box, '3');
    await waitForMessage(page, 'K/V heads (3) must divide the 4 query heads');
    expect(await boxText(box)).toBe('3');

    await loadPreset(page, 'worked-3d');
    expect(await featureError(page, 'kvHeads')).toBeNull();
    expect(await boxText(await $app(page, 'attn-feature-options >>> #kv-heads'))).toBe('1');

    const id = await runId(page);
    await page.keyboard.down('Control');
    await page.keyboard.press('z');
    await page.keyboard.up('Control');
    await waitForRun(page, id);
    expect((await options(page)).heads).toBe(4);
    expect(await featureError(page, 'kvHeads')).toBeNull();
    expect(await boxText(await $app(page, 'attn-feature-options >>> #kv-heads'))).toBe('1');
    expect(problems).toEqual([]);
  });

  it('one query head: the message says "the 1 query head"', async () => {
    const { page, problems } = await freshPage(browser);
    const box = await $app(page, 'attn-feature-options >>> #kv-heads');
    await typeInto(page, box, '3');
    await waitForMessage(page, 'K/V heads (3) must divide the 1 query head: choose 1');
    expect(await featureError(page, 'kvHeads')).not.toContain('1 query heads');
    expect(problems).toEqual([]);
  });

  it('a refused number of heads: another example clears the message and rewrites the box', async () => {
    const { page, problems } = await freshPage(browser);
    const box = await $app(page, 'attn-options-panel >>> input[aria-label="heads"]');
    await typeInto(page, box, '65');
    await waitForMessage(page, 'Heads: "65" is not a whole number from 1 to 64');
    expect(await boxText(box)).toBe('65');
    await loadPreset(page, 'gqa');
    expect(await boxText(box)).toBe('4');
    expect((await messages(page)).some((t) => t.includes('"65"'))).toBe(false);
    expect(problems).toEqual([]);
  });
});
