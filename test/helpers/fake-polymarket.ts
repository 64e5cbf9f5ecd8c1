/**
 * A local stand-in for Polymarket (127.0.0.1, ephemeral port) for live-ingest tests: the CLOB
 * market channel websocket (`/ws/market`), CLOB REST `/book`, Gamma `/markets/keyset`, Data API
 * `/trades`, RSS/Atom feeds and NewsAPI, all in Polymarket's documented formats
 * (POLYMARKET.md B.1, B.4, B.5, B.6). It keeps the true book of every asset, streams level
 * changes in the current `price_change` format (or the legacy one), and misbehaves on command:
 * drop every connection, stall (PONGs but no data), mute (nothing at all), send raw frames, skip
 * a delta (the true book changes, nobody is told), and answer HTTP with scripted failures (429
 * with Retry-After, 500). Times come from `now()`, the test's virtual clock.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

type Levels = Map<string, string>;

export interface FakeBook {
  readonly market: string;
  readonly bids: Levels;
  readonly asks: Levels;
  tickSize: string;
  ts: number;
}

export interface FakeConnection {
  readonly id: number;
  readonly socket: WebSocket;
  readonly assets: Set<string>;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export class FakePolymarket {
  readonly books = new Map<string, FakeBook>();
  readonly connections: FakeConnection[] = [];
  /** Every text frame received on the websocket, with the virtual time it arrived. */
  readonly received: Array<{ connection: number; text: string; at: number }> = [];
  /** Every HTTP request: method, path with query, virtual time, headers. */
  readonly requests: Array<{ path: string; at: number; headers: IncomingMessage['headers'] }> = [];
  /** Gamma market objects (open and closed); the listing filters on `closed`. */
  gammaMarkets: Record<string, unknown>[] = [];
  /** Data API `/trades` rows, newest first. */
  trades: Record<string, unknown>[] = [];
  /** Feed documents by path (e.g. `/feeds/rss.xml`). */
  readonly feeds = new Map<string, { contentType: string; body: string }>();
  /** NewsAPI `/v2/everything` answer and the key it wants. */
  newsapi: { key: string; body: unknown } | undefined;
  /** Frames sent to clients, in order. */
  sentFrames = 0;
  stalled = false;
  muted = false;
  legacyPriceChange = false;
  private readonly failures = new Map<string, ScriptedResponse[]>();
  private nextConnection = 0;

  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    readonly now: () => number,
  ) {}

  static async start(now: () => number): Promise<FakePolymarket> {
    const server = createServer();
    const wss = new WebSocketServer({ server, path: '/ws/market' });
    const fake = new FakePolymarket(server, wss, now);
    server.on('request', (req, res) => fake.onHttp(req, res));
    wss.on('connection', (socket) => fake.onConnection(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }
  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws/market`;
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Connections still open. */
  openConnections(): FakeConnection[] {
    return this.connections.filter((c) => c.socket.readyState === c.socket.OPEN);
  }

  /** Scripted answers for the next requests to `path` (pathname only), before normal service. */
  failNext(path: string, responses: ScriptedResponse[]): void {
    this.failures.set(path, [...(this.failures.get(path) ?? []), ...responses]);
  }

  setBook(asset: string, market: string, bids: Array<[string, string]>, asks: Array<[string, string]>, tickSize = '0.01'): void {
    this.books.set(asset, { market, bids: new Map(bids), asks: new Map(asks), tickSize, ts: this.now() });
  }

  /** Sets one level of the true book and streams it, unless `skip` (a delta the client never sees). */
  delta(asset: string, side: 'BUY' | 'SELL', price: string, size: string, opts: { skip?: boolean } = {}): void {
    const book = this.books.get(asset);
    if (book === undefined) throw new Error(`no book for ${asset}`);
    const levels = side === 'BUY' ? book.bids : book.asks;
    if (size === '0') levels.delete(price);
    else levels.set(price, size);
    book.ts = this.now();
    if (opts.skip === true) return;
    const hash = bookHash(book);
    const frame = this.legacyPriceChange
      ? { event_type: 'price_change', market: book.market, asset_id: asset, hash, timestamp: String(book.ts), changes: [{ price, side, size }] }
      : {
          event_type: 'price_change',
          market: book.market,
          timestamp: String(book.ts),
          price_changes: [{ asset_id: asset, price, size, side, hash, best_bid: best(book.bids, 'bid'), best_ask: best(book.asks, 'ask') }],
        };
    this.toSubscribers(asset, JSON.stringify(frame));
  }

  trade(asset: string, price: string, size: string, side: 'BUY' | 'SELL'): void {
    const book = this.books.get(asset);
    if (book === undefined) throw new Error(`no book for ${asset}`);
    this.toSubscribers(
      asset,
      JSON.stringify({ event_type: 'last_trade_price', market: book.market, asset_id: asset, price, size, side, fee_rate_bps: '0', timestamp: String(this.now()) }),
    );
  }

  /** A raw text frame to every open connection (malformed input). */
  sendRaw(text: string): void {
    for (const c of this.openConnections()) this.send(c, text);
  }

  /** Drops every connection without a close frame. */
  drop(): void {
    for (const c of this.openConnections()) c.socket.terminate();
  }

  /** The `book` snapshot event of an asset, as the websocket sends it. */
  bookEvent(asset: string): Record<string, unknown> {
    const book = this.books.get(asset);
    if (book === undefined) throw new Error(`no book for ${asset}`);
    return {
      event_type: 'book',
      market: book.market,
      asset_id: asset,
      bids: [...book.bids].map(([price, size]) => ({ price, size })).sort((a, b) => Number(a.price) - Number(b.price)),
      asks: [...book.asks].map(([price, size]) => ({ price, size })).sort((a, b) => Number(b.price) - Number(a.price)),
      timestamp: String(book.ts),
      hash: bookHash(book),
      tick_size: book.tickSize,
      min_order_size: '5',
      neg_risk: false,
    };
  }

  private toSubscribers(asset: string, frame: string): void {
    for (const c of this.openConnections()) if (c.assets.has(asset)) this.send(c, frame);
  }

  private send(c: FakeConnection, frame: string): void {
    if (this.stalled || this.muted) return;
    this.sentFrames++;
    c.socket.send(frame);
  }

  private onConnection(socket: WebSocket): void {
    const c: FakeConnection = { id: this.nextConnection++, socket, assets: new Set() };
    this.connections.push(c);
    socket.on('error', () => undefined);
    socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      this.received.push({ connection: c.id, text, at: this.now() });
      if (text === 'PING') {
        if (!this.muted) socket.send('PONG');
        return;
      }
      let msg: { type?: string; operation?: string; assets_ids?: unknown };
      try {
        msg = JSON.parse(text) as typeof msg;
      } catch {
        return;
      }
      const ids = Array.isArray(msg.assets_ids) ? msg.assets_ids.filter((x): x is string => typeof x === 'string') : [];
      if (msg.operation === 'unsubscribe') {
        for (const id of ids) c.assets.delete(id);
        return;
      }
      if (msg.type === 'market' || msg.operation === 'subscribe') {
        for (const id of ids) c.assets.add(id);
        // A full book per asset on every (re)subscribe (fact 6), as one array frame.
        const dump = ids.filter((id) => this.books.has(id)).map((id) => this.bookEvent(id));
        if (dump.length > 0) this.send(c, JSON.stringify(dump));
      }
    });
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.httpUrl);
    this.requests.push({ path: `${url.pathname}${url.search}`, at: this.now(), headers: req.headers });
    const scripted = this.failures.get(url.pathname)?.shift();
    if (scripted !== undefined) {
      res.writeHead(scripted.status, scripted.headers ?? {});
      res.end(scripted.body ?? '');
      return;
    }
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/book') {
      const asset = url.searchParams.get('token_id') ?? '';
      if (!this.books.has(asset)) return json(404, { error: 'No orderbook exists for the requested token id' });
      const { event_type: _drop, ...summary } = this.bookEvent(asset);
      return json(200, summary);
    }
    if (url.pathname === '/markets/keyset') return json(200, this.keyset(url.searchParams));
    if (url.pathname === '/trades') {
      const limit = Number(url.searchParams.get('limit') ?? 100);
      const offset = Number(url.searchParams.get('offset') ?? 0);
      return json(200, this.trades.slice(offset, offset + limit));
    }
    if (url.pathname === '/v2/everything' && this.newsapi !== undefined) {
      if (req.headers['x-api-key'] !== this.newsapi.key) return json(401, { status: 'error', code: 'apiKeyInvalid', message: 'Your API key is invalid' });
      return json(200, this.newsapi.body);
    }
    const feed = this.feeds.get(url.pathname);
    if (feed !== undefined) {
      res.writeHead(200, { 'content-type': feed.contentType });
      res.end(feed.body);
      return;
    }
    json(404, { error: 'not found' });
  }

  /** `/markets/keyset`: filters `closed` and `condition_ids`, pages by `limit` with an opaque cursor. */
  private keyset(q: URLSearchParams): unknown {
    const closed = q.get('closed') === 'true';
    const ids = q.getAll('condition_ids');
    const all = this.gammaMarkets.filter((m) => (m.closed === true) === closed && (ids.length === 0 || ids.includes(String(m.conditionId))));
    const limit = Math.min(100, Number(q.get('limit') ?? 100));
    const start = q.get('after_cursor') === null ? 0 : Number(Buffer.from(q.get('after_cursor') as string, 'base64').toString('utf8'));
    const page = all.slice(start, start + limit);
    const next = start + limit < all.length ? Buffer.from(String(start + limit)).toString('base64') : undefined;
    return next === undefined ? { markets: page } : { markets: page, next_cursor: next };
  }
}

/** The state hash the fake gives a book: sha1 of its sorted levels (only equality matters). */
export function bookHash(book: FakeBook): string {
  const side = (levels: Levels): string =>
    [...levels]
      .sort((a, b) => Number(a[0]) - Number(b[0]))
      .map(([p, s]) => `${p}:${s}`)
      .join(',');
  return createHash('sha1').update(`${book.market}|${side(book.bids)}|${side(book.asks)}`).digest('hex');
}

function best(levels: Levels, side: 'bid' | 'ask'): string {
  const prices = [...levels.keys()].map(Number);
  if (prices.length === 0) return '';
  const p = side === 'bid' ? Math.max(...prices) : Math.min(...prices);
  return [...levels.keys()].find((k) => Number(k) === p) as string;
}

/** A Gamma market object (B.4 shape) for a binary market with the two given tokens. */
export function gammaMarket(n: number, conditionId: string, tokens: [string, string], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: String(1000 + n),
    conditionId,
    questionID: `0x${'cd'.repeat(32)}`,
    question: `Will test market ${n} resolve Yes?`,
    slug: `test-market-${n}`,
    category: 'Politics',
    outcomes: '["Yes", "No"]',
    outcomePrices: '["0.5", "0.5"]',
    clobTokenIds: JSON.stringify(tokens),
    orderPriceMinTickSize: 0.01,
    orderMinSize: 5,
    negRisk: false,
    active: true,
    closed: false,
    acceptingOrders: true,
    enableOrderBook: true,
    volumeNum: 50_000 + n,
    volume24hr: 5_000 + n,
    liquidityNum: 10_000,
    startDate: '2026-01-01T00:00:00Z',
    endDate: '2026-12-31T00:00:00Z',
    umaResolutionStatus: null,
    events: [{ id: String(9000 + n), slug: `event-${n}`, title: `Event ${n}` }],
    ...extra,
  };
}
