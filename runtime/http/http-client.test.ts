import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolyflowError } from '../errors.js';
import { HostRateLimiter } from './host-rate-limiter.js';
import { HttpClient, type RetryNotice } from './http-client.js';
import { HttpAbortedError, HttpBodyError, HttpNetworkError, HttpStatusError, HttpTimeoutError } from './http-errors.js';
import { ManualClock } from './manual-clock.js';

type Scripted = { status: number; body?: string; headers?: Record<string, string> } | Error;

/** A fetch that answers from a script and records what it was asked. */
function scriptedFetch(script: Scripted[]): { fetch: typeof fetch; calls: { url: string; init: RequestInit | undefined }[] } {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const fn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    calls.push({ url: String(input), init });
    const next = script.shift();
    if (next === undefined) throw new Error('script exhausted');
    if (next instanceof Error) throw next;
    return new Response(next.body ?? '', { status: next.status, headers: next.headers ?? {} });
  };
  return { fetch: fn as typeof fetch, calls };
}

function client(script: Scripted[], extra: { retries?: RetryNotice[]; maxAttempts?: number } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const f = scriptedFetch(script);
  const http = new HttpClient({
    baseUrl: 'https://api.example/v1',
    clock,
    fetch: f.fetch,
    random: () => 0,
    retry: { maxAttempts: extra.maxAttempts ?? 4, baseDelayMs: 100, maxDelayMs: 10_000, maxRetryAfterMs: 60_000 },
    onRetry: (n) => extra.retries?.push(n),
  });
  return { http, clock, calls: f.calls };
}

describe('HttpClient', () => {
  it('resolves paths and query against the base URL and sends a polyflow User-Agent', async () => {
    const { http, calls } = client([{ status: 200, body: '{"ok":true}' }]);
    const body = await http.getJson('/markets', { query: { limit: 2, closed: true, skip: undefined, id: ['1', '2'] } });
    expect(body).toEqual({ ok: true });
    expect(calls[0]?.url).toBe('https://api.example/v1/markets?limit=2&closed=true&id=1&id=2');
    const headers = calls[0]?.init?.headers as Record<string, string>;
    expect(headers['user-agent']).toMatch(/^polyflow\/\d+\.\d+\.\d+/);
  });

  it('retries 500 and network errors with exponential backoff on the injected clock', async () => {
    const retries: RetryNotice[] = [];
    const { http, clock } = client([{ status: 500 }, new TypeError('fetch failed'), { status: 503 }, { status: 200, body: '[]' }], { retries });
    await expect(http.getJson('x')).resolves.toEqual([]);
    // random() = 0 -> half of 100, 200, 400
    expect(clock.sleeps).toEqual([50, 100, 200]);
    expect(retries.map((r) => r.error.code)).toEqual(['HTTP_STATUS', 'HTTP_NETWORK', 'HTTP_STATUS']);
  });

  it('honours Retry-After in seconds and as an HTTP date', async () => {
    const { http, clock } = client([
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 429, headers: { 'retry-after': new Date(Date.UTC(2026, 0, 1) + 7_000 + 30_000).toUTCString() } },
      { status: 200, body: '1' },
    ]);
    await expect(http.getJson('x')).resolves.toBe(1);
    expect(clock.sleeps).toEqual([7_000, 30_000]);
  });

  it('gives up on a Retry-After beyond the cap, with a retriable error', async () => {
    const { http } = client([{ status: 429, headers: { 'retry-after': '3600' } }]);
    const err = await http.getJson('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect(err).toBeInstanceOf(PolyflowError);
    expect((err as HttpStatusError).retriable).toBe(true);
    expect((err as HttpStatusError).retryAfterMs).toBe(3_600_000);
  });

  it('does not retry a 400 and keeps its body for the caller', async () => {
    const { http, calls } = client([{ status: 400, body: '{"error":"invalid filters: interval is too long"}' }]);
    const err = await http.getJson('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect((err as HttpStatusError).status).toBe(400);
    expect((err as HttpStatusError).retriable).toBe(false);
    expect((err as HttpStatusError).body).toContain('interval is too long');
    expect(calls).toHaveLength(1);
  });

  it('stops after maxAttempts with the last error, still marked retriable', async () => {
    const { http, calls } = client([{ status: 502 }, { status: 502 }, { status: 502 }], { maxAttempts: 3 });
    const err = await http.getJson('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect((err as HttpStatusError).attempts).toBe(3);
    expect((err as HttpStatusError).retriable).toBe(true);
    expect(calls).toHaveLength(3);
  });

  it('does not retry a POST unless asked', async () => {
    const { http, calls } = client([{ status: 503 }, { status: 503 }, { status: 200, body: '{}' }]);
    await expect(http.request('orders', { method: 'POST', body: { a: 1 } })).rejects.toBeInstanceOf(HttpStatusError);
    expect(calls).toHaveLength(1);
    expect((calls[0]?.init?.headers as Record<string, string>)['content-type']).toBe('application/json');
    await expect(http.request('orders', { method: 'POST', body: { a: 1 }, retryNonIdempotent: true })).resolves.toMatchObject({ status: 200 });
  });

  it('reports a non-JSON body and a network failure with their own classes', async () => {
    const { http } = client([{ status: 200, body: '<html>' }, new TypeError('fetch failed'), new TypeError('fetch failed')], { maxAttempts: 2 });
    await expect(http.getJson('x')).rejects.toBeInstanceOf(HttpBodyError);
    await expect(http.getJson('x')).rejects.toBeInstanceOf(HttpNetworkError);
  });

  it('stops at once when the caller aborts, also during a backoff wait', async () => {
    const controller = new AbortController();
    controller.abort();
    const { http, calls } = client([{ status: 200 }]);
    await expect(http.getJson('x', { signal: controller.signal })).rejects.toBeInstanceOf(HttpAbortedError);
    expect(calls).toHaveLength(0);

    const mid = new AbortController();
    const clock = new ManualClock(0);
    const f = scriptedFetch([{ status: 500 }, { status: 200, body: '1' }]);
    // abort as soon as the first attempt has failed: the backoff sleep sees an aborted signal
    const http2 = new HttpClient({ baseUrl: 'https://api.example', clock, fetch: f.fetch, onRetry: () => mid.abort() });
    const p = http2.request('x', { signal: mid.signal });
    await expect(p).rejects.toBeInstanceOf(HttpAbortedError);
    expect(f.calls).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('waits for the shared per-host rate limiter before each attempt', async () => {
    const clock = new ManualClock(0);
    const f = scriptedFetch([{ status: 200 }, { status: 200 }, { status: 200 }]);
    const limiter = new HostRateLimiter({ clock, limits: { 'api.example': { capacity: 1, refillPerSecond: 10 } } });
    const http = new HttpClient({ baseUrl: 'https://api.example', clock, fetch: f.fetch, rateLimiter: limiter });
    await http.request('a');
    await http.request('b');
    await http.request('c');
    expect(clock.sleeps).toEqual([100, 100]);
  });
});

describe('HttpClient against a real socket', () => {
  let server: Server;
  let base = '';
  const seen: Record<string, string | undefined>[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ ua: req.headers['user-agent'], url: req.url });
      if (req.url === '/hang') return; // never answers: the client must time out
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"history":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends the User-Agent over the wire', async () => {
    const http = new HttpClient({ baseUrl: base });
    await expect(http.getJson('/prices-history', { query: { market: '1' } })).resolves.toEqual({ history: [] });
    expect(seen.at(-1)?.ua).toMatch(/^polyflow\//);
  });

  it('times out an attempt that gets no answer (retriable), then gives up', async () => {
    const clock = new ManualClock(0);
    const http = new HttpClient({ baseUrl: base, clock, timeoutMs: 50, retry: { maxAttempts: 2 } });
    const err = await http.getJson('/hang').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpTimeoutError);
    expect((err as HttpTimeoutError).retriable).toBe(true);
    expect((err as HttpTimeoutError).attempts).toBe(2);
    expect(clock.sleeps).toHaveLength(1);
  });
});
