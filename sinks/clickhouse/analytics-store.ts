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

/** A client of one target with the migrations applied: what a run's store opens over. */
export interface ClickHouseConnection {
  readonly target: ClickHouseTarget;
  readonly client: ClickHouseClient;
  /** Migration versions applied by this connect. */
  readonly applied: readonly number[];
}

/** Opens `target` and applies the migrations (the client is closed when they fail). */
export async function connectClickHouse(target: ClickHouseTarget): Promise<ClickHouseConnection> {
  const client = openClickHouse(target);
  try {
    const migrated = await applyMigrations(client);
    return { target, client, applied: migrated.applied };
  } catch (err) {
    await client.close();
    throw err;
  }
}

export const sameTarget = (a: ClickHouseTarget, b: ClickHouseTarget): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * Deletes every row of `run` from the tables that have a `run` column (the `runs` table, the
 * run's history of sessions, excepted). Nothing to do, and no statement run, when the run has
 * never been written. Returns whether rows were deleted.
 */
export async function deleteRunRows(client: ClickHouseClient, run: string): Promise<boolean> {
  const query = async <T>(sql: string): Promise<T[]> => (await client.query({ query: sql, query_params: { run }, format: 'JSONEachRow' })).json<T>();
  const [seen] = await query<{ n: number | string }>('SELECT count() AS n FROM runs WHERE run = {run:String}');
  if (Number(seen?.n ?? 0) === 0) return false;
  const tables = await query<{ table: string }>(
    `SELECT DISTINCT table FROM system.columns WHERE database = currentDatabase() AND name = 'run' AND table != 'runs'
       AND table IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree')`,
  );
  for (const { table } of tables) await client.command({ query: `DELETE FROM ${table} WHERE run = {run:String}`, query_params: { run } });
  return true;
}

/**
 * Opens ClickHouse for a run when `analytics.mode` is `clickhouse` (undefined otherwise): applies
 * the migrations (or takes `connection`, already connected to the config's target), records the
 * run (its redacted config and bankroll, which the report needs), and writes
 * `<outDir>/clickhouse.json`. `replaceRun`: the run starts from its first record, so the rows an
 * earlier run of the same name left are deleted first (a resumed run keeps them: its records
 * after the checkpoint come again and are deduped by id).
 */
export async function openAnalyticsStore(
  config: Config,
  opts: {
    readonly outDir: string;
    readonly logger?: Logger;
    readonly registry?: Registry;
    readonly now?: () => number;
    readonly connection?: ClickHouseConnection;
    readonly replaceRun?: boolean;
  },
): Promise<AnalyticsStore | undefined> {
  const a = config.analytics;
  if (a.mode !== 'clickhouse') return undefined;
  const outDir = resolve(opts.outDir);
  const target = analyticsTarget(config, outDir);
  if (opts.connection !== undefined && !sameTarget(opts.connection.target, target)) throw new Error('openAnalyticsStore: the connection is not of the configured target');
  const run = a.run !== '' ? a.run : basename(outDir);
  const session = (opts.now ?? Date.now)();
  const { client, applied } = opts.connection ?? (await connectClickHouse(target));
  const log = opts.logger?.child({ component: 'clickhouse' });
  try {
    const replaced = opts.replaceRun === true && (await deleteRunRows(client, run));
    log?.info({ target: target.kind, run, applied, replaced }, 'clickhouse ready');
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
