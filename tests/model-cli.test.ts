/**
 * npm run model as a user runs it: the built-in model over a sentence, every head and the logits
 * checked; --json; --generate over the KV cache; --dump and the replay through npm run attention; a
 * broken kernel; bad files and flags with exit code 2 and a message naming the problem. Also
 * npm run bench:model prints per-layer times.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNpy } from '../src/core/io';
import { float32Matrix } from '../src/core/tensor';
import { attentionReference } from '../src/core/reference';
import { compare } from '../src/core/metrics';
import { GGML_TYPE, READABLE_GGML_TYPES, readableType } from '../src/core/model/ggml-types';
import { writeHfCheckpoint } from '../src/core/model/hf-layout';
import { randomModelWeights, smallConfig } from '../src/core/model/random';
import { wordPieceTokenizerJson } from './helpers/tokenizer-json';
import { runScript, ROOT } from './helpers/cli';

const model = (...args: string[]) => runScript('scripts/model.ts', args);
const TEXT = 'the cat sat on the mat because it was';
const npy = (path: string) => {
  const bytes = readFileSync(path);
  return float32Matrix(parseNpy(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer));
};

describe('npm run model', () => {
  it('--help lists exactly the GGUF types the loader reads (BF16 among them)', async () => {
    const r = await model('--help');
    expect(r.code).toBe(0);
    const listed = /\.gguf file \(llama; ([^)]*)\)/.exec(r.stdout)?.[1].split(', ');
    expect(listed).toEqual(['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0']);
    expect(listed).toEqual([...READABLE_GGML_TYPES]);
    expect(READABLE_GGML_TYPES.map((t) => readableType(GGML_TYPE[t]))).toEqual([...READABLE_GGML_TYPES]);
  });

  it('runs the built-in model: tokens, next tokens, every head and the logits PASS', async () => {
    const r = await model('--text', TEXT);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^model .*llama, \d+ layers, 4 heads \/ 2 kv heads/m);
    expect(r.stdout).toMatch(/tokens \(\d+\): .*"cat":\d+/);
    expect(r.stdout).toMatch(/next token: /);
    expect(r.stdout).toMatch(/L0 H0 \(kv 0\)\s+PASS/);
    expect(r.stdout).not.toMatch(/FAIL/);
    expect(r.stdout).toMatch(/logits vs float64: PASS/);
  });

  it('--json --generate 3: three decode steps over the cache, each checked', async () => {
    const r = await model('--text', TEXT, '--json', '--generate', '3', '--variant', 'fused');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.pass).toBe(true);
    expect(out.variant).toBe('fused');
    expect(out.generated).toHaveLength(3);
    expect(out.generation).toMatchObject({ asked: 3, made: 3, stoppedAtContext: false });
    expect(out.steps).toHaveLength(4);
    expect(out.steps.map((s: { tokens: number }) => s.tokens)).toEqual([0, 1, 2, 3].map((g) => out.tokens.length + g));
    for (const step of out.steps) {
      expect(step.heads).toHaveLength(out.model.layers * out.model.heads);
      expect(step.heads.every((h: { pass: boolean }) => h.pass)).toBe(true);
      expect(step.logits.pass).toBe(true);
    }
    expect(out.next[0].probability).toBeGreaterThan(out.next[1].probability);
  });

  it('--generate past the context stops there and says how many tokens were asked for and how many made', async () => {
    // A text near the context, so only a few decode steps fit before it is full.
    const long = Array.from({ length: 6 }, () => TEXT).join(' ');
    const json = await model('--text', long, '--json', '--generate', '100000');
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout);
    const room = out.model.contextLength - out.tokens.length;
    expect(room).toBeGreaterThan(0);
    expect(room).toBeLessThan(100000);
    expect(out.generated).toHaveLength(room);
    expect(out.generation).toEqual({ asked: 100000, made: room, contextLength: out.model.contextLength, stoppedAtContext: true });
    const text = await model('--text', long, '--generate', '100000');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      `generation stopped at the model's context of ${out.model.contextLength} tokens: ${room} of the 100000 tokens asked for were made (the text has ${out.tokens.length} tokens)`,
    );
  });

  it('--layer/--head lists only the keys each token sees (causal), in the text and in --json', async () => {
    const text = await model('--text', TEXT, '--layer', '0', '--head', '1');
    expect(text.code, text.stderr).toBe(0);
    const rows = text.stdout.split('\n').filter((line) => / → /.test(line));
    expect(rows.length).toBeGreaterThan(3);
    rows.forEach((line, i) => {
      const [query, keys] = line.split(' → ');
      expect(query.trim()).toMatch(new RegExp(`@${i}$`));
      const positions = [...keys.matchAll(/@(\d+) \d\.\d\d/g)].map((k) => Number(k[1]));
      expect(positions.length).toBe(Math.min(3, i + 1));
      expect(positions.every((j) => j <= i)).toBe(true);
    });
    const json = await model('--text', TEXT, '--layer', '0', '--head', '1', '--json');
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.focus).toMatchObject({ layer: 0, head: 1 });
    expect(out.focus.rows).toHaveLength(out.tokens.length);
    out.focus.rows.forEach((row: { query: { position: number; id: number }; keys: { position: number; weight: number }[] }, i: number) => {
      expect(row.query).toMatchObject({ position: i, id: out.tokens[i].id });
      expect(row.keys.map((k) => k.position).every((j) => j <= i)).toBe(true);
      expect(row.keys).toHaveLength(Math.min(3, i + 1));
    });
    expect(Object.keys(out.focus.roles)).toEqual(['previousToken', 'induction', 'antecedent']);
    expect((await model('--text', TEXT, '--json')).stdout).toContain('"focus":null');
  });

  it('--dump writes a head that npm run attention replays, and its attention is the head’s softmax', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-dump-'));
    const r = await model('--text', TEXT, '--layer', '1', '--head', '2', '--dump', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/attention of layer 1 head 2/);
    const [q, k, v, attention] = ['q', 'k', 'v', 'attention'].map((s) => npy(join(dir, `L1H2.${s}.npy`)));
    expect(q.rows).toBe(attention.rows);
    expect(k.rows).toBe(attention.cols);
    const reference = attentionReference({ q, k, v }, { causal: true });
    // The three-pass run's probabilities of the rotated inputs, against float64 of the same inputs.
    expect(compare(attention.data, reference.probs.data, 1e-5, [1, attention.rows, attention.cols]).pass).toBe(true);
    const replay = readFileSync(join(dir, 'replay.sh'), 'utf8').trim().split('\n').pop()!;
    const args = replay.replace('npm run attention -- ', '').split(' ');
    const again = await runScript('scripts/attention.ts', args);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/GPU and CPU agree within tolerance/);
  });

  it('a broken kernel (P·V reading K/V head t mod kv instead of ⌊t / group⌋) fails its heads, exit 1', async () => {
    const r = await model('--text', TEXT, '--kernel', `pv=${join(ROOT, 'examples/kernels/pv_gqa_modulo.wgsl')}`);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/L0 H1 \(kv 0\)\s+FAIL/);
    expect(r.stdout).toMatch(/L0 H0 \(kv 0\)\s+PASS/);
    expect(r.stdout).toMatch(/a check FAILED/);
  });

  it('--storage f16 on a RoPE model: every layer stores float32, and the page’s note says why (text and --json)', async () => {
    const json = await model('--text', TEXT, '--json', '--generate', '1', '--variant', 'fused', '--storage', 'f16');
    expect(json.code, json.stderr).toBe(0);
    const out = JSON.parse(json.stdout);
    expect(out.pass).toBe(true);
    expect(out.storage).toBe('f16');
    const note =
      'f16 storage is not possible for this model, so its Q, K and V are stored as float32: RoPE is on, and its stage writes float32 Q and K.';
    expect(out.steps).toHaveLength(2);
    for (const step of out.steps) expect(step.storage).toEqual({ layers: Array(out.model.layers).fill('f32'), note });
    const text = await model('--text', TEXT, '--variant', 'fused', '--storage', 'f16');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('storage f16: f32 in every layer\n');
    expect(text.stdout).toContain(`${note}\n`);
    // The default is the page's: float32, and no note.
    const plain = JSON.parse((await model('--text', TEXT, '--json', '--variant', 'fused')).stdout);
    expect(plain.storage).toBe('f32');
    expect(plain.steps[0].storage).toEqual({ layers: Array(plain.model.layers).fill('f32'), note: null });
  });

  it('--storage f16 on a model without RoPE (GPT-2) on fused: every layer reads halves, and the checks pass with f16 bounds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'model-gpt2-'));
    const weights = randomModelWeights(smallConfig('gpt2'), 5);
    const { safetensors, config } = writeHfCheckpoint(weights);
    writeFileSync(join(dir, 'model.safetensors'), safetensors);
    writeFileSync(join(dir, 'config.json'), config);
    const words = Array.from({ length: weights.config.vocabSize - 3 }, (_, i) => `w${i}`);
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(wordPieceTokenizerJson(words)));
    const args = ['--model', dir, '--text', 'w1 w7 w3 w12 w5 w9', '--variant', 'fused', '--json'];
    const r = await model(...args, '--storage', 'f16');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.model.architecture).toBe('gpt2');
    expect(out.pass).toBe(true);
    expect(out.steps[0].storage).toEqual({ layers: ['f16', 'f16'], note: null });
    const text = await model(...args.slice(0, -1), '--storage', 'f16');
    expect(text.stdout).toContain('storage f16: f16 in every layer\n');
    // The same run with float32 storage differs: the halves are not float32 under another name.
    const f32 = JSON.parse((await model(...args)).stdout);
    expect(f32.steps[0].storage.layers).toEqual(['f32', 'f32']);
    expect(f32.steps[0].heads.map((h: { maxAbs: number }) => h.maxAbs)).not.toEqual(
      out.steps[0].heads.map((h: { maxAbs: number }) => h.maxAbs),
    );
  });

  it.each([
    ['a file that is not a model', ['--model', 'JUNK'], /junk\.gguf: not a GGUF file \(magic 6e 6f 74 20/],
    ['a missing file', ['--model', '/nonexistent/model.gguf'], /does not exist/],
    ['--layer without --head', ['--layer', '0'], /--layer and --head go together/],
    ['a head the model lacks', ['--layer', '0', '--head', '9'], /the model has \d+ layers of 4 heads/],
    ['no --text', [], /--text is required/],
    ['an unknown variant', ['--variant', 'turbo'], /--variant must be one of/],
    ['an unknown storage', ['--storage', 'f8'], /^error: --storage must be one of f32, f16, got "f8"/],
  ])('%s: exit 2 with a message', async (_, args, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'model-bad-'));
    const junk = join(dir, 'junk.gguf');
    writeFileSync(junk, 'not a model at all, just some bytes');
    const withText = args.includes('--text') || args.length === 0 ? args : [...args, '--text', TEXT];
    const r = await model(...withText.map((a) => (a === 'JUNK' ? junk : a)));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('npm run bench:model', () => {
  it('prints the time of each layer for each variant, naming the adapter', async () => {
    const r = await runScript('scripts/bench-model.ts', ['--tokens', '12', '--repeats', '1', '--variants', 'naive,fused', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.adapter).toMatch(/\S/);
    expect(out.tokens).toBe(12);
    expect(out.rows.map((row: { variant: string }) => row.variant)).toEqual(['naive', 'fused']);
    for (const row of out.rows) {
      expect(row.perLayerMs.length).toBeGreaterThan(1);
      expect(row.perLayerMs.every((ms: number) => ms > 0)).toBe(true);
      expect(row.totalMs).toBeGreaterThanOrEqual(row.attentionMs);
    }
  });

  it('--storage f16: the storage in --json, and each variant with its layers’ storage and the note of why not f16', async () => {
    const r = await runScript('scripts/bench-model.ts', [
      '--tokens',
      '8',
      '--repeats',
      '1',
      '--variants',
      'naive,fused',
      '--storage',
      'f16',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.storage).toBe('f16');
    const [naive, fused] = out.rows;
    expect(naive.layerStorage.every((p: string) => p === 'f32')).toBe(true);
    expect(naive.storageNote).toMatch(/only the fused variant has an f16-storage kernel \(this run uses naive\); RoPE is on/);
    expect(fused.storageNote).toMatch(/: RoPE is on, and its stage writes float32 Q and K\.$/);
    const text = await runScript('scripts/bench-model.ts', ['--tokens', '8', '--repeats', '1', '--variants', 'fused', '--storage', 'f16']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/8 tokens, storage f16, median of 1/);
    expect(text.stdout).toContain(`fused: ${fused.storageNote}`);
  });

  it('--storage other than f32 or f16: exit 2 naming the flag and the values', async () => {
    const r = await runScript('scripts/bench-model.ts', ['--storage', 'half']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: --storage must be one of f32, f16, got "half"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
