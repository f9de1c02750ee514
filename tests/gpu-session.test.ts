/**
 * GpuSession's device requests under a time limit, with fake adapters (no real GPU needed): a
 * request that never answers ends in a 'lost' status that says why (not "looking" forever), a
 * device that arrives late is still used, and of two reconnects in a row the last one's device is
 * kept while the other is destroyed.
 */
import { describe, expect, it } from 'vitest';
import { GpuSession } from '../src/ui/gpu-session';

interface FakeDevice {
  label: string;
  destroyed: boolean;
  destroy(): void;
  limits: Record<string, number>;
  lost: Promise<GPUDeviceLostInfo>;
  addEventListener(): void;
}

const LIMITS = {
  maxStorageBufferBindingSize: 1 << 27,
  maxBufferSize: 1 << 28,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupSizeY: 256,
  maxComputeWorkgroupsPerDimension: 65535,
};

/** A fake navigator.gpu whose n-th device request resolves when `release(n)` is called. */
function fakeGpu() {
  const devices: FakeDevice[] = [];
  const releases: (() => void)[] = [];
  const gpu = {
    requestAdapter: async () => ({
      limits: LIMITS,
      features: new Set<string>(),
      info: { vendor: 'fake', architecture: '', device: '', description: 'fake adapter' },
      requestDevice: () =>
        new Promise<FakeDevice>((resolve) => {
          const device: FakeDevice = {
            label: `device ${devices.length}`,
            destroyed: false,
            destroy() {
              this.destroyed = true;
            },
            limits: LIMITS,
            lost: new Promise(() => {}),
            addEventListener() {},
          };
          devices.push(device);
          releases.push(() => resolve(device));
        }),
    }),
  };
  return { gpu: gpu as unknown as GPU, devices, release: (i: number) => releases[i]() };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('GpuSession', () => {
  it('says what happened when no device comes back in time, and uses one that comes late', async () => {
    const { gpu, devices, release } = fakeGpu();
    const session = new GpuSession({}, gpu);
    session.connectTimeLimitMs = 30;
    await session.connect();
    expect(session.status.kind).toBe('lost');
    expect(session.status.kind === 'lost' && session.status.reason).toMatch(/no WebGPU device came back within 0 s of asking/);
    release(0);
    await until(() => session.status.kind === 'ready');
    expect(session.status.kind).toBe('ready');
    expect(session.engine?.device).toBe(devices[0]);
    session.dispose();
    expect(devices[0].destroyed).toBe(true);
  });

  it('two reconnects in a row keep the last device and destroy the other, whatever order they answer in', async () => {
    const { gpu, devices, release } = fakeGpu();
    const session = new GpuSession({}, gpu);
    session.connectTimeLimitMs = 10_000;
    const first = session.connect();
    await until(() => devices.length === 1);
    release(0);
    await first;
    expect(session.engine?.device).toBe(devices[0]);

    const a = session.reconnect();
    const b = session.reconnect();
    await until(() => devices.length === 3);
    expect(devices[0].destroyed).toBe(true);
    release(2); // the newer request answers first ...
    await b;
    release(1); // ... then the older one
    await a;
    await tick();
    expect(session.status.kind).toBe('ready');
    expect(session.engine?.device).toBe(devices[2]);
    expect(devices[1].destroyed).toBe(true);
    expect(devices[2].destroyed).toBe(false);
    session.dispose();
  });
});
