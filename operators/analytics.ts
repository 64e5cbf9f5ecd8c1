import type { OperatorFunction } from 'rxjs';
import { stepOperator } from './step-operator.js';
import type { StateSlot } from '../runtime/state-registry.js';
import type { AssetId, MarketId } from '../schemas/ids.js';
import type { MarketMeta } from '../schemas/market-meta.js';
import type { PortfolioSnapshot } from '../schemas/portfolio-snapshot.js';
import type { Prediction } from '../schemas/prediction.js';
import type { Resolution } from '../schemas/resolution.js';
import type { UsdMicros } from '../schemas/units.js';

/**
 * Running trading analytics: the model and the market scored as forecasters once a market
 * resolves (Brier, log loss, on the same rows), and the account's win rate, Sharpe and drawdown.
 */

/** `meta` is accepted so every trading operator takes the same merged input; nothing is read from it. */
export type AnalyticsInput =
  | { readonly kind: 'prediction'; readonly prediction: Prediction }
  | { readonly kind: 'resolution'; readonly resolution: Resolution }
  | { readonly kind: 'portfolio'; readonly snapshot: PortfolioSnapshot }
  | { readonly kind: 'meta'; readonly meta: MarketMeta };

export interface TradingAnalyticsOptions {
  /**
   * Predictions kept per unresolved market. Default 10_000. Past it the kept rows are thinned to
   * every other one and only every 2nd (then 4th, ...) later prediction is admitted, so the sample
   * stays evenly spread over the market's life, deterministically.
   */
  readonly maxPendingPerMarket?: number;
  /** Unresolved markets kept (oldest evicted with its rows); also the size of the resolved-market memory. Default 10_000. */
  readonly maxMarkets?: number;
  /** Probabilities are clipped to [clip, 1 - clip] for log loss. Default 1e-6. */
  readonly logLossClip?: number;
  /** Equity before the first snapshot (the first daily return's base). Default: the first snapshot's equity. */
  readonly bankroll?: UsdMicros;
}

export const TRADING_ANALYTICS_DEFAULTS = { maxPendingPerMarket: 10_000, maxMarkets: 10_000, logLossClip: 1e-6 } as const;

export interface AnalyticsReport {
  readonly ts: number;
  /** Distinct markets resolved so far. */
  readonly resolvedMarkets: number;
  /** Rows scored: predictions of resolved markets with finite pModel and pMarket. */
  readonly scoredPredictions: number;
  /** NaN until a row is scored. */
  readonly brierModel: number;
  readonly brierMarket: number;
  readonly logLossModel: number;
  readonly logLossMarket: number;
  /** Fraction of settled positions with positive realised PnL; NaN with none. */
  readonly winRate: number;
  readonly settledPositions: number;
  /** Mean / sample stdev of daily (UTC) equity returns x sqrt(365); NaN with < 2 days or no variation. */
  readonly sharpe: number;
  /** Max snapshot drawdown seen, a fraction. */
  readonly maxDrawdown: number;
  /** realizedPnl + unrealizedPnl of the last snapshot (0 before any). */
  readonly pnl: UsdMicros;
  /** Equity of the last snapshot (`bankroll`, else NaN, before any). */
  readonly equity: UsdMicros;
}

interface PendingRow {
  readonly assetId: AssetId;
  readonly pModel: number;
  readonly pMarket: number;
}

interface PendingMarket {
  rows: PendingRow[];
  /** Admit one prediction in `stride`. */
  stride: number;
  seen: number;
}

export interface TradingAnalyticsState {
  readonly pending: Map<MarketId, PendingMarket>;
  readonly resolved: Set<MarketId>;
  scored: number;
  brierModelSum: number;
  brierMarketSum: number;
  logLossModelSum: number;
  logLossMarketSum: number;
  settled: number;
  wins: number;
  lastRealizedPnl: number;
  maxDrawdown: number;
  pnl: number;
  equity: number;
  /** UTC day number (ts / 86_400_000) of the day in progress; NaN before any snapshot. */
  day: number;
  /** Equity at the close of the previous day (or the base of the first day). */
  prevClose: number;
  /** Last equity seen in the day in progress. */
  close: number;
  /** Completed daily returns: count, sum, sum of squares. Calendar days without snapshots count as 0 returns. */
  returns: number;
  returnSum: number;
  returnSumSq: number;
}

export const initialTradingAnalyticsState = (opts: TradingAnalyticsOptions): TradingAnalyticsState => ({
  pending: new Map(),
  resolved: new Set(),
  scored: 0,
  brierModelSum: 0,
  brierMarketSum: 0,
  logLossModelSum: 0,
  logLossMarketSum: 0,
  settled: 0,
  wins: 0,
  lastRealizedPnl: 0,
  maxDrawdown: 0,
  pnl: 0,
  equity: opts.bankroll ?? NaN,
  day: NaN,
  prevClose: opts.bankroll ?? NaN,
  close: NaN,
  returns: 0,
  returnSum: 0,
  returnSumSq: 0,
});

const DAY_MS = 86_400_000;

const logLoss = (p: number, y: number, clip: number): number => {
  const q = Math.min(1 - clip, Math.max(clip, p));
  return -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
};

/** Sharpe of daily returns including the day in progress. */
export function dailySharpe(state: TradingAnalyticsState): number {
  let n = state.returns;
  let sum = state.returnSum;
  let sumSq = state.returnSumSq;
  if (!Number.isNaN(state.day)) {
    const r = state.close / state.prevClose - 1;
    n += 1;
    sum += r;
    sumSq += r * r;
  }
  if (n < 2) return NaN;
  const mean = sum / n;
  const variance = Math.max(0, (sumSq - n * mean * mean) / (n - 1));
  const sd = Math.sqrt(variance);
  return sd > 0 ? (mean / sd) * Math.sqrt(365) : NaN;
}

function addEquity(state: TradingAnalyticsState, ts: number, equity: number): void {
  const day = Math.floor(ts / DAY_MS);
  if (Number.isNaN(state.day)) {
    state.day = day;
    if (Number.isNaN(state.prevClose)) state.prevClose = equity;
  } else if (day > state.day) {
    const r = state.close / state.prevClose - 1;
    state.returns += 1 + (day - state.day - 1); // gap days: equity unchanged, 0 return each
    state.returnSum += r;
    state.returnSumSq += r * r;
    state.prevClose = state.close;
    state.day = day;
  }
  // A snapshot stamped before the day in progress (out of order) counts in the day in progress.
  state.close = equity;
}

function report(state: TradingAnalyticsState, ts: number): AnalyticsReport {
  const n = state.scored;
  return {
    ts,
    resolvedMarkets: state.resolved.size,
    scoredPredictions: n,
    brierModel: n > 0 ? state.brierModelSum / n : NaN,
    brierMarket: n > 0 ? state.brierMarketSum / n : NaN,
    logLossModel: n > 0 ? state.logLossModelSum / n : NaN,
    logLossMarket: n > 0 ? state.logLossMarketSum / n : NaN,
    winRate: state.settled > 0 ? state.wins / state.settled : NaN,
    settledPositions: state.settled,
    sharpe: dailySharpe(state),
    maxDrawdown: state.maxDrawdown,
    pnl: state.pnl as UsdMicros,
    equity: state.equity as UsdMicros,
  };
}

/**
 * The pure step: applies one input to `state` (in place); returns the report it causes, if any.
 *
 * Win rate is derived from the snapshots: `portfolio` emits one 'settlement' snapshot per closed
 * position, and realised PnL moves only at settlements, so the increment of `realizedPnl` from the
 * previous snapshot to a settlement snapshot is that position's result; > 0 is a win.
 */
export function tradingAnalyticsStep(
  state: TradingAnalyticsState,
  input: AnalyticsInput,
  opts: TradingAnalyticsOptions,
): AnalyticsReport | undefined {
  const maxMarkets = opts.maxMarkets ?? TRADING_ANALYTICS_DEFAULTS.maxMarkets;
  switch (input.kind) {
    case 'meta':
      return undefined;
    case 'prediction': {
      const p = input.prediction;
      if (state.resolved.has(p.market)) return undefined;
      let market = state.pending.get(p.market);
      if (market === undefined) {
        market = { rows: [], stride: 1, seen: 0 };
        state.pending.set(p.market, market);
        if (state.pending.size > maxMarkets) {
          const oldest = state.pending.keys().next();
          if (oldest.done !== true) state.pending.delete(oldest.value);
        }
      }
      if (market.seen++ % market.stride !== 0) return undefined;
      market.rows.push({ assetId: p.assetId, pModel: p.pModel, pMarket: p.pMarket });
      if (market.rows.length > (opts.maxPendingPerMarket ?? TRADING_ANALYTICS_DEFAULTS.maxPendingPerMarket)) {
        market.rows = market.rows.filter((_, i) => i % 2 === 0);
        market.stride *= 2;
      }
      return undefined;
    }
    case 'resolution': {
      const { resolution } = input;
      const clip = opts.logLossClip ?? TRADING_ANALYTICS_DEFAULTS.logLossClip;
      const market = state.pending.get(resolution.market);
      state.pending.delete(resolution.market);
      if (!state.resolved.has(resolution.market)) {
        state.resolved.add(resolution.market);
        if (state.resolved.size > maxMarkets) {
          const oldest = state.resolved.values().next();
          if (oldest.done !== true) state.resolved.delete(oldest.value);
        }
      }
      for (const row of market?.rows ?? []) {
        // Paired: a row counts for both forecasters or for neither.
        if (!Number.isFinite(row.pModel) || !Number.isFinite(row.pMarket)) continue;
        const y = row.assetId === resolution.winningAssetId ? 1 : 0;
        state.scored++;
        state.brierModelSum += (row.pModel - y) ** 2;
        state.brierMarketSum += (row.pMarket - y) ** 2;
        state.logLossModelSum += logLoss(row.pModel, y, clip);
        state.logLossMarketSum += logLoss(row.pMarket, y, clip);
      }
      return report(state, resolution.ts);
    }
    case 'portfolio': {
      const s = input.snapshot;
      if (s.reason === 'settlement') {
        state.settled++;
        if (s.realizedPnl - state.lastRealizedPnl > 0) state.wins++;
      }
      state.lastRealizedPnl = s.realizedPnl;
      if (s.drawdown > state.maxDrawdown) state.maxDrawdown = s.drawdown;
      state.pnl = s.realizedPnl + s.unrealizedPnl;
      state.equity = s.equity;
      addEquity(state, s.ts, s.equity);
      return report(state, s.ts);
    }
  }
}

/**
 * Trading analytics as a stream: emits an `AnalyticsReport` after each resolution and each
 * portfolio snapshot. A prediction on an asset forecasts that the asset wins; rows wait per market
 * until it resolves, then both the model (`pModel`) and the market (`pMarket`) are scored on the
 * rows where both are finite.
 *
 * @example
 * merge(
 *   predictions$.pipe(map((prediction) => ({ kind: 'prediction', prediction }) as const)),
 *   resolutions$.pipe(map((resolution) => ({ kind: 'resolution', resolution }) as const)),
 *   snapshots$.pipe(map((snapshot) => ({ kind: 'portfolio', snapshot }) as const)),
 * ).pipe(tradingAnalytics({ bankroll: 10_000_000_000 as UsdMicros }));
 */
export function tradingAnalytics(opts: TradingAnalyticsOptions, slot?: StateSlot): OperatorFunction<AnalyticsInput, AnalyticsReport> {
  return stepOperator(
    () => initialTradingAnalyticsState(opts),
    (state, input: AnalyticsInput) => tradingAnalyticsStep(state, input, opts),
    { slot },
  );
}
