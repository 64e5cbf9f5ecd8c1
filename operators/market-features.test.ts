import fc from 'fast-check';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { BookSide } from '../schemas/book-update.js';
import { FEATURE_INDEX, FEATURE_NAMES, FEATURE_SPEC, type FeatureName } from '../schemas/feature-spec.js';
import type { FeatureVector } from '../schemas/feature-vector.js';
import { assetId, eventId, marketId, type AssetId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { Trade, TradeSide } from '../schemas/trade.js';
import type { PriceMicros, SizeMicros } from '../schemas/units.js';
import type { BookChange, BookStatus, BookView } from './book-view.js';
import {
  initialMarketFeaturesState,
  marketFeatures,
  marketFeaturesStep,
  type MarketFeatureInput,
  type MarketFeaturesOptions,
} from './market-features.js';

const M = 1_000_000;
const A = assetId('asset-a');
const B = assetId('asset-b');
const MKT = marketId('0xmarket');
const HOUR = 3_600_000;

/** [price, shares] pairs as decimals. */
type Lv = readonly [number, number];

/** An immutable BookView over fixed levels (the real one is owned by orderBook). */
function fakeBook(asset: AssetId, ts: number, bids: readonly Lv[], asks: readonly Lv[], tick = 0.01, ready = true): BookView {
  const side = (s: BookSide) =>
    (s === 'bid' ? [...bids].sort((x, y) => y[0] - x[0]) : [...asks].sort((x, y) => x[0] - y[0])).map(
      ([p, q]) => [Math.round(p * M), Math.round(q * M)] as const,
    );
  const levels = { bid: side('bid'), ask: side('ask') };
  const tickSize = Math.round(tick * M);
  return {
    assetId: asset,
    market: MKT,
    tickSize: tickSize as PriceMicros,
    lastUpdateTs: ts,
    hash: '',
    ready,
    bestBid: () => (levels.bid[0]?.[0] ?? -1) as PriceMicros,
    bestAsk: () => (levels.ask[0]?.[0] ?? -1) as PriceMicros,
    sizeAt: (s, price) => (levels[s].find(([p]) => p === price)?.[1] ?? 0) as SizeMicros,
    depthWithin: (s, ticks) => {
      const best = levels[s][0]?.[0];
      if (best === undefined) return 0 as SizeMicros;
      return levels[s].filter(([p]) => Math.abs(p - best) <= ticks * tickSize).reduce((a, [, q]) => a + q, 0) as SizeMicros;
    },
    depthTopLevels: (s, n) => levels[s].slice(0, n).reduce((a, [, q]) => a + q, 0) as SizeMicros,
    forEachLevel: (s, visit) => {
      for (const [p, q] of levels[s]) if (!visit(p as PriceMicros, q as SizeMicros)) return;
    },
  };
}

/** Inputs are received this long after their event time: a vector carries its input's receive time. */
const RECEIVE_LAG_MS = 25;

function book(ts: number, bids: readonly Lv[], asks: readonly Lv[], status: BookStatus = 'ok', asset = A): MarketFeatureInput {
  const change: BookChange = {
    update: { kind: 'delta', assetId: asset, market: MKT, ts, recvTs: ts + RECEIVE_LAG_MS, hash: '', changes: [], bestBid: -1 as PriceMicros, bestAsk: -1 as PriceMicros },
    book: fakeBook(asset, ts, bids, asks),
    status,
  };
  return { kind: 'book', change };
}

/** A book whose only levels are one bid and one ask of 100 shares each: mid = (bid + ask) / 2. */
const quote = (ts: number, bid: number, ask: number, asset = A): MarketFeatureInput => book(ts, [[bid, 100]], [[ask, 100]], 'ok', asset);

function tradeOf(ts: number, price: number, shares: number, side: TradeSide, asset = A): Trade {
  return {
    id: `t-${asset}-${ts}-${price}`,
    assetId: asset,
    market: MKT,
    ts,
    recvTs: ts + RECEIVE_LAG_MS,
    price: Math.round(price * M) as PriceMicros,
    size: Math.round(shares * M) as SizeMicros,
    side,
    feeRateBps: 0,
  };
}
const trade = (ts: number, price: number, shares: number, side: TradeSide, asset = A): MarketFeatureInput => ({
  kind: 'trade',
  trade: tradeOf(ts, price, shares, side, asset),
});

function metaOf(category: string, startTs: number, endTs: number): MarketFeatureInput {
  const meta: MarketMeta = {
    market: MKT,
    eventId: eventId('ev'),
    question: 'q?',
    slug: 'q',
    category,
    outcomes: ['Yes', 'No'],
    assetIds: [A, B],
    tickSize: 10_000 as PriceMicros,
    negRisk: false,
    startTs,
    endTs,
    ts: startTs,
  };
  return { kind: 'meta', meta };
}

function run(inputs: readonly MarketFeatureInput[], opts: MarketFeaturesOptions = {}): FeatureVector[] {
  const s = initialMarketFeaturesState(opts);
  const out: FeatureVector[] = [];
  for (const input of inputs) {
    const v = marketFeaturesStep(s, input);
    if (v !== undefined) out.push(v);
  }
  return out;
}

const last = (vs: readonly FeatureVector[]): FeatureVector => {
  const v = vs[vs.length - 1];
  if (v === undefined) throw new Error('no vector emitted');
  return v;
};
const val = (v: FeatureVector, name: FeatureName): number => v.values[FEATURE_INDEX[name]]!;

describe('marketFeatures values', () => {
  // Bids 0.48x100, 0.47x200, 0.45x50, 0.40x1000; asks 0.52x300, 0.53x100, 0.60x400; tick 0.01.
  const bids: Lv[] = [[0.48, 100], [0.47, 200], [0.45, 50], [0.40, 1000]];
  const asks: Lv[] = [[0.52, 300], [0.53, 100], [0.60, 400]];

  it('computes the book features from a constructed book', () => {
    const v = last(run([book(1_000, bids, asks)], { depthTicks: 2 }));
    expect(v.values).toHaveLength(FEATURE_NAMES.length);
    expect(v.specVersion).toBe(FEATURE_SPEC.version);
    expect(val(v, 'mid')).toBeCloseTo(0.5, 12);
    expect(val(v, 'spread')).toBeCloseTo(0.04, 12);
    // (bid x askSize + ask x bidSize) / (bidSize + askSize) = (0.48*300 + 0.52*100) / 400
    expect(val(v, 'microprice')).toBeCloseTo(0.49, 12);
    expect(val(v, 'imbalance_top1')).toBeCloseTo((100 - 300) / 400, 12);
    // Top 5 levels: the bid side has 4 (1350 shares), the ask side 3 (800).
    expect(val(v, 'imbalance_top5')).toBeCloseTo((1350 - 800) / 2150, 12);
    // Within 2 ticks: bids 0.48, 0.47 (300 shares); asks 0.52, 0.53 (400).
    expect(val(v, 'depth_bid_log')).toBeCloseTo(Math.log(301), 12);
    expect(val(v, 'depth_ask_log')).toBeCloseTo(Math.log(401), 12);
    expect(v.bestBid).toBe(480_000);
    expect(v.bestAsk).toBe(520_000);
    expect(v.bidDepth).toBe(300 * M);
    expect(v.askDepth).toBe(400 * M);
    // No trades yet: prices undefined, quantities zero; no meta: NaN.
    expect(val(v, 'vwap_dev_1m')).toBeNaN();
    expect(val(v, 'volume_log_24h')).toBe(0);
    expect(val(v, 'trade_count_5m')).toBe(0);
    expect(val(v, 'signed_flow_ewma')).toBe(0);
    expect(val(v, 'momentum_5m')).toBeNaN();
    expect(val(v, 'time_to_resolution_h')).toBeNaN();
    expect(val(v, 'market_age_h')).toBeNaN();
    expect(val(v, 'cat_other')).toBeNaN();
  });

  it('makes mid, spread and microprice NaN on a one-sided book but keeps depth', () => {
    const v = last(run([book(1_000, bids, [])], { depthTicks: 2 }));
    expect(val(v, 'mid')).toBeNaN();
    expect(val(v, 'spread')).toBeNaN();
    expect(val(v, 'microprice')).toBeNaN();
    expect(val(v, 'imbalance_top1')).toBe(1);
    expect(val(v, 'depth_ask_log')).toBe(0);
    expect(v.bestAsk).toBe(-1);
  });

  it('computes trade window features after a trade, against the book mid', () => {
    const vs = run([
      book(0, bids, asks),
      trade(1_000, 0.51, 10, 'BUY'),
      trade(2_000, 0.49, 30, 'SELL'),
    ]);
    const v = last(vs);
    expect(v.ts).toBe(2_000);
    // vwap = (0.51*10 + 0.49*30) / 40 = 0.495; mid 0.5.
    expect(val(v, 'vwap_dev_1m')).toBeCloseTo(-0.005, 12);
    expect(val(v, 'vwap_dev_24h')).toBeCloseTo(-0.005, 12);
    expect(val(v, 'volume_log_1m')).toBeCloseTo(Math.log(41), 12);
    expect(val(v, 'trade_count_1h')).toBe(2);
    // 61 s after the first trade it has left the 1m window: (1 000, 61 000].
    const later = last(run([book(0, bids, asks), trade(1_000, 0.51, 10, 'BUY'), trade(2_000, 0.49, 30, 'SELL'), book(61_000, bids, asks)]));
    expect(val(later, 'trade_count_1m')).toBe(1);
    expect(val(later, 'vwap_dev_1m')).toBeCloseTo(-0.01, 12);
    expect(val(later, 'trade_count_5m')).toBe(2);
  });

  it('decays signed flow to exactly half after one half-life', () => {
    const H = 90_000;
    const vs = run([trade(10_000, 0.5, 8, 'BUY'), quote(10_000 + H, 0.49, 0.51), trade(10_000 + 2 * H, 0.5, 2, 'SELL')], { flowHalfLifeMs: H });
    expect(val(vs[0]!, 'signed_flow_ewma')).toBe(8);
    expect(val(vs[1]!, 'signed_flow_ewma')).toBeCloseTo(4, 12);
    expect(val(vs[2]!, 'signed_flow_ewma')).toBeCloseTo(8 * 0.25 - 2, 12); // two half-lives, then the sell
  });

  it('computes momentum from the last mid at or before the window start, and realized vol of simple changes', () => {
    const vs = run([
      quote(0, 0.39, 0.41), // mid 0.40
      quote(1_000_000, 0.49, 0.51), // 0.50
      quote(3_700_000, 0.51, 0.53), // 0.52, exactly at the 5m window start of the last vector
      quote(4_000_000, 0.54, 0.56), // 0.55
    ]);
    const v = last(vs);
    expect(val(v, 'momentum_5m')).toBeCloseTo(0.55 - 0.52, 12);
    expect(val(v, 'momentum_1h')).toBeCloseTo(0.55 - 0.4, 12); // start 400 000: last mid at or before is 0.40
    expect(val(v, 'momentum_24h')).toBeNaN(); // history does not reach back to 4 000 000 - 24h
    expect(val(v, 'realized_vol_5m')).toBeCloseTo(0.03, 12); // only the 0.52 -> 0.55 change is in (3.7e6, 4e6]
    expect(val(v, 'realized_vol_1h')).toBeCloseTo(Math.sqrt(0.1 ** 2 + 0.02 ** 2 + 0.03 ** 2), 12);
    // A one-sided book: no mid now, so no momentum.
    const oneSided = last(run([quote(0, 0.39, 0.41), quote(400_000, 0.49, 0.51), book(800_000, [[0.5, 1]], [])]));
    expect(val(oneSided, 'momentum_5m')).toBeNaN();
  });

  it('takes time to resolution, market age and category from meta', () => {
    const now = 1_700_000_000_000;
    const v = last(run([metaOf('Politics', now - 48 * HOUR, now + 36 * HOUR), quote(now, 0.49, 0.51)]));
    expect(val(v, 'time_to_resolution_h')).toBeCloseTo(36, 12);
    expect(val(v, 'market_age_h')).toBeCloseTo(48, 12);
    expect(FEATURE_NAMES.filter((n) => n.startsWith('cat_')).map((n) => val(v, n))).toEqual([1, 0, 0, 0, 0, 0, 0]);
    const other = last(run([metaOf('Weather', 0, HOUR), quote(HOUR / 2, 0.49, 0.51)]));
    expect(FEATURE_NAMES.filter((n) => n.startsWith('cat_')).map((n) => val(other, n))).toEqual([0, 0, 0, 0, 0, 0, 1]);
    expect(val(other, 'time_to_resolution_h')).toBeCloseTo(0.5, 12);
  });

  it('emits for consistent book changes only (not crossed or top_mismatch), with ids counting every update of the asset', () => {
    const inputs = [
      book(100, bids, asks, 'awaiting_snapshot'),
      book(200, bids, asks, 'ok'),
      book(300, bids, asks, 'invalid'),
      book(300, bids, asks, 'crossed'),
      quote(300, 0.4, 0.6, B),
      book(400, bids, asks, 'top_mismatch'),
      trade(400, 0.5, 1, 'BUY'),
    ];
    const vs = run(inputs);
    expect(vs.map((v) => v.id)).toEqual([`${A}:200:2`, `${B}:300:1`, `${A}:400:6`]);
    // The trade after a top_mismatch book still counts, but with no trusted book its mid is undefined.
    expect(Number.isNaN(val(vs[2] as FeatureVector, 'mid'))).toBe(true);
    expect(val(vs[2] as FeatureVector, 'trade_count_1m')).toBe(1);
    expect(run(inputs).map((v) => v.id)).toEqual(vs.map((v) => v.id));
  });

  it('routes late trades to the side output and counts them, emitting nothing', () => {
    const late: Trade[] = [];
    const s = initialMarketFeaturesState({ graceMs: 1_000 });
    marketFeaturesStep(s, quote(10_000, 0.49, 0.51));
    const stale = trade(8_999, 0.5, 1, 'BUY');
    expect(marketFeaturesStep(s, stale)).toBeUndefined();
    expect(s.late).toBe(1);
    // Within grace: accepted, and the vector keeps the asset's event time.
    const v = marketFeaturesStep(s, trade(9_000, 0.5, 1, 'BUY'));
    expect(v?.ts).toBe(10_000);
    expect(v && val(v, 'trade_count_1m')).toBe(1);
    // The operator passes it on.
    new TestScheduler((a, e) => expect(a).toEqual(e)).run(({ cold, expectObservable }) => {
      const src = cold<MarketFeatureInput>('a-b|', { a: quote(10_000, 0.49, 0.51), b: stale });
      expectObservable(src.pipe(marketFeatures({ graceMs: 1_000, late: (t) => late.push(t) })).pipe()).toBe('x--|', {
        x: expect.objectContaining({ id: `${A}:10000:1` }),
      });
    });
    expect(late).toEqual([(stale as { trade: Trade }).trade]);
  });
});

describe('marketFeatures operator', () => {
  it('marble: one vector per applied book change and per trade, none for meta or ignored updates', () => {
    const start = 0;
    const end = 100 * HOUR;
    const t0 = 10 * HOUR;
    const m = metaOf('crypto', start, end);
    const b1 = book(t0, [[0.4, 10]], [[0.6, 30]]);
    const ignored = book(t0 + 500, [[0.4, 10]], [[0.6, 30]], 'awaiting_snapshot');
    const tr = trade(t0 + 1_000, 0.6, 5, 'BUY');

    /** Expected values by name, everything else as given. */
    const values = (v: Partial<Record<FeatureName, number>>): number[] => FEATURE_NAMES.map((n) => v[n] ?? NaN);
    // Book 0.40x10 / 0.60x30: mid 0.5, spread 0.2, microprice (0.4*30 + 0.6*10)/40 = 0.45,
    // imbalance (10-30)/40 = -0.5, depth ln 11 / ln 31. One mid sample: vol 0, no momentum anchor.
    const bookValues = {
      mid: 0.5, spread: 0.2, microprice: 0.45, imbalance_top1: -0.5, imbalance_top5: -0.5,
      depth_bid_log: Math.log(11), depth_ask_log: Math.log(31),
      volume_log_1m: 0, volume_log_5m: 0, volume_log_1h: 0, volume_log_24h: 0,
      trade_count_1m: 0, trade_count_5m: 0, trade_count_1h: 0, trade_count_24h: 0,
      signed_flow_ewma: 0, realized_vol_5m: 0, realized_vol_1h: 0,
      cat_politics: 0, cat_sports: 0, cat_crypto: 1, cat_economics: 0, cat_geopolitics: 0, cat_culture: 0, cat_other: 0,
    };
    const common = { assetId: A, market: MKT, specVersion: FEATURE_SPEC.version, bestBid: 400_000, bestAsk: 600_000, bidDepth: 10 * M, askDepth: 30 * M };
    const x = { ...common, id: `${A}:${t0}:1`, ts: t0, recvTs: t0 + RECEIVE_LAG_MS, values: values({ ...bookValues, time_to_resolution_h: 90, market_age_h: 10 }) };
    const tradeTs = t0 + 1_000;
    const y = {
      ...common, id: `${A}:${tradeTs}:3`, ts: tradeTs, recvTs: tradeTs + RECEIVE_LAG_MS,
      values: values({
        ...bookValues,
        vwap_dev_1m: 0.1, vwap_dev_5m: 0.1, vwap_dev_1h: 0.1, vwap_dev_24h: 0.1,
        volume_log_1m: Math.log(6), volume_log_5m: Math.log(6), volume_log_1h: Math.log(6), volume_log_24h: Math.log(6),
        trade_count_1m: 1, trade_count_5m: 1, trade_count_1h: 1, trade_count_24h: 1,
        signed_flow_ewma: 5,
        time_to_resolution_h: (end - tradeTs) / HOUR, market_age_h: tradeTs / HOUR,
      }),
    };
    new TestScheduler((actual, expected) => {
      expect(actual).toHaveLength((expected as unknown[]).length);
      // Floats: compare values with a tolerance, everything else exactly.
      (actual as { notification: { value?: FeatureVector } }[]).forEach((a, i) => {
        const e = (expected as { notification: { value?: FeatureVector } }[])[i]!;
        const { values: av, ...ar } = a.notification.value ?? { values: [] };
        const { values: ev, ...er } = e.notification.value ?? { values: [] };
        expect({ ...a, notification: { ...a.notification, value: ar } }).toEqual({ ...e, notification: { ...e.notification, value: er } });
        expect(av).toHaveLength(ev.length);
        av.forEach((n, k) => (Number.isNaN(ev[k]) ? expect(n, FEATURE_NAMES[k]).toBeNaN() : expect(n, FEATURE_NAMES[k]).toBeCloseTo(ev[k]!, 12)));
      });
    }).run(({ cold, expectObservable }) => {
      const source = cold<MarketFeatureInput>('m-b-i-t|', { m, b: b1, i: ignored, t: tr });
      expectObservable(source.pipe(marketFeatures({ depthTicks: 3 }))).toBe('--x---y|', { x, y });
    });
  });
});

describe('marketFeatures point in time', () => {
  const inputArb: fc.Arbitrary<MarketFeatureInput> = fc.oneof(
    fc
      .record({
        dt: fc.integer({ min: -2_000, max: 400_000 }),
        bid: fc.integer({ min: 1, max: 49 }),
        spread: fc.integer({ min: 1, max: 10 }),
        size: fc.integer({ min: 1, max: 500 }),
        asset: fc.constantFrom(A, B),
      })
      .map(({ dt, bid, spread, size, asset }) =>
        book(dt, [[bid / 100, size], [(bid - 1) / 100, size * 2]], [[(bid + spread) / 100, size + 7]], 'ok', asset),
      ),
    fc
      .record({
        dt: fc.integer({ min: -10_000, max: 400_000 }),
        price: fc.integer({ min: 1, max: 99 }),
        size: fc.integer({ min: 1, max: 1_000 }),
        buy: fc.boolean(),
        asset: fc.constantFrom(A, B),
      })
      .map(({ dt, price, size, buy, asset }) => trade(dt, price / 100, size, buy ? 'BUY' : 'SELL', asset)),
  );
  /** Offsets become timestamps relative to a running clock so streams advance with some disorder. */
  function timed(inputs: readonly MarketFeatureInput[]): MarketFeatureInput[] {
    let clock = 0;
    return inputs.map((x) => {
      if (x.kind === 'meta') return x;
      const ts = Math.max(0, clock + (x.kind === 'trade' ? x.trade.ts : x.change.update.ts));
      clock = Math.max(clock, ts);
      if (x.kind === 'trade') return { kind: 'trade', trade: { ...x.trade, ts } };
      return { kind: 'book', change: { ...x.change, update: { ...x.change.update, ts } } };
    });
  }

  it('appending later events does not change any vector already emitted', () => {
    fc.assert(
      fc.property(fc.array(inputArb, { minLength: 1, maxLength: 60 }), fc.array(inputArb, { maxLength: 40 }), (past, future) => {
        const head = timed(past);
        const all = timed([...past, ...future]);
        const before = run(head);
        const after = run(all).slice(0, before.length);
        expect(after).toEqual(before);
        // And no vector is stamped before the inputs it includes: ts never decreases per asset.
        for (const asset of [A, B]) {
          const ts = run(all).filter((v) => v.assetId === asset).map((v) => v.ts);
          expect(ts).toEqual([...ts].sort((p, q) => p - q));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('stamps a vector with the asset\'s event time, never earlier than data it includes', () => {
    // A trade at 61 000 then a book at 60 000 (in grace): the book's vector is stamped 61 000, the
    // asset's event time, so it does not claim a ts earlier than data it includes.
    const vs = run([quote(0, 0.49, 0.51), trade(61_000, 0.5, 1, 'BUY'), quote(60_000, 0.48, 0.52)]);
    expect(vs.map((v) => v.ts)).toEqual([0, 61_000, 61_000]);
  });
});
