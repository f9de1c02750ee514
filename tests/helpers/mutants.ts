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

/** The bug classes a mutant is filed under (issue 10's list). */
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
  'limits', // fits SwiftShader, not a default WebGPU device (workgroup memory > 16 KiB)
] as const;
export type BugClass = (typeof BUG_CLASSES)[number];

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
}

export function loadKernelFixtures(): KernelFixture[] {
  return JSON.parse(readFileSync(join(KERNEL_FIXTURES_DIR, 'index.json'), 'utf8')) as KernelFixture[];
}

export function fixtureSource(fixture: Pick<KernelFixture, 'file'>): string {
  return readFileSync(join(KERNEL_FIXTURES_DIR, fixture.file), 'utf8');
}
