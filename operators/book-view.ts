import type { BookSide, BookUpdate } from '../schemas/book-update.js';
import type { AssetId, MarketId } from '../schemas/ids.js';
import type { PriceMicros, SizeMicros } from '../schemas/units.js';

/**
 * Read access to one asset's L2 book. The `orderBook` operator owns the mutable book and hands
 * out this view; a view is only valid synchronously, inside the notification that carried it.
 */
export interface BookView {
  readonly assetId: AssetId;
  readonly market: MarketId;
  /** Tick size of the current book epoch. */
  readonly tickSize: PriceMicros;
  /** Exchange time of the last update applied, ms. */
  readonly lastUpdateTs: number;
  /** Hash the feed gave for the current state ("" when none). */
  readonly hash: string;
  /** True once a snapshot was applied in the current epoch (a tick-size change starts a new one). */
  readonly ready: boolean;
  /** Best bid / ask price, -1 when that side is empty. */
  bestBid(): PriceMicros;
  bestAsk(): PriceMicros;
  /** Aggregate size at one price (0 when none). */
  sizeAt(side: BookSide, price: PriceMicros): SizeMicros;
  /** Total size on a side from the best price through `ticks` ticks away from it (ticks=0: best level only). */
  depthWithin(side: BookSide, ticks: number): SizeMicros;
  /** Sum of sizes of the best `n` non-empty levels of a side. */
  depthTopLevels(side: BookSide, n: number): SizeMicros;
  /**
   * Visits non-empty levels from the best price outward until `visit` returns false.
   * The paper broker walks the book with this; no arrays are allocated.
   */
  forEachLevel(side: BookSide, visit: (price: PriceMicros, size: SizeMicros) => boolean): void;
}

/**
 * - `ok`: applied and consistent.
 * - `crossed`: applied, but best bid >= best ask.
 * - `awaiting_snapshot`: a delta arrived before any snapshot of the current epoch; ignored.
 * - `top_mismatch`: applied, but the feed's best_bid/best_ask disagree with the rebuilt book
 *   (a missed message: the book should be resynced from a snapshot).
 * - `invalid`: a delta price off the tick grid or outside (0, 1); ignored.
 */
export type BookStatus = 'ok' | 'crossed' | 'awaiting_snapshot' | 'top_mismatch' | 'invalid';

/** What `orderBook` emits for every update it receives. */
export interface BookChange {
  readonly update: BookUpdate;
  readonly book: BookView;
  readonly status: BookStatus;
}
