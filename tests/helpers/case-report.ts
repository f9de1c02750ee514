/** A verifier's row for a case, made by hand: what the hint and diagnosis tests feed the report code. */
import type { VerifyCase } from '../../src/core/verify/cases';
import { caseReport } from '../../src/core/verify/hints';
import type { CaseReport } from '../../src/core/verify/report';

/** Case `c`'s row with the given fields (by default a pass of one output element), hinted as the suite hints it. */
export function caseRow(c: VerifyCase, fields: Partial<CaseReport> = {}): CaseReport {
  return caseReport(c, { status: 'pass', tensor: 'output', count: 1, ms: 1, ...fields });
}
