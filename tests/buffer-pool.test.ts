/**
 * Buffers kept across engine runs (src/gpu/buffer-pool.ts): the same results bit for bit, no
 * buffers made after the first run, inputs uploaded once only where the pool is told they do not
 * change, and nothing kept from a run that failed or past the pool's budget.
 */
import { describe, expect, it } from 'vitest';
import { AttentionEngine } from '../src/gpu/engine';
import { BufferPool } from '../src/gpu/buffer-pool';
import { measureAllocations } from '../src/gpu/buffer-ledger';
import { profileSweep } from '../src/gpu/profile';
import { RunCancelledError } from '../src/core/errors';
import { loadShaderLibrary } from '../src/node/shaders';
import { acquireTestDevice, watchDevice } from './helpers/gpu';
import { buildCase } from './helpers/cases';

const gpu = await acquireTestDevice();
const watch = watchDevice(gpu);
const shaders = loadShaderLibrary();

describe.skipIf(!gpu)('a buffer pool', () => {
  const device = () => gpu!.device;
  const descriptor = (label: string, size: number) => ({ label, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });

  it('hands a given-back buffer out again, and never one buffer to two runs at once', () => {
    const pool = new BufferPool(device());
    const a = pool.take(descriptor('a', 256));
    const b = pool.take(descriptor('a', 256));
    expect(b).not.toBe(a);
    pool.giveBack([a]);
    expect(pool.take(descriptor('a', 256))).toBe(a);
    // Another size or label is another buffer.
    const c = pool.take(descriptor('a', 512));
    expect(c).not.toBe(a);
    expect(pool.created).toBe(3);
    pool.giveBack([a, b, c]);
    pool.destroy();
  });

  it('keeps no more than keepBytes, destroying the largest free buffers first', () => {
    const pool = new BufferPool(device(), { keepBytes: 1024 });
    const big = pool.take(descriptor('big', 1024));
    const small = pool.take(descriptor('small', 256));
    pool.giveBack([big, small]);
    expect(pool.bytes).toBe(256);
    expect(watch.current!.resources.find((r) => r.label === 'big')!.destroyed).toBe(true);
    expect(pool.take(descriptor('small', 256))).toBe(small);
    pool.giveBack([small]);
    pool.destroy();
    expect(pool.bytes).toBe(0);
  });

  it('destroys what a failed run held, and what a run gives back after the pool was destroyed', () => {
    const pool = new BufferPool(device());
    const failed = pool.take(descriptor('failed', 64));
    const late = pool.take(descriptor('late', 64));
    pool.drop([failed]);
    pool.destroy();
    pool.giveBack([late]);
    const resources = watch.current!.resources;
    expect(resources.filter((r) => ['failed', 'late'].includes(r.label)).map((r) => r.destroyed)).toEqual([true, true]);
    expect(() => pool.take(descriptor('after', 64))).toThrow(/destroyed/);
  });

  it('skips an upload only when told the inputs do not change and the buffer holds that very range', () => {
    const data = new Float32Array(16);
    for (const sameInputs of [false, true]) {
      const pool = new BufferPool(device(), { sameInputs });
      const buffer = pool.take(descriptor('k', 64));
      let writes = 0;
      const write = () => writes++;
      pool.upload(buffer, { source: data, offset: 0, count: 16, form: 'f32' }, write);
      pool.upload(buffer, { source: data, offset: 0, count: 16, form: 'f32' }, write);
      pool.upload(buffer, { source: data, offset: 0, count: 16, form: 'f16' }, write);
      pool.upload(buffer, { source: data, offset: 4, count: 12, form: 'f16' }, write);
      pool.upload(buffer, { source: new Float32Array(16), offset: 4, count: 12, form: 'f16' }, write);
      expect({ sameInputs, writes, skipped: pool.skippedUploads }).toEqual({
        sameInputs,
        writes: sameInputs ? 4 : 5,
        skipped: sameInputs ? 1 : 0,
      });
      pool.giveBack([buffer]);
      pool.destroy();
    }
  });
});

describe.skipIf(!gpu)('engine runs with a buffer pool', () => {
  const engine = () => new AttentionEngine(gpu!.device, shaders);
  const cases = [
    { variant: 'fused' as const, c: { name: 'fused', n: 33, m: 70, dk: 8, dv: 5, heads: 2, causal: true, seed: 21 } },
    { variant: 'tiled' as const, c: { name: 'tiled', n: 33, m: 70, dk: 8, dv: 5, heads: 2, mask: 'random' as const, seed: 22 } },
  ];

  for (const { variant, c } of cases) {
    it(`${variant}: the same bits as without a pool, and no buffer made after the first run`, async () => {
      const { inputs, options } = buildCase(c);
      const e = engine();
      const alone = await e.run(inputs, options, { variant });
      const pool = new BufferPool(gpu!.device, { sameInputs: true });
      const first = await measureAllocations(gpu!.device, () => e.run(inputs, options, { variant, buffers: pool }));
      const second = await measureAllocations(gpu!.device, () => e.run(inputs, options, { variant, buffers: pool }));
      expect(first.buffers).toBeGreaterThan(0);
      expect(second.buffers).toBe(0);
      // Q, K, V (and the mask) went up once; the second run skipped them.
      expect(pool.skippedUploads).toBe(c.mask ? 4 : 3);
      for (const r of [first.result, second.result]) expect(Array.from(r.output.data)).toEqual(Array.from(alone.output.data));
      pool.destroy();
    });
  }

  it('with RoPE (rotated Q and K read back) and with f16 storage: the same bits as without a pool, run after run', async () => {
    const rope = { layout: 'half' as const, base: 10000, dims: null, offset: 0 };
    const runs = [
      { variant: 'tiled' as const, extra: { rope }, run: { intermediates: true } },
      { variant: 'fused' as const, extra: {}, run: { precision: 'f16' as const, keySplits: 3 } },
    ];
    for (const { variant, extra, run } of runs) {
      const { inputs, options } = buildCase({ name: variant, n: 9, m: 140, dk: 8, dv: 8, heads: 2, causal: true, seed: 45 });
      const e = engine();
      const alone = await e.run(inputs, { ...options, ...extra }, { variant, ...run });
      const pool = new BufferPool(gpu!.device, { sameInputs: true });
      for (let i = 0; i < 3; i++) {
        const pooled = await e.run(inputs, { ...options, ...extra }, { variant, ...run, buffers: pool });
        expect(Array.from(pooled.output.data)).toEqual(Array.from(alone.output.data));
        if (alone.rotated) expect(Array.from(pooled.rotated!.k)).toEqual(Array.from(alone.rotated.k));
        if (alone.probs) expect(Array.from(pooled.probs!)).toEqual(Array.from(alone.probs));
      }
      expect(pool.skippedUploads).toBe(6);
      pool.destroy();
    }
  });

  it('uploads again where the inputs are other arrays, or the pool was not told they stay the same', async () => {
    const a = buildCase({ name: 'a', n: 5, m: 40, dk: 8, dv: 8, seed: 31 });
    const b = buildCase({ name: 'b', n: 5, m: 40, dk: 8, dv: 8, seed: 32 });
    const e = engine();
    const expected = (await e.run(b.inputs, b.options)).output.data;
    for (const sameInputs of [true, false]) {
      const pool = new BufferPool(gpu!.device, { sameInputs });
      await e.run(a.inputs, a.options, { buffers: pool });
      const other = await e.run(b.inputs, b.options, { buffers: pool });
      expect(Array.from(other.output.data)).toEqual(Array.from(expected));
      // The same arrays edited in place: only a pool told nothing uploads them again.
      b.inputs.k.data.set(a.inputs.k.data);
      b.inputs.v.data.set(a.inputs.v.data);
      b.inputs.q.data.set(a.inputs.q.data);
      const edited = await e.run(b.inputs, b.options, { buffers: pool });
      const fresh = (await e.run(b.inputs, b.options)).output.data;
      if (sameInputs) expect(Array.from(edited.output.data)).toEqual(Array.from(expected));
      else expect(Array.from(edited.output.data)).toEqual(Array.from(fresh));
      b.inputs.k.data.set(buildCase({ name: 'b', n: 5, m: 40, dk: 8, dv: 8, seed: 32 }).inputs.k.data);
      b.inputs.v.data.set(buildCase({ name: 'b', n: 5, m: 40, dk: 8, dv: 8, seed: 32 }).inputs.v.data);
      b.inputs.q.data.set(buildCase({ name: 'b', n: 5, m: 40, dk: 8, dv: 8, seed: 32 }).inputs.q.data);
      pool.destroy();
    }
  });

  it('scans an array for NaN once for a pool of the same inputs, in every run otherwise', async () => {
    for (const sameInputs of [true, false]) {
      const { inputs, options } = buildCase({ name: 'nan', n: 3, m: 20, dk: 4, dv: 4, seed: 43 });
      const pool = new BufferPool(gpu!.device, { sameInputs });
      await engine().run(inputs, options, { variant: 'fused', buffers: pool });
      inputs.k.data[5] = NaN; // breaking the promise: only a pool told nothing notices
      const again = engine().run(inputs, options, { variant: 'fused', buffers: pool });
      if (sameInputs) await expect(again).resolves.toBeDefined();
      else await expect(again).rejects.toThrow(/K\[1\]\[1\] is NaN/);
      // A new array is scanned whatever the pool.
      const other = buildCase({ name: 'nan', n: 3, m: 20, dk: 4, dv: 4, seed: 44 }).inputs;
      other.v.data[0] = Infinity;
      await expect(engine().run(other, options, { variant: 'fused', buffers: pool })).rejects.toThrow(/V\[0\]\[0\] is Infinity/);
      pool.destroy();
    }
  });

  it('in blocks of rows: each block uploads its own Q rows, and a repeated run gives the same bits', async () => {
    const { inputs, options } = buildCase({ name: 'blocks', n: 40, m: 30, dk: 4, dv: 4, causal: true, seed: 41 });
    const e = engine();
    const whole = await e.run(inputs, options, { variant: 'naive' });
    const pool = new BufferPool(gpu!.device, { sameInputs: true });
    for (let i = 0; i < 2; i++) {
      const blocked = await e.run(inputs, options, { variant: 'naive', maxBlockRows: 16, buffers: pool });
      expect(blocked.blocks).toBe(3);
      expect(Array.from(blocked.output.data)).toEqual(Array.from(whole.output.data));
    }
    pool.destroy();
  });

  it('keeps nothing from a run that failed', async () => {
    const { inputs, options } = buildCase({ name: 'cancel', n: 40, m: 30, dk: 4, dv: 4, seed: 42 });
    const pool = new BufferPool(gpu!.device, { sameInputs: true });
    const controller = new AbortController();
    const error = await engine()
      .run(inputs, options, {
        variant: 'naive',
        maxBlockRows: 16,
        buffers: pool,
        signal: controller.signal,
        onBlock: () => controller.abort(),
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunCancelledError);
    expect(pool.created).toBeGreaterThan(0);
    expect(pool.bytes).toBe(0);
    pool.destroy();
  });
});

describe.skipIf(!gpu)('the profiler keeps buffers across repeats', () => {
  it('says which rows kept them and which allocated them in every repeat (past its budget)', async () => {
    const engine = new AttentionEngine(gpu!.device, shaders);
    const config = { ns: [16], decode: [40], dk: 8, heads: 2, variants: ['naive', 'fused'], warmup: 1, repeats: 2, seed: 3 };
    const kept = await profileSweep(config, { engine });
    expect(kept.rows.map((r) => r.buffers)).toEqual(['kept', 'kept', 'kept', 'kept']);
    expect(kept.notes.join('\n')).not.toMatch(/past what the profiler keeps/);
    const none = await profileSweep(config, { engine, keepBytes: 0 });
    expect(none.rows.map((r) => r.buffers)).toEqual(['allocated', 'allocated', 'allocated', 'allocated']);
    expect(none.notes.join('\n')).toMatch(
      /past what the profiler keeps .*N=16 naive, N=16 fused, decode m=40 naive, decode m=40 fused allocated them/,
    );
    for (const [a, b] of kept.rows.map((r, i) => [r, none.rows[i]])) expect(a.check?.pass && b.check?.pass).toBe(true);
  });
});
