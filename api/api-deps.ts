import type { Registry } from 'prom-client';
import type { Config } from '../runtime/config.js';
import type { Logger } from '../runtime/logger.js';
import type { StateStore } from '../runtime/state-store.js';
import type { AnalyticsSource } from './analytics-source.js';
import type { RunReadModel } from './run-read-model.js';
import type { SettingsService } from './settings-service.js';

/** Everything the HTTP API reads and changes; built by `polyflow api`, a live run, or a test. */
export interface ApiDeps {
  /** The `api` section (host, token, CORS, limits, cache) is read once, at build. */
  readonly config: Config;
  readonly settings: SettingsService;
  readonly model: RunReadModel;
  readonly store?: StateStore | undefined;
  readonly analytics: AnalyticsSource;
  /** Prometheus registries of the run, exposed at /metrics. */
  readonly registries: readonly Registry[];
  /** Wall clock of the API (cache expiry, feed freshness); injected in tests. */
  readonly clock: () => number;
  readonly logger?: Logger | undefined;
  /** Version of the model the running graph scores with (undefined: no model in this process). */
  readonly modelVersion?: string | undefined;
}
