import type { AssetId, MarketId } from './ids.js';
import type { PriceMicros, SizeMicros } from './units.js';

/** Topic `features.v1` (key: asset id): the feature vector of one asset after one update. */
export interface FeatureVector {
  /** Deterministic: asset id + ts + sequence of the input that produced it. */
  readonly id: string;
  readonly assetId: AssetId;
  readonly market: MarketId;
  readonly ts: number;
  /**
   * Receive time (ms) of the input that produced it: the clock replays run on. A prediction of this
   * vector takes effect `scoring.maxWaitMs` after it (Prediction.dueTs).
   */
  readonly recvTs: number;
  /** `FEATURE_SPEC.version`: the order and meaning of `values`. */
  readonly specVersion: string;
  /** Values in the order of `FEATURE_SPEC.names`; NaN where a feature is undefined (empty side). */
  readonly values: readonly number[];
  /** Top of book at `ts` (-1 when that side is empty): what the trade stage prices against. */
  readonly bestBid: PriceMicros;
  readonly bestAsk: PriceMicros;
  /** Shares resting within the configured depth band of the best price, per side. */
  readonly bidDepth: SizeMicros;
  readonly askDepth: SizeMicros;
}
