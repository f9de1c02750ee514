/** Errors the engine raises, each carrying what the UI and the CLI need to explain it. */

import type { ShaderMessage } from '../core/errors';
import type { StageName } from '../core/stages';

/** The WGSL did not compile. */
export class KernelCompileError extends Error {
  override readonly name = 'KernelCompileError';
  constructor(
    readonly stage: StageName,
    readonly messages: ShaderMessage[],
  ) {
    super(
      `${stage} kernel does not compile:\n${messages
        .filter((m) => m.type === 'error')
        .map((m) => `  ${m.line}:${m.column} ${m.message}`)
        .join('\n')}`,
    );
  }
}

/** The WGSL compiled but does not fit the kernel interface (bindings, entry point, workgroup size). */
export class KernelInterfaceError extends Error {
  override readonly name = 'KernelInterfaceError';
  constructor(
    readonly stage: StageName,
    readonly problems: string[],
  ) {
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
  constructor(
    readonly limit: string,
    readonly required: number,
    readonly available: number,
    what: string,
    hint = '',
  ) {
    super(`${what} needs ${limit} ≥ ${required}, but this device allows ${available}${hint ? `. ${hint}` : ''}`);
  }
}

export class DeviceLostError extends Error {
  override readonly name = 'DeviceLostError';
}
