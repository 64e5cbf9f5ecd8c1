import { setTimeout as sleep } from 'node:timers/promises';
import { PolyflowError } from '../../runtime/errors.js';

export interface ConnectionRetryOptions {
  /** First delay, ms (default 100); doubles per attempt up to `maxDelayMs` (default 5 000). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Stop retrying after this long, ms (default 300 000); then the error is thrown. */
  readonly retryForMs?: number;
  /** Told about every failed attempt that will be retried. */
  readonly onRetry?: (attempt: number, delayMs: number, err: unknown) => void;
}

/** Postgres could not be reached, or dropped the connection: retriable. */
export class StateStoreUnavailableError extends PolyflowError {
  constructor(message: string, cause: unknown) {
    super('STATE_STORE_UNAVAILABLE', message, { retriable: true, cause });
  }
}

const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED']);
// SQLSTATE: connection exceptions (08), server shutting down or starting (57P01-3), too many
// connections, serialization failure and deadlock (the transaction may simply be run again).
const SQL_STATES = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);
const MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Connection ended|Client has encountered a connection error|read ECONNRESET|Query read timeout|not queryable/i;

/** A failure of the connection rather than of the statement: running it again may succeed. */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof PolyflowError) return err.retriable;
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NET_CODES.has(code) || SQL_STATES.has(code) || code.startsWith('08'))) return true;
  if (err instanceof AggregateError) return err.errors.some(isConnectionError);
  return MESSAGES.test(err.message);
}

/**
 * Runs `attempt` until it succeeds, retrying connection errors with capped exponential backoff.
 * Statement errors (a constraint, bad SQL) are thrown at once: retrying would not help.
 */
export async function retryConnection<T>(attempt: () => Promise<T>, opts: ConnectionRetryOptions = {}): Promise<T> {
  const base = opts.baseDelayMs ?? 100;
  const max = opts.maxDelayMs ?? 5_000;
  const deadline = Date.now() + (opts.retryForMs ?? 300_000);
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      const delay = Math.min(max, base * 2 ** (n - 1));
      if (Date.now() + delay > deadline) {
        throw new StateStoreUnavailableError(`state store unreachable for ${opts.retryForMs ?? 300_000} ms: ${err instanceof Error ? err.message : String(err)}`, err);
      }
      opts.onRetry?.(n, delay, err);
      await sleep(delay);
    }
  }
}
