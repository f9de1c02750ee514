/**
 * Malformed flags, numbers, files and sizes given to the terminal commands, one row per input a
 * hostile or careless user tried (issue 14): each must exit 2 with a message that names the
 * problem, never a stack trace, never a silent reading, never hours of work.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toNpy } from '../src/core/io';
import { randomMatrix } from '../src/core/rng';
import type { Matrix } from '../src/core/tensor';
import { runScript } from './helpers/cli';
import { acquireTestDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
const dir = mkdtempSync(join(tmpdir(), 'attn-cli-errors-'));
const file = (name: string, content: string | Matrix) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : new Uint8Array(toNpy(content)));
  return path;
};
const q = file('q.npy', randomMatrix(5, 4, 1));
const k = file('k.npy', randomMatrix(6, 4, 2));
const v = file('v.npy', randomMatrix(6, 4, 3));
const qkv = ['--q', q, '--k', k, '--v', v];
const notADir = file('a-file', 'x');
const folder = (name: string) => {
  const path = join(dir, name);
  mkdirSync(path, { recursive: true });
  return path;
};
const kernelFile = (name: string) => join(import.meta.dirname, '../examples/kernels', name);
const results = JSON.stringify({ config: { ns: [64], dk: 64, heads: 1, variants: ['naive'] }, rows: [{ n: 64, variant: 'naive' }] });

/** What `npm run attention --causal -- …` leaves in the environment: npm keeps --causal as a config of its own. */
const npmAteCausal = {
  npm_lifecycle_event: 'attention',
  npm_lifecycle_script: 'node --import tsx scripts/attention.ts',
  npm_config_causal: 'true',
};

interface Case {
  name: string;
  script: string;
  args: string[];
  message: RegExp;
  env?: NodeJS.ProcessEnv;
}

const cases: Case[] = [
  {
    name: 'a short flag',
    script: 'attention',
    args: ['-q', q, '--k', k, '--v', v],
    message: /short flags are not supported: -q \(did you mean --q\?\)/,
  },
  {
    name: 'a short flag with its value joined',
    script: 'bench',
    args: ['-n=64'],
    message: /short flags are not supported: -n=64 \(did you mean --n\?\)/,
  },
  {
    name: 'a flag given twice with different values',
    script: 'attention',
    args: [...qkv, '--q', k],
    message: /--q is given 2 times \(".*q\.npy", ".*k\.npy"\): give it once/,
  },
  {
    name: 'a negative number after a flag, with a space (read as its value, then checked)',
    script: 'attention',
    args: [...qkv, '--temperature', '-1'],
    message: /temperature must be a positive finite number, got -1/,
  },
  {
    name: 'a negative token count after a space',
    script: 'model',
    args: ['--text', 'the cat', '--generate', '-1'],
    message: /--generate must be a non-negative integer, got "-1"/,
  },
  {
    name: 'a flag npm kept for itself',
    script: 'attention',
    args: qkv,
    env: npmAteCausal,
    message: /npm took --causal for itself .*npm run attention -- --causal/,
  },
  {
    name: 'a hexadecimal head count',
    script: 'attention',
    args: [...qkv, '--heads', '0x2'],
    message: /--heads must be a positive integer, got "0x2"/,
  },
  {
    name: 'a binary temperature',
    script: 'attention',
    args: [...qkv, '--temperature', '0b1'],
    message: /--temperature must be a decimal number, got "0b1"/,
  },
  {
    name: 'an octal scale',
    script: 'attention',
    args: [...qkv, '--scale', '0o17'],
    message: /--scale must be a decimal number, got "0o17"/,
  },
  {
    name: 'Infinity as a scale',
    script: 'attention',
    args: [...qkv, '--scale', 'Infinity'],
    message: /--scale must be a decimal number, got "Infinity"/,
  },
  {
    name: 'a scale beyond float32',
    script: 'attention',
    args: [...qkv, '--scale', '1e39'],
    message: /scale 1e\+39 is too large for float32/,
  },
  {
    name: 'a temperature below float32',
    script: 'attention',
    args: [...qkv, '--temperature', '1e-46'],
    message: /temperature 1e-46 is too small for float32/,
  },
  {
    name: 'a softcap beyond float32',
    script: 'attention',
    args: [...qkv, '--softcap', '5e38'],
    message: /the logit softcap 5e\+38 is too large for float32/,
  },
  {
    name: 'a hexadecimal ALiBi slope',
    script: 'attention',
    args: [...qkv, '--alibi', '0x1'],
    message: /--alibi must be a comma-separated list of numbers, got "0x1"/,
  },
  {
    name: 'a verifier time limit of 0',
    script: 'verify',
    args: ['--time-limit', '0'],
    message: /--time-limit must be a positive integer, got "0"/,
  },
  { name: 'a hexadecimal seed', script: 'verify', args: ['--seed', '0x10'], message: /--seed must be a non-negative integer, got "0x10"/ },
  {
    name: 'a hexadecimal N',
    script: 'bench',
    args: ['--n', '0x40', '--node'],
    message: /--n takes positive integers separated by commas, got "0x40"/,
  },
  {
    name: 'an N whose inputs exceed memory',
    script: 'bench',
    args: ['--n', '100000000', '--node'],
    message: /Q, K and V need [\d.]+ GiB, more than a quarter of this machine's/,
  },
  {
    name: 'a max-minutes of 0',
    script: 'bench',
    args: ['--max-minutes', '0', '--node'],
    message: /--max-minutes must be a positive integer, got "0"/,
  },
  {
    name: 'a negative --warm-clock',
    script: 'bench',
    args: ['--warm-clock', '-5', '--node'],
    message: /--warm-clock must be a non-negative integer, got "-5"/,
  },
  {
    name: 'an --out under a file',
    script: 'bench',
    args: ['--n', '64', '--node', '--out', join(notADir, 'sub')],
    message: /--out: cannot write to .*a-file\/sub \(ENOTDIR\)/,
  },
  {
    name: 'a --dump folder under a file',
    script: 'model',
    args: ['--text', 'the cat', '--dump', join(notADir, 'dump')],
    message: /--dump: cannot write to .*a-file\/dump \(ENOTDIR\)/,
  },
  {
    name: 'an --out folder under a file, before any training',
    script: 'train-model',
    args: ['--quick', '--out', join(notADir, 'model')],
    message: /--out: cannot write to .*a-file\/model \(ENOTDIR\)/,
  },
  {
    name: 'a missing --replot file',
    script: 'bench',
    args: ['--replot', join(dir, 'missing.json')],
    message: /--replot: cannot read .*missing\.json \(ENOENT\)/,
  },
  {
    name: '--replot of text that is not JSON',
    script: 'bench',
    args: ['--replot', file('text.json', 'N=64 took 3 ms')],
    message: /--replot: .*text\.json is not JSON/,
  },
  {
    name: '--replot of null',
    script: 'bench',
    args: ['--replot', file('null.json', 'null')],
    message: /is not the results\.json or card that npm run bench writes: results: expected an object, got null/,
  },
  {
    name: '--replot of an array',
    script: 'bench',
    args: ['--replot', file('array.json', '[1, 2]')],
    message: /results: expected an object, got an array/,
  },
  {
    name: '--replot of other JSON',
    script: 'bench',
    args: ['--replot', file('other.json', '{"a": 1}')],
    message: /results\.config: expected an object, got nothing \(missing\)/,
  },
  {
    name: '--replot of a result with a broken row',
    script: 'bench',
    args: ['--replot', file('row.json', results)],
    message: /results\.rows\[0\]\.wallMs: expected an object/,
  },
  {
    name: 'a kernel for a stage the variant does not run (it would be ignored and the run pass)',
    script: 'attention',
    args: [...qkv, '--variant', 'fused', '--kernel', `qk=${kernelFile('qk_missing_scale.wgsl')}`],
    message: /--kernel qk: the fused variant does not run that stage here \(it runs fused, combine\), so the kernel would be ignored/,
  },
  {
    name: 'a W_o kernel without --wo',
    script: 'attention',
    args: [...qkv, '--kernel', `project=${kernelFile('qk_missing_scale.wgsl')}`],
    message: /--kernel project: the tiled variant does not run that stage here \(it runs qk, softmax, pv\)/,
  },
  {
    name: 'a model run with a kernel for a stage its variant does not run',
    script: 'model',
    args: ['--text', 'the cat', '--variant', 'fused', '--kernel', `pv=${kernelFile('qk_missing_scale.wgsl')}`],
    message: /--kernel pv: the fused variant does not run that stage here \(it runs fused, combine, rope\)/,
  },
  {
    name: 'a combine kernel where the keys may not be split (it would never run)',
    script: 'attention',
    args: [...qkv, '--variant', 'fused', '--kernel', `combine=${kernelFile('qk_missing_scale.wgsl')}`],
    message: /--kernel combine runs only when the keys are split: add --key-splits N \(N ≥ 2\)/,
  },
  {
    // Past the bound the fused grid would near the device's workgroup limit: refused before any GPU work.
    name: '--key-splits past the most a run may force',
    script: 'attention',
    args: [...qkv, '--variant', 'fused', '--key-splits', '4097'],
    message: /--key-splits must be an integer from 1 to 4096, got "4097"/,
  },
  {
    name: 'two kernels for one stage',
    script: 'attention',
    args: [...qkv, '--kernel', `qk=${kernelFile('qk_missing_scale.wgsl')}`, '--kernel', `qk=${kernelFile('qk_missing_scale.wgsl')}`],
    message: /--kernel qk is given 2 times: give one file a stage/,
  },
  {
    // The file is read whole (the first "=" ends the stage): the stage check that follows is what refuses.
    name: 'a kernel file whose name holds "="',
    script: 'attention',
    args: [...qkv, '--variant', 'fused', '--kernel', `qk=${file('my=qk.wgsl', 'fn main() {}')}`],
    message: /--kernel qk: the fused variant does not run that stage/,
  },
  {
    name: 'an --out that is a folder, refused before the run',
    script: 'attention',
    args: [...qkv, '--out', folder('out.npy')],
    message: /--out: .* is a folder; give a file name/,
  },
  {
    // Not "unknown file type": the folder is what is wrong with it.
    name: 'an --out that is a folder without an extension',
    script: 'attention',
    args: [...qkv, '--out', folder('outdir')],
    message: /--out: .*outdir is a folder; give a file name/,
  },
  {
    name: 'a --card that is a folder, refused before the sweep',
    script: 'bench',
    args: ['--n', '64', '--node', '--card', dir],
    message: /--card: .* is a folder; give a file name/,
  },
  {
    name: 'f16 storage with RoPE, refused before the sweep',
    script: 'bench',
    args: ['--n', '64', '--node', '--variants', 'fused,fused-f16', '--rope'],
    message: /fused-f16 cannot run with RoPE on: f16 storage reads Q and K as halves, and the RoPE stage writes float32 ones/,
  },
];

// Linux only (CI is Linux): a folder under /proc, where Node's own recursive mkdir never returns.
if (existsSync('/proc/self'))
  cases.push({
    name: "an --out under /proc (where Node's own recursive mkdir never returns)",
    script: 'bench',
    args: ['--n', '64', '--node', '--out', '/proc/attn-playground-bench/out'],
    message: /--out: cannot write to \/proc\/attn-playground-bench\/out \(ENOENT\)/,
  });

describe('the terminal commands refuse malformed input with exit 2 and a message that names it', () => {
  it.each(cases)('$script: $name', async ({ script, args, message, env }) => {
    const r = await runScript(`scripts/${script}.ts`, args, { npm_lifecycle_event: '', ...env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    // A message, not a crash: no stack frames.
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('a refused command leaves no folder behind: an output folder is made when it is written', () => {
  it.each([
    {
      name: 'an --out file in missing folders',
      script: 'attention',
      args: (missing: string) => [...qkv, '--out', join(missing, 'deeper', 'o.csv'), '--kernel', 'qk'],
      message: /--kernel must be STAGE=FILE\.wgsl/,
    },
    {
      name: 'a missing --out folder',
      script: 'bench',
      args: (missing: string) => ['--n', '100000000', '--node', '--out', join(missing, 'deeper')],
      message: /more than a quarter of this machine's/,
    },
    {
      name: 'a --card file in missing folders',
      script: 'bench',
      args: (missing: string) => ['--n', '100000000', '--node', '--out', dir, '--card', join(missing, 'deeper', 'card.json')],
      message: /more than a quarter of this machine's/,
    },
  ])('$script: $name', async ({ script, args, message }) => {
    const missing = join(mkdtempSync(join(dir, 'fresh-')), 'missing');
    const r = await runScript(`scripts/${script}.ts`, args(missing), { npm_lifecycle_event: '' });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(missing)).toBe(false);
  });
});

describe.skipIf(!gpu)('inputs the commands must meet on the device', () => {
  it('npm run verify refuses an empty kernel file: no entry point (exit 2)', async () => {
    const r = await runScript('scripts/verify.ts', ['--stage', 'qk', file('empty.wgsl', '')]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toMatch(/there is no @compute fn main\(\)/);
  });

  it('npm run bench refuses a sweep whose arithmetic alone outlasts --max-minutes at the measured peak', async () => {
    const r = await runScript('scripts/bench.ts', ['--n', '16384', '--node', '--no-plot', '--max-minutes', '1', '--out', join(dir, 'b')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /the sweep needs at least [\d.e+]+ floating-point operations .* measured peak of [\d.]+ GFLOP\/s that is at least .* more than --max-minutes 1/,
    );
  });

  // h·n·m = 1500² scores is past the full-reference limit: blocks of rows on the GPU, sampled rows on the CPU.
  const big = [
    '--q',
    file('qb.npy', randomMatrix(1500, 2, 4)),
    '--k',
    file('kb.npy', randomMatrix(1500, 2, 5)),
    '--v',
    file('vb.npy', randomMatrix(1500, 2, 6)),
  ];

  it('npm run attention checks a problem too big for the full reference on sampled rows, with progress', async () => {
    const r = await runScript('scripts/attention.ts', [...big, '--causal', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.pass).toBe(true);
    expect(report.sampledRows).toHaveLength(256);
    expect(report.stages.scores).toBeNull();
    expect(report.stages.output.count).toBe(256 * 2);
    expect(r.stderr).toMatch(/checking 256 sampled rows against the float64 reference/);
    expect(r.stderr).toMatch(/rows 1500 of 1500 on the GPU/);
  });

  it('npm run attention gives up on a kernel of yours that never finishes: named, exit 1, the GPU left to it', async () => {
    const builtIn = readFileSync(join(import.meta.dirname, '../shaders/qk_scores.wgsl'), 'utf8');
    const spin = 'let head = wid.z;\n  var spin = 0u;\n  loop { spin += 1u; if (spin == 0u) { break; } }\n  if (spin == 7u) { return; }';
    expect(builtIn).toContain('let head = wid.z;');
    const kernel = file('spin_qk.wgsl', builtIn.replace('let head = wid.z;', spin));
    const r = await runScript('scripts/attention.ts', [...qkv, '--kernel', `qk=${kernel}`]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/the run with your kernel \(qk\) did not finish within \d+ s, the limit for this problem's work/);
  });

  it('and the sampled check still catches a broken kernel (exit 1)', async () => {
    const kernel = join(import.meta.dirname, '../examples/kernels/qk_causal_off_by_one.wgsl');
    const r = await runScript('scripts/attention.ts', [...big, '--causal', '--kernel', `qk=${kernel}`]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/output \(256 sampled rows\) FAIL/);
    expect(r.stdout).toMatch(/GPU and CPU DISAGREE/);
  });
});
