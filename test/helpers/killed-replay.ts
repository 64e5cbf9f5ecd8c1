import { spawn } from 'node:child_process';

/** How one run of the CLI ended. */
export interface Attempt {
  readonly killed: boolean;
  /** `checkpoint committed` lines seen (the run must log at info). */
  readonly checkpoints: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the built CLI with `args`, SIGKILLed after its `afterCheckpoints`-th committed checkpoint
 * + `delayMs` (or `delayMs` after start when `afterCheckpoints` is 0; never when it is
 * Number.MAX_SAFE_INTEGER). `env` must set POLYFLOW_LOG_LEVEL=info for checkpoints to be seen.
 */
export function attemptReplay(cli: string, args: readonly string[], env: NodeJS.ProcessEnv, afterCheckpoints: number, delayMs: number): Promise<Attempt> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    let checkpoints = 0;
    let killed = false;
    let timer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      if (child.exitCode !== null || killed) return;
      killed = child.kill('SIGKILL');
    };
    if (afterCheckpoints === 0) timer = setTimeout(kill, delayMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      const seen = (stderr.match(/checkpoint committed/g) ?? []).length;
      if (seen > checkpoints) {
        checkpoints = seen;
        if (afterCheckpoints > 0 && checkpoints >= afterCheckpoints && timer === undefined) timer = setTimeout(kill, delayMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', checkpoints, code, stdout, stderr });
    });
  });
}
