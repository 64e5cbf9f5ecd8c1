import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { clickhouseAnalytics, summaryFileAnalytics, type AnalyticsSource } from '../../api/analytics-source.js';
import { buildApi } from '../../api/build-api.js';
import { openSettingsStore } from '../../api/embedded-api.js';
import { RunReadModel } from '../../api/run-read-model.js';
import { SettingsService } from '../../api/settings-service.js';
import { loadConfig, redactConfig, type Config } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import { LiveSettings } from '../../runtime/live-settings.js';
import { createLogger } from '../../runtime/logger.js';
import type { StateStore } from '../../runtime/state-store.js';
import type { MarketMeta } from '../../schemas/market-meta.js';
import { analyticsTarget, readManifest } from '../../sinks/clickhouse/analytics-store.js';
import { onStopSignal } from './stop-signal.js';

/**
 * `polyflow api --out <dir>`: the HTTP API over a finished run: its JSONL topics, its summary.json
 * or ClickHouse/chDB figures, and the settings store (the replay's `<out>/pglite` when there is
 * one, else `state`). Settings changed here apply to the next run. A live run serves the same API
 * with `polyflow live --api` or `polyflow run watch --api`, where settings apply at once.
 */
export async function apiCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string' },
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      state: { type: 'string' },
      'state-url': { type: 'string' },
    },
  });
  if (values.out === undefined) throw new InputError('api: give the run folder to serve, e.g. `polyflow api --out out/sample`');
  const outDir = resolve(values.out);
  if (!existsSync(outDir)) throw new InputError(`api: no run folder at ${outDir} (run \`polyflow replay data/sample --out ${values.out}\` first)`);
  const flags: Record<string, unknown> = {};
  const api: Record<string, unknown> = {};
  if (values.host !== undefined) api['host'] = values.host;
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!(Number.isInteger(port) && port >= 0 && port <= 65_535)) throw new InputError(`api: --port must be 0-65535, got ${JSON.stringify(values.port)}`);
    api['port'] = port;
  }
  if (Object.keys(api).length > 0) flags['api'] = api;
  const state: Record<string, unknown> = {};
  if (values.state !== undefined) state['kind'] = values.state;
  if (values['state-url'] !== undefined) state['url'] = values['state-url'];
  if (Object.keys(state).length > 0) flags['state'] = state;
  const load = (overrides: Record<string, unknown>): Config => loadConfig({ file: values.config, overrides: { ...overrides, ...flags } });
  const base = load({});
  const logger = createLogger(base.log.level);
  const replayStore = join(outDir, 'pglite');
  const store = await openSettingsStore(base, base.state.kind === 'off' && existsSync(replayStore) ? replayStore : undefined);
  try {
    const live = new LiveSettings(base);
    const settings = new SettingsService(store, live, load, false);
    await settings.init();
    const config = live.config;
    const model = new RunReadModel(config.api.maxRecordsPerTopic);
    model.loadRunDir(outDir);
    if (model.markets.size === 0) for (const m of await storedMarkets(store)) model.markets.set(m.market, m);
    const app = await buildApi({ config, settings, model, store, analytics: runAnalytics(config, outDir), registries: [], clock: Date.now, logger });
    const address = await app.listen({ host: config.api.host, port: config.api.port });
    logger.info({ config: redactConfig(config) }, 'config');
    process.stdout.write(`api: serving ${outDir} at ${address} (OpenAPI: ${address}/docs); mutations ${config.api.token === '' ? 'disabled (no POLYFLOW_API_TOKEN)' : 'need the bearer token'}; Ctrl-C to stop\n`);
    await new Promise<void>((done) => {
      const off = onStopSignal(() => {
        off();
        done();
      });
    });
    await app.close();
  } finally {
    await store.close();
  }
  return 0;
}

/** ClickHouse/chDB when the run wrote there (`<out>/clickhouse.json`), else its summary.json. */
function runAnalytics(config: Config, outDir: string): AnalyticsSource {
  const manifest = readManifest(outDir);
  if (manifest === undefined) return summaryFileAnalytics(outDir);
  const target = manifest.mode === 'embedded' ? { kind: 'embedded' as const, path: manifest.location } : analyticsTarget(config, outDir);
  return clickhouseAnalytics(target, manifest.run !== '' ? manifest.run : basename(outDir));
}

interface MarketRow {
  market: string;
  event_id: string;
  question: string;
  slug: string;
  category: string;
  outcomes: string[];
  asset_ids: string[];
  tick_size: string | number;
  neg_risk: boolean;
  start_ts: string | number;
  end_ts: string | number;
  ts: string | number;
}

/** The state store's markets table as MarketMeta (for runs whose JSONL has no pm.market.meta). */
async function storedMarkets(store: StateStore): Promise<MarketMeta[]> {
  const rows = await store.query<MarketRow>('SELECT * FROM markets ORDER BY market');
  return rows.map((r) => ({
    market: r.market,
    eventId: r.event_id,
    question: r.question,
    slug: r.slug,
    category: r.category,
    outcomes: r.outcomes,
    assetIds: r.asset_ids,
    tickSize: Number(r.tick_size),
    negRisk: r.neg_risk,
    startTs: Number(r.start_ts),
    endTs: Number(r.end_ts),
    ts: Number(r.ts),
  })) as unknown as MarketMeta[];
}
