import { describe, expect, it } from 'vitest';
import { backtest, type BacktestRow } from './backtest.js';
import { brier, calibrationTable, ece, logLoss, pairedBootstrapBrierDiff } from './forecast-metrics.js';

describe('forecast metrics', () => {
  it('Brier, log loss, calibration and ECE by hand', () => {
    expect(brier([0.8, 0.3], [1, 0])).toBeCloseTo((0.04 + 0.09) / 2, 12);
    expect(logLoss([0.8, 0.3], [1, 0])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 12);
    const t = calibrationTable([0.05, 0.15, 0.15, 1], [0, 1, 0, 1], 10);
    expect(t[1]).toMatchObject({ n: 2, meanP: 0.15, freq: 0.5 });
    expect(t[9]).toMatchObject({ n: 1, meanP: 1, freq: 1 });
    // |0.05-0| * 1 + |0.15-0.5| * 2 + 0 over 4 rows
    expect(ece(t)).toBeCloseTo((0.05 + 0.7) / 4, 12);
  });
  it('the paired bootstrap is seeded and brackets the point difference', () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({ group: `e${i % 40}`, pModel: 0.6, pMarket: 0.5, y: i % 3 === 0 ? 1 : 0 }));
    const a = pairedBootstrapBrierDiff(rows, { seed: 7, iterations: 500 });
    expect(pairedBootstrapBrierDiff(rows, { seed: 7, iterations: 500 })).toEqual(a);
    expect(a.groups).toBe(40);
    expect(a.low).toBeLessThanOrEqual(a.diff);
    expect(a.high).toBeGreaterThanOrEqual(a.diff);
  });
});

describe('backtest', () => {
  const row = (market: string, ts: number, pModel: number, pMarket: number, label: 0 | 1, bid = NaN, ask = NaN): BacktestRow => ({
    market, category: 'sports', ts, resolutionTs: ts + 100, label, pModel, confidence: 1, bestBid: bid, bestAsk: ask, pMarket,
  });
  it('enters once per market at the first edge above the threshold, after spread and fee', () => {
    const fee = 0.03;
    const r = backtest(
      [row('m1', 1, 0.7, 0.5, 1), row('m1', 2, 0.9, 0.5, 1), row('m2', 3, 0.2, 0.5, 1, 0.49, 0.51), row('m3', 4, 0.52, 0.5, 0)],
      { minEdge: 0.05, minConfidence: 0, halfSpread: 0.01, stakeUsd: 100, feeRate: () => fee },
    );
    expect(r.trades.map((t) => [t.market, t.direction])).toEqual([['m1', 'YES'], ['m2', 'NO']]);
    // m1: buy YES at 0.51 (+ half-spread), 100/0.51 shares, wins.
    const s1 = 100 / 0.51;
    const pnl1 = s1 * (1 - 0.51) - s1 * fee * 0.51 * 0.49;
    // m2: buy NO at 1 - 0.49 = 0.51, loses.
    const pnl2 = -100 - s1 * fee * 0.51 * 0.49;
    expect(r.pnl).toBeCloseTo(pnl1 + pnl2, 9);
    expect(r.hitRate).toBe(0.5);
    expect(r.maxDrawdown).toBeCloseTo(-pnl2, 9);
  });
});
