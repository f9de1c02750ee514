/**
 * npm run bench:verify — how long the full verification suite takes per built-in kernel, compile
 * and interpreter check included (each kernel on a fresh engine and device, so nothing is cached),
 * and the median over the built-ins. A benchmark, not a test: it prints numbers and never fails on them.
 *   --slowest N   also print the N slowest cases of each kernel
 */
import { AttentionEngine } from '../src/gpu/engine';
import { loadShaderLibrary } from '../src/node/shaders';
import { builtInKernels, builtInLabel, verifyKernel } from '../src/gpu/verify-suite';
import { EXIT, main, openDefaultLimitsDevice, openDevice, parseFlags, integer } from './lib/cli';
import { counted } from '../src/core/plural';

const USAGE = `usage: npm run bench:verify [-- --slowest N]
Times the full verification suite (npm run verify's) on every built-in kernel — each on a fresh
engine and device, compile and interpreter check included — and prints the median. A benchmark:
it prints numbers and never fails on them.
--slowest N  also print the N slowest cases of each kernel
--help       this text`;

async function bench(argv: string[]): Promise<number> {
  const { values } = parseFlags({ args: argv, options: { slowest: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const slowest = integer(values.slowest, 'slowest') ?? 0;
  const shaders = loadShaderLibrary();
  const times: number[] = [];
  let adapterLine = '';
  for (const kernel of builtInKernels()) {
    const { variant, stage, score } = kernel;
    const { device, adapter } = await openDevice();
    const defaultLimitsDevice = (await openDefaultLimitsDevice()) ?? undefined;
    adapterLine = adapter;
    try {
      const engine = new AttentionEngine(device, shaders);
      const started = performance.now();
      const label = builtInLabel(kernel);
      const report = await verifyKernel(engine, {
        stage,
        variant,
        source: engine.source(variant, stage, {}, { score }),
        label,
        defaultLimitsDevice,
      });
      const seconds = (performance.now() - started) / 1000;
      times.push(seconds);
      const casesMs = report.cases.reduce((sum, c) => sum + c.ms, 0);
      console.log(
        `${label.replace('built-in ', '').padEnd(24)} ${seconds.toFixed(1).padStart(5)} s  ${report.status}, ${counted(report.cases.length, 'case')} ${(casesMs / 1000).toFixed(1)} s, interpreter ${report.hazards ? `${(report.hazards.ms / 1000).toFixed(1)} s` : 'not needed'}`,
      );
      for (const c of [...report.cases].sort((a, b) => b.ms - a.ms).slice(0, slowest))
        console.log(`    ${c.ms.toFixed(0).padStart(6)} ms  ${c.name}`);
    } finally {
      device.destroy();
      defaultLimitsDevice?.destroy();
    }
  }
  const sorted = [...times].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  console.log(`median ${median.toFixed(1)} s over ${times.length} built-in kernels (${adapterLine})`);
  return 0;
}

await main(bench);
