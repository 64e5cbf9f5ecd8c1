/**
 * Market discovery against a local fake Gamma (test/helpers/fake-polymarket.ts; 127.0.0.1 only):
 * subscriptions follow the listing, resolutions reach `pm.resolution`, and 429/500 answers are
 * retried on the virtual clock as Retry-After and the backoff say.
 */
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { gammaMarket } from '../helpers/fake-polymarket.js';
import { addMarket, liveHarness, T0, testMarket, type LiveHarness } from '../helpers/live-harness.js';
import { advanceUntil, until } from '../helpers/virtual-drive.js';

let h: LiveHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ops = (x: LiveHarness, op: string): string[][] =>
  x.fake.received
    .map((r) => (r.text.startsWith('{') ? (JSON.parse(r.text) as { operation?: string; assets_ids?: string[] }) : {}))
    .filter((m) => m.operation === op)
    .map((m) => m.assets_ids ?? []);

describe('live market discovery', () => {
  it('pages the keyset listing, publishes market meta, and subscribes every outcome token', async () => {
    h = await liveHarness({ markets: 0 });
    for (let n = 1; n <= 120; n++) h.fake.gammaMarkets.push(gammaMarket(n, testMarket(n % 250).conditionId.replace(/..$/, n.toString(16).padStart(2, '0')), testMarket(n).tokens));
    await h.live.start();
    const listing = h.fake.requests.filter((r) => r.path.startsWith('/markets/keyset'));
    expect(listing).toHaveLength(2); // 100 + 20, with after_cursor on the second
    expect(listing[0]?.path).toContain('closed=false');
    expect(listing[0]?.path).not.toContain('offset');
    expect(listing[1]?.path).toContain('after_cursor=');
    expect(h.got.meta).toHaveLength(100); // maxMarkets default 100
    expect(h.live.client.assets()).toHaveLength(200);
  });

  it('follows discovery: unsubscribes markets that leave, subscribes new ones, and publishes resolutions', async () => {
    h = await liveHarness({ markets: 2 });
    await h.live.start();
    await until(() => h!.got.books.length === 4, 'snapshots');
    expect(h.got.meta.map((m) => m.market)).toEqual([testMarket(1).conditionId, testMarket(2).conditionId]);

    // Market 1 closes and resolves "No"; market 3 is listed.
    const m1 = h.fake.gammaMarkets[0] as Record<string, unknown>;
    Object.assign(m1, { closed: true, active: false, umaResolutionStatus: 'resolved', outcomePrices: '["0", "1"]', closedTime: '2026-05-01 12:30:00+00' });
    addMarket(h.fake, 3);
    await h.live.refreshMarkets();
    await until(() => h!.got.books.length === 6, 'the new market snapshots');
    expect(ops(h, 'unsubscribe')).toEqual([testMarket(1).tokens]);
    expect(ops(h, 'subscribe')).toEqual([testMarket(3).tokens]);
    expect(JSON.parse(h.fake.received.find((r) => r.text.includes('"operation":"subscribe"'))!.text)).toMatchObject({ custom_feature_enabled: true });
    expect(h.got.resolutions).toEqual([
      { market: testMarket(1).conditionId, ts: Date.UTC(2026, 4, 1, 12, 30), winningAssetId: testMarket(1).tokens[1], winningOutcome: 'No' },
    ]);
    // The resolution is a market-channel frame, so a recording keeps it.
    expect(h.records.some((r) => r.kind === 'frame' && r.frame.includes('"event_type":"market_resolved"'))).toBe(true);

    // Nothing changes: no new meta, no subscription frames, no second resolution.
    const metaBefore = h.got.meta.length;
    const framesBefore = h.fake.received.length;
    await h.live.refreshMarkets();
    expect(h.got.meta).toHaveLength(metaBefore);
    expect(h.fake.received.slice(framesBefore).filter((r) => r.text !== 'PING')).toEqual([]);
    expect(h.got.resolutions).toHaveLength(1);
  });

  it('honours Retry-After on 429 and backs off on 500, on the virtual clock', async () => {
    h = await liveHarness({ markets: 1 });
    h.fake.failNext('/markets/keyset', [{ status: 429, headers: { 'retry-after': '7' } }, { status: 500, body: 'upstream' }]);
    let started = false;
    const start = h.live.start().then(() => (started = true));
    await advanceUntil(h.scheduler, () => started, 'start after the retries', 30_000, 250);
    await start;
    const at = h.fake.requests.filter((r) => r.path.startsWith('/markets/keyset')).map((r) => r.at - T0);
    // 429 -> wait 7 s (Retry-After); 500 -> second retry's backoff: base 500 x2 = 1000, equal jitter at 0.5 -> 750 ms.
    // Virtual time moves in 250 ms steps while the fake server answers over real sockets, so on a
    // loaded machine a request can be stamped one step after it was due: allow one step, not more.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(7_000);
    expect(at[1]! - at[0]!).toBeLessThanOrEqual(7_250);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(750);
    expect(at[2]! - at[1]!).toBeLessThanOrEqual(1_000);
    await until(() => h!.got.books.length === 2, 'snapshots');
  });

  it('retries a failing REST /book and still resyncs the book', async () => {
    h = await liveHarness({ markets: 1 });
    const [a] = testMarket(1).tokens;
    await h.live.start();
    await until(() => h!.got.books.length === 2, 'snapshots');
    h.fake.failNext('/book', [{ status: 500 }, { status: 429, headers: { 'retry-after': '1' } }]);
    h.fake.delta(a, 'BUY', '0.40', '0', { skip: true });
    h.fake.delta(a, 'SELL', '0.45', '1');
    await advanceUntil(h.scheduler, () => h!.records.some((r) => r.kind === 'frame' && r.frame.includes('rest /book')), 'the resync', 10_000, 100);
    expect(h.fake.requests.filter((r) => r.path.startsWith('/book'))).toHaveLength(3);
  });

  it('says in one line when Gamma cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    h = await liveHarness({ markets: 1, live: { gammaUrl: `http://127.0.0.1:${port}` } });
    let error: unknown;
    const start = h.live.start().catch((e: unknown) => (error = e));
    await advanceUntil(h.scheduler, () => error !== undefined, 'the failure', 60_000, 500);
    await start;
    expect((error as Error).message).toBe(`cannot reach http://127.0.0.1:${port} (ECONNREFUSED): check the network or POLYMARKET_GAMMA_URL`);
    expect((error as Error).message).not.toContain('\n');
  });
});
