// Where a latency run's cores go: CPU seconds of processes, read off /proc (Linux; none elsewhere).
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Linux's USER_HZ: /proc counts CPU time in these ticks a second on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

/** A process's state, parent, group and CPU ticks, after the command name (which may hold spaces). */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User plus system CPU seconds of stat fields (utime and stime are the 12th and 13th after the name). */
const cpuSecondsOf = (fields: readonly string[]): number => (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;

/** This process's CPU seconds so far (user plus system). */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** CPU seconds the processes used so far; undefined when one cannot be read (gone, or no /proc). */
export function processesCpuSeconds(pids: readonly number[]): number | undefined {
  let total = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    if (fields === undefined) return undefined;
    total += cpuSecondsOf(fields);
  }
  return total;
}

/** CPU seconds every live process of a process group used so far (a broker with its helpers); undefined without /proc. */
export function groupCpuSeconds(groupId: number): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  let total = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields !== undefined && Number(fields[2]) === groupId) total += cpuSecondsOf(fields);
  }
  return total;
}

/** Starts measuring: the returned function gives the cores used since (CPU seconds per wall second, 2 decimals), null when unreadable. */
export function coresSince(read: () => number | undefined): () => number | null {
  const startedAt = performance.now();
  const before = read();
  return () => {
    const after = read();
    const seconds = (performance.now() - startedAt) / 1000;
    return before === undefined || after === undefined || !(seconds > 0) ? null : Math.round(((after - before) / seconds) * 100) / 100;
  };
}
