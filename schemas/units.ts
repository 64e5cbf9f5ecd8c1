/**
 * Fixed-point units. Polymarket sends prices and sizes as decimal strings; both are parsed once, at
 * the edge, into integers of 1e-6 (collateral and conditional tokens have 6 decimals on chain), so
 * no float drift reaches a book, an order or a position. Probabilities and features stay floats.
 */
declare const unit: unique symbol;

/** A price in micro-dollars per share: 0.514 -> 514_000. */
export type PriceMicros = number & { readonly [unit]: 'PriceMicros' };
/** A quantity of shares in micro-shares: 21574.08 -> 21_574_080_000. */
export type SizeMicros = number & { readonly [unit]: 'SizeMicros' };
/** An amount of collateral (pUSD) in micro-dollars. */
export type UsdMicros = number & { readonly [unit]: 'UsdMicros' };

export const MICROS = 1_000_000;
export const ONE_DOLLAR = MICROS as PriceMicros;

/**
 * Parses a non-negative decimal string ("0.514", "21574.08", "10500100", ".5") into integer
 * micro-units exactly, by digits, never through a float. Returns NaN for anything else: an empty
 * string, a sign, an exponent, more than 6 decimals, or a value past 2^53.
 */
export function parseMicros(text: string): number {
  const len = text.length;
  if (len === 0 || len > 24) return NaN;
  let whole = 0;
  let frac = 0;
  let fracDigits = -1;
  let digits = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c >= 0 && c <= 9) {
      digits++;
      if (fracDigits < 0) whole = whole * 10 + c;
      else if (fracDigits < 6) {
        frac = frac * 10 + c;
        fracDigits++;
      } else if (c !== 0) return NaN; // a 7th significant decimal cannot be held exactly
    } else if (c === -2 && fracDigits < 0) fracDigits = 0; // '.'
    else return NaN;
  }
  if (digits === 0) return NaN;
  if (fracDigits < 0) fracDigits = 0;
  for (let k = fracDigits; k < 6; k++) frac *= 10;
  const value = whole * MICROS + frac;
  return Number.isSafeInteger(value) ? value : NaN;
}

/** Formats integer micro-units back to the shortest exact decimal string. */
export function formatMicros(value: number): string {
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(value);
  const whole = Math.floor(abs / MICROS);
  const frac = abs - whole * MICROS;
  if (frac === 0) return `${sign}${whole}`;
  return `${sign}${whole}.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
}

/** Micro-units to a float, for features and reports only. */
export const toFloat = (micros: number): number => micros / MICROS;

/** Notional of `size` shares at `price`, in micro-dollars, rounded half up. */
export const notionalMicros = (price: PriceMicros, size: SizeMicros): UsdMicros =>
  Math.round((price * size) / MICROS) as UsdMicros;
