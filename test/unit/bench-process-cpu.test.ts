import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { coresSince, groupCpuSeconds, processesCpuSeconds } from '../../bench/kafka/process-cpu.js';

afterEach(() => vi.restoreAllMocks());

describe.runIf(process.platform === 'linux')('bench process CPU (/proc)', () => {
  it("reads a process's CPU seconds and its group's as they grow, their sum for several, and none once it is gone", async () => {
    // A child in a process group of its own, spinning until killed.
    const child = spawn(process.execPath, ['-e', 'for (;;);'], { detached: true, stdio: 'ignore' });
    const exited = once(child, 'exit');
    const pid = child.pid as number;
    try {
      const deadline = Date.now() + 10_000;
      while ((processesCpuSeconds([pid]) ?? 0) < 0.05 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 20));
      const before = processesCpuSeconds([pid]) as number;
      const group = groupCpuSeconds(pid) as number;
      const own = processesCpuSeconds([process.pid]) as number;
      const both = processesCpuSeconds([pid, process.pid]) as number;
      const after = processesCpuSeconds([pid]) as number;
      expect(before).toBeGreaterThanOrEqual(0.05);
      // The child leads its group alone: read in between, the group's count lies between the child's two.
      expect(group).toBeGreaterThanOrEqual(before);
      expect(group).toBeLessThanOrEqual(after);
      expect(both).toBeGreaterThanOrEqual(before + own);
      expect(both).toBeLessThanOrEqual(after + (processesCpuSeconds([process.pid]) as number));
    } finally {
      child.kill('SIGKILL');
    }
    await exited;
    expect(processesCpuSeconds([pid])).toBeUndefined();
    expect(groupCpuSeconds(pid)).toBe(0);
  });

  it('gives the cores used since it started: CPU seconds per wall second, null when unreadable', () => {
    let now = 1_000;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const readings = [10, 11.5];
    const cores = coresSince(() => readings.shift());
    now += 2_000;
    expect(cores()).toBe(0.75);
    const unreadable = coresSince(() => undefined);
    now += 1_000;
    expect(unreadable()).toBeNull();
  });
});
