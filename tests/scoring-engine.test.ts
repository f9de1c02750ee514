import { describe, expect, it } from 'vitest';
import { AttentionEngine } from '../src/gpu/engine';
import { loadShaderLibrary } from '../src/node/shaders';
import { checkAgainstReference } from '../src/core/compare-run';
import { randomMatrix } from '../src/core/rng';
import { matrix } from '../src/core/tensor';
import { InputError } from '../src/core/errors';
import { KernelInterfaceError } from '../src/gpu/errors';
import type { AttentionInputs, ScoringWeights } from '../src/core/shapes';
import type { AttentionOptions } from '../src/core/options';
import { DEFAULT_ROPE } from '../src/core/options';
import { acquireTestDevice, watchDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();

interface Case {
  name: string;
  score: 'general' | 'additive';
  n: number;
  m: number;
  dq: number;
  dk: number;
  /** The additive hidden width. */
  a?: number;
  /** Spread of the weights: 40 pushes the additive pre-activations far into tanh's saturation. */
  weightScale?: number;
  mask?: boolean;
  options: Partial<AttentionOptions>;
}

function build(c: Case, seed = 7): AttentionInputs {
  const heads = c.options.heads ?? 1,
    kvHeads = c.options.kvHeads ?? heads,
    a = c.a ?? 6,
    s = c.weightScale ?? 1;
  const scoring: ScoringWeights =
    c.score === 'general'
      ? { kind: 'general', w: randomMatrix(c.dq, c.dk, seed + 3, s) }
      : {
          kind: 'additive',
          wq: randomMatrix(a, c.dq, seed + 4, s),
          wk: randomMatrix(a, c.dk, seed + 5, s),
          v: randomMatrix(1, a, seed + 6),
        };
  return {
    q: randomMatrix(c.n, heads * c.dq, seed, 1.5),
    k: randomMatrix(c.m, kvHeads * c.dk, seed + 1, 1.5),
    v: randomMatrix(c.m, kvHeads * 3, seed + 2),
    mask: c.mask
      ? matrix(
          c.n,
          c.m,
          Array.from({ length: c.n * c.m }, (_, x) => (x % 7 === 3 ? 0 : 1)),
        )
      : null,
    scoring,
  };
}

// Tile edges: 16×16 tiles, so 17 rows and 33 keys leave partial tiles; a = 18 and dq = 17 leave partial chunks.
const CASES: Case[] = [
  {
    name: 'general, dq 5 ≠ dk 3, 2 heads, causal, mask',
    score: 'general',
    n: 17,
    m: 33,
    dq: 5,
    dk: 3,
    mask: true,
    options: { heads: 2, causal: true },
  },
  {
    name: 'general, dq 17, GQA 4 → 2, softcap, ALiBi',
    score: 'general',
    n: 9,
    m: 18,
    dq: 17,
    dk: 4,
    options: { heads: 4, kvHeads: 2, softcap: 5, alibi: 'standard' },
  },
  {
    name: 'general with RoPE (dq = dk = 4), window',
    score: 'general',
    n: 6,
    m: 10,
    dq: 4,
    dk: 4,
    options: { rope: DEFAULT_ROPE, window: 3, causal: true },
  },
  {
    name: 'additive, dq 4, dk 3, a 18, 2 heads, mask',
    score: 'additive',
    n: 17,
    m: 20,
    dq: 4,
    dk: 3,
    a: 18,
    mask: true,
    options: { heads: 2, temperature: 0.5 },
  },
  {
    name: 'additive, MQA 3 → 1, causal, scale 1/√dk',
    score: 'additive',
    n: 5,
    m: 17,
    dq: 2,
    dk: 6,
    options: { heads: 3, kvHeads: 1, causal: true, scale: 'default' },
  },
  { name: 'additive, saturated tanh (weights ×40)', score: 'additive', n: 4, m: 7, dq: 3, dk: 5, weightScale: 40, options: {} },
];

describe.skipIf(!gpu).each(['naive', 'tiled'] as const)('%s learned-score kernels match the float64 reference', (variant) => {
  it.each(CASES)('$name', async (c) => {
    const engine = new AttentionEngine(gpu!.device, shaders);
    const inputs = build(c);
    const options = { scale: 'none' as const, ...c.options, score: c.score };
    const result = await engine.run(inputs, options, { variant, intermediates: true, poison: true });
    const check = checkAgainstReference(inputs, options, { ...result, output: result.output.data });
    expect(check.scores?.pass, JSON.stringify(check.scores?.worst)).toBe(true);
    expect(check.probs?.pass).toBe(true);
    expect(check.output.pass).toBe(true);
  });
});

describe.skipIf(!gpu)('the engine refuses a kernel that computes another score function', () => {
  const c = CASES[0];
  it('fused computes dot scores only: the message names naive and tiled', async () => {
    const engine = new AttentionEngine(gpu!.device, shaders);
    const run = engine.run(build(c), { ...c.options, score: 'general' }, { variant: 'fused' });
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toThrow(
      /fused variant computes dot-product scores only, not the general score function: use variant naive or tiled/,
    );
  });

  it.each([
    [
      'a dot kernel asked for additive scores',
      'qk_scores.wgsl',
      'additive',
      /computes dot-product scores .* but the run asks for the additive score function/,
    ],
    [
      'an additive kernel asked for general scores',
      'qk_additive.wgsl',
      'general',
      /computes additive scores \(it declares SCORES_ADDITIVE = true\), but the run asks for the general/,
    ],
    [
      'a general kernel asked for dot scores',
      'qk_general_naive.wgsl',
      'dot',
      /computes general scores .* but the run asks for the dot score function/,
    ],
  ] as const)('%s', async (_name, file, score, message) => {
    const engine = new AttentionEngine(gpu!.device, shaders);
    const inputs = score === 'dot' ? { ...build({ ...c, dq: 3 }), scoring: null } : build(score === 'general' ? c : CASES[3]);
    const run = engine.run(inputs, { ...c.options, score }, { variant: 'tiled', kernels: { qk: shaders[file] } });
    await expect(run).rejects.toThrow(KernelInterfaceError);
    await expect(run).rejects.toThrow(message);
  });
});
