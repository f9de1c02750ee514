/**
 * The pure parts of model mode (issue 13): the model fields of the page's state (parseState, with
 * a message naming each bad value), the head-role label, next-token sampling, one head of a model
 * step as a matrix-mode problem, and which model the generated tokens belong to.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/core/errors';
import type { ModelSourceState } from '../src/core/state';
import { DEFAULT_MODEL_STATE, defaultState, parseState } from '../src/core/state';
import { generatedTokens, modelSourceNote, sameModelSource } from '../src/core/model/generated-tokens';
import { headRoleLabel } from '../src/core/model/roles';
import { pickNextToken } from '../src/core/model/generate';
import { forward64 } from '../src/core/model/forward';
import { headInputs } from '../src/core/model/check';
import { withModelHeadAsMatrices } from '../src/core/model/head-matrix';
import { randomModelWeights, smallConfig } from '../src/core/model/random';
import { buildProblem } from '../src/core/problem';
import { attentionReference } from '../src/core/reference';

const withModel = (model: unknown) => ({ ...JSON.parse(JSON.stringify(defaultState())), mode: 'model', model });

describe('the model fields of the state', () => {
  it('round-trips a model state and fills missing fields from the defaults', () => {
    const model = { ...DEFAULT_MODEL_STATE, source: { kind: 'url', url: 'https://x.org/m.gguf' }, generated: [3, 4], layer: 1, head: 2 };
    expect(parseState(withModel(model)).model).toEqual(model);
    expect(parseState(withModel({ text: 'hi' })).model).toEqual({ ...DEFAULT_MODEL_STATE, text: 'hi' });
    expect(parseState({ ...JSON.parse(JSON.stringify(defaultState())), model: undefined }).model).toEqual(DEFAULT_MODEL_STATE);
  });

  it('restores the files a model came from with their sizes, and a link saved with names only', () => {
    const files = { kind: 'files', names: ['m.safetensors', 'config.json'], sizes: [4096, 120] };
    expect(parseState(withModel({ source: files, generated: [7] })).model.source).toEqual(files);
    expect(parseState(withModel({ source: { kind: 'files', names: ['m.gguf'] } })).model.source).toEqual({
      kind: 'files',
      names: ['m.gguf'],
    });
  });

  it.each([
    ['a mode that does not exist', { ...defaultState(), mode: 'models' }, 'state.mode must be one of matrix, sentence, model'],
    ['a source kind', withModel({ source: { kind: 'ftp' } }), 'state.model.source.kind must be one of builtin, url, files'],
    [
      'a URL that is not http(s)',
      withModel({ source: { kind: 'url', url: 'javascript:alert(1)' } }),
      'state.model.source.url must start with http:// or https://',
    ],
    ['files without names', withModel({ source: { kind: 'files', names: [] } }), 'state.model.source.names must name 1 to 16 files'],
    [
      'a size for each of fewer files',
      withModel({ source: { kind: 'files', names: ['a.gguf', 'b.json'], sizes: [10] } }),
      'state.model.source.sizes must give one size per file (2)',
    ],
    [
      'a negative file size',
      withModel({ source: { kind: 'files', names: ['a.gguf'], sizes: [-1] } }),
      'state.model.source.sizes[0] must be an integer from 0',
    ],
    ['a text that is not a string', withModel({ text: 5 }), 'state.model.text must be a string'],
    ['a negative layer', withModel({ layer: -1 }), 'state.model.layer must be an integer from 0 to 1023'],
    ['top-k of 0', withModel({ topK: 0 }), 'state.model.topK must be an integer from 1 to 50'],
    ['an unknown sampling', withModel({ sampling: 'beam' }), 'state.model.sampling must be one of greedy, top-k'],
    ['a generated id that is not an integer', withModel({ generated: [1, 2.5] }), 'state.model.generated[1] must be an integer'],
    ['generated not an array', withModel({ generated: 'abc' }), 'state.model.generated must be an array of at most 4096 token ids'],
  ])('refuses %s with a message naming it', (_, value, message) => {
    expect(() => parseState(value)).toThrow(InputError);
    expect(() => parseState(value)).toThrow(message);
  });
});

describe('headRoleLabel', () => {
  const scores = (previousToken: number, induction: number, antecedent: number) => ({
    layer: 0,
    head: 0,
    previousToken,
    induction,
    antecedent,
  });
  it.each([
    ['no role above its threshold', scores(0.89, 0.49, 0.89), null],
    ['previous-token at 0.9', scores(0.9, 0.1, 0.1), 'previous-token'],
    ['induction at 0.5', scores(0.2, 0.5, 0.3), 'induction'],
    ['antecedent at 0.95', scores(0.1, 0.1, 0.95), 'antecedent'],
    ['antecedent first when several pass', scores(0.91, 0.8, 0.92), 'antecedent'],
  ])('%s', (_, s, role) => {
    expect(headRoleLabel(s)).toBe(role);
  });
});

describe('pickNextToken', () => {
  const logits = [0.1, 3, 2.9, -1, 0.5];
  it('greedy takes the most likely token', () => {
    expect(pickNextToken(logits, { kind: 'greedy' }, 0)).toBe(1);
  });
  it('top-k sampling draws only among the k most likely, reproducibly from the seed', () => {
    const draws = Array.from({ length: 50 }, (_, i) => pickNextToken(logits, { kind: 'top-k', k: 2, seed: 9 }, i));
    expect(new Set(draws)).toEqual(new Set([1, 2]));
    expect(Array.from({ length: 50 }, (_, i) => pickNextToken(logits, { kind: 'top-k', k: 2, seed: 9 }, i))).toEqual(draws);
    expect(pickNextToken(logits, { kind: 'top-k', k: 1, seed: 3 }, 7)).toBe(1);
  });
});

describe('a model head as a matrix-mode problem', () => {
  it('carries the head’s Q, K, V and options, and its reference equals the head’s slice of the layer', async () => {
    const weights = randomModelWeights(smallConfig('llama'), 4);
    const ids = [1, 5, 9, 2, 7];
    const { calls } = await forward64(weights, ids);
    const call = { ...calls[1], inputs: { q: f32(calls[1].inputs.q), k: f32(calls[1].inputs.k), v: f32(calls[1].inputs.v) } };
    const labels = { queries: ids.map(String), keys: ids.map(String) };
    const state = withModelHeadAsMatrices(defaultState(), call, 3, labels);
    expect(state.mode).toBe('matrix');
    expect(state.options).toMatchObject({ heads: 1, kvHeads: null, causal: true, rope: { layout: 'half', base: 10000 } });
    expect(state.matrix.queryLabels).toEqual(labels.queries);
    expect(() => parseState(JSON.parse(JSON.stringify(state)))).not.toThrow();
    const problem = buildProblem(state, null);
    const single = headInputs(call, 3);
    expect(Array.from(problem.inputs.k.data)).toEqual(Array.from(single.k.data));
    const whole = attentionReference(call.inputs, call.options);
    const mine = attentionReference(problem.inputs, problem.options);
    const dk = weights.config.headDim;
    for (let i = 0; i < ids.length; i++)
      for (let c = 0; c < dk; c++)
        expect(mine.output.data[i * dk + c]).toBeCloseTo(whole.output.data[i * whole.output.cols + 3 * dk + c], 12);
  });
});

function f32(m: { rows: number; cols: number; data: ArrayLike<number> }) {
  return { rows: m.rows, cols: m.cols, data: Float32Array.from(m.data) };
}

describe('generated tokens belong to the model that generated them', () => {
  const builtin: ModelSourceState = { kind: 'builtin' };
  const big: ModelSourceState = { kind: 'files', names: ['big.gguf'], sizes: [52_000] };
  const url: ModelSourceState = { kind: 'url', url: 'https://x.org/m.gguf' };
  const pair: ModelSourceState = { kind: 'files', names: ['m.safetensors', 'config.json'], sizes: [4096, 120] };

  it.each<[string, ModelSourceState, ModelSourceState, boolean]>([
    ['the built-in model', builtin, builtin, true],
    ['the same URL', url, { kind: 'url', url: 'https://x.org/m.gguf' }, true],
    ['another URL', url, { kind: 'url', url: 'https://x.org/n.gguf' }, false],
    ['the same file chosen again', big, { kind: 'files', names: ['big.gguf'], sizes: [52_000] }, true],
    ['a file of the same name and another size', big, { kind: 'files', names: ['big.gguf'], sizes: [51_999] }, false],
    ['a file of another name', big, { kind: 'files', names: ['small.gguf'], sizes: [52_000] }, false],
    ['the same files in another order', pair, { kind: 'files', names: ['config.json', 'm.safetensors'], sizes: [120, 4096] }, true],
    ['one file of a pair', pair, { kind: 'files', names: ['m.safetensors'], sizes: [4096] }, false],
    ['a link saved with names only', { kind: 'files', names: ['big.gguf'] }, big, true],
    ['the built-in model standing in for a file', big, builtin, false],
    ['the built-in model standing in for a URL', url, builtin, false],
    ['a file for the built-in model', builtin, big, false],
  ])('%s', (_, named, loaded, same) => {
    expect(sameModelSource(named, loaded)).toBe(same);
    expect(sameModelSource(loaded, named)).toBe(same);
  });

  it('the model that generated them runs them, and may generate more', () => {
    expect(generatedTokens({ source: big, generated: [329, 37, 250] }, big, 403)).toEqual({
      run: [329, 37, 250],
      setAside: null,
      canGenerate: true,
    });
  });

  it('another model shown meanwhile runs the text only: they are set aside, and Generate is off', () => {
    expect(generatedTokens({ source: big, generated: [329, 37] }, builtin, 167)).toEqual({
      run: [],
      setAside: { count: 2, reason: 'another-model' },
      canGenerate: false,
    });
    // Ids inside the stand-in's vocabulary too: running them would make up a generation it never made.
    expect(generatedTokens({ source: big, generated: [3, 4, 5] }, builtin, 167).run).toEqual([]);
    expect(generatedTokens({ source: url, generated: [] }, builtin, 167)).toEqual({ run: [], setAside: null, canGenerate: false });
  });

  it('ids outside the vocabulary of the model named (another file of the same name, saved by names only) are set aside', () => {
    expect(generatedTokens({ source: { kind: 'files', names: ['big.gguf'] }, generated: [3, 402] }, big, 40)).toEqual({
      run: [],
      setAside: { count: 2, reason: 'outside-vocabulary' },
      canGenerate: false,
    });
  });

  const note = (named: ModelSourceState, loaded: ModelSourceState, generated: number[], vocabSize: number) =>
    modelSourceNote(named, loaded, generatedTokens({ source: named, generated }, loaded, vocabSize), vocabSize);

  it.each<[string, ModelSourceState, ModelSourceState, number[], string | null]>([
    ['the model named is shown', big, big, [29], null],
    [
      'a file after a reload, with its tokens',
      big,
      builtin,
      [329, 37, 250, 349, 102, 225, 191, 341],
      'This state was made with your model file (big.gguf), not open now: a page cannot reopen a file by itself, so choose it again. The built-in model is shown meanwhile, on your text only: the 8 generated tokens belong to big.gguf and come back when you choose it again. Generate is off until then.',
    ],
    [
      'files after a reload, one token',
      pair,
      builtin,
      [9],
      'This state was made with your model files (m.safetensors, config.json), not open now: a page cannot reopen a file by itself, so choose them again. The built-in model is shown meanwhile, on your text only: the 1 generated token belongs to m.safetensors, config.json and comes back when you choose them again. Generate is off until then.',
    ],
    [
      'a file after a reload, no tokens',
      big,
      builtin,
      [],
      'This state was made with your model file (big.gguf), not open now: a page cannot reopen a file by itself, so choose it again. The built-in model is shown meanwhile. Generate is off until then.',
    ],
    [
      'a URL not fetched',
      url,
      builtin,
      [5, 6],
      'Nothing is downloaded unless you ask: press Load to fetch https://x.org/m.gguf. The built-in model is shown meanwhile, on your text only: the 2 generated tokens belong to the model at https://x.org/m.gguf and come back when you press Load. Generate is off until then.',
    ],
    [
      'the built-in model named after an Undo past a file',
      builtin,
      big,
      [5, 6],
      'This state was made with the built-in model: press Built-in model to show it again. big.gguf is shown meanwhile, on your text only: the 2 generated tokens belong to the built-in model and come back when you press Built-in model. Generate is off until then.',
    ],
    [
      'ids that do not fit the model named',
      { kind: 'files', names: ['big.gguf'] },
      big,
      [3, 402],
      'The 2 generated tokens saved with this model do not fit it (an id is outside its vocabulary of 40): they are set aside and the model runs on your text only. Clear them to generate again.',
    ],
    [
      'one id that does not fit the model named',
      { kind: 'files', names: ['big.gguf'] },
      big,
      [402],
      'The 1 generated token saved with this model does not fit it (an id is outside its vocabulary of 40): it is set aside and the model runs on your text only. Clear it to generate again.',
    ],
  ])('the note: %s', (_, named, loaded, generated, text) => {
    expect(note(named, loaded, generated, 40)).toBe(text);
  });
});
