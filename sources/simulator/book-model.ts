/**
 * One market's order book, kept as the YES book; the NO book is its mirror (a YES bid at p for s
 * shares is a NO ask at 1 - p for s), so the two stay consistent by construction. Prices are
 * integer mills (0.001), sizes integer centi-shares; the wire layer formats them.
 */
import { DEPTH_BY_LEVEL, LEVEL_GAP_PMF, SPREAD_TICKS_PMF } from './calibration.js';
import type { Prng } from './prng.js';

export const MILLS = 1000;
export type Side = 'BUY' | 'SELL';

/** A level change of the YES book: the new aggregate size at `price` (0 removes it). */
export interface LevelChange {
  readonly side: Side;
  readonly price: number;
  readonly size: number;
}

const MIN_ORDER_CENTI = 500;

/** Size in centi-shares for a level `level` (0 = top) from the calibrated depth quantiles. */
export function drawLevelSize(level: number, rng: Prng): number {
  const q = DEPTH_BY_LEVEL[Math.min(level, DEPTH_BY_LEVEL.length - 1)] as readonly [number, number, number];
  const sigma = Math.log(q[2] / q[0]) / 1.349;
  const shares = rng.lognormal(q[1], sigma);
  // Most resting sizes are whole shares; some carry cents.
  const centi = rng.chance(0.7) ? Math.round(shares) * 100 : Math.round(shares * 100);
  return Math.max(MIN_ORDER_CENTI, Math.min(centi, 5_000_000_000));
}

/** Spread in ticks from the calibrated distribution (1..5 exact, then 6..10 and 11..30 uniform). */
export function drawSpreadTicks(rng: Prng): number {
  const i = rng.weighted(SPREAD_TICKS_PMF);
  if (i < 5) return i + 1;
  return i === 5 ? rng.int(6, 11) : rng.int(11, 31);
}

export function drawLevelGap(rng: Prng): number {
  return rng.weighted(LEVEL_GAP_PMF) + 1;
}

export class YesBook {
  readonly bids = new Float64Array(MILLS + 1);
  readonly asks = new Float64Array(MILLS + 1);
  /** Best bid in mills; 0 when the side is empty. */
  bestBid = 0;
  /** Best ask in mills; MILLS when the side is empty. */
  bestAsk = MILLS;
  bidLevels = 0;
  askLevels = 0;

  constructor(public tick: number) {}

  set(side: Side, price: number, size: number): void {
    if (side === 'BUY') {
      const had = (this.bids[price] as number) > 0;
      this.bids[price] = size;
      if (size > 0) {
        if (!had) this.bidLevels++;
        if (price > this.bestBid) this.bestBid = price;
      } else if (had) {
        this.bidLevels--;
        if (price === this.bestBid) {
          let p = price - 1;
          while (p > 0 && (this.bids[p] as number) === 0) p--;
          this.bestBid = p;
        }
      }
    } else {
      const had = (this.asks[price] as number) > 0;
      this.asks[price] = size;
      if (size > 0) {
        if (!had) this.askLevels++;
        if (price < this.bestAsk) this.bestAsk = price;
      } else if (had) {
        this.askLevels--;
        if (price === this.bestAsk) {
          let p = price + 1;
          while (p < MILLS && (this.asks[p] as number) === 0) p++;
          this.bestAsk = p;
        }
      }
    }
  }

  size(side: Side, price: number): number {
    return (side === 'BUY' ? this.bids[price] : this.asks[price]) as number;
  }

  clear(): void {
    this.bids.fill(0);
    this.asks.fill(0);
    this.bestBid = 0;
    this.bestAsk = MILLS;
    this.bidLevels = 0;
    this.askLevels = 0;
  }

  /** Prices of the `side` levels from the best outward. */
  levels(side: Side): number[] {
    const out: number[] = [];
    if (side === 'BUY') {
      for (let p = this.bestBid; p > 0; p--) if ((this.bids[p] as number) > 0) out.push(p);
    } else {
      for (let p = this.bestAsk; p < MILLS; p++) if ((this.asks[p] as number) > 0) out.push(p);
    }
    return out;
  }

  /** Replaces the book with `levels` per side around a mid (mills), spread `spread` ticks. */
  rebuild(midMills: number, spread: number, levels: number, rng: Prng): void {
    this.clear();
    const tick = this.tick;
    let bid = Math.floor((midMills - (spread * tick) / 2) / tick) * tick;
    bid = Math.min(Math.max(bid, tick), MILLS - 2 * tick);
    const ask = Math.min(bid + spread * tick, MILLS - tick);
    let p = bid;
    for (let i = 0; i < levels && p >= tick; i++) {
      this.set('BUY', p, drawLevelSize(i, rng));
      p -= drawLevelGap(rng) * tick;
    }
    p = ask;
    for (let i = 0; i < levels && p <= MILLS - tick; i++) {
      this.set('SELL', p, drawLevelSize(i, rng));
      p += drawLevelGap(rng) * tick;
    }
  }
}
