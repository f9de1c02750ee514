/** Acquiring a device with the limits attention needs, the same way in Node and in the page. */

export class NoAdapterError extends Error {
  override readonly name = 'NoAdapterError';
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for CPU emulation (SwiftShader): correct, but timings say nothing about a real GPU. */
  isSoftware: boolean;
  features: string[];
  limits: Record<string, number>;
}

/** The limits the engine raises to the adapter's maximum (defaults are far lower, e.g. 128 MiB bindings). */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
] as const;

const OPTIONAL_FEATURES: GPUFeatureName[] = ['timestamp-query', 'subgroups', 'shader-f16'];

export const HOW_TO_GET_WEBGPU =
  "WebGPU needs a GPU driver or a software one. In Node install Debian's chromium package (it ships the SwiftShader " +
  'Vulkan driver) and libvulkan1, then set VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json; in a browser use ' +
  'a recent Chrome/Edge (or Chromium with --enable-unsafe-webgpu) on a page served from https:// or http://127.0.0.1.';

/** True for a CPU emulator (SwiftShader, llvmpipe, lavapipe, or an adapter that says it is a fallback). */
export function isSoftwareAdapter(info: GPUAdapterInfo | undefined): boolean {
  if (!info) return false;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return (
    text.includes('swiftshader') ||
    text.includes('llvmpipe') ||
    text.includes('lavapipe') ||
    ('isFallbackAdapter' in info && Boolean(info.isFallbackAdapter))
  );
}

function summarizeAdapter(adapter: GPUAdapter): AdapterSummary {
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) limits[name] = adapter.limits[name];
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isSoftware: isSoftwareAdapter(info),
    features: [...adapter.features].sort(),
    limits,
  };
}

export async function requestAttentionDevice(
  gpu: GPU | undefined,
): Promise<{ adapter: GPUAdapter; device: GPUDevice; summary: AdapterSummary }> {
  if (!gpu) throw new NoAdapterError(`WebGPU is not available here. ${HOW_TO_GET_WEBGPU}`);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new NoAdapterError(`No WebGPU adapter was found. ${HOW_TO_GET_WEBGPU}`);
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ label: 'Attention.device', requiredLimits, requiredFeatures });
  return { adapter, device, summary: summarizeAdapter(adapter) };
}

/**
 * A second device with WebGPU's default limits (no limit raised), from a fresh adapter (an adapter
 * gives one device): the verifier creates every kernel's pipeline there too, so a kernel that only
 * fits this machine's larger limits is reported. Null when no adapter is offered.
 */
export async function requestDefaultLimitsDevice(gpu: GPU | undefined): Promise<GPUDevice | null> {
  const adapter = await gpu?.requestAdapter({ powerPreference: 'high-performance' });
  return adapter ? adapter.requestDevice({ label: 'Attention.defaultLimitsDevice' }) : null;
}
