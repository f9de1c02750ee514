/**
 * The learned score functions in the page (issue 15): the additive translation preset shows the
 * alignment of Bahdanau et al. (a near-diagonal band with “zone économique européenne” swapped) in
 * the weights' values table, the GPU agrees with the float64 reference, an edit of W_q moves a
 * French word's attention, the link restores the weights, and a W_k of the wrong width is refused
 * with a message while the previous state stays.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { launchBrowser } from './browser';
import { axeViolations } from './views';
import { $app, freshPage, loadPreset, messages, readRun, readState, runId, savedLink, waitForMessage, waitForRun } from './app';

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** The French word each English word translates in the preset (the swap: zone → Area, européenne → European). */
const ALIGNED: [string, string][] = [
  ['L’', 'The'],
  ['accord', 'agreement'],
  ['sur', 'on'],
  ['la', 'the'],
  ['zone', 'Area'],
  ['économique', 'Economic'],
  ['européenne', 'European'],
  ['a', 'was'],
  ['été', 'was'],
  ['signé', 'signed'],
  ['en', 'in'],
  ['août', 'August'],
  ['1992', '1992'],
];

/** The attention weights as the page's values table shows them: row label → (column label → value). */
async function weightsTable(page: Page): Promise<Map<string, Map<string, number>>> {
  const map = await $app(page, 'attn-stage-view >>> attn-heatmap[data-stage="probs"]');
  // Opening the details (as its summary's click does) renders the table.
  await map.evaluate((el) => {
    const details = el.shadowRoot!.querySelector<HTMLDetailsElement>('details.values')!;
    details.open = true;
  });
  await map.waitForSelector('>>> table tbody td');
  const rows = await map.evaluate((el) => {
    const t = el.shadowRoot!.querySelector('table')!;
    const cols = [...t.querySelectorAll('thead th')].slice(1).map((th) => th.textContent!.trim());
    return [...t.querySelectorAll('tbody tr')].map((tr) => ({
      label: tr.querySelector('th')!.textContent!.trim(),
      cells: [...tr.querySelectorAll('td')].map((td, j) => [cols[j], Number(td.textContent)] as const),
    }));
  });
  return new Map(rows.map((r) => [r.label, new Map(r.cells)]));
}

function argmax(row: Map<string, number>): [string, number] {
  return [...row.entries()].reduce((best, entry) => (entry[1] > best[1] ? entry : best));
}

function cell(page: Page, name: string, i: number, j: number): Promise<ElementHandle<Element>> {
  return $app(page, `attn-matrix-editor[name="${name}"] >>> input[data-row="${i}"][data-col="${j}"]`);
}

/** The worked-3d example on the fused kernel, then `value` picked in the options' select labelled `label`. */
async function pickOnFused(page: Page, label: string, value: string): Promise<void> {
  await loadPreset(page, 'worked-3d');
  const variant = (await $app(page, 'select[aria-label="kernel variant"]')) as ElementHandle<HTMLSelectElement>;
  let before = await runId(page);
  await variant.select('fused');
  await waitForRun(page, before);
  before = await runId(page);
  const select = (await $app(page, `select[aria-label="${label}"]`)) as ElementHandle<HTMLSelectElement>;
  await select.select(value);
  await waitForRun(page, before);
}

/** The kernel select's fused option: whether it is disabled, and why. */
function fusedOption(page: Page): Promise<{ disabled: boolean; title: string | null }> {
  return page.$eval('attn-app >>> select[aria-label="kernel variant"] option[value="fused"]', (o) => ({
    disabled: (o as HTMLOptionElement).disabled,
    title: o.getAttribute('title'),
  }));
}

async function expectAgreement(page: Page): Promise<void> {
  const run = await readRun(page);
  expect(run.gpuError).toBeNull();
  expect(run.pass).toBe(true);
  expect(run.stages).toEqual({ scores: true, probs: true, output: true });
  const badges = await page.$$eval('attn-app >>> attn-verdict >>> .badge', (els) => els.map((e) => e.textContent ?? '').join(' '));
  expect(badges.length).toBeGreaterThan(0);
}

describe('additive scoring in headless Chromium', () => {
  it('the translation preset: the band with the swap in the weights table, the GPU agrees, the heading names the score', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'translation-additive');
    const state = await readState(page);
    expect(state.options.score).toBe('additive');
    const table = await weightsTable(page);
    expect([...table.keys()]).toEqual(ALIGNED.map(([fr]) => fr));
    for (const [fr, en] of ALIGNED) {
      const [best, weight] = argmax(table.get(fr)!);
      expect(best, fr).toBe(en);
      expect(weight, fr).toBeGreaterThan(0.8);
    }
    await expectAgreement(page);
    const heading = await page.$eval('attn-app >>> attn-stage-view >>> attn-heatmap[data-stage="raw"]', (el) => el.getAttribute('heading'));
    expect(heading).toContain('vᵀtanh(W_q q + W_k k)');
    // The verdict line names the score the GPU and the reference computed.
    const named = await $app(page, 'attn-verdict >>> #score-in-force');
    expect(await named.evaluate((el) => el.textContent)).toContain('additive score Σ_r v_r tanh');
    // W_q, W_k and v are editable beside Q, K and V.
    for (const name of ['score-wq', 'score-wk', 'score-v']) await $app(page, `attn-matrix-editor[name="${name}"]`);
    // The selector, its history and the weights' editors pass axe as the rest of the page does.
    expect(await axeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('an edit of W_q moves “zone” off “Area”, and the link restores the edited weights', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'translation-additive');
    // W_q[4][4] = 6 is what lets unit 4 fire for “zone”; 0 leaves every key of “zone” at about the same score.
    const before = await runId(page);
    const input = await cell(page, 'score-wq', 4, 4);
    await input.click({ clickCount: 3 });
    await page.keyboard.type('0');
    await page.keyboard.press('Enter');
    await waitForRun(page, before);
    const zone = (await weightsTable(page)).get('zone')!;
    expect(argmax(zone)[1]).toBeLessThan(0.2);
    await expectAgreement(page);
    const link = await savedLink(page, (s) => s.matrix.scoring.wq?.[4][4] === 0);

    const restored = await freshPage(browser, { url: link });
    const state = await readState(restored.page);
    expect(state.options.score).toBe('additive');
    expect(state.matrix.scoring.wq![4][4]).toBe(0);
    expect(argmax((await weightsTable(restored.page)).get('zone')!)[1]).toBeLessThan(0.2);
    expect(problems).toEqual([]);
    expect(restored.problems).toEqual([]);
  });

  it('“+ hidden unit” on W_q adds a zero unit to W_q, W_k and v; the weights do not move and the GPU agrees', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'translation-additive');
    const weights = await weightsTable(page);
    const before = await runId(page);
    const editor = 'attn-problem-editor >>> attn-matrix-editor[name="score-wq"]';
    const add = await $app(page, `${editor} >>> .structure button[title="Add a hidden unit below the cursor"]`);
    // W_q's columns are Q's width: its editor offers hidden units (rows) only.
    expect(await page.$$eval(`attn-app >>> ${editor} >>> .structure button`, (els) => els.map((el) => el.textContent?.trim()))).toEqual([
      '+ hidden unit',
      '− hidden unit',
    ]);
    await add.click();
    await waitForRun(page, before);
    const { wq, wk, v } = (await readState(page)).matrix.scoring;
    expect([wq!.length, wk!.length, v![0].length]).toEqual([14, 14, 14]);
    expect(wq![13].every((x) => x === 0) && wk![13].every((x) => x === 0) && v![0][13] === 0).toBe(true);
    expect(await (await $app(page, '#scoring-weights')).evaluate((el) => el.textContent)).toContain('a = 14 hidden units');
    expect(await weightsTable(page)).toEqual(weights);
    await expectAgreement(page);
    expect(problems).toEqual([]);
  });

  it('choosing general on the fused kernel makes W the identity, moves to tiled and says so; the GPU agrees', async () => {
    const { page, problems } = await freshPage(browser);
    await pickOnFused(page, 'score function', 'general');
    const state = await readState(page);
    expect(state.options).toMatchObject({ score: 'general', scale: 'none' });
    expect(state.variant).toBe('tiled');
    // worked-3d: Q and K are 3 wide, so W is the 3×3 identity and the scores are the dot product's.
    expect(state.matrix.scoring.w).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    await waitForMessage(page, 'made W 3×3 (W starts as the identity)');
    await $app(page, 'attn-matrix-editor[name="score-w"]');
    const fused = await fusedOption(page);
    expect(fused.disabled).toBe(true);
    expect(fused.title).toContain('dot scores only');
    await expectAgreement(page);
    expect(await (await $app(page, 'attn-verdict >>> #score-in-force')).evaluate((el) => el.textContent)).toContain(
      'general score q_iᵀ W k_j',
    );
    expect(problems).toEqual([]);
  });

  it('choosing ReLU on the fused kernel moves to tiled and says so; the weights are ReLU of the scores, the GPU agrees, the link restores it', async () => {
    const { page, problems } = await freshPage(browser);
    await pickOnFused(page, 'activation', 'relu');
    const state = await readState(page);
    expect(state.options.activation).toBe('relu');
    expect(state.variant).toBe('tiled');
    const fused = await fusedOption(page);
    expect(fused.disabled).toBe(true);
    expect(fused.title).toContain('computes the softmax in one pass');
    expect(await (await $app(page, 'attn-options-panel >>> #activation-note')).evaluate((el) => el.textContent)).toContain(
      'no normalisation',
    );
    await expectAgreement(page);
    expect(await (await $app(page, 'attn-verdict >>> #score-in-force')).evaluate((el) => el.textContent)).toContain(
      'relu in place of the softmax',
    );
    // The weights are ReLU of the masked scores, each on its own: rows need not sum to 1.
    const { masked, probs, cols } = await page.evaluate(() => {
      const o = document.querySelector('attn-app')!.lastOutcome!;
      return { masked: Array.from(o.reference.masked.data), probs: Array.from(o.reference.probs.data), cols: o.reference.probs.cols };
    });
    expect(probs).toEqual(masked.map((x) => (x > 0 ? x : 0)));
    const sums = Array.from({ length: probs.length / cols }, (_, i) => probs.slice(i * cols, (i + 1) * cols).reduce((a, b) => a + b, 0));
    expect(sums.some((x) => Math.abs(x - 1) > 1e-3)).toBe(true);
    const link = await savedLink(page, (s) => s.options.activation === 'relu' && s.variant === 'tiled');
    const restored = await freshPage(browser, { url: link });
    expect((await readState(restored.page)).options.activation).toBe('relu');
    const shown = (await $app(restored.page, 'select[aria-label="activation"]')) as ElementHandle<HTMLSelectElement>;
    expect(await shown.evaluate((el) => el.value)).toBe('relu');
    expect(problems).toEqual([]);
    expect(restored.problems).toEqual([]);
  });

  it('the shader lab’s QKᵀ tab holds the additive kernel while the page scores additively', async () => {
    const { page, problems } = await freshPage(browser);
    await loadPreset(page, 'translation-additive');
    await (await $app(page, '#tab-lab')).click();
    const note = await $app(page, 'attn-shader-lab >>> #score-kernel');
    expect(await note.evaluate((el) => el.textContent)).toContain('qk_additive.wgsl');
    const source = await page.$eval('attn-app >>> attn-shader-lab', (el) =>
      (el as unknown as { source(stage: string): string }).source('qk'),
    );
    const dot = await page.$eval('attn-app >>> attn-shader-lab', (el) => {
      const lab = el as unknown as { score: string; source(stage: string): string };
      lab.score = 'dot';
      return lab.source('qk');
    });
    expect(source).not.toBe(dot);
    expect(source).toMatch(/tanh/);
    expect(problems).toEqual([]);
  });

  it('a pasted W_k one column too wide is refused with its shape, and the previous weights stay', async () => {
    const { page } = await freshPage(browser);
    await loadPreset(page, 'translation-additive');
    const before = await readState(page);
    // Two numbers pasted at the last column (11) would make W_k 13×13; K is 12 wide.
    const last = await cell(page, 'score-wk', 0, 11);
    await last.evaluate((el) => {
      const data = new DataTransfer();
      data.setData('text/plain', '1\t2');
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, composed: true, cancelable: true }));
    });
    await waitForMessage(page, 'W_k is 13×13 but must be a×dk = 13×12');
    const after = await readState(page);
    expect(after.matrix.scoring).toEqual(before.matrix.scoring);
  });

  it('an imported W_k of the wrong width is refused with its shape and not announced as imported', async () => {
    const { page } = await freshPage(browser);
    await loadPreset(page, 'translation-additive');
    const before = await readState(page);
    const dir = mkdtempSync(join(tmpdir(), 'attn-scoring-'));
    const file = join(dir, 'wk.csv');
    // 13 rows of 5: W_k must be 13×12.
    writeFileSync(file, Array.from({ length: 13 }, () => '1,0,0,0,0').join('\n'));
    const input = (await $app(page, 'attn-matrix-editor[name="score-wk"] >>> input[type=file]')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(file);
    await waitForMessage(page, 'W_k is 13×5 but must be a×dk = 13×12');
    expect((await messages(page)).some((t) => t.includes('Imported wk.csv'))).toBe(false);
    expect((await readState(page)).matrix.scoring).toEqual(before.matrix.scoring);
    rmSync(dir, { recursive: true, force: true });
  });
});
