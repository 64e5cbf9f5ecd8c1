// `npm run bench:sinks`: the replay's events/s with sinks off vs on, and rows/s into each sink, in
// one process over one generated stream (BENCH_SINK_EVENTS, default 100k). Modes: sinks off;
// ClickHouse (embedded chDB in a temp dir); Postgres state on PGlite (temp dir); real Postgres
// when POLYFLOW_TEST_POSTGRES_URL or DATABASE_URL is set. Each mode is one timed replay after one
// untimed sinks-off warm-up. Rows/s = rows the sink wrote (the ClickHouse sink's
// rows_written counter; for Postgres the state rows of every checkpoint commit plus its one
// checkpoint row) / the replay's wall time.
// Last line: one JSON object.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { loadScorer } from '../models/load-scorer.js';
import { replayRecords, type ReplayDeps } from '../pipelines/replay.js';
import { loadConfig, type Config } from '../runtime/config.js';
import { createLogger } from '../runtime/logger.js';
import { fromPackageRoot } from '../runtime/package-root.js';
import { replayCheckpoints } from '../runtime/replay-checkpoints.js';
import type { ReplayDurability } from '../runtime/replay-state.js';
import type { StateRows } from '../runtime/state-store.js';
import { FEATURE_SPEC } from '../schemas/feature-spec.js';
import { openAnalyticsStore } from '../sinks/clickhouse/analytics-store.js';
import { JsonlFiles } from '../sinks/jsonl-files.js';
import { openStateStore, stateStoreOptions } from '../sinks/postgres/open-state-store.js';
import type { ReplayRecord } from '../sources/replay/replay-record.js';
import { generateFrames, generateMarkets } from '../sources/simulator/simulate.js';

const EVENTS = Number(process.env['BENCH_SINK_EVENTS'] ?? 100_000);
const MARKETS = Number(process.env['BENCH_SINK_MARKETS'] ?? Math.max(10, Math.round(EVENTS / 1_000)));
// The reference mix of `npm run bench` (~107 events/s of event time), scaled to EVENTS.
const DURATION_MS = (EVENTS / 1_000_000) * 2.6 * 3_600_000;
const POSTGRES_URL = process.env['POLYFLOW_TEST_POSTGRES_URL'] ?? process.env['DATABASE_URL'];

const log = (line: string): void => void process.stderr.write(`${line}\n`);

interface ModeResult {
  readonly mode: string;
  readonly seconds: number;
  readonly eps: number;
  /** Rows written into the mode's sink (undefined for sinks off). */
  readonly rows?: number;
  /** Checkpoint commits (Postgres modes). */
  readonly commits?: number;
}

const stateRowCount = (rows: StateRows): number => Object.values(rows).reduce((n: number, list: unknown) => n + (Array.isArray(list) ? list.length : 0), 0);

/** Counts the state rows of every commit on the way to the store. */
function countingDurability(inner: ReplayDurability, counter: { rows: number; commits: number }): ReplayDurability {
  return {
    everyRecords: inner.everyRecords,
    maxBufferedRows: inner.maxBufferedRows,
    resume: inner.resume,
    commit: (rows, checkpoint) => {
      counter.rows += stateRowCount(rows);
      counter.commits++;
      return inner.commit(rows, checkpoint);
    },
  };
}

async function main(): Promise<void> {
  log(`generating ${EVENTS.toLocaleString('en-US')} events over ${MARKETS} markets...`);
  const frames = [...generateFrames({ events: EVENTS, markets: MARKETS, durationMs: DURATION_MS })];
  const marketRecords = generateMarkets({ events: EVENTS, markets: MARKETS, durationMs: DURATION_MS });
  const records: ReplayRecord[] = [
    ...marketRecords.map((r): ReplayRecord => ({ kind: 'market', recvTs: r.recvTs, market: r.market })),
    ...frames.map((f): ReplayRecord => ({ kind: 'frame', recvTs: f.recvTs, frame: f.frame })),
  ].sort((a, b) => a.recvTs - b.recvTs);

  const base = loadConfig({ env: {} });
  const scorer = await loadScorer(fromPackageRoot(base.scoring.modelPath), FEATURE_SPEC);
  const logger = createLogger('silent');
  const root = mkdtempSync(join(tmpdir(), 'polyflow-bench-sinks-'));

  /** One replay of `records` into `<root>/<name>`; times replayRecords only (the sink's final flush included, opening and migrating not). */
  const replay = async (name: string, config: Config, extra: Pick<ReplayDeps, 'clickhouse' | 'durable'>): Promise<number> => {
    const files = new JsonlFiles(join(root, name));
    const t0 = performance.now();
    try {
      await replayRecords([records], { config, scorer, files, logger, ...extra });
    } finally {
      files.close();
    }
    return (performance.now() - t0) / 1000;
  };
  const result = (mode: string, seconds: number, rows?: number): ModeResult => ({ mode, seconds, eps: frames.length / seconds, ...(rows === undefined ? {} : { rows }) });
  const results: ModeResult[] = [];

  try {
    log('warm-up (sinks off, untimed)...');
    await replay('warmup', base, {});

    log('sinks off...');
    results.push(result('sinks off', await replay('off', base, {})));

    log('ClickHouse (embedded chDB)...');
    {
      const dir = join(root, 'clickhouse');
      const config = loadConfig({ env: {}, overrides: { analytics: { mode: 'clickhouse', run: 'bench' } } });
      const registry = new Registry();
      const store = await openAnalyticsStore(config, { outDir: dir, registry });
      if (store === undefined) throw new Error('analytics store not opened');
      let seconds: number;
      try {
        seconds = await replay('clickhouse', config, { clickhouse: store.sink });
      } finally {
        await store.close();
      }
      const written = (await registry.getSingleMetric('polyflow_clickhouse_rows_written_total')?.get())?.values ?? [];
      results.push(result('clickhouse (chDB)', seconds, written.reduce((n, v) => n + v.value, 0)));
    }

    const durable = async (mode: string, kind: 'pglite' | 'postgres', url?: string): Promise<void> => {
      const dir = join(root, `state-${kind}`);
      const config = loadConfig({ env: {}, overrides: { state: { kind, dir, ...(url === undefined ? {} : { url }) } } });
      const store = await openStateStore(stateStoreOptions(config.state, { dir }));
      const counter = { rows: 0, commits: 0 };
      let seconds: number;
      try {
        const checkpoints = await replayCheckpoints(store, {
          pipeline: `bench:${kind}:${process.pid}:${Date.now()}`,
          inputId: `bench:${EVENTS}:${MARKETS}`,
          everyRecords: config.state.checkpointEveryRecords,
          maxBufferedRows: config.state.maxBufferedRows,
          fresh: true,
        });
        seconds = await replay(`state-${kind}`, config, { durable: countingDurability(checkpoints.durability, counter) });
      } finally {
        await store.close();
      }
      log(`  ${counter.rows} state rows in ${counter.commits} checkpoint commits`);
      results.push({ ...result(mode, seconds, counter.rows + counter.commits), commits: counter.commits });
    };
    log('Postgres state on PGlite...');
    await durable('postgres state (PGlite)', 'pglite');
    if (POSTGRES_URL !== undefined && POSTGRES_URL !== '') {
      log('Postgres state on a server...');
      await durable('postgres state (server)', 'postgres', POSTGRES_URL);
    } else log('real Postgres skipped: set POLYFLOW_TEST_POSTGRES_URL or DATABASE_URL');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }

  const off = results[0]?.eps ?? NaN;
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  const fmt = (x: number): string => Math.round(x).toLocaleString('en-US');
  const out = process.stdout;
  out.write(`\npolyflow bench:sinks: ${frames.length.toLocaleString('en-US')} events, ${MARKETS} markets, one timed replay per mode after a warm-up\n`);
  out.write(`machine: ${cpu}, ${cpus().length} vCPU, node ${process.version}\n\n`);
  out.write(`  ${'mode'.padEnd(26)} ${'wall s'.padStart(8)} ${'events/s'.padStart(10)} ${'vs off'.padStart(7)} ${'rows'.padStart(10)} ${'rows/s'.padStart(10)}\n`);
  for (const r of results) {
    const rows = r.rows === undefined ? '-' : fmt(r.rows);
    const rps = r.rows === undefined ? '-' : fmt(r.rows / r.seconds);
    out.write(`  ${r.mode.padEnd(26)} ${r.seconds.toFixed(2).padStart(8)} ${fmt(r.eps).padStart(10)} ${(r.eps / off).toFixed(3).padStart(7)} ${rows.padStart(10)} ${rps.padStart(10)}\n`);
  }
  const by = (mode: string): ModeResult | undefined => results.find((r) => r.mode === mode);
  const eps = (r: ModeResult | undefined): number | null => (r === undefined ? null : Math.round(r.eps));
  const ratio = (r: ModeResult | undefined): number | null => (r === undefined ? null : Number((r.eps / off).toFixed(3)));
  const rowsPerS = (r: ModeResult | undefined): number | null => (r?.rows === undefined ? null : Math.round(r.rows / r.seconds));
  const ch = by('clickhouse (chDB)');
  const pglite = by('postgres state (PGlite)');
  const pg = by('postgres state (server)');
  const json = {
    events: frames.length,
    markets: MARKETS,
    sinks_off_eps: eps(by('sinks off')),
    clickhouse_eps: eps(ch),
    clickhouse_ratio: ratio(ch),
    clickhouse_rows: ch?.rows ?? null,
    clickhouse_rows_per_s: rowsPerS(ch),
    pglite_eps: eps(pglite),
    pglite_ratio: ratio(pglite),
    pglite_rows: pglite?.rows ?? null,
    pglite_rows_per_s: rowsPerS(pglite),
    pglite_commits: pglite?.commits ?? null,
    postgres_eps: eps(pg),
    postgres_ratio: ratio(pg),
    postgres_rows: pg?.rows ?? null,
    postgres_rows_per_s: rowsPerS(pg),
    postgres_commits: pg?.commits ?? null,
    cpu,
    node: process.version,
  };
  out.write(`\n${JSON.stringify(json)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:sinks failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
