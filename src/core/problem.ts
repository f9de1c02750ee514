/**
 * From the page's state to one attention problem: float32 inputs, options, the combined mask and
 * the labels every view uses. Throws InputError (naming the problem) before anything runs, so the
 * GPU and the reference never see garbage.
 */
import type { Embeddings } from './embeddings';
import { InputError } from './errors';
import type { Grid } from './grid';
import { resize, toMatrix } from './grid';
import { kvHeadCount, kvHeadOf } from './features';
import type { AttentionOptions } from './options';
import { causalShift, isVisible } from './options';
import type { SentenceQKV } from './sentence';
import { outputProjection, sentenceQKV } from './sentence';
import type { AttentionInputs, AttentionShape } from './shapes';
import { checkInputs } from './shapes';
import type { ScoringWeights } from './shapes';
import { fitScoring, headWidths, isLearned, scoringWeights } from './scoring-state';
import type { Mode, PlaygroundState } from './state';
import type { Matrix } from './tensor';
import { matrix } from './tensor';
import type { MlpActivation } from './mlp';
import { mlpAsAttention, mlpAttentionOptions } from './mlp';
import { mlpWeights } from './mlp-state';
import { DEFAULT_OPTIONS } from './options';

export interface Problem {
  mode: Mode;
  inputs: AttentionInputs;
  options: AttentionOptions;
  shape: AttentionShape;
  queryLabels: string[];
  keyLabels: string[];
  /** Columns of Q and K (one head's width times heads). */
  featureLabels: string[];
  /**
   * Columns of the output (h·dv): head t's column c is named after V's column c of the K/V head it
   * reads (the same as V's columns without grouped-query attention).
   */
  valueLabels: string[];
  /** Columns of the projected output O·W_o (empty without W_o). */
  projectedLabels: string[];
  /** Sentence mode: whether each query / key word has a real GloVe vector. */
  queryKnown: boolean[] | null;
  keyKnown: boolean[] | null;
  /** The n×m explicit mask after fitting it to the shape (1 = may attend), before padding. */
  explicitMask: Grid | null;
  padding: ReadonlySet<number>;
  sentence: SentenceQKV | null;
  /**
   * Set when this problem holds only some query rows of a bigger one (sampleProblem): their
   * indices in it and its row count. The rows' causal and window visibility is then in
   * `inputs.mask`, so the reference runs it with both off (referenceOptions); `options` still says
   * what the user chose.
   */
  sample: { rows: number[]; n: number } | null;
  /** MLP mode: the MLP's φ and whether the softmax was put back (the options say what runs). */
  mlp?: { activation: MlpActivation; softmax: boolean };
}

/** Problems with more scores than this (h·n·m) get their reference, check and maps on sampled rows. */
export const FULL_REFERENCE_SCORES = 1 << 21;
/** About how many scores the sampled rows of a big problem hold (at least 8 rows, at most 256). */
const SAMPLE_SCORES = 1 << 20;

export function needsSampling(shape: AttentionShape): boolean {
  return shape.heads * shape.n * shape.m > FULL_REFERENCE_SCORES;
}

/**
 * Which query rows of a big problem the reference checks: evenly spaced ones, or, when RoPE or
 * ALiBi make a row's numbers depend on its position, the last `count` rows. Those keep their
 * positions in a problem of their own (query i of the last rows sits where it sat in the whole one:
 * the causal alignment puts the last query with the last key), which evenly spaced rows would not.
 */
export function sampleRows(shape: AttentionShape, options: AttentionOptions): number[] {
  const count = sampleCount(shape);
  if (options.rope === null && options.alibi === null) return evenlySpacedRows(shape.n, count);
  return Array.from({ length: count }, (_, k) => shape.n - count + k);
}

/** `count` evenly spaced rows of [0, n), the first and last included (every row when n ≤ count). */
export function evenlySpacedRows(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  if (count <= 1) return [0];
  return Array.from({ length: count }, (_, k) => Math.round((k * (n - 1)) / (count - 1)));
}

/** How many query rows of a big problem are sampled: about SAMPLE_SCORES scores' worth. */
export function sampleCount(shape: AttentionShape): number {
  return Math.min(shape.n, 256, Math.max(8, Math.floor(SAMPLE_SCORES / (shape.heads * shape.m))));
}

/**
 * The problem restricted to some query rows, every key kept: what the reference computes, the
 * comparison checks and the views draw for a problem too big to hold n×m scores in float64.
 * Rows need not be contiguous, so their causal visibility (which depends on the row's place in
 * the whole problem) moves into the mask.
 */
export function sampleProblem(problem: Problem, rows: readonly number[]): Problem {
  const { n, m } = problem.shape;
  const width = problem.inputs.q.cols;
  const q = matrix(rows.length, width);
  rows.forEach((r, i) => q.data.set(problem.inputs.q.data.subarray(r * width, (r + 1) * width), i * width));
  const given = problem.inputs.mask ?? null;
  const { causal, window } = problem.options;
  let mask: Matrix | null = null;
  if (given || causal || window !== null) {
    mask = matrix(rows.length, m);
    const rule = { causal, window, mask: null, m, shift: causalShift(n, m) };
    rows.forEach((r, i) => {
      for (let j = 0; j < m; j++) {
        const visible = isVisible(r, j, rule) && (!given || given.data[r * m + j] !== 0);
        mask!.data[i * m + j] = visible ? 1 : 0;
      }
    });
  }
  const inputs: AttentionInputs = { ...problem.inputs, q, mask };
  const pick = <T>(list: readonly T[]) => rows.map((r) => list[r]);
  return {
    ...problem,
    inputs,
    shape: checkInputs(inputs, { ...problem.options, causal: false, window: null }),
    queryLabels: pick(problem.queryLabels),
    queryKnown: problem.queryKnown && pick(problem.queryKnown),
    explicitMask: problem.explicitMask && pick(problem.explicitMask),
    sample: { rows: [...rows], n },
  };
}

/** The options the reference (and a GPU run of exactly these inputs) must use: a sample's causal and window are in its mask. */
export function referenceOptions(problem: Problem): AttentionOptions {
  return problem.sample ? { ...problem.options, causal: false, window: null } : problem.options;
}

/** Labels as given where present, numbered (prefix + index) where missing or blank. */
export function fillLabels(given: readonly string[] | null | undefined, count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => (given?.[i]?.trim() ? given[i] : `${prefix}${i}`));
}

/** Names of the output's h·dv columns from names of V's kvHeads·dv columns (numbered v0, v1, … where none are given). */
export function outputLabels(given: readonly string[] | null | undefined, shape: AttentionShape): string[] {
  const { heads, kvHeads, dv } = shape;
  if (kvHeads === heads || !given) return fillLabels(given, heads * dv, 'v');
  const named = fillLabels(given, kvHeads * dv, 'v');
  return Array.from({ length: heads * dv }, (_, col) => {
    const t = Math.floor(col / dv);
    const source = named[kvHeadOf(t, heads, kvHeads) * dv + (col % dv)];
    return given[kvHeadOf(t, heads, kvHeads) * dv + (col % dv)]?.trim() ? `${source}·h${t}` : `v${col}`;
  });
}

/** The mask resized to n×m: cells it had keep their value, new cells may attend. */
export function fitMask(mask: Grid | null, n: number, m: number): Grid | null {
  return mask ? resize(mask, n, m, 1) : null;
}

/** Explicit mask and padded keys as one n×m matrix, or null when nothing is hidden by them. */
export function combinedMask(mask: Grid | null, padding: ReadonlySet<number>, n: number, m: number): Matrix | null {
  if (!mask && padding.size === 0) return null;
  const out = matrix(n, m);
  let hidden = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const visible = !padding.has(j) && (mask?.[i]?.[j] ?? 1) !== 0;
      out.data[i * m + j] = visible ? 1 : 0;
      if (!visible) hidden++;
    }
  }
  return hidden > 0 ? out : null;
}

/** An explicit mask or padding is an n×m matrix on the GPU too: beyond this many pairs, clear it. */
const MAX_MASKED_PAIRS = 1 << 22;

export function buildProblem(state: PlaygroundState, embeddings: Embeddings | null): Problem {
  if (state.mode === 'mlp') return mlpProblem(state);
  const base = state.mode === 'sentence' ? sentenceInputs(state, embeddings) : matrixInputs(state);
  const { q, k } = base;
  const n = q.rows,
    m = k.rows;
  if ((state.mask || state.padding.length) && n * m > MAX_MASKED_PAIRS) {
    throw new InputError(
      `a mask or padding covers every query–key pair, and this problem has ${n}×${m} of them (more than ${MAX_MASKED_PAIRS}): clear the mask and padding (Mask panel) to run it`,
    );
  }
  const padding = new Set(state.padding.filter((j) => j < m));
  const explicitMask = fitMask(state.mask, n, m);
  const inputs: AttentionInputs = {
    q: base.q,
    k: base.k,
    v: base.v,
    mask: combinedMask(explicitMask, padding, n, m),
    wo: base.wo,
    scoring: problemScoring(state, base),
  };
  const options = { ...state.options };
  const shape = checkInputs(inputs, options);
  return {
    mode: state.mode,
    inputs,
    options,
    shape,
    queryLabels: base.queryLabels,
    keyLabels: base.keyLabels,
    featureLabels: fillLabels(base.featureLabels, q.cols, 'd'),
    valueLabels: outputLabels(base.valueLabels, shape),
    projectedLabels: fillLabels(null, base.wo?.cols ?? 0, 'y'),
    queryKnown: base.queryKnown,
    keyKnown: base.keyKnown,
    explicitMask,
    padding,
    sentence: base.sentence,
    sample: null,
  };
}

/**
 * The general or additive score's weights for the run (null for dot). Matrix mode's were fitted to
 * its Q and K by the page's gate; sentence mode's Q and K come from the projections, so the matrix
 * state's weights are fitted to their widths here (made when there are none).
 */
function problemScoring(state: PlaygroundState, base: BaseInputs): ScoringWeights | null {
  const score = state.options.score;
  if (!isLearned(score)) return null;
  if (state.mode === 'matrix') return scoringWeights(state.matrix.scoring, score);
  const widths = headWidths(base.q.cols, base.k.cols, state.options);
  if (!widths) return null;
  return scoringWeights(fitScoring(state.matrix.scoring, score, widths.dq, widths.dk).grids, score);
}

/**
 * MLP mode's problem: the attention form of the MLP (Q = x, K = W₁, V = W₂ᵀ), with the options that
 * make attention compute it (dot, scale none, φ; nothing hidden, no features) whatever the other
 * modes' options are, and the variant's choice left to the state (naive or tiled).
 */
function mlpProblem(state: PlaygroundState): Problem {
  const { activation, softmax } = state.mlp;
  const weights = mlpWeights(state.mlp);
  const inputs = mlpAsAttention(weights);
  const options: AttentionOptions = { ...DEFAULT_OPTIONS, ...mlpAttentionOptions(activation, softmax) };
  const shape = checkInputs(inputs, options);
  return {
    mode: 'mlp',
    inputs,
    options,
    shape,
    queryLabels: fillLabels(null, shape.n, 'x'),
    keyLabels: fillLabels(null, shape.m, 'h'),
    featureLabels: fillLabels(null, shape.dk, 'd'),
    valueLabels: fillLabels(null, shape.dv, 'y'),
    projectedLabels: [],
    queryKnown: null,
    keyKnown: null,
    explicitMask: null,
    padding: new Set(),
    sentence: null,
    sample: null,
    mlp: { activation, softmax },
  };
}

interface BaseInputs {
  q: Matrix;
  k: Matrix;
  v: Matrix;
  wo: Matrix | null;
  queryLabels: string[];
  keyLabels: string[];
  featureLabels: string[] | null;
  valueLabels: string[] | null;
  queryKnown: boolean[] | null;
  keyKnown: boolean[] | null;
  sentence: SentenceQKV | null;
}

function matrixInputs(state: PlaygroundState): BaseInputs {
  const s = state.matrix;
  const q = toMatrix(s.q),
    k = toMatrix(s.k),
    v = toMatrix(s.v);
  return {
    q,
    k,
    v,
    wo: s.wo ? toMatrix(s.wo) : null,
    queryLabels: fillLabels(s.queryLabels, q.rows, 'q'),
    keyLabels: fillLabels(s.keyLabels, k.rows, 'k'),
    featureLabels: s.featureLabels,
    valueLabels: s.valueLabels,
    queryKnown: null,
    keyKnown: null,
    sentence: null,
  };
}

function sentenceInputs(state: PlaygroundState, embeddings: Embeddings | null): BaseInputs {
  if (!embeddings) throw new Error('the word vectors are not loaded yet');
  const s = state.sentence;
  const sentence = sentenceQKV({
    embeddings,
    source: s.source,
    target: s.cross ? s.target : undefined,
    dk: s.dk,
    dv: s.dv,
    heads: state.options.heads,
    kvHeads: kvHeadCount(state.options),
    seed: s.seed,
    init: s.init,
    positional: s.positional,
    wq: s.wq ? toMatrix(s.wq) : undefined,
    wk: s.wk ? toMatrix(s.wk) : undefined,
    wv: s.wv ? toMatrix(s.wv) : undefined,
  });
  return {
    q: sentence.q,
    k: sentence.k,
    v: sentence.v,
    // W_o takes the heads' concatenated outputs: h·d_v rows (V has only kv·d_v columns with grouped K/V heads).
    wo: s.project ? outputProjection(state.options.heads * s.dv, embeddings.dims, s.init, s.seed) : null,
    queryLabels: sentence.queryTokens.map((t) => t.text),
    keyLabels: sentence.keyTokens.map((t) => t.text),
    // Column names only while they still describe the projections' columns.
    featureLabels: s.featureLabels?.length === sentence.q.cols ? s.featureLabels : null,
    valueLabels: s.valueLabels?.length === sentence.v.cols ? s.valueLabels : null,
    queryKnown: sentence.queryTokens.map((t) => t.known),
    keyKnown: sentence.keyTokens.map((t) => t.known),
    sentence,
  };
}
