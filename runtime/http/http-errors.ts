/**
 * Errors of runtime/http: every one is a PolyflowError whose `retriable` says whether the same
 * request may succeed later (429, 5xx, timeouts, network failures) or never will (other 4xx,
 * an aborted call, a body that is not JSON).
 */
import { PolyflowError } from '../errors.js';

export interface HttpRequestInfo {
  method: string;
  url: string;
  /** Attempts made, the failing one included. */
  attempts: number;
}

/** Statuses worth retrying: timeouts, too-early, rate limited, and every server error. */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

export class HttpError extends PolyflowError {
  readonly method: string;
  readonly url: string;
  readonly attempts: number;

  constructor(code: string, message: string, info: HttpRequestInfo, opts: { retriable: boolean; cause?: unknown }) {
    super(code, message, opts);
    this.method = info.method;
    this.url = info.url;
    this.attempts = info.attempts;
  }
}

/** The server answered with a non-2xx status. `body` is the start of what it sent (error text). */
export class HttpStatusError extends HttpError {
  readonly status: number;
  readonly body: string;
  /** What Retry-After asked for, in ms, when the response had one. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, body: string, info: HttpRequestInfo, retryAfterMs?: number) {
    const snippet = body.length > 200 ? `${body.slice(0, 200)}…` : body;
    super('HTTP_STATUS', `${info.method} ${info.url}: HTTP ${status}${snippet === '' ? '' : `: ${snippet}`} (after ${info.attempts} attempt(s))`, info, {
      retriable: isRetriableStatus(status),
    });
    this.status = status;
    this.body = body;
    this.retryAfterMs = retryAfterMs;
  }
}

/** No complete response within the timeout. */
export class HttpTimeoutError extends HttpError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number, info: HttpRequestInfo, cause?: unknown) {
    super('HTTP_TIMEOUT', `${info.method} ${info.url}: no response within ${timeoutMs} ms (after ${info.attempts} attempt(s))`, info, {
      retriable: true,
      cause,
    });
    this.timeoutMs = timeoutMs;
  }
}

/** The connection failed (DNS, refused, reset, TLS) before a response arrived. */
export class HttpNetworkError extends HttpError {
  constructor(info: HttpRequestInfo, cause: unknown) {
    const reason = cause instanceof Error ? ((cause.cause instanceof Error ? cause.cause.message : undefined) ?? cause.message) : String(cause);
    super('HTTP_NETWORK', `${info.method} ${info.url}: network error: ${reason} (after ${info.attempts} attempt(s))`, info, { retriable: true, cause });
  }
}

/** The caller's AbortSignal fired; never retried. */
export class HttpAbortedError extends HttpError {
  constructor(info: HttpRequestInfo, cause?: unknown) {
    super('HTTP_ABORTED', `${info.method} ${info.url}: aborted`, info, { retriable: false, cause });
  }
}

/** A 2xx response whose body is not what was asked for (not JSON). */
export class HttpBodyError extends HttpError {
  constructor(message: string, info: HttpRequestInfo, cause?: unknown) {
    super('HTTP_BAD_BODY', `${info.method} ${info.url}: ${message}`, info, { retriable: false, cause });
  }
}
