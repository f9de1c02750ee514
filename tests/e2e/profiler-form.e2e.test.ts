/**
 * The Profiler tab's form sets up what `npm run bench` takes from its flags: dv, K/V heads, the
 * Features panel's features, variants by name (fused-Nsplits) and the variants every row is compared
 * with. A sweep set up through the form runs them (grouped heads and forced splits in the decode
 * rows, a "× fused-2splits" column, the configuration said above the table); a bad field is named
 * and what was typed stays. The form is part of the page's state: a reload and a link bring it
 * back as it was typed, and neither an example nor an undo takes it back. No timing is asserted.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { launchBrowser } from './browser';
import { $app, freshPage, loadPreset, runId, savedLink, waitForRun } from './app';
import { profiler, setChecked, waitForProfile, waitForResultsText, waitForRunButton } from './profiler-page';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** Types into a field of the form (replacing what it held) and leaves it, so its change is read. */
async function typeInto(page: Page, id: string, value: string | number): Promise<void> {
  const input = await profiler(page, `#${id}`);
  await input.click({ count: 3 });
  await page.keyboard.press('Backspace');
  await page.keyboard.type(String(value));
  await page.keyboard.press('Tab');
}

async function openProfiler(page: Page): Promise<void> {
  await (await $app(page, '#tab-profiler')).click();
  await waitForRunButton(page);
}

/** A small sweep: N = 16 only, dk = 8, no warm-up, one repeat, the given variants checked. */
async function smallSweep(page: Page, variants: string[]): Promise<void> {
  for (const n of [16, 32, 64, 128, 256, 512, 1024, 2048, 4096]) await setChecked(page, `input[data-n="${n}"]`, n === 16);
  for (const v of ['naive', 'tiled', 'fused', 'tfjs']) await setChecked(page, `input[data-variant="${v}"]`, variants.includes(v));
  await typeInto(page, 'dk', 8);
  await typeInto(page, 'warmup', 0);
  await typeInto(page, 'repeats', 1);
}

/** Clicks Run and waits for the profiler to finish or fail; returns what the panel shows. */
async function runAndRead(page: Page) {
  const before = await page.evaluate(
    () =>
      document.querySelector('attn-app')!.shadowRoot!.querySelector('attn-layout')!.shadowRoot!.querySelector('attn-profiler')!.dataset
        .state,
  );
  expect(before).not.toBe('running');
  await (await profiler(page, '#run')).click();
  await waitForProfile(page, 240_000);
  return page.evaluate(() => {
    const el = document.querySelector('attn-app')!.shadowRoot!.querySelector('attn-layout')!.shadowRoot!.querySelector('attn-profiler')!;
    const root = el.shadowRoot!;
    const form = root.querySelector('attn-profile-controls')!.shadowRoot!;
    const results = root.querySelector('attn-profile-results')?.shadowRoot;
    const table = (id: string) => {
      const t = results?.querySelector(`#${id}`);
      if (!t) return null;
      const head = [...t.querySelectorAll('thead th')].map((th) => th.textContent!.trim());
      return {
        head,
        rows: [...t.querySelectorAll<HTMLElement>('tbody tr')].map((tr) => `${tr.dataset.n} ${tr.dataset.variant}`),
        cells: [...t.querySelectorAll('tbody tr')].map((tr) =>
          Object.fromEntries([...tr.querySelectorAll('td')].map((td, i) => [head[i], td.textContent!.trim()])),
        ),
      };
    };
    return {
      state: el.dataset.state,
      message: root.querySelector('#message')?.textContent?.trim() ?? '',
      config: results?.querySelector('#config')?.textContent?.replace(/\s+/g, ' ').trim() ?? '',
      notes: [...(results?.querySelectorAll('#notes li') ?? [])].map((li) => li.textContent!.replace(/\s+/g, ' ').trim()),
      sweep: table('results'),
      decode: table('decode-results'),
      typed: Object.fromEntries(
        ['dv', 'kv-heads', 'more-variants', 'baselines'].map((id) => [id, form.querySelector<HTMLInputElement>(`#${id}`)!.value]),
      ),
    };
  });
}

/** The form's fields as the user sees them. */
function readForm(page: Page) {
  return page.evaluate(() => {
    const form = document
      .querySelector('attn-app')!
      .shadowRoot!.querySelector('attn-layout')!
      .shadowRoot!.querySelector('attn-profiler')!
      .shadowRoot!.querySelector('attn-profile-controls')!.shadowRoot!;
    const value = (id: string) => form.querySelector<HTMLInputElement>(`#${id}`)!.value;
    const ticked = (attr: string) =>
      [...form.querySelectorAll<HTMLInputElement>(`input[${attr}]`)].filter((x) => x.checked).map((x) => x.getAttribute(attr));
    return {
      values: ['dk', 'dv', 'heads', 'kv-heads', 'decode-ms', 'more-variants', 'baselines', 'warmup', 'repeats', 'seed', 'fit-from'].map(
        value,
      ),
      causal: form.querySelector<HTMLInputElement>('#causal')!.checked,
      ns: ticked('data-n'),
      variants: ticked('data-variant'),
    };
  });
}

describe("the Profiler tab's form: what the terminal's flags set", () => {
  it('times grouped K/V heads, a forced split count and a baseline set up in the form, and says what it measured', async () => {
    const { page, problems } = await freshPage(browser);
    await openProfiler(page);
    await smallSweep(page, ['fused']);
    await typeInto(page, 'dv', 12);
    await typeInto(page, 'heads', 4);
    await typeInto(page, 'kv-heads', 2);
    await typeInto(page, 'decode-ms', 64);
    await typeInto(page, 'more-variants', 'fused-2splits');
    await typeInto(page, 'baselines', 'fused-2splits');
    await typeInto(page, 'seed', 7);
    const view = await runAndRead(page);
    expect(view.state, view.message).toBe('done');
    expect(view.config).toContain('N = 16');
    expect(view.config).toContain('seed 7');
    expect(view.config).toContain('dk = 8, dv = 12');
    expect(view.config).toContain('4 heads on 2 K/V heads');
    expect(view.config).toContain('decode m = 64');
    expect(view.config).toContain('compared with fused-2splits');
    expect(view.sweep!.rows).toEqual(['16 fused', '16 fused-2splits']);
    expect(view.decode!.rows).toEqual(['64 fused', '64 fused-2splits']);
    expect(view.sweep!.head).toContain('× fused-2splits');
    // A row compared with itself says it is the baseline (a ratio to itself says nothing); the other row has its ratio.
    expect(view.sweep!.cells[1]['× fused-2splits']).toBe('baseline');
    expect(view.decode!.cells[1]['× fused-2splits']).toBe('baseline');
    expect(view.sweep!.cells[0]['× fused-2splits']).toMatch(/^\d/);
    // The forced variant really ran 2 splits (the decode table's splits column); m = 64 fills one
    // split of 64 keys, so the other is empty, and the cell and the notes say so.
    expect(view.decode!.cells[1]['splits']).toBe('2 (1 empty)');
    expect(view.notes).toContainEqual(
      expect.stringMatching(/^fused-2splits: key splits that hold no key .*: 1 of 2 empty at N = 16, 1 of 2 empty at m = 64\.$/),
    );
    for (const t of [view.sweep!, view.decode!]) expect(t.cells.map((c) => c.check)).toEqual(['pass', 'pass']);
    expect(problems).toEqual([]);
  });

  it('names a bad field and keeps what was typed; takes the Features panel’s features when asked', async () => {
    const { page, problems } = await freshPage(browser);
    await openProfiler(page);
    await smallSweep(page, ['fused']);

    // A number that is not one stays as typed and is named at once; the saved form keeps the last valid value; Run refuses.
    const formError = async () => (await profiler(page, '#form-error')).evaluate((el) => el.textContent!.trim());
    await typeInto(page, 'dk', 0);
    await typeInto(page, 'heads', 2.5);
    expect(await formError()).toBe(
      'dk must be a whole number from 1 to 65536, got "0"; heads must be a whole number from 1 to 1024, got "2.5"',
    );
    expect((await readForm(page)).values.slice(0, 3)).toEqual(['0', '', '2.5']);
    expect(await page.evaluate(() => document.querySelector('attn-app')!.currentState.view.profile)).toMatchObject({ dk: 8, heads: 1 });
    let view = await runAndRead(page);
    expect(view.state).toBe('error');
    expect(view.message).toBe('dk must be a whole number from 1 to 65536, got "0"');
    await typeInto(page, 'dk', 8);
    await typeInto(page, 'heads', 1);
    expect(
      await page.evaluate(
        () =>
          !!document
            .querySelector('attn-app')!
            .shadowRoot!.querySelector('attn-layout')!
            .shadowRoot!.querySelector('attn-profiler')!
            .shadowRoot!.querySelector('attn-profile-controls')!
            .shadowRoot!.querySelector('#form-error'),
      ),
    ).toBe(false);

    await typeInto(page, 'more-variants', 'fused-0splits, fused-4splits');
    view = await runAndRead(page);
    expect(view.state).toBe('error');
    expect(view.message).toMatch(/unknown variant fused-0splits; choose from .*fused-Nsplits/);
    expect(view.typed['more-variants']).toBe('fused-0splits, fused-4splits');

    await typeInto(page, 'more-variants', '');
    // A sweep past the page's limits is refused before it allocates: 3 GiB of inputs, then hours of arithmetic.
    await typeInto(page, 'custom-ns', 30_000_000);
    view = await runAndRead(page);
    expect(view.state).toBe('error');
    expect(view.message).toBe(
      "Not run: the largest problem's Q, K and V need 2.7 GiB, more than the 2 GiB the page allows: lower N (or decode m, dk, heads).",
    );
    await typeInto(page, 'custom-ns', 10_000_000);
    view = await runAndRead(page);
    expect(view.state).toBe('error');
    expect(view.message).toMatch(
      /^Not run: the sweep needs at least [\d.e+]+ floating-point operations \(every warm-up and repeat of every variant\); at this adapter's measured peak of [\d.]+ GFLOP\/s that is at least [\d.]+ (h|days|years), more than the page's limit of 60 min: lower N or the repeats/,
    );
    await typeInto(page, 'custom-ns', '');
    await typeInto(page, 'heads', 4);
    await typeInto(page, 'kv-heads', 3);
    view = await runAndRead(page);
    expect(view.state).toBe('error');
    expect(view.message).toBe(
      'K/V heads (3) must divide the 4 query heads, so that each K/V head serves the same number of them: choose 1, 2, 4',
    );
    expect(view.typed['kv-heads']).toBe('3');

    // tfjs times plain attention only: grouped heads with tfjs checked are refused, naming both.
    await typeInto(page, 'kv-heads', 2);
    await setChecked(page, 'input[data-variant="tfjs"]', true);
    view = await runAndRead(page);
    expect(view.state).toBe('error');
    expect(view.message).toMatch(/^tfjs runs plain attention only, not grouped-query heads: drop tfjs/);
    await setChecked(page, 'input[data-variant="tfjs"]', false);

    await typeInto(page, 'kv-heads', '');
    await typeInto(page, 'dv', '8 9');
    view = await runAndRead(page);
    expect(view.state).toBe('error');
    expect(view.message).toBe('dv takes one number, got "8 9"');
    await typeInto(page, 'dv', '');

    // Exponents fitted from an N that leaves fewer than two of the sweep's N: Run names it, as a refit does.
    await typeInto(page, 'fit-from', 100000);
    view = await runAndRead(page);
    expect(view.state).toBe('error');
    expect(view.message).toBe("exponents from N ≥ 100000: a fit needs two N at least, and this sweep's N are 16");
    expect((await readForm(page)).values.at(-1)).toBe('100000');
    await typeInto(page, 'fit-from', '');

    // No feature is on in the Features panel: the checkbox is off and says so.
    const words = async () => (await profiler(page, '#feature-words')).evaluate((el) => el.textContent!.trim());
    const box = (await profiler(page, '#with-features')) as ElementHandle<HTMLInputElement>;
    expect(await box.evaluate((el) => el.disabled)).toBe(true);
    expect(await words()).toBe('(none on in the Features panel)');

    // Turn on ALiBi in the Features panel (the playground runs again), then take it into the sweep.
    await (await $app(page, '#tab-attention')).click();
    const before = await runId(page);
    const alibi = (await $app(page, 'attn-feature-options >>> #alibi-mode')) as ElementHandle<HTMLSelectElement>;
    await alibi.select('standard');
    await waitForRun(page, before);
    await openProfiler(page);
    expect(await words()).toMatch(/^\(ALiBi standard slopes; per-head values fitted to the heads above\)$/);
    expect(await box.evaluate((el) => el.disabled)).toBe(false);
    await box.click();
    view = await runAndRead(page);
    expect(view.state, view.message).toBe('done');
    expect(view.config).toContain('4 heads');
    expect(view.config).not.toContain('K/V');
    expect(view.config).toContain('features: ALiBi standard slopes');
    expect(view.sweep!.cells.map((c) => c.check)).toEqual(['pass']);
    expect(problems).toEqual([]);
  });

  it('a reload and a link bring the form back as it was typed; an example and an undo leave it', async () => {
    const { page, problems } = await freshPage(browser);
    await openProfiler(page);
    await smallSweep(page, ['fused', 'naive']);
    await typeInto(page, 'heads', 8);
    await typeInto(page, 'kv-heads', 2);
    await typeInto(page, 'dv', 32);
    await typeInto(page, 'decode-ms', '4096, 32768');
    await typeInto(page, 'more-variants', 'fused-64splits, fused-0splits');
    await typeInto(page, 'baselines', 'fused-64splits');
    await setChecked(page, '#causal', true);
    await typeInto(page, 'seed', 2026);
    await typeInto(page, 'fit-from', 512);
    const typed = await readForm(page);
    expect(typed).toEqual({
      values: ['8', '32', '8', '2', '4096, 32768', 'fused-64splits, fused-0splits', 'fused-64splits', '0', '1', '2026', '512'],
      causal: true,
      ns: ['16'],
      variants: ['naive', 'fused'],
    });
    // The state is written to the link as the form changes (a view edit: no undo step, no run).
    const link = await savedLink(page, (s) => s.view.profile?.causal === true && s.view.profile.fitFrom === '512');
    const undo = await $app(page, 'attn-header >>> button[title="Undo (Ctrl+Z)"]');
    expect(await undo.evaluate((b) => (b as HTMLButtonElement).disabled)).toBe(true);

    await page.reload({ waitUntil: 'load' });
    await openProfiler(page);
    expect(await readForm(page)).toEqual(typed);

    // The form is outside the undo history: an example, more typing and an Undo of the example keep it as typed.
    await loadPreset(page, 'large-scores');
    await openProfiler(page);
    expect(await readForm(page)).toEqual(typed);
    await typeInto(page, 'repeats', 3);
    await (await $app(page, 'attn-header >>> button[title="Undo (Ctrl+Z)"]')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')?.currentState?.presetId !== 'large-scores');
    await openProfiler(page);
    const retyped = { ...typed, values: typed.values.map((v, i) => (i === 8 ? '3' : v)) };
    expect(await readForm(page)).toEqual(retyped);
    await savedLink(page, (s) => s.view.profile?.repeats === 3 && s.presetId !== 'large-scores');
    await page.reload({ waitUntil: 'load' });
    await openProfiler(page);
    expect(await readForm(page)).toEqual(retyped);

    const again = await freshPage(browser, { url: link });
    await openProfiler(again.page);
    expect(await readForm(again.page)).toEqual(typed);
    expect([...problems, ...again.problems]).toEqual([]);
  });

  it("a loaded card's settings fill the form, and what the form cannot take is said", async () => {
    const { page, problems } = await freshPage(browser);
    await openProfiler(page);
    const input = (await profiler(page, '#load-card')) as ElementHandle<HTMLInputElement>;
    // The emulator is named by vendor and architecture (SwiftShader gives no description).
    expect(await (await profiler(page, '#software')).evaluate((el) => el.textContent)).toContain('CPU emulation (google · swiftshader)');
    // A box holding refused text takes the card's value, and its message goes.
    await typeInto(page, 'dk', 0);
    await profiler(page, '#form-error');
    await input.uploadFile(resolve(import.meta.dirname, '../../docs/benchmarks/h200-warm-decode.card.json'));
    await (await profiler(page, '#use-card')).click();
    expect(await page.$('attn-app >>> attn-profiler >>> #form-error')).toBeNull();
    expect(await readForm(page)).toEqual({
      values: ['64', '64', '8', '2', '4096, 16384, 32768', '', '', '2', '5', '1', ''],
      causal: true,
      ns: ['1024'],
      variants: ['fused', 'fused-f16', 'fused-1split'],
    });
    const note = await (await profiler(page, '#card-note')).evaluate((el) => el.textContent!.replace(/\s+/g, ' ').trim());
    expect(note).toBe(
      `The form now holds the card's sweep; its own kernels (custom:flash_attention_eb7d763.wgsl) are not taken: time yours through "Your kernel".`,
    );
    expect(problems).toEqual([]);
  });

  it("refits the exponents of the results shown from the N typed, a loaded card's too, and names an N that leaves too few", async () => {
    const { page, problems } = await freshPage(browser);
    await openProfiler(page);
    const input = (await profiler(page, '#load-card')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(resolve(import.meta.dirname, '../../docs/benchmarks/h200-sweep.card.json'));
    const plot = () =>
      page.evaluate(() => {
        const root = document
          .querySelector('attn-app')!
          .shadowRoot!.querySelector('attn-layout')!
          .shadowRoot!.querySelector('attn-profiler')!.shadowRoot!;
        const results = root.querySelector('attn-profile-results')!.shadowRoot!;
        const legend = results.querySelector('#plot-time .u-legend')?.textContent ?? '';
        return {
          title: results.querySelector('#plot-time-title')?.textContent ?? '',
          fused: Number(/fused GPU span \(∝ N\^(-?[\d.]+)\)/.exec(legend)?.[1]),
          message: root.querySelector('#message')?.textContent?.trim() ?? '',
        };
      });
    // The card (N = 1024 … 8192) was fitted over the upper half of its sweep.
    await waitForResultsText(page, '#plot-time .u-legend');
    const half = await plot();
    expect(half.title).toContain('exponents fitted over upper half of the sweep');
    expect(Number.isFinite(half.fused)).toBe(true);
    await typeInto(page, 'fit-from', 1024);
    await waitForResultsText(page, '#plot-time-title', 'N ≥ 1024');
    const all = await plot();
    // Four N instead of two: another straight line (this card's, from the H200's cold clock, bends at 4096).
    expect(Number.isFinite(all.fused)).toBe(true);
    expect(all.fused).not.toBe(half.fused);
    await typeInto(page, 'fit-from', 8192);
    const bad = await plot();
    expect(bad.message).toBe(
      "Not refitted: exponents from N ≥ 8192: a fit needs two N at least, and this sweep's N are 1024, 2048, 4096, 8192.",
    );
    expect(bad.title).toContain('N ≥ 1024');
    expect(bad.fused).toBe(all.fused);
    expect((await readForm(page)).values.at(-1)).toBe('8192');
    expect(problems).toEqual([]);
  });
});
