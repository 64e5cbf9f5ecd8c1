import type { Subject } from 'rxjs';
import type { Admin } from 'kafkajs';
import type { TopicName } from '../../schemas/topics.js';
import type { KafkaBusOptions } from './kafka-bus-options.js';
import type { PublishMute } from './publish-mute.js';
import type { RecordDelivery } from './record-delivery.js';
import { ReferenceTables } from './reference-tables.js';

/** What the tables' delivery needs of its bus: whether it stops, and its admin client. */
export interface TableDeliveryHost {
  /** True once the bus stops: no more rows go to the operators. */
  stopping(): boolean;
  admin(): Promise<Admin>;
}

export interface ReferenceTableDeliveryOptions {
  /** The reference topics subscribed (filled by KafkaBus.topic() before the load). */
  readonly topics: readonly TopicName[];
  /** The topics' subjects (the operators' subscriptions). */
  readonly subjects: ReadonlyMap<TopicName, Subject<unknown>>;
  /** Counts the rows received per topic. */
  readonly delivery: RecordDelivery;
  /** On while the operators get rows they had before (replay): what they publish for them is dropped. */
  readonly mute: PublishMute;
  readonly kafkaTopic: (topic: TopicName) => string;
  readonly bus: Pick<KafkaBusOptions, 'kafka' | 'serde' | 'fetchMaxWaitMs' | 'metrics' | 'logger'>;
}

/**
 * A KafkaBus's reference tables (ReferenceTables) as its operators get them: read to their end
 * before the group's consumer starts, each row live as it arrives, and every row again to operators
 * that started over.
 */
export class ReferenceTableDelivery {
  private tables: ReferenceTables | undefined;

  constructor(
    private readonly host: TableDeliveryHost,
    private readonly opts: ReferenceTableDeliveryOptions,
  ) {}

  /** Reads the reference topics to their end before the group's consumer starts (the operators see every market's metadata before its books). */
  async load(groupId: string, sessionTimeoutMs: number, timeoutMs: number): Promise<void> {
    const { bus } = this.opts;
    this.tables = new ReferenceTables({
      kafka: bus.kafka,
      groupId,
      topics: this.opts.topics,
      kafkaTopic: this.opts.kafkaTopic,
      serde: bus.serde,
      admin: () => this.host.admin(),
      fetchMaxWaitMs: bus.fetchMaxWaitMs ?? 50,
      sessionTimeoutMs,
      deliver: (topic, value) => this.deliverRow(topic, value),
      undecodable: (topic, err) => {
        bus.metrics?.serdeErrors.labels(topic, 'deserialize').inc();
        bus.logger?.warn({ topic, err }, 'undecodable reference record skipped (every member reads it; none dead-letters it)');
      },
      logger: bus.logger,
    });
    const records = await this.tables.load(timeoutMs);
    bus.logger?.info({ topics: this.opts.topics, records }, 'reference topics read to their end');
  }

  /** Operators that started over get every reference row again; what they publish for it was published before. */
  replay(): void {
    if (this.tables === undefined) return;
    this.opts.mute.on = true;
    try {
      for (const row of this.tables.rows()) this.opts.subjects.get(row.topic)?.next(row.value);
    } finally {
      this.opts.mute.on = false;
    }
  }

  async close(): Promise<void> {
    await this.tables?.close();
  }

  /** A reference record as it arrives: live input, whatever the group's consumer is doing (a rebuild mutes only its own records). */
  private deliverRow(topic: TopicName, value: unknown): void {
    const subject = this.opts.subjects.get(topic);
    if (subject === undefined || this.host.stopping()) return;
    this.opts.delivery.counted(topic);
    const { mute } = this.opts;
    const muted = mute.on;
    mute.on = false;
    try {
      subject.next(value);
    } finally {
      mute.on = muted;
    }
  }
}
