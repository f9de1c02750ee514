/**
 * The kernel corpus in tests/fixtures/kernels/: realistic single-bug kernels ("mutants"), each
 * derived from a built-in kernel with one bug a kernel author makes, and correct kernels that differ
 * from the built-ins. index.json lists them; a verifier worth trusting rejects every mutant and
 * passes every correct kernel.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StageName } from '../../src/core/stages';
import type { VariantName } from '../../src/gpu/variants';

export const KERNEL_FIXTURES_DIR = join(import.meta.dirname, '../fixtures/kernels');
/** The page's broken examples: a corpus entry with `inExamples` is one of them, not a copy. */
export const EXAMPLE_KERNELS_DIR = join(import.meta.dirname, '../../examples/kernels');

/** The bug classes a mutant is filed under (issue 10's list): the verifier's own, so its hints can be checked against them. */
export { BUG_CLASSES } from '../../src/core/verify/report';
export type { BugClass } from '../../src/core/verify/report';
import type { BugClass } from '../../src/core/verify/report';

export interface KernelFixture {
  file: string;
  stage: StageName;
  /** The variant whose built-in kernel it replaces (its other stages run the built-ins). */
  variant: VariantName;
  expect: 'pass' | 'fail';
  /** The mutant's class; null for a correct kernel. */
  bugClass: BugClass | null;
  /** One line: what is wrong (or how it differs) and which case exposes it. */
  description: string;
  /** The file is in examples/kernels/ (a broken example the page offers), not in this folder. */
  inExamples?: boolean;
}

export function loadKernelFixtures(): KernelFixture[] {
  return JSON.parse(readFileSync(join(KERNEL_FIXTURES_DIR, 'index.json'), 'utf8')) as KernelFixture[];
}

export function fixtureSource(fixture: Pick<KernelFixture, 'file' | 'inExamples'>): string {
  return readFileSync(join(fixture.inExamples ? EXAMPLE_KERNELS_DIR : KERNEL_FIXTURES_DIR, fixture.file), 'utf8');
}
