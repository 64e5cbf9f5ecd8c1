import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openClickHouse, type ClickHouseTarget } from '../sinks/clickhouse/clickhouse-connection.js';
import { queryRunReport } from '../sinks/clickhouse/run-report-query.js';

/**
 * Where the API gets a run's figures (the keys of summary.json: brier_model, brier_market, pnl,
 * max_drawdown, win_rate...): SQL over ClickHouse/chDB, the summary.json of a finished run, or the
 * running graph's own analytics.
 */
export interface AnalyticsSource {
  readonly kind: 'clickhouse' | 'summary' | 'live' | 'none';
  figures(): Promise<Record<string, unknown> | undefined>;
}

export const noAnalytics: AnalyticsSource = { kind: 'none', figures: async () => undefined };

export function summaryFileAnalytics(dir: string): AnalyticsSource {
  const file = join(dir, 'summary.json');
  return {
    kind: 'summary',
    figures: async () => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined),
  };
}

/** chDB runs one engine per process: the client is opened per query and closed after it. */
export function clickhouseAnalytics(target: ClickHouseTarget, run: string): AnalyticsSource {
  return {
    kind: 'clickhouse',
    figures: async () => {
      const client = openClickHouse(target);
      try {
        return { ...(await queryRunReport(client, run)) };
      } finally {
        await client.close();
      }
    },
  };
}

export function liveAnalytics(current: () => Record<string, unknown> | undefined): AnalyticsSource {
  return { kind: 'live', figures: async () => current() };
}
