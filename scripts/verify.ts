/**
 * npm run verify -- [--stage qk|softmax|pv|fused] [KERNEL.wgsl] [--variant NAME] [--seed S]
 *   [--time-limit MS] [--json]
 *
 * Runs a kernel in place of the built-in one for its stage over the verification suite (sizes
 * around the tile, n ≠ m, dk ≠ dv, causal, masks, large scores, seeds; every case twice on poisoned
 * buffers) and prints a table with hints. Without a file it verifies the built-in kernels (of one
 * stage with --stage, of every stage and variant otherwise).
 * Exit codes: 0 every case passes, 1 any case fails (or times out), 2 the kernel does not compile or
 * does not fit the interface (or bad arguments), 3 no WebGPU adapter.
 */
import { compileErrorLines, formatReport, reportJson } from '../src/core/verify/report';
import type { VerifyReport } from '../src/core/verify/report';
import { AttentionEngine } from '../src/gpu/engine';
import type { StageName } from '../src/core/stages';
import { isVariant, VARIANT_NAMES } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import { DEFAULT_TIME_LIMIT_MS, verifiableStages, verifyBuiltIns, verifyKernel } from '../src/gpu/verify-suite';
import { EXIT, integer, main, openDefaultLimitsDevice, openDevice, parseFlags, readInput, UsageError } from './lib/cli';

const STAGE_LIST = verifiableStages().join('|');
const USAGE = `usage: npm run verify -- [--stage ${STAGE_LIST}] [KERNEL.wgsl] [--variant ${VARIANT_NAMES.join('|')}]
       [--seed S] [--time-limit MS] [--json]
A kernel file needs --stage. Without a file, verifies the built-in kernels.
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
    timeLimitMs: integer(values['time-limit'], 'time-limit') ?? DEFAULT_TIME_LIMIT_MS,
    json: values.json ?? false,
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
    if (report.status === 'compile-error') {
      // line:col first, so terminals and editors can jump to it.
      console.error(`${report.label}: the ${report.stage} kernel does not compile`);
      for (const line of compileErrorLines(report.compileMessages, file)) console.error(line);
      continue;
    }
    if (report.status === 'interface-error') {
      console.error(`${report.label}: the ${report.stage} kernel does not fit the kernel interface (docs/kernel-interface.md)`);
      for (const problem of report.interfaceProblems) console.error(`  - ${problem}`);
      if (report.error && report.interfaceProblems.length === 0) console.error(`  - ${report.error}`);
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
      source && cli.stage
        ? [await verifyKernel(engine, { ...common, stage: cli.stage, source, variant: cli.variant, label: cli.file })]
        : await verifyBuiltIns(engine, { ...common, stage: cli.stage });
    stuck = reports.some((r) => r.status === 'timeout');
    print(reports, adapter, cli.json, cli.file);
    return exitCode(reports);
  } finally {
    // A kernel still looping owns the queue: destroying the device would wait for it. Exit instead.
    if (!stuck) device.destroy();
    defaultLimitsDevice?.destroy();
  }
}

await main(verify, { usage: USAGE });
