import type { Prediction } from '../schemas/prediction.js';
import type { Resolution } from '../schemas/resolution.js';

export interface CalibrationBin {
  /** Lower edge of the probability bin. */
  readonly from: number;
  readonly to: number;
  readonly count: number;
  /** Mean forecast in the bin. */
  readonly meanForecast: number | null;
  /** Share of the bin's rows whose token won. */
  readonly observed: number | null;
}

export interface Calibration {
  readonly rows: number;
  readonly model: readonly CalibrationBin[];
  readonly market: readonly CalibrationBin[];
}

/**
 * Reliability of the model and of the market price as forecasters: predictions made before their
 * market's resolution (the rows analytics score, operators/analytics.ts), bucketed by forecast into
 * `bins` equal bins, with the observed win rate per bin. Rows whose pModel or pMarket is not finite are left out.
 */
export function calibration(predictions: readonly Prediction[], resolutions: readonly Resolution[], bins = 10): Calibration {
  const resolved = new Map<string, Resolution>();
  for (const r of resolutions) if (!resolved.has(r.market)) resolved.set(r.market, r);
  const acc = (): { n: number[]; sumF: number[]; wins: number[] } => ({ n: Array(bins).fill(0), sumF: Array(bins).fill(0), wins: Array(bins).fill(0) });
  const model = acc();
  const market = acc();
  let rows = 0;
  const put = (a: ReturnType<typeof acc>, p: number, won: number): void => {
    const i = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    a.n[i] = a.n[i]! + 1;
    a.sumF[i] = a.sumF[i]! + p;
    a.wins[i] = a.wins[i]! + won;
  };
  for (const p of predictions) {
    const r = resolved.get(p.market);
    if (r === undefined || p.ts >= r.ts) continue;
    if (!Number.isFinite(p.pModel) || !Number.isFinite(p.pMarket)) continue;
    const won = r.winningAssetId === p.assetId ? 1 : 0;
    put(model, p.pModel, won);
    put(market, p.pMarket, won);
    rows++;
  }
  const out = (a: ReturnType<typeof acc>): CalibrationBin[] =>
    a.n.map((n, i) => ({ from: i / bins, to: (i + 1) / bins, count: n, meanForecast: n > 0 ? a.sumF[i]! / n : null, observed: n > 0 ? a.wins[i]! / n : null }));
  return { rows, model: out(model), market: out(market) };
}
