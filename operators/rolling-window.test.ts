import fc from 'fast-check';
import { from, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { assetId, marketId } from '../schemas/ids.js';
import type { Trade, TradeSide } from '../schemas/trade.js';
import type { PriceMicros, SizeMicros } from '../schemas/units.js';
import {
  advanceTradeWindows,
  createTradeWindows,
  initialRollingWindowsState,
  pushTrade,
  rollingWindows,
  rollingWindowsStep,
  windowCount,
  windowNotional,
  windowNotionalParts,
  windowSignedVolume,
  windowVolume,
  windowVwap,
  type TradeWindows,
} from './rolling-window.js';

const SHARE = 1_000_000;
const A = assetId('asset-a');
const B = assetId('asset-b');
const MKT = marketId('0xmarket');

function trade(ts: number, price: number, shares: number, side: TradeSide, asset = A): Trade {
  return {
    id: `${asset}-${ts}-${price}-${shares}-${side}`,
    assetId: asset,
    market: MKT,
    ts,
    recvTs: ts,
    price: Math.round(price * SHARE) as PriceMicros,
    size: Math.round(shares * SHARE) as SizeMicros,
    side,
  feeRateBps: 0,
  };
}

function push(w: TradeWindows, t: Trade): boolean {
  return pushTrade(w, t.ts, t.price, t.size, t.side === 'BUY' ? t.size : -t.size);
}

describe('trade windows kernel', () => {
  it('computes vwap, volume, count and signed volume per window, evicting exactly at ts - window', () => {
    const w = createTradeWindows({ windowsMs: [60_000, 300_000], graceMs: 0 });
    push(w, trade(0, 0.4, 10, 'BUY'));
    push(w, trade(30_000, 0.5, 20, 'SELL'));
    push(w, trade(59_999, 0.7, 0, 'BUY')); // a zero-size print still counts as a trade
    // At 59 999 the 1m window is (-1, 59 999]: all three trades are in it.
    expect(windowCount(w, 0)).toBe(3);
    expect(windowVolume(w, 0)).toBe(30 * SHARE);
    push(w, trade(60_000, 0.6, 10, 'BUY'));
    // 1m window is (0, 60 000]: the trade at exactly 0 has left. Notional 0.5*20 + 0.7*0 + 0.6*10 = 16.
    expect(windowCount(w, 0)).toBe(3);
    expect(windowVolume(w, 0)).toBe(30 * SHARE);
    expect(windowNotional(w, 0)).toBe(16 * SHARE);
    expect(windowVwap(w, 0)).toBeCloseTo(16 / 30, 15);
    expect(windowSignedVolume(w, 0)).toBe(-10 * SHARE);
    // 5m holds all four: notional 4 + 10 + 0 + 6 = 20 over 40 shares.
    expect(windowCount(w, 1)).toBe(4);
    expect(windowVwap(w, 1)).toBe(0.5);
    expect(windowSignedVolume(w, 1)).toBe(0);

    advanceTradeWindows(w, 90_000); // (30 000, 90 000]: the 30 000 trade leaves exactly now
    expect(windowCount(w, 0)).toBe(2);
    expect(windowVolume(w, 0)).toBe(10 * SHARE);
    expect(windowVwap(w, 0)).toBeCloseTo(0.6, 15);

    advanceTradeWindows(w, 120_000);
    expect(windowCount(w, 0)).toBe(0);
    expect(windowVolume(w, 0)).toBe(0);
    expect(windowVwap(w, 0)).toBeNaN();
    expect(windowCount(w, 1)).toBe(4);

    advanceTradeWindows(w, 299_999);
    expect(windowCount(w, 1)).toBe(4);
    advanceTradeWindows(w, 300_000);
    expect(windowCount(w, 1)).toBe(3);
    expect(windowNotional(w, 1)).toBe(16 * SHARE);
  });

  it('keeps notional exact for fractional sizes and products past 2^53', () => {
    const w = createTradeWindows({ windowsMs: [1_000], graceMs: 0 });
    // 123 456 789.123457 shares at 0.999999: price x size in micro units is ~1.2e20, far past 2^53.
    pushTrade(w, 0, 999_999, 123_456_789_123_457, 0);
    pushTrade(w, 1, 1, 1, 0);
    const exact = 999_999n * 123_456_789_123_457n + 1n; // micro-dollars x 1e6
    expect(notionalE6(w, 0)).toBe(exact);
    advanceTradeWindows(w, 1_000);
    expect(windowNotionalParts(w, 0)).toEqual({ hi: 0, lo: 1 });
  });

  it('counts trades older than the newest ts by more than the grace as late and leaves the windows alone', () => {
    const w = createTradeWindows({ windowsMs: [60_000], graceMs: 1_000 });
    expect(push(w, trade(10_000, 0.5, 1, 'BUY'))).toBe(true);
    expect(push(w, trade(9_000, 0.4, 1, 'BUY'))).toBe(true); // exactly at the grace limit
    expect(push(w, trade(8_999, 0.3, 1, 'SELL'))).toBe(false);
    expect(w.late).toBe(1);
    expect(windowCount(w, 0)).toBe(2);
    expect(windowVwap(w, 0)).toBeCloseTo(0.45, 15);
    advanceTradeWindows(w, 20_000); // book time moves the asset's clock too
    expect(push(w, trade(18_999, 0.5, 1, 'BUY'))).toBe(false);
    expect(w.late).toBe(2);
  });

  it('inserts a trade within grace into only the windows whose range holds it', () => {
    const w = createTradeWindows({ windowsMs: [1_000, 10_000], graceMs: 5_000 });
    push(w, trade(10_000, 0.5, 1, 'BUY'));
    push(w, trade(9_500, 0.6, 2, 'BUY')); // in (9 000, 10 000]
    push(w, trade(8_000, 0.2, 4, 'SELL')); // outside 1s, inside 10s
    expect(windowCount(w, 0)).toBe(2);
    expect(windowCount(w, 1)).toBe(3);
    advanceTradeWindows(w, 10_600); // 1s window (9 600, 10 600]: 9 500 leaves, 10 000 stays
    expect(windowCount(w, 0)).toBe(1);
    expect(windowVwap(w, 0)).toBe(0.5);
    advanceTradeWindows(w, 18_000); // 10s window (8 000, 18 000]: the 8 000 trade leaves
    expect(windowCount(w, 1)).toBe(2);
    expect(windowSignedVolume(w, 1)).toBe(3 * SHARE);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties against a brute-force recomputation.

interface Rec {
  readonly ts: number;
  readonly price: number;
  readonly size: number;
  readonly signed: number;
}

const recArb = (base: fc.Arbitrary<number>): fc.Arbitrary<Rec> =>
  fc
    .record({
      dt: base,
      price: fc.integer({ min: 1, max: 999_999 }),
      size: fc.oneof(fc.integer({ min: 0, max: 5_000_000 }), fc.integer({ min: 0, max: 2 ** 44 })),
      buy: fc.boolean(),
    })
    .map(({ dt, price, size, buy }) => ({ ts: dt, price, size, signed: buy ? size : -size }));

/** Turns offsets into timestamps relative to the running maximum, so some land behind it. */
function toStream(recs: readonly Rec[]): Rec[] {
  let max = 0;
  return recs.map((r) => {
    const ts = Math.max(0, max + r.ts);
    max = Math.max(max, ts);
    return { ...r, ts };
  });
}

// Coarse grids as well as fine ones, so trades often sit exactly on a window's edge.
const windowsArb = fc.uniqueArray(
  fc.oneof(fc.integer({ min: 1, max: 30_000 }), fc.integer({ min: 1, max: 30 }).map((k) => k * 1_000)),
  { minLength: 1, maxLength: 4 },
);
const streamArb = fc
  .array(recArb(fc.oneof(fc.integer({ min: -8_000, max: 6_000 }), fc.integer({ min: -8, max: 6 }).map((k) => k * 1_000))), { maxLength: 150 })
  .map(toStream);

function bruteForce(windows: readonly number[], graceMs: number, stream: readonly Rec[]) {
  const accepted: Rec[] = [];
  let maxTs = -Infinity;
  return stream.map((r) => {
    if (r.ts < maxTs - graceMs) return { late: true as const };
    accepted.push(r);
    maxTs = Math.max(maxTs, r.ts);
    return {
      late: false as const,
      windows: windows.map((w) => {
        const inside = accepted.filter((a) => a.ts > maxTs - w);
        return {
          count: inside.length,
          volume: inside.reduce((s, a) => s + a.size, 0),
          signed: inside.reduce((s, a) => s + a.signed, 0),
          notionalE6: inside.reduce((s, a) => s + BigInt(a.price) * BigInt(a.size), 0n),
        };
      }),
    };
  });
}

function notionalE6(w: TradeWindows, i: number): bigint {
  const { hi, lo } = windowNotionalParts(w, i);
  return BigInt(hi) * 1_000_000n + BigInt(lo);
}

function snapshot(w: TradeWindows) {
  return Array.from({ length: w.size }, (_, i) => ({
    count: windowCount(w, i),
    volume: windowVolume(w, i),
    signed: windowSignedVolume(w, i),
    notionalE6: notionalE6(w, i),
    vwap: windowVwap(w, i),
  }));
}

describe('trade windows properties', () => {
  it('equal a brute-force recomputation over the retained trades after every trade', () => {
    fc.assert(
      fc.property(windowsArb, fc.integer({ min: 0, max: 5_000 }), streamArb, (windows, graceMs, stream) => {
        const w = createTradeWindows({ windowsMs: windows, graceMs, initialCapacity: 1 });
        const expected = bruteForce(windows, graceMs, stream);
        let late = 0;
        stream.forEach((r, k) => {
          const exp = expected[k]!;
          const ok = pushTrade(w, r.ts, r.price, r.size, r.signed);
          expect(ok).toBe(!exp.late);
          if (exp.late) {
            late++;
            return;
          }
          const got = snapshot(w);
          exp.windows.forEach((e, i) => {
            const g = got[i]!;
            expect(g.count).toBe(e.count);
            expect(g.volume).toBe(e.volume);
            expect(g.signed).toBe(e.signed);
            expect(g.notionalE6).toBe(e.notionalE6);
            if (e.volume === 0) expect(g.vwap).toBeNaN();
            else expect(g.vwap).toBeCloseTo(Number(e.notionalE6) / 1e6 / e.volume, 9);
          });
        });
        expect(w.late).toBe(late);
      }),
      { numRuns: 200 },
    );
  });

  it('do not depend on chunking, checkpoint/restore, or when eviction runs', () => {
    const cutsArb = fc.array(fc.nat(), { maxLength: 6 });
    fc.assert(
      fc.property(windowsArb, fc.integer({ min: 0, max: 5_000 }), streamArb, cutsArb, fc.array(fc.boolean(), { maxLength: 150 }),
        (windows, graceMs, stream, cuts, eager) => {
          const whole = createTradeWindows({ windowsMs: windows, graceMs });
          const wholeOut = stream.map((r) => [pushTrade(whole, r.ts, r.price, r.size, r.signed), snapshot(whole)]);

          const cutSet = new Set(cuts.map((c) => (stream.length === 0 ? 0 : c % stream.length)));
          let w = createTradeWindows({ windowsMs: windows, graceMs, initialCapacity: 1 });
          const out = stream.map((r, k) => {
            if (cutSet.has(k)) w = structuredClone(w); // a chunk boundary: state restored from a copy
            // Eviction run early, at the next trade's own ts, must change nothing.
            if (eager[k] === true && r.ts >= w.maxTs) advanceTradeWindows(w, r.ts);
            return [pushTrade(w, r.ts, r.price, r.size, r.signed), snapshot(w)];
          });
          expect(out).toEqual(wholeOut);
          expect(w.late).toBe(whole.late);
        }),
      { numRuns: 200 },
    );
  });
});

describe('rollingWindows operator', () => {
  it('emits stats per accepted trade per asset and routes late trades to the side output', () => {
    const late: Trade[] = [];
    const lateTrade = trade(1_000, 0.9, 1, 'BUY');
    const inputs = [
      trade(10_000, 0.5, 2, 'BUY'),
      trade(11_000, 0.3, 1, 'SELL', B),
      lateTrade,
      trade(70_000, 0.7, 2, 'SELL'),
    ];
    let result: unknown[] = [];
    from(inputs)
      .pipe(rollingWindows({ windowsMs: [60_000, 300_000], graceMs: 0, late: (t) => late.push(t) }), toArray())
      .subscribe((r) => (result = r));
    expect(late).toEqual([lateTrade]);
    expect(result).toEqual([
      {
        assetId: A, market: MKT, ts: 10_000, tradeId: inputs[0]!.id,
        windows: [
          { windowMs: 60_000, count: 1, volume: 2 * SHARE, signedVolume: 2 * SHARE, notional: 1 * SHARE, vwap: 0.5 },
          { windowMs: 300_000, count: 1, volume: 2 * SHARE, signedVolume: 2 * SHARE, notional: 1 * SHARE, vwap: 0.5 },
        ],
      },
      {
        assetId: B, market: MKT, ts: 11_000, tradeId: inputs[1]!.id,
        windows: [
          { windowMs: 60_000, count: 1, volume: 1 * SHARE, signedVolume: -1 * SHARE, notional: 0.3 * SHARE, vwap: 0.3 },
          { windowMs: 300_000, count: 1, volume: 1 * SHARE, signedVolume: -1 * SHARE, notional: 0.3 * SHARE, vwap: 0.3 },
        ],
      },
      {
        // (10 000, 70 000]: the first trade left the 1m window exactly at 70 000 - 60 000.
        assetId: A, market: MKT, ts: 70_000, tradeId: inputs[3]!.id,
        windows: [
          { windowMs: 60_000, count: 1, volume: 2 * SHARE, signedVolume: -2 * SHARE, notional: 1.4 * SHARE, vwap: 0.7 },
          { windowMs: 300_000, count: 2, volume: 4 * SHARE, signedVolume: 0, notional: 2.4 * SHARE, vwap: 0.6 },
        ],
      },
    ]);
  });

  it('counts late trades on the step state', () => {
    const s = initialRollingWindowsState({ graceMs: 0 });
    rollingWindowsStep(s, trade(5_000, 0.5, 1, 'BUY'));
    expect(rollingWindowsStep(s, trade(4_999, 0.5, 1, 'BUY'))).toBeUndefined();
    expect(s.late).toBe(1);
    expect(s.assets.get(A)?.late).toBe(1);
  });

  it('marble: one output per accepted trade, in order, completing with the source', () => {
    new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ cold, expectObservable }) => {
      const t1 = trade(0, 0.2, 1, 'BUY');
      const t2 = trade(500, 0.4, 1, 'BUY');
      const stale = trade(-5, 0.9, 1, 'SELL');
      const source = cold('a-b-c|', { a: t1, b: t2, c: stale });
      const stats = (ts: number, id: string, count: number, volume: number, notional: number, vwap: number) => ({
        assetId: A, market: MKT, ts, tradeId: id,
        windows: [{ windowMs: 1_000, count, volume, signedVolume: volume, notional, vwap }],
      });
      expectObservable(source.pipe(rollingWindows({ windowsMs: [1_000], graceMs: 0 }))).toBe('x-y--|', {
        x: stats(0, t1.id, 1, SHARE, 0.2 * SHARE, 0.2),
        y: stats(500, t2.id, 2, 2 * SHARE, 0.6 * SHARE, 0.3),
      });
    });
  });
});
