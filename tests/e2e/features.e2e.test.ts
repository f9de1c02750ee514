/**
 * The attention features in the page (issue 11): each one turned on from the features panel shows
 * the view it adds (RoPE's before/after maps, the window's band, the ALiBi bias and softcapped
 * maps, the sink's share beside the row sums, K/V head groups), each new example passes GPU vs
 * CPU and makes its point, a bad value is refused with a message while the state stays as it was,
 * and the features survive a link, a reload and undo. Fails on any console error (./browser.ts).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, KeyInput, Page } from 'puppeteer';
import { launchBrowser } from './browser';
import type { WatchedPage } from './browser';
import {
  $app,
  edited,
  freshPage,
  loadPreset,
  readOptions,
  readRun,
  readState,
  savedLink,
  toSentenceMode,
  typeInto,
  waitForMessage,
  waitForRun,
} from './app';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const feature = (page: Page, selector: string) => $app(page, `attn-feature-options >>> ${selector}`);

/** The verdict of the last run per compared stage (rotated Q and K included), and the GPU's error if any. */
function verdict(page: Page) {
  return page.evaluate(() => {
    const o = document.querySelector('attn-app')!.lastOutcome!;
    const c = o.check;
    return {
      gpuError: o.gpuError,
      pass: c?.pass ?? null,
      rotatedQ: c?.rotatedQ?.pass ?? null,
      rotatedK: c?.rotatedK?.pass ?? null,
      scores: c?.scores?.pass ?? null,
      probs: c?.probs?.pass ?? null,
      output: c?.output.pass ?? null,
    };
  });
}

/** Number of elements matching a deep selector inside the app. */
async function count(page: Page, selector: string): Promise<number> {
  return (await page.$$(`attn-app >>> ${selector}`)).length;
}

describe('turning each feature on shows its view', () => {
  it('RoPE: Q and K before and after rotation, checked on the GPU too', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'large-scores');
    await edited(page, async () => (await feature(page, '#rope-layout')).select('interleaved'));
    expect((await readOptions(page)).rope).toEqual({ layout: 'interleaved', base: 10000, dims: null, offset: 0 });
    await $app(page, 'attn-stage-view >>> attn-rope-view');
    const tensors = await page.$$eval('attn-app >>> attn-rope-view >>> attn-heatmap[data-stage="rotated"]', (els) =>
      els.map((e) => e.getAttribute('data-tensor')),
    );
    expect(tensors).toEqual(['q-before', 'q-after', 'k-before', 'k-after']);
    const after = await page.$eval('attn-app >>> attn-rope-view >>> attn-heatmap[data-tensor="q-after"]', (el) =>
      Array.from((el as unknown as { values: ArrayLike<number> }).values),
    );
    const cpu = await page.evaluate(() => Array.from(document.querySelector('attn-app')!.lastOutcome!.reference.rotated!.q.data));
    expect(after).toEqual(cpu);
    // The last query sits at position m − 1 = 3: its rotated values differ from the input.
    expect(after[2]).not.toBeCloseTo(-30, 3);
    const v = await verdict(page);
    expect(v.gpuError).toBeNull();
    expect(v).toMatchObject({ rotatedQ: true, rotatedK: true, scores: true, probs: true, output: true, pass: true });
    expect(await page.$$eval('attn-app >>> attn-verdict >>> .badge', (els) => els.map((e) => e.textContent ?? '').join(' '))).toContain(
      'Q after RoPE',
    );
    expect(problems).toEqual([]);
  });

  it('sliding window: a band in the mask editor, −∞ outside it', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'large-scores');
    await edited(page, async () => (await feature(page, '#window-on')).click());
    expect((await readOptions(page)).window).toBe(2);
    // n = 2, m = 4 (last query with the last key): query 0 sits at 2 and sees keys 1…3; query 1 sees 2…4 (capped at 3).
    const cells = await page.$$eval('attn-app >>> attn-mask-editor >>> td button', (els) =>
      els.map((e) => `${e.getAttribute('data-cell')}:${e.className}`),
    );
    expect(cells).toEqual(['0,0:window', '0,1:on', '0,2:on', '0,3:on', '1,0:window', '1,1:window', '1,2:on', '1,3:on']);
    expect(await page.$eval('attn-app >>> attn-mask-editor >>> .legend', (el) => el.textContent)).toContain('outside the window (w = 2)');
    const run = await readRun(page);
    expect(run.cpuProbs[0]).toBe(0);
    expect(run.cpuProbs[4 + 1]).toBe(0);
    expect(
      await page.$eval('attn-app >>> attn-stage-view >>> attn-heatmap[data-stage="masked"]', (el) => el.getAttribute('caption')),
    ).toMatch(/outside the window of 2/);
    expect(problems).toEqual([]);
  });

  it('ALiBi and the softcap: their own maps between the scaled and the masked scores', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'large-scores');
    await edited(page, async () => (await feature(page, '#alibi-mode')).select('standard'));
    await edited(page, async () => (await feature(page, '#softcap-on')).click());
    expect(await readOptions(page)).toMatchObject({ alibi: 'standard', softcap: 5 });
    const stages = await page.$$eval('attn-app >>> attn-stage-view >>> attn-heatmap[data-stage]', (els) =>
      els.map((e) => e.getAttribute('data-stage')),
    );
    expect(stages.slice(-5)).toEqual(['raw', 'scaled', 'capped', 'bias', 'masked']);
    const mapValues = (stage: string) =>
      page.$eval(`attn-app >>> attn-stage-view >>> attn-heatmap[data-stage="${stage}"]`, (el) =>
        Array.from((el as unknown as { values: ArrayLike<number> }).values),
      );
    const capped = await mapValues('capped');
    // Scores near ±1000 become 5·tanh(s/5): ±5 to float64 precision.
    expect(Math.max(...capped.map(Math.abs))).toBeLessThanOrEqual(5);
    expect(capped[0]).toBeCloseTo(5, 12);
    // One head: slope 1/2^8. Query 0 sits at position 2, so its bias for key 0 is −2/256.
    expect((await mapValues('bias'))[0]).toBeCloseTo(-2 / 256, 12);
    const heading = await page.$eval('attn-app >>> attn-stage-view >>> h4:last-of-type', (el) => el.textContent ?? '');
    expect(heading).toMatch(/raw → scaled → softcapped → \+ ALiBi bias → masked → softmax/);
    expect(problems).toEqual([]);
  });

  it('sinks: the sink’s share of each row beside the row sums', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'large-scores');
    await edited(page, async () => (await feature(page, '#sinks-on')).click());
    await edited(page, async () => {
      await typeInto(page, await feature(page, '#sinks'), '1000');
      await page.keyboard.press('Tab');
    });
    expect((await readOptions(page)).sinks).toEqual([1000]);
    const notes = await page.$eval('attn-app >>> attn-stage-view >>> attn-heatmap[data-stage="probs"]', (el) => {
      const n = (el as unknown as { rowNotes: { label: string; values: ArrayLike<number> } | null }).rowNotes;
      return n && { label: n.label, values: Array.from(n.values) };
    });
    const run = await readRun(page);
    // Row “big +” peaks at 1000 = σ: the sink takes half; row “big −” (−960 at best) gives it everything.
    expect(notes?.label).toBe('sink');
    expect(notes!.values[0]).toBeCloseTo(1 - run.cpuProbs.slice(0, 4).reduce((a, b) => a + b, 0), 12);
    expect(notes!.values[0]).toBeGreaterThan(0.4);
    expect(notes!.values[1]).toBeCloseTo(1, 12);
    expect(problems).toEqual([]);
  });

  it('K/V heads: 4 query heads on one K/V head resize K and V, and the head grid groups them', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'sqrt-dk');
    await edited(page, async () => typeInto(page, await $app(page, 'attn-options-panel >>> input[aria-label="heads"]'), '4'));
    await edited(page, async () => typeInto(page, await feature(page, '#kv-heads'), '1'));
    const state = await readState(page);
    expect(state.options).toMatchObject({ heads: 4, kvHeads: 1 });
    expect([state.matrix.q[0].length, state.matrix.k[0].length, state.matrix.v[0].length]).toEqual([64, 16, 3]);
    expect(await count(page, 'attn-head-grid >>> .group')).toBe(1);
    expect(await page.$eval('attn-app >>> attn-head-grid >>> .group-label', (el) => el.textContent)).toContain('query heads 0, 1, 2, 3');
    expect(await count(page, 'attn-head-grid >>> .group .card[data-kv-head="0"]')).toBe(4);
    // Two K/V heads: two groups; the new K/V head is a copy, so the weights do not change.
    const before = await readRun(page);
    await edited(page, async () => typeInto(page, await feature(page, '#kv-heads'), '2'));
    expect(await count(page, 'attn-head-grid >>> .group')).toBe(2);
    expect((await readRun(page)).cpuProbs).toEqual(before.cpuProbs);
    const v = await verdict(page);
    expect(v.gpuError).toBeNull();
    expect(v.pass).toBe(true);
    expect(problems).toEqual([]);
  });
});

describe('K/V heads in sentence mode', () => {
  it('4 heads on 2 K/V heads: W_k and W_v one block per K/V head, GPU = CPU', async () => {
    const { page, problems } = await freshPage(browser);
    await toSentenceMode(page);
    await edited(page, async () => typeInto(page, await $app(page, 'attn-options-panel >>> input[aria-label="heads"]'), '4'));
    await edited(page, async () => typeInto(page, await feature(page, '#kv-heads'), '2'));
    const shape = await page.evaluate(() => {
      const p = document.querySelector('attn-app')!.lastOutcome!.problem;
      return { q: p.inputs.q.cols, k: p.inputs.k.cols, v: p.inputs.v.cols, wk: p.sentence!.wk.cols, kvHeads: p.shape.kvHeads };
    });
    expect(shape).toEqual({ q: 32, k: 16, v: 16, wk: 16, kvHeads: 2 });
    expect(await page.$eval('attn-app >>> attn-sentence-panel >>> #per-head', (el) => el.textContent)).toContain(
      '2 K/V heads give K 16, V 16',
    );
    expect(await count(page, 'attn-head-grid >>> .group')).toBe(2);
    const v = await verdict(page);
    expect(v.gpuError).toBeNull();
    expect(v).toMatchObject({ scores: true, probs: true, output: true, pass: true });
    expect(problems).toEqual([]);
  });
});

describe('bad values are refused with a message and the state is kept', () => {
  /** A case: what to switch on first (valid), the field and what is typed into it (or chosen), the message. */
  interface BadValue {
    feature: string;
    setup: ((page: Page) => Promise<unknown>) | null;
    field: string;
    typed: string;
    message: string;
  }
  const on = (id: string) => async (page: Page) => edited(page, async () => (await feature(page, id)).click());
  const cases: [string, BadValue][] = [
    [
      'a window of 0',
      {
        feature: 'window',
        setup: on('#window-on'),
        field: '#window',
        typed: '0',
        message: 'Sliding window: "0" is not a whole number of keys ≥ 1',
      },
    ],
    [
      'a softcap of −1',
      {
        feature: 'softcap',
        setup: on('#softcap-on'),
        field: '#softcap',
        typed: '-1',
        message: 'Logit softcap: "-1" is not a positive number',
      },
    ],
    [
      'two sink logits for one head',
      {
        feature: 'sinks',
        setup: on('#sinks-on'),
        field: '#sinks',
        typed: '1, 2',
        message: 'attention sinks need one logit per query head: got 2 for 1 head',
      },
    ],
    [
      'three ALiBi slopes for one head',
      {
        feature: 'alibi',
        setup: async (page) => edited(page, async () => (await feature(page, '#alibi-mode')).select('custom')),
        field: '#alibi-slopes',
        typed: '0.5 0.25 0.125',
        message: 'ALiBi needs one slope per query head: got 3 slopes for 1 head',
      },
    ],
    [
      'a RoPE base of 1',
      {
        feature: 'rope',
        setup: async (page) => edited(page, async () => (await feature(page, '#rope-layout')).select('half')),
        field: '#rope-base',
        typed: '1',
        message: 'RoPE base θ: "1" is not a number greater than 1',
      },
    ],
  ];

  it.each(cases)('%s', async (_, c) => {
    const { page, problems } = await freshPage(browser);
    // sqrt-dk: one head, d_k = 64.
    await loadPreset(page, 'sqrt-dk');
    await c.setup?.(page);
    const before = await readState(page);
    const input = await feature(page, c.field);
    await typeInto(page, input, c.typed);
    await page.keyboard.press('Tab');
    await waitForMessage(page, c.message);
    const text = await page.$eval(
      `attn-app >>> attn-feature-options >>> .feature[data-feature="${c.feature}"] .error`,
      (el) => el.textContent ?? '',
    );
    expect(text).toContain(c.message);
    await new Promise((r) => setTimeout(r, 500));
    expect(await readState(page)).toEqual(before);
    // What the user typed stays in the field.
    expect(await input.evaluate((el) => (el as HTMLInputElement).value)).toBe(c.typed);
    expect(problems).toEqual([]);
  });

  it('RoPE with an odd d_k: refused, and the menu goes back to off', async () => {
    const { page, problems } = await freshPage(browser);
    // The worked 3-D example: one head, d_k = 3.
    const before = await readState(page);
    await (await feature(page, '#rope-layout')).select('half');
    await waitForMessage(page, 'RoPE rotates pairs of dimensions, so it needs an even head width dk, got 3');
    await new Promise((r) => setTimeout(r, 500));
    expect(await readState(page)).toEqual(before);
    expect(await page.$eval('attn-app >>> attn-feature-options >>> #rope-layout', (el) => (el as HTMLSelectElement).value)).toBe('off');
    expect(problems).toEqual([]);
  });

  it('K/V heads that do not divide the heads, and heads the K/V heads do not divide', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'gqa');
    await edited(page, async () => typeInto(page, await feature(page, '#kv-heads'), '2'));
    const before = await readState(page);
    expect(before.options).toMatchObject({ heads: 4, kvHeads: 2 });
    const input = await feature(page, '#kv-heads');
    await typeInto(page, input, '3');
    await waitForMessage(page, 'K/V heads (3) must divide the 4 query heads');
    expect(await input.evaluate((el) => (el as HTMLInputElement).value)).toBe('3');
    await typeInto(page, await $app(page, 'attn-options-panel >>> input[aria-label="heads"]'), '3');
    await waitForMessage(page, '3 query heads cannot share 2 K/V heads evenly');
    await new Promise((r) => setTimeout(r, 500));
    expect(await readState(page)).toEqual(before);
    expect(problems).toEqual([]);
  });
});

describe('the feature examples', () => {
  let watched: WatchedPage;
  beforeAll(async () => {
    watched = await freshPage(browser);
  });

  it.each(['rope-relative', 'alibi-recency', 'sliding-window', 'gqa', 'softcap', 'sinks', 'decode'])(
    '%s: GPU agrees with the CPU reference at every stage',
    async (id) => {
      const { page, problems } = watched;
      await loadPreset(page, id);
      const v = await verdict(page);
      expect(v.gpuError, 'the GPU must run').toBeNull();
      expect(v).toMatchObject({ scores: true, probs: true, output: true, pass: true });
      expect(problems).toEqual([]);
    },
  );

  it('rope-relative: moving every position by 1000 leaves the weights unchanged', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'rope-relative');
    const before = await readRun(page);
    await edited(page, async () => typeInto(page, await feature(page, '#rope-offset'), '1000'));
    expect((await readOptions(page)).rope?.offset).toBe(1000);
    const after = await readRun(page);
    after.cpuProbs.forEach((p, i) => expect(Math.abs(p - before.cpuProbs[i])).toBeLessThan(1e-12));
    // The GPU rotates in float32: far positions round a little differently, the weights barely move.
    after.gpuProbs!.forEach((p, i) => expect(Math.abs(p - before.gpuProbs![i])).toBeLessThan(1e-3));
    expect(after.pass).toBe(true);
    expect(problems).toEqual([]);
  });
});

describe('features in the link, after a reload and in the undo history', () => {
  it('a shared link reproduces every feature; a reload restores them; undo takes one back', async () => {
    const first = await freshPage(browser);
    const { page } = first;
    await loadPreset(page, 'gqa');
    await edited(page, async () => (await feature(page, '#rope-layout')).select('half'));
    await edited(page, async () => typeInto(page, await feature(page, '#rope-offset'), '5'));
    await edited(page, async () => (await feature(page, '#window-on')).click());
    await edited(page, async () => (await feature(page, '#alibi-mode')).select('custom'));
    await edited(page, async () => (await feature(page, '#softcap-on')).click());
    await edited(page, async () => (await feature(page, '#sinks-on')).click());
    await edited(page, async () => {
      await typeInto(page, await feature(page, '#sinks'), '0.5, -1, 2, 0');
      await page.keyboard.press('Tab');
    });
    const state = await readState(page);
    expect(state.options).toMatchObject({
      heads: 4,
      kvHeads: 1,
      rope: { layout: 'half', offset: 5 },
      window: 2,
      softcap: 5,
      sinks: [0.5, -1, 2, 0],
    });
    expect(Array.isArray(state.options.alibi) && state.options.alibi.length).toBe(4);
    const link = await savedLink(page, (s) => s.options.sinks?.[0] === 0.5);
    const results = await readRun(page);

    const second = await freshPage(browser, { url: link });
    expect(await readState(second.page)).toEqual(state);
    expect((await readRun(second.page)).cpuProbs).toEqual(results.cpuProbs);
    expect(await second.page.$eval('attn-app >>> attn-feature-options >>> #sinks', (el) => (el as HTMLInputElement).value)).toBe(
      '0.5, -1, 2, 0',
    );

    // Undo takes the sink logits back to where the switch put them; redo restores them.
    const key = async (combo: KeyInput[]) => {
      for (const k of combo.slice(0, -1)) await page.keyboard.down(k);
      await page.keyboard.press(combo.at(-1)!);
      for (const k of combo.slice(0, -1).reverse()) await page.keyboard.up(k);
    };
    await edited(page, () => key(['Control', 'z']));
    expect(await readOptions(page)).toMatchObject({ sinks: [0, 0, 0, 0], softcap: 5 });
    await edited(page, () => key(['Control', 'Shift', 'z']));
    expect(await readState(page)).toEqual(state);

    await page.waitForFunction(() => localStorage.getItem('attention-playground.state')?.includes('"sinks":[0.5,-1,2,0]'));
    await page.goto(inject('baseUrl'), { waitUntil: 'load' });
    await waitForRun(page);
    expect(await readState(page)).toEqual(state);
    expect([...first.problems, ...second.problems]).toEqual([]);
  });
});

describe('f16 storage in the page (issue 12)', () => {
  const storage = (page: Page) => $app(page, 'attn-options-panel >>> select[aria-label="storage precision"]');
  const kernel = (page: Page) => $app(page, 'attn-options-panel >>> select[aria-label="kernel variant"]');

  it('the fused kernel with f16 storage passes against the f16 bound; tiled refuses it, naming why; a link keeps it', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'large-scores');
    await edited(page, async () => (await kernel(page)).select('fused'));
    await edited(page, async () => (await storage(page)).select('f16'));
    expect((await readState(page)).precision).toBe('f16');
    const outcome = await page.evaluate(() => {
      const o = document.querySelector('attn-app')!.lastOutcome!;
      return { gpuError: o.gpuError, pass: o.check?.output.pass ?? null, precision: o.gpu?.precision ?? null };
    });
    expect(outcome).toEqual({ gpuError: null, pass: true, precision: 'f16' });
    expect(await page.$eval('attn-app >>> attn-options-panel', (el) => el.shadowRoot!.textContent)).toMatch(/Q, K, V read as halves/);

    const second = await freshPage(browser, { url: await savedLink(page, (s) => s.precision === 'f16') });
    expect((await readState(second.page)).precision).toBe('f16');

    await edited(page, async () => (await kernel(page)).select('tiled'));
    expect((await verdict(page)).gpuError).toMatch(/f16 storage is not possible for this run: only the fused variant/);
    // Back to float32: the tiled run goes through again.
    await edited(page, async () => (await storage(page)).select('f32'));
    expect(await verdict(page)).toMatchObject({ gpuError: null, pass: true });
    expect([...problems, ...second.problems]).toEqual([]);
  });
});
