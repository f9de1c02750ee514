/**
 * The one front door for kernels: compile → interface check → pipeline, used alike by the engine,
 * the verifier and the shader lab. Each step explains what fails (compiler messages with line and
 * column, interface problems in words), and a kernel that passes all three is cached per device.
 */
import type { ShaderMessage } from '../core/errors';
import type { StageName } from '../core/stages';
import { KernelCompileError, KernelInterfaceError } from './errors';
import type { KernelLimits, KernelProblem } from './interface';
import { bindGroupLayoutEntries, STAGES } from './interface';
import type { KernelShape } from './reflect';
import { ENTRY_POINT, interfaceProblems } from './reflect';

export interface CompiledKernel extends KernelShape {
  stage: StageName;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  /** The compiler's warnings (errors stop a kernel before it gets here). */
  warnings: ShaderMessage[];
  /** The override constants the pipeline was created with (only those the kernel declares). */
  constants: Record<string, number>;
}

/** Everything known about one kernel source for one stage. */
export interface KernelDiagnosis {
  stage: StageName;
  /** Every compiler message (errors, warnings, info), with line and column in the source. */
  messages: ShaderMessage[];
  /**
   * Why a kernel that compiles does not fit the interface or did not become a pipeline, in words;
   * empty when it compiled with errors (the interface is not checked then) or when it is ready.
   */
  problems: string[];
  /** The pipeline and what the engine reads from the kernel; null when anything above failed. */
  kernel: CompiledKernel | null;
}

/**
 * Where a kernel is built: a device (its override constants sized by the device's own limits) or
 * anything with a device and the limits to size them by, such as an AttentionEngine.
 */
export type KernelTarget = GPUDevice | { readonly device: GPUDevice; readonly limits: KernelLimits };

export interface KernelOptions {
  /** Prefix of the GPU objects' labels (default `Attention.<stage>`). */
  label?: string;
  /**
   * The whole problem the pipeline will run, for the constants a stage sets from it (the fused
   * kernel's head-width buckets and rows per workgroup); without it only the limits' constants.
   */
  problem?: KernelProblem;
}

const caches = new WeakMap<GPUDevice, Map<string, Promise<KernelDiagnosis>>>();

function toShaderMessages(info: GPUCompilationInfo): ShaderMessage[] {
  return info.messages.map((m) => ({
    type: m.type,
    message: m.message,
    line: m.lineNum,
    column: m.linePos,
    offset: m.offset,
    length: m.length,
  }));
}

function resolveTarget(target: KernelTarget): { device: GPUDevice; limits: KernelLimits } {
  return 'device' in target ? target : { device: target, limits: target.limits };
}

async function build(
  device: GPUDevice,
  stage: StageName,
  source: string,
  label: string,
  offered: Record<string, number>,
): Promise<KernelDiagnosis> {
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: source, label: `${label}.module` });
  const messages = toShaderMessages(await module.getCompilationInfo());
  await device.popErrorScope(); // the messages above already say everything the scope would
  const failed = (problems: string[]): KernelDiagnosis => ({ stage, messages, problems, kernel: null });
  if (messages.some((m) => m.type === 'error')) return failed([]);

  const spec = STAGES[stage];
  const { problems, shape } = interfaceProblems(source, spec);
  if (problems.length > 0 || !shape) return failed(problems);

  // Setting a constant the module does not declare is a validation error: pass only declared ones.
  const constants = Object.fromEntries(Object.entries(offered).filter(([name]) => shape.overrides.includes(name)));
  const layout = device.createBindGroupLayout({ label: `${label}.bindings`, entries: bindGroupLayoutEntries(spec) });
  // Pipeline creation catches what the compiler does not (entry point, layout, device limits).
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
    return failed([`pipeline creation failed: ${(error as Error).message}`]);
  }
  const scopeError = await device.popErrorScope();
  if (scopeError) return failed([`pipeline creation failed: ${scopeError.message}`]);
  const warnings = messages.filter((m) => m.type !== 'info');
  return { stage, messages, problems: [], kernel: { stage, pipeline, layout, ...shape, constants, warnings } };
}

/**
 * Compiles a stage's kernel, checks it against the interface and creates its pipeline, with the
 * override constants the stage sets from the target's limits (e.g. the fused kernel's
 * WORKGROUP_BYTES). A kernel that becomes a pipeline is built once per device and cached; a
 * failing one is diagnosed again on the next call. Rejects only when the device itself fails.
 */
export function diagnoseKernel(
  target: KernelTarget,
  stage: StageName,
  source: string,
  options: KernelOptions = {},
): Promise<KernelDiagnosis> {
  const { device, limits } = resolveTarget(target);
  // Only the constants the source declares (reflection filters them again): a kernel without the
  // fused kernel's width overrides gets one pipeline for every problem, not one per bucket.
  const offered = STAGES[stage].constants?.(limits, options.problem) ?? {};
  const constants = Object.fromEntries(Object.entries(offered).filter(([name]) => new RegExp(`\\boverride\\s+${name}\\b`).test(source)));
  let cache = caches.get(device);
  if (!cache) caches.set(device, (cache = new Map()));
  const key = `${stage}\u0000${JSON.stringify(Object.entries(constants).sort())}\u0000${source}`;
  let diagnosis = cache.get(key);
  if (!diagnosis) {
    diagnosis = build(device, stage, source, options.label ?? `Attention.${stage}`, constants);
    const forget = () => cache.delete(key);
    cache.set(key, diagnosis);
    diagnosis.then((d) => d.kernel ?? forget(), forget);
  }
  return diagnosis;
}

/** The error that says why a diagnosed kernel has no pipeline; null when it has one. */
export function diagnosisError(diagnosis: KernelDiagnosis): KernelCompileError | KernelInterfaceError | null {
  if (diagnosis.kernel) return null;
  if (diagnosis.messages.some((m) => m.type === 'error')) return new KernelCompileError(diagnosis.stage, diagnosis.messages);
  return new KernelInterfaceError(diagnosis.stage, diagnosis.problems);
}
