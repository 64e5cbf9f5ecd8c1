import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadDriftReference } from '../models/drift-reference.js';
import type { DriftReference } from '../operators/drift-monitor.js';
import { loadScorer } from '../models/load-scorer.js';
import { loadConfig, redactConfig, REPLAY_DEFAULTS, type Config } from '../runtime/config.js';
import { createLogger, type Logger } from '../runtime/logger.js';
import { fromPackageRoot } from '../runtime/package-root.js';
import type { ReplayCheckpoints } from '../runtime/replay-checkpoints.js';
import { settingsOverrides } from '../runtime/settings.js';
import type { StateStore } from '../runtime/state-store.js';
import { FEATURE_SPEC } from '../schemas/feature-spec.js';
import { analyticsTarget, connectClickHouse, MANIFEST_FILE, openAnalyticsStore, sameTarget, type AnalyticsStore, type ClickHouseConnection } from '../sinks/clickhouse/analytics-store.js';
import type { ReplayFiles } from '../sources/replay/replay-directory.js';
import { openReplayCheckpoints, openFolderStore } from './replay-state.js';

type Scorer = Awaited<ReturnType<typeof loadScorer>>;

/** Everything a replay opens before its first record. */
export interface OpenReplay {
  /** Schema defaults < REPLAY_DEFAULTS < file < env < stored settings < flags. */
  readonly config: Config;
  readonly logger: Logger;
  readonly store: StateStore | undefined;
  readonly checkpoints: ReplayCheckpoints | undefined;
  readonly scorer: Scorer;
  readonly driftReference: DriftReference | undefined;
  readonly analytics: AnalyticsStore | undefined;
  /** Closes the state store, then the analytics store (flushing it). */
  close(): Promise<void>;
}

interface Model {
  readonly path: string;
  readonly scorer: Scorer;
  readonly driftReference: DriftReference | undefined;
}

const loadModel = async (modelPath: string): Promise<Model> => {
  const path = fromPackageRoot(modelPath);
  const [scorer, driftReference] = await Promise.all([loadScorer(path, FEATURE_SPEC), loadDriftReference(path)]);
  return { path, scorer, driftReference };
};

/**
 * Opens a replay's state store, model and analytics store at once: PGlite's start (WASM, on this
 * thread) dominates, while ONNX sessions and chDB's migrations run on native threads meanwhile.
 * The model and ClickHouse are opened from the config before stored settings apply (settings live
 * in the state store); in the rare case a setting changes the model or the analytics target, that
 * one is opened again. A run that does not resume from a checkpoint replaces the folder's previous
 * run: its summary.json and clickhouse.json go, and its rows in the stores are deleted.
 */
export async function openReplay(opts: {
  readonly configFile: string | undefined;
  /** Flags as config overrides (they win over stored settings). */
  readonly flags: Record<string, unknown>;
  readonly outDir: string;
  readonly files: ReplayFiles;
  readonly fresh: boolean;
}): Promise<OpenReplay> {
  const { outDir } = opts;
  mkdirSync(outDir, { recursive: true });
  const base = loadConfig({ file: opts.configFile, defaults: REPLAY_DEFAULTS, overrides: opts.flags });
  const opening = [
    openFolderStore(base, outDir),
    loadModel(base.scoring.modelPath),
    base.analytics.mode === 'clickhouse' ? connectClickHouse(analyticsTarget(base, outDir)) : Promise.resolve(undefined),
  ] as const;
  const [storeOpened, modelLoaded, connected] = await Promise.allSettled(opening);
  const store = storeOpened.status === 'fulfilled' ? storeOpened.value : undefined;
  let model = modelLoaded.status === 'fulfilled' ? modelLoaded.value : undefined;
  let connection: ClickHouseConnection | undefined = connected.status === 'fulfilled' ? connected.value : undefined;
  let analytics: AnalyticsStore | undefined;
  const close = async (): Promise<void> => {
    try {
      await store?.close();
    } finally {
      await (analytics === undefined ? connection?.client.close() : analytics.close());
    }
  };
  try {
    for (const r of [storeOpened, modelLoaded, connected]) if (r.status === 'rejected') throw r.reason;
    const config = store === undefined ? base : loadConfig({ file: opts.configFile, defaults: REPLAY_DEFAULTS, overrides: { ...settingsOverrides(await store.listSettings()), ...opts.flags } });
    const logger = createLogger(config.log.level);
    logger.info({ config: redactConfig(config) }, 'config');
    const checkpoints = store === undefined ? undefined : await openReplayCheckpoints(store, { config, outDir, files: opts.files, fresh: opts.fresh, logger });
    const resumedFrom = checkpoints?.resumedFrom;
    if (resumedFrom !== undefined) logger.info({ seq: resumedFrom.seq, inputOffset: resumedFrom.inputOffset, state: config.state.kind }, 'resuming from checkpoint');
    else {
      if (checkpoints?.start === 'rerun') logger.info({ outDir, previousRecords: checkpoints.previous?.inputOffset }, 'the last run in this folder finished: replaying from the first record, its outputs replaced');
      if (checkpoints?.start === 'fresh') logger.info({ outDir }, 'starting fresh (--fresh): outputs replaced');
      for (const stale of ['summary.json', MANIFEST_FILE]) rmSync(join(outDir, stale), { force: true });
    }
    if (model === undefined || fromPackageRoot(config.scoring.modelPath) !== model.path) {
      await model?.scorer.release();
      model = undefined;
      model = await loadModel(config.scoring.modelPath);
    }
    if (connection !== undefined && (config.analytics.mode !== 'clickhouse' || !sameTarget(connection.target, analyticsTarget(config, outDir)))) {
      // chDB runs one engine per process: close before another target opens.
      await connection.client.close();
      connection = undefined;
    }
    analytics = await openAnalyticsStore(config, { outDir, logger, replaceRun: resumedFrom === undefined, ...(connection === undefined ? {} : { connection }) });
    connection = undefined;
    return { config, logger, store, checkpoints, scorer: model.scorer, driftReference: model.driftReference, analytics, close };
  } catch (err) {
    await model?.scorer.release().catch(() => undefined);
    await close().catch(() => undefined);
    throw err;
  }
}
