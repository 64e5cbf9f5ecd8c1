/**
 * The live pipelines on the Kafka bus (POLYFLOW_BUS_KIND=kafka), as separate processes on the mock
 * cluster (infra/kafka/mock-cluster.sh, needs `kcat`), fed by the local fake Polymarket (websocket +
 * HTTP on 127.0.0.1): `run ingest` publishes the live topics to the broker, and `run ingest` ->
 * `run watch` -> `run alerts` turns large prints into whale alerts at a local webhook receiver.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config.js';
import type { KafkaBus } from '../../runtime/kafka/kafka-bus.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import type { Alert } from '../../schemas/alert.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import type { TopicName } from '../../schemas/topics.js';
import type { WhaleEvent } from '../../schemas/whale-event.js';
import { FakePolymarket } from '../helpers/fake-polymarket.js';
import { startTestKafka, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { kafkaProcessEnv, readPartitioned, type PartitionEntry } from '../helpers/kafka-pipelines.js';
import { addMarket, testMarket } from '../helpers/live-harness.js';
import { waitFor } from '../helpers/wait-for.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const CLI = 'dist/bin/polyflow.js';
let cluster: MockCluster;
let fake: FakePolymarket;
const children: ChildProcess[] = [];
const buses: KafkaBus[] = [];

function env(prefix: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return kafkaProcessEnv(cluster.bootstrap, prefix, {
    POLYMARKET_WS_URL: fake.wsUrl,
    POLYMARKET_GAMMA_URL: fake.httpUrl,
    POLYMARKET_CLOB_URL: fake.httpUrl,
    POLYMARKET_DATA_URL: fake.httpUrl,
    POLYFLOW_LIVE_WHALE_MIN_USD: '0',
    POLYFLOW_LIVE_MIN_VOLUME_USD: '0',
    POLYFLOW_LIVE_MIN_LIQUIDITY_USD: '0',
    ...extra,
  });
}

/** Spawns `polyflow run <args>`; `output` collects its stdout lines. */
function run(args: string[], processEnv: NodeJS.ProcessEnv): { child: ChildProcess; output: string[]; line: (match: (l: string) => boolean) => Promise<void> } {
  const child = spawn(process.execPath, [CLI, 'run', ...args], { env: processEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const output: string[] = [];
  const watchers: Array<{ match: (l: string) => boolean; resolve: () => void }> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    output.push(l);
    for (const w of watchers) if (w.match(l)) w.resolve();
  });
  const line = (match: (l: string) => boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      if (output.some(match)) return resolve();
      watchers.push({ match, resolve });
      child.once('exit', (code) => reject(new Error(`run ${args.join(' ')} exited ${code}: ${output.join('\n')}`)));
    });
  return { child, output, line };
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test builds it)`);
  cluster = await startTestKafka();
}, 60_000);
beforeEach(async () => {
  fake = await FakePolymarket.start(() => Date.now());
  addMarket(fake, 1);
});
afterEach(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await fake.close();
});
afterAll(async () => {
  for (const bus of buses) await bus.close().catch(() => undefined);
  cluster?.stop();
});

describe('live pipelines on the Kafka bus', () => {
  it("run ingest publishes the live topics to Kafka: every record it counted is on the broker, books and trades in ingest's order", async () => {
    const prefix = `ingest-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const asset = fake.books.keys().next().value as string;
    const ticker = setInterval(() => fake.delta(asset, 'BUY', '0.38', String(Math.floor(Math.random() * 100) + 1)), 50);
    const ingest = run(['ingest', '--duration', '2'], env(prefix));
    try {
      const [code] = (await once(ingest.child, 'exit')) as [number | null];
      expect(code, ingest.output.join('\n')).toBe(0);
    } finally {
      clearInterval(ticker);
    }
    expect(ingest.output.join('\n')).toContain(`publishing to Kafka at ${cluster.bootstrap} (topics ${prefix}*)`);
    // `ingest: stopped. published to Kafka: pm.market.meta 1, pm.book 25, ...`: counted after the producer flushed.
    const stopped = ingest.output.find((l) => l.startsWith('ingest: stopped. published to Kafka: '));
    expect(stopped, ingest.output.join('\n')).toBeDefined();
    const counts = new Map(
      (stopped ?? '')
        .slice('ingest: stopped. published to Kafka: '.length)
        .split(', ')
        .map((part) => {
          const [topic = '', n = '0'] = part.split(' ');
          return [topic, Number(n.replace(/,/g, ''))] as const;
        }),
    );
    expect(counts.get('pm.market.meta')).toBe(1);
    expect(counts.get('pm.book')).toBeGreaterThan(2);
    const config = loadConfig({ env: env(prefix) });
    const raw = new Map<string, PartitionEntry<unknown>[]>();
    for (const topic of new Set([...counts.keys(), 'pm.book', 'pm.trade'])) raw.set(topic, await readPartitioned(config, topic as TopicName, { decode: false }));
    for (const [topic, n] of counts) expect(raw.get(topic)?.filter((r) => r.progress === undefined).length, topic).toBe(n);

    // Every frame as received (pm.market.raw): one partition, in receive order, each a market-channel frame.
    const frames = await readPartitioned(config, 'pm.market.raw');
    expect(frames.length).toBeGreaterThan(0);
    expect(frames).toHaveLength(counts.get('pm.market.raw') ?? -1);
    expect(new Set(frames.map((f) => f.partition)).size).toBe(1);
    const received = frames.map((f) => f.value?.recvTs ?? 0);
    expect(received).toEqual([...received].sort((a, b) => a - b));
    for (const f of frames) expect(() => JSON.parse(f.value?.payload ?? ''), f.value?.payload).not.toThrow();

    // ingest marks its progress on every partition of the books and trades, stamped as its last
    // record (nothing before it is still to come), never going back. (Of topics that exist: asking
    // for a missing one's partitions could create it; `polyflow topics` creates them all.)
    expect(counts.get('pm.book')).toBeGreaterThan(0);
    for (const topic of ['pm.book', 'pm.trade'].filter((t) => (counts.get(t) ?? 0) > 0)) {
      const markers = raw.get(topic)?.filter((r) => r.progress !== undefined) ?? [];
      expect(new Set(markers.map((m) => m.partition)), topic).toEqual(new Set([0, 1, 2, 3]));
      for (const p of [0, 1, 2, 3]) {
        const times = markers.filter((m) => m.partition === p).map((m) => m.progress ?? 0);
        expect(times, `${topic} ${p}`).toEqual([...times].sort((a, b) => a - b));
      }
      expect(markers.every((m) => m.stamp !== undefined && m.key === ''), topic).toBe(true);
    }

    // Books and trades carry ingest's order (features merges the two topics back by it): one epoch,
    // every record its own place, each asset's numbered 0, 1, 2, ... in that order.
    const stamped = [...(raw.get('pm.book') ?? []), ...(raw.get('pm.trade') ?? [])].filter((r) => r.progress === undefined);
    expect(stamped.every((r) => r.stamp !== undefined)).toBe(true);
    expect(new Set(stamped.map((r) => r.stamp?.epoch)).size).toBe(1);
    const inOrder = [...stamped].sort((a, b) => (a.stamp?.g ?? 0) - (b.stamp?.g ?? 0));
    expect(new Set(inOrder.map((r) => r.stamp?.g)).size).toBe(inOrder.length);
    for (const key of new Set(inOrder.map((r) => r.key))) expect(inOrder.filter((r) => r.key === key).map((r) => r.stamp?.n), key).toEqual([...Array(inOrder.filter((r) => r.key === key).length).keys()]);

    // And they read back as records of their topics.
    const reader = openKafkaBus({ config: loadConfig({ env: env(prefix) }), group: `test-reader-${randomUUID().slice(0, 8)}`, fromBeginning: true });
    buses.push(reader);
    const meta: MarketMeta[] = [];
    let books = 0;
    reader.topic('pm.market.meta').subscribe((m) => meta.push(m));
    reader.topic('pm.book').subscribe(() => books++);
    await reader.start();
    await waitFor(() => meta.length === 1 && books === counts.get('pm.book'), 60_000, 'topics read back');
    expect(meta[0]?.market).toBe(testMarket(1).conditionId);
  });

  it('run ingest -> run watch -> run alerts: large prints become whale alerts delivered once each', async () => {
    const prefix = `chain-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const receiver = new WebhookReceiver(() => undefined, Date.now);
    const base = await receiver.start();
    try {
      const processEnv = env(prefix, {
        POLYFLOW_ALERTS_TARGETS: JSON.stringify([{ name: 'ops', kind: 'generic', webhookUrl: `${base}/ops` }]),
        POLYFLOW_ALERTS_RATE_PER_SECOND: '1000',
        POLYFLOW_ALERTS_RATE_BURST: '100',
      });
      // Two watch processes: one reads every partition (arbitrage needs a market's tokens together), the other stands by.
      const metricsDir = mkdtempSync(join(tmpdir(), 'polyflow-kafka-chain-'));
      const watchMetrics = [join(metricsDir, 'watch-1.prom'), join(metricsDir, 'watch-2.prom')];
      const watch = run(['watch', '--from-beginning', '--metrics', watchMetrics[0]!], processEnv);
      const standby = run(['watch', '--from-beginning', '--metrics', watchMetrics[1]!], processEnv);
      const alerts = run(['alerts', '--from-beginning'], processEnv);
      await Promise.all([watch.line((l) => l === 'ready watch'), standby.line((l) => l === 'ready watch'), alerts.line((l) => l === 'ready alerts')]);
      const reader = openKafkaBus({ config: loadConfig({ env: processEnv }), group: `test-reader-${randomUUID().slice(0, 8)}`, fromBeginning: true });
      buses.push(reader);
      const whales: WhaleEvent[] = [];
      const published: Alert[] = [];
      reader.topic('whale.v1').subscribe((w) => whales.push(w));
      reader.topic('alert.v1').subscribe((a) => published.push(a));
      await reader.start();

      // Six markets: their twelve tokens' books fall on every partition.
      for (let n = 2; n <= 6; n++) addMarket(fake, n);
      const ingest = run(['ingest'], processEnv);
      await ingest.line((l) => l.startsWith('ingest: ') && l.includes('assets subscribed'));
      const asset = fake.books.keys().next().value as string;
      const ticker = setInterval(() => fake.trade(asset, '0.40', '5000000', 'BUY'), 100);
      try {
        await waitFor(() => receiver.accepted('/ops').length >= 3, 120_000, 'whale alerts delivered');
      } finally {
        clearInterval(ticker);
      }
      for (const p of [ingest, watch, standby, alerts]) {
        p.child.kill('SIGTERM');
        const [code] = (await once(p.child, 'exit')) as [number | null];
        expect(code).toBe(0);
      }
      // Books and trades went to one of them only (each reads the market metadata, a reference table).
      const consumed = (file: string, topic: string): number => Number(new RegExp(`polyflow_kafka_consumed_records_total\\{topic="${topic}"\\} (\\d+)`).exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
      for (const topic of ['pm.book', 'pm.trade']) {
        const perProcess = watchMetrics.map((file) => consumed(file, topic));
        expect(perProcess.filter((n) => n > 0), `${topic} consumed per watch process: ${perProcess.join(', ')}`).toHaveLength(1);
      }
      const received = receiver.accepted('/ops');
      expect(new Set(received).size).toBe(received.length);
      // Each delivered alert is on alert.v1, and the whale event it came from on whale.v1 (written by the watch process).
      await waitFor(() => received.every((id) => published.some((a) => a.id === id && whales.some((w) => w.id === a.sourceEventId))), 60_000, 'alert.v1 and whale.v1 read back');
      for (const id of received) expect(published.find((a) => a.id === id)?.kind).toBe('whale');
    } finally {
      await receiver.close();
    }
  });
});
