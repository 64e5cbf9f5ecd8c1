/**
 * A small, polite HTTP client for REST sources (Gamma, CLOB, Data API): a base URL, a shared
 * per-host token bucket, a timeout per attempt, and retries with exponential backoff + jitter on
 * 429, 5xx, timeouts and network errors, honouring Retry-After. Failures are HttpError subclasses
 * whose `retriable` says whether trying again later could help. Time comes from an injected Clock.
 */
import { backoffDelay } from './backoff-delay.js';
import { systemClock, type Clock } from './clock.js';
import type { HostRateLimiter } from './host-rate-limiter.js';
import {
  HttpAbortedError,
  HttpBodyError,
  HttpError,
  HttpNetworkError,
  HttpStatusError,
  HttpTimeoutError,
  isRetriableStatus,
  type HttpRequestInfo,
} from './http-errors.js';
import { parseRetryAfter } from './retry-after.js';
import { polyflowUserAgent } from './user-agent.js';

export interface RetryPolicy {
  /** Attempts in all, the first included (1 = never retry). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error is thrown instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };
export const DEFAULT_TIMEOUT_MS = 20_000;

export interface RetryNotice {
  method: string;
  url: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
  error: HttpError;
}

export interface HttpClientOptions {
  /** Every request path is resolved against it, e.g. "https://clob.polymarket.com". */
  baseUrl: string;
  /** Default `polyflow/<version>`. */
  userAgent?: string;
  /** Sent with every request (request headers win). */
  headers?: Record<string, string>;
  /** Per attempt, covering connect, headers and body. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Shared limiter; requests wait for a token of their host (or `rateLimitKey`). None: unlimited. */
  rateLimiter?: HostRateLimiter;
  clock?: Clock;
  /** [0,1) source for jitter. */
  random?: () => number;
  fetch?: typeof fetch;
  /** Told about every retry before its wait (for logs and metrics). */
  onRetry?: (notice: RetryNotice) => void;
  /** Told about every attempt sent (for request counters). */
  onRequest?: (method: string, url: string) => void;
}

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number | boolean)[];

export interface HttpRequestOptions {
  method?: string;
  /** Appended as query parameters; null/undefined are left out, arrays repeat the key. */
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  signal?: AbortSignal;
  /** Overrides the client's timeout for this request. */
  timeoutMs?: number;
  /** Rate-limit bucket; default the URL's host. */
  rateLimitKey?: string;
  /** POST/PATCH are not retried unless this is set (the request may have taken effect). */
  retryNonIdempotent?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  url: string;
  body: string;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export class HttpClient {
  readonly baseUrl: string;
  private readonly userAgent: string;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: HttpClientOptions) {
    this.baseUrl = options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`;
    this.userAgent = options.userAgent ?? polyflowUserAgent();
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.fetchFn = options.fetch ?? fetch;
  }

  /** The absolute URL of `path` with `query`. */
  url(path: string, query?: Record<string, QueryValue>): URL {
    const url = new URL(path.replace(/^\//, ''), this.baseUrl);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value == null) continue;
      if (Array.isArray(value)) for (const item of value as readonly unknown[]) url.searchParams.append(key, String(item));
      else url.searchParams.append(key, String(value));
    }
    return url;
  }

  /** GET and parse JSON; HttpBodyError when the body is not JSON. */
  async getJson(path: string, opts: Omit<HttpRequestOptions, 'method' | 'body'> = {}): Promise<unknown> {
    const res = await this.request(path, { ...opts, method: 'GET', headers: { accept: 'application/json', ...opts.headers } });
    try {
      return JSON.parse(res.body) as unknown;
    } catch (err) {
      throw new HttpBodyError(`response is not JSON: ${JSON.stringify(res.body.slice(0, 80))}`, { method: 'GET', url: res.url, attempts: 1 }, err);
    }
  }

  /** Sends the request, retrying what may succeed later; resolves only on a 2xx status. */
  async request(path: string, opts: HttpRequestOptions = {}): Promise<HttpResponse> {
    const method = (opts.method ?? 'GET').toUpperCase();
    const url = this.url(path, opts.query);
    const retries = IDEMPOTENT.has(method) || opts.retryNonIdempotent === true;
    const maxAttempts = retries ? Math.max(1, this.retry.maxAttempts) : 1;
    for (let attempt = 1; ; attempt++) {
      const info: HttpRequestInfo = { method, url: url.toString(), attempts: attempt };
      let error: HttpError;
      try {
        await this.options.rateLimiter?.acquire(opts.rateLimitKey ?? url.host, opts.signal);
      } catch (err) {
        throw new HttpAbortedError(info, err);
      }
      try {
        return await this.attempt(url, method, opts, info);
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        error = err;
      }
      if (!error.retriable || attempt >= maxAttempts) throw error;
      let delayMs = backoffDelay(attempt, this.retry, this.random);
      if (error instanceof HttpStatusError && error.retryAfterMs !== undefined) {
        if (error.retryAfterMs > this.retry.maxRetryAfterMs) throw error;
        delayMs = error.retryAfterMs;
      }
      this.options.onRetry?.({ method, url: info.url, attempt, delayMs, error });
      try {
        await this.clock.sleep(delayMs, opts.signal);
      } catch (err) {
        throw new HttpAbortedError(info, err);
      }
    }
  }

  private async attempt(url: URL, method: string, opts: HttpRequestOptions, info: HttpRequestInfo): Promise<HttpResponse> {
    if (opts.signal?.aborted === true) throw new HttpAbortedError(info, opts.signal.reason);
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal === undefined ? timeout : AbortSignal.any([opts.signal, timeout]);
    const headers: Record<string, string> = { 'user-agent': this.userAgent, ...this.options.headers, ...opts.headers };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      if (typeof opts.body !== 'string' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
        headers['content-type'] = 'application/json';
      }
    }
    this.options.onRequest?.(method, info.url);
    let status: number;
    let resHeaders: Headers;
    let text: string;
    try {
      const res = await this.fetchFn(url, { method, headers, signal, ...(body === undefined ? {} : { body }) });
      status = res.status;
      resHeaders = res.headers;
      text = await res.text();
    } catch (err) {
      // (re-read: the signal may have fired while fetch was pending)
      if (isAborted(opts.signal)) throw new HttpAbortedError(info, err);
      if (timeout.aborted) throw new HttpTimeoutError(timeoutMs, info, err);
      throw new HttpNetworkError(info, err);
    }
    if (status >= 200 && status < 300) return { status, headers: resHeaders, url: info.url, body: text };
    const retryAfterMs = isRetriableStatus(status) ? parseRetryAfter(resHeaders.get('retry-after'), this.clock.now()) : undefined;
    throw new HttpStatusError(status, text, info, retryAfterMs);
  }
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
