import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fromPackageRoot } from '../../runtime/package-root.js';

/** A running librdkafka mock cluster (infra/kafka/mock-cluster.sh) and how to stop it. */
export interface MockCluster {
  readonly bootstrap: string;
  stop(): void;
}

const script = (): string => fromPackageRoot('infra/kafka/mock-cluster.sh');

/** Starts the mock cluster in its own process group and resolves with its bootstrap address. */
export function startMockCluster(opts: { brokers?: number; timeoutMs?: number } = {}): Promise<MockCluster> {
  const child: ChildProcess = spawn('bash', [script(), String(opts.brokers ?? 1)], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const stop = (): void => {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`mock cluster: no bootstrap address in ${opts.timeoutMs ?? 10_000} ms ${stderr}`));
    }, opts.timeoutMs ?? 10_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mock cluster exited (${code}): ${stderr.trim()}`));
    });
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve({ bootstrap: line.trim(), stop });
    });
  });
}
