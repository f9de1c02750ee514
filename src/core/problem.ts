/**
 * From the page's state to one attention problem: float32 inputs, options, the combined mask and
 * the labels every view uses. Throws InputError (naming the problem) before anything runs, so the
 * GPU and the reference never see garbage.
 */
import type { Embeddings } from './embeddings';
import type { Grid } from './grid';
import { resize, toMatrix } from './grid';
import type { AttentionOptions } from './options';
import type { SentenceQKV } from './sentence';
import { sentenceQKV } from './sentence';
import type { AttentionInputs, AttentionShape } from './shapes';
import { checkInputs } from './shapes';
import type { Mode, PlaygroundState } from './state';
import type { Matrix } from './tensor';
import { matrix } from './tensor';

export interface Problem {
  mode: Mode;
  inputs: AttentionInputs;
  options: AttentionOptions;
  shape: AttentionShape;
  queryLabels: string[];
  keyLabels: string[];
  /** Columns of Q and K (one head's width times heads). */
  featureLabels: string[];
  /** Columns of V and of the output. */
  valueLabels: string[];
  /** Sentence mode: whether each query / key word has a real GloVe vector. */
  queryKnown: boolean[] | null;
  keyKnown: boolean[] | null;
  /** The n×m explicit mask after fitting it to the shape (1 = may attend), before padding. */
  explicitMask: Grid | null;
  padding: ReadonlySet<number>;
  sentence: SentenceQKV | null;
}

/** Labels as given where present, numbered (prefix + index) where missing or blank. */
export function fillLabels(given: readonly string[] | null | undefined, count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => (given?.[i]?.trim() ? given[i] : `${prefix}${i}`));
}

/** The mask resized to n×m: cells it had keep their value, new cells may attend. */
export function fitMask(mask: Grid | null, n: number, m: number): Grid | null {
  return mask ? resize(mask, n, m, 1) : null;
}

/** Explicit mask and padded keys as one n×m matrix, or null when nothing is hidden by them. */
export function combinedMask(mask: Grid | null, padding: ReadonlySet<number>, n: number, m: number): Matrix | null {
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

export function buildProblem(state: PlaygroundState, embeddings: Embeddings | null): Problem {
  const base = state.mode === 'sentence' ? sentenceInputs(state, embeddings) : matrixInputs(state);
  const { q, k } = base;
  const n = q.rows, m = k.rows;
  const padding = new Set(state.padding.filter((j) => j < m));
  const explicitMask = fitMask(state.mask, n, m);
  const inputs: AttentionInputs = { q: base.q, k: base.k, v: base.v, mask: combinedMask(explicitMask, padding, n, m) };
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
    valueLabels: fillLabels(base.valueLabels, base.v.cols, 'v'),
    queryKnown: base.queryKnown,
    keyKnown: base.keyKnown,
    explicitMask,
    padding,
    sentence: base.sentence,
  };
}

interface BaseInputs {
  q: Matrix;
  k: Matrix;
  v: Matrix;
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
  const q = toMatrix(s.q), k = toMatrix(s.k), v = toMatrix(s.v);
  return {
    q, k, v,
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
