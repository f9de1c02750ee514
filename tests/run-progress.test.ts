/**
 * The engine's progress and block-size bound for long runs (RunOptions.onBlock, maxBlockWork), as
 * the page uses them: blocks are reported in order and cover every row once, the results equal the
 * run in one block, and a cancel between blocks stops the run.
 */
import { describe, expect, it } from 'vitest';
import { AttentionEngine } from '../src/gpu/engine';
import { VARIANT_NAMES } from '../src/gpu/variants';
import { RunCancelledError } from '../src/core/errors';
import { randomMatrix } from '../src/core/rng';
import { loadShaderLibrary } from '../src/node/shaders';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import { buildCase } from './helpers/cases';

const gpu = await acquireTestDevice();
watchDevice(gpu);
const shaders = loadShaderLibrary();

// 2 heads × 40 keys × (dk 5 + dv 3) = 640 multiply-adds per query row.
const ROW_WORK = 2 * 40 * (5 + 3);

describe.skipIf(!gpu)('RunOptions.onBlock and maxBlockWork', () => {
  it.each(VARIANT_NAMES)('%s: reports each block in order and matches the run in one block', async (variant) => {
    const { inputs, options } = buildCase({
      name: 'progress',
      n: 50,
      m: 40,
      dk: 5,
      dv: 3,
      heads: 2,
      causal: true,
      mask: 'random',
      seed: 1201,
    });
    const wo = randomMatrix(2 * 3, 4, 1202);
    const engine = new AttentionEngine(gpu!.device, shaders);
    const whole = await engine.run({ ...inputs, wo }, options, { variant });
    const reports: [number, number][] = [];
    const blocked = await engine.run({ ...inputs, wo }, options, {
      variant,
      poison: true,
      maxBlockWork: 7 * ROW_WORK + 1,
      onBlock: (done, total) => reports.push([done, total]),
    });
    const expected = [7, 14, 21, 28, 35, 42, 49, 50].map((done) => [done, 50]);
    expect(whole.blocks).toBe(1);
    expect(blocked.blocks).toBe(expected.length);
    expect(reports).toEqual(expected);
    expect(Array.from(blocked.output.data)).toEqual(Array.from(whole.output.data));
    expect(Array.from(blocked.projected!.data)).toEqual(Array.from(whole.projected!.data));
  });

  it('counts rows from the start of a row range, and bounds a block to one row at least', async () => {
    const { inputs, options } = buildCase({ name: 'range', n: 30, m: 40, dk: 5, dv: 3, heads: 2, causal: true, seed: 1203 });
    const engine = new AttentionEngine(gpu!.device, shaders);
    const full = await engine.run(inputs, options);
    const reports: [number, number][] = [];
    const part = await engine.run(inputs, options, {
      rows: [10, 14],
      maxBlockWork: 1,
      onBlock: (done, total) => reports.push([done, total]),
    });
    expect(reports).toEqual([
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
    expect(Array.from(part.output.data)).toEqual(Array.from(full.output.data.subarray(10 * 6, 14 * 6)));
  });

  it('stops after the block in flight when the signal is aborted between blocks', async () => {
    const inputs = { q: randomMatrix(20, 4, 1204), k: randomMatrix(20, 4, 1205), v: randomMatrix(20, 4, 1206) };
    const engine = new AttentionEngine(gpu!.device, shaders);
    const abort = new AbortController();
    const reports: number[] = [];
    const error = await engine
      .run(
        inputs,
        {},
        { maxBlockWork: 5 * 20 * 8, signal: abort.signal, onBlock: (done) => (reports.push(done), done >= 10 && abort.abort()) },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunCancelledError);
    expect(reports).toEqual([5, 10]);
  });
});
