import { Subject } from 'rxjs';
import type { AnalyticsReport } from '../operators/analytics.js';
import { runSummary, type RunSummary } from '../operators/run-summary.js';
import type { BatchScorer } from '../operators/score-batches.js';
import type { Config } from '../runtime/config.js';
import { InFlight } from '../runtime/in-flight.js';
import type { Logger } from '../runtime/logger.js';
import { MemoryBus } from '../runtime/memory-bus.js';
import { PipelineMetrics } from '../runtime/metrics.js';
import { ReplayScheduler } from '../runtime/replay-scheduler.js';
import type { JsonlFiles } from '../sinks/jsonl-files.js';
import type { ReplayRecord } from '../sources/replay/replay-record.js';
import type { MarketId } from '../schemas/ids.js';
import type { Strength } from '../schemas/signal.js';
import { embeddedGraph } from './embedded-graph.js';
import { ingestPipeline } from './ingest.js';
import { persistPipeline } from './persist.js';

export interface ReplayDeps {
  readonly config: Config;
  readonly scorer: BatchScorer;
  readonly files: JsonlFiles;
  readonly logger: Logger;
  /** Called every `progressEvery` records with the number fed so far. */
  readonly onProgress?: (records: number) => void;
  readonly progressEvery?: number;
}

export interface ReplayResult {
  readonly summary: RunSummary;
  readonly metrics: PipelineMetrics;
}

/**
 * Replays recorded records through the embedded graph on virtual time: the clock is set to each
 * record's receive time before the record enters, and async model scoring is awaited before the
 * next record, so two replays of the same input produce identical outputs.
 */
export async function replayRecords(
  batches: AsyncIterable<readonly ReplayRecord[]> | Iterable<readonly ReplayRecord[]>,
  deps: ReplayDeps,
): Promise<ReplayResult> {
  const { config } = deps;
  const bus = new MemoryBus();
  const scheduler = new ReplayScheduler();
  const inFlight = new InFlight();
  const metrics = new PipelineMetrics();
  let report: AnalyticsReport | undefined;
  const markets = new Set<MarketId>();
  const signals: Record<Strength, number> = { STRONG: 0, MEDIUM: 0, WEAK: 0 };

  const input = new Subject<ReplayRecord>();
  const ingest = ingestPipeline(input, bus, metrics);
  const graph = embeddedGraph(bus, { config, scheduler, scorer: deps.scorer, inFlight, metrics, onReport: (r) => (report = r) });
  const persist = persistPipeline(bus, config.output.topics, deps.files);
  graph.add(bus.topic('pm.market.meta').subscribe((m) => markets.add(m.market)));
  graph.add(bus.topic('signal.v1').subscribe((s) => signals[s.strength]++));

  const every = deps.progressEvery ?? 10_000;
  let fed = 0;
  let frames = 0;
  let lastTs = 0;
  for await (const batch of batches) {
    for (const record of batch) {
      scheduler.advanceTo(record.recvTs);
      lastTs = Math.max(lastTs, record.recvTs);
      input.next(record);
      if (record.kind === 'frame') frames++;
      if (inFlight.busy) await inFlight.whenIdle();
      if (++fed % every === 0) deps.onProgress?.(fed);
    }
  }
  // Let the last partial scoring batch come due, and the predictions it gives flow through.
  scheduler.advanceTo(lastTs + config.scoring.maxWaitMs);
  await inFlight.whenIdle();
  deps.onProgress?.(fed);
  input.complete();
  ingest.unsubscribe();
  graph.unsubscribe();
  persist.unsubscribe();

  const count = (topic: Parameters<MemoryBus['topic']>[0]): number => bus.counts().get(topic) ?? 0;
  for (const [topic, n] of bus.counts()) metrics.published.labels(topic).inc(n);
  await bus.close();
  deps.logger.debug({ records: fed }, 'replay finished');
  const summary = runSummary(
    {
      events: frames,
      markets: markets.size,
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
  return { summary, metrics };
}
