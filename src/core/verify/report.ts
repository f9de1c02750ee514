/** What a verification run reports, and how the terminal prints it (the page renders the same data). */
import type { ElementReport } from '../metrics';
import type { ShaderMessage } from '../errors';
import type { CheckedTensor } from './check-stage';
import type { VerifyCase } from './cases';
import type { Coverage } from './coverage';
import type { Precision } from '../precision';
import { coverageReach, formatCoverage } from './coverage';
import type { Repro } from './repro';
import type { HazardReport } from './races';
import { counted, countedOf } from '../plural';

/** What the interpreter check ran and found (src/gpu/hazards.ts). */
export interface StageHazardSummary {
  /** What it ran and looked for, in one line. */
  covered: string;
  races: HazardReport['races'];
  outOfBounds: HazardReport['outOfBounds'];
  uninitialisedReads: HazardReport['uninitialisedReads'];
  barrierDivergence: HazardReport['barrierDivergence'];
  workgroupBytes: number;
  /** Why the check could not finish (the interpreter refused the kernel, ran out of time). */
  incomplete?: string;
  /** Set when it ran out of interpreter steps (an endless loop?): where, on which problem. */
  outOfSteps?: HazardReport['outOfSteps'];
  ms: number;
}

export type CaseStatus = 'pass' | 'fail' | 'timeout' | 'error';

export interface CaseReport {
  name: string;
  /** Everything needed to rebuild the inputs, seed included. */
  case: VerifyCase;
  status: CaseStatus;
  /** The tensor the stage writes and the check compared; null when the case did not finish. */
  tensor: CheckedTensor | null;
  count: number;
  failures: number;
  maxAbs: number;
  maxRel: number;
  maxUlp: number;
  firstBad: ElementReport | null;
  /** Elements that differ bit for bit between the two runs. */
  differing: number;
  unwritten: number;
  nonFiniteInMaskedRows: number;
  nonFiniteElsewhere: number;
  /** Scores hidden (−∞) where the reference has a number, or shown where it is −∞. */
  maskMismatches: number;
  factor: number | null;
  /** With an elementwise activation: rows whose weights sum to 1 where the reference's do not. */
  normalisedRows?: number;
  /** With the softmax: rows that are the reference's times a constant ≠ 1, where the reference sums to 1 (not normalised). */
  unnormalisedRows?: number;
  /** A short hint from this case alone; the report's hints read the pattern across cases. */
  hint: string;
  /** Wall time of both runs. */
  ms: number;
  /** Set when the case could not run (status 'error' or 'timeout'). */
  error?: string;
}

/** The bug classes a diagnosis names (the mutation corpus files every broken kernel under one). */
export const BUG_CLASSES = [
  'index', // an index expression computes the wrong element (axes swapped, transposed reads)
  'stride', // a row stride that omits heads, or uses n where m belongs
  'head-offset', // a head's offset or block start computed with dv for dk, m for n
  'tile-origin', // a workgroup's first row/column wrong: only tiles past the first workgroup are off
  'bounds', // a guard off by one or against the wrong size: the last partial tile, the extra grid row
  'barrier', // a missing or misplaced workgroupBarrier (read-after-write, write-after-read)
  'initialisation', // a running max started at 0 instead of −∞, a sum not reset
  'scaling', // scale applied twice or to the wrong side, temperature multiplied
  'masking', // causal off by one or ignoring causal_shift, mask replacing causal, NaN on masked rows
  'reduction', // a sum or max over a partial range or the wrong axis
  'limits', // fits this device, not a default WebGPU device (workgroup memory > 16 KiB, …)
  // The attention features (../features.ts): the feature ignored or applied at the wrong place.
  'rope', // RoPE: the pair layout, the position (offset, causal_shift), the base or the rotated dimensions
  'kv-heads', // grouped K/V heads: the K/V head of a query head, or K/V rows kv_heads wide
  'window', // the sliding window: its edge (< w), both sides without causal, the distance from the aligned position
  'alibi', // ALiBi: the bias's sign, the head's slope, the distance from the aligned position
  'softcap', // the logit softcap: after the scale and temperature, before the bias and the mask
  'sinks', // attention sinks: in the max and the denominator, the head's sink, rows that see no key
  // Split-KV (the fused stage's key splits and the combine stage).
  'key-splits', // a split's key range, the sink in every split, the combine's rescaling to the common max
  // The learned score functions (../scoring.ts).
  'score-function', // general/additive: W read transposed, W_q and W_k swapped, tanh dropped or unclamped, dq for dk
] as const;
export type BugClass = (typeof BUG_CLASSES)[number];

export type HintId =
  | 'f16-storage'
  | 'timeout'
  | 'device-lost'
  | 'race'
  | 'unwritten'
  | 'zero-sum'
  | 'overflow'
  | 'scale'
  | 'barrier'
  | 'tile-edges'
  | 'masking'
  | 'cross'
  | 'widths'
  | 'heads'
  | 'options'
  | 'tile-origin'
  | 'head-offset'
  | 'stride'
  | 'causal-shift'
  | 'mask-causal'
  | 'max-init'
  | 'large-sizes'
  | 'inner-loop'
  | 'limits'
  | 'out-of-bounds'
  | 'uninitialised'
  | 'divergence'
  | 'wrong'
  | 'rope'
  | 'kv-heads'
  | 'window'
  | 'alibi'
  | 'softcap'
  | 'sinks'
  | 'key-splits'
  | 'score-function'
  | 'hidden-nan'
  | 'normalisation'
  | 'activation-form'
  | 'loop-var';

export interface Hint {
  id: HintId;
  /** One line: the bug class. */
  title: string;
  /** Why the pattern points there and what to look at. */
  detail: string;
  /** The cases the hint is read from. */
  cases: string[];
  /** The bug class the hint points at. */
  bugClass: BugClass;
  /** Source lines involved (1-based), when the hint comes from the interpreter or a static check. */
  lines?: number[];
}

/** A limit of a default WebGPU device the kernel exceeds. */
export interface LimitFinding {
  /** The WebGPU limit's name, e.g. maxComputeWorkgroupStorageSize. */
  limit: string;
  /** What the kernel needs and what a default device offers. */
  needed: number;
  allowed: number;
  message: string;
}

/** The smallest failing problem found by shrinking a failing case (src/core/verify/shrink.ts). */
export interface SmallestFailure {
  /** The suite's case it was shrunk from. */
  from: string;
  /** The run of the shrunk case: its case (sizes, options, seed), status, first bad element and values. */
  row: CaseReport;
  /** The shrunk problem in words ("n=17 m=1 dk=1 dv=1 heads=2, causal"). */
  problem: string;
  /** Runs of the shrunk candidates, and the moves that were kept. */
  runs: number;
  moves: string[];
  /** False when the run budget ran out (a smaller failing case may exist). */
  complete: boolean;
  /** Why the case was not shrunk or not further (a timeout, a cancelled run). */
  note?: string;
  /** A smaller case's run did not finish: the kernel may still be running on the device. */
  timedOut?: boolean;
  /** A smaller case's run lost the GPU device: the kernel may have hung or crashed it (held as after a timeout). */
  deviceLost?: boolean;
}

export type VerifyStatus = 'pass' | 'fail' | 'timeout' | 'device-lost' | 'compile-error' | 'interface-error';

export interface VerifyReport {
  stage: string;
  /** The variant whose built-in kernels ran the other stages. */
  variant: string;
  /** Where the kernel came from: a file name, "built-in tiled qk", "editor". */
  label: string;
  status: VerifyStatus;
  workgroupSize: [number, number, number] | null;
  cases: CaseReport[];
  /** Cases the suite planned; more than cases.length when it stopped early (timeout, lost device). */
  plannedCases: number;
  /** Diagnoses from the pattern across cases, most specific first; empty when everything passed. */
  hints: Hint[];
  /** Things worth a look even though every case passed. */
  warnings: string[];
  /** Compiler output (errors for 'compile-error'; warnings otherwise). */
  compileMessages: ShaderMessage[];
  interfaceProblems: string[];
  /** Limits of a default WebGPU device (WebGPU's defaults) the kernel exceeds; empty when it fits. */
  limits: LimitFinding[];
  /** The interpreter check (races, out-of-bounds, unwritten workgroup reads), when it ran. */
  hazards: StageHazardSummary | null;
  /** The failure that stopped the suite (device lost, timeout), in words. */
  error?: string;
  timeLimitMs: number;
  ms: number;
  /** The smallest failing case, when a case failed. */
  smallest?: SmallestFailure;
  /** What the cases that ran covered, and which extra checks ran. */
  coverage?: Coverage;
  /** 'f16' when the kernel declares F16_STORAGE and its cases ran with f16 storage; absent for float32. */
  precision?: Precision;
  /** The smallest failing case as files and an `npm run attention` command (the terminal writes it). */
  repro?: Repro;
}

/**
 * What a Verify run left on the device, for the page to hold the kernel: 'timeout' when a case or a
 * smaller case tried while shrinking did not finish (the kernel may still be running), 'device-lost'
 * when either lost the device, else null.
 */
export function verifyLeftDevice(report: Pick<VerifyReport, 'status' | 'smallest'>): 'timeout' | 'device-lost' | null {
  if (report.status === 'timeout' || report.smallest?.timedOut) return 'timeout';
  if (report.status === 'device-lost' || report.smallest?.deviceLost) return 'device-lost';
  return null;
}

function failedCases(report: VerifyReport): CaseReport[] {
  return report.cases.filter((c) => c.status !== 'pass');
}

/** `line:col message` for every compiler error, the form editors and terminals jump to. */
export function compileErrorLines(messages: readonly ShaderMessage[], file = ''): string[] {
  return messages.filter((m) => m.type === 'error').map((m) => `${file ? `${file}:` : ''}${m.line}:${m.column} ${m.message}`);
}

/**
 * Why a kernel cannot run at all — it does not compile, or does not fit the kernel interface — as
 * the terminal commands print it (bad input, exit 2); null for any other status. `file` prefixes
 * the compiler's line:col.
 */
export function unusableKernelLines(
  report: Pick<VerifyReport, 'label' | 'stage' | 'compileMessages' | 'interfaceProblems' | 'error'> & { status: string },
  file?: string,
): string[] | null {
  if (report.status === 'compile-error')
    // line:col first, so terminals and editors can jump to it.
    return [`${report.label}: the ${report.stage} kernel does not compile`, ...compileErrorLines(report.compileMessages, file)];
  if (report.status !== 'interface-error') return null;
  const problems = report.interfaceProblems.length ? report.interfaceProblems : report.error ? [report.error] : [];
  return [
    `${report.label}: the ${report.stage} kernel does not fit the kernel interface (docs/kernel-interface.md)`,
    ...problems.map((problem) => `  - ${problem}`),
  ];
}

const num = (x: number) =>
  Number.isFinite(x) ? (x === 0 ? '0' : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(4) : x.toExponential(2)) : String(x);
const err = (x: number) => (x === 0 ? '0' : x.toExponential(2));
const ulp = (x: number) => (x < 1e6 ? String(x) : x.toExponential(1));

function element(e: ElementReport | null, tensor: CheckedTensor | null): string {
  if (!e) return '';
  const [h, i, j] = e.position;
  const where = tensor === 'output' ? `[${i},${j}]` : `[h${h},${i},${j}]`;
  return `${tensor ?? ''}${where} expected ${num(e.expected)} got ${num(e.actual)}`;
}

function pad(cells: string[], widths: number[]): string {
  return cells
    .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
    .join('  ')
    .trimEnd();
}

function stopped(report: VerifyReport): string {
  return report.cases.length < report.plannedCases ? ` (stopped after ${report.cases.length} of ${report.plannedCases})` : '';
}

/** The table's columns, shared by the terminal and the page. */
export const REPORT_COLUMNS = ['case', 'max abs', 'max rel', 'max ULP', 'result', 'first bad element', 'hint'] as const;

/** One row of the table as text cells, in REPORT_COLUMNS order. */
export function reportCells(c: CaseReport): string[] {
  return [
    c.name,
    c.tensor ? err(c.maxAbs) : '',
    c.tensor ? err(c.maxRel) : '',
    c.tensor ? ulp(c.maxUlp) : '',
    c.status === 'pass' ? 'PASS' : c.status === 'fail' ? 'FAIL' : c.status.toUpperCase(),
    c.status === 'fail' ? element(c.firstBad, c.tensor) : '',
    c.hint,
  ];
}

/** The one-line verdict under the table; a PASS also says how far it reaches (the largest sizes, subgroup widths). */
export function reportSummary(report: VerifyReport): string {
  const failed = failedCases(report).length;
  return report.status === 'pass'
    ? `PASS: ${countedOf(report.cases.length, report.cases.length, 'case')} within tolerance, identical on both runs (${(report.ms / 1000).toFixed(1)} s)${report.coverage ? `; ${coverageReach(report.coverage)}` : ''}`
    : report.cases.length === 0 && report.error
      ? // Nothing ran (it did not compile, or does not fit the interface): no "0 of 0 cases".
        `${report.status.toUpperCase()}: no case ran — ${report.error}`
      : `${report.status === 'fail' ? 'FAIL' : report.status.toUpperCase()}: ${countedOf(failed, report.cases.length, 'case')} failed${stopped(report)}${report.error ? ` — ${report.error}` : ''}`;
}

/** The report as a plain-text table with the hints under it. */
export function formatReport(report: VerifyReport): string {
  const lines: string[] = [];
  const wg = report.workgroupSize ? ` @workgroup_size(${report.workgroupSize.join(', ')})` : '';
  const storage = report.precision === 'f16' ? ', with f16 storage (the kernel declares F16_STORAGE)' : '';
  lines.push(`verify ${report.stage}: ${report.label}${wg}, other stages from the ${report.variant} variant${storage}`);
  if (report.status === 'compile-error') {
    lines.push('does not compile:', ...compileErrorLines(report.compileMessages).map((l) => `  ${l}`));
    return lines.join('\n');
  }
  if (report.status === 'interface-error') {
    lines.push('does not fit the kernel interface:', ...report.interfaceProblems.map((p) => `  - ${p}`));
    return lines.join('\n');
  }
  if (report.smallest) lines.push(...formatSmallest(report.smallest), '');
  const header = [...REPORT_COLUMNS];
  const rows = report.cases.map(reportCells);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  lines.push(pad(header, widths), ...rows.map((r) => pad(r, widths)));
  lines.push('', reportSummary(report));
  for (const h of report.hints) lines.push(`hint: ${h.title}`, `      ${h.detail}`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  if (report.coverage) lines.push('', 'coverage:', ...formatCoverage(report.coverage, { stage: report.stage }).map((l) => `  ${l}`));
  if (report.repro) lines.push('', ...formatRepro(report.repro));
  return lines.join('\n');
}

/** The first bad element with both values: "probs[h0,1,0]: GPU NaN, reference 0 (tolerance 1.19e-38)". */
export function firstBadText(row: CaseReport): string {
  const e = row.firstBad;
  if (!e) return '';
  const [h, i, j] = e.position;
  const where = row.tensor === 'output' ? `[${i},${j}]` : `[h${h},${i},${j}]`;
  // Enough digits to tell the two apart: a float32 has about 7 significant digits.
  const exact = (x: number) => (Number.isFinite(x) ? String(Number(x.toPrecision(8))) : String(x));
  return `${row.tensor ?? ''}${where}: GPU ${exact(e.actual)}, reference ${exact(e.expected)} (tolerance ${err(e.tolerance)})`;
}

/** The smallest failing case: problem, verdict, first bad element with both values, how it was found. */
export function formatSmallest(s: SmallestFailure): string[] {
  const row = s.row;
  const status = row.status === 'fail' ? 'FAIL' : row.status.toUpperCase();
  const lines = [`smallest failing case: ${s.problem} (seed ${row.case.seed})`];
  const bad = firstBadText(row);
  lines.push(`  ${status}${bad ? ` at ${bad}` : ''}${row.hint ? ` — ${row.hint}` : ''}${row.error ? ` — ${row.error}` : ''}`);
  if (row.tensor)
    lines.push(
      `  ${row.failures} of ${row.count} elements out of tolerance${row.maxAbs > 0 ? `; max abs ${err(row.maxAbs)}, max ULP ${ulp(row.maxUlp)}` : ''}`,
    );
  const how = s.moves.length
    ? `shrunk from "${s.from}" in ${counted(s.runs, 'run')}${s.complete ? '' : ' (stopped early)'}: ${s.moves.join(', ')}`
    : `"${s.from}"${s.runs ? ` (nothing smaller failed in ${counted(s.runs, 'run')})` : ''}`;
  lines.push(`  ${how}`);
  if (s.note) lines.push(`  ${s.note}`);
  return lines;
}

/** Where the repro files are and the command, or why there is no exact command. */
export function formatRepro(r: Repro): string[] {
  const lines = [`inputs of the smallest failing case: ${r.dir}/ (${Object.keys(r.files).join(', ')} .npy)`];
  if (r.unsupported.length) {
    lines.push(`no exact command: npm run attention has no flag for ${r.unsupported.join(', ')}; the same inputs run with:`);
  } else if (r.reproduces === false) {
    lines.push(
      'this command runs the same inputs but was seen to PASS (the failure needs the verifier, e.g. two runs or its per-stage check):',
    );
  } else lines.push('reproduce:');
  lines.push(`  ${r.command}`);
  return lines;
}

/** JSON that keeps NaN and ±Infinity as strings instead of losing them to null. */
export function reportJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}
