import { Observable, type OperatorFunction } from 'rxjs';
import type { AssetId, MarketId } from '../schemas/ids.js';
import type { Trade } from '../schemas/trade.js';
import type { SizeMicros } from '../schemas/units.js';

/**
 * Event-time sliding windows over one asset's trades, several lengths at once. A window of length
 * w at event time `now` holds the accepted trades with `now - w < ts <= now`: a trade at exactly
 * `now - w` has left it. Trades live once in a growable ring of typed arrays (sorted by ts); each
 * window keeps a tail index and running sums, so adding a trade or advancing time is O(windows)
 * amortised. Every sum is an integer (micro-shares, and the notional as a carried pair, see
 * `win`), so eviction by subtraction never drifts and the result does not depend on the
 * order in which time advanced.
 *
 * Lateness: a trade older than the newest event time seen for the asset by more than `graceMs` is
 * late: it changes nothing, is counted in `late` and returned as `false` by `pushTrade` (the
 * operators route it to their `late` option). A trade within the grace period is inserted in ts
 * order.
 */

export const DEFAULT_TRADE_WINDOWS_MS = [60_000, 300_000, 3_600_000, 86_400_000] as const;
export const DEFAULT_GRACE_MS = 5_000;

export interface TradeWindowsOptions {
  /** Window lengths, ms, each > 0 (default 1m, 5m, 1h, 24h). Stats are indexed in this order. */
  readonly windowsMs?: readonly number[];
  /** How far behind the newest ts seen a trade may be and still count (default 5 000). */
  readonly graceMs?: number;
  /** Initial ring capacity, rounded up to a power of two (default 16); the ring doubles when full. */
  readonly initialCapacity?: number;
}

/** One asset's windows. Mutated in place by `pushTrade` / `advanceTradeWindows`; owned by one subscription. */
export interface TradeWindows {
  /** Number of windows. */
  readonly size: number;
  readonly graceMs: number;
  /**
   * Trades, interleaved (`REC` numbers each: ts, price, size, signed size): one allocation per
   * asset instead of one per field, since a cold asset costs a cache miss per array touched.
   * Absolute position p lives at `(p & mask) * REC`.
   */
  ring: Float64Array;
  mask: number;
  /** Retained absolute positions are [start, head). */
  start: number;
  head: number;
  /**
   * Per window, `WIN` numbers: length, tail (absolute position of its oldest trade), notional hi and
   * lo, volume, count, signed volume. Notional in micro-dollars is `hi + lo / 1e6`, both integers,
   * lo kept in [0, 1e6): splitting each trade's price x size this way keeps the sums exact where a
   * single float product (up to 1e18) would not be.
   */
  readonly win: Float64Array;
  /** Newest event time seen (trades or `advanceTradeWindows`), -Infinity before any. */
  maxTs: number;
  /** Trades rejected as late. */
  late: number;
}

const REC = 4;
const R_TS = 0;
const R_PRICE = 1;
const R_SIZE = 2;
const R_SIGNED = 3;
const WIN = 7;
const W_LEN = 0;
const W_TAIL = 1;
const W_NHI = 2;
const W_NLO = 3;
const W_VOL = 4;
const W_CNT = 5;
const W_SVOL = 6;
const LO_UNIT = 1_000_000;

export function createTradeWindows(opts: TradeWindowsOptions = {}): TradeWindows {
  const windows = opts.windowsMs ?? DEFAULT_TRADE_WINDOWS_MS;
  for (const w of windows) {
    if (!(w > 0) || !Number.isFinite(w)) throw new RangeError(`window length must be positive and finite, got ${w}`);
  }
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  if (!(graceMs >= 0)) throw new RangeError(`graceMs must be >= 0, got ${graceMs}`);
  let cap = 1;
  while (cap < (opts.initialCapacity ?? 16)) cap *= 2;
  const win = new Float64Array(windows.length * WIN);
  windows.forEach((w, i) => (win[i * WIN + W_LEN] = w));
  return { size: windows.length, graceMs, ring: new Float64Array(cap * REC), mask: cap - 1, start: 0, head: 0, win, maxTs: -Infinity, late: 0 };
}

function grow(w: TradeWindows): void {
  const cap = (w.mask + 1) * 2;
  const mask = cap - 1;
  const ring = new Float64Array(cap * REC);
  for (let p = w.start; p < w.head; p++) {
    const from = (p & w.mask) * REC;
    ring.set(w.ring.subarray(from, from + REC), (p & mask) * REC);
  }
  w.mask = mask;
  w.ring = ring;
}

/** Adds (sign 1) or removes (sign -1) one trade's contribution to the window at offset o of `win`. */
function accumulate(win: Float64Array, o: number, price: number, size: number, signed: number, sign: number): void {
  const whole = Math.floor(size / LO_UNIT);
  const frac = size - whole * LO_UNIT;
  // price x size / 1e6 micro-dollars = price x whole + (price x frac) / 1e6, each part an exact integer.
  let lo = win[o + W_NLO]! + sign * price * frac;
  const carry = Math.floor(lo / LO_UNIT);
  lo -= carry * LO_UNIT;
  win[o + W_NHI]! += sign * price * whole + carry;
  win[o + W_NLO] = lo;
  win[o + W_VOL]! += sign * size;
  win[o + W_CNT]! += sign;
  win[o + W_SVOL]! += sign * signed;
}

/** Moves event time to `ts` (if later than seen) and evicts what left each window. */
export function advanceTradeWindows(w: TradeWindows, ts: number): void {
  if (ts <= w.maxTs) return;
  w.maxTs = ts;
  const { win, ring, mask, head } = w;
  let start = head;
  for (let o = 0; o < w.size * WIN; o += WIN) {
    const edge = ts - win[o + W_LEN]!;
    let tail = win[o + W_TAIL]!;
    while (tail < head) {
      const r = (tail & mask) * REC;
      if (ring[r + R_TS]! > edge) break;
      accumulate(win, o, ring[r + R_PRICE]!, ring[r + R_SIZE]!, ring[r + R_SIGNED]!, -1);
      tail++;
    }
    win[o + W_TAIL] = tail;
    if (tail < start) start = tail;
  }
  w.start = start;
}

function writeRec(w: TradeWindows, p: number, ts: number, price: number, size: number, signed: number): void {
  const r = (p & w.mask) * REC;
  w.ring[r + R_TS] = ts;
  w.ring[r + R_PRICE] = price;
  w.ring[r + R_SIZE] = size;
  w.ring[r + R_SIGNED] = signed;
}

/**
 * Adds one trade (price in micros, size and signed size in micro-shares). Returns false, counting
 * it in `late`, when the trade is more than `graceMs` older than the newest event time seen.
 */
export function pushTrade(w: TradeWindows, ts: number, price: number, size: number, signed: number): boolean {
  if (ts < w.maxTs - w.graceMs) {
    w.late++;
    return false;
  }
  if (ts >= w.maxTs) {
    if (w.head - w.start > w.mask) grow(w);
    writeRec(w, w.head, ts, price, size, signed);
    w.head++;
    for (let o = 0; o < w.size * WIN; o += WIN) accumulate(w.win, o, price, size, signed, 1);
    advanceTradeWindows(w, ts);
    return true;
  }
  insertWithinGrace(w, ts, price, size, signed);
  return true;
}

/** An out-of-order trade within the grace period: insert it in ts order (after equal ts). */
function insertWithinGrace(w: TradeWindows, ts: number, price: number, size: number, signed: number): void {
  const win = w.win;
  let longest = 0;
  for (let o = 0; o < w.size * WIN; o += WIN) longest = Math.max(longest, win[o + W_LEN]!);
  if (ts <= w.maxTs - longest) return; // accepted, but already outside every window
  if (w.head - w.start > w.mask) grow(w);
  const { ring, mask } = w;
  let p = w.head;
  while (p > w.start && ring[((p - 1) & mask) * REC + R_TS]! > ts) {
    const from = ((p - 1) & mask) * REC;
    ring.copyWithin((p & mask) * REC, from, from + REC);
    p--;
  }
  writeRec(w, p, ts, price, size, signed);
  w.head++;
  for (let o = 0; o < w.size * WIN; o += WIN) {
    // Inside a window the trade lands at or after its tail; outside it, before it (shifting the tail).
    if (ts > w.maxTs - win[o + W_LEN]!) accumulate(win, o, price, size, signed, 1);
    else win[o + W_TAIL]!++;
  }
}

/** Length of window i, ms. */
export const windowLength = (w: TradeWindows, i: number): number => w.win[i * WIN + W_LEN] ?? NaN;
/** Trades in window i. */
export const windowCount = (w: TradeWindows, i: number): number => w.win[i * WIN + W_CNT] ?? NaN;
/** Volume in window i, micro-shares. */
export const windowVolume = (w: TradeWindows, i: number): number => w.win[i * WIN + W_VOL] ?? NaN;
/** Buy minus sell volume in window i, micro-shares. */
export const windowSignedVolume = (w: TradeWindows, i: number): number => w.win[i * WIN + W_SVOL] ?? NaN;
/** Notional in window i, micro-dollars (exact up to the final float division). */
export const windowNotional = (w: TradeWindows, i: number): number =>
  (w.win[i * WIN + W_NHI] ?? NaN) + (w.win[i * WIN + W_NLO] ?? NaN) / LO_UNIT;
/** Notional in window i as exact integer parts: micro-dollars x 1e6 = hi x 1e6 + lo. For reconciliation. */
export const windowNotionalParts = (w: TradeWindows, i: number): { readonly hi: number; readonly lo: number } => ({
  hi: w.win[i * WIN + W_NHI] ?? NaN,
  lo: w.win[i * WIN + W_NLO] ?? NaN,
});
/** Volume-weighted average price in window i as a fraction of 1; NaN when the window is empty. */
export function windowVwap(w: TradeWindows, i: number): number {
  const volume = w.win[i * WIN + W_VOL] ?? 0;
  return volume > 0 ? windowNotional(w, i) / volume : NaN;
}

// ---------------------------------------------------------------------------------------------
// Many assets, and the RxJS operator.

export interface WindowStats {
  readonly windowMs: number;
  readonly count: number;
  readonly volume: SizeMicros;
  /** Buy minus sell volume, micro-shares. */
  readonly signedVolume: number;
  /** Micro-dollars. */
  readonly notional: number;
  /** Fraction of 1; NaN when the window holds no trade. */
  readonly vwap: number;
}

/** What `rollingWindows` emits after each accepted trade. */
export interface TradeWindowStats {
  readonly assetId: AssetId;
  readonly market: MarketId;
  /** The asset's event time after the trade (the trade's ts, or later for a trade within grace). */
  readonly ts: number;
  readonly tradeId: string;
  /** One entry per configured window, in the order of `windowsMs`. */
  readonly windows: readonly WindowStats[];
}

export interface RollingWindowsOptions extends TradeWindowsOptions {
  /** Receives each late trade (the side output); they are counted either way. */
  readonly late?: (trade: Trade) => void;
}

export interface RollingWindowsState {
  readonly assets: Map<AssetId, TradeWindows>;
  /** Late trades over all assets. */
  late: number;
  readonly windows: TradeWindowsOptions;
}

export function initialRollingWindowsState(opts: TradeWindowsOptions = {}): RollingWindowsState {
  const windows: TradeWindowsOptions = {
    windowsMs: [...(opts.windowsMs ?? DEFAULT_TRADE_WINDOWS_MS)],
    graceMs: opts.graceMs ?? DEFAULT_GRACE_MS,
    initialCapacity: opts.initialCapacity ?? 16,
  };
  createTradeWindows(windows); // validates once, up front
  return { assets: new Map(), late: 0, windows };
}

/** Applies one trade (state mutated in place); undefined when the trade was late. */
export function rollingWindowsStep(state: RollingWindowsState, trade: Trade): TradeWindowStats | undefined {
  let w = state.assets.get(trade.assetId);
  if (w === undefined) {
    w = createTradeWindows(state.windows);
    state.assets.set(trade.assetId, w);
  }
  const signed = trade.side === 'BUY' ? trade.size : -trade.size;
  if (!pushTrade(w, trade.ts, trade.price, trade.size, signed)) {
    state.late++;
    return undefined;
  }
  const windows: WindowStats[] = [];
  for (let i = 0; i < w.size; i++) {
    windows.push({
      windowMs: windowLength(w, i),
      count: windowCount(w, i),
      volume: windowVolume(w, i) as SizeMicros,
      signedVolume: windowSignedVolume(w, i),
      notional: windowNotional(w, i),
      vwap: windowVwap(w, i),
    });
  }
  return { assetId: trade.assetId, market: trade.market, ts: w.maxTs, tradeId: trade.id, windows };
}

/**
 * Per-asset sliding-window trade stats, one emission per accepted trade; late trades go to `late`.
 *
 * @example
 * trades$.pipe(rollingWindows({ windowsMs: [60_000, 300_000], late: (t) => late$.next(t) }))
 */
export function rollingWindows(opts: RollingWindowsOptions = {}): OperatorFunction<Trade, TradeWindowStats> {
  return (source) =>
    new Observable<TradeWindowStats>((subscriber) => {
      const state = initialRollingWindowsState(opts);
      const onLate = opts.late;
      return source.subscribe({
        next(trade) {
          let out: TradeWindowStats | undefined;
          try {
            out = rollingWindowsStep(state, trade);
          } catch (err: unknown) {
            subscriber.error(err);
            return;
          }
          if (out !== undefined) subscriber.next(out);
          else onLate?.(trade);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
