import type { AssetId, MarketId } from './ids.js';
import type { PriceMicros, SizeMicros } from './units.js';

/** YES buys this outcome token; NO buys its complement (priced at 1 - best bid of this token). */
export type Direction = 'YES' | 'NO';
export type Strength = 'STRONG' | 'MEDIUM' | 'WEAK';

/** Topic `signal.v1` (key: asset id): an edge over the executable price, after fees. */
export interface Signal {
  readonly id: string;
  readonly predictionId: string;
  readonly assetId: AssetId;
  readonly market: MarketId;
  readonly ts: number;
  readonly direction: Direction;
  readonly strength: Strength;
  /** Probability of the bought side paying 1. */
  readonly probability: number;
  /** Executable price of the bought side (best ask, or 1 - best bid). */
  readonly price: PriceMicros;
  /** probability - price - taker fee per share, as a fraction of 1. */
  readonly edge: number;
  readonly confidence: number;
  /** Shares available within the depth band on the side this signal would take. */
  readonly liquidity: SizeMicros;
}
