import type { Admin, CompressionTypes, IHeaders, Message, Producer } from 'kafkajs';
import { deadLetterTopicOf, type TopicName, type TopicTypes } from '../../schemas/topics.js';
import type { Logger } from '../logger.js';
import { PolyflowError } from '../errors.js';
import { SerdeError, type AvroTopicSerde } from './avro-serde.js';
import { connectOrExplain } from './kafka-client.js';
import type { KafkaMetrics } from './kafka-metrics.js';
import { ORDER_HEADER, OrderStamps, PROGRESS_HEADER, TIME_HEADER } from './ingest-order.js';
import { ProgressMarks } from './progress-marks.js';

/** A record (or a progress marker) waiting to be sent. */
export interface Pending {
  readonly topic: TopicName;
  readonly key: string;
  readonly value: unknown;
  /** Its number in publish order (KafkaBusOptions.publishOrder), sent as `polyflow-seq`. */
  readonly seq: number | undefined;
  /** A progress marker for this partition, with its time (and, from ingest, its order stamp and round). */
  readonly marker?: { readonly partition: number; readonly time: number; readonly order: string | undefined; readonly round?: number };
}

/** What the publisher tells its bus. */
export interface PublisherHost {
  /** A record was queued (commit marks count it). */
  queued(): void;
  /** The broker acknowledged this many queued records, queued markers and dead letters included. */
  acknowledged(records: number): void;
  /** More than the high-water mark wait: consumption should pause. */
  backlogged(): void;
  /** Half the high-water mark or fewer wait: consumption may resume. */
  relieved(): void;
  /** A record in publish order was dead-lettered: its place is given up. */
  givenUp(seq: number): void;
  /** Nothing more can be published: a send failed for good, or the backlog passed its bound. */
  failed(err: unknown): void;
}

export interface KafkaPublisherOptions {
  readonly serde: AvroTopicSerde;
  /** The broker's name of a polyflow topic (or of its DLQ). */
  readonly kafkaTopic: (topic: string) => string;
  readonly batchSize: number;
  /** Of every produced record batch (kafkajs's CompressionTypes). */
  readonly compression: CompressionTypes;
  readonly highWater: number;
  readonly maxQueued: number;
  /** Stamps co-partitioned records with their publish order (none with publishOrder). */
  readonly stamps: OrderStamps | undefined;
  /** Progress markers of the stamped topics, this often (0: none; needs stamps). */
  readonly progressIntervalMs: number;
  /** The time between two rounds of markers on average (default: the interval; see ProgressMarks). */
  readonly progressPromptMs?: number | undefined;
  readonly progressWallClock?: boolean | undefined;
  readonly admin: () => Promise<Admin>;
  readonly metrics?: KafkaMetrics | undefined;
  readonly logger?: Logger | undefined;
}

/**
 * The producing side of a KafkaBus: a queue drained one produce request at a time (acks=all, in
 * queue order, which is publish order), stamps and progress markers on the co-partitioned topics,
 * dead letters, and the bounds: its host pauses consumption above the high-water mark, and past
 * `maxQueued` (a source that cannot pause) the publisher fails rather than grow.
 */
export class KafkaPublisher {
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  private failure: unknown;
  /** Records acknowledged per topic (markers not counted). */
  readonly acked = new Map<TopicName, number>();
  private readonly progressMarks: ProgressMarks | undefined;

  constructor(
    private readonly producer: Producer,
    private readonly opts: KafkaPublisherOptions,
    private readonly host: PublisherHost,
  ) {
    this.progressMarks =
      opts.stamps === undefined || opts.progressIntervalMs <= 0
        ? undefined
        : new ProgressMarks(
            {
              enqueue: (marker) => this.enqueue({ topic: marker.topic, key: '', value: null, seq: undefined, marker }),
              admin: opts.admin,
              kafkaTopic: opts.kafkaTopic,
            },
            opts.stamps,
            { intervalMs: opts.progressIntervalMs, promptMs: opts.progressPromptMs, wallClock: opts.progressWallClock, logger: opts.logger },
          );
  }

  /** The send that failed for good, or the backlog's error; undefined while publishing works. */
  get failed(): unknown {
    return this.failure;
  }

  /** True while published records wait above the high-water mark: a source should `await flush()`. */
  get pressure(): boolean {
    return this.queue.length > this.opts.highWater;
  }

  /** True when nothing waits to be sent or is in flight. */
  get idle(): boolean {
    return this.queue.length === 0 && this.draining === undefined;
  }

  /** Connects the producer (a clear error naming the brokers when it cannot). */
  connect(brokers: readonly string[]): Promise<void> {
    return connectOrExplain(this.producer, brokers);
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  enqueue(pending: Pending): void {
    // Nothing more is sent after a failure: the process stops (a source learns it from flush()).
    if (this.failure !== undefined) return;
    if (this.queue.length >= this.opts.maxQueued) {
      this.fail(
        new PolyflowError(
          'KAFKA_BACKLOG',
          `kafka bus: ${this.queue.length} published records wait for the broker (kafka.maxQueuedRecords): it is not keeping up; stopping so that memory stays bounded`,
          { retriable: true },
        ),
        'kafka publish backlog',
      );
      return;
    }
    this.queue.push(pending);
    this.host.queued();
    if (this.queue.length > this.opts.highWater) this.host.backlogged();
    if (this.draining === undefined) this.draining = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  /** Resolves when every record queued so far is acknowledged by the broker; rejects if a send failed. */
  async flush(): Promise<void> {
    // A failure is told at once: a send in flight may hang until its request times out.
    if (this.failure !== undefined) throw this.failure;
    while (this.draining !== undefined) await this.draining;
    if (this.failure !== undefined) throw this.failure;
  }

  /** The last progress markers (of a bus that closes), once everything queued is out, and then those. */
  async markLast(): Promise<void> {
    await this.progressMarks?.close();
    await this.flush();
  }

  /** A consumed record that cannot be decoded: to its topic's DLQ, raw, with the reason and where it was. */
  async deadLetter(topic: TopicName, partition: number, message: { key: Buffer | null; value: Buffer | null; offset: string }, err: unknown): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    this.opts.logger?.warn({ topic, partition, offset: message.offset, reason }, 'undecodable record sent to the DLQ');
    this.opts.metrics?.deadLetters.labels(topic).inc();
    await this.producer.send({
      compression: this.opts.compression,
      topic: this.opts.kafkaTopic(deadLetterTopicOf(topic)),
      messages: [{ key: message.key, value: message.value, headers: { ...deadLetterHeaders(topic, reason), 'polyflow-dlq-partition': String(partition), 'polyflow-dlq-offset': message.offset } }],
    });
  }

  private fail(err: unknown, message: string): void {
    this.failure = err;
    this.opts.logger?.error({ err }, message);
    this.host.failed(err);
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.failure === undefined) {
        const batch = this.queue.splice(0, this.opts.batchSize);
        const request = await this.request(batch);
        if (request.stamped.length > 0 && this.progressMarks !== undefined) {
          // Progress markers in the same request, after the records they cover (when a round is due).
          for (const marker of this.progressMarks.publishing(request.stamped, this.queue.length === 0)) {
            request.add(marker.topic, marker);
          }
        }
        const topicMessages = [...[...request.byTopic].map(([topic, messages]) => ({ topic: this.opts.kafkaTopic(topic), messages })), ...request.deadLetters];
        // Nothing to send when every marker of the batch was overtaken.
        if (topicMessages.length > 0) await this.producer.sendBatch({ acks: -1, compression: this.opts.compression, topicMessages });
        this.progressMarks?.published(request.byTopic.keys());
        this.host.acknowledged(batch.length);
        for (const [topic, messages] of request.byTopic) {
          const records = messages.length - (request.markers.get(topic) ?? 0);
          if (records === 0) continue;
          this.acked.set(topic, (this.acked.get(topic) ?? 0) + records);
          this.opts.metrics?.produced.labels(topic).inc(records);
        }
        if (this.queue.length <= this.opts.highWater / 2) this.host.relieved();
      }
    } catch (err) {
      this.fail(err, 'kafka publish failed');
    } finally {
      this.draining = undefined;
      if (this.queue.length <= this.opts.highWater / 2) this.host.relieved();
    }
  }

  /** One produce request's messages per topic, its markers per topic, its stamped receive times, its dead letters, and how to add a marker to it. */
  private async request(batch: readonly Pending[]): Promise<{
    byTopic: Map<TopicName, Message[]>;
    markers: Map<TopicName, number>;
    stamped: number[];
    deadLetters: { topic: string; messages: Message[] }[];
    add: (topic: TopicName, marker: NonNullable<Pending['marker']>) => void;
  }> {
    const byTopic = new Map<TopicName, Message[]>();
    const messagesOf = (topic: TopicName): Message[] => {
      let messages = byTopic.get(topic);
      if (messages === undefined) byTopic.set(topic, (messages = []));
      return messages;
    };
    /** Progress markers per topic: acknowledged, not counted as records. */
    const markers = new Map<TopicName, number>();
    const add = (topic: TopicName, marker: NonNullable<Pending['marker']>): void => {
      // A queued round of ingest's markers that a later round overtook would take a partition's progress back.
      if (marker.round !== undefined && this.progressMarks?.overtaken(marker.round) === true) return;
      const headers: IHeaders = { [PROGRESS_HEADER]: String(marker.time) };
      if (marker.order !== undefined) headers[ORDER_HEADER] = marker.order;
      messagesOf(topic).push({ partition: marker.partition, key: null, value: null, headers });
      markers.set(topic, (markers.get(topic) ?? 0) + 1);
    };
    /** Receive times of the stamped records (books and trades) of this request. */
    const stamped: number[] = [];
    /** Records their schema refused, each to its topic's DLQ. */
    const deadLetters: { topic: string; messages: Message[] }[] = [];
    for (const record of batch) {
      if (record.marker !== undefined) {
        add(record.topic, record.marker);
        continue;
      }
      let value: Buffer;
      try {
        const typed = record.value as TopicTypes[TopicName];
        value = this.opts.serde.serializeReady(record.topic, typed) ?? (await this.opts.serde.serialize(record.topic, typed));
      } catch (err) {
        if (!(err instanceof SerdeError)) throw err;
        // An output its schema refuses (an operator's bug): to the topic's DLQ as JSON, the rest go on.
        this.opts.metrics?.serdeErrors.labels(record.topic, 'serialize').inc();
        this.opts.metrics?.deadLetters.labels(record.topic).inc();
        this.opts.logger?.error({ topic: record.topic, key: record.key, reason: err.message }, 'unpublishable record sent to the DLQ');
        deadLetters.push({ topic: this.opts.kafkaTopic(deadLetterTopicOf(record.topic)), messages: [{ key: record.key, value: jsonBytes(record.value), headers: deadLetterHeaders(record.topic, err.message) }] });
        // In publish order its place is given up, so the records after it are not held for it.
        if (record.seq !== undefined) this.host.givenUp(record.seq);
        continue;
      }
      // Stamped in queue order, which is publish order.
      const order = this.opts.stamps?.next(record.topic, record.key);
      let headers: IHeaders | undefined;
      if (record.seq !== undefined) headers = { 'polyflow-seq': String(record.seq) };
      if (order !== undefined) {
        (headers ??= {})[ORDER_HEADER] = order;
        // With markers on: the receive time, for the markers and for trade's wait on predict.
        const recvTs = this.progressMarks === undefined ? undefined : (record.value as { recvTs?: number }).recvTs;
        if (recvTs !== undefined) {
          headers[TIME_HEADER] = String(recvTs);
          stamped.push(recvTs);
        }
      }
      messagesOf(record.topic).push(headers === undefined ? { key: record.key, value } : { key: record.key, value, headers });
    }
    return { byTopic, markers, stamped, deadLetters, add };
  }
}

/** The headers of a dead letter: why, and the topic it was of (a consumed record's adds its partition and offset). */
function deadLetterHeaders(topic: TopicName, reason: string): IHeaders {
  return { 'polyflow-dlq-reason': reason, 'polyflow-dlq-topic': topic };
}

/** A record as JSON (a dead letter's value when it has no Avro form); `{}` when it cannot be written as JSON. */
function jsonBytes(value: unknown): Buffer {
  try {
    return Buffer.from(JSON.stringify(value) ?? '{}');
  } catch {
    return Buffer.from('{}');
  }
}
