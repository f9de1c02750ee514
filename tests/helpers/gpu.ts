/**
 * One WebGPU device per test file, from Node's Dawn, and a per-test watch on it. Without an adapter,
 * GPU tests are skipped on a developer's machine but fail in CI (CI=true): there, a missing adapter
 * is a broken setup.
 *
 * The device is shared by the file's tests (pipelines are cached per device, and compiling them on
 * SwiftShader is slow); `watchDevice` makes each test answer for itself: a validation error scope
 * around it, uncaptured errors recorded, and every buffer, query set and texture it creates tracked
 * until destroyed. A test fails on any captured error and on any resource still alive when it ends
 * (which is then destroyed, so one leak does not pile up over a file).
 *
 * Long-lived owners: none today. The engine destroys every buffer of a run before the run returns
 * (src/gpu/engine.ts, StageTimer's query set included), the roofline and the pass timer destroy
 * theirs, and src/gpu/buffer-ledger.ts only counts. A cache that comes to own resources across
 * tests must be named in `watchDevice`'s `longLived` option, not ignored silently.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { requestAttentionDevice, NoAdapterError } from '../../src/gpu/device';
import type { AdapterSummary } from '../../src/gpu/device';
import { nodeGpu } from '../../src/node/webgpu';

export interface TestDevice {
  device: GPUDevice;
  summary: AdapterSummary;
}

export const IN_CI = Boolean(process.env.CI);

export async function acquireTestDevice(): Promise<TestDevice | null> {
  try {
    return await requestAttentionDevice(await nodeGpu());
  } catch (error) {
    if (error instanceof NoAdapterError && !IN_CI) {
      console.warn(`GPU tests skipped: ${error.message}`);
      return null;
    }
    throw error;
  }
}

export type ResourceKind = 'buffer' | 'query set' | 'texture';

export interface TrackedResource {
  kind: ResourceKind;
  label: string;
  /** Bytes for a buffer, queries for a query set, texels for a texture. */
  size: number;
  destroyed: boolean;
  /** The resource itself, so a caller can destroy it. */
  resource: { destroy(): void };
}

export interface TrackReport {
  /** Resources created while tracking and never destroyed (the long-lived ones left out). */
  leaks: TrackedResource[];
  /** Validation errors caught by the tracker's scope, then uncaptured errors, as messages. */
  errors: string[];
  /** How many resources were created in all. */
  created: number;
}

export interface TrackOptions {
  /** Resources owned by a documented long-lived cache: not leaks, and not destroyed by finish(). */
  longLived?: (resource: TrackedResource) => boolean;
}

export interface ResourceTracker {
  /** Resources created so far (destroyed ones included). */
  readonly resources: readonly TrackedResource[];
  /**
   * Stops tracking: pops the validation scope, restores the device's create functions and
   * destroys every leaked resource, then says what leaked and what errors were seen.
   */
  finish(): Promise<TrackReport>;
}

type Creator = 'createBuffer' | 'createQuerySet' | 'createTexture';
type Trackable = GPUBuffer | GPUQuerySet | GPUTexture;
const CREATORS: Record<Creator, { kind: ResourceKind; size: (resource: Trackable) => number }> = {
  createBuffer: { kind: 'buffer', size: (r) => (r as GPUBuffer).size },
  createQuerySet: { kind: 'query set', size: (r) => (r as GPUQuerySet).count },
  createTexture: { kind: 'texture', size: (r) => texels(r as GPUTexture) },
};

const texels = (t: GPUTexture) => t.width * t.height * t.depthOrArrayLayers;

/**
 * Starts tracking `device`: pushes a validation error scope, listens for uncaptured errors and
 * wraps createBuffer / createQuerySet / createTexture (as own properties of the device, restored by
 * finish(); trackers nest, and measureAllocations in src/gpu/buffer-ledger.ts nests inside them).
 */
export function trackDevice(device: GPUDevice, options: TrackOptions = {}): ResourceTracker {
  const resources: TrackedResource[] = [];
  const uncaptured: string[] = [];
  const onError = (event: Event) => uncaptured.push((event as GPUUncapturedErrorEvent).error.message);
  const restore: (() => void)[] = [];
  for (const [name, { kind, size }] of Object.entries(CREATORS) as [Creator, (typeof CREATORS)[Creator]][]) {
    const own = Object.getOwnPropertyDescriptor(device, name);
    const original = device[name] as (descriptor: unknown) => Trackable;
    const wrapped = (descriptor: unknown) => {
      const created = original.call(device, descriptor);
      const entry: TrackedResource = {
        kind,
        label: created.label || '(no label)',
        size: size(created),
        destroyed: false,
        resource: created,
      };
      const destroy = created.destroy;
      created.destroy = () => {
        entry.destroyed = true;
        destroy.call(created);
      };
      resources.push(entry);
      return created;
    };
    Object.defineProperty(device, name, { value: wrapped, configurable: true, writable: true });
    restore.push(() => {
      if (own) Object.defineProperty(device, name, own);
      else delete (device as Partial<Record<Creator, unknown>>)[name];
    });
  }
  device.addEventListener('uncapturederror', onError);
  device.pushErrorScope('validation');
  return {
    resources,
    async finish() {
      const scoped = await device.popErrorScope();
      device.removeEventListener('uncapturederror', onError);
      for (const undo of restore.reverse()) undo();
      const leaks = resources.filter((r) => !r.destroyed && !options.longLived?.(r));
      for (const leak of leaks) leak.resource.destroy();
      return {
        leaks,
        errors: [...(scoped ? [`validation: ${scoped.message}`] : []), ...uncaptured.map((m) => `uncaptured: ${m}`)],
        created: resources.length,
      };
    },
  };
}

/** One line per leaked resource, e.g. `buffer "Attention.q" (64)`. */
export function describeLeaks(leaks: readonly TrackedResource[]): string[] {
  return leaks.map((r) => `${r.kind} "${r.label}" (${r.size})`);
}

/** Fails (throws an assertion error) when the report has a leak or an error. */
export function expectClean(report: TrackReport): void {
  expect(report.errors, 'WebGPU errors during the test').toEqual([]);
  expect(describeLeaks(report.leaks), 'GPU resources the test left alive (not destroyed by the end of the test)').toEqual([]);
}

/** Runs `work` under a tracker (outside a test, e.g. in beforeAll) and fails on a leak or an error. */
export async function tracked<T>(device: GPUDevice, work: () => Promise<T>, options: TrackOptions = {}): Promise<T> {
  const tracker = trackDevice(device, options);
  let result: T;
  try {
    result = await work();
  } catch (error) {
    await tracker.finish();
    throw error;
  }
  expectClean(await tracker.finish());
  return result;
}

export interface DeviceWatch {
  /** The current test's tracker (null outside a test, or without a device). */
  readonly current: ResourceTracker | null;
}

/**
 * Tracks every test of the file on `gpu`'s device (see trackDevice) and fails a test that leaves a
 * resource alive or causes a WebGPU error. Without a device (GPU tests skipped) it does nothing.
 */
export function watchDevice(gpu: TestDevice | null, options: TrackOptions = {}): DeviceWatch {
  let current: ResourceTracker | null = null;
  beforeEach(() => {
    if (gpu) current = trackDevice(gpu.device, options);
  });
  afterEach(async () => {
    const tracker = current;
    current = null;
    if (tracker) expectClean(await tracker.finish());
  });
  return {
    get current() {
      return current;
    },
  };
}
