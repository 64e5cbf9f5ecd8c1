import { Subject } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { L2Book } from '../../operators/l2-book.js';
import { applyBookUpdate } from '../../operators/order-book.js';
import { takerFeeRate } from '../../operators/taker-fee.js';
import { ingestPipeline } from '../../pipelines/ingest.js';
import { watchPipeline } from '../../pipelines/watch.js';
import { loadConfig } from '../../runtime/config.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import type { ArbitrageOpportunity } from '../../schemas/arbitrage-opportunity.js';
import type { AssetId, MarketId } from '../../schemas/ids.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import { MICROS } from '../../schemas/units.js';
import type { WhaleEvent } from '../../schemas/whale-event.js';
import type { ReplayRecord } from '../../sources/replay/replay-record.js';
import { readReplay } from '../../sources/replay/replay-directory.js';

/*
 * The watch pipeline over data/sample, checked against an independent scan of the same books done
 * here: top-of-book arithmetic only (no level walk), the episode rule restated (a new episode when
 * none is open or the last one expired; the book moving away closes it), and the large-print rule
 * for pm.trade. The sample's markets are all binary and none is neg-risk, so only complement
 * opportunities can exist.
 */
const config = loadConfig({ env: {} });
const fees = config.fees;
const ttl = config.watch.arbTtlMs;

let opportunities: ArbitrageOpportunity[] = [];
let whales: WhaleEvent[] = [];
const expectedArb: string[] = [];
const expectedWhales: string[] = [];
let bookUpdates = 0;

beforeAll(async () => {
  const bus = new MemoryBus();
  const metrics = new PipelineMetrics();
  const input = new Subject<ReplayRecord>();
  const running = ingestPipeline(input, bus, metrics);
  running.add(watchPipeline(bus, config, metrics));
  running.add(bus.topic('arbitrage.v1').subscribe((o) => opportunities.push(o)));
  running.add(bus.topic('whale.v1').subscribe((w) => whales.push(w)));

  // The independent scan.
  const books = new Map<AssetId, L2Book>();
  const healthy = new Map<AssetId, boolean>();
  const metas = new Map<MarketId, MarketMeta>();
  const marketOf = new Map<AssetId, MarketId>();
  const open = new Map<string, number>();
  const resolved = new Set<MarketId>();
  running.add(
    bus.topic('pm.market.meta').subscribe((m) => {
      metas.set(m.market, m);
      for (const a of m.assetIds) marketOf.set(a, m.market);
    }),
  );
  running.add(bus.topic('pm.resolution').subscribe((r) => resolved.add(r.market)));
  running.add(
    bus.topic('pm.book').subscribe((u) => {
      bookUpdates++;
      const { status } = applyBookUpdate(books, u);
      if (status !== 'invalid') healthy.set(u.assetId, status === 'ok');
      const market = marketOf.get(u.assetId);
      const meta = market === undefined ? undefined : metas.get(market);
      if (meta === undefined || resolved.has(meta.market)) return;
      const rate = takerFeeRate(fees, meta.category);
      const fee = (p: number): number => (rate * p * (MICROS - p)) / MICROS;
      const [y, n] = meta.assetIds.map((a) => books.get(a));
      const usable = y !== undefined && n !== undefined && y.ready && n.ready && healthy.get(y.assetId) === true && healthy.get(n.assetId) === true;
      const checks = [
        ['complement_buy', usable && y.bestAsk() > 0 && n.bestAsk() > 0 && MICROS - y.bestAsk() - n.bestAsk() - fee(y.bestAsk()) - fee(n.bestAsk()) > 0],
        ['complement_sell', usable && y.bestBid() > 0 && n.bestBid() > 0 && y.bestBid() + n.bestBid() - MICROS - fee(y.bestBid()) - fee(n.bestBid()) > 0],
      ] as const;
      for (const [kind, holds] of checks) {
        const key = `${kind}:${meta.market}`;
        if (!holds) {
          open.delete(key);
          continue;
        }
        const until = open.get(key);
        if (until !== undefined && u.ts < until) continue;
        open.set(key, u.ts + ttl);
        expectedArb.push(`arb:${kind}:market:${meta.market}:${u.ts}`);
      }
    }),
  );
  running.add(
    bus.topic('pm.trade').subscribe((t) => {
      const book = books.get(t.assetId);
      if (book === undefined || !book.ready) return;
      const depth = book.depthWithin(t.side === 'BUY' ? 'ask' : 'bid', config.book.depthTicks);
      const ratio = depth > 0 ? t.size / depth : Infinity;
      if (Math.round((t.price * t.size) / MICROS) >= config.watch.whaleMinUsd * MICROS && ratio >= config.watch.whaleMinDepthRatio) expectedWhales.push(`whale:ws_trade:${t.id}`);
    }),
  );

  for await (const batch of readReplay('data/sample')) for (const record of batch) input.next(record);
  running.unsubscribe();
});

describe('watch over data/sample', () => {
  it('reads the sample', () => {
    expect(bookUpdates).toBeGreaterThan(10_000);
  });

  it('emits exactly the arbitrage episodes an independent scan of the books finds', () => {
    expect(opportunities.map((o) => o.id)).toEqual(expectedArb);
  });

  it('sizes each opportunity at least to the top levels, at the best prices, with an edge the top of book allows', () => {
    for (const o of opportunities) {
      expect(o.size).toBeGreaterThan(0);
      expect(o.profit).toBeGreaterThanOrEqual(0);
      expect(o.edge).toBeGreaterThan(0);
      expect(o.expiresTs).toBe(o.ts + ttl);
      expect(o.assetIds).toHaveLength(2);
      // Walking deeper only adds worse levels: the limit is never better than the best price.
      o.prices.forEach((p, i) => (o.kind === 'complement_buy' ? expect(o.limitPrices[i]!).toBeGreaterThanOrEqual(p) : expect(o.limitPrices[i]!).toBeLessThanOrEqual(p)));
    }
  });

  it('flags exactly the market-channel prints the independent depth check flags', () => {
    expect(whales.map((w) => w.id)).toEqual(expectedWhales);
    expect(new Set(whales.map((w) => w.source))).toEqual(new Set(expectedWhales.length > 0 ? ['ws_trade'] : []));
  });
});
