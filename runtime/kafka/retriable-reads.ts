// Reads of the admin API that a rebalance or a metadata refresh can fail for a moment: tried again
// when the client calls the failure retriable, a bounded number of times.
import { backoffDelay, type BackoffPolicy } from '../http/backoff-delay.js';
import type { Logger } from '../logger.js';

export interface RetriableReadOptions {
  /** Tries in all; 6 by default. */
  readonly attempts?: number | undefined;
  /** Waits between tries; 100 ms doubling to 2 s by default (about 3 s in all). */
  readonly backoff?: BackoffPolicy | undefined;
  /** Waits `ms` (tests pass a fake). */
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
  readonly logger?: Logger | undefined;
}

const DEFAULT_BACKOFF: BackoffPolicy = { baseDelayMs: 100, maxDelayMs: 2_000 };
const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** True for an error its client calls retriable (kafkajs's `retriable`, as PolyflowError's). */
export const isRetriable = (err: unknown): boolean => (err as { retriable?: unknown } | undefined)?.retriable === true;

/** True for a broker's "unknown topic or partition", also when kafkajs's own retries of it ran out. */
export function isUnknownTopic(err: unknown): boolean {
  const type = (e: unknown): unknown => (e as { type?: unknown } | undefined)?.type;
  return type(err) === 'UNKNOWN_TOPIC_OR_PARTITION' || type((err as { cause?: unknown } | undefined)?.cause) === 'UNKNOWN_TOPIC_OR_PARTITION';
}

/**
 * `read()`, again after a retriable failure (logged with `what`); the last failure, or the first that
 * is not retriable, is thrown. A topic the broker does not know is not tried again: kafkajs calls it
 * retriable and has already retried it itself (a topic that was never created stays so).
 */
export async function readRetrying<T>(what: string, read: () => Promise<T>, opts: RetriableReadOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 6;
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (!isRetriable(err) || isUnknownTopic(err) || attempt >= attempts) throw err;
      const delayMs = backoffDelay(attempt, opts.backoff ?? DEFAULT_BACKOFF);
      opts.logger?.warn({ err, attempt, delayMs }, `could not read ${what}: trying again`);
      await (opts.sleep ?? sleepFor)(delayMs);
    }
  }
}
