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
import { KafkaSourceBus } from '../../runtime/kafka/kafka-source-bus.js';
import { openKafkaBus, warnWithoutRegistry } from '../../runtime/kafka/open-kafka-bus.js';
import { LiveSettings } from '../../runtime/live-settings.js';
import { createLogger } from '../../runtime/logger.js';
import { MemoryBus } from '../../runtime/memory-bus.js';
import { serveMetrics } from '../../runtime/metrics-server.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { collectProcessMetrics } from '../../runtime/process-metrics.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import type { TopicName } from '../../schemas/topics.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { RecordingWriter } from '../../sources/recorder/recording-writer.js';
import { onStopSignal } from './stop-signal.js';

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
  /**
   * Publish to Kafka (config `kafka`) instead of the memory bus: ingest alone (no graph, watchers or
   * API in this process), every record sent to the broker and read back here only by ingest itself.
   */
  readonly kafka?: boolean;
}

/**
 * One live run on the real clock (rxjs asyncScheduler) and the memory bus: live ingest, optionally
 * the embedded graph, JSONL topics and a recording, until the duration ends or a signal comes.
 * Shared by `polyflow live [--api]`, `polyflow run ingest|watch|alerts [--api]` and `polyflow record`;
 * with `kafka`, by `polyflow run ingest` publishing to the broker.
 */
export async function runLiveSession(opts: LiveSessionOptions): Promise<number> {
  if (opts.kafka === true && (opts.graph || opts.watch === true || opts.api === true)) {
    throw new InputError(`${opts.label}: on the Kafka bus a live session runs ingest alone; the other pipelines run as their own processes (\`polyflow run <pipeline>\`)`);
  }
  const logger = createLogger(opts.config.log.level);
  const metrics = new PipelineMetrics();
  collectProcessMetrics(metrics.registry);
  if (opts.kafka === true) warnWithoutRegistry(opts.config.kafka, logger);
  const bus = opts.kafka === true ? new KafkaSourceBus(openKafkaBus({ config: opts.config, registry: metrics.registry, logger, progressWallClock: true })) : new MemoryBus();
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
  // Without the API (which serves /metrics itself), `metrics.port` serves the registry alone.
  const endpoint = api === undefined && config.metrics.port !== 0 ? await serveMetrics(metrics.registry, config.metrics.port, config.metrics.host) : undefined;
  const shutdown = async (): Promise<void> => {
    ingest.stop();
    await api?.close();
    await endpoint?.close();
    running.unsubscribe();
    files?.close();
    await recorder?.close();
    await bus.close();
  };
  try {
    if (bus instanceof KafkaSourceBus) await bus.start();
    if (api !== undefined && bus instanceof MemoryBus) {
      const address = await api.listen({ bus, metrics, modelVersion: scorer?.modelVersion, report: () => report, frames: () => frames });
      process.stdout.write(`${opts.label}: API at ${address} (OpenAPI: ${address}/docs)\n`);
    }
    await ingest.start();
  } catch (err) {
    await shutdown();
    throw err;
  }
  logger.info({ config: redactConfig(config) }, 'config');
  const where = [
    bus instanceof KafkaSourceBus ? `publishing to Kafka at ${config.kafka.brokers.join(',')}${config.kafka.topicPrefix === '' ? '' : ` (topics ${config.kafka.topicPrefix}*)`}` : '',
    opts.outDir === undefined ? '' : `topics -> ${opts.outDir}`,
    opts.recordDir === undefined ? '' : `recording -> ${opts.recordDir}`,
  ].filter((s) => s !== '');
  process.stdout.write(
    `${opts.label}: ${ingest.client.assets().length} assets subscribed${where.length > 0 ? `; ${where.join('; ')}` : ''}; ${
      opts.durationMs === undefined ? 'Ctrl-C to stop' : `stopping after ${opts.durationMs / 1000} s`
    }\n`,
  );
  let finish = (): void => undefined;
  const stopped = new Promise<void>((done) => {
    const offSignals = onStopSignal(() => finish());
    const timer = opts.durationMs === undefined ? undefined : setTimeout(() => finish(), opts.durationMs);
    finish = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      offSignals();
      done();
    };
  });
  try {
    // A producer that failed for good stops the run: going on would only queue records nobody sends.
    await (bus instanceof KafkaSourceBus ? Promise.race([stopped, bus.failure()]) : stopped);
  } catch (err) {
    finish();
    await shutdown().catch(() => undefined);
    throw err;
  }
  await shutdown();
  // After shutdown: on Kafka every record counted here is acknowledged by the broker (close flushed).
  const counts = [...bus.counts()].filter(([, n]) => n > 0).map(([topic, n]) => `${topic} ${n.toLocaleString('en-US')}`);
  process.stdout.write(`${opts.label}: stopped. ${bus instanceof KafkaSourceBus ? 'published to Kafka: ' : ''}${counts.length > 0 ? counts.join(', ') : 'no records'}\n`);
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
  if (config.bus.kind === 'kafka') {
    throw new InputError('live: runs every pipeline in one process on the memory bus; with bus.kind kafka each runs as its own process (`polyflow run ingest`, `run features`, ... `run alerts`)');
  }
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
