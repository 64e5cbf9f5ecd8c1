import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { packageRoot } from '../../runtime/package-root.js';

/** Where the numbers were measured, for the report: hardware, node, source revision, load around the run. */
export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  /** Node and V8 flags of this process and its children: command line, then NODE_OPTIONS. */
  readonly nodeFlags: string;
  readonly commit: string;
  readonly loadavgStart: readonly number[];
  readonly loadavgEnd: readonly number[];
}

/** This machine now; `loadStart` is the load average taken when the run began. */
export function describeMachine(loadStart: readonly number[]): Machine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown cpu',
    cores: cpus().length,
    node: process.version,
    nodeFlags: [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].join(' ').trim() || 'none',
    commit: sourceRevision(),
    loadavgStart: loadStart.map((x) => Number(x.toFixed(2))),
    loadavgEnd: loadavg().map((x) => Number(x.toFixed(2))),
  };
}

/** The commit measured, and whether the Kafka path's sources differ from it (numbers of uncommitted code say so). */
function sourceRevision(): string {
  try {
    const git = (...a: string[]): string => execFileSync('git', a, { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = git('status', '--porcelain', '--', 'runtime', 'pipelines', 'operators', 'bin', 'schemas', 'sinks', 'models') !== '';
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''}`;
  } catch {
    return 'commit unknown';
  }
}
