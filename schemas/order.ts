import type { AssetId, MarketId } from './ids.js';
import type { PriceMicros, SizeMicros, UsdMicros } from './units.js';
import type { Direction } from './signal.js';

/** Topic `order.v1` (key: asset id): a sized order that passed the risk gate. */
export interface Order {
  readonly id: string;
  readonly signalId: string;
  readonly assetId: AssetId;
  readonly market: MarketId;
  readonly ts: number;
  readonly direction: Direction;
  /** Worst price accepted for the bought side. */
  readonly limitPrice: PriceMicros;
  readonly size: SizeMicros;
  /** Kelly stake in collateral that the size was derived from. */
  readonly stake: UsdMicros;
  readonly kellyFraction: number;
}
