import type { AssetId, MarketId } from './ids.js';
import type { TradeSide } from './trade.js';
import type { PriceMicros, SizeMicros, UsdMicros } from './units.js';

/** Topic `whale.v1` (key: wallet or market): a trade large relative to depth, or a tracked wallet's move. */
export interface WhaleEvent {
  readonly id: string;
  readonly ts: number;
  /** Wallet address ("" for a `last_trade_price` print, which names none). */
  readonly wallet: string;
  readonly assetId: AssetId;
  readonly market: MarketId;
  readonly size: SizeMicros;
  readonly notional: UsdMicros;
  /** Size over the depth on the side it took (NaN when no book was known). */
  readonly depthRatio: number;
  /** `large_trade`: large relative to depth; `tracked_wallet`: any trade of a tracked wallet. */
  readonly kind: 'large_trade' | 'tracked_wallet';
  /** `data_api`: a Data API trade (pm.wallet.trade); `ws_trade`: a market-channel print (pm.trade). */
  readonly source: 'data_api' | 'ws_trade';
  /** Taker side. */
  readonly side: TradeSide;
  readonly price: PriceMicros;
  /** The wallet's traded notional so far (0 without a wallet). */
  readonly walletVolume: UsdMicros;
  /** The wallet's realized PnL so far: sells against average cost, positions marked to resolution. */
  readonly walletRealizedPnl: UsdMicros;
  /** The wallet's rank by traded notional among the wallets seen (1 = largest; 0 without a wallet). */
  readonly walletRank: number;
  /** The wallet's position in this token after the trade, as far as its trades seen show (micro-shares). */
  readonly position: SizeMicros;
}
