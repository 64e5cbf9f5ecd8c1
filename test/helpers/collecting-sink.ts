import type { BookUpdate } from '../../schemas/book-update.js';
import type { DeadLetter } from '../../schemas/dead-letter.js';
import type { Resolution } from '../../schemas/resolution.js';
import type { Trade } from '../../schemas/trade.js';
import type { IgnoredEventType, MarketFrameSink } from '../../sources/polymarket/market-channel.js';

/** A market-frame sink that keeps everything it is handed, for parser tests. */
export interface CollectingSink extends MarketFrameSink {
  books: BookUpdate[];
  trades: Trade[];
  resolutions: Resolution[];
  dead: DeadLetter[];
  ignoredTypes: IgnoredEventType[];
}

export function collectingSink(): CollectingSink {
  const c: CollectingSink = {
    books: [],
    trades: [],
    resolutions: [],
    dead: [],
    ignoredTypes: [],
    book: (u) => c.books.push(u),
    trade: (t) => c.trades.push(t),
    resolution: (r) => c.resolutions.push(r),
    deadLetter: (d) => c.dead.push(d),
    ignored: (t) => c.ignoredTypes.push(t),
  };
  return c;
}
