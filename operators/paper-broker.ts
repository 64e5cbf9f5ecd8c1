import type { OperatorFunction } from 'rxjs';
import { stepOperator } from './step-operator.js';
import type { StateSlot } from '../runtime/state-registry.js';
import type { L2Book } from './l2-book.js';
import { reviveBook } from './order-book.js';
import type { BookSide, Level } from '../schemas/book-update.js';
import type { Fill } from '../schemas/fill.js';
import type { AssetId, MarketId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { Order } from '../schemas/order.js';
import type { Direction } from '../schemas/signal.js';
import { MICROS, type PriceMicros, type SizeMicros, type UsdMicros } from '../schemas/units.js';
import type { BookChange, BookView } from './book-view.js';
import { takerFeeMicros, takerFeeRate, type TakerFeeOptions } from './taker-fee.js';

/**
 * Simulated taker execution: an order walks the current L2 book from the best level while the
 * price stays within its limit, pays the taker fee, and becomes one `Fill` (or nothing).
 */

export type PaperBrokerInput =
  | { readonly kind: 'order'; readonly order: Order }
  | { readonly kind: 'book'; readonly change: BookChange }
  | { readonly kind: 'meta'; readonly meta: MarketMeta };

export interface PaperBrokerOptions extends TakerFeeOptions {
  /**
   * Event-time delay between an order and its match, ms. Default 0: the order fills on the current
   * book at once. With latency L > 0 an order waits for the first ready book change of its asset
   * with `ts >= order.ts + L` and fills against the book after that change.
   */
  readonly latencyMs?: number;
  /** Orders waiting for latency or for a first book, over all assets. Default 10_000; a new order past it is dropped ('pending_overflow'). */
  readonly maxPendingOrders?: number;
  /** Assets whose latest book and consumed liquidity are kept (the longest-held evicted first). Default 50_000. */
  readonly maxAssets?: number;
  /** Markets whose category is kept for the fee rate (oldest evicted). Default 50_000. */
  readonly maxMarkets?: number;
  /**
   * Called for every order that produces no fill, for metrics. An order with nothing within its
   * limit emits no `Fill` (a zero-size fill would be a non-event on `fill.v1` and a no-op
   * snapshot in the portfolio); it is counted here and in `PaperBrokerState.stats`.
   */
  readonly onNoFill?: (order: Order, reason: NoFillReason) => void;
}

/** `no_liquidity`: nothing within the limit (or that side empty); `invalid_order`: size or limit not positive. */
export type NoFillReason = 'no_liquidity' | 'invalid_order' | 'pending_overflow';

export const PAPER_BROKER_DEFAULTS = {
  latencyMs: 0,
  maxPendingOrders: 10_000,
  maxAssets: 50_000,
  maxMarkets: 50_000,
} as const;

/** The result of walking one side of a book for a taker buy. */
export interface BookWalk {
  /** Book side walked: asks for YES, bids for NO. */
  readonly side: BookSide;
  readonly filled: SizeMicros;
  /** VWAP of the bought side over the levels taken, rounded half up to a micro; 0 when nothing filled. */
  readonly price: PriceMicros;
  readonly unfilled: SizeMicros;
  /** Levels taken, at book prices of `side` (a NO leg at bid b bought NO at 1e6 - b), best first. */
  readonly legs: readonly Level[];
}

/**
 * Walks `book` for a buy of `size` on `direction`, from the best level outward while the bought
 * side's price is <= `limitPrice`. YES takes asks upward; NO takes this token's bids downward, a bid
 * at b selling NO at 1e6 - b. `consumed` (book price -> size) is liquidity our own earlier fills
 * already took from the walked side; it is subtracted from each level.
 *
 * @example
 * const w = walkBook(book, 'YES', 520_000 as PriceMicros, 150_000_000 as SizeMicros);
 * // asks 500k x 100 shares, 520k x 100 shares -> filled 150 shares, price 506_667
 */
export function walkBook(
  book: BookView,
  direction: Direction,
  limitPrice: PriceMicros,
  size: SizeMicros,
  consumed?: ReadonlyMap<PriceMicros, SizeMicros>,
): BookWalk {
  const side: BookSide = direction === 'YES' ? 'ask' : 'bid';
  const legs: Level[] = [];
  let remaining: number = size;
  // price x size reaches 1e19 for large orders: past 2^53, so the notional is summed exactly.
  let notional = 0n;
  if (size > 0) {
    book.forEachLevel(side, (price, levelSize) => {
      const bought = direction === 'YES' ? price : MICROS - price;
      if (bought > limitPrice) return false;
      const available = levelSize - (consumed?.get(price) ?? 0);
      if (available <= 0) return true;
      const take = Math.min(available, remaining);
      legs.push({ price, size: take as SizeMicros });
      notional += BigInt(bought) * BigInt(take);
      remaining -= take;
      return remaining > 0;
    });
  }
  const filled = Math.max(0, size - remaining);
  const price = filled > 0 ? Number((2n * notional + BigInt(filled)) / (2n * BigInt(filled))) : 0;
  return {
    side,
    filled: filled as SizeMicros,
    price: price as PriceMicros,
    unfilled: (size > 0 ? remaining : 0) as SizeMicros,
    legs,
  };
}

/** Our own fills' take per level of one asset, until the feed next states that level. */
interface Consumed {
  readonly bid: Map<PriceMicros, SizeMicros>;
  readonly ask: Map<PriceMicros, SizeMicros>;
}

export interface PaperBrokerStats {
  filled: number;
  partial: number;
  noLiquidity: number;
  invalid: number;
  overflow: number;
}

/** Per-subscription state; mutated in place by `paperBrokerStep`. */
export interface PaperBrokerState {
  /** Latest view per asset, most recently updated last. */
  readonly books: Map<AssetId, BookView>;
  readonly consumed: Map<AssetId, Consumed>;
  readonly categories: Map<MarketId, string>;
  /** Orders waiting, per asset, in arrival order. */
  readonly pending: Map<AssetId, Order[]>;
  pendingCount: number;
  readonly stats: PaperBrokerStats;
}

export const initialPaperBrokerState = (): PaperBrokerState => ({
  books: new Map(),
  consumed: new Map(),
  categories: new Map(),
  pending: new Map(),
  pendingCount: 0,
  stats: { filled: 0, partial: 0, noLiquidity: 0, invalid: 0, overflow: 0 },
});

/**
 * Consumed-liquidity rule: a fill's legs are remembered per (asset, side, price) and subtracted
 * from later walks, until the feed next speaks about that level: a delta touching (side, price)
 * forgets it, a snapshot or tick-size change forgets the whole asset. Updates the book ignored
 * (`awaiting_snapshot`, `invalid`) forget nothing. Our paper orders never reach the venue, so the
 * feed's next word on a level is the best estimate of what is left there.
 */
function forgetConsumed(state: PaperBrokerState, change: BookChange): void {
  const { update, status } = change;
  if (status === 'awaiting_snapshot' || status === 'invalid') return;
  const consumed = state.consumed.get(update.assetId);
  if (consumed === undefined) return;
  if (update.kind === 'delta') {
    for (const c of update.changes) consumed[c.side].delete(c.price);
  } else {
    state.consumed.delete(update.assetId);
  }
}

function execute(state: PaperBrokerState, order: Order, book: BookView, ts: number, opts: PaperBrokerOptions): Fill | undefined {
  let consumed = state.consumed.get(order.assetId);
  const side: BookSide = order.direction === 'YES' ? 'ask' : 'bid';
  const walk = walkBook(book, order.direction, order.limitPrice, order.size, consumed?.[side]);
  if (walk.filled <= 0) {
    state.stats.noLiquidity++;
    opts.onNoFill?.(order, 'no_liquidity');
    return undefined;
  }
  if (consumed === undefined) {
    consumed = { bid: new Map(), ask: new Map() };
    state.consumed.set(order.assetId, consumed);
  }
  const rate = takerFeeRate(opts, state.categories.get(order.market) ?? '');
  let fee = 0;
  for (const leg of walk.legs) {
    const taken = consumed[side];
    taken.set(leg.price, ((taken.get(leg.price) ?? 0) + leg.size) as SizeMicros);
    // Each level is a separate match at its own price, and the venue charges the fee per match.
    fee += takerFeeMicros(rate, (side === 'ask' ? leg.price : MICROS - leg.price) as PriceMicros, leg.size);
  }
  if (walk.unfilled > 0) state.stats.partial++;
  else state.stats.filled++;
  return {
    id: `fill:${order.id}`,
    orderId: order.id,
    assetId: order.assetId,
    market: order.market,
    ts,
    direction: order.direction,
    price: walk.price,
    size: walk.filled,
    fee: fee as UsdMicros,
    unfilled: walk.unfilled,
  };
}

function touch<K, V>(map: Map<K, V>, key: K, value: V, max: number, onEvict?: (key: K) => void): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) {
    const oldest = map.keys().next();
    if (oldest.done === true) break;
    map.delete(oldest.value);
    onEvict?.(oldest.value);
  }
}

/** The pure step: applies one input to `state` and returns the fills it causes, in order. */
export function paperBrokerStep(state: PaperBrokerState, input: PaperBrokerInput, opts: PaperBrokerOptions): Fill[] {
  const latencyMs = opts.latencyMs ?? PAPER_BROKER_DEFAULTS.latencyMs;
  switch (input.kind) {
    case 'meta': {
      touch(state.categories, input.meta.market, input.meta.category, opts.maxMarkets ?? PAPER_BROKER_DEFAULTS.maxMarkets);
      return [];
    }
    case 'order': {
      const { order } = input;
      if (!(order.size > 0) || !(order.limitPrice > 0)) {
        state.stats.invalid++;
        opts.onNoFill?.(order, 'invalid_order');
        return [];
      }
      const book = state.books.get(order.assetId);
      const due = order.ts + latencyMs;
      // With latency, a book already past the due time is the nearest state we have to it.
      if (book?.ready === true && (latencyMs <= 0 || book.lastUpdateTs >= due)) {
        const fill = execute(state, order, book, due, opts);
        return fill === undefined ? [] : [fill];
      }
      if (state.pendingCount >= (opts.maxPendingOrders ?? PAPER_BROKER_DEFAULTS.maxPendingOrders)) {
        state.stats.overflow++;
        opts.onNoFill?.(order, 'pending_overflow');
        return [];
      }
      const queue = state.pending.get(order.assetId);
      if (queue === undefined) state.pending.set(order.assetId, [order]);
      else queue.push(order);
      state.pendingCount++;
      return [];
    }
    case 'book': {
      const { change } = input;
      const id = change.update.assetId;
      forgetConsumed(state, change);
      // The view of an asset is the same book object update after update: store it only when it
      // is new (first sight, or the order book re-created it), so a book change costs one lookup.
      if (state.books.get(id) !== change.book) {
        touch(state.books, id, change.book, opts.maxAssets ?? PAPER_BROKER_DEFAULTS.maxAssets, (evicted) => {
          state.consumed.delete(evicted);
        });
      }
      const queue = state.pending.get(id);
      if (queue === undefined || !change.book.ready) return [];
      const ts = change.update.ts;
      const fills: Fill[] = [];
      const waiting: Order[] = [];
      for (const order of queue) {
        if (order.ts + latencyMs > ts) {
          waiting.push(order);
          continue;
        }
        const fill = execute(state, order, change.book, ts, opts);
        if (fill !== undefined) fills.push(fill);
      }
      state.pendingCount -= queue.length - waiting.length;
      if (waiting.length === 0) state.pending.delete(id);
      else state.pending.set(id, waiting);
      return fills;
    }
  }
}

/**
 * Paper broker: merges orders, book changes (from `orderBook`) and market meta into fills.
 * Fill ids are `fill:${order.id}`; a fill's `ts` is `order.ts + latencyMs` when it fills at once,
 * else the `ts` of the book change that released it.
 *
 * The latest `BookView` per asset is kept between notifications. That is sound because the views
 * come from an upstream `orderBook` whose every change passes through this operator, so a kept view
 * shows exactly the state after the last change seen here; it is only read synchronously.
 *
 * @example
 * merge(
 *   orders$.pipe(map((order) => ({ kind: 'order', order }) as const)),
 *   changes$.pipe(map((change) => ({ kind: 'book', change }) as const)),
 * ).pipe(paperBroker({ takerFeeRates: { crypto: 0.072 }, defaultTakerFeeRate: 0.04, latencyMs: 250 }));
 */
export function paperBroker(opts: PaperBrokerOptions, slot?: StateSlot): OperatorFunction<PaperBrokerInput, Fill> {
  return stepOperator(initialPaperBrokerState, (state, input: PaperBrokerInput) => paperBrokerStep(state, input, opts), {
    slot,
    revive: (state) => {
      for (const view of state.books.values()) reviveBook(view as L2Book);
      return state;
    },
  });
}
