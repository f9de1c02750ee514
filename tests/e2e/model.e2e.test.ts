/**
 * Model mode (issue 13) in the real page: text → token chips → every layer × head on the
 * playground's kernels with its verdict against float64; a head in full and in matrix mode; the
 * next-token prediction and generation over the KV cache; a bad model file refused with its
 * message while the grid stays; the model state restored after a reload. Any console error fails.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { defaultState, encodeState } from '../../src/core/state';
import { randomModelWeights, smallConfig } from '../../src/core/model/random';
import { writeGgufModel } from '../../src/model/gguf-write';
import { writeHfCheckpoint } from '../../src/core/model/hf-layout';
import { writeLlama2cCheckpoint, writeLlama2cTokenizer } from '../helpers/llama2c-writer';
import { sentencePieceVocabulary, wordPieceTokenizerJson } from '../helpers/tokenizer-json';
import { launchBrowser } from './browser';
import { allowDownloads, $app, downloaded, freshPage, readState, runId, savedLink, waitForMessage, waitForRun } from './app';

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** 31 tokens of the built-in model's vocabulary (32 with the <s> the tokenizer puts first). */
const SENTENCE =
  'the cat sat on the mat because it was warm. the dog chased the ball because it was bouncing. the animal did not cross the street because it was';

function modelRunId(page: Page): Promise<number> {
  return page.evaluate(() => document.querySelector('attn-app')!.modelRuns.outcome?.id ?? 0);
}

/** Waits for a model step newer than `after` whose float64 checks are in. */
async function waitForModel(page: Page, after = 0): Promise<void> {
  await page.waitForFunction(
    (previous: number) => {
      const app = document.querySelector('attn-app');
      const o = app?.modelRuns.outcome;
      return (
        (app?.dataset.modelState === 'done' && !!o && o.id > previous && (o.checks !== null || o.checkError !== null)) ||
        app?.dataset.modelState === 'error'
      );
    },
    { timeout: 120_000 },
    after,
  );
  const failure = await page.evaluate(() => {
    const m = document.querySelector('attn-app')!.modelRuns;
    return m.error ?? m.outcome?.checkError ?? null;
  });
  expect(failure).toBeNull();
}

interface GridSummary {
  cards: number;
  heatmaps: number;
  verdicts: string[];
  groups: number;
  roles: string[];
}

/**
 * The grid as drawn for the page's latest outcome: first waits until the grid holds that outcome and
 * has rendered it (the checks arrive from a worker, and the grid redraws a frame later: read too soon,
 * it still shows the previous outcome's verdicts).
 */
async function readGrid(page: Page): Promise<GridSummary> {
  await page.waitForFunction(
    () => {
      const deep = (root: ParentNode, selector: string): Element[] => {
        const out = [...root.querySelectorAll(selector)];
        root.querySelectorAll('*').forEach((el) => el.shadowRoot && out.push(...deep(el.shadowRoot, selector)));
        return out;
      };
      const grid = deep(document, 'attn-model-grid')[0] as (Element & { outcome?: unknown; isUpdatePending?: boolean }) | undefined;
      const outcome = document.querySelector('attn-app')?.modelRuns.outcome ?? null;
      return !grid || (grid.outcome === outcome && grid.isUpdatePending === false);
    },
    { timeout: 30_000 },
  );
  return page.evaluate(() => {
    const deep = (root: ParentNode, selector: string): Element[] => {
      const out = [...root.querySelectorAll(selector)];
      root.querySelectorAll('*').forEach((el) => el.shadowRoot && out.push(...deep(el.shadowRoot, selector)));
      return out;
    };
    const grid = deep(document, 'attn-model-grid')[0]?.shadowRoot;
    if (!grid) return { cards: 0, heatmaps: 0, verdicts: [], groups: 0, roles: [] };
    return {
      cards: grid.querySelectorAll('.card').length,
      heatmaps: grid.querySelectorAll('attn-heatmap').length,
      verdicts: [...grid.querySelectorAll('[data-verdict]')].map((b) => b.getAttribute('data-verdict') ?? ''),
      groups: grid.querySelectorAll('.group').length,
      roles: [...grid.querySelectorAll('[data-role]')].map((r) => r.getAttribute('data-role') ?? ''),
    };
  });
}

async function modelFacts(page: Page) {
  return page.evaluate(() => {
    const c = document.querySelector('attn-app')!.modelRuns.model!.weights.config;
    return { layers: c.layers, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim };
  });
}

async function typeText(page: Page, text: string): Promise<void> {
  const area = await $app(page, '#model-text');
  await area.click({ count: 3 });
  await page.keyboard.down('Control');
  await page.keyboard.press('a');
  await page.keyboard.up('Control');
  await page.keyboard.press('Backspace');
  await area.type(text);
}

/** A random 2-layer, 4-head llama2.c model over a 40-token SentencePiece vocabulary: its checkpoint and tokenizer bytes. */
function llama2cModel(): { checkpoint: Uint8Array; tokenizer: Uint8Array } {
  const weights = randomModelWeights(smallConfig('llama', { vocabSize: 40 }), 7);
  const pieces = ['▁', 'w', ...'0123456789', '▁w', ...[...'0123456789'].map((d) => `▁w${d}`)];
  const vocabulary = sentencePieceVocabulary([...pieces, ...Array.from({ length: 40 - 3 - pieces.length }, (_, i) => `x${i}`)]);
  return { checkpoint: writeLlama2cCheckpoint(weights), tokenizer: writeLlama2cTokenizer(vocabulary) };
}

/** llama2cModel's files loaded as random.bin and tok40.bin: a text in it runs with every head and the logits checked. */
async function expectLlama2cRun(page: Page, before: number): Promise<void> {
  await typeText(page, 'w3 w0 w7 w1');
  await waitForModel(page, before);
  // The first step after the load may run the text before (or while) it was typed, on a slow machine: wait for the typed text's step.
  const typed = [1, 19, 16, 23, 17];
  await page
    .waitForFunction(
      (ids: number[]) => {
        const app = document.querySelector('attn-app')!;
        const o = app.modelRuns.outcome;
        return app.dataset.modelState === 'done' && JSON.stringify(o?.tokens.map((t) => t.id)) === JSON.stringify(ids) && o?.checks;
      },
      { timeout: 60_000 },
      typed,
    )
    .catch(() => {}); // the assertions below say what ran instead
  expect(await page.$eval('attn-app >>> #model-picker', (el) => el.textContent)).toContain('llama2c (random.bin, tok40.bin)');
  // <s> ▁w3 ▁w0 ▁w7 ▁w1: the SentencePiece merges of the llama2.c vocabulary.
  expect(await page.evaluate(() => document.querySelector('attn-app')!.modelRuns.outcome!.tokens.map((t) => t.id))).toEqual(typed);
  expect((await readGrid(page)).verdicts).toEqual(Array(2 * 4).fill('pass'));
}

describe('model mode', () => {
  it('text → chips → every layer × head checked; a head in full and in matrix mode; prediction and generation; a bad file; reload', async () => {
    const { page, problems } = await freshPage(browser);
    await (await $app(page, '#mode-model')).click();
    await waitForModel(page);
    const facts = await modelFacts(page);
    expect(await page.$eval('attn-app >>> #model-facts', (el) => el.textContent)).toContain('parameters');

    // Typing a 32-token sentence: chips, then the whole grid.
    const before = await modelRunId(page);
    await typeText(page, SENTENCE);
    const typed = Date.now();
    await page.waitForFunction(
      (previous: number, cards: number) => {
        const app = document.querySelector('attn-app')!;
        const o = app.modelRuns.outcome;
        return (
          !!o &&
          o.id > previous &&
          app.dataset.modelState !== 'running' &&
          app.dataset.modelState !== 'pending' &&
          o.tokens.length === 32 &&
          cards > 0
        );
      },
      { timeout: 120_000 },
      before,
      facts.layers * facts.heads,
    );
    const toGrid = Date.now() - typed;
    await waitForModel(page, before);
    const gridMs = await page.evaluate(() => document.querySelector('attn-app')!.modelRuns.outcome!.gridMs);
    console.log(
      `model view: grid ${toGrid} ms after the last keystroke (${gridMs.toFixed(0)} ms from the run's edit to its data), checks in ${Date.now() - typed} ms`,
    );

    const chips = await page.$$eval('attn-app >>> attn-token-chips >>> li', (els) =>
      els.map((el) => el.textContent?.replace(/\s+/g, ' ').trim()),
    );
    expect(chips).toHaveLength(32);
    expect(chips[0]).toMatch(/^<s> ?\d+$/);
    expect(chips[2]).toMatch(/^cat ?\d+$/);
    const grid = await readGrid(page);
    expect(grid.cards).toBe(facts.layers * facts.heads);
    expect(grid.heatmaps).toBe(facts.layers * facts.heads);
    expect(grid.groups).toBe(facts.layers * facts.kvHeads);
    expect(grid.verdicts).toEqual(Array(facts.layers * facts.heads).fill('pass'));
    expect(await page.$eval('attn-app >>> #logits-verdict', (el) => el.getAttribute('data-verdict'))).toBe('pass');
    expect(await page.$$eval('attn-app >>> #top-tokens li', (els) => els.length)).toBe(5);

    // Click a head: its stages in full.
    await (await $app(page, 'attn-model-grid >>> .card[data-layer="1"][data-head="2"]')).click();
    await page.waitForSelector('attn-app >>> #head-detail[data-layer="1"][data-head="2"]', { timeout: 30_000 });
    const stages = await page.$$eval('attn-app >>> attn-model-view >>> attn-stage-view >>> attn-heatmap[data-stage]', (els) =>
      els.map((el) => el.getAttribute('data-stage')),
    );
    expect(stages).toEqual(expect.arrayContaining(['probs', 'output', 'raw', 'scaled', 'masked']));
    expect(await page.$('attn-app >>> attn-model-view >>> attn-stage-view >>> attn-rope-view')).not.toBeNull();
    expect(await page.$eval('attn-app >>> attn-model-view >>> attn-verdict >>> .verdict', (el) => el.getAttribute('data-verdict'))).toBe(
      'pass',
    );

    // Generate three tokens, each a decode step: the grid shows the new token's row.
    const beforeGenerate = await modelRunId(page);
    await (await $app(page, '#generate')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.model.generated.length === 3, { timeout: 120_000 });
    await waitForModel(page, beforeGenerate);
    const decode = await page.evaluate(() => {
      const o = document.querySelector('attn-app')!.modelRuns.outcome!;
      return {
        tokens: o.tokens.length,
        queryStart: o.queryStart,
        queries: o.layers[0].call.inputs.q.rows,
        keys: o.layers[0].call.inputs.k.rows,
      };
    });
    expect(decode).toEqual({ tokens: 35, queryStart: 34, queries: 1, keys: 35 });
    expect(await page.$$eval('attn-app >>> attn-token-chips >>> li.generated', (els) => els.length)).toBe(3);
    expect((await readGrid(page)).verdicts).toEqual(Array(facts.layers * facts.heads).fill('pass'));

    // Edit in matrix mode: the head's Q, K, V and options, then Undo back to the model.
    const beforeMatrix = await runId(page);
    await (await $app(page, '#head-to-matrix')).click();
    await waitForRun(page, beforeMatrix);
    const matrix = await readState(page);
    expect(matrix.mode).toBe('matrix');
    expect(matrix.matrix.q).toHaveLength(1);
    expect(matrix.matrix.q[0]).toHaveLength(facts.headDim);
    expect(matrix.matrix.k).toHaveLength(35);
    expect(matrix.options).toMatchObject({ heads: 1, kvHeads: null, causal: true });
    expect(matrix.options.rope).not.toBeNull();
    expect(await page.evaluate(() => document.querySelector('attn-app')!.lastOutcome!.check!.pass)).toBe(true);
    await page.keyboard.down('Control');
    await page.keyboard.press('z');
    await page.keyboard.up('Control');
    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.mode === 'model');

    // A bad file: its message names it, and the grid and the text stay.
    const lastRun = await modelRunId(page);
    const dir = mkdtempSync(join(tmpdir(), 'attn-model-'));
    const bad = join(dir, 'model.gguf');
    writeFileSync(bad, Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const input = (await $app(page, '#model-files')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(bad);
    await waitForMessage(page, 'model.gguf: not a GGUF file');
    expect(await modelRunId(page)).toBe(lastRun);
    expect((await readGrid(page)).cards).toBe(facts.layers * facts.heads);
    expect((await readState(page)).model.text).toBe(SENTENCE);

    // Reload: model mode, the text and the generated tokens come back.
    await savedLink(page, (s) => s.mode === 'model' && s.model.text === SENTENCE && s.model.generated.length === 3);
    await page.reload({ waitUntil: 'load' });
    await waitForModel(page);
    const restored = await readState(page);
    expect(restored.mode).toBe('model');
    expect(restored.model.text).toBe(SENTENCE);
    expect(restored.model.generated).toHaveLength(3);
    expect(await page.evaluate(() => document.querySelector('attn-app')!.modelRuns.outcome!.tokens.length)).toBe(35);
    expect(problems).toEqual([]);
  }, 400_000);

  it('a restored URL is not fetched until Load; a restored file asks to be chosen again; too many tokens is a message', async () => {
    const state = { ...defaultState(), mode: 'model' as const };
    state.model = { ...state.model, source: { kind: 'url', url: 'https://example.invalid/model.gguf' } };
    const requests: string[] = [];
    const { page, problems } = await freshPage(browser, {
      hash: `#s=${encodeState(state)}`,
      beforeLoad: async (p) => {
        p.on('request', (r) => requests.push(r.url()));
      },
    });
    await waitForModel(page);
    expect(await page.$eval('attn-app >>> #model-restore-note', (el) => el.textContent)).toContain('press Load');
    expect(await page.$eval('attn-app >>> #model-url', (el) => (el as HTMLInputElement).value)).toBe('https://example.invalid/model.gguf');
    expect(requests.filter((u) => u.includes('example.invalid'))).toEqual([]);

    await typeText(page, Array(70).fill('cat').join(' '));
    await waitForMessage(page, "exceed the model's context");
    expect((await readState(page)).model.text.split(' ')).toHaveLength(70);

    // A bad file dropped on the panel: the loader's message names it.
    await page.evaluate(() => {
      const root = (el: Element | null | undefined) => el?.shadowRoot ?? null;
      const app = document.querySelector('attn-app');
      const panel = root(
        root(
          root(root(root(app)?.querySelector('attn-layout'))?.querySelector('attn-problem-editor'))?.querySelector('attn-model-panel'),
        )?.querySelector('attn-model-picker'),
      )?.querySelector('#model-picker');
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array([9, 9, 9, 9, 9])], 'dropped.gguf'));
      panel!.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
    });
    await waitForMessage(page, 'dropped.gguf');

    // A file's generated ids, inside the built-in vocabulary too: the built-in model standing in runs the text only.
    const files = { ...state, model: { ...state.model, source: { kind: 'files' as const, names: ['mine.gguf'] }, generated: [3, 4, 5] } };
    const second = await freshPage(browser, { hash: `#s=${encodeState(files)}` });
    await waitForModel(second.page);
    const note = await second.page.$eval('attn-app >>> #model-restore-note', (el) => (el.textContent ?? '').replace(/\s+/g, ' '));
    expect(note).toContain('mine.gguf');
    expect(note).toContain('the 3 generated tokens belong to mine.gguf and come back when you choose it again');
    expect(await second.page.$$eval('attn-app >>> attn-token-chips >>> li.generated', (els) => els.length)).toBe(0);
    expect(await second.page.evaluate(() => document.querySelector('attn-app')!.modelRuns.outcome!.tokens.some((t) => t.generated))).toBe(
      false,
    );
    expect((await readState(second.page)).model.generated).toEqual([3, 4, 5]);
    expect([...problems, ...second.problems]).toEqual([]);
  });

  it('tokens a file model generated are set aside after a reload while the built-in model stands in, and come back when the file is chosen again', async () => {
    // A GGUF whose vocabulary (403) is larger than the built-in model's: its generated ids reach past the built-in's.
    const dir = mkdtempSync(join(tmpdir(), 'attn-big-'));
    const file = join(dir, 'big.gguf');
    const weights = randomModelWeights(smallConfig('llama', { vocabSize: 403 }), 11);
    writeFileSync(file, writeGgufModel(weights, sentencePieceVocabulary(Array.from({ length: 400 }, (_, i) => `▁w${i}`))));
    const state = { ...defaultState(), mode: 'model' as const };
    state.model = { ...state.model, text: 'w1 w2 w3', generateCount: 8 };
    const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState(state)}` });
    await waitForModel(page);
    const builtin = await page.evaluate(() => {
      const c = document.querySelector('attn-app')!.modelRuns.model!.weights.config;
      return { vocabSize: c.vocabSize, heads: c.layers * c.heads };
    });
    const chooseFile = async () => {
      const before = await modelRunId(page);
      await ((await $app(page, '#model-files')) as ElementHandle<HTMLInputElement>).uploadFile(file);
      await page.waitForFunction(() => document.querySelector('attn-app')!.modelRuns.model?.weights.config.vocabSize === 403, {
        timeout: 60_000,
      });
      await waitForModel(page, before);
    };
    await chooseFile();
    const textIds = await page.evaluate(() => document.querySelector('attn-app')!.modelRuns.outcome!.tokens.map((t) => t.id));
    const beforeGenerate = await modelRunId(page);
    await (await $app(page, '#generate')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.model.generated.length === 8, { timeout: 120_000 });
    await waitForModel(page, beforeGenerate);
    const generated = (await readState(page)).model.generated;
    expect(Math.max(...generated)).toBeGreaterThanOrEqual(builtin.vocabSize);
    const generatedChips = () => page.$$eval('attn-app >>> attn-token-chips >>> li.generated', (els) => els.length);
    const note = () => page.$eval('attn-app >>> #model-restore-note', (el) => (el.textContent ?? '').replace(/\s+/g, ' '));
    expect(await generatedChips()).toBe(8);

    // Reload: the built-in model stands in and runs on the text only; the state keeps big.gguf's tokens.
    await savedLink(page, (s) => s.model.source.kind === 'files' && s.model.generated.length === 8);
    await page.reload({ waitUntil: 'load' });
    await waitForModel(page);
    expect(await page.evaluate(() => document.querySelector('attn-app')!.modelRuns.model!.weights.config.vocabSize)).toBe(
      builtin.vocabSize,
    );
    expect(await page.$('attn-app >>> #model-error')).toBeNull();
    expect((await readGrid(page)).cards).toBe(builtin.heads);
    expect(await generatedChips()).toBe(0);
    expect(await page.evaluate(() => document.querySelector('attn-app')!.modelRuns.outcome!.tokens.some((t) => t.generated))).toBe(false);
    expect(await note()).toContain('big.gguf');
    expect(await note()).toContain('8 generated tokens');
    expect(await page.$eval('attn-app >>> #generate', (el) => (el as HTMLButtonElement).disabled)).toBe(true);
    expect((await readState(page)).model.generated).toEqual(generated);

    // The same file chosen again: its generated tokens come back.
    await chooseFile();
    expect(await page.evaluate(() => document.querySelector('attn-app')!.modelRuns.outcome!.tokens.map((t) => t.id))).toEqual([
      ...textIds,
      ...generated,
    ]);
    expect(await generatedChips()).toBe(8);
    expect(await page.$('attn-app >>> #model-restore-note')).toBeNull();
    expect((await readGrid(page)).verdicts).toEqual(Array(2 * 4).fill('pass'));
    expect(problems).toEqual([]);
  }, 300_000);

  it('Undo and Redo across a model switch show the model the state names, with its generated tokens', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attn-switch-'));
    const file = join(dir, 'other.gguf');
    const weights = randomModelWeights(smallConfig('llama', { vocabSize: 403 }), 12);
    writeFileSync(file, writeGgufModel(weights, sentencePieceVocabulary(Array.from({ length: 400 }, (_, i) => `▁w${i}`))));
    const state = { ...defaultState(), mode: 'model' as const };
    state.model = { ...state.model, text: 'the cat sat', generateCount: 2 };
    const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState(state)}` });
    await waitForModel(page);
    const vocabSize = () => page.evaluate(() => document.querySelector('attn-app')!.modelRuns.model!.weights.config.vocabSize);
    const builtinVocab = await vocabSize();
    const beforeGenerate = await modelRunId(page);
    await (await $app(page, '#generate')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.model.generated.length === 2, { timeout: 120_000 });
    await waitForModel(page, beforeGenerate);
    const generated = (await readState(page)).model.generated;
    const generatedChips = () => page.$$eval('attn-app >>> attn-token-chips >>> li.generated', (els) => els.length);

    // Another model chosen: the state names it, and the built-in model's tokens are dropped (Undo brings them back).
    const beforeFile = await modelRunId(page);
    await ((await $app(page, '#model-files')) as ElementHandle<HTMLInputElement>).uploadFile(file);
    await page.waitForFunction(() => document.querySelector('attn-app')!.currentState.model.source.kind === 'files', { timeout: 60_000 });
    await waitForModel(page, beforeFile);
    expect(await vocabSize()).toBe(403);

    // Undo: the built-in model is shown again and runs its generated tokens; nothing to note, Generate on.
    const beforeUndo = await modelRunId(page);
    await (await $app(page, 'attn-header >>> button[title="Undo (Ctrl+Z)"]')).click();
    await page.waitForFunction(
      (size: number) => document.querySelector('attn-app')!.modelRuns.model!.weights.config.vocabSize === size,
      {
        timeout: 60_000,
      },
      builtinVocab,
    );
    await waitForModel(page, beforeUndo);
    expect((await readState(page)).model).toMatchObject({ source: { kind: 'builtin' }, generated });
    await page.waitForFunction(
      () => document.querySelector('attn-app')!.modelRuns.outcome!.tokens.filter((t) => t.generated).length === 2,
      {
        timeout: 60_000,
      },
    );
    expect(await generatedChips()).toBe(2);
    expect(await page.$('attn-app >>> #model-restore-note')).toBeNull();
    expect(await page.$eval('attn-app >>> #generate', (el) => (el as HTMLButtonElement).disabled)).toBe(false);

    // Redo: the file's model again (this page still holds it), without choosing the file again.
    const beforeRedo = await modelRunId(page);
    await (await $app(page, 'attn-header >>> button[title="Redo (Ctrl+Shift+Z)"]')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.modelRuns.model!.weights.config.vocabSize === 403, {
      timeout: 60_000,
    });
    await waitForModel(page, beforeRedo);
    expect((await readState(page)).model.source.kind).toBe('files');
    expect(await page.$('attn-app >>> #model-restore-note')).toBeNull();
    expect(problems).toEqual([]);
  }, 300_000);

  it('Clear is off while the generated tokens are another model’s, set aside', async () => {
    const state = { ...defaultState(), mode: 'model' as const };
    state.model = { ...state.model, source: { kind: 'files', names: ['mine.gguf'] }, generated: [3, 4, 5] };
    const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState(state)}` });
    await waitForModel(page);
    const clear = await $app(page, '#clear-generated');
    expect(await clear.evaluate((el) => (el.textContent ?? '').trim())).toBe('Clear 3 generated');
    expect(await clear.evaluate((el) => (el as HTMLButtonElement).disabled)).toBe(true);
    expect(await clear.evaluate((el) => el.getAttribute('title'))).toContain('another model');
    expect(problems).toEqual([]);
  });

  it('a word the tokenizer has no id for (its unknown token is not in its vocabulary) is a message, and the text is kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attn-unk-'));
    const weights = randomModelWeights(smallConfig('llama', { vocabSize: 11 }), 5);
    const checkpoint = writeHfCheckpoint(weights);
    const tokenizer = wordPieceTokenizerJson(['the', 'cat', 'sat', 'on', 'mat', '##s', '.', 'dog'], 'Whitespace');
    (tokenizer.model as Record<string, unknown>).unk_token = 'NOT-IN-VOCAB';
    writeFileSync(join(dir, 'model.safetensors'), checkpoint.safetensors);
    writeFileSync(join(dir, 'config.json'), checkpoint.config);
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
    const state = { ...defaultState(), mode: 'model' as const };
    state.model = { ...state.model, text: 'the cat sat' };
    const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState(state)}` });
    await waitForModel(page);
    const before = await modelRunId(page);
    await ((await $app(page, '#model-files')) as ElementHandle<HTMLInputElement>).uploadFile(
      ...['model.safetensors', 'config.json', 'tokenizer.json'].map((f) => join(dir, f)),
    );
    await page.waitForFunction(() => document.querySelector('attn-app')!.modelRuns.model?.weights.config.vocabSize === 11, {
      timeout: 60_000,
    });
    await waitForModel(page, before);
    await typeText(page, 'the cat because');
    await waitForMessage(
      page,
      'The tokenizer has no token for a word of the text (token 3), and the unknown token it names, "NOT-IN-VOCAB"',
    );
    expect((await readState(page)).model.text).toBe('the cat because');
    expect(problems).toEqual([]);
  });

  it('a llama2.c checkpoint and its tokenizer, chosen together, load and run with every head checked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attn-llama2c-'));
    const { checkpoint, tokenizer } = llama2cModel();
    writeFileSync(join(dir, 'random.bin'), checkpoint);
    writeFileSync(join(dir, 'tok40.bin'), tokenizer);
    const { page, problems } = await freshPage(browser);
    await (await $app(page, '#mode-model')).click();
    await waitForModel(page);
    const before = await modelRunId(page);
    const input = (await $app(page, '#model-files')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(join(dir, 'random.bin'), join(dir, 'tok40.bin'));
    await page.waitForFunction(() => document.querySelector('attn-app')!.modelRuns.model?.source.format === 'llama2c', { timeout: 60_000 });
    await expectLlama2cRun(page, before);
    expect(await page.$eval('attn-app >>> #logits-verdict', (el) => el.getAttribute('data-verdict'))).toBe('pass');
    expect(problems).toEqual([]);
  });

  it('a llama2.c checkpoint and its tokenizer load from two URLs typed with a space between them', async () => {
    const { checkpoint, tokenizer } = llama2cModel();
    const served: Record<string, Uint8Array> = {
      'https://models.test/llama/random.bin': checkpoint,
      'https://models.test/tokenizers/tok40.bin': tokenizer,
    };
    const { page, problems } = await freshPage(browser, {
      beforeLoad: async (p) => {
        await p.setRequestInterception(true);
        p.on('request', (r) => {
          const body = served[r.url()];
          if (body) void r.respond({ status: 200, headers: { 'Access-Control-Allow-Origin': '*' }, body: Buffer.from(body) });
          else void r.continue();
        });
      },
    });
    await (await $app(page, '#mode-model')).click();
    await waitForModel(page);
    const before = await modelRunId(page);
    await (await $app(page, '#model-url')).type('https://models.test/llama/random.bin https://models.test/tokenizers/tok40.bin');
    await (await $app(page, '#model-load-url')).click();
    await page.waitForFunction(() => document.querySelector('attn-app')!.modelRuns.model?.source.format === 'llama2c', { timeout: 60_000 });
    await expectLlama2cRun(page, before);
    expect(problems).toEqual([]);
  });

  it('a broken kernel from the Shader lab fails heads and the logits check, and moves the prediction', async () => {
    const state = { ...defaultState(), mode: 'model' as const, variant: 'naive' };
    const good = await freshPage(browser, { hash: `#s=${encodeState(state)}` });
    await waitForModel(good.page);
    const probabilities = (page: Page) =>
      page.evaluate(() => {
        const o = document.querySelector('attn-app')!.modelRuns.outcome!;
        return Array.from(o.logits);
      });
    const goodLogits = await probabilities(good.page);
    const broken = readFileSync(join(import.meta.dirname, '../../examples/kernels/pv_gqa_modulo.wgsl'), 'utf8');
    const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState({ ...state, kernels: { pv: broken } })}` });
    // An edited kernel runs once it is through its trial (src/ui/kernel-staging.ts); until then the built-in one does.
    await page.waitForFunction(() => document.querySelector('attn-app')!.kernelStaging.inUse()?.pv !== undefined, { timeout: 120_000 });
    await page.waitForFunction(() => document.querySelector('attn-app')!.modelRuns.outcome?.yourKernels.includes('pv'), {
      timeout: 120_000,
    });
    await waitForModel(page);
    const grid = await readGrid(page);
    expect(grid.verdicts).toContain('fail');
    expect(await page.$eval('attn-app >>> #logits-verdict', (el) => el.getAttribute('data-verdict'))).toBe('fail');
    expect(await page.$eval('attn-app >>> #model-status', (el) => el.textContent)).toContain('your pv kernel');
    const badLogits = await probabilities(page);
    expect(Math.max(...badLogits.map((x, i) => Math.abs(x - goodLogits[i])))).toBeGreaterThan(1e-3);

    // A kernel the engine refuses (no grouped-query heads): a message, the text kept.
    const refused = readFileSync(join(import.meta.dirname, '../../examples/kernels/qk_causal_off_by_one.wgsl'), 'utf8');
    const third = await freshPage(browser, { hash: `#s=${encodeState({ ...state, kernels: { qk: refused } })}` });
    await third.page.waitForFunction(() => document.querySelector('attn-app')?.dataset.modelState === 'error', { timeout: 60_000 });
    expect(await third.page.$eval('attn-app >>> #model-error', (el) => el.textContent)).toContain('SUPPORTS_KV_HEADS');
    expect((await readState(third.page)).model.text).toBe(state.model.text);
    expect(third.problems).toEqual([]);
    expect([...good.problems, ...problems]).toEqual([]);
  });

  it('fused returns no weights: the grid draws the reference’s, says so, and every head passes', async () => {
    const state = { ...defaultState(), mode: 'model' as const, variant: 'fused' };
    const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState(state)}` });
    await waitForModel(page);
    const facts = await modelFacts(page);
    expect(await page.$eval('attn-app >>> attn-model-grid >>> #grid-source', (el) => el.textContent)).toContain(
      "float64 reference's weights",
    );
    const grid = await readGrid(page);
    expect(grid.heatmaps).toBe(facts.layers * facts.heads);
    expect(grid.verdicts).toEqual(Array(facts.layers * facts.heads).fill('pass'));
    expect(problems).toEqual([]);
  });

  it('f16 storage chosen in Matrix mode: the RoPE model still runs, with float32 storage and a note saying why; the Model tab’s storage select changes it', async () => {
    const state = { ...defaultState(), mode: 'model' as const, variant: 'fused', precision: 'f16' as const };
    const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState(state)}` });
    await waitForModel(page);
    const facts = await modelFacts(page);
    expect(await page.$eval('attn-app >>> #model-storage-note', (el) => el.textContent)).toContain(
      'f16 storage is not possible for this model, so its Q, K and V are stored as float32: RoPE is on',
    );
    expect((await readGrid(page)).verdicts).toEqual(Array(facts.layers * facts.heads).fill('pass'));
    const before = await modelRunId(page);
    await (await $app(page, '#model-storage')).select('f32');
    await waitForModel(page, before);
    expect((await readState(page)).precision).toBe('f32');
    expect(await page.$('attn-app >>> #model-storage-note')).toBeNull();
    expect(problems).toEqual([]);
  });

  it('a GPT-2 with f16 storage on the fused kernel: every head and the logits pass (the logits’ tolerance includes the halves’ rounding)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'attn-gpt2-'));
    const weights = randomModelWeights(smallConfig('gpt2'), 5);
    const { safetensors, config } = writeHfCheckpoint(weights);
    writeFileSync(join(dir, 'model.safetensors'), safetensors);
    writeFileSync(join(dir, 'config.json'), config);
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(wordPieceTokenizerJson(Array.from({ length: 47 }, (_, i) => `w${i}`))));
    const state = { ...defaultState(), mode: 'model' as const, variant: 'fused', precision: 'f16' as const };
    const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState(state)}` });
    await waitForModel(page);
    const input = (await $app(page, '#model-files')) as ElementHandle<HTMLInputElement>;
    await input.uploadFile(...['model.safetensors', 'config.json', 'tokenizer.json'].map((name) => join(dir, name)));
    await page.waitForFunction(() => document.querySelector('attn-app')!.modelRuns.model?.weights.config.architecture === 'gpt2', {
      timeout: 60_000,
    });
    const before = await modelRunId(page);
    await typeText(page, 'w1 w7 w3 w22 w9 w41 w7 w3 w22 w15 w2 w30');
    await waitForModel(page, before);
    await page.waitForFunction(() => document.querySelector('attn-app')!.modelRuns.outcome?.tokens.length === 13, { timeout: 60_000 });
    await waitForModel(page);
    expect(await page.evaluate(() => document.querySelector('attn-app')!.modelRuns.outcome!.layers.map((l) => l.result.precision))).toEqual(
      ['f16', 'f16'],
    );
    expect(await page.$('attn-app >>> #model-storage-note')).toBeNull();
    expect((await readGrid(page)).verdicts).toEqual(Array(2 * 4).fill('pass'));
    expect(await page.$eval('attn-app >>> #logits-verdict', (el) => el.getAttribute('data-verdict'))).toBe('pass');
    expect(problems).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('Enter (or Space) on a cell of a head’s map selects that head; its PNG button downloads without changing the selection', async () => {
    const { page, problems } = await freshPage(browser);
    await (await $app(page, '#mode-model')).click();
    await waitForModel(page);
    await readGrid(page);
    const selected = () => page.evaluate(() => document.querySelector('attn-app')!.currentState.model);
    expect(await selected()).toMatchObject({ layer: 0, head: 0 });

    // The keyboard: focus L1 H1's map, walk to a cell, Enter.
    const canvas = await $app(page, 'attn-model-grid >>> .card[data-layer="1"][data-head="1"] attn-heatmap >>> canvas');
    await canvas.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => {
      const m = document.querySelector('attn-app')!.currentState.model;
      return m.layer === 1 && m.head === 1;
    });
    await page.waitForSelector('attn-app >>> #head-detail[data-layer="1"][data-head="1"]', { timeout: 30_000 });

    // L0 H2's PNG: the file, and L1 H1 still selected.
    const dir = await allowDownloads(page);
    await (await $app(page, 'attn-model-grid >>> .card[data-layer="0"][data-head="2"] attn-heatmap >>> header button')).click();
    expect(existsSync(await downloaded(join(dir, 'model-L0-H2.png')))).toBe(true);
    expect(await selected()).toMatchObject({ layer: 1, head: 1 });

    // Space clicks a cell too, as it presses a button, and does not scroll the page.
    const other = await $app(page, 'attn-model-grid >>> .card[data-layer="0"][data-head="1"] attn-heatmap >>> canvas');
    await other.focus();
    await page.keyboard.press('ArrowRight');
    const scrolled = await page.evaluate(() => window.scrollY);
    await page.keyboard.press(' ');
    await page.waitForFunction(() => {
      const m = document.querySelector('attn-app')!.currentState.model;
      return m.layer === 0 && m.head === 1;
    });
    expect(await page.evaluate(() => window.scrollY)).toBe(scrolled);
    expect(problems).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
    await page.browserContext().close();
  });

  it('a link naming a layer and a head past the model shows its last, says so naming the fields, and keeps what the link named', async () => {
    const state = { ...defaultState(), mode: 'model' as const, model: { ...defaultState().model, layer: 999, head: 50 } };
    const { page, problems } = await freshPage(browser, { hash: `#s=${encodeState(state)}` });
    await waitForModel(page);
    const { layers, heads } = await modelFacts(page);
    const [layer, head] = [layers - 1, heads - 1];
    await page.waitForSelector(`attn-app >>> #head-detail[data-layer="${layer}"][data-head="${head}"]`, { timeout: 30_000 });
    expect(await page.$eval('attn-app >>> attn-model-view >>> #head-range', (el) => el.textContent?.trim())).toBe(
      `Layer 999 (model.layer) is past this model's ${layers} layers (0 to ${layer}): showing layer ${layer}. ` +
        `Head 50 (model.head) is past this model's ${heads} heads per layer (0 to ${head}): showing head ${head}. ` +
        'Click a head in the grid to show another.',
    );
    expect(await page.$eval('attn-app >>> #head-detail h3', (el) => el.textContent)).toBe(`Layer ${layer}, head ${head}`);
    const current = await page.$$eval('attn-app >>> attn-model-grid >>> .card[aria-current="true"]', (els) =>
      els.map((el) => `${el.getAttribute('data-layer')}/${el.getAttribute('data-head')}`),
    );
    expect(current).toEqual([`${layer}/${head}`]);
    // The state (and so the link) still names what it was given.
    expect((await readState(page)).model).toMatchObject({ layer: 999, head: 50 });

    // Choosing a head: the note goes.
    await (await $app(page, 'attn-model-grid >>> .card[data-layer="0"][data-head="1"]')).click();
    await page.waitForSelector('attn-app >>> #head-detail[data-layer="0"][data-head="1"]', { timeout: 30_000 });
    expect(await page.$('attn-app >>> attn-model-view >>> #head-range')).toBeNull();
    expect(problems).toEqual([]);
  });
});
