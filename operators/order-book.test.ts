import { firstValueFrom, from, map, of, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { BookUpdate, Level, LevelChange } from '../schemas/book-update.js';
import { assetId, marketId, type AssetId } from '../schemas/ids.js';
import type { PriceMicros, SizeMicros } from '../schemas/units.js';
import type { L2Book } from './l2-book.js';
import { applyBookUpdate, orderBook } from './order-book.js';

const YES = assetId('4833');
const NO = assetId('2174');
const M = marketId('0x5a1c');
const px = (p: number): PriceMicros => p as PriceMicros;
const lv = (price: number, size: number): Level => ({ price: px(price), size: size as SizeMicros });
const ch = (side: 'bid' | 'ask', price: number, size: number): LevelChange => ({ side, price: px(price), size: size as SizeMicros });

const snapshot = (a: AssetId, recvTs: number, bids: Level[], asks: Level[]): BookUpdate => ({
  kind: 'snapshot', assetId: a, market: M, ts: recvTs, recvTs, hash: `s${recvTs}`, bids, asks, tickSize: px(10_000),
});
const delta = (a: AssetId, recvTs: number, changes: LevelChange[], bestBid = -1, bestAsk = -1): BookUpdate => ({
  kind: 'delta', assetId: a, market: M, ts: recvTs, recvTs, hash: `d${recvTs}`, changes, bestBid: px(bestBid), bestAsk: px(bestAsk),
});
const tick = (a: AssetId, recvTs: number): BookUpdate => ({
  kind: 'tick_size', assetId: a, market: M, ts: recvTs, recvTs, hash: '', oldTickSize: px(10_000), newTickSize: px(1_000),
});

describe('orderBook', () => {
  it('keeps one book per asset (marbles)', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const updates = {
        a: snapshot(YES, 1, [lv(410_000, 5_000_000)], [lv(440_000, 7_000_000)]),
        b: delta(NO, 2, [ch('bid', 560_000, 1_000_000)]),
        c: snapshot(NO, 3, [lv(560_000, 2_000_000)], [lv(590_000, 3_000_000)]),
        d: delta(YES, 4, [ch('bid', 420_000, 1_000_000)], 420_000, 440_000),
        e: delta(NO, 5, [ch('ask', 590_000, 0)], 560_000, 580_000),
        f: tick(YES, 6),
        g: delta(YES, 7, [ch('ask', 431_000, 1_000_000)]),
      };
      const source = cold('a-b-c-d-e 10ms f-g|', updates);
      // The view is live and mutable, so read it while the notification is current.
      const seen = source.pipe(
        orderBook(),
        map((c) => ({ asset: c.book.assetId, status: c.status, bid: c.book.bestBid(), ask: c.book.bestAsk(), hash: c.book.hash })),
      );
      expectObservable(seen).toBe('a-b-c-d-e 10ms f-g|', {
        a: { asset: YES, status: 'ok', bid: 410_000, ask: 440_000, hash: 's1' },
        b: { asset: NO, status: 'awaiting_snapshot', bid: -1, ask: -1, hash: '' },
        c: { asset: NO, status: 'ok', bid: 560_000, ask: 590_000, hash: 's3' },
        d: { asset: YES, status: 'ok', bid: 420_000, ask: 440_000, hash: 'd4' },
        // The feed says 0.58, the rebuilt book has no ask left.
        e: { asset: NO, status: 'top_mismatch', bid: 560_000, ask: -1, hash: 'd5' },
        f: { asset: YES, status: 'ok', bid: -1, ask: -1, hash: '' },
        g: { asset: YES, status: 'awaiting_snapshot', bid: -1, ask: -1, hash: '' },
      });
    });
  });

  it('reports crossed books', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c|', {
        a: snapshot(YES, 1, [lv(410_000, 5_000_000)], [lv(440_000, 7_000_000)]),
        b: delta(YES, 2, [ch('bid', 440_000, 1_000_000)]),
        c: delta(YES, 3, [ch('ask', 440_000, 0)]),
      });
      expectObservable(source.pipe(orderBook(), map((c) => c.status))).toBe('-a-b-c|', { a: 'ok', b: 'crossed', c: 'ok' });
    });
  });

  it('gives each subscription its own books', async () => {
    const op = orderBook();
    const first = await firstValueFrom(
      from([snapshot(YES, 1, [lv(410_000, 1)], []), delta(YES, 2, [ch('bid', 420_000, 1)])]).pipe(op, map((c) => c.status), toArray()),
    );
    expect(first).toEqual(['ok', 'ok']);
    const second = await firstValueFrom(of(delta(YES, 3, [ch('bid', 430_000, 1)])).pipe(op, map((c) => c.status)));
    expect(second).toBe('awaiting_snapshot');
  });

  it('rejects a maxAssets below 1', () => {
    expect(() => orderBook({ maxAssets: 0 })).toThrow(RangeError);
  });
});

describe('applyBookUpdate', () => {
  it('emits the update, the book of its asset and the status', () => {
    const books = new Map<AssetId, L2Book>();
    const u = snapshot(YES, 1, [lv(410_000, 5_000_000)], []);
    const c = applyBookUpdate(books, u);
    expect(c.update).toBe(u);
    expect(c.status).toBe('ok');
    expect(c.book).toBe(books.get(YES));
    expect(c.book.sizeAt('bid', px(410_000))).toBe(5_000_000);
  });

  it('evicts the least recently updated book past maxAssets', () => {
    const books = new Map<AssetId, L2Book>();
    const C = assetId('9999');
    applyBookUpdate(books, snapshot(YES, 1, [lv(410_000, 1)], []), 2);
    applyBookUpdate(books, snapshot(NO, 2, [lv(560_000, 1)], []), 2);
    // YES is touched again, so NO becomes the least recent; an ignored update still counts as a touch.
    applyBookUpdate(books, delta(YES, 3, [ch('bid', 0, 1)]), 2);
    applyBookUpdate(books, snapshot(C, 4, [lv(300_000, 1)], []), 2);
    expect([...books.keys()].sort()).toEqual([YES, C].sort());
    expect(applyBookUpdate(books, delta(YES, 5, [ch('bid', 420_000, 1)]), 2).status).toBe('ok');
    // NO starts over: its deltas wait for a snapshot, and the map stays at 2 books.
    expect(applyBookUpdate(books, delta(NO, 6, [ch('bid', 570_000, 1)]), 2).status).toBe('awaiting_snapshot');
    expect(books.size).toBe(2);
    expect(books.has(C)).toBe(false);
  });
});
