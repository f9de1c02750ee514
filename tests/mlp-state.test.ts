import { describe, expect, it } from 'vitest';
import { checkState, decodeState, defaultState, encodeState, parseState } from '../src/core/state';
import { applyMlpMatrixOp, mlpWeights } from '../src/core/mlp-state';
import { buildProblem } from '../src/core/problem';
import { mlpPreActivations, mlpReference } from '../src/core/mlp';
import { attentionReference } from '../src/core/reference';
import { withMode } from '../src/core/mode';
import { InputError } from '../src/core/errors';

const inMlp = () => withMode(defaultState(), 'mlp');

describe('MLP mode in the state', () => {
  it('a link restores the mode, the three matrices, φ and the softmax toggle', () => {
    const s = { ...inMlp(), mlp: { ...inMlp().mlp, activation: 'gelu' as const, softmax: true, x: [[3, -2, 1]] } };
    checkState(s);
    const back = decodeState(encodeState(s));
    expect(back.mode).toBe('mlp');
    expect(back.mlp).toEqual(s.mlp);
  });

  it('a saved state from before MLP mode reads with the built-in example', () => {
    const old = JSON.parse(JSON.stringify(defaultState()));
    delete old.mlp;
    expect(parseState(old).mlp).toEqual(defaultState().mlp);
  });

  it.each([
    ['an unknown φ', { activation: 'tanh' }, /activation/],
    ['a toggle that is not a boolean', { softmax: 'yes' }, /softmax/],
    ['a ragged W₁', { w1: [[1, 2], [3]] }, /w1/],
    ['a non-number in x', { x: [[1, 'a']] }, /x/],
  ])('%s is refused with a message naming the field', (_, patch, message) => {
    const s = JSON.parse(JSON.stringify(inMlp()));
    Object.assign(s.mlp, patch);
    expect(() => parseState(s)).toThrow(InputError);
    expect(() => parseState(s)).toThrow(message);
  });

  it('entering MLP mode leaves the fused variant (it has only an online softmax)', () => {
    expect(withMode({ ...defaultState(), variant: 'fused' }, 'mlp').variant).toBe('tiled');
    expect(withMode({ ...defaultState(), variant: 'naive' }, 'mlp').variant).toBe('naive');
  });
});

describe('the built-in example', () => {
  it('has a negative pre-activation in every row, so ReLU matters', () => {
    const pre = mlpPreActivations(mlpWeights(defaultState().mlp));
    // W₁x0 = [0.5, −3, 3, 1], W₁x1 = [0, 1.5, −0.5, −0.75], W₁x2 = [2.5, 2, 1, −3.5]
    expect(Array.from(pre.data)).toEqual([0.5, -3, 3, 1, 0, 1.5, -0.5, -0.75, 2.5, 2, 1, -3.5]);
  });

  it('its problem is the attention form with φ and gives the MLP’s y', () => {
    const s = inMlp();
    const p = buildProblem(s, null);
    expect(p.options).toMatchObject({ score: 'dot', scale: 'none', temperature: 1, activation: 'relu', causal: false, heads: 1 });
    const ref = attentionReference(p.inputs, p.options);
    // ReLU(W₁x0) = [0.5, 0, 3, 1]; y0 = [0.5 − 0 + 1.5 + 2, 0 + 0 + 3 − 1] = [4, 2]
    expect(Array.from(ref.output.data.subarray(0, 2))).toEqual([4, 2]);
    expect(Array.from(ref.output.data)).toEqual(Array.from(mlpReference(mlpWeights(s.mlp), 'relu').data));
    const back = buildProblem({ ...s, mlp: { ...s.mlp, softmax: true } }, null);
    expect(back.options.activation).toBe('softmax');
  });
});

describe('matrix edits keep the shapes linked', () => {
  it.each([
    ['a column of x adds one to W₁', 'x', { kind: 'insert-col', at: 3 }, [3, 4], [4, 4], [2, 4]],
    ['a row of W₁ adds a column to W₂', 'w1', { kind: 'insert-row', at: 4 }, [3, 3], [5, 3], [2, 5]],
    ['removing a column of W₂ removes a row of W₁', 'w2', { kind: 'remove-col', at: 0 }, [3, 3], [3, 3], [2, 3]],
    ['removing a column of W₁ removes one of x', 'w1', { kind: 'remove-col', at: 1 }, [3, 2], [4, 2], [2, 4]],
  ] as const)('%s', (_, name, op, x, w1, w2) => {
    const next = applyMlpMatrixOp(inMlp(), name, op);
    const shape = (g: number[][]) => [g.length, g[0].length];
    expect([shape(next.mlp.x), shape(next.mlp.w1), shape(next.mlp.w2)]).toEqual([x, w1, w2]);
  });

  it('an imported W₂ that does not fit is an InputError naming both shapes; the state is untouched', () => {
    const s = inMlp();
    expect(() => applyMlpMatrixOp(s, 'w2', { kind: 'replace', grid: [[1, 2]] })).toThrow(/W₂ is 1×2 but W₁ is 4×3/);
    expect(s.mlp).toEqual(defaultState().mlp);
  });
});
