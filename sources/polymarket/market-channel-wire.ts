/**
 * Wire shapes of the CLOB market channel (`wss://ws-subscriptions-clob.polymarket.com/ws/market`)
 * as documented (POLYMARKET.md B.1; docs.polymarket.com market-channel pages; ts-sdk
 * `subscriptions/clob.ts`). They describe what the server is supposed to send; nothing is typed as
 * one of these until `market-channel.ts` has checked it field by field.
 */

/** A decimal string ("0.514", "21574.08"); an absent optional decimal may arrive as "". */
export type WireDecimal = string;
/** Milliseconds since the epoch, as a digit string ("1767225600123"); some feeds send a number. */
export type WireMillis = string | number;
/** Taker/level side; may arrive lower-case. BUY is the bid side, SELL the ask side. */
export type WireSide = 'BUY' | 'SELL' | 'buy' | 'sell';

export interface WireLevel {
  price: WireDecimal;
  size: WireDecimal;
}

export interface WireBook {
  event_type: 'book';
  market: string;
  asset_id: string;
  bids: WireLevel[];
  asks: WireLevel[];
  timestamp: WireMillis;
  hash: string;
  tick_size?: WireDecimal;
  min_order_size?: WireDecimal;
  neg_risk?: boolean;
  last_trade_price?: WireDecimal;
}

/** Current `price_change` (since 2025-09-15 23:00 UTC): entries may mix the assets of a market. */
export interface WirePriceChangeEntry {
  asset_id: string;
  price: WireDecimal;
  size: WireDecimal;
  side: WireSide;
  hash: string;
  best_bid: WireDecimal;
  best_ask: WireDecimal;
}

export interface WirePriceChange {
  event_type: 'price_change';
  market: string;
  timestamp: WireMillis;
  price_changes: WirePriceChangeEntry[];
}

/** Legacy `price_change` (before 2025-09-15): one asset per message, no best bid/ask. */
export interface WirePriceChangeLegacy {
  event_type: 'price_change';
  market: string;
  asset_id: string;
  timestamp: WireMillis;
  hash?: string;
  changes: { price: WireDecimal; size: WireDecimal; side: WireSide }[];
}

/** Oldest `price_change` (2024 captures): a single level flat at the top level. */
export interface WirePriceChangeFlat {
  event_type: 'price_change';
  market: string;
  asset_id: string;
  timestamp: WireMillis;
  hash?: string;
  price: WireDecimal;
  size: WireDecimal;
  side: WireSide;
}

export interface WireLastTradePrice {
  event_type: 'last_trade_price';
  market: string;
  asset_id: string;
  price: WireDecimal;
  size: WireDecimal;
  side: WireSide;
  fee_rate_bps?: WireDecimal;
  timestamp: WireMillis;
  transaction_hash?: string;
}

export interface WireTickSizeChange {
  event_type: 'tick_size_change';
  market: string;
  asset_id: string;
  old_tick_size: WireDecimal;
  new_tick_size: WireDecimal;
  timestamp: WireMillis;
}

/** Custom feature (`custom_feature_enabled: true`). */
export interface WireMarketResolved {
  event_type: 'market_resolved';
  id?: string;
  market: string;
  assets_ids?: string[];
  winning_asset_id: string;
  winning_outcome: string;
  timestamp: WireMillis;
  tags?: string[];
}

/** Custom features the parser recognises and deliberately drops (see `IgnoredEventType`). */
export interface WireBestBidAsk {
  event_type: 'best_bid_ask';
  market: string;
  asset_id: string;
  best_bid: WireDecimal;
  best_ask: WireDecimal;
  spread: WireDecimal;
  timestamp: WireMillis;
}

export interface WireNewMarket {
  event_type: 'new_market';
  market: string;
  timestamp: WireMillis;
  [field: string]: unknown;
}

export type WireMarketEvent =
  | WireBook
  | WirePriceChange
  | WirePriceChangeLegacy
  | WirePriceChangeFlat
  | WireLastTradePrice
  | WireTickSizeChange
  | WireMarketResolved
  | WireBestBidAsk
  | WireNewMarket;
