import type { AnalyticsReport } from './analytics.js';
import { MICROS } from '../schemas/units.js';
import type { RunSummary } from '../schemas/run-summary.js';
import type { Strength } from '../schemas/signal.js';
import type { TopicName } from '../schemas/topics.js';

export interface RunCounts {
  readonly events: number;
  readonly markets: number;
  readonly dlq: number;
  readonly bookUpdates: number;
  readonly trades: number;
  readonly resolutions: number;
  readonly predictions: number;
  readonly signals: Readonly<Record<Strength, number>>;
  readonly orders: number;
  readonly fills: number;
  readonly riskEvents: number;
}

/** Run counts from the records published per topic, plus what the bus cannot count itself. */
export function busRunCounts(
  published: ReadonlyMap<TopicName, number>,
  extra: { readonly events: number; readonly markets: number; readonly signals: Readonly<Record<Strength, number>> },
): RunCounts {
  const count = (topic: TopicName): number => published.get(topic) ?? 0;
  return {
    ...extra,
    dlq: count('dlq.ingest'),
    bookUpdates: count('pm.book'),
    trades: count('pm.trade'),
    resolutions: count('pm.resolution'),
    predictions: count('prediction.v1'),
    orders: count('order.v1'),
    fills: count('fill.v1'),
    riskEvents: count('risk.event'),
  };
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
/** Rounds away binary noise so summaries compare and print cleanly (12 significant digits). */
const clean = (x: number | null): number | null => (x === null ? null : Number(x.toPrecision(12)));

export function runSummary(counts: RunCounts, report: AnalyticsReport | undefined): RunSummary {
  const s = counts.signals;
  return {
    events: counts.events,
    markets: counts.markets,
    dlq: counts.dlq,
    book_updates: counts.bookUpdates,
    trades: counts.trades,
    resolutions: counts.resolutions,
    predictions: counts.predictions,
    signals: { STRONG: s.STRONG, MEDIUM: s.MEDIUM, WEAK: s.WEAK, total: s.STRONG + s.MEDIUM + s.WEAK },
    orders: counts.orders,
    fills: counts.fills,
    risk_events: counts.riskEvents,
    pnl: report === undefined ? 0 : report.pnl / MICROS,
    equity: report === undefined ? null : finite(report.equity / MICROS),
    max_drawdown: clean(report?.maxDrawdown ?? 0) ?? 0,
    win_rate: clean(finite(report?.winRate ?? Number.NaN)),
    settled_positions: report?.settledPositions ?? 0,
    sharpe: clean(finite(report?.sharpe ?? Number.NaN)),
    resolved_markets: report?.resolvedMarkets ?? 0,
    scored_predictions: report?.scoredPredictions ?? 0,
    brier_model: clean(finite(report?.brierModel ?? Number.NaN)),
    brier_market: clean(finite(report?.brierMarket ?? Number.NaN)),
    log_loss_model: clean(finite(report?.logLossModel ?? Number.NaN)),
    log_loss_market: clean(finite(report?.logLossMarket ?? Number.NaN)),
  };
}
