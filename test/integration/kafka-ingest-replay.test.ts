// `polyflow run ingest --replay <recording>` on Kafka: the recording's ingest published to the
// broker as the in-process ingest makes it (every record, in ingest's order, each asset's books and
// trades in the order they were made), progress-marked on every book and trade partition up to the
// last record; the process exits 0 once the broker has it all. Mock cluster (needs kcat).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../runtime/config.js';
import { watchPipeline } from '../../pipelines/watch.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import type { TopicName, TopicTypes } from '../../schemas/topics.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { startTestKafka, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { CLI, ingestRecords, kafkaProcessEnv, readPartitioned, spawnPipeline, topicEnd, type IngestRecord } from '../helpers/kafka-pipelines.js';
import { waitFor } from '../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'polyflow-ingest-replay-'));
const recording = join(dir, 'rec');
let cluster: MockCluster;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test builds it)`);
  cluster = await startTestKafka();
  // One hour, so that three of its markets resolve in it (watch must see each resolution among the books as ingest made it).
  execFileSync(process.execPath, [CLI, 'simulate', '--out', recording, '--markets', '6', '--events', '3000', '--seed', '11', '--hours', '1'], { stdio: 'pipe' });
}, 120_000);

afterAll(() => cluster?.stop());

describe('run ingest --replay', () => {
  it("publishes the recording's ingest in ingest's order, marked to its last record, and exits once it is acknowledged", async () => {
    const prefix = `ingest-replay-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const env = { ...kafkaProcessEnv(cluster.bootstrap, prefix), POLYFLOW_BUS_KIND: 'kafka' };
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'run', 'ingest', '--replay', recording], { env });
    expect(stdout).toMatch(/^ingest: replayed [\d,]+ records of .*rec; published to Kafka: .*pm\.book [\d,]+/m);

    const { meta, rest } = await ingestRecords(recording);
    const config = loadConfig({ env });
    const byTopic = new Map<TopicName, typeof rest>();
    for (const r of rest) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    expect(byTopic.get('pm.book')?.length).toBeGreaterThan(500);
    expect(byTopic.get('pm.trade')?.length).toBeGreaterThan(50);

    const metaBack = (await readPartitioned(config, 'pm.market.meta')).map((e) => e.value?.market);
    expect(metaBack.sort()).toEqual(meta.map((m) => m.market).sort());
    const lastTime = Math.max(...rest.map((r) => (r.value as { recvTs?: number }).recvTs ?? 0));
    const stamped: { g: number; value: unknown }[] = [];
    for (const topic of ['pm.book', 'pm.trade'] as const) {
      const back = await readPartitioned(config, topic);
      const records = back.filter((e) => e.progress === undefined);
      expect(records.length, topic).toBe(byTopic.get(topic)?.length);
      for (const e of records) stamped.push({ g: e.stamp?.g ?? -1, value: e.value });
      // Every partition is marked up to the last record's receive time (less 1 ms).
      for (let p = 0; p < 4; p++) expect(Math.max(...back.filter((e) => e.partition === p && e.progress !== undefined).map((e) => e.progress ?? 0)), `${topic} ${p}`).toBe(lastTime - 1);
    }
    // In ingest's order, the records the in-process ingest makes, value by value.
    stamped.sort((a, b) => a.g - b.g);
    const made = rest.filter((r) => r.topic === 'pm.book' || r.topic === 'pm.trade');
    expect(stamped.map((s) => s.value)).toEqual(made.map((r) => r.value));

    // As live ingest: every frame of the recording as received (pm.market.raw), in one partition, in order.
    const frames: { recvTs: number; payload: string }[] = [];
    for await (const batch of readReplay(recording, { bytesRead: 0 })) for (const r of batch) if (r.kind === 'frame') frames.push({ recvTs: r.recvTs, payload: r.frame });
    expect(frames.length).toBeGreaterThan(1_000);
    const raw = await readPartitioned(config, 'pm.market.raw');
    expect(new Set(raw.map((e) => e.partition)).size).toBe(1);
    expect(raw.map((e) => e.value)).toEqual(frames);
    expect(stdout).toContain(`pm.market.raw ${frames.length.toLocaleString('en-US')}`);
  }, 180_000);

  it('paces the recording with --speed, and a signal stops it early with what it published acknowledged and marked', async () => {
    const prefix = `ingest-paced-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const env = { ...kafkaProcessEnv(cluster.bootstrap, prefix), POLYFLOW_BUS_KIND: 'kafka' };
    const config = loadConfig({ env });
    // The recorded hour at 60x: a minute, of which the test lets a few seconds go by.
    const child = spawn(process.execPath, [CLI, 'run', 'ingest', '--replay', recording, '--speed', '60'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await waitFor(async () => (await topicEnd(config.kafka.brokers, `${prefix}pm.book`)) > 20, 60_000, 'the first books published');
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    const published = Number(/pm\.book ([\d,]+)/.exec(stdout)?.[1]?.replaceAll(',', '') ?? Number.NaN);
    expect(stdout).toMatch(/^ingest: replayed [\d,]+ records of .*rec \(stopped early by a signal\); published to Kafka: /m);

    const { rest } = await ingestRecords(recording);
    const allBooks = rest.filter((r) => r.topic === 'pm.book');
    // Paced: far from the whole recording went out before the signal.
    expect(published).toBeLessThan(allBooks.length / 2);
    const back = await readPartitioned(config, 'pm.book');
    const records = back.filter((e) => e.progress === undefined);
    expect(records).toHaveLength(published);
    // In ingest's order, the recording's first books, and every partition marked to the last of them.
    const sorted = records.sort((a, b) => (a.stamp?.g ?? 0) - (b.stamp?.g ?? 0)).map((e) => e.value);
    expect(sorted).toEqual(allBooks.slice(0, published).map((r) => r.value));
    const lastTime = Math.max(...sorted.map((v) => v?.recvTs ?? 0));
    for (let p = 0; p < 4; p++) expect(Math.max(...back.filter((e) => e.partition === p && e.progress !== undefined).map((e) => e.progress ?? 0)), `partition ${p}`).toBeGreaterThanOrEqual(lastTime - 1);
  }, 120_000);

  it('is for ingest on Kafka only', async () => {
    const failed = await promisify(execFile)(process.execPath, [CLI, 'run', 'ingest', '--replay', recording], { env: { ...process.env, POLYFLOW_BUS_KIND: 'memory' } }).catch((err: unknown) => err as { code: number; stderr: string });
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/--replay is for `run ingest` on Kafka/);
  });

  it("feeds a watch process that finds the embedded watchers' arbitrage and whales, by id", async () => {
    const prefix = `watch-replay-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const env = { ...kafkaProcessEnv(cluster.bootstrap, prefix), POLYFLOW_BUS_KIND: 'kafka' };
    await promisify(execFile)(process.execPath, [CLI, 'run', 'ingest', '--replay', recording], { env });
    const config = loadConfig({ env });
    const { meta, rest } = await ingestRecords(recording);
    const expected = embeddedWatch(config, meta, rest);
    expect(expected.get('arbitrage.v1')?.length).toBeGreaterThan(5);
    expect(expected.get('whale.v1')?.length).toBeGreaterThan(5);
    expect(rest.filter((r) => r.topic === 'pm.resolution').length).toBe(3);

    const reader = openKafkaBus({ config, group: `reader-${prefix}`, fromBeginning: true });
    const got = new Map<string, string[]>([['arbitrage.v1', []], ['whale.v1', []]]);
    reader.topic('arbitrage.v1').subscribe((a) => got.get('arbitrage.v1')?.push(a.id));
    reader.topic('whale.v1').subscribe((w) => got.get('whale.v1')?.push(w.id));
    await reader.start();
    const watch = await spawnPipeline('watch', env);
    try {
      const caughtUp = (): boolean => [...expected].every(([topic, ids]) => new Set(got.get(topic)).size >= ids.length);
      await waitFor(caughtUp, 120_000, 'the watchers caught up').catch(() => undefined);
      for (const [topic, ids] of expected) expect(new Set(got.get(topic)), topic).toEqual(new Set(ids));
    } finally {
      watch.kill('SIGTERM');
      await reader.close();
    }
  }, 240_000);
});

/** The ids the watchers publish on a memory bus from `meta`, then `rest` (the embedded run's watch). */
function embeddedWatch(config: Config, meta: readonly MarketMeta[], rest: readonly IngestRecord[]): Map<string, string[]> {
  const memory = new MemoryBus();
  const out = new Map<string, string[]>([['arbitrage.v1', []], ['whale.v1', []]]);
  memory.topic('arbitrage.v1').subscribe((a) => out.get('arbitrage.v1')?.push(a.id));
  memory.topic('whale.v1').subscribe((w) => out.get('whale.v1')?.push(w.id));
  const sub = watchPipeline(memory, config, new PipelineMetrics());
  for (const m of meta) memory.publish('pm.market.meta', m.market, m);
  for (const r of rest) memory.publish(r.topic, r.key, r.value as TopicTypes[typeof r.topic]);
  sub.unsubscribe();
  return out;
}
