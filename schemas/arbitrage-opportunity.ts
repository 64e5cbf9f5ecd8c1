import type { AssetId, EventId, MarketId } from './ids.js';
import type { PriceMicros, SizeMicros, UsdMicros } from './units.js';

export type ArbitrageKind = 'complement_buy' | 'complement_sell' | 'neg_risk_buy' | 'neg_risk_sell' | 'duplicate';

/** Topic `arbitrage.v1` (key: market or event): a priced-wrong set of books, once per episode. */
export interface ArbitrageOpportunity {
  readonly id: string;
  readonly ts: number;
  readonly kind: ArbitrageKind;
  readonly markets: readonly MarketId[];
  readonly eventId: EventId | '';
  /** Profit per share set after fees, as a fraction of 1. */
  readonly edge: number;
  readonly size: SizeMicros;
  readonly expiresTs: number;
  /** Expected profit of `size` sets after taker fees, micro-dollars. */
  readonly profit: UsdMicros;
  /** The outcome token of each leg (bought for *_buy and duplicate, sold for *_sell). */
  readonly assetIds: readonly AssetId[];
  /** Best price of each leg when the opportunity was seen. */
  readonly prices: readonly PriceMicros[];
  /** Worst price of each leg reached when sizing: the limit price to trade `size` at. */
  readonly limitPrices: readonly PriceMicros[];
}
