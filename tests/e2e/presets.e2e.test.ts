/**
 * Every preset in examples/ loads in the real page, runs on WebGPU and agrees with the float64
 * reference at every stage; presets that state exact numbers reproduce them. Each preset's view
 * is saved as <id>.png (docs/screenshots with UPDATE_SCREENSHOTS=1, for the README).
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'puppeteer';
import { parsePreset } from '../../src/core/presets';
import { launchBrowser, openPage, SCREENSHOT_DIR } from './browser';
import type { WatchedPage } from './browser';
import { loadPreset, readRun, row, waitForRun } from './app';

const EXAMPLES = join(import.meta.dirname, '../../examples');
const SCREENSHOTS = SCREENSHOT_DIR;
const presets = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => parsePreset(JSON.parse(readFileSync(join(EXAMPLES, f), 'utf8')), f));

let browser: Browser;
let watched: WatchedPage;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await launchBrowser();
  watched = await openPage(browser, inject('baseUrl'));
  await waitForRun(watched.page);
});

afterAll(async () => {
  await browser?.close();
});

describe('presets in headless Chromium', () => {
  it('ships the required examples', () => {
    expect(presets.map((p) => p.id)).toEqual(
      expect.arrayContaining([
        'worked-3d',
        'cat-mat',
        'dog-ball',
        'cat-warm',
        'causal',
        'translation',
        'large-scores',
        'sqrt-dk',
        // The features of modern models (issue 11).
        'rope-relative',
        'alibi-recency',
        'sliding-window',
        'gqa',
        'softcap',
        'sinks',
        'decode',
      ]),
    );
    for (const p of presets) {
      expect(p.name.length, p.id).toBeGreaterThan(0);
      expect(p.description.length, p.id).toBeGreaterThan(0);
    }
  });

  it.each(presets.map((p) => [p.id, p] as const))('%s: GPU agrees with the CPU reference at every stage', async (id, preset) => {
    const { page, problems } = watched;
    await loadPreset(page, id);
    const run = await readRun(page);
    expect(run.gpuError, 'the GPU must run').toBeNull();
    expect(run.stages).toEqual({ scores: true, probs: true, output: true });
    expect(run.pass).toBe(true);
    // Stated numbers hold to float32 precision (inputs are float32: ln 0.1 is not exact in 24 bits).
    const near = (actual: number, expected: number, what: string) =>
      expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(expected)));
    preset.expect?.probs?.forEach((expected, i) =>
      row(run.gpuProbs!, run.m, i).forEach((x, j) => near(x, expected[j], `probs[${i}][${j}]`)),
    );
    preset.expect?.output?.forEach((expected, i) =>
      row(run.gpuOutput!, run.outputCols, i).forEach((x, j) => near(x, expected[j], `output[${i}][${j}]`)),
    );
    // Let the canvases settle, then keep a picture of the view for the README.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: join(SCREENSHOTS, `${id}.png`) as `${string}.png` });
    expect(problems).toEqual([]);
  });

  it('reproduces the seed’s 3-D example exactly: weights 0.1/0.3/0.6, output [0.56, 0.63, 0.55]', async () => {
    const { page, problems } = watched;
    await loadPreset(page, 'worked-3d');
    const run = await readRun(page);
    expect(run.queryLabels).toEqual(['mat']);
    expect(run.keyLabels).toEqual(['cat', 'sat', 'on']);
    [0.1, 0.3, 0.6].forEach((p, j) => expect(run.gpuProbs![j]).toBeCloseTo(p, 6));
    [0.56, 0.63, 0.55].forEach((o, j) => expect(run.gpuOutput![j]).toBeCloseTo(o, 6));
    [0.56, 0.63, 0.55].forEach((o, j) => expect(run.cpuOutput[j]).toBeCloseTo(o, 7));
    expect(problems).toEqual([]);
  });
});
