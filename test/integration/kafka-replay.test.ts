// `polyflow replay --bus kafka` against the embedded run of the same recording. Needs the built CLI
// (npm test builds it) and `kcat` for the mock cluster (infra/kafka/mock-cluster.sh).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../schemas/run-summary.js';
import { openClickHouse } from '../../sinks/clickhouse/clickhouse-connection.js';
import { TOPIC_TABLES } from '../../sinks/clickhouse/topic-rows.js';
import { startTestKafka, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { scoresApprox } from '../helpers/model-outputs.js';
import { tradingEnv } from '../helpers/trading-model.js';

const CLI = 'dist/bin/polyflow.js';
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'polyflow-kafka-replay-'));
const recording = join(dir, 'rec');
const embedded = join(dir, 'embedded');
const overKafka = join(dir, 'kafka');
const chunked = join(dir, 'kafka-chunked');
let cluster: MockCluster;

const lines = <T>(out: string, topic: string): T[] =>
  readFileSync(join(out, `${topic}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
/** Records by id: the Kafka run writes them in arrival order, which interleaves partitions. */
const byId = <T extends { id: string }>(records: readonly T[]): Map<string, T> => new Map(records.map((r) => [r.id, r]));
const summary = (out: string): RunSummary => JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary;

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npm test builds it)`);
  cluster = await startTestKafka();
  // A small simulated recording on which the baseline model trades (orders, fills, market-cap blocks),
  // with predictions that come due between two records and must trade before the second (a run
  // that let the record go first gave another portfolio).
  execFileSync(process.execPath, [CLI, 'simulate', '--out', recording, '--markets', '8', '--events', '8000', '--seed', '2'], { stdio: 'pipe' });
  const env = tradingEnv({ POLYFLOW_LOG_LEVEL: 'warn', KAFKA_BROKERS: cluster.bootstrap });
  await Promise.all([
    run(process.execPath, [CLI, 'replay', recording, '--out', embedded, '--no-progress'], { env }),
    run(process.execPath, [CLI, 'replay', recording, '--out', overKafka, '--no-progress', '--bus', 'kafka'], { env }),
    run(process.execPath, [CLI, 'replay', recording, '--out', chunked, '--no-progress', '--bus', 'kafka', '--kafka-chunk', '500', '--analytics', 'files'], { env }),
  ]);
}, 280_000);

afterAll(() => cluster?.stop());

/** Every analytics table of a run's chDB (under its --out): row count, and ids in id order where the table has them. */
async function analyticsRows(out: string): Promise<Record<string, { rows: number; ids: string[] | undefined }>> {
  const client = openClickHouse({ kind: 'embedded', path: join(out, 'chdb') });
  const query = async <T>(sql: string): Promise<T[]> => (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();
  try {
    const tables = [...Object.values(TOPIC_TABLES), 'book_top'];
    const withId = new Set((await query<{ table: string }>(`SELECT table FROM system.columns WHERE database = currentDatabase() AND name = 'id'`)).map((c) => c.table));
    const result: Record<string, { rows: number; ids: string[] | undefined }> = {};
    for (const table of tables) {
      const [count] = await query<{ n: number | string }>(`SELECT count() AS n FROM ${table}`);
      const ids = withId.has(table) ? (await query<{ id: string }>(`SELECT id FROM ${table} ORDER BY id`)).map((r) => r.id) : undefined;
      result[table] = { rows: Number(count?.n ?? 0), ids };
    }
    return result;
  } finally {
    await client.close(); // one chDB engine per process: closed before the next folder's opens
  }
}

const OUTPUTS = ['prediction.v1', 'signal.v1', 'order.v1', 'fill.v1', 'risk.event', 'portfolio.v1', 'pm.resolution', 'dlq.ingest', 'arbitrage.v1', 'whale.v1'];

describe('replay --bus kafka (every pipeline in one process, through the broker) vs the memory bus', () => {
  it('gives the same predictions and signals, record for record by id', () => {
    for (const topic of ['prediction.v1', 'signal.v1']) {
      const memory = byId(lines<{ id: string }>(embedded, topic));
      expect(memory.size, topic).toBeGreaterThan(0);
      expect(byId(lines<{ id: string }>(overKafka, topic)), topic).toEqual(memory);
    }
  });

  it("gives the same orders, fills, risk events and portfolio, though the risk gate's caps bind", () => {
    // The market cap blocks and resizes orders on this recording, so the gate's feedback (fills and
    // portfolio snapshots through their topics) matters; with one input record in flight at a time
    // it reaches the gate before the next record's signals, as on the memory bus.
    expect(lines<{ rule: string }>(embedded, 'risk.event').some((e) => e.rule === 'market_cap')).toBe(true);
    for (const topic of OUTPUTS) expect(byId(lines<{ id: string }>(overKafka, topic)), topic).toEqual(byId(lines<{ id: string }>(embedded, topic)));
    const [m, k] = [summary(embedded), summary(overKafka)];
    expect(m.fills).toBeGreaterThan(0);
    expect(k).toEqual(m);
  });

  it("writes the embedded run's analytics rows to ClickHouse (chDB under --out, the replay default on both buses)", async () => {
    const memory = await analyticsRows(embedded);
    expect(memory['predictions']?.rows).toBeGreaterThan(0);
    expect(memory['fills']?.rows).toBeGreaterThan(0);
    expect(memory['book_top']?.rows).toBeGreaterThan(0);
    expect(await analyticsRows(overKafka)).toEqual(memory);
  });

  it('with chunks of 500 records, ingests the same and publishes the same predictions and signals (they reach trade later)', () => {
    const [m, c] = [summary(embedded), summary(chunked)];
    expect({ events: c.events, dlq: c.dlq, books: c.book_updates, trades: c.trades }).toEqual({ events: m.events, dlq: m.dlq, books: m.book_updates, trades: m.trades });
    // The clock runs a chunk ahead of scoring, so batches are cut elsewhere: an asset's predictions do not depend on it.
    for (const topic of ['prediction.v1', 'signal.v1']) {
      const memory = lines<{ id: string }>(embedded, topic);
      expect(memory.length, topic).toBeGreaterThan(0);
      expect(byId(lines<{ id: string }>(chunked, topic)), topic).toEqual(byId(memory.map(scoresApprox)));
    }
  });
});
