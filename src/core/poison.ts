/**
 * The value output buffers are filled with before a checked run (`poison: true`): a quiet NaN with
 * a payload no arithmetic produces (computed NaNs are 0xffc00000 on x86 and SwiftShader, 0x7fffffff
 * on most GPUs, 0x7fc00000 in JavaScript). An element that still holds these bits afterwards was
 * never written by the kernel.
 */
export const POISON_BITS = 0x7fc00bad;

/** `count` float32 poison values. */
export function poisonArray(count: number): Float32Array {
  return new Float32Array(new Uint32Array(count).fill(POISON_BITS).buffer);
}
