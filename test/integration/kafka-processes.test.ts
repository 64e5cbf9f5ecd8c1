// `polyflow run features|predict|trade` as separate processes (each its own consumer group) on the
// mock cluster (infra/kafka/mock-cluster.sh, needs `kcat`), fed by this test's own publisher.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featuresPipeline } from '../../pipelines/features.js';
import { ingestPipeline } from '../../pipelines/ingest.js';
import { tradePipeline } from '../../pipelines/trade.js';
import type { Bus } from '../../runtime/bus.js';
import { loadConfig, type Config } from '../../runtime/config.js';
import { createKafka } from '../../runtime/kafka/kafka-client.js';
import type { KafkaBus } from '../../runtime/kafka/kafka-bus.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import type { FeatureVector } from '../../schemas/feature-vector.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import type { Order } from '../../schemas/order.js';
import type { Prediction } from '../../schemas/prediction.js';
import type { Signal } from '../../schemas/signal.js';
import type { TopicName, TopicTypes } from '../../schemas/topics.js';
import type { ReplayRecord } from '../../sources/replay/replay-record.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { startMockCluster, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { tradingEnv } from '../helpers/trading-model.js';
import { waitFor } from '../helpers/wait-for.js';

const CLI = 'dist/bin/polyflow.js';
const dir = mkdtempSync(join(tmpdir(), 'polyflow-kafka-procs-'));
const recording = join(dir, 'rec');
const prefix = `procs-${randomUUID().slice(0, 8)}.`;
let cluster: MockCluster;
let env: NodeJS.ProcessEnv;
let config: Config;
const children = new Map<string, ChildProcess>();
let finalSignals: string[] = [];
const buses: KafkaBus[] = [];

/** Ingest's records of the recording, split: market metadata first, then everything but trades. */
async function ingestRecords(): Promise<{ meta: MarketMeta[]; rest: { topic: TopicName; key: string; value: unknown }[] }> {
  const memory = new MemoryBus();
  const meta: MarketMeta[] = [];
  const rest: { topic: TopicName; key: string; value: unknown }[] = [];
  const capture: Bus = {
    publish: (topic, key, value) => {
      if (topic === 'pm.market.meta') meta.push(value as MarketMeta);
      // Trades are left out: pm.book and pm.trade are separate topics, so a features process sees
      // them in an order that depends on fetches, and its output would not be comparable.
      else if (topic !== 'pm.trade' && topic !== 'dlq.ingest') rest.push({ topic, key, value });
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

function startProcess(pipeline: string): Promise<void> {
  const args = [CLI, 'run', pipeline, '--from-beginning', '--metrics', join(dir, `${pipeline}.prom`), '--out', join(dir, `${pipeline}-out`)];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  children.set(pipeline, child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`run ${pipeline} exited ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => line === `ready ${pipeline}` && resolve());
  });
}

async function committed(group: string, topic: TopicName): Promise<number> {
  const admin = createKafka({ brokers: [cluster.bootstrap], clientId: 'test-admin' }).admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId: `polyflow.${group}`, topics: [`${prefix}${topic}`] });
    return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test builds it)`);
  cluster = await startMockCluster();
  execFileSync(process.execPath, [CLI, 'simulate', '--out', recording, '--markets', '8', '--events', '4000', '--seed', '1'], { stdio: 'pipe' });
  env = tradingEnv({ POLYFLOW_LOG_LEVEL: 'warn', KAFKA_BROKERS: cluster.bootstrap, POLYFLOW_KAFKA_TOPIC_PREFIX: prefix, POLYFLOW_KAFKA_SESSION_TIMEOUT_MS: '6000' });
  config = loadConfig({ env });
  await Promise.all(['features', 'predict', 'trade', 'persist'].map(startProcess));
}, 120_000);

afterAll(async () => {
  for (const bus of buses) await bus.close().catch(() => undefined);
  for (const child of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
  cluster?.stop();
});

describe('features, predict, trade and persist as separate consumer-group processes', () => {
  it('compute what the same operators compute in memory from the records they consumed', async () => {
    const { meta, rest } = await ingestRecords();
    const publisher = openKafkaBus({ config });
    const reader = openKafkaBus({ config, group: 'test-reader', fromBeginning: true });
    buses.push(publisher, reader);
    const got = { features: [] as FeatureVector[], predictions: [] as Prediction[], signals: [] as Signal[], orders: [] as Order[] };
    reader.topic('features.v1').subscribe((f) => got.features.push(f));
    reader.topic('prediction.v1').subscribe((p) => got.predictions.push(p));
    reader.topic('signal.v1').subscribe((s) => got.signals.push(s));
    reader.topic('order.v1').subscribe((o) => got.orders.push(o));
    await publisher.start();
    await reader.start();

    // Market metadata first, and on only once both processes that read it have committed it.
    for (const m of meta) publisher.publish('pm.market.meta', m.market, m);
    await publisher.flush();
    await waitFor(async () => (await committed('features', 'pm.market.meta')) === meta.length && (await committed('trade', 'pm.market.meta')) === meta.length, 60_000, 'meta consumed');
    for (const r of rest) publisher.publish(r.topic, r.key, r.value as TopicTypes[typeof r.topic]);
    await publisher.flush();

    // features: the same vectors as the operator over a memory bus (one topic, per-key order kept).
    const expected: FeatureVector[] = [];
    const memory = new MemoryBus();
    const fsub = featuresPipeline(memory, config, new PipelineMetrics());
    memory.topic('features.v1').subscribe((f) => expected.push(f));
    for (const m of meta) memory.publish('pm.market.meta', m.market, m);
    for (const r of rest) memory.publish(r.topic, r.key, r.value as TopicTypes[typeof r.topic]);
    fsub.unsubscribe();
    expect(expected.length).toBeGreaterThan(100);
    await waitFor(() => got.features.length >= expected.length, 120_000, 'features');
    const ids = (xs: readonly { id: string }[]) => new Map(xs.map((x) => [x.id, x]));
    expect(ids(got.features)).toEqual(ids(expected));

    // trade: the signals its edge operator gives for the predictions the predict process published.
    let seen = -1;
    await waitFor(() => {
      const stable = got.predictions.length > 0 && got.predictions.length === seen;
      seen = got.predictions.length;
      return stable;
    }, 120_000, 'predictions settled');
    const trade = new MemoryBus();
    const expectedSignals: Signal[] = [];
    const tsub = tradePipeline(trade, config, new PipelineMetrics());
    trade.topic('signal.v1').subscribe((s) => expectedSignals.push(s));
    for (const m of meta) trade.publish('pm.market.meta', m.market, m);
    for (const p of got.predictions) trade.publish('prediction.v1', p.assetId, p);
    tsub.unsubscribe();
    expect(expectedSignals.length).toBeGreaterThan(0);
    await waitFor(() => got.signals.length >= expectedSignals.length, 60_000, 'signals');
    expect(ids(got.signals)).toEqual(ids(expectedSignals));
    const signalIds = new Set(got.signals.map((s) => s.id));
    for (const order of got.orders) expect(signalIds.has(order.signalId)).toBe(true);
    finalSignals = got.signals.map((s) => s.id).sort();
  });

  it('report consumer lag, produce/consume rates and rebalances in each process', async () => {
    await waitFor(async () => (await committed('persist', 'signal.v1')) === finalSignals.length, 60_000, 'persist caught up');
    for (const [name, child] of children) {
      child.kill('SIGTERM');
      await once(child, 'exit');
      const text = readFileSync(join(dir, `${name}.prom`), 'utf8');
      expect(text, name).toMatch(/polyflow_kafka_consumer_lag_records\{topic="[^"]+",partition="\d"\} \d+/);
      expect(text, name).toMatch(/polyflow_kafka_consumed_records_total\{topic="[^"]+"\} [1-9]/);
      if (name !== 'persist') expect(text, name).toMatch(/polyflow_kafka_produced_records_total\{topic="[^"]+"\} [1-9]/);
      expect(text, name).toMatch(/polyflow_kafka_rebalances_total [1-9]/);
    }
    // persist wrote what it consumed, as JSONL (closed on SIGTERM).
    const persisted = readFileSync(join(dir, 'persist-out', 'signal.v1.jsonl'), 'utf8').split('\n').filter((l) => l !== '');
    expect(persisted.map((l) => (JSON.parse(l) as { id: string }).id).sort()).toEqual(finalSignals);
  });
});
