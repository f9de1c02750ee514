/**
 * A user kernel can never take the playground with it (issue 14), in a real browser.
 *
 * What headless Chromium does with a GPU kernel that never finishes (measured on its SwiftShader
 * GPU process before writing these tests): the run never completes, device.destroy() ends the
 * device at once (lost: "destroyed"), but the GPU process stays busy with the loop, so
 * requestAdapter() gets no answer within 110 s, and every later run of the browser waits too. Such
 * a hang cannot be recovered in the browser, so the page keeps it from reaching the GPU: an edited
 * kernel is first run on the CPU interpreter in a worker, and a loop that never ends is held there.
 * These tests check exactly that. The GPU watchdog is tested with a kernel that passes its trial
 * but whose runs never finish at the playground's size (n > 40): the page's engine is made never to
 * answer for them. A finite but slow real kernel was tried first: on this shared machine it kept
 * SwiftShader busy for minutes, during which the page's main thread did not answer either (protocol
 * timeouts), and SwiftShader's speed varies too much between machines for a limit to fall reliably
 * between "fast enough for the quick check" and "slower than the limit".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'puppeteer';
import { encodeState } from '../../src/core/state';
import type { PlaygroundState } from '../../src/core/state';
import { launchBrowser } from './browser';
import { $app, freshPage, readRun, readState, runId, waitForMessage, waitForRun } from './app';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const STAGE = 'softmax';
/** A loop that never ends, at the top of the built-in softmax kernel's main. */
const ENDLESS = `
  var spin = 1u;
  loop {
    if (spin == 0u) { break; }
    spin = spin | 1u;
  }
  if (spin == 7u && params.m == 0u) { return; }`;

/** The built-in softmax kernel with `body` inserted at the top of main. */
function withInMain(builtIn: string, body: string): string {
  return builtIn.replace(/(fn main\([\s\S]*?\)\s*\{)/, `$1${body}`);
}

function lab(page: Page) {
  return page.evaluateHandle(() =>
    document.querySelector('attn-app')!.shadowRoot!.querySelector('attn-layout')!.shadowRoot!.querySelector('attn-shader-lab')!,
  );
}

/** Opens the lab on the softmax tab; returns the built-in kernel. */
async function openLab(page: Page): Promise<string> {
  await (await $app(page, '#tab-lab')).click();
  await $app(page, 'attn-shader-lab >>> .monaco-editor');
  await (await page.waitForSelector(`attn-app >>> attn-shader-lab >>> .tabs ::-p-text(${STAGE})`))!.click();
  return (await lab(page)).evaluate((l, stage) => l.builtIn(stage as 'softmax'), STAGE);
}

/** Replaces the editor's text as typing or pasting does (through Monaco, so the lab hears it). */
async function typeKernel(page: Page, source: string): Promise<void> {
  await (
    await lab(page)
  ).evaluate((l, text) => {
    const editor = (
      l.shadowRoot!.querySelector('attn-code-editor') as unknown as {
        editor: { getModel(): { getFullModelRange(): unknown }; executeEdits(s: string, e: unknown[]): void };
      }
    ).editor;
    editor.executeEdits('test', [{ range: editor.getModel().getFullModelRange(), text }]);
  }, source);
}

function stagingStatus(page: Page): Promise<string | null> {
  return page.evaluate(
    () =>
      document
        .querySelector('attn-app')!
        .shadowRoot!.querySelector('attn-layout')!
        .shadowRoot!.querySelector('attn-shader-lab')
        ?.shadowRoot!.querySelector<HTMLElement>('#kernel-staging')?.dataset.status ?? null,
  );
}

function kernelsInUse(page: Page): Promise<Record<string, string> | null> {
  return page.evaluate(() => document.querySelector('attn-app')!.kernelStaging.inUse());
}

/** A short interpreter budget: the built-in softmax takes ~40 000 steps on its tiny problem. */
function shortInterpreter(page: Page): Promise<void> {
  return page.evaluate(() => {
    document.querySelector('attn-app')!.kernelStaging.interpreter = { stepBudget: 200_000, timeLimitMs: 30_000, maxInvocations: 64 };
  });
}

/** Presses Run (the header's button). */
async function pressRun(page: Page): Promise<void> {
  await (await $app(page, 'attn-header >>> button.primary')).click();
}

/** Presses Run and waits for the finished run. */
async function runOnce(page: Page): Promise<void> {
  const id = await runId(page);
  await pressRun(page);
  await waitForRun(page, id, 120_000);
}

describe('an edited kernel that never finishes', () => {
  let link = '';
  let endless = '';

  it('is held on the CPU interpreter and never reaches the playground; the page stays usable and says which kernel', async () => {
    const { page, problems } = await freshPage(browser);
    await shortInterpreter(page);
    const builtIn = await openLab(page);
    endless = withInMain(builtIn, ENDLESS);
    expect(endless).not.toBe(builtIn);
    await typeKernel(page, endless);
    // While the interpreter checks it, Verify (which runs it on the GPU) is off and says why.
    for (let tries = 0; (await stagingStatus(page)) !== 'checking'; tries++) {
      expect(tries, 'the staging line never said "checking"').toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const verifyButton = await $app(page, 'attn-shader-lab >>> button.primary');
    expect(await verifyButton.evaluate((el) => [(el as HTMLButtonElement).disabled, el.getAttribute('title')])).toEqual([
      true,
      'Being checked first (compiled, then run on the CPU interpreter: a kernel that never ends must not reach the GPU): Verify is ready when the check ends',
    ]);

    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.heldKernels.includes('softmax'), {
      timeout: 120_000,
    });
    await waitForMessage(page, 'Your edited softmax kernel did not finish on the CPU interpreter');
    expect(await stagingStatus(page)).toBe('held');
    const state = await readState(page);
    expect(state.kernels?.softmax).toBe(endless);
    expect(await kernelsInUse(page)).toBeNull();
    // Verify would run it on the GPU: it is off while the kernel is held.
    expect(await $app(page, 'attn-shader-lab >>> button.primary').then((b) => b.evaluate((el) => (el as HTMLButtonElement).disabled))).toBe(
      true,
    );

    // The page still runs, on the GPU, with the built-in kernel, and says so next to the verdict.
    await runOnce(page);
    const run = await readRun(page);
    expect(run.gpuError).toBeNull();
    expect(run.pass).toBe(true);
    expect(await $app(page, '#kernel-stand-ins').then((el) => el.evaluate((e) => e.textContent ?? ''))).toContain('softmax (held)');

    // The link of this page carries the kernel and its hold.
    await new Promise((resolve) => setTimeout(resolve, 600));
    link = await page.evaluate(() => location.hash);
    expect(link).toMatch(/^#s=/);
    expect(problems).toEqual([]);

    // A reload keeps the text, still held: nothing is tried.
    await page.reload({ waitUntil: 'load' });
    await waitForRun(page);
    const reloaded = await readState(page);
    expect(reloaded.kernels?.softmax).toBe(endless);
    expect(reloaded.heldKernels).toEqual(['softmax']);
    expect(await page.evaluate(() => document.querySelector('attn-app')!.kernelStaging.trials)).toEqual({});
    expect(await kernelsInUse(page)).toBeNull();
    expect((await readRun(page)).pass).toBe(true);
    await openLab(page);
    expect(await (await lab(page)).evaluate((l) => l.source('softmax'))).toBe(endless);
    expect(await stagingStatus(page)).toBe('held');

    // "Use my kernel again" tries it again: the interpreter holds it again, on the CPU.
    await shortInterpreter(page);
    await (await $app(page, 'attn-shader-lab >>> #kernel-release')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.kernelStaging.trials.softmax?.status === 'held', {
      timeout: 120_000,
    });
    expect((await readState(page)).heldKernels).toEqual(['softmax']);
    expect(problems).toEqual([]);
  }, 400_000);

  it('a shared link of that page opens with the kernel held, in the editor', async () => {
    expect(link).not.toBe('');
    const { page, problems } = await freshPage(browser, { hash: link });
    const state = await readState(page);
    expect(state.kernels?.softmax).toBe(endless);
    expect(state.heldKernels).toEqual(['softmax']);
    expect(await kernelsInUse(page)).toBeNull();
    expect((await readRun(page)).pass).toBe(true);
    await openLab(page);
    expect(await stagingStatus(page)).toBe('held');
    expect(problems).toEqual([]);
  });

  it.each([
    { what: 'on its first GPU run (the staging trial)', key: 'attention-playground.kernel-trial', list: false },
    { what: 'in a playground run', key: 'attention-playground.kernel-runs', list: true },
  ])('a kernel left $what by a page that died is held on the next load', async ({ key, list }) => {
    const { page, problems } = await freshPage(browser);
    const builtIn = await openLab(page);
    const kernel = withInMain(builtIn, '\n  // on trial when the page died');
    // The page saves its state 400 ms after a change (opening the lab is one): wait until the saved
    // state is the page's own, or the save still pending would overwrite what is written below (or
    // there would be nothing saved yet to add the kernel to).
    await page.waitForFunction(() => {
      const saved = localStorage.getItem('attention-playground.state');
      return saved !== null && saved === JSON.stringify(document.querySelector('attn-app')!.currentState);
    });
    // What the page writes before a kernel's first GPU run, as if it never came back.
    await page.evaluate(
      (source, key, list) => {
        let h = 0x811c9dc5;
        for (let i = 0; i < source.length; i++) h = Math.imul(h ^ source.charCodeAt(i), 0x01000193);
        const fingerprint = `${source.length}:${(h >>> 0).toString(16).padStart(8, '0')}`;
        const saved = JSON.parse(localStorage.getItem('attention-playground.state')!);
        localStorage.setItem('attention-playground.state', JSON.stringify({ ...saved, kernels: { softmax: source } }));
        const record = { stage: 'softmax', fingerprint, startedAt: Date.now() };
        localStorage.setItem(key, JSON.stringify(list ? [record] : record));
        location.hash = '';
      },
      kernel,
      key,
      list,
    );
    await page.goto(page.url().replace(/#.*$/, ''), { waitUntil: 'load' });
    await waitForRun(page);
    const state = await readState(page);
    expect(state.kernels?.softmax).toBe(kernel);
    expect(state.heldKernels).toEqual(['softmax']);
    await waitForMessage(page, 'was running on the GPU when this page last closed without finishing');
    expect(await page.evaluate((k) => localStorage.getItem(k), key)).toBeNull();
    expect(problems).toEqual([]);
  });
});

describe('an edited kernel the GPU compiler rejects', () => {
  it('is named as not compiling, before the interpreter runs it, and is not held', async () => {
    const { page, problems } = await freshPage(browser);
    await shortInterpreter(page);
    const builtIn = await openLab(page);
    // WGSL rejects a loop without a break ("loop does not exit"); the CPU interpreter would run it
    // until its time limit and then hold it as a kernel that never finishes.
    const noExit = withInMain(builtIn, '\n  var spin = 0.0;\n  loop { spin = spin + 1.0; }');
    await typeKernel(page, noExit);
    await page.waitForFunction(
      () => {
        const trial = document.querySelector('attn-app')!.kernelStaging.trials.softmax;
        return trial?.status === 'failed' || trial?.status === 'held';
      },
      { timeout: 120_000 },
    );
    const trial = await page.evaluate(() => document.querySelector('attn-app')!.kernelStaging.trials.softmax!);
    expect(trial.status).toBe('failed');
    expect(trial.reason).toMatch(/^it does not compile: .*loop does not exit/);
    expect(await stagingStatus(page)).toBe('failed');
    expect((await readState(page)).heldKernels).toEqual([]);
    expect(await kernelsInUse(page)).toBeNull();
    // The built-in kernel still runs the playground.
    await runOnce(page);
    expect((await readRun(page)).pass).toBe(true);
    expect(problems).toEqual([]);
  }, 200_000);
});

describe('the GPU watchdog', () => {
  it("gives up on a kernel that never finishes at the playground's size, replaces the device, holds the kernel and runs built-in", async () => {
    const { page, problems } = await freshPage(browser);
    const builtIn = await openLab(page);
    // A kernel that passes the interpreter and the quick check (n = 21) but never finishes at
    // n = 48. A real one would wedge SwiftShader's GPU process (see the top of this file), so the
    // engine of this page never answers for such a run instead: the watchdog cannot tell apart.
    // The limits are the page's own (20 s + the work): the run redone on the new device compiles
    // every pipeline again, which takes seconds on SwiftShader, and must fit too.
    await page.evaluate(() => {
      const app = document.querySelector('attn-app')!;
      const engine = app.gpu.engine!;
      const run = engine.run.bind(engine);
      engine.run = (inputs, options, r = {}) =>
        r.kernels?.softmax && inputs.q.rows > 40 ? new Promise(() => {}) : run(inputs, options, r);
    });
    const kernel = withInMain(builtIn, '\n  // never finishes when n > 40 (see the engine above)');
    const state: PlaygroundState = await readState(page);
    const n = 48;
    const grid = (rows: number, cols: number, seed: number) =>
      Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => Math.round(Math.sin(seed + i * 7 + j) * 100) / 100));
    const next: PlaygroundState = {
      ...state,
      mode: 'matrix',
      presetId: null,
      matrix: {
        ...state.matrix,
        q: grid(n, 4, 1),
        k: grid(n, 4, 2),
        v: grid(n, 3, 3),
        queryLabels: null,
        keyLabels: null,
        featureLabels: null,
        valueLabels: null,
        wo: null,
      },
      mask: null,
      padding: [],
      kernels: { softmax: kernel },
      heldKernels: [],
    };
    // The kernel arrives in a pasted link: it passes its trial and the playground reruns with it ...
    await page.evaluate((hash) => (location.hash = hash), `#s=${encodeState(next)}`);
    await page.waitForFunction(() => document.querySelector('attn-app')!.kernelStaging.trials.softmax?.status === 'passed', {
      timeout: 180_000,
    });
    // ... the run times out, and the page says which kernel, on what, after how long.
    await waitForMessage(page, 'Your edited softmax kernel did not finish within 21 s on 48×48; it is held', 120_000);
    expect((await readState(page)).heldKernels).toEqual(['softmax']);
    expect(await kernelsInUse(page)).toBeNull();
    // A new device (a new engine) and the run redone with the built-in kernel.
    const redone = () =>
      page.evaluate(() => {
        const app = document.querySelector('attn-app')!;
        const o = app.lastOutcome;
        return {
          gpu: app.gpu.status.kind,
          state: app.dataset.state,
          gpuRan: o?.gpu != null,
          gpuError: o?.gpuError ?? null,
          n: o?.problem.shape.n ?? null,
        };
      });
    await page
      .waitForFunction(
        () => {
          const app = document.querySelector('attn-app')!;
          const o = app.lastOutcome;
          return app.gpu.status.kind === 'ready' && app.dataset.state === 'done' && o?.gpu != null && o.problem.shape.n === 48;
        },
        { timeout: 120_000 },
      )
      .catch(async (error: Error) => {
        throw new Error(`${error.message}; the page: ${JSON.stringify(await redone())}`);
      });
    const run = await readRun(page);
    expect(run.n).toBe(48);
    expect(run.pass).toBe(true);
    expect((await readState(page)).kernels?.softmax).toBe(kernel);
    expect(problems).toEqual([]);
  }, 400_000);

  it('Cancel stops waiting for a run at once and keeps the last results', async () => {
    const { page, problems } = await freshPage(browser);
    const before = await readRun(page);
    await page.evaluate(() => {
      const engine = document.querySelector('attn-app')!.gpu.engine!;
      engine.run = () => new Promise(() => {});
    });
    await pressRun(page);
    await (await $app(page, '#cancel-run')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.dataset.state === 'cancelled');
    expect((await readRun(page)).run).toBe(before.run);
    expect(problems).toEqual([]);
  });
});

describe('device loss and reconnects', () => {
  it('a device lost in the middle of a run recovers: the run ends on the CPU, Reconnect brings the GPU back', async () => {
    const { page, problems } = await freshPage(browser);
    let id = await runId(page);
    // Start a run and lose the device while it is in flight (in one task: the run cannot finish between).
    const state = await page.evaluate(() => {
      const app = document.querySelector('attn-app')!;
      const header = app.shadowRoot!.querySelector('attn-layout')!.shadowRoot!.querySelector('attn-header')!;
      header.shadowRoot!.querySelector<HTMLButtonElement>('button.primary')!.click();
      const running = app.dataset.state;
      app.gpu.loseDevice();
      return running;
    });
    expect(state).toBe('running');
    await $app(page, '#device-lost');
    await waitForRun(page, id);
    expect((await readRun(page)).gpuOutput).toBeNull();
    id = await runId(page);
    await (await $app(page, '#reconnect')).click();
    await $app(page, '#adapter');
    await waitForRun(page, id);
    const run = await readRun(page);
    expect(run.pass).toBe(true);
    expect(run.gpuError).toBeNull();
    expect(problems).toEqual([]);
  });

  it('two reconnects in a row end with one working device and a finished GPU run', async () => {
    const { page, problems } = await freshPage(browser);
    const id = await runId(page);
    await page.evaluate(() => {
      const gpu = document.querySelector('attn-app')!.gpu;
      void gpu.reconnect();
      void gpu.reconnect();
    });
    await page.waitForFunction(() => document.querySelector('attn-app')!.gpu.status.kind === 'ready', { timeout: 60_000 });
    await waitForRun(page, id);
    await runOnce(page);
    const run = await readRun(page);
    expect(run.pass).toBe(true);
    expect(run.gpuError).toBeNull();
    expect(await page.evaluate(() => document.querySelector('attn-app')!.gpu.status.kind)).toBe('ready');
    expect(problems).toEqual([]);
  });
});
