import type { Logger } from './logger.js';

/**
 * Runs `work`, then `close`, whichever way `work` ended. When `work` failed, its error is the one
 * thrown: a failure to close after it is logged, not thrown (it is most often a consequence of the
 * first, and would hide the cause). When `work` succeeded, a failure to close is thrown.
 */
export async function closeAfter<T>(work: () => Promise<T>, close: () => Promise<void> | void, logger: Pick<Logger, 'warn'>, what: string): Promise<T> {
  let result: T;
  try {
    result = await work();
  } catch (err) {
    try {
      await close();
    } catch (closeErr) {
      logger.warn({ err: closeErr }, `${what}: could not close after the failure (the failure is reported)`);
    }
    throw err;
  }
  await close();
  return result;
}

/**
 * Runs every step in order, each whatever the ones before it did (a producer is disconnected though
 * the consumer's disconnect failed); throws the first failure once all ran, the later ones logged.
 */
export async function closeEach(steps: readonly (() => Promise<unknown> | unknown)[], logger: Pick<Logger, 'warn'> | undefined, what: string): Promise<void> {
  let first: { err: unknown } | undefined;
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      if (first === undefined) first = { err };
      else logger?.warn({ err }, `${what}: a further step failed while closing`);
    }
  }
  if (first !== undefined) throw first.err;
}
