import { Observable, type OperatorFunction } from 'rxjs';
import type { StateSlot } from '../runtime/state-registry.js';
import { FEATURE_CATEGORIES, FEATURE_INDEX, FEATURE_NAMES, FEATURE_SPEC } from '../schemas/feature-spec.js';
import type { FeatureVector } from '../schemas/feature-vector.js';
import type { AssetId, MarketId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { Trade } from '../schemas/trade.js';
import type { PriceMicros, SizeMicros } from '../schemas/units.js';
import type { BookChange } from './book-view.js';
import { advanceMidHistory, createMidHistory, midMomentum, midRealizedVol, recordMid, type MidHistory } from './mid-history.js';
import {
  DEFAULT_GRACE_MS,
  DEFAULT_TRADE_WINDOWS_MS,
  advanceTradeWindows,
  createTradeWindows,
  pushTrade,
  windowCount,
  windowVolume,
  windowVwap,
  type TradeWindows,
} from './rolling-window.js';

/**
 * The feature vector of `FEATURE_SPEC` per asset, after every applied book change and every
 * accepted trade. One `Map` of per-asset state (PERF.md: no groupBy), event time only.
 *
 * Definitions beyond the spec's names:
 * - The asset's event time is the newest ts seen for it (applied book changes and accepted trades);
 *   a vector is stamped with it, and every value uses only inputs at or before it.
 * - Book values come from the last applied change whose book was `ready`; before one, they are NaN.
 *   An empty side has depth 0 (a real quantity), while mid, spread and microprice need both sides
 *   and imbalances need some depth, else NaN.
 * - Windows hold (now - w, now]. vwap_dev = vwap - mid (NaN with no trade in the window or no mid);
 *   volume_log = ln(1 + shares) and trade_count are 0 for an empty window.
 * - signed_flow_ewma: exponentially decayed sum of taker-signed shares (buys +, sells -),
 *   weight 2^(-age / halfLife) at the vector's ts; 0 before any trade.
 * - realized_vol / momentum: see mid-history.ts (simple mid changes, mid sampled on book changes).
 * - Meta is applied as it arrives, whatever its `ts`: MarketMeta carries only fields fixed in advance
 *   (contract of schemas/market-meta.ts), so a replay that loads it first sees no look-ahead.
 *   Without meta: time_to_resolution_h, market_age_h and every cat_* are NaN.
 * - Late trades (more than `graceMs` behind the asset's event time) change nothing, emit nothing,
 *   are counted in `state.late` and passed to the `late` option.
 */

export type MarketFeatureInput =
  | { readonly kind: 'book'; readonly change: BookChange }
  | { readonly kind: 'trade'; readonly trade: Trade }
  | { readonly kind: 'meta'; readonly meta: MarketMeta };

export interface MarketFeaturesOptions {
  /** Depth band for depth_*_log and bidDepth/askDepth: best price through this many ticks (default 5). */
  readonly depthTicks?: number;
  /** Lengths of the 1m, 5m, 1h, 24h trade windows, ms. */
  readonly tradeWindowsMs?: readonly [number, number, number, number];
  /** Lengths of the 5m, 1h, 24h mid windows (vol uses the first two), ms. */
  readonly midWindowsMs?: readonly [number, number, number];
  /** Half-life of signed_flow_ewma, ms (default 60 000). */
  readonly flowHalfLifeMs?: number;
  /** Trade lateness allowance behind the asset's event time, ms (default 5 000). */
  readonly graceMs?: number;
  /** Receives each late trade (side output). */
  readonly late?: (trade: Trade) => void;
}

export const DEFAULT_DEPTH_TICKS = 5;
export const DEFAULT_MID_WINDOWS_MS = [300_000, 3_600_000, 86_400_000] as const;
export const DEFAULT_FLOW_HALF_LIFE_MS = 60_000;

/** What is known about a market; one object per market, shared by its assets' states. */
export interface MarketInfo {
  /** Index into FEATURE_CATEGORIES, FEATURE_CATEGORIES.length for other, -1 before meta. */
  category: number;
  startTs: number;
  endTs: number;
}

export interface AssetFeatureState {
  readonly assetId: AssetId;
  readonly market: MarketId;
  readonly info: MarketInfo;
  /** Inputs seen for this asset (every book change and trade, applied or not): the id's sequence. */
  seq: number;
  /** The asset's event time. */
  nowTs: number;
  readonly trades: TradeWindows;
  readonly mids: MidHistory;
  flow: number;
  flowTs: number;
  /** Cached from the last applied change: a BookView is only valid inside its notification. */
  hasBook: boolean;
  bestBid: number;
  bestAsk: number;
  bidTop1: number;
  askTop1: number;
  bidTop5: number;
  askTop5: number;
  bidDepth: number;
  askDepth: number;
}

export interface MarketFeaturesState {
  readonly assets: Map<AssetId, AssetFeatureState>;
  readonly markets: Map<MarketId, MarketInfo>;
  /** Late trades over all assets. */
  late: number;
  readonly depthTicks: number;
  readonly tradeWindowsMs: readonly number[];
  readonly midWindowsMs: readonly number[];
  /** ln 2 / half-life, per ms. */
  readonly flowDecayPerMs: number;
  readonly graceMs: number;
}

export function initialMarketFeaturesState(opts: MarketFeaturesOptions = {}): MarketFeaturesState {
  const halfLife = opts.flowHalfLifeMs ?? DEFAULT_FLOW_HALF_LIFE_MS;
  if (!(halfLife > 0)) throw new RangeError(`flowHalfLifeMs must be positive, got ${halfLife}`);
  const depthTicks = opts.depthTicks ?? DEFAULT_DEPTH_TICKS;
  if (!Number.isInteger(depthTicks) || depthTicks < 0) throw new RangeError(`depthTicks must be a non-negative integer, got ${depthTicks}`);
  const state: MarketFeaturesState = {
    assets: new Map(),
    markets: new Map(),
    late: 0,
    depthTicks,
    tradeWindowsMs: [...(opts.tradeWindowsMs ?? DEFAULT_TRADE_WINDOWS_MS)],
    midWindowsMs: [...(opts.midWindowsMs ?? DEFAULT_MID_WINDOWS_MS)],
    flowDecayPerMs: Math.LN2 / halfLife,
    graceMs: opts.graceMs ?? DEFAULT_GRACE_MS,
  };
  createTradeWindows({ windowsMs: state.tradeWindowsMs, graceMs: state.graceMs }); // validate up front
  createMidHistory(state.midWindowsMs);
  return state;
}

function marketInfo(state: MarketFeaturesState, market: MarketId): MarketInfo {
  let info = state.markets.get(market);
  if (info === undefined) {
    info = { category: -1, startTs: NaN, endTs: NaN };
    state.markets.set(market, info);
  }
  return info;
}

function assetState(state: MarketFeaturesState, assetId: AssetId, market: MarketId): AssetFeatureState {
  let a = state.assets.get(assetId);
  if (a === undefined) {
    a = {
      assetId,
      market,
      info: marketInfo(state, market),
      seq: 0,
      nowTs: -Infinity,
      trades: createTradeWindows({ windowsMs: state.tradeWindowsMs, graceMs: state.graceMs }),
      mids: createMidHistory(state.midWindowsMs),
      flow: 0,
      flowTs: -Infinity,
      hasBook: false,
      bestBid: -1,
      bestAsk: -1,
      bidTop1: 0,
      askTop1: 0,
      bidTop5: 0,
      askTop5: 0,
      bidDepth: 0,
      askDepth: 0,
    };
    state.assets.set(assetId, a);
  }
  return a;
}

function applyMeta(state: MarketFeaturesState, meta: MarketMeta): void {
  const info = marketInfo(state, meta.market);
  const idx = (FEATURE_CATEGORIES as readonly string[]).indexOf(meta.category.toLowerCase());
  info.category = idx >= 0 ? idx : FEATURE_CATEGORIES.length;
  info.startTs = meta.startTs;
  info.endTs = meta.endTs;
}

function applyBook(state: MarketFeaturesState, change: BookChange): FeatureVector | undefined {
  const u = change.update;
  const a = assetState(state, u.assetId, u.market);
  a.seq++;
  const status = change.status;
  if (status === 'awaiting_snapshot' || status === 'invalid') return undefined;
  if (u.ts > a.nowTs) a.nowTs = u.ts;
  if (status !== 'ok') {
    // Crossed, or disagreeing with the feed's own top of book: the rebuilt book is known to be
    // wrong until the next snapshot or a consistent update, so its features are undefined (NaN)
    // meanwhile and nothing is emitted: no model scores, and nothing trades, on a broken book.
    a.hasBook = false;
    return undefined;
  }
  const book = change.book;
  a.hasBook = book.ready;
  if (book.ready) {
    const bb = book.bestBid();
    const ba = book.bestAsk();
    a.bestBid = bb;
    a.bestAsk = ba;
    a.bidTop1 = bb >= 0 ? book.depthTopLevels('bid', 1) : 0;
    a.askTop1 = ba >= 0 ? book.depthTopLevels('ask', 1) : 0;
    a.bidTop5 = bb >= 0 ? book.depthTopLevels('bid', 5) : 0;
    a.askTop5 = ba >= 0 ? book.depthTopLevels('ask', 5) : 0;
    a.bidDepth = bb >= 0 ? book.depthWithin('bid', state.depthTicks) : 0;
    a.askDepth = ba >= 0 ? book.depthWithin('ask', state.depthTicks) : 0;
  } else {
    a.bestBid = a.bestAsk = -1;
    a.bidTop1 = a.askTop1 = a.bidTop5 = a.askTop5 = a.bidDepth = a.askDepth = 0;
  }
  advanceTradeWindows(a.trades, a.nowTs);
  if (a.hasBook && a.bestBid >= 0 && a.bestAsk >= 0) recordMid(a.mids, a.nowTs, a.bestBid + a.bestAsk);
  else advanceMidHistory(a.mids, a.nowTs);
  return vector(state, a, u.recvTs);
}

function applyTrade(state: MarketFeaturesState, t: Trade): FeatureVector | undefined {
  const a = assetState(state, t.assetId, t.market);
  a.seq++;
  const signed = t.side === 'BUY' ? t.size : -t.size;
  if (!pushTrade(a.trades, t.ts, t.price, t.size, signed)) {
    state.late++;
    return undefined;
  }
  if (t.ts > a.nowTs) a.nowTs = t.ts;
  advanceMidHistory(a.mids, a.nowTs);
  // Decay the running sum to now, then add the trade with its own age's weight (it may be within grace).
  const k = state.flowDecayPerMs;
  a.flow = a.flow * Math.exp(-k * (a.nowTs - a.flowTs)) + (signed / 1_000_000) * Math.exp(-k * (a.nowTs - t.ts));
  a.flowTs = a.nowTs;
  return vector(state, a, t.recvTs);
}

/**
 * Applies one input to the state (mutated in place) and returns the vector it produced, if any:
 * one per applied book change and per accepted trade; none for meta, ignored book updates and late
 * trades. The same input sequence always gives the same vectors, ids included.
 *
 * @example
 * const s = initialMarketFeaturesState({ depthTicks: 5 });
 * for (const input of inputs) { const v = marketFeaturesStep(s, input); if (v) out.push(v); }
 */
export function marketFeaturesStep(state: MarketFeaturesState, input: MarketFeatureInput): FeatureVector | undefined {
  switch (input.kind) {
    case 'book':
      return applyBook(state, input.change);
    case 'trade':
      return applyTrade(state, input.trade);
    case 'meta':
      applyMeta(state, input.meta);
      return undefined;
  }
}

const N = FEATURE_NAMES.length;
const F = FEATURE_INDEX;
const N_CATS = FEATURE_CATEGORIES.length;
const HOUR_MS = 3_600_000;
const M = 1_000_000;

/** The asset's vector now; `recvTs` is the receive time of the input that produced it. */
function vector(state: MarketFeaturesState, a: AssetFeatureState, recvTs: number): FeatureVector {
  const now = a.nowTs;
  const v = new Array<number>(N);
  const two = a.hasBook && a.bestBid >= 0 && a.bestAsk >= 0;
  const mid = two ? (a.bestBid + a.bestAsk) / (2 * M) : NaN;
  v[F.mid] = mid;
  v[F.spread] = two ? (a.bestAsk - a.bestBid) / M : NaN;
  const top = a.bidTop1 + a.askTop1;
  v[F.microprice] = two && top > 0 ? (a.bestBid * a.askTop1 + a.bestAsk * a.bidTop1) / (top * M) : NaN;
  v[F.imbalance_top1] = a.hasBook && top > 0 ? (a.bidTop1 - a.askTop1) / top : NaN;
  const top5 = a.bidTop5 + a.askTop5;
  v[F.imbalance_top5] = a.hasBook && top5 > 0 ? (a.bidTop5 - a.askTop5) / top5 : NaN;
  v[F.depth_bid_log] = a.hasBook ? Math.log1p(a.bidDepth / M) : NaN;
  v[F.depth_ask_log] = a.hasBook ? Math.log1p(a.askDepth / M) : NaN;

  const tw = a.trades;
  v[F.vwap_dev_1m] = windowVwap(tw, 0) - mid;
  v[F.vwap_dev_5m] = windowVwap(tw, 1) - mid;
  v[F.vwap_dev_1h] = windowVwap(tw, 2) - mid;
  v[F.vwap_dev_24h] = windowVwap(tw, 3) - mid;
  v[F.volume_log_1m] = Math.log1p(windowVolume(tw, 0) / M);
  v[F.volume_log_5m] = Math.log1p(windowVolume(tw, 1) / M);
  v[F.volume_log_1h] = Math.log1p(windowVolume(tw, 2) / M);
  v[F.volume_log_24h] = Math.log1p(windowVolume(tw, 3) / M);
  v[F.trade_count_1m] = windowCount(tw, 0);
  v[F.trade_count_5m] = windowCount(tw, 1);
  v[F.trade_count_1h] = windowCount(tw, 2);
  v[F.trade_count_24h] = windowCount(tw, 3);
  v[F.signed_flow_ewma] = a.flow === 0 ? 0 : a.flow * Math.exp(-state.flowDecayPerMs * (now - a.flowTs));

  const h = a.mids;
  v[F.realized_vol_5m] = midRealizedVol(h, 0);
  v[F.realized_vol_1h] = midRealizedVol(h, 1);
  const mid2 = two ? a.bestBid + a.bestAsk : NaN;
  v[F.momentum_5m] = midMomentum(h, 0, mid2);
  v[F.momentum_1h] = midMomentum(h, 1, mid2);
  v[F.momentum_24h] = midMomentum(h, 2, mid2);

  const info = a.info;
  v[F.time_to_resolution_h] = (info.endTs - now) / HOUR_MS;
  v[F.market_age_h] = (now - info.startTs) / HOUR_MS;
  const cat = info.category;
  const oneHot = cat < 0 ? NaN : 0;
  for (let c = 0; c <= N_CATS; c++) v[F.cat_politics + c] = oneHot;
  if (cat >= 0) v[F.cat_politics + cat] = 1;

  return {
    id: `${a.assetId}:${now}:${a.seq}`,
    assetId: a.assetId,
    market: a.market,
    ts: now,
    recvTs,
    specVersion: FEATURE_SPEC.version,
    values: v,
    bestBid: (a.hasBook ? a.bestBid : -1) as PriceMicros,
    bestAsk: (a.hasBook ? a.bestAsk : -1) as PriceMicros,
    bidDepth: a.bidDepth as SizeMicros,
    askDepth: a.askDepth as SizeMicros,
  };
}

/**
 * Per-asset market features: one FeatureVector per applied book change and per accepted trade,
 * values in `FEATURE_SPEC` order; late trades go to `opts.late`.
 *
 * @example
 * merge(books$.pipe(map((change) => ({ kind: 'book', change }) as const)), trades$.pipe(map(...)))
 *   .pipe(marketFeatures({ depthTicks: 5, late: (t) => late$.next(t) }))
 */
export function marketFeatures(opts: MarketFeaturesOptions = {}, slot?: StateSlot): OperatorFunction<MarketFeatureInput, FeatureVector> {
  return (source) =>
    new Observable<FeatureVector>((subscriber) => {
      let state = initialMarketFeaturesState(opts);
      // Typed-array rings, Maps and plain records only: a structured clone restores it as is.
      const attached = slot?.registry.attach(slot.id, () => state);
      if (attached?.restored !== undefined) state = attached.restored as MarketFeaturesState;
      const onLate = opts.late;
      const subscription = source.subscribe({
        next(input) {
          let out: FeatureVector | undefined;
          const lateBefore = state.late;
          try {
            out = marketFeaturesStep(state, input);
          } catch (err: unknown) {
            subscriber.error(err);
            return;
          }
          if (out !== undefined) subscriber.next(out);
          else if (state.late !== lateBefore && input.kind === 'trade') onLate?.(input.trade);
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => {
        attached?.detach();
        subscription.unsubscribe();
      };
    });
}
