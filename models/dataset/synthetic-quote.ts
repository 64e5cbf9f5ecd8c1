import type { Level } from '../../schemas/book-update.js';
import type { PriceMicros, SizeMicros } from '../../schemas/units.js';

/**
 * How a price-series point enters the book operators: a quote 0.001 wide centred on the price
 * (bid = p - 0.0005, ask = p + 0.0005 on a 0.0001 grid) with a nominal 100 shares a side, so the
 * mid equals the recorded price (to 0.0001) and every mid-derived feature (momentum, volatility)
 * is real. Spread, microprice, imbalances and depth are then made up: datasets from price series
 * say `synthetic_depth` and the trainer never fits on those columns.
 */
export const SYNTHETIC_TICK = 100 as PriceMicros;
export const SYNTHETIC_HALF_WIDTH = 500;
export const SYNTHETIC_SIZE = 100_000_000 as SizeMicros;
/** Features that a synthetic quote makes up. */
export const SYNTHETIC_BOOK_FEATURES = ['spread', 'microprice', 'imbalance_top1', 'imbalance_top5', 'depth_bid_log', 'depth_ask_log'] as const;

export function syntheticQuote(price: number): { bid: Level; ask: Level } | undefined {
  if (!Number.isFinite(price) || price < 0 || price > 1) return undefined;
  // Keep both sides strictly inside (0, 1): the mid moves at most 0.0001 off an extreme print.
  const p = Math.min(Math.max(Math.round(price * 10_000) * 100, 200), 999_800);
  const half = Math.min(SYNTHETIC_HALF_WIDTH, p - 100, 999_900 - p);
  return {
    bid: { price: (p - half) as PriceMicros, size: SYNTHETIC_SIZE },
    ask: { price: (p + half) as PriceMicros, size: SYNTHETIC_SIZE },
  };
}
