import type { AnalyticsReport } from '../operators/analytics.js';
import { busRunCounts, runSummary } from '../operators/run-summary.js';
import type { RunSummary } from '../schemas/run-summary.js';
import type { MemoryBus } from '../runtime/memory-bus.js';
import type { RunReadModel } from './run-read-model.js';

/** A running graph's figures with summary.json's keys: the bus's counts and the analytics operator's last report. */
export function runFigures(bus: MemoryBus, model: RunReadModel, report: AnalyticsReport | undefined, frames: number): RunSummary {
  const signals = { STRONG: 0, MEDIUM: 0, WEAK: 0 };
  for (const s of model.logs['signal.v1'].all()) signals[s.strength]++;
  return runSummary(busRunCounts(bus.counts(), { events: frames, markets: model.markets.size, signals }), report);
}
