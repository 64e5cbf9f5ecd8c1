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
import { Partitioners, type PartitionerArgs } from 'kafkajs';
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
import { CLI, ingestRecords, type IngestRecord } from '../helpers/kafka-pipelines.js';
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
  const kafka = { KAFKA_BROKERS: cluster.bootstrap, POLYFLOW_KAFKA_TOPIC_PREFIX: prefix, POLYFLOW_KAFKA_FETCH_MAX_WAIT_MS: '5', POLYFLOW_KAFKA_PROGRESS_INTERVAL_MS: '0' };
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
    // Progress markers on (the default), on topics of their own. The publisher is live ingest's kind:
    // its markers go on at the wall time when nothing more is received (a quiet market).
    const quietPrefix = `quiet-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(quietPrefix);
    const quiet = loadConfig({ env: tradingEnv({ POLYFLOW_LOG_LEVEL: 'warn', KAFKA_BROKERS: cluster.bootstrap, POLYFLOW_KAFKA_TOPIC_PREFIX: quietPrefix, POLYFLOW_KAFKA_FETCH_MAX_WAIT_MS: '5', ...LOOSE_TRADING_ENV }) });
    // The embedded run of the input up to a scored book (`lastBook`): every prediction waits on the
    // input clock that the books move; the live clock then moves past the last due time, with no book
    // after it. The predictions of the last second of books are due after the last book.
    const scored = timeline.filter((r) => r.topic === 'prediction.v1');
    const inputTo = (lastBook: number) => {
      const books = timeline.filter((r) => r.topic === 'pm.book' && (r.value as TopicTypes['pm.book']).recvTs <= lastBook);
      const predictions = scored.filter((r) => (r.value as TopicTypes['prediction.v1']).dueTs - quiet.scoring.maxWaitMs <= lastBook);
      const memory = new MemoryBus();
      const memoryClock = new InputClock();
      tradePipeline(memory, quiet, { metrics: new PipelineMetrics(), clock: memoryClock });
      const expected = collect(memory);
      for (const m of meta) memory.publish('pm.market.meta', m.market, m);
      for (const r of [...predictions, ...books]) memory.publish(r.topic, r.key, r.value as TopicTypes[typeof r.topic]);
      const atLastBook = (expected.get('signal.v1') ?? []).length;
      const lastDue = Math.max(...predictions.map((r) => (r.value as TopicTypes['prediction.v1']).dueTs));
      memoryClock.advanceTo(lastDue + 1);
      return { books, predictions, expected, lastDue, tail: (expected.get('signal.v1') ?? []).length - atLastBook };
    };
    // The first scored book from halfway on whose last second of predictions gives signals.
    const cuts = scored.slice(Math.floor(scored.length / 2)).map((r) => (r.value as TopicTypes['prediction.v1']).dueTs - quiet.scoring.maxWaitMs);
    let run: ReturnType<typeof inputTo> | undefined;
    for (const cut of cuts) if ((run = inputTo(cut)).tail > 0) break;
    expect(run?.tail, 'signals of predictions due after the last book').toBeGreaterThan(0);
    const { books, predictions, expected, lastDue } = run!;

    const publisher = openKafkaBus({ config: quiet, progressWallClock: true });
    // A group of its own: the earlier cases' active member still holds group trade.
    const trade = openKafkaBus({ config: quiet, group: 'trade-quiet', fromBeginning: true, ...groupBusShape('trade', quiet) });
    buses.push(publisher, trade);
    tradePipeline(trade, quiet, { metrics: new PipelineMetrics(), clock: tradeGroupClock(quiet) });
    const got = collect(trade);
    await publisher.start();
    for (const m of meta) publisher.publish('pm.market.meta', m.market, m);
    await publisher.flush();
    await trade.start();
    // predict's part: the predictions, then its markers (every partition has progressed to the last due time).
    for (const r of predictions) publisher.publish(r.topic, r.key, r.value as TopicTypes['prediction.v1']);
    for (let partition = 0; partition < PARTITIONS; partition++) publisher.publishProgress('prediction.v1', partition, lastDue);
    for (const r of books) publisher.publish(r.topic, r.key, r.value as TopicTypes['pm.book']);
    await publisher.flush();
    const n = (topic: TopicName): number => (expected.get(topic) ?? []).length;
    await waitFor(() => TRADE_OWN_TOPICS.every((topic) => (got.get(topic) ?? []).length >= n(topic)), 30_000, 'the tail acted on').catch(() => undefined);
    for (const topic of TRADE_OWN_TOPICS) expect(got.get(topic), topic).toEqual(expected.get(topic));
  });
});
