/**
 * The per-test device watch (tests/helpers/gpu.ts) catches what it promises: a leaked buffer or
 * query set, a validation error, and it puts the device back as it found it. Each deliberate leak
 * or error happens under a nested tracker whose report is asserted here, so the suite still passes
 * (and the file's own watch sees the nested tracker destroy what leaked).
 */
import { describe, expect, it } from 'vitest';
import { AttentionEngine } from '../src/gpu/engine';
import { loadShaderLibrary } from '../src/node/shaders';
import { acquireTestDevice, describeLeaks, expectClean, trackDevice, watchDevice } from './helpers/gpu';
import { buildCase } from './helpers/cases';

const gpu = await acquireTestDevice();
const watch = watchDevice(gpu);
const STORAGE = GPUBufferUsage.STORAGE;

describe.skipIf(!gpu)('the device watch', () => {
  it('reports a buffer and a query set a test never destroyed, and destroys them', async () => {
    const device = gpu!.device;
    const probe = trackDevice(device);
    device.createBuffer({ label: 'Test.destroyed', size: 64, usage: STORAGE }).destroy();
    const leaked = device.createBuffer({ label: 'Test.leaked', size: 256, usage: STORAGE });
    device.createQuerySet({ label: 'Test.queries', type: 'occlusion', count: 2 });
    const report = await probe.finish();
    expect(report.created).toBe(3);
    expect(describeLeaks(report.leaks)).toEqual(['buffer "Test.leaked" (256)', 'query set "Test.queries" (2)']);
    expect(report.errors).toEqual([]);
    expect(() => expectClean(report)).toThrow(/left alive/);
    // finish() destroyed the leaks: the file's watch, which saw them created, sees them destroyed.
    expect(report.leaks.every((r) => r.destroyed)).toBe(true);
    expect(watch.current!.resources.find((r) => r.resource === leaked)?.destroyed).toBe(true);
  });

  it('reports a validation error caught in its scope', async () => {
    const probe = trackDevice(gpu!.device);
    // MAP_READ may only be combined with COPY_DST: an invalid buffer and a validation error.
    gpu!.device.createBuffer({ label: 'Test.invalid', size: 16, usage: GPUBufferUsage.MAP_READ | STORAGE });
    const report = await probe.finish();
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatch(/^validation: .*usage/i);
    expect(() => expectClean(report)).toThrow(/WebGPU errors/);
  });

  it('does not count resources a documented long-lived owner keeps, and leaves them alive', async () => {
    const probe = trackDevice(gpu!.device, { longLived: (r) => r.label.startsWith('Cache.') });
    const cached = gpu!.device.createBuffer({ label: 'Cache.table', size: 32, usage: STORAGE });
    const report = await probe.finish();
    expect(report.leaks).toEqual([]);
    expect(report.created).toBe(1);
    cached.destroy(); // the "cache" is this test: it cleans up for the file's watch
  });

  it("puts the device's create functions back when it finishes", async () => {
    const device = gpu!.device;
    const before = [device.createBuffer, device.createQuerySet, device.createTexture];
    const probe = trackDevice(device);
    expect(device.createBuffer).not.toBe(before[0]);
    await probe.finish();
    expect([device.createBuffer, device.createQuerySet, device.createTexture]).toEqual(before);
  });

  it('sees every buffer of an engine run created and destroyed before the run returns', async () => {
    const { inputs, options } = buildCase({ name: 'ledger', n: 9, m: 12, dk: 4, dv: 3, dModel: 5, mask: 'random', seed: 77 });
    const engine = new AttentionEngine(gpu!.device, loadShaderLibrary());
    await engine.run(inputs, options, { intermediates: true });
    const buffers = watch.current!.resources.filter((r) => r.kind === 'buffer');
    expect(buffers.map((b) => b.label)).toEqual(
      expect.arrayContaining(['Attention.q', 'Attention.k', 'Attention.v', 'Attention.wo', 'Attention.projected']),
    );
    expect(buffers.filter((b) => !b.destroyed)).toEqual([]);
  });
});
