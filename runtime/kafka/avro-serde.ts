/**
 * Topic values in Confluent's wire format: magic byte 0, the writer schema's registry id (4 bytes,
 * big-endian), then the Avro binary body. The schema of `schemas/<topic>.avsc` is registered under
 * `<topic>-value` through @confluentinc/schemaregistry's client; records are written with the avsc
 * type of the schema as registered and the id it got, byte for byte what the package's
 * AvroSerializer writes (tested), without its per-record schema lookups (a deterministic JSON
 * serialisation of the schema for every record, most of a consumer's CPU).
 * Reading resolves the writer schema (looked up by id) against this process's reader schema, so a
 * reader on v1 reads a v2 record that added an optional field (and a v2 reader fills the default
 * into a v1 record): Avro schema resolution, not "decode with whatever the writer used".
 */
import type { Client } from '@confluentinc/schemaregistry';
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

type Resolver = ReturnType<Type['createResolver']>;

/** The schema id of a value in Confluent's wire format; a SerdeError when it is not in it. */
const wireSchemaId = (topic: TopicName, payload: Buffer | null): number => {
  if (payload === null || payload.length < 5 || payload[0] !== 0) throw new SerdeError(`${topic}: not Confluent wire format (magic byte 0 + schema id)`);
  return payload.readInt32BE(1);
};

/** How a topic's records are written: the registered schema's type and the wire-format prefix with its id. */
interface Writer {
  readonly type: Type;
  readonly prefix: Buffer;
}

/** Magic byte 0, then the schema id as a big-endian int32. */
const wirePrefix = (id: number): Buffer => {
  const prefix = Buffer.alloc(5);
  prefix.writeInt32BE(id, 1);
  return prefix;
};

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
  private readonly writers = new Map<TopicName, Promise<Writer>>();
  /** Writers ready for synchronous use. */
  private readonly ready = new Map<TopicName, Writer>();
  private readonly readers = new Map<TopicName, Type>();
  /** Resolvers by `<topic>/<writer id>`: a writer schema is fetched and resolved once. */
  private readonly resolvers = new Map<string, Promise<Resolver>>();
  private readonly resolved = new Map<string, Resolver>();

  private registered: Promise<void> | undefined;
  /** Where records are encoded before they are copied out (grows to the largest record). */
  private scratch = Buffer.allocUnsafe(64 * 1024);

  constructor(private readonly opts: TopicSerdeOptions) {}

  private whenReady(): Promise<void> {
    this.registered ??= (async () => {
      for (const topic of this.opts.registerFirst ?? []) await this.register(topic);
    })();
    return this.registered;
  }

  private kafkaTopic(topic: TopicName): string {
    return this.opts.kafkaTopic?.(topic) ?? topic;
  }

  /** Registers the topic's schema (idempotent) and returns its id. */
  async register(topic: TopicName): Promise<number> {
    return this.opts.client.register(valueSubject(this.kafkaTopic(topic)), { schemaType: 'AVRO', schema: JSON.stringify(this.opts.schemaOf(topic)) }, false);
  }

  async serialize<K extends TopicName>(topic: K, value: TopicTypes[K]): Promise<Buffer> {
    return this.encode(this.ready.get(topic) ?? (await this.writer(topic)), topic, value);
  }

  /** `serialize` without a promise, once the topic's schema is registered (by a first `serialize`); else undefined. */
  serializeReady<K extends TopicName>(topic: K, value: TopicTypes[K]): Buffer | undefined {
    const writer = this.ready.get(topic);
    return writer === undefined ? undefined : this.encode(writer, topic, value);
  }

  private encode(writer: Writer, topic: TopicName, value: unknown): Buffer {
    const record: unknown = topic === 'pm.book' ? bookUpdateToAvro(value as BookUpdate) : value;
    // Prefix and body written into one scratch buffer, then copied out once.
    writer.prefix.copy(this.scratch, 0);
    let end: number;
    try {
      // avsc checks each value as it writes it: the paths are worked out only for the error.
      end = writer.type.encode(record, this.scratch, 5);
      if (end < 0) {
        this.scratch = Buffer.allocUnsafe(2 * (this.scratch.length - end));
        writer.prefix.copy(this.scratch, 0);
        end = writer.type.encode(record, this.scratch, 5);
      }
    } catch (cause) {
      throw new SerdeError(`${topic}: record does not match its schema: ${invalidPaths(writer.type, record)}`, cause);
    }
    const out = Buffer.allocUnsafe(end);
    this.scratch.copy(out, 0, 0, end);
    return out;
  }

  async deserialize<K extends TopicName>(topic: K, payload: Buffer | null): Promise<TopicTypes[K]> {
    const id = wireSchemaId(topic, payload);
    return this.decode(topic, payload as Buffer, id, await this.resolver(topic, id));
  }

  /** `deserialize` without a promise once the record's writer schema is resolved; else undefined (call `deserialize`). */
  deserializeReady<K extends TopicName>(topic: K, payload: Buffer | null): TopicTypes[K] | undefined {
    const id = wireSchemaId(topic, payload);
    const resolver = this.resolved.get(`${topic}/${id}`);
    return resolver === undefined ? undefined : this.decode(topic, payload as Buffer, id, resolver);
  }

  private decode<K extends TopicName>(topic: K, payload: Buffer, id: number, resolver: Resolver): TopicTypes[K] {
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

  private writer(topic: TopicName): Promise<Writer> {
    let w = this.writers.get(topic);
    if (w === undefined) {
      w = this.whenReady()
        .then(() => this.register(topic))
        .then(async (id) => {
          // The schema as the registry holds it (the same text the registered id stands for).
          const info = await this.opts.client.getBySubjectAndId(valueSubject(this.kafkaTopic(topic)), id);
          const writer = { type: parseAvroSchema(JSON.parse(info.schema) as AvroSchema), prefix: wirePrefix(id) };
          this.ready.set(topic, writer);
          return writer;
        });
      this.writers.set(topic, w);
      w.catch(() => this.writers.delete(topic));
    }
    return w;
  }

  private reader(topic: TopicName): Type {
    let t = this.readers.get(topic);
    if (t === undefined) {
      t = parseAvroSchema(this.opts.schemaOf(topic));
      this.readers.set(topic, t);
    }
    return t;
  }

  private resolver(topic: TopicName, id: number): Promise<Resolver> {
    const key = `${topic}/${id}`;
    let r = this.resolvers.get(key);
    if (r === undefined) {
      r = this.whenReady()
        .then(() => this.opts.client.getBySubjectAndId(valueSubject(this.kafkaTopic(topic)), id).catch((cause: unknown) => Promise.reject(lookupFailure(topic, id, cause))))
        .then((info) => {
          let resolver: Resolver;
          try {
            resolver = this.reader(topic).createResolver(parseAvroSchema(JSON.parse(info.schema) as AvroSchema));
          } catch (cause) {
            throw new SerdeError(`${topic}: writer schema id ${id} not resolvable to the reader schema`, cause);
          }
          this.resolved.set(key, resolver);
          return resolver;
        })
        .catch((err: unknown) => {
          this.resolvers.delete(key);
          throw err;
        });
      this.resolvers.set(key, r);
    }
    return r;
  }
}

/**
 * Why a writer schema could not be fetched: a SerdeError when the registry does not know the id (the
 * record is undecodable: DLQ), else a retriable error (the registry unreachable or failing: the
 * record is valid and must not be dead-lettered; its batch is fetched again).
 */
function lookupFailure(topic: TopicName, id: number, cause: unknown): Error {
  const status = (cause as { status?: unknown } | null)?.status;
  if (status === 404) return new SerdeError(`${topic}: writer schema id ${id} unknown to the schema registry`, cause);
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new PolyflowError('SCHEMA_REGISTRY_UNAVAILABLE', `${topic}: could not fetch writer schema id ${id} from the schema registry: ${reason}`, { retriable: true, cause });
}

/** Where a value breaks its schema, as the package's AvroSerializer words it: `path, expected type, got value`. */
function invalidPaths(type: Type, value: unknown): string {
  const problems: string[] = [];
  type.isValid(value, { errorHook: (path, any, at) => problems.push(`Invalid message at ${path.join('.')}, expected ${String(at)}, got ${shown(any)}`) });
  return problems.slice(0, 3).join('; ');
}

const shown = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};
