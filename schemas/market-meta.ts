import type { AssetId, EventId, MarketId } from './ids.js';
import type { PriceMicros } from './units.js';

/**
 * Topic `pm.market.meta` (compacted, key: market): what is known about a market before it closes.
 * Only fields fixed in advance belong here; lifetime volume, closed time and final prices are
 * look-ahead and are never carried.
 */
export interface MarketMeta {
  readonly market: MarketId;
  readonly eventId: EventId;
  readonly question: string;
  readonly slug: string;
  readonly category: string;
  readonly outcomes: readonly string[];
  /** Outcome token ids, in the order of `outcomes`. */
  readonly assetIds: readonly AssetId[];
  readonly tickSize: PriceMicros;
  readonly negRisk: boolean;
  /** When the market opened, ms. */
  readonly startTs: number;
  /** Scheduled end date, ms (known in advance; not the actual close time). */
  readonly endTs: number;
  /** When this record was valid, ms. */
  readonly ts: number;
}
