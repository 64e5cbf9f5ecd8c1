import { Subject } from 'rxjs';
import type { FastifyInstance } from 'fastify';
import { liveAnalytics, type AnalyticsSource } from '../../api/analytics-source.js';
import { buildApi } from '../../api/build-api.js';
import { runFigures } from '../../api/run-figures.js';
import { LISTED_TOPICS, RunReadModel } from '../../api/run-read-model.js';
import { SettingsService } from '../../api/settings-service.js';
import type { AnalyticsReport } from '../../operators/analytics.js';
import { embeddedGraph } from '../../pipelines/embedded-graph.js';
import { ingestPipeline } from '../../pipelines/ingest.js';
import { persistPipeline } from '../../pipelines/persist.js';
import { loadConfig, type Config } from '../../runtime/config.js';
import { InFlight } from '../../runtime/in-flight.js';
import { LiveSettings } from '../../runtime/live-settings.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import { advanceAndScore, endOfInput, ReplayScheduler } from '../../runtime/replay-scheduler.js';
import type { StateStore } from '../../runtime/state-store.js';
import type { TopicName } from '../../schemas/topics.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { openStateStore } from '../../sinks/postgres/open-state-store.js';
import type { ReplayRecord } from '../../sources/replay/replay-record.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { tradingScorer } from './trading-model.js';

/** Topics the embedded system writes as JSONL, to compare the API's answers with. */
export const SYSTEM_TOPICS: readonly TopicName[] = ['pm.market.meta', ...LISTED_TOPICS];

const mergeSections = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const base = out[k];
    out[k] = base !== null && typeof base === 'object' && !Array.isArray(base) && v !== null && typeof v === 'object' && !Array.isArray(v) ? { ...base, ...v } : v;
  }
  return out;
};

/** The config of the test process: defaults + `overrides` + stored settings (no file, no env). */
export const configLoader =
  (overrides: Record<string, unknown>) =>
  (settings: Record<string, unknown>): Config =>
    loadConfig({ env: {}, overrides: mergeSections(overrides, settings) });

export interface EmbeddedSystem {
  readonly app: FastifyInstance;
  readonly bus: MemoryBus;
  readonly scheduler: ReplayScheduler;
  readonly store: StateStore;
  readonly model: RunReadModel;
  readonly live: LiveSettings;
  readonly settings: SettingsService;
  readonly files: JsonlFiles;
  readonly summary: () => Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * A running embedded system as `polyflow live --api` has it, on a replay: ingest, the whole graph
 * (features, predict, trade, watch, analytics) and the API's read model on one memory bus, settings
 * in PGlite at `stateDir`, the topics as JSONL in `outDir`. After `replay` the graph stays
 * subscribed, so records published afterwards go through the running operators.
 */
export async function startEmbeddedSystem(opts: {
  readonly stateDir: string;
  readonly outDir: string;
  readonly overrides?: Record<string, unknown>;
  readonly recording?: string;
}): Promise<EmbeddedSystem> {
  const load = configLoader(opts.overrides ?? {});
  const store = await openStateStore({ kind: 'pglite', dir: opts.stateDir });
  const live = new LiveSettings(load({}));
  const settings = new SettingsService(store, live, load);
  await settings.init();
  const config = live.config;
  const bus = new MemoryBus();
  const scheduler = new ReplayScheduler(0);
  const metrics = new PipelineMetrics();
  const inFlight = new InFlight();
  const scorer = await tradingScorer();
  const model = new RunReadModel(config.api.maxRecordsPerTopic);
  model.attach(bus);
  const files = new JsonlFiles(opts.outDir);
  let report: AnalyticsReport | undefined;
  let frames = 0;
  const input = new Subject<ReplayRecord>();
  const running = ingestPipeline(input, bus, metrics);
  running.add(embeddedGraph(bus, { config, scheduler, scorer, inFlight, metrics, live, onReport: (r) => (report = r), onWallet: (w) => model.setWallet(w) }));
  running.add(persistPipeline(bus, SYSTEM_TOPICS, files));

  let lastTs = 0;
  for await (const batch of readReplay(opts.recording ?? 'data/sample')) {
    for (const record of batch) {
      await advanceAndScore(scheduler, inFlight, record.recvTs);
      lastTs = Math.max(lastTs, record.recvTs);
      input.next(record);
      if (record.kind === 'frame') frames++;
      if (inFlight.busy) await inFlight.whenIdle();
    }
  }
  await advanceAndScore(scheduler, inFlight, endOfInput(lastTs, config.scoring.maxWaitMs));
  files.checkpoint();

  const summary = (): Record<string, unknown> => ({ ...runFigures(bus, model, report, frames) });
  const analytics: AnalyticsSource = liveAnalytics(summary);
  const app = await buildApi({ config, settings, model, store, analytics, registries: [metrics.registry], clock: () => scheduler.now(), modelVersion: scorer.modelVersion });
  return {
    app,
    bus,
    scheduler,
    store,
    model,
    live,
    settings,
    files,
    summary,
    async close() {
      await app.close();
      running.unsubscribe();
      model.detach();
      files.close();
      await bus.close();
      await store.close();
    },
  };
}
