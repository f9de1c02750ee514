/**
 * Where a number on a heatmap comes from, in words a student can check by hand: a score is
 * q_i · k_j (with its terms) times the scale, a probability is exp(s − max) / Σ, an output is
 * Σ_j p_ij · v_jc (with the terms that matter most). Exact values are printed in full.
 */
import { kvHeadOf } from './features';
import { causalShift, positionalHide, resolveScale } from './options';
import type { Problem } from './problem';
import type { ReferenceResult } from './reference';

export interface Explained {
  title: string;
  lines: string[];
}

export interface ProvenanceContext {
  problem: Problem;
  reference: ReferenceResult;
  /** GPU values (h×n×m scores and probabilities, n×(h·dv) output) when a GPU run gave them. */
  gpu?: {
    scores: ArrayLike<number> | null;
    probs: ArrayLike<number> | null;
    output: ArrayLike<number>;
    projected?: ArrayLike<number> | null;
  } | null;
}

const MAX_TERMS = 6;

/** Four significant digits, with a real minus sign. */
export function short(x: number): string {
  if (x === -Infinity) return '−∞';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  const text = a !== 0 && (a < 1e-4 || a >= 1e6) ? x.toExponential(3) : String(Number(x.toPrecision(4)));
  return text.replace('-', '−');
}

/** The full value (shortest round-trip form). */
export function exact(x: number): string {
  return x === -Infinity ? '−∞' : String(x).replace(/^-/, '−');
}

function pair(ctx: ProvenanceContext, i: number, j: number): string {
  return `${ctx.problem.queryLabels[i]} → ${ctx.problem.keyLabels[j]}`;
}

function headNote(ctx: ProvenanceContext, head: number): string {
  return ctx.problem.shape.heads > 1 ? ` (head ${head})` : '';
}

function gpuLine(value: number | undefined, cpu: number): string[] {
  if (value === undefined) return [];
  const diff = Math.abs(value - cpu);
  return [
    `GPU (float32) = ${exact(value)}${Number.isFinite(diff) && diff > 0 ? `   |Δ| = ${short(diff)}` : value === cpu ? '   (identical)' : ''}`,
  ];
}

/** The K/V head query head t reads, and a note naming it when several query heads share one. */
export function kvHeadNote(ctx: ProvenanceContext, head: number): { kv: number; note: string } {
  const { heads, kvHeads } = ctx.problem.shape;
  const kv = kvHeadOf(head, heads, kvHeads);
  return { kv, note: kvHeads !== heads ? ` (query head ${head} reads K/V head ${kv})` : '' };
}

/** Query row i's index in the whole problem, as formulas name it (a sampled problem's row i is sample.rows[i]). */
function queryIndex(ctx: ProvenanceContext, i: number): number {
  return ctx.problem.sample?.rows[i] ?? i;
}

export function explainRaw(ctx: ProvenanceContext, head: number, i: number, j: number): Explained {
  // With RoPE the score is taken between the rotated query and key.
  const rotated = ctx.reference.rotated;
  const q = rotated?.q ?? ctx.problem.inputs.q,
    k = rotated?.k ?? ctx.problem.inputs.k;
  const { dk, n, m } = ctx.problem.shape;
  const { kv, note } = kvHeadNote(ctx, head);
  const learned = learnedRaw(ctx, head, i, j);
  if (learned) return learned;
  const qi = queryIndex(ctx, i);
  const terms: string[] = [];
  for (let d = 0; d < dk && terms.length < MAX_TERMS; d++) {
    terms.push(`${short(q.data[i * q.cols + head * dk + d])}·${short(k.data[j * k.cols + kv * dk + d])}`);
  }
  const value = ctx.reference.raw.data[(head * n + i) * m + j];
  return {
    title: `raw score ${pair(ctx, i, j)}${headNote(ctx, head)}`,
    lines: [
      `q[${qi}] · k[${j}] = Σ_d q_${qi},d · k_${j},d${rotated ? ' (both after RoPE)' : ''}${note}`,
      `= ${terms.join(' + ')}${dk > MAX_TERMS ? ` + … (${dk} terms)` : ''}`,
      `= ${exact(value)}`,
    ],
  };
}

/** The general and additive scores in words (their weights are not spelt out term by term). */
function learnedRaw(ctx: ProvenanceContext, head: number, i: number, j: number): Explained | null {
  const score = ctx.problem.options.score;
  if (score === 'dot') return null;
  const { n, m, dk } = ctx.problem.shape;
  const dq = ctx.problem.shape.dq ?? dk;
  const value = ctx.reference.raw.data[(head * n + i) * m + j];
  const a = ctx.problem.shape.scoreDim ?? 0;
  const qi = queryIndex(ctx, i);
  return {
    title: `raw score ${pair(ctx, i, j)}${headNote(ctx, head)}`,
    lines:
      score === 'general'
        ? [`q[${qi}]ᵀ W k[${j}] = Σ_a Σ_b q_${qi},a W_a,b k_${j},b (W: ${dq}×${dk}, shared by every head)`, `= ${exact(value)}`]
        : [
            `vᵀ tanh(W_q q[${qi}] + W_k k[${j}]) = Σ_r v_r tanh((W_q q_${qi})_r + (W_k k_${j})_r) over a = ${a} hidden units`,
            `= ${exact(value)}`,
          ],
  };
}

function scaleWords(ctx: ProvenanceContext): string {
  const { scale } = ctx.problem.options;
  const dk = ctx.problem.shape.dk;
  if (scale === 'default') return `1/√${dk} = ${short(resolveScale(scale, dk))}`;
  if (scale === 'none') return '1 (no scaling)';
  return `${short(scale)} (custom)`;
}

export function explainScaled(ctx: ProvenanceContext, head: number, i: number, j: number): Explained {
  const { n, m, dk } = ctx.problem.shape;
  const idx = (head * n + i) * m + j;
  const { temperature, scale } = ctx.problem.options;
  return {
    title: `scaled score ${pair(ctx, i, j)}${headNote(ctx, head)}`,
    lines: [
      `raw × scale ÷ temperature`,
      `= ${short(ctx.reference.raw.data[idx])} × ${short(resolveScale(scale, dk))} ÷ ${short(temperature)}`,
      `scale = ${scaleWords(ctx)}`,
      `= ${exact(ctx.reference.scaled.data[idx])}`,
    ],
  };
}

/** Why key j is hidden from query i, or null when it is visible. */
export function hiddenBecause(problem: Problem, i: number, j: number): string | null {
  const { n, m } = problem.shape;
  if (problem.padding.has(j)) return `${problem.keyLabels[j]} is marked as padding`;
  if ((problem.explicitMask?.[i]?.[j] ?? 1) === 0) return 'the mask hides this pair';
  // A sampled problem's row i is row sample.rows[i] of the whole one.
  const row = problem.sample?.rows[i] ?? i;
  const { causal, window } = problem.options;
  const hide = positionalHide(row, j, { causal, window, shift: causalShift(problem.sample?.n ?? n, m) });
  if (hide === 'causal') return `causal: key ${j} comes after query ${row}`;
  if (hide === 'window') return `sliding window: key ${j} is ${window} or more positions from query ${row}`;
  return null;
}

export function explainMasked(ctx: ProvenanceContext, head: number, i: number, j: number): Explained {
  const { n, m } = ctx.problem.shape;
  const idx = (head * n + i) * m + j;
  const reason = hiddenBecause(ctx.problem, i, j);
  const value = ctx.reference.masked.data[idx];
  const { capped, bias } = ctx.reference;
  const from = capped ? 'softcapped score' : 'scaled score';
  const passes = bias
    ? `visible: ${from} + ALiBi bias = ${short((capped ?? ctx.reference.scaled).data[idx])} + ${short(bias.data[idx])}`
    : `visible: the ${from} passes through`;
  return {
    title: `masked score ${pair(ctx, i, j)}${headNote(ctx, head)}`,
    lines: [
      reason ? `hidden: ${reason} → −∞ (softmax gives it weight 0)` : passes,
      `= ${exact(value)}`,
      ...gpuLine(ctx.gpu?.scores?.[idx], value),
    ],
  };
}

/** A weight under an elementwise activation: φ of its own masked score, no normalisation. */
export function explainElementwise(ctx: ProvenanceContext, head: number, i: number, j: number): Explained {
  const { n, m } = ctx.problem.shape;
  const idx = (head * n + i) * m + j;
  const activation = ctx.problem.options.activation;
  const name = activation === 'relu' ? 'ReLU' : 'GELU';
  const score = ctx.reference.masked.data[idx];
  const value = ctx.reference.probs.data[idx];
  return {
    title: `weight ${pair(ctx, i, j)}${headNote(ctx, head)}`,
    lines: [
      score === -Infinity
        ? 'hidden: the masked score is −∞ → weight 0'
        : `${name}(masked score ${short(score)}), on its own: no sum over the row`,
      `= ${exact(value)}`,
      ...gpuLine(ctx.gpu?.probs?.[idx], value),
    ],
  };
}

export function explainProb(ctx: ProvenanceContext, head: number, i: number, j: number): Explained {
  const { n, m } = ctx.problem.shape;
  const row = (head * n + i) * m;
  const masked = ctx.reference.masked.data;
  // A sink logit σ joins the row's max and its denominator (it has no value of its own).
  const sinks = ctx.problem.options.sinks;
  const sink = sinks ? Math.fround(sinks[head]) : -Infinity;
  let max = sink;
  for (let t = 0; t < m; t++) max = Math.max(max, masked[row + t]);
  const value = ctx.reference.probs.data[row + j];
  const s = masked[row + j];
  const title = `weight ${pair(ctx, i, j)}${headNote(ctx, head)}`;
  if (max === -Infinity)
    return { title, lines: ['every key is hidden from this query: all weights are 0', ...gpuLine(ctx.gpu?.probs?.[row + j], value)] };
  let sum = 0;
  for (let t = 0; t < m; t++) sum += Math.exp(masked[row + t] - max);
  const sinkTerm = sinks ? Math.exp(sink - max) : 0;
  return {
    title,
    lines: [
      sinks ? 'p = exp(s − max) / (exp(σ − max) + Σ_j exp(s_j − max)), σ = the sink logit' : 'p = exp(s − max) / Σ_j exp(s_j − max)',
      s === -Infinity
        ? `s = −∞ (hidden) → exp(−∞) = 0`
        : `s = ${short(s)}, row max = ${short(max)}, exp(${short(s - max)}) = ${short(Math.exp(s - max))}`,
      ...(sinks
        ? [`σ = ${short(sink)}: exp(σ − max) = ${short(sinkTerm)}, the sink's share of the row = ${short(sinkTerm / (sinkTerm + sum))}`]
        : []),
      `Σ exp(s_j − max) over the row = ${short(sum)}`,
      `p = ${exact(value)}`,
      ...gpuLine(ctx.gpu?.probs?.[row + j], value),
    ],
  };
}

export function explainOutput(ctx: ProvenanceContext, i: number, c: number): Explained {
  const { n, m, dv } = ctx.problem.shape;
  const { v } = ctx.problem.inputs;
  const head = Math.floor(c / dv);
  // Head t's output column c reads V's column c of the K/V head t uses.
  const vc = kvHeadNote(ctx, head).kv * dv + (c % dv);
  const probs = ctx.reference.probs.data;
  const terms = Array.from({ length: m }, (_, j) => {
    const p = probs[(head * n + i) * m + j];
    const x = v.data[j * v.cols + vc];
    return { j, p, x, product: p * x };
  }).sort((a, b) => Math.abs(b.product) - Math.abs(a.product));
  const shown = terms.slice(0, MAX_TERMS);
  const value = ctx.reference.output.data[i * ctx.reference.output.cols + c];
  return {
    title: `output ${ctx.problem.queryLabels[i]}, ${ctx.problem.valueLabels[c]}${headNote(ctx, head)}`,
    lines: [
      `Σ_j p_${queryIndex(ctx, i)},j · v_j,${vc}  (weights × values, largest first)${kvHeadNote(ctx, head).note}`,
      ...shown.map((t) => `  ${short(t.p)} (${ctx.problem.keyLabels[t.j]}) × ${short(t.x)} = ${short(t.product)}`),
      ...(m > shown.length ? [`  … and ${m - shown.length} smaller terms`] : []),
      `= ${exact(value)}`,
      ...gpuLine(ctx.gpu?.output?.[i * ctx.reference.output.cols + c], value),
    ],
  };
}

/** One element of the projected output O·W_o: the concatenated heads' outputs times a column of W_o. */
export function explainProjected(ctx: ProvenanceContext, i: number, c: number): Explained {
  const { wo } = ctx.problem.inputs;
  const projected = ctx.reference.projected;
  const title = `output · W_o ${ctx.problem.queryLabels[i]}, ${ctx.problem.projectedLabels[c] ?? c}`;
  if (!wo || !projected) return { title, lines: ['this problem has no output projection'] };
  const out = ctx.reference.output;
  const terms = Array.from({ length: wo.rows }, (_, k) => {
    const o = out.data[i * out.cols + k],
      w = wo.data[k * wo.cols + c];
    return { k, o, w, product: o * w };
  }).sort((a, b) => Math.abs(b.product) - Math.abs(a.product));
  const shown = terms.slice(0, MAX_TERMS);
  const value = projected.data[i * projected.cols + c];
  return {
    title,
    lines: [
      `Σ_k o_${queryIndex(ctx, i)},k · W_o[k][${c}]  over the ${wo.rows} concatenated head outputs, largest first`,
      ...shown.map((t) => `  ${short(t.o)} (${ctx.problem.valueLabels[t.k]}) × ${short(t.w)} = ${short(t.product)}`),
      ...(wo.rows > shown.length ? [`  … and ${wo.rows - shown.length} smaller terms`] : []),
      `= ${exact(value)}`,
      ...gpuLine(ctx.gpu?.projected?.[i * projected.cols + c], value),
    ],
  };
}
