import { DEFAULT_OPTIONS } from '../src/core/options';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyMaskOp, applyMatrixOp } from '../src/core/edits';
import type { MatrixName, MatrixOp } from '../src/core/edits';
import { parseEmbeddings } from '../src/core/embeddings';
import { evaluate } from '../src/core/evaluate';
import { buildProblem, combinedMask, fillLabels, fitMask } from '../src/core/problem';
import { explainMasked, explainOutput, explainProb, explainRaw, explainScaled, hiddenBecause } from '../src/core/provenance';
import { attentionReference } from '../src/core/reference';
import type { PlaygroundState } from '../src/core/state';
import { defaultState } from '../src/core/state';

const embeddings = parseEmbeddings(readFileSync(new URL('../src/assets/embeddings/glove-20k-int8.bin', import.meta.url)));

/** Q 2×3, K 3×3, V 3×2, labelled. */
function base(): PlaygroundState {
  const s = defaultState();
  return {
    ...s,
    matrix: {
      ...s.matrix,
      queryLabels: ['a', 'b'],
      keyLabels: ['x', 'y', 'z'],
      featureLabels: ['f0', 'f1', 'f2'],
      valueLabels: ['v0', 'v1'],
    },
  };
}

const shapeOf = (s: PlaygroundState) => ({
  q: [s.matrix.q.length, s.matrix.q[0].length],
  k: [s.matrix.k.length, s.matrix.k[0].length],
  v: [s.matrix.v.length, s.matrix.v[0].length],
});

describe('applyMatrixOp keeps the problem consistent', () => {
  it.each<[string, MatrixName, MatrixOp, { q: number[]; k: number[]; v: number[] }]>([
    ['a query row', 'q', { kind: 'insert-row', at: 1 }, { q: [3, 3], k: [3, 3], v: [3, 2] }],
    ['a key row (V gets one too)', 'k', { kind: 'insert-row', at: 3 }, { q: [2, 3], k: [4, 3], v: [4, 2] }],
    ['a value row (K loses one too)', 'v', { kind: 'remove-row', at: 0 }, { q: [2, 3], k: [2, 3], v: [2, 2] }],
    ['a Q column (K gets one too)', 'q', { kind: 'insert-col', at: 0 }, { q: [2, 4], k: [3, 4], v: [3, 2] }],
    ['a K column (Q loses one too)', 'k', { kind: 'remove-col', at: 2 }, { q: [2, 2], k: [3, 2], v: [3, 2] }],
    ['a V column (alone)', 'v', { kind: 'insert-col', at: 2 }, { q: [2, 3], k: [3, 3], v: [3, 3] }],
    [
      'a paste that grows K (V and Q follow)',
      'k',
      {
        kind: 'paste',
        row: 2,
        col: 2,
        block: [
          [1, 2],
          [3, 4],
        ],
      },
      { q: [2, 4], k: [4, 4], v: [4, 2] },
    ],
  ])('adding or removing %s', (_, name, op, expected) => {
    const next = applyMatrixOp(base(), name, op);
    expect(shapeOf(next)).toEqual(expected);
    expect(() => buildProblem(next, null)).not.toThrow();
  });

  it('moves labels and padding marks with the rows', () => {
    const s = { ...base(), padding: [1, 2] };
    const inserted = applyMatrixOp(s, 'k', { kind: 'insert-row', at: 1 });
    expect(inserted.matrix.keyLabels).toEqual(['x', '', 'y', 'z']);
    expect(inserted.padding).toEqual([2, 3]);
    const removed = applyMatrixOp(s, 'v', { kind: 'remove-row', at: 1 });
    expect(removed.matrix.keyLabels).toEqual(['x', 'z']);
    expect(removed.padding).toEqual([1]);
    const col = applyMatrixOp(s, 'q', { kind: 'remove-col', at: 0 });
    expect(col.matrix.featureLabels).toEqual(['f1', 'f2']);
  });

  it('never removes the last row or column', () => {
    const s = applyMatrixOp(base(), 'q', { kind: 'remove-row', at: 0 });
    const once = applyMatrixOp(s, 'q', { kind: 'remove-row', at: 0 });
    expect(once.matrix.q.length).toBe(1);
    expect(once.matrix.queryLabels).toEqual(['b']);
  });

  it('sets one cell without touching the others', () => {
    const s = base();
    const next = applyMatrixOp(s, 'v', { kind: 'set', row: 2, col: 1, value: -7 });
    expect(next.matrix.v).toEqual([
      [1, 2],
      [3, 4],
      [5, -7],
    ]);
    expect(next.matrix.q).toBe(s.matrix.q);
    expect(s.matrix.v[2][1]).toBe(6);
  });

  it('edits a generated projection without changing its shape', () => {
    const generated = {
      wq: [
        [1, 0],
        [0, 1],
        [0, 0],
      ],
    };
    const s = base();
    const edited = applyMatrixOp(s, 'wq', { kind: 'set', row: 2, col: 1, value: 5 }, generated);
    expect(edited.sentence.wq).toEqual([
      [1, 0],
      [0, 1],
      [0, 5],
    ]);
    const pasted = applyMatrixOp(
      edited,
      'wq',
      {
        kind: 'paste',
        row: 2,
        col: 1,
        block: [
          [8, 9],
          [8, 9],
        ],
      },
      generated,
    );
    expect(pasted.sentence.wq).toEqual([
      [1, 0],
      [0, 1],
      [0, 8],
    ]);
    expect(applyMatrixOp(edited, 'wq', { kind: 'insert-row', at: 0 }, generated)).toBe(edited);
    expect(applyMatrixOp(edited, 'wq', { kind: 'replace', grid: [[1]] }, generated)).toBe(edited);
  });
});

describe('masks and padding', () => {
  it('toggles cells of a mask that does not exist yet, and padding marks', () => {
    let s = applyMaskOp(base(), { kind: 'toggle', row: 1, col: 2 }, 2, 3);
    expect(s.mask).toEqual([
      [1, 1, 1],
      [1, 1, 0],
    ]);
    s = applyMaskOp(s, { kind: 'toggle-padding', key: 0 }, 2, 3);
    expect(s.padding).toEqual([0]);
    const p = buildProblem(s, null);
    expect(Array.from(p.inputs.mask!.data)).toEqual([0, 1, 1, 0, 1, 0]);
    expect(hiddenBecause(p, 0, 0)).toMatch(/x is marked as padding/);
    expect(hiddenBecause(p, 1, 2)).toMatch(/the mask hides this pair/);
    expect(hiddenBecause(p, 0, 1)).toBeNull();
    s = applyMaskOp(s, { kind: 'clear' }, 2, 3);
    expect(buildProblem(s, null).inputs.mask).toBeNull();
  });

  it('fits an old mask to a new shape, new pairs visible', () => {
    expect(fitMask([[0, 1]], 2, 3)).toEqual([
      [0, 1, 1],
      [1, 1, 1],
    ]);
    expect(fitMask(null, 2, 2)).toBeNull();
    expect(combinedMask([[1, 1]], new Set(), 1, 2)).toBeNull();
  });

  it('fills missing labels with numbered ones', () => {
    expect(fillLabels(['a', '', ' '], 4, 'k')).toEqual(['a', 'k1', 'k2', 'k3']);
    expect(fillLabels(null, 2, 'q')).toEqual(['q0', 'q1']);
  });
});

describe('buildProblem', () => {
  it('names what is wrong before anything runs', () => {
    const s = base();
    expect(() => buildProblem(applyMatrixOp(s, 'v', { kind: 'replace', grid: [[1], [2]] }), null)).toThrow(/K has 3 rows but V has 2/);
    expect(() => buildProblem({ ...s, options: { ...s.options, heads: 2 } }, null)).toThrow(/not divisible by 2 heads/);
  });

  it('builds a sentence problem with token labels and unknown words marked', () => {
    const s = defaultState();
    const p = buildProblem({ ...s, mode: 'sentence', sentence: { ...s.sentence, source: 'the zqxv sat' } }, embeddings);
    expect(p.queryLabels).toEqual(['the', 'zqxv', 'sat']);
    expect(p.keyKnown).toEqual([true, false, true]);
    expect(p.shape).toMatchObject({ n: 3, m: 3, dk: 8, dv: 8 });
  });

  it('cross-attention takes queries from the target sentence', () => {
    const s = defaultState();
    const p = buildProblem(
      { ...s, mode: 'sentence', sentence: { ...s.sentence, source: 'the black cat', target: 'le chat noir et', cross: true } },
      embeddings,
    );
    expect(p.queryLabels).toEqual(['le', 'chat', 'noir', 'et']);
    expect(p.keyLabels).toEqual(['the', 'black', 'cat']);
    expect(p.shape).toMatchObject({ n: 4, m: 3 });
  });

  it('says so when a sentence has no words', () => {
    const s = defaultState();
    expect(() => buildProblem({ ...s, mode: 'sentence', sentence: { ...s.sentence, source: ' , . ' } }, embeddings)).toThrow(/no words/);
  });
});

describe('evaluate and provenance', () => {
  const s: PlaygroundState = { ...base(), options: { ...DEFAULT_OPTIONS, scale: 'default', temperature: 2, causal: true, heads: 1 } };
  const problem = buildProblem(s, null);
  const reference = attentionReference(problem.inputs, problem.options);

  it('compares GPU stages and maps the errors', () => {
    const gpu = {
      scores: Float32Array.from(reference.masked.data),
      probs: Float32Array.from(reference.probs.data),
      output: Float32Array.from(reference.output.data),
    };
    gpu.output[1] += 0.5;
    const result = evaluate({ inputs: problem.inputs, options: problem.options, gpu });
    expect(result.check!.scores!.pass).toBe(true);
    expect(result.check!.output.pass).toBe(false);
    expect(result.check!.pass).toBe(false);
    expect(result.errors!.output[1]).toBeCloseTo(0.5, 6);
    // masked entries are −∞ on both sides: no error
    expect(result.errors!.scores![1]).toBe(0);
    expect(evaluate({ inputs: problem.inputs, options: problem.options, gpu: null }).check).toBeNull();
  });

  const ctx = { problem, reference };

  it('explains a raw score as q·k with its terms', () => {
    const e = explainRaw(ctx, 0, 0, 2);
    expect(e.title).toBe('raw score a → z');
    expect(e.lines[1]).toBe('= 1·0 + 0·0 + 1·1');
    expect(e.lines[2]).toBe('= 1');
  });

  it('explains the scale and temperature', () => {
    expect(explainScaled(ctx, 0, 1, 1).lines).toContain('scale = 1/√3 = 0.5774');
    expect(explainScaled(ctx, 0, 1, 1).lines[1]).toBe('= 1 × 0.5774 ÷ 2');
  });

  it('explains why a pair is hidden', () => {
    expect(explainMasked(ctx, 0, 0, 2).lines[0]).toMatch(/causal: key 2 comes after query 0/);
    expect(explainMasked(ctx, 0, 1, 0).lines[0]).toMatch(/visible/);
  });

  it('explains a weight as exp(s − max) / Σ', () => {
    const e = explainProb(ctx, 0, 1, 0);
    expect(e.lines[0]).toBe('p = exp(s − max) / Σ_j exp(s_j − max)');
    expect(e.lines.at(-1)).toBe(`p = ${reference.probs.data[3]}`);
  });

  it('explains an output as weights × values, largest first', () => {
    const e = explainOutput(ctx, 1, 0);
    expect(e.title).toBe('output b, v0');
    // query b sees all three keys (causal aligns the last query with the last key); z × 5 is the largest term
    expect(e.lines[1]).toMatch(/\(z\) × 5 =/);
    expect(e.lines[3]).toMatch(/\(x\) × 1 =/);
    expect(e.lines.at(-1)).toBe(`= ${reference.output.data[2]}`);
  });
});
