import { Subscription } from 'rxjs';
import type { Bus } from '../runtime/bus.js';
import type { ClickHouseSink } from '../sinks/clickhouse/clickhouse-sink.js';
import { TopOfBookSampler } from '../sinks/clickhouse/top-of-book-sampler.js';
import { PERSISTED_TOPICS, TOPIC_TABLES, topicRow, type PersistedTopic } from '../sinks/clickhouse/topic-rows.js';

export interface PersistClickHouseOptions {
  /** Top-of-book samples per asset at most this often in event time (from features.v1). */
  readonly bookSampleMs: number;
  /** Write every feature vector to `features` (the bulk of the rows). */
  readonly features: boolean;
}

/**
 * persist (ClickHouse half): every analytics topic -> its table (the watch topics arbitrage.v1 and
 * whale.v1 included: TOPIC_TABLES), plus sampled top of book. Each
 * record is written as the bus delivers it, so the sink's `seq` is the bus's publish order.
 */
export function persistClickHouse(bus: Bus, sink: ClickHouseSink, opts: PersistClickHouseOptions): Subscription {
  const subscription = new Subscription();
  const sampler = new TopOfBookSampler(opts.bookSampleMs);
  const persist = <K extends PersistedTopic>(topic: K): void => {
    subscription.add(bus.topic(topic).subscribe((record) => sink.write(TOPIC_TABLES[topic], topicRow(topic, record))));
  };
  for (const topic of PERSISTED_TOPICS) if (topic !== 'features.v1' || opts.features) persist(topic);
  subscription.add(
    bus.topic('features.v1').subscribe((f) => {
      const row = sampler.sample(f);
      if (row !== undefined) sink.write('book_top', row);
    }),
  );
  return subscription;
}
