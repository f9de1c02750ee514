/** WebGPU in Node through Dawn (the `webgpu` package), with SwiftShader when no GPU driver is set up. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Points Vulkan at Chromium's SwiftShader when nothing else was chosen (Mesa's lavapipe is rejected by Dawn). */
export function configureVulkanEnvironment(): void {
  if (!process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  }
  // Dawn complains on stderr when XDG_RUNTIME_DIR is unset; a private one silences it.
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'attn-xdg-'));
}

let gpu: GPU | null = null;

/** The process-wide Node GPU object (created once: re-creating or deleting it can crash Dawn). */
export async function nodeGpu(): Promise<GPU> {
  if (!gpu) {
    configureVulkanEnvironment();
    const webgpu = await import('webgpu');
    Object.assign(globalThis, webgpu.globals);
    // Dawn rounds timestamps down to 65 536 ns by default; the profiler wants the raw ticks.
    gpu = webgpu.create(['disable-dawn-features=timestamp_quantization']);
  }
  return gpu;
}

/**
 * Makes `navigator.gpu` the process-wide Node GPU object, for libraries that look for WebGPU there
 * (TensorFlow.js's WebGPU backend: the tfjs peer of `npm run bench -- --node`). Node 20 has no
 * `navigator`; a newer Node's has no `gpu`.
 */
export async function exposeNavigatorGpu(): Promise<GPU> {
  const gpu = await nodeGpu();
  const holder = globalThis as { navigator?: { gpu?: GPU } };
  if (holder.navigator === undefined) {
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu, userAgent: `Node.js ${process.version}` },
      configurable: true,
      writable: true,
    });
  } else if (holder.navigator.gpu === undefined) {
    Object.defineProperty(holder.navigator, 'gpu', { value: gpu, configurable: true });
  }
  return gpu;
}
