/**
 * node --import tsx scripts/large-run.ts --n 8192 --dk 64 --variant fused
 *   [--m M] [--dv DV] [--heads H] [--causal] [--samples 16] [--seed 1] [--max-binding BYTES] [--json]
 *   [--rope …] [--kv-heads H] [--window W] [--alibi …] [--softcap C] [--sinks …]   (as npm run attention)
 *
 * Decode: --n 1 --m 32768 --causal (one query against a long K/V cache), e.g. with --kv-heads 2.
 *
 * A large seeded problem from the terminal: runs the engine on Node's WebGPU, then checks a sample
 * of query rows against the float64 reference (the full reference at 8192² × 64 would be billions of
 * multiply-adds; each sampled row costs m·(dk + dv)·h). --max-binding lowers the planning limit
 * for storage bindings, to force the three-pass variants into row blocks.
 * Exit codes: 0 every sampled row within tolerance, 1 not, 2 bad arguments, 3 no WebGPU adapter.
 */
import { checkAgainstReference } from '../src/core/compare-run';
import { createRng, randomMatrix } from '../src/core/rng';
import { AttentionEngine } from '../src/gpu/engine';
import { isVariant, VARIANT_NAMES } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import { EXIT, integer, main, openDevice, parseFlags, required, UsageError } from './lib/cli';
import { describeFeatures } from '../src/core/features';
import { FEATURE_FLAGS, FEATURE_USAGE, featureOptions, withFeatureDefaults } from './lib/feature-flags';

const USAGE = `usage: node --import tsx scripts/large-run.ts --n N --dk DK --variant ${VARIANT_NAMES.join('|')}
       [--m M] [--dv DV] [--heads H] [--causal] [--samples S] [--seed SEED] [--max-binding BYTES] [--json]
${FEATURE_USAGE}`;

/** A positive integer flag. */
const positive = (value: string | undefined, flag: string) => integer(value, flag, { min: 1 });

function parse(argv: string[]) {
  const values = parseFlags({
    args: withFeatureDefaults(argv),
    options: {
      ...FEATURE_FLAGS,
      n: { type: 'string' },
      m: { type: 'string' },
      dk: { type: 'string' },
      dv: { type: 'string' },
      heads: { type: 'string' },
      variant: { type: 'string' },
      causal: { type: 'boolean' },
      samples: { type: 'string' },
      seed: { type: 'string' },
      'max-binding': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  }).values;
  if (values.help) return null;
  const variant = values.variant ?? 'fused';
  if (!isVariant(variant)) throw new UsageError(`--variant must be one of ${VARIANT_NAMES.join(', ')}, got "${variant}"`);
  const n = positive(required(values.n, 'n'), 'n')!;
  const dk = positive(required(values.dk, 'dk'), 'dk')!;
  return {
    n,
    dk,
    variant,
    m: positive(values.m, 'm') ?? n,
    dv: positive(values.dv, 'dv') ?? dk,
    heads: positive(values.heads, 'heads') ?? 1,
    causal: values.causal ?? false,
    samples: Math.min(positive(values.samples, 'samples') ?? 16, n),
    seed: positive(values.seed, 'seed') ?? 1,
    maxBinding: positive(values['max-binding'], 'max-binding'),
    json: values.json ?? false,
    features: featureOptions(values),
  };
}

/** The first and last rows plus seeded random ones, sorted and distinct. */
function sampleRows(n: number, count: number, seed: number): number[] {
  const rows = new Set([0, n - 1]);
  const rng = createRng(seed);
  while (rows.size < count) rows.add(Math.floor(rng.next() * n));
  return [...rows].slice(0, count).sort((a, b) => a - b);
}

async function largeRun(argv: string[]): Promise<number> {
  const cli = parse(argv);
  if (!cli) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const { n, m, dk, dv, heads, seed } = cli;
  let started = performance.now();
  const kvHeads = cli.features.kvHeads ?? heads;
  const inputs = {
    q: randomMatrix(n, heads * dk, seed),
    k: randomMatrix(m, kvHeads * dk, seed + 1),
    v: randomMatrix(m, kvHeads * dv, seed + 2),
  };
  const options = { causal: cli.causal, heads, ...cli.features };
  const inputMs = performance.now() - started;

  const { device, adapter } = await openDevice();
  try {
    const limits = cli.maxBinding ? { maxStorageBufferBindingSize: cli.maxBinding } : {};
    const engine = new AttentionEngine(device, loadShaderLibrary(), { limits });
    started = performance.now();
    await engine.kernel(cli.variant === 'fused' ? 'fused' : 'qk', cli.variant);
    const compileMs = performance.now() - started; // the first stage's pipeline; the rest compile in run()
    const result = await engine.run(inputs, options, { variant: cli.variant });

    started = performance.now();
    const width = heads * dv;
    const checks = sampleRows(n, cli.samples, seed + 3).map((row) => {
      const output = result.output.data.subarray(row * width, (row + 1) * width);
      const check = checkAgainstReference(inputs, options, {
        scores: null,
        probs: null,
        output,
        rows: [row, row + 1],
        onlineSoftmax: result.onlineSoftmax,
      });
      const worst = check.output.worst;
      return {
        row,
        pass: check.pass,
        maxAbs: check.output.maxAbs,
        worstRatio: worst && worst.tolerance > 0 ? worst.error / worst.tolerance : 0,
      };
    });
    const checkMs = performance.now() - started;
    const pass = checks.every((c) => c.pass);
    const report = {
      pass,
      shape: result.shape,
      variant: cli.variant,
      causal: cli.causal,
      features: cli.features,
      adapter,
      blocks: result.blocks,
      maxStorageBufferBindingSize: engine.limits.maxStorageBufferBindingSize,
      wallMs: result.wallMs,
      gpuTimingsMs: result.gpuTimings,
      compileMs,
      inputMs,
      checkMs,
      sampledRows: checks.length,
      maxAbs: Math.max(...checks.map((c) => c.maxAbs)),
      worstErrorOverTolerance: Math.max(...checks.map((c) => c.worstRatio)),
      rows: checks,
    };
    if (cli.json) {
      console.log(JSON.stringify(report));
    } else {
      console.log(
        `attention n=${n} m=${m} dk=${dk} dv=${dv} heads=${heads}${cli.causal ? ' causal' : ''} variant=${cli.variant} on ${adapter}`,
      );
      const features = describeFeatures(cli.features);
      if (features) console.log(`features: ${features}`);
      console.log(`binding limit ${engine.limits.maxStorageBufferBindingSize} bytes → ${result.blocks} block(s)`);
      console.log(
        `engine.run wall ${(result.wallMs / 1000).toFixed(2)} s (first pipeline compiled before it in ${(compileMs / 1000).toFixed(2)} s)`,
      );
      if (result.gpuTimings)
        console.log(
          `gpu ms: ${Object.entries(result.gpuTimings)
            .map(([s, t]) => `${s}=${t.toFixed(1)}`)
            .join(' ')}`,
        );
      console.log(
        `checked ${checks.length} sampled rows against the float64 reference in ${(checkMs / 1000).toFixed(2)} s: ` +
          `max |error| ${report.maxAbs.toExponential(2)}, worst error/tolerance ${report.worstErrorOverTolerance.toExponential(2)}`,
      );
      for (const c of checks.filter((x) => !x.pass)) console.log(`  row ${c.row} FAILS: max |error| ${c.maxAbs}`);
      console.log(pass ? 'GPU and CPU agree on every sampled row' : 'GPU and CPU DISAGREE');
    }
    return pass ? EXIT.ok : EXIT.failed;
  } finally {
    device.destroy();
  }
}

await main(largeRun, { usage: USAGE });
