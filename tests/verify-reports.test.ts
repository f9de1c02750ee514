/** The report's coverage, the repro command and loading a case into the playground: pure, no GPU. */
import { describe, expect, it } from 'vitest';
import type { VerifyCase } from '../src/core/verify/cases';
import { caseInputs, verifyCases } from '../src/core/verify/cases';
import { coverageOf, formatCoverage, usesSubgroupOperations } from '../src/core/verify/coverage';
import { stateWithCase } from '../src/core/verify/load-case';
import { reproCommand, reproInputs } from '../src/core/verify/repro';
import type { CaseReport, VerifyReport } from '../src/core/verify/report';
import { formatSmallest, reportSummary } from '../src/core/verify/report';
import { caseHint } from '../src/core/verify/hints';
import { suiteChecks } from '../src/gpu/verify-shrink';
import { defaultState, parseState } from '../src/core/state';
import { DEFAULT_OPTIONS } from '../src/core/options';

const base: VerifyCase = {
  name: 'c',
  n: 3,
  m: 5,
  dk: 2,
  dv: 4,
  heads: 2,
  causal: true,
  mask: 'random',
  scale: 0.5,
  temperature: 2,
  seed: 11,
  tags: ['cross', 'widths', 'heads', 'causal', 'mask', 'scale'],
};

/** A case with every feature on: 4 heads on 2 K/V heads, RoPE, window, ALiBi slopes, softcap and sinks. */
const featured: VerifyCase = {
  ...base,
  heads: 4,
  kvHeads: 2,
  dk: 4,
  rope: { layout: 'interleaved', base: 500, dims: 2, offset: -3 },
  window: 3,
  alibi: [0.5, 0.25],
  softcap: 4,
  sinks: [-1, 0.5],
  tags: [...base.tags, 'gqa', 'gqa-grouped', 'rope', 'window', 'alibi', 'softcap', 'sinks'],
};

function row(c: VerifyCase): CaseReport {
  return {
    name: c.name,
    case: c,
    status: 'fail',
    tensor: 'probs',
    count: 30,
    failures: 1,
    maxAbs: 0,
    maxRel: 0,
    maxUlp: 0,
    firstBad: { index: 7, position: [1, 2, 0], actual: NaN, expected: 0, tolerance: 1e-38, error: NaN },
    differing: 0,
    unwritten: 0,
    nonFiniteInMaskedRows: 1,
    nonFiniteElsewhere: 0,
    maskMismatches: 0,
    factor: null,
    hint: 'NaN in a fully masked row: division by a zero sum',
    ms: 1,
  };
}

describe('coverage', () => {
  it('reads sizes per axis, options, tags and the feature pairs from the cases that ran', () => {
    const cases = verifyCases();
    const coverage = coverageOf(cases, [{ name: 'race check', ran: false, detail: 'not here' }]);
    expect(coverage.cases).toBe(cases.length);
    expect(coverage.axes.n).toContain(1);
    expect(coverage.axes.heads).toEqual([...new Set(cases.map((c) => c.heads))].sort((a, b) => a - b));
    expect(coverage.options.causal).toBe(cases.filter((c) => c.causal).length);
    expect(coverage.tags.cross).toBe(cases.filter((c) => c.tags.includes('cross')).length);
    expect(coverage.pairs.covered).toContain('causal+cross');
    // The suite's pairwise array puts every two options in one case; drop those cases and the pair is missing.
    expect(coverage.pairs.covered).toContain('causal+heads');
    const apart = coverageOf(cases.filter((c) => !(c.tags.includes('causal') && c.tags.includes('heads'))));
    expect(apart.pairs.missing).toContain('causal+heads');
    expect(formatCoverage(apart).join('\n')).toMatch(/feature pairs met in one case: \d+ of \d+ \(never together: .*causal\+heads/);
    expect(coverage.pairs.covered.some((p) => p.includes('seed') || p.includes('tile-edge'))).toBe(false);
    const text = formatCoverage(coverage).join('\n');
    expect(text).toMatch(/^\d+ cases; sizes run: n 1, /);
    expect(text).toMatch(/feature pairs met in one case: \d+ of \d+/);
    expect(text).toContain('not checked: race check — not here');
  });

  it('lists the features covered, and why the others are not: the constant to declare, or the stage before it', () => {
    const coverage = coverageOf([featured, base], [], {
      stage: ['kvHeads', 'window', 'alibi', 'softcap', 'sinks'],
      run: ['window', 'alibi', 'sinks'],
      undeclared: ['softcap'],
      unavailable: [{ feature: 'kvHeads', reason: 'the built-in tiled qk kernel, which runs before it, does not implement it' }],
    });
    expect(coverage.features).toEqual([
      {
        feature: 'kvHeads',
        cases: 1,
        missing: { why: 'unavailable', reason: 'the built-in tiled qk kernel, which runs before it, does not implement it' },
      },
      { feature: 'window', cases: 1 },
      { feature: 'alibi', cases: 1 },
      { feature: 'softcap', cases: 1, missing: { why: 'undeclared', constant: 'SUPPORTS_SOFTCAP' } },
      { feature: 'sinks', cases: 1 },
    ]);
    const text = formatCoverage(coverage).join('\n');
    expect(text).toContain('features covered (cases): window (sliding window) 1, alibi (ALiBi) 1, sinks (attention sinks) 1');
    expect(text).toContain(
      'feature not covered: softcap (logit softcap) — the kernel does not declare it; add `const SUPPORTS_SOFTCAP = true;`',
    );
    expect(text).toContain('feature not covered: kvHeads (grouped-query heads) — the built-in tiled qk kernel, which runs before it');
    const none = coverageOf([base], [], { stage: [], run: [], undeclared: [], unavailable: [] });
    expect(formatCoverage(none, { stage: 'project' })).toContain('features: none apply to the project stage');
    // Before the kernel compiled, nothing is known about its declarations: no features block.
    expect(formatCoverage(coverageOf([base])).join('\n')).not.toMatch(/^features/m);
  });

  it('counts fields and tags it does not know', () => {
    const extra = { ...base, rowBlocks: 2, tags: [...base.tags, 'row-blocks'] } as unknown as VerifyCase;
    const coverage = coverageOf([extra, base]);
    expect(coverage.options.rowBlocks).toBe(1);
    expect(coverage.tags['row-blocks']).toBe(1);
    expect(coverage.pairs.covered).toContain('heads+row-blocks');
  });
});

describe('the reach of a verdict', () => {
  const big = { ...base, n: 260, m: 9, heads: 5, tags: [...base.tags, 'large-sizes'] } as VerifyCase;
  const pass = (coverage: ReturnType<typeof coverageOf>) =>
    reportSummary({ status: 'pass', cases: [big, base].map((c) => ({ ...row(c), status: 'pass' })), ms: 1000, coverage } as VerifyReport);

  it('a PASS names the largest n, m and heads that ran, in the coverage’s words', () => {
    const coverage = coverageOf([big, base]);
    expect(pass(coverage)).toMatch(/^PASS: .*; largest sizes run: n 260 · m 9 · heads 5$/);
    expect(formatCoverage(coverage)[0]).toContain('sizes run: n 3, 260 · m 5, 9 · heads 2, 5');
    expect(formatCoverage(coverage).join('\n')).not.toContain('subgroup');
  });

  it('with subgroup operations, a PASS and the coverage say the widths it ran at, or that they are unknown', () => {
    const at4 = coverageOf([big, base], [], undefined, { min: 4, max: 4 });
    expect(pass(at4)).toMatch(/; subgroup width 4 only \(other devices: 8–128\)$/);
    expect(formatCoverage(at4)[1]).toBe(
      "subgroups: ran at subgroup width 4 only (this device's subgroupMinSize–subgroupMaxSize); other devices use other widths (8–128), where a kernel that assumes one width can be wrong",
    );
    expect(pass(coverageOf([base], [], undefined, { min: 32, max: 64 }))).toContain('subgroup widths 32–64 only');
    const unknown = coverageOf([base], [], undefined, null);
    expect(pass(unknown)).toContain('subgroup width unknown (other devices: 8–128)');
    expect(formatCoverage(unknown)[1]).toMatch(/^subgroups: ran at a subgroup width this device does not report/);
  });

  it('finds subgroup operations in WGSL, not in its comments', () => {
    expect(usesSubgroupOperations('let m = subgroupMax(x);')).toBe(true);
    expect(usesSubgroupOperations('let s = subgroupShuffleXor(x, 1u);')).toBe(true);
    expect(usesSubgroupOperations('@builtin(subgroup_size) size: u32')).toBe(true);
    expect(usesSubgroupOperations('let q = quadBroadcast(x, 0u);')).toBe(true);
    expect(usesSubgroupOperations('// no subgroupAdd( here\nlet s = x + y;')).toBe(false);
  });
});

describe('counts in the report', () => {
  // One case (a suite stopped by a timeout after its first), one run, one differing element: singular.
  it.each([1, 3])('%i case(s): the coverage, the two-runs check, the verdict and the shrink say case/cases, run/runs', (n) => {
    const cases = Array.from({ length: n }, (_, i) => ({ ...base, name: `case ${i}`, seed: i }));
    const plural = n === 1 ? '' : 's';
    const lines = formatCoverage(coverageOf(cases, suiteChecks({ cases: cases.map(row), hazards: null, limits: [] })));
    expect(lines[0]).toMatch(new RegExp(`^${n} case${plural}; sizes run: `));
    expect(lines.join('\n')).toContain(`two runs per case — ${n} case${plural} where two workgroups could write one element ran twice`);
    const passed = reportSummary({ status: 'pass', cases: cases.map((c) => ({ ...row(c), status: 'pass' })), ms: 1000 } as VerifyReport);
    expect(passed).toBe(`PASS: ${n === 1 ? 'the 1 case' : `all ${n} cases`} within tolerance, identical on both runs (1.0 s)`);
    // Every case failed: "the 1 case failed", "all 3 cases failed" (never "1 of 1 cases failed"); one of them: "1 of 3 cases".
    const failing = (failed: number) =>
      reportSummary({
        status: 'fail',
        cases: cases.map((c, i) => ({ ...row(c), status: i < failed ? 'fail' : 'pass' })),
        plannedCases: n,
        ms: 1000,
      } as VerifyReport);
    expect(failing(n)).toBe(`FAIL: ${n === 1 ? 'the 1 case' : `all ${n} cases`} failed`);
    expect(failing(1)).toBe(`FAIL: ${n === 1 ? 'the 1 case' : `1 of ${n} cases`} failed`);
    expect(failing(0)).toBe(`FAIL: 0 of ${n} case${plural} failed`);
    const smallest = formatSmallest({
      from: 'causal n=20 m=12',
      row: row(base),
      problem: 'n=3 m=5',
      runs: n,
      moves: ['n 20 → 3'],
      complete: true,
    });
    expect(smallest.join('\n')).toContain(`shrunk from "causal n=20 m=12" in ${n} run${plural}: n 20 → 3`);
    const unshrunk = formatSmallest({ from: 'causal n=20 m=12', row: row(base), problem: 'n=20 m=12', runs: n, moves: [], complete: true });
    expect(unshrunk.join('\n')).toContain(`(nothing smaller failed in ${n} run${plural})`);
    const { hint: _, ...racy } = { ...row(base), differing: n };
    expect(caseHint(racy)).toContain(`differs between runs (${n} element${plural}): race`);
  });
});

describe('caseHint', () => {
  it('blames a missing max subtraction for Inf/NaN with large scores only where a softmax runs', () => {
    const { hint: _, ...large } = {
      ...row({ ...base, tags: [...base.tags, 'large-scores'] }),
      nonFiniteInMaskedRows: 0,
      nonFiniteElsewhere: 3,
    };
    expect(caseHint(large)).toContain('missing max subtraction');
    // qk writes the scores themselves: no softmax there, so the overflow is in the score's arithmetic.
    const scores = caseHint({ ...large, tensor: 'scores' });
    expect(scores).toContain('an overflow computing the score');
    expect(scores).not.toContain('max subtraction');
    // Without large scores the hint only counts them.
    expect(caseHint({ ...large, case: base })).toBe('3 Inf/NaN computed');
  });
});

describe('repro', () => {
  it('writes the inputs the case runs and a command with every option it sets', () => {
    const files = reproInputs(base);
    const { inputs } = caseInputs(base);
    expect(files.map((f) => f.name)).toEqual(['q', 'k', 'v', 'mask']);
    expect(files[0].matrix.data).toEqual(inputs.q.data);
    const repro = reproCommand(base, { dir: 'out dir', stage: 'softmax', kernelFile: 'my.wgsl', variant: 'tiled' });
    expect(repro.command).toBe(
      "npm run attention -- --q 'out dir/q.npy' --k 'out dir/k.npy' --v 'out dir/v.npy' --mask 'out dir/mask.npy' --causal --scale 0.5 --temperature 2 --heads 2 --variant tiled --kernel softmax=my.wgsl --poison",
    );
    expect(repro.unsupported).toEqual([]);
  });

  it('carries every feature of the case as a flag of the attention command', () => {
    const files = reproInputs(featured);
    expect(files.find((f) => f.name === 'k')!.matrix.cols).toBe(2 * 4);
    expect(files.find((f) => f.name === 'q')!.matrix.cols).toBe(4 * 4);
    const repro = reproCommand(featured, { dir: 'd', stage: 'rope', kernelFile: 'rope.wgsl', variant: 'tiled' });
    expect(repro.unsupported).toEqual([]);
    expect(repro.command).toBe(
      'npm run attention -- --q d/q.npy --k d/k.npy --v d/v.npy --mask d/mask.npy --causal --scale 0.5 --temperature 2 --heads 4' +
        ' --kv-heads 2 --rope interleaved --rope-base 500 --rope-dims 2 --rope-offset=-3 --window 3 --alibi 0.5,0.25,0.5,0.25' +
        ' --softcap 4 --sinks=-1,0.5,-1,0.5 --variant tiled --kernel rope=rope.wgsl --poison',
    );
  });

  it('names what the attention command cannot express', () => {
    const blocked = { ...base, rowBlocks: 4 } as unknown as VerifyCase;
    expect(reproCommand(blocked, { dir: 'd', stage: 'qk', variant: 'tiled' }).unsupported).toEqual(['rowBlocks=4']);
  });
});

describe('the smallest failing case', () => {
  it('says the problem, the first bad element with both values and how it was found', () => {
    const text = formatSmallest({
      from: 'causal n=20 m=12',
      row: row(base),
      problem: 'n=3 m=5',
      runs: 9,
      moves: ['n 20 → 3'],
      complete: true,
    });
    expect(text[0]).toBe('smallest failing case: n=3 m=5 (seed 11)');
    expect(text[1]).toContain('FAIL at probs[h1,2,0]: GPU NaN, reference 0');
    expect(text.join('\n')).toContain('shrunk from "causal n=20 m=12" in 9 runs: n 20 → 3');
  });

  it('loads into matrix mode with its options, mask, variant and kernel, focused on the first bad element', () => {
    const state = { ...defaultState(), mode: 'sentence' as const, padding: [1], kernels: { qk: 'keep' } };
    const next = stateWithCase(state, { row: row(base), stage: 'softmax', source: 'wgsl', variant: 'naive' });
    const { inputs } = caseInputs(base);
    expect(next.mode).toBe('matrix');
    expect(next.matrix.q.length).toBe(3);
    expect(next.matrix.q[0].length).toBe(4);
    expect(next.matrix.v[0].length).toBe(8);
    expect(next.matrix.k.flat()).toEqual([...inputs.k.data]);
    expect(next.mask?.length).toBe(3);
    expect(next.options).toEqual({ ...DEFAULT_OPTIONS, causal: true, heads: 2, scale: 0.5, temperature: 2 });
    expect(next).toMatchObject({ variant: 'naive', kernels: { qk: 'keep', softmax: 'wgsl' }, padding: [] });
    expect(next.view).toMatchObject({ tab: 'attention', head: 1, focusQuery: 2 });
    expect(parseState(JSON.parse(JSON.stringify(next)))).toEqual(next);
  });

  it('loads a feature case with its features: K and V on their K/V heads, RoPE, window, ALiBi, softcap and sinks', () => {
    const next = stateWithCase(defaultState(), { row: row(featured), stage: 'rope', source: 'wgsl', variant: 'tiled' });
    expect(next.options).toEqual({
      ...DEFAULT_OPTIONS,
      causal: true,
      heads: 4,
      scale: 0.5,
      temperature: 2,
      kvHeads: 2,
      rope: { layout: 'interleaved', base: 500, dims: 2, offset: -3 },
      window: 3,
      alibi: [0.5, 0.25, 0.5, 0.25],
      softcap: 4,
      sinks: [-1, 0.5, -1, 0.5],
    });
    expect(next.matrix.k[0].length).toBe(2 * 4);
    expect(next.matrix.v[0].length).toBe(2 * 4);
    expect(next.kernels).toEqual({ rope: 'wgsl' });
    expect(parseState(JSON.parse(JSON.stringify(next)))).toEqual(next);
  });
});
