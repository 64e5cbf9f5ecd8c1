// The kernel of `arbitrage`: how many share sets a group of books can be traded for at a profit.
import type { BookSide } from '../schemas/book-update.js';
import { MICROS, type PriceMicros, type SizeMicros, type UsdMicros } from '../schemas/units.js';
import type { BookView } from './book-view.js';

/** One leg: a token's book and the taker fee rate of its market. */
export interface ArbitrageLeg {
  readonly book: BookView;
  readonly feeRate: number;
}

export interface SetSizing {
  /** Share sets that stay profitable, walking every leg's levels together. */
  readonly size: SizeMicros;
  /** Profit of those sets after fees, micro-dollars (rounded down). */
  readonly profit: UsdMicros;
  /** profit / size: average profit per set, fraction of $1. */
  readonly edge: number;
  /** Profit per set at the best prices, fraction of $1. */
  readonly topEdge: number;
  readonly prices: readonly PriceMicros[];
  readonly limitPrices: readonly PriceMicros[];
}

/**
 * Sizes a set of legs traded together, one share of each per set:
 * - `buy` takes every leg's asks; a set pays $1, so the profit per set is 1 − Σ ask − Σ fee(ask);
 * - `sell` hits every leg's bids of a set minted for $1 (split, or a neg-risk conversion), so the
 *   profit is Σ bid − Σ fee(bid) − 1.
 * Taker fee per share on each leg: rate · p · (1 − p) (operators/taker-fee.ts). Levels are walked
 * together, the smallest remaining level bounding each step, while the profit per set at the
 * current prices stays above `minEdge`. Prices are summed in integer micro-dollars so that two
 * asks adding to exactly $1 with no fee are never "profitable" by float noise.
 * Undefined when a leg's side is empty or the best prices are not profitable.
 */
export function sizeSet(legs: readonly ArbitrageLeg[], action: 'buy' | 'sell', minEdge: number, maxLevels: number): SetSizing | undefined {
  if (legs.length < 2) return undefined;
  const side: BookSide = action === 'buy' ? 'ask' : 'bid';
  // Most books are priced fairly: decide on the best prices before collecting any level.
  let topPrice = 0;
  let topFee = 0;
  for (const leg of legs) {
    const p = action === 'buy' ? leg.book.bestAsk() : leg.book.bestBid();
    if (p <= 0) return undefined;
    topPrice += p;
    topFee += (leg.feeRate * p * (MICROS - p)) / MICROS;
  }
  if (!((action === 'buy' ? MICROS - topPrice : topPrice - MICROS) - topFee > minEdge * MICROS)) return undefined;
  const levels = legs.map((leg) => collectLevels(leg.book, side, maxLevels));
  if (levels.some((l) => l.length === 0)) return undefined;
  const index = legs.map(() => 0);
  const remaining: number[] = levels.map((l) => l[0]!.size);
  const threshold = minEdge * MICROS;
  let size = 0;
  let profit = 0;
  let topEdge = Number.NaN;
  for (;;) {
    let sumPrice = 0;
    let sumFee = 0;
    for (let i = 0; i < legs.length; i++) {
      const p = levels[i]![index[i]!]!.price;
      sumPrice += p;
      sumFee += (legs[i]!.feeRate * p * (MICROS - p)) / MICROS;
    }
    // Per set, in micro-dollars.
    const unit = (action === 'buy' ? MICROS - sumPrice : sumPrice - MICROS) - sumFee;
    if (Number.isNaN(topEdge)) topEdge = unit / MICROS;
    if (!(unit > threshold)) break;
    let q = Number.POSITIVE_INFINITY;
    for (const r of remaining) q = Math.min(q, r);
    size += q;
    profit += (unit * q) / MICROS;
    let exhausted = false;
    for (let i = 0; i < legs.length; i++) {
      remaining[i] = remaining[i]! - q;
      if (remaining[i] === 0) {
        index[i] = index[i]! + 1;
        const next = levels[i]![index[i]!];
        if (next === undefined) exhausted = true;
        else remaining[i] = next.size;
      }
    }
    if (exhausted) break;
  }
  if (size === 0) return undefined;
  const profitMicros = Math.floor(profit);
  return {
    size: size as SizeMicros,
    profit: profitMicros as UsdMicros,
    edge: profit / size,
    topEdge,
    prices: levels.map((l) => l[0]!.price),
    // The deepest level a leg was taken at: where its remaining size was cut, or the one before when a level was used up exactly.
    limitPrices: levels.map((l, i) => {
      const used = remaining[i] === l[index[i]!]?.size ? index[i]! - 1 : index[i]!;
      return l[Math.max(0, Math.min(used, l.length - 1))]!.price;
    }),
  };
}

interface Level {
  readonly price: PriceMicros;
  readonly size: SizeMicros;
}

function collectLevels(book: BookView, side: BookSide, maxLevels: number): Level[] {
  const out: Level[] = [];
  book.forEachLevel(side, (price, size) => {
    out.push({ price, size });
    return out.length < maxLevels;
  });
  return out;
}
