/** `npm run verify` end to end: the real script in a child process, its output and exit code. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runScript } from './helpers/cli';
import { acquireTestDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
gpu?.device.destroy(); // only asked whether an adapter exists; the children bring their own

const verify = (...args: string[]) => runScript('scripts/verify.ts', args);
const attention = (...args: string[]) => runScript('scripts/attention.ts', args);

/** The words of a printed shell command (single quotes only, as the verifier writes them). */
const words = (command: string) => [...command.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g)].map((m) => m[1]?.replaceAll("'\\''", "'") ?? m[2]);

const scratch = mkdtempSync(join(tmpdir(), 'attn-verify-'));
const shader = (file: string) => readFileSync(join(ROOT, 'shaders', file), 'utf8');
const describeGpu = describe.skipIf(!gpu);

describeGpu('npm run verify', () => {
  it('exits 1 for a broken example and prints the table with its hint', async () => {
    const { code, stdout } = await verify('--stage', 'softmax', 'examples/kernels/softmax_masked_row_nan.wgsl');
    expect(code, stdout).toBe(1);
    expect(stdout).toMatch(/^case\s+max abs\s+max rel\s+max ULP\s+result\s+first bad element\s+hint$/m);
    expect(stdout).toMatch(/^fully masked row n=m=16 \(row 8\)\s+.*FAIL\s+probs\[h0,8,0\] expected 0 got NaN/m);
    expect(stdout).toMatch(/hint: NaN in a fully masked row → division by a zero sum/);
  });

  it('still prints the verdicts when the --repro folder cannot be written, and says why', async () => {
    const notADir = join(scratch, 'a-file');
    writeFileSync(notADir, 'x');
    const { code, stdout, stderr } = await verify(
      '--stage',
      'softmax',
      'examples/kernels/softmax_masked_row_nan.wgsl',
      '--repro',
      join(notADir, 'repro'),
    );
    expect(code, stdout + stderr).toBe(1);
    expect(stdout).toMatch(/^fully masked row n=m=16 \(row 8\)\s+.*FAIL/m);
    expect(stderr).toMatch(/^error: --repro: cannot write to .*a-file\/repro \(ENOTDIR\)$/m);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('shows the smallest failing case first, then the table, hints, coverage and a repro command that fails', async () => {
    const dir = join(scratch, 'repro masked');
    const { code, stdout } = await verify('--stage', 'softmax', 'examples/kernels/softmax_masked_row_nan.wgsl', '--repro', dir);
    expect(code, stdout).toBe(1);
    const lines = stdout.split('\n');
    expect(lines[1]).toMatch(/^smallest failing case: n=\d+ m=\d+ dk=1 dv=1 heads=1/);
    expect(lines[2]).toMatch(/FAIL at probs\[h0,\d+,0\]: GPU NaN, reference 0/);
    expect(stdout).toMatch(/shrunk from "[^"]+" in \d+ runs: /);
    const order = ['smallest failing case:', 'case ', 'hint:', 'coverage:', 'reproduce:'].map((s) => stdout.indexOf(s));
    expect(
      order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1])),
      stdout,
    ).toBe(true);
    expect(stdout).toMatch(/^ {2}\d+ cases; sizes run: n 1, /m);
    for (const f of ['q', 'k', 'v']) expect(existsSync(join(dir, `${f}.npy`)), f).toBe(true);
    const command = stdout.split('reproduce:\n')[1].split('\n')[0].trim();
    expect(command).toContain('--kernel softmax=examples/kernels/softmax_masked_row_nan.wgsl');
    const [npm, run, script, dashes, ...args] = words(command);
    expect([npm, run, script, dashes]).toEqual(['npm', 'run', 'attention', '--']);
    const rerun = await attention(...args);
    expect(rerun.code, rerun.stdout + rerun.stderr).toBe(1);
    expect(rerun.stdout).toContain('GPU and CPU DISAGREE');
  });

  it('verifies a rope kernel (--stage rope FILE): the RoPE hint, and a repro command with the RoPE flags that fails too', async () => {
    const dir = join(scratch, 'repro-rope');
    const { code, stdout } = await verify('--stage', 'rope', 'examples/kernels/rope_layout_ignored.wgsl', '--repro', dir);
    expect(code, stdout).toBe(1);
    expect(stdout).toMatch(/^hint: fails only with the half pair layout → pairs \(p, p \+ r\/2\)$/m);
    expect(stdout).toMatch(/^ {2}features covered \(cases\): rope \(RoPE\) \d+, kvHeads \(grouped-query heads\) \d+$/m);
    expect(stdout).toMatch(/^smallest failing case: n=\d+ m=\d+ dk=\d+ dv=1 heads=1, rope=\{"layout":"half"/m);
    const command = stdout.split('reproduce:\n')[1].split('\n')[0].trim();
    expect(command).toMatch(/ --rope half( |$)/);
    expect(command).toContain('--kernel rope=examples/kernels/rope_layout_ignored.wgsl');
    // The attention command runs the same case once it has the feature flags (scripts/lib/feature-flags.ts).
    if ((await attention('--help')).stdout.includes('--rope')) {
      const [, , , , ...args] = words(command);
      const rerun = await attention(...args);
      expect(rerun.code, rerun.stdout + rerun.stderr).toBe(1);
    }
  });

  it('prints one JSON object with --json', async () => {
    const { code, stdout } = await verify(
      '--stage',
      'qk',
      'examples/kernels/qk_missing_scale.wgsl',
      '--json',
      '--repro',
      join(scratch, 'repro-json'),
    );
    expect(code).toBe(1);
    const result = JSON.parse(stdout);
    expect(result.pass).toBe(false);
    expect(result.reports[0]).toMatchObject({ stage: 'qk', status: 'fail', label: 'examples/kernels/qk_missing_scale.wgsl' });
    expect(result.reports[0].hints[0].id).toBe('scale');
    const { smallest, coverage, repro } = result.reports[0];
    expect(smallest.row).toMatchObject({ status: 'fail', tensor: 'scores' });
    expect(smallest.row.firstBad).toMatchObject({ position: [0, 0, 0] });
    expect(smallest.row.case).toMatchObject({ n: 1, m: 1, heads: 1 });
    expect(coverage.cases).toBe(result.reports[0].cases.length);
    expect(coverage.axes.n).toContain(1);
    expect(repro).toMatchObject({ dir: join(scratch, 'repro-json'), unsupported: [], reproduces: true });
    expect(repro.command).toMatch(
      /^npm run attention -- --q \S+\/q\.npy .* --kernel qk=examples\/kernels\/qk_missing_scale\.wgsl --poison$/,
    );
  });

  it('exits 2 with file:line:col for a kernel that does not compile', async () => {
    const source = shader('weighted_values.wgsl').replace('let width = params.heads * params.dv;', 'let width = params.heads * params.dv');
    const file = join(scratch, 'syntax.wgsl');
    writeFileSync(file, source);
    const line = source.split('\n').findIndex((l) => l.includes('let width = params.heads * params.dv')) + 1;
    const { code, stderr } = await verify('--stage', 'pv', file);
    expect(code, stderr).toBe(2);
    const match = stderr.match(new RegExp(`${file.replaceAll('.', '\\.')}:(\\d+):(\\d+) \\S`));
    expect(match, stderr).not.toBeNull();
    expect(Number(match![1])).toBeGreaterThanOrEqual(line);
    expect(Number(match![1])).toBeLessThanOrEqual(line + 1);
  });

  it('exits 2 and explains a kernel that does not fit the interface', async () => {
    const file = join(scratch, 'wrong-entry.wgsl');
    writeFileSync(file, shader('softmax_rows.wgsl').replace('fn main(', 'fn softmax('));
    const { code, stderr } = await verify('--stage', 'softmax', file);
    expect(code).toBe(2);
    expect(stderr).toMatch(/no @compute fn main\(\) \(found softmax\)/);
  });

  it('stops a kernel that never finishes at the time limit and exits 1', async () => {
    const file = join(scratch, 'hang.wgsl');
    const hang = shader('softmax_rows_naive.wgsl').replace(
      'for (var j = 0u; j < params.m; j++) {',
      'for (var j = 0u; j < params.m; j += 0u) {',
    );
    expect(hang, 'the edit makes the loop endless').not.toBe(shader('softmax_rows_naive.wgsl'));
    writeFileSync(file, hang);
    // The loop never ends, so only the limit can stop it: exit 1 and the timeout hint prove it fired.
    const { code, stdout } = await verify('--stage', 'softmax', file, '--time-limit', '1500');
    expect(code, stdout).toBe(1);
    expect(stdout).toMatch(/TIMEOUT: (the 1 case|all \d+ cases|\d+ of \d+ cases?) failed \(stopped after/);
    expect(stdout).toMatch(/timed out — infinite loop or a very slow kernel\?/);
    // The interpreter, which would spin in the same loop, gets the case time limit, not its own
    // minute, and says so; or, on a fast machine, its invocation runs out of steps first and the
    // endless loop is named (both stop it: which comes first depends on the machine's speed).
    const stoppedInTime =
      /not checked: interpreter race check — could not finish \(stopped after 1500 ms; it was given only the case time limit, as the kernel had already timed out on the GPU\)/;
    const outOfSteps = /never finished on the interpreter's small problem at line \d+ → an endless loop\?/;
    expect(stoppedInTime.test(stdout) || outOfSteps.test(stdout), stdout).toBe(true);
  });

  // Every stage of every variant, the fused kernel's pipelines (a few head-width buckets, both
  // workgroup shapes) and the combine's split cases included: minutes on a loaded CPU emulator.
  it('verifies every built-in kernel when given no stage and no file, and exits 0', { timeout: 400_000 }, async () => {
    const { code, stdout, stderr } = await verify();
    expect(code, stdout + stderr).toBe(0);
    for (const label of [
      'naive qk',
      'naive qk (general)',
      'naive qk (additive)',
      'tiled qk (general)',
      'tiled qk (additive)',
      'naive softmax',
      'naive pv',
      'tiled rope',
      'tiled qk',
      'tiled softmax',
      'tiled pv',
      'fused',
      'fused combine',
    ])
      expect(stdout).toContain(`built-in ${label}`);
    expect(stdout).toMatch(/^all \d+ kernels pass/m);
  });

  it('exits 2 on bad arguments', async () => {
    const { code, stderr } = await verify('examples/kernels/qk_missing_scale.wgsl');
    expect(code).toBe(2);
    expect(stderr).toMatch(/--stage is required with a kernel file/);
  });
});
