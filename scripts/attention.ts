/**
 * npm run attention -- --q Q.npy --k K.npy --v V.npy [--mask M.npy] [--causal] [--scale X|none|default]
 *   [--temperature T] [--variant naive|tiled|fused] [--heads H] [--wo WO.npy] [--out O.npy] [--json]
 *   [--kernel STAGE=FILE.wgsl] [--poison] [--precision f32|f16|auto] [--key-splits N] [--subgroups auto|off]
 *   [--rope [interleaved|half] --rope-base B --rope-dims R --rope-offset P] [--kv-heads H] [--window W]
 *   [--alibi [standard|S1,S2,…]] [--softcap C] [--sinks S.npy|S1,S2,…] [--activation softmax|relu|gelu]
 *   [--score dot|scaled|general|additive] [--w W.npy] [--wq WQ.npy --wk WK.npy --va VA.npy]
 *
 * --score picks the score function: dot (q·k, scale none), scaled (q·k/√dk, the default), general
 * (qᵀ W k, W from --w, dq×dk) or additive (v_aᵀ tanh(W_q q + W_k k), from --wq a×dq, --wk a×dk and
 * --va 1×a: Bahdanau's v_a); --scale, when given, overrides the scale each implies (none for general
 * and additive). With general and additive Q's width per head dq may differ from K's dk.
 * --heads H splits Q/K columns into H heads of dk = width/H (V likewise); --wo projects the
 * concatenated heads through W_o ((H·dv)×d_model), and --out then writes the projection.
 * Runs the engine on Node's WebGPU and the float64 reference on the CPU, prints the comparison.
 * A problem with more than FULL_REFERENCE_SCORES scores (h·n·m) runs in blocks of query rows with
 * progress on stderr, reads back only the output, and is checked on sampled rows, as the page does:
 * its n×m scores would not fit in memory, and the full float64 reference would take hours.
 * Exit codes: 0 agree within tolerance, 1 disagree, 2 bad input, 3 no WebGPU adapter.
 */
import { writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatFromName, parseMatrix, serializeMatrix } from '../src/core/io';
import { float32Matrix } from '../src/core/tensor';
import type { AttentionOptions } from '../src/core/options';
import { ACTIVATIONS, withDefaults } from '../src/core/options';
import { checkAgainstReference, checkSampledRows } from '../src/core/compare-run';
import { needsSampling, sampleRows } from '../src/core/problem';
import { checkInputs } from '../src/core/shapes';
import type { ScoringWeights } from '../src/core/shapes';
import { describeActivation } from '../src/core/activation';
import { isPrecisionChoice, PRECISION_CHOICES, PRECISION_TITLES } from '../src/core/precision';
import { describeFusedForm, isSubgroupChoice, SUBGROUP_CHOICES } from '../src/core/subgroups';
import type { Comparison } from '../src/core/metrics';
import { attentionWork, formatLimit, gpuTimeLimitMs } from '../src/core/kernel-safety';
import { AttentionEngine } from '../src/gpu/engine';
import type { RunResult } from '../src/gpu/engine';
import { GpuTimeoutError, withTimeLimit } from '../src/gpu/watchdog';
import { isVariant, VARIANT_NAMES } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import {
  checkKernelStages,
  EXIT,
  integer,
  main,
  makeFolder,
  number,
  openDevice,
  parseFlags,
  parseKernelFlags,
  readInput,
  required,
  UsageError,
  writableFile,
} from './lib/cli';
import { describeFeatures } from '../src/core/features';
import { keySplitsHoldingKeys, MAX_FORCED_KEY_SPLITS } from '../src/core/key-splits';
import { FEATURE_FLAGS, FEATURE_USAGE, featureOptions, withFeatureDefaults } from './lib/feature-flags';

/** Multiply-adds per GPU block of a big problem (seconds on a CPU emulator): progress comes at least this often. */
const BLOCK_WORK = 2 ** 25;

const USAGE = `usage: npm run attention -- --q Q.npy --k K.npy --v V.npy [--mask M.npy] [--causal]
       [--scale X|none|default] [--temperature T] [--variant ${VARIANT_NAMES.join('|')}] [--heads H] [--wo WO.npy]
       [--out O.npy] [--json] [--kernel STAGE=FILE.wgsl]  (run a stage with your own WGSL; see docs/kernel-interface.md)
       [--poison]  (fill the GPU buffers with NaN first, as npm run verify does: elements a kernel never writes show)
       [--precision f32|f16|auto]  (f16: Q, K, V stored as halves, float32 arithmetic; fused without RoPE only)
       [--key-splits N]  (fused: split the keys N ways, split-KV with the combine stage; 1 = none; default: the engine's choice;
         a split holds at least 64 keys, so past ⌈m / 64⌉ the rest are empty, and the report says how many; N ≤ 4096)
       [--subgroups auto|shared|merge|off]  (fused: its subgroup form where the device has subgroups, and on a GPU with
         shared lanes — the prefill in pairs of lanes, decoding in quads; shared / merge: that form with / without
         shared lanes (without: the decoding shape's lanes merged in registers); off: never)
       [--rope [interleaved|half]] [--rope-base B] [--rope-dims R] [--rope-offset P] [--kv-heads H] [--window W]
       [--alibi [standard|S1,S2,…]] [--softcap C] [--sinks S.npy|S1,S2,…]
       [--score dot|scaled|general|additive]  (dot: q·k, scale none; scaled: q·k/√dk, the default;
         general: qᵀ W k with --w W.npy (dq×dk); additive: v_aᵀ tanh(W_q q + W_k k) with --wq WQ.npy (a×dq),
         --wk WK.npy (a×dk) and --va VA.npy (1×a); general and additive use scale none unless --scale is given,
         and let Q's width per head dq differ from K's dk; fused computes dot scores only)
       [--activation softmax|relu|gelu]  (relu/gelu: φ elementwise instead of the softmax, no normalisation; naive or tiled)
--heads H: Q, K, V columns split into H heads; --wo: output projection W_o ((H·dv)×d_model), written by --out
inputs: 2-D .npy (float, integer or bool: True = 1), or .json nested arrays, or .csv
${FEATURE_USAGE}`;

function readMatrix(path: string, role: string) {
  const bytes = readInput(path, role);
  // The file's values as float32, as the GPU takes them (the float64 reference reads the same).
  return float32Matrix(
    parseMatrix(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, path, `${role} (${path})`),
  );
}

/** The learned score's weights from the files --w or --wq/--wk/--va name; null for dot. */
function readScoring(paths: ReturnType<typeof scoringFlags>['paths']): ScoringWeights | null {
  if (!paths) return null;
  if (paths.kind === 'general') return { kind: 'general', w: readMatrix(paths.w, 'W') };
  return { kind: 'additive', wq: readMatrix(paths.wq, 'W_q'), wk: readMatrix(paths.wk, 'W_k'), v: readMatrix(paths.va, 'v_a') };
}

function parseCommandLine(argv: string[]) {
  const parsed = parseFlags({
    args: withFeatureDefaults(argv),
    options: {
      ...FEATURE_FLAGS,
      q: { type: 'string' },
      k: { type: 'string' },
      v: { type: 'string' },
      mask: { type: 'string' },
      wo: { type: 'string' },
      causal: { type: 'boolean' },
      scale: { type: 'string' },
      temperature: { type: 'string' },
      variant: { type: 'string' },
      heads: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      poison: { type: 'boolean' },
      'key-splits': { type: 'string' },
      kernel: { type: 'string', multiple: true },
      precision: { type: 'string' },
      subgroups: { type: 'string' },
      score: { type: 'string' },
      w: { type: 'string' },
      wq: { type: 'string' },
      wk: { type: 'string' },
      va: { type: 'string' },
      activation: { type: 'string' },
      help: { type: 'boolean' },
    },
  }).values;
  if (parsed.help) return null;
  const inputs = { q: required(parsed.q, 'q'), k: required(parsed.k, 'k'), v: required(parsed.v, 'v'), mask: parsed.mask, wo: parsed.wo };
  const variant = parsed.variant ?? 'tiled';
  if (!isVariant(variant)) throw new UsageError(`--variant must be one of ${VARIANT_NAMES.join(', ')}, got "${variant}"`);
  const heads = integer(parsed.heads, 'heads', { min: 1 }) ?? 1;
  const scoring = scoringFlags(parsed);
  const options: Partial<AttentionOptions> = {
    causal: parsed.causal ?? false,
    temperature: number(parsed.temperature, 'temperature') ?? 1,
    heads,
    score: scoring.score,
    scale:
      parsed.scale === undefined
        ? scoring.scale
        : parsed.scale === 'none' || parsed.scale === 'default'
          ? parsed.scale
          : number(parsed.scale, 'scale')!,
    ...featureOptions(parsed),
  };
  const activation = parsed.activation ?? 'softmax';
  if (!ACTIVATIONS.some((a) => a === activation))
    throw new UsageError(`--activation must be one of ${ACTIVATIONS.join(', ')}, got "${activation}"`);
  options.activation = activation as AttentionOptions['activation'];
  if (parsed.out) {
    // A folder is named as one before its missing extension is.
    writableFile(parsed.out, '--out');
    formatFromName(parsed.out);
  }
  const kernels = parseKernelFlags(parsed.kernel ?? []);
  checkKernelStages(kernels, variant, [...(options.rope ? (['rope'] as const) : []), ...(parsed.wo ? (['project'] as const) : [])]);
  // Past the bound the grid would near the device's workgroup limit: refused here, before any GPU work.
  const keySplits = integer(parsed['key-splits'], 'key-splits', { min: 1, max: MAX_FORCED_KEY_SPLITS });
  // The combine stage runs only on split keys, and the engine's own choice may be one split (always on a CPU emulator).
  if (kernels.combine !== undefined && variant === 'fused' && (keySplits ?? 1) < 2)
    throw new UsageError(
      '--kernel combine runs only when the keys are split: add --key-splits N (N ≥ 2), or the engine may choose one split and never run it',
    );
  const precision = parsed.precision ?? 'f32';
  if (!isPrecisionChoice(precision)) throw new UsageError(`--precision must be one of ${PRECISION_CHOICES.join(', ')}, got "${precision}"`);
  const subgroups = parsed.subgroups ?? 'auto';
  if (!isSubgroupChoice(subgroups)) throw new UsageError(`--subgroups must be one of ${SUBGROUP_CHOICES.join(', ')}, got "${subgroups}"`);
  return {
    paths: { ...inputs, out: parsed.out },
    weights: scoring.paths,
    variant,
    options,
    kernels,
    precision,
    json: parsed.json ?? false,
    poison: parsed.poison ?? false,
    keySplits,
    subgroups,
  };
}

/** What --score asks for: the options' score function, the scale it implies, and the weight files it needs. */
const SCORE_CHOICES = ['dot', 'scaled', 'general', 'additive'] as const;

function scoringFlags(parsed: { score?: string; w?: string; wq?: string; wk?: string; va?: string }) {
  const choice = parsed.score ?? 'scaled';
  if (!(SCORE_CHOICES as readonly string[]).includes(choice))
    throw new UsageError(`--score must be one of ${SCORE_CHOICES.join(', ')}, got "${choice}"`);
  const additiveFlags = (['wq', 'wk', 'va'] as const).filter((f) => parsed[f] !== undefined);
  if (parsed.w !== undefined && choice !== 'general')
    throw new UsageError(`--w is the general score's weight matrix W (dq×dk): add --score general, or leave --w out`);
  if (additiveFlags.length > 0 && choice !== 'additive')
    throw new UsageError(
      `${additiveFlags.map((f) => `--${f}`).join(', ')}: weights of the additive score; add --score additive, or leave them out`,
    );
  if (choice === 'general') {
    if (parsed.w === undefined) throw new UsageError('--score general needs --w W.npy, the weight matrix W (dq×dk) of qᵀ W k');
    return { score: 'general' as const, scale: 'none' as const, paths: { kind: 'general' as const, w: parsed.w } };
  }
  if (choice === 'additive') {
    const missing = (['wq', 'wk', 'va'] as const).filter((f) => parsed[f] === undefined);
    if (missing.length)
      throw new UsageError(
        `--score additive needs --wq WQ.npy (a×dq), --wk WK.npy (a×dk) and --va VA.npy (1×a) for v_aᵀ tanh(W_q q + W_k k); missing ${missing.map((f) => `--${f}`).join(', ')}`,
      );
    return {
      score: 'additive' as const,
      scale: 'none' as const,
      paths: { kind: 'additive' as const, wq: parsed.wq!, wk: parsed.wk!, va: parsed.va! },
    };
  }
  return { score: 'dot' as const, scale: choice === 'dot' ? ('none' as const) : ('default' as const), paths: null };
}

function line(name: string, c: Comparison | null, missing = 'not read back'): string {
  if (!c) return `${name.padEnd(8)} ${missing}`;
  const w = c.firstBad ?? c.worst;
  const where = w ? ` worst [${w.position.join(',')}] gpu=${w.actual} cpu=${w.expected} tol=${w.tolerance.toExponential(2)}` : '';
  return `${name.padEnd(8)} ${c.pass ? 'PASS' : 'FAIL'}  maxAbs=${c.maxAbs.toExponential(3)} maxRel=${c.maxRel.toExponential(3)} maxUlp=${c.maxUlp}${c.nanMismatches + c.infMismatches ? ` nan/inf mismatches=${c.nanMismatches + c.infMismatches}` : ''}${where}`;
}

async function attention(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv);
  if (!cli) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const { paths } = cli;
  const inputs = {
    q: readMatrix(paths.q, 'Q'),
    k: readMatrix(paths.k, 'K'),
    v: readMatrix(paths.v, 'V'),
    mask: paths.mask ? readMatrix(paths.mask, 'mask') : null,
    wo: paths.wo ? readMatrix(paths.wo, 'W_o') : null,
    scoring: readScoring(cli.weights),
  };
  const options = withDefaults(cli.options);
  const shape = checkInputs(inputs, options);
  const sampled = needsSampling(shape) ? sampleRows(shape, options) : null;
  const { device, adapter } = await openDevice();
  let stuck = false;
  try {
    const engine = new AttentionEngine(device, loadShaderLibrary());
    const started = performance.now();
    const progress = (done: number, total: number) => {
      const seconds = (performance.now() - started) / 1000;
      const eta = done > 0 ? `, about ${Math.ceil((seconds * (total - done)) / done)} s left` : '';
      process.stderr.write(`\rrows ${done} of ${total} on the GPU (${seconds.toFixed(0)} s${eta})`.padEnd(70));
    };
    if (sampled) {
      process.stderr.write(
        `h·n·m = ${(shape.heads * shape.n * shape.m).toExponential(2)} scores: running in blocks of query rows, checking ${sampled.length} sampled rows against the float64 reference\n`,
      );
      progress(0, shape.n);
    }
    // A kernel of your own may never finish: it gets the page's time limit for this much work (per
    // block of rows), and one that runs past it is named and left on the GPU, as npm run verify does.
    const limited = Object.keys(cli.kernels).length > 0;
    // A block holds BLOCK_WORK multiply-adds, or one row where a row holds more.
    const limitMs = gpuTimeLimitMs(sampled ? Math.max(BLOCK_WORK, attentionWork(shape) / shape.n) : attentionWork(shape));
    const run = (rearm: (ms: number) => void) =>
      engine.run(inputs, cli.options, {
        variant: cli.variant,
        kernels: cli.kernels,
        intermediates: !sampled,
        poison: cli.poison,
        precision: cli.precision,
        keySplits: cli.keySplits,
        subgroups: cli.subgroups,
        ...(sampled
          ? {
              maxBlockWork: BLOCK_WORK,
              onBlock: (done: number, total: number) => {
                rearm(limitMs);
                progress(done, total);
              },
            }
          : {}),
      });
    let result: RunResult;
    try {
      result = limited ? await withTimeLimit(run, limitMs) : await run(() => {});
    } catch (error) {
      if (!(error instanceof GpuTimeoutError)) throw error;
      stuck = true;
      console.error(
        `\nerror: the run with your kernel${Object.keys(cli.kernels).length > 1 ? 's' : ''} (${Object.keys(cli.kernels).join(', ')}) did not finish within ${formatLimit(limitMs)}, the limit for this problem's work: a loop that never ends? The GPU is left busy; npm run verify names where it stops.`,
      );
      return EXIT.failed;
    }
    if (sampled) process.stderr.write('\n');
    const check = sampled
      ? checkSampledRows(inputs, cli.options, result, result.output.data, sampled)
      : checkAgainstReference(inputs, cli.options, { ...result, output: result.output.data });
    if (paths.out) {
      const data = serializeMatrix(result.projected ?? result.output, formatFromName(paths.out));
      makeFolder(dirname(paths.out));
      writeFileSync(paths.out, typeof data === 'string' ? data : new Uint8Array(data));
    }
    if (cli.json) {
      const o = check.output;
      console.log(
        JSON.stringify({
          pass: check.pass,
          maxAbs: o.maxAbs,
          maxRel: o.maxRel,
          maxUlp: o.maxUlp,
          worst: o.firstBad ?? o.worst,
          nanMismatches: o.nanMismatches,
          infMismatches: o.infMismatches,
          stages: {
            rotatedQ: check.rotatedQ,
            rotatedK: check.rotatedK,
            scores: check.scores,
            probs: check.probs,
            output: check.output,
            projected: check.projected,
          },
          options: cli.options,
          shape: result.shape,
          variant: cli.variant,
          precision: result.precision,
          precisionReason: result.precisionReason,
          keySplits: result.keySplits,
          // Forced splits past the keys' ⌈m / 64⌉ hold none: how many of them do.
          splitsHoldingKeys: keySplitsHoldingKeys(result.shape.m, result),
          subgroups: result.subgroups,
          subgroupLanes: result.subgroupLanes,
          headsPerWorkgroup: result.headsPerWorkgroup,
          subgroupsReason: result.subgroupsReason,
          adapter,
          gpuTimingsMs: result.gpuTimings,
          wallMs: result.wallMs,
          out: paths.out ?? null,
          sampledRows: sampled,
        }),
      );
    } else {
      const { n, m, dk, dv, heads, dModel, dq, scoreDim } = result.shape;
      const score =
        options.score === 'dot' ? '' : ` score=${options.score} dq=${dq}${options.score === 'additive' ? ` a=${scoreDim}` : ''}`;
      console.log(
        `attention n=${n} m=${m} dk=${dk} dv=${dv} heads=${heads}${dModel === null ? '' : ` d_model=${dModel}`}${score} variant=${cli.variant} on ${adapter}`,
      );
      if (result.precision !== 'f32' || cli.precision !== 'f32')
        console.log(`precision: ${PRECISION_TITLES[result.precision]} (${result.precisionReason})`);
      if (cli.variant === 'fused') console.log(describeFusedForm(result));
      const features = describeFeatures(withDefaults(cli.options));
      if (features) console.log(`features: ${features}`);
      if (options.activation !== 'softmax')
        console.log(`activation: ${describeActivation(options.activation)} elementwise, no normalisation`);
      if (check.rotatedQ) console.log(line('RoPE Q', check.rotatedQ));
      if (check.rotatedK) console.log(line('RoPE K', check.rotatedK));
      // The fused variant never stores scores or probabilities: there is nothing to read back.
      const unstored = sampled
        ? `not read back (h·n·m too large; the output is checked on ${sampled.length} sampled rows)`
        : result.onlineSoftmax
          ? 'not stored (fused: online softmax, one pass)'
          : undefined;
      console.log(line('scores', check.scores, unstored));
      console.log(line('probs', check.probs, unstored));
      console.log(line(sampled ? `output (${sampled.length} sampled rows)` : 'output', check.output));
      if (dModel !== null) console.log(line('W_o', check.projected));
      if (result.gpuTimings)
        console.log(
          `gpu ms: ${Object.entries(result.gpuTimings)
            .map(([s, t]) => `${s}=${t.toFixed(3)}`)
            .join(' ')}`,
        );
      else console.log('gpu ms: unavailable (the adapter has no timestamp-query)');
      console.log(check.pass ? 'GPU and CPU agree within tolerance' : 'GPU and CPU DISAGREE');
      if (paths.out) console.log(`wrote ${paths.out}`);
    }
    return check.pass ? EXIT.ok : EXIT.failed;
  } finally {
    // A kernel still looping owns the queue: destroying the device would wait for it. Exit instead.
    if (!stuck) device.destroy();
  }
}

await main(attention, { usage: USAGE });
