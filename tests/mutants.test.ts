/**
 * The kernel corpus (tests/fixtures/kernels/index.json) is well formed and every kernel in it
 * compiles and fits the kernel interface: the mutants' bugs are semantic, never a compile error.
 * Whether the verifier rejects each mutant and passes each correct kernel is for the verifier's
 * own test once it can (issue 10).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STAGE_NAMES } from '../src/core/stages';
import { STAGES } from '../src/gpu/interface';
import { interfaceProblems } from '../src/gpu/reflect';
import { VARIANT_NAMES, VARIANTS } from '../src/gpu/variants';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import { BUG_CLASSES, EXAMPLE_KERNELS_DIR, fixtureSource, KERNEL_FIXTURES_DIR, loadKernelFixtures } from './helpers/mutants';

const fixtures = loadKernelFixtures();
const mutants = fixtures.filter((f) => f.expect === 'fail');
const correct = fixtures.filter((f) => f.expect === 'pass');

describe('the kernel corpus manifest', () => {
  it('lists every .wgsl file in the folder once, and only those', () => {
    const files = readdirSync(KERNEL_FIXTURES_DIR)
      .filter((f) => f.endsWith('.wgsl'))
      .sort();
    expect(
      fixtures
        .filter((f) => !f.inExamples)
        .map((f) => f.file)
        .sort(),
    ).toEqual(files);
    // The rest are the page's broken examples, read from examples/kernels/.
    for (const f of fixtures.filter((x) => x.inExamples)) expect(existsSync(join(EXAMPLE_KERNELS_DIR, f.file)), f.file).toBe(true);
  });

  it('has at least 40 mutants over every stage and every bug class, and at least 8 correct kernels', () => {
    expect(mutants.length).toBeGreaterThanOrEqual(40);
    expect(correct.length).toBeGreaterThanOrEqual(8);
    expect(new Set(mutants.map((f) => f.stage))).toEqual(new Set(STAGE_NAMES));
    expect(new Set(mutants.map((f) => f.bugClass))).toEqual(new Set(BUG_CLASSES));
  });

  it.each(fixtures)('$file names a valid stage, variant, expectation, class and description', (f) => {
    expect(STAGE_NAMES).toContain(f.stage);
    expect(VARIANT_NAMES).toContain(f.variant);
    // rope runs before any variant and project after any; every other stage must be one the variant runs.
    if (f.stage !== 'project' && f.stage !== 'rope') expect(Object.keys(VARIANTS[f.variant])).toContain(f.stage);
    expect(['pass', 'fail']).toContain(f.expect);
    if (f.expect === 'fail') expect(BUG_CLASSES).toContain(f.bugClass);
    else expect(f.bugClass).toBeNull();
    expect(f.description.trim().length).toBeGreaterThan(20);
    expect(f.description).not.toContain('\n');
  });

  it.each(fixtures)('$file fits the $stage kernel interface', (f) => {
    const { problems, shape } = interfaceProblems(fixtureSource(f), STAGES[f.stage]);
    expect(problems).toEqual([]);
    expect(shape).not.toBeNull();
  });
});

const gpu = await acquireTestDevice();
watchDevice(gpu);

describe.skipIf(!gpu)('every corpus kernel compiles', () => {
  it.each(fixtures)('$file', async (f) => {
    const module = gpu!.device.createShaderModule({ label: f.file, code: fixtureSource(f) });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error').map((m) => `${m.lineNum}:${m.linePos} ${m.message}`);
    expect(errors).toEqual([]);
  });
});
