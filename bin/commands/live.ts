import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { asyncScheduler, Subscription } from 'rxjs';
import { loadDriftReference } from '../../models/drift-reference.js';
import { loadScorer } from '../../models/load-scorer.js';
import { openEmbeddedApi } from '../../api/embedded-api.js';
import type { AnalyticsReport } from '../../operators/analytics.js';
import { embeddedGraph } from '../../pipelines/embedded-graph.js';
import { liveIngest } from '../../pipelines/live.js';
import { watchPipeline } from '../../pipelines/watch.js';
import { persistPipeline } from '../../pipelines/persist.js';
import { loadConfig, redactConfig, type Config } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import { InFlight } from '../../runtime/in-flight.js';
import { LiveSettings } from '../../runtime/live-settings.js';
import { createLogger } from '../../runtime/logger.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import type { TopicName } from '../../schemas/topics.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { RecordingWriter } from '../../sources/recorder/recording-writer.js';

export interface LiveSessionOptions {
  readonly config: Config;
  /** Topics written as `<outDir>/<topic>.jsonl`; none when undefined. */
  readonly outDir?: string;
  readonly topics: readonly string[];
  /** Also write the raw stream as a recording. */
  readonly recordDir?: string;
  /** Run the whole embedded graph (features, predict, trade, analytics) behind ingest. */
  readonly graph: boolean;
  /** Stop after this long; otherwise on SIGINT/SIGTERM. */
  readonly durationMs?: number;
  readonly label: string;
  /** Run the watch pipeline (arbitrage, whales) when the graph is off (the graph includes it). */
  readonly watch?: boolean;
  /** Serve the HTTP API inside the run (settings applied live). */
  readonly api?: boolean;
  /** The config file the config came from: settings changed over the API are validated over it. */
  readonly configFile?: string | undefined;
}

/**
 * One live run on the real clock (rxjs asyncScheduler) and the memory bus: live ingest, optionally
 * the embedded graph, JSONL topics and a recording, until the duration ends or a signal comes.
 * Shared by `polyflow live [--api]`, `polyflow run ingest|watch [--api]` and `polyflow record`.
 */
export async function runLiveSession(opts: LiveSessionOptions): Promise<number> {
  const logger = createLogger(opts.config.log.level);
  const bus = new MemoryBus();
  const metrics = new PipelineMetrics();
  const scheduler = asyncScheduler;
  const running = new Subscription();
  const live = new LiveSettings(opts.config);
  // With the API, stored settings are applied before anything is built from the config.
  const api = opts.api === true ? await openEmbeddedApi({ live, configFile: opts.configFile, logger }) : undefined;
  const config = live.config;
  let report: AnalyticsReport | undefined;
  let frames = 0;
  const modelPath = fromPackageRoot(config.scoring.modelPath);
  const scorer = opts.graph ? await loadScorer(modelPath, FEATURE_SPEC) : undefined;
  const driftReference = opts.graph ? await loadDriftReference(modelPath) : undefined;
  const files = opts.outDir === undefined ? undefined : new JsonlFiles(opts.outDir);
  const recorder =
    opts.recordDir === undefined ? undefined : new RecordingWriter(opts.recordDir, { maxFileBytes: config.live.recordMaxFileBytes, maxFileMs: config.live.recordMaxFileMs });
  if (files !== undefined) running.add(persistPipeline(bus, opts.topics, files));
  if (scorer !== undefined) {
    running.add(embeddedGraph(bus, { config, scheduler, scorer, inFlight: new InFlight(), metrics, live, driftReference, onReport: (r) => (report = r), onWallet: (w) => api?.model.setWallet(w) }));
  } else if (opts.watch === true) running.add(watchPipeline(bus, config, metrics, { live, onWallet: (w) => api?.model.setWallet(w) }));
  const ingest = liveIngest({ config, bus, metrics, logger, scheduler, onRecord: (r) => void (r.kind === 'frame' && frames++), ...(recorder === undefined ? {} : { recorder }) });
  const shutdown = async (): Promise<void> => {
    ingest.stop();
    await api?.close();
    running.unsubscribe();
    files?.close();
    await recorder?.close();
    await bus.close();
  };
  try {
    if (api !== undefined) {
      const address = await api.listen({ bus, metrics, modelVersion: scorer?.modelVersion, report: () => report, frames: () => frames });
      process.stdout.write(`${opts.label}: API at ${address} (OpenAPI: ${address}/docs)\n`);
    }
    await ingest.start();
  } catch (err) {
    await shutdown();
    throw err;
  }
  logger.info({ config: redactConfig(config) }, 'config');
  const where = [opts.outDir === undefined ? '' : `topics -> ${opts.outDir}`, opts.recordDir === undefined ? '' : `recording -> ${opts.recordDir}`].filter((s) => s !== '');
  process.stdout.write(
    `${opts.label}: ${ingest.client.assets().length} assets subscribed${where.length > 0 ? `; ${where.join('; ')}` : ''}; ${
      opts.durationMs === undefined ? 'Ctrl-C to stop' : `stopping after ${opts.durationMs / 1000} s`
    }\n`,
  );
  await new Promise<void>((done) => {
    const finish = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      process.off('SIGINT', finish);
      process.off('SIGTERM', finish);
      done();
    };
    const timer = opts.durationMs === undefined ? undefined : setTimeout(finish, opts.durationMs);
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
  });
  const counts = [...bus.counts()].filter(([, n]) => n > 0).map(([topic, n]) => `${topic} ${n.toLocaleString('en-US')}`);
  await shutdown();
  process.stdout.write(`${opts.label}: stopped. ${counts.length > 0 ? counts.join(', ') : 'no records'}\n`);
  if (recorder !== undefined) {
    const c = recorder.counts;
    process.stdout.write(`recording: ${c.frames.toLocaleString('en-US')} frames in ${c.files} file(s), ${c.markets} market records -> ${recorder.dir}\n`);
    if (recorder.writeErrors.length > 0) process.stderr.write(`polyflow: ${recorder.writeErrors.length} recording write error(s); first: ${String(recorder.writeErrors[0])}\n`);
  }
  return 0;
}

/** `--duration <s>` -> ms. */
export function durationOption(text: string | undefined, command: string): number | undefined {
  if (text === undefined) return undefined;
  const s = Number(text);
  if (!(Number.isFinite(s) && s > 0)) throw new InputError(`${command}: --duration must be a positive number of seconds, got ${JSON.stringify(text)}`);
  return Math.round(s * 1000);
}

/** `polyflow live [--out <dir>]`: the whole embedded graph on live data, real clock. */
export async function liveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, config: { type: 'string' }, duration: { type: 'string' }, record: { type: 'string' }, api: { type: 'boolean' } },
  });
  const config = loadConfig({ file: values.config });
  const extra: TopicName[] = ['pm.wallet.trade', 'news.item'];
  const topics = [...new Set([...config.output.topics, ...extra])];
  const durationMs = durationOption(values.duration, 'live');
  return runLiveSession({
    config,
    label: 'live',
    graph: true,
    api: values.api === true,
    configFile: values.config,
    topics,
    outDir: resolve(values.out ?? 'out/live'),
    ...(values.record === undefined ? {} : { recordDir: resolve(values.record) }),
    ...(durationMs === undefined ? {} : { durationMs }),
  });
}
