import { portfolioSnapshot } from '../test/helpers/portfolio-snapshots.js';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { assetId, marketId, type AssetId, type MarketId } from '../schemas/ids.js';
import type { PortfolioSnapshot } from '../schemas/portfolio-snapshot.js';
import type { Prediction } from '../schemas/prediction.js';
import type { PriceMicros, SizeMicros, UsdMicros } from '../schemas/units.js';
import {
  initialTradingAnalyticsState,
  tradingAnalytics,
  tradingAnalyticsStep,
  type AnalyticsInput,
  type AnalyticsReport,
  type TradingAnalyticsOptions,
} from './analytics.js';

const A = assetId('aaa');
const B = assetId('bbb');
const M = marketId('0xm');
const DAY = 86_400_000;

function predict(asset: AssetId, pModel: number, pMarket: number, ts = 0, market: MarketId = M): AnalyticsInput {
  const prediction: Prediction = {
    id: `p:${asset}:${ts}`,
    featuresId: 'f',
    assetId: asset,
    market,
    ts,
    dueTs: ts,
    modelVersion: 'v1',
    pModel,
    pMarket,
    confidence: 1,
    bestBid: 0 as PriceMicros,
    bestAsk: 0 as PriceMicros,
    bidDepth: 0 as SizeMicros,
    askDepth: 0 as SizeMicros,
  };
  return { kind: 'prediction', prediction };
}

const resolve = (winner: AssetId, ts: number, market: MarketId = M): AnalyticsInput => ({
  kind: 'resolution',
  resolution: { market, ts, winningAssetId: winner, winningOutcome: 'x' },
});

const snap = (ts: number, equity: number, extra: Partial<PortfolioSnapshot> = {}): AnalyticsInput => ({
  kind: 'portfolio',
  snapshot: portfolioSnapshot(ts, equity, extra),
});

function run(opts: TradingAnalyticsOptions, inputs: AnalyticsInput[]): AnalyticsReport[] {
  const state = initialTradingAnalyticsState(opts);
  return inputs.flatMap((i) => {
    const r = tradingAnalyticsStep(state, i, opts);
    return r === undefined ? [] : [r];
  });
}

/** Sample-stdev Sharpe of a list of returns, annualised by sqrt(365): the reference. */
function sharpeOf(returns: number[]): number {
  const n = returns.length;
  const mean = returns.reduce((s, r) => s + r, 0) / n;
  const variance = returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (n - 1);
  return (mean / Math.sqrt(variance)) * Math.sqrt(365);
}

describe('tradingAnalytics kernel', () => {
  it('scores model and market on the same rows; rows with NaN pMarket are skipped for both', () => {
    const [r] = run({}, [
      predict(A, 0.7, 0.6),
      predict(B, 0.2, NaN), // skipped: no market forecast to pair with
      predict(B, 0.4, 0.45),
      resolve(A, 100),
    ]);
    // rows: A (y=1) and B at 0.4 / 0.45 (y=0)
    expect(r).toMatchObject({ ts: 100, resolvedMarkets: 1, scoredPredictions: 2 });
    expect(r?.brierModel).toBeCloseTo((0.09 + 0.16) / 2, 12);
    expect(r?.brierMarket).toBeCloseTo((0.16 + 0.2025) / 2, 12);
    expect(r?.logLossModel).toBeCloseTo((-Math.log(0.7) - Math.log(1 - 0.4)) / 2, 12);
    expect(r?.logLossMarket).toBeCloseTo((-Math.log(0.6) - Math.log(1 - 0.45)) / 2, 12);
    expect(r?.winRate).toBeNaN();
    expect(r?.sharpe).toBeNaN();
  });

  it('clips log loss at 1e-6 and accumulates over markets', () => {
    const N = marketId('0xn');
    const reports = run({}, [
      predict(A, 0, 0.5), // certain and wrong: -ln(1e-6)
      resolve(A, 1),
      predict(B, 0.5, 0.5, 2, N),
      resolve(assetId('zzz'), 3, N),
      predict(A, 0.9, 0.9, 4), // after its market resolved: ignored
      resolve(A, 5), // a repeated resolution counts once
    ]);
    expect(reports[0]?.logLossModel).toBeCloseTo(-Math.log(1e-6), 9);
    const last = reports.at(-1);
    expect(last).toMatchObject({ resolvedMarkets: 2, scoredPredictions: 2 });
    expect(last?.brierModel).toBeCloseTo((1 + 0.25) / 2, 12);
    expect(last?.logLossModel).toBeCloseTo((-Math.log(1e-6) - Math.log(0.5)) / 2, 9);
    expect(last?.brierMarket).toBeCloseTo(0.25, 12);
  });

  it('thins pending rows evenly past maxPendingPerMarket', () => {
    // max 4: p0..p4 -> keep p0 p2 p4 (stride 2); p6 admitted; p8 admitted -> keep p0 p4 p8 (stride 4)
    const preds = Array.from({ length: 10 }, (_, i) => predict(A, i / 10, 0.5, i));
    const [r] = run({ maxPendingPerMarket: 4 }, [...preds, resolve(A, 20)]);
    expect(r?.scoredPredictions).toBe(3);
    expect(r?.brierModel).toBeCloseTo(((1 - 0) ** 2 + (1 - 0.4) ** 2 + (1 - 0.8) ** 2) / 3, 12);
  });

  it('evicts the oldest pending market past maxMarkets', () => {
    const [r1, r2] = run({ maxMarkets: 1 }, [
      predict(A, 0.5, 0.5, 0, marketId('0x1')),
      predict(A, 0.5, 0.5, 0, marketId('0x2')),
      resolve(A, 1, marketId('0x1')),
      resolve(A, 2, marketId('0x2')),
    ]);
    expect(r1?.scoredPredictions).toBe(0);
    expect(r2?.scoredPredictions).toBe(1);
  });

  it('win rate from realised PnL increments at settlement snapshots', () => {
    const reports = run({}, [
      snap(1, 100, { reason: 'settlement', realizedPnl: 10 as UsdMicros }), // +10 win
      snap(2, 95, { reason: 'settlement', realizedPnl: 5 as UsdMicros }), // -5 loss
      snap(3, 95, { reason: 'fill', realizedPnl: 5 as UsdMicros }),
      snap(4, 95, { reason: 'settlement', realizedPnl: 5 as UsdMicros }), // 0: not a win
    ]);
    expect(reports.map((r) => r.settledPositions)).toEqual([1, 2, 2, 3]);
    expect(reports.at(-1)?.winRate).toBeCloseTo(1 / 3, 12);
  });

  it('max drawdown, pnl and equity follow the snapshots', () => {
    const reports = run({ bankroll: 100 as UsdMicros }, [
      snap(1, 90, { drawdown: 0.1, realizedPnl: -4 as UsdMicros, unrealizedPnl: -6 as UsdMicros }),
      snap(2, 95, { drawdown: 0.05, realizedPnl: -4 as UsdMicros, unrealizedPnl: -1 as UsdMicros }),
    ]);
    expect(reports.at(-1)).toMatchObject({ maxDrawdown: 0.1, pnl: -5, equity: 95 });
    expect(run({ bankroll: 100 as UsdMicros }, [resolve(A, 1)])[0]).toMatchObject({ pnl: 0, equity: 100 });
  });

  it('Sharpe of daily UTC equity returns from the bankroll, annualised by sqrt(365)', () => {
    // closes 101, 99.99, 101.9898 from 100: returns +1 %, -1 %, +2 %
    const reports = run({ bankroll: 100_000_000 as UsdMicros }, [
      snap(1000, 100_500_000),
      snap(DAY - 1, 101_000_000),
      snap(DAY + 5, 99_990_000),
      snap(2 * DAY + 7, 100_000_000),
      snap(3 * DAY - 1, 101_989_800),
    ]);
    expect(reports[0]?.sharpe).toBeNaN(); // one day
    expect(reports[2]?.sharpe).toBeCloseTo(sharpeOf([0.01, -0.01]), 9);
    expect(reports.at(-1)?.sharpe).toBeCloseTo(sharpeOf([0.01, -0.01, 0.02]), 9);
    expect(reports.at(-1)?.sharpe).toBeCloseTo(8.33809, 4);
  });

  it('without a bankroll the first snapshot is the base; a day without snapshots is a 0 return', () => {
    const reports = run({}, [snap(0, 100), snap(10, 110), snap(2 * DAY, 99)]);
    // day 0: 110/100 - 1 = 0.1; day 1: 0; day 2: 99/110 - 1 = -0.1
    expect(reports.at(-1)?.sharpe).toBeCloseTo(sharpeOf([0.1, 0, -0.1]), 12);
    expect(run({}, [snap(0, 100), snap(DAY, 100)]).at(-1)?.sharpe).toBeNaN(); // no variation
  });
});

describe('tradingAnalytics operator', () => {
  it('marble: a report after each resolution and each snapshot, none for predictions or meta', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ cold, expectObservable }) => {
      const inputs: Record<string, AnalyticsInput> = {
        p: predict(A, 0.8, 0.6),
        r: resolve(A, 5),
        s: snap(6, 110, { reason: 'settlement', realizedPnl: 10 as UsdMicros, drawdown: 0.02 }),
      };
      const base = {
        resolvedMarkets: 1,
        scoredPredictions: 1,
        brierModel: (1 - 0.8) ** 2,
        brierMarket: (1 - 0.6) ** 2,
        logLossModel: -Math.log(0.8),
        logLossMarket: -Math.log(0.6),
        sharpe: NaN,
      };
      expectObservable(cold('pr-s|', inputs).pipe(tradingAnalytics({ bankroll: 100 as UsdMicros }))).toBe('-x-y|', {
        x: { ...base, ts: 5, winRate: NaN, settledPositions: 0, maxDrawdown: 0, pnl: 0, equity: 100 },
        y: { ...base, ts: 6, winRate: 1, settledPositions: 1, maxDrawdown: 0.02, pnl: 10, equity: 110 },
      });
    });
  });
});
