import { MICROS, type PriceMicros, type SizeMicros, type UsdMicros } from '../schemas/units.js';

/**
 * Polymarket V2 taker fee, set by the operator at match time: fee = C × feeRate × p × (1 − p) for C
 * shares at price p, rounded to 5 decimals of a dollar (POLYMARKET.md §0 item 9, B.5 "Fees").
 * Makers pay nothing. p(1 − p) is symmetric, so buying NO at 1 − p costs the same fee per share.
 */
export interface TakerFeeOptions {
  /** Fee rate per market category (lower-case category name). */
  readonly takerFeeRates: Readonly<Record<string, number>>;
  /** Rate for a category not listed. */
  readonly defaultTakerFeeRate: number;
}

export function takerFeeRate(opts: TakerFeeOptions, category: string): number {
  return opts.takerFeeRates[category.toLowerCase()] ?? opts.defaultTakerFeeRate;
}

/** Fee per share as a fraction of 1 dollar, for edge arithmetic on probabilities. */
export const takerFeePerShare = (rate: number, p: number): number => rate * p * (1 - p);

/** Fee in micro-dollars for `size` shares filled at `price`: rounded to 1e-5 dollars, minimum 1e-5 when positive. */
export function takerFeeMicros(rate: number, price: PriceMicros, size: SizeMicros): UsdMicros {
  if (rate <= 0 || size <= 0) return 0 as UsdMicros;
  const p = price / MICROS;
  const dollars = (size / MICROS) * rate * p * (1 - p);
  const tenMicros = Math.max(1, Math.round(dollars * 100_000));
  return (tenMicros * 10) as UsdMicros;
}
