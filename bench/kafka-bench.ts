// `npm run bench:kafka`: the Kafka path against the embedded memory bus, in one run, on librdkafka's
// mock cluster (infra/kafka/mock-cluster.sh, started here through the tests' helper; a real broker
// when KAFKA_BROKERS is set). Every run has its own topic prefix and consumer groups.
// 1. Throughput per pipeline (features, predict with the default ensemble and with the single
//    logistic, trade, persist): its input topics are pre-produced from a generated recording (the
//    simulator's frames through ingest, and the records the upstream pipelines derive from them),
//    then the pipeline's graph runs on a KafkaBus consumer group from offset 0, wired as
//    `polyflow run <pipeline>` wires it, until every input record is consumed and every output
//    acknowledged; the same graph on a MemoryBus over the same records gives the reference.
// 2. Latency ingest -> fill: `polyflow run features|predict|trade` as three processes (consumer
//    groups; or, with --latency-mode in-process, three KafkaBus consumer groups in this process),
//    fed at a steady rate by this process, which also reads their outputs as its own group;
//    latency = arrival at that reader - the wall time the originating pm.book/pm.trade record was
//    published, matched by (asset, event ts), which features, predictions, signals, orders and fills
//    carry through. The same three pipelines on one MemoryBus at the same rate give the reference.
//    Trading uses the baseline logistic (the default ensemble never trades).
// Prints tables; writes the JSON (machine, parameters, results) to --json (default out/bench/kafka.json).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Consumer } from 'kafkajs';
import { asyncScheduler, Subject, Subscription } from 'rxjs';
import type { KafkaPipeline } from '../bin/commands/run-kafka.js';
import { loadScorer } from '../models/load-scorer.js';
import type { BatchScorer } from '../operators/score-batches.js';
import { featuresPipeline } from '../pipelines/features.js';
import { ingestPipeline } from '../pipelines/ingest.js';
import { persistPipeline } from '../pipelines/persist.js';
import { predictPipeline } from '../pipelines/predict.js';
import { tradePipeline } from '../pipelines/trade.js';
import type { Bus } from '../runtime/bus.js';
import { loadConfig, type Config } from '../runtime/config.js';
import { InFlight } from '../runtime/in-flight.js';
import { AvroTopicSerde } from '../runtime/kafka/avro-serde.js';
import { createKafka } from '../runtime/kafka/kafka-client.js';
import { createLogger } from '../runtime/logger.js';
import type { KafkaBus } from '../runtime/kafka/kafka-bus.js';
import { committedSchemaOf, openKafkaBus } from '../runtime/kafka/open-kafka-bus.js';
import { createSchemaRegistry } from '../runtime/kafka/schema-registry.js';
import { MemoryBus } from '../runtime/memory-bus.js';
import { PipelineMetrics } from '../runtime/metrics.js';
import { fromPackageRoot, packageRoot } from '../runtime/package-root.js';
import { ReplayScheduler } from '../runtime/replay-scheduler.js';
import { FEATURE_SPEC } from '../schemas/feature-spec.js';
import { TOPIC_NAMES, type TopicName, type TopicTypes } from '../schemas/topics.js';
import { JsonlFiles } from '../sinks/jsonl-files.js';
import type { ReplayRecord } from '../sources/replay/replay-record.js';
import { readReplay } from '../sources/replay/replay-directory.js';
import { simulate } from '../sources/simulator/simulate.js';
import { startTestKafka, type MockCluster } from '../test/helpers/kafka-mock-cluster.js';
import { spawnPipeline } from '../test/helpers/kafka-pipelines.js';
import { TRADING_MODEL_PATH, tradingEnv } from '../test/helpers/trading-model.js';
import { BusTap, type TappedRecord } from './bus-tap.js';
import { profiled, type SelfTime } from './cpu-profile.js';
import { fellBehind, LatencySamples, type LatencySummary } from './latency-samples.js';
import { throughput, type Measured } from './measure.js';

const USAGE = `usage: node dist/bench/kafka-bench.js [options]
  --events <n>        frames in the generated recording (default 40000)
  --markets <n>       markets in it (default events/1000, at least 20)
  --pipelines <list>  throughput cases: features,predict,trade,persist (default all; "" for none)
  --max-input <n>     input records per throughput case, from the start of its input (default 25000:
                      the mock cluster keeps only ~5 MB per partition, so more is deleted before it is read)
  --passes <n>        memory-bus passes after a warm-up (default 3); Kafka: one pass per case
  --rate <n>          latency runs: input records/s (default 200: about twice the event rate of the
                      recorded reference stream; raise it to find where the Kafka path falls behind)
  --seconds <n>       latency runs: measured seconds after the warm-up (default 10)
  --warmup <n>        latency runs: seconds published first and not measured (default 2)
  --latency <list>    latency cases fetchMaxWaitMs:scoringMaxWaitMs (default 50:1000,50:0,5:0; "" for none)
  --latency-mode <m>  processes (default): \`polyflow run\` children; in-process: each pipeline on its own
                      KafkaBus and consumer group inside this process
  --json <file>       results (default out/bench/kafka.json)
  --profile <dir>     CPU-profile each Kafka throughput pass: .cpuprofile files and self time per component
  --log <level>       log level of this process's Kafka buses and of the pipeline processes (default silent)`;

const args = parseArgs({
  options: {
    events: { type: 'string', default: '40000' },
    markets: { type: 'string' },
    pipelines: { type: 'string', default: 'features,predict,trade,persist' },
    passes: { type: 'string', default: '3' },
    'max-input': { type: 'string', default: '25000' },
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    latency: { type: 'string', default: '50:1000,50:0,5:0' },
    'latency-mode': { type: 'string', default: 'processes' },
    json: { type: 'string', default: 'out/bench/kafka.json' },
    profile: { type: 'string' },
    log: { type: 'string', default: 'silent' },
    help: { type: 'boolean', default: false },
  },
}).values;

const positive = (name: string, raw: string): number => {
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`--${name}: expected a positive number, got "${raw}"\n${USAGE}`);
  return n;
};
const list = (raw: string): string[] => raw.split(',').map((s) => s.trim()).filter((s) => s !== '');

const EVENTS = positive('events', args.events);
const MARKETS = args.markets === undefined ? Math.max(20, Math.round(EVENTS / 1_000)) : positive('markets', args.markets);
// The reference density of `npm run bench` (1M events in 2.6 h of event time), scaled to EVENTS.
const DURATION_MS = (EVENTS / 1_000_000) * 2.6 * 3_600_000;
const PASSES = positive('passes', args.passes);
const MAX_INPUT = positive('max-input', args['max-input']);
const RATE = positive('rate', args.rate);
const SECONDS = positive('seconds', args.seconds);
const WARMUP = Number(args.warmup);
if (!(WARMUP >= 0)) throw new Error(`--warmup: expected seconds >= 0, got "${args.warmup}"\n${USAGE}`);
/** The bench's reader of the pipelines' outputs polls at this wait: its hop is part of what it measures. */
const READER_FETCH_WAIT_MS = 5;
const LATENCY_PIPELINES = ['features', 'predict', 'trade'] as const;
const LATENCY_MODE = args['latency-mode'];
if (LATENCY_MODE !== 'processes' && LATENCY_MODE !== 'in-process') throw new Error(`--latency-mode: processes or in-process, not "${LATENCY_MODE}"\n${USAGE}`);

const busLogger = createLogger(args.log);
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');

/** The consumer-group pipelines measured here (watch and alerts are not on the path to a fill). */
type BenchedPipeline = Extract<KafkaPipeline, 'features' | 'predict' | 'trade' | 'persist'>;

/** A pipeline as one throughput case: its wiring is `polyflow run <pipeline>`'s (bin/commands/run-kafka.ts). */
interface PipelineCase {
  readonly name: string;
  readonly pipeline: BenchedPipeline;
  readonly config: Config;
  readonly scorer?: BatchScorer | undefined;
}

interface WireDeps {
  readonly metrics: PipelineMetrics;
  readonly inFlight: InFlight;
  /** persist's output (only persist needs it). */
  readonly files: JsonlFiles | undefined;
}

function wirePipeline(c: PipelineCase, bus: Bus, deps: WireDeps): Subscription {
  switch (c.pipeline) {
    case 'features':
      return featuresPipeline(bus, c.config, deps.metrics);
    case 'predict':
      if (c.scorer === undefined) throw new Error(`${c.name}: no scorer`);
      return predictPipeline(bus, c.config, { scorer: c.scorer, scheduler: asyncScheduler, inFlight: deps.inFlight, metrics: deps.metrics });
    case 'trade':
      return tradePipeline(bus, c.config, deps.metrics);
    case 'persist':
      if (deps.files === undefined) throw new Error(`${c.name}: no output files`);
      return persistPipeline(bus, c.config.output.topics, deps.files);
  }
}

const publishRecord = (bus: Bus, r: TappedRecord): void => bus.publish(r.topic, r.key, r.value as TopicTypes[typeof r.topic]);

/**
 * Every record the graph publishes for the recording, in publish order, each with the pipeline that
 * published it: ingest, then features, predict and trade on one memory bus with the replay's virtual
 * clock (as `polyflow replay` runs them), so predictions interleave with the books they were made on.
 */
async function deriveRecords(recording: string, config: Config, scorer: BatchScorer): Promise<TappedRecord[]> {
  const records: TappedRecord[] = [];
  const bus = new MemoryBus();
  const tap = (by: string): Bus => new BusTap(bus, (r) => records.push(r), by);
  const scheduler = new ReplayScheduler(0);
  const inFlight = new InFlight();
  const metrics = new PipelineMetrics();
  const input = new Subject<ReplayRecord>();
  const graph = new Subscription();
  graph.add(ingestPipeline(input, tap('ingest'), metrics));
  graph.add(featuresPipeline(tap('features'), config, metrics));
  graph.add(predictPipeline(tap('predict'), config, { scorer, scheduler, inFlight, metrics }));
  graph.add(tradePipeline(tap('trade'), config, metrics));
  let lastTs = 0;
  for await (const batch of readReplay(recording)) {
    for (const record of batch) {
      scheduler.advanceTo(record.recvTs);
      lastTs = Math.max(lastTs, record.recvTs);
      input.next(record);
      if (inFlight.busy) await inFlight.whenIdle();
    }
  }
  scheduler.advanceTo(lastTs + config.scoring.maxWaitMs);
  await inFlight.whenIdle();
  graph.unsubscribe();
  await bus.close();
  return records;
}

/** The records a pipeline consumes: those of the topics its wiring subscribes to that another pipeline published. */
function inputsOf(c: PipelineCase, derived: readonly TappedRecord[], scratch: string): TappedRecord[] {
  const probe = new BusTap(new MemoryBus());
  const files = new JsonlFiles(join(scratch, 'probe'));
  wirePipeline(c, probe, { metrics: new PipelineMetrics(), inFlight: new InFlight(), files }).unsubscribe();
  files.close();
  return derived.filter((r) => probe.subscribed.has(r.topic) && r.by !== c.pipeline);
}

const countByTopic = (records: readonly TappedRecord[]): Map<TopicName, number> => {
  const counts = new Map<TopicName, number>();
  for (const r of records) counts.set(r.topic, (counts.get(r.topic) ?? 0) + 1);
  return counts;
};

interface ThroughputResult {
  readonly case: string;
  readonly input: number;
  readonly inputTopics: Readonly<Record<string, number>>;
  readonly memory: Measured;
  readonly memoryOutputs: number;
  readonly kafkaEps: number;
  readonly kafkaSeconds: number;
  readonly kafkaOutputs: number;
  /** CPU seconds of this process per wall second while the Kafka pass ran (1 = one core busy). */
  readonly kafkaCpu: number;
  readonly produceRps: number;
  readonly selfTime?: SelfTime | undefined;
}

async function memoryThroughput(c: PipelineCase, input: readonly TappedRecord[], scratch: string): Promise<{ measured: Measured; outputs: number }> {
  let outputs = 0;
  let pass = 0;
  const measured = await throughput(PASSES, async () => {
    const bus = new MemoryBus();
    const inFlight = new InFlight();
    const files = new JsonlFiles(join(scratch, `memory-${c.name.replace(/\W+/g, '-')}-${pass++}`));
    let published = 0;
    const sub = wirePipeline(c, new BusTap(bus, () => published++), { metrics: new PipelineMetrics(), inFlight, files });
    for (const r of input) publishRecord(bus, r);
    // A scoring batch due now flushes on the next timer tick.
    await new Promise((resolve) => setTimeout(resolve, 1));
    await inFlight.whenIdle();
    sub.unsubscribe();
    files.close();
    await bus.close();
    outputs = published;
    return input.length;
  });
  return { measured, outputs };
}

/**
 * Waits until the bus consumed every pre-produced record of the topics the pipeline subscribes to
 * plus every record it published to those topics itself (the trade stage reads its own signals,
 * orders and fills), everything it published is acknowledged, and scoring is idle.
 */
async function drained(bus: KafkaBus, subscribed: ReadonlySet<TopicName>, pre: ReadonlyMap<TopicName, number>, inFlight: InFlight): Promise<void> {
  let lastProgress = performance.now();
  let lastReceived = -1;
  for (;;) {
    await bus.flush();
    await inFlight.whenIdle();
    const { acked, received } = bus.counts();
    if ([...subscribed].every((t) => (received.get(t) ?? 0) >= (pre.get(t) ?? 0) + (acked.get(t) ?? 0))) return;
    const total = [...received.values()].reduce((a, b) => a + b, 0);
    if (total !== lastReceived) {
      lastReceived = total;
      lastProgress = performance.now();
    } else if (performance.now() - lastProgress > 30_000) {
      throw new Error(`kafka pass stalled: received ${JSON.stringify(Object.fromEntries(received))}, expected ${JSON.stringify(Object.fromEntries(pre))} plus own ${JSON.stringify(Object.fromEntries(acked))}`);
    }
    await sleep(1);
  }
}

async function kafkaThroughput(
  c: PipelineCase,
  input: readonly TappedRecord[],
  prefix: string,
  scratch: string,
): Promise<{ eps: number; seconds: number; outputs: number; cpu: number; produceRps: number; selfTime?: SelfTime | undefined }> {
  const config: Config = { ...c.config, kafka: { ...c.config.kafka, groupIdPrefix: prefix } };
  const producer = openKafkaBus({ config, topicPrefix: prefix, logger: busLogger });
  await producer.start();
  const p0 = performance.now();
  for (const r of input) {
    publishRecord(producer, r);
    if (producer.pressure) await producer.flush();
  }
  await producer.close();
  const produceRps = input.length / ((performance.now() - p0) / 1000);
  await assertRetained(config, prefix, [...countByTopic(input).keys()]);

  const metrics = new PipelineMetrics();
  const inFlight = new InFlight();
  const files = new JsonlFiles(join(scratch, `kafka-${prefix}`));
  const bus = openKafkaBus({ config, group: c.pipeline, topicPrefix: prefix, fromBeginning: true, registry: metrics.registry, logger: busLogger, settle: () => inFlight.whenIdle() });
  let outputs = 0;
  const tap = new BusTap(bus, () => outputs++);
  const sub = wirePipeline(c, tap, { metrics, inFlight, files });
  try {
    await bus.start();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const pre = countByTopic(input);
    let selfTime: SelfTime | undefined;
    if (args.profile === undefined) await drained(bus, tap.subscribed, pre, inFlight);
    else {
      mkdirSync(args.profile, { recursive: true });
      const file = join(args.profile, `${c.name.replace(/\W+/g, '-')}.cpuprofile`);
      selfTime = (await profiled(() => drained(bus, tap.subscribed, pre, inFlight), file)).selfTime;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { eps: input.length / seconds, seconds, outputs, cpu: (cpu.user + cpu.system) / 1e6 / seconds, produceRps, selfTime };
  } finally {
    sub.unsubscribe();
    await inFlight.whenIdle();
    await bus.close();
    files.close();
  }
}

/**
 * The mock cluster keeps about 5 MB per partition and deletes the oldest records past it: a
 * pre-produced input that does not fit would never be consumed in full. Fails early instead.
 */
async function assertRetained(config: Config, prefix: string, topics: readonly TopicName[]): Promise<void> {
  const admin = createKafka({ brokers: config.kafka.brokers, clientId: 'polyflow-bench-admin' }).admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const lost = (await admin.fetchTopicOffsets(`${prefix}${topic}`)).reduce((n, p) => n + Number(p.low), 0);
      if (lost > 0) throw new Error(`the broker deleted ${lost} pre-produced ${topic} records before they were read (the mock keeps ~5 MB per partition): lower --max-input`);
    }
  } finally {
    await admin.disconnect();
  }
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

const STAGES = ['features.v1', 'prediction.v1', 'fill.v1'] as const;
type Stage = (typeof STAGES)[number];

/**
 * Wall time each input was published, by (asset, event ts): every derived record carries both
 * (a feature vector's ts is its asset's latest event time; predictions, signals, orders and fills
 * copy it), so an arrival maps back to the first input of that asset and time. Inputs published
 * during the warm-up are not measured.
 */
class OriginClock {
  private readonly sent = new Map<string, number>();
  private readonly seen = new Set<string>();
  private readonly samples = new Map<Stage, LatencySamples>(STAGES.map((s) => [s, new LatencySamples()]));
  private measureFrom = Infinity;
  private inputEnd = Infinity;
  unmatched = 0;
  /** Records that arrived again (a redelivery): not measured twice. */
  duplicates = 0;
  lastArrival = 0;

  startMeasuring(at: number): void {
    this.measureFrom = at;
  }

  inputEnded(at: number): void {
    this.inputEnd = at;
  }

  published(r: TappedRecord): void {
    if (r.topic !== 'pm.book' && r.topic !== 'pm.trade') return;
    const v = r.value as TopicTypes['pm.book' | 'pm.trade'];
    const key = `${v.assetId}|${v.ts}`;
    if (!this.sent.has(key)) this.sent.set(key, performance.now());
  }

  arrived(stage: Stage, v: { id: string; assetId: string; ts: number }): void {
    const now = performance.now();
    this.lastArrival = now;
    if (this.seen.has(v.id)) {
      this.duplicates++;
      return;
    }
    this.seen.add(v.id);
    const at = this.sent.get(`${v.assetId}|${v.ts}`);
    if (at === undefined) this.unmatched++;
    else if (at >= this.measureFrom) this.samples.get(stage)?.add(now - at, now > this.inputEnd);
  }

  summary(): Record<Stage, LatencySummary> {
    return Object.fromEntries(STAGES.map((s) => [s, this.samples.get(s)?.summary()])) as Record<Stage, LatencySummary>;
  }
}

interface LatencyCase {
  readonly fetchWaitMs: number;
  readonly scoreWaitMs: number;
}

interface LatencyResult {
  readonly bus: 'kafka' | 'memory';
  readonly fetchWaitMs: number | null;
  readonly scoreWaitMs: number;
  readonly rate: number;
  readonly stages: Record<Stage, LatencySummary>;
  readonly unmatched: number;
  readonly duplicates: number;
}

/** Streams `rest` at RATE after the market metadata: warm-up, then the measured seconds. Waits for the tail. */
async function stream(clock: OriginClock, bus: Bus, rest: readonly TappedRecord[], tailMs: number): Promise<number> {
  const warm = rest.slice(0, Math.round(RATE * WARMUP));
  const measured = rest.slice(warm.length);
  const publish = (r: TappedRecord): void => {
    clock.published(r);
    publishRecord(bus, r);
  };
  await paced(warm, RATE, publish);
  clock.startMeasuring(performance.now());
  const rate = Math.round(await paced(measured, RATE, publish));
  const end = performance.now();
  clock.inputEnded(end);
  while (performance.now() - Math.max(end, clock.lastArrival) < tailMs && performance.now() - end < 15_000) await sleep(50);
  return rate;
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

/** The three pipelines on one memory bus, live clock: the embedded process's latency. */
async function memoryLatency(lc: LatencyCase, scorer: BatchScorer, meta: readonly TappedRecord[], rest: readonly TappedRecord[]): Promise<LatencyResult> {
  const cfg = loadConfig({ env: latencyEnv(lc) });
  const bus = new MemoryBus();
  const clock = new OriginClock();
  const metrics = new PipelineMetrics();
  const inFlight = new InFlight();
  const graph = new Subscription();
  for (const stage of STAGES) graph.add(bus.topic(stage).subscribe((v) => clock.arrived(stage, v)));
  graph.add(featuresPipeline(bus, cfg, metrics));
  graph.add(predictPipeline(bus, cfg, { scorer, scheduler: asyncScheduler, inFlight, metrics }));
  graph.add(tradePipeline(bus, cfg, metrics));
  for (const r of meta) publishRecord(bus, r);
  const rate = await stream(clock, bus, rest, lc.scoreWaitMs + 500);
  graph.unsubscribe();
  await inFlight.whenIdle();
  await bus.close();
  return { bus: 'memory', fetchWaitMs: null, scoreWaitMs: lc.scoreWaitMs, rate, stages: clock.summary(), unmatched: clock.unmatched, duplicates: clock.duplicates };
}

/** Waits (polling) until every group has committed `count` records of `topic` (summed over partitions). */
async function whenCommitted(config: Config, groups: readonly string[], topic: string, count: number): Promise<void> {
  const admin = createKafka({ brokers: config.kafka.brokers, clientId: 'polyflow-bench-admin' }).admin();
  await admin.connect();
  const committed = async (groupId: string): Promise<number> => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  };
  try {
    const t0 = performance.now();
    for (const group of groups) {
      while ((await committed(group)) < count) {
        if (performance.now() - t0 > 60_000) throw new Error(`${group} did not commit ${count} records of ${topic} within 60 s`);
        await sleep(20);
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates every topic of the run up front (the mock auto-creates a topic on a metadata request for
 * it). A group that joins before a topic it subscribes to exists is assigned its partitions only at
 * a later rebalance, seconds later, which a latency run would measure.
 */
async function createTopics(config: Config): Promise<void> {
  const admin = createKafka({ brokers: config.kafka.brokers, clientId: 'polyflow-bench-admin' }).admin();
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics: TOPIC_NAMES.map((t) => `${config.kafka.topicPrefix}${t}`) });
  } finally {
    await admin.disconnect();
  }
}

/**
 * The bench's reader of the pipelines' outputs: a plain kafkajs consumer that decodes every record
 * and commits in the background (not a KafkaBus, which commits each partition batch before the
 * next: with a steady trickle of input that is a round trip per record or two, and the reader
 * would measure its own backlog). Resolves once its group is joined.
 */
async function startReader(config: Config, group: string, onRecord: (stage: Stage, value: TopicTypes[Stage]) => void): Promise<Consumer> {
  const serde = new AvroTopicSerde({
    client: createSchemaRegistry(config.kafka.schemaRegistryUrl),
    schemaOf: committedSchemaOf,
    kafkaTopic: (t) => `${config.kafka.topicPrefix}${t}`,
    registerFirst: config.kafka.schemaRegistryUrl === '' ? TOPIC_NAMES : undefined,
  });
  const stageOf = new Map<string, Stage>(STAGES.map((s) => [`${config.kafka.topicPrefix}${s}`, s]));
  const consumer = createKafka({ brokers: config.kafka.brokers, clientId: 'polyflow-bench-reader', logger: busLogger }).consumer({
    groupId: group,
    sessionTimeout: config.kafka.sessionTimeoutMs,
    rebalanceTimeout: config.kafka.sessionTimeoutMs,
    heartbeatInterval: Math.max(100, Math.floor(config.kafka.sessionTimeoutMs / 5)),
    maxWaitTimeInMs: READER_FETCH_WAIT_MS,
  });
  let timer: NodeJS.Timeout | undefined;
  const joined = new Promise<void>((done, fail) => {
    consumer.on(consumer.events.GROUP_JOIN, () => done());
    timer = setTimeout(() => fail(new Error(`bench reader: group ${group} not joined in 60 s`)), 60_000);
  }).finally(() => clearTimeout(timer));
  await consumer.connect();
  await consumer.subscribe({ topics: [...stageOf.keys()], fromBeginning: true });
  await consumer.run({
    autoCommitInterval: 5_000,
    eachBatch: async ({ batch }) => {
      const stage = stageOf.get(batch.topic);
      if (stage === undefined) return;
      for (const message of batch.messages) onRecord(stage, await serde.deserialize(stage, message.value));
    },
  });
  await joined;
  return consumer;
}

/**
 * `polyflow run features|predict|trade` as processes (or, in-process, each on its own KafkaBus and
 * group as `polyflow run` wires it); this process publishes the input and reads the outputs.
 */
async function kafkaLatency(lc: LatencyCase, cluster: MockCluster, meta: readonly TappedRecord[], rest: readonly TappedRecord[], scorer: BatchScorer): Promise<LatencyResult> {
  const id = `bench-${randomUUID().slice(0, 8)}`;
  const env = tradingEnv({
    ...latencyEnv(lc),
    POLYFLOW_LOG_LEVEL: args.log === 'silent' ? 'warn' : args.log,
    KAFKA_BROKERS: cluster.bootstrap,
    POLYFLOW_KAFKA_TOPIC_PREFIX: `${id}.`,
    POLYFLOW_KAFKA_GROUP_ID_PREFIX: id,
    POLYFLOW_KAFKA_SESSION_TIMEOUT_MS: '6000',
    POLYFLOW_KAFKA_FETCH_MAX_WAIT_MS: String(lc.fetchWaitMs),
  });
  const config = loadConfig({ env });
  const children: ChildProcess[] = [];
  const buses: KafkaBus[] = [];
  let reader: Consumer | undefined;
  const graphs = new Subscription();
  const inFlights: InFlight[] = [];
  try {
    await createTopics(config);
    if (LATENCY_MODE === 'processes') children.push(...(await Promise.all(LATENCY_PIPELINES.map((p) => spawnPipeline(p, env)))));
    else {
      // Each pipeline on its own bus and consumer group, as its process would have them, in this process.
      for (const pipeline of LATENCY_PIPELINES) {
        const inFlight = new InFlight();
        inFlights.push(inFlight);
        const bus = openKafkaBus({ config, group: pipeline, fromBeginning: true, logger: busLogger, settle: () => inFlight.whenIdle() });
        buses.push(bus);
        graphs.add(wirePipeline({ name: pipeline, pipeline, config, scorer }, bus, { metrics: new PipelineMetrics(), inFlight, files: undefined }));
      }
      await Promise.all(buses.map((bus) => bus.start()));
    }
    const publisher = openKafkaBus({ config, logger: busLogger });
    buses.push(publisher);
    const clock = new OriginClock();
    reader = await startReader(config, `${id}.bench-reader`, (stage, v) => clock.arrived(stage, v));
    await publisher.start();
    // Market metadata first, and on only once both pipelines that read it have committed it.
    for (const r of meta) publishRecord(publisher, r);
    await publisher.flush();
    await whenCommitted(config, [`${id}.features`, `${id}.trade`], `${config.kafka.topicPrefix}pm.market.meta`, meta.length);
    const rate = await stream(clock, publisher, rest, lc.scoreWaitMs + 3 * lc.fetchWaitMs + 500);
    return { bus: 'kafka', fetchWaitMs: lc.fetchWaitMs, scoreWaitMs: lc.scoreWaitMs, rate, stages: clock.summary(), unmatched: clock.unmatched, duplicates: clock.duplicates };
  } finally {
    graphs.unsubscribe();
    await Promise.all(inFlights.map((f) => f.whenIdle()));
    await reader?.disconnect();
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((done) => child.once('exit', done)) : undefined)));
    for (const bus of buses) await bus.close().catch(() => undefined);
  }
}

function parseLatencyCases(raw: string): LatencyCase[] {
  return list(raw).map((pair) => {
    const [fetch, score] = pair.split(':').map(Number);
    if (fetch === undefined || score === undefined || !(fetch > 0) || !(score >= 0)) throw new Error(`--latency: expected fetchMaxWaitMs:scoringMaxWaitMs pairs, got "${pair}"\n${USAGE}`);
    return { fetchWaitMs: fetch, scoreWaitMs: score };
  });
}

/** The commit measured, and whether the Kafka path's sources differ from it (numbers of uncommitted code say so). */
function sourceRevision(): string {
  try {
    const git = (...a: string[]): string => execFileSync('git', a, { cwd: packageRoot(), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = git('status', '--porcelain', '--', 'runtime', 'pipelines', 'operators', 'bin', 'schemas', 'sinks', 'models') !== '';
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes' : ''}`;
  } catch {
    return 'commit unknown';
  }
}

async function main(): Promise<void> {
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const pipelines = list(args.pipelines);
  const latencyCases = parseLatencyCases(args.latency);
  const loadStart = loadavg();
  const started = performance.now();
  const scratch = mkdtempSync(join(tmpdir(), 'polyflow-bench-kafka-'));
  log('starting Kafka (the mock cluster of infra/kafka/mock-cluster.sh unless KAFKA_BROKERS is set)...');
  const cluster = await startTestKafka();
  log(`broker: ${cluster.kind} at ${cluster.bootstrap}`);
  const runId = `bench-${randomUUID().slice(0, 8)}`;
  const kafka = { brokers: [cluster.bootstrap], sessionTimeoutMs: 6_000 };
  const config = loadConfig({ env: {}, overrides: { kafka } });
  const trading = loadConfig({ env: {}, overrides: { kafka, scoring: { modelPath: TRADING_MODEL_PATH } } });
  // Throughput of predict with every batch scored when its input is in (a wall-clock wait would hold the last batch past the pass).
  const scoreNow = (c: Config): Config => ({ ...c, scoring: { ...c.scoring, maxWaitMs: 0 } });
  const throughputResults: ThroughputResult[] = [];
  const latencyResults: LatencyResult[] = [];
  let derivedCounts: Record<string, number> = {};
  try {
    log(`simulating a recording of ${fmt(EVENTS)} frames over ${MARKETS} markets...`);
    const recording = join(scratch, 'recording');
    await simulate({ outDir: recording, events: EVENTS, markets: MARKETS, durationMs: DURATION_MS, seed: 1 });
    const ensemble = await loadScorer(fromPackageRoot(config.scoring.modelPath), FEATURE_SPEC);
    const logistic = await loadScorer(fromPackageRoot(trading.scoring.modelPath), FEATURE_SPEC);
    log('ingest -> features -> predict (baseline logistic) -> trade on the memory bus, recording every topic...');
    const derived = await deriveRecords(recording, trading, logistic);
    derivedCounts = Object.fromEntries(countByTopic(derived));

    const cases: PipelineCase[] = [];
    for (const p of pipelines) {
      if (p === 'features') cases.push({ name: 'features', pipeline: 'features', config });
      else if (p === 'predict') {
        cases.push({ name: 'predict (ensemble, default)', pipeline: 'predict', config: scoreNow(config), scorer: ensemble });
        cases.push({ name: 'predict (baseline logistic)', pipeline: 'predict', config: scoreNow(trading), scorer: logistic });
      } else if (p === 'trade') cases.push({ name: 'trade', pipeline: 'trade', config: trading });
      else if (p === 'persist') cases.push({ name: 'persist (JSONL)', pipeline: 'persist', config });
      else throw new Error(`--pipelines: unknown pipeline "${p}"\n${USAGE}`);
    }
    for (const [i, c] of cases.entries()) {
      const input = inputsOf(c, derived, scratch).slice(0, MAX_INPUT);
      log(`${c.name}: ${fmt(input.length)} input records; memory bus...`);
      const memory = await memoryThroughput(c, input, scratch);
      log(`${c.name}: kafka (pre-produce, then a fresh consumer group from offset 0)...`);
      const k = await kafkaThroughput(c, input, `${runId}-${i}.`, scratch);
      throughputResults.push({
        case: c.name,
        input: input.length,
        inputTopics: Object.fromEntries(countByTopic(input)),
        memory: memory.measured,
        memoryOutputs: memory.outputs,
        kafkaEps: k.eps,
        kafkaSeconds: k.seconds,
        kafkaOutputs: k.outputs,
        kafkaCpu: k.cpu,
        produceRps: k.produceRps,
        selfTime: k.selfTime,
      });
    }

    const ingested = derived.filter((r) => r.by === 'ingest');
    const meta = ingested.filter((r) => r.topic === 'pm.market.meta');
    const rest = ingested.filter((r) => r.topic !== 'pm.market.meta').slice(0, Math.round(RATE * (WARMUP + SECONDS)));
    if (latencyCases.length > 0 && rest.length < RATE * (WARMUP + SECONDS)) log(`note: only ${fmt(rest.length)} input records for the latency runs (raise --events)`);
    const memoryDone = new Map<number, LatencyResult>();
    for (const lc of latencyCases) {
      if (!memoryDone.has(lc.scoreWaitMs)) {
        log(`latency, memory bus, scoring.maxWaitMs ${lc.scoreWaitMs}...`);
        const m = await memoryLatency(lc, logistic, meta, rest);
        memoryDone.set(lc.scoreWaitMs, m);
        latencyResults.push(m);
      }
      log(`latency, kafka (${LATENCY_MODE}), fetchMaxWaitMs ${lc.fetchWaitMs}, scoring.maxWaitMs ${lc.scoreWaitMs}...`);
      latencyResults.push(await kafkaLatency(lc, cluster, meta, rest, logistic));
    }
  } finally {
    cluster.stop();
    rmSync(scratch, { recursive: true, force: true });
  }

  const brokerKind = cluster.kind === 'mock' ? 'librdkafka mock cluster (kcat)' : cluster.kind;
  const machine = { cpu: cpus()[0]?.model ?? 'unknown cpu', cores: cpus().length, node: process.version, commit: sourceRevision(), loadavgStart: loadStart.map((x) => Number(x.toFixed(2))), loadavgEnd: loadavg().map((x) => Number(x.toFixed(2))) };
  const out = process.stdout;
  out.write(`\npolyflow bench:kafka: ${fmt(EVENTS)} generated frames, ${MARKETS} markets; broker: ${brokerKind} on ${cluster.bootstrap}; ${machine.commit}; ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  out.write(`machine: ${machine.cpu}, ${machine.cores} vCPU, node ${machine.node}; load average ${machine.loadavgStart.join(' ')} at start, ${machine.loadavgEnd.join(' ')} at end\n`);
  if (throughputResults.length > 0) {
    out.write(`\nThroughput per pipeline (input records/s; memory: median of ${PASSES} passes after a warm-up; kafka: one fresh consumer group from offset 0, join excluded)\n`);
    out.write(`  ${'pipeline'.padEnd(28)} ${'input'.padStart(9)} ${'memory/s'.padStart(10)} ${'kafka/s'.padStart(9)} ${'ratio'.padStart(6)} ${'outputs mem/kafka'.padStart(18)} ${'cpu'.padStart(5)} ${'produce/s'.padStart(10)}\n`);
    for (const r of throughputResults) {
      out.write(
        `  ${r.case.padEnd(28)} ${fmt(r.input).padStart(9)} ${fmt(r.memory.median).padStart(10)} ${fmt(r.kafkaEps).padStart(9)} ${(r.kafkaEps / r.memory.median).toFixed(3).padStart(6)} ${`${fmt(r.memoryOutputs)}/${fmt(r.kafkaOutputs)}`.padStart(18)} ${r.kafkaCpu.toFixed(2).padStart(5)} ${fmt(r.produceRps).padStart(10)}\n`,
      );
    }
    out.write('  cpu: CPU seconds of this process per wall second during the kafka pass; produce/s: the pre-produce through a publish-only KafkaBus\n');
    for (const r of throughputResults) {
      if (r.selfTime === undefined) continue;
      out.write(`  profile ${r.case}: ${r.selfTime.slice(0, 8).map((s) => `${s.component} ${(s.share * 100).toFixed(0)}%`).join(', ')}\n`);
    }
  }
  if (latencyResults.length > 0) {
    out.write(`\nLatency from the pm.book/pm.trade publish to arrival (ms; ${fmt(RATE)} records/s for ${SECONDS} s after a ${WARMUP} s warm-up; trading model: baseline logistic)\n`);
    const where = LATENCY_MODE === 'processes' ? 'as 3 `polyflow run` processes' : 'as 3 consumer groups in this process';
    out.write(`  kafka: features, predict, trade ${where}; arrival at this process's reader group (one more hop, fetch wait ${READER_FETCH_WAIT_MS} ms)\n`);
    out.write('  latency runs trade on any positive edge with $1 stakes, so that many predictions reach a fill (same path as the defaults)\n');
    out.write(`  ${'bus'.padEnd(7)} ${'fetchWait'.padStart(9)} ${'scoreWait'.padStart(9)} ${'rate/s'.padStart(7)} ${'stage'.padEnd(14)} ${'count'.padStart(7)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)} ${'p50x'.padStart(6)} ${'p99x'.padStart(6)}\n`);
    const ms = (x: number | null): string => (x === null ? '-' : x.toFixed(1));
    for (const r of latencyResults) {
      const ref = latencyResults.find((m) => m.bus === 'memory' && m.scoreWaitMs === r.scoreWaitMs);
      for (const stage of STAGES) {
        const s = r.stages[stage];
        const m = ref?.stages[stage];
        // Below 1 ms (the memory bus's synchronous features stage) a ratio says nothing.
        const ratio = (a: number | null, b: number | null | undefined): string => (r.bus === 'memory' || a === null || b === null || b === undefined || b < 1 ? '' : (a / b).toFixed(1));
        out.write(
          `  ${r.bus.padEnd(7)} ${(r.fetchWaitMs === null ? '-' : String(r.fetchWaitMs)).padStart(9)} ${String(r.scoreWaitMs).padStart(9)} ${fmt(r.rate).padStart(7)} ${stage.padEnd(14)} ${fmt(s.count).padStart(7)} ${ms(s.p50).padStart(8)} ${ms(s.p99).padStart(8)} ${ms(s.max).padStart(8)} ${ratio(s.p50, m?.p50).padStart(6)} ${ratio(s.p99, m?.p99).padStart(6)}\n`,
        );
      }
    }
    out.write('  p50x/p99x: kafka over memory at the same scoring.maxWaitMs\n');
    for (const r of latencyResults) {
      const s = r.stages['features.v1'];
      if (fellBehind(s)) {
        out.write(
          `  note: ${r.bus}${r.fetchWaitMs === null ? '' : ` fetchWait ${r.fetchWaitMs}`} scoreWait ${r.scoreWaitMs} fell behind the input (${(s.late * 100).toFixed(0)}% of features.v1 arrived after the input stopped): its latency is mostly queueing; a lower --rate measures the path\n`,
        );
      }
    }
  }

  const json = {
    machine,
    broker: { kind: cluster.kind, bootstrap: cluster.bootstrap },
    params: { events: EVENTS, latencyMode: LATENCY_MODE, maxInput: MAX_INPUT, markets: MARKETS, passes: PASSES, rate: RATE, seconds: SECONDS, warmup: WARMUP, readerFetchWaitMs: READER_FETCH_WAIT_MS, derived: derivedCounts },
    throughput: throughputResults.map((r) => ({
      case: r.case,
      input: r.input,
      input_topics: r.inputTopics,
      memory_eps: Math.round(r.memory.median),
      memory_best_eps: Math.round(r.memory.best),
      kafka_eps: Math.round(r.kafkaEps),
      ratio: Number((r.kafkaEps / r.memory.median).toFixed(3)),
      kafka_seconds: Number(r.kafkaSeconds.toFixed(2)),
      outputs_memory: r.memoryOutputs,
      outputs_kafka: r.kafkaOutputs,
      kafka_cpu_per_wall_s: Number(r.kafkaCpu.toFixed(2)),
      produce_rps: Math.round(r.produceRps),
      ...(r.selfTime === undefined ? {} : { self_time: r.selfTime }),
    })),
    latency: latencyResults,
  };
  const file = resolve(args.json);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  out.write(`\nwrote ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:kafka failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
