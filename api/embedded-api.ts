import type { FastifyInstance } from 'fastify';
import type { AnalyticsReport } from '../operators/analytics.js';
import { loadConfig, type Config } from '../runtime/config.js';
import type { LiveSettings } from '../runtime/live-settings.js';
import type { Logger } from '../runtime/logger.js';
import type { MemoryBus } from '../runtime/memory-bus.js';
import type { PipelineMetrics } from '../runtime/metrics.js';
import type { StateStore } from '../runtime/state-store.js';
import { openStateStore, stateStoreOptions } from '../sinks/postgres/open-state-store.js';
import { liveAnalytics } from './analytics-source.js';
import { buildApi } from './build-api.js';
import { runFigures } from './run-figures.js';
import { RunReadModel } from './run-read-model.js';
import { SettingsService } from './settings-service.js';

/** The settings store a process uses: `state` as configured, or embedded PGlite in `state.dir` when state is off. */
export function openSettingsStore(config: Config, pgliteDir?: string): Promise<StateStore> {
  const state = config.state.kind === 'off' ? { ...config.state, kind: 'pglite' as const } : config.state;
  return openStateStore(stateStoreOptions(state, pgliteDir === undefined ? {} : { dir: pgliteDir }));
}

export interface EmbeddedApi {
  readonly model: RunReadModel;
  /** Builds the app over the running bus (after the graph is wired) and listens on `api.host`:`api.port`. */
  listen(deps: { readonly bus: MemoryBus; readonly metrics: PipelineMetrics; readonly modelVersion?: string | undefined; readonly report: () => AnalyticsReport | undefined; readonly frames: () => number }): Promise<string>;
  close(): Promise<void>;
}

/**
 * The API inside a live run (`--api`): opens the settings store and applies its settings to
 * `live` first (so the graph is built with them), then serves the running bus.
 */
export async function openEmbeddedApi(opts: { readonly live: LiveSettings; readonly configFile?: string | undefined; readonly logger: Logger }): Promise<EmbeddedApi> {
  const base = opts.live.config;
  const store = await openSettingsStore(base);
  const settings = new SettingsService(store, opts.live, (overrides) => loadConfig({ file: opts.configFile, overrides }));
  await settings.init();
  const model = new RunReadModel(base.api.maxRecordsPerTopic);
  let app: FastifyInstance | undefined;
  return {
    model,
    async listen(deps) {
      model.attach(deps.bus);
      const config = opts.live.config;
      app = await buildApi({
        config,
        settings,
        model,
        store,
        analytics: liveAnalytics(() => ({ ...runFigures(deps.bus, model, deps.report(), deps.frames()) })),
        registries: [deps.metrics.registry],
        clock: Date.now,
        logger: opts.logger,
        modelVersion: deps.modelVersion,
      });
      return app.listen({ host: config.api.host, port: config.api.port });
    },
    async close() {
      await app?.close();
      model.detach();
      await store.close();
    },
  };
}
