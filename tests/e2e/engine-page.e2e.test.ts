import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'puppeteer';
import { launchBrowser, openPage } from './browser';
import { readRun, waitForRun } from './app';
import { fromMatrix } from '../../src/core/grid';
import { attentionReference } from '../../src/core/reference';
import { randomMatrix } from '../../src/core/rng';
import { defaultState, encodeState } from '../../src/core/state';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('the engine in headless Chromium', () => {
  it('runs the 3-D example and a random case on WebGPU, matching the CPU', async () => {
    // The page opens on the seeds' 3-D example.
    const { page, problems } = await openPage(browser, inject('baseUrl'));
    await waitForRun(page);
    const adapter = await page.evaluate(() => {
      const panel = document
        .querySelector('attn-app')!
        .shadowRoot!.querySelector('attn-layout')!
        .shadowRoot!.querySelector('attn-adapter-panel')!.shadowRoot!;
      return {
        adapter: panel.querySelector('#adapter')?.textContent ?? null,
        noWebgpu: panel.querySelector('#no-webgpu')?.textContent ?? null,
      };
    });
    expect(adapter.noWebgpu, 'WebGPU must be available in the browser').toBeNull();
    expect(adapter.adapter).toMatch(/WebGPU adapter:/);
    const worked = await readRun(page);
    expect(worked.pass).toBe(true);
    worked.gpuOutput!.forEach((x, i) => expect(x).toBeCloseTo([0.56, 0.63, 0.55][i], 6));

    // A seeded random case (n=20, m=37, dk=8, dv=5, causal), handed to the page as a shared link.
    const q = randomMatrix(20, 8, 42),
      k = randomMatrix(37, 8, 43),
      v = randomMatrix(37, 5, 44);
    const base = defaultState();
    const state = {
      ...base,
      matrix: { ...base.matrix, q: fromMatrix(q), k: fromMatrix(k), v: fromMatrix(v) },
      options: { ...base.options, causal: true },
    };
    const random = await openPage(browser, `${inject('baseUrl')}#s=${encodeState(state)}`);
    await waitForRun(random.page);
    const result = await readRun(random.page);
    // The page's random case, recomputed here in Node from the same seeds.
    const ref = attentionReference({ q, k, v }, { causal: true });
    expect(result.pass).toBe(true);
    expect(result.gpuOutput!.length).toBe(ref.output.data.length);
    result.gpuOutput!.forEach((x, i) => expect(x).toBeCloseTo(ref.output.data[i], 5));
    expect([...problems, ...random.problems]).toEqual([]);
  });
});
