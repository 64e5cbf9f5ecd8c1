// `polyflow run persist` as a consumer group writes what it consumes to every store it has: JSONL
// files, ClickHouse (chDB under --out) and Postgres (the test server), each record once although
// it was delivered twice. Mock cluster (needs kcat) and the test Postgres.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import type { TopicName, TopicTypes } from '../../schemas/topics.js';
import { openClickHouse } from '../../sinks/clickhouse/clickhouse-connection.js';
import { freePort } from '../helpers/free-port.js';
import { startTestKafka, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { CLI, committedRecords, MOCK_REBALANCE_ENV, spawnPipeline } from '../helpers/kafka-pipelines.js';
import { createTestDatabase } from '../helpers/postgres-test-db.js';
import { seriesValue } from '../helpers/prometheus-text.js';
import { tradingEnv } from '../helpers/trading-model.js';
import { waitFor } from '../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'polyflow-kafka-persist-'));
const TOPICS: readonly TopicName[] = ['signal.v1', 'order.v1', 'fill.v1', 'portfolio.v1', 'risk.event'];
let cluster: MockCluster;
let database: { url: string; drop: () => Promise<void> };

const jsonl = (file: string): { id: string }[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { id: string });

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test builds it)`);
  cluster = await startTestKafka();
  database = await createTestDatabase('kafka_persist');
  // What to persist: a trading run's outputs over the memory bus.
  execFileSync(process.execPath, [CLI, 'replay', 'data/sample', '--out', join(dir, 'embedded'), '--no-progress'], {
    env: tradingEnv({ POLYFLOW_STATE_KIND: 'off', POLYFLOW_ANALYTICS_MODE: 'files', POLYFLOW_LOG_LEVEL: 'warn' }),
    stdio: 'pipe',
  });
}, 120_000);

afterAll(async () => {
  cluster?.stop();
  await database?.drop();
});

describe('run persist on Kafka', () => {
  it('writes each consumed record once to JSONL, ClickHouse and Postgres, though delivered twice', async () => {
    const prefix = `persist-${randomUUID().slice(0, 8)}.`;
    await cluster.prepareTopics(prefix);
    const env = tradingEnv({
      POLYFLOW_LOG_LEVEL: 'warn',
      KAFKA_BROKERS: cluster.bootstrap,
      POLYFLOW_KAFKA_TOPIC_PREFIX: prefix,
      POLYFLOW_KAFKA_SESSION_TIMEOUT_MS: '6000',
      ...MOCK_REBALANCE_ENV,
      POLYFLOW_STATE_KIND: 'postgres',
      POLYFLOW_STATE_URL: database.url,
      POLYFLOW_ANALYTICS_MODE: 'clickhouse',
      POLYFLOW_METRICS_PORT: String(await freePort()),
      POLYFLOW_METRICS_HOST: '127.0.0.1',
    });
    const out = join(dir, 'persist');
    const persist = await spawnPipeline('persist', env, ['--out', out]);
    const publisher = openKafkaBus({ config: loadConfig({ env }) });
    await publisher.start();
    const records = new Map(TOPICS.map((t) => [t, jsonl(join(dir, 'embedded', `${t}.jsonl`))]));
    expect(records.get('fill.v1')!.length).toBeGreaterThan(0);
    // Everything twice (a redelivery after an upstream restart).
    for (let round = 0; round < 2; round++) {
      for (const [topic, values] of records) for (const v of values) publisher.publish(topic, 'k', v as unknown as TopicTypes[typeof topic]);
    }
    await publisher.flush();
    await publisher.close();
    for (const [topic, values] of records) {
      await waitFor(async () => (await committedRecords(cluster.bootstrap, `${prefix}${topic}`, 'persist')) === 2 * values.length, 60_000, `${topic} committed`);
    }
    // Its Prometheus endpoint tells the same while it runs.
    const scraped = await (await fetch(`http://127.0.0.1:${env['POLYFLOW_METRICS_PORT']}/metrics`)).text();
    expect(scraped).toMatch(new RegExp(`^polyflow_kafka_consumed_records_total\\{topic="fill.v1"\\} ${2 * records.get('fill.v1')!.length}$`, 'm'));
    expect(scraped).toMatch(new RegExp(`^polyflow_kafka_duplicates_dropped_total\\{topic="fill.v1"\\} ${records.get('fill.v1')!.length}$`, 'm'));
    // And the process's own: event-loop delay and GC pauses, where a latency tail shows.
    expect(seriesValue(scraped, 'nodejs_eventloop_lag_p99_seconds')).toBeGreaterThan(0);
    expect(scraped).toMatch(/^nodejs_gc_duration_seconds_count\{kind="minor"\} [1-9]\d*$/m);
    persist.kill('SIGTERM');
    await once(persist, 'exit');
    expect(persist.exitCode).toBe(0);

    for (const [topic, values] of records) expect(jsonl(join(out, `${topic}.jsonl`)).map((r) => r.id), topic).toEqual(values.map((r) => r.id));

    const pgClient = new pg.Client({ connectionString: database.url });
    await pgClient.connect();
    const fills = await pgClient.query<{ id: string }>('SELECT id FROM fills ORDER BY id');
    const orders = await pgClient.query<{ n: string }>('SELECT count(*) AS n FROM orders');
    await pgClient.end();
    expect(fills.rows.map((r) => r.id)).toEqual(records.get('fill.v1')!.map((f) => f.id).sort());
    expect(Number(orders.rows[0]!.n)).toBe(records.get('order.v1')!.length);

    const ch = openClickHouse({ kind: 'embedded', path: join(out, 'chdb') });
    try {
      for (const [topic, table] of [['signal.v1', 'signals'], ['fill.v1', 'fills'], ['portfolio.v1', 'portfolio'], ['risk.event', 'risk_events']] as const) {
        const rows = await (await ch.query({ query: `SELECT count() AS n, uniqExact(id) AS u FROM ${table}`, format: 'JSONEachRow' })).json<{ n: number; u: number }>();
        expect({ table, n: Number(rows[0]!.n), u: Number(rows[0]!.u) }).toEqual({ table, n: records.get(topic)!.length, u: records.get(topic)!.length });
      }
    } finally {
      await ch.close();
    }
  });
});
