import { Subject, type Observable } from 'rxjs';
import { Partitioners, type Consumer, type EachBatchPayload, type Kafka, type Message, type Producer } from 'kafkajs';
import type { TopicName, TopicTypes } from '../../schemas/topics.js';
import type { Bus } from '../bus.js';
import type { Logger } from '../logger.js';
import { PolyflowError } from '../errors.js';
import type { AvroTopicSerde } from './avro-serde.js';
import type { KafkaMetrics } from './kafka-metrics.js';
import { PublishOrder } from './publish-order.js';
import { connectOrExplain } from './kafka-client.js';

export interface KafkaBusOptions {
  readonly kafka: Kafka;
  /** For error messages only (the client has them). */
  readonly brokers?: readonly string[] | undefined;
  readonly serde: AvroTopicSerde;
  /** Consumer group; without one the bus only publishes (and `topic()` throws). */
  readonly groupId?: string | undefined;
  /** Prepended to every topic name on the broker. */
  readonly topicPrefix?: string | undefined;
  /** A new group starts at the earliest offset (true) or the latest (false, default). */
  readonly fromBeginning?: boolean | undefined;
  /** Records per produce request (default 500). */
  readonly batchSize?: number | undefined;
  /** Consumption pauses above this many unacknowledged published records, resumes below half (default 10,000). */
  readonly maxBufferedRecords?: number | undefined;
  readonly sessionTimeoutMs?: number | undefined;
  /** How long the broker may hold a fetch that has no data (default 50 ms: a latency bound per hop). */
  readonly fetchMaxWaitMs?: number | undefined;
  /** Awaited before offsets are committed: work the consumed records started that publishes later (model scoring). */
  readonly settle?: (() => Promise<void>) | undefined;
  readonly metrics?: KafkaMetrics | undefined;
  readonly logger?: Logger | undefined;
  /**
   * One-process runs only (the Kafka replay): records this bus published are handed to its
   * subscribers in publish order across all topics and partitions (a `polyflow-seq` header), as the
   * memory bus would, instead of in fetch order. Offsets of records held back for order may be
   * committed before they are emitted, so this is not for consumer-group deployments.
   */
  readonly publishOrder?: boolean | undefined;
}

interface Pending {
  readonly topic: TopicName;
  readonly key: string;
  readonly value: unknown;
  readonly seq: number | undefined;
}

interface Held {
  readonly subject: Subject<unknown>;
  readonly value: unknown;
}

/**
 * The bus over Kafka. Values are Avro in Confluent's wire format (`AvroTopicSerde`); keys are the
 * caller's (by `TOPICS[topic].keyedBy`), so one key's records land on one partition in order.
 *
 * Delivery rule (at-least-once): the consumer commits a batch's offsets only after every record it
 * emitted has been handed to the local subscribers, `settle()` has resolved, and every record
 * published so far (which includes everything derived from that batch) is acknowledged by the
 * broker (acks=all). A crash therefore replays input whose outputs may already exist: outputs
 * carry deterministic ids, so sinks dedupe (DESIGN §4). Records that an operator holds in its own
 * state (windows, books) are not "derived" yet; that state is rebuilt by replaying the topic, not
 * by the commit.
 *
 * Backpressure: publishing never blocks (the Bus contract), but the consumer is paused while more
 * than `maxBufferedRecords` published records await their ack, and resumed below half of it.
 * Undecodable values go to `dlq.<topic>` with the raw bytes, the original key, and headers
 * `polyflow-dlq-reason`, `polyflow-dlq-topic`, `polyflow-dlq-partition`, `polyflow-dlq-offset`.
 */
export class KafkaBus implements Bus {
  private readonly subjects = new Map<TopicName, Subject<unknown>>();
  private readonly producer: Producer;
  private consumer: Consumer | undefined;
  private queue: Pending[] = [];
  private draining: Promise<void> | undefined;
  private failure: unknown;
  private paused = false;
  private started = false;
  private readonly batchSize: number;
  private readonly highWater: number;
  private readonly acked = new Map<TopicName, number>();
  private readonly received = new Map<TopicName, number>();
  private readonly byKafkaTopic = new Map<string, TopicName>();
  private readonly order: PublishOrder<Held> | undefined;

  constructor(private readonly opts: KafkaBusOptions) {
    this.producer = opts.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true, maxInFlightRequests: 1, idempotent: false });
    this.batchSize = opts.batchSize ?? 500;
    this.highWater = opts.maxBufferedRecords ?? 10_000;
    this.order = opts.publishOrder === true ? new PublishOrder<Held>((topic) => this.subjects.has(topic)) : undefined;
  }

  /** The broker's name of a polyflow topic. */
  kafkaTopic(topic: string): string {
    return `${this.opts.topicPrefix ?? ''}${topic}`;
  }

  publish<K extends TopicName>(topic: K, key: string, value: TopicTypes[K]): void {
    this.queue.push({ topic, key, value, seq: this.order?.assign(topic) });
    if (this.queue.length > this.highWater) this.pause();
    if (this.draining === undefined) this.draining = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  topic<K extends TopicName>(topic: K): Observable<TopicTypes[K]> {
    if (this.opts.groupId === undefined) throw new PolyflowError('KAFKA_NO_GROUP', `kafka bus: topic(${topic}) needs a consumer group`);
    let subject = this.subjects.get(topic);
    if (subject === undefined) {
      if (this.started) throw new PolyflowError('KAFKA_LATE_SUBSCRIBE', `kafka bus: topic(${topic}) after start(): subscribe every topic before starting`);
      subject = new Subject<unknown>();
      this.subjects.set(topic, subject);
      this.byKafkaTopic.set(this.kafkaTopic(topic), topic);
    }
    return subject.asObservable() as Observable<TopicTypes[K]>;
  }

  /** Connects; with topics subscribed, joins the group and resolves once partitions are assigned. */
  async start(opts: { joinTimeoutMs?: number } = {}): Promise<void> {
    this.started = true;
    await connectOrExplain(this.producer, this.opts.brokers ?? []);
    if (this.subjects.size === 0 || this.opts.groupId === undefined) return;
    const sessionTimeout = this.opts.sessionTimeoutMs ?? 10_000;
    // Records published before the subscriptions existed have no subscriber here.
    for (const held of this.order?.release() ?? []) held.subject.next(held.value);
    const consumer = this.opts.kafka.consumer({
      groupId: this.opts.groupId,
      sessionTimeout,
      rebalanceTimeout: sessionTimeout,
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 5)),
      maxWaitTimeInMs: this.opts.fetchMaxWaitMs ?? 50,
      allowAutoTopicCreation: true,
    });
    this.consumer = consumer;
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, () => {
        this.opts.metrics?.rebalances.inc();
        resolve();
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.byKafkaTopic.keys()], fromBeginning: this.opts.fromBeginning ?? false });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.consume(payload) });
    const timeout = opts.joinTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      joined,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PolyflowError('KAFKA_JOIN_TIMEOUT', `kafka bus: group ${this.opts.groupId} not joined in ${timeout} ms`, { retriable: true })), timeout);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Resolves when every record published so far is acknowledged by the broker; rejects if a send failed. */
  async flush(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Records acknowledged per topic (published by this bus) and received per topic (consumed by it):
   * a one-process run is quiet when every subscribed topic received what was published to it.
   */
  counts(): { readonly acked: ReadonlyMap<TopicName, number>; readonly received: ReadonlyMap<TopicName, number> } {
    return { acked: this.acked, received: this.received };
  }

  /** True when nothing waits to be sent and every subscribed topic has received all this bus published to it. */
  quiet(): boolean {
    if (this.queue.length > 0 || this.draining !== undefined || (this.order?.waiting ?? 0) > 0) return false;
    for (const topic of this.subjects.keys()) if ((this.received.get(topic) ?? 0) < (this.acked.get(topic) ?? 0)) return false;
    return true;
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.consumer?.disconnect();
      await this.producer.disconnect();
      for (const subject of this.subjects.values()) subject.complete();
      this.subjects.clear();
    }
  }

  private async consume({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const topic = this.byKafkaTopic.get(batch.topic);
    const subject = topic === undefined ? undefined : this.subjects.get(topic);
    if (topic === undefined || subject === undefined) return;
    let last: string | undefined;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      let value: unknown;
      let decoded = true;
      try {
        value = await this.opts.serde.deserialize(topic, message.value);
      } catch (err) {
        decoded = false;
        this.opts.metrics?.serdeErrors.labels(topic, 'deserialize').inc();
        await this.deadLetter(topic, batch.partition, message, err);
      }
      this.received.set(topic, (this.received.get(topic) ?? 0) + 1);
      this.opts.metrics?.consumed.labels(topic).inc();
      const seq = this.order === undefined ? undefined : message.headers?.['polyflow-seq'];
      if (this.order !== undefined && seq !== undefined) {
        for (const held of this.order.receive(Number(String(seq)), decoded ? { subject, value } : null)) held.subject.next(held.value);
      } else if (decoded) subject.next(value);
      last = message.offset;
    }
    if (last === undefined) return;
    await this.opts.settle?.();
    await this.flush();
    resolveOffset(last);
    await this.consumer?.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
    this.opts.metrics?.lag.labels(topic, String(batch.partition)).set(Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last) - 1n)));
    await heartbeat();
  }

  private async deadLetter(topic: TopicName, partition: number, message: { key: Buffer | null; value: Buffer | null; offset: string }, err: unknown): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    this.opts.logger?.warn({ topic, partition, offset: message.offset, reason }, 'undecodable record sent to the DLQ');
    this.opts.metrics?.deadLetters.labels(topic).inc();
    await this.producer.send({
      topic: this.kafkaTopic(`dlq.${topic}`),
      messages: [
        {
          key: message.key,
          value: message.value,
          headers: { 'polyflow-dlq-reason': reason, 'polyflow-dlq-topic': topic, 'polyflow-dlq-partition': String(partition), 'polyflow-dlq-offset': message.offset },
        },
      ],
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && this.failure === undefined) {
        const batch = this.queue.splice(0, this.batchSize);
        const byTopic = new Map<TopicName, Message[]>();
        for (const record of batch) {
          let value: Buffer;
          try {
            value = await this.opts.serde.serialize(record.topic, record.value as TopicTypes[TopicName]);
          } catch (err) {
            this.opts.metrics?.serdeErrors.labels(record.topic, 'serialize').inc();
            throw err;
          }
          let messages = byTopic.get(record.topic);
          if (messages === undefined) byTopic.set(record.topic, (messages = []));
          messages.push(record.seq === undefined ? { key: record.key, value } : { key: record.key, value, headers: { 'polyflow-seq': String(record.seq) } });
        }
        await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic: this.kafkaTopic(topic), messages })) });
        for (const [topic, messages] of byTopic) {
          this.acked.set(topic, (this.acked.get(topic) ?? 0) + messages.length);
          this.opts.metrics?.produced.labels(topic).inc(messages.length);
        }
        if (this.paused && this.queue.length <= this.highWater / 2) this.resume();
      }
    } catch (err) {
      this.failure = err;
      this.opts.logger?.error({ err }, 'kafka publish failed');
    } finally {
      this.draining = undefined;
      if (this.paused && this.queue.length <= this.highWater / 2) this.resume();
    }
  }

  private pause(): void {
    if (this.paused || this.consumer === undefined) return;
    this.paused = true;
    this.opts.metrics?.paused.set(1);
    this.opts.metrics?.pauses.inc();
    this.consumer.pause([...this.byKafkaTopic.keys()].map((topic) => ({ topic })));
  }

  private resume(): void {
    if (!this.paused || this.consumer === undefined) return;
    this.paused = false;
    this.opts.metrics?.paused.set(0);
    this.consumer.resume([...this.byKafkaTopic.keys()].map((topic) => ({ topic })));
  }

  /** True while published records wait above the high-water mark: a source should `await flush()`. */
  get pressure(): boolean {
    return this.queue.length > this.highWater;
  }
}
