import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { BookSide, BookUpdate, LevelChange } from '../schemas/book-update.js';
import type { Fill } from '../schemas/fill.js';
import { assetId, eventId, marketId, type AssetId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { Order } from '../schemas/order.js';
import type { Direction } from '../schemas/signal.js';
import type { PriceMicros, SizeMicros, UsdMicros } from '../schemas/units.js';
import type { BookChange, BookView } from './book-view.js';
import {
  initialPaperBrokerState,
  paperBroker,
  paperBrokerStep,
  walkBook,
  type NoFillReason,
  type PaperBrokerInput,
  type PaperBrokerOptions,
} from './paper-broker.js';
import { applyBookUpdate } from './order-book.js';
import type { L2Book } from './l2-book.js';

const A = assetId('111');
const M = marketId('0xm');
const SHARE = 1_000_000; // micro-shares per share
const px = (p: number): PriceMicros => p as PriceMicros;
const sz = (shares: number): SizeMicros => Math.round(shares * SHARE) as SizeMicros;

/** A frozen L2 book: bids and asks as [price, shares]. */
function fakeBook(bids: [number, number][], asks: [number, number][], ts = 0, ready = true): BookView {
  const side = (s: BookSide): [number, number][] =>
    (s === 'bid' ? [...bids].sort((x, y) => y[0] - x[0]) : [...asks].sort((x, y) => x[0] - y[0])).filter(([, q]) => q > 0);
  return {
    assetId: A,
    market: M,
    tickSize: px(10_000),
    lastUpdateTs: ts,
    hash: '',
    ready,
    bestBid: () => px(side('bid')[0]?.[0] ?? -1),
    bestAsk: () => px(side('ask')[0]?.[0] ?? -1),
    sizeAt: (s, p) => sz(side(s).find(([q]) => q === p)?.[1] ?? 0),
    depthWithin: () => sz(0),
    depthTopLevels: () => sz(0),
    forEachLevel: (s, visit) => {
      for (const [p, q] of side(s)) if (!visit(px(p), sz(q))) return;
    },
  };
}

const base = { assetId: A, market: M, recvTs: 0, hash: '' };
function snapshotChange(book: BookView, ts: number): BookChange {
  const update: BookUpdate = { ...base, ts, kind: 'snapshot', bids: [], asks: [], tickSize: px(10_000) };
  return { update, book, status: 'ok' };
}
function deltaChange(book: BookView, ts: number, changes: LevelChange[]): BookChange {
  const update: BookUpdate = { ...base, ts, kind: 'delta', changes, bestBid: px(-1), bestAsk: px(-1) };
  return { update, book, status: 'ok' };
}

function order(id: string, direction: Direction, limit: number, shares: number, ts = 0): Order {
  return {
    id,
    signalId: `sig:${id}`,
    assetId: A,
    market: M,
    ts,
    direction,
    limitPrice: px(limit),
    size: sz(shares),
    stake: 0 as UsdMicros,
    kellyFraction: 0.25,
  };
}

const meta: MarketMeta = {
  market: M,
  eventId: eventId('e1'),
  question: 'Q?',
  slug: 'q',
  category: 'Politics',
  outcomes: ['Yes', 'No'],
  assetIds: [A, assetId('222')],
  tickSize: px(10_000),
  negRisk: false,
  startTs: 0,
  endTs: 1,
  ts: 0,
};

const noFees: PaperBrokerOptions = { takerFeeRates: {}, defaultTakerFeeRate: 0 };
const fees: PaperBrokerOptions = { takerFeeRates: { politics: 0.04 }, defaultTakerFeeRate: 0.05 };

/** Feeds inputs to a fresh kernel; returns all fills. */
function run(opts: PaperBrokerOptions, inputs: PaperBrokerInput[]): Fill[] {
  const state = initialPaperBrokerState();
  return inputs.flatMap((i) => paperBrokerStep(state, i, opts));
}

const asks = fakeBook([[480_000, 100], [470_000, 200]], [[500_000, 100], [520_000, 100], [550_000, 100]]);

describe('walkBook', () => {
  it('YES walks asks upward: 100 @ 0.50 + 50 @ 0.52 -> VWAP 76/150 = 0.506667', () => {
    const w = walkBook(asks, 'YES', px(520_000), sz(150));
    expect(w).toEqual({
      side: 'ask',
      filled: sz(150),
      price: 506_667,
      unfilled: 0,
      legs: [
        { price: 500_000, size: sz(100) },
        { price: 520_000, size: sz(50) },
      ],
    });
  });

  it('partial fill stops at the limit and reports the remainder', () => {
    const w = walkBook(asks, 'YES', px(520_000), sz(250));
    expect(w.filled).toBe(sz(200));
    expect(w.price).toBe(510_000); // (50 + 52) / 200
    expect(w.unfilled).toBe(sz(50));
  });

  it('takes nothing when the best level is past the limit', () => {
    const w = walkBook(asks, 'YES', px(499_999), sz(10));
    expect(w).toMatchObject({ filled: 0, price: 0, unfilled: sz(10), legs: [] });
  });

  it('NO walks bids downward at 1e6 - bid: 100 @ 0.52 + 50 @ 0.53 -> 78.5/150', () => {
    const w = walkBook(asks, 'NO', px(530_000), sz(150));
    expect(w.side).toBe('bid');
    expect(w.filled).toBe(sz(150));
    expect(w.price).toBe(523_333); // 0.523333...
    expect(w.legs).toEqual([
      { price: 480_000, size: sz(100) },
      { price: 470_000, size: sz(50) },
    ]);
    // the NO limit 0.525 admits only the bid at 0.48 (NO at 0.52)
    const capped = walkBook(asks, 'NO', px(525_000), sz(150));
    expect(capped).toMatchObject({ filled: sz(100), price: 520_000, unfilled: sz(50) });
  });

  it('subtracts consumed liquidity per level and skips exhausted levels', () => {
    const consumed = new Map([[px(500_000), sz(100)], [px(520_000), sz(30)]]);
    const w = walkBook(asks, 'YES', px(550_000), sz(100), consumed);
    expect(w.legs).toEqual([
      { price: 520_000, size: sz(70) },
      { price: 550_000, size: sz(30) },
    ]);
    expect(w.price).toBe(529_000); // (70*0.52 + 30*0.55) / 100 = (36.4 + 16.5) / 100
  });

  it('VWAP of huge sizes stays exact past 2^53 in price x size', () => {
    const big = fakeBook([], [[333_333, 30_000_000], [333_334, 30_000_000]]);
    const w = walkBook(big, 'YES', px(400_000), sz(60_000_000));
    expect(w.price).toBe(333_334); // 333_333.5 rounds half up
  });
});

describe('paperBroker kernel', () => {
  const book = (b: BookView, ts = 0): PaperBrokerInput => ({ kind: 'book', change: snapshotChange(b, ts) });

  it('fills at once on the current book with latency 0; id, ts, VWAP and remainder', () => {
    const fills = run(noFees, [book(asks), { kind: 'order', order: order('o1', 'YES', 520_000, 250, 7) }]);
    expect(fills).toEqual([
      {
        id: 'fill:o1',
        orderId: 'o1',
        assetId: A,
        market: M,
        ts: 7,
        direction: 'YES',
        price: 510_000,
        size: sz(200),
        fee: 0,
        unfilled: sz(50),
      },
    ]);
  });

  it('charges the taker fee per level at the market category rate, rounded to 1e-5 dollars', () => {
    // politics 0.04: 100 x 0.04 x 0.5 x 0.5 = $1.00; 50 x 0.04 x 0.52 x 0.48 = $0.4992
    const [f] = run(fees, [{ kind: 'meta', meta }, book(asks), { kind: 'order', order: order('o', 'YES', 520_000, 150) }]);
    expect(f?.fee).toBe(1_000_000 + 499_200);
    // 1.234567 shares x 0.04 x 0.25 = $0.01234567 -> $0.01235
    const [g] = run(fees, [{ kind: 'meta', meta }, book(asks), { kind: 'order', order: order('p', 'YES', 500_000, 1.234567) }]);
    expect(g?.fee).toBe(12_350);
    // no meta: default rate 0.05: 1.234567 x 0.05 x 0.25 = $0.0154320875 -> $0.01543
    const [h] = run(fees, [book(asks), { kind: 'order', order: order('q', 'YES', 500_000, 1.234567) }]);
    expect(h?.fee).toBe(15_430);
    // one micro-share still pays the $0.00001 minimum
    const [k] = run(fees, [book(asks), { kind: 'order', order: order('r', 'YES', 500_000, 0.000001) }]);
    expect(k?.fee).toBe(10);
  });

  it('NO fee uses the NO price (symmetric p(1-p)): 100 @ 0.52 at 0.04 -> $0.9984', () => {
    const [f] = run(fees, [{ kind: 'meta', meta }, book(asks), { kind: 'order', order: order('o', 'NO', 520_000, 100) }]);
    expect(f).toMatchObject({ price: 520_000, size: sz(100), fee: 998_400 });
  });

  it('emits nothing and counts it when nothing is within the limit; rejects bad orders', () => {
    const seen: [string, NoFillReason][] = [];
    const opts: PaperBrokerOptions = { ...noFees, onNoFill: (o, r) => seen.push([o.id, r]) };
    const state = initialPaperBrokerState();
    paperBrokerStep(state, book(asks), opts);
    expect(paperBrokerStep(state, { kind: 'order', order: order('o1', 'YES', 490_000, 10) }, opts)).toEqual([]);
    expect(paperBrokerStep(state, { kind: 'order', order: order('o2', 'YES', 490_000, 0) }, opts)).toEqual([]);
    expect(seen).toEqual([
      ['o1', 'no_liquidity'],
      ['o2', 'invalid_order'],
    ]);
    expect(state.stats).toMatchObject({ noLiquidity: 1, invalid: 1, filled: 0 });
  });

  it('holds an order for latencyMs of event time and fills on the first book change at or after it', () => {
    const opts: PaperBrokerOptions = { ...noFees, latencyMs: 100 };
    const later = fakeBook([], [[600_000, 100]], 1100);
    const state = initialPaperBrokerState();
    const step = (i: PaperBrokerInput): Fill[] => paperBrokerStep(state, i, opts);
    expect(step(book(fakeBook([], [[500_000, 100]], 1000), 1000))).toEqual([]);
    expect(step({ kind: 'order', order: order('o', 'YES', 700_000, 10, 1000) })).toEqual([]);
    expect(step(book(fakeBook([], [[550_000, 100]], 1099), 1099))).toEqual([]); // 1099 < 1000 + 100
    const fills = step(book(later, 1100));
    expect(fills).toMatchObject([{ id: 'fill:o', ts: 1100, price: 600_000, size: sz(10) }]);
    expect(state.pendingCount).toBe(0);
  });

  it('with latency 0 and no book yet, waits for the first ready book at or after the order', () => {
    const state = initialPaperBrokerState();
    const step = (i: PaperBrokerInput): Fill[] => paperBrokerStep(state, i, noFees);
    expect(step({ kind: 'order', order: order('o', 'YES', 700_000, 10, 50) })).toEqual([]);
    expect(step(book(fakeBook([], [], 60, false), 60))).toEqual([]); // not ready
    expect(step(book(asks, 70))).toMatchObject([{ id: 'fill:o', ts: 70, price: 500_000 }]);
  });

  it('drops new orders past maxPendingOrders', () => {
    const reasons: NoFillReason[] = [];
    const opts: PaperBrokerOptions = { ...noFees, maxPendingOrders: 1, onNoFill: (_, r) => reasons.push(r) };
    const fills = run(opts, [
      { kind: 'order', order: order('o1', 'YES', 700_000, 10) },
      { kind: 'order', order: order('o2', 'YES', 700_000, 10) },
      book(asks),
    ]);
    expect(fills.map((f) => f.id)).toEqual(['fill:o1']);
    expect(reasons).toEqual(['pending_overflow']);
  });

  it('own fills consume liquidity until the feed restates the level', () => {
    const state = initialPaperBrokerState();
    const step = (i: PaperBrokerInput): Fill[] => paperBrokerStep(state, i, noFees);
    const ord = (id: string, shares: number): PaperBrokerInput => ({ kind: 'order', order: order(id, 'YES', 520_000, shares) });
    const book1 = fakeBook([], [[500_000, 100], [520_000, 100]]);
    step(book(book1));
    expect(step(ord('a', 60))).toMatchObject([{ price: 500_000, size: sz(60) }]);
    // 40 left at 0.50, then 20 at 0.52: (20 + 10.4) / 60
    expect(step(ord('b', 60))).toMatchObject([{ price: 506_667, size: sz(60), unfilled: 0 }]);
    // a delta restating 0.50 forgets our take there; 0.52 keeps its 20 consumed
    step({ kind: 'book', change: deltaChange(book1, 1, [{ side: 'ask', price: px(500_000), size: sz(100) }]) });
    // 100 @ 0.50 + 80 @ 0.52 = 91.6 / 180
    expect(step(ord('c', 200))).toMatchObject([{ price: 508_889, size: sz(180), unfilled: sz(20) }]);
    expect(step(ord('d', 1))).toEqual([]); // the book within the limit is used up
    // a delta on the other side forgets nothing on the ask side
    step({ kind: 'book', change: deltaChange(book1, 2, [{ side: 'bid', price: px(500_000), size: sz(5) }]) });
    expect(step(ord('e', 1))).toEqual([]);
    // an update the book ignored forgets nothing either
    step({ kind: 'book', change: { ...snapshotChange(book1, 3), status: 'awaiting_snapshot' } });
    expect(step(ord('f', 1))).toEqual([]);
    // a snapshot forgets everything for the asset
    step(book(book1, 4));
    expect(step(ord('g', 200))).toMatchObject([{ price: 510_000, size: sz(200) }]);
  });
});

describe('paperBroker operator', () => {
  it('marble: meta, book, order -> fill; a deferred order fills on the later book', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const opts: PaperBrokerOptions = { ...fees, latencyMs: 5 };
      const inputs: Record<string, PaperBrokerInput> = {
        m: { kind: 'meta', meta },
        b: { kind: 'book', change: snapshotChange(fakeBook([], [[500_000, 100]], 0), 0) },
        o: { kind: 'order', order: order('o', 'YES', 500_000, 100, 0) },
        c: { kind: 'book', change: snapshotChange(fakeBook([], [[400_000, 100]], 5), 5) },
      };
      // 100 x 0.04 x 0.4 x 0.6 = $0.96
      const f: Fill = {
        id: 'fill:o',
        orderId: 'o',
        assetId: A,
        market: M,
        ts: 5,
        direction: 'YES',
        price: px(400_000),
        size: sz(100),
        fee: 960_000 as UsdMicros,
        unfilled: sz(0),
      };
      expectObservable(cold('mbo--c|', inputs).pipe(paperBroker(opts))).toBe('-----f|', { f });
    });
  });

  it('keeps no state between subscriptions', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const src = cold('bo|', {
        b: { kind: 'book', change: snapshotChange(fakeBook([], [[500_000, 100]]), 0) },
        o: { kind: 'order', order: order('o', 'YES', 500_000, 100) },
      } satisfies Record<string, PaperBrokerInput>);
      const broker$ = src.pipe(paperBroker(noFees));
      const values = { f: expect.objectContaining({ size: sz(100), price: 500_000 }) as Fill };
      expectObservable(broker$).toBe('-f|', values);
      expectObservable(broker$).toBe('-f|', values); // a second subscription sees a full book again
    });
  });
});

describe('paperBroker with the real L2 book', () => {
  it('walks the live book kept between notifications, and forgets consumed size on a restated level', () => {
    const books = new Map<AssetId, L2Book>();
    const state = initialPaperBrokerState();
    const update = (u: BookUpdate): Fill[] => paperBrokerStep(state, { kind: 'book', change: applyBookUpdate(books, u) }, noFees);
    const send = (o: Order): Fill[] => paperBrokerStep(state, { kind: 'order', order: o }, noFees);
    update({
      ...base,
      ts: 1,
      kind: 'snapshot',
      bids: [{ price: px(480_000), size: sz(100) }],
      asks: [
        { price: px(500_000), size: sz(100) },
        { price: px(520_000), size: sz(100) },
      ],
      tickSize: px(10_000),
    });
    expect(send(order('a', 'YES', 520_000, 150, 2))).toMatchObject([{ price: 506_667, size: sz(150) }]);
    // the venue removes 0.50 and restates 0.52 at 80: our 50 taken there is forgotten
    update({
      ...base,
      ts: 3,
      kind: 'delta',
      changes: [
        { side: 'ask', price: px(500_000), size: sz(0) },
        { side: 'ask', price: px(520_000), size: sz(80) },
      ],
      bestBid: px(480_000),
      bestAsk: px(520_000),
    });
    expect(send(order('b', 'YES', 520_000, 100, 4))).toMatchObject([{ price: 520_000, size: sz(80), unfilled: sz(20) }]);
    expect(send(order('c', 'NO', 520_000, 30, 5))).toMatchObject([{ price: 520_000, size: sz(30) }]);
  });
});
