/**
 * The playground's pure parts for big and multi-head problems: sampled rows of a long sequence
 * (the reference on them equals those rows of the whole reference, causal and mask included),
 * the random problem generator, state size, heads with their own sentence projections, and the
 * heatmap downsampling.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEmbeddings } from '../src/core/embeddings';
import { fromMatrix } from '../src/core/grid';
import { buildProblem, needsSampling, referenceOptions, sampleCount, sampleProblem, evenlySpacedRows } from '../src/core/problem';
import { hiddenBecause } from '../src/core/provenance';
import { perHeadWidths } from '../src/core/shapes';
import { attentionReference } from '../src/core/reference';
import { randomMatrix } from '../src/core/rng';
import { headProjections, projection, projectionSeed, sentenceQKV } from '../src/core/sentence';
import type { PlaygroundState } from '../src/core/state';
import { defaultState, randomProblemError, stateCells, withHeads, withRandomProblem } from '../src/core/state';
import { poolCaption, poolLabels, poolMatrix } from '../src/ui/heatmap-pool';

const embeddings = parseEmbeddings(readFileSync(new URL('../src/assets/embeddings/glove-20k-int8.bin', import.meta.url)));

function matrixState(n: number, m: number, width: number, options: Partial<PlaygroundState['options']> = {}): PlaygroundState {
  const s = defaultState();
  return {
    ...s,
    matrix: {
      ...s.matrix,
      q: fromMatrix(randomMatrix(n, width, 1)),
      k: fromMatrix(randomMatrix(m, width, 2)),
      v: fromMatrix(randomMatrix(m, width, 3)),
    },
    options: { ...s.options, ...options },
  };
}

describe('sampled rows of a big problem', () => {
  it('picks evenly spaced rows, first and last included', () => {
    expect(evenlySpacedRows(5, 8)).toEqual([0, 1, 2, 3, 4]);
    expect(evenlySpacedRows(9, 3)).toEqual([0, 4, 8]);
    expect(evenlySpacedRows(8192, 128)).toHaveLength(128);
    expect(evenlySpacedRows(8192, 128).at(-1)).toBe(8191);
  });

  it('samples only past the reference limit, about 2^20 scores worth of rows', () => {
    expect(needsSampling({ n: 1024, m: 1024, dk: 64, dv: 64, heads: 1, kvHeads: 1, dModel: null })).toBe(false);
    const big = { n: 8192, m: 8192, dk: 64, dv: 64, heads: 1, kvHeads: 1, dModel: null };
    expect(needsSampling(big)).toBe(true);
    expect(sampleCount(big)).toBe(128);
    expect(sampleCount({ ...big, heads: 8 })).toBe(16);
  });

  it.each([
    ['plain', {}, false],
    ['causal', { causal: true }, false],
    ['causal, 2 heads, with a mask and padding', { causal: true, heads: 2 }, true],
  ])('%s: the reference on the sample is those rows of the whole reference', (_, options, masked) => {
    const n = 40,
      m = 33;
    let state = matrixState(n, m, 8, options);
    if (masked)
      state = {
        ...state,
        mask: Array.from({ length: n }, (_, i) => Array.from({ length: m }, (_, j) => ((i * 7 + j * 3) % 5 === 0 ? 0 : 1))),
        padding: [4],
      };
    const full = buildProblem(state, null);
    const rows = evenlySpacedRows(n, 6);
    const sample = sampleProblem(full, rows);
    expect(sample.shape).toMatchObject({ n: 6, m, heads: full.shape.heads });
    expect(sample.queryLabels).toEqual(rows.map((r) => `q${r}`));
    expect(sample.sample).toEqual({ rows, n });
    expect(referenceOptions(sample).causal).toBe(false);
    expect(sample.options).toEqual(full.options);
    const whole = attentionReference(full.inputs, full.options);
    const part = attentionReference(sample.inputs, referenceOptions(sample));
    const { heads, dv } = full.shape;
    for (let t = 0; t < heads; t++) {
      rows.forEach((r, i) => {
        const wholeRow = whole.probs.data.subarray((t * n + r) * m, (t * n + r + 1) * m);
        const partRow = part.probs.data.subarray((t * 6 + i) * m, (t * 6 + i + 1) * m);
        expect(Array.from(partRow), `head ${t} row ${r}`).toEqual(Array.from(wholeRow));
      });
    }
    const width = heads * dv;
    rows.forEach((r, i) =>
      expect(Array.from(part.output.data.subarray(i * width, (i + 1) * width))).toEqual(
        Array.from(whole.output.data.subarray(r * width, (r + 1) * width)),
      ),
    );
    // The tooltip's reason names the whole problem's row.
    if (full.options.causal) expect(hiddenBecause(sample, 1, m - 1)).toMatch(new RegExp(`query ${rows[1]}$`));
  });
});

describe('the random problem generator', () => {
  it('makes seeded Q, K, V of any size, heads·dk wide, and drops mask, padding and labels', () => {
    const s = {
      ...defaultState(),
      mask: [
        [0, 1, 1],
        [1, 1, 1],
      ],
      padding: [1],
      presetId: 'worked-3d',
      options: { ...defaultState().options, heads: 2 },
    };
    const next = withRandomProblem(s, { n: 300, m: 200, dk: 8, dv: 4, seed: 7 });
    expect([next.matrix.q.length, next.matrix.q[0].length, next.matrix.k.length, next.matrix.v[0].length]).toEqual([300, 16, 200, 8]);
    expect(next).toMatchObject({ mode: 'matrix', presetId: null, mask: null, padding: [] });
    expect(withRandomProblem(s, { n: 300, m: 200, dk: 8, dv: 4, seed: 7 }).matrix.q).toEqual(next.matrix.q);
    expect(next.matrix.q.flat().every((x) => x >= -1 && x < 1)).toBe(true);
    expect(stateCells(next)).toBe(300 * 16 + 200 * 16 + 200 * 8);
  });

  // The random panel sizes one head; its note must give the widths the grids will show.
  it.each([
    [2, 2, 8, 4, 'per head: 2 heads give Q, K 2·8 = 16 columns, V 8', [16, 16, 8]],
    [4, 1, 2, 3, 'per head: 4 heads give Q 4·2 = 8 columns; 1 K/V head gives K 2, V 3', [8, 2, 3]],
    [4, 2, 5, 1, 'per head: 4 heads give Q 4·5 = 20 columns; 2 K/V heads give K 10, V 2', [20, 10, 2]],
  ])(
    '%i heads, %i K/V, d_k %i and d_v %i per head: the note gives the widths the generator makes',
    (heads, kvHeads, dk, dv, note, widths) => {
      expect(perHeadWidths(heads, kvHeads, dk, dv)).toBe(note);
      const s = { ...defaultState(), options: { ...defaultState().options, heads, kvHeads } };
      const { q, k, v } = withRandomProblem(s, { n: 3, m: 5, dk, dv, seed: 1 }).matrix;
      expect([q[0].length, k[0].length, v[0].length]).toEqual(widths);
    },
  );

  it.each([
    [{ n: 0, m: 4, dk: 4, dv: 4, seed: 1 }, /n must be a whole number from 1 to 16384/],
    [{ n: 4, m: 20000, dk: 4, dv: 4, seed: 1 }, /m must be/],
    [{ n: 4, m: 4, dk: 4.5, dv: 4, seed: 1 }, /d_k must be/],
    [{ n: 4, m: 4, dk: 4, dv: 4, seed: NaN }, /seed/],
  ])('refuses %j', (size, message) => {
    expect(randomProblemError(size)).toMatch(message);
    expect(() => withRandomProblem(defaultState(), size)).toThrow(message);
  });

  it('refuses to fit a mask to a problem too big for one', () => {
    const s = withRandomProblem(defaultState(), { n: 4096, m: 2048, dk: 1, dv: 1, seed: 1 });
    expect(() => buildProblem({ ...s, padding: [0] }, null)).toThrow(/clear the mask and padding/);
    expect(buildProblem(s, null).inputs.mask).toBeNull();
  });
});

describe('sentence mode with several heads', () => {
  const sentence = { embeddings, source: 'the cat sat on the mat', dk: 4, dv: 3, seed: 5, positional: false };

  it('gives each head its own projection block; head 0 is the one-head projection', () => {
    const one = sentenceQKV(sentence);
    const four = sentenceQKV({ ...sentence, heads: 4 });
    expect([four.wq.cols, four.wk.cols, four.wv.cols, four.q.cols, four.v.cols]).toEqual([16, 16, 12, 16, 12]);
    for (let i = 0; i < 6; i++) {
      expect(Array.from(four.q.data.subarray(i * 16, i * 16 + 4))).toEqual(Array.from(one.q.data.subarray(i * 4, i * 4 + 4)));
    }
    const head = (t: number) =>
      Array.from({ length: 100 }, (_, i) => Array.from(four.wq.data.subarray(i * 16 + t * 4, i * 16 + t * 4 + 4)));
    expect(head(1)).not.toEqual(head(0));
    expect(head(2)).toEqual(
      Array.from({ length: 100 }, (_, i) =>
        Array.from(projection(100, 4, 'random', projectionSeed('wq', 5, 2)).data.subarray(i * 4, i * 4 + 4)),
      ),
    );
  });

  it('the identity gives each head other coordinates of the word vector', () => {
    const w = headProjections(100, 3, 2, 'identity', () => 0);
    expect(w.cols).toBe(6);
    for (let c = 0; c < 6; c++) expect(w.data[c * 6 + c], `column ${c}`).toBe(1);
    expect(w.data.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('withHeads keeps edited projections that fit and drops those that do not', () => {
    const s = defaultState();
    const w = (cols: number) => Array.from({ length: 100 }, () => new Array<number>(cols).fill(0.1));
    const edited = {
      ...s,
      mode: 'sentence' as const,
      sentence: { ...s.sentence, dk: 2, dv: 2, wq: w(4), wk: w(4), wv: w(4), featureLabels: ['a', 'b', 'c', 'd'] },
    };
    expect(withHeads(edited, 2).sentence.wq).toEqual(w(4));
    const three = withHeads(edited, 3);
    expect(three.options.heads).toBe(3);
    expect(three.sentence).toMatchObject({ wq: null, wk: null, wv: null, featureLabels: null });
    const problem = buildProblem(three, embeddings);
    expect(problem.inputs.q.cols).toBe(6);
    expect(problem.shape).toMatchObject({ heads: 3, dk: 2, dv: 2 });
  });
});

describe('heatmap downsampling', () => {
  it('leaves a map that fits alone', () => {
    expect(poolMatrix(new Float64Array(12), 3, 4, 10, 10)).toBeNull();
  });

  it('shows each block by its largest |value|, remembering where it was; NaN always shows', () => {
    const rows = 4,
      cols = 6;
    const values = Float64Array.from({ length: rows * cols }, (_, i) => (i === 9 ? -5 : i === 20 ? NaN : i / 100));
    values.fill(-Infinity, 0, 3);
    const pooled = poolMatrix(values, rows, cols, 2, 2)!;
    expect(pooled).toMatchObject({ rows: 2, cols: 2, blockRows: 2, blockCols: 3 });
    expect(Array.from(pooled.values)).toEqual([0.08, -5, NaN, 0.23]);
    expect(Array.from(pooled.source)).toEqual([8, 9, 20, 23]);
    expect(poolLabels(['a', 'b', 'c', 'd'], 2, 2)).toEqual(['a', 'c']);
  });

  // The caption is computed from poolMatrix's own result, so it says what is drawn.
  it.each([
    [4, 6, 2, 2, '4×6, drawn as 2×2: each cell shows the largest |value| of a block of 2×3'],
    [256, 2048, 360, 512, '256×2048, drawn as 256×512: each cell shows the largest |value| of a block of 1×4'],
    [
      4,
      512,
      4,
      200,
      '4×512, drawn as 4×171: each cell shows the largest |value| of a block of 1×3 (the right-hand column of blocks is 2 wide)',
    ],
    [5, 6, 3, 3, '5×6, drawn as 3×3: each cell shows the largest |value| of a block of 2×2 (the bottom row of blocks is 1 tall)'],
    [
      721,
      1000,
      360,
      340,
      '721×1000, drawn as 241×334: each cell shows the largest |value| of a block of 3×3 (the bottom row of blocks is 1 tall, the right-hand column of blocks is 1 wide)',
    ],
  ])('captions a %i×%i map pooled to at most %i×%i truly', (rows, cols, maxRows, maxCols, caption) => {
    const pooled = poolMatrix(new Float64Array(rows * cols), rows, cols, maxRows, maxCols)!;
    expect(poolCaption(rows, cols, pooled)).toBe(caption);
  });

  it('keeps −∞ only where a whole block is masked', () => {
    const pooled = poolMatrix([-Infinity, -Infinity, -Infinity, 0.5], 1, 4, 1, 2)!;
    expect(Array.from(pooled.values)).toEqual([-Infinity, 0.5]);
  });
});
