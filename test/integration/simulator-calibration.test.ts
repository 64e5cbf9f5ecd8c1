/**
 * Needs the real data under ../shared/data/polymarket (no services). Recomputes the simulator's
 * calibration statistics, checks the constants in sources/simulator/calibration.ts still match
 * them, and checks a simulated stream reproduces the headline ones.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as C from '../../sources/simulator/calibration.js';
import { measureCalibration, quantile, type Calibration } from '../../sources/simulator/measure-calibration.js';
import { generateFrames, generateMarkets } from '../../sources/simulator/simulate.js';
import { checkStream, checkedMarkets, hourlyLogitVols } from '../../sources/simulator/stream-checker.js';

const DATA = fileURLToPath(new URL('../../../shared/data/polymarket', import.meta.url));
const near = (actual: number, expected: number, rel: number, abs = 0): void => {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.max(abs, rel * Math.abs(expected)));
};

describe.skipIf(!existsSync(DATA))('simulator calibration against ../shared/data/polymarket', () => {
  let cal: Calibration;
  const measured = (): Calibration => (cal ??= measureCalibration(DATA));

  it('book constants match yxf9tv-mlb-orderbooks/books_top5.jsonl', () => {
    const b = measured().books;
    expect(b.snapshots).toBe(217_972);
    expect(b.spreadTicks.p50).toBe(C.SPREAD_TICKS_MEDIAN);
    b.spreadPmf.forEach((share, i) => near(C.SPREAD_TICKS_PMF[i] as number, share, 0.05, 0.0005));
    b.depthByLevel.forEach((q, i) => {
      const [p25, p50, p75] = C.DEPTH_BY_LEVEL[i] as readonly [number, number, number];
      near(p25, q.p25, 0.01);
      near(p50, q.p50, 0.01);
      near(p75, q.p75, 0.01);
    });
    b.levelGapPmf.forEach((share, i) => near(C.LEVEL_GAP_PMF[i] as number, share, 0.05, 0.0005));
    near(C.SNAPSHOT_INTERVAL_MS[0] as number, b.snapshotIntervalMs.p10, 0.01);
    near(C.SNAPSHOT_INTERVAL_MS[1] as number, b.snapshotIntervalMs.p50, 0.01);
    near(C.SNAPSHOT_INTERVAL_MS[2] as number, b.snapshotIntervalMs.p90, 0.01);
  });

  it('price-dynamics constants match the emre hourly and ochaff 1-minute series', () => {
    const h = measured().hourly;
    near(C.HOURLY_LOGIT_VOL_POOLED, h.diffusiveLogitVol, 0.02);
    near(C.HOURLY_LOGIT_VOL_MEDIAN, h.perMarketLogitVol.p50, 0.02);
    near(C.HOURLY_LOGIT_VOL_SIGMA, Math.log(h.perMarketLogitVol.p75 / h.perMarketLogitVol.p25) / 1.349, 0.02);
    near(C.JUMP_FRACTION_HOURLY, h.jumpFraction, 0.02);
    near(C.JUMP_MEDIAN_ABS_LOGIT, h.jumpMedianAbs, 0.02);
    near(C.CONVERGENCE_LOGIT_VAR_HOURS, h.volFit.convergence, 0.02);
    const start = [h.startPrice.p10, h.startPrice.p25, h.startPrice.p50, h.startPrice.p75, h.startPrice.p90];
    start.forEach((q, i) => near(C.START_PRICE_QUANTILES[i] as number, q, 0.02, 0.0002));
    // The reveal window: prices have converged one hour before close in both sources.
    expect(h.distanceToOutcome['1h']).toBeLessThan(0.01);
    const m = measured().minute;
    expect(m.distanceToOutcome['1h']).toBeLessThan(0.01);
    near(C.MINUTE_ZERO_FRACTION, m.zeroFraction, 0.01);
    near(C.HOURLY_LOGIT_VOL_MINUTE_SOURCE, m.diffusiveLogitVolHourly, 0.02);
    // Vol rises toward the close in both sources (the C / tau term).
    expect(h.volByHoursToClose['1-6h']).toBeGreaterThan(h.volByHoursToClose['24-48h'] as number);
    expect(m.volByHoursToClose['1-6h']).toBeGreaterThan(m.volByHoursToClose['6-24h'] as number);
  });

  it('a simulated stream reproduces the spread and hourly logit vol it was calibrated on', () => {
    const opts = { markets: 60, events: 600_000, durationMs: 96 * 3_600_000, seed: 7 };
    const markets = checkedMarkets(generateMarkets(opts));
    const check = checkStream(markets, generateFrames(opts));
    expect(check.violations).toEqual([]);

    const spreads = Float64Array.from(check.spreadTicks).sort();
    expect(spreads.length).toBeGreaterThan(10_000);
    expect(quantile(spreads, 0.5)).toBe(C.SPREAD_TICKS_MEDIAN);

    // Per-market diffusive hourly logit vol, away from resolution (>= 48 h before the end date).
    const vols = Float64Array.from(hourlyLogitVols(check, markets, 48)).sort();
    expect(vols.length).toBeGreaterThanOrEqual(20);
    near(quantile(vols, 0.5), C.HOURLY_LOGIT_VOL_MEDIAN, 0.35);

    // Resolutions agree with where prices converged.
    expect(check.resolved.size).toBeGreaterThan(0);
    for (const [conditionId, { yesWon }] of check.resolved) {
      const mids = check.mids.get(conditionId) ?? [];
      const last = mids[mids.length - 1];
      if (last !== undefined) expect(yesWon ? last[1] > 0.5 : last[1] < 0.5).toBe(true);
    }
  });
});
