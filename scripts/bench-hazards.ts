/**
 * node --import tsx scripts/bench-hazards.ts [--repeats R] [FILE.wgsl:STAGE …]
 *
 * Times the interpreter check (src/gpu/hazards.ts) on every built-in kernel, or on the files
 * given: per kernel the shape and grid it planned, interpreter steps, invocations, and the fastest
 * and median wall time over R runs (default 3). Steps do not depend on the machine's load; times do.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { StageName } from '../src/core/stages';
import { PROJECTION_SHADER, VARIANTS } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import { checkWorkgroupHazards, hasHazards } from '../src/gpu/hazards';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { repeats: { type: 'string' } } });
const repeats = Math.max(1, Number(values.repeats ?? 3));
const shaders = loadShaderLibrary();
const kernels = positionals.length
  ? positionals.map((arg) => {
      const [file, stage] = arg.split(':');
      return { label: file, stage: stage as StageName, source: readFileSync(file, 'utf8') };
    })
  : [...Object.values(VARIANTS).flatMap((v) => Object.entries(v)), ['project', PROJECTION_SHADER]].map(([stage, file]) => ({
      label: file,
      stage: stage as StageName,
      source: shaders[file],
    }));

console.log('kernel                          stage    invocations  steps     min ms  median ms  findings  shape');
for (const { label, stage, source } of kernels) {
  const times: number[] = [];
  let report = checkWorkgroupHazards(source, stage);
  for (let i = 0; i < repeats; i++) {
    report = checkWorkgroupHazards(source, stage);
    times.push(report.ms);
  }
  times.sort((a, b) => a - b);
  const s = report.shape;
  console.log(
    [
      label.padEnd(31),
      stage.padEnd(8),
      String(report.invocations).padStart(11),
      String(report.steps).padStart(9),
      times[0].toFixed(0).padStart(8),
      times[Math.floor(times.length / 2)].toFixed(0).padStart(10),
      (hasHazards(report) ? 'yes' : 'none').padStart(9),
      ` n=${s.n} m=${s.m} dk=${s.dk} dv=${s.dv} heads=${s.heads}${stage === 'project' ? ` d_model=${s.dModel}` : ''} grid ${report.grid.join('×')}`,
    ].join(' '),
  );
}
