/**
 * Hints: from the symptoms of each case and the pattern across cases to the usual bug classes.
 *
 * Findings with a source line come first (the interpreter's races, out-of-bounds accesses, reads of
 * unwritten workgroup memory; a limit a default device does not offer), then symptom rules, because a
 * symptom names its cause most directly (a NaN that is still the poison was never written). Then the
 * pattern across cases: each mechanism is a set of case features (two or more workgroups along an
 * axis, several heads and dk ≠ dv, causal with a mask, rows in blocks, all-negative rows, …); one
 * that every failing case has is a suspect, ranked by how many of the cases with those features
 * fail (precision), then by how specific it is. Every hint names a bug class (report.ts BUG_CLASSES),
 * and a failing kernel always gets at least one. Deterministic: the same cases give the same hints.
 *
 * The attention features (../features.ts) have mechanisms of their own, read first after the
 * structural symptoms (a timeout, a race, never-written elements): when every failing case has a
 * feature on (only softcap cases fail; only cases with fewer K/V heads than heads; only ALiBi on two
 * or more heads; only RoPE's half layout; …), the hint names the feature as its bug class.
 */
import { resolveScale } from '../options';
import { unsyncedWorkgroupReads } from './barriers';
import type { LoopVarFinding } from './loop-vars';
import { loopVarsReadFirst } from './loop-vars';
import type { CaseTag, VerifyCase } from './cases';
import type { BugClass, CaseReport, Hint, HintId } from './report';
import type { StageName } from '../stages';
import { counted, countedOf } from '../plural';

/** How the interface dispatches each stage, for the unwritten-elements hint. */
const DISPATCH: Record<string, string> = {
  qk: 'x over the m keys (ceil(m / wg.x) workgroups), y over the query rows (ceil(n / wg.y)), z over heads',
  softmax: 'x over the query rows (ceil(n / wg.y) workgroups: one row per wg.y), y over heads',
  pv: 'x over the dv value columns (ceil(dv / wg.x) workgroups), y over the query rows (ceil(n / wg.y)), z over heads',
  project: 'x over the d_model columns of W_o (ceil(d_model / wg.x) workgroups), y over the query rows (ceil(n / wg.y)), one z',
};

/** The short per-case hint shown in the table row. */
export function caseHint(c: Omit<CaseReport, 'hint'>): string {
  if (c.status === 'timeout') return 'timed out — infinite loop or a very slow kernel?';
  if (c.status === 'error') return c.error ?? 'could not run';
  if (c.status === 'pass') return '';
  const parts: string[] = [];
  if (c.differing > 0) parts.push(`differs between runs (${counted(c.differing, 'element')}): race`);
  if (c.unwritten > 0) parts.push(`${c.unwritten} never written (NaN poison): dispatch too small or early return`);
  if (c.nonFiniteInMaskedRows > 0) parts.push('NaN in a fully masked row: division by a zero sum');
  if (c.nonFiniteElsewhere > 0) {
    parts.push(
      !c.case.tags.includes('large-scores')
        ? `${c.nonFiniteElsewhere} Inf/NaN computed`
        : // Scores come before any softmax: there an Inf/NaN is an overflow in the score's own arithmetic.
          c.tensor === 'scores'
          ? 'Inf/NaN with large scores: an overflow computing the score (a product, or tanh without its clamp)?'
          : 'Inf/NaN with large scores: missing max subtraction?',
    );
  }
  if (c.maskMismatches > 0) parts.push(`${c.maskMismatches} scores masked wrongly (−∞ vs a number)`);
  const unnormalised = c.unnormalisedRows ?? 0;
  // A row never divided by its sum is the reference times that sum: the factor is then no scale's.
  if (unnormalised > 0) parts.push(`${counted(unnormalised, 'row')} not summing to 1: not normalised`);
  else if (c.factor !== null) parts.push(`every element ×${c.factor.toPrecision(4)}: scale/temperature`);
  return parts.join('; ');
}

/** Case `c`'s row with `fields` over one that compared nothing and found nothing, hinted from them. */
export function caseReport(c: VerifyCase, fields: Pick<CaseReport, 'status' | 'ms'> & Partial<Omit<CaseReport, 'hint'>>): CaseReport {
  const row: Omit<CaseReport, 'hint'> = {
    name: c.name,
    case: c,
    tensor: null,
    count: 0,
    failures: 0,
    maxAbs: 0,
    maxRel: 0,
    maxUlp: 0,
    firstBad: null,
    differing: 0,
    unwritten: 0,
    nonFiniteInMaskedRows: 0,
    nonFiniteElsewhere: 0,
    maskMismatches: 0,
    factor: null,
    ...fields,
  };
  return { ...row, hint: caseHint(row) };
}

/**
 * The hint of a case shrunk from `original`: its own counts and factor, for the symptoms the
 * original showed. A symptom only the small case shows is left out (one element always looks like
 * "×constant"); a hint that came from the diagnosis, not from the original's symptoms, stays.
 */
export function shrunkCaseHint(original: CaseReport, shrunk: Omit<CaseReport, 'hint'>): string {
  if (caseHint(original) === '') return original.hint;
  const shown = (
    count: 'differing' | 'unwritten' | 'nonFiniteInMaskedRows' | 'nonFiniteElsewhere' | 'maskMismatches' | 'unnormalisedRows',
  ) => ((original[count] ?? 0) > 0 ? (shrunk[count] ?? 0) : 0);
  const hint = caseHint({
    ...shrunk,
    differing: shown('differing'),
    unwritten: shown('unwritten'),
    nonFiniteInMaskedRows: shown('nonFiniteInMaskedRows'),
    nonFiniteElsewhere: shown('nonFiniteElsewhere'),
    maskMismatches: shown('maskMismatches'),
    unnormalisedRows: shown('unnormalisedRows'),
    factor: original.factor === null ? null : shrunk.factor,
  });
  return hint || original.hint;
}

/**
 * Gives failing cases without a symptom of their own the conclusion of the first diagnosis that
 * covers them (the part of its title after the arrow), so every failing row says something.
 */
export function annotateCases(cases: CaseReport[], hints: Hint[]): CaseReport[] {
  return cases.map((c) => {
    if (c.status !== 'fail' || c.hint) return c;
    const hint = hints.find((h) => h.cases.includes(c.name));
    return hint ? { ...c, hint: hint.title.split('→ ').pop()! } : c;
  });
}

const near = (a: number, b: number) => Math.abs(a - b) <= 1e-3 * Math.abs(b);

function scaleHint(failing: CaseReport[]): Hint | null {
  if (failing.length === 0 || failing.some((c) => c.factor === null)) return null;
  const alpha = (c: CaseReport) => resolveScale(c.case.scale, c.case.dk);
  const every = (f: (c: CaseReport) => number) => failing.every((c) => near(c.factor!, f(c)));
  const factors = [...new Set(failing.map((c) => `×${c.factor!.toPrecision(4)}`))];
  let why = `in every failing case each element is the reference times one constant (${factors.slice(0, 4).join(', ')}${factors.length > 4 ? ', …' : ''})`;
  if (every((c) => c.case.temperature / alpha(c)))
    why += ': the factor is temperature/scale in every case, so the scores are neither scaled nor divided by the temperature';
  else if (every((c) => 1 / alpha(c)))
    why += ': the factor is 1/scale in every case (√dk with the default 1/√dk scale), so the scale is never applied';
  else if (every((c) => c.case.temperature))
    why += ': the factor is the temperature in every case, so the division by the temperature is missing';
  else if (every(alpha)) why += ': the factor is the scale again, so the scale is applied twice';
  return {
    id: 'scale',
    bugClass: 'scaling',
    title: 'wrong everywhere by a constant factor → scale or temperature',
    detail: `${why}. Scores are (q·k) · params.scale / params.temperature.`,
    cases: failing.map((c) => c.name),
  };
}

interface Mechanism {
  id: HintId;
  bugClass: BugClass;
  /** Every one of these tags … */
  all?: CaseTag[];
  /** … and at least one of these. */
  any?: CaseTag[];
  /** Only for these stages (default: every stage) … */
  only?: readonly StageName[];
  /** … and never for these: where the mechanism cannot occur (the projection has no head offsets). */
  except?: readonly StageName[];
  title: string;
  detail: string;
}

/** Mechanisms, from the features of the cases they break; more specific ones first among equals. */
const MECHANISMS: Mechanism[] = [
  {
    id: 'tile-origin',
    bugClass: 'tile-origin',
    all: ['multi-wg'],
    title: 'fails only when two or more workgroups run along an axis → a tile origin (workgroup_id × tile) is wrong',
    detail:
      "the first workgroup along each axis is right, later ones are not: a workgroup's first row/key/column must be workgroup_id × (its whole output tile: @workgroup_size × outputs per invocation), not × @workgroup_size alone, and x/y must not be swapped.",
  },
  {
    id: 'head-offset',
    bugClass: 'head-offset',
    all: ['heads', 'widths'],
    except: ['project'],
    title: 'fails only with several heads and dk ≠ dv → head offset taken with the other width',
    detail:
      'head t uses columns t·dk…(t+1)·dk of Q and K but t·dv…(t+1)·dv of V and the output: look for head * dv where head * dk belongs, or the reverse.',
  },
  {
    id: 'head-offset',
    bugClass: 'head-offset',
    all: ['heads', 'cross'],
    except: ['project'],
    title: 'fails only with several heads and n ≠ m → head block start with m for n',
    detail:
      "head t's block of scores and probabilities starts at row t·n (t·n·m elements), not t·m (t·m·m): look for m where n belongs in the head's offset.",
  },
  {
    id: 'mask-causal',
    bugClass: 'masking',
    all: ['causal', 'mask'],
    title: 'fails only with causal and an explicit mask together → the mask replaces the causal test',
    detail:
      'a key is visible when it passes both tests: (j ≤ i + params.causal_shift or not causal) and (mask[i·m + j] ≠ 0 or no mask). AND them; do not let one decide alone.',
  },
  {
    id: 'causal-shift',
    bugClass: 'masking',
    all: ['row-blocks'],
    title: 'fails only when query rows run in blocks → causal_shift recomputed from the shape',
    detail:
      'the engine splits long sequences into blocks of rows and passes each block its own params.causal_shift (and params.n is the block’s row count): use params.causal_shift as given instead of m − n, and index rows relative to the block.',
  },
  {
    id: 'max-init',
    bugClass: 'initialisation',
    all: ['very-negative'],
    title: 'fails only on rows whose scores are all far below zero → running max initialised to 0 or another finite floor',
    detail:
      'start the row max at the lowest float (−3.4e38) or −∞, or at the first visible score; from 0 (or −1e4, −65504, …), exp(s − max) underflows to 0 for every key once all scores are about 88 below it.',
  },
  {
    id: 'large-sizes',
    bugClass: 'bounds',
    all: ['large-sizes'],
    title: 'fails only past 256 rows or keys, or with 5 or more heads → a bound fixed at a size',
    detail:
      'the kernel is right on small problems only: look for a loop bound, guard, array length or index fixed at a power of two (128 or 256 keys or rows, 4 heads) where params.m, params.n or params.heads belongs.',
  },
  {
    id: 'masking',
    bugClass: 'masking',
    all: ['causal', 'cross'],
    title: 'fails only with causal and n ≠ m → causal alignment',
    detail:
      'the last query row sees every key: key j is visible to row i when j ≤ i + params.causal_shift (m − n for a whole problem), not j ≤ i.',
  },
  {
    id: 'stride',
    bugClass: 'stride',
    all: ['mask', 'cross'],
    title: 'fails only with an explicit mask and n ≠ m → the mask read with the wrong row stride',
    detail: 'the mask is n×m, row i starts at i·m: look for i·n.',
  },
  {
    id: 'stride',
    bugClass: 'stride',
    all: ['heads'],
    only: ['project'],
    title: 'fails only with more than one head → the inner dimension taken as dv, not heads·dv',
    detail:
      "the projection's inner dimension is the heads' concatenated output: rows of O are heads·dv wide and W_o has heads·dv rows. A loop bound or a row stride of dv is right for one head only.",
  },
  {
    id: 'head-offset',
    bugClass: 'head-offset',
    all: ['heads'],
    except: ['project'],
    title: 'fails only with more than one head → head offset',
    detail: 'head t uses columns t·dk…(t+1)·dk of Q/K and t·dv…(t+1)·dv of V and the output, and rows (t·n + i) of the score tensors.',
  },
  {
    id: 'stride',
    bugClass: 'stride',
    all: ['heads'],
    except: ['project'],
    title: 'fails only with more than one head → a row stride that omits the heads',
    detail: 'rows of Q and K are heads·dk wide, rows of V and the output heads·dv: a stride of dk or dv is right for one head only.',
  },
  {
    id: 'cross',
    bugClass: 'stride',
    all: ['cross'],
    title: 'fails only when n ≠ m → n and m mixed up',
    detail: 'a score row has m entries: look for a row stride or a bound that uses params.n where it needs params.m, or the reverse.',
  },
  {
    id: 'cross',
    bugClass: 'bounds',
    all: ['cross'],
    title: 'fails only when n ≠ m → a bound against n where m belongs (or the reverse)',
    detail:
      'keys are guarded by m, query rows by n: a guard against the other size reads past the end or skips entries whenever they differ.',
  },
  {
    id: 'widths',
    bugClass: 'stride',
    all: ['widths'],
    title: 'fails only when dk ≠ dv → dk and dv mixed up',
    detail: 'Q and K rows are heads·dk wide, V and output rows heads·dv: look for a stride or bound using the other width.',
  },
  {
    id: 'masking',
    bugClass: 'masking',
    any: ['causal', 'mask', 'masked-row', 'one-visible'],
    title: 'fails only with causal or an explicit mask → masking',
    detail:
      'key j is visible to query row i when j ≤ i + params.causal_shift (causal) and mask[i·m + j] ≠ 0 (FLAG_MASK); a hidden score must be exactly −∞ and get probability 0.',
  },
  {
    id: 'options',
    bugClass: 'scaling',
    all: ['scaled'],
    title: 'passes only where scale / temperature is 1 → the scale applied at the wrong place',
    detail:
      'the scores are (q·k) · params.scale / params.temperature before the softmax; scaling the output, the probabilities or the sum instead is only right when the factor is 1.',
  },
  {
    id: 'options',
    bugClass: 'scaling',
    any: ['temperature'],
    title: 'fails only with a temperature ≠ 1 → the temperature applied wrongly',
    detail: 'scores are (q·k) · params.scale / params.temperature, once, in the QKᵀ stage: not multiplied, not applied again later.',
  },
  {
    id: 'options',
    bugClass: 'scaling',
    any: ['scale'],
    title: 'fails only with a custom scale or temperature → params.scale / params.temperature ignored',
    detail: 'use the uniform values instead of a hard-coded 1/√dk or 1.',
  },
  {
    id: 'overflow',
    bugClass: 'reduction',
    any: ['large-scores'],
    title: 'fails only with large scores → missing max subtraction',
    detail: 'exp() overflows float32 above about 88: compute exp(s − rowMax), not exp(s), so the largest term is exp(0) = 1.',
  },
  {
    id: 'inner-loop',
    bugClass: 'reduction',
    any: ['inner'],
    title: 'fails only when an inner loop runs over several chunks → a sum over part of the range',
    detail:
      'the loop over dk, keys or value columns must cover every chunk, the last partial one included, and combine every partial (every lane, every chunk).',
  },
  {
    id: 'inner-loop',
    bugClass: 'initialisation',
    any: ['inner'],
    title: 'fails only when an inner loop runs over several chunks → an accumulator not reset per chunk',
    detail:
      'a running max, sum or output accumulator declared outside the chunk loop carries the previous chunk’s value into the next one.',
  },
];

/**
 * The features' mechanisms, each with the feature as its bug class. Several per feature, from the
 * place it is applied wrongly (a softcap after the mask fails only where keys are hidden) to the
 * feature as a whole; the ranking prefers the one whose cases fail most exactly.
 */
const FEATURE_MECHANISMS: Mechanism[] = [
  // A feature right without splits and wrong with them: the split's local key index, or a path taken
  // only with one split. First, as featureSetHints takes a class's last mechanism as its most general.
  ...(
    [
      ['alibi', 'alibi', 'ALiBi', 'the distance i + causal_shift − j counts j over all m keys, not from the split’s first key'],
      ['softcap', 'softcap', 'a softcap', 'every split caps its scores as one split does'],
      ['window', 'window', 'a window', 'the window’s edge is at key i + causal_shift − w + 1 of all m keys, not of the split'],
      ['gqa', 'kv-heads', 'grouped K/V heads', 'every split reads K/V head ⌊t / group⌋, at its own keys'],
    ] as const
  ).map(([tag, bugClass, what, how]): Mechanism => ({
    id: bugClass,
    bugClass,
    all: [tag, 'key-splits'],
    title: `fails only with ${what} and split keys → ${what} applied otherwise once the keys are split`,
    detail: `split s covers keys [s·split_keys, …) of the row and applies every feature as the unsplit kernel does: ${how}.`,
  })),
  {
    id: 'kv-heads',
    bugClass: 'kv-heads',
    all: ['gqa-grouped'],
    title:
      'fails only where groups of query heads share K/V heads → the K/V head of query head t is ⌊t / (heads / kv_heads)⌋, not t mod kv_heads',
    detail:
      'consecutive query heads share one K/V head: with 4 heads on 2, heads 0 and 1 read K/V head 0 and heads 2 and 3 K/V head 1 (head / (params.heads / params.kv_heads)); head % kv_heads pairs heads 0 and 2 instead. With one K/V head (multi-query) both give 0, which is why those cases pass.',
  },
  {
    id: 'kv-heads',
    bugClass: 'kv-heads',
    all: ['gqa'],
    title: 'fails only with fewer K/V heads than query heads → K/V rows kv_heads wide, and the K/V head of a query head',
    detail:
      'K is m × (kv_heads·dk) and V m × (kv_heads·dv): their rows are params.kv_heads·dk (·dv) wide, not heads·dk, and query head t reads K/V head ⌊t / (heads / kv_heads)⌋ (the rope stage rotates K with kv_heads heads and Q with heads).',
  },
  {
    id: 'window',
    bugClass: 'window',
    all: ['window', 'bidirectional'],
    title: 'fails only with a window and no causal → without causal the window is two-sided, |d| < w',
    detail:
      'without causal, key j is visible when |i + params.causal_shift − j| < params.window: keys ahead of the query count as much as keys behind. A one-sided test (d < w) lets every key ahead through; a causal one hides them all.',
  },
  {
    id: 'window',
    bugClass: 'window',
    all: ['window'],
    title: 'fails only with a sliding window → the window test (its edge: d < w, not d ≤ w)',
    detail:
      'key j is visible to query row i when its distance d = i + params.causal_shift − j is below params.window: with causal 0 ≤ d < w (the w most recent keys, its own included), without |d| < w. Window 1 keeps only the query’s own position and w ≥ m hides nothing, so an off-by-one fails every window in between. Count d from causal_shift as causal does, and a key loop that starts at the first visible key must not wrap below 0 in u32.',
  },
  {
    id: 'alibi',
    bugClass: 'alibi',
    all: ['alibi', 'gqa'],
    title: 'fails only with ALiBi and grouped K/V heads → the slope of the K/V head instead of the query head',
    detail: 'ALiBi has one slope per query head: slopes[t] with t the query head (the grid’s z), not the K/V head it reads.',
  },
  {
    id: 'alibi',
    bugClass: 'alibi',
    all: ['alibi', 'heads'],
    title: 'fails only with ALiBi on two or more heads → the wrong head’s slope',
    detail:
      'each query head t has its own slope, slopes[t] (@binding(5) of qk, @binding(6) of fused): not slopes[0], not one slope for every head.',
  },
  {
    id: 'alibi',
    bugClass: 'alibi',
    all: ['alibi', 'bidirectional'],
    title: 'fails only with ALiBi and no causal → the signed distance',
    detail:
      'the bias is −slope_t · (i + causal_shift − j) with the signed distance: keys ahead of the query (j > i + causal_shift) get a positive bias. |i − j| is another convention, not this one.',
  },
  {
    id: 'alibi',
    bugClass: 'alibi',
    all: ['alibi'],
    any: ['cross', 'row-blocks'],
    title: 'fails only with ALiBi where n ≠ m or rows run in blocks → the distance counts from i + causal_shift',
    detail:
      'the distance is i + params.causal_shift − j (the query’s aligned position minus the key’s), not i − j: they differ whenever n ≠ m and in every block of rows after the first.',
  },
  {
    id: 'alibi',
    bugClass: 'alibi',
    all: ['alibi'],
    title: 'fails only with ALiBi → the bias −slope_t · (i + causal_shift − j): its sign, head or distance',
    detail:
      'subtract the slope times the distance (a positive slope lowers distant keys: check the sign), with slopes[t] of the query head and the distance from the aligned position i + params.causal_shift; add it after the softcap and before the mask.',
  },
  {
    id: 'softcap',
    bugClass: 'softcap',
    all: ['softcap-hidden'],
    title: 'fails only with a softcap where keys are hidden → the softcap applied after the mask',
    detail:
      'c·tanh(−∞ / c) is −c, not −∞: a hidden key keeps a weight. Cap the score first, then set hidden scores to −∞ (or skip them), so they stay exactly −∞.',
  },
  {
    id: 'softcap',
    bugClass: 'softcap',
    all: ['softcap', 'scaled'],
    title: 'fails only with a softcap and scale / temperature ≠ 1 → the softcap applied before the scale or the temperature',
    detail: 's = c·tanh(((q·k)·scale / temperature) / c): scale and divide first, then cap.',
  },
  {
    id: 'softcap',
    bugClass: 'softcap',
    all: ['softcap', 'alibi'],
    title: 'fails only with a softcap and ALiBi → the bias added before the cap',
    detail: 'cap the scaled score, then add the bias: c·tanh(s/c) − slope·d, not c·tanh((s − slope·d)/c).',
  },
  {
    id: 'softcap',
    bugClass: 'softcap',
    all: ['softcap', 'large-scores'],
    title: 'fails only with a softcap on scores of ±1e3 → tanh overflows',
    detail:
      'tanh(x) written as (e^{2x} − 1)/(e^{2x} + 1) is ∞/∞ = NaN once 2x passes 88: clamp x = s/c to ±15 first (tanh is ±1 there in float32).',
  },
  {
    id: 'softcap',
    bugClass: 'softcap',
    all: ['softcap'],
    title: 'fails only with a logit softcap → c·tanh(s/c), after scale and temperature, before the bias and the mask',
    detail:
      'the score after scale and temperature is squashed to params.softcap · tanh(s / params.softcap) (FLAG_SOFTCAP, 16); then ALiBi, then the mask.',
  },
  {
    id: 'key-splits',
    bugClass: 'key-splits',
    all: ['key-splits', 'sinks'],
    title: 'fails only with a sink and split keys → the sink counted in more than one split',
    detail:
      'with split-KV each split folds its own keys; the sink belongs to one of them only (split 0 starts from M = sink, L = 1, the others from L = 0), or the combine adds exp(sink − M) once per split.',
  },
  {
    id: 'key-splits',
    bugClass: 'key-splits',
    all: ['key-splits'],
    title: 'fails only when the keys are split (split-KV) → a split’s key range, or the combine’s rescaling',
    detail:
      'split s covers keys [s·split_keys, min((s + 1)·split_keys, m)) and no other; it leaves its max M_s, its L_s and its o_s relative to M_s (L_s = 0 when it sees no key); the combine rescales each split by exp2(M_s − M) to the common max M before adding, and divides once.',
  },
  {
    id: 'sinks',
    bugClass: 'sinks',
    all: ['sinks', 'masked-row'],
    title: 'fails only with a sink in rows that see no key → such a row is all zeros, sink or not',
    detail:
      'a row with no visible key has no weights to give: write 0 for every probability (and output 0), even though the sink makes the denominator exp(sink − sink) = 1 rather than 0.',
  },
  {
    id: 'sinks',
    bugClass: 'sinks',
    all: ['sinks', 'sink-far'],
    title: 'fails only with a sink far above the scores → the sink must join the row max',
    detail: 'M = max(sink_t, max_j s_j): with the max over the scores alone, exp(sink − M) overflows once the sink is 88 above them.',
  },
  {
    id: 'sinks',
    bugClass: 'sinks',
    all: ['sinks', 'heads'],
    title: 'fails only with sinks on two or more heads → the wrong head’s sink',
    detail:
      'each query head t has its own sink logit, sinks[t] (@binding(3) of softmax, @binding(7) of fused): row r of the h×n×m probabilities belongs to head ⌊r / n⌋.',
  },
  {
    id: 'sinks',
    bugClass: 'sinks',
    all: ['sinks'],
    title: 'fails only with attention sinks → the sink in the denominator, shifted by the max',
    detail:
      'p_j = exp(s_j − M) / (exp(sink_t − M) + Σ_k exp(s_k − M)) with M = max(sink_t, max s): the sink adds one term to every row’s sum, shifted by the same max as the scores (exp(sink) alone is another number), and has no value, so the weights sum to less than 1.',
  },
  {
    id: 'rope',
    bugClass: 'rope',
    all: ['rope-fraction'],
    title: 'fails only when RoPE rotates fewer dimensions than dk → params.rope_dims',
    detail:
      'rotate the first r = params.rope_dims dimensions of each head (θ_p = base^(−2p/r); in the half layout pair p is (p, p + r/2), not (p, p + dk/2)) and copy dimensions r … dk − 1 unchanged.',
  },
  {
    id: 'rope',
    bugClass: 'rope',
    all: ['rope-half'],
    title: 'fails only with the half pair layout → pairs (p, p + r/2)',
    detail:
      'with FLAG_ROPE_HALF (128) set, pair p rotates dimensions p and p + r/2 (Hugging Face’s rotate_half); with it clear, 2p and 2p + 1 (Meta’s interleaved layout). Read the flag.',
  },
  {
    id: 'rope',
    bugClass: 'rope',
    all: ['rope-interleaved'],
    title: 'fails only with the interleaved pair layout → pairs (2p, 2p + 1)',
    detail:
      'with FLAG_ROPE_HALF (128) clear, pair p rotates dimensions 2p and 2p + 1 (Meta’s layout); with it set, p and p + r/2. Read the flag.',
  },
  {
    id: 'rope',
    bugClass: 'rope',
    all: ['rope-offset'],
    title: 'fails only with a position offset → params.position_offset',
    detail:
      'key j sits at position position_offset + j and query row i at position_offset + i + causal_shift. The rotated Q and K are checked as they are, so an offset left out is wrong here even though the scores alone would not notice (only i − j matters to them).',
  },
  {
    id: 'rope',
    bugClass: 'rope',
    all: ['rope-base'],
    title: 'fails only with a base other than 10000 → params.rope_base',
    detail: 'θ_p = rope_base^(−2p/r): read the base from Params, not a hard-coded 10000.',
  },
  {
    id: 'rope',
    bugClass: 'rope',
    all: ['rope-shifted'],
    title: 'fails only where queries are not aligned with keys (n ≠ m, row blocks) → query positions add causal_shift',
    detail:
      'query row i of a dispatch sits at position_offset + i + params.causal_shift (the last query with the last key), key j at position_offset + j; the engine passes each block of rows its own causal_shift.',
  },
];

const names = (cases: CaseReport[]) => cases.map((c) => c.name);

/** The tag that marks a feature's cases, the feature's class and its name in a title. */
const FEATURE_TAGS: readonly { tag: CaseTag; bugClass: BugClass; title: string }[] = [
  { tag: 'gqa', bugClass: 'kv-heads', title: 'grouped K/V head' },
  { tag: 'window', bugClass: 'window', title: 'window' },
  { tag: 'alibi', bugClass: 'alibi', title: 'ALiBi' },
  { tag: 'softcap', bugClass: 'softcap', title: 'softcap' },
  { tag: 'sinks', bugClass: 'sinks', title: 'sink' },
];

/**
 * When no single feature's cases hold every failure but every failing case has some feature on (a
 * kernel that declares several features it does not implement), each feature whose cases mostly
 * fail, most failing first, with its class; a feature whose failures the features before it already
 * explain (it only fails where they are on too) is left out.
 */
function featureSetHints(cases: CaseReport[], failing: CaseReport[]): Hint[] {
  const judged = cases.filter((c) => c.status === 'pass' || c.status === 'fail');
  const featured = (c: CaseReport) => FEATURE_TAGS.some((f) => c.case.tags.includes(f.tag));
  if (failing.length === 0 || !failing.every(featured)) return [];
  // Credible only with a contrast: cases without any feature pass.
  if (judged.filter((c) => c.status === 'pass' && !featured(c) && c.case.n * c.case.m > 1).length < 2) return [];
  const explained = new Set<CaseReport>();
  return FEATURE_TAGS.map((f) => {
    const withFeature = judged.filter((c) => c.case.tags.includes(f.tag));
    const failed = withFeature.filter((c) => c.status === 'fail');
    return { ...f, failed, total: withFeature.length, rate: withFeature.length ? failed.length / withFeature.length : 0 };
  })
    .filter((f) => f.rate >= 0.5)
    .sort((a, b) => b.rate - a.rate)
    .filter((f) => {
      // A feature whose failing cases all have a feature already named on is not needed to explain them.
      const needed = f.failed.some((c) => !explained.has(c));
      f.failed.forEach((c) => explained.add(c));
      return needed;
    })
    .map((f) => {
      // The feature's most general mechanism: the last of its class.
      const general = FEATURE_MECHANISMS.filter((m) => m.bugClass === f.bugClass).at(-1)!;
      return {
        id: general.id,
        bugClass: f.bugClass,
        title: `fails only where features are on, in ${countedOf(f.failed.length, f.total, `${f.title} case`)} → ${general.title.split('→ ').pop()}`,
        detail: `no one feature's cases hold every failure, but only cases with a feature on fail: each feature listed fails in most of its cases. ${general.detail}`,
        cases: names(f.failed),
      };
    });
}

/**
 * A kernel of a learned score function (every case has one) that fails: the score function is the
 * first suspect, as the dot stage's structure around it is the built-in one's. Cases where tanh
 * saturates failing alone point at the tanh (its clamp, or something unbounded in its place).
 */
function learnedScoreHint(cases: CaseReport[], failing: CaseReport[]): Hint | null {
  const judged = cases.filter((c) => c.status === 'pass' || c.status === 'fail');
  if (failing.length === 0 || !judged.every((c) => c.case.score !== undefined)) return null;
  const score = failing[0].case.score!;
  const saturated = (c: CaseReport) => c.case.tags.includes('tanh-saturated');
  const onlySaturated = failing.every(saturated) && judged.some((c) => c.status === 'pass' && !saturated(c));
  // Every saturated case computes Inf/NaN, and ordinary cases pass: tanh's exp() overflowed (the
  // scores of ±1e3 and a softcap's tanh of a NaN score fail with it, so they need not be the only ones).
  const saturatedCases = judged.filter(saturated);
  const overflows =
    score === 'additive' &&
    saturatedCases.length > 0 &&
    saturatedCases.every((c) => c.status === 'fail' && c.nonFiniteElsewhere > 0) &&
    judged.some((c) => c.status === 'pass' && !saturated(c));
  if (overflows)
    return {
      id: 'score-function',
      bugClass: 'score-function',
      title: 'Inf/NaN where tanh saturates (pre-activations past ±15) → tanh overflows: clamp its input',
      detail: `every tanh-saturated case computes Inf/NaN (the first: "${saturatedCases[0].name}") while ordinary cases pass: tanh(x) evaluated as (e^{2x} − 1)/(e^{2x} + 1) is ∞/∞ = NaN once 2x passes 88, and GPUs may evaluate it so. Clamp each pre-activation p_r = (W_q q)[r] + (W_k k)[r] to ±15 before tanh (tanh is ±1 there in float32). Cases with scores of ±1e3 or a softcap that fail too most likely fail with it.`,
      cases: names(failing),
    };
  const layout =
    score === 'general'
      ? "raw = Σ_a q_a Σ_b W[a][b] k_b with W (dq×dk) row-major at binding 6: W[a][b] = scoring[a·dk + b], a over Q's dq columns of the head, b over K's dk (a transposed read, scoring[b·dq + a], fails wherever W is not symmetric)"
      : "raw = Σ_r v[r]·tanh((W_q q)[r] + (W_k k)[r]) with binding 6 holding W_q (a×dq) at 0, W_k (a×dk) at a·dq and v (a) at a·(dq + dk), a = params.score_dim: W_q multiplies Q's dq columns, W_k K's dk (swapped, they read each other's rows), and tanh applies to the sum of both projections before v weighs it";
  return {
    id: 'score-function',
    bugClass: 'score-function',
    title: onlySaturated
      ? 'fails only where tanh saturates (pre-activations past ±15) → tanh missing, unclamped or replaced'
      : `wrong in the ${score} score function → the weights' layout or the formula`,
    detail: onlySaturated
      ? 'the additive score is Σ_r v[r]·tanh(p_r): tanh keeps each term within ±|v[r]|, so large pre-activations must still give ±1 (clamp p to ±15 before tanh, whose exp() overflows beyond).'
      : `${layout}. Q is n×(heads·dq) (params.dq) and K m×(kv_heads·dk): a head offset taken with the other width also fails here.`,
    cases: names(failing),
  };
}

/** What the suite found besides the cases: the interpreter's findings and the limits a default device lacks. */
export interface DiagnosisContext {
  stage: string;
  /** Enables the static barrier check (only used when no interpreter findings are given). */
  source?: string;
  /** False when no workgroup-memory race is possible (none declared, or the interpreter found none): results that differ between runs are then overlapping writes. */
  sharedMemory?: boolean;
  findings?: Hint[];
}

const matches = (c: CaseReport, m: Mechanism) =>
  (m.all ?? []).every((t) => c.case.tags.includes(t)) && (!m.any || m.any.some((t) => c.case.tags.includes(t)));

/**
 * Mechanisms every failing case has, ranked by the share of the cases with those features that
 * fail, then by how many features they name; at most `limit`, one per (id, class).
 */
export function patternHints(
  cases: CaseReport[],
  failing: CaseReport[],
  limit = 3,
  stage?: string,
  mechanisms: readonly Mechanism[] = MECHANISMS,
): Hint[] {
  const judged = cases.filter((c) => c.status === 'pass' || c.status === 'fail');
  if (failing.length === 0) return [];
  const applies = (m: Mechanism) =>
    stage === undefined || ((!m.only || m.only.some((s) => s === stage)) && !m.except?.some((s) => s === stage));
  const ranked = mechanisms
    .filter(applies)
    .map((m, order) => {
      const covered = judged.filter((c) => matches(c, m));
      const recall = failing.every((c) => matches(c, m));
      const precision = covered.length ? failing.filter((c) => matches(c, m)).length / covered.length : 0;
      const specificity = (m.all?.length ?? 0) + (m.any ? 1 / m.any.length : 0);
      // Credible only with a contrast: at least two non-trivial cases without the features pass.
      const contrast = judged.filter((c) => c.status === 'pass' && !matches(c, m) && c.case.n * c.case.m > 1).length >= 2;
      return { m, order, recall, precision, specificity, contrast };
    })
    .filter((r) => r.recall && r.contrast && r.precision >= 0.2)
    .sort((a, b) => b.precision - a.precision || b.specificity - a.specificity || a.order - b.order);
  const hints: Hint[] = [];
  for (const { m } of ranked) {
    if (hints.length >= limit) break;
    if (hints.some((h) => h.id === m.id && h.bugClass === m.bugClass)) continue;
    hints.push({ id: m.id, bugClass: m.bugClass, title: m.title, detail: m.detail, cases: names(failing) });
  }
  return hints;
}

/** A separating size: every failing case has dim > t and every passing one dim ≤ t. */
function thresholdHint(cases: CaseReport[], failing: CaseReport[]): Hint | null {
  const passing = cases.filter((c) => c.status === 'pass');
  // A threshold read from one or two passing cases (size 1) says nothing: everything else fails.
  if (!failing.length || passing.length < 3) return null;
  const dims = [
    ['m', 'reduction', 'keys', 'a reduction over the keys covers part of the row (some lanes or chunks left out)'],
    ['dk', 'reduction', 'dk', 'the dot product over dk covers part of the range (a chunk or the last partial chunk left out)'],
    [
      'dv',
      'initialisation',
      'value columns',
      'a later chunk of value columns reuses state from the first (an accumulator or denominator not reset)',
    ],
    ['n', 'bounds', 'query rows', 'rows past a fixed count are handled wrongly (a bound or a row loop)'],
  ] as const;
  for (const [dim, bugClass, what, why] of dims) {
    const low = Math.min(...failing.map((c) => c.case[dim]));
    const high = Math.max(...passing.map((c) => c.case[dim]));
    if (high < low) {
      return {
        id: 'inner-loop',
        bugClass,
        title: `fails exactly when ${dim} > ${high} → ${why.split(' (')[0]}`,
        detail: `every case with ${what} ≤ ${high} passes and every case with more fails: ${why}.`,
        cases: names(failing),
      };
    }
  }
  return null;
}

/** The diagnosis of a finished suite, most specific first; never empty when a case failed. */
export function diagnose(cases: CaseReport[], context: DiagnosisContext = { stage: '' }): Hint[] {
  const hints: Hint[] = [...(context.findings ?? [])];
  const failing = cases.filter((c) => c.status === 'fail');
  const explained = new Set<CaseReport>();
  const add = (hint: Hint, by: CaseReport[]) => {
    hints.push(hint);
    by.forEach((c) => explained.add(c));
  };

  const timedOut = cases.filter((c) => c.status === 'timeout');
  if (timedOut.length) {
    add(
      {
        id: 'timeout',
        bugClass: 'bounds',
        title: 'timed out — infinite loop or a very slow kernel?',
        detail: `"${timedOut[0].name}" did not finish in time and the suite stopped there. Look for a loop whose counter never reaches its bound (a stride of 0, a bound that is never updated, a loop over a u32 counting down past 0).`,
        cases: names(timedOut),
      },
      timedOut,
    );
  }

  const racing = cases.filter((c) => c.differing > 0);
  if (racing.length && context.sharedMemory === false) {
    add(
      {
        id: 'race',
        bugClass: 'bounds',
        title: 'differs between two runs → two invocations write the same element',
        detail:
          'no invocation races on workgroup memory (the kernel shares none, or the interpreter found no race there), so results can only change from run to run when two invocations store to one element: a store guard or an index lets an invocation write outside its own tile or head (and leaves another element unwritten or out of bounds).',
        cases: names(racing),
      },
      racing,
    );
  } else if (racing.length) {
    add(
      {
        id: 'race',
        bugClass: 'barrier',
        title: 'differs between two runs → a race, missing workgroupBarrier()',
        detail:
          'the same inputs gave different results: an invocation reads workgroup memory before the others finished writing it (a workgroupBarrier() is missing between the writes and the reads, or before the next tile overwrites it), or two invocations store to the same element.',
        cases: names(racing),
      },
      racing,
    );
  }

  const unwritten = failing.filter((c) => c.unwritten > 0);
  if (unwritten.length) {
    const grid = DISPATCH[context.stage];
    add(
      {
        id: 'unwritten',
        bugClass: unwritten.every((c) => c.case.tags.includes('multi-wg')) ? 'tile-origin' : 'bounds',
        title: 'elements never written → dispatch too small or an early return',
        detail: `some outputs still hold the NaN the buffer was filled with. Either the grid does not cover them (the engine dispatches ${grid ?? 'the grid of docs/kernel-interface.md'}, sized from your @workgroup_size; check the index math matches), or a return/condition skips their store.`,
        cases: names(unwritten),
      },
      unwritten,
    );
  }

  // A static finding with its lines: an accumulator a loop body reads before assigning, which some
  // WebGPU implementations do not zero on every iteration. It names a suspect, so it explains no case.
  const loopVars = failing.length && context.source ? loopVarsReadFirst(context.source) : [];
  if (loopVars.length) hints.push(loopVarHint(loopVars, failing));

  hints.push(...activationHints(cases, failing, (c) => explained.add(c)));

  // The features next: a pattern confined to one feature's cases names the feature (its class), or,
  // when several features fail together, each of them; before the symptoms below say how it fails
  // (a NaN in a masked row, a constant factor).
  const featureHints = patternHints(cases, failing, 2, context.stage, FEATURE_MECHANISMS);
  hints.push(...(featureHints.length ? featureHints : featureSetHints(cases, failing)));

  const learned = learnedScoreHint(cases, failing);
  if (learned && !featureHints.length) add(learned, failing);

  const zeroSum = failing.filter((c) => c.nonFiniteInMaskedRows > 0 && !c.case.activation);
  if (zeroSum.length) {
    add(
      {
        id: 'zero-sum',
        bugClass: 'masking',
        title: 'NaN in a fully masked row → division by a zero sum',
        detail:
          'when every key of a row is masked, Σ exp(…) is 0 and p = 0/0 = NaN. Such a row has no distribution: write 0 for every probability (and the output row is then 0).',
        cases: names(zeroSum),
      },
      zeroSum,
    );
  }

  const overflowing = failing.filter((c) => c.nonFiniteElsewhere > 0 && !c.case.activation);
  // Without the max subtraction exp() overflows on large scores and underflows on all-negative rows.
  const extreme = (c: CaseReport) => c.case.tags.some((t) => t === 'large-scores' || t === 'very-negative' || t === 'mixed-heads');
  if (
    overflowing.length &&
    overflowing.every(extreme) &&
    failing.every(extreme) &&
    overflowing.some((c) => c.case.tags.includes('large-scores'))
  ) {
    add(
      {
        id: 'overflow',
        bugClass: 'reduction',
        title: 'Inf/NaN only with large scores → missing max subtraction',
        detail: MECHANISMS.find((f) => f.id === 'overflow')!.detail,
        cases: names(overflowing),
      },
      failing.filter(extreme),
    );
  }

  // Softmax rows that are the reference's times a constant: the division by the row's sum is missing
  // (or sums part of the row). Before the scale: such a row's constant is its sum, not a scale.
  const unnormalised = failing.filter((c) => (c.unnormalisedRows ?? 0) > 0 && !explained.has(c));
  if (unnormalised.length)
    add(
      {
        id: 'normalisation',
        bugClass: 'reduction',
        title: 'rows do not sum to 1 → the softmax is not normalised (divide by the row sum)',
        detail: `in ${counted(unnormalised.length, 'failing case')} the probabilities of a row are the reference's times one constant, so the row sums to that constant instead of 1 (the first: "${unnormalised[0].name}", ${counted(unnormalised[0].unnormalisedRows!, 'row')}). p = exp(s − max) / Σ exp(s − max): divide every probability by the sum over all of the row's visible keys (and a sink's exp(σ − max)), after the sum is complete.`,
        cases: names(unnormalised),
      },
      unnormalised,
    );

  const scale = scaleHint(failing.filter((c) => !explained.has(c)));
  if (scale) add(scale, failing);

  // The static heuristic only stands in when the interpreter did not run (context.findings absent).
  const findings = failing.length && context.source && !context.findings ? unsyncedWorkgroupReads(context.source) : [];
  if (findings.length) {
    const f = findings[0];
    add(
      {
        id: 'barrier',
        bugClass: 'barrier',
        title: 'workgroup memory read before it is synchronised → missing workgroupBarrier()',
        detail: `${f.variable} is written at line ${f.writeLine} and read at line ${f.line} with no workgroupBarrier() in between, so an invocation can read entries the others have not written yet. On a GPU this usually shows up as results that change from run to run; a CPU emulator runs the invocations in a fixed order and gets the same wrong answer every time.`,
        cases: names(failing),
        lines: [f.writeLine, f.line],
      },
      failing,
    );
  }

  const edges = cases.filter((c) => c.case.tags.includes('tile-edge'));
  const aligned = edges.filter((c) => c.case.tags.includes('aligned'));
  // An off-size case with nothing else going on (one head, no causal or mask, no feature) that fails while every aligned one passes.
  // … and no attention feature on (RoPE is the rope stage's every case, so it does not count).
  const plain = (c: CaseReport) =>
    c.case.heads === 1 &&
    !c.case.causal &&
    c.case.mask === 'none' &&
    !c.case.magnitude &&
    (c.case.distribution ?? 'normal') === 'normal' &&
    !FEATURE_TAGS.some((f) => c.case.tags.includes(f.tag));
  const unalignedFailing = failing.filter(
    (c) => (c.case.tags.includes('tile-edge') || c.case.tags.includes('inner')) && !c.case.tags.includes('aligned') && plain(c),
  );
  const rest = failing.filter((c) => !explained.has(c));
  if (rest.length && aligned.length && aligned.every((c) => c.status === 'pass') && unalignedFailing.length) {
    add(
      {
        id: 'tile-edges',
        bugClass: 'bounds',
        title: 'fails only at sizes that are not a multiple of the tile → bounds at tile edges',
        detail: `every size that is a multiple of the tile passes (${names(aligned).join('; ')}), while sizes just off it fail. In the last, partial tile, guard every load (index < n, m, dk or dv; pad with 0) and every store, and check < against ≤.`,
        cases: names(failing.filter((c) => !c.case.tags.includes('aligned'))),
      },
      failing.filter((c) => !c.case.tags.includes('aligned')),
    );
  }

  // The pattern across every failing case: symptom hints above say how it fails, these say where.
  for (const hint of patternHints(cases, failing, 3, context.stage)) {
    if (!hints.some((h) => h.id === hint.id && h.bugClass === hint.bugClass)) hints.push(hint);
  }
  const threshold = thresholdHint(cases, failing);
  if (threshold && !hints.some((h) => h.bugClass === threshold.bugClass)) hints.push(threshold);

  const judged = cases.filter((c) => c.status === 'pass' || c.status === 'fail');
  // Failing nearly everywhere (all but size-1 cases) with no symptom that names a cause: the formula or an index.
  const everywhere =
    failing.length > 0 &&
    failing.length >= judged.filter((c) => c.case.n * c.case.m * c.case.dk * c.case.dv * (c.case.dModel ?? 1) > 1).length;
  const stillFailing =
    failing.length > 0 && (hints.length === 0 || (everywhere && !hints.some((h) => h.id === 'scale' || h.id === 'loop-var')));
  // The rope stage does nothing but RoPE: a failure no RoPE case pattern explains is the rotation itself.
  const rotation = context.stage === 'rope' && failing.length > 0 && !hints.some((h) => h.bugClass === 'rope');
  if (rotation)
    add(
      {
        id: 'rope',
        bugClass: 'rope',
        title: 'wrong across the RoPE cases → the rotation itself',
        detail:
          'pair (a, b) of each head becomes (a cos φ − b sin φ, a sin φ + b cos φ) with φ = position · rope_base^(−2p/r): check the sign of the sine terms, the angle (position × θ_p, reduced into [−π, π] before cos and sin) and that every rotated pair and copied dimension is written.',
        cases: names(failing),
      },
      failing,
    );
  if (stillFailing) {
    const first = failing[0];
    const bad = first.firstBad;
    // Wrong everywhere with no symptom: an index expression and a reduction are equally likely; say both.
    if (everywhere)
      add(
        {
          id: 'wrong',
          bugClass: 'index',
          title: 'wrong in every case → an index expression (axes swapped, a transposed read)',
          detail: `every case larger than 1×1 fails. Compare the kernel's index expressions with docs/kernel-interface.md's layouts: Q/K rows heads·dk wide, V/output rows heads·dv wide, scores h×n×m.`,
          cases: names(failing),
        },
        failing,
      );
    // RoPE has no reduction to blame.
    if (!rotation)
      add(
        {
          id: 'wrong',
          bugClass: 'reduction',
          title: everywhere
            ? 'wrong in every case → or a reduction (a sum or max over part of the range)'
            : 'wrong values with no pattern across the cases',
          detail: `${countedOf(failing.length, cases.length, 'case')} ${failing.length === 1 ? 'fails, an ordinary one' : 'fail, ordinary ones included'}; the first is "${first.name}" (seed ${first.case.seed})${bad ? ` at [${bad.position.join(',')}]: expected ${bad.expected}, got ${bad.actual}` : ''}. Compare the kernel's formula and indexing (axes swapped, a transposed read) with the built-in kernel.`,
          cases: names(failing),
        },
        failing,
      );
  }
  return hints;
}

/**
 * An elementwise activation's failures (cases with `activation`): NaN where a key is hidden, rows
 * normalised as a softmax would, or a φ wrong only with GELU (ReLU passing). `explain` marks the
 * cases a hint accounts for.
 */
function activationHints(cases: CaseReport[], failing: CaseReport[], explain: (c: CaseReport) => void): Hint[] {
  const own = failing.filter((c) => c.case.activation);
  const hints: Hint[] = [];
  const add = (hint: Hint, by: CaseReport[]) => {
    hints.push(hint);
    by.forEach(explain);
  };
  const nonFinite = own.filter((c) => c.nonFiniteInMaskedRows + c.nonFiniteElsewhere > 0);
  if (nonFinite.length)
    add(
      {
        id: 'hidden-nan',
        bugClass: 'masking',
        title: 'NaN/Inf with an elementwise activation → φ applied to a hidden (−∞) score',
        detail:
          'a hidden key reaches the stage as −∞ and must weigh exactly 0: test for −∞ before φ. GELU of −∞ is −∞·0 = NaN, and so is a ReLU written s·step(s); max(s, 0) is safe. A row that sees no key is all zeros.',
        cases: names(nonFinite),
      },
      nonFinite,
    );
  const normalised = own.filter((c) => (c.normalisedRows ?? 0) > 0);
  if (normalised.length)
    add(
      {
        id: 'normalisation',
        bugClass: 'reduction',
        title: 'rows sum to 1 with ReLU/GELU → the kernel still normalises like a softmax',
        detail:
          'with an elementwise activation each weight is φ(s) on its own: no max, no sum over the row and no division (the MLP read as attention has no normalisation; a row’s weights need not sum to 1).',
        cases: names(normalised),
      },
      normalised,
    );
  const gelu = own.filter((c) => c.case.activation === 'gelu');
  const reluPassing = cases.some((c) => c.case.activation === 'relu' && c.status === 'pass');
  const reluFailing = own.some((c) => c.case.activation === 'relu');
  if (gelu.length && !reluFailing && reluPassing && hints.length === 0)
    add(
      {
        id: 'activation-form',
        bugClass: 'scaling',
        title: 'wrong only with GELU (ReLU passes) → the GELU formula',
        detail:
          'GELU here is the tanh form, as GPT-2: 0.5·s·(1 + tanh(√(2/π)·(s + 0.044715·s³))), √(2/π) ≈ 0.7978846. Check both constants, the cube and the 0.5; clamp the tanh argument to ±15 so s³ cannot overflow.',
        cases: names(gelu),
      },
      gelu,
    );
  return hints;
}

/** Where WGSL and some implementations part ways on a loop body's `var` without an initializer. */
const LOOP_VAR_WHY =
  'WGSL gives it its zero value again on every iteration, but Dawn (Chrome, and Node’s WebGPU) on SwiftShader keeps the value of the previous iteration (measured; naga had the same bug, gfx-rs/wgpu#9489)';

function loopVarHint(findings: LoopVarFinding[], failing: CaseReport[]): Hint {
  const f = findings[0];
  const more =
    findings.length > 1
      ? ` (also ${findings
          .slice(1)
          .map((x) => `${x.variable}, line ${x.line}`)
          .join('; ')})`
      : '';
  return {
    id: 'loop-var',
    bugClass: 'initialisation',
    title: 'a loop body reads a `var` it declared without an initializer → give it one',
    detail: `${f.variable} is declared at line ${f.line} inside a loop with no initializer, and line ${f.readLine} reads it (or adds to it) before the loop body assigns it${more}. ${LOOP_VAR_WHY}, so a sum started there can carry over from one iteration to the next. Write \`var ${f.variable} = …;\` with the zero value (e.g. vec4f(), array<vec4f, 4>()) so every iteration starts from it.`,
    cases: names(failing),
    lines: [...new Set(findings.flatMap((x) => [x.line, x.readLine]))].sort((a, b) => a - b),
  };
}

/**
 * Findings worth a note even when every case passed: the emulator may hide a race (only when the
 * interpreter did not check the kernel), and a loop body's `var` read before it is assigned passes
 * or fails depending on the implementation.
 */
export function passWarnings(source: string | undefined, interpreted = false): string[] {
  if (!source) return [];
  const races = interpreted
    ? []
    : unsyncedWorkgroupReads(source).map(
        (f) =>
          `${f.variable} is written at line ${f.writeLine} and read at line ${f.line} with no workgroupBarrier() in between; it passed here, but on another GPU an invocation may read entries before they are written.`,
      );
  const loopVars = loopVarsReadFirst(source).map(
    (f) =>
      `${f.variable} is declared at line ${f.line} inside a loop with no initializer and read at line ${f.readLine} before it is assigned. It passed here, but ${LOOP_VAR_WHY}: give it an initializer.`,
  );
  return [...races, ...loopVars];
}
