import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterEach, describe, expect, it } from 'vitest';
import { initialTradingAnalyticsState, tradingAnalyticsStep, type AnalyticsReport } from '../../operators/analytics.js';
import type { PortfolioSnapshot } from '../../schemas/portfolio-snapshot.js';
import type { UsdMicros } from '../../schemas/units.js';
import { clickhouseInserter } from '../../sinks/clickhouse/clickhouse-inserter.js';
import { openClickHouse } from '../../sinks/clickhouse/clickhouse-connection.js';
import { ClickHouseSink } from '../../sinks/clickhouse/clickhouse-sink.js';
import { applyMigrations, readMigrations } from '../../sinks/clickhouse/migrations.js';
import { queryRunReport } from '../../sinks/clickhouse/run-report-query.js';
import { topicRow } from '../../sinks/clickhouse/topic-rows.js';

/* The ClickHouse schema on embedded chDB (in-process; no server). Each test has its own folder. */
let client: ClickHouseClient | undefined;
const open = (): ClickHouseClient => (client = openClickHouse({ kind: 'embedded', path: join(mkdtempSync(join(tmpdir(), 'polyflow-ch-schema-')), 'chdb') }));
afterEach(async () => {
  await client?.close();
  client = undefined;
});
const rows = async <T = Record<string, unknown>>(c: ClickHouseClient, query: string): Promise<T[]> => (await c.query({ query, format: 'JSONEachRow' })).json<T>();

describe('ClickHouse migrations (chDB)', () => {
  it('apply cleanly, and a second run applies nothing and changes nothing', async () => {
    const c = open();
    const versions = readMigrations().map((m) => m.version);
    expect(await applyMigrations(c)).toEqual({ applied: versions, skipped: [] });
    const tables = await rows<{ name: string; engine: string }>(c, "SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name");
    expect(await applyMigrations(c)).toEqual({ applied: [], skipped: versions });
    expect(await rows(c, "SELECT name, engine FROM system.tables WHERE database = currentDatabase() ORDER BY name")).toEqual(tables);
    const engines = Object.fromEntries(tables.map((t) => [t.name, t.engine]));
    for (const t of ['predictions', 'signals', 'orders', 'fills', 'portfolio', 'risk_events', 'resolutions', 'dlq', 'features', 'book_top', 'markets']) {
      expect(engines[t], t).toBe('ReplacingMergeTree');
    }
    expect(engines['portfolio_1m']).toBe('AggregatingMergeTree');
    expect(engines['portfolio_1m_mv']).toBe('MaterializedView');
    for (const v of ['calibration_buckets', 'brier_daily', 'signal_hit_rate', 'equity_curve', 'scored_predictions']) expect(engines[v], v).toBe('View');
  });

  it('refuses a recorded migration whose file changed', async () => {
    const c = open();
    const [first] = readMigrations();
    if (first === undefined) throw new Error('no migrations');
    await applyMigrations(c, [first]);
    await expect(applyMigrations(c, [{ ...first, checksum: 'changed' }])).rejects.toThrow(/has changed/);
  });
});

describe('account figures by SQL vs the stream operator (chDB)', () => {
  it('pnl, equity, max drawdown, win rate and Sharpe over several days with a gap day and an out-of-order snapshot', async () => {
    const c = open();
    await applyMigrations(c);
    const bankroll = 10_000_000_000;
    const day = 86_400_000;
    const t0 = Date.UTC(2026, 0, 5, 12);
    let peak = bankroll;
    let n = 0;
    const snap = (ts: number, reason: PortfolioSnapshot['reason'], equity: number, realized: number): PortfolioSnapshot => {
      peak = Math.max(peak, equity);
      return {
        id: `pf:${reason}:${ts}:${n++}`,
        ts,
        reason,
        cash: equity as UsdMicros,
        equity: equity as UsdMicros,
        realizedPnl: realized as UsdMicros,
        unrealizedPnl: (equity - bankroll - realized) as UsdMicros,
        exposure: 0 as UsdMicros,
        peakEquity: peak as UsdMicros,
        drawdown: (peak - equity) / peak,
        openPositions: 0,
      };
    };
    const snapshots = [
      snap(t0, 'fill', 9_990_000_000, 0),
      snap(t0 + 3_600_000, 'mark', 10_050_000_000, 0),
      snap(t0 + day, 'settlement', 10_120_000_000, 120_000_000), // win
      snap(t0 + day + 60_000, 'mark', 9_700_000_000, 120_000_000),
      snap(t0 + 3 * day, 'settlement', 9_650_000_000, 60_000_000), // loss; day 2 has no snapshot
      snap(t0 + 2 * day, 'mark', 9_800_000_000, 60_000_000), // stamped before the day in progress
      snap(t0 + 4 * day, 'settlement', 9_900_000_000, 90_000_000), // win
    ];
    const state = initialTradingAnalyticsState({ bankroll: bankroll as UsdMicros });
    let last: AnalyticsReport | undefined;
    for (const snapshot of snapshots) last = tradingAnalyticsStep(state, { kind: 'portfolio', snapshot }, { bankroll: bankroll as UsdMicros }) ?? last;
    if (last === undefined) throw new Error('no report');
    expect(Number.isFinite(last.sharpe)).toBe(true);

    await c.insert({ table: 'runs', values: [{ run: 'acct', session: 1, started_at: 0, mode: 'embedded', bankroll_usd: bankroll / 1e6, config: '{}' }], format: 'JSONEachRow' });
    const sink = new ClickHouseSink(clickhouseInserter(c), { run: 'acct', session: 1, maxBatchRows: 100, flushIntervalMs: 1_000, maxBufferRows: 1_000, maxRetries: 0, retryBaseMs: 1, retryMaxMs: 1 });
    for (const s of snapshots) sink.write('portfolio', topicRow('portfolio.v1', s));
    await sink.close();
    const report = await queryRunReport(c, 'acct');
    expect(report.pnl).toBeCloseTo(last.pnl / 1e6, 9);
    expect(report.equity).toBeCloseTo(last.equity / 1e6, 9);
    expect(report.max_drawdown).toBeCloseTo(last.maxDrawdown, 9);
    expect(report.settled_positions).toBe(3);
    expect(report.win_rate).toBeCloseTo(2 / 3, 9);
    expect(report.sharpe).toBeCloseTo(last.sharpe, 6);
    expect(report.scored_predictions).toBe(0);
    expect(report.brier_model).toBeNull();
  });
});
