/**
 * A local stand-in for Gamma and CLOB (node:http on 127.0.0.1, ephemeral port) answering in the
 * documented shapes: `GET /markets/keyset` ({markets, next_cursor}, next_cursor absent on the last
 * page, `after_cursor` to continue, `closed` and `volume_num_min` honoured) and
 * `GET /prices-history` ({history:[{t,p}]} for startTs <= t <= endTs). Faults are scripted:
 * a status with Retry-After on chosen request numbers, and a 400 "interval is too long" for
 * ranges above a threshold.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedFault {
  /** 1-based number of the request to that path (counted per path). */
  nth: number;
  path: '/markets/keyset' | '/prices-history';
  status: number;
  retryAfter?: string;
}

export interface FakePolymarketOptions {
  markets: readonly Record<string, unknown>[];
  series: ReadonlyMap<string, readonly [number, number][]>;
  /** Ranges (endTs - startTs) longer than this are rejected with "interval is too long". */
  maxRangeSeconds: number;
  faults?: readonly ScriptedFault[];
  /** Called with the running count of all requests, before answering. */
  onRequest?: (count: number, path: string) => void;
}

export interface FakePolymarket {
  url: string;
  counts: { total: number; byPath: Record<string, number>; rejectedTooLong: number; faultsServed: number };
  /** Every /prices-history query seen: [token, startTs, endTs, fidelity]. */
  priceQueries: [string, number, number, number][];
  /** Every /markets/keyset query string seen. */
  keysetQueries: string[];
  close(): Promise<void>;
}

export async function startFakePolymarket(options: FakePolymarketOptions): Promise<FakePolymarket> {
  const counts = { total: 0, byPath: {} as Record<string, number>, rejectedTooLong: 0, faultsServed: 0 };
  const priceQueries: [string, number, number, number][] = [];
  const keysetQueries: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://local');
    counts.total++;
    const nth = (counts.byPath[url.pathname] = (counts.byPath[url.pathname] ?? 0) + 1);
    options.onRequest?.(counts.total, url.pathname);
    const fault = options.faults?.find((f) => f.path === url.pathname && f.nth === nth);
    if (fault !== undefined) {
      counts.faultsServed++;
      res.writeHead(fault.status, { 'content-type': 'application/json', ...(fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }) });
      res.end(JSON.stringify({ error: `scripted ${fault.status}` }));
      return;
    }
    if (url.pathname === '/markets/keyset') return keyset(url, res);
    if (url.pathname === '/prices-history') return pricesHistory(url, res);
    json(res, 404, { error: 'not found' });
  });

  function keyset(url: URL, res: ServerResponse): void {
    keysetQueries.push(url.search);
    if (url.searchParams.has('offset')) return json(res, 400, { error: 'offset is not supported on keyset endpoints' });
    const limit = Math.min(100, Number(url.searchParams.get('limit') ?? '20'));
    const closed = url.searchParams.get('closed');
    const minVolume = Number(url.searchParams.get('volume_num_min') ?? '0');
    const matching = options.markets.filter(
      (m) => (closed === null ? m.closed !== true : String(m.closed) === closed) && (minVolume <= 0 || (typeof m.volumeNum === 'number' && m.volumeNum >= minVolume)),
    );
    const cursor = url.searchParams.get('after_cursor');
    const start = cursor === null ? 0 : Number(Buffer.from(cursor, 'base64').toString('utf8').replace('offset:', ''));
    const page = matching.slice(start, start + limit);
    const next = start + limit < matching.length ? Buffer.from(`offset:${start + limit}`).toString('base64') : undefined;
    json(res, 200, next === undefined ? { markets: page } : { markets: page, next_cursor: next });
  }

  function pricesHistory(url: URL, res: ServerResponse): void {
    const token = url.searchParams.get('market');
    const startTs = Number(url.searchParams.get('startTs'));
    const endTs = Number(url.searchParams.get('endTs'));
    const fidelity = Number(url.searchParams.get('fidelity'));
    if (token === null || !url.searchParams.has('startTs') || !url.searchParams.has('endTs')) {
      return json(res, 400, { error: 'invalid filters: startTs and endTs are required for this market' });
    }
    priceQueries.push([token, startTs, endTs, fidelity]);
    if (endTs - startTs > options.maxRangeSeconds) {
      counts.rejectedTooLong++;
      return json(res, 400, { error: "invalid filters: 'startTs' and 'endTs' interval is too long" });
    }
    const history = (options.series.get(token) ?? []).filter(([t]) => t >= startTs && t <= endTs).map(([t, p]) => ({ t, p }));
    json(res, 200, { history });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    priceQueries,
    keysetQueries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
