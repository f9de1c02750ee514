/**
 * What a verification covered, read from the cases that ran (not from what the suite meant to
 * run): the sizes along each axis, the options and tags, which pairs of them met in one case, and
 * the checks the runner made. It reads tags and fields generically, so it stays true when the
 * suite's cases change; a PASS then says what it means.
 */
import type { VerifyCase } from './cases';
import { optionFields, SIZE_FIELDS } from './shrink';
import type { FeatureName } from '../features';
import { FEATURE_INFO } from '../features';
import { counted } from '../plural';
import type { Precision } from '../precision';

/** A check beyond comparing values (poisoned buffers, a race check, default limits), and whether it ran. */
export interface CoverageCheck {
  name: string;
  ran: boolean;
  /** What it did, or why it did not run. */
  detail: string;
}

/**
 * Which attention features (../features.ts) the suite could cover for this kernel: those its stage
 * implements, split by what the kernel declares (SUPPORTS_* constants) and what could run.
 */
export interface SuiteFeatures {
  /** The features the stage implements (STAGES[stage].features, and RoPE for the rope stage). */
  stage: FeatureName[];
  /** Declared by the kernel (or the stage itself, RoPE) and given cases. */
  run: FeatureName[];
  /** Implemented by the stage but not declared by the kernel: no cases, the engine would refuse them. */
  undeclared: FeatureName[];
  /** Declared, but a built-in stage that runs before it in the variant does not implement it. */
  unavailable: { feature: FeatureName; reason: string }[];
}

/** A feature's line in the coverage: how many cases had it on, or why none did. */
export interface FeatureCoverage {
  feature: FeatureName;
  /** Cases that ran with the feature on. */
  cases: number;
  /** Why it was not covered: 'undeclared' (the kernel lacks `constant`), 'unavailable' (reason). */
  missing?: { why: 'undeclared'; constant: string } | { why: 'unavailable'; reason: string };
}

export interface Coverage {
  /** Cases that ran. */
  cases: number;
  /** Distinct sizes run along each axis (n, m, heads, dk, dv, and dModel when the cases have W_o), ascending. */
  axes: Record<string, number[]>;
  /** Cases per option field set to something other than its default (causal, mask, scale, …). */
  options: Record<string, number>;
  /** Cases per tag. */
  tags: Record<string, number>;
  /** Pairs of features (option tags) that met in at least one case, "a+b", and those that never did. */
  pairs: { covered: string[]; missing: string[] };
  /** The stage's features, covered or not (absent when the kernel never compiled, so its declarations are unknown). */
  features?: FeatureCoverage[];
  checks: CoverageCheck[];
  /**
   * Present when the kernel uses subgroup operations: the subgroup widths it ran at (the device's
   * subgroupMinSize…subgroupMaxSize), or null when the device does not say.
   */
  subgroups?: SubgroupWidths | null;
  /** Present when the kernel reads f16 storage: it ran with it, and which cases it could not run. */
  storage?: StorageCoverage;
}

/**
 * The storage precision the cases ran with: a kernel that declares `const F16_STORAGE = true;` reads
 * Q, K and V as packed halves, so it runs with f16 storage, and the cases f16 storage cannot run are
 * left out, each with the reason the engine gives.
 */
export interface StorageCoverage {
  precision: Precision;
  /** Cases of the suite not run, with why (RoPE on, an input beyond ±65504). */
  skipped: { name: string; reason: string }[];
}

/** The subgroup widths a device runs at (its adapter info's subgroupMinSize and subgroupMaxSize). */
export interface SubgroupWidths {
  min: number;
  max: number;
}

/** Widths other devices' subgroups have: a kernel that assumes the one it ran at is unchecked at these. */
export const OTHER_SUBGROUP_WIDTHS = '8–128';

/** Whether WGSL source calls a subgroup or quad built-in function or reads subgroup_size / subgroup_invocation_id. */
export function usesSubgroupOperations(source: string): boolean {
  const code = source.replace(/\/\/.*$/gm, '');
  return /\b(subgroup|quad)[A-Z]\w*\s*\(|\bsubgroup_(size|invocation_id)\b/.test(code);
}

const widths = (w: SubgroupWidths) => (w.min === w.max ? `${w.min}` : `${w.min}–${w.max}`);

/** The subgroup widths a verdict holds for, in a few words: "subgroup width 4 only", "subgroup width unknown". */
function subgroupReach(w: SubgroupWidths | null): string {
  return w ? `subgroup width${w.min === w.max ? '' : 's'} ${widths(w)} only` : 'subgroup width unknown';
}

/**
 * How far a verdict reaches, one line: the largest n, m and heads that ran (the coverage's axes) and,
 * for a kernel with subgroup operations, the subgroup widths.
 */
export function coverageReach(c: Coverage): string {
  const largest = (axis: string) => Math.max(...(c.axes[axis] ?? [0]));
  const sizes = `largest sizes run: n ${largest('n')} · m ${largest('m')} · heads ${largest('heads')}${c.storage ? `; ${storageReach(c.storage)}` : ''}`;
  return c.subgroups === undefined ? sizes : `${sizes}; ${subgroupReach(c.subgroups)} (other devices: ${OTHER_SUBGROUP_WIDTHS})`;
}

/** "f16 storage (2 cases not run)". */
function storageReach(s: StorageCoverage): string {
  const title = s.precision === 'f16' ? 'f16 storage' : 'float32 storage';
  return s.skipped.length ? `${title} (${counted(s.skipped.length, 'case')} not run)` : title;
}

/** The coverage's storage lines: the precision the cases ran with, and the cases it cannot run, by reason. */
function storageLines(s: StorageCoverage): string[] {
  const lines = [
    s.precision === 'f16'
      ? 'storage: f16 — the kernel declares F16_STORAGE, so Q, K and V were packed halves and each output was checked against the f16 bound (each input’s rounding to a half added)'
      : 'storage: float32',
  ];
  const reasons = new Map<string, string[]>();
  for (const { name, reason } of s.skipped) reasons.set(reason, [...(reasons.get(reason) ?? []), name]);
  for (const [reason, names] of reasons)
    lines.push(`not run with f16 storage: ${counted(names.length, 'case')} (${names.join('; ')}) — ${reason}`);
  return lines;
}

/** The coverage's subgroup line: the widths the kernel ran at, and that other devices use others. */
function subgroupLine(w: SubgroupWidths | null): string {
  const ran = w
    ? `ran at subgroup width${w.min === w.max ? '' : 's'} ${widths(w)} only (this device's subgroupMinSize–subgroupMaxSize)`
    : 'ran at a subgroup width this device does not report (no subgroupMinSize/subgroupMaxSize in its adapter info)';
  return `subgroups: ${ran}; other devices use other widths (${OTHER_SUBGROUP_WIDTHS}), where a kernel that assumes one width can be wrong`;
}

/** Tags that describe sizes or repeats rather than an option, left out of the pairs. */
const NOT_FEATURES = new Set(['tile-edge', 'aligned', 'seed']);

const count = (into: Record<string, number>, key: string) => (into[key] = (into[key] ?? 0) + 1);

/** Whether a case ran with the feature on (kvHeads counts only when fewer than the heads). */
const featureOn: Record<FeatureName, (c: VerifyCase) => boolean> = {
  rope: (c) => c.rope !== undefined,
  kvHeads: (c) => c.kvHeads !== undefined && c.kvHeads < c.heads,
  window: (c) => c.window !== undefined,
  alibi: (c) => c.alibi !== undefined,
  softcap: (c) => c.softcap !== undefined,
  sinks: (c) => c.sinks !== undefined,
};

/** Each of the stage's features with the cases that had it on, or why it had none. */
function featureCoverage(cases: readonly VerifyCase[], suite: SuiteFeatures): FeatureCoverage[] {
  return suite.stage.map((feature) => {
    const covered = { feature, cases: cases.filter(featureOn[feature]).length };
    if (suite.undeclared.includes(feature))
      return { ...covered, missing: { why: 'undeclared', constant: FEATURE_INFO[feature].supportConstant ?? '' } };
    const unavailable = suite.unavailable.find((u) => u.feature === feature);
    return unavailable ? { ...covered, missing: { why: 'unavailable', reason: unavailable.reason } } : covered;
  });
}

/** The coverage of the cases that ran, with the runner's checks and, when known, the stage's features. */
export function coverageOf(
  cases: readonly VerifyCase[],
  checks: CoverageCheck[] = [],
  suite?: SuiteFeatures,
  subgroups?: SubgroupWidths | null,
  storage?: StorageCoverage,
): Coverage {
  const axes: Record<string, number[]> = {};
  for (const axis of SIZE_FIELDS) {
    const sizes = [...new Set(cases.flatMap((c) => c[axis] ?? []))].sort((a, b) => a - b);
    // d_model only where the cases carry a W_o (the output projection's).
    if (sizes.length || axis !== 'dModel') axes[axis] = sizes;
  }
  const options: Record<string, number> = {};
  const tags: Record<string, number> = {};
  const met = new Set<string>();
  for (const c of cases) {
    for (const key of optionFields(c)) count(options, key);
    for (const tag of c.tags) count(tags, tag);
    const features = [...new Set(c.tags)].filter((t) => !NOT_FEATURES.has(t)).sort();
    for (let i = 0; i < features.length; i++) for (let j = i + 1; j < features.length; j++) met.add(`${features[i]}+${features[j]}`);
  }
  const features = Object.keys(tags)
    .filter((t) => !NOT_FEATURES.has(t))
    .sort();
  const all: string[] = [];
  for (let i = 0; i < features.length; i++) for (let j = i + 1; j < features.length; j++) all.push(`${features[i]}+${features[j]}`);
  return {
    cases: cases.length,
    axes,
    options,
    tags,
    pairs: { covered: all.filter((p) => met.has(p)), missing: all.filter((p) => !met.has(p)) },
    ...(suite ? { features: featureCoverage(cases, suite) } : {}),
    checks,
    ...(subgroups !== undefined ? { subgroups } : {}),
    ...(storage ? { storage } : {}),
  };
}

/** The features block: what ran, what the kernel would have to declare, what a built-in neighbour lacks. */
export function formatFeatures(features: readonly FeatureCoverage[], stage?: string): string[] {
  if (features.length === 0) return [`features: none apply to ${stage ? `the ${stage} stage` : 'this stage'}`];
  const name = (f: FeatureName) => `${f} (${FEATURE_INFO[f].title})`;
  const run = features.filter((f) => !f.missing);
  const lines = [`features covered (cases): ${run.map((f) => `${name(f.feature)} ${f.cases}`).join(', ') || 'none'}`];
  for (const f of features) {
    if (f.missing?.why === 'undeclared')
      lines.push(
        `feature not covered: ${name(f.feature)} — the kernel does not declare it; add \`const ${f.missing.constant} = true;\` once it implements it`,
      );
    else if (f.missing?.why === 'unavailable') lines.push(`feature not covered: ${name(f.feature)} — ${f.missing.reason}`);
  }
  return lines;
}

/** "1, 7…9, 15…17, 53": sorted sizes with runs of consecutive values joined. */
function sizes(values: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length;) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) j++;
    parts.push(j > i ? `${values[i]}…${values[j]}` : String(values[i]));
    i = j + 1;
  }
  return parts.join(', ');
}

const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

/** The coverage as a few lines of text: the terminal's "coverage:" block, the page's statement. */
export function formatCoverage(c: Coverage, { maxMissing = 8, stage }: { maxMissing?: number; stage?: string } = {}): string[] {
  const { covered, missing } = c.pairs;
  const total = covered.length + missing.length;
  const shown = missing.slice(0, maxMissing).join(', ') + (missing.length > maxMissing ? `, … ${missing.length - maxMissing} more` : '');
  return [
    `${counted(c.cases, 'case')}; sizes run: ${Object.entries(c.axes)
      .map(([axis, values]) => `${axis} ${sizes(values)}`)
      .join(' · ')}`,
    ...(c.subgroups !== undefined ? [subgroupLine(c.subgroups)] : []),
    ...(c.storage ? storageLines(c.storage) : []),
    `options (cases): ${counts(c.options)}`,
    `tags (cases): ${counts(c.tags)}`,
    `feature pairs met in one case: ${covered.length} of ${total}${missing.length ? ` (never together: ${shown})` : ''}`,
    ...(c.features ? formatFeatures(c.features, stage) : []),
    ...(c.checks.length
      ? c.checks.map((k) => `${k.ran ? 'checked' : 'not checked'}: ${k.name} — ${k.detail}`)
      : ['no other checks listed']),
  ];
}
