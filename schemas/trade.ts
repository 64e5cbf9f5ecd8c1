import type { AssetId, MarketId } from './ids.js';
import type { PriceMicros, SizeMicros } from './units.js';

/** Taker side as the feed reports it. */
export type TradeSide = 'BUY' | 'SELL';

/** Topic `pm.trade` (key: asset id): a `last_trade_price` print. */
export interface Trade {
  /** Deterministic id from the print's fields (the feed gives none unless a transaction hash). */
  readonly id: string;
  readonly assetId: AssetId;
  readonly market: MarketId;
  readonly ts: number;
  readonly recvTs: number;
  readonly price: PriceMicros;
  readonly size: SizeMicros;
  readonly side: TradeSide;
  readonly feeRateBps: number;
}
