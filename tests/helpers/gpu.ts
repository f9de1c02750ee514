/**
 * One WebGPU device per test file, from Node's Dawn. Without an adapter, GPU tests are skipped on a
 * developer's machine but fail in CI (CI=true): there, a missing adapter is a broken setup.
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

/**
 * Wraps every test of the file in a validation scope and records uncaptured errors, failing the
 * test on any WebGPU error the code under test did not handle itself.
 */
export function watchDeviceErrors(gpu: TestDevice | null): void {
  const uncaptured: string[] = [];
  gpu?.device.addEventListener('uncapturederror', (event) => uncaptured.push((event as GPUUncapturedErrorEvent).error.message));
  beforeEach(() => {
    uncaptured.length = 0;
    gpu?.device.pushErrorScope('validation');
  });
  afterEach(async () => {
    if (!gpu) return;
    const error = await gpu.device.popErrorScope();
    expect(error?.message ?? null, 'WebGPU validation error').toBeNull();
    expect(uncaptured, 'uncaptured WebGPU errors').toEqual([]);
  });
}
