import { describe, expect, it } from 'vitest';
import { AttentionEngine } from '../src/gpu/engine';
import { hasIntermediates, VARIANT_NAMES } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import { checkAgainstReference } from '../src/core/compare-run';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import { attentionCases, buildCase } from './helpers/cases';
import { explainCheck } from './helpers/explain';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();

describe.skipIf(!gpu).each(VARIANT_NAMES)('%s kernels match the float64 reference', (variant) => {
  it.each(attentionCases())('$name', async (c) => {
    const engine = new AttentionEngine(gpu!.device, shaders);
    const { inputs, options } = buildCase(c);
    const result = await engine.run(inputs, options, { variant, intermediates: true, poison: true });
    const check = checkAgainstReference(inputs, options, { ...result, output: result.output.data });
    const message = explainCheck(check, c.seed);
    // The fused variant never stores scores or probabilities: only its output can be checked.
    const stored = hasIntermediates(variant);
    expect(check.scores?.pass ?? !stored, message).toBe(true);
    expect(check.probs?.pass ?? !stored, message).toBe(true);
    expect(result.scores === null && result.probs === null, 'fused returns no intermediates').toBe(!stored);
    expect(check.output.pass, message).toBe(true);
    expect(result.output.data.every(Number.isFinite), 'no NaN/Inf in the output').toBe(true);
  });
});
