import { setTimeout as sleep } from 'node:timers/promises';
import { Subject } from 'rxjs';
import type { AnalyticsReport } from '../operators/analytics.js';
import { busRunCounts, runSummary } from '../operators/run-summary.js';
import { InFlight } from '../runtime/in-flight.js';
import type { KafkaBus } from '../runtime/kafka/kafka-bus.js';
import { PipelineMetrics } from '../runtime/metrics.js';
import { InputClock } from '../runtime/input-clock.js';
import { advanceAndScore, endOfInput, ReplayScheduler } from '../runtime/replay-scheduler.js';
import type { MarketId } from '../schemas/ids.js';
import type { Strength } from '../schemas/signal.js';
import type { ReplayRecord } from '../sources/replay/replay-record.js';
import { embeddedGraph } from './embedded-graph.js';
import { ingestPipeline } from './ingest.js';
import { persistClickHouse } from './persist-clickhouse.js';
import { persistPipeline } from './persist.js';
import type { ReplayDeps, ReplayResult } from './replay.js';

export interface KafkaReplayDeps extends Omit<ReplayDeps, 'durable'> {
  /**
   * Opens the bus for this run, given the work to settle before each offset commit (model scoring)
   * and what to tell when its consumer stops for good (the run then fails with that error).
   */
  readonly openBus: (metrics: PipelineMetrics, settle: () => Promise<void>, onFatal: (err: unknown) => void) => KafkaBus;
  /** Records fed before the run waits for the broker to go quiet (default 1: exact). */
  readonly chunkRecords?: number | undefined;
}

/**
 * The replay with every pipeline in this process talking through Kafka instead of the memory bus.
 * The graph is the embedded one; only the bus differs. Two things make it reproduce the memory-bus
 * run record for record:
 * - the bus hands its own records to the subscribers in publish order across topics and partitions
 *   (`publishOrder`), not in fetch order: otherwise an asset's trade could reach the features
 *   operator after a later book update of the same market (another topic or partition);
 * - input is fed one record at a time by default (`chunkRecords` 1): the run waits until everything
 *   published came back and scoring is idle before the virtual clock moves to the next record, and
 *   again after the clock moved and before the record goes in, so timers (scoring batches,
 *   predictions coming due) and the trade stage's feedback (fills and portfolio snapshots to the
 *   risk gate) happen between the same records as on the memory bus.
 * With larger chunks the clock runs up to a chunk ahead of the records in flight: predictions reach
 * trade later against the books, and the risk gate sizes later signals against exposure that does
 * not yet include the fills of earlier ones.
 * What remains different at chunk 1: the memory bus is depth first (a record's whole cascade runs
 * before the next record of the same input frame is published), Kafka breadth first within one
 * input record; the tests found no output that depends on it.
 */
export async function replayRecordsOverKafka(
  batches: AsyncIterable<readonly ReplayRecord[]> | Iterable<readonly ReplayRecord[]>,
  deps: KafkaReplayDeps,
): Promise<ReplayResult> {
  const { config } = deps;
  const scheduler = new ReplayScheduler(0);
  const tradeClock = new InputClock();
  const inFlight = new InFlight();
  const metrics = new PipelineMetrics();
  let fatal: { err: unknown } | undefined;
  const bus = deps.openBus(metrics, () => inFlight.whenIdle(), (err) => (fatal ??= { err }));
  const settle = (): Promise<void> => settleOrFail(bus, inFlight, () => fatal);
  let report: AnalyticsReport | undefined;
  const markets = new Set<MarketId>();
  const signals: Record<Strength, number> = { STRONG: 0, MEDIUM: 0, WEAK: 0 };

  const input = new Subject<ReplayRecord>();
  const ingest = ingestPipeline(input, bus, metrics);
  const graph = embeddedGraph(bus, { config, scheduler, tradeClock, scorer: deps.scorer, inFlight, metrics, driftReference: deps.driftReference, onReport: (r) => (report = r) });
  const persist = persistPipeline(bus, config.output.topics, deps.files);
  // Analytics rows as the records come back from the broker.
  if (deps.clickhouse !== undefined) persist.add(persistClickHouse(bus, deps.clickhouse, config.analytics));
  graph.add(bus.topic('pm.market.meta').subscribe((m) => markets.add(m.market)));
  graph.add(bus.topic('signal.v1').subscribe((s) => signals[s.strength]++));
  // Topics nobody reads in this graph are still counted for the summary.
  for (const topic of ['pm.trade', 'dlq.ingest', 'order.v1'] as const) graph.add(bus.topic(topic).subscribe());

  /**
   * Both clocks to `ms`, as on the memory bus (where each runs to its end inside advanceTo): the
   * scoring due by then, then what comes due at trade (its input clock); with `settleEach`, each
   * goes round through the broker (the orders and fills it sets off too) before the next.
   */
  const advanceClocks = async (ms: number, settleEach: boolean): Promise<void> => {
    await advanceAndScore(scheduler, inFlight, ms);
    if (settleEach) await settle();
    tradeClock.advanceTo(ms);
    if (settleEach) await settle();
  };
  const chunk = deps.chunkRecords ?? 1;
  const every = deps.progressEvery ?? 10_000;
  let fed = 0;
  let frames = 0;
  let lastTs = 0;
  try {
    await bus.start();
    for await (const batch of batches) {
      for (const record of batch) {
        await advanceClocks(record.recvTs, chunk === 1);
        lastTs = Math.max(lastTs, record.recvTs);
        input.next(record);
        if (record.kind === 'frame') frames++;
        if (++fed % every === 0) deps.onProgress?.(fed);
        if (fed % chunk === 0 || bus.pressure) await settle();
        if (deps.clickhouse?.blocked === true) await deps.clickhouse.whenWritable();
      }
    }
    await settle();
    // The input ended: its last scoring and what its last predictions set off go through too.
    await advanceClocks(endOfInput(lastTs, config.scoring.maxWaitMs), true);
    deps.onProgress?.(fed);
    // Nothing is left to arrive: the last analytics rows go now.
    await deps.clickhouse?.flush();
  } catch (err) {
    // The run's error is the one reported; the bus still leaves its group and closes its producer.
    await bus.close().catch((closeErr: unknown) => deps.logger.warn({ err: closeErr }, 'kafka replay: could not close the bus after the failure (the failure is reported)'));
    throw err;
  } finally {
    input.complete();
    ingest.unsubscribe();
    graph.unsubscribe();
    persist.unsubscribe();
  }
  const acked = new Map(bus.counts().acked);
  await bus.close();
  for (const [topic, n] of acked) metrics.published.labels(topic).inc(n);
  deps.logger.debug({ records: fed }, 'kafka replay finished');
  const summary = runSummary(busRunCounts(acked, { events: frames, markets: markets.size, signals }), report);
  return { summary, metrics };
}

/**
 * Waits until everything published came back through the broker and scoring is idle (fails once the
 * bus's consumer stopped for good). Exact, not a
 * guess: a consumed record's derived publishes are queued synchronously when it is emitted, and
 * scoring marks itself in flight when it starts, so quiet + idle means nothing is left to arrive.
 */
async function settleOrFail(bus: KafkaBus, inFlight: InFlight, fatal: () => { err: unknown } | undefined): Promise<void> {
  for (;;) {
    // A consumer that stopped for good would never bring the rest back.
    const stopped = fatal();
    if (stopped !== undefined) throw stopped.err;
    await bus.flush();
    await inFlight.whenIdle();
    if (bus.quiet() && !inFlight.busy) return;
    await sleep(1);
  }
}
