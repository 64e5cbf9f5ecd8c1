import { MICROS, type PriceMicros, type SizeMicros, type UsdMicros } from '../schemas/units.js';

/**
 * Kelly sizing for a binary contract: a share bought at all-in cost c (price + taker fee) pays $1
 * with probability p, else 0. Staking a fraction f of wealth, the expected log-growth is
 *   G(f) = p·ln(1 + f·(1 − c)/c) + (1 − p)·ln(1 − f),
 * maximised at f* = (p − c) / (1 − c).
 */

/** Full-Kelly fraction of wealth, f* = (p − c) / (1 − c), clamped to [0, 1]; 0 when p <= c or c >= 1. */
export function kellyFraction(p: number, cost: number): number {
  if (!(p > cost) || !(cost < 1)) return 0; // also catches NaN
  const f = (p - cost) / (1 - cost);
  return Math.min(1, Math.max(0, f));
}

/** Expected log-growth of wealth when staking `f` on a contract bought at `cost` with win probability `p`. */
export function kellyLogGrowth(p: number, cost: number, f: number): number {
  return p * Math.log1p((f * (1 - cost)) / cost) + (1 - p) * Math.log1p(-f);
}

export interface KellyStakeInput {
  /** Probability that the bought side pays $1. */
  readonly probability: number;
  /** Price of the bought side. */
  readonly price: PriceMicros;
  /** Taker fee per share as a fraction of $1 (`takerFeePerShare`). */
  readonly feePerShare: number;
  /** Current equity; nothing is staked when it is not positive. */
  readonly equity: UsdMicros;
  /** Kelly multiplier, e.g. 0.25 for quarter Kelly. */
  readonly fraction: number;
  /** Largest stake for one order (may be Infinity). */
  readonly maxStake: number;
}

export interface KellyStake {
  /** Full-Kelly fraction f* at the all-in cost (before `fraction` and caps). */
  readonly kellyFraction: number;
  /** All-in cost per share, as a fraction of $1: price + fee. */
  readonly cost: number;
  /** floor(min(fraction · f* · equity, maxStake)), in micro-dollars. */
  readonly stake: UsdMicros;
  /** Shares the stake buys at the all-in cost, floored to whole micro-shares: size · cost <= stake. */
  readonly size: SizeMicros;
}

/** Micro-shares that `stake` micro-dollars buy at `cost` dollars a share (all-in), floored. */
export function sizeForStake(stake: number, cost: number): SizeMicros {
  if (!(stake > 0) || !(cost > 0)) return 0 as SizeMicros;
  return Math.floor(stake / cost) as SizeMicros;
}

/**
 * Fractional-Kelly stake on current equity, capped at `maxStake`, and the shares it buys.
 *
 * @example
 * // p = 0.7 at $0.50 with no fee: f* = 0.4; quarter Kelly on $1000 stakes $100 for 200 shares.
 * kellyStake({ probability: 0.7, price: 500_000, feePerShare: 0, equity: 1e9, fraction: 0.25, maxStake: Infinity })
 */
export function kellyStake(input: KellyStakeInput): KellyStake {
  const cost = input.price / MICROS + input.feePerShare;
  const f = kellyFraction(input.probability, cost);
  const fraction = input.fraction > 0 ? input.fraction : 0;
  const equity = input.equity > 0 ? input.equity : 0;
  const raw = Math.min(fraction * f * equity, input.maxStake);
  const stake = (raw > 0 ? Math.floor(raw) : 0) as UsdMicros;
  return { kellyFraction: f, cost, stake, size: sizeForStake(stake, cost) };
}
