/** Branded identifiers: a token id is never confused with a condition id or an event id. */
declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** An outcome token id (Polymarket `asset_id`, a 77-digit decimal string). */
export type AssetId = Brand<string, 'AssetId'>;
/** A market's condition id (`0x` + 64 hex digits). */
export type MarketId = Brand<string, 'MarketId'>;
/** A Gamma event id: the group of sibling markets (neg-risk outcomes, date ladders). */
export type EventId = Brand<string, 'EventId'>;

export const assetId = (s: string): AssetId => s as AssetId;
export const marketId = (s: string): MarketId => s as MarketId;
export const eventId = (s: string): EventId => s as EventId;
