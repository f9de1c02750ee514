/**
 * Typing in the heads box and the Features panel, keystroke by keystroke: per-head sinks and custom
 * ALiBi slopes survive a head count passed on the way (typing "16" passes through 1; arrows pass
 * through counts that cannot run), in the page and in its link; and a refused text puts back the
 * value its box had when the edit began, not a prefix applied on the way, and says so. Fails on any
 * console error (./browser.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { alibiSlopes } from '../../src/core/features';
import type { AttentionOptions } from '../../src/core/options';
import { launchBrowser } from './browser';
import { $app, freshPage, loadPreset, messages, readState, runId, savedLink, waitForMessage, waitForRun } from './app';

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

/** The options of the page's last finished run, once they satisfy `check` (or after 10 s). */
async function ranOptions(page: Page, check: (o: AttentionOptions) => boolean): Promise<AttentionOptions> {
  const read = () =>
    page.evaluate(() => {
      const app = document.querySelector('attn-app')!;
      return {
        done: app.dataset.state === 'done',
        options: JSON.parse(JSON.stringify(app.lastOutcome!.problem.options)) as AttentionOptions,
      };
    });
  for (let i = 0; i < 100; i++) {
    const { done, options } = await read();
    if (done && check(options)) return options;
    await new Promise((r) => setTimeout(r, 100));
  }
  return (await read()).options;
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

describe('a refused text puts back the value the box had before the edit, and says which', () => {
  /** A case: the box, what is typed key by key, what the message says is in use, and where that value is. */
  interface Refused {
    box: string;
    feature: string;
    typed: string;
    says: string;
    value: (o: AttentionOptions) => unknown;
  }
  const cases: [string, Refused][] = [
    [
      'RoPE offset 20000000 (2000000 fits)',
      {
        box: '#rope-offset',
        feature: 'rope',
        typed: '20000000',
        says: 'within ±2^24, got 20000000; the RoPE position offset stays 0.',
        value: (o) => o.rope?.offset,
      },
    ],
    [
      'RoPE offset 1.5 (1 fits)',
      {
        box: '#rope-offset',
        feature: 'rope',
        typed: '1.5',
        says: 'RoPE position offset: "1.5" is not a whole number; the RoPE position offset stays 0.',
        value: (o) => o.rope?.offset,
      },
    ],
    [
      'RoPE base 1e39 (1e3 fits)',
      { box: '#rope-base', feature: 'rope', typed: '1e39', says: '; the RoPE base θ stays 10000.', value: (o) => o.rope?.base },
    ],
    [
      'window 20000000 (2000000 fits)',
      {
        box: '#window',
        feature: 'window',
        typed: '20000000',
        says: 'at most 16,777,216 keys (2^24), got 20,000,000; the sliding window stays 2.',
        value: (o) => o.window,
      },
    ],
    [
      'window 4294967297 (4294967 fits)',
      { box: '#window', feature: 'window', typed: '4294967297', says: '; the sliding window stays 2.', value: (o) => o.window },
    ],
  ];

  it.each(cases)('%s', async (_, c) => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'gqa');
    await edited(page, async () => (await feature(page, '#rope-layout')).select('half'));
    await edited(page, async () => (await feature(page, '#window-on')).click());
    const before = await options(page);
    const box = await feature(page, c.box);
    await typeInto(page, box, c.typed);
    await waitForMessage(page, c.says);
    const after = await optionsBecome(page, (o) => c.value(o) === c.value(before));
    expect(c.value(after)).toEqual(c.value(before));
    expect(after).toEqual(before);
    // The box keeps the text typed, beside its message.
    expect(await box.evaluate((el) => (el as HTMLInputElement).value)).toBe(c.typed);
    const message = await page.$eval(
      `attn-app >>> attn-feature-options >>> .feature[data-feature="${c.feature}"] .error`,
      (el) => el.textContent ?? '',
    );
    expect(message).toContain(c.says);
    // The run shows the value in use.
    expect(c.value(await ranOptions(page, (o) => c.value(o) === c.value(before)))).toEqual(c.value(before));
    expect(problems).toEqual([]);
  });

  it('a sink list that does not read (applied when the box is left) names the sinks in use', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'gqa');
    await edited(page, async () => (await feature(page, '#sinks-on')).click());
    const before = await options(page);
    const box = await feature(page, '#sinks');
    await typeInto(page, box, '0.5, x');
    await page.keyboard.press('Tab');
    await waitForMessage(page, 'Sink logits: value 2: "x" is not a decimal number; the sink logits stay 0, 0, 0, 0.');
    expect(await options(page)).toEqual(before);
    expect(await box.evaluate((el) => (el as HTMLInputElement).value)).toBe('0.5, x');
    expect(problems).toEqual([]);
  });

  it('heads 65 (6 fits): the heads go back to 4 with their sinks, and the message says so', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'gqa');
    await edited(page, async () => (await feature(page, '#sinks-on')).click());
    await edited(page, async () => {
      await typeInto(page, await feature(page, '#sinks'), '0.5, 1, -1, 2');
      await page.keyboard.press('Tab');
    });
    const before = await options(page);
    const box = await headsBox(page);
    await typeInto(page, box, '65');
    await waitForMessage(page, 'Heads: "65" is not a whole number from 1 to 64; heads stay 4.');
    expect(await optionsBecome(page, (o) => o.heads === 4)).toEqual(before);
    expect(await box.evaluate((el) => (el as HTMLInputElement).value)).toBe('65');
    expect(problems).toEqual([]);
  });
});
