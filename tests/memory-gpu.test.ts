/**
 * The key–value memory on the GPU (src/gpu/memory-run.ts, SwiftShader in CI): every hop's weights
 * and output within the derived bounds of the float64 reference computed from the GPU's own q_t,
 * the same facts read as on the CPU, and a small end-to-end difference.
 */
import { describe, expect, it } from 'vitest';
import { AttentionEngine } from '../src/gpu/engine';
import { loadShaderLibrary } from '../src/node/shaders';
import { runMemoryOnGpu } from '../src/gpu/memory-run';
import { DEFAULT_FACTS, DEFAULT_SETUP, answerOf, factsProblem, parseFacts, parseQuestion } from '../src/core/memory-facts';
import { acquireTestDevice, watchDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();

describe.skipIf(!gpu)('memory hops on the GPU', () => {
  it.each([
    { name: 'rotate, 2 hops', update: 'rotate' as const, hops: 2 },
    { name: 'residual, 3 hops', update: 'residual' as const, hops: 3 },
  ])('$name', async ({ update, hops }) => {
    const engine = new AttentionEngine(gpu!.device, shaders);
    const problem = factsProblem(parseFacts(DEFAULT_FACTS), parseQuestion('where is the football?'), { ...DEFAULT_SETUP, update, hops });
    const run = await runMemoryOnGpu(engine, problem);
    expect(run.hops).toHaveLength(hops);
    run.hops.forEach((hop, t) => {
      expect(hop.check.probs?.pass, `hop ${t + 1} weights`).toBe(true);
      expect(hop.check.output.pass, `hop ${t + 1} output`).toBe(true);
    });
    expect(run.pass).toBe(true);
    expect(run.hops[0].gpu.weights[2]).toBeGreaterThan(0.9);
    expect(answerOf(run.hops[run.hops.length - 1].gpu.output).place).toBe('kitchen');
    expect(run.endToEnd.output).toBeLessThan(1e-4);
  });
});
