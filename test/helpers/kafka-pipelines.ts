// Running `polyflow run <pipeline>` processes against a broker, and what tests feed and read there.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';
import { Subject } from 'rxjs';
import { embeddedGraph } from '../../pipelines/embedded-graph.js';
import { featuresPipeline } from '../../pipelines/features.js';
import { ingestPipeline } from '../../pipelines/ingest.js';
import type { BatchScorer } from '../../operators/score-batches.js';
import type { Bus } from '../../runtime/bus.js';
import type { Config } from '../../runtime/config.js';
import { InFlight } from '../../runtime/in-flight.js';
import { orderStampOf, progressOf, type OrderStamp } from '../../runtime/kafka/ingest-order.js';
import { createKafka } from '../../runtime/kafka/kafka-client.js';
import { openAvroSerde } from '../../runtime/kafka/open-kafka-bus.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { InputClock } from '../../runtime/input-clock.js';
import { advanceAndScore, endOfInput, finishInput, ReplayScheduler } from '../../runtime/replay-scheduler.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import type { FeatureVector } from '../../schemas/feature-vector.js';
import type { TopicName, TopicTypes } from '../../schemas/topics.js';
import type { ReplayRecord } from '../../sources/replay/replay-record.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { waitFor } from './wait-for.js';

export const CLI = 'dist/bin/polyflow.js';

export interface IngestRecord {
  readonly topic: TopicName;
  readonly key: string;
  readonly value: unknown;
}

/**
 * Ingest's records of a recording, split: market metadata first, then everything but dead letters,
 * in ingest's order (books and trades interleaved: a features process puts them back in this order
 * from the stamps its publisher writes, whatever order it fetches them in).
 */
export async function ingestRecords(recording: string): Promise<{ meta: MarketMeta[]; rest: IngestRecord[] }> {
  const memory = new MemoryBus();
  const meta: MarketMeta[] = [];
  const rest: IngestRecord[] = [];
  const capture: Bus = {
    publish: (topic, key, value) => {
      if (topic === 'pm.market.meta') meta.push(value as MarketMeta);
      else if (topic !== 'dlq.ingest') rest.push({ topic, key, value });
    },
    topic: (t) => memory.topic(t),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const input = new Subject<ReplayRecord>();
  const sub = ingestPipeline(input, capture, new PipelineMetrics());
  for await (const batch of readReplay(recording, { bytesRead: 0 })) for (const r of batch) input.next(r);
  sub.unsubscribe();
  return { meta, rest };
}

/** The feature vectors the features operators compute over a memory bus from `meta`, then `rest`. */
export function memoryFeatures(config: Config, meta: readonly MarketMeta[], rest: readonly IngestRecord[]): FeatureVector[] {
  const out: FeatureVector[] = [];
  const memory = new MemoryBus();
  const sub = featuresPipeline(memory, config, new PipelineMetrics());
  memory.topic('features.v1').subscribe((f) => out.push(f));
  for (const m of meta) memory.publish('pm.market.meta', m.market, m);
  for (const r of rest) memory.publish(r.topic, r.key, r.value as TopicTypes[typeof r.topic]);
  sub.unsubscribe();
  return out;
}

/**
 * What the embedded graph (every pipeline on one memory bus, the replay clock set to each record's
 * receive time, scoring awaited before the next record; no drift monitor) publishes to `topics`
 * when ingest's records are `meta`, then `rest`. With `inputEnds` false, trade's input clock is not
 * moved past the last book: the predictions due after it do not act, as in a trade process that
 * runs on.
 */
export async function embeddedOutputs(
  config: Config,
  scorer: BatchScorer,
  meta: readonly MarketMeta[],
  rest: readonly IngestRecord[],
  topics: readonly TopicName[],
  { inputEnds = true } = {},
): Promise<Map<TopicName, unknown[]>> {
  const out = new Map<TopicName, unknown[]>(topics.map((t) => [t, []]));
  const memory = new MemoryBus();
  const scheduler = new ReplayScheduler(0);
  const tradeClock = new InputClock();
  const inFlight = new InFlight();
  const graph = embeddedGraph(memory, { config, scheduler, tradeClock, scorer, inFlight, metrics: new PipelineMetrics(), onReport: () => undefined });
  for (const topic of topics) graph.add(memory.topic(topic).subscribe((v) => out.get(topic)?.push(v)));
  for (const m of meta) memory.publish('pm.market.meta', m.market, m);
  let last = 0;
  for (const r of rest) {
    const recvTs = (r.value as { recvTs?: number }).recvTs;
    if (recvTs !== undefined) await advanceAndScore(scheduler, inFlight, (last = Math.max(last, recvTs)));
    memory.publish(r.topic, r.key, r.value as TopicTypes[typeof r.topic]);
    await inFlight.whenIdle();
  }
  // A running trade process's input has not ended: its last predictions wait for a later book.
  if (inputEnds) await finishInput(scheduler, inFlight, tradeClock, last, config.scoring.maxWaitMs);
  else await advanceAndScore(scheduler, inFlight, endOfInput(last, config.scoring.maxWaitMs));
  graph.unsubscribe();
  return out;
}

/**
 * On the mock cluster a rebalance waited out about the whole rebalance timeout for a member that went
 * or was slow to join again (the alerts kill test took 77 s at the config's 60 s, 42 s at 6 s; three
 * members of one group did not all join within 60 s), where a broker drops a dead member at its
 * session timeout. So the tests' groups use the session timeout for both, as a KafkaBus does when
 * it is not given one.
 */
export const MOCK_REBALANCE_ENV = { POLYFLOW_KAFKA_REBALANCE_TIMEOUT_MS: '6000' } as const;

/** The environment of a `polyflow run` process on the Kafka bus at `bootstrap`, on topics `<prefix>*`, logging errors only. */
export const kafkaProcessEnv = (bootstrap: string, prefix: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  POLYFLOW_LOG_LEVEL: 'error',
  POLYFLOW_BUS_KIND: 'kafka',
  KAFKA_BROKERS: bootstrap,
  POLYFLOW_KAFKA_TOPIC_PREFIX: prefix,
  POLYFLOW_KAFKA_SESSION_TIMEOUT_MS: '6000',
  ...MOCK_REBALANCE_ENV,
  ...extra,
});

/** Spawns `polyflow run <pipeline> --from-beginning`; resolves with the child once it printed `ready <pipeline>`. */
export function spawnPipeline(pipeline: string, env: NodeJS.ProcessEnv, args: readonly string[] = []): Promise<ChildProcess> {
  const child = spawn(process.execPath, [fromPackageRoot(CLI), 'run', pipeline, '--from-beginning', ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const early = (code: number | null): void => reject(new Error(`run ${pipeline} exited ${code}`));
    child.once('exit', early);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line !== `ready ${pipeline}`) return;
      child.off('exit', early);
      resolve(child);
    });
  });
}

/** Per partition of `topic`: the offset group `<groupIdPrefix>.<group>` committed (-1: none) and the partition's end. */
async function groupPositions(bootstrap: string, kafkaTopic: string, group: string, groupIdPrefix: string): Promise<{ committed: number; end: number }[]> {
  const admin = createKafka({ brokers: [bootstrap], clientId: 'test-admin' }).admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: `${groupIdPrefix}.${group}`, topics: [kafkaTopic] });
    const committed = new Map((offsets?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    const ends = await admin.fetchTopicOffsets(kafkaTopic);
    return ends.map((p) => ({ committed: committed.get(p.partition) ?? -1, end: Number(p.high) }));
  } finally {
    await admin.disconnect();
  }
}

/** The offsets group `<groupIdPrefix>.<group>` committed on `topic`, summed over partitions (a topic without progress markers: its records consumed). */
export async function committedRecords(bootstrap: string, kafkaTopic: string, group: string, groupIdPrefix = 'polyflow'): Promise<number> {
  return (await groupPositions(bootstrap, kafkaTopic, group, groupIdPrefix)).reduce((n, p) => n + Math.max(0, p.committed), 0);
}

/**
 * True when group `<groupIdPrefix>.<group>` committed every partition of `topic` to its end: it
 * consumed all the broker holds, records and progress markers alike (a count of records cannot say
 * that once markers are on: they take offsets too).
 */
export async function committedToEnd(bootstrap: string, kafkaTopic: string, group: string, groupIdPrefix = 'polyflow'): Promise<boolean> {
  return (await groupPositions(bootstrap, kafkaTopic, group, groupIdPrefix)).every((p) => p.end === 0 || p.committed >= p.end);
}

/** The records on `kafkaTopic`: its partitions' end offsets, summed (a topic without progress markers). */
export async function topicRecords(bootstrap: string, kafkaTopic: string): Promise<number> {
  return (await groupPositions(bootstrap, kafkaTopic, 'none', 'polyflow-test')).reduce((n, p) => n + p.end, 0);
}

/**
 * Every record on the broker's topics, decoded, as they are (no dedupe: what tests count duplicates
 * in). Reads from the beginning into `into[topic]` until `stop()`.
 */
export async function readRawTopics(config: Config, topics: readonly TopicName[], into: Map<TopicName, unknown[]>): Promise<{ stop(): Promise<void> }> {
  const serde = openAvroSerde(config.kafka);
  const consumer = createKafka({ brokers: config.kafka.brokers, clientId: 'test-raw-reader' }).consumer({ groupId: `test-raw-${randomUUID()}`, maxWaitTimeInMs: 50 });
  const byKafka = new Map(topics.map((t) => [`${config.kafka.topicPrefix}${t}`, t]));
  for (const t of topics) into.set(t, []);
  await consumer.connect();
  await consumer.subscribe({ topics: [...byKafka.keys()], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      // Progress markers carry no record.
      if (progressOf(message.headers) !== undefined) return;
      const name = byKafka.get(topic)!;
      into.get(name)!.push(await serde.deserialize(name, message.value));
    },
  });
  return { stop: () => consumer.disconnect() };
}

/** A record or progress marker as it sits on its partition. */
export interface PartitionEntry<T> {
  readonly partition: number;
  readonly key: string;
  /** Its `polyflow-order` stamp, if it has one. */
  readonly stamp: OrderStamp | undefined;
  /** A progress marker's time; undefined for a record. */
  readonly progress: number | undefined;
  /** The decoded record (with `decode`); undefined for a marker. */
  readonly value: T | undefined;
}

/** How many records (progress markers included) a topic (its broker name) has had, over all partitions: the sum of their end offsets. */
export async function topicEnd(brokers: readonly string[], kafkaTopic: string): Promise<number> {
  const admin = createKafka({ brokers: [...brokers], clientId: 'test-admin' }).admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(kafkaTopic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Everything on a topic now (records, decoded unless `decode` is false, and progress markers), partition by partition in offset order. */
export async function readPartitioned<K extends TopicName>(config: Config, topic: K, { decode = true } = {}): Promise<PartitionEntry<TopicTypes[K]>[]> {
  const serde = openAvroSerde(config.kafka);
  const kafkaTopic = `${config.kafka.topicPrefix}${topic}`;
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'test-partitioned-reader' });
  const total = await topicEnd(config.kafka.brokers, kafkaTopic);
  const consumer = kafka.consumer({ groupId: `test-partitioned-${randomUUID()}`, maxWaitTimeInMs: 50 });
  const got: PartitionEntry<TopicTypes[K]>[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [kafkaTopic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const progress = progressOf(message.headers);
        const value = progress === undefined && decode ? ((await serde.deserialize(topic, message.value)) as TopicTypes[K]) : undefined;
        got.push({ partition, key: message.key?.toString() ?? '', stamp: orderStampOf(message.headers), progress, value });
      },
    });
    await waitFor(() => got.length >= total, 60_000, `${kafkaTopic} read`);
  } finally {
    await consumer.disconnect();
  }
  return got;
}
