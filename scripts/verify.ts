/**
 * npm run verify -- [--stage rope|qk|softmax|pv|fused|project] [KERNEL.wgsl] [--variant NAME] [--seed S]
 *   [--time-limit MS] [--repro DIR] [--json]
 *
 * Runs a kernel in place of the built-in one for its stage over the verification suite (sizes
 * around the tile, n ≠ m, dk ≠ dv, causal, masks, large scores, seeds, and the attention features
 * the kernel declares; every case twice on poisoned buffers) and prints a table with hints. Without a file it verifies the built-in kernels (of one
 * stage with --stage, of every stage and variant otherwise).
 * A failure is shrunk to the smallest failing case, shown first; its inputs are written to DIR
 * (default verify-repro/) with the `npm run attention` command that runs them with the kernel.
 * Exit codes: 0 every case passes, 1 any case fails (or times out), 2 the kernel does not compile or
 * does not fit the interface (or bad arguments), 3 no WebGPU adapter.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toNpy } from '../src/core/io';
import { reproCommand, reproInputs } from '../src/core/verify/repro';
import { reproduces } from '../src/gpu/verify-shrink';
import type { VariantName } from '../src/gpu/variants';
import { formatReport, reportJson, unusableKernelLines } from '../src/core/verify/report';
import type { VerifyReport } from '../src/core/verify/report';
import { AttentionEngine } from '../src/gpu/engine';
import type { StageName } from '../src/core/stages';
import { isVariant, VARIANT_NAMES } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import { DEFAULT_TIME_LIMIT_MS, verifiableStages, verifyBuiltIns, verifyKernel } from '../src/gpu/verify-suite';
import { InputError } from '../src/core/errors';
import {
  EXIT,
  integer,
  main,
  makeFolder,
  openDefaultLimitsDevice,
  openDevice,
  parseFlags,
  readInput,
  UsageError,
  writableFolder,
} from './lib/cli';

const DEFAULT_REPRO_DIR = 'verify-repro';
const STAGE_LIST = verifiableStages().join('|');
const USAGE = `usage: npm run verify -- [--stage ${STAGE_LIST}] [KERNEL.wgsl] [--variant ${VARIANT_NAMES.join('|')}]
       [--seed S] [--time-limit MS] [--repro DIR] [--json]
A kernel file needs --stage. Without a file, verifies the built-in kernels.
--repro DIR: where the smallest failing case's inputs go (default ${DEFAULT_REPRO_DIR}), with a command that reruns it
exit: 0 all cases pass, 1 a case fails, 2 the kernel does not compile or fit the interface, 3 no adapter`;

function parseCommandLine(argv: string[]) {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      stage: { type: 'string' },
      variant: { type: 'string' },
      seed: { type: 'string' },
      'time-limit': { type: 'string' },
      repro: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return null;
  if (positionals.length > 1) throw new UsageError(`one kernel file at a time, got ${positionals.length}`);
  const stage = values.stage as StageName | undefined;
  if (stage !== undefined && !verifiableStages().includes(stage))
    throw new UsageError(`--stage must be one of ${STAGE_LIST}, got "${stage}"`);
  const file = positionals[0];
  if (file && !stage) throw new UsageError(`--stage is required with a kernel file (which stage does ${file} implement?)`);
  const variant = values.variant;
  if (variant !== undefined && !isVariant(variant))
    throw new UsageError(`--variant must be one of ${VARIANT_NAMES.join(', ')}, got "${variant}"`);
  return {
    stage,
    file,
    variant,
    seed: integer(values.seed, 'seed'),
    timeLimitMs: integer(values['time-limit'], 'time-limit', { min: 1 }) ?? DEFAULT_TIME_LIMIT_MS,
    json: values.json ?? false,
    repro: values.repro === '' ? null : (values.repro ?? DEFAULT_REPRO_DIR),
  };
}

function exitCode(reports: VerifyReport[]): number {
  if (reports.some((r) => r.status === 'compile-error' || r.status === 'interface-error')) return EXIT.badInput;
  return reports.every((r) => r.status === 'pass') ? EXIT.ok : EXIT.failed;
}

function print(reports: VerifyReport[], adapter: string, json: boolean, file?: string): void {
  if (json) {
    console.log(reportJson({ pass: reports.every((r) => r.status === 'pass'), adapter, reports }));
    return;
  }
  for (const report of reports) {
    const unusable = unusableKernelLines(report, file);
    if (unusable) {
      for (const line of unusable) console.error(line);
      continue;
    }
    console.log(formatReport(report));
    console.log('');
  }
  const failed = reports.filter((r) => r.status !== 'pass');
  if (reports.length > 1)
    console.log(
      failed.length
        ? `${failed.length} of ${reports.length} kernels FAILED: ${failed.map((r) => r.label).join(', ')}`
        : `all ${reports.length} kernels pass (${adapter})`,
    );
}

/**
 * Writes each failed report's smallest failing case into the repro folder (a subfolder per kernel
 * when several failed) and checks that the printed command fails too.
 */
async function writeRepros(engine: AttentionEngine, reports: VerifyReport[], root: string, file?: string): Promise<void> {
  const failed = reports.filter((r) => r.smallest?.row.status === 'fail' && isVariant(r.variant));
  for (const report of failed) {
    const c = report.smallest!.row.case;
    const variant = report.variant as VariantName;
    const dir = failed.length > 1 ? join(root, `${variant}-${report.stage}`) : root;
    makeFolder(writableFolder(dir, '--repro'));
    for (const { name, matrix } of reproInputs(c)) writeFileSync(join(dir, `${name}.npy`), new Uint8Array(toNpy(matrix)));
    const repro = reproCommand(c, { dir, stage: report.stage, kernelFile: file, variant, join });
    const source = file ? readInput(file, 'kernel', 'utf8') : null;
    report.repro = { ...repro, reproduces: await reproduces(engine, { stage: report.stage as StageName, source, variant }, c) };
  }
}

async function verify(argv: string[]): Promise<number> {
  const cli = parseCommandLine(argv);
  if (!cli) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const source = cli.file ? readInput(cli.file, 'kernel', 'utf8') : null;
  const { device, adapter } = await openDevice();
  const defaultLimitsDevice = (await openDefaultLimitsDevice()) ?? undefined;
  let stuck = false;
  try {
    const engine = new AttentionEngine(device, loadShaderLibrary());
    const common = { seed: cli.seed, timeLimitMs: cli.timeLimitMs, defaultLimitsDevice };
    const reports =
      source !== null && cli.stage
        ? [await verifyKernel(engine, { ...common, stage: cli.stage, source, variant: cli.variant, label: cli.file })]
        : await verifyBuiltIns(engine, { ...common, stage: cli.stage });
    stuck = reports.some((r) => r.status === 'timeout');
    let reproProblem: string | null = null;
    try {
      if (!stuck && cli.repro) await writeRepros(engine, reports, cli.repro, cli.file);
    } catch (error) {
      // The reports still print: a folder that cannot be written loses the repro, not the verdicts.
      if (!(error instanceof InputError)) throw error;
      reproProblem = error.message;
    }
    print(reports, adapter, cli.json, cli.file);
    if (reproProblem) console.error(`error: ${reproProblem}`);
    return exitCode(reports);
  } finally {
    // A kernel still looping owns the queue: destroying the device would wait for it. Exit instead.
    if (!stuck) device.destroy();
    defaultLimitsDevice?.destroy();
  }
}

await main(verify, { usage: USAGE });
