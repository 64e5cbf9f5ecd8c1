import type { AnalyticsReport } from '../operators/analytics.js';
import { runSummary } from '../operators/run-summary.js';
import type { RunSummary } from '../schemas/run-summary.js';
import type { MemoryBus } from '../runtime/memory-bus.js';
import type { TopicName } from '../schemas/topics.js';
import type { RunReadModel } from './run-read-model.js';

/** A running graph's figures with summary.json's keys: the bus's counts and the analytics operator's last report. */
export function runFigures(bus: MemoryBus, model: RunReadModel, report: AnalyticsReport | undefined, frames: number): RunSummary {
  const count = (t: TopicName): number => bus.counts().get(t) ?? 0;
  const signals = { STRONG: 0, MEDIUM: 0, WEAK: 0 };
  for (const s of model.logs['signal.v1'].all()) signals[s.strength]++;
  return runSummary(
    {
      events: frames,
      markets: model.markets.size,
      dlq: count('dlq.ingest'),
      bookUpdates: count('pm.book'),
      trades: count('pm.trade'),
      resolutions: count('pm.resolution'),
      predictions: count('prediction.v1'),
      signals,
      orders: count('order.v1'),
      fills: count('fill.v1'),
      riskEvents: count('risk.event'),
    },
    report,
  );
}
