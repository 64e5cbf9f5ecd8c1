import type { ReplayScheduler } from '../../runtime/replay-scheduler.js';

/** One turn of the event loop: lets socket and HTTP I/O of the local test servers happen. */
export function ioTurn(ms = 1): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits, in real time, for `cond` while the virtual clock stands still (socket I/O only);
 * throws after `timeoutMs` with `what`.
 */
export async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await ioTurn();
  }
}

/** Moves virtual time forward by `ms` in steps of `stepMs`, letting I/O happen after each step. */
export async function advance(scheduler: ReplayScheduler, ms: number, stepMs = 100, turns = 3): Promise<void> {
  const end = scheduler.now() + ms;
  while (scheduler.now() < end) {
    scheduler.advanceTo(Math.min(end, scheduler.now() + stepMs));
    for (let i = 0; i < turns; i++) await ioTurn();
  }
}

/** Advances virtual time step by step until `cond`, at most `maxMs` of virtual time. */
export async function advanceUntil(scheduler: ReplayScheduler, cond: () => boolean, what: string, maxMs = 120_000, stepMs = 100): Promise<void> {
  const end = scheduler.now() + maxMs;
  while (!cond()) {
    if (scheduler.now() >= end) throw new Error(`virtual time ran out (${maxMs} ms) waiting for ${what}`);
    scheduler.advanceTo(scheduler.now() + stepMs);
    for (let i = 0; i < 3; i++) await ioTurn();
  }
}
