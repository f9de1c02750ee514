/**
 * The attention features in the page, its pure parts (issue 11): checked option edits and the
 * messages that refuse bad values, K/V heads regrouping K and V, per-head options following the
 * head count, number lists, head groups, the window's visible range, sampled rows of a problem
 * whose rows depend on their position, output labels under GQA, sentence projections per K/V head,
 * W_o under GQA, the tooltips of the new maps, and the feature presets.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyMatrixOp } from '../src/core/edits';
import { InputError } from '../src/core/errors';
import {
  checkOptions,
  headGroups,
  optionsForHeads,
  parseNumberList,
  regroupKvColumns,
  stateHeadWidth,
  withOptions,
} from '../src/core/feature-options';
import { alibiSlopes, kvHeadChoices } from '../src/core/features';
import { fromMatrix } from '../src/core/grid';
import type { AttentionOptions } from '../src/core/options';
import { DEFAULT_OPTIONS, isVisible, MAX_WINDOW, positionalHide, visibleKeyRange } from '../src/core/options';
import { parsePreset } from '../src/core/presets';
import { buildProblem, outputLabels, referenceOptions, sampleProblem, sampleRows } from '../src/core/problem';
import type { ProvenanceContext } from '../src/core/provenance';
import { explainOutput, explainProb, explainRaw, hiddenBecause } from '../src/core/provenance';
import { explainBias, explainCapped, explainRotated } from '../src/core/provenance-features';
import { attentionReference } from '../src/core/reference';
import { randomMatrix } from '../src/core/rng';
import { parseEmbeddings } from '../src/core/embeddings';
import { projection, projectionSeed, sentenceQKV } from '../src/core/sentence';
import type { PlaygroundState } from '../src/core/state';
import { checkState, defaultState, parseState, stateFromPreset, withHeads, withRandomProblem } from '../src/core/state';

const embeddings = parseEmbeddings(readFileSync(new URL('../src/assets/embeddings/glove-20k-int8.bin', import.meta.url)));

function matrixState(
  n: number,
  m: number,
  qCols: number,
  kCols: number,
  vCols: number,
  options: Partial<AttentionOptions> = {},
): PlaygroundState {
  const s = defaultState();
  return {
    ...s,
    matrix: {
      ...s.matrix,
      q: fromMatrix(randomMatrix(n, qCols, 11)),
      k: fromMatrix(randomMatrix(m, kCols, 12)),
      v: fromMatrix(randomMatrix(m, vCols, 13)),
    },
    options: { ...DEFAULT_OPTIONS, ...options },
  };
}

function context(state: PlaygroundState): ProvenanceContext {
  const problem = buildProblem(state, null);
  return { problem, reference: attentionReference(problem.inputs, problem.options) };
}

/** The last number a tooltip line states ("= 1.25"). */
const stated = (lines: string[]) => Number(lines.at(-1)!.replace(/^.*= /, '').replace('−', '-'));

describe('checked option edits', () => {
  const opts = (o: Partial<AttentionOptions>) => ({ ...DEFAULT_OPTIONS, ...o });
  it.each([
    ['a window of 0', opts({ window: 0 }), 4, /sliding window must be a whole number of keys ≥ 1, got 0/],
    ['a softcap of 0', opts({ softcap: 0 }), 4, /logit softcap must be a positive finite number, got 0/],
    ['a negative softcap', opts({ softcap: -2 }), 4, /logit softcap must be a positive finite number, got -2/],
    ['3 K/V heads for 4 heads', opts({ heads: 4, kvHeads: 3 }), 4, /K\/V heads \(3\) must divide the 4 query heads.*choose 1, 2, 4/],
    ['3 K/V heads for 1 head', opts({ heads: 1, kvHeads: 3 }), 4, /^K\/V heads \(3\) must divide the 1 query head: choose 1$/],
    [
      'a window past the state’s bound',
      opts({ window: MAX_WINDOW + 1 }),
      4,
      /sliding window can be at most 16,777,216 keys \(2\^24\), got 16,777,217/,
    ],
    [
      'RoPE with an odd d_k',
      opts({ rope: { layout: 'half', base: 10000, dims: null, offset: 0 } }),
      3,
      /needs an even head width dk, got 3/,
    ],
    [
      'RoPE rotating more dims than d_k',
      opts({ rope: { layout: 'half', base: 10000, dims: 8, offset: 0 } }),
      4,
      /even number from 2 to dk = 4, got 8/,
    ],
    ['two slopes for four heads', opts({ heads: 4, alibi: [0.5, 0.25] }), 4, /one slope per query head: got 2 slopes for 4 heads/],
    ['one sink for two heads', opts({ heads: 2, sinks: [1] }), 4, /one logit per query head: got 1 for 2 heads/],
  ])('refuses %s, naming the problem', (_, options, dk, message) => {
    expect(() => checkOptions(options, dk)).toThrow(InputError);
    expect(() => checkOptions(options, dk)).toThrow(message);
  });

  it('withOptions keeps the state as it was when a value is bad', () => {
    const state = matrixState(3, 3, 3, 3, 2);
    expect(stateHeadWidth(state)).toBe(3);
    expect(() => withOptions(state, { rope: { layout: 'half', base: 10000, dims: null, offset: 0 } })).toThrow(/even head width dk, got 3/);
    expect(state.options.rope).toBeNull();
    expect(withOptions(state, { window: 2 }).options.window).toBe(2);
  });

  it.each([1, MAX_WINDOW])('accepts a window of %i, as the state’s gate does', (window) => {
    const state = matrixState(3, 3, 3, 3, 2);
    expect(() => checkOptions(opts({ window }), 4)).not.toThrow();
    expect(() => checkState(withOptions(state, { window }))).not.toThrow();
  });

  it('bounds the window where the state’s gate does', () => {
    const state = matrixState(3, 3, 3, 3, 2);
    expect(() => checkState({ ...state, options: { ...state.options, window: MAX_WINDOW + 1 } })).toThrow(/options\.window/);
  });

  it('stores K/V heads equal to the heads as null', () => {
    const state = matrixState(2, 3, 8, 8, 4, { heads: 2 });
    expect(withOptions(state, { kvHeads: 2 }).options.kvHeads).toBeNull();
    expect(kvHeadChoices(12)).toEqual([1, 2, 3, 4, 6, 12]);
  });
});

describe('K/V heads regroup K and V', () => {
  it('regroups blocks: new K/V head g takes the block of its first query head', () => {
    const row = [[0, 1, 2, 3, 4, 5, 6, 7]];
    expect(regroupKvColumns(row, 2, 4, 1, 4)).toEqual([[0, 1]]);
    expect(regroupKvColumns(row, 2, 4, 2, 4)).toEqual([[0, 1, 4, 5]]);
    expect(regroupKvColumns([[0, 1]], 2, 1, 4, 4)).toEqual([[0, 1, 0, 1, 0, 1, 0, 1]]);
    expect(regroupKvColumns([[0, 1, 2]], 2, 1, 2, 4)).toBeNull();
  });

  it('matrix mode: 4 heads → MQA shrinks K and V to one head; back to 2 and 4 leaves the output unchanged', () => {
    const state = matrixState(3, 5, 8, 8, 4, { heads: 4 });
    const mqa = withOptions(state, { kvHeads: 1 });
    expect([mqa.matrix.k[0].length, mqa.matrix.v[0].length]).toEqual([2, 1]);
    expect(mqa.matrix.k.map((r) => r.slice(0, 2))).toEqual(state.matrix.k.map((r) => r.slice(0, 2)));
    const before = buildProblem(mqa, null);
    const out = (s: PlaygroundState) => {
      const p = buildProblem(s, null);
      return Array.from(attentionReference(p.inputs, p.options).output.data);
    };
    for (const kv of [2, 4]) {
      const grown = withOptions(mqa, { kvHeads: kv });
      expect(buildProblem(grown, null).shape.kvHeads).toBe(kv);
      expect(out(grown)).toEqual(out(mqa));
    }
    // Query head 0 read K/V head 0 before and after: its weights did not change.
    const p0 = buildProblem(state, null);
    const ref = attentionReference(p0.inputs, p0.options);
    const mqaRef = attentionReference(before.inputs, before.options);
    expect(Array.from(mqaRef.probs.data.subarray(0, 15))).toEqual(Array.from(ref.probs.data.subarray(0, 15)));
  });

  it('sentence mode: edited W_k and W_v are regrouped, and K/V projections are per K/V head', () => {
    const s = defaultState();
    const wk = fromMatrix(randomMatrix(100, 4 * 8, 5));
    const state: PlaygroundState = { ...s, mode: 'sentence', options: { ...s.options, heads: 4 }, sentence: { ...s.sentence, wk } };
    const next = withOptions(state, { kvHeads: 2 });
    expect(next.sentence.wk![0]).toEqual([...wk[0].slice(0, 8), ...wk[0].slice(16, 24)]);
    expect(next.sentence.wv).toBeNull();
    const qkv = sentenceQKV({ embeddings, source: 'the cat sat', dk: 8, dv: 4, heads: 4, kvHeads: 1, seed: 1, positional: false });
    expect([qkv.q.cols, qkv.k.cols, qkv.v.cols]).toEqual([32, 8, 4]);
    // K/V head 0 is the one-head projection.
    expect(Array.from(qkv.wk.data)).toEqual(Array.from(projection(100, 8, 'random', projectionSeed('wk', 1, 0)).data));
    const problem = buildProblem(
      { ...state, options: { ...state.options, kvHeads: 2 }, sentence: { ...state.sentence, wk: null } },
      embeddings,
    );
    expect(problem.shape).toMatchObject({ heads: 4, kvHeads: 2, dk: 8 });
  });

  it('the random problem makes K and V kv heads wide', () => {
    const s = withRandomProblem(
      { ...defaultState(), options: { ...DEFAULT_OPTIONS, heads: 4, kvHeads: 2 } },
      { n: 3, m: 4, dk: 2, dv: 3, seed: 1 },
    );
    expect([s.matrix.q[0].length, s.matrix.k[0].length, s.matrix.v[0].length]).toEqual([8, 4, 6]);
  });

  it('W_o follows the output (h·dv rows), not V, when K/V heads are shared', () => {
    const state = { ...matrixState(2, 3, 8, 2, 2, { heads: 4, kvHeads: 1 }) };
    const withWo = { ...state, matrix: { ...state.matrix, wo: fromMatrix(randomMatrix(8, 3, 4)) } };
    const wider = applyMatrixOp(withWo, 'v', { kind: 'insert-col', at: 2 });
    expect(wider.matrix.wo!.length).toBe(12);
    expect(buildProblem(wider, null).shape.dv).toBe(3);
  });

  it("sentence mode's W_o takes the heads' outputs (h·dv rows) when K/V heads are shared, and the problem builds", () => {
    const s = defaultState();
    const state: PlaygroundState = {
      ...s,
      mode: 'sentence',
      options: { ...s.options, heads: 2, kvHeads: 1 },
      sentence: { ...s.sentence, dk: 8, dv: 8, project: true },
    };
    const problem = buildProblem(state, embeddings);
    expect([problem.inputs.v.cols, problem.inputs.wo!.rows, problem.inputs.wo!.cols]).toEqual([8, 16, 100]);
    expect(problem.shape).toMatchObject({ heads: 2, kvHeads: 1, dv: 8, dModel: 100 });
  });

  it('names output columns after the V columns their K/V head reads', () => {
    const shape = { n: 1, m: 1, dk: 1, dv: 2, heads: 4, kvHeads: 2, dModel: null };
    expect(outputLabels(['a', 'b', 'c', 'd'], shape)).toEqual(['a·h0', 'b·h0', 'a·h1', 'b·h1', 'c·h2', 'd·h2', 'c·h3', 'd·h3']);
    expect(outputLabels(null, shape)).toEqual(['v0', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7']);
    expect(outputLabels(['a', 'b'], { ...shape, heads: 1, kvHeads: 1 })).toEqual(['a', 'b']);
  });
});

describe('per-head options follow the head count', () => {
  it('extends sinks with the last one and custom slopes with the paper’s, and cuts them', () => {
    const o = { ...DEFAULT_OPTIONS, heads: 2, sinks: [1, 2], alibi: [0.5, 0.25] };
    const four = optionsForHeads(o, 4);
    expect(four.sinks).toEqual([1, 2, 2, 2]);
    expect(four.alibi).toEqual([0.5, 0.25, alibiSlopes(4)[2], alibiSlopes(4)[3]]);
    expect(optionsForHeads(o, 1)).toMatchObject({ heads: 1, sinks: [1], alibi: [0.5] });
  });

  it('gives back the values typed for each head when the count goes down and up again', () => {
    const state = matrixState(2, 2, 4, 4, 4, { heads: 4 });
    const typed = withOptions(state, { sinks: [1, 2, 3, 4], alibi: [0.1, 0.2, 0.3, 0.4] });
    const one = withHeads(typed, 1);
    expect(one.options).toMatchObject({ sinks: [1], alibi: [0.1] });
    expect(one.perHeadLists).toEqual({ sinks: [1, 2, 3, 4], alibi: [0.1, 0.2, 0.3, 0.4] });
    // Through 1 and 2 heads and back: every head has its value; heads never typed get the defaults.
    const back = withHeads(withHeads(one, 2), 4);
    expect(back.options).toMatchObject({ heads: 4, sinks: [1, 2, 3, 4], alibi: [0.1, 0.2, 0.3, 0.4] });
    expect(back.perHeadLists).toEqual({ sinks: null, alibi: null });
    expect(withHeads(one, 6).options).toMatchObject({
      sinks: [1, 2, 3, 4, 4, 4],
      alibi: [0.1, 0.2, 0.3, 0.4, alibiSlopes(6)[4], alibiSlopes(6)[5]],
    });
    // What the state keeps is read back from a link.
    expect(() => checkState(one)).not.toThrow();
  });

  it('puts values typed at the lower count over the kept ones', () => {
    const state = withHeads(withOptions(matrixState(2, 2, 4, 4, 4, { heads: 4 }), { sinks: [0.5, 1, -1, 2] }), 2);
    const edited = withOptions(state, { sinks: [7, 8] });
    expect(edited.perHeadLists.sinks).toEqual([7, 8, -1, 2]);
    expect(withHeads(edited, 4).options.sinks).toEqual([7, 8, -1, 2]);
    // Sinks off and on again at two heads: the heads beyond still come back as typed.
    const again = withOptions(withOptions(edited, { sinks: null }), { sinks: [0, 0] });
    expect(withHeads(again, 4).options.sinks).toEqual([0, 0, -1, 2]);
  });

  it('a state from before kept lists were saved reads as keeping none', () => {
    const state = matrixState(2, 2, 4, 4, 4, { heads: 4 });
    const { perHeadLists: _, ...old } = JSON.parse(JSON.stringify(state)) as PlaygroundState;
    expect(parseState(old).perHeadLists).toEqual({ sinks: null, alibi: null });
  });

  it('refuses heads that the K/V heads do not divide, saying what to change', () => {
    const state = matrixState(2, 2, 4, 2, 2, { heads: 4, kvHeads: 2 });
    expect(() => withHeads(state, 3)).toThrow(/3 query heads cannot share 2 K\/V heads evenly: set K\/V heads to one of 1, 3 first/);
    expect(() => withHeads(state, 1)).toThrow(/^1 query head cannot share 2 K\/V heads evenly/);
    expect(withHeads(state, 2).options).toMatchObject({ heads: 2, kvHeads: null });
    expect(withHeads(state, 8).options).toMatchObject({ heads: 8, kvHeads: 2 });
  });
});

describe('number lists and head groups', () => {
  it('reads commas, spaces and brackets, and names a bad value', () => {
    expect(parseNumberList('[0.5, 0.25 −1;2]', 'ALiBi slopes')).toEqual([0.5, 0.25, -1, 2]);
    expect(() => parseNumberList('1, x', 'Sink logits')).toThrow(/Sink logits: value 2: "x" is not a decimal number/);
    expect(() => parseNumberList('  ', 'Sink logits')).toThrow(/enter one number per head/);
  });

  it('groups query heads by the K/V head they read', () => {
    expect(headGroups(4, 1)).toEqual([[0, 1, 2, 3]]);
    expect(headGroups(8, 2)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    expect(headGroups(3, 3)).toEqual([[0], [1], [2]]);
  });
});

describe('the window band', () => {
  it.each([
    ['causal window 3', true, 3, 0],
    ['window 2', false, 2, 0],
    ['causal window 2, n < m', true, 2, 3],
    ['window 1', false, 1, -2],
  ])('%s: the visible range and the reasons agree with isVisible', (_, causal, window, shift) => {
    const m = 9;
    for (let i = 0; i < 6; i++) {
      const [first, last] = visibleKeyRange(i, { causal, window, shift, m });
      for (let j = 0; j < m; j++) {
        const rule = { causal, window, shift, m, mask: null };
        expect(j >= first && j <= last, `${i}, ${j}`).toBe(isVisible(i, j, rule));
        expect(positionalHide(i, j, rule) === null).toBe(isVisible(i, j, rule));
      }
    }
    expect(positionalHide(5, 0, { causal: true, window: 3, shift: 0 })).toBe('window');
    expect(positionalHide(0, 5, { causal: true, window: 3, shift: 0 })).toBe('causal');
  });
});

describe('sampled rows with the features', () => {
  const rope = { layout: 'interleaved' as const, base: 100, dims: null, offset: 3 };
  it.each<[string, Partial<AttentionOptions>, boolean]>([
    ['causal window 4', { causal: true, window: 4 }, false],
    ['window 3 (both sides)', { window: 3 }, false],
    ['ALiBi, causal', { causal: true, alibi: 'standard' as const, heads: 2 }, true],
    ['RoPE', { rope }, true],
    [
      'RoPE, ALiBi, softcap, sinks, window',
      { rope, alibi: 'standard' as const, softcap: 2, sinks: [0.5, -1], heads: 2, window: 5, causal: true },
      true,
    ],
  ])('%s: the reference on the sample is those rows of the whole reference', (_, options, lastRows) => {
    const n = 30,
      m = 24;
    const heads = options.heads ?? 1;
    const full = buildProblem(matrixState(n, m, heads * 4, heads * 4, heads * 2, options), null);
    // Rows as sampleRows picks them: the last ones when positions matter, else spread out.
    const picked = lastRows ? Array.from({ length: 6 }, (_, i) => n - 6 + i) : [0, 5, 11, 17, 23, 29];
    const sample = sampleProblem(full, picked);
    expect(referenceOptions(sample)).toMatchObject({ causal: false, window: null });
    const whole = attentionReference(full.inputs, full.options);
    const part = attentionReference(sample.inputs, referenceOptions(sample));
    for (let t = 0; t < heads; t++) {
      picked.forEach((r, i) => {
        const wholeRow = whole.probs.data.subarray((t * n + r) * m, (t * n + r + 1) * m);
        const partRow = part.probs.data.subarray((t * 6 + i) * m, (t * 6 + i + 1) * m);
        expect(Array.from(partRow), `head ${t} row ${r}`).toEqual(Array.from(wholeRow));
      });
    }
    if (full.options.window !== null && full.options.causal)
      expect(hiddenBecause(sample, 5, 0)).toBe(`sliding window: key 0 is ${full.options.window} or more positions from query 29`);
  });

  it("a sampled row's formulas name the query by its row in the whole problem, as its label does", () => {
    const n = 30,
      m = 24;
    const full = buildProblem(matrixState(n, m, 4, 4, 2, {}), null);
    const picked = [0, 5, 11, 17, 23, 29];
    const sample = sampleProblem(full, picked);
    const ctx: ProvenanceContext = { problem: sample, reference: attentionReference(sample.inputs, referenceOptions(sample)) };
    // Sampled row 3 is row 17 of the whole problem.
    expect(sample.queryLabels[3]).toBe(full.queryLabels[17]);
    expect(explainRaw(ctx, 0, 3, 2).lines[0]).toMatch(/^q\[17\] · k\[2\] = Σ_d q_17,d · k_2,d/);
    expect(explainOutput(ctx, 3, 1).lines[0]).toMatch(/^Σ_j p_17,j · v_j,1 /);
  });

  it('takes the last rows when RoPE or ALiBi make a row depend on its position, evenly spaced ones otherwise', () => {
    const shape = { n: 8192, m: 8192, dk: 64, dv: 64, heads: 1, kvHeads: 1, dModel: null };
    const plain = sampleRows(shape, DEFAULT_OPTIONS);
    expect(plain[0]).toBe(0);
    expect(plain.at(-1)).toBe(8191);
    const last = sampleRows(shape, { ...DEFAULT_OPTIONS, alibi: 'standard' });
    expect(last).toEqual(Array.from({ length: 128 }, (_, i) => 8192 - 128 + i));
  });
});

describe('tooltips of the features', () => {
  it('a raw score under GQA and RoPE is the rotated query against its K/V head’s rotated key', () => {
    const state = matrixState(3, 4, 8, 4, 2, { heads: 2, kvHeads: 1, rope: { layout: 'half', base: 10, dims: null, offset: 0 } });
    const ctx = context(state);
    const { lines } = explainRaw(ctx, 1, 2, 3);
    expect(lines[0]).toMatch(/both after RoPE.*query head 1 reads K\/V head 0/);
    expect(stated(lines)).toBe(ctx.reference.raw.data[(1 * 3 + 2) * 4 + 3]);
    const rot = explainRotated(ctx, 'k', 0, 3, 1);
    expect(stated(rot.lines.slice(-1).map((l) => l.replace(/^before: .* after: /, '= ')))).toBe(ctx.reference.rotated!.k.data[3 * 4 + 1]);
    expect(rot.lines[0]).toMatch(/pair \(1, 3\) turns by φ = position × θ_1 = 3 ×/);
  });

  it('an output under GQA sums the values of the K/V head the query head reads', () => {
    const state = matrixState(2, 3, 4, 2, 2, { heads: 2, kvHeads: 1 });
    const ctx = context(state);
    const { lines } = explainOutput(ctx, 1, 3);
    expect(lines[0]).toMatch(/v_j,1 .*query head 1 reads K\/V head 0/);
    expect(stated(lines)).toBe(ctx.reference.output.data[1 * 4 + 3]);
  });

  it('softcap, ALiBi bias and a weight with a sink explain their numbers', () => {
    const state = matrixState(3, 3, 2, 2, 1, { causal: true, softcap: 0.5, alibi: [0.25], sinks: [1] });
    const ctx = context(state);
    const capped = explainCapped(ctx, 0, 2, 0);
    expect(stated(capped.lines)).toBe(ctx.reference.capped!.data[2 * 3 + 0]);
    const bias = explainBias(ctx, 0, 2, 0);
    expect(bias.lines[0]).toMatch(/distance = query position − key position = 2/);
    expect(bias.lines[1]).toMatch(/slope of this head = 0.25/);
    expect(stated(bias.lines)).toBe(-0.5);
    const prob = explainProb(ctx, 0, 0, 0);
    expect(prob.lines[0]).toMatch(/exp\(σ − max\)/);
    expect(prob.lines.join('\n')).toMatch(
      new RegExp(`sink's share of the row = ${ctx.reference.sinkShare![0].toPrecision(4).replace(/0+$/, '')}`),
    );
    expect(stated(prob.lines)).toBe(ctx.reference.probs.data[0]);
  });
});

describe('the feature presets', () => {
  const EXAMPLES = join(import.meta.dirname, '../examples');
  const presets = readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.json'))
    .map((f) => parsePreset(JSON.parse(readFileSync(join(EXAMPLES, f), 'utf8')), f));
  const byId = new Map(presets.map((p) => [p.id, p]));

  it.each(['rope-relative', 'alibi-recency', 'sliding-window', 'gqa', 'softcap', 'sinks', 'decode'])(
    '%s exists and builds a problem',
    (id) => {
      const preset = byId.get(id)!;
      expect(preset, id).toBeDefined();
      const problem = buildProblem(stateFromPreset(preset), embeddings);
      expect(problem.shape.n).toBeGreaterThan(0);
    },
  );

  it('each makes its point', () => {
    const run = (id: string, patch: Partial<AttentionOptions> = {}) => {
      const p = buildProblem(stateFromPreset(byId.get(id)!), embeddings);
      return { p, ref: attentionReference(p.inputs, { ...p.options, ...patch }) };
    };
    // RoPE: moving every position leaves the weights (float64) unchanged; without RoPE they are uniform.
    const rope = run('rope-relative');
    const moved = run('rope-relative', { rope: { ...rope.p.options.rope!, offset: 1000 } });
    rope.ref.probs.data.forEach((x, i) => expect(Math.abs(x - moved.ref.probs.data[i])).toBeLessThan(1e-12));
    expect(run('rope-relative', { rope: null }).ref.probs.data.every((x) => Math.abs(x - 1 / 6) < 1e-12)).toBe(true);
    // Sliding window: exactly w = 3 visible keys per row once past the start.
    const band = run('sliding-window');
    const { n, m } = band.p.shape;
    for (let i = 2; i < n; i++) expect(Array.from(band.ref.probs.data.subarray(i * m, (i + 1) * m)).filter((x) => x > 0)).toHaveLength(3);
    // GQA: one K/V head, four query heads.
    expect(run('gqa').p.shape).toMatchObject({ heads: 4, kvHeads: 1, dk: 4, dv: 2 });
    // Softcap: the confident row's top weight falls from ~1 to under 0.5.
    expect(run('softcap', { softcap: null }).ref.probs.data[0]).toBeGreaterThan(0.999);
    expect(run('softcap').ref.probs.data[0]).toBeLessThan(0.5);
    // Sinks: the row with no match gives most of its mass to the sink.
    expect(run('sinks').ref.sinkShare![1]).toBeGreaterThan(0.8);
    // ALiBi: head 0 leans further towards recent words than head 3.
    const alibi = run('alibi-recency').ref.output.data;
    expect(alibi[11 * 4]).toBeGreaterThan(alibi[11 * 4 + 3]);
    // Decode: one query over 512 keys, causal, all visible.
    const decode = run('decode');
    expect(decode.p.shape).toMatchObject({ n: 1, m: 512 });
    expect(decode.ref.probs.data.every((x) => x > 0)).toBe(true);
  });
});
