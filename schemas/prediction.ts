import type { AssetId, MarketId } from './ids.js';
import type { PriceMicros, SizeMicros } from './units.js';

/** Topic `prediction.v1` (key: asset id): the model's probability that this outcome token pays 1. */
export interface Prediction {
  readonly id: string;
  readonly featuresId: string;
  readonly assetId: AssetId;
  readonly market: MarketId;
  readonly ts: number;
  /**
   * Receive-clock time (ms) after which the trade stage acts on it: its vector's `recvTs` plus
   * `scoring.maxWaitMs`, the longest a vector waits for its batch. Fixed, so trading does not
   * depend on how scoring cut its batches or how fast it ran (see operators/prediction-due.ts).
   */
  readonly dueTs: number;
  readonly modelVersion: string;
  readonly pModel: number;
  /** The market's own forecast at the same instant: the mid price (NaN when a side is empty). */
  readonly pMarket: number;
  /** In [0, 1]: 1 - normalised disagreement of ensemble members (1 for a single model). */
  readonly confidence: number;
  readonly bestBid: PriceMicros;
  readonly bestAsk: PriceMicros;
  readonly bidDepth: SizeMicros;
  readonly askDepth: SizeMicros;
}
