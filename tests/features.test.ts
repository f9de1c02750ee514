/**
 * The attention features (src/core/features.ts) in every built-in kernel, against the float64
 * reference: grouped-query heads, sliding window, ALiBi, logit softcap and attention sinks, alone
 * and together, with RoPE, on the edge shapes (one key visible, window 1 and ≥ m, odd head counts,
 * n ≠ m, dk ≠ dv, scores around ±1e3, a fully masked row with a sink), decoding (one query row
 * against a long cache), the same bits for a row in any row block, and the engine's refusal of a
 * kernel that does not declare a feature that is on. The fused kernel's decode path (a workgroup
 * splitting the work of few rows among its invocations) also runs on the interpreter's race check.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AttentionEngine } from '../src/gpu/engine';
import type { RunOptions } from '../src/gpu/engine';
import { KernelInterfaceError } from '../src/gpu/errors';
import { checkWorkgroupHazards } from '../src/gpu/hazards';
import { hasIntermediates, VARIANT_NAMES } from '../src/gpu/variants';
import type { VariantName } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import { checkAgainstReference } from '../src/core/compare-run';
import type { AttentionOptions } from '../src/core/options';
import type { AttentionInputs } from '../src/core/shapes';
import type { StageName } from '../src/core/stages';
import { createRng, randomMatrix } from '../src/core/rng';
import type { Matrix } from '../src/core/tensor';
import { matrix } from '../src/core/tensor';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import { explainCheck, explainComparison } from './helpers/explain';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();
const engine = (limits = {}) => new AttentionEngine(gpu!.device, shaders, { limits });

interface FeatureCase {
  name: string;
  n: number;
  m: number;
  dk: number;
  dv: number;
  heads: number;
  /** Options besides heads (features, causal, scale, temperature). */
  options: Partial<AttentionOptions>;
  /** 'random': 70 % of keys visible; 'fully-masked-row': the same with row ⌊n/2⌋ seeing nothing. */
  mask?: 'random' | 'fully-masked-row';
  /** Columns of a random W_o ((h·dv)×dModel). */
  dModel?: number;
  /** Multiplies Q and K so scores reach about ±magnitude. */
  magnitude?: number;
  maxBlockRows?: number;
  seed: number;
}

function buildInputs(c: FeatureCase): AttentionInputs {
  const kvHeads = c.options.kvHeads ?? c.heads;
  const sigma = c.magnitude ? Math.sqrt(c.magnitude / Math.sqrt(c.dk)) : 1;
  let mask: Matrix | null = null;
  if (c.mask) {
    const rng = createRng(c.seed + 3);
    mask = matrix(
      c.n,
      c.m,
      Float32Array.from({ length: c.n * c.m }, () => (rng.next() < 0.7 ? 1 : 0)),
    );
    if (c.mask === 'fully-masked-row') mask.data.fill(0, Math.floor(c.n / 2) * c.m, (Math.floor(c.n / 2) + 1) * c.m);
  }
  return {
    q: randomMatrix(c.n, c.heads * c.dk, c.seed, sigma),
    k: randomMatrix(c.m, kvHeads * c.dk, c.seed + 1, sigma),
    v: randomMatrix(c.m, kvHeads * c.dv, c.seed + 2),
    mask,
    wo: c.dModel ? randomMatrix(c.heads * c.dv, c.dModel, c.seed + 4) : null,
  };
}

const HALF_ROPE = { layout: 'half', base: 10000, dims: null, offset: 0 } as const;

/** Each feature alone, then together, on the edge shapes; every case runs on every variant. */
const CASES: FeatureCase[] = [
  // Grouped-query heads.
  { name: 'GQA: 4 query heads share 2 K/V heads', n: 9, m: 13, dk: 5, dv: 3, heads: 4, options: { kvHeads: 2 }, seed: 3000 },
  {
    name: 'MQA: 6 query heads, 1 K/V head, causal',
    n: 11,
    m: 11,
    dk: 4,
    dv: 6,
    heads: 6,
    options: { kvHeads: 1, causal: true },
    seed: 3001,
  },
  { name: 'kvHeads = heads, given explicitly', n: 7, m: 10, dk: 3, dv: 2, heads: 2, options: { kvHeads: 2 }, seed: 3002 },
  { name: 'odd heads: 3 query heads, 1 K/V head', n: 8, m: 12, dk: 7, dv: 4, heads: 3, options: { kvHeads: 1, causal: true }, seed: 3003 },
  {
    name: 'odd heads: 3 query heads, 3 K/V heads, random mask',
    n: 8,
    m: 12,
    dk: 4,
    dv: 7,
    heads: 3,
    options: { kvHeads: 3 },
    mask: 'random',
    seed: 3004,
  },
  {
    name: 'GQA over tiles: 70 × 130, 4 heads, 2 K/V heads, dk = 20',
    n: 70,
    m: 130,
    dk: 20,
    dv: 9,
    heads: 4,
    options: { kvHeads: 2, causal: true },
    seed: 3005,
  },
  // Sliding window.
  { name: 'window 4, causal, n = m', n: 20, m: 20, dk: 4, dv: 4, heads: 1, options: { window: 4, causal: true }, seed: 3010 },
  { name: 'window 3, non-causal, n ≠ m (7 × 19)', n: 7, m: 19, dk: 3, dv: 5, heads: 2, options: { window: 3 }, seed: 3011 },
  {
    name: 'window 1, causal: one key visible per row',
    n: 12,
    m: 12,
    dk: 5,
    dv: 3,
    heads: 2,
    options: { window: 1, causal: true },
    seed: 3012,
  },
  { name: 'window 1, non-causal, n ≠ m (5 × 9)', n: 5, m: 9, dk: 4, dv: 2, heads: 1, options: { window: 1 }, seed: 3013 },
  { name: 'window ≥ m: as if there were none', n: 10, m: 30, dk: 4, dv: 4, heads: 1, options: { window: 100, causal: true }, seed: 3014 },
  { name: 'window 2^31 + 5, non-causal: no overflow', n: 6, m: 9, dk: 3, dv: 3, heads: 1, options: { window: 2 ** 31 + 5 }, seed: 3015 },
  // Params holds the window as a u32: past 2^32 it would wrap (2^32 + 1 → 1, 2^32 → 0, every key hidden).
  {
    name: 'window 2^32 + 1, causal: no wrap',
    n: 6,
    m: 9,
    dk: 3,
    dv: 3,
    heads: 1,
    options: { window: 2 ** 32 + 1, causal: true },
    seed: 3116,
  },
  { name: 'window 2^32, non-causal: no wrap', n: 6, m: 9, dk: 3, dv: 3, heads: 1, options: { window: 2 ** 32 }, seed: 3117 },
  // 64 × 64 score tiles on the window's edge: row 128 sees key 63 (distance 65), the only score
  // of its tile that is not hidden; without causal (shift 20), row 63 sees key 128 (distance −45).
  {
    name: 'window 66 over 64-wide tiles, causal, n = m = 150',
    n: 150,
    m: 150,
    dk: 4,
    dv: 5,
    heads: 1,
    options: { window: 66, causal: true },
    seed: 3016,
  },
  { name: 'window 46 over tiles, non-causal, 130 × 150', n: 130, m: 150, dk: 4, dv: 3, heads: 1, options: { window: 46 }, seed: 3017 },
  {
    name: 'window 5 with a random mask, causal, n > m',
    n: 20,
    m: 9,
    dk: 3,
    dv: 4,
    heads: 1,
    options: { window: 5, causal: true },
    mask: 'random',
    seed: 3018,
  },
  // Logit softcap.
  {
    name: 'softcap 30, scores around ±1e3',
    n: 16,
    m: 17,
    dk: 4,
    dv: 4,
    heads: 1,
    options: { softcap: 30, scale: 'none' },
    magnitude: 1e3,
    seed: 3020,
  },
  {
    name: 'softcap 5, scores around ±1e3, causal, 2 heads',
    n: 17,
    m: 33,
    dk: 8,
    dv: 3,
    heads: 2,
    options: { softcap: 5, scale: 'none', causal: true },
    magnitude: 1e3,
    seed: 3021,
  },
  { name: 'softcap 0.5, ordinary scores', n: 9, m: 14, dk: 6, dv: 5, heads: 1, options: { softcap: 0.5 }, seed: 3022 },
  // ALiBi.
  {
    name: 'ALiBi standard slopes, causal, 8 heads',
    n: 12,
    m: 12,
    dk: 4,
    dv: 3,
    heads: 8,
    options: { alibi: 'standard', causal: true },
    seed: 3030,
  },
  {
    name: 'ALiBi standard slopes, non-causal, 3 heads, n ≠ m',
    n: 6,
    m: 15,
    dk: 5,
    dv: 2,
    heads: 3,
    options: { alibi: 'standard' },
    seed: 3031,
  },
  {
    name: 'ALiBi given slopes, non-causal, signed distances',
    n: 10,
    m: 7,
    dk: 3,
    dv: 4,
    heads: 2,
    options: { alibi: [0.75, -0.3] },
    seed: 3032,
  },
  {
    name: 'ALiBi given slopes over tiles, causal, 70 × 130',
    n: 70,
    m: 130,
    dk: 4,
    dv: 4,
    heads: 2,
    options: { alibi: [0.05, 1.5], causal: true },
    seed: 3033,
  },
  // Attention sinks.
  { name: 'sinks, ordinary logits', n: 9, m: 11, dk: 4, dv: 3, heads: 2, options: { sinks: [0.5, -1] }, seed: 3040 },
  { name: 'sinks larger than every score', n: 8, m: 13, dk: 4, dv: 4, heads: 2, options: { sinks: [50, 80] }, seed: 3041 },
  {
    name: 'sinks with scores around ±1e3',
    n: 16,
    m: 16,
    dk: 4,
    dv: 4,
    heads: 1,
    options: { sinks: [400], scale: 'none' },
    magnitude: 1e3,
    seed: 3042,
  },
  {
    name: 'a fully masked row with a sink',
    n: 16,
    m: 16,
    dk: 4,
    dv: 4,
    heads: 2,
    options: { sinks: [1, -2] },
    mask: 'fully-masked-row',
    seed: 3043,
  },
  {
    name: 'sinks, causal n > m: rows that see no key',
    n: 6,
    m: 3,
    dk: 3,
    dv: 2,
    heads: 1,
    options: { sinks: [0.25], causal: true },
    seed: 3044,
  },
  { name: 'one key, non-causal, with a sink', n: 4, m: 1, dk: 2, dv: 3, heads: 1, options: { sinks: [0] }, seed: 3045 },
  // Together.
  {
    name: 'all features + causal + mask + W_o + temperature + row blocks',
    n: 13,
    m: 21,
    dk: 6,
    dv: 5,
    heads: 4,
    options: { kvHeads: 2, window: 6, alibi: 'standard', softcap: 8, sinks: [0.5, 2, -1, 0], causal: true, temperature: 1.7 },
    mask: 'random',
    dModel: 7,
    maxBlockRows: 4,
    seed: 3050,
  },
  {
    name: 'all features, non-causal, a fully masked row, over tiles (70 × 100)',
    n: 70,
    m: 100,
    dk: 5,
    dv: 6,
    heads: 2,
    options: { kvHeads: 1, window: 30, alibi: [0.1, 0.2], softcap: 3, sinks: [1, 3], scale: 0.5 },
    mask: 'fully-masked-row',
    seed: 3051,
  },
  {
    name: 'RoPE with GQA (4 heads, 1 K/V head), causal',
    n: 9,
    m: 14,
    dk: 8,
    dv: 3,
    heads: 4,
    options: { kvHeads: 1, causal: true, rope: HALF_ROPE },
    seed: 3060,
  },
  {
    name: 'RoPE (interleaved, offset 7) with GQA, window, softcap and sinks',
    n: 10,
    m: 10,
    dk: 6,
    dv: 4,
    heads: 2,
    options: {
      kvHeads: 1,
      causal: true,
      window: 3,
      softcap: 4,
      sinks: [0, 1],
      rope: { layout: 'interleaved', base: 500, dims: 4, offset: 7 },
    },
    seed: 3061,
  },
  // Decoding: one query row (the last position) against a long cache, and a few rows.
  {
    name: 'decode: n = 1, m = 2048, causal, GQA, window 300',
    n: 1,
    m: 2048,
    dk: 16,
    dv: 16,
    heads: 4,
    options: { kvHeads: 2, causal: true, window: 300 },
    seed: 3070,
  },
  {
    name: 'decode: n = 1, m = 1500, causal, MQA, ALiBi, sinks',
    n: 1,
    m: 1500,
    dk: 8,
    dv: 12,
    heads: 2,
    options: { kvHeads: 1, causal: true, alibi: 'standard', sinks: [1, -1] },
    seed: 3071,
  },
  {
    name: 'decode: n = 3, m = 700, causal, GQA, softcap, random mask',
    n: 3,
    m: 700,
    dk: 5,
    dv: 7,
    heads: 2,
    options: { kvHeads: 1, causal: true, softcap: 2 },
    mask: 'random',
    seed: 3072,
  },
  {
    name: 'decode: n = 1, m = 300, wide head (dk = 80, dv = 70), GQA, sinks',
    n: 1,
    m: 300,
    dk: 80,
    dv: 70,
    heads: 2,
    options: { kvHeads: 1, causal: true, sinks: [2, 0] },
    seed: 3073,
  },
];

async function expectMatch(variant: VariantName, c: FeatureCase, run: AttentionEngine = engine(), runOptions: RunOptions = {}) {
  const inputs = buildInputs(c);
  const options = { ...c.options, heads: c.heads };
  const result = await run.run(inputs, options, {
    variant,
    intermediates: true,
    poison: true,
    maxBlockRows: c.maxBlockRows,
    ...runOptions,
  });
  const check = checkAgainstReference(inputs, options, { ...result, output: result.output.data });
  const message = [explainCheck(check, c.seed), explainComparison('rotated Q', check.rotatedQ, c.seed)].filter(Boolean).join('; ');
  expect(check.scores?.pass ?? !hasIntermediates(variant), message).toBe(true);
  expect(check.probs?.pass ?? !hasIntermediates(variant), message).toBe(true);
  expect(check.output.pass, message).toBe(true);
  expect(check.projected?.pass ?? !c.dModel, message).toBe(true);
  expect(check.pass, message).toBe(true);
  expect(result.output.data.every(Number.isFinite), 'no NaN/Inf in the output').toBe(true);
  return result;
}

describe.skipIf(!gpu).each(VARIANT_NAMES)('%s kernels with the attention features', (variant) => {
  it.each(CASES)('$name', async (c) => {
    const result = await expectMatch(variant, c);
    if (c.maxBlockRows) expect(result.blocks).toBe(Math.ceil(c.n / c.maxBlockRows));
  });
});

// The fused kernel merges a row's splits through one vec4 of each key tile per invocation: with
// 1-key tiles (512 bytes of workgroup memory) only 16 splits fit, with 4-key tiles all 64.
describe.skipIf(!gpu).each([
  { bytes: 512, keys: '1-key' },
  { bytes: 2048, keys: '4-key' },
])('fused decoding with $bytes bytes of workgroup memory ($keys tiles)', ({ bytes }) => {
  it.each(CASES.filter((c) => c.name.startsWith('decode') && c.m < 2048))('$name', async (c) => {
    await expectMatch('fused', c, engine({ maxComputeWorkgroupStorageSize: bytes }));
  });
});

describe.skipIf(!gpu)('a sink takes the mass of a row that sees no key', () => {
  it.each(VARIANT_NAMES)('%s: the fully masked row is zeros and the probabilities of every row sum to less than 1', async (variant) => {
    const c = CASES.find((x) => x.name === 'a fully masked row with a sink')!;
    const result = await expectMatch(variant, c);
    const row = Math.floor(c.n / 2);
    expect(Array.from(result.output.data.subarray(row * 2 * c.dv, (row + 1) * 2 * c.dv))).toEqual(new Array(2 * c.dv).fill(0));
    if (result.probs) {
      for (let r = 0; r < 2 * c.n; r++) {
        const sum = result.probs.subarray(r * c.m, (r + 1) * c.m).reduce((a, b) => a + b, 0);
        expect(sum).toBeLessThan(1);
      }
    }
  });
});

/** The built-in kernel of a stage with one SUPPORTS_* declaration taken out. */
function withoutDeclaration(file: string, constant: string): string {
  const source = shaders[file];
  const stripped = source.replace(`const ${constant} = true;\n`, '');
  expect(stripped, `${file} declares ${constant}`).not.toBe(source);
  return stripped;
}

const UNDECLARED: {
  name: string;
  variant: VariantName;
  stage: StageName;
  file: string;
  constant: string;
  on: Partial<AttentionOptions>;
  message: RegExp;
}[] = [
  {
    name: 'naive qk without SUPPORTS_WINDOW',
    variant: 'naive',
    stage: 'qk',
    file: 'qk_scores_naive.wgsl',
    constant: 'SUPPORTS_WINDOW',
    on: { window: 4 },
    message: /this run uses a sliding window of 4, but this qk kernel does not declare `const SUPPORTS_WINDOW = true;`/,
  },
  {
    name: 'tiled softmax without SUPPORTS_SINKS',
    variant: 'tiled',
    stage: 'softmax',
    file: 'softmax_rows.wgsl',
    constant: 'SUPPORTS_SINKS',
    on: { sinks: [1, 2] },
    message: /this run uses attention sinks, but this softmax kernel does not declare `const SUPPORTS_SINKS = true;`/,
  },
  {
    name: 'tiled pv without SUPPORTS_KV_HEADS',
    variant: 'tiled',
    stage: 'pv',
    file: 'weighted_values.wgsl',
    constant: 'SUPPORTS_KV_HEADS',
    on: { kvHeads: 1 },
    message: /this run uses 1 K\/V head for 2 query heads, but this pv kernel does not declare `const SUPPORTS_KV_HEADS = true;`/,
  },
  {
    name: 'fused without SUPPORTS_SOFTCAP',
    variant: 'fused',
    stage: 'fused',
    file: 'flash_attention.wgsl',
    constant: 'SUPPORTS_SOFTCAP',
    on: { softcap: 10 },
    message: /this run uses a logit softcap of 10, but this fused kernel does not declare `const SUPPORTS_SOFTCAP = true;`/,
  },
];

describe.skipIf(!gpu)('a kernel that does not declare a feature', () => {
  const c: FeatureCase = { name: 'undeclared', n: 6, m: 9, dk: 4, dv: 3, heads: 2, options: { causal: true }, seed: 3080 };
  // Small fused tiles keep compiling the edited kernel fast on SwiftShader.
  const small = () => engine({ maxComputeWorkgroupStorageSize: 2048 });

  it.each(UNDECLARED)('$name: refused, naming the feature, while it is on', async ({ variant, stage, file, constant, on, message }) => {
    const kernels = { [stage]: withoutDeclaration(file, constant) };
    const inputs = buildInputs({ ...c, options: { ...c.options, ...on } });
    const error = await small()
      .run(inputs, { ...c.options, ...on, heads: c.heads }, { variant, kernels })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelInterfaceError);
    expect((error as Error).message).toMatch(message);
  });

  it.each(UNDECLARED)('$name: runs and matches the reference while it is off', async ({ variant, stage, file, constant }) => {
    await expectMatch(variant, c, small(), { kernels: { [stage]: withoutDeclaration(file, constant) } });
  });

  it('a kernel written before the features (9-field Params, no declarations) runs them off and is refused with GQA on', async () => {
    const legacy = readFileSync(join(import.meta.dirname, 'fixtures/kernels/pv_tiled_32x8_block4.wgsl'), 'utf8');
    expect(legacy).not.toMatch(/SUPPORTS_|kv_heads/);
    await expectMatch('tiled', c, engine(), { kernels: { pv: legacy } });
    const gqa = { ...c, options: { ...c.options, kvHeads: 1 } };
    const error = await engine()
      .run(buildInputs(gqa), { ...gqa.options, heads: 2 }, { variant: 'tiled', kernels: { pv: legacy } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelInterfaceError);
    expect((error as Error).message).toMatch(/uses 1 K\/V head for 2 query heads.* SUPPORTS_KV_HEADS/);
  });
});

// Each edit breaks one feature in one kernel the way a kernel author might; the derived tolerances
// must notice on the case named.
const BROKEN: { name: string; variant: VariantName; stage: StageName; file: string; from: string; to: string; on: string }[] = [
  {
    name: 'fused: the sink never starts the running softmax',
    variant: 'fused',
    stage: 'fused',
    file: 'flash_attention.wgsl',
    from: 'if (holder && job.split == 0u && (params.flags & FLAG_SINKS) != 0u) {',
    to: 'if (false) {',
    on: 'sinks, ordinary logits',
  },
  {
    name: 'fused: ALiBi adds the bias instead of subtracting it',
    variant: 'fused',
    stage: 'fused',
    file: 'flash_attention.wgsl',
    from: 's -= job.slope *',
    to: 's += job.slope *',
    on: 'ALiBi standard slopes, causal, 8 heads',
  },
  {
    name: 'fused: rows see keys before their window',
    variant: 'fused',
    stage: 'fused',
    file: 'flash_attention.wgsl',
    from: 'let row_start = key_start(row);',
    to: 'let row_start = 0u;',
    on: 'window 66 over 64-wide tiles, causal, n = m = 150',
  },
  {
    name: 'fused: the softcap clamps s/c to ±1 before tanh',
    variant: 'fused',
    stage: 'fused',
    file: 'flash_attention.wgsl',
    from: 'clamp(s / (c * LOG2E), vec4f(-15.0), vec4f(15.0))',
    to: 'clamp(s / (c * LOG2E), vec4f(-1.0), vec4f(1.0))',
    on: 'softcap 30, scores around ±1e3',
  },
  {
    name: 'tiled qk: query head h reads K head h mod kv_heads',
    variant: 'tiled',
    stage: 'qk',
    file: 'qk_scores.wgsl',
    from: 'let k_offset = head / (params.heads / params.kv_heads) * params.dk;',
    to: 'let k_offset = head % params.kv_heads * params.dk;',
    on: 'GQA: 4 query heads share 2 K/V heads',
  },
  {
    name: 'tiled qk: a tile is skipped when its last key is the first one its first row sees',
    variant: 'tiled',
    stage: 'qk',
    file: 'qk_scores.wgsl',
    from: 'if (distance(row0, last_col) >= w) { return true; }',
    to: 'if (distance(row0, last_col) >= w - 1) { return true; }',
    on: 'window 66 over 64-wide tiles, causal, n = m = 150',
  },
  {
    name: 'naive qk: the window hides keys behind the query only, also without causal',
    variant: 'naive',
    stage: 'qk',
    file: 'qk_scores_naive.wgsl',
    from: 'u32(abs(distance)) >= params.window',
    to: 'distance >= i32(params.window)',
    on: 'window 3, non-causal, n ≠ m (7 × 19)',
  },
  {
    name: 'tiled softmax: the sink joins the max but not the denominator',
    variant: 'tiled',
    stage: 'softmax',
    file: 'softmax_rows.wgsl',
    from: 'if (has_sink) { row_sum = exp(sink - row_max); }',
    to: '',
    on: 'sinks, ordinary logits',
  },
  {
    name: 'tiled pv: query head h reads V head h mod kv_heads',
    variant: 'tiled',
    stage: 'pv',
    file: 'weighted_values.wgsl',
    from: 'let v_head = head / (params.heads / params.kv_heads) * params.dv;',
    to: 'let v_head = head % params.kv_heads * params.dv;',
    on: 'GQA: 4 query heads share 2 K/V heads',
  },
];

describe.skipIf(!gpu)('the check catches a broken feature', () => {
  it.each(BROKEN)('$name', async ({ variant, stage, file, from, to, on }) => {
    const broken = shaders[file].replace(from, to);
    expect(broken, 'the edit applies to the kernel').not.toBe(shaders[file]);
    const c = CASES.find((x) => x.name === on)!;
    expect(c, on).toBeDefined();
    const inputs = buildInputs(c);
    const options = { ...c.options, heads: c.heads };
    // Small fused tiles keep compiling the edited kernel fast on SwiftShader.
    const run = engine({ maxComputeWorkgroupStorageSize: 2048 });
    const result = await run.run(inputs, options, { variant, kernels: { [stage]: broken }, intermediates: true, poison: true });
    expect(checkAgainstReference(inputs, options, { ...result, output: result.output.data }).pass).toBe(false);
  });
});

// Row blocks and row ranges change how many rows share a workgroup, and so how the fused kernel
// splits its work (one invocation per row, or several splits per row when few rows are left): a
// row's arithmetic must not change with it, bit for bit, or a run would depend on device limits.
describe.skipIf(!gpu).each(VARIANT_NAMES)('%s: a row gives the same bits in any row block', (variant) => {
  const c: FeatureCase = {
    name: 'blocks',
    n: 70,
    m: 150,
    dk: 6,
    dv: 9,
    heads: 2,
    options: { kvHeads: 1, causal: true, window: 40, alibi: 'standard', softcap: 6, sinks: [0.5, -0.5] },
    mask: 'random',
    seed: 3090,
  };
  it.each([
    { name: 'blocks of 1 row', run: { maxBlockRows: 1 } },
    { name: 'blocks of 5 rows', run: { maxBlockRows: 5 } },
    { name: 'rows 61 … 66 alone', run: { rows: [61, 67] as [number, number] } },
  ])('$name', async ({ run }) => {
    const inputs = buildInputs(c);
    const options = { ...c.options, heads: c.heads };
    const whole = await engine().run(inputs, options, { variant });
    const part = await engine().run(inputs, options, { variant, poison: true, ...run });
    const [start, end] = run.rows ?? [0, c.n];
    const width = c.heads * c.dv;
    expect(Array.from(part.output.data)).toEqual(Array.from(whole.output.data.subarray(start * width, end * width)));
  });
});

// The fused kernel's decode path (splits scoring a share of each key tile, publishing the scores in
// workgroup memory, each folding its own value columns) on the interpreter: races, out-of-bounds
// accesses, unwritten reads and barrier divergence.
// The interpreter runs a kernel with its overrides' defaults: DECODE = false is the 64-row shape;
// the decoding shape (one row per workgroup, its invocations merged at the end) runs with it set.
const FUSED_SHAPES = {
  'the 64-row shape': shaders['flash_attention.wgsl'],
  'the decoding shape': shaders['flash_attention.wgsl'].replace('override DECODE: bool = false;', 'override DECODE: bool = true;'),
};

describe.each(Object.keys(FUSED_SHAPES))('the fused kernel on the interpreter, %s', (shape) => {
  it.each([
    { n: 1, m: 40 },
    { n: 3, m: 37 },
    { n: 5, m: 130 },
    { n: 20, m: 40 },
  ])('n = $n, m = $m: no race, out-of-bounds access, unwritten read or divergence', ({ n, m }) => {
    const source = FUSED_SHAPES[shape as keyof typeof FUSED_SHAPES];
    expect(source).toContain('DECODE');
    const report = checkWorkgroupHazards(source, 'fused', { shape: { n, m, heads: 2, causalShift: m - n } });
    expect(report.incomplete, report.covered).toBeUndefined();
    expect(report.interpreterErrors).toEqual([]);
    expect(report.races.length + report.outOfBounds.length + report.uninitialisedReads.length, report.covered).toBe(0);
    expect(report.barrierDivergence).toEqual([]);
  });
});

// The tiled qk and pv kernels' narrow path (a tile of at most 4 rows: an invocation per output, no
// barrier), alone and in one grid with full tiles, whose barriers it must not skip.
describe.each([
  { file: 'qk_scores.wgsl', stage: 'qk' as const },
  { file: 'weighted_values.wgsl', stage: 'pv' as const },
])('the tiled $stage narrow path on the interpreter', ({ file, stage }) => {
  it.each([
    { n: 1, m: 40 },
    { n: 4, m: 300 },
    { n: 66, m: 70 },
  ])('n = $n, m = $m: no race, out-of-bounds access, unwritten read or divergence', ({ n, m }) => {
    const report = checkWorkgroupHazards(shaders[file], stage, { shape: { n, m, heads: 2, causalShift: m - n } });
    expect(report.incomplete, report.covered).toBeUndefined();
    expect(report.interpreterErrors).toEqual([]);
    expect(report.races.length + report.outOfBounds.length + report.uninitialisedReads.length, report.covered).toBe(0);
    expect(report.barrierDivergence).toEqual([]);
  });
});
