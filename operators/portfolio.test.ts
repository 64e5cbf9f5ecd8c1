import fc from 'fast-check';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { BookUpdate } from '../schemas/book-update.js';
import type { Fill } from '../schemas/fill.js';
import { assetId, marketId, type AssetId, type MarketId } from '../schemas/ids.js';
import type { PortfolioSnapshot } from '../schemas/portfolio-snapshot.js';
import type { Direction } from '../schemas/signal.js';
import type { PriceMicros, SizeMicros, UsdMicros } from '../schemas/units.js';
import type { BookChange, BookView } from './book-view.js';
import { initialPortfolioState, portfolio, portfolioStep, type PortfolioInput, type PortfolioOptions } from './portfolio.js';

const A = assetId('aaa');
const B = assetId('bbb');
const M = marketId('0xm');
const SHARE = 1_000_000;
const DOLLAR = 1_000_000;
const usd = (dollars: number): UsdMicros => Math.round(dollars * DOLLAR) as UsdMicros;

function fill(id: string, asset: AssetId, direction: Direction, price: number, shares: number, feeDollars: number, ts: number, market: MarketId = M): Fill {
  return {
    id,
    orderId: id,
    assetId: asset,
    market,
    ts,
    direction,
    price: price as PriceMicros,
    size: Math.round(shares * SHARE) as SizeMicros,
    fee: usd(feeDollars),
    unfilled: 0 as SizeMicros,
  };
}

/** A book change whose view only answers best bid / ask (-1 for an empty side). */
function top(asset: AssetId, ts: number, bid: number, ask: number, market: MarketId = M): PortfolioInput {
  const book: BookView = {
    assetId: asset,
    market,
    tickSize: 10_000 as PriceMicros,
    lastUpdateTs: ts,
    hash: '',
    ready: true,
    bestBid: () => bid as PriceMicros,
    bestAsk: () => ask as PriceMicros,
    sizeAt: () => 0 as SizeMicros,
    depthWithin: () => 0 as SizeMicros,
    depthTopLevels: () => 0 as SizeMicros,
    forEachLevel: () => undefined,
  };
  const update: BookUpdate = { kind: 'snapshot', assetId: asset, market, ts, recvTs: ts, hash: '', bids: [], asks: [], tickSize: 10_000 as PriceMicros };
  const change: BookChange = { update, book, status: 'ok' };
  return { kind: 'book', change };
}

const resolve = (winner: AssetId, ts: number, market: MarketId = M): PortfolioInput => ({
  kind: 'resolution',
  resolution: { market, ts, winningAssetId: winner, winningOutcome: 'x' },
});

const opts: PortfolioOptions = { bankroll: usd(1000), markIntervalMs: 60_000 };

describe('portfolio kernel', () => {
  it('books fills, marks YES at mid and NO at 1 - mid, and settles both sides', () => {
    const state = initialPortfolioState(opts);
    const step = (i: PortfolioInput): PortfolioSnapshot[] => portfolioStep(state, i, opts).map((o) => o.snapshot);

    // YES A: 100 shares at 0.50 = $50 + $1 fee -> cash 949, held at cost (never marked)
    expect(step({ kind: 'fill', fill: fill('f1', A, 'YES', 500_000, 100, 1, 10) })).toEqual([
      {
        id: 'pf:fill:10:0',
        ts: 10,
        reason: 'fill',
        cash: usd(949),
        equity: usd(1000),
        realizedPnl: 0,
        unrealizedPnl: 0,
        exposure: usd(51),
        peakEquity: usd(1000),
        drawdown: 0,
        openPositions: 1,
      },
    ]);

    // mid 0.60: YES worth $60 -> equity 1009
    expect(step(top(A, 1000, 580_000, 620_000))).toEqual([
      expect.objectContaining({ id: 'pf:mark:1000:1', reason: 'mark', equity: usd(1009), unrealizedPnl: usd(9), peakEquity: usd(1009), drawdown: 0 }),
    ]);

    // NO A: 50 shares at 0.42 = $21 + $0.50 fee -> cash 927.5; NO marked at 1 - 0.60 = 0.40 -> $20
    const [s3] = step({ kind: 'fill', fill: fill('f2', A, 'NO', 420_000, 50, 0.5, 1005) });
    expect(s3).toMatchObject({ cash: usd(927.5), equity: usd(1007.5), unrealizedPnl: usd(7.5), exposure: usd(72.5), openPositions: 2 });
    expect(s3?.drawdown).toBeCloseTo(1.5 / 1009, 12);

    // within markIntervalMs of the last mark: no snapshot, but the mark moves (mid 0.30)
    expect(step(top(A, 1010, 290_000, 310_000))).toEqual([]);
    // an empty side keeps the last mark
    expect(step(top(A, 61_000, -1, 720_000))).toMatchObject([{ reason: 'mark', equity: usd(927.5 + 30 + 35) }]);
    // an unheld asset never emits
    expect(step(top(B, 200_000, 100_000, 200_000))).toEqual([]);

    // mid 0.70: YES $70, NO $15 -> 1012.5, a new peak
    expect(step(top(A, 121_000, 680_000, 720_000))).toMatchObject([{ equity: usd(1012.5), peakEquity: usd(1012.5) }]);

    // B wins: YES A pays 0 (-51), NO A pays $50 (+28.5)
    const settled = portfolioStep(state, resolve(B, 200_000), opts);
    expect(settled.map((o) => o.settled)).toEqual([
      { assetId: A, market: M, direction: 'YES', ts: 200_000, size: 100 * SHARE, cost: usd(51), payout: 0, realizedPnl: usd(-51) },
      { assetId: A, market: M, direction: 'NO', ts: 200_000, size: 50 * SHARE, cost: usd(21.5), payout: usd(50), realizedPnl: usd(28.5) },
    ]);
    const [first, last] = settled.map((o) => o.snapshot);
    expect(first).toMatchObject({ id: 'pf:settlement:200000:5', cash: usd(927.5), equity: usd(942.5), realizedPnl: usd(-51), openPositions: 1 });
    expect(last).toMatchObject({
      id: 'pf:settlement:200000:6',
      reason: 'settlement',
      cash: usd(977.5),
      equity: usd(977.5),
      realizedPnl: usd(-22.5),
      unrealizedPnl: 0,
      exposure: 0,
      peakEquity: usd(1012.5),
      openPositions: 0,
    });
    expect(last?.drawdown).toBeCloseTo(35 / 1012.5, 12);
  });

  it('YES on the winner pays 1 per share; NO on the winner pays nothing', () => {
    const state = initialPortfolioState(opts);
    portfolioStep(state, { kind: 'fill', fill: fill('f1', A, 'YES', 300_000, 10, 0.1, 1) }, opts);
    portfolioStep(state, { kind: 'fill', fill: fill('f2', A, 'NO', 600_000, 10, 0.1, 2) }, opts);
    const out = portfolioStep(state, resolve(A, 3), opts);
    expect(out.map((o) => o.settled?.realizedPnl)).toEqual([usd(10 - 3.1), usd(-6.1)]);
    expect(out.at(-1)?.snapshot).toMatchObject({ cash: usd(1000 + 10 - 3.1 - 6.1), realizedPnl: usd(0.8) });
  });

  it('a resolution of another market leaves positions open', () => {
    const state = initialPortfolioState(opts);
    portfolioStep(state, { kind: 'fill', fill: fill('f1', A, 'YES', 300_000, 10, 0, 1) }, opts);
    expect(portfolioStep(state, resolve(B, 3, marketId('0xother')), opts)).toEqual([]);
    expect(state.positions.size).toBe(1);
  });

  it('marks a new position at once when the asset was quoted before it was held', () => {
    const state = initialPortfolioState(opts);
    portfolioStep(state, top(A, 1, 380_000, 420_000), opts);
    const [o] = portfolioStep(state, { kind: 'fill', fill: fill('f', A, 'NO', 620_000, 10, 0, 2) }, opts);
    // NO at 1 - 0.40 = 0.60: $6 value for $6.20 paid
    expect(o?.snapshot).toMatchObject({ equity: usd(999.8), unrealizedPnl: usd(-0.2) });
  });

  it('fills move cash into cost one for one, and settling everything leaves equity = bankroll + realised PnL', () => {
    const assets = [A, B, assetId('ccc'), assetId('ddd')];
    const marketOf = (a: AssetId): MarketId => (a === A || a === B ? M : marketId('0xn'));
    const fillArb = fc.record({
      kind: fc.constant('fill' as const),
      asset: fc.constantFrom(...assets),
      direction: fc.constantFrom<Direction>('YES', 'NO'),
      price: fc.integer({ min: 1, max: 999_999 }),
      size: fc.integer({ min: 1, max: 10_000_000_000 }),
      fee: fc.integer({ min: 0, max: 5_000_000 }),
    });
    const bookArb = fc.record({
      kind: fc.constant('book' as const),
      asset: fc.constantFrom(...assets),
      bid: fc.integer({ min: -1, max: 999_999 }),
      spread: fc.integer({ min: 1, max: 50_000 }),
      dt: fc.integer({ min: 0, max: 120_000 }),
    });
    fc.assert(
      fc.property(fc.array(fc.oneof(fillArb, bookArb), { maxLength: 60 }), fc.constantFrom(...assets), fc.constantFrom(...assets), (events, w1, w2) => {
        const o: PortfolioOptions = { bankroll: usd(10_000), markIntervalMs: 30_000 };
        const state = initialPortfolioState(o);
        let ts = 0;
        let last: PortfolioSnapshot | undefined;
        for (const e of events) {
          if (e.kind === 'book') {
            ts += e.dt;
            const outs = portfolioStep(state, top(e.asset, ts, e.bid, e.bid < 0 ? 500_000 : Math.min(1_000_000, e.bid + e.spread), marketOf(e.asset)), o);
            last = outs.at(-1)?.snapshot ?? last;
            continue;
          }
          const f: Fill = {
            id: 'f',
            orderId: 'o',
            assetId: e.asset,
            market: marketOf(e.asset),
            ts,
            direction: e.direction,
            price: e.price as PriceMicros,
            size: e.size as SizeMicros,
            fee: e.fee as UsdMicros,
            unfilled: 0 as SizeMicros,
          };
          const cashBefore = state.cash;
          const exposureBefore = last?.exposure ?? 0;
          const [out] = portfolioStep(state, { kind: 'fill', fill: f }, o);
          const s = out?.snapshot;
          if (s === undefined) return false;
          const notional = Math.round((e.price * e.size) / 1_000_000);
          expect(cashBefore - s.cash).toBe(notional + e.fee);
          expect(cashBefore - s.cash).toBe(s.exposure - exposureBefore);
          expect(s.equity).toBe(o.bankroll + s.realizedPnl + s.unrealizedPnl);
          last = s;
        }
        for (const out of [...portfolioStep(state, resolve(w1, ts + 1, M), o), ...portfolioStep(state, resolve(w2, ts + 1, marketId('0xn')), o)]) {
          last = out.snapshot;
        }
        expect(state.positions.size).toBe(0);
        if (last !== undefined) {
          expect(last.equity).toBe(o.bankroll + last.realizedPnl);
          expect(last.cash).toBe(last.equity);
          expect(last.exposure).toBe(0);
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe('portfolio operator', () => {
  it('marble: fill, throttled marks, settlement', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const o: PortfolioOptions = { bankroll: usd(100), markIntervalMs: 10 };
      const inputs: Record<string, PortfolioInput> = {
        f: { kind: 'fill', fill: fill('f', A, 'YES', 400_000, 10, 0, 1) },
        a: top(A, 2, 490_000, 510_000),
        b: top(A, 5, 590_000, 610_000), // within 10 ms of the mark at 2
        c: top(A, 12, 690_000, 710_000),
        r: resolve(A, 20),
      };
      const snap = (id: string, reason: PortfolioSnapshot['reason'], ts: number, cash: number, equity: number, realized: number, exposure: number, peak: number, open: number): PortfolioSnapshot => ({
        id,
        ts,
        reason,
        cash: usd(cash),
        equity: usd(equity),
        realizedPnl: usd(realized),
        unrealizedPnl: usd(equity - cash - exposure),
        exposure: usd(exposure),
        peakEquity: usd(peak),
        drawdown: (peak - equity) / peak,
        openPositions: open,
      });
      expectObservable(cold('fabcr|', inputs).pipe(portfolio(o))).toBe('xy-zw|', {
        x: snap('pf:fill:1:0', 'fill', 1, 96, 100, 0, 4, 100, 1),
        y: snap('pf:mark:2:1', 'mark', 2, 96, 101, 0, 4, 101, 1),
        z: snap('pf:mark:12:2', 'mark', 12, 96, 103, 0, 4, 103, 1),
        w: snap('pf:settlement:20:3', 'settlement', 20, 106, 106, 6, 0, 106, 0),
      });
    });
  });
});
