/**
 * Hints: from the symptoms of each case and the pattern across cases to the usual bug classes.
 *
 * Symptom rules come first, because a symptom names its cause most directly (a NaN that is still
 * the poison was never written). The failures they do not explain are then matched against the
 * case families: if every one of them is, say, a causal or masked case, masking is the suspect.
 */
import { resolveScale } from '../options';
import { unsyncedWorkgroupReads } from './barriers';
import type { CaseTag } from './cases';
import type { CaseReport, Hint, HintId } from './report';

/** How the interface dispatches each stage, for the unwritten-elements hint. */
const DISPATCH: Record<string, string> = {
  qk: 'x over the m keys (ceil(m / wg.x) workgroups), y over the query rows (ceil(n / wg.y)), z over heads',
  softmax: 'x over the query rows (ceil(n / wg.y) workgroups: one row per wg.y), y over heads',
  pv: 'x over the dv value columns (ceil(dv / wg.x) workgroups), y over the query rows (ceil(n / wg.y)), z over heads',
};

/** The short per-case hint shown in the table row. */
export function caseHint(c: Omit<CaseReport, 'hint'>): string {
  if (c.status === 'timeout') return 'timed out — infinite loop or a very slow kernel?';
  if (c.status === 'error') return c.error ?? 'could not run';
  if (c.status === 'pass') return '';
  const parts: string[] = [];
  if (c.differing > 0) parts.push(`differs between runs (${c.differing} elements): race`);
  if (c.unwritten > 0) parts.push(`${c.unwritten} never written (NaN poison): dispatch too small or early return`);
  if (c.nonFiniteInMaskedRows > 0) parts.push('NaN in a fully masked row: division by a zero sum');
  if (c.nonFiniteElsewhere > 0) {
    parts.push(
      c.case.tags.includes('large-scores')
        ? 'Inf/NaN with large scores: missing max subtraction?'
        : `${c.nonFiniteElsewhere} Inf/NaN computed`,
    );
  }
  if (c.maskMismatches > 0) parts.push(`${c.maskMismatches} scores masked wrongly (−∞ vs a number)`);
  if (c.factor !== null) parts.push(`every element ×${c.factor.toPrecision(4)}: scale/temperature`);
  return parts.join('; ');
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
    title: 'wrong everywhere by a constant factor → scale or temperature',
    detail: `${why}. Scores are (q·k) · params.scale / params.temperature.`,
    cases: failing.map((c) => c.name),
  };
}

interface Family {
  id: HintId;
  tags: CaseTag[];
  title: string;
  detail: string;
}

const FAMILIES: Family[] = [
  {
    id: 'masking',
    tags: ['causal', 'mask', 'masked-row'],
    title: 'fails only with causal or an explicit mask → masking',
    detail:
      'key j is visible to query row i when j ≤ i + params.causal_shift (causal) and mask[i·m + j] ≠ 0 (FLAG_MASK); a hidden score must be exactly −∞ and get probability 0.',
  },
  {
    id: 'cross',
    tags: ['cross'],
    title: 'fails only when n ≠ m → n and m mixed up',
    detail: 'a score row has m entries: look for a row stride or a bound that uses params.n where it needs params.m, or the reverse.',
  },
  {
    id: 'widths',
    tags: ['widths'],
    title: 'fails only when dk ≠ dv → dk and dv mixed up',
    detail: 'Q and K rows are heads·dk wide, V and output rows heads·dv: look for a stride or bound using the other width.',
  },
  {
    id: 'heads',
    tags: ['heads'],
    title: 'fails only with more than one head → head offset',
    detail: 'head t uses columns t·dk…(t+1)·dk of Q/K and t·dv…(t+1)·dv of V and the output, and rows (t·n + i) of the score tensors.',
  },
  {
    id: 'options',
    tags: ['scale'],
    title: 'fails only with a custom scale or temperature → params.scale / params.temperature ignored',
    detail: 'use the uniform values instead of a hard-coded 1/√dk or 1.',
  },
  {
    id: 'overflow',
    tags: ['large-scores'],
    title: 'fails only with large scores → missing max subtraction',
    detail: 'exp() overflows float32 above about 88: compute exp(s − rowMax), not exp(s), so the largest term is exp(0) = 1.',
  },
];

const has = (c: CaseReport, tags: CaseTag[]) => tags.some((t) => c.case.tags.includes(t));
const names = (cases: CaseReport[]) => cases.map((c) => c.name);

/** The diagnosis of a finished suite, most specific first. `source` enables the static barrier check. */
export function diagnose(cases: CaseReport[], context: { stage: string; source?: string } = { stage: '' }): Hint[] {
  const hints: Hint[] = [];
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
        title: 'timed out — infinite loop or a very slow kernel?',
        detail: `"${timedOut[0].name}" did not finish in time and the suite stopped there. Look for a loop whose counter never reaches its bound (a stride of 0, a bound that is never updated, a loop over a u32 counting down past 0).`,
        cases: names(timedOut),
      },
      timedOut,
    );
  }

  const racing = cases.filter((c) => c.differing > 0);
  if (racing.length) {
    add(
      {
        id: 'race',
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
        title: 'elements never written → dispatch too small or an early return',
        detail: `some outputs still hold the NaN the buffer was filled with. Either the grid does not cover them (the engine dispatches ${grid ?? 'the grid of docs/kernel-interface.md'}, sized from your @workgroup_size; check the index math matches), or a return/condition skips their store.`,
        cases: names(unwritten),
      },
      unwritten,
    );
  }

  const zeroSum = failing.filter((c) => c.nonFiniteInMaskedRows > 0);
  if (zeroSum.length) {
    add(
      {
        id: 'zero-sum',
        title: 'NaN in a fully masked row → division by a zero sum',
        detail:
          'when every key of a row is masked, Σ exp(…) is 0 and p = 0/0 = NaN. Such a row has no distribution: write 0 for every probability (and the output row is then 0).',
        cases: names(zeroSum),
      },
      zeroSum,
    );
  }

  const overflowing = failing.filter((c) => c.nonFiniteElsewhere > 0);
  if (overflowing.length && overflowing.every((c) => c.case.tags.includes('large-scores'))) {
    const family = FAMILIES.find((f) => f.id === 'overflow')!;
    add(
      {
        id: 'overflow',
        title: 'Inf/NaN only with large scores → missing max subtraction',
        detail: family.detail,
        cases: names(overflowing),
      },
      failing.filter((c) => c.case.tags.includes('large-scores')),
    );
  }

  const scale = scaleHint(failing.filter((c) => !explained.has(c)));
  if (scale) add(scale, failing);

  const findings = failing.length && context.source ? unsyncedWorkgroupReads(context.source) : [];
  if (findings.length) {
    const f = findings[0];
    add(
      {
        id: 'barrier',
        title: 'workgroup memory read before it is synchronised → missing workgroupBarrier()',
        detail: `${f.variable} is written at line ${f.writeLine} and read at line ${f.line} with no workgroupBarrier() in between, so an invocation can read entries the others have not written yet. On a GPU this usually shows up as results that change from run to run; a CPU emulator runs the invocations in a fixed order and gets the same wrong answer every time.`,
        cases: names(failing),
      },
      failing,
    );
  }

  const rest = failing.filter((c) => !explained.has(c));
  if (rest.length === 0) return hints;

  const edges = cases.filter((c) => c.case.tags.includes('tile-edge'));
  const aligned = edges.filter((c) => c.case.tags.includes('aligned'));
  const unalignedFailing = rest.filter((c) => c.case.tags.includes('tile-edge') && !c.case.tags.includes('aligned'));
  if (aligned.length && aligned.every((c) => c.status === 'pass') && unalignedFailing.length) {
    add(
      {
        id: 'tile-edges',
        title: 'fails only at sizes that are not a multiple of the tile → bounds at tile edges',
        detail: `every size that is a multiple of the tile passes (${names(aligned).join('; ')}), while sizes just off it fail. In the last, partial tile, guard every load (index < n, m, dk or dv; pad with 0) and every store, and check < against ≤.`,
        cases: names(rest.filter((c) => !c.case.tags.includes('aligned'))),
      },
      rest.filter((c) => !c.case.tags.includes('aligned')),
    );
  }

  for (const family of FAMILIES) {
    const left = rest.filter((c) => !explained.has(c));
    if (left.length === 0) break;
    if (left.every((c) => has(c, family.tags)) && !hints.some((h) => h.id === family.id)) {
      add({ id: family.id, title: family.title, detail: family.detail, cases: names(left) }, left);
    }
  }

  if (!hints.length) {
    const first = rest[0];
    const bad = first.firstBad;
    add(
      {
        id: 'wrong',
        title: 'wrong values with no pattern across the cases',
        detail: `${rest.length} of ${cases.length} cases fail, ordinary ones included; the first is "${first.name}" (seed ${first.case.seed})${bad ? ` at [${bad.position.join(',')}]: expected ${bad.expected}, got ${bad.actual}` : ''}. Compare the kernel's formula and indexing with the built-in kernel.`,
        cases: names(rest),
      },
      rest,
    );
  }
  return hints;
}

/** Findings worth a note even when every case passed: the emulator may hide a race. */
export function passWarnings(source: string | undefined): string[] {
  if (!source) return [];
  return unsyncedWorkgroupReads(source).map(
    (f) =>
      `${f.variable} is written at line ${f.writeLine} and read at line ${f.line} with no workgroupBarrier() in between; it passed here, but on another GPU an invocation may read entries before they are written.`,
  );
}
