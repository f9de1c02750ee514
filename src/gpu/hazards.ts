/**
 * The interpreter check for one stage's kernel: builds a small problem the kernel interface
 * describes (the Params uniform, Q/K/V/mask/scores/probs buffers of the right sizes), dispatches the
 * stage's grid on wgsl_reflect's interpreter (src/core/verify/races.ts) and reports races, out-of-
 * bounds accesses, reads of never-written workgroup memory and barrier divergence, with lines.
 *
 * The shape is chosen from the kernel's own output tile: a second, partial workgroup along each
 * axis the kernel tiles (rows, keys, value columns) while the interpreter's work stays within a
 * budget of invocations, loops that run at least twice (dk > 16, m > 32) so a barrier missing at
 * the end of a loop iteration shows, two heads where affordable, causal and an explicit mask on;
 * then a second, smaller problem with causal, the mask and the features off, so a branch taken only
 * when a flag is off is interpreted too. A fused kernel also runs its decoding shape and, where it
 * splits keys, its split path (3 key splits, the last empty, partials sized as the engine sizes
 * them). Pure: no WebGPU, no DOM; runs in Node and in the page.
 */
import { forcedKeySplits } from '../core/key-splits';
import { createRng } from '../core/rng';
import type { StageName } from '../core/stages';
import type { FeatureName } from '../core/features';
import type { ScoreFunction } from '../core/options';
import type { HazardBinding, HazardReport } from '../core/verify/races';
import { detectHazards, emptyHazardReport } from '../core/verify/races';
import type { DispatchShape, DispatchSize } from './interface';
import { DECODE_MAX_ROWS, outputTile, packParams, STAGES } from './interface';
import { interfaceProblems } from './reflect';

/** WebGPU's default maxComputeWorkgroupStorageSize: what a kernel may count on on any device. */
export const DEFAULT_WORKGROUP_STORAGE = 16384;
/** Invocations the interpreter runs by default (about a second of interpretation for the built-in tiled kernels). */
const DEFAULT_MAX_INVOCATIONS = 512;

export interface HazardShape {
  n: number;
  m: number;
  dk: number;
  dv: number;
  heads: number;
  /** Columns of W_o (project stage). */
  dModel: number;
  causal: boolean;
  /** Key j is visible to row i when j <= i + causalShift (the engine's value for a block of rows). */
  causalShift: number;
  mask: boolean;
  /** K/V heads: 1 for two query heads when grouped heads are on, else heads. */
  kvHeads: number;
  /** The features on in the Params: those the kernel declares that its stage implements (RoPE for the rope stage). */
  features: FeatureName[];
  /** Q's width per head (a qk kernel of a learned score function: dk + 1); absent: dk. */
  dq?: number;
  /** The additive score's hidden width a; absent or 0 otherwise. */
  scoreDim?: number;
  /** The score function of a qk kernel that declares one (its `scoring` buffer is then filled). */
  score?: ScoreFunction;
  /** Key splits of a fused kernel's split-KV run (forcedKeySplits of m); absent or 1: unsplit, its writes go to out. */
  keySplits?: number;
}

/** What a stage's grid rule reads from a hazard shape. */
function dispatchOf(shape: HazardShape): DispatchSize {
  return {
    rows: shape.n,
    m: shape.m,
    dk: shape.dk,
    dv: shape.dv,
    heads: shape.heads,
    kvHeads: shape.kvHeads,
    dModel: shape.dModel,
    keySplits: shape.keySplits,
  };
}

/** The feature values the interpreter runs with: a window that hides keys, a softcap that bends the scores, RoPE rotating part of the head. */
const HAZARD_FEATURES = { window: 3, softcap: 5, rope: { layout: 'half', base: 10000, offset: 3 } } as const;

/** The features to turn on for a kernel of a stage that declares `supports`. */
export function hazardFeatures(stage: StageName, supports: readonly FeatureName[]): FeatureName[] {
  const declared = STAGES[stage].features.filter((f) => supports.includes(f));
  return stage === 'rope' ? ['rope', ...declared] : declared;
}

export interface StageHazardReport extends HazardReport {
  stage: StageName;
  shape: HazardShape;
  grid: [number, number, number];
  /** The kernel declares more workgroup memory than a default WebGPU device offers. */
  exceedsDefaultWorkgroupStorage: boolean;
  /** What the check ran and looked for, in one line (for a report that says what a PASS means). */
  covered: string;
}

export interface HazardOptions {
  /** Replaces parts of the planned shape. */
  shape?: Partial<HazardShape>;
  /** Upper bound on invocations the planner aims for (the whole grid); default 512. */
  maxInvocations?: number;
  /** Seed of the input values (they only steer control flow here). */
  seed?: number;
  timeLimitMs?: number;
  /** Interpreter steps before the run stops as incomplete (default: races.ts's). */
  stepBudget?: number;
  /** Interpreter steps of one invocation before the run stops as incomplete (default: races.ts's). */
  invocationStepBudget?: number;
}

/** Key splits of the combine stage's problem. */
const HAZARD_SPLITS = 2;

/**
 * The fused kernel's split-KV problem: 100 keys in 3 splits, forced as the engine forces them
 * (forcedKeySplits: 64 keys a split), give a full split, a partial one (keys 64…99) and an empty one,
 * which the engine produces too (a forced count of few keys).
 */
const SPLIT_PROBLEM = { m: 100, keySplits: 3 } as const;

/** Widths that are not multiples of 4, 8 or 16, with dk > 16 (two dk chunks) and dk != dv. */
const WIDTHS: Record<StageName, { dk: number; dv: number }> = {
  rope: { dk: 20, dv: 12 }, // ten pairs: a pair index taken with dk or dv runs past the head
  qk: { dk: 20, dv: 28 }, // dv > dk: a head offset taken with dv runs past the end of Q and K
  softmax: { dk: 20, dv: 12 },
  pv: { dk: 20, dv: 12 }, // dv is replaced by the tiled size
  fused: { dk: 20, dv: 12 }, // dk > dv: a value stride or offset taken with dk runs past the end of V
  combine: { dk: 20, dv: 12 },
  project: { dk: 20, dv: 20 }, // heads · dv > 16: the inner loop stages at least two chunks
};

/**
 * The problem to interpret. Along each axis the kernel tiles (keys or value columns along x, rows
 * along y), two workgroups with the second one partial (2·tile − 1; 2·tile − 3 for rows, so n != m)
 * while the whole grid stays within `maxInvocations`, else one partial workgroup (tile − 1); then
 * two heads if they still fit. m = 40 where the kernel loops over keys (several chunks or tiles).
 */
export function planHazardShape(
  stage: StageName,
  kernel: DispatchShape,
  maxInvocations = DEFAULT_MAX_INVOCATIONS,
  features: readonly FeatureName[] = [],
): HazardShape {
  const [wx, wy = 1, wz = 1] = kernel.workgroupSize;
  const perWorkgroup = wx * wy * wz;
  const [tx, ty] = STAGES[stage].outputBlocking ? outputTile(kernel) : [wx, wy];
  const shape: HazardShape = {
    n: 1,
    // RoPE has no loop over keys: its keys are only more rows of the grid, after Q's.
    m: stage === 'rope' ? 9 : 40,
    ...WIDTHS[stage],
    heads: 1,
    dModel: 1,
    causal: true,
    causalShift: 0,
    mask: true,
    kvHeads: 1,
    features: [...features],
  };
  // Tiled axes: [field, the workgroup's output tile along it, is it the rows axis], in the order they get a second workgroup.
  const axes = (
    {
      qk: [
        ['m', tx, false],
        ['n', ty, true],
      ],
      softmax: [['n', wy, true]],
      rope: [['n', wy, true]],
      pv: [
        ['dv', tx, false],
        ['n', ty, true],
      ],
      fused: [['n', wx, true]],
      combine: [['n', 1, true]],
      project: [
        ['dModel', tx, false],
        ['n', ty, true],
      ],
    } as const
  )[stage];
  const grid = () => STAGES[stage].grid(kernel, dispatchOf(shape));
  const invocations = () => grid().reduce((a, b) => a * b, 1) * perWorkgroup;
  for (const [field, tile] of axes) shape[field] = Math.max(1, tile - 1);
  for (const [field, tile, rows] of axes) {
    const single = shape[field];
    shape[field] = rows && tile >= 4 ? 2 * tile - 3 : 2 * tile - 1;
    if (tile < 2 || invocations() > maxInvocations) shape[field] = single;
  }
  // Two heads (one K/V head for both when grouped heads are on); RoPE, whose invocations run no
  // loop, may take twice the budget for them.
  shape.heads = 2;
  if (invocations() > (stage === 'rope' ? 2 : 1) * maxInvocations) shape.heads = 1;
  shape.kvHeads = features.includes('kvHeads') ? 1 : shape.heads;
  // m − n aligns the last query with the last key; with n > m that hides every key from the first
  // n − m rows (a whole workgroup would skip its key loop), so those shapes run as a block of rows
  // whose shift is 0, as the engine does for a later block of a longer sequence.
  shape.causalShift = Math.max(0, shape.m - shape.n);
  return shape;
}

function randomFloats(count: number, seed: number, scale = 1): Float32Array<ArrayBuffer> {
  const rng = createRng(seed);
  return Float32Array.from({ length: count }, () => scale * rng.normal());
}

/** The stage's buffers by binding number, sized as docs/kernel-interface.md lays them out. */
function stageBindings(stage: StageName, s: HazardShape, seed: number): Record<number, HazardBinding> {
  const shift = s.causalShift;
  const on = (f: FeatureName) => s.features.includes(f);
  const kv = s.kvHeads;
  const rng = createRng(seed + 3);
  const mask = Uint32Array.from({ length: s.n * s.m }, () => (rng.next() < 0.7 ? 1 : 0));
  const window = on('window') ? HAZARD_FEATURES.window : 0;
  const hidden = (i: number, j: number) =>
    (s.causal && j > i + shift) || (window > 0 && i + shift - j >= window) || (s.mask && mask[i * s.m + j] === 0);
  const scores = randomFloats(s.heads * s.n * s.m, seed + 4, 3);
  scores.forEach((_, e) => {
    const j = e % s.m,
      i = Math.floor(e / s.m) % s.n;
    if (hidden(i, j)) scores[e] = -Infinity;
  });
  const probs = Float32Array.from(randomFloats(s.heads * s.n * s.m, seed + 5), (x) => Math.abs(x) / 4);
  const splits = forcedKeySplits(s.m, stage === 'combine' ? HAZARD_SPLITS : stage === 'fused' ? (s.keySplits ?? 1) : 1);
  const buffers: Record<string, ArrayBuffer> = {
    params: packParams({
      n: s.n,
      m: s.m,
      dk: s.dk,
      dv: s.dv,
      heads: s.heads,
      causal: s.causal,
      hasMask: s.mask,
      causalShift: shift,
      scale: 1 / Math.sqrt(s.dk),
      temperature: 1,
      dModel: s.dModel,
      kvHeads: kv,
      window,
      softcap: on('softcap') ? HAZARD_FEATURES.softcap : 0,
      alibi: on('alibi'),
      sinks: on('sinks'),
      // A rotary fraction (4 dimensions copied) and an offset, so every path of a rope kernel runs.
      rope: on('rope') ? { ...HAZARD_FEATURES.rope, dims: Math.max(2, s.dk - 4 - (s.dk % 2)) } : null,
      // The combine merges two splits; the fused kernel runs unsplit (its writes go to out) but in its split-KV run.
      keySplits: splits.keySplits,
      splitKeys: splits.splitKeys,
      dq: s.dq,
      scoreDim: s.scoreDim,
    }),
    q: randomFloats(s.n * s.heads * (s.dq ?? s.dk), seed).buffer,
    k: randomFloats(s.m * kv * s.dk, seed + 1).buffer,
    v: randomFloats(s.m * kv * s.dv, seed + 2).buffer,
    mask: mask.buffer,
    scores: stage === 'softmax' ? scores.buffer : new ArrayBuffer(4 * s.heads * s.n * s.m),
    probs: stage === 'pv' ? probs.buffer : new ArrayBuffer(4 * s.heads * s.n * s.m),
    out: new ArrayBuffer(4 * s.n * s.heads * s.dv),
    // Sized as the engine sizes it (src/gpu/engine.ts): a split's write past its end is out of bounds, and so is any write of an unsplit run.
    partials:
      stage === 'fused'
        ? new ArrayBuffer(splits.keySplits > 1 ? 4 * splits.keySplits * s.heads * s.n * (s.dv + 2) : 16)
        : Float32Array.from(randomFloats(HAZARD_SPLITS * s.heads * s.n * (s.dv + 2), seed + 10), Math.abs).buffer,
    heads_out: randomFloats(s.n * s.heads * s.dv, seed + 6).buffer,
    wo: randomFloats(s.heads * s.dv * s.dModel, seed + 7).buffer,
    projected: new ArrayBuffer(4 * s.n * s.dModel),
    qRot: new ArrayBuffer(4 * s.n * s.heads * s.dk),
    kRot: new ArrayBuffer(4 * s.m * kv * s.dk),
    slopes: randomFloats(s.heads, seed + 8).buffer,
    sinks: randomFloats(s.heads, seed + 9).buffer,
    // General: W (dq×dk); additive: W_q (a×dq), W_k (a×dk), v (a); one word for dot.
    scoring: randomFloats(
      s.score === 'general' ? (s.dq ?? s.dk) * s.dk : s.score === 'additive' ? (s.scoreDim ?? 0) * ((s.dq ?? s.dk) + s.dk + 1) : 1,
      seed + 11,
    ).buffer,
  };
  return Object.fromEntries(STAGES[stage].bindings.map((b) => [b.binding, { data: buffers[b.name], uniform: b.kind === 'uniform' }]));
}

/** A feature as the interpreter ran it: "window=3", "kvHeads=1", "rope=half r=16 offset 3". */
function featureWords(feature: FeatureName, s: HazardShape): string {
  switch (feature) {
    case 'kvHeads':
      return `kvHeads=${s.kvHeads}`;
    case 'window':
      return `window=${HAZARD_FEATURES.window}`;
    case 'softcap':
      return `softcap=${HAZARD_FEATURES.softcap}`;
    case 'rope':
      return `rope=${HAZARD_FEATURES.rope.layout} r=${Math.max(2, s.dk - 4 - (s.dk % 2))} offset ${HAZARD_FEATURES.rope.offset}`;
    default:
      return feature;
  }
}

/** A problem's sizes and flags: "n=63 m=40 dk=20 dv=127 heads=1 causal (shift 0) mask". */
function problemWords(stage: StageName, shape: HazardShape): string {
  return (
    `n=${shape.n} m=${shape.m} dk=${shape.dk} dv=${shape.dv} heads=${shape.heads}` +
    `${shape.score ? ` ${shape.score} score dq=${shape.dq}${shape.score === 'additive' ? ` a=${shape.scoreDim}` : ''}` : ''}` +
    `${stage === 'project' ? ` d_model=${shape.dModel}` : ''}${shape.causal ? ` causal (shift ${shape.causalShift})` : ''}${shape.mask ? ' mask' : ''}`
  );
}

/**
 * What the interpreter met and could not evaluate (it logs and carries on, so the run finishes but
 * the accesses that depended on it may be wrong): said on the covered line, so a verdict does not
 * claim a full check it did not get.
 */
function interpreterTrouble(errors: readonly string[]): string {
  if (errors.length === 0) return '';
  const shown = errors.slice(0, 3).join('; ');
  return ` — partial: the interpreter could not evaluate everything (${shown}${errors.length > 3 ? `; ${errors.length - 3} more` : ''})`;
}

function emptyReport(stage: StageName, shape: HazardShape, incomplete: string): StageHazardReport {
  return {
    stage,
    shape,
    grid: [0, 0, 0],
    ...emptyHazardReport(),
    incomplete,
    exceedsDefaultWorkgroupStorage: false,
    covered: `interpreter check not run: ${incomplete}`,
  };
}

/** A finding's identity across runs: the same race (variable, kind, scope, lines) found twice is one. */
const findingKeys = {
  races: (r: HazardReport['races'][number]) => `${r.variable}|${r.kind}|${r.scope}|${r.a.line}|${r.b.line}`,
  outOfBounds: (o: HazardReport['outOfBounds'][number]) => `${o.buffer}|${o.site.kind}|${o.site.line}`,
  uninitialisedReads: (u: HazardReport['uninitialisedReads'][number]) => `${u.variable}|${u.site.line}`,
  barrierDivergence: (b: HazardReport['barrierDivergence'][number]) => b.message,
};

/**
 * Adds another interpreter run's findings to a report, each new one marked with the `problem` that
 * found it ("causal off, no mask"; those the first run found already are not repeated), and both
 * runs' counts and errors; where it ran out of steps says the problem and its `sizes`.
 */
function mergeHazardReports(into: HazardReport, other: HazardReport, problem: string, sizes: string): void {
  const add = <T extends { problem?: string }>(list: T[], more: T[], key: (x: T) => string) => {
    const known = new Set(list.map(key));
    list.push(...more.filter((x) => !known.has(key(x))).map((x) => ({ ...x, problem })));
  };
  add(into.races, other.races, findingKeys.races);
  add(into.outOfBounds, other.outOfBounds, findingKeys.outOfBounds);
  add(into.uninitialisedReads, other.uninitialisedReads, findingKeys.uninitialisedReads);
  add(into.barrierDivergence, other.barrierDivergence, findingKeys.barrierDivergence);
  into.interpreterErrors.push(...other.interpreterErrors.filter((e) => !into.interpreterErrors.includes(e)));
  into.workgroupBytes = Math.max(into.workgroupBytes, other.workgroupBytes);
  into.workgroups += other.workgroups;
  into.invocations += other.invocations;
  into.steps += other.steps;
  into.maxInvocationSteps = Math.max(into.maxInvocationSteps, other.maxInvocationSteps);
  if (other.outOfSteps && !into.outOfSteps) into.outOfSteps = { ...other.outOfSteps, problem: `${problem}: ${sizes}` };
  if (other.incomplete && !into.incomplete) into.incomplete = `${problem}: ${other.incomplete}`;
}

/** What the second problem turned off, in words: "causal off, no mask, window softcap off". */
function flagsOffWords(first: HazardShape): string {
  const features = first.features.filter((f) => f !== 'rope');
  return [first.causal && 'causal off', first.mask && 'no mask', features.length > 0 && `${features.join(' ')} off`]
    .filter(Boolean)
    .join(', ');
}

/** Whether the report found anything a kernel author must fix. */
export function hasHazards(report: HazardReport): boolean {
  return (
    report.races.length + report.outOfBounds.length + report.uninitialisedReads.length + report.barrierDivergence.length > 0 ||
    (report as Partial<StageHazardReport>).exceedsDefaultWorkgroupStorage === true
  );
}

/**
 * Runs the stage's kernel on the interpreter over a small problem planned from its own tile (see
 * planHazardShape) and reports every race, out-of-bounds access, read of never-written workgroup
 * memory and barrier divergence, each with its line(s).
 */
export function checkWorkgroupHazards(source: string, stage: StageName, options: HazardOptions = {}): StageHazardReport {
  const started = performance.now();
  const spec = STAGES[stage];
  const { problems, shape: kernel } = interfaceProblems(source, spec);
  const planned = kernel ? planHazardShape(stage, kernel, options.maxInvocations, hazardFeatures(stage, kernel.supports)) : null;
  const shape: HazardShape = {
    ...(planned ?? { n: 1, m: 1, dk: 1, dv: 1, heads: 1, dModel: 1, causal: false, causalShift: 0, mask: false, kvHeads: 1, features: [] }),
    ...options.shape,
  };
  if (!kernel || problems.length)
    return emptyReport(stage, shape, `the kernel does not fit the interface: ${problems.join('; ') || 'no workgroup size'}`);
  if (stage === 'qk' && kernel.scores !== 'dot' && options.shape?.score === undefined) {
    // A learned score: Q one column wider than K, and for additive a partial chunk of 5 hidden units.
    shape.score = kernel.scores;
    shape.dq = shape.dk + 1;
    shape.scoreDim = kernel.scores === 'additive' ? 5 : 0;
  }
  const grid = spec.grid(kernel, dispatchOf(shape));
  // The constants the engine would set for this problem (the fused kernel's width buckets, shape and
  // vec4 reads), as far as the kernel declares them.
  const limits = { maxComputeWorkgroupStorageSize: DEFAULT_WORKGROUP_STORAGE };
  const problem = { n: shape.n, m: shape.m, dk: shape.dk, dv: shape.dv, heads: shape.heads, kvHeads: shape.kvHeads };
  const declaredOf = (constants: Record<string, number>) =>
    Object.fromEntries(Object.entries(constants).filter(([name]) => kernel.overrides.includes(name)));
  const declared = declaredOf(spec.constants?.(limits, problem) ?? {});
  // Each run gets what is left of the time limit, so the check as a whole keeps to it.
  const timeLeft = () => (options.timeLimitMs === undefined ? undefined : Math.max(1, options.timeLimitMs - (performance.now() - started)));
  const report = detectHazards(source, {
    grid,
    bindings: stageBindings(stage, shape, options.seed ?? 1),
    constants: declared,
    timeLimitMs: timeLeft(),
    statedLimitMs: options.timeLimitMs,
    stepBudget: options.stepBudget,
    invocationStepBudget: options.invocationStepBudget,
  });
  if (report.outOfSteps) report.outOfSteps.problem = problemWords(stage, shape);
  // Each further run: its shape and pipeline constants, its findings merged into the report under `problem`.
  const interpretAlso = (rows: HazardShape, constants: Record<string, number>, seed: number, problem: string) => {
    const runGrid = spec.grid({ ...kernel, constants }, dispatchOf(rows));
    const more = detectHazards(source, {
      grid: runGrid,
      bindings: stageBindings(stage, rows, (options.seed ?? 1) + seed),
      constants,
      timeLimitMs: timeLeft(),
      statedLimitMs: options.timeLimitMs,
      stepBudget: options.stepBudget,
      invocationStepBudget: options.invocationStepBudget,
    });
    mergeHazardReports(report, more, problem, problemWords(stage, rows));
    return runGrid;
  };
  const constantWords = (constants: Record<string, number>) =>
    Object.entries(constants)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
  // A fused kernel that splits keys (SUPPORTS_KEY_SPLITS, as the engine does on a GPU) runs its
  // split path too: 100 keys in 3 splits as the engine forces them (64, 36 and none), each split
  // writing its o, M and L into partials sized as the engine sizes them, so an index past a split's
  // end is out of bounds. The window is off so the splits see their keys (causal rows of the last
  // query block see all of them); the other flags stay on (the sink belongs to split 0 only).
  // DECODE_MAX_ROWS + 1 rows: the fewest the engine runs in the 64-row shape.
  const splits = stage === 'fused' && kernel.supportsKeySplits && !options.shape;
  const splitShape = (n: number): HazardShape => ({
    ...shape,
    n,
    m: SPLIT_PROBLEM.m,
    causalShift: SPLIT_PROBLEM.m - n,
    keySplits: SPLIT_PROBLEM.keySplits,
    features: shape.features.filter((f) => f !== 'window'),
  });
  let split = '';
  if (splits && !report.incomplete) {
    const rows = splitShape(DECODE_MAX_ROWS + 1);
    const constants = declaredOf(spec.constants?.(limits, { ...problem, n: rows.n, m: rows.m }) ?? {});
    const splitGrid = interpretAlso(rows, constants, 3, `${SPLIT_PROBLEM.keySplits} key splits`);
    const { keySplits, m } = SPLIT_PROBLEM;
    const window = shape.features.includes('window') ? ', window off' : '';
    split = `; and split-KV (${keySplits} key splits of ${forcedKeySplits(m, keySplits).splitKeys} keys, the last empty; partials sized as the engine sizes them${window}): ${problemWords(stage, rows)}, grid ${splitGrid.join('×')}`;
  }
  // A fused kernel with a decoding shape (override DECODE: one row per workgroup, its invocations on
  // distinct keys, merged in workgroup memory) runs it too: that merge is code the 64-row shape never
  // reaches. It reads element by element there (VEC4_ROWS off), so both read paths of the built-in
  // kernel run. With key splits it runs split as above, over one row (a decoding workgroup costs the
  // interpreter about 55 000 steps whatever its keys, and there is one per row, split and head); else
  // unsplit over two rows.
  let decoding = '';
  if (stage === 'fused' && kernel.overrides.includes('DECODE') && !options.shape) {
    const rows = splits ? splitShape(1) : { ...shape, n: 2, causalShift: shape.m - 2 };
    const decodeProblem = { ...problem, n: rows.n, m: rows.m };
    const decodeConstants = declaredOf({ ...spec.constants?.(limits, decodeProblem), DECODE: 1, VEC4_ROWS: 0 });
    const decodeGrid = interpretAlso(
      rows,
      decodeConstants,
      1,
      splits ? `the decoding shape in ${SPLIT_PROBLEM.keySplits} key splits` : 'the decoding shape',
    );
    decoding = `${splits ? ', and' : '; and'} its decoding shape n=${rows.n}${splits ? ` m=${rows.m}` : ''} causal (shift ${rows.causalShift}), grid ${decodeGrid.join('×')}, ${constantWords(decodeConstants)}`;
  }
  // A second problem with every flag the first turned on turned off (causal, the mask, the declared
  // features; RoPE stays on in the rope stage, which only runs with it), so a branch taken only when
  // a flag is off runs too: a barrier inside `if (causal)` races in every run without causal. One
  // (partial) workgroup and one head, the key loop as long: the first problem covered the tiling
  // across workgroups. Not when the caller chose the shape, nor after a first run that stopped early.
  let flagsOff = '';
  const offWords = flagsOffWords(shape);
  if (!options.shape && !report.incomplete && offWords) {
    const oneWorkgroup = kernel.workgroupSize.reduce((a, b) => a * b, 1);
    const budget = Math.min(options.maxInvocations ?? DEFAULT_MAX_INVOCATIONS, oneWorkgroup);
    const planned = planHazardShape(
      stage,
      kernel,
      budget,
      shape.features.filter((f) => f === 'rope'),
    );
    const off: HazardShape = { ...planned, causal: false, mask: false, score: shape.score, dq: shape.dq, scoreDim: shape.scoreDim };
    if (off.dq !== undefined) off.dq = off.dk + 1;
    const offProblem = { n: off.n, m: off.m, dk: off.dk, dv: off.dv, heads: off.heads, kvHeads: off.kvHeads };
    const offConstants = declaredOf(spec.constants?.(limits, offProblem) ?? {});
    const offGrid = spec.grid(kernel, dispatchOf(off));
    const second = detectHazards(source, {
      grid: offGrid,
      bindings: stageBindings(stage, off, (options.seed ?? 1) + 2),
      constants: offConstants,
      timeLimitMs: timeLeft(),
      statedLimitMs: options.timeLimitMs,
      stepBudget: options.stepBudget,
      invocationStepBudget: options.invocationStepBudget,
    });
    mergeHazardReports(report, second, offWords, problemWords(stage, off));
    flagsOff = `; and with ${offWords}: ${problemWords(stage, off)}, grid ${offGrid.join('×')}`;
  }
  const exceedsDefaultWorkgroupStorage = report.workgroupBytes > DEFAULT_WORKGROUP_STORAGE;
  const ms = performance.now() - started;
  const [x, y, z] = kernel.workgroupSize;
  const covered =
    `interpreter, ${stage} ${problemWords(stage, shape)}` +
    `${shape.features.length ? `, features ${shape.features.map((f) => featureWords(f, shape)).join(' ')}` : ''}` +
    `, grid ${grid.join('×')} of ${x}×${y}×${z}${
      Object.keys(declared).length
        ? `, ${Object.entries(declared)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`
        : ''
    }${split}${decoding}${flagsOff}` +
    `: races between barriers and across workgroups, out-of-bounds accesses, reads of unwritten workgroup memory, barrier divergence,` +
    ` workgroup memory ${report.workgroupBytes} of ${DEFAULT_WORKGROUP_STORAGE} B (${Math.round(ms)} ms)${report.incomplete ? ` — incomplete: ${report.incomplete}` : ''}` +
    interpreterTrouble(report.interpreterErrors);
  return { ...report, stage, shape, grid, exceedsDefaultWorkgroupStorage, covered, ms };
}
