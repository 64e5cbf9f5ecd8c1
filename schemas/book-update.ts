import type { AssetId, MarketId } from './ids.js';
import type { PriceMicros, SizeMicros } from './units.js';

/** One price level: aggregate size resting at a price. Size 0 in a delta removes the level. */
export interface Level {
  readonly price: PriceMicros;
  readonly size: SizeMicros;
}

export type BookSide = 'bid' | 'ask';

export interface LevelChange extends Level {
  readonly side: BookSide;
}

interface BookUpdateBase {
  readonly assetId: AssetId;
  readonly market: MarketId;
  /** Exchange timestamp, ms. */
  readonly ts: number;
  /** Receive timestamp, ms. */
  readonly recvTs: number;
  /** Book hash the feed gave for the state after this update ("" when none). */
  readonly hash: string;
}

/** Topic `pm.book` (key: asset id): a full snapshot, level deltas, or a tick-size change. */
export type BookUpdate =
  | (BookUpdateBase & {
      readonly kind: 'snapshot';
      readonly bids: readonly Level[];
      readonly asks: readonly Level[];
      /** Tick size when the feed states it, else 0 (the book infers it from the prices). */
      readonly tickSize: PriceMicros;
    })
  | (BookUpdateBase & {
      readonly kind: 'delta';
      readonly changes: readonly LevelChange[];
      /** Top of book the feed reports after the change (newer `price_changes[]` form), else -1. */
      readonly bestBid: PriceMicros;
      readonly bestAsk: PriceMicros;
    })
  | (BookUpdateBase & {
      readonly kind: 'tick_size';
      readonly oldTickSize: PriceMicros;
      readonly newTickSize: PriceMicros;
    });
