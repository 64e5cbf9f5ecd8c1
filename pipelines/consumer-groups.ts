import type { Config } from '../runtime/config.js';
import type { InFlight } from '../runtime/in-flight.js';
import { InputClock, type DueClock } from '../runtime/input-clock.js';
import type { OpenKafkaBusOptions } from '../runtime/kafka/open-kafka-bus.js';
import { REFERENCE_TOPICS } from '../runtime/kafka/reference-tables.js';
import { TRADE_OWN_TOPICS } from './trade.js';

/** Pipelines that run as their own Kafka consumer group (`polyflow run <pipeline>`). */
export const KAFKA_PIPELINES = ['features', 'predict', 'trade', 'drift', 'persist', 'watch', 'alerts'] as const;
export type KafkaPipeline = (typeof KAFKA_PIPELINES)[number];

/** Pipelines whose operators keep state (books, windows, throttles, positions): rebuilt on assignment. */
export const STATEFUL_PIPELINES: ReadonlySet<KafkaPipeline> = new Set<KafkaPipeline>(['features', 'predict', 'trade', 'drift', 'watch']);

/** How a pipeline's consumer group uses the Kafka bus: what `polyflow run <pipeline>` opens, and the Kafka bench too. */
export function groupBusShape(pipeline: KafkaPipeline, config: Config): Pick<OpenKafkaBusOptions, 'tables' | 'assignment' | 'local' | 'ingestOrder' | 'eventOrder'> {
  return {
    // Every member reads all of the reference data (a group would split the metadata by market and
    // the books by asset differently); persist and alerts read it as data, split like any topic.
    tables: STATEFUL_PIPELINES.has(pipeline) ? REFERENCE_TOPICS : undefined,
    // One account's portfolio and limits cannot be split, nor watch's arbitrage (a market's tokens
    // and an event's markets are keyed by asset, on any partitions), nor the drift monitor's windows
    // (the model's inputs and Brier over every market): further trade, watch and drift processes
    // stand by. A features member gets an asset's books and trades (the same partition
    // number of each).
    assignment: pipeline === 'trade' || pipeline === 'watch' || pipeline === 'drift' ? 'active-standby' : pipeline === 'features' ? 'co-partitioned' : 'spread',
    // features sees each asset's books and trades in the order ingest made them, as in the embedded
    // run; watch sees every asset's in that one order (its arbitrage compares a market's tokens).
    ingestOrder: pipeline === 'features' ? true : pipeline === 'watch' ? 'total' : false,
    // trade's stages feed each other through its own topics: at once, as in the embedded run.
    local: pipeline === 'trade' ? TRADE_OWN_TOPICS : undefined,
    // With progress markers, trade sees the books in ingest's order, each once the predictions due
    // before it are in: its input clock then releases what the embedded run's would (trade.ts). The
    // resolutions come in that order too: read as fetched, a backlog's later resolutions reached the
    // risk gate before the books of the hours before them (markets closed, books stale).
    eventOrder: pipeline === 'trade' && config.kafka.progressIntervalMs > 0 ? { topic: 'pm.book', alongside: ['pm.resolution'], awaiting: 'prediction.v1' } : undefined,
  };
}

/**
 * The clock a trade consumer group's predictions wait on: in ingest's order an input clock that its
 * books move (they act where the embedded run's do), else none (each acts on arrival). A new one per call.
 */
export function tradeGroupClock(config: Config): DueClock | 'arrival' {
  return groupBusShape('trade', config).eventOrder === undefined ? 'arrival' : new InputClock();
}

/**
 * What a consumer group's bus awaits before it commits its input's offsets: scoring done, the
 * batch still waiting to fill too (committed past a vector whose prediction was not out, a process
 * killed then lost it: the member that rebuilt took it as published and muted it), webhook
 * deliveries done, and persisted rows written (`polyflow run <pipeline>`, and the Kafka bench too).
 */
export const settleBeforeCommit =
  (inFlight: InFlight, persist?: { flush(): Promise<void> }) =>
  async (): Promise<void> => {
    await inFlight.drain();
    await persist?.flush();
  };
