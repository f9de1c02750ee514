/** Runs a project script as a user would (node --import tsx), capturing exit code and output. */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `killAfterMs`: a command still running then is killed (code null, "killed after …" on stderr), so
 * that a test of a command that must not hang fails instead of hanging.
 */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv = {}, killAfterMs?: number): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '',
      stderr = '';
    const timer =
      killAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            stderr += `\n[killed after ${killAfterMs} ms: the command did not end]\n`;
            child.kill('SIGKILL');
          }, killAfterMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
