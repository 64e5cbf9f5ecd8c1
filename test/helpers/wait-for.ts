import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `condition` every 25 ms until it holds; throws after `timeoutMs` (tests wait by polling, never by fixed sleeps). */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`waitFor: ${what} not met in ${timeoutMs} ms`);
    await sleep(25);
  }
}
