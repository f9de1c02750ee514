/**
 * Memory mode in the browser: the built-in facts read in two hops on the GPU (hop 1 the football
 * fact, hop 2 the kitchen fact, answer kitchen, every hop's GPU check passing); an edited fact
 * changes the answer; hops 0 is refused with a message and the last result stays; the link restores
 * the memory state and its answer; a hop that times out says the device is being replaced until the
 * new one is ready, then that it has been.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { DEFAULT_FACTS } from '../../src/core/memory-facts';
import { join } from 'node:path';
import { launchBrowser, SCREENSHOT_DIR } from './browser';
import { $app, freshPage, messages, readState, savedLink, waitForMessage } from './app';
import { axeViolations } from './views';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

interface MemoryRead {
  run: number;
  answer: string | null;
  /** The fact each hop read most. */
  read: number[];
  pass: boolean | null;
}

/** Waits for a memory run newer than `after` and reads it. */
async function memoryRun(page: Page, after = 0): Promise<MemoryRead> {
  await page.waitForFunction(
    (previous: number) => {
      const app = document.querySelector('attn-app');
      return app?.dataset.memoryState === 'done' && Number(app.dataset.memoryRun ?? 0) > previous;
    },
    { timeout: 120_000 },
    after,
  );
  return page.evaluate(() => {
    const o = document.querySelector('attn-app')!.memoryRuns.outcome!;
    const hops = o.gpu ? o.gpu.hops.map((h) => h.gpu) : o.cpu.hops;
    const last = hops[hops.length - 1].output;
    const places = ['kitchen', 'garden', 'office', 'hallway', 'bedroom', 'bathroom'];
    const best = places.map((p) => ({
      p,
      s: last[['John', 'Mary', 'Sandra', 'Daniel', 'football', 'apple', 'milk', ...places].indexOf(p)],
    }));
    best.sort((a, b) => b.s - a.s);
    return {
      run: o.id,
      answer: best[0].s >= 0.5 ? best[0].p : null,
      read: hops.map((h) => Array.from(h.weights).indexOf(Math.max(...h.weights))),
      pass: o.gpu ? o.gpu.pass : null,
    };
  });
}

async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  const el = (await $app(page, selector)) as ElementHandle<HTMLInputElement>;
  await el.evaluate((e, value) => {
    e.value = value;
    e.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
    e.dispatchEvent(new Event('change', { bubbles: true, composed: true }));
  }, text);
}

describe('memory mode', () => {
  it('a hop that does not finish says the device is being replaced, and once the new one is ready that it has been', async () => {
    const { page, problems } = await freshPage(browser);
    await (await $app(page, '#mode-memory')).click();
    const first = await memoryRun(page);
    // This page's engine never answers again (as a wedged GPU would), and a hop may take 1 s.
    await page.evaluate(() => {
      const app = document.querySelector('attn-app')!;
      app.timeLimits = { baseMs: 1, floorMaddsPerSecond: 1e15 };
      app.gpu.engine!.run = () => new Promise(() => {});
    });
    const edited = DEFAULT_FACTS.map((f) => (f === 'John went to the kitchen' ? 'John went to the bedroom' : f)).join('\n');
    await typeInto(page, 'attn-memory-panel >>> #memory-facts', edited);
    const timedOut = await memoryRun(page, first.run);
    expect(timedOut.pass).toBeNull();
    // The built-in kernels timed out, so nothing reruns on the new device: the message must follow it.
    await page.waitForFunction(
      () => {
        const app = document.querySelector('attn-app')!;
        return app.gpu.status.kind === 'ready' && app.memoryRuns.outcome?.gpuError?.includes('The GPU device has been replaced.');
      },
      { timeout: 60_000 },
    );
    const shown = await (await $app(page, 'attn-memory-view')).evaluate((e) => e.shadowRoot!.textContent!);
    expect(shown).toContain('A hop on the GPU did not finish within 1 s. The GPU device has been replaced.');
    expect(shown).not.toContain('being replaced');
    expect(await page.evaluate(() => document.querySelector('attn-app')!.memoryRuns.outcome!.id)).toBe(timedOut.run);
    expect(problems).toEqual([]);
  }, 180_000);

  it('reads the facts in hops, follows an edit, refuses hops 0 and restores from the link', async () => {
    const { page, problems } = await freshPage(browser);
    await (await $app(page, '#mode-memory')).click();
    const first = await memoryRun(page);
    expect(first.read).toEqual([DEFAULT_FACTS.indexOf('John picked up the football'), DEFAULT_FACTS.indexOf('John went to the kitchen')]);
    expect(first.answer).toBe('kitchen');
    expect(first.pass).toBe(true);
    expect(await (await $app(page, 'attn-memory-view >>> [data-answer]')).evaluate((e) => e.textContent)).toContain('kitchen');
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'memory-mode.png'), fullPage: true });
    expect(await axeViolations(page)).toEqual([]);

    const edited = DEFAULT_FACTS.map((f) => (f === 'John went to the kitchen' ? 'John went to the bedroom' : f)).join('\n');
    await typeInto(page, 'attn-memory-panel >>> #memory-facts', edited);
    const second = await memoryRun(page, first.run);
    expect(second.answer).toBe('bedroom');

    await typeInto(page, 'attn-memory-panel >>> #memory-hops', '0');
    await waitForMessage(page, 'hops must be 1 to 16, got 0');
    expect((await readState(page)).memory.hops).toBe(2);
    expect(await page.evaluate(() => document.querySelector('attn-app')!.memoryRuns.outcome!.id)).toBe(second.run);
    expect(await (await $app(page, 'attn-memory-panel >>> #memory-hops')).evaluate((e) => (e as HTMLInputElement).value)).toBe('0');
    // A temperature float32 cannot hold is refused at its box, as the Options panel's is; the state keeps its value.
    const temperature = (await readState(page)).memory.temperature;
    await typeInto(page, 'attn-memory-panel >>> #memory-temperature', '1e-46');
    await waitForMessage(page, 'temperature 1e-46 is too small for float32');
    expect((await readState(page)).memory.temperature).toBe(temperature);
    // An undo takes the state elsewhere, so the refusal no longer describes it and goes; a redo brings the edit back.
    await (await $app(page, 'attn-header >>> button[title="Undo (Ctrl+Z)"]')).click();
    const undone = await memoryRun(page, second.run);
    expect(undone.answer).toBe('kitchen');
    expect((await messages(page)).filter((m) => m.includes('hops must be'))).toEqual([]);
    await (await $app(page, 'attn-header >>> button[title^="Redo"]')).click();
    const redone = await memoryRun(page, undone.run);
    expect(redone.answer).toBe('bedroom');
    expect((await messages(page)).filter((m) => m.includes('hops must be'))).toEqual([]);
    await (await $app(page, 'attn-header >>> button[title^="Redo"]')).click();
    await page.waitForFunction((facts: string) => document.querySelector('attn-app')!.currentState.memory.facts === facts, {}, edited);

    await typeInto(page, 'attn-memory-panel >>> #memory-rotation', '1,0\n0,1');
    await waitForMessage(page, 'R is 2×2 but must be d×d = 13×13');
    expect(await page.evaluate(() => document.querySelector('attn-app')!.memoryRuns.outcome!.id)).toBe(redone.run);
    await (await $app(page, 'attn-memory-panel >>> .muted button')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.memory.rotation === null);

    await typeInto(page, 'attn-memory-panel >>> #memory-facts', 'Bob went to the kitchen');
    await waitForMessage(page, 'unknown person "Bob" in fact 1');
    expect(await (await $app(page, 'attn-memory-panel >>> #memory-facts')).evaluate((e) => (e as HTMLTextAreaElement).value)).toBe(
      'Bob went to the kitchen',
    );
    await typeInto(page, 'attn-memory-panel >>> #memory-facts', edited);
    const third = await memoryRun(page, redone.run);
    expect(third.answer).toBe('bedroom');
    await page.waitForSelector('attn-app >>> attn-memory-view >>> #memory-answer');
    expect(await page.$('attn-app >>> attn-memory-view >>> #memory-ungrounded')).toBeNull();

    // No fact is about the milk: the softmax still answers, and the page says the answer is not about it.
    await typeInto(page, 'attn-memory-panel >>> #memory-question', 'where is the milk?');
    const milk = await memoryRun(page, third.run);
    const note = await $app(page, 'attn-memory-view >>> #memory-ungrounded');
    expect(await note!.evaluate((e) => e.textContent)).toMatch(/^Note: no fact says who picked up the milk: hop 1 scores every fact 0/);
    await typeInto(page, 'attn-memory-panel >>> #memory-question', 'where is the football?');
    const fourth = await memoryRun(page, milk.run);
    expect(fourth.answer).toBe('bedroom');

    // The link restores memory mode, the edited facts and their answer.
    const url = await savedLink(page, (s) => s.mode === 'memory' && s.memory.facts === edited && s.memory.hops === 2);
    const { page: restored, problems: restoredProblems } = await freshPage(browser, { url, hash: '' });
    const again = await memoryRun(restored);
    expect((await readState(restored)).mode).toBe('memory');
    expect((await readState(restored)).memory.facts).toBe(edited);
    expect(again.answer).toBe('bedroom');
    expect(problems).toEqual([]);
    expect(restoredProblems).toEqual([]);
  });
});
