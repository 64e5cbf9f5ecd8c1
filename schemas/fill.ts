import type { AssetId, MarketId } from './ids.js';
import type { PriceMicros, SizeMicros, UsdMicros } from './units.js';
import type { Direction } from './signal.js';

/** Topic `fill.v1` (key: asset id): an execution of (part of) an order against the book. */
export interface Fill {
  readonly id: string;
  readonly orderId: string;
  readonly assetId: AssetId;
  readonly market: MarketId;
  readonly ts: number;
  readonly direction: Direction;
  /** Volume-weighted price of the bought side over the levels walked. */
  readonly price: PriceMicros;
  readonly size: SizeMicros;
  readonly fee: UsdMicros;
  /** Size of the order left unfilled (no more depth within the limit). */
  readonly unfilled: SizeMicros;
}
