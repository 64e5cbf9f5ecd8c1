import { map, merge, type Subscription } from 'rxjs';
import { tradingAnalytics, type AnalyticsInput, type AnalyticsReport } from '../operators/analytics.js';
import type { Bus } from '../runtime/bus.js';
import type { Config } from '../runtime/config.js';
import { stateSlot, type StateRegistry } from '../runtime/state-registry.js';
import { MICROS, type UsdMicros } from '../schemas/units.js';

/**
 * analytics: predictions scored against resolutions (model vs market), and the account's PnL,
 * Sharpe and drawdown, as a running report. Persisted analytics (ClickHouse views) build on the
 * same topics.
 */
export function analyticsPipeline(bus: Bus, config: Config, onReport: (report: AnalyticsReport) => void, registry?: StateRegistry): Subscription {
  return merge(
    bus.topic('prediction.v1').pipe(map((prediction): AnalyticsInput => ({ kind: 'prediction', prediction }))),
    bus.topic('pm.resolution').pipe(map((resolution): AnalyticsInput => ({ kind: 'resolution', resolution }))),
    bus.topic('portfolio.v1').pipe(map((snapshot): AnalyticsInput => ({ kind: 'portfolio', snapshot }))),
  )
    .pipe(tradingAnalytics({ bankroll: Math.round(config.risk.bankrollUsd * MICROS) as UsdMicros }, stateSlot(registry, 'analytics.tradingAnalytics')))
    .subscribe(onReport);
}
