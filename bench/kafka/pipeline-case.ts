import { asyncScheduler, type Subscription } from 'rxjs';
import { tradeGroupClock, type KafkaPipeline } from '../../pipelines/consumer-groups.js';
import type { DriftReference } from '../../operators/drift-monitor.js';
import type { BatchScorer } from '../../operators/score-batches.js';
import { driftPipeline } from '../../pipelines/drift.js';
import { featuresPipeline } from '../../pipelines/features.js';
import { persistPipeline } from '../../pipelines/persist.js';
import { predictPipeline } from '../../pipelines/predict.js';
import { tradePipeline } from '../../pipelines/trade.js';
import { watchPipeline } from '../../pipelines/watch.js';
import type { Bus } from '../../runtime/bus.js';
import type { Config } from '../../runtime/config.js';
import type { InFlight } from '../../runtime/in-flight.js';
import type { PipelineMetrics } from '../../runtime/metrics.js';
import type { JsonlFiles } from '../../sinks/jsonl-files.js';

/** The consumer-group pipelines measured here (alerts' work is webhook deliveries: not a throughput of records). */
export type BenchedPipeline = Extract<KafkaPipeline, 'features' | 'predict' | 'trade' | 'drift' | 'persist' | 'watch'>;

/** A pipeline as one throughput case: its wiring is `polyflow run <pipeline>`'s (bin/commands/run-kafka.ts). */
export interface PipelineCase {
  readonly name: string;
  readonly pipeline: BenchedPipeline;
  readonly config: Config;
  readonly scorer?: BatchScorer | undefined;
  /** drift's reference (the model's training distributions). */
  readonly driftReference?: DriftReference | undefined;
}

export interface WireDeps {
  readonly metrics: PipelineMetrics;
  readonly inFlight: InFlight;
  /** persist's output (only persist needs it). */
  readonly files: JsonlFiles | undefined;
}

export function wirePipeline(c: PipelineCase, bus: Bus, deps: WireDeps): Subscription {
  switch (c.pipeline) {
    case 'features':
      return featuresPipeline(bus, c.config, deps.metrics);
    case 'predict':
      if (c.scorer === undefined) throw new Error(`${c.name}: no scorer`);
      return predictPipeline(bus, c.config, { scorer: c.scorer, scheduler: asyncScheduler, inFlight: deps.inFlight, metrics: deps.metrics });
    case 'trade':
      return tradePipeline(bus, c.config, { metrics: deps.metrics, clock: tradeGroupClock(c.config) });
    case 'drift':
      if (c.driftReference === undefined) throw new Error(`${c.name}: no drift reference`);
      return driftPipeline(bus, c.driftReference);
    case 'persist':
      if (deps.files === undefined) throw new Error(`${c.name}: no output files`);
      return persistPipeline(bus, c.config.output.topics, deps.files);
    case 'watch':
      return watchPipeline(bus, c.config, deps.metrics);
  }
}
