import type { DriftReference } from '../operators/drift-monitor.js';
import { Subject } from 'rxjs';
import type { AnalyticsReport } from '../operators/analytics.js';
import { busRunCounts, runSummary } from '../operators/run-summary.js';
import type { RunSummary } from '../schemas/run-summary.js';
import type { BatchScorer } from '../operators/score-batches.js';
import type { Config } from '../runtime/config.js';
import { InFlight } from '../runtime/in-flight.js';
import type { Logger } from '../runtime/logger.js';
import { MemoryBus } from '../runtime/memory-bus.js';
import { PipelineMetrics } from '../runtime/metrics.js';
import { InputClock } from '../runtime/input-clock.js';
import { advanceAndScore, finishInput, ReplayScheduler } from '../runtime/replay-scheduler.js';
import { encodeReplayState, type ReplayDurability } from '../runtime/replay-state.js';
import { StateRegistry } from '../runtime/state-registry.js';
import { StateRowBuffer } from '../runtime/state-row-buffer.js';
import { InputError } from '../runtime/errors.js';
import type { ClickHouseSink } from '../sinks/clickhouse/clickhouse-sink.js';
import type { JsonlFiles } from '../sinks/jsonl-files.js';
import type { ReplayRecord } from '../sources/replay/replay-record.js';
import type { MarketId } from '../schemas/ids.js';
import type { Strength } from '../schemas/signal.js';
import { embeddedGraph } from './embedded-graph.js';
import { ingestPipeline } from './ingest.js';
import { persistPipeline } from './persist.js';
import { persistStatePipeline } from './persist-state.js';
import { persistClickHouse } from './persist-clickhouse.js';

export interface ReplayDeps {
  readonly config: Config;
  readonly scorer: BatchScorer;
  readonly files: JsonlFiles;
  readonly logger: Logger;
  /** Called every `progressEvery` records with the number fed so far. */
  readonly onProgress?: (records: number) => void;
  readonly progressEvery?: number;
  /** Analytics sink (ClickHouse/chDB): fed from the bus, awaited when full, flushed before the replay returns; the caller closes it. */
  readonly clickhouse?: ClickHouseSink;
  /** Checkpoints to a state store (Postgres) and resumes from them; without it nothing is kept. */
  readonly durable?: ReplayDurability;
  /** The model's training distribution: the drift monitor runs when given. */
  readonly driftReference?: DriftReference | undefined;
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
  const { config, durable } = deps;
  const resume = durable?.resume;
  const bus = new MemoryBus(resume?.busCounts);
  const scheduler = new ReplayScheduler(resume?.clockMs ?? 0);
  const tradeClock = new InputClock();
  const inFlight = new InFlight();
  const metrics = new PipelineMetrics();
  const registry = durable === undefined ? undefined : new StateRegistry(resume?.operators);
  let report = resume?.report as AnalyticsReport | undefined;
  const markets = new Set<MarketId>(resume?.markets ?? []);
  const signals: Record<Strength, number> = { STRONG: 0, MEDIUM: 0, WEAK: 0, ...resume?.signals };

  const input = new Subject<ReplayRecord>();
  const ingest = ingestPipeline(input, bus, metrics);
  const graph = embeddedGraph(bus, {
    config,
    scheduler,
    tradeClock,
    scorer: deps.scorer,
    inFlight,
    metrics,
    registry,
    driftReference: deps.driftReference,
    onReport: (r) => (report = r),
  });
  const persist = persistPipeline(bus, config.output.topics, deps.files);
  const persistCh = deps.clickhouse === undefined ? undefined : persistClickHouse(bus, deps.clickhouse, config.analytics);
  graph.add(bus.topic('pm.market.meta').subscribe((m) => markets.add(m.market)));
  graph.add(bus.topic('signal.v1').subscribe((s) => signals[s.strength]++));
  const rows = durable === undefined ? undefined : new StateRowBuffer();
  if (rows !== undefined) persist.add(persistStatePipeline(bus, rows));
  const unclaimed = registry?.unclaimed() ?? [];
  if (unclaimed.length > 0) throw new InputError(`replay checkpoint: state of ${unclaimed.join(', ')} has no operator in this graph (start with --fresh)`);

  const every = deps.progressEvery ?? 10_000;
  let fed = resume?.fed ?? 0;
  let frames = resume?.frames ?? 0;
  let lastTs = resume?.lastTs ?? 0;
  // The state is serialized at once, between two records, with no scoring in flight: it is
  // exactly the state after record `fed`. Outputs are synced before the commit that points at them,
  // ClickHouse's rows included: a resume re-produces only what came after the checkpoint, so rows
  // still buffered in the sink at a kill would be lost (those written after it come again, deduped).
  const checkpoint = async (complete: boolean): Promise<void> => {
    if (durable === undefined || rows === undefined || registry === undefined) return;
    const state = encodeReplayState({
      version: 1,
      operators: registry.snapshot(),
      fed,
      frames,
      lastTs,
      clockMs: scheduler.now(),
      markets,
      signals,
      report,
      busCounts: bus.counts(),
    });
    const outputPositions = deps.files.checkpoint();
    await deps.clickhouse?.flush();
    await durable.commit(rows.take(), { inputOffset: fed, clockMs: scheduler.now(), complete, state, outputPositions });
  };
  const skip = fed;
  let index = 0;
  for await (const batch of batches) {
    for (const record of batch) {
      if (index++ < skip) continue;
      await advanceAndScore(scheduler, inFlight, record.recvTs, tradeClock);
      lastTs = Math.max(lastTs, record.recvTs);
      input.next(record);
      if (record.kind === 'frame') frames++;
      if (inFlight.busy) await inFlight.whenIdle();
      if (deps.clickhouse?.blocked === true) await deps.clickhouse.whenWritable();
      if (++fed % every === 0) deps.onProgress?.(fed);
      if (durable !== undefined && (fed % durable.everyRecords === 0 || (rows?.size ?? 0) >= durable.maxBufferedRows)) await checkpoint(false);
    }
  }
  if (index < skip) throw new InputError(`replay checkpoint: the input has ${index} records, the checkpoint is at record ${skip}`);
  // Let the last partial scoring batch come due, and the predictions it gives flow through.
  await finishInput(scheduler, inFlight, tradeClock, lastTs, config.scoring.maxWaitMs);
  await checkpoint(true);
  deps.onProgress?.(fed);
  input.complete();
  ingest.unsubscribe();
  graph.unsubscribe();
  persist.unsubscribe();
  persistCh?.unsubscribe();
  await deps.clickhouse?.flush();

  for (const [topic, n] of bus.counts()) metrics.published.labels(topic).inc(n);
  await bus.close();
  deps.logger.debug({ records: fed }, 'replay finished');
  const summary = runSummary(busRunCounts(bus.counts(), { events: frames, markets: markets.size, signals }), report);
  return { summary, metrics };
}
