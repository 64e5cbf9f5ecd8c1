import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BookSide, BookUpdate, Level, LevelChange } from '../schemas/book-update.js';
import { assetId, marketId } from '../schemas/ids.js';
import type { PriceMicros, SizeMicros } from '../schemas/units.js';
import type { BookStatus } from './book-view.js';
import { L2Book, POLYMARKET_TICKS } from './l2-book.js';

const A = assetId('48331043336612883890');
const M = marketId('0x5a1c');
const px = (p: number): PriceMicros => p as PriceMicros;
const sz = (s: number): SizeMicros => s as SizeMicros;
/** Whole shares to micro-shares. */
const sh = (shares: number): number => shares * 1_000_000;
const lv = (price: number, size: number): Level => ({ price: px(price), size: sz(size) });
const ch = (side: BookSide, price: number, size: number): LevelChange => ({ side, price: px(price), size: sz(size) });

let clock = 0;
function snapshot(bids: Level[], asks: Level[], tickSize = 0, hash = 'h'): BookUpdate {
  clock++;
  return { kind: 'snapshot', assetId: A, market: M, ts: clock, recvTs: clock, hash, bids, asks, tickSize: px(tickSize) };
}
function delta(changes: LevelChange[], feed: { bid?: number; ask?: number } = {}, hash = 'd'): BookUpdate {
  clock++;
  return {
    kind: 'delta', assetId: A, market: M, ts: clock, recvTs: clock, hash, changes,
    bestBid: px(feed.bid ?? -1), bestAsk: px(feed.ask ?? -1),
  };
}
function tickChange(oldTick: number, newTick: number): BookUpdate {
  clock++;
  return { kind: 'tick_size', assetId: A, market: M, ts: clock, recvTs: clock, hash: '', oldTickSize: px(oldTick), newTickSize: px(newTick) };
}

function levels(book: L2Book, side: BookSide): [number, number][] {
  const out: [number, number][] = [];
  book.forEachLevel(side, (p, s) => {
    out.push([p, s]);
    return true;
  });
  return out;
}

/** The documented example book (POLYMARKET.md B.1): bids .41x1250 .42x300.5, asks .44x90 .45x2000. */
function exampleBook(): L2Book {
  const b = new L2Book(A, M);
  b.apply(snapshot([lv(410_000, 1_250_000_000), lv(420_000, 300_500_000)], [lv(440_000, 90_000_000), lv(450_000, 2_000_000_000)], 10_000, '0x7c1e'));
  return b;
}

describe('L2Book snapshot', () => {
  it('replaces both sides and keeps hash and timestamp', () => {
    const b = exampleBook();
    expect(b.ready).toBe(true);
    expect(b.bestBid()).toBe(420_000);
    expect(b.bestAsk()).toBe(440_000);
    expect(b.sizeAt('bid', px(410_000))).toBe(1_250_000_000);
    expect(b.sizeAt('ask', px(450_000))).toBe(2_000_000_000);
    expect(b.sizeAt('ask', px(410_000))).toBe(0);
    expect(b.hash).toBe('0x7c1e');
    const s2 = snapshot([lv(300_000, sh(1))], [], 10_000, 'h2');
    expect(b.apply(s2)).toBe('ok');
    expect(levels(b, 'bid')).toEqual([[300_000, sh(1)]]);
    expect(levels(b, 'ask')).toEqual([]);
    expect(b.bestAsk()).toBe(-1);
    expect(b.hash).toBe('h2');
    expect(b.lastUpdateTs).toBe(s2.ts);
  });

  it('does not rely on the order levels arrive in', () => {
    const b = new L2Book(A, M);
    const status = b.apply(snapshot([lv(400_000, sh(1)), lv(420_000, sh(2)), lv(410_000, sh(3))], [lv(470_000, sh(4)), lv(440_000, sh(5)), lv(450_000, sh(6))]));
    expect(status).toBe('ok');
    expect(b.bestBid()).toBe(420_000);
    expect(b.bestAsk()).toBe(440_000);
    expect(levels(b, 'bid')).toEqual([[420_000, sh(2)], [410_000, sh(3)], [400_000, sh(1)]]);
    expect(levels(b, 'ask')).toEqual([[440_000, sh(5)], [450_000, sh(6)], [470_000, sh(4)]]);
  });

  it.each([
    // Unstated, the grid starts at 0.01: levels on tenths are far likelier a 0.01 book than a 0.1 one.
    { prices: [400_000, 500_000], stated: 0, tick: 10_000 },
    { prices: [400_000, 500_000], stated: 100_000, tick: 100_000 },
    { prices: [420_000], stated: 0, tick: 10_000 },
    { prices: [425_000, 430_000], stated: 0, tick: 5_000 },
    { prices: [422_500], stated: 0, tick: 2_500 },
    { prices: [421_000, 400_000], stated: 0, tick: 1_000 },
    { prices: [420_100], stated: 0, tick: 100 },
    // 0.0025 and 0.001: no tick coarser than 0.0001 divides both.
    { prices: [2_500, 1_000], stated: 0, tick: 100 },
    { prices: [], stated: 0, tick: 10_000 },
    { prices: [400_000], stated: 1_000, tick: 1_000 },
    // A stated tick the prices contradict is refined rather than trusted.
    { prices: [425_000], stated: 10_000, tick: 5_000 },
  ])('tick $tick from prices $prices (stated $stated)', ({ prices, stated, tick }) => {
    const b = new L2Book(A, M);
    expect(b.apply(snapshot(prices.map((p) => lv(p, sh(1))), [], stated))).toBe('ok');
    expect(b.tickSize).toBe(tick);
    for (const p of prices) expect(b.sizeAt('bid', px(p))).toBe(sh(1));
  });

  it('ignores an invalid snapshot whole', () => {
    const b = exampleBook();
    expect(b.apply(snapshot([lv(300_000, sh(1))], [lv(1_000_000, sh(1))], 10_000, 'bad'))).toBe('invalid');
    expect(b.bestBid()).toBe(420_000);
    expect(b.hash).toBe('0x7c1e');
  });
});

describe('L2Book delta', () => {
  it('adds, replaces and removes levels, moving the cached best', () => {
    const b = exampleBook();
    expect(b.apply(delta([ch('bid', 430_000, sh(10))]))).toBe('ok');
    expect(b.bestBid()).toBe(430_000);
    expect(b.apply(delta([ch('bid', 430_000, sh(7))]))).toBe('ok');
    expect(b.sizeAt('bid', px(430_000))).toBe(sh(7));
    expect(b.apply(delta([ch('ask', 440_000, 0)]))).toBe('ok');
    expect(b.bestAsk()).toBe(450_000);
    expect(b.apply(delta([ch('bid', 430_000, 0), ch('bid', 420_000, 0)]))).toBe('ok');
    expect(b.bestBid()).toBe(410_000);
    // Removing a level that is not there changes nothing.
    expect(b.apply(delta([ch('bid', 100_000, 0)]))).toBe('ok');
    expect(levels(b, 'bid')).toEqual([[410_000, 1_250_000_000]]);
    expect(b.apply(delta([ch('bid', 410_000, 0), ch('ask', 450_000, 0)]))).toBe('ok');
    expect(b.bestBid()).toBe(-1);
    expect(b.bestAsk()).toBe(-1);
    expect(b.hash).toBe('d');
  });

  it('is awaiting_snapshot before any snapshot', () => {
    const b = new L2Book(A, M);
    expect(b.apply(delta([ch('bid', 400_000, sh(1))]))).toBe('awaiting_snapshot');
    expect(b.ready).toBe(false);
    expect(b.bestBid()).toBe(-1);
    expect(b.hash).toBe('');
    expect(b.lastUpdateTs).toBe(0);
  });

  it('regrids to the finer tick an off-grid price needs, keeping the levels', () => {
    const b = exampleBook();
    expect(b.apply(delta([ch('bid', 425_000, sh(3))]))).toBe('ok');
    expect(b.tickSize).toBe(5_000);
    expect(levels(b, 'bid')).toEqual([[425_000, sh(3)], [420_000, 300_500_000], [410_000, 1_250_000_000]]);
    expect(levels(b, 'ask')).toEqual([[440_000, 90_000_000], [450_000, 2_000_000_000]]);
    // 0.4325 needs 0.0025 (which divides 0.005); 0.431 then needs 0.001, which does not divide
    // 0.0025, so the grid becomes 0.0001.
    expect(b.apply(delta([ch('ask', 432_500, sh(1))]))).toBe('ok');
    expect(b.tickSize).toBe(2_500);
    expect(b.apply(delta([ch('ask', 431_000, sh(2))]))).toBe('ok');
    expect(b.tickSize).toBe(100);
    expect(b.bestAsk()).toBe(431_000);
    expect(levels(b, 'ask')).toEqual([[431_000, sh(2)], [432_500, sh(1)], [440_000, 90_000_000], [450_000, 2_000_000_000]]);
    // Depth is counted in the new, finer ticks: 0.431 .. 0.4325 is 15 ticks of 0.0001.
    expect(b.depthWithin('ask', 14)).toBe(sh(2));
    expect(b.depthWithin('ask', 15)).toBe(sh(3));
  });

  it.each([
    { name: 'price 0', c: ch('bid', 0, sh(1)) },
    { name: 'price 1', c: ch('ask', 1_000_000, sh(1)) },
    { name: 'negative price', c: ch('bid', -10_000, sh(1)) },
    { name: 'price above 1', c: ch('ask', 1_010_000, sh(1)) },
    { name: 'price finer than 0.0001', c: ch('bid', 420_001, sh(1)) },
    { name: 'fractional micro price', c: ch('bid', 420_000.5, sh(1)) },
    { name: 'NaN price', c: ch('bid', Number.NaN, sh(1)) },
    { name: 'negative size', c: ch('bid', 420_000, -1) },
    { name: 'NaN size', c: ch('bid', 420_000, Number.NaN) },
  ])('ignores a delta with $name, valid changes beside it included', ({ c }) => {
    const b = exampleBook();
    expect(b.apply(delta([ch('bid', 430_000, sh(1)), c], {}, 'bad'))).toBe('invalid');
    expect(levels(b, 'bid')).toEqual([[420_000, 300_500_000], [410_000, 1_250_000_000]]);
    expect(b.tickSize).toBe(10_000);
    expect(b.hash).toBe('0x7c1e');
  });

  it.each<{ feed: { bid?: number; ask?: number }; status: BookStatus }>([
    { feed: {}, status: 'ok' },
    { feed: { bid: 430_000, ask: 440_000 }, status: 'ok' },
    { feed: { bid: 420_000 }, status: 'top_mismatch' },
    { feed: { ask: 450_000 }, status: 'top_mismatch' },
    { feed: { bid: 430_000, ask: 430_000 }, status: 'top_mismatch' },
  ])('feed top $feed after adding a 0.43 bid: $status', ({ feed, status }) => {
    const b = exampleBook();
    expect(b.apply(delta([ch('bid', 430_000, sh(1))], feed))).toBe(status);
    // Applied whatever the status.
    expect(b.bestBid()).toBe(430_000);
  });

  it('reads the feed top of an empty side as 0 (bid) or 0 / 1 (ask)', () => {
    const b = exampleBook();
    const clearAll = [ch('bid', 410_000, 0), ch('bid', 420_000, 0), ch('ask', 440_000, 0), ch('ask', 450_000, 0)];
    expect(b.apply(delta(clearAll, { bid: 0, ask: 1_000_000 }))).toBe('ok');
    expect(b.apply(delta([], { bid: 0, ask: 0 }))).toBe('ok');
    expect(b.apply(delta([], { bid: 10_000 }))).toBe('top_mismatch');
  });

  it('reports crossed, from a snapshot or a delta, over a top mismatch', () => {
    const b = new L2Book(A, M);
    expect(b.apply(snapshot([lv(450_000, sh(1))], [lv(440_000, sh(1))]))).toBe('crossed');
    const c = exampleBook();
    // Bid equal to the best ask counts as crossed.
    expect(c.apply(delta([ch('bid', 440_000, sh(1))], { bid: 100_000 }))).toBe('crossed');
    expect(c.apply(delta([ch('bid', 440_000, 0)]))).toBe('ok');
  });
});

describe('L2Book tick-size change', () => {
  it('drops the book and ignores deltas until the next snapshot', () => {
    const b = exampleBook();
    const t = tickChange(10_000, 1_000);
    expect(b.apply(t)).toBe('ok');
    expect(b.ready).toBe(false);
    expect(b.tickSize).toBe(1_000);
    expect(b.bestBid()).toBe(-1);
    expect(b.bestAsk()).toBe(-1);
    expect(b.lastUpdateTs).toBe(t.ts);
    expect(b.apply(delta([ch('bid', 421_000, sh(1))]))).toBe('awaiting_snapshot');
    expect(b.bestBid()).toBe(-1);
    expect(b.lastUpdateTs).toBe(t.ts);
    expect(b.apply(snapshot([lv(421_000, sh(2))], [lv(423_000, sh(3))], 1_000))).toBe('ok');
    expect(b.ready).toBe(true);
    expect(b.bestBid()).toBe(421_000);
    expect(b.bestAsk()).toBe(423_000);
    expect(b.apply(delta([ch('bid', 422_000, sh(1))]))).toBe('ok');
    expect(b.bestBid()).toBe(422_000);
  });

  it('drops the book but reports an unusable new tick', () => {
    const b = exampleBook();
    expect(b.apply(tickChange(10_000, 3))).toBe('invalid');
    expect(b.ready).toBe(false);
    expect(b.tickSize).toBe(10_000);
    expect(b.bestBid()).toBe(-1);
  });
});

describe('L2Book depth', () => {
  // bids .42x100 .40x50 .39x25 (nothing at .41), asks .44x10 .45x20 .47x40, tick 0.01.
  const book = (): L2Book => {
    const b = new L2Book(A, M);
    b.apply(snapshot([lv(390_000, sh(25)), lv(420_000, sh(100)), lv(400_000, sh(50))], [lv(470_000, sh(40)), lv(440_000, sh(10)), lv(450_000, sh(20))], 10_000));
    return b;
  };

  it.each([
    { side: 'bid' as const, ticks: 0, want: 100 },
    { side: 'bid' as const, ticks: 1, want: 100 }, // .42 .41
    { side: 'bid' as const, ticks: 2, want: 150 }, // .42 .41 .40
    { side: 'bid' as const, ticks: 3, want: 175 },
    { side: 'bid' as const, ticks: 1000, want: 175 },
    { side: 'bid' as const, ticks: -1, want: 0 },
    { side: 'ask' as const, ticks: 0, want: 10 },
    { side: 'ask' as const, ticks: 1, want: 30 }, // .44 .45
    { side: 'ask' as const, ticks: 2, want: 30 }, // .46 empty
    { side: 'ask' as const, ticks: 3, want: 70 },
    { side: 'ask' as const, ticks: 1000, want: 70 },
  ])('depthWithin($side, $ticks) = $want shares', ({ side, ticks, want }) => {
    expect(book().depthWithin(side, ticks)).toBe(sh(want));
  });

  it.each([
    { side: 'bid' as const, n: 0, want: 0 },
    { side: 'bid' as const, n: 1, want: 100 },
    { side: 'bid' as const, n: 2, want: 150 }, // skips the empty .41
    { side: 'bid' as const, n: 3, want: 175 },
    { side: 'bid' as const, n: 10, want: 175 },
    { side: 'ask' as const, n: 2, want: 30 },
    { side: 'ask' as const, n: 3, want: 70 },
  ])('depthTopLevels($side, $n) = $want shares', ({ side, n, want }) => {
    expect(book().depthTopLevels(side, n)).toBe(sh(want));
  });

  it('forEachLevel walks from the best outward and stops on false', () => {
    const b = book();
    expect(levels(b, 'bid')).toEqual([[420_000, sh(100)], [400_000, sh(50)], [390_000, sh(25)]]);
    expect(levels(b, 'ask')).toEqual([[440_000, sh(10)], [450_000, sh(20)], [470_000, sh(40)]]);
    const seen: number[] = [];
    b.forEachLevel('ask', (p) => {
      seen.push(p);
      return seen.length < 2;
    });
    expect(seen).toEqual([440_000, 450_000]);
  });

  it('is zero on an empty side', () => {
    const b = new L2Book(A, M);
    expect(b.depthWithin('bid', 5)).toBe(0);
    expect(b.depthTopLevels('ask', 5)).toBe(0);
    expect(levels(b, 'bid')).toEqual([]);
  });
});

// ---- properties -------------------------------------------------------------------------------

/** Prices on every Polymarket grid, with a handful repeated so deltas hit existing levels. */
const anyPrice = fc.oneof(
  fc.constantFrom(400_000, 410_000, 420_000, 425_000, 430_000, 440_000, 450_000, 500_000, 100_000, 900_000),
  fc.constantFrom(...POLYMARKET_TICKS).chain((t) => fc.integer({ min: 1, max: 1_000_000 / t - 1 }).map((k) => k * t)),
);
const anySize = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }).map(sh), fc.integer({ min: 1, max: 2 ** 40 }));
const anyLevel = fc.record({ price: anyPrice, size: fc.integer({ min: 1, max: 2 ** 40 }) });
/** A snapshot side: at most one level per price, in no particular order. */
const anySide = fc.uniqueArray(anyLevel, { selector: (l) => l.price, maxLength: 12 });

const badPrice = fc.constantFrom(0, 1_000_000, -100, 1_000_100, 420_001, 420_000.5);
const anyUpdate: fc.Arbitrary<BookUpdate> = fc.oneof(
  { weight: 2, arbitrary: fc.tuple(anySide, anySide, fc.constantFrom(0, 0, 10_000, 1_000)).map(([b, a, t]) => snapshot(b.map((l) => lv(l.price, l.size)), a.map((l) => lv(l.price, l.size)), t)) },
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.array(fc.record({ side: fc.constantFrom<BookSide>('bid', 'ask'), price: anyPrice, size: anySize }), { minLength: 1, maxLength: 4 }),
        fc.option(fc.record({ side: fc.constantFrom<BookSide>('bid', 'ask'), price: badPrice }), { freq: 10 }),
        fc.option(anyPrice, { freq: 3 }),
      )
      .map(([cs, bad, feed]) => delta([...cs.map((c) => ch(c.side, c.price, c.size)), ...(bad ? [ch(bad.side, bad.price, sh(1))] : [])], feed === null ? {} : { bid: feed })),
  },
  { weight: 1, arbitrary: fc.constantFrom(...POLYMARKET_TICKS).map((t) => tickChange(10_000, t)) },
);

/**
 * Every level of a side, found by probing each price of the book's grid through `sizeAt`: a full
 * scan of the side's array, blind to the cached best and counts. (`sizeAt` is 0 off the grid.)
 */
function scan(b: L2Book, side: BookSide): [number, number][] {
  const out: [number, number][] = [];
  for (let p: number = b.tickSize; p < 1_000_000; p += b.tickSize) {
    const s = b.sizeAt(side, px(p));
    if (s !== 0) out.push([p, s]);
  }
  return out;
}

/** A Map-per-side reference book with the same rules, written without any of the kernel's caches. */
class ModelBook {
  bids = new Map<number, number>();
  asks = new Map<number, number>();
  ready = false;
  apply(u: BookUpdate): void {
    const ok = (l: Level): boolean => Number.isInteger(l.price) && l.price > 0 && l.price < 1_000_000 && l.price % 100 === 0 && Number.isInteger(l.size) && l.size >= 0;
    if (u.kind === 'tick_size') {
      this.bids.clear();
      this.asks.clear();
      this.ready = false;
    } else if (u.kind === 'snapshot') {
      if (![...u.bids, ...u.asks].every(ok)) return;
      this.bids = new Map(u.bids.filter((l) => l.size > 0).map((l) => [l.price, l.size]));
      this.asks = new Map(u.asks.filter((l) => l.size > 0).map((l) => [l.price, l.size]));
      this.ready = true;
    } else if (this.ready && u.changes.every(ok)) {
      for (const c of u.changes) {
        const m = c.side === 'bid' ? this.bids : this.asks;
        if (c.size === 0) m.delete(c.price);
        else m.set(c.price, c.size);
      }
    }
  }
  sorted(side: BookSide): [number, number][] {
    return [...(side === 'bid' ? this.bids : this.asks)].sort((x, y) => x[0] - y[0]);
  }
}

describe('L2Book properties', () => {
  it('(a) snapshot A + the deltas from A to B has the same levels as snapshot B', () => {
    fc.assert(
      fc.property(anySide, anySide, anySide, anySide, fc.integer({ min: 1, max: 5 }), (bidsA, asksA, bidsB, asksB, chunks) => {
        const toLevels = (ls: { price: number; size: number }[]): Level[] => ls.map((l) => lv(l.price, l.size));
        const viaDeltas = new L2Book(A, M);
        viaDeltas.apply(snapshot(toLevels(bidsA), toLevels(asksA)));
        const changes: LevelChange[] = [];
        for (const [side, from, to] of [['bid', bidsA, bidsB], ['ask', asksA, asksB]] as const) {
          const target = new Set(to.map((l) => l.price));
          for (const l of from) if (!target.has(l.price)) changes.push(ch(side, l.price, 0));
          for (const l of to) changes.push(ch(side, l.price, l.size));
        }
        const per = Math.ceil(changes.length / chunks) || 1;
        for (let i = 0; i < changes.length; i += per) {
          expect(viaDeltas.apply(delta(changes.slice(i, i + per)))).not.toBe('invalid');
        }
        const direct = new L2Book(A, M);
        direct.apply(snapshot(toLevels(bidsB), toLevels(asksB)));
        expect(scan(viaDeltas, 'bid')).toEqual(scan(direct, 'bid'));
        expect(scan(viaDeltas, 'ask')).toEqual(scan(direct, 'ask'));
        expect(viaDeltas.bestBid()).toBe(direct.bestBid());
        expect(viaDeltas.bestAsk()).toBe(direct.bestAsk());
      }),
      { numRuns: 200 },
    );
  });

  it('(b, c, d) sizes never negative, uncrossed unless crossed, best = brute-force scan, levels = a Map model', () => {
    fc.assert(
      fc.property(fc.array(anyUpdate, { maxLength: 30 }), (updates) => {
        const b = new L2Book(A, M);
        const model = new ModelBook();
        for (const u of updates) {
          const status = b.apply(u);
          model.apply(u);
          const bids = scan(b, 'bid');
          const asks = scan(b, 'ask');
          // (b): the scans keep every non-zero entry, so a negative one would show here.
          expect([...bids, ...asks].filter(([, sz]) => sz < 0)).toEqual([]);
          // (d)
          const bruteBid = bids.length > 0 ? bids[bids.length - 1]![0] : -1;
          const bruteAsk = asks.length > 0 ? asks[0]![0] : -1;
          expect(b.bestBid()).toBe(bruteBid);
          expect(b.bestAsk()).toBe(bruteAsk);
          // (c): updates that were applied say `crossed` exactly when the book is crossed; ignored
          // ones (`invalid`, `awaiting_snapshot`) leave the previous state, already checked.
          const isCrossed = bruteBid >= 0 && bruteAsk >= 0 && bruteBid >= bruteAsk;
          if (status === 'ok' || status === 'top_mismatch') expect(isCrossed).toBe(false);
          if (status === 'crossed') expect(isCrossed).toBe(true);
          expect(bids).toEqual(model.sorted('bid'));
          expect(asks).toEqual(model.sorted('ask'));
          expect(b.ready).toBe(model.ready);
          expect(b.depthTopLevels('bid', 1_000)).toBe(bids.reduce((acc, [, s]) => acc + s, 0));
          expect(b.depthTopLevels('ask', 1_000)).toBe(asks.reduce((acc, [, s]) => acc + s, 0));
        }
      }),
      { numRuns: 100 },
    );
  });
});
