import type { AssetId, MarketId } from './ids.js';
import type { SizeMicros, UsdMicros } from './units.js';

/** Topic `whale.v1` (key: wallet or market): a trade large relative to depth, or a tracked wallet's move. */
export interface WhaleEvent {
  readonly id: string;
  readonly ts: number;
  readonly wallet: string;
  readonly assetId: AssetId;
  readonly market: MarketId;
  readonly size: SizeMicros;
  readonly notional: UsdMicros;
  /** Size over the depth on the side it took. */
  readonly depthRatio: number;
}
