import type { Subject } from 'rxjs';
import type { KafkaMessage } from 'kafkajs';
import type { TopicName } from '../../schemas/topics.js';
import { SerdeError, type AvroTopicSerde } from './avro-serde.js';
import type { KafkaMetrics } from './kafka-metrics.js';
import type { PublishMute } from './publish-mute.js';
import type { PublishOrder } from './publish-order.js';
import { RecentIds, recordId } from './recent-ids.js';

/** A record held for its place in publish order, with the subject it goes to. */
export interface Held {
  readonly subject: Subject<unknown>;
  readonly value: unknown;
}

export interface RecordDeliveryOptions {
  readonly serde: AvroTopicSerde;
  /** The topics' subjects (the operators' subscriptions). */
  readonly subjects: ReadonlyMap<TopicName, Subject<unknown>>;
  /** With publishOrder (a one-process run): its own records re-sequenced as they come back. */
  readonly order: PublishOrder<Held> | undefined;
  /** On while the records emitted only rebuild state: an undecodable one was dead-lettered when first consumed. */
  readonly mute: PublishMute;
  /** Sends an undecodable record to its topic's DLQ with the reason. */
  readonly deadLetter: (topic: TopicName, partition: number, message: KafkaMessage, err: SerdeError) => Promise<void>;
  /** How many ids per topic a redelivery is recognised by (kafka.dedupeCapacity). */
  readonly dedupeCapacity: number;
  readonly metrics?: KafkaMetrics | undefined;
}

/**
 * A KafkaBus's hand-over of consumed records to the operators: decoded (undecodable ones to the
 * DLQ), redeliveries dropped by id, in publish order when it is kept, and counted per topic.
 */
export class RecordDelivery {
  /** Records received per topic (consumed, or handed over by publish() for a local topic). */
  readonly received = new Map<TopicName, number>();
  private readonly recent = new Map<TopicName, RecentIds>();

  constructor(private readonly opts: RecordDeliveryOptions) {}

  /**
   * Hands a record over without a promise when its writer schema is resolved and it decodes (the
   * hot path); false leaves it to `decodeAndDeliver` (a schema's first record, or an undecodable one).
   */
  deliverReady(topic: TopicName, subject: Subject<unknown>, message: KafkaMessage): boolean {
    let value: unknown;
    try {
      value = this.opts.serde.deserializeReady(topic, message.value);
    } catch {
      return false;
    }
    if (value === undefined) return false;
    this.deliver(topic, subject, message, value);
    return true;
  }

  /** Decodes one record and hands it to the topic's subscribers, unless it is undecodable (DLQ) or a redelivery. */
  async decodeAndDeliver(topic: TopicName, subject: Subject<unknown>, partition: number, message: KafkaMessage): Promise<void> {
    let value: unknown;
    try {
      value = await this.opts.serde.deserialize(topic, message.value);
    } catch (err) {
      // Not the record's fault (the schema registry unreachable): the batch fails and is fetched again.
      if (!(err instanceof SerdeError)) throw err;
      this.opts.metrics?.serdeErrors.labels(topic, 'deserialize').inc();
      // Dead-lettered when it was first consumed.
      if (!this.opts.mute.on) await this.opts.deadLetter(topic, partition, message, err);
      // Gives up its place in the publish order (if kept), so the records after it are not held.
      this.deliver(topic, subject, message, undefined);
      return;
    }
    this.deliver(topic, subject, message, value);
  }

  /** A local topic's record, to its subscribers before publish() returns (depth-first, as on the memory bus). */
  deliverLocal(topic: TopicName, value: unknown): void {
    const subject = this.opts.subjects.get(topic);
    if (subject === undefined) return;
    this.received.set(topic, (this.received.get(topic) ?? 0) + 1);
    subject.next(value);
  }

  /**
   * A local record whose id the operators already had: one a rebuild read from the broker and the
   * operators made again once live (an order pending at a handover, filled again).
   */
  repeated(topic: TopicName, value: unknown): boolean {
    const id = recordId(value);
    if (id === undefined || !this.recentIds(topic).seen(id)) return false;
    this.opts.metrics?.duplicates.labels(topic).inc();
    return true;
  }

  /** Counts records handed over (once a run: a labelled counter per record is a hash of its labels each time). */
  counted(topic: TopicName, records = 1): void {
    if (records === 0) return;
    this.received.set(topic, (this.received.get(topic) ?? 0) + records);
    this.opts.metrics?.consumed.labels(topic).inc(records);
  }

  /** Forgets the ids seen (the operators were rebuilt: they see the records again). */
  forgetIds(): void {
    for (const ids of this.recent.values()) ids.clear();
  }

  /** A decoded record (undefined: an undecodable one, which only frees its place in the publish order) to the subscribers, unless it is a redelivery. */
  private deliver(topic: TopicName, subject: Subject<unknown>, message: KafkaMessage, value: unknown): void {
    let fresh = value !== undefined;
    const id = fresh ? recordId(value) : undefined;
    if (id !== undefined && this.recentIds(topic).seen(id)) {
      fresh = false;
      this.opts.metrics?.duplicates.labels(topic).inc();
    }
    const { order } = this.opts;
    const seq = order === undefined ? undefined : message.headers?.['polyflow-seq'];
    if (order !== undefined && seq !== undefined) {
      for (const held of order.receive(Number(String(seq)), fresh ? { subject, value } : null)) held.subject.next(held.value);
    } else if (fresh) subject.next(value);
  }

  private recentIds(topic: TopicName): RecentIds {
    let ids = this.recent.get(topic);
    if (ids === undefined) this.recent.set(topic, (ids = new RecentIds(this.opts.dedupeCapacity)));
    return ids;
  }
}
