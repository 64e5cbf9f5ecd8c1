// trade as a Kafka consumer group, given its inputs in one order, does exactly what the same
// operators do on the memory bus: its own signals, orders, fills and portfolio snapshots reach its
// stages inside publish() (KafkaBusOptions.local), so the risk gate counts a fill before the next
// signal and the paper broker and the ledger see them between the same book updates, as in the
// embedded run. Read back from the broker, they came a fetch later: the gate sized orders on stale
// exposure. A member that takes over rebuilds from what was published, not from decisions made
// again. This is trade without progress markers (kafka.progressIntervalMs 0: it acts on arrival);
// with them, the default, kafka-processes and kafka-restart check it, and the last case here checks
// that it acts on the predictions due in a quiet period after the last book. Mock cluster (needs kcat).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PartitionerArgs } from 'kafkajs';
import { Partitioners } from '../../runtime/kafka/kafkajs.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPrediction } from '../../operators/score-batches.js';
import { groupBusShape, tradeGroupClock } from '../../pipelines/consumer-groups.js';
import { featuresPipeline } from '../../pipelines/features.js';
import { TRADE_OWN_TOPICS, tradePipeline } from '../../pipelines/trade.js';
import type { Bus } from '../../runtime/bus.js';
import { loadConfig, type Config } from '../../runtime/config.js';
import { InputClock } from '../../runtime/input-clock.js';
import type { KafkaBus } from '../../runtime/kafka/kafka-bus.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import { StateRegistry } from '../../runtime/state-registry.js';
import type { PortfolioState } from '../../operators/portfolio.js';
import type { RiskGateState } from '../../operators/risk-gate.js';
import type { FeatureVector } from '../../schemas/feature-vector.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import type { TopicName, TopicTypes } from '../../schemas/topics.js';
import { startTestKafka, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { CLI, ingestRecords, MOCK_REBALANCE_ENV, type IngestRecord } from '../helpers/kafka-pipelines.js';
import { LOOSE_TRADING_ENV, tradingEnv, tradingScorer } from '../helpers/trading-model.js';
import { waitFor } from '../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'polyflow-kafka-trade-'));
const prefix = `trade-${randomUUID().slice(0, 8)}.`;
const PARTITIONS = 4;
/** Every this many feature vectors is scored into a prediction. */
const SCORE_EVERY = 4;
const OUTPUTS: readonly TopicName[] = [...TRADE_OWN_TOPICS, 'risk.event'];

let cluster: MockCluster;
let config: Config;
let meta: MarketMeta[];
/** trade's input after the metadata: book updates and resolutions, and predictions right after the update they were computed from. */
let timeline: IngestRecord[];
const buses: KafkaBus[] = [];
/** The first trade member, its operators' states, what it published by topic, and how many records of each input topic it consumed. */
let first: { bus: KafkaBus; registry: StateRegistry; published: Map<TopicName, unknown[]>; sent: Map<TopicName, number> };

/** The partition Kafka's default partitioner gives `key` on a topic of PARTITIONS partitions. */
function partitionOf(key: string): number {
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  return Partitioners.DefaultPartitioner()({ topic: 'any', partitionMetadata, message: { key, value: null } } as PartitionerArgs);
}

/** What trade publishes, by topic, in the order its stages published it. */
function collect(bus: Bus): Map<TopicName, unknown[]> {
  const out = new Map<TopicName, unknown[]>();
  for (const topic of OUTPUTS) {
    const records: unknown[] = [];
    out.set(topic, records);
    bus.topic(topic).subscribe((r) => records.push(r));
  }
  return out;
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test builds it)`);
  cluster = await startTestKafka();
  await cluster.prepareTopics(prefix);
  const recording = join(dir, 'rec');
  execFileSync(process.execPath, [CLI, 'simulate', '--out', recording, '--markets', '8', '--events', '8000', '--seed', '5'], { stdio: 'pipe' });
  const kafka = { KAFKA_BROKERS: cluster.bootstrap, POLYFLOW_KAFKA_TOPIC_PREFIX: prefix, POLYFLOW_KAFKA_FETCH_MAX_WAIT_MS: '5', POLYFLOW_KAFKA_PROGRESS_INTERVAL_MS: '0', ...MOCK_REBALANCE_ENV };
  // Enough fills that the market caps bind.
  config = loadConfig({ env: tradingEnv({ POLYFLOW_LOG_LEVEL: 'warn', ...kafka, ...LOOSE_TRADING_ENV }) });
  const ingested = await ingestRecords(recording);
  meta = ingested.meta;
  // The assets of one partition: across partitions the broker hands records over in fetch order,
  // which no memory run reproduces; one partition per topic keeps the order the test gives.
  const assets = new Map<string, number>();
  for (const r of ingested.rest) if (r.topic === 'pm.book') assets.set(r.key, partitionOf(r.key));
  const counts = [0, 1, 2, 3].map((p) => [...assets.values()].filter((q) => q === p).length);
  const partition = counts.indexOf(Math.max(...counts));
  const inputs = ingested.rest.filter((r) => r.topic === 'pm.book' && assets.get(r.key) === partition);

  // The feature vectors these books give, and predictions of every SCORE_EVERY-th by the trading model.
  const features = new MemoryBus();
  const vectors: FeatureVector[] = [];
  featuresPipeline(features, config, new PipelineMetrics());
  features.topic('features.v1').subscribe((v) => vectors.push(v));
  for (const m of meta) features.publish('pm.market.meta', m.market, m);
  const scored: { after: number; vector: FeatureVector }[] = [];
  inputs.forEach((r, i) => {
    const before = vectors.length;
    features.publish('pm.book', r.key, r.value as TopicTypes['pm.book']);
    for (let v = before; v < vectors.length; v++) if (v % SCORE_EVERY === 0) scored.push({ after: i, vector: vectors[v]! });
  });
  const scorer = await tradingScorer();
  const width = scorer.spec.names.length;
  const rows = new Float32Array(scored.length * width);
  scored.forEach((s, i) => rows.set(s.vector.values, i * width));
  const probabilities = await scorer.score(rows, scored.length).finally(() => scorer.release());
  const predictionsAfter = new Map<number, IngestRecord[]>();
  scored.forEach(({ after, vector }, i) => {
    const p = toPrediction(vector, probabilities[i]!, scorer.modelVersion, 1, config.scoring.maxWaitMs);
    predictionsAfter.set(after, [...(predictionsAfter.get(after) ?? []), { topic: 'prediction.v1', key: p.assetId, value: p }]);
  });
  timeline = inputs.flatMap((r, i) => [r, ...(predictionsAfter.get(i) ?? [])]);
}, 120_000);

afterAll(async () => {
  for (const bus of buses) await bus.close().catch(() => undefined);
  cluster?.stop();
});

/** A record's time: a book's receive time, a prediction's due time. */
const timeOf = (r: IngestRecord): number => (r.topic === 'prediction.v1' ? (r.value as TopicTypes['prediction.v1']).dueTs : (r.value as TopicTypes['pm.book']).recvTs);

/** A config with progress markers on (the default) on topics of their own, created as `polyflow topics` plans them. */
async function markersOn(name: string): Promise<{ config: Config; prefix: string }> {
  const topicPrefix = `${name}-${randomUUID().slice(0, 8)}.`;
  await cluster.prepareTopics(topicPrefix);
  const env = { POLYFLOW_LOG_LEVEL: 'warn', KAFKA_BROKERS: cluster.bootstrap, POLYFLOW_KAFKA_TOPIC_PREFIX: topicPrefix, POLYFLOW_KAFKA_FETCH_MAX_WAIT_MS: '5', ...MOCK_REBALANCE_ENV, ...LOOSE_TRADING_ENV };
  return { config: loadConfig({ env: tradingEnv(env) }), prefix: topicPrefix };
}

/**
 * The embedded run of trade over `predictions` and `books`: every prediction waits on the input
 * clock that the books move; the live clock then moves past the last due time, with no book after
 * it. `tail`: the signals of predictions due after the last book.
 */
function embeddedTrade(cfg: Config, books: readonly IngestRecord[], predictions: readonly IngestRecord[]) {
  const memory = new MemoryBus();
  const clock = new InputClock();
  tradePipeline(memory, cfg, { metrics: new PipelineMetrics(), clock });
  const expected = collect(memory);
  for (const m of meta) memory.publish('pm.market.meta', m.market, m);
  for (const r of [...predictions, ...books]) memory.publish(r.topic, r.key, r.value as TopicTypes[typeof r.topic]);
  const atLastBook = (expected.get('signal.v1') ?? []).length;
  const lastDue = Math.max(...predictions.map(timeOf));
  clock.advanceTo(lastDue + 1);
  return { expected, lastDue, tail: (expected.get('signal.v1') ?? []).length - atLastBook };
}

/** A publisher and a trade member in ingest's order (a group of its own: an earlier case's active member holds group trade). */
async function startTrade(cfg: Config, topicPrefix: string, publisherOptions: { progressWallClock?: boolean }) {
  const publisher = openKafkaBus({ config: cfg, ...publisherOptions });
  const trade = openKafkaBus({ config: cfg, group: `trade-${topicPrefix}`, fromBeginning: true, ...groupBusShape('trade', cfg) });
  buses.push(publisher, trade);
  tradePipeline(trade, cfg, { metrics: new PipelineMetrics(), clock: tradeGroupClock(cfg) });
  const got = collect(trade);
  await publisher.start();
  for (const m of meta) publisher.publish('pm.market.meta', m.market, m);
  await publisher.flush();
  await trade.start();
  return { publisher, trade, got };
}

/** trade published the embedded run's signals, orders, fills and snapshots, in its order (a shortfall is reported by the comparison). */
async function expectTradeOutputs(got: Map<TopicName, unknown[]>, expected: Map<TopicName, unknown[]>): Promise<void> {
  const n = (topic: TopicName): number => (expected.get(topic) ?? []).length;
  await waitFor(() => TRADE_OWN_TOPICS.every((topic) => (got.get(topic) ?? []).length >= n(topic)), 30_000, 'trade caught up').catch(() => undefined);
  for (const topic of TRADE_OWN_TOPICS) expect(got.get(topic), topic).toEqual(expected.get(topic));
}

describe('trade as a Kafka consumer group', () => {
  it('publishes the signals, orders, fills, portfolio and risk events of the memory run, in its order', async () => {
    const memory = new MemoryBus();
    tradePipeline(memory, config, { metrics: new PipelineMetrics(), clock: 'arrival' });
    const expected = collect(memory);
    for (const m of meta) memory.publish('pm.market.meta', m.market, m);
    for (const r of timeline) memory.publish(r.topic, r.key, r.value as TopicTypes[typeof r.topic]);
    const count = (topic: TopicName): number => (expected.get(topic) ?? []).length;
    // A scenario that exercises the feedback: orders filled, and the gate resizing or blocking on what was filled.
    expect(count('fill.v1')).toBeGreaterThan(3);
    expect(count('portfolio.v1')).toBeGreaterThan(5);
    expect((expected.get('risk.event') as { action: string }[]).filter((e) => e.action === 'resize' || e.action === 'block').length).toBeGreaterThan(0);

    const publisher = openKafkaBus({ config });
    const trade = openKafkaBus({ config, group: 'trade', fromBeginning: true, ...groupBusShape('trade', config) });
    buses.push(publisher, trade);
    const registry = new StateRegistry();
    tradePipeline(trade, config, { metrics: new PipelineMetrics(), registry, clock: 'arrival' });
    const got = collect(trade);
    await publisher.start();
    for (const m of meta) publisher.publish('pm.market.meta', m.market, m);
    await publisher.flush();
    await trade.start();
    // One topic's run of records at a time, each consumed before the next run is published.
    const sent = new Map<TopicName, number>();
    for (let i = 0; i < timeline.length; ) {
      const topic = (timeline[i] as IngestRecord).topic;
      for (; i < timeline.length && (timeline[i] as IngestRecord).topic === topic; i++) {
        const r = timeline[i] as IngestRecord;
        publisher.publish(r.topic, r.key, r.value as TopicTypes[typeof r.topic]);
        sent.set(topic, (sent.get(topic) ?? 0) + 1);
      }
      await publisher.flush();
      await waitFor(() => (trade.counts().received.get(topic) ?? 0) >= (sent.get(topic) ?? 0), 30_000, `${topic} consumed`);
    }
    await trade.flush();
    // Its own risk events come back from the broker (the topic is ingest's and the drift monitor's too).
    await waitFor(() => (trade.counts().received.get('risk.event') ?? 0) >= (trade.counts().acked.get('risk.event') ?? 0), 30_000, 'risk events read back');

    for (const topic of TRADE_OWN_TOPICS) {
      expect(got.get(topic), topic).toEqual(expected.get(topic));
      // Published for the other processes (persist, alerts) too.
      expect(trade.counts().acked.get(topic) ?? 0, topic).toBe(count(topic));
    }
    const byId = (xs: readonly unknown[] = []) => new Map(xs.map((x) => [(x as { id: string }).id, x]));
    expect(byId(got.get('risk.event'))).toEqual(byId(expected.get('risk.event')));
    first = { bus: trade, registry, published: got, sent };
  });

  it('rebuilds a member that takes over from what was published: the same cash, positions and exposure', async () => {
    const before = first.registry.snapshot();
    await first.bus.stop();
    await first.bus.close();
    // A member with state rebuilt on assignment, as `polyflow run trade` has it (no checkpoint store: from the topics).
    let registry = new StateRegistry();
    let graph: { unsubscribe(): void } | undefined;
    const second: KafkaBus = openKafkaBus({
      config,
      group: 'trade',
      fromBeginning: true,
      ...groupBusShape('trade', config),
      rebuild: {
        reset: () => {
          graph?.unsubscribe();
          registry = new StateRegistry();
          graph = tradePipeline(second, config, { metrics: new PipelineMetrics(), registry, clock: 'arrival' });
        },
      },
    });
    buses.push(second);
    graph = tradePipeline(second, config, { metrics: new PipelineMetrics(), registry, clock: 'arrival' });
    const handed = collect(second);
    await second.start();
    const received = (topic: TopicName): number => second.counts().received.get(topic) ?? 0;
    for (const [topic, n] of first.sent) await waitFor(() => received(topic) >= n, 30_000, `${topic} read again`);
    for (const topic of TRADE_OWN_TOPICS) await waitFor(() => received(topic) >= (first.published.get(topic) ?? []).length, 30_000, `${topic} history read`);

    // The operators were handed the history as published (read back from the broker), and nothing
    // they decided again while rebuilding reached them or the broker.
    const ids = (xs: readonly unknown[] = []) => xs.map((x) => (x as { id: string }).id).sort();
    for (const topic of TRADE_OWN_TOPICS) {
      expect(ids(handed.get(topic)), topic).toEqual(ids(first.published.get(topic)));
      expect(second.counts().acked.get(topic) ?? 0, topic).toBe(0);
    }
    const after = registry.snapshot();
    const ledger = (states: ReadonlyMap<string, unknown>) => {
      const p = states.get('trade.portfolio') as PortfolioState;
      return { cash: p.cash, realizedPnl: p.realizedPnl, positions: p.positions };
    };
    const limits = (states: ReadonlyMap<string, unknown>) => {
      const g = states.get('trade.riskGate') as RiskGateState;
      return { equity: g.equity, totalExposure: g.totalExposure, exposureByMarket: g.exposureByMarket, heldDirection: g.heldDirection };
    };
    expect((ledger(before).positions as Map<string, unknown>).size).toBeGreaterThan(0);
    expect(ledger(after)).toEqual(ledger(before));
    expect(limits(after)).toEqual(limits(before));
  });

  it("in ingest's order, acts on the predictions due after the last book once live ingest's markers pass their due time", async () => {
    // Progress markers on (the default). The publisher is live ingest's kind: its markers go on at
    // the wall time when nothing more is received (a quiet market).
    const { config: quiet, prefix: quietPrefix } = await markersOn('quiet');
    // The input up to a scored book (`lastBook`): the predictions of its last second are due after it.
    const scored = timeline.filter((r) => r.topic === 'prediction.v1');
    const inputTo = (lastBook: number) => {
      const books = timeline.filter((r) => r.topic === 'pm.book' && timeOf(r) <= lastBook);
      const predictions = scored.filter((r) => timeOf(r) - quiet.scoring.maxWaitMs <= lastBook);
      return { books, predictions, ...embeddedTrade(quiet, books, predictions) };
    };
    // The first scored book from halfway on whose last second of predictions gives signals.
    const cuts = scored.slice(Math.floor(scored.length / 2)).map((r) => timeOf(r) - quiet.scoring.maxWaitMs);
    let run: ReturnType<typeof inputTo> | undefined;
    for (const cut of cuts) if ((run = inputTo(cut)).tail > 0) break;
    expect(run?.tail, 'signals of predictions due after the last book').toBeGreaterThan(0);
    const { books, predictions, expected, lastDue } = run!;

    const { publisher, got } = await startTrade(quiet, quietPrefix, { progressWallClock: true });
    // predict's part: the predictions, then its markers (every partition has progressed to the last due time).
    for (const r of predictions) publisher.publish(r.topic, r.key, r.value as TopicTypes['prediction.v1']);
    for (let partition = 0; partition < PARTITIONS; partition++) publisher.publishProgress('prediction.v1', partition, lastDue);
    for (const r of books) publisher.publish(r.topic, r.key, r.value as TopicTypes['pm.book']);
    await publisher.flush();
    await expectTradeOutputs(got, expected);
  });

  it("in ingest's order, places the clock's moves between the books where the predictions' progress holds it back", async () => {
    // ingest marks the books it sent (recorded receive times: no wall clock), and predict's progress
    // trails them: each step's predictions reach half way to its last book, so the books after that
    // wait at the gate (with ingest's markers behind them), and the clock moves with the predictions'
    // progress while books are held, step by step; at the end ingest's clock passes the last due time.
    const { config: stepped, prefix: steppedPrefix } = await markersOn('stepped');
    const books = timeline.filter((r) => r.topic === 'pm.book');
    const predictions = timeline.filter((r) => r.topic === 'prediction.v1');
    const { expected, lastDue } = embeddedTrade(stepped, books, predictions);
    const { publisher, got } = await startTrade(stepped, steppedPrefix, {});
    const STEPS = 6;
    let sentPredictions = 0;
    let heldBack = 0;
    for (let step = 1; step <= STEPS; step++) {
      const chunk = books.slice(Math.floor(((step - 1) * books.length) / STEPS), Math.floor((step * books.length) / STEPS));
      const first = timeOf(chunk[0] as IngestRecord);
      const last = timeOf(chunk[chunk.length - 1] as IngestRecord);
      const progress = step === STEPS ? lastDue : Math.floor((first + last) / 2);
      for (; sentPredictions < predictions.length && timeOf(predictions[sentPredictions] as IngestRecord) <= progress; sentPredictions++) {
        const r = predictions[sentPredictions] as IngestRecord;
        publisher.publish(r.topic, r.key, r.value as TopicTypes['prediction.v1']);
      }
      for (let partition = 0; partition < PARTITIONS; partition++) publisher.publishProgress('prediction.v1', partition, progress);
      for (const r of chunk) publisher.publish(r.topic, r.key, r.value as TopicTypes['pm.book']);
      heldBack += chunk.filter((r) => timeOf(r) - 1 > progress).length;
      await publisher.flush();
      // ingest's markers of this step's books (an interval after they went out) come before the next step's predictions.
      await sleep(3 * stepped.kafka.progressIntervalMs);
    }
    expect(heldBack).toBeGreaterThan(STEPS);
    // No book comes after the last: ingest's clock passes the last due time (as live ingest's markers would).
    for (let partition = 0; partition < PARTITIONS; partition++) publisher.publishProgress('pm.book', partition, lastDue);
    await publisher.flush();
    await expectTradeOutputs(got, expected);
  });
});
