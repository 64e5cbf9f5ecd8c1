import { randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { TOPICS, TOPIC_NAMES, type TopicName } from '../../schemas/topics.js';
import { PolyflowError } from '../errors.js';
import type { Logger } from '../logger.js';
import { SerdeError, type AvroTopicSerde } from './avro-serde.js';
import { partitionKey } from './commit-marks.js';
import { isRetriable, isUnknownTopic, readRetrying } from './retriable-reads.js';

export interface ReferenceTablesOptions {
  readonly kafka: Kafka;
  /** The pipeline's group: the tables' own consumer joins `<groupId>.tables.<random>`, alone. */
  readonly groupId: string;
  readonly topics: readonly TopicName[];
  readonly kafkaTopic: (topic: TopicName) => string;
  readonly serde: AvroTopicSerde;
  readonly admin: () => Promise<Admin>;
  readonly fetchMaxWaitMs: number;
  readonly sessionTimeoutMs: number;
  /** Hands a decoded record to the topic's subscribers. */
  readonly deliver: (topic: TopicName, value: unknown) => void;
  /** A record that does not decode: logged and counted by the bus (every member reads it, so none dead-letters it). */
  readonly undecodable: (topic: TopicName, err: unknown) => void;
  readonly logger?: Logger | undefined;
}

/**
 * The reference topics: the compacted ones (market metadata), whose latest record per key is the
 * state that stateful pipelines join on.
 */
export const REFERENCE_TOPICS: readonly TopicName[] = TOPIC_NAMES.filter((t) => TOPICS[t].compacted);

type TopicOffsets = Awaited<ReturnType<Admin['fetchTopicOffsets']>>;

interface Row {
  readonly topic: TopicName;
  readonly value: unknown;
}

/**
 * Reference topics (market metadata) read in full by every member of a group, as Kafka Streams'
 * global tables: a group splits `pm.market.meta` (keyed by market) and `pm.book` (keyed by asset)
 * differently, so a member that only read its share of the metadata would compute the features of
 * most of its assets without their market's category and dates. A consumer of its own (a one-member
 * group, nothing committed) reads every partition; `load()` resolves once it reached the high
 * watermarks it found at the start, so operators see the metadata before the first book; updates
 * keep flowing after. The latest value per key is kept (a compacted topic's view; a null value
 * deletes the key) and given again to operators that start over (`rows()`).
 */
export class ReferenceTables {
  private readonly latest = new Map<string, Row>();
  private consumer: Consumer | undefined;
  private readonly byKafkaTopic: Map<string, TopicName>;

  constructor(private readonly opts: ReferenceTablesOptions) {
    this.byKafkaTopic = new Map(opts.topics.map((t) => [opts.kafkaTopic(t), t]));
  }

  /** Reads every partition up to its high watermark at the call, then goes on reading updates; resolves with the records read to there. */
  async load(timeoutMs: number): Promise<number> {
    const remaining = await this.highWatermarks();
    let read = 0;
    let loaded!: () => void;
    const done = new Promise<void>((resolve) => (loaded = resolve));
    if (remaining.size === 0) loaded();
    const consumer = this.opts.kafka.consumer({
      groupId: `${this.opts.groupId}.tables.${randomUUID().slice(0, 8)}`,
      sessionTimeout: this.opts.sessionTimeoutMs,
      rebalanceTimeout: this.opts.sessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.floor(this.opts.sessionTimeoutMs / 5)),
      maxWaitTimeInMs: this.opts.fetchMaxWaitMs,
      allowAutoTopicCreation: true,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.byKafkaTopic.keys()], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async (payload) => {
        read += await this.apply(payload);
        const key = partitionKey(payload.batch.topic, payload.batch.partition);
        const high = remaining.get(key);
        if (high !== undefined && BigInt(payload.batch.lastOffset()) + 1n >= high) {
          remaining.delete(key);
          if (remaining.size === 0) loaded();
        }
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new PolyflowError('KAFKA_TABLE_TIMEOUT', `kafka bus: reference topics ${[...this.byKafkaTopic.keys()].join(', ')} not read to their end in ${timeoutMs} ms`, { retriable: true })),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    return read;
  }

  /** The latest value of every key, for operators that start over. */
  rows(): IterableIterator<Row> {
    return this.latest.values();
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect();
  }

  private async apply({ batch, heartbeat }: EachBatchPayload): Promise<number> {
    const topic = this.byKafkaTopic.get(batch.topic);
    if (topic === undefined) return 0;
    for (const message of batch.messages) {
      const key = `${topic}\u0000${message.key?.toString() ?? ''}`;
      if (message.value === null) {
        this.latest.delete(key);
        continue;
      }
      let value: unknown;
      try {
        value = this.opts.serde.deserializeReady(topic, message.value) ?? (await this.opts.serde.deserialize(topic, message.value));
      } catch (err) {
        // A registry that cannot be reached is not the row's fault: the load fails (and is retried by a restart).
        if (!(err instanceof SerdeError)) throw err;
        this.opts.undecodable(topic, err);
        continue;
      }
      this.latest.set(key, { topic, value });
      this.opts.deliver(topic, value);
    }
    await heartbeat();
    return batch.messages.length;
  }

  /** `topic:partition` -> high watermark, for every partition that holds records. */
  private async highWatermarks(): Promise<Map<string, bigint>> {
    const admin = await this.opts.admin();
    const marks = new Map<string, bigint>();
    for (const kafkaTopic of this.byKafkaTopic.keys()) {
      const offsets = await this.offsetsOf(admin, kafkaTopic);
      if (offsets === undefined) {
        // Not created yet: nothing to load; its records come as updates.
        this.opts.logger?.debug({ topic: kafkaTopic }, 'reference topic has no partitions yet');
        continue;
      }
      for (const p of offsets) if (BigInt(p.high) > BigInt(p.low)) marks.set(partitionKey(kafkaTopic, p.partition), BigInt(p.high));
    }
    return marks;
  }

  /**
   * A reference topic's offsets; undefined when the broker does not know the topic. A failure the
   * client calls retriable (metadata not loaded yet) is tried again: taken for a missing topic, it
   * let the operators see books before their markets' metadata.
   */
  private async offsetsOf(admin: Admin, kafkaTopic: string): Promise<TopicOffsets | undefined> {
    const read = (): Promise<TopicOffsets | undefined> =>
      admin.fetchTopicOffsets(kafkaTopic).catch((err: unknown) => {
        if (isUnknownTopic(err)) return undefined;
        throw err;
      });
    try {
      return await readRetrying(`the offsets of reference topic ${kafkaTopic}`, read, { logger: this.opts.logger });
    } catch (err) {
      throw new PolyflowError('KAFKA_TABLE_OFFSETS', `kafka bus: cannot read the offsets of reference topic ${kafkaTopic}: ${err instanceof Error ? err.message : String(err)}`, {
        retriable: isRetriable(err),
        cause: err,
      });
    }
  }
}
