/**
 * Typing in the heads box and the Features panel, keystroke by keystroke: per-head sinks and custom
 * ALiBi slopes survive a head count passed on the way (typing "16" passes through 1; arrows pass
 * through counts that cannot run), in the page and in its link; and a refused text puts back the
 * value its box had when the edit began, not a prefix applied on the way, and says so — with the
 * whole state from then: a count passed on the way ("6" of "65", "2" of "24") loses no edited
 * W_q, K or V. Fails on any console error (./browser.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'puppeteer';
import { alibiSlopes } from '../../src/core/features';
import type { AttentionOptions } from '../../src/core/options';
import { launchBrowser } from './browser';
import type { PlaygroundState } from '../../src/core/state';
import {
  $app,
  edited,
  freshPage,
  loadPreset,
  messages,
  readOptions,
  readState,
  savedLink,
  toSentenceMode,
  typeInto,
  waitForMessage,
} from './app';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const feature = (page: Page, selector: string) => $app(page, `attn-feature-options >>> ${selector}`);
const headsBox = (page: Page) => $app(page, 'attn-options-panel >>> input[aria-label="heads"]');

/** A fresh page on the gqa preset (4 query heads on one K/V head) with the sinks 0.5, 1, −1, 2 typed. */
async function gqaWithSinks() {
  const watched = await freshPage(browser);
  const { page } = watched;
  await loadPreset(page, 'gqa');
  await edited(page, async () => (await feature(page, '#sinks-on')).click());
  await edited(page, async () => {
    await typeInto(page, await feature(page, '#sinks'), '0.5, 1, -1, 2');
    await page.keyboard.press('Tab');
  });
  return watched;
}

/** Waits until the state satisfies `check` (or 10 s; edits reach the state through a run gate) and returns it. */
async function stateBecomes(page: Page, check: (s: PlaygroundState) => boolean): Promise<PlaygroundState> {
  for (let i = 0; i < 100; i++) {
    const s = await readState(page);
    if (check(s)) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  return readState(page);
}

/** Waits until the state's options satisfy `check` and returns them. */
async function optionsBecome(page: Page, check: (o: AttentionOptions) => boolean): Promise<AttentionOptions> {
  return (await stateBecomes(page, (s) => check(s.options))).options;
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
    expect(await readOptions(page)).toMatchObject({ heads: 4, sinks: [1, 2, 3, 4], alibi: [0.1, 0.2, 0.3, 0.4] });

    await typeInto(page, await headsBox(page), '16');
    const o = await optionsBecome(page, (x) => x.heads === 16);
    // Heads 4 … 15 were never typed: the last sink, and the paper's slopes (Chromium's pow may round apart from Node's).
    const standard = alibiSlopes(16).map((x) => expect.closeTo(x, 12) as unknown as number);
    expect(o.sinks).toEqual([1, 2, 3, 4, ...new Array<number>(12).fill(4)]);
    expect(o.alibi).toEqual([0.1, 0.2, 0.3, 0.4, ...standard.slice(4)]);
    expect(problems).toEqual([]);
  });

  it('arrows down through counts that cannot run and up again give every head its sink back; so does a link saved on the way', async () => {
    // gqa: 4 query heads on one K/V head, Q 4 heads × 4 columns (3 heads cannot run).
    const { page, problems } = await gqaWithSinks();
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
    expect((await readOptions(second.page)).sinks).toEqual([0.5, 1]);
    await edited(second.page, async () => typeInto(second.page, await headsBox(second.page), '4'));
    expect((await readOptions(second.page)).sinks).toEqual([0.5, 1, -1, 2]);
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
    const before = await readOptions(page);
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
    const before = await readOptions(page);
    const box = await feature(page, '#sinks');
    await typeInto(page, box, '0.5, x');
    await page.keyboard.press('Tab');
    await waitForMessage(page, 'Sink logits: value 2: "x" is not a decimal number; the sink logits stay 0, 0, 0, 0.');
    expect(await readOptions(page)).toEqual(before);
    expect(await box.evaluate((el) => (el as HTMLInputElement).value)).toBe('0.5, x');
    expect(problems).toEqual([]);
  });

  it('heads 65 (6 fits): the heads go back to 4 with their sinks, and the message says so', async () => {
    const { page, problems } = await gqaWithSinks();
    const before = await readOptions(page);
    const box = await headsBox(page);
    await typeInto(page, box, '65');
    await waitForMessage(page, 'Heads: "65" is not a whole number from 1 to 64; heads stay 4.');
    expect(await optionsBecome(page, (o) => o.heads === 4)).toEqual(before);
    expect(await box.evaluate((el) => (el as HTMLInputElement).value)).toBe('65');
    expect(problems).toEqual([]);
  });

  it('heads 65 (6 fits), then Undo: the typing left no step, so Undo takes back the sinks typed before it', async () => {
    const { page, problems } = await gqaWithSinks();
    const box = await headsBox(page);
    await typeInto(page, box, '65');
    await waitForMessage(page, 'Heads: "65" is not a whole number from 1 to 64; heads stay 4.');
    await optionsBecome(page, (o) => o.heads === 4);
    await page.keyboard.down('Control');
    await page.keyboard.press('z');
    await page.keyboard.up('Control');
    // A no-op step would leave the state as it is: the sinks typed stay until a second Undo.
    expect(await optionsBecome(page, (o) => o.sinks?.[0] === 0)).toMatchObject({ heads: 4, sinks: [0, 0, 0, 0] });
    expect(problems).toEqual([]);
  });
});

describe('a count passed on the way loses no matrix the user edited', () => {
  /** Types `value` into cell (i, j) of the grid editor `name` and waits for the edit to reach the state. */
  async function editCell(
    page: Page,
    name: string,
    i: number,
    j: number,
    value: number,
    edited: (s: PlaygroundState) => number | undefined,
  ) {
    const input = await $app(page, `attn-matrix-editor[name="${name}"] >>> input[data-row="${i}"][data-col="${j}"]`);
    await input.click({ count: 3 });
    await page.keyboard.type(String(value));
    await page.keyboard.press('Enter');
    expect(edited(await stateBecomes(page, (s) => edited(s) === value))).toBe(value);
  }

  it('sentence mode, heads 65 over 4 (through 6): the heads go back to 4 with the edited W_q', async () => {
    const { page, problems } = await freshPage(browser);
    await toSentenceMode(page);
    await edited(page, async () => typeInto(page, await headsBox(page), '4'));
    // Opened as a property, not by a click on its summary (which a layout still settling after the run
    // can miss), and again if a re-render closed it before its grids appeared.
    const cell = 'attn-app >>> attn-projection-editors >>> attn-matrix-editor[name="wq"] >>> input[data-row="0"][data-col="1"]';
    for (let tries = 0; tries < 3 && !(await page.$(cell)); tries++) {
      await (await $app(page, 'attn-projection-editors >>> details')).evaluate((el) => ((el as HTMLDetailsElement).open = true));
      await page.waitForSelector(cell, { timeout: 10_000 }).catch(() => null);
    }
    await editCell(page, 'wq', 0, 1, 0.5, (s) => s.sentence.wq?.[0][1]);
    const before = await readState(page);
    expect(before.options.heads).toBe(4);

    await typeInto(page, await headsBox(page), '65');
    await waitForMessage(page, 'Heads: "65" is not a whole number from 1 to 64; heads stay 4.');
    const after = await stateBecomes(page, (s) => s.options.heads === 4);
    // "6" fitted on the way and dropped W_q (made for 4 heads); the refusal puts back the state from before "6".
    expect(after.sentence.wq).toEqual(before.sentence.wq);
    expect(after.sentence).toEqual(before.sentence);
    expect(after.options).toEqual(before.options);
    expect(problems).toEqual([]);
  });

  it('sentence mode, heads 24 over 4 with 2 K/V heads (through 2, which made them plain): 24 heads keep 2 K/V heads, and 25 is refused for them', async () => {
    const { page, problems } = await freshPage(browser);
    await toSentenceMode(page);
    await edited(page, async () => typeInto(page, await headsBox(page), '4'));
    await edited(page, async () => typeInto(page, await feature(page, '#kv-heads'), '2'));
    expect(await readOptions(page)).toMatchObject({ heads: 4, kvHeads: 2 });

    await typeInto(page, await headsBox(page), '24');
    // "2" is applied to the 4-head state (2 heads on 2 K/V heads: plain); "24" to that same state, not to what "2" left.
    const o = await optionsBecome(page, (x) => x.heads === 24);
    expect(o).toMatchObject({ heads: 24, kvHeads: 2 });

    // "25" does not fit the 2 K/V heads the run began with (the "2" on the way had made them plain).
    await typeInto(page, await headsBox(page), '25');
    await waitForMessage(page, 'Heads: 25 query heads cannot share 2 K/V heads evenly');
    await waitForMessage(page, '; heads stay 24.');
    expect(await optionsBecome(page, (x) => x.heads === 24)).toEqual(o);
    expect(problems).toEqual([]);
  });

  it('matrix mode, K/V heads 24 over 4 (through 2): K and V keep the edited columns of every K/V head', async () => {
    const { page, problems } = await freshPage(browser);
    // gqa: 4 query heads on one K/V head; 4 K/V heads make K 6×16 and V 6×8 (copies of the one head).
    await loadPreset(page, 'gqa');
    await edited(page, async () => typeInto(page, await feature(page, '#kv-heads'), '4'));
    // K/V head 3's columns: 12…15 of K, 6…7 of V.
    await editCell(page, 'k', 0, 13, 7, (s) => s.matrix.k[0][13]);
    await editCell(page, 'v', 0, 7, 3, (s) => s.matrix.v[0][7]);
    const before = await readState(page);
    expect([before.matrix.k[0].length, before.matrix.v[0].length]).toEqual([16, 8]);

    await typeInto(page, await feature(page, '#kv-heads'), '24');
    await waitForMessage(page, 'K/V heads stay 4.');
    // "2" fitted on the way and cut K and V to two K/V heads; the refusal puts back the state from before it.
    const after = await stateBecomes(page, (s) => s.matrix.k[0].length === 16 && s.matrix.k[0][13] === 7);
    expect(after.matrix.k).toEqual(before.matrix.k);
    expect(after.matrix.v).toEqual(before.matrix.v);
    expect(after.options).toEqual(before.options);
    expect(problems).toEqual([]);
  });
});
