import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { asyncScheduler, type Subscription } from 'rxjs';
import { loadScorer } from '../../models/load-scorer.js';
import { alertsPipeline } from '../../pipelines/alerts.js';
import { featuresPipeline } from '../../pipelines/features.js';
import { persistPipeline } from '../../pipelines/persist.js';
import { predictPipeline } from '../../pipelines/predict.js';
import { tradePipeline } from '../../pipelines/trade.js';
import { watchPipeline } from '../../pipelines/watch.js';
import type { Config } from '../../runtime/config.js';
import { InFlight } from '../../runtime/in-flight.js';
import type { KafkaBus } from '../../runtime/kafka/kafka-bus.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import { createLogger } from '../../runtime/logger.js';
import { PipelineMetrics } from '../../runtime/metrics.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';

/** Pipelines that run as their own Kafka consumer group (`polyflow run <pipeline>`). */
export const KAFKA_PIPELINES = ['features', 'predict', 'trade', 'persist', 'watch', 'alerts'] as const;
export type KafkaPipeline = (typeof KAFKA_PIPELINES)[number];

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
  const metrics = new PipelineMetrics();
  const inFlight = new InFlight();
  const bus = openKafkaBus({ config, group: pipeline, registry: metrics.registry, logger, fromBeginning: opts.fromBeginning, settle: () => inFlight.whenIdle() });
  const files = pipeline === 'persist' ? new JsonlFiles(resolve(opts.outDir)) : undefined;
  const graph = await wire(pipeline, bus, config, metrics, inFlight, files);
  await bus.start();
  logger.info({ brokers: config.kafka.brokers, group: `${config.kafka.groupIdPrefix}.${pipeline}` }, 'joined');
  process.stdout.write(`ready ${pipeline}\n`);
  await new Promise<void>((done) => {
    const stop = (): void => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (opts.durationMs !== undefined) setTimeout(stop, opts.durationMs).unref();
  });
  graph.unsubscribe();
  await inFlight.whenIdle();
  await bus.close();
  files?.close();
  if (opts.metricsFile !== undefined) writeFileSync(opts.metricsFile, await metrics.registry.metrics());
  return 0;
}

async function wire(pipeline: KafkaPipeline, bus: KafkaBus, config: Config, metrics: PipelineMetrics, inFlight: InFlight, files: JsonlFiles | undefined): Promise<Subscription> {
  switch (pipeline) {
    case 'features':
      return featuresPipeline(bus, config, metrics);
    case 'predict': {
      const scorer = await loadScorer(fromPackageRoot(config.scoring.modelPath), FEATURE_SPEC);
      return predictPipeline(bus, config, { scorer, scheduler: asyncScheduler, inFlight, metrics });
    }
    case 'trade':
      return tradePipeline(bus, config, metrics);
    case 'persist':
      return persistPipeline(bus, config.output.topics, files as JsonlFiles);
    case 'watch':
      return watchPipeline(bus, config, metrics);
    case 'alerts':
      // Deliveries are in-flight work: the bus commits a batch's offsets only once every alert it
      // gave is delivered or in dlq.alerts (settle), so a crash re-sends, never loses. Retries and
      // backoff run on the real clock. The delivery (and its dedupe memory) lives in the returned
      // subscription and is closed with it.
      return alertsPipeline(bus, config, { metrics, inFlight, logger: createLogger(config.log.level).child({ component: 'run.alerts' }) });
  }
}
