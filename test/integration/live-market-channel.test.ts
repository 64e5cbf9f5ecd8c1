/**
 * Live market channel against a local fake Polymarket (test/helpers/fake-polymarket.ts; needs
 * nothing but 127.0.0.1): reconnect + resync, heartbeat timing, the watchdogs, malformed input.
 * Time is virtual (ReplayScheduler); sockets are real.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { advance, advanceUntil, until } from '../helpers/virtual-drive.js';
import { liveHarness, rebuiltBooks, T0, testMarket, trueBook, type LiveHarness } from '../helpers/live-harness.js';

let h: LiveHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const snapshots = (x: LiveHarness): number => x.got.books.filter((u) => u.kind === 'snapshot').length;
const restBooks = (x: LiveHarness): number => x.records.filter((r) => r.kind === 'frame' && r.frame.includes('"polyflow_source":"rest /book"')).length;

function expectBooksMatchServer(x: LiveHarness, assets: readonly string[]): void {
  const books = rebuiltBooks(x.got.books);
  for (const asset of assets) expect(books.get(asset), `book of ${asset.slice(0, 6)}…`).toEqual(trueBook(x.fake, asset));
}

describe('live market channel', () => {
  it('rebuilds the true books after a skipped delta and a dropped connection (REST resync, resubscribe)', async () => {
    h = await liveHarness({ markets: 2 });
    const [a, b] = testMarket(1).tokens;
    const [c] = testMarket(2).tokens;
    await h.live.start();
    await until(() => snapshots(h!) === 4, 'the four initial snapshots');
    expect(h.fake.received[0]?.text).toContain('"type":"market"');
    expect(JSON.parse(h.fake.received[0]!.text)).toMatchObject({ custom_feature_enabled: true, initial_dump: true });

    h.fake.delta(a, 'BUY', '0.41', '50');
    h.fake.delta(b, 'SELL', '0.59', '70');
    // A skipped delta that moves the top of book: the next delta's best_bid/best_ask disagree.
    h.fake.delta(a, 'BUY', '0.41', '0', { skip: true });
    h.fake.delta(a, 'SELL', '0.43', '999');
    await until(() => restBooks(h!) === 1, 'a REST /book resync of the gapped asset');
    expect(h.fake.requests.some((r) => r.path === `/book?token_id=${a}`)).toBe(true);
    expectBooksMatchServer(h, [a, b, c]);

    // Drop the connection; the market moves while we are away.
    h.fake.drop();
    await until(() => h!.fake.openConnections().length === 0, 'the drop');
    h.fake.delta(c, 'BUY', '0.41', '12');
    h.fake.delta(b, 'BUY', '0.57', '0');
    const before = snapshots(h);
    // backoff with random()=0.5: 750 ms for the first retry (1 s, equal jitter)
    await advance(h.scheduler, 700);
    expect(h.fake.connections).toHaveLength(1);
    await advanceUntil(h.scheduler, () => h!.fake.openConnections().length === 1, 'the reconnect', 2_000);
    await until(() => snapshots(h!) >= before + 4, 'the resubscribe snapshots');
    expect(h.fake.received.filter((r) => r.text.includes('"type":"market"'))).toHaveLength(2);
    // The REST check after the reconnect finds the books the server just sent (same hash): no extra snapshot.
    await until(() => h!.live.resync.pending === 0, 'the post-reconnect resync');
    h.fake.delta(a, 'BUY', '0.38', '5');
    h.fake.trade(c, '0.42', '10', 'BUY');
    await until(() => h!.got.trades.length === 1, 'the trade');
    expectBooksMatchServer(h, [a, b, c, testMarket(2).tokens[1]]);
    expect(h.got.dead).toEqual([]);
  });

  it('sends PING every 10 s of virtual time and reconnects when PONGs stop', async () => {
    h = await liveHarness({ markets: 1 });
    await h.live.start();
    await until(() => snapshots(h!) === 2, 'snapshots');
    await advance(h.scheduler, 35_000, 1_000);
    const pings = () => h!.fake.received.filter((r) => r.text === 'PING');
    expect(pings().map((p) => p.at - T0)).toEqual([10_000, 20_000, 30_000]);
    // Keep data flowing (so only the PONG check can fire), then mute: no PONG, no data.
    h.fake.muted = true;
    const mutedAt = h.scheduler.now();
    await advanceUntil(h.scheduler, () => h!.fake.openConnections().length === 0, 'the client to give up on the silent connection', 60_000, 1_000);
    // Last heard at 30 s (the PONG); dead at the first heartbeat check more than 30 s later: 70 s.
    expect(h.scheduler.now() - T0).toBe(70_000);
    expect(h.scheduler.now() - mutedAt).toBeLessThanOrEqual(30_000 + 10_000);
    h.fake.muted = false;
    // then the first backoff: 750 ms with random() = 0.5
    await advance(h.scheduler, 700, 100);
    expect(h.fake.connections).toHaveLength(1);
    await advanceUntil(h.scheduler, () => h!.fake.connections.length === 2, 'the reconnect', 1_000);
    await until(() => snapshots(h!) === 4, 'snapshots after the reconnect');
  });

  it('drops a silently frozen connection (PONGs but no data) after the data watchdog timeout', async () => {
    h = await liveHarness({ markets: 1, live: { dataTimeoutMs: 60_000 } });
    await h.live.start();
    await until(() => snapshots(h!) === 2, 'snapshots');
    h.fake.stalled = true;
    await advance(h.scheduler, 55_000, 1_000);
    expect(h.fake.connections).toHaveLength(1);
    expect(h.fake.received.filter((r) => r.text === 'PING').length).toBe(5);
    // No data since 0 while PONGs flow: the watchdog fires at the first check past 60 s (70 s).
    h.fake.stalled = true;
    await advanceUntil(h.scheduler, () => h!.fake.openConnections().length === 0, 'the watchdog to drop the connection', 30_000, 1_000);
    expect(h.scheduler.now() - T0).toBe(70_000);
    expect(h.fake.received.filter((r) => r.text === 'PING').length).toBe(6);
    h.fake.stalled = false;
    await advanceUntil(h.scheduler, () => h!.fake.connections.length === 2, 'the reconnect', 2_000);
    await until(() => snapshots(h!) === 4, 'snapshots after the reconnect');
  });

  it('splits assets over connections of at most assetsPerConnection', async () => {
    h = await liveHarness({ markets: 3, live: { assetsPerConnection: 4 } });
    await h.live.start();
    await until(() => h!.fake.openConnections().length === 2 && snapshots(h!) === 6, 'two connections and six snapshots');
    const sizes = h.fake.connections.map((c) => c.assets.size).sort();
    expect(sizes).toEqual([2, 4]);
  });

  it('reads the legacy price_change format too', async () => {
    h = await liveHarness({ markets: 1 });
    const [a] = testMarket(1).tokens;
    await h.live.start();
    await until(() => snapshots(h!) === 2, 'snapshots');
    h.fake.legacyPriceChange = true;
    h.fake.delta(a, 'SELL', '0.44', '10');
    h.fake.delta(a, 'BUY', '0.40', '0');
    await until(() => h!.got.books.length === 4, 'two legacy deltas');
    expectBooksMatchServer(h, [a]);
  });

  it('survives a seeded fuzz of 100k malformed frames: each one dead-lettered, the books still right', async () => {
    h = await liveHarness({ markets: 1 });
    const [a] = testMarket(1).tokens;
    const rejections: unknown[] = [];
    const onRejection = (r: unknown): void => void rejections.push(r);
    process.on('unhandledRejection', onRejection);
    try {
      await h.live.start();
      await until(() => snapshots(h!) === 2, 'snapshots');
      const { market } = { market: testMarket(1).conditionId };
      let seed = 0x2545f491;
      const rand = (): number => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 0) / 2 ** 32;
      };
      const valid = JSON.stringify(h.fake.bookEvent(a));
      const kinds: Array<() => string> = [
        () => valid.slice(0, 1 + Math.floor(rand() * (valid.length - 2))), // truncated object: never valid JSON
        () => `${String.fromCharCode(0x41 + Math.floor(rand() * 26))}${Math.random().toString(36).slice(2)}`, // garbage
        () => JSON.stringify({ event_type: `ev${Math.floor(rand() * 1e6)}`, market }), // unknown event
        () => JSON.stringify({ ...h!.fake.bookEvent(a), bids: [{ price: 'x'.repeat(1 + Math.floor(rand() * 5)), size: '1' }] }),
        () => JSON.stringify({ event_type: 'price_change', market, timestamp: String(T0), price_changes: [{ asset_id: a, price: '0.5', size: '1', side: 'UP', hash: 'h', best_bid: '', best_ask: '' }] }),
        () => JSON.stringify([1, 'two', null][Math.floor(rand() * 3)]), // JSON, not an event
        () => JSON.stringify({ event_type: 'last_trade_price', market, asset_id: a, price: String(1 + rand()), size: '1', side: 'BUY', timestamp: String(T0) }),
        () => '\u0000\u00ff{"event_type":"book"}\ud800',
      ];
      const N = 100_000;
      for (let i = 0; i < N; i++) {
        h.fake.sendRaw((kinds[Math.floor(rand() * kinds.length)] as () => string)());
        if (i % 10_000 === 9_999) {
          h.fake.delta(a, 'BUY', '0.3', String(i)); // valid frames in between still apply
          await until(() => h!.got.dead.length >= i - 5_000, 'the client to keep up', 60_000);
        }
      }
      await until(() => h!.got.dead.length >= N, `${N} dead letters`, 60_000);
      expect(h.got.dead).toHaveLength(N);
      expect(new Set(h.got.dead.map((d) => d.source))).toEqual(new Set(['ingest.market-channel']));
      expectBooksMatchServer(h, [a]);
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  }, 120_000);
});
