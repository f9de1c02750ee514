/**
 * A benchmark card from a finished profile and the device it ran on: the adapter, the device's
 * limits and features, and the SHA-256 of every shader the run used (the variants' stage kernels,
 * RoPE when it was on, the roofline microbenchmarks and any custom kernel).
 */
import { settingVariant } from './profile';
import { HALF_STORAGE_FILE } from './half-storage';
import { SUBGROUP_FILE } from './subgroups';
import type { BenchCard } from '../core/bench-card';
import { makeCard } from '../core/bench-card';
import type { AdapterInfo, ProfileResult } from '../core/profile-report';
import { sha256Hex } from '../core/sha256';
import type { CustomVariant } from './profile';
import { ROOFLINE_SHADERS } from './roofline';
import type { ShaderLibrary } from './variants';
import { isVariant, ROPE_SHADER, stageShaderFile, variantStages } from './variants';

/** WebGPU's limits by name (GPUSupportedLimits' attributes are not own properties everywhere). */
const LIMIT_NAMES = [
  'maxTextureDimension1D',
  'maxTextureDimension2D',
  'maxTextureDimension3D',
  'maxTextureArrayLayers',
  'maxBindGroups',
  'maxBindingsPerBindGroup',
  'maxDynamicUniformBuffersPerPipelineLayout',
  'maxDynamicStorageBuffersPerPipelineLayout',
  'maxSampledTexturesPerShaderStage',
  'maxSamplersPerShaderStage',
  'maxStorageBuffersPerShaderStage',
  'maxStorageTexturesPerShaderStage',
  'maxUniformBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxStorageBufferBindingSize',
  'minUniformBufferOffsetAlignment',
  'minStorageBufferOffsetAlignment',
  'maxVertexBuffers',
  'maxBufferSize',
  'maxVertexAttributes',
  'maxVertexBufferArrayStride',
  'maxInterStageShaderVariables',
  'maxColorAttachments',
  'maxColorAttachmentBytesPerSample',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
];

export function deviceLimits(device: GPUDevice): Record<string, number> {
  const limits = device.limits as unknown as Record<string, unknown>;
  return Object.fromEntries(LIMIT_NAMES.flatMap((name) => (typeof limits[name] === 'number' ? [[name, limits[name]]] : [])));
}

/** path → SHA-256 of every shader the profile ran. */
export async function shaderHashes(
  result: ProfileResult,
  shaders: ShaderLibrary,
  custom: Record<string, CustomVariant> = {},
): Promise<Record<string, string>> {
  const files = new Set<string>(Object.values(ROOFLINE_SHADERS));
  if (result.config.features?.rope) files.add(ROPE_SHADER);
  const hashes: Record<string, string> = {};
  // The fused kernel's subgroup form swaps in a block of its own wherever a row ran it.
  if (result.rows.some((row) => row.subgroups === true)) files.add(SUBGROUP_FILE);
  for (const variant of result.config.variants) {
    const own = custom[variant] ?? settingVariant(variant);
    if (own?.run?.precision === 'f16') files.add(HALF_STORAGE_FILE);
    const base = own?.base ?? (isVariant(variant) ? variant : null);
    if (!base) continue;
    for (const stage of variantStages(base)) {
      const source = own?.kernels[stage];
      if (source !== undefined) hashes[`${variant}/${stage}`] = await sha256Hex(source);
      else files.add(stageShaderFile(base, stage)!);
    }
  }
  for (const file of [...files].sort()) if (shaders[file] !== undefined) hashes[file] = await sha256Hex(shaders[file]);
  return hashes;
}

export interface CardSource {
  result: ProfileResult;
  device: GPUDevice;
  adapter: AdapterInfo;
  shaders: ShaderLibrary;
  custom?: Record<string, CustomVariant>;
  /** The command line, or where in the page. */
  source: string;
}

export async function benchCard({ result, device, adapter, shaders, custom, source }: CardSource): Promise<BenchCard> {
  return makeCard({
    source,
    adapter,
    limits: deviceLimits(device),
    features: [...device.features].map(String).sort(),
    shaders: await shaderHashes(result, shaders, custom),
    result,
  });
}
