/**
 * The page's watchdog for GPU work: a run that has not come back within its time limit stops being
 * waited for (GpuTimeoutError), and an aborted signal stops the wait at once (RunCancelledError).
 * The GPU may still be busy: the caller destroys the device and acquires a new one (GpuSession).
 * Limits come from gpuTimeLimitMs (src/core/kernel-safety.ts). No DOM: runs in Node too.
 */
import { RunCancelledError } from '../core/errors';
import { formatLimit } from '../core/kernel-safety';

/** GPU work that did not finish within its time limit. */
export class GpuTimeoutError extends Error {
  override readonly name = 'GpuTimeoutError';
  constructor(readonly limitMs: number) {
    super(`the GPU did not finish within ${formatLimit(limitMs)}`);
  }
}

/**
 * Waits for `work` until `signal` aborts, then stops waiting at once (RunCancelledError); the GPU
 * may still be busy with it. For waits whose time limit is someone else's (the verifier's per case).
 */
export async function untilCancelled<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) throw new RunCancelledError('run cancelled');
  work.catch(() => {});
  let onAbort = () => {};
  const stop = new Promise<never>((_, reject) => {
    onAbort = () => reject(new RunCancelledError('run cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, stop]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Runs `work` and waits at most `limitMs` for it. `work` gets `rearm`, which restarts the clock
 * with a new limit (a run in blocks rearms it after each block, so the limit is per block). A late
 * result or rejection of a run given up on is swallowed.
 */
export async function withTimeLimit<T>(
  work: (rearm: (limitMs: number) => void) => Promise<T>,
  limitMs: number,
  signal?: AbortSignal,
): Promise<T> {
  if (signal?.aborted) throw new RunCancelledError('run cancelled');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let fail: (error: Error) => void = () => {};
  const stop = new Promise<never>((_, reject) => (fail = reject));
  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => fail(new GpuTimeoutError(ms)), ms);
  };
  const onAbort = () => fail(new RunCancelledError('run cancelled'));
  signal?.addEventListener('abort', onAbort, { once: true });
  arm(limitMs);
  const running = work(arm);
  running.catch(() => {});
  try {
    return await Promise.race([running, stop]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
