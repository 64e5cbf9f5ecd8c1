import { FEATURE_INDEX, FEATURE_SPEC } from '../../schemas/feature-spec.js';
import type { FeatureVector } from '../../schemas/feature-vector.js';
import { assetId, marketId } from '../../schemas/ids.js';
import type { PriceMicros, SizeMicros } from '../../schemas/units.js';

/** A feature vector with every value NaN but the mid, for scoring-stage tests. */
export function vectorWithMid(asset: string, ts: number, mid: number, seq = 0): FeatureVector {
  const values = FEATURE_SPEC.names.map(() => Number.NaN);
  values[FEATURE_INDEX.mid] = mid;
  return {
    id: `${asset}:${ts}:${seq}`,
    assetId: assetId(asset),
    market: marketId(`0x${asset}`),
    ts,
    recvTs: ts,
    specVersion: FEATURE_SPEC.version,
    values,
    bestBid: Math.round((mid - 0.01) * 1e6) as PriceMicros,
    bestAsk: Math.round((mid + 0.01) * 1e6) as PriceMicros,
    bidDepth: 100_000_000 as SizeMicros,
    askDepth: 200_000_000 as SizeMicros,
  };
}
