/**
 * `npm run bench` on Node's WebGPU, as a user runs it. Only the shape of the output is checked:
 * timings are what the benchmark reports, never a pass/fail.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCard } from '../src/core/bench-card';
import type { ProfileResult } from '../src/core/profile-report';
import { decodeTable, reportTable } from '../src/core/profile-report';
import { sha256Hex } from '../src/core/sha256';
import { VARIANT_NAMES } from '../src/gpu/variants';
import { runScript } from './helpers/cli';
import { acquireTestDevice, IN_CI } from './helpers/gpu';

const gpu = await acquireTestDevice();
const bench = (...args: string[]) => runScript('scripts/bench.ts', args);

describe.skipIf(!gpu)('npm run bench -- --node', () => {
  it('prints parseable JSON with every figure, and writes results.json', async () => {
    // --out keeps the test away from the repository's bench/; --no-plot keeps Chromium out of a unit test.
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-cli-'));
    const { code, stdout, stderr } = await bench(
      '--node',
      '--n',
      '16,32',
      '--dk',
      '8',
      '--repeats',
      '2',
      '--json',
      '--out',
      out,
      '--no-plot',
    );
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as ProfileResult;
    expect(result.config).toMatchObject({ ns: [16, 32], dk: 8, dv: 8, heads: 1, causal: false, repeats: 2 });
    expect(result.config.variants).toEqual(VARIANT_NAMES);
    expect(result.adapter?.description ?? result.adapter?.vendor).toBeDefined();
    expect(result.roofline?.gbps).toBeGreaterThan(0);
    expect(result.roofline?.gflops).toBeGreaterThan(0);
    expect(result.rows).toHaveLength(2 * VARIANT_NAMES.length);
    for (const row of result.rows) {
      expect(row).toMatchObject({ error: null, check: { pass: true } });
      expect(Object.keys(row)).toEqual(
        expect.arrayContaining([
          'n',
          'variant',
          'stages',
          'gpuMs',
          'wallMs',
          'flops',
          'bytes',
          'gflops',
          'gbps',
          'rooflinePct',
          'allocatedBytes',
          'check',
        ]),
      );
      expect(row.wallMs.median).toBeGreaterThan(0);
    }
    expect(result.fits.length).toBeGreaterThan(0);
    expect(result.cpu.map((c) => c.n)).toEqual([16, 32]);
    const written = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(written.command).toMatch(/^npm run bench -- --node/);
    expect(written.rows).toHaveLength(result.rows.length);
    expect(existsSync(join(out, 'scaling.png'))).toBe(false);
    // On a CPU emulator the notes say that Dawn's polling takes a core from it; on a GPU they do not.
    const polling = /Dawn polls for it from the main thread and keeps one CPU core busy/;
    if (result.adapter?.isSoftware) expect(result.notes[0]).toMatch(polling);
    else expect(result.notes.join(' ')).not.toMatch(polling);
  });

  it('profiles fused-f16 (f16 storage) beside fused: checked against the f16 bound, half the Q/K/V bytes, named in the notes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-f16-'));
    const args = ['--node', '--n', '16', '--dk', '8', '--heads', '2', '--variants', 'fused,fused-f16', '--repeats', '1', '--warmup', '1'];
    const { code, stdout, stderr } = await bench(...args, '--json', '--out', out, '--no-plot');
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as ProfileResult;
    const [fused, half] = ['fused', 'fused-f16'].map((v) => result.rows.find((r) => r.variant === v)!);
    expect(half).toMatchObject({ error: null, check: { pass: true } });
    // Q, K, V as halves, the output as float32: (q + k + v)/2 + o instead of q + k + v + o.
    const n = 16,
      width = 2 * 8;
    expect(fused.bytes.total - half.bytes.total).toBe(((3 * n * width) / 2) * 4);
    expect(result.notes.join('\n')).toMatch(/fused-f16: the fused kernel with f16 storage/);
    const rope = await bench(
      '--node',
      '--n',
      '16',
      '--dk',
      '8',
      '--variants',
      'fused-f16',
      '--rope',
      '--repeats',
      '1',
      '--json',
      '--out',
      out,
      '--no-plot',
    );
    // Refused before the sweep (nothing measured), as tfjs with a feature is.
    expect(rope.code).toBe(2);
    expect(rope.stderr).toMatch(/fused-f16 cannot run with RoPE on/);
  });

  it('prints the table by default', async () => {
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-cli-'));
    const { code, stdout, stderr } = await bench(
      '--node',
      '--n',
      '16',
      '--dk',
      '4',
      '--variants',
      'naive',
      '--repeats',
      '1',
      '--warmup',
      '0',
      '--out',
      out,
      '--no-plot',
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^N\s+variant\s+qk ms\s+softmax ms\s+pv ms/m);
    expect(stdout).toMatch(/roofline \((timestamp|wall)\): copy [\d.]+ GB\/s, FMA [\d.]+ GFLOP\/s/);
    expect(stdout).toMatch(/fitted exponent/);
  });
});

describe.skipIf(!gpu)('npm run bench: decode rows, the span, paired ratios and the card', () => {
  it("runs the tfjs peer on Node's WebGPU with --node: checked, timed by tf.profile, named in the notes", async () => {
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-tfjs-'));
    const args = '--node --n 32 --dk 8 --heads 2 --causal --variants naive,tfjs --repeats 2 --warmup 1 --json';
    const { code, stdout, stderr } = await bench(...args.split(' '), '--out', out, '--no-plot');
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as ProfileResult;
    const tfjs = result.rows.find((r) => r.variant === 'tfjs')!;
    expect(tfjs).toMatchObject({ source: 'peer', error: null, check: { pass: true } });
    expect(tfjs.timing).toBe(gpu!.device.features.has('timestamp-query') ? 'timestamp' : 'wall');
    expect(Object.keys(tfjs.stages)).toEqual(expect.arrayContaining(['qk', 'softmax', 'pv']));
    expect(result.notes.join('\n')).toMatch(
      /Peer: TensorFlow\.js 4\.\d+\.\d+ on backend "webgpu", WEBGPU_CPU_FORWARD=false on Node's WebGPU/,
    );
    // The paired ratio against naive is there, as in the browser.
    expect(reportTable(result).find((r) => r.variant === 'tfjs')!['× naive']).toBeGreaterThan(0);
  });

  it('fused-Nsplits forces N key splits: each decode row records its split count, is checked, and is named in the notes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-splits-'));
    const variants = 'fused,fused-1split,fused-4splits,fused-4splits-nosubgroups,fused-nosubgroups';
    const args = `--node --n 16 --dk 4 --variants ${variants} --repeats 1 --warmup 0 --decode 512 --baseline fused-nosubgroups --json`;
    const { code, stdout, stderr } = await bench(...args.split(' '), '--out', out, '--no-plot');
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as ProfileResult;
    const decode = result.rows.filter((r) => r.decode);
    expect(decode.map((r) => `${r.variant} ${r.keySplits}`)).toEqual([
      `fused ${decode[0].keySplits}`,
      'fused-1split 1',
      'fused-4splits 4',
      'fused-4splits-nosubgroups 4',
      `fused-nosubgroups ${decode[0].keySplits}`,
    ]);
    for (const r of decode) expect(r, r.variant).toMatchObject({ error: null, check: { pass: true } });
    expect(result.notes.join('\n')).toMatch(/fused-4splits: the fused kernel with 4 key splits forced/);
    expect(result.notes.join('\n')).toMatch(
      /fused-4splits-nosubgroups: the fused kernel with 4 key splits forced, .*without its subgroup form/,
    );
    expect(decodeTable(result).map((r) => r['splits'])).toEqual(decode.map((r) => r.keySplits));
    // The subgroup form where the device has it; the -nosubgroups variants never.
    const withSubgroups = gpu!.device.features.has('subgroups');
    expect(decode.map((r) => r.subgroups)).toEqual([withSubgroups, withSubgroups, withSubgroups, false, false]);
    expect(decodeTable(result).map((r) => r['subgroups'])).toEqual(
      decode.map((r) => (r.subgroups ? (r.lanes ? `yes, ${r.lanes}` : 'yes') : 'no')),
    );
    // --baseline: every row's paired ratio to fused-nosubgroups (its own row says "baseline").
    expect(result.config.baselines).toEqual(['fused-nosubgroups']);
    const ratios = decodeTable(result).map((r) => r['× fused-nosubgroups']);
    expect(ratios.slice(0, 4).every((x) => typeof x === 'number' && x > 0)).toBe(true);
    expect(ratios[4]).toBe('baseline');
  });

  it('adds n = 1 rows against each m, times by the span, and writes a card that validates', async () => {
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-cli-'));
    const card = join(out, 'sub', 'my-card.json');
    const { code, stdout, stderr } = await bench(
      '--node',
      '--n',
      '16,32,48',
      '--dk',
      '4',
      '--variants',
      'naive,fused',
      '--repeats',
      '2',
      '--warmup',
      '0',
      '--decode',
      '64,128',
      '--card',
      card,
      '--out',
      out,
      '--no-plot',
    );
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^adapter: .+/m);
    if (/swiftshader/i.test(stdout)) expect(stdout).toMatch(/SwiftShader, CPU emulation/);
    expect(stdout).toMatch(/roofline \((timestamp|wall)\): copy [\d.]+ GB\/s, FMA [\d.]+ GFLOP\/s, workgroup memory [\d.]+ GB\/s/);
    expect(stdout).toMatch(/sized for ≥ 10 ms a pass: copy \d+ MiB × \d+, FMA \d+ workgroups × \d+ iterations/);
    expect(stdout).toMatch(/^decode \(n = 1 query against m keys/m);
    expect(stdout).toMatch(/^m\s+variant\s+.*K\+V GB\/s\s+% copy BW/m);
    expect(stdout).toMatch(/fit t = a \+ b·N\^p over the whole sweep:\n {2}naive: t ≈ /);
    expect(stdout).toMatch(/× naive p10–p90/);
    expect(stdout).toContain(`wrote ${join(out, 'results.json')}, ${card}`);

    const result = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ProfileResult;
    const decode = result.rows.filter((r) => r.decode);
    expect(decode.map((r) => `${r.n}×${r.m} ${r.variant}`)).toEqual(['1×64 naive', '1×64 fused', '1×128 naive', '1×128 fused']);
    for (const r of decode) {
      expect(r, `${r.m} ${r.variant}`).toMatchObject({ error: null, check: { pass: true } });
      expect(r.kvGbps).toBeGreaterThan(0);
      expect(r.kvBandwidthPct).toBeGreaterThan(0);
      // Decode FLOPs: one query against every key.
      expect(r.flops.qk).toBe(2 * r.m! * 4);
    }
    const sweep = result.rows.filter((r) => !r.decode);
    expect(sweep.map((r) => r.n)).toEqual([16, 16, 32, 32, 48, 48]);
    expect(result.cpu.map((c) => c.n)).toEqual([16, 32, 48]);
    for (const r of result.rows) {
      expect(['memory', 'fma', 'workgroup']).toContain(r.roof);
      if (r.spanMs) {
        // The span holds every pass of a block and the gaps between them: never shorter than their sum.
        r.spanMs.samples.forEach((span, i) => expect(span).toBeGreaterThanOrEqual(r.gpuMs!.samples[i] - 1e-6));
        expect(r.gflops).toBeCloseTo(r.flops.total / (r.spanMs.median * 1e6), 6);
      }
    }
    expect(result.models?.map((m) => m.variant)).toEqual(['naive', 'fused']);
    expect(result.roofline?.workgroupGbps).toBeGreaterThan(0);

    const written = parseCard(readFileSync(card, 'utf8'));
    expect(written.source).toMatch(/^npm run bench -- --node/);
    expect(written.result.rows).toHaveLength(result.rows.length);
    expect(written.limits.maxComputeWorkgroupSizeX).toBeGreaterThan(0);
    expect(written.shaders['flash_attention.wgsl']).toBe(await sha256Hex(readFileSync('shaders/flash_attention.wgsl', 'utf8')));
    expect(Object.keys(written.shaders)).toEqual(
      expect.arrayContaining(['qk_scores_naive.wgsl', 'roofline/copy_bandwidth.wgsl', 'roofline/workgroup_bandwidth.wgsl']),
    );
    expect(Object.keys(written.shaders)).not.toContain('qk_scores.wgsl');
    // The fused rows ran its subgroup form where the device has one: that block is hashed too.
    const subgroups = result.rows.some((r) => r.subgroups === true);
    expect(written.shaders['subgroups/fused.wgsl'] !== undefined).toBe(subgroups);
    if (IN_CI) expect(subgroups).toBe(true);

    // --replot draws a card's results too (in Chromium, when there is one).
    if (existsSync(process.env.PUPPETEER_EXECUTABLE_PATH || '/usr/bin/chromium')) {
      const plots = join(out, 'plots');
      const again = await bench('--replot', card, '--out', plots, '--fit-from', '32');
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/^adapter: /m);
      expect(existsSync(join(plots, 'scaling.png'))).toBe(true);
      expect(existsSync(join(plots, 'gflops.png'))).toBe(true);
    }
  });

  it('refuses a malformed card given to --replot, naming the field (exit 2)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-cli-'));
    const bad = join(out, 'bad.json');
    writeFileSync(bad, '{"format":"attention-playground/bench-card","version":1}');
    const { code, stderr } = await bench('--replot', bad, '--out', out);
    expect(code).toBe(2);
    expect(stderr).toMatch(/card\.createdAt: expected a string/);
  });
});

describe.skipIf(!gpu)('npm run bench -- --kernel', () => {
  it('times a kernel that passes the verifier as custom:<file>, checked like the built-ins', async () => {
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-cli-'));
    const file = join(out, 'my_softmax.wgsl');
    writeFileSync(file, readFileSync('shaders/softmax_rows.wgsl', 'utf8'));
    const { code, stdout, stderr } = await bench(
      '--node',
      '--n',
      '16',
      '--dk',
      '4',
      '--variants',
      'tiled',
      '--repeats',
      '1',
      '--warmup',
      '0',
      '--kernel',
      `softmax=${file}`,
      '--baseline',
      'custom:my_softmax.wgsl',
      '--card',
      '--json',
      '--out',
      out,
      '--no-plot',
    );
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/verdict: PASS/);
    const result = JSON.parse(stdout) as ProfileResult;
    expect(result.config.variants).toEqual(['tiled', 'custom:my_softmax.wgsl']);
    const mine = result.rows.find((r) => r.variant === 'custom:my_softmax.wgsl')!;
    expect(mine).toMatchObject({ error: null, check: { pass: true } });
    expect(Object.keys(mine.stages).sort()).toEqual(Object.keys(result.rows[0].stages).sort());
    expect(result.notes.join(' ')).toMatch(/your softmax kernel .*my_softmax\.wgsl on the tiled variant/);
    // --baseline may name your kernel: the built-in's paired ratio to it.
    expect(result.config.baselines).toEqual(['custom:my_softmax.wgsl']);
    expect(reportTable(result)[0]['× custom:my_softmax.wgsl']).toBeGreaterThan(0);
    const card = parseCard(readFileSync(join(out, 'card.json'), 'utf8'));
    expect(card.shaders['custom:my_softmax.wgsl/softmax']).toBe(await sha256Hex(readFileSync(file, 'utf8')));
  });

  it('times a combine kernel with the keys split, so that it runs (the run’s own choice may be one split)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-cli-'));
    const file = join(out, 'my_combine.wgsl');
    writeFileSync(file, readFileSync('shaders/flash_combine.wgsl', 'utf8'));
    const args = ['--node', '--n', '16', '--dk', '4', '--variants', 'fused', '--repeats', '1', '--warmup', '0'];
    const { code, stdout, stderr } = await bench(...args, '--kernel', `combine=${file}`, '--json', '--out', out, '--no-plot');
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout) as ProfileResult;
    const mine = result.rows.find((r) => r.variant === 'custom:my_combine.wgsl')!;
    expect(mine).toMatchObject({ error: null, check: { pass: true }, keySplits: 4 });
    expect(result.notes.join(' ')).toMatch(/with 4 key splits forced so that the combine stage runs/);
  });

  it.each([
    {
      file: 'examples/kernels/softmax_no_max_subtraction.wgsl',
      stage: 'softmax',
      why: /FAIL: (the 1 case|all \d+ cases|\d+ of \d+ cases?) failed/,
    },
  ])(
    'does not time $file ($stage), says why with the verdict, still times the built-ins and exits 1',
    async ({ file: path, stage, why }) => {
      const out = mkdtempSync(join(tmpdir(), 'attn-bench-cli-'));
      const { code, stdout, stderr } = await bench(
        '--node',
        '--n',
        '16',
        '--dk',
        '4',
        '--variants',
        'tiled',
        '--repeats',
        '1',
        '--kernel',
        `${stage}=${path}`,
        '--baseline',
        `custom:${basename(path)}`,
        '--out',
        out,
        '--no-plot',
      );
      expect(code).toBe(1);
      expect(stderr).toMatch(/not timed — the \w+ kernel did not pass the verifier/);
      expect(stderr).toMatch(/verdict: /);
      expect(stderr).toMatch(why);
      // The built-in variant is still timed and checked; the rejected kernel has no row, and the notes say why.
      const result = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ProfileResult;
      expect(result.rows.map((r) => r.variant)).toEqual(['tiled']);
      expect(result.rows[0]).toMatchObject({ error: null, check: { pass: true } });
      // Not timed, so not a baseline either.
      expect(result.config.baselines).toEqual([]);
      expect(result.notes.join(' ')).toMatch(/not timed — the \w+ kernel did not pass the verifier/);
      expect(stdout).toMatch(/^N\s+variant/m);
    },
  );

  it('stops before the roofline on a kernel that does not compile: exit 2, the compiler’s file:line:col, nothing written', async () => {
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-cli-'));
    const good = join(out, 'good_softmax.wgsl');
    writeFileSync(good, readFileSync('shaders/softmax_rows.wgsl', 'utf8'));
    const broken = join(out, 'broken.wgsl');
    writeFileSync(broken, '@compute @workgroup_size(8)\nfn main() {\n  let x: f32 = ;\n}\n');
    const args = ['--node', '--n', '16', '--dk', '4', '--variants', 'tiled', '--repeats', '1', '--warmup', '0'];
    // The kernel that compiles comes first: it is not verified at length before the broken one is named.
    const kernels = ['--kernel', `softmax=${good}`, '--kernel', `qk=${broken}`];
    const { code, stdout, stderr } = await bench(...args, ...kernels, '--card', '--out', out, '--no-plot');
    expect(code, stderr).toBe(2);
    expect(stderr).toMatch(/broken\.wgsl: the qk kernel does not compile/);
    expect(stderr).toContain(`${broken}:3:`);
    expect(stderr).toMatch(/nothing was timed or written/);
    expect(stderr).not.toMatch(/verifying|measuring the roofline|verdict/);
    expect(stdout).toBe('');
    expect(existsSync(join(out, 'results.json'))).toBe(false);
    expect(existsSync(join(out, 'card.json'))).toBe(false);
  });
});

describe.skipIf(!gpu)('npm run bench -- --kernel with a kernel that never finishes', () => {
  /**
   * The built-in tiled qk kernel with 2³² steps at the top of main, in every invocation, when `when`
   * holds: hours on a CPU emulator, for ever to a watchdog. (A loop that provably never ends may be
   * compiled away, so it is a finite one.) Written to a new folder; returns the folder and the file.
   */
  const spinningQk = (name: string, when: string) => {
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-cli-'));
    const file = join(out, name);
    const builtIn = readFileSync('shaders/qk_scores.wgsl', 'utf8');
    const loop = 'loop { spin += 1u; if (spin == 0u) { break; } }';
    const hang = builtIn.replace(
      /(fn main\([\s\S]*?\)\s*\{)/,
      `$1\n  var spin = 0u;\n  ${when === 'always' ? loop : `if (${when}) { ${loop} }`}\n  if (spin == 7u) { return; }`,
    );
    expect(hang, 'the loop went into main').not.toBe(builtIn);
    writeFileSync(file, hang);
    return { out, file };
  };
  /** bench on tiled with the qk kernel `file`, one repeat, no warm-up, a card asked for. */
  const benchWith = (file: string, out: string, extra: string[], limitMs: number) =>
    runScript(
      'scripts/bench.ts',
      [
        ...['--dk', '4', '--variants', 'tiled', '--repeats', '1', '--warmup', '0', '--kernel', `qk=${file}`],
        ...extra,
        '--card',
        '--out',
        out,
        '--no-plot',
      ],
      {},
      limitMs,
    );
  const wroteNothing = (out: string, stdout: string) => {
    expect(stdout).toBe('');
    expect(existsSync(join(out, 'results.json'))).toBe(false);
    expect(existsSync(join(out, 'card.json'))).toBe(false);
  };

  it('stops at once after the verifier times out: exit 1, says the device is left busy, writes nothing', { timeout: 300_000 }, async () => {
    const { out, file } = spinningQk('hang_qk.wgsl', 'always');
    // Before the fix the command measured the roofline behind the looping kernel for ever: killed, code null.
    const { code, stdout, stderr } = await benchWith(file, out, ['--n', '16', '--time-limit', '1500'], 240_000);
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/verdict: TIMEOUT/);
    expect(stderr).toMatch(
      /hang_qk\.wgsl: the qk kernel did not finish within 1500 ms in the verifier and may still be running, so the device is left busy/,
    );
    expect(stderr).not.toMatch(/measuring the roofline/);
    wroteNothing(out, stdout);
  });

  it(
    'gives up on a kernel that passed the verifier but never finishes at a sweep N: named, exit 1, writes nothing',
    { timeout: 300_000 },
    async () => {
      // No case of the verifier has 333 keys, so it passes, and the sweep's N = 333 is where the
      // page's watchdog must stop it.
      const { out, file } = spinningQk('hang_at_333.wgsl', 'params.m == 333u');
      const { code, stdout, stderr } = await benchWith(file, out, ['--n', '16,333'], 280_000);
      expect(code, stderr).toBe(1);
      expect(stderr).toMatch(/verdict: PASS/);
      expect(stderr).toMatch(/custom:hang_at_333\.wgsl did not finish within [\d.]+ (ms|s) at N=333: it may still be running/);
      expect(stderr).toMatch(/the device is left busy with it, so nothing was timed or written/);
      wroteNothing(out, stdout);
    },
  );
});

describe('npm run bench: bad arguments', () => {
  it.each([
    { args: ['--decode', '0,64'], message: /--decode takes positive integers/ },
    { args: ['--decode', 'abc'], message: /--decode takes positive integers/ },
    { args: ['--kernel', 'softmax'], message: /--kernel takes STAGE=FILE\.wgsl/ },
    { args: ['--kernel', 'bogus=x.wgsl'], message: /--kernel: stage must be one of/ },
    {
      args: ['--kernel', 'qk=shaders/qk_scores.wgsl', '--kernel', 'pv=shaders/qk_scores.wgsl'],
      message: /two kernels named custom:qk_scores\.wgsl/,
    },
    { args: ['--kernel', 'qk=shaders/qk_scores.wgsl', '--variants', 'tiled,tfjs'], message: /--kernel runs on Node's WebGPU: add --node/ },
    { args: ['--diagnose', '--variants', 'tiled,tfjs'], message: /--diagnose runs on Node's WebGPU: add --node/ },
    { args: ['--replot', 'x.json', '--decode', '64'], message: /--replot redraws earlier results/ },
    // A replot runs nothing: every flag of a sweep is named, not ignored.
    {
      args: ['--replot', 'x.json', '--n', '64', '--variants', 'tiled', '--heads', '2', '--out', 'o'],
      message: /--replot redraws earlier results and does not use --n, --variants, --heads: it takes only --out DIR and --fit-from N/,
    },
    { args: ['--replot', 'x.json', '--card', '--json', '--rope'], message: /does not use --card, --json, --rope:/ },
    { args: ['--variants', 'bogus'], message: /unknown variant/ },
    {
      args: ['--variants', 'fused-0splits'],
      message:
        /unknown variant fused-0splits; .* or fused-Nsplits \(N key splits forced, 1–4096; fused-Nsplits-nosubgroups without the subgroup form\)/,
    },
    { args: ['--variants', 'fused-5000splits'], message: /unknown variant fused-5000splits/ },
    {
      args: ['--variants', 'fused', '--baseline', 'tiled'],
      message: /a baseline must be one of the variants profiled \(fused\), got tiled/,
    },
    { args: ['--n', '16,abc'], message: /--n takes positive integers/ },
    { args: ['--fit-from', '0'], message: /--fit-from must be a positive integer, got "0"/ },
    // A fit start that leaves fewer than two N would print the exponents' heading over nothing.
    {
      args: ['--n', '64,128', '--variants', 'tiled', '--fit-from', '4096'],
      message: /exponents from N ≥ 4096: a fit needs two N at least, and this sweep's N are 64, 128/,
    },
    { args: ['--dk', '0'], message: /--dk must be an integer from 1 to 65536, got "0"/ },
    // The Profiler form's bounds: a card the terminal writes always loads in the page.
    { args: ['--repeats', '2000'], message: /--repeats must be an integer from 1 to 1000, got "2000"/ },
    { args: ['--warmup', '-3'], message: /--warmup must be an integer from 0 to 1000, got "-3"/ },
    { args: ['--frobnicate'], message: /Unknown option/ },
  ])('$args exits 2 with a message', async ({ args, message }) => {
    const { code, stderr } = await bench(...args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toMatch(/usage: npm run bench/);
  });

  it('--replot refits the exponents from --fit-from: one that leaves fewer than two N is named (exit 2)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'attn-bench-cli-'));
    const { code, stderr } = await bench('--replot', 'docs/benchmarks/h200-sweep.card.json', '--fit-from', '8192', '--out', out);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /--fit-from: exponents from N ≥ 8192: a fit needs two N at least, and this sweep's N are 1024, 2048, 4096, 8192/,
    );
  });

  it('exits 2 naming a --kernel file it cannot read', async () => {
    const { code, stderr } = await bench('--kernel', 'qk=/nonexistent/k.wgsl');
    expect(code).toBe(2);
    expect(stderr).toMatch(/--kernel qk: cannot read \/nonexistent\/k\.wgsl \(ENOENT\)/);
  });
});
