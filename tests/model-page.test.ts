/**
 * The pure parts of model mode (issue 13): the model fields of the page's state (parseState, with
 * a message naming each bad value), the head-role label, next-token sampling, and one head of a
 * model step as a matrix-mode problem.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/core/errors';
import { DEFAULT_MODEL_STATE, defaultState, parseState } from '../src/core/state';
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

  it.each([
    ['a mode that does not exist', { ...defaultState(), mode: 'models' }, 'state.mode must be one of matrix, sentence, model'],
    ['a source kind', withModel({ source: { kind: 'ftp' } }), 'state.model.source.kind must be one of builtin, url, files'],
    [
      'a URL that is not http(s)',
      withModel({ source: { kind: 'url', url: 'javascript:alert(1)' } }),
      'state.model.source.url must start with http:// or https://',
    ],
    ['files without names', withModel({ source: { kind: 'files', names: [] } }), 'state.model.source.names must name 1 to 16 files'],
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
