/** Errors the engine raises, each carrying what the UI and the CLI need to explain it. */

/**
 * The passes a run can execute: the three-pass variants run qk → softmax → pv, the fused variant
 * runs fused alone, and project (the optional output projection W_o) follows either.
 */
export type StageName = 'qk' | 'softmax' | 'pv' | 'fused' | 'project';

export interface ShaderMessage {
  type: 'error' | 'warning' | 'info';
  message: string;
  /** 1-based line and column in the kernel source, 0 when the compiler gave no position. */
  line: number;
  column: number;
  offset: number;
  length: number;
}

/** The WGSL did not compile. */
export class KernelCompileError extends Error {
  override readonly name = 'KernelCompileError';
  constructor(readonly stage: StageName, readonly messages: ShaderMessage[]) {
    super(`${stage} kernel does not compile:\n${messages.filter((m) => m.type === 'error').map((m) => `  ${m.line}:${m.column} ${m.message}`).join('\n')}`);
  }
}

/** The WGSL compiled but does not fit the kernel interface (bindings, entry point, workgroup size). */
export class KernelInterfaceError extends Error {
  override readonly name = 'KernelInterfaceError';
  constructor(readonly stage: StageName, readonly problems: string[]) {
    super(`${stage} kernel does not fit the kernel interface (docs/kernel-interface.md):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** A WebGPU validation or out-of-memory error caught by an error scope, with the implementation's message. */
export class GpuValidationError extends Error {
  override readonly name = 'GpuValidationError';
}

/** The problem is bigger than a device limit allows; names the limit. */
export class LimitError extends Error {
  override readonly name = 'LimitError';
  constructor(readonly limit: string, readonly required: number, readonly available: number, what: string, hint = '') {
    super(`${what} needs ${limit} ≥ ${required}, but this device allows ${available}${hint ? `. ${hint}` : ''}`);
  }
}

export class DeviceLostError extends Error {
  override readonly name = 'DeviceLostError';
}

/** A newer run superseded this one, or the caller aborted it. */
export class RunCancelledError extends Error {
  override readonly name = 'RunCancelledError';
}
