/**
 * Writes the presets of examples/ whose numbers come from a formula: log-weights that make the
 * softmax return a worked example's weights exactly, seeded random matrices, and projections
 * fitted on the GloVe asset. examples/worked-3d.json is hand-written and left alone.
 *
 *   npx tsx scripts/make-presets.ts
 *
 * The output is deterministic: the same asset and this file give byte-identical presets.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEmbeddings } from '../src/core/embeddings';
import type { Embeddings } from '../src/core/embeddings';
import { fromMatrix } from '../src/core/grid';
import type { MatrixPreset, Preset, RandomMatrices } from '../src/core/presets';
import { parsePreset, presetMatrices } from '../src/core/presets';
import type { AttentionOptions } from '../src/core/options';
import { DEFAULT_OPTIONS } from '../src/core/options';
import { attentionReference } from '../src/core/reference';
import { createRng } from '../src/core/rng';
import { sentenceQKV } from '../src/core/sentence';
import { matrix } from '../src/core/tensor';
import type { Matrix } from '../src/core/tensor';
import { fromRows } from '../src/core/tensor';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const embeddings = parseEmbeddings(readFileSync(join(ROOT, 'src/assets/embeddings/glove-20k-int8.bin')));

const ln = (p: number) => Math.log(p);
const identity = (n: number) => Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
const round = (x: number, digits: number) => Number(x.toPrecision(digits));
const fixed = (x: number) => x.toFixed(2);

/** Q rows of log-weights against an identity K: with no scaling, softmax returns the weights exactly. */
function logWeights(rows: number[][]): number[][] {
  return rows.map((w) => {
    const total = w.reduce((a, b) => a + b, 0);
    return w.map((x) => ln(x / total));
  });
}

// ---------------------------------------------------------------- "The cat sat on the mat"

function catMat(): Preset {
  const weights = [0.05, 0.1, 0.25, 0.5, 0.1];
  // Hand-made value vectors along three readable directions.
  const v = [
    [0.0, 0.0, 0.1], // the
    [0.9, 0.1, 0.0], // cat
    [0.1, 0.9, 0.2], // sat
    [0.0, 0.2, 0.9], // on
    [0.0, 0.0, 0.1], // the
  ];
  const output = [0, 1, 2].map((c) =>
    round(
      weights.reduce((acc, w, j) => acc + w * v[j][c], 0),
      12,
    ),
  );
  return {
    id: 'cat-mat',
    name: '“The cat sat on the mat”: mat looks back',
    description: '“mat” (the query) weighs the words before it 0.05 / 0.10 / 0.25 / 0.50 / 0.10, relying mostly on “on”.',
    mode: 'matrix',
    notes:
      'The weights of the worked example in the seed text, reproduced exactly: K is the identity and the query holds the log of each weight, ' +
      'so with no scaling softmax returns them unchanged. V gives each word three readable features (thing, action, place); the output ' +
      `[${output.join(', ')}] is mostly “place”, because “on” carries half the weight. Try raising the weight of “cat” by editing Q.`,
    options: { ...DEFAULT_OPTIONS, scale: 'none', temperature: 1, causal: false, heads: 1 },
    q: logWeights([weights]),
    k: identity(5),
    v,
    queryLabels: ['mat'],
    keyLabels: ['the', 'cat', 'sat', 'on', 'the'],
    featureLabels: ['the₁', 'cat', 'sat', 'on', 'the₂'],
    valueLabels: ['thing', 'action', 'place'],
    expect: { probs: [weights], output: [output] },
  };
}

// ---------------------------------------------------------------- pronoun presets (fitted probes)

const OBJECTS =
  'table chair box cup bottle floor stone book car bed door toy bag shoe plate glass blanket pillow sofa desk lamp window wall coin ring hat coat rope stick wheel bucket basket carpet tray brick rock kite bat racket';
const ANIMALS = 'horse bird rabbit cow fox pig sheep mouse wolf lion man woman boy girl child teacher';
const FUNCTION =
  'he she they we you of and to in is that for was with because so but then had were this these there here what when where who very not quickly';
const ACTIONS =
  'ran jumped walked looked took went saw found played slept ate said running jumping playing rolling falling flying spinning shining barking sleeping eating sitting walking chasing';
const QUALITIES = 'soft round hot cold red big small old heavy wet happy';

/** Words of the two pronoun examples: kept out of the probes' training words. */
const EXAMPLE_WORDS = new Set('the dog chased ball because it was bouncing cat sat on mat warm'.split(' '));
const words = (list: string) => list.split(' ').filter((w) => embeddings.lookup(w).known && !EXAMPLE_WORDS.has(w));

/**
 * A linear probe: ridge regression (λ = 5, with a bias) of "1 for these words, 0 for those" on
 * the word vectors. Its weights, as a column of W, measure how much a word is like the positives.
 */
function probe(e: Embeddings, positives: string[], negatives: string[], lambda = 5): Float64Array {
  const d = e.dims,
    p = d + 1;
  const rows = [...positives, ...negatives].map((w) => [...e.lookup(w).vector, 1]);
  const y = [...positives.map(() => 1), ...negatives.map(() => 0)];
  const a = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => (i === j && i < d ? lambda : 0)));
  const b = new Array<number>(p).fill(0);
  rows.forEach((x, r) => {
    for (let i = 0; i < p; i++) {
      b[i] += x[i] * y[r];
      for (let j = 0; j < p; j++) a[i][j] += x[i] * x[j];
    }
  });
  // Gauss–Jordan with partial pivoting on the (d+1)×(d+1) normal equations.
  for (let c = 0; c < p; c++) {
    let pivot = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) pivot = r;
    [a[c], a[pivot]] = [a[pivot], a[c]];
    [b[c], b[pivot]] = [b[pivot], b[c]];
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k < p; k++) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  return Float64Array.from({ length: d }, (_, i) => b[i] / a[i][i]);
}

function columnsMatrix(columns: ArrayLike<number>[]): Matrix {
  const d = columns[0].length;
  const m = matrix(d, columns.length);
  columns.forEach((col, j) => {
    for (let i = 0; i < d; i++) m.data[i * columns.length + j] = col[i];
  });
  return m;
}

function roundGrid(m: Matrix, digits = 5): number[][] {
  return fromMatrix(m).map((r) => r.map((x) => round(x, digits)));
}

interface PronounSetup {
  wq: number[][];
  wk: number[][];
  wv: number[][];
  /** How many words trained the object probe, positive and negative. */
  positives: number;
  negatives: number;
}

function pronounProjections(): PronounSetup {
  const objects = words(OBJECTS),
    animals = words(ANIMALS),
    actions = words(ACTIONS);
  const rest = [...words(FUNCTION), ...words(QUALITIES)];
  const isObject = probe(embeddings, objects, [...animals, ...actions, ...rest]);
  const isAnimate = probe(embeddings, animals, [...objects, ...actions, ...rest]);
  const isAction = probe(embeddings, actions, [...objects, ...animals, ...rest]);
  // W_q: how much a word is like "it", scaled so that "it" asks with strength 8.
  const it = embeddings.lookup('it').vector;
  const norm2 = it.reduce((s, x) => s + x * x, 0);
  const asksLikeIt = Float64Array.from(it, (x) => (8 * x) / norm2);
  return {
    wq: roundGrid(columnsMatrix([asksLikeIt])),
    wk: roundGrid(columnsMatrix([isObject])),
    wv: roundGrid(columnsMatrix([isObject, isAnimate, isAction])),
    positives: objects.length,
    negatives: animals.length + actions.length + rest.length,
  };
}

function weightsOf(source: string, setup: PronounSetup, query: string): { focus: number; line: string } {
  const r = sentenceQKV({
    embeddings,
    source,
    dk: 1,
    seed: 1,
    positional: false,
    wq: fromRows(setup.wq),
    wk: fromRows(setup.wk),
    wv: fromRows(setup.wv),
  });
  const ref = attentionReference({ q: r.q, k: r.k, v: r.v }, {});
  const n = r.keyTokens.length;
  const focus = r.queryTokens.findIndex((t) => t.text === query);
  const row = Array.from(ref.probs.data.subarray(focus * n, (focus + 1) * n));
  const ranked = row.map((p, j) => ({ p, word: r.keyTokens[j].text })).sort((a, b) => b.p - a.p);
  return {
    focus,
    line: ranked
      .slice(0, 3)
      .map((x) => `${x.word} ${fixed(x.p)}`)
      .join(', '),
  };
}

function pronounPreset(id: string, name: string, source: string, referent: string, setup: PronounSetup): Preset {
  const { focus, line } = weightsOf(source, setup, 'it');
  return {
    id,
    name,
    description: `Which word does “it” attend to? With projections that make “it” look for objects, “${referent}”.`,
    mode: 'sentence',
    source,
    dk: 1,
    dv: 3,
    seed: 1,
    init: 'random',
    positional: false,
    focusQuery: focus,
    notes:
      `Real GloVe vectors, hand-set projections (not a trained model): W_k's one column is an “is a physical object” direction fitted on ${setup.positives} ` +
      `object nouns against ${setup.negatives} other words (none of them in these sentences); W_q makes a word ask as strongly as it resembles “it”. So “it” ` +
      `attends to ${line}. W_v measures object / animate / action, and the output row of “it” takes on the features of what it attends to. ` +
      `The same W_q, W_k, W_v are used by both “it” examples. Open the projections to edit them, or switch “W init” to see untrained weights.`,
    options: { ...DEFAULT_OPTIONS, scale: 'default', temperature: 1, causal: false, heads: 1 },
    wq: setup.wq,
    wk: setup.wk,
    wv: setup.wv,
    featureLabels: ['object?'],
    valueLabels: ['object', 'animate', 'action'],
  };
}

// ---------------------------------------------------------------- causal self-attention

function causal(): Preset {
  return {
    id: 'causal',
    name: 'Causal self-attention (a language model’s view)',
    description: 'Each word may attend only to itself and the words before it: the upper triangle of the weights is exactly zero.',
    mode: 'sentence',
    source: 'the quick brown fox jumps over the lazy dog',
    dk: 8,
    dv: 8,
    seed: 7,
    init: 'random',
    positional: true,
    focusQuery: 8,
    notes:
      'A decoder (GPT-style) cannot look ahead: query i sees keys j ≤ i. The kernel sets the hidden scores to −∞, so softmax gives them exactly 0 ' +
      'and each row still sums to 1 over the words it may see. The first word can only attend to itself (weight 1). Untick “Causal” to compare; ' +
      'projections are seeded random, positional encoding is on.',
    options: { ...DEFAULT_OPTIONS, scale: 'default', temperature: 1, causal: true, heads: 1 },
  };
}

// ---------------------------------------------------------------- translation alignment

function translation(): Preset {
  const source = ['The', 'agreement', 'on', 'the', 'European', 'Economic', 'Area', 'was', 'signed', 'in', 'August', '1992'];
  const target = ['L’', 'accord', 'sur', 'la', 'zone', 'économique', 'européenne', 'a', 'été', 'signé', 'en', 'août', '1992'];
  // Main alignment (source index) for each target word, with a little weight for neighbours, as in the paper's figure.
  const align: [number, number][][] = [
    [
      [0, 0.85],
      [1, 0.1],
    ],
    [[1, 0.9]],
    [[2, 0.9]],
    [
      [3, 0.8],
      [2, 0.1],
    ],
    [
      [6, 0.7],
      [5, 0.1],
      [4, 0.1],
    ],
    [
      [5, 0.8],
      [6, 0.1],
    ],
    [
      [4, 0.8],
      [6, 0.1],
    ],
    [
      [7, 0.85],
      [8, 0.05],
    ],
    [
      [7, 0.6],
      [8, 0.3],
    ],
    [[8, 0.9]],
    [
      [9, 0.85],
      [10, 0.1],
    ],
    [[10, 0.9]],
    [[11, 0.95]],
  ];
  const floor = 0.004;
  const weights = align.map((pairs) => {
    const row = new Array<number>(source.length).fill(floor);
    for (const [j, w] of pairs) row[j] += w;
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((x) => x / total);
  });
  const v = source.map((_, j) => [j]);
  const output = weights.map((row) => [
    round(
      row.reduce((acc, w, j) => acc + w * j, 0),
      12,
    ),
  ]);
  return {
    id: 'translation',
    name: 'Translation alignment (Bahdanau et al.): English → French',
    description:
      'Cross-attention: each French word (query) looks at the English words (keys) it translates; see the reversed “European Economic Area”.',
    mode: 'matrix',
    notes:
      'Cross-attention as in Bahdanau, Cho & Bengio (2015, Fig. 3): the queries come from the sentence being written (French), the keys and ' +
      'values from the source (English). The alignment is hand-built: K is the identity and each query holds the log of its alignment weights. ' +
      '“zone économique européenne” reads “Area Economic European” right to left, and “a été” both look at “was”. V holds each source ' +
      'word’s position, so the output is the average position each French word reads from: it runs 0, 1, 2 … but dips through 6, 5, 4.',
    options: { ...DEFAULT_OPTIONS, scale: 'none', temperature: 1, causal: false, heads: 1 },
    q: logWeights(weights),
    k: identity(source.length),
    v,
    queryLabels: target,
    keyLabels: source,
    featureLabels: source.map((w) => `≈${w}`),
    valueLabels: ['source position'],
    expect: { probs: weights, output },
  };
}

// ---------------------------------------------------------------- translation alignment, additive score

/**
 * The same sentence pair scored as Bahdanau, Cho & Bengio (2014) scored it: vᵀ tanh(W_q q + W_k k),
 * with weights built so the alignment is exact rather than learned.
 *
 * Q: each French word one-hot over the 13 French words, plus a constant 1 (dq = 14).
 * K: each English word one-hot over the 12 English words (dk = 12; dq ≠ dk, which additive allows).
 * One hidden unit r per French word (a = 13), aligned with English word j_r:
 *   W_q[r] = α on French word r, −1.5α on the constant;  W_k[r] = α on English word j_r;  v_r = c.
 * So unit r's pre-activation is α·([i = r] + [j = j_r] − 1.5): +α/2 when both match, −α/2 when one
 * does, −3α/2 when neither. With α = 6, tanh saturates: ±0.995 and −1.000. For French word i only
 * unit i tells its keys apart (every other unit gives −0.995 or −1 whatever the key, up to 0.005),
 * so the aligned key's score is higher by c·(0.995 + 0.995) ≈ 5.97 (c = 3): softmax weight
 * e^5.97 / (e^5.97 + 11) ≈ 0.97. “zone économique européenne” point at Area, Economic, European:
 * the swap is in W_k's rows, not in the order of anything.
 */
function translationAdditive(): Preset {
  const source = ['The', 'agreement', 'on', 'the', 'European', 'Economic', 'Area', 'was', 'signed', 'in', 'August', '1992'];
  const target = ['L’', 'accord', 'sur', 'la', 'zone', 'économique', 'européenne', 'a', 'été', 'signé', 'en', 'août', '1992'];
  const aligned = [0, 1, 2, 3, 6, 5, 4, 7, 7, 8, 9, 10, 11];
  const alpha = 6,
    c = 3;
  const n = target.length,
    m = source.length;
  const q = target.map((_, i) => [...Array.from({ length: n }, (_, f) => (f === i ? 1 : 0)), 1]);
  const k = identity(m);
  const wq = target.map((_, r) => [...Array.from({ length: n }, (_, f) => (f === r ? alpha : 0)), -1.5 * alpha]);
  const wk = aligned.map((j) => Array.from({ length: m }, (_, e) => (e === j ? alpha : 0)));
  const v = [target.map(() => c)];
  const preset: MatrixPreset = {
    id: 'translation-additive',
    name: 'Translation alignment, additive score (Bahdanau et al.): vᵀtanh(W_q q + W_k k)',
    description:
      'The alignment scored the way it was first scored: a small network, vᵀ tanh(W_q q + W_k k), lets each French word “look back at the entire input sequence and learn where to focus” (the seeds); see the swap in “zone économique européenne”.',
    mode: 'matrix',
    notes:
      'Additive attention, the score of Bahdanau, Cho & Bengio’s “Neural Machine Translation by Jointly Learning to Align and Translate” (2014), ' +
      'which the seeds’ history puts first (“Bahdanau 2014 → Vaswani 2017”). The weights are built, not learned: Q is each French word one-hot ' +
      'plus a constant 1 (d_q = 14), K each English word one-hot (d_k = 12: the widths may differ). One hidden unit per French word: W_q’s row r ' +
      'holds 6 on French word r and −9 on the constant, W_k’s row r holds 6 on the English word it translates, v is all 3s. Unit r’s tanh ' +
      'is +0.995 only when both words match, about −1 otherwise, so each French word’s aligned English word scores about 6 above the rest ' +
      '(weight ≈ 0.97). Read the alignment in W_k’s rows: “zone économique européenne” point at Area, Economic, European, and “a été” both at ' +
      '“was”. Edit a cell of W_q or W_k to move a French word’s attention; V holds each English word’s position, so the output dips through 6, 5, 4.',
    options: { ...DEFAULT_OPTIONS, score: 'additive', scale: 'none', temperature: 1, causal: false, heads: 1 },
    q,
    k,
    v: source.map((_, j) => [j]),
    queryLabels: target,
    keyLabels: source,
    valueLabels: ['source position'],
    scoring: { wq, wk, v },
  };
  const probs = probsOf(preset).map((row) => row.map((p) => round(p, 12)));
  return { ...preset, expect: { probs, output: outputOf(preset).map((o) => [round(o, 12)]) } };
}

// ---------------------------------------------------------------- large scores

function largeScores(): Preset {
  const q = [
    [30, 20],
    [-30, -20],
  ];
  const k = [
    [20, 20],
    [20, 19.9],
    [19.5, 20],
    [19, 19.5],
  ];
  return {
    id: 'large-scores',
    name: 'Large scores: why softmax subtracts the row max',
    description:
      'Scores near ±1000: exp(1000) overflows and exp(−1000) underflows, yet the weights come out right because softmax subtracts each row’s max.',
    mode: 'matrix',
    notes:
      'Row “big +” has scores 1000, 998, 985, 960; row “big −” has −1000, −998, −985, −960. In float32 exp(x) is ∞ for x > 88.7 and 0 for ' +
      'x < −103, so the textbook exp(s)/Σexp(s) gives ∞/∞ and 0/0: NaN. Softmax is unchanged by subtracting a constant from a row, and with ' +
      'the row max subtracted the largest term is exp(0) = 1, the rest are tiny but exact. Hover a weight to see exp(s − max). ' +
      'The GPU kernel does the same and agrees with the float64 reference.',
    options: { ...DEFAULT_OPTIONS, scale: 'none', temperature: 1, causal: false, heads: 1 },
    q,
    k,
    v: [
      [1, 0],
      [0, 1],
      [0.5, 0.5],
      [-1, 1],
    ],
    queryLabels: ['big +', 'big −'],
    keyLabels: ['k0', 'k1', 'k2', 'k3'],
  };
}

// ---------------------------------------------------------------- why √dk

function sqrtDk(): Preset {
  const n = 6,
    dk = 64,
    dv = 3;
  const normal = (seed: number, rows: number, cols: number) => {
    const rng = createRng(seed);
    return Array.from({ length: rows }, () => Array.from({ length: cols }, () => round(rng.normal(), 3)));
  };
  const q = normal(11, n, dk),
    k = normal(12, n, dk);
  const rng = createRng(13);
  const v = Array.from({ length: n }, () => Array.from({ length: dv }, () => Math.round(rng.next() * 20 - 10) / 10));
  const inputs = { q: fromRows(q), k: fromRows(k), v: fromRows(v) };
  const maxWeight = (scale: 'none' | 'default') => {
    const ref = attentionReference(inputs, { scale });
    let total = 0;
    for (let i = 0; i < n; i++) total += Math.max(...ref.probs.data.subarray(i * n, (i + 1) * n));
    return total / n;
  };
  return {
    id: 'sqrt-dk',
    name: 'Why divide by √dk: d_k = 64 without scaling',
    description:
      'Random queries and keys with 64 dimensions: unscaled scores spread by about √64 = 8, and softmax saturates to nearly one-hot rows.',
    mode: 'matrix',
    notes:
      `Each q·k is a sum of 64 products of unit-variance numbers, so its standard deviation is √64 = 8. Softmax of numbers that far apart ` +
      `puts almost all weight on one key: here the largest weight per row averages ${fixed(maxWeight('none'))}, and the gradient through ` +
      `such a softmax almost vanishes. Choose “1/√d_k” under Scale: the scores shrink by 8 and the average largest weight drops to ` +
      `${fixed(maxWeight('default'))}, a real mixture. Q and K are N(0, 1), seeds 11 and 12.`,
    options: { ...DEFAULT_OPTIONS, scale: 'none', temperature: 1, causal: false, heads: 1 },
    q,
    k,
    v,
  };
}

// ---------------------------------------------------------------- the features of modern models (src/core/features.ts)

/** Largest weight and where it sits, per row, for a notes line. */
function probsOf(preset: MatrixPreset, options: Partial<AttentionOptions> = preset.options): number[][] {
  const { q, k, v, mask, scoring } = presetMatrices(preset);
  const ref = attentionReference({ q, k, v, mask, scoring }, options);
  const m = k.rows;
  return Array.from({ length: ref.probs.data.length / m }, (_, r) => Array.from(ref.probs.data.subarray(r * m, (r + 1) * m)));
}

function outputOf(preset: MatrixPreset, options: Partial<AttentionOptions> = preset.options): number[] {
  const { q, k, v, mask, scoring } = presetMatrices(preset);
  return Array.from(attentionReference({ q, k, v, mask, scoring }, options).output.data);
}

/** A matrix preset whose Q, K and V come from `random` (the file holds the sizes and the seed, not the numbers). */
function generated(preset: Omit<MatrixPreset, 'q' | 'k' | 'v'> & { random: RandomMatrices }): MatrixPreset {
  return parsePreset(preset, preset.id) as MatrixPreset;
}

function ropeRelative(): Preset {
  const n = 6;
  // d_k = 4 in halves: pair (0, 2) turns by 1 rad per position, pair (1, 3) by 0.01 rad. All energy in the fast pair.
  const x = [2, 0, 2, 0];
  const rope = { layout: 'half' as const, base: 10000, dims: null, offset: 0 };
  const preset: MatrixPreset = {
    id: 'rope-relative',
    name: 'RoPE: only relative positions matter',
    description: 'One word six times: without positions every weight is 1/6; RoPE makes each score depend on i − j alone.',
    mode: 'matrix',
    notes: '',
    options: { ...DEFAULT_OPTIONS, rope },
    q: Array.from({ length: n }, () => [...x]),
    k: Array.from({ length: n }, () => [...x]),
    v: Array.from({ length: n }, (_, j) => [j]),
    queryLabels: Array.from({ length: n }, (_, i) => `la@${i}`),
    keyLabels: Array.from({ length: n }, (_, j) => `la@${j}`),
    featureLabels: ['x₀', 'x₁', 'x₂', 'x₃'],
    valueLabels: ['position'],
  };
  const moved = probsOf(preset, { ...preset.options, rope: { ...rope, offset: 1000 } });
  const change = Math.max(...probsOf(preset).flatMap((row, i) => row.map((p, j) => Math.abs(p - moved[i][j]))));
  preset.notes =
    'Q and K are the same vector for every word, so without position information all scores are equal and every weight is 1/6 (set RoPE ' +
    'to off). RoPE rotates each pair of dimensions of q_i by i·θ and of k_j by j·θ (θ = 1 rad for the pair that carries this vector), so ' +
    'q_i·k_j = |x|² cos((i − j)·θ): every diagonal of the scores is constant, and each word attends most to itself and its neighbours. ' +
    `Now change the position offset (try 1000): the whole sentence moves, the rotated Q and K change, and the weights do not ` +
    `(in float64 by at most ${change.toExponential(0)}, rounding; the GPU's float32 angles add a little more) — only i − j matters. ` +
    'V holds each word’s position, so the output is the ' +
    'average position a word reads from. The “Q and K after RoPE” maps show each pair turning.';
  return preset;
}

function alibiRecency(): Preset {
  const n = 12,
    heads = 4;
  const preset: MatrixPreset = {
    id: 'alibi-recency',
    name: 'ALiBi: recency without position embeddings',
    description:
      'Twelve identical words, causal, four heads: ALiBi’s slopes alone make each head prefer recent words, each by its own amount.',
    mode: 'matrix',
    notes: '',
    options: { ...DEFAULT_OPTIONS, causal: true, heads, alibi: 'standard' },
    q: Array.from({ length: n }, () => new Array<number>(heads * 2).fill(1)),
    k: Array.from({ length: n }, () => new Array<number>(heads * 2).fill(1)),
    v: Array.from({ length: n }, (_, j) => new Array<number>(heads).fill(j)),
    queryLabels: Array.from({ length: n }, (_, i) => `w${i}`),
    keyLabels: Array.from({ length: n }, (_, j) => `w${j}`),
    valueLabels: ['pos (h0)', 'pos (h1)', 'pos (h2)', 'pos (h3)'],
    focusQuery: n - 1,
  };
  const last = (options: Partial<AttentionOptions>) => outputOf(preset, options).slice((n - 1) * heads, n * heads);
  const withAlibi = last(preset.options).map((x) => x.toFixed(2));
  preset.notes =
    'Every word has the same query and key, and there are no position embeddings, so without ALiBi each row spreads its weight evenly over ' +
    'the words it may see (set ALiBi to off). ALiBi adds −slope × distance to each score, a straight-line penalty for distance; the ' +
    'standard slopes for 4 heads are 1/4, 1/16, 1/64, 1/256. V holds each word’s position, so the last word’s output says where each head ' +
    `reads from: ${withAlibi.join(', ')} for heads 0–3 (${((n - 1) / 2).toFixed(2)} each without ALiBi). Head 0 reads mostly from the last few words, head 3 ` +
    'almost evenly. The “ALiBi bias” map is the penalty itself.';
  return preset;
}

function slidingWindow(): Preset {
  return generated({
    id: 'sliding-window',
    name: 'Sliding window (Mistral): a band',
    description: 'Causal attention where each word sees only itself and the two words before it: the weights are a band three wide.',
    mode: 'matrix',
    notes:
      'With a sliding window of w = 3 and causal attention, query i sees keys i − 2 … i (Mistral 7B uses w = 4096): every score outside the ' +
      'band is −∞, so the weights form a diagonal band, hatched in the mask panel. Cost and the KV cache grow with w, not with the ' +
      'sequence; information still travels further, one window per layer. Change w, or untick Causal to see the symmetric window ' +
      '|i − j| < w. Q, K and V are seeded random.',
    options: { ...DEFAULT_OPTIONS, causal: true, window: 3 },
    random: { n: 10, m: 10, dk: 4, dv: 2, seed: 31 },
  });
}

function groupedQuery(): Preset {
  return generated({
    id: 'gqa',
    name: 'Grouped-query attention: four query heads, one K/V head',
    description:
      'Four query heads share one K/V head (multi-query attention): K and V are one head wide, the weights still differ per head.',
    mode: 'matrix',
    notes:
      'Q has 4 heads × 4 columns; K has 4 and V 2 columns: one K/V head, read by all four query heads (the head grid draws them as one ' +
      'group). Each head has its own queries, so its weights differ, but all average the same values. A model keeps only K and V in its ' +
      'cache, so this is 4× smaller (Llama 2 70B shares each K/V head among 8 query heads). Set K/V heads to 2 or 4: K and V are regrouped, ' +
      'the new K/V heads starting as copies, so the output stays the same until you edit them.',
    options: { ...DEFAULT_OPTIONS, heads: 4, kvHeads: 1 },
    random: { n: 6, m: 6, dk: 4, dv: 2, seed: 41 },
  });
}

function softcap(): Preset {
  const preset: MatrixPreset = {
    id: 'softcap',
    name: 'Logit softcap (Gemma 2): large scores flattened',
    description: 'c·tanh(s/c) with c = 10: scores of 40, 30 and 20 end up near 10 and share the weight; small scores pass unchanged.',
    mode: 'matrix',
    notes: '',
    options: { ...DEFAULT_OPTIONS, scale: 'none', softcap: 10 },
    q: [
      [40, 30, 20, 0],
      [1, 0.5, 0, -0.5],
    ],
    k: identity(4),
    v: [
      [1, 0],
      [0, 1],
      [0.5, 0.5],
      [-1, 1],
    ],
    queryLabels: ['confident', 'unsure'],
    keyLabels: ['k0', 'k1', 'k2', 'k3'],
  };
  const capped = probsOf(preset)[0].map(fixed);
  const plain = probsOf(preset, { ...preset.options, softcap: null })[0];
  preset.notes =
    'K is the identity, so the scores are Q’s numbers. Row “confident” scores 40, 30, 20 and 0: without a cap (untick it) softmax puts ' +
    `${plain[0].toFixed(5)} on k0. The softcap squashes every score into (−10, 10) with 10·tanh(s/10): 40 → 9.99, 30 → 9.95, 20 → 9.64, ` +
    `so the three large scores nearly tie and share the weight (${capped.join(' / ')}). Row “unsure” has small scores, where tanh is ` +
    'almost linear: they pass almost unchanged. Gemma 2 caps attention logits at 50 so that no score can grow without bound; the ' +
    '“Softcapped scores” map sits between the scaled and the masked scores.';
  return preset;
}

function sinks(): Preset {
  const preset: MatrixPreset = {
    id: 'sinks',
    name: 'Attention sinks: somewhere to put the weight',
    description:
      'A query that matches no key would still have to spread all its weight over the keys; with a sink logit it puts most of it nowhere.',
    mode: 'matrix',
    notes: '',
    options: { ...DEFAULT_OPTIONS, scale: 'none', sinks: [3] },
    q: [
      [6, 0, 0, 0],
      [0, 0, 0, 0],
      [1, 1, 0, 0],
    ],
    k: identity(4),
    v: [
      [1, 0],
      [0, 1],
      [0, 0],
      [1, 1],
    ],
    queryLabels: ['match', 'no match', 'weak'],
    keyLabels: ['k0', 'k1', 'k2', 'k3'],
    focusQuery: 1,
  };
  const rows = probsOf(preset).map((row) => 1 - row.reduce((a, b) => a + b, 0));
  preset.notes =
    'Softmax must give each row weights that sum to 1, so a query with nothing to attend to (“no match”: all scores 0) still spreads ' +
    '0.25 over four keys and mixes their values (untick the sinks to see it). A sink logit σ joins each row’s softmax but has no value ' +
    `(gpt-oss learns one per head): here σ = 3, and the sink takes ${rows.map(fixed).join(' / ')} of the rows’ mass — the “sink” column ` +
    'beside the row sums. “match” (score 6) barely notices it; “no match” puts most of its weight on the sink and its output shrinks ' +
    'towards 0 instead of averaging noise. Models without sinks learn one anyway, usually in the first token (Xiao et al.).';
  return preset;
}

function decode(): Preset {
  return generated({
    id: 'decode',
    name: 'Decoding: one query over a 512-token cache',
    description:
      'What a language model computes for each new token: one query row against 512 cached keys and values (n = 1, m = 512, causal).',
    mode: 'matrix',
    notes:
      'While generating, a model attends from the newest token only: Q has one row, K and V hold every earlier token (the KV cache). ' +
      'Causal with n < m puts the last query with the last key, so the query sees all 512. The weights are one long row (drawn ' +
      'downsampled); the GPU and the float64 reference still agree on every element. Turn on the sliding window with w = 128 to keep only ' +
      'the most recent keys, as Mistral’s rolling cache does. Q, K and V are seeded random.',
    options: { ...DEFAULT_OPTIONS, causal: true },
    random: { n: 1, m: 512, dk: 16, dv: 8, seed: 51 },
  });
}

// ---------------------------------------------------------------- output

/** JSON with one matrix row per line, so a preset reads (and diffs) like a table. */
function format(preset: Preset): string {
  // A preset with `random` keeps its sizes and seed in the file, not the numbers they make.
  const entries = Object.entries(preset).filter(([key]) => !('random' in preset && ['q', 'k', 'v'].includes(key)));
  const lines = entries.map(([key, value]: [string, unknown]) => {
    if (Array.isArray(value) && value.length > 0 && Array.isArray(value[0])) {
      return `  ${JSON.stringify(key)}: [\n${(value as unknown[]).map((row) => `    ${JSON.stringify(row)}`).join(',\n')}\n  ]`;
    }
    if (key === 'scoring') {
      // One matrix row per line here too: W_q's and W_k's rows are the alignment.
      const inner = Object.entries(value as object)
        .map(
          ([k, rows]) =>
            `    ${JSON.stringify(k)}: [\n${(rows as unknown[]).map((row) => `      ${JSON.stringify(row)}`).join(',\n')}\n    ]`,
        )
        .join(',\n');
      return `  "scoring": {\n${inner}\n  }`;
    }
    if (key === 'expect') {
      const inner = Object.entries(value as object)
        .map(([k, rows]) => `    ${JSON.stringify(k)}: ${JSON.stringify(rows)}`)
        .join(',\n');
      return `  "expect": {\n${inner}\n  }`;
    }
    // Options: only what differs from "off" (the features' null), as the presets were written before them.
    // The score function and the activation likewise: only when not the dot product and the softmax.
    if (key === 'options')
      value = Object.fromEntries(
        Object.entries(value as object).filter(
          ([k, v]) => v !== null && !(k === 'score' && v === 'dot') && !(k === 'activation' && v === 'softmax'),
        ),
      );
    return `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`;
  });
  return `{\n${lines.join(',\n')}\n}\n`;
}

const pronouns = pronounProjections();
const presets: Preset[] = [
  catMat(),
  pronounPreset(
    'dog-ball',
    '“The dog chased the ball because it was bouncing”',
    'The dog chased the ball because it was bouncing',
    'ball',
    pronouns,
  ),
  pronounPreset('cat-warm', '“the cat sat on the mat because it was warm”', 'the cat sat on the mat because it was warm', 'mat', pronouns),
  causal(),
  translation(),
  translationAdditive(),
  largeScores(),
  sqrtDk(),
  ropeRelative(),
  alibiRecency(),
  slidingWindow(),
  groupedQuery(),
  softcap(),
  sinks(),
  decode(),
];

for (const preset of presets) {
  const text = format(preset);
  parsePreset(JSON.parse(text), preset.id); // what the page will read must validate
  const file = join(ROOT, 'examples', `${preset.id}.json`);
  writeFileSync(file, text);
  console.log(`wrote ${file} (${text.length} bytes)`);
}
