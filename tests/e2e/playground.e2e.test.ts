/**
 * The playground driven like a user would: keyboard edits, an invalid cell, the causal toggle,
 * typing a sentence, a shared link, importing an .npy, a malformed link and paste, undo, a lost
 * device, a browser without WebGPU, and a large input that must not freeze the page.
 * Every test fails on any console error or failed request (tests/e2e/browser.ts).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { toNpy } from '../../src/core/io';
import { randomMatrix } from '../../src/core/rng';
import { matrix } from '../../src/core/tensor';
import { launchBrowser } from './browser';
import {
  allowDownloads,
  $app,
  downloaded,
  freshPage,
  loadPreset,
  messages,
  readRun,
  readState,
  row,
  runId,
  savedLink,
  waitForMessage,
  waitForRun,
} from './app';
import { showTab } from './views';

let browser: Browser;
const files = mkdtempSync(join(tmpdir(), 'attn-e2e-files-'));

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

function cell(page: Page, name: string, i: number, j: number): Promise<ElementHandle<Element>> {
  return $app(page, `attn-matrix-editor[name="${name}"] >>> input[data-row="${i}"][data-col="${j}"]`);
}

/** Waits for the page to finish a run whose state satisfies `ready` (typing may start several runs). */
async function waitUntil(page: Page, ready: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (body: string) => {
      const app = document.querySelector('attn-app');
      return app?.dataset.state === 'done' && new Function('app', `return (${body})`)(app);
    },
    { timeout },
    ready,
  );
}

describe('the playground in headless Chromium', () => {
  it('edits a cell from the keyboard and the output follows; Enter moves down, Ctrl+Z undoes', async () => {
    const { page, problems } = await freshPage(browser);
    const before = await readRun(page);
    expect(before.gpuOutput![0]).toBeCloseTo(0.56, 6);

    await (await cell(page, 'v', 0, 0)).click();
    let id = await runId(page);
    await page.keyboard.type('0.9');
    await page.keyboard.press('Enter');
    await waitForRun(page, id);
    let run = await readRun(page);
    // 0.1·0.9 + 0.3·0.8 + 0.6·0.5
    expect(run.gpuOutput![0]).toBeCloseTo(0.63, 6);
    expect(run.pass).toBe(true);

    // Enter moved the cursor to V[1][0]; ArrowRight moves to V[1][1] (the text is all selected).
    await page.keyboard.press('ArrowRight');
    id = await runId(page);
    await page.keyboard.type('1');
    await waitForRun(page, id);
    expect((await readState(page)).matrix.v[1]).toEqual([0.8, 1, 0.3]);
    run = await readRun(page);
    // 0.1·0.6 + 0.3·1 + 0.6·0.9
    expect(run.gpuOutput![1]).toBeCloseTo(0.9, 6);

    id = await runId(page);
    await page.keyboard.down('Control');
    await page.keyboard.press('z');
    await page.keyboard.up('Control');
    await waitForRun(page, id);
    expect((await readState(page)).matrix.v[1]).toEqual([0.8, 0.1, 0.3]);
    expect(problems).toEqual([]);
  });

  it('flags a cell that is not a number, keeps the last valid value and runs nothing', async () => {
    const { page, problems } = await freshPage(browser);
    const id = await runId(page);
    await (await cell(page, 'k', 1, 1)).click();
    await page.keyboard.type('abc');
    await waitForMessage(page, 'not a decimal number');
    const text = await messages(page);
    expect(
      text.some((t) => /K\[1\]\[1\]: "abc" is not a decimal number; still using 1\./.test(t)),
      text.join(' | '),
    ).toBe(true);
    const invalid = await $app(page, 'attn-matrix-editor[name="k"] >>> input.invalid');
    expect(await invalid.evaluate((el) => el.getAttribute('aria-invalid'))).toBe('true');
    await new Promise((r) => setTimeout(r, 600));
    expect(await runId(page)).toBe(id);
    expect((await readState(page)).matrix.k[1][1]).toBe(1);
    expect(problems).toEqual([]);
  });

  it('toggling causal zeroes the upper triangle of the probabilities', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'dog-ball');
    let run = await readRun(page);
    expect(run.cpuProbs[1]).toBeGreaterThan(0);
    const id = await runId(page);
    await (await $app(page, 'attn-options-panel >>> #causal')).click();
    await waitForRun(page, id);
    run = await readRun(page);
    expect(run.n).toBe(run.m);
    for (let i = 0; i < run.n; i++) {
      const gpu = row(run.gpuProbs!, run.m, i),
        cpu = row(run.cpuProbs, run.m, i);
      for (let j = i + 1; j < run.m; j++) {
        expect(gpu[j], `gpu[${i}][${j}]`).toBe(0);
        expect(cpu[j], `cpu[${i}][${j}]`).toBe(0);
      }
      expect(gpu.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    expect(run.gpuProbs![0]).toBeCloseTo(1, 6);
    expect(run.pass).toBe(true);
    expect(problems).toEqual([]);
  });

  it('types a sentence and shows its tokens as labels, unknown words marked', async () => {
    const { page, problems } = await freshPage(browser);
    await (await $app(page, '#mode-sentence')).click();
    const source = await $app(page, 'attn-sentence-panel >>> #source');
    await source.click();
    await source.evaluate((el) => (el as HTMLTextAreaElement).select());
    await page.keyboard.type('Colorless green ideas sleep furiously, zqxv!');
    await waitUntil(page, "app.lastOutcome.problem.queryLabels.join(' ') === 'Colorless green ideas sleep furiously zqxv'");
    const run = await readRun(page);
    expect(run.queryLabels).toEqual(['Colorless', 'green', 'ideas', 'sleep', 'furiously', 'zqxv']);
    expect(run.keyLabels).toEqual(run.queryLabels);
    expect(run.pass).toBe(true);
    const chips = await page.$$eval('attn-app >>> attn-sentence-panel >>> .token', (els) =>
      els.map((e) => [e.textContent, e.classList.contains('unknown')]),
    );
    expect(chips).toContainEqual(['zqxv', true]);
    expect(chips).toContainEqual(['green', false]);
    // The heatmaps are labelled with the same tokens.
    const labels = await page.$eval('attn-app >>> attn-stage-view >>> attn-heatmap[data-stage="probs"]', (el) => [
      ...(el as unknown as { rowLabels: string[] }).rowLabels,
    ]);
    expect(labels).toEqual(run.queryLabels);

    // The derived Q, K, V go into matrix mode with their token labels, and give the same result.
    const id = await runId(page);
    await (await $app(page, 'attn-sentence-panel >>> button.primary')).click();
    await waitForRun(page, id);
    const state = await readState(page);
    expect(state.mode).toBe('matrix');
    // The matrices are the sentence's, not the example's the page opened with: no example title or notes.
    expect(state.presetId).toBeNull();
    expect(await (await $app(page, '#preset')).evaluate((el) => (el as HTMLSelectElement).value)).toBe('');
    expect(state.matrix.queryLabels).toEqual(run.queryLabels);
    expect(state.matrix.q.length).toBe(6);
    const again = await readRun(page);
    expect(again.gpuOutput).toEqual(run.gpuOutput);
    expect(problems).toEqual([]);
  });

  it('a shared link reproduces the same state and results', async () => {
    const first = await freshPage(browser);
    await loadPreset(first.page, 'translation');
    const id = await runId(first.page);
    await (await $app(first.page, 'attn-options-panel >>> #causal')).click();
    await waitForRun(first.page, id);
    const link = await savedLink(first.page, (s) => s.options.causal);
    const state = await readState(first.page);
    const results = await readRun(first.page);

    const second = await freshPage(browser, { url: link });
    expect(await readState(second.page)).toEqual(state);
    const again = await readRun(second.page);
    expect(again.gpuOutput).toEqual(results.gpuOutput);
    expect(again.cpuProbs).toEqual(results.cpuProbs);
    expect(again.queryLabels[4]).toBe('zone');
    expect([...first.problems, ...second.problems]).toEqual([]);
  });

  it('restores the last state from localStorage on reload', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'large-scores');
    await page.waitForFunction(() => localStorage.getItem('attention-playground.state')?.includes('large-scores'));
    await page.goto(inject('baseUrl'), { waitUntil: 'load' });
    await waitForRun(page);
    expect((await readState(page)).presetId).toBe('large-scores');
    expect((await readRun(page)).queryLabels).toEqual(['big +', 'big −']);
    expect(problems).toEqual([]);
  });

  it('imports an .npy into V and the run uses it', async () => {
    const { page, problems } = await freshPage(browser);
    const input = (await $app(page, 'attn-matrix-editor[name="v"] >>> input[type=file]')) as ElementHandle<HTMLInputElement>;
    /** Writes a file, imports it into V and waits for the run. */
    const importIntoV = async (name: string, content: string | Uint8Array) => {
      const path = join(files, name);
      writeFileSync(path, content);
      const id = await runId(page);
      await input.uploadFile(path);
      await waitForRun(page, id);
    };
    const downloads = await allowDownloads(page);
    /** V's Export ▸ .csv, as the downloaded file's text. */
    const exportV = async () => {
      const csv = join(downloads, 'v.csv');
      rmSync(csv, { force: true });
      await (await $app(page, 'attn-matrix-editor[name="v"] >>> details:last-of-type summary')).click();
      await (await $app(page, 'attn-matrix-editor[name="v"] >>> details[open] button:nth-of-type(2)')).click();
      return readFileSync(await downloaded(csv), 'utf8');
    };

    await importIntoV('values.npy', new Uint8Array(toNpy(matrix(3, 2, [1, 2, 3, 4, 5, 6]))));
    expect((await readState(page)).matrix.v).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const run = await readRun(page);
    // weights 0.1, 0.3, 0.6 over the rows of the imported V
    expect(run.gpuOutput![0]).toBeCloseTo(0.1 * 1 + 0.3 * 3 + 0.6 * 5, 5);
    expect(run.gpuOutput![1]).toBeCloseTo(0.1 * 2 + 0.3 * 4 + 0.6 * 6, 5);
    expect((await messages(page)).some((t) => t.includes('Imported values.npy'))).toBe(true);
    // …and exports it again, as CSV.
    expect(await exportV()).toBe('1,2\n3,4\n5,6\n');

    // A .csv's numbers are kept as written, beyond float32's precision (the GPU gets their
    // float32s), so exporting them gives back the same file.
    const typed = '0.1,0.2\n0.3,0.123456789\n1e-7,-0.3333333333333333\n';
    await importIntoV('typed.csv', typed);
    expect((await readState(page)).matrix.v).toEqual([
      [0.1, 0.2],
      [0.3, 0.123456789],
      [1e-7, -0.3333333333333333],
    ]);
    expect(await exportV()).toBe(typed);
    expect(problems).toEqual([]);
  });

  it('a malformed file, paste or link gets a message and changes nothing', async () => {
    const { page, problems } = await freshPage(browser, { hash: '#s=not-a-real-state' });
    expect((await messages(page)).some((t) => t.includes("This link's state could not be read"))).toBe(true);
    const start = await readState(page);
    expect(start.presetId).toBe('worked-3d');

    const bad = join(files, 'bad.npy');
    writeFileSync(bad, 'this is not numpy');
    await ((await $app(page, 'attn-matrix-editor[name="q"] >>> input[type=file]')) as ElementHandle<HTMLInputElement>).uploadFile(bad);
    await waitForMessage(page, 'Q from bad.npy: not a valid .npy file');

    const target = await cell(page, 'v', 0, 0);
    await target.evaluate((el) => {
      const data = new DataTransfer();
      data.setData('text/plain', '1\t2\nx\t3');
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, composed: true, cancelable: true }));
    });
    expect((await messages(page)).some((t) => t.includes('row 2, column 1') && t.includes('Nothing was pasted'))).toBe(true);
    expect(await readState(page)).toEqual(start);

    // A good paste lands at the cursor.
    const id = await runId(page);
    await target.evaluate((el) => {
      const data = new DataTransfer();
      data.setData('text/plain', '1\t2\n3\t4\n');
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, composed: true, cancelable: true }));
    });
    await waitForRun(page, id);
    expect((await readState(page)).matrix.v.slice(0, 2)).toEqual([
      [1, 2, 0.4],
      [3, 4, 0.3],
    ]);
    expect(problems).toEqual([]);
  });

  it('after a device loss it says so, runs on the CPU, and Reconnect rebuilds the device', async () => {
    const { page, problems } = await freshPage(browser);
    let id = await runId(page);
    await page.evaluate(() => document.querySelector('attn-app')!.gpu.loseDevice());
    await $app(page, '#device-lost');
    await waitForRun(page, id);
    let run = await readRun(page);
    expect(run.gpuOutput).toBeNull();
    expect(run.cpuOutput[0]).toBeCloseTo(0.56, 7);
    id = await runId(page);
    await (await $app(page, '#reconnect')).click();
    await $app(page, '#adapter');
    await waitForRun(page, id);
    run = await readRun(page);
    expect(run.pass).toBe(true);
    expect(run.gpuOutput![0]).toBeCloseTo(0.56, 6);
    expect(problems).toEqual([]);
  });

  it('without WebGPU it explains why and how, and still computes on the CPU', async () => {
    const withoutWebgpu = async (p: Page) => {
      await p.evaluateOnNewDocument(() => {
        Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
      });
    };
    const { page, problems } = await freshPage(browser, { beforeLoad: withoutWebgpu });
    const banner = await $app(page, 'attn-adapter-panel >>> #no-webgpu');
    expect(await banner.evaluate((el) => el.textContent)).toMatch(/No WebGPU here[\s\S]*How to get WebGPU/);
    const run = await readRun(page);
    expect(run.gpuOutput).toBeNull();
    [0.56, 0.63, 0.55].forEach((o, j) => expect(run.cpuOutput[j]).toBeCloseTo(o, 7));
    expect(problems).toEqual([]);
  });

  it('hovering a cell explains where its value comes from', async () => {
    const { page, problems } = await freshPage(browser);
    const hover = async (stage: string, i: number, j: number) => {
      const map = await $app(page, `attn-stage-view >>> attn-heatmap[data-stage="${stage}"]`);
      const at = await map.evaluate(
        (el, i, j) => {
          const layout = (el as unknown as { layout: { left: number; top: number; cell: number } }).layout;
          const box = el.shadowRoot!.querySelector('canvas')!.getBoundingClientRect();
          return { x: box.left + layout.left + layout.cell * (j + 0.5), y: box.top + layout.top + layout.cell * (i + 0.5) };
        },
        i,
        j,
      );
      await page.mouse.move(at.x, at.y);
      const tip = await $app(page, `attn-stage-view >>> attn-heatmap[data-stage="${stage}"] >>> .tip`);
      return tip.evaluate((el) => el.textContent ?? '');
    };
    const weight = await hover('probs', 0, 2);
    expect(weight).toContain('weight mat → on');
    expect(weight).toContain('p = exp(s − max) / Σ_j exp(s_j − max)');
    expect(weight).toMatch(/p = 0\.6\d*/);
    const output = await hover('output', 0, 0);
    expect(output).toContain('Σ_j p_0,j · v_j,0');
    expect(output).toMatch(/0\.6 \(on\) × 0\.5 = 0\.3/);
    const raw = await hover('raw', 0, 1);
    expect(raw).toContain('q[0] · k[1]');
    const png = await page.$eval('attn-app >>> attn-stage-view >>> attn-heatmap[data-stage="probs"]', async (el) => {
      const blob = await (el as unknown as { toPngBlob(): Promise<Blob> }).toPngBlob();
      return { type: blob.type, size: blob.size };
    });
    expect(png.type).toBe('image/png');
    expect(png.size).toBeGreaterThan(2000);
    expect(problems).toEqual([]);
  });

  it('the fused kernel never writes the weights, so only its output is compared', async () => {
    const { page, problems } = await freshPage(browser);
    const id = await runId(page);
    const select = (await $app(page, 'attn-options-panel >>> select[aria-label="kernel variant"]')) as ElementHandle<HTMLSelectElement>;
    const variants = await select.evaluate((el) => [...el.options].map((o) => o.value));
    expect(variants).toEqual(expect.arrayContaining(['naive', 'tiled']));
    if (!variants.includes('fused')) return;
    await select.select('fused');
    await waitForRun(page, id);
    const run = await readRun(page);
    expect(run.stages).toEqual({ scores: null, probs: null, output: true });
    [0.56, 0.63, 0.55].forEach((o, j) => expect(run.gpuOutput![j]).toBeCloseTo(o, 6));
    // The timing line says how the fused kernel ran: its key splits and whether in its subgroup form.
    const form = await page.evaluate(() => document.querySelector('attn-app')!.lastOutcome!.gpuForm);
    expect(form).toMatch(
      /^fused kernel: 1 key split, (subgroup form( in (pairs|quads) of lanes)? \(subgroups of \d+ invocations|no subgroups \()/,
    );
    await showTab(page, 'compare');
    const lines = await page.$$eval('attn-app >>> attn-compare-panel >>> p.muted', (ps) => ps.map((p) => p.textContent ?? ''));
    expect(lines.some((line) => line.includes(form!))).toBe(true);
    expect(problems).toEqual([]);
  });

  it('stays responsive on a large input, and a newer edit replaces the slow run', async () => {
    const { page, problems } = await freshPage(browser);
    const size = 768,
      width = 32;
    const upload = async (name: string, seed: number) => {
      const path = join(files, `${name}.npy`);
      writeFileSync(path, new Uint8Array(toNpy(randomMatrix(size, width, seed))));
      await ((await $app(page, `attn-matrix-editor[name="${name}"] >>> input[type=file]`)) as ElementHandle<HTMLInputElement>).uploadFile(
        path,
      );
    };
    await upload('q', 1);
    await upload('k', 2);
    const id = await runId(page);
    await upload('v', 3);
    // The page keeps painting while the big run is under way: an animation frame sees it running.
    // (A page blocked for the whole run would paint its next frame only after the run had ended.)
    await page.waitForFunction(
      (rows: number) => {
        const app = document.querySelector('attn-app')!;
        return app.dataset.state === 'running' && app.currentState.matrix.v.length === rows;
      },
      { polling: 'raf', timeout: 60_000 },
      size,
    );
    await (await $app(page, 'attn-options-panel >>> #causal')).click();
    await waitUntil(page, 'app.lastOutcome.problem.options.causal && app.lastOutcome.problem.shape.n === 768', 180_000);
    const run = await readRun(page);
    expect(run.run).toBeGreaterThan(id);
    expect(run.pass).toBe(true);
    expect(run.n).toBe(size);
    expect(problems).toEqual([]);
  });
});
