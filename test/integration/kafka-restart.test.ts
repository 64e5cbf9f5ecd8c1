// Kill -9 a consumer-group process mid-stream and restart it: its operator state is rebuilt (DESIGN
// §4) from its partitions, or from its last Postgres checkpoint plus the records after it; nothing
// is lost, and nothing reaches the next stage twice. Kill the active trade process: its standby
// takes over. Mock cluster (needs kcat) and the test Postgres.
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScorer } from '../../models/load-scorer.js';
import { loadConfig, type Config } from '../../runtime/config.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import { tradePipeline } from '../../pipelines/trade.js';
import type { KafkaBus } from '../../runtime/kafka/kafka-bus.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import type { FeatureVector } from '../../schemas/feature-vector.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import type { Prediction } from '../../schemas/prediction.js';
import type { TopicName, TopicTypes } from '../../schemas/topics.js';
import { freePort } from '../helpers/free-port.js';
import { startTestKafka, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { CLI, committedToEnd, embeddedOutputs, ingestRecords, memoryFeatures, MOCK_REBALANCE_ENV, readRawTopics, spawnPipeline, type IngestRecord } from '../helpers/kafka-pipelines.js';
import { createTestDatabase } from '../helpers/postgres-test-db.js';
import { seriesValue } from '../helpers/prometheus-text.js';
import { LOOSE_TRADING_ENV, tradingEnv } from '../helpers/trading-model.js';
import { scoresApprox, sizedApprox } from '../helpers/model-outputs.js';
import { waitFor } from '../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'polyflow-kafka-restart-'));
const recording = join(dir, 'rec');
let cluster: MockCluster;
let meta: MarketMeta[];
let rest: IngestRecord[];
let database: { url: string; drop: () => Promise<void> };
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

const ids = (xs: readonly unknown[]): string[] => xs.map((x) => (x as { id: string }).id);
const books = (records: readonly IngestRecord[]): number => records.filter((r) => r.topic === 'pm.book').length;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test builds it)`);
  cluster = await startTestKafka();
  // Two hours, so that two of its markets resolve in it: a standby that takes trade over rebuilds
  // their resolutions among the books, in ingest's order.
  execFileSync(process.execPath, [CLI, 'simulate', '--out', recording, '--markets', '8', '--events', '6000', '--seed', '3', '--hours', '2'], { stdio: 'pipe' });
  ({ meta, rest } = await ingestRecords(recording));
  if (rest.filter((r) => r.topic === 'pm.resolution').length !== 2) throw new Error('the recording should hold two resolutions');
  database = await createTestDatabase('kafka_restart');
}, 120_000);

afterAll(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  cluster?.stop();
  await database?.drop();
});

/** One isolated deployment on the cluster (its own topic prefix), a publisher into it, and a raw reader of its outputs. */
type Deployment = Awaited<ReturnType<typeof deployment>>;

async function deployment(extraEnv: Record<string, string>): Promise<{
  config: Config;
  raw: Map<TopicName, unknown[]>;
  start(pipeline: string, extraEnv?: Record<string, string>): Promise<ChildProcess>;
  publish(records: readonly IngestRecord[]): Promise<void>;
  publishMeta(): Promise<void>;
  /** True once `group` committed every partition of `topic` to its end (markers included). */
  consumedAll(topic: TopicName, group: string): Promise<boolean>;
}> {
  const id = randomUUID().slice(0, 8);
  const prefix = `restart-${id}.`;
  // Its own groups too: the processes of an earlier deployment may still run.
  const groupIdPrefix = `polyflow-${id}`;
  await cluster.prepareTopics(prefix);
  const env = tradingEnv({
    POLYFLOW_LOG_LEVEL: process.env['TEST_LOG'] ?? 'warn',
    KAFKA_BROKERS: cluster.bootstrap,
    POLYFLOW_KAFKA_TOPIC_PREFIX: prefix,
    POLYFLOW_KAFKA_GROUP_ID_PREFIX: groupIdPrefix,
    POLYFLOW_KAFKA_SESSION_TIMEOUT_MS: '6000',
    ...MOCK_REBALANCE_ENV,
    ...extraEnv,
  });
  const config = loadConfig({ env });
  const publisher: KafkaBus = openKafkaBus({ config });
  await publisher.start();
  mkdirSync(join(dir, prefix), { recursive: true });
  const raw = new Map<TopicName, unknown[]>();
  const reader = await readRawTopics(config, ['features.v1', 'prediction.v1', 'signal.v1', 'order.v1', 'fill.v1', 'portfolio.v1'], raw);
  cleanups.push(() => reader.stop(), () => publisher.close());
  const publish = async (records: readonly IngestRecord[]): Promise<void> => {
    for (const r of records) publisher.publish(r.topic, r.key, r.value as TopicTypes[typeof r.topic]);
    await publisher.flush();
  };
  const consumedAll = (topic: TopicName, group: string): Promise<boolean> => committedToEnd(cluster.bootstrap, `${prefix}${topic}`, group, groupIdPrefix);
  let started = 0;
  return {
    config,
    raw,
    async start(pipeline, processEnv = {}) {
      // A restart keeps --out (a PGlite store would be there); each start writes its own metrics file.
      const child = await spawnPipeline(pipeline, { ...env, ...processEnv }, ['--out', join(dir, prefix, pipeline), '--metrics', join(dir, prefix, `${pipeline}-${++started}.prom`)]);
      children.push(child);
      return child;
    },
    publish,
    // Before the processes start: each reads the metadata to its end (a reference table) before any book.
    async publishMeta() {
      await publish(meta.map((m) => ({ topic: 'pm.market.meta', key: m.market, value: m })));
    },
    consumedAll,
  };
}

/**
 * features and predict run; features is killed (-9) while it works through the last two thirds of
 * the book stream, then restarted. Returns what the restarted features process and predict report.
 */
async function killFeaturesMidStream(d: Deployment): Promise<{ features: string; predict: string; firstPart: number }> {
  await d.publishMeta();
  const features = await d.start('features');
  const predict = await d.start('predict');
  const expected = memoryFeatures(d.config, meta, rest);
  expect(expected.length).toBeGreaterThan(200);
  const third = Math.floor(rest.length / 3);
  await d.publish(rest.slice(0, third));
  await waitFor(() => d.consumedAll('pm.book', 'features'), 60_000, 'first third consumed');
  await killOnceMoreArrive(d, features, 'features.v1', rest.slice(third));
  expect(d.raw.get('features.v1')!.length).toBeLessThan(expected.length);

  // Restarted with the same --out: the books and windows come back, so the vectors computed after
  // the restart are the uninterrupted run's, each id there at least once.
  const restarted = await d.start('features');
  await waitFor(() => new Set(ids(d.raw.get('features.v1')!)).size >= expected.length, 120_000, 'every feature vector');
  const got = new Map(d.raw.get('features.v1')!.map((f) => [(f as FeatureVector).id, f]));
  expect(got).toEqual(new Map(expected.map((f) => [f.id, f])));

  // Downstream, predict scored each vector once: the re-published ones (same ids) it dropped, and it
  // published the embedded run's predictions, each once.
  await waitFor(() => d.consumedAll('features.v1', 'predict'), 120_000, 'predict caught up');
  const scorer = await loadScorer(fromPackageRoot(d.config.scoring.modelPath), FEATURE_SPEC);
  const embedded = await embeddedOutputs(d.config, scorer, meta, rest, ['prediction.v1'], { inputEnds: false }).finally(() => scorer.release());
  const expectedPredictions = ids(embedded.get('prediction.v1')!);
  expect(expectedPredictions.length).toBeGreaterThan(20);
  await waitFor(() => new Set(ids(d.raw.get('prediction.v1')!)).size >= expectedPredictions.length, 60_000, 'every prediction');
  const predicted = ids(d.raw.get('prediction.v1')!);
  expect(new Set(predicted)).toEqual(new Set(expectedPredictions));
  expect(predicted).toHaveLength(expectedPredictions.length);
  const predictProm = await stopAndRead(predict);
  expect(metric(predictProm, 'polyflow_kafka_duplicates_dropped_total{topic="features.v1"}')).toBe(d.raw.get('features.v1')!.length - expected.length);
  return { features: await stopAndRead(restarted), predict: predictProm, firstPart: books(rest.slice(0, third)) };
}

describe('a consumer-group process killed mid-stream and restarted', () => {
  it('without a state store, rebuilds its operator state from its partitions: nothing lost, nothing duplicated downstream', async () => {
    const d = await deployment({ POLYFLOW_STATE_KIND: 'off' });
    const { features, firstPart } = await killFeaturesMidStream(d);
    expect(metric(features, 'polyflow_kafka_state_rebuilds_total')).toBeGreaterThanOrEqual(1);
    // Everything it had committed was read again, from the earliest offset.
    expect(metric(features, 'polyflow_kafka_rebuild_records_total{topic="pm.book"}')).toBeGreaterThanOrEqual(firstPart);
  });

  it('with Postgres state, resumes from its last checkpoint and re-reads only the records after it', async () => {
    const d = await deployment({ POLYFLOW_STATE_KIND: 'postgres', POLYFLOW_STATE_URL: database.url, POLYFLOW_KAFKA_CHECKPOINT_INTERVAL_MS: '100' });
    const { features, firstPart } = await killFeaturesMidStream(d);
    expect(metric(features, 'polyflow_kafka_state_rebuilds_total')).toBeGreaterThanOrEqual(1);
    expect(metric(features, 'polyflow_kafka_rebuild_records_total{topic="pm.book"}')).toBeLessThan(firstPart);
    // Stopped gracefully, it checkpointed at the end.
    expect(metric(features, 'polyflow_kafka_checkpoints_total')).toBeGreaterThanOrEqual(1);
  });
});

describe('trade with a standby process, markers off (on arrival)', () => {
  it('gives every partition to one process; when it is killed (-9) the standby takes over: every signal is published', async () => {
    // Acting on arrival, every prediction acts: the memory run below is over all of them (in ingest's
    // order those due after the last book would wait for a later one).
    const d = await deployment({ POLYFLOW_STATE_KIND: 'off', POLYFLOW_KAFKA_PROGRESS_INTERVAL_MS: '0' });
    await d.publishMeta();
    await d.start('features');
    await d.start('predict');
    const ports = { active: await freePort(), standby: await freePort() };
    const active = await d.start('trade', { POLYFLOW_METRICS_PORT: String(ports.active) });
    const standby = await d.start('trade', { POLYFLOW_METRICS_PORT: String(ports.standby) });
    const half = Math.floor(rest.length / 2);
    await d.publish(rest.slice(0, half));
    await waitFor(() => d.raw.get('signal.v1')!.length > 0, 60_000, 'first signals');
    await waitFor(() => d.consumedAll('prediction.v1', 'trade'), 60_000, 'trade caught up');
    // The first process consumed every prediction so far; the second stood by.
    const consumedNow = async (port: number): Promise<number> =>
      metric(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), 'polyflow_kafka_consumed_records_total{topic="prediction.v1"}');
    expect(await consumedNow(ports.active)).toBeGreaterThan(0);
    expect(await consumedNow(ports.standby)).toBe(0);

    // Killed with the first half done: the second half is the standby's, once it took the partitions over.
    const killed = once(active, 'exit');
    active.kill('SIGKILL');
    await killed;
    const predictions = d.raw.get('prediction.v1')!.length;
    await d.publish(rest.slice(half));
    await waitFor(() => d.raw.get('prediction.v1')!.length > predictions, 60_000, 'predictions of the second half');

    // Every prediction is consumed by the group, now the standby; trade's edge operator over the
    // same predictions in memory gives the signals the topic holds, each id at least once.
    let seen = -1;
    await waitFor(async () => {
      const n = d.raw.get('prediction.v1')!.length;
      const done = n === seen && (await d.consumedAll('prediction.v1', 'trade'));
      seen = n;
      return done;
    }, 120_000, 'the standby caught up');
    const expected = memorySignals(d.config, meta, d.raw.get('prediction.v1') as Prediction[]);
    expect(expected.size).toBeGreaterThan(0);
    await waitFor(() => new Set(ids(d.raw.get('signal.v1')!)).size >= expected.size, 60_000, 'every signal');
    expect(new Set(ids(d.raw.get('signal.v1')!))).toEqual(expected);
    const standbyProm = await stopAndRead(standby);
    expect(metric(standbyProm, 'polyflow_kafka_consumed_records_total{topic="prediction.v1"}')).toBeGreaterThan(0);
    expect(metric(standbyProm, 'polyflow_kafka_rebalances_total')).toBeGreaterThanOrEqual(2);
  });
});

describe('trade with a standby process, with progress markers (the default)', () => {
  it("when the active process is killed (-9) mid-stream, the standby's orders, fills and portfolio are the embedded run's, by id and value", async () => {
    const d = await deployment({ POLYFLOW_STATE_KIND: 'off', ...LOOSE_TRADING_ENV });
    const embedded = await embeddedTrading(d);
    await d.publishMeta();
    await d.start('features');
    await d.start('predict');
    const active = await d.start('trade');
    await d.start('trade');
    const half = Math.floor(rest.length / 2);
    await d.publish(rest.slice(0, half));
    await waitFor(() => d.raw.get('fill.v1')!.length > 0, 60_000, 'first fills');
    const killed = once(active, 'exit');
    active.kill('SIGKILL');
    await killed;
    const before = new Set(ids(d.raw.get('portfolio.v1')!)).size;
    expect(before).toBeLessThan((embedded.get('portfolio.v1') ?? []).length);
    await d.publish(rest.slice(half));

    // The standby rebuilt the account from the topics and acts on each prediction at the book the
    // killed process would have: every id once at least, with the embedded run's values.
    await expectEmbeddedTrading(d, embedded, 'the standby caught up');
  });
});

describe('predict killed mid-stream, with progress markers (the default)', () => {
  it("restarted, it rebuilds its throttles and scores the rest: every prediction id, and trade's signals, orders, fills and portfolio by id and value, are the embedded run's", async () => {
    const d = await deployment({ POLYFLOW_STATE_KIND: 'off', ...LOOSE_TRADING_ENV });
    const embedded = await embeddedTrading(d, ['prediction.v1']);
    await d.publishMeta();
    await d.start('features');
    const predict = await d.start('predict');
    const trade = await d.start('trade');
    const half = Math.floor(rest.length / 2);
    await d.publish(rest.slice(0, half));
    await waitFor(() => d.consumedAll('features.v1', 'predict'), 60_000, 'predict caught up with the first half');
    // Its predictions are on the broker once it committed; the reader takes a moment more.
    await waitFor(() => d.raw.get('prediction.v1')!.length > 0, 30_000, 'the first predictions read');
    await sleep(1_000);
    // Killed while it scores the second half: the batches in flight and what it had not committed are
    // scored again by the restarted process, which first rebuilds its throttles from features.v1.
    await killOnceMoreArrive(d, predict, 'prediction.v1', rest.slice(half));
    // Killed mid-stream: the group had not committed the vectors to their end.
    expect(await d.consumedAll('features.v1', 'predict')).toBe(false);
    const restarted = await d.start('predict');

    await expectEmbeddedTrading(d, embedded, 'trade caught up');
    expect(new Set(distinct(d, 'prediction.v1').keys())).toEqual(new Set(ids(embedded.get('prediction.v1')!)));
    // What the restarted predict published again, trade dropped by id: each signal went out once.
    expect(d.raw.get('signal.v1')).toHaveLength(distinct(d, 'signal.v1').size);
    const tradeProm = await stopAndRead(trade);
    expect(metric(tradeProm, 'polyflow_kafka_duplicates_dropped_total{topic="prediction.v1"}')).toBe(d.raw.get('prediction.v1')!.length - distinct(d, 'prediction.v1').size);
    // The restarted process rebuilt its state (the throttles) from every vector before the committed offset.
    const restartedProm = await stopAndRead(restarted);
    expect(metric(restartedProm, 'polyflow_kafka_state_rebuilds_total')).toBeGreaterThanOrEqual(1);
    expect(metric(restartedProm, 'polyflow_kafka_rebuild_records_total{topic="features.v1"}')).toBeGreaterThan(0);
  });
});

/** Publishes `records` without waiting, and kills (-9) `child` as soon as more of `topic` arrives: mid-stream. */
async function killOnceMoreArrive(d: Deployment, child: ChildProcess, topic: TopicName, records: readonly IngestRecord[]): Promise<void> {
  const before = d.raw.get(topic)!.length;
  const killed = once(child, 'exit');
  void d.publish(records);
  await waitFor(() => d.raw.get(topic)!.length > before, 60_000, `more ${topic} once the rest is published`);
  child.kill('SIGKILL');
  await killed;
}

const TRADING_TOPICS = ['signal.v1', 'order.v1', 'fill.v1', 'portfolio.v1'] as const;

/** What the embedded graph publishes on trade's topics (and `more`) for the same records; a process's input does not end (see kafka-processes). */
async function embeddedTrading(d: Deployment, more: readonly TopicName[] = []): Promise<Map<TopicName, unknown[]>> {
  const scorer = await loadScorer(fromPackageRoot(d.config.scoring.modelPath), FEATURE_SPEC);
  const embedded = await embeddedOutputs(d.config, scorer, meta, rest, [...more, ...TRADING_TOPICS], { inputEnds: false }).finally(() => scorer.release());
  expect((embedded.get('fill.v1') ?? []).length).toBeGreaterThan(10);
  return embedded;
}

/** A topic's records read so far, one per id. */
const distinct = (d: Deployment, topic: TopicName): Map<string, unknown> => new Map(d.raw.get(topic)!.map((x) => [(x as { id: string }).id, x]));

/** Once every embedded id has come (or two minutes passed): trade's topics hold the embedded run's records, by id and value. */
async function expectEmbeddedTrading(d: Deployment, embedded: ReadonlyMap<TopicName, unknown[]>, what: string): Promise<void> {
  await waitFor(() => [...embedded].every(([t, xs]) => distinct(d, t).size >= xs.length), 120_000, what).catch(() => undefined);
  expect(distinct(d, 'signal.v1')).toEqual(new Map((embedded.get('signal.v1') as { id: string }[]).map((s) => [s.id, scoresApprox(s)])));
  for (const t of ['order.v1', 'fill.v1', 'portfolio.v1'] as const) expect(distinct(d, t), t).toEqual(new Map((embedded.get(t) as { id: string }[]).map((x) => [x.id, sizedApprox(x)])));
}

/** The ids of the signals trade's operators give for `predictions` (in topic order) over a memory bus. */
function memorySignals(config: Config, markets: readonly MarketMeta[], predictions: readonly Prediction[]): Set<string> {
  const bus = new MemoryBus();
  const out = new Set<string>();
  const sub = tradePipeline(bus, config, { metrics: new PipelineMetrics(), clock: 'arrival' });
  bus.topic('signal.v1').subscribe((s) => out.add(s.id));
  for (const m of markets) bus.publish('pm.market.meta', m.market, m);
  for (const p of new Map(predictions.map((x) => [x.id, x])).values()) bus.publish('prediction.v1', p.assetId, p);
  sub.unsubscribe();
  return out;
}

/** A sample's value in Prometheus text (0 when the series was never touched). */
const metric = (text: string, series: string): number => seriesValue(text, series) ?? 0;

/** SIGTERM, and the metrics the process wrote at exit (its --metrics file). */
async function stopAndRead(child: ChildProcess): Promise<string> {
  const metricsFile = child.spawnargs[child.spawnargs.indexOf('--metrics') + 1]!;
  child.kill('SIGTERM');
  if (child.exitCode === null) await once(child, 'exit');
  return readFileSync(metricsFile, 'utf8');
}
