/** Compiles kernels once per device and explains every way a kernel can fail to become a pipeline. */
import type { ShaderMessage } from '../core/errors';
import type { StageName } from '../core/stages';
import { GpuValidationError, KernelCompileError, KernelInterfaceError } from './errors';
import { bindGroupLayoutEntries, STAGES } from './interface';
import type { KernelShape } from './reflect';
import { ENTRY_POINT, interfaceProblems } from './reflect';

export interface CompiledKernel extends KernelShape {
  stage: StageName;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  warnings: ShaderMessage[];
  /** The override constants the pipeline was created with (only those the kernel declares). */
  constants: Record<string, number>;
}

const caches = new WeakMap<GPUDevice, Map<string, Promise<CompiledKernel>>>();

export function toShaderMessages(info: GPUCompilationInfo): ShaderMessage[] {
  return info.messages.map((m) => ({
    type: m.type,
    message: m.message,
    line: m.lineNum,
    column: m.linePos,
    offset: m.offset,
    length: m.length,
  }));
}

/** Compile diagnostics only (no pipeline): what an editor shows as markers while the user types. */
export async function compileMessages(device: GPUDevice, source: string, label = 'kernel'): Promise<ShaderMessage[]> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: source, label });
  const messages = toShaderMessages(await module.getCompilationInfo());
  await device.popErrorScope(); // the messages above already say everything the scope would
  return messages;
}

async function build(device: GPUDevice, stage: StageName, source: string, label: string, offered: Record<string, number>): Promise<CompiledKernel> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: source, label: `${label}.module` });
  const messages = toShaderMessages(await module.getCompilationInfo());
  await device.popErrorScope();
  if (messages.some((m) => m.type === 'error')) throw new KernelCompileError(stage, messages);

  const spec = STAGES[stage];
  const { problems, shape } = interfaceProblems(source, spec);
  if (problems.length > 0 || !shape) throw new KernelInterfaceError(stage, problems);

  // Setting a constant the module does not declare is a validation error: pass only declared ones.
  const constants = Object.fromEntries(Object.entries(offered).filter(([name]) => shape.overrides.includes(name)));
  const layout = device.createBindGroupLayout({ label: `${label}.bindings`, entries: bindGroupLayoutEntries(spec) });
  device.pushErrorScope('validation');
  let pipeline: GPUComputePipeline;
  try {
    pipeline = await device.createComputePipelineAsync({
      label,
      layout: device.createPipelineLayout({ label: `${label}.layout`, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: ENTRY_POINT, constants },
    });
  } catch (error) {
    await device.popErrorScope();
    throw new KernelInterfaceError(stage, [`pipeline creation failed: ${(error as Error).message}`]);
  }
  const scopeError = await device.popErrorScope();
  if (scopeError) throw new GpuValidationError(scopeError.message);
  return { stage, pipeline, layout, ...shape, constants, warnings: messages.filter((m) => m.type !== 'info') };
}

/**
 * The compiled kernel for this source and these override constants, built at most once per device
 * (failures are not cached). `constants` are offered: those the kernel does not declare are dropped.
 */
export function getKernel(device: GPUDevice, stage: StageName, source: string, label: string, constants: Record<string, number> = {}): Promise<CompiledKernel> {
  let cache = caches.get(device);
  if (!cache) caches.set(device, (cache = new Map()));
  const key = `${stage}\u0000${JSON.stringify(Object.entries(constants).sort())}\u0000${source}`;
  let kernel = cache.get(key);
  if (!kernel) {
    kernel = build(device, stage, source, label, constants);
    cache.set(key, kernel);
    kernel.catch(() => cache.delete(key));
  }
  return kernel;
}
