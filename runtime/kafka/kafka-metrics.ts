import { Counter, Gauge, type Registry } from 'prom-client';

/** The Kafka bus's Prometheus metrics, on the run's registry (names polyflow_kafka_*). */
export class KafkaMetrics {
  readonly produced: Counter<'topic'>;
  readonly consumed: Counter<'topic'>;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly serdeErrors: Counter<'topic' | 'direction'>;
  readonly deadLetters: Counter<'topic'>;
  readonly rebalances: Counter;
  readonly paused: Gauge;
  readonly pauses: Counter;
  readonly duplicates: Counter<'topic'>;
  readonly rebuilds: Counter;
  readonly rebuildRecords: Counter<'topic'>;
  readonly rebuildMuted: Counter<'topic'>;
  readonly checkpoints: Counter;
  readonly commits: Counter;
  readonly orderWaits: Counter;
  readonly orderWaiting: Gauge;
  readonly progress: Gauge<'topic' | 'partition'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.produced = new Counter({ name: 'polyflow_kafka_produced_records_total', help: 'Records acknowledged by the broker, per topic', labelNames: ['topic'], registers });
    this.consumed = new Counter({ name: 'polyflow_kafka_consumed_records_total', help: 'Records consumed, per topic', labelNames: ['topic'], registers });
    this.lag = new Gauge({
      name: 'polyflow_kafka_consumer_lag_records',
      help: 'Records behind the high watermark, per assigned topic partition: after each consumed batch, and asked of the broker every 5 s (it rises while nothing is consumed)',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.serdeErrors = new Counter({
      name: 'polyflow_kafka_serde_errors_total',
      help: 'Values that could not be serialized or deserialized',
      labelNames: ['topic', 'direction'],
      registers,
    });
    this.deadLetters = new Counter({ name: 'polyflow_kafka_dead_letters_total', help: 'Undecodable records sent to dlq.<topic>', labelNames: ['topic'], registers });
    this.rebalances = new Counter({ name: 'polyflow_kafka_rebalances_total', help: 'Consumer group joins (each rebalance ends in one)', registers });
    this.pauses = new Counter({ name: 'polyflow_kafka_consumer_pauses_total', help: 'Times consumption was paused for backpressure', registers });
    this.duplicates = new Counter({ name: 'polyflow_kafka_duplicates_dropped_total', help: 'Consumed records dropped as redeliveries (an id seen before)', labelNames: ['topic'], registers });
    this.rebuilds = new Counter({ name: 'polyflow_kafka_state_rebuilds_total', help: 'Operator state rebuilds from the assigned partitions (one per assignment)', registers });
    this.rebuildRecords = new Counter({ name: 'polyflow_kafka_rebuild_records_total', help: 'Records read again only to rebuild operator state', labelNames: ['topic'], registers });
    this.rebuildMuted = new Counter({ name: 'polyflow_kafka_rebuild_muted_publishes_total', help: 'Publishes dropped while rebuilding state (published before the crash or rebalance)', labelNames: ['topic'], registers });
    this.checkpoints = new Counter({ name: 'polyflow_kafka_checkpoints_total', help: 'Checkpoints of operator state and offsets saved', registers });
    this.commits = new Counter({ name: 'polyflow_kafka_offset_commits_total', help: 'Offset commit requests (each covers every partition whose outputs were acknowledged)', registers });
    this.orderWaits = new Counter({
      name: 'polyflow_kafka_order_waits_total',
      help: "Co-partitioned records released after waiting out orderWaitMs for an earlier record of their partition that did not come (a gap in ingest's order, or a key's first record while the other topic was quiet)",
      registers,
    });
    this.orderWaiting = new Gauge({ name: 'polyflow_kafka_order_waiting_records', help: "Books and trades fetched and waiting for their place in ingest's order (features)", registers });
    this.progress = new Gauge({
      name: 'polyflow_kafka_progress_seconds',
      help: "Event time (s since the epoch) up to which a consumed partition's records have all arrived, from its progress markers: time() minus it is the event-time lag",
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.paused = new Gauge({ name: 'polyflow_kafka_consumer_paused', help: '1 while consumption is paused for backpressure', registers });
  }
}
