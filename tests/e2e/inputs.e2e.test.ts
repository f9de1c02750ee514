/**
 * What the page accepts it restores, and what it could not restore it refuses when it is typed or
 * imported, with a message and the user's text kept: issue 14's saved-but-unrestorable states, in
 * the browser, and a link whose query string holds markup.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { defaultState, encodeState, MAX_KERNEL_CHARS, MAX_TEXT } from '../../src/core/state';
import { launchBrowser } from './browser';
import { $app, freshPage, readState, runId, waitForMessage, waitForRun } from './app';

let browser: Browser;
const files = mkdtempSync(join(tmpdir(), 'attn-e2e-inputs-'));

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** The state localStorage holds once the page has saved `check`-satisfying state. */
async function waitForSaved(page: Page, body: string): Promise<void> {
  await page.waitForFunction(
    (test: string) => {
      const json = localStorage.getItem('attention-playground.state');
      return !!json && new Function('s', `return (${test})`)(JSON.parse(json));
    },
    { timeout: 30_000 },
    body,
  );
}

/** Reopens the page in the same context (same localStorage) and waits for its first run. */
async function reload(page: Page): Promise<void> {
  await page.goto(inject('baseUrl'), { waitUntil: 'load' });
  await waitForRun(page);
}

describe('saved and restored', () => {
  it.each([
    ['1e39 (infinite in float32)', 'm.csv', '1,2\n3,1e39\n5,6\n', 'V from m.csv: element [1][1] is 1e+39, outside float32'],
    ['a 3×0 matrix', 'm.json', '[[], [], []]', 'V from m.json: rows are empty'],
    ['hex', 'm.csv', '1,0x10\n3,4\n5,6\n', 'V from m.csv: element [0][1] is "0x10", not a decimal number'],
  ])('an import holding %s is refused with a message; V and the saved state are unchanged', async (_, name, text, message) => {
    const { page, problems } = await freshPage(browser);
    const before = await readState(page);
    const path = join(files, name);
    writeFileSync(path, text);
    await ((await $app(page, 'attn-matrix-editor[name="v"] >>> input[type=file]')) as ElementHandle<HTMLInputElement>).uploadFile(path);
    await waitForMessage(page, message);
    expect((await readState(page)).matrix.v).toEqual(before.matrix.v);
    expect(problems).toEqual([]);
  });

  it('a sentence too long to save stays in its box, flagged, and the last one that fits is what a reload restores', async () => {
    const { page, problems } = await freshPage(browser);
    await (await $app(page, '#mode-sentence')).click();
    await waitForSaved(page, "s.mode === 'sentence'");
    const long = 'word '.repeat(MAX_TEXT / 5) + 'over';
    const box = (await $app(page, 'attn-sentence-panel >>> #source')) as ElementHandle<HTMLTextAreaElement>;
    await box.evaluate((el, text) => {
      el.value = text;
      el.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
    }, long);
    await waitForMessage(page, `This sentence is 4,004 characters long; a saved state or a link holds at most 4,000`);
    expect(await box.evaluate((el) => [el.value.length, el.getAttribute('aria-invalid')])).toEqual([long.length, 'true']);
    const kept = (await readState(page)).sentence.source;
    expect(kept.length).toBeLessThanOrEqual(MAX_TEXT);

    await reload(page);
    const restored = await readState(page);
    expect([restored.mode, restored.sentence.source]).toEqual(['sentence', kept]);
    expect(problems).toEqual([]);
  });

  it('a 300-letter word taken into matrix mode is restored by a reload, label and all', async () => {
    const word = 'a'.repeat(300);
    const s = defaultState();
    const { page, problems } = await freshPage(browser, {
      hash: `#s=${encodeState({ ...s, mode: 'sentence', sentence: { ...s.sentence, source: `the ${word} sat` } })}`,
    });
    const id = await runId(page);
    await (await $app(page, 'attn-sentence-panel >>> button.primary')).click();
    await waitForRun(page, id);
    await waitForSaved(page, "s.mode === 'matrix' && s.matrix.keyLabels?.[1]?.length === 300");

    await reload(page);
    const restored = await readState(page);
    expect([restored.mode, restored.matrix.keyLabels?.[1]]).toEqual(['matrix', word]);
    expect(problems).toEqual([]);
  });

  it("a kernel too long to save stays in the Shader lab, the state keeps none, and other stages' edits still apply", async () => {
    const { page, problems } = await freshPage(browser);
    await (await $app(page, '#tab-lab')).click();
    const editor = await $app(page, 'attn-shader-lab >>> attn-code-editor');
    // What the editor sends when text is typed or pasted (typing 100,000 characters into Monaco would take minutes).
    const send = (document: string, value: string) =>
      editor.evaluate(
        (el, doc, text) => {
          el.dispatchEvent(Object.assign(new Event('attn-code-change', { bubbles: true, composed: true }), { document: doc, value: text }));
        },
        document,
        value,
      );
    const stateKernel = (stage: string, text: string) =>
      page.waitForFunction(
        (st: string, t: string) => document.querySelector('attn-app')!.currentState.kernels?.[st] === t,
        {},
        stage,
        text,
      );
    const long = `// ${'x'.repeat(MAX_KERNEL_CHARS)}`;
    await send('softmax', long);
    await waitForMessage(page, 'The softmax kernel is 100,003 characters long; a saved state or a link holds at most 100,000');
    const labSource = (stage: string) =>
      page.evaluate((st) => {
        const lab = document
          .querySelector('attn-app')!
          .shadowRoot!.querySelector('attn-layout')!
          .shadowRoot!.querySelector('attn-shader-lab')!;
        return lab.source(st as 'softmax');
      }, stage);
    expect((await labSource('softmax')).length).toBe(long.length);
    expect((await readState(page)).kernels).toBeNull();

    // Another stage's edit is applied and saved meanwhile; the long one still is not, and stays.
    const pv = `// edited\n${await labSource('pv')}`;
    await send('pv', pv);
    await stateKernel('pv', pv);
    expect((await readState(page)).kernels?.softmax).toBeUndefined();
    expect((await labSource('softmax')).length).toBe(long.length);
    const pvAgain = `// edited again\n${pv}`;
    await send('pv', pvAgain);
    await stateKernel('pv', pvAgain);
    expect((await labSource('softmax')).length).toBe(long.length);
    expect(problems).toEqual([]);
  });

  it('a link naming a kernel variant the page does not have is refused, naming it', async () => {
    const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState({ ...defaultState(), variant: 'bogus' })}` });
    await waitForMessage(page, `This link's state could not be read: state.variant must be one of naive, tiled, fused, got "bogus".`);
    expect((await readState(page)).variant).toBe('tiled');
    expect(problems).toEqual([]);
  });

  it('a link whose query string holds markup runs, reference and all', async () => {
    const { page: linked, problems } = await freshPage(browser, {
      url: `${inject('baseUrl')}?<b>x</b>`,
      hash: `#s=${encodeState(defaultState())}`,
    });
    expect(
      await linked.evaluate(() => [
        document.querySelector('attn-app')?.dataset.state,
        !!document.querySelector('attn-app')?.lastOutcome?.reference,
      ]),
    ).toEqual(['done', true]);
    expect(problems).toEqual([]);
  });
});
