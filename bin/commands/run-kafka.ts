import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { asyncScheduler, type Subscription } from 'rxjs';
import { loadDriftReference } from '../../models/drift-reference.js';
import { loadScorer } from '../../models/load-scorer.js';
import type { DriftReference } from '../../operators/drift-monitor.js';
import type { Scorer } from '../../models/scorer.js';
import { alertsPipeline } from '../../pipelines/alerts.js';
import { driftPipeline } from '../../pipelines/drift.js';
import { groupBusShape, settleBeforeCommit, STATEFUL_PIPELINES, tradeGroupClock, type KafkaPipeline } from '../../pipelines/consumer-groups.js';
import { featuresPipeline } from '../../pipelines/features.js';
import { persistPipeline } from '../../pipelines/persist.js';
import { persistClickHouse } from '../../pipelines/persist-clickhouse.js';
import { persistStatePipeline } from '../../pipelines/persist-state.js';
import { predictPipeline } from '../../pipelines/predict.js';
import { tradePipeline } from '../../pipelines/trade.js';
import { watchPipeline } from '../../pipelines/watch.js';
import { closeAfter, closeEach } from '../../runtime/close-after.js';
import type { Config } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import { InFlight } from '../../runtime/in-flight.js';
import type { KafkaBus } from '../../runtime/kafka/kafka-bus.js';
import { kafkaCheckpoints } from '../../runtime/kafka/kafka-checkpoints.js';
import { openKafkaBus, warnWithoutRegistry } from '../../runtime/kafka/open-kafka-bus.js';
import { createLogger, type Logger } from '../../runtime/logger.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import { serveMetrics } from '../../runtime/metrics-server.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { collectProcessMetrics } from '../../runtime/process-metrics.js';
import { StateRegistry } from '../../runtime/state-registry.js';
import { StateRowBuffer } from '../../runtime/state-row-buffer.js';
import type { StateStore } from '../../runtime/state-store.js';
import { openAnalyticsStore } from '../../sinks/clickhouse/analytics-store.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { openFolderStore } from '../replay-state.js';
import { onStopSignal } from './stop-signal.js';

export interface KafkaRunOptions {
  readonly pipeline: KafkaPipeline;
  readonly config: Config;
  readonly outDir: string;
  readonly durationMs?: number | undefined;
  readonly fromBeginning: boolean;
  /** Prometheus text written here at exit (the run's registry: pipeline and Kafka metrics). */
  readonly metricsFile?: string | undefined;
}

/**
 * One pipeline as a process: consumer group `<kafka.groupIdPrefix>.<pipeline>` on the topics it
 * reads, publishing what it writes, until SIGINT/SIGTERM or `durationMs`. Start as many processes of
 * one pipeline as there are partitions to share: the group splits the partitions between them.
 * Prints `ready` on stdout once the group is joined.
 */
export async function runKafkaPipeline(opts: KafkaRunOptions): Promise<number> {
  const { config, pipeline } = opts;
  const logger = createLogger(config.log.level).child({ component: `run.${pipeline}` });
  warnWithoutRegistry(config.kafka, logger);
  const metrics = new PipelineMetrics();
  collectProcessMetrics(metrics.registry);
  const inFlight = new InFlight();
  const persist = pipeline === 'persist' ? await openPersistTargets(config, resolve(opts.outDir), logger, metrics) : undefined;
  const scorer = pipeline === 'predict' ? await loadScorer(fromPackageRoot(config.scoring.modelPath), FEATURE_SPEC) : undefined;
  const driftReference = pipeline === 'drift' ? await loadDriftReference(fromPackageRoot(config.scoring.modelPath)) : undefined;
  if (pipeline === 'drift' && driftReference === undefined) {
    throw new InputError(`run drift: the model ${config.scoring.modelPath} ships no drift reference (an ensemble manifest names one; a single ONNX model has none): there is nothing to monitor`);
  }
  const stateful = STATEFUL_PIPELINES.has(pipeline);
  // When state is kept (PGlite under --out, one per process, or the Postgres server): checkpoints of
  // the operators' states, and the alerts delivered (a restart does not send them again).
  const store = stateful || pipeline === 'alerts' ? await openFolderStore(config, opts.outDir) : undefined;
  let registry = new StateRegistry();
  let fatal: ((err: unknown) => void) | undefined;
  let graph: Subscription | undefined;
  // On every partition assignment the operators start over (from the assignment's checkpoint, or
  // fresh) and the bus replays their partitions into them.
  const rewire = async (restored?: ReadonlyMap<string, unknown>): Promise<void> => {
    graph?.unsubscribe();
    registry = new StateRegistry(restored);
    graph = await wire(pipeline, bus, config, { metrics, inFlight, persist, scorer, driftReference, registry, store });
    const unclaimed = registry.unclaimed();
    if (unclaimed.length > 0) logger.warn({ unclaimed }, 'checkpoint states no operator claimed: the pipeline changed since it was saved');
  };
  const bus = openKafkaBus({
    config,
    group: pipeline,
    registry: metrics.registry,
    logger,
    fromBeginning: opts.fromBeginning,
    settle: settleBeforeCommit(inFlight, persist),
    rebuild: stateful
      ? {
          reset: rewire,
          snapshot: () => registry.snapshot(),
          checkpoints: store === undefined ? undefined : kafkaCheckpoints(store, `${config.kafka.groupIdPrefix}.${pipeline}`),
          checkpointIntervalMs: config.kafka.checkpointIntervalMs,
        }
      : undefined,
    onFatal: (err) => fatal?.(err),
    ...groupBusShape(pipeline, config),
  });
  await rewire();
  const endpoint = config.metrics.port === 0 ? undefined : await serveMetrics(metrics.registry, config.metrics.port, config.metrics.host);
  if (endpoint !== undefined) logger.info({ port: endpoint.port }, 'metrics at GET /metrics');
  // Ends the run: a signal or `durationMs` (0), or the consumer failing for good (1), joined or not.
  let offSignals = (): void => undefined;
  const stopped = new Promise<number>((done) => {
    offSignals = onStopSignal(() => done(0));
    if (opts.durationMs !== undefined) setTimeout(() => done(0), opts.durationMs).unref();
    fatal = (err) => {
      logger.error({ err }, 'the consumer stopped for good: exiting so a supervisor restarts this process');
      done(1);
    };
  });
  let exitCode = 1;
  let failure: unknown;
  // A process that cannot join its group exits (after closing what it opened), so a supervisor starts it again.
  try {
    if (await Promise.race([bus.start({ joinTimeoutMs: config.kafka.joinTimeoutMs }).then(() => true), stopped.then(() => false)])) {
      logger.info({ brokers: config.kafka.brokers, group: `${config.kafka.groupIdPrefix}.${pipeline}` }, 'joined');
      process.stdout.write(`ready ${pipeline}\n`);
      exitCode = await stopped;
      await bus.stop();
    } else exitCode = await stopped;
  } catch (err) {
    failure = err;
  } finally {
    // A second signal while closing gets the default handling (the process ends).
    offSignals();
  }
  graph?.unsubscribe();
  await inFlight.whenIdle();
  // Everything is closed and the metrics written, whatever failed; the run's own failure is the one reported.
  const close = (): Promise<void> =>
    closeEach(
      [() => bus.close(), () => store?.close(), () => persist?.close(), () => endpoint?.close(), async () => opts.metricsFile !== undefined && writeFileSync(opts.metricsFile, await metrics.registry.metrics())],
      logger,
      `run ${pipeline}`,
    );
  return closeAfter(
    async () => {
      if (failure !== undefined) throw failure;
      return exitCode;
    },
    close,
    logger,
    `run ${pipeline}`,
  );
}

/** Where `run persist` writes: JSONL files in `--out` always, ClickHouse with `analytics.mode` clickhouse, Postgres rows with `state.kind` on. */
interface PersistTargets {
  wire(bus: KafkaBus): Subscription;
  /** Writes what is buffered: the bus awaits it before committing offsets (at-least-once; the stores dedupe by id). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

async function openPersistTargets(config: Config, outDir: string, logger: Logger, metrics: PipelineMetrics): Promise<PersistTargets> {
  const files = new JsonlFiles(outDir);
  const analytics = await openAnalyticsStore(config, { outDir, logger, registry: metrics.registry });
  const store = await openFolderStore(config, outDir);
  const rows = store === undefined ? undefined : new StateRowBuffer();
  logger.info({ clickhouse: analytics?.run, state: config.state.kind }, 'persist targets');
  return {
    wire(bus) {
      const sub = persistPipeline(bus, config.output.topics, files);
      if (analytics !== undefined) sub.add(persistClickHouse(bus, analytics.sink, config.analytics));
      if (rows !== undefined) sub.add(persistStatePipeline(bus, rows));
      return sub;
    },
    async flush() {
      await analytics?.sink.flush();
      if (store !== undefined && rows !== undefined && rows.size > 0) await store.commit(rows.take());
    },
    async close() {
      files.close();
      await analytics?.close();
      await store?.close();
    },
  };
}

/** What a pipeline's process opened before its operators are wired (each only for the pipeline that uses it). */
interface ProcessDeps {
  readonly metrics: PipelineMetrics;
  readonly inFlight: InFlight;
  readonly persist: PersistTargets | undefined;
  readonly scorer: Scorer | undefined;
  readonly driftReference: DriftReference | undefined;
  readonly registry: StateRegistry;
  readonly store: StateStore | undefined;
}

async function wire(pipeline: KafkaPipeline, bus: KafkaBus, config: Config, deps: ProcessDeps): Promise<Subscription> {
  const { metrics, inFlight, persist, scorer, driftReference, registry, store } = deps;
  switch (pipeline) {
    case 'features':
      return featuresPipeline(bus, config, metrics, registry);
    case 'predict':
      return predictPipeline(bus, config, { scorer: scorer as Scorer, scheduler: asyncScheduler, inFlight, metrics, registry });
    case 'trade':
      return tradePipeline(bus, config, { metrics, registry, clock: tradeGroupClock(config) });
    case 'drift':
      // Its model_drift trips and resets go to risk.event, which trade's risk gate reads.
      return driftPipeline(bus, driftReference as DriftReference, registry);
    case 'persist':
      return (persist as PersistTargets).wire(bus);
    case 'watch':
      return watchPipeline(bus, config, metrics, { registry });
    case 'alerts':
      // Deliveries are in-flight work: the bus commits a batch's offsets only once every alert it
      // gave is delivered or in dlq.alerts (settle), so a crash re-sends, never loses. Retries and
      // backoff run on the real clock. The delivery (and its dedupe memory) lives in the returned
      // subscription and is closed with it; with state on, each delivery is recorded before the
      // commit, so what a killed process delivered is not sent again.
      return alertsPipeline(bus, config, { metrics, inFlight, log: store, logger: createLogger(config.log.level).child({ component: 'run.alerts' }) });
  }
}
