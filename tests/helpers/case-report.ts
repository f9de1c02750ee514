/** A verifier's row for a case, made by hand: what the hint and diagnosis tests feed the report code. */
import type { VerifyCase } from '../../src/core/verify/cases';
import { caseHint } from '../../src/core/verify/hints';
import type { CaseReport } from '../../src/core/verify/report';

/** Case `c`'s row with the given fields (by default a pass with nothing wrong), hinted as the suite hints it. */
export function caseRow(c: VerifyCase, fields: Partial<CaseReport> = {}): CaseReport {
  const base: Omit<CaseReport, 'hint'> = {
    name: c.name,
    case: c,
    status: 'pass',
    tensor: 'output',
    count: 1,
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
    ms: 1,
    ...fields,
  };
  return { ...base, hint: caseHint(base) };
}
