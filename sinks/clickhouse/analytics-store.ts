import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { Registry } from 'prom-client';
import { redactConfig, type Config } from '../../runtime/config.js';
import type { Logger } from '../../runtime/logger.js';
import { clickhouseInserter } from './clickhouse-inserter.js';
import { openClickHouse, redactUrl, type ClickHouseTarget } from './clickhouse-connection.js';
import { ClickHouseSink } from './clickhouse-sink.js';
import { ClickHouseSinkMetrics } from './clickhouse-sink-metrics.js';
import { applyMigrations } from './migrations.js';

/** `<out>/clickhouse.json`: where a run's analytics went, so `polyflow report --out` finds them. */
export interface AnalyticsManifest {
  readonly mode: 'embedded' | 'server';
  /** chDB folder (embedded) or the server's URL without credentials. */
  readonly location: string;
  readonly run: string;
}

export const MANIFEST_FILE = 'clickhouse.json';

/** An open analytics store: the sink the persist pipeline writes to, and the client it writes through. */
export interface AnalyticsStore {
  readonly sink: ClickHouseSink;
  readonly client: ClickHouseClient;
  readonly run: string;
  readonly manifest: AnalyticsManifest;
  readonly registry: Registry;
  /** Flushes the sink, then closes the client (always, even when the flush fails). */
  close(): Promise<void>;
}

/** The target a config names: the server at `analytics.url`, else chDB at `analytics.chdbPath` or `<outDir>/chdb`. */
export function analyticsTarget(config: Config, outDir: string): ClickHouseTarget {
  const a = config.analytics;
  if (a.url !== '') return { kind: 'server', url: a.url, username: a.username, password: a.password };
  return { kind: 'embedded', path: resolve(a.chdbPath !== '' ? a.chdbPath : join(outDir, 'chdb')) };
}

export function readManifest(outDir: string): AnalyticsManifest | undefined {
  const file = join(outDir, MANIFEST_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as AnalyticsManifest) : undefined;
}

/**
 * Opens ClickHouse for a run when `analytics.mode` is `clickhouse` (undefined otherwise): applies
 * the migrations, records the run (its redacted config and bankroll, which the report needs), and
 * writes `<outDir>/clickhouse.json`.
 */
export async function openAnalyticsStore(
  config: Config,
  opts: { readonly outDir: string; readonly logger?: Logger; readonly registry?: Registry; readonly now?: () => number },
): Promise<AnalyticsStore | undefined> {
  const a = config.analytics;
  if (a.mode !== 'clickhouse') return undefined;
  const outDir = resolve(opts.outDir);
  const target = analyticsTarget(config, outDir);
  const run = a.run !== '' ? a.run : basename(outDir);
  const session = (opts.now ?? Date.now)();
  const client = openClickHouse(target);
  const log = opts.logger?.child({ component: 'clickhouse' });
  try {
    const migrated = await applyMigrations(client);
    log?.info({ target: target.kind, run, applied: migrated.applied }, 'clickhouse ready');
    await client.insert({
      table: 'runs',
      values: [{ run, session, started_at: session, mode: target.kind, bankroll_usd: config.risk.bankrollUsd, config: JSON.stringify(redactConfig(config)) }],
      format: 'JSONEachRow',
    });
  } catch (err) {
    await client.close();
    throw err;
  }
  const registry = opts.registry ?? new Registry();
  const sink = new ClickHouseSink(clickhouseInserter(client), {
    run,
    session,
    maxBatchRows: a.maxBatchRows,
    flushIntervalMs: a.flushIntervalMs,
    maxBufferRows: a.maxBufferRows,
    maxRetries: a.maxRetries,
    retryBaseMs: a.retryBaseMs,
    retryMaxMs: a.retryMaxMs,
    metrics: new ClickHouseSinkMetrics(registry),
    onInsertError: (err, info) => log?.warn({ err, ...info }, 'clickhouse insert failed'),
  });
  const manifest: AnalyticsManifest = { mode: target.kind, location: target.kind === 'server' ? redactUrl(target.url) : target.path, run };
  writeFileSync(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return {
    sink,
    client,
    run,
    manifest,
    registry,
    async close() {
      try {
        await sink.close();
      } finally {
        await client.close();
      }
    },
  };
}
