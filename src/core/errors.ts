/** Errors and messages shared by every layer: the user's input, compiler messages, cancelled runs. */

/** What is wrong with the user's input, for the CLI (exit 2) and the page. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** A WGSL compiler message (WebGPU's GPUCompilationMessage, made plain). */
export interface ShaderMessage {
  type: 'error' | 'warning' | 'info';
  message: string;
  /** 1-based line and column in the kernel source, 0 when the compiler gave no position. */
  line: number;
  column: number;
  offset: number;
  length: number;
}

/** A newer run superseded this one, or the caller aborted it. */
export class RunCancelledError extends Error {
  override readonly name = 'RunCancelledError';
}
