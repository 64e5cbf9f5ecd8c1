import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { clickhouseInserter } from '../../sinks/clickhouse/clickhouse-inserter.js';
import { openClickHouse } from '../../sinks/clickhouse/clickhouse-connection.js';
import { ClickHouseSink } from '../../sinks/clickhouse/clickhouse-sink.js';
import { applyMigrations } from '../../sinks/clickhouse/migrations.js';
import { queryRunReport } from '../../sinks/clickhouse/run-report-query.js';

/*
 * The server path: the same client code over HTTP to a real ClickHouse server (>= 23.x; not
 * Debian's 18.16). Runs only when CLICKHOUSE_URL is set (user/password from CLICKHOUSE_USER /
 * CLICKHOUSE_PASSWORD); otherwise vitest reports it as skipped (never as passed).
 */
const url = process.env['CLICKHOUSE_URL'] ?? '';
const hasServer = url !== '';
let client: ClickHouseClient | undefined;
afterAll(async () => {
  await client?.close();
});

describe('ClickHouse server (CLICKHOUSE_URL)', () => {
  it.runIf(hasServer)('migrates, writes through the sink, dedupes, and reads 64-bit ints as numbers', async () => {
    client = openClickHouse({ kind: 'server', url, username: process.env['CLICKHOUSE_USER'] ?? 'default', password: process.env['CLICKHOUSE_PASSWORD'] ?? '' });
    await applyMigrations(client);
    await applyMigrations(client);
    const run = `server-test-${Date.now()}`;
    await client.insert({ table: 'runs', values: [{ run, session: 1, started_at: Date.now(), mode: 'server', bankroll_usd: 10_000, config: '{}' }], format: 'JSONEachRow' });
    const sink = new ClickHouseSink(clickhouseInserter(client), { run, session: 1, maxBatchRows: 2, flushIntervalMs: 100, maxBufferRows: 100, maxRetries: 2, retryBaseMs: 50, retryMaxMs: 200 });
    const fill = { id: 'fill:1', order_id: 'ord:1', asset_id: 'a', market: 'm', ts: 1767571200123, direction: 'YES', price: 500_000, size: 9_007_199_254, fee: 1, unfilled: 0 };
    sink.write('fills', fill);
    sink.write('fills', fill);
    await sink.close();
    const rows = await (await client.query({ query: 'SELECT count() AS n, any(size) AS size FROM fills FINAL WHERE run = {run:String}', query_params: { run }, format: 'JSONEachRow' })).json<{ n: unknown; size: unknown }>();
    expect(rows).toEqual([{ n: 1, size: 9_007_199_254 }]);
    const report = await queryRunReport(client, run);
    expect(report.fills).toBe(1);
  });
});
