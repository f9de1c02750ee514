/**
 * The fused kernel with f16 storage, made from the one float32 kernel: WGSL has no preprocessor,
 * so the kernel keeps its Q/K/V bindings and the functions that load from them in one marked block,
 *
 *   // @storage-begin   …bindings 1–3 and load_q/load_k/load_v (float32)…   // @storage-end
 *
 * and f16 storage replaces that block with shaders/storage/f16.wgsl: the same bindings as
 * array<u32> of packed halves and the same functions, unpacking with WGSL's core unpack2x16float.
 * Everything else — tiles, arithmetic, accumulation — is the float32 kernel's, so one kernel is
 * written, verified and read. A user's own kernel opts in to f16 storage by declaring
 * `const F16_STORAGE = true;` and reading packed halves itself.
 */
import type { ShaderLibrary } from './variants';
import { moduleConstantOf } from './reflect';

export const STORAGE_BEGIN = '// @storage-begin';
export const STORAGE_END = '// @storage-end';
/** The replacement block for f16 storage, in the shader library. */
export const HALF_STORAGE_FILE = 'storage/f16.wgsl';
/** The constant a kernel declares when its q, k and v bindings hold packed halves. */
export const F16_STORAGE_CONSTANT = 'F16_STORAGE';

/** True when the kernel declares `const F16_STORAGE = true;` (it reads Q, K and V as packed halves). */
export function declaresF16Storage(source: string): boolean {
  return moduleConstantOf(source, F16_STORAGE_CONSTANT) === 1;
}

/** The kernel with its storage block replaced by f16 storage; throws when it has no such block. */
export function halfStorageSource(source: string, shaders: ShaderLibrary): string {
  const begin = source.indexOf(STORAGE_BEGIN);
  const end = source.indexOf(STORAGE_END);
  if (begin < 0 || end < begin) {
    throw new Error(`this kernel has no ${STORAGE_BEGIN} … ${STORAGE_END} block, so it cannot be given f16 storage`);
  }
  const block = shaders[HALF_STORAGE_FILE];
  if (block === undefined) throw new Error(`shader ${HALF_STORAGE_FILE} is missing from the shader library`);
  const after = end + STORAGE_END.length;
  return `${source.slice(0, begin)}${STORAGE_BEGIN} (f16 storage: ${HALF_STORAGE_FILE})\n${block.trimEnd()}\n${STORAGE_END}${source.slice(after)}`;
}
