import type { Clock } from './clock.js';

/**
 * A Clock for tests: `sleep(ms)` moves time forward by `ms` at once and records the wait, so code
 * that backs off or rate-limits runs instantly and the test can assert the waits it asked for.
 */
export class ManualClock implements Clock {
  private current: number;
  /** Every sleep asked for, in order (ms). */
  readonly sleeps: number[] = [];

  constructor(startMs = 1_800_000_000_000) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) throw signal.reason;
    this.sleeps.push(ms);
    this.current += Math.max(0, ms);
  }
}
