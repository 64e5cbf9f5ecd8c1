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
