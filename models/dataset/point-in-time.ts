// Replays one market's history through the live feature kernels and samples rows at horizons
// before its resolution: each row uses only updates at or before its own ts.
import { applyBookUpdate } from '../../operators/order-book.js';
import { initialMarketFeaturesState, marketFeaturesStep, type MarketFeaturesOptions } from '../../operators/market-features.js';
import type { L2Book } from '../../operators/l2-book.js';
import type { FeatureVector } from '../../schemas/feature-vector.js';
import type { AssetId } from '../../schemas/ids.js';
import { MICROS } from '../../schemas/units.js';
import type { ReplayMarket } from './source-markets.js';

/** Minutes before resolution at which rows are taken (where the history reaches back that far). */
export const HORIZONS_MIN = [4320, 2880, 1440, 720, 360, 240, 120, 60, 30, 10] as const;
/** A row's vector may be at most this stale: max(60 min, half the horizon). */
export const staleLimitMs = (horizonMin: number): number => Math.max(60, horizonMin / 2) * 60_000;

export interface TimedVector {
  readonly vector: FeatureVector;
  /** The recorded price of the update that produced the vector. */
  readonly price: number;
}

/** Vectors of one market, one per applied update: meta first (fixed in advance), then every update. */
export function replayMarket(market: ReplayMarket, opts: MarketFeaturesOptions = {}, untilTs = Infinity): TimedVector[] {
  const books = new Map<AssetId, L2Book>();
  const state = initialMarketFeaturesState(opts);
  marketFeaturesStep(state, { kind: 'meta', meta: market.meta });
  const out: TimedVector[] = [];
  market.updates.forEach((u, i) => {
    if (u.ts > untilTs) return;
    const v = marketFeaturesStep(state, { kind: 'book', change: applyBookUpdate(books, u) });
    if (v !== undefined) out.push({ vector: v, price: market.prices[i] ?? NaN });
  });
  return out;
}

export interface SampledRow {
  readonly horizonMin: number;
  readonly horizonTs: number;
  readonly ts: number;
  readonly pMarket: number;
  /** Best bid/ask at ts, fractions of 1 (NaN: side empty). */
  readonly bestBid: number;
  readonly bestAsk: number;
  readonly values: readonly number[];
}

/** At each horizon the last vector at or before it, if fresh enough and not already used. */
export function sampleHorizons(market: ReplayMarket, vectors: readonly TimedVector[], horizons: readonly number[] = HORIZONS_MIN): SampledRow[] {
  const rows: SampledRow[] = [];
  let lastUsed: TimedVector | undefined;
  for (const h of horizons) {
    const horizonTs = market.resolutionTs - h * 60_000;
    let found: TimedVector | undefined;
    for (const x of vectors) {
      if (x.vector.ts > horizonTs) break;
      found = x;
    }
    if (found === undefined || found === lastUsed || horizonTs - found.vector.ts > staleLimitMs(h)) continue;
    // The market's forecast must exist for a paired comparison.
    if (!(found.price >= 0 && found.price <= 1)) continue;
    lastUsed = found;
    const v = found.vector;
    rows.push({
      horizonMin: h,
      horizonTs,
      ts: v.ts,
      pMarket: found.price,
      bestBid: v.bestBid >= 0 ? v.bestBid / MICROS : NaN,
      bestAsk: v.bestAsk >= 0 ? v.bestAsk / MICROS : NaN,
      values: v.values,
    });
  }
  return rows;
}
