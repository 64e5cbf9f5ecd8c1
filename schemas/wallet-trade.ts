import type { AssetId, MarketId } from './ids.js';
import type { PriceMicros, SizeMicros } from './units.js';
import type { TradeSide } from './trade.js';

/** Topic `pm.wallet.trade` (key: market): a Data API trade with its wallet, input for whale tracking. */
export interface WalletTrade {
  readonly id: string;
  readonly wallet: string;
  readonly assetId: AssetId;
  readonly market: MarketId;
  readonly ts: number;
  readonly side: TradeSide;
  readonly price: PriceMicros;
  readonly size: SizeMicros;
  readonly transactionHash: string;
}
