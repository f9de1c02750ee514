import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'puppeteer';
import { launchBrowser, openPage } from './browser';
import { attentionReference } from '../../src/core/reference';
import { randomMatrix } from '../../src/core/rng';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('the engine in headless Chromium', () => {
  it('runs the 3-D example and a random case on WebGPU, matching the CPU', async () => {
    const { page, problems } = await openPage(browser, inject('baseUrl'));
    await page.waitForFunction(() => document.querySelector('attn-app')?.dataset.state === 'done', { timeout: 60_000 });
    const summary = await page.evaluate(() => {
      const root = document.querySelector('attn-app')!.shadowRoot!;
      const section = (id: string) => root.querySelector<HTMLElement>(`section[data-case="${id}"]`)!;
      return {
        adapter: root.querySelector('#adapter')?.textContent ?? null,
        noWebgpu: root.querySelector('#no-webgpu')?.textContent ?? null,
        worked: { pass: section('worked-3d').dataset.pass, gpu: JSON.parse(section('worked-3d').dataset.gpu!) as number[][] },
        random: { pass: section('random').dataset.pass, gpu: JSON.parse(section('random').dataset.gpu!) as number[][] },
      };
    });
    expect(summary.noWebgpu, 'WebGPU must be available in the browser').toBeNull();
    expect(summary.adapter).toMatch(/Adapter:/);
    expect(summary.worked.pass).toBe('true');
    summary.worked.gpu[0].forEach((x, i) => expect(x).toBeCloseTo([0.56, 0.63, 0.55][i], 6));
    // The page's random case, recomputed here in Node from the same seeds.
    const ref = attentionReference({ q: randomMatrix(20, 8, 42), k: randomMatrix(37, 8, 43), v: randomMatrix(37, 5, 44) }, { causal: true });
    expect(summary.random.pass).toBe('true');
    summary.random.gpu.flat().forEach((x, i) => expect(x).toBeCloseTo(ref.output.data[i], 5));
    expect(problems).toEqual([]);
  });
});
