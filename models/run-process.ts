import { spawn } from 'node:child_process';
import { PolyflowError } from '../runtime/errors.js';

/** A trainer (Python) failed (exit code, signal) or could not be started. */
export class TrainingError extends PolyflowError {
  constructor(message: string, cause?: unknown) {
    super('MODEL_TRAINING_FAILED', message, { retriable: false, cause });
  }
}

/** Runs a command to completion; rejects with its stderr tail on a non-zero exit. */
export function runProcess(cmd: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(new TrainingError(`cannot start ${cmd}`, err)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve({ stdout, stderr });
      else reject(new TrainingError(`${cmd} ${args[0] ?? ''} failed (${signal ?? `exit ${code}`}): ${stderr.trim().slice(-2000)}`));
    });
  });
}
