/**
 * npm run attention -- --q Q.npy --k K.npy --v V.npy [--mask M.npy] [--causal] [--scale X|none]
 *   [--temperature T] [--variant naive|tiled|fused] [--heads H] [--wo WO.npy] [--out O.npy] [--json]
 *   [--kernel STAGE=FILE.wgsl]
 *
 * --heads H splits Q/K columns into H heads of dk = width/H (V likewise); --wo projects the
 * concatenated heads through W_o ((H·dv)×d_model), and --out then writes the projection.
 * Runs the engine on Node's WebGPU and the float64 reference on the CPU, prints the comparison.
 * Exit codes: 0 agree within tolerance, 1 disagree, 2 bad input, 3 no WebGPU adapter.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InputError } from '../src/core/errors';
import { formatFromName, parseMatrix, serializeMatrix } from '../src/core/io';
import type { AttentionOptions } from '../src/core/options';
import { checkAgainstReference } from '../src/core/compare-run';
import type { Comparison } from '../src/core/metrics';
import { requestAttentionDevice, NoAdapterError } from '../src/gpu/device';
import { AttentionEngine } from '../src/gpu/engine';
import { isVariant, VARIANT_NAMES } from '../src/gpu/variants';
import type { StageName } from '../src/core/stages';
import { KernelCompileError, KernelInterfaceError } from '../src/gpu/errors';
import { STAGES } from '../src/gpu/interface';
import { loadShaderLibrary } from '../src/node/shaders';
import { nodeGpu } from '../src/node/webgpu';

const USAGE = `usage: npm run attention -- --q Q.npy --k K.npy --v V.npy [--mask M.npy] [--causal]
       [--scale X|none] [--temperature T] [--variant ${VARIANT_NAMES.join('|')}] [--heads H] [--wo WO.npy]
       [--out O.npy] [--json] [--kernel STAGE=FILE.wgsl]  (run a stage with your own WGSL; see docs/kernel-interface.md)
--heads H: Q, K, V columns split into H heads; --wo: output projection W_o ((H·dv)×d_model), written by --out
inputs: 2-D float32 .npy, or .json nested arrays, or .csv`;

export const EXIT = { ok: 0, mismatch: 1, badInput: 2, noAdapter: 3 } as const;

function readMatrix(path: string, role: string) {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new InputError(`${role}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseMatrix(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, path, `${role} (${path})`);
}

function number(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x)) throw new InputError(`--${flag} must be a number, got "${value}"`);
  return x;
}

function parseCommandLine(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        q: { type: 'string' }, k: { type: 'string' }, v: { type: 'string' }, mask: { type: 'string' }, wo: { type: 'string' },
        causal: { type: 'boolean' }, scale: { type: 'string' }, temperature: { type: 'string' },
        variant: { type: 'string' }, heads: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' },
        kernel: { type: 'string', multiple: true }, help: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (error) {
    throw new InputError(`${(error as Error).message}\n${USAGE}`);
  }
  if (parsed.help) return null;
  for (const flag of ['q', 'k', 'v'] as const) if (!parsed[flag]) throw new InputError(`--${flag} is required\n${USAGE}`);
  const variant = parsed.variant ?? 'tiled';
  if (!isVariant(variant)) throw new InputError(`--variant must be one of ${VARIANT_NAMES.join(', ')}, got "${variant}"`);
  const heads = number(parsed.heads, 'heads') ?? 1;
  const options: Partial<AttentionOptions> = {
    causal: parsed.causal ?? false,
    temperature: number(parsed.temperature, 'temperature') ?? 1,
    heads,
    scale: parsed.scale === undefined ? 'default' : parsed.scale === 'none' ? 'none' : number(parsed.scale, 'scale')!,
  };
  if (parsed.out) formatFromName(parsed.out);
  const kernels = parseKernelFlags(parsed.kernel ?? []);
  const { kernel: _, ...paths } = parsed;
  return { paths: paths as Record<string, string | undefined>, variant, options, kernels, json: parsed.json ?? false };
}

/** --kernel STAGE=FILE.wgsl runs that stage with the file's WGSL instead of the built-in kernel. */
function parseKernelFlags(flags: string[]): Partial<Record<StageName, string>> {
  const kernels: Partial<Record<StageName, string>> = {};
  for (const flag of flags) {
    const [stage, path] = flag.split('=', 2);
    if (!path || !Object.hasOwn(STAGES, stage)) {
      throw new InputError(`--kernel must be STAGE=FILE.wgsl with STAGE one of ${Object.keys(STAGES).join(', ')}, got "${flag}"`);
    }
    try {
      kernels[stage as StageName] = readFileSync(path, 'utf8');
    } catch (error) {
      throw new InputError(`--kernel ${stage}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  return kernels;
}

function line(name: string, c: Comparison | null, missing = 'not read back'): string {
  if (!c) return `${name.padEnd(8)} ${missing}`;
  const w = c.firstBad ?? c.worst;
  const where = w ? ` worst [${w.position.join(',')}] gpu=${w.actual} cpu=${w.expected} tol=${w.tolerance.toExponential(2)}` : '';
  return `${name.padEnd(8)} ${c.pass ? 'PASS' : 'FAIL'}  maxAbs=${c.maxAbs.toExponential(3)} maxRel=${c.maxRel.toExponential(3)} maxUlp=${c.maxUlp}${c.nanMismatches + c.infMismatches ? ` nan/inf mismatches=${c.nanMismatches + c.infMismatches}` : ''}${where}`;
}

export async function main(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv);
  if (!cli) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const { paths } = cli;
  const inputs = {
    q: readMatrix(paths.q!, 'Q'),
    k: readMatrix(paths.k!, 'K'),
    v: readMatrix(paths.v!, 'V'),
    mask: paths.mask ? readMatrix(paths.mask, 'mask') : null,
    wo: paths.wo ? readMatrix(paths.wo, 'W_o') : null,
  };
  const { device, summary } = await requestAttentionDevice(await nodeGpu());
  try {
    const engine = new AttentionEngine(device, loadShaderLibrary());
    const result = await engine.run(inputs, cli.options, { variant: cli.variant, kernels: cli.kernels, intermediates: true });
    const check = checkAgainstReference(inputs, cli.options, { ...result, output: result.output.data });
    if (paths.out) {
      const data = serializeMatrix(result.projected ?? result.output, formatFromName(paths.out));
      writeFileSync(paths.out, typeof data === 'string' ? data : new Uint8Array(data));
    }
    const adapter = `${summary.vendor} ${summary.architecture}`.trim() + (summary.isSoftware ? ' (CPU emulation)' : '');
    if (cli.json) {
      const o = check.output;
      console.log(JSON.stringify({
        pass: check.pass, maxAbs: o.maxAbs, maxRel: o.maxRel, maxUlp: o.maxUlp, worst: o.firstBad ?? o.worst,
        nanMismatches: o.nanMismatches, infMismatches: o.infMismatches,
        stages: { scores: check.scores, probs: check.probs, output: check.output, projected: check.projected },
        shape: result.shape, variant: cli.variant, adapter, gpuTimingsMs: result.gpuTimings, wallMs: result.wallMs,
        out: paths.out ?? null,
      }));
    } else {
      const { n, m, dk, dv, heads, dModel } = result.shape;
      console.log(`attention n=${n} m=${m} dk=${dk} dv=${dv} heads=${heads}${dModel === null ? '' : ` d_model=${dModel}`} variant=${cli.variant} on ${adapter}`);
      // The fused variant never stores scores or probabilities: there is nothing to read back.
      const unstored = result.onlineSoftmax ? 'not stored (fused: online softmax, one pass)' : undefined;
      console.log(line('scores', check.scores, unstored));
      console.log(line('probs', check.probs, unstored));
      console.log(line('output', check.output));
      if (dModel !== null) console.log(line('W_o', check.projected));
      if (result.gpuTimings) console.log(`gpu ms: ${Object.entries(result.gpuTimings).map(([s, t]) => `${s}=${t.toFixed(3)}`).join(' ')}`);
      else console.log('gpu ms: unavailable (the adapter has no timestamp-query)');
      console.log(check.pass ? 'GPU and CPU agree within tolerance' : 'GPU and CPU DISAGREE');
      if (paths.out) console.log(`wrote ${paths.out}`);
    }
    return check.pass ? EXIT.ok : EXIT.mismatch;
  } finally {
    device.destroy();
  }
}

/** Maps failures to the documented exit codes with a message on stderr. */
export async function runCli(entry: (argv: string[]) => Promise<number>): Promise<void> {
  let code: number;
  try {
    code = await entry(process.argv.slice(2));
  } catch (error) {
    if (error instanceof InputError) {
      console.error(`error: ${error.message}`);
      code = EXIT.badInput;
    } else if (error instanceof KernelCompileError || error instanceof KernelInterfaceError) {
      console.error(`error: ${error.message}`);
      code = EXIT.badInput;
    } else if (error instanceof NoAdapterError) {
      console.error(`error: ${error.message}`);
      code = EXIT.noAdapter;
    } else {
      console.error(`error: ${(error as Error).message ?? error}`);
      code = EXIT.badInput;
    }
  }
  process.exitCode = code;
  // Dawn keeps the event loop alive after the device is gone; leave once output is flushed.
  setTimeout(() => process.exit(code), 50).unref();
}

if (import.meta.url === `file://${process.argv[1]}`) await runCli(main);
