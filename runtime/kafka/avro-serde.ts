/**
 * Topic values in Confluent's wire format: magic byte 0, the writer schema's registry id (4 bytes,
 * big-endian), then the Avro binary body. Writing goes through @confluentinc/schemaregistry's
 * AvroSerializer with the schema of `schemas/<topic>.avsc` registered under `<topic>-value`.
 * Reading resolves the writer schema (looked up by id) against this process's reader schema, so a
 * reader on v1 reads a v2 record that added an optional field (and a v2 reader fills the default
 * into a v1 record): Avro schema resolution, not "decode with whatever the writer used".
 */
import { AvroSerializer, SerdeType, type Client } from '@confluentinc/schemaregistry';
import type { Type } from 'avsc';
import { bookUpdateFromAvro, bookUpdateToAvro, parseAvroSchema, type AvroSchema, type BookUpdateAvro } from '../../schemas/avro-types.js';
import type { BookUpdate } from '../../schemas/book-update.js';
import type { TopicName, TopicTypes } from '../../schemas/topics.js';
import { PolyflowError } from '../errors.js';
import { valueSubject } from './schema-registry.js';

/** A value that is not a record of its topic: goes to the topic's DLQ, never stops the consumer. */
export class SerdeError extends PolyflowError {
  constructor(message: string, cause?: unknown) {
    super('SERDE_INVALID', message, { cause });
  }
}

const AVSC_OPTIONS = { wrapUnions: 'never', omitRecordMethods: true } as const;

export interface TopicSerdeOptions {
  readonly client: Client;
  /** The reader (and writer) schema of each topic, parsed JSON; default: `schemas/*.avsc`. */
  readonly schemaOf: (topic: TopicName) => AvroSchema;
  /** Kafka topic name of a polyflow topic (the subject is `<kafka topic>-value`). */
  readonly kafkaTopic?: (topic: TopicName) => string;
  /**
   * Topics registered first, in this order, before anything else. With the in-process mock registry
   * (ids are a counter) this makes every process of one build assign the same ids, so separate
   * processes can read each other's records without a shared registry.
   */
  readonly registerFirst?: readonly TopicName[] | undefined;
}

export class AvroTopicSerde {
  private readonly serializers = new Map<TopicName, Promise<AvroSerializer>>();
  private readonly readers = new Map<TopicName, Type>();
  /** Resolvers by `<topic>/<writer id>`: a writer schema is fetched and resolved once. */
  private readonly resolvers = new Map<string, Promise<ReturnType<Type['createResolver']>>>();

  private ready: Promise<void> | undefined;

  constructor(private readonly opts: TopicSerdeOptions) {}

  private whenReady(): Promise<void> {
    this.ready ??= (async () => {
      for (const topic of this.opts.registerFirst ?? []) await this.register(topic);
    })();
    return this.ready;
  }

  private kafkaTopic(topic: TopicName): string {
    return this.opts.kafkaTopic?.(topic) ?? topic;
  }

  /** Registers the topic's schema (idempotent) and returns its id. */
  async register(topic: TopicName): Promise<number> {
    return this.opts.client.register(valueSubject(this.kafkaTopic(topic)), { schemaType: 'AVRO', schema: JSON.stringify(this.opts.schemaOf(topic)) }, false);
  }

  async serialize<K extends TopicName>(topic: K, value: TopicTypes[K]): Promise<Buffer> {
    const serializer = await this.serializer(topic);
    const record: unknown = topic === 'pm.book' ? bookUpdateToAvro(value as BookUpdate) : value;
    try {
      return await serializer.serialize(this.kafkaTopic(topic), record);
    } catch (cause) {
      throw new SerdeError(`${topic}: record does not match its schema: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
    }
  }

  async deserialize<K extends TopicName>(topic: K, payload: Buffer | null): Promise<TopicTypes[K]> {
    if (payload === null || payload.length < 5 || payload[0] !== 0) throw new SerdeError(`${topic}: not Confluent wire format (magic byte 0 + schema id)`);
    const id = payload.readInt32BE(1);
    const resolver = await this.resolver(topic, id);
    let decoded: unknown;
    try {
      decoded = this.reader(topic).fromBuffer(payload.subarray(5), resolver, false);
    } catch (cause) {
      throw new SerdeError(`${topic}: undecodable Avro body for schema id ${id}`, cause);
    }
    try {
      if (topic === 'pm.book') return bookUpdateFromAvro(decoded as BookUpdateAvro) as TopicTypes[K];
    } catch (cause) {
      throw new SerdeError(`${topic}: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
    }
    return { ...(decoded as object) } as TopicTypes[K];
  }

  private serializer(topic: TopicName): Promise<AvroSerializer> {
    let s = this.serializers.get(topic);
    if (s === undefined) {
      s = this.whenReady()
        .then(() => this.register(topic))
        .then(
        (id) => new AvroSerializer(this.opts.client, SerdeType.VALUE, { useSchemaId: id, autoRegisterSchemas: false, ...AVSC_OPTIONS }),
      );
      this.serializers.set(topic, s);
      s.catch(() => this.serializers.delete(topic));
    }
    return s;
  }

  private reader(topic: TopicName): Type {
    let t = this.readers.get(topic);
    if (t === undefined) {
      t = parseAvroSchema(this.opts.schemaOf(topic));
      this.readers.set(topic, t);
    }
    return t;
  }

  private resolver(topic: TopicName, id: number): Promise<ReturnType<Type['createResolver']>> {
    const key = `${topic}/${id}`;
    let r = this.resolvers.get(key);
    if (r === undefined) {
      r = this.whenReady()
        .then(() => this.opts.client.getBySubjectAndId(valueSubject(this.kafkaTopic(topic)), id))
        .then((info) => this.reader(topic).createResolver(parseAvroSchema(JSON.parse(info.schema) as AvroSchema)))
        .catch((cause: unknown) => {
          this.resolvers.delete(key);
          throw new SerdeError(`${topic}: writer schema id ${id} unknown or not resolvable to the reader schema`, cause);
        });
      this.resolvers.set(key, r);
    }
    return r;
  }
}
