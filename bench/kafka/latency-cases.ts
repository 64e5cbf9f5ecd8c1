// Latency ingest -> fill: features, predict and trade on Kafka (as `polyflow run` processes, or as
// consumer groups in this process) fed at a steady rate, against the same three on one MemoryBus.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer } from 'kafkajs';
import { asyncScheduler, Subscription } from 'rxjs';
import { dueClockOf } from '../../operators/prediction-due.js';
import type { BatchScorer } from '../../operators/score-batches.js';
import { groupBusShape, settleBeforeCommit } from '../../pipelines/consumer-groups.js';
import { featuresPipeline } from '../../pipelines/features.js';
import { predictPipeline } from '../../pipelines/predict.js';
import { tradePipeline } from '../../pipelines/trade.js';
import type { Bus } from '../../runtime/bus.js';
import { loadConfig } from '../../runtime/config.js';
import { InFlight } from '../../runtime/in-flight.js';
import type { KafkaBus } from '../../runtime/kafka/kafka-bus.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import type { Logger } from '../../runtime/logger.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import { freePort } from '../../test/helpers/free-port.js';
import { MOCK_REBALANCE_ENV, spawnPipeline } from '../../test/helpers/kafka-pipelines.js';
import { TRADING_MODEL_PATH, tradingEnv } from '../../test/helpers/trading-model.js';
import type { TappedRecord } from '../bus-tap.js';
import type { LatencySummary } from '../latency-samples.js';
import { createTopics } from './broker-admin.js';
import { MarkerRounds, type MarkerRoundsSummary } from './marker-rounds.js';
import { publishRecord } from './derived-records.js';
import { fmt } from './format.js';
import { OriginClock, STAGES, type Stage } from './origin-clock.js';
import { coresSince, groupCpuSeconds, ownCpuSeconds, processesCpuSeconds } from './process-cpu.js';
import { measureStalls, type ProcessStalls } from './process-stalls.js';
import { startOutputReader } from './output-reader.js';
import { wirePipeline } from './pipeline-case.js';

const LATENCY_PIPELINES = ['features', 'predict', 'trade'] as const;

/** `processes`: `polyflow run` children; `in-process`: each pipeline on its own KafkaBus and group in this process. */
export type LatencyMode = 'processes' | 'in-process';

export interface LatencyCase {
  readonly fetchWaitMs: number;
  readonly scoreWaitMs: number;
  /** kafka.progressIntervalMs of every process (undefined: the config's default); 0: no markers. */
  readonly markersMs?: number | undefined;
  /** kafka.progressPromptMs of every process (undefined: the config's default). */
  readonly promptMs?: number | undefined;
}

export interface LatencyResult {
  readonly bus: 'kafka' | 'memory';
  readonly fetchWaitMs: number | null;
  readonly scoreWaitMs: number;
  /** The progress marker interval (0: none; null on the memory bus). */
  readonly markersMs: number | null;
  /** The least time between two rounds of markers (null on the memory bus). */
  readonly promptMs: number | null;
  readonly rate: number;
  readonly stages: Record<Stage, LatencySummary>;
  /** Kafka: per stage, the reader's own hop (the output's produce time to its arrival), part of `stages`. */
  readonly readerHop: Record<Stage, LatencySummary> | null;
  /**
   * Kafka: per stage, from the input's publish to the output's produce time (its Kafka timestamp,
   * ms), when the pipeline that made it wrote it: `stages` without the reader's hop. The memory bus
   * measures arrival at the output's making (null).
   */
  readonly produced: Record<Stage, LatencySummary> | null;
  readonly unmatched: number;
  readonly duplicates: number;
  readonly cores: CoresUsed;
  /** Kafka processes: each pipeline process's event-loop lateness and GC pauses over the measured window (else null). */
  readonly stalls: ProcessStalls[] | null;
  /** Kafka with markers: per stage read that forwards them, from ingest's rounds in the measured window to their markers written (MarkerRounds). */
  readonly markerRounds: Partial<Record<Stage, MarkerRoundsSummary>> | null;
}

/**
 * Cores used while the measured input was published (CPU seconds per second; null when not
 * readable): the broker's (the local mock's processes; null for a remote broker) and the pipelines'
 * (the `polyflow run` processes; in-process and on the memory bus, this whole process, which also
 * publishes the input and reads the outputs).
 */
export interface CoresUsed {
  readonly broker: number | null;
  readonly pipelines: number | null;
}

/** What a meter tells at the end of the measured window. */
interface Metered {
  readonly cores: CoresUsed;
  readonly stalls: Promise<ProcessStalls[] | null>;
}

/** How every latency case of the run is fed and where its Kafka pipelines run. */
export interface LatencyRun {
  /** Creates a prefix's topics as `polyflow topics` plans them (a real broker; the mock makes them when asked). */
  readonly prepareTopics: (prefix: string) => Promise<void>;
  /** Input records/s. */
  readonly rate: number;
  /** Seconds published first and not measured. */
  readonly warmup: number;
  /** Seconds measured after the warm-up. */
  readonly seconds: number;
  readonly mode: LatencyMode;
  /** The broker's bootstrap address. */
  readonly bootstrap: string;
  /** The process group of a local broker (the mock cluster), whose cores the run reports. */
  readonly brokerProcessGroup?: number | undefined;
  /** Log level of the pipeline processes (`silent` gives them `warn`). */
  readonly logLevel: string;
  readonly busLogger: Logger;
  /** The stage topics the reader measures (`--stages`). */
  readonly stages: readonly Stage[];
  /** The trading model (the baseline logistic: the default ensemble never trades). */
  readonly scorer: BatchScorer;
  readonly log: (line: string) => void;
}

/**
 * Each case on Kafka, after the memory-bus reference at its scoring wait (run once per wait). The
 * input: the market metadata, then the other ingested records for warm-up plus measured seconds.
 */
export async function measureLatency(cases: readonly LatencyCase[], derived: readonly TappedRecord[], run: LatencyRun): Promise<LatencyResult[]> {
  const ingested = derived.filter((r) => r.by === 'ingest');
  const meta = ingested.filter((r) => r.topic === 'pm.market.meta');
  const rest = ingested.filter((r) => r.topic !== 'pm.market.meta').slice(0, Math.round(run.rate * (run.warmup + run.seconds)));
  if (cases.length > 0 && rest.length < run.rate * (run.warmup + run.seconds)) run.log(`note: only ${fmt(rest.length)} input records for the latency runs (raise --events)`);
  const results: LatencyResult[] = [];
  const memoryDone = new Map<number, LatencyResult>();
  for (const lc of cases) {
    if (!memoryDone.has(lc.scoreWaitMs)) {
      run.log(`latency, memory bus, scoring.maxWaitMs ${lc.scoreWaitMs}...`);
      const m = await memoryLatency(lc, run, meta, rest);
      memoryDone.set(lc.scoreWaitMs, m);
      results.push(m);
    }
    run.log(`latency, kafka (${run.mode}), fetchMaxWaitMs ${lc.fetchWaitMs}, scoring.maxWaitMs ${lc.scoreWaitMs}, progressIntervalMs ${lc.markersMs ?? 'default'}, progressPromptMs ${lc.promptMs ?? 'default'}...`);
    results.push(await kafkaLatency(lc, run, meta, rest));
  }
  return results;
}

/** Publishes `records` at `rate` per second (in ~1 ms steps); returns the achieved rate. */
async function paced(records: readonly TappedRecord[], rate: number, publish: (r: TappedRecord) => void): Promise<number> {
  const t0 = performance.now();
  let i = 0;
  while (i < records.length) {
    const due = Math.min(records.length, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    for (; i < due; i++) publish(records[i] as TappedRecord);
    await sleep(1);
  }
  return records.length / ((performance.now() - t0) / 1000);
}

/**
 * A book or trade as live ingest publishes it: received now (its event time `ts` kept). Event time
 * then runs with the wall clock, as live: predictions come due, and trade's books wait for predict's
 * progress, as they would there (the recording's own receive times run at whatever pace --rate gives).
 */
const receivedNow = (r: TappedRecord): TappedRecord => (r.topic === 'pm.book' || r.topic === 'pm.trade' ? { ...r, value: { ...(r.value as object), recvTs: Date.now() } } : r);

/**
 * Streams `rest` at the run's rate after the market metadata: warm-up, then the measured seconds,
 * over which `meter` (started with them) tells the cores used. Waits for the tail.
 */
async function stream(clock: OriginClock, bus: Bus, rest: readonly TappedRecord[], run: LatencyRun, tailMs: number, meter: () => () => Metered): Promise<{ rate: number; cores: CoresUsed; stalls: ProcessStalls[] | null }> {
  const warm = rest.slice(0, Math.round(run.rate * run.warmup));
  const measured = rest.slice(warm.length);
  const publish = (recorded: TappedRecord): void => {
    const r = receivedNow(recorded);
    clock.published(r);
    publishRecord(bus, r);
  };
  await paced(warm, run.rate, publish);
  clock.startMeasuring(performance.now());
  const metered = meter();
  const rate = Math.round(await paced(measured, run.rate, publish));
  const end = performance.now();
  clock.inputEnded(end);
  const { cores, stalls } = metered();
  while (performance.now() - Math.max(end, clock.lastArrival) < tailMs && performance.now() - end < 15_000) await sleep(50);
  return { rate, cores, stalls: await stalls };
}

/**
 * The config of a latency case, as env (the pipeline processes get it so): the baseline logistic,
 * the case's scoring wait, and permissive trading thresholds (any positive edge, no cooldown, $1
 * stakes so no exposure cap binds), so that many predictions go all the way to a fill. The path is
 * the same as with the defaults; only more records take all of it.
 */
const latencyEnv = (lc: LatencyCase): Record<string, string> => ({
  POLYFLOW_SCORING_MODEL_PATH: TRADING_MODEL_PATH,
  POLYFLOW_SCORING_MAX_WAIT_MS: String(lc.scoreWaitMs),
  POLYFLOW_SIGNAL_MIN_EDGE: '0',
  POLYFLOW_SIGNAL_MEDIUM_EDGE: '0',
  POLYFLOW_SIGNAL_STRONG_EDGE: '0',
  POLYFLOW_SIGNAL_COOLDOWN_MS: '0',
  POLYFLOW_RISK_MAX_STAKE_USD: '1',
  POLYFLOW_RISK_MIN_ORDER_SHARES: '0',
});

/** The three pipelines on one memory bus, live clock (predictions wait on it, as in `polyflow live`): the embedded process's latency. */
async function memoryLatency(lc: LatencyCase, run: LatencyRun, meta: readonly TappedRecord[], rest: readonly TappedRecord[]): Promise<LatencyResult> {
  const cfg = loadConfig({ env: latencyEnv(lc) });
  const bus = new MemoryBus();
  const clock = new OriginClock();
  const metrics = new PipelineMetrics();
  const inFlight = new InFlight();
  const graph = new Subscription();
  for (const stage of STAGES) graph.add(bus.topic(stage).subscribe((v) => clock.arrived(stage, v)));
  graph.add(featuresPipeline(bus, cfg, metrics));
  graph.add(predictPipeline(bus, cfg, { scorer: run.scorer, scheduler: asyncScheduler, inFlight, metrics }));
  graph.add(tradePipeline(bus, cfg, { metrics, clock: dueClockOf(asyncScheduler) }));
  for (const r of meta) publishRecord(bus, r);
  const meter = (): (() => Metered) => {
    const pipelines = coresSince(ownCpuSeconds);
    return () => ({ cores: { broker: null, pipelines: pipelines() }, stalls: Promise.resolve(null) });
  };
  const { rate, cores, stalls } = await stream(clock, bus, rest, run, lc.scoreWaitMs + 500, meter);
  graph.unsubscribe();
  await inFlight.whenIdle();
  await bus.close();
  return { bus: 'memory', fetchWaitMs: null, scoreWaitMs: lc.scoreWaitMs, markersMs: null, promptMs: null, rate, stages: clock.summary(), readerHop: null, produced: null, unmatched: clock.unmatched, duplicates: clock.duplicates, cores, stalls, markerRounds: null };
}

/**
 * `polyflow run features|predict|trade` as processes (or, in-process, each on its own KafkaBus and
 * group as `polyflow run` wires it); this process publishes the input and reads the outputs.
 */
async function kafkaLatency(lc: LatencyCase, run: LatencyRun, meta: readonly TappedRecord[], rest: readonly TappedRecord[]): Promise<LatencyResult> {
  const id = `bench-${randomUUID().slice(0, 8)}`;
  const env = tradingEnv({
    ...latencyEnv(lc),
    POLYFLOW_LOG_LEVEL: run.logLevel === 'silent' ? 'warn' : run.logLevel,
    KAFKA_BROKERS: run.bootstrap,
    POLYFLOW_KAFKA_TOPIC_PREFIX: `${id}.`,
    POLYFLOW_KAFKA_GROUP_ID_PREFIX: id,
    POLYFLOW_KAFKA_SESSION_TIMEOUT_MS: '6000',
    ...MOCK_REBALANCE_ENV,
    POLYFLOW_KAFKA_FETCH_MAX_WAIT_MS: String(lc.fetchWaitMs),
    ...(lc.markersMs === undefined ? {} : { POLYFLOW_KAFKA_PROGRESS_INTERVAL_MS: String(lc.markersMs) }),
    ...(lc.promptMs === undefined ? {} : { POLYFLOW_KAFKA_PROGRESS_PROMPT_MS: String(lc.promptMs) }),
  });
  const config = loadConfig({ env });
  const children: ChildProcess[] = [];
  const buses: KafkaBus[] = [];
  let reader: Consumer | undefined;
  const graphs = new Subscription();
  const inFlights: InFlight[] = [];
  try {
    await run.prepareTopics(`${id}.`);
    await createTopics(config);
    // Its books and trades are received now, as live ingest's are: its markers go on through quiet periods too.
    const publisher = openKafkaBus({ config, logger: run.busLogger, progressWallClock: true });
    // Market metadata before the pipelines start: each reads it to its end (a reference table) before its first record.
    buses.push(publisher);
    await publisher.start();
    for (const r of meta) publishRecord(publisher, r);
    await publisher.flush();
    // Each process serves /metrics on a port of its own: its event loop and GC over the measured window.
    const metricsPorts = new Map<string, number>();
    if (run.mode === 'processes') {
      for (const p of LATENCY_PIPELINES) metricsPorts.set(p, await freePort());
      children.push(...(await Promise.all(LATENCY_PIPELINES.map((p) => spawnPipeline(p, { ...env, POLYFLOW_METRICS_PORT: String(metricsPorts.get(p)) })))));
    } else {
      // Each pipeline on its own bus and consumer group, as its process would have them, in this process.
      for (const pipeline of LATENCY_PIPELINES) {
        const inFlight = new InFlight();
        inFlights.push(inFlight);
        const bus = openKafkaBus({ config, group: pipeline, fromBeginning: true, logger: run.busLogger, settle: settleBeforeCommit(inFlight), ...groupBusShape(pipeline, config) });
        buses.push(bus);
        graphs.add(wirePipeline({ name: pipeline, pipeline, config, scorer: run.scorer }, bus, { metrics: new PipelineMetrics(), inFlight, files: undefined }));
      }
      await Promise.all(buses.map((bus) => bus.start()));
    }
    const clock = new OriginClock();
    const rounds = new MarkerRounds(config.kafka.partitions);
    reader = await startOutputReader(config, `${id}.bench-reader`, run.busLogger, (stage, v, producedAt) => clock.arrived(stage, v, producedAt), run.stages, (stage, partition, time, producedAt) =>
      rounds.marked(stage, partition, time, producedAt),
    );
    const group = run.brokerProcessGroup;
    const pids = children.map((child) => child.pid).filter((pid): pid is number => pid !== undefined);
    const meter = (): (() => Metered) => {
      const broker = group === undefined ? () => null : coresSince(() => groupCpuSeconds(group));
      const pipelines = coresSince(pids.length > 0 ? () => processesCpuSeconds(pids) : ownCpuSeconds);
      const stalls = metricsPorts.size > 0 ? measureStalls(metricsPorts) : undefined;
      return () => ({ cores: { broker: broker(), pipelines: pipelines() }, stalls: stalls?.then((end) => end()) ?? Promise.resolve(null) });
    };
    const { rate, cores, stalls } = await stream(clock, publisher, rest, run, lc.scoreWaitMs + 3 * lc.fetchWaitMs + 500, meter);
    const measured = clock.wallWindow();
    return {
      bus: 'kafka',
      fetchWaitMs: lc.fetchWaitMs,
      scoreWaitMs: lc.scoreWaitMs,
      markersMs: config.kafka.progressIntervalMs,
      promptMs: config.kafka.progressPromptMs,
      rate,
      stages: clock.summary(),
      readerHop: clock.readerHopSummary(),
      produced: clock.producedSummary(),
      unmatched: clock.unmatched,
      duplicates: clock.duplicates,
      cores,
      stalls,
      markerRounds: config.kafka.progressIntervalMs > 0 ? rounds.summary(measured.from, measured.to) : null,
    };
  } finally {
    graphs.unsubscribe();
    await Promise.all(inFlights.map((f) => f.whenIdle()));
    await reader?.disconnect();
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((done) => child.once('exit', done)) : undefined)));
    for (const bus of buses) await bus.close().catch(() => undefined);
  }
}
