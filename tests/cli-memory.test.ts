/**
 * npm run memory (scripts/memory.ts): the built-in example and edited facts end to end on the GPU,
 * and bad input (hops, update, words, R) refused with exit 2 and a message naming the problem.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toJson } from '../src/core/io';
import { matrix } from '../src/core/tensor';
import { runScript } from './helpers/cli';
import { acquireTestDevice } from './helpers/gpu';

const gpu = await acquireTestDevice();
const dir = mkdtempSync(join(tmpdir(), 'attn-cli-memory-'));
const memory = (...args: string[]) => runScript('scripts/memory.ts', args);

describe.skipIf(!gpu)('npm run memory', () => {
  it('the built-in example: hop 1 reads the football fact, hop 2 the kitchen fact, GPU agrees', async () => {
    const r = await memory();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/hop 1: q_1 = football 1\.000\n(?:.*\n)*?\s+1\.0000 {2}John picked up the football {2}←/);
    expect(r.stdout).toMatch(/0\.9994 {2}John went to the kitchen {2}←/);
    expect(r.stdout).toMatch(/answer: kitchen/);
    expect(r.stdout).toMatch(/hop 2: weights max \|Δ\| \S+, output max \|Δ\| \S+: pass/);
    expect(r.stdout).toMatch(/end to end \(GPU chain vs float64 chain from q_1\): output max \|Δ\|/);
  });

  it('edited facts change the answer', async () => {
    const r = await memory(
      '--fact',
      'Daniel picked up the milk',
      '--fact',
      'Daniel went to the bathroom',
      '--question',
      'where is the milk?',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/answer: bathroom/);
    expect(r.stdout).not.toMatch(/note: no fact/);
    expect(r.stdout).toMatch(/^memory: 2 facts, question "where is the milk\?", 2 hops, /m);
  });

  it('counts one fact and one hop in the singular', async () => {
    const r = await memory('--fact', 'Daniel went to the bathroom', '--question', 'where is the milk?', '--hops', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^memory: 1 fact, question "where is the milk\?", 1 hop, update rotate$/m);
    // No fact is about the milk: the softmax still puts all its weight on the one fact, and says so.
    expect(r.stdout).toMatch(/^note: no fact says who picked up the milk: hop 1 scores every fact 0/m);
  });
});

describe('npm run memory: bad input', () => {
  const wrongR = join(dir, 'r.json');
  writeFileSync(wrongR, toJson(matrix(3, 3)));
  it.each([
    { name: 'hops 0', args: ['--hops', '0'], message: /--hops must be an integer from 1 to 16, got "0"/ },
    { name: 'hops 17', args: ['--hops', '17'], message: /--hops must be an integer from 1 to 16, got "17"/ },
    // Not "a non-negative integer", which 0 is.
    { name: 'hops 1.5', args: ['--hops', '1.5'], message: /--hops must be an integer from 1 to 16, got "1\.5"/ },
    { name: 'an unknown update', args: ['--update', 'spin'], message: /--update must be one of residual, rotate, got "spin"/ },
    { name: 'an unknown person', args: ['--fact', 'Bob went to the kitchen'], message: /unknown person "Bob" in fact 1/ },
    {
      name: 'an unknown object asked about',
      args: ['--question', 'where is the piano?'],
      message: /unknown object "piano" in the question/,
    },
    { name: 'R of the wrong size', args: ['--r', wrongR], message: /R is 3×3 but must be d×d = 13×13/ },
    { name: 'R with the residual update', args: ['--update', 'residual', '--r', wrongR], message: /--r is the rotate update’s matrix/ },
  ])('$name', async ({ args, message }) => {
    const r = await memory(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/ {4}at /);
  });
});
