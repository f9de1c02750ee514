/**
 * The storage precision of a run's inputs: float32 everywhere, or f16 storage — Q, K and V held as
 * halves two to a word (half the bytes to read), unpacked to float32 in the kernel, all arithmetic
 * and accumulation in float32 (./half.ts, the tolerance in ./tolerance.ts). f16 storage uses WGSL's
 * core unpack2x16float, so it needs no `shader-f16` and runs, and is verified, on any device.
 *
 * What a run may use is decided here, once, for the engine, the terminal and the page.
 */
import type { AttentionInputs } from './shapes';
import { halfRangeProblem } from './half';

export const PRECISIONS = ['f32', 'f16'] as const;
export type Precision = (typeof PRECISIONS)[number];
/** What a user asks for: a precision, or 'auto' (f16 storage wherever the run allows it). */
export type PrecisionChoice = Precision | 'auto';
export const PRECISION_CHOICES: readonly PrecisionChoice[] = ['f32', 'f16', 'auto'];

export const PRECISION_TITLES: Readonly<Record<Precision, string>> = {
  f32: 'float32',
  f16: 'f16 storage (float32 arithmetic)',
};

export function isPrecision(value: unknown): value is Precision {
  return typeof value === 'string' && (PRECISIONS as readonly string[]).includes(value);
}

export function isPrecisionChoice(value: unknown): value is PrecisionChoice {
  return typeof value === 'string' && (PRECISION_CHOICES as readonly string[]).includes(value);
}

/** What decides whether f16 storage is possible for a run. */
export interface PrecisionContext {
  /** The variant: only 'fused' has an f16-storage kernel. */
  variant: string;
  /** RoPE on: its stage writes float32 Q and K, which an f16-storage kernel cannot read. */
  rope: boolean;
  /**
   * The fused kernel is the user's: it can take halves only if it says so with
   * `const F16_STORAGE = true;` (then its q, k, v bindings hold packed halves).
   */
  customKernel: { declaresF16Storage: boolean } | null;
  inputs: Pick<AttentionInputs, 'q' | 'k' | 'v'>;
}

export interface PrecisionDecision {
  precision: Precision;
  /** Why, in words: shown by the terminal and the page. */
  reason: string;
}

export class PrecisionError extends Error {
  override readonly name = 'PrecisionError';
}

/** The reasons f16 storage cannot be used for this run (empty when it can). */
export function halfStorageObstacles(context: PrecisionContext): string[] {
  const obstacles: string[] = [];
  if (context.variant !== 'fused') obstacles.push(`only the fused variant has an f16-storage kernel (this run uses ${context.variant})`);
  if (context.rope) obstacles.push('RoPE is on, and its stage writes float32 Q and K');
  if (context.customKernel && !context.customKernel.declaresF16Storage)
    obstacles.push('the fused kernel is your own and does not declare `const F16_STORAGE = true;`');
  const { q, k, v } = context.inputs;
  for (const [name, matrix] of [
    ['Q', q],
    ['K', k],
    ['V', v],
  ] as const) {
    const problem = halfRangeProblem(name, matrix);
    if (problem) obstacles.push(problem);
  }
  return obstacles;
}

/**
 * The precision a run uses: 'f32' always works; 'f16' works where halfStorageObstacles finds
 * nothing, and is refused with every reason otherwise; 'auto' takes f16 where it works, else f32,
 * saying why.
 */
export function resolvePrecision(choice: PrecisionChoice, context: PrecisionContext): PrecisionDecision {
  if (choice === 'f32') return { precision: 'f32', reason: 'float32 asked for' };
  const obstacles = halfStorageObstacles(context);
  if (choice === 'f16') {
    if (obstacles.length > 0) throw new PrecisionError(`f16 storage is not possible for this run: ${obstacles.join('; ')}`);
    return { precision: 'f16', reason: 'f16 storage asked for' };
  }
  if (obstacles.length > 0) return { precision: 'f32', reason: `float32, because ${obstacles.join('; ')}` };
  return { precision: 'f16', reason: 'f16 storage: the fused kernel reads half the bytes' };
}
