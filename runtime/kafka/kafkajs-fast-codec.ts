/**
 * Faster record encoding and decoding for kafkajs 2.2.4, put into its module cache before kafkajs
 * loads (runtime/kafka/kafkajs.ts imports this module first).
 *
 * kafkajs writes every produced record into a fresh zero-filled 512-byte buffer, each varint through
 * a temporary array and each varlong through Long arithmetic, copies every record three more times
 * on its way into the request, groups messages by partition by copying the group per message, and
 * decodes every fetched record through two decimal-string Long round trips and a header object
 * spread. That was about half of a features process's CPU on the Kafka path (bench:kafka --profile).
 * The drop-ins write and read the same bytes and objects (tests compare them with kafkajs's own);
 * what they do not handle (compression, message timestamps, other field types) goes to kafkajs's
 * code. With any other kafkajs version nothing is touched.
 */
import { readRecordBatch } from './kafka-batch-reader.js';
import { writeProduceRequest, type ProduceArgs } from './kafka-produce-request.js';
import { frameRequest, REQUEST_HEADROOM, type RequestHeader } from './kafka-request-frame.js';
import { isSmallInteger, planRecord, writeRecordAt, writeUVarIntAt, writeUVarLongAt, zigZag64, type RecordInput } from './kafka-record-codec.js';
import { isPatchedKafkajs, requireKafkajs } from './kafkajs-internals.js';

/** The part of kafkajs's protocol Encoder that the drop-ins use. */
interface EncoderLike {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
  writeUVarInt(value: number): EncoderLike;
  writeVarLong(value: unknown): EncoderLike;
}
type EncoderClass = { prototype: EncoderLike };
interface DecoderLike {
  buffer: Buffer;
  offset: number;
}
type RecordEncoder = (record: RecordInput) => EncoderLike;
type BatchDecoder = (fetchDecoder: DecoderLike) => Promise<unknown>;
interface ProduceRequest {
  encode(): Promise<EncoderLike>;
}
type ProduceRequestFactory = (args: ProduceArgs & { compression?: number }) => ProduceRequest;
type RequestEncoder = (args: { correlationId: number; clientId: string; request: Pick<RequestHeader, 'apiKey' | 'apiVersion'> & { encode(): Promise<EncoderLike> } }) => Promise<EncoderLike>;
type PartitionGrouper = (args: { topic: string; partitionMetadata: unknown[]; messages: unknown[]; partitioner: (args: { topic: string; partitionMetadata: unknown[]; message: unknown }) => number }) => Record<number, unknown[]>;

const modules = {
  encoder: 'kafkajs/src/protocol/encoder.js',
  record: 'kafkajs/src/protocol/recordBatch/record/v0/index.js',
  batchDecoder: 'kafkajs/src/protocol/recordBatch/v0/decoder.js',
  produceRequest: 'kafkajs/src/protocol/requests/produce/v3/request.js',
  groupMessages: 'kafkajs/src/producer/groupMessagesPerPartition.js',
  request: 'kafkajs/src/protocol/request.js',
  seekOffsets: 'kafkajs/src/consumer/seekOffsets.js',
  errors: 'kafkajs/src/errors.js',
  /** Modules that capture the replaced ones when they load: loaded already, the drop-ins would not be used. */
  capturing: [
    'kafkajs/src/network/connection.js',
    'kafkajs/src/producer/sendMessages.js',
    'kafkajs/src/protocol/requests/produce/v4/request.js',
    'kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js',
  ],
} as const;

/** Whether the drop-ins are in place: 'stock' when asked for kafkajs's own codec, 'unsupported' when they cannot be. */
export type FastCodecState = 'installed' | 'stock' | 'unsupported';

let installed: FastCodecState | undefined;

/** Env var that keeps kafkajs's own codec (read when this module loads, before any config). */
export const STOCK_CODEC_ENV = 'POLYFLOW_KAFKA_STOCK_CODEC';

/**
 * Installs the drop-ins once. 'stock' when POLYFLOW_KAFKA_STOCK_CODEC=1 asks for kafkajs's own
 * codec; 'unsupported', and nothing changed, unless kafkajs is 2.2.4 and has not loaded its producer yet.
 */
export function installFastKafkajsCodec(): FastCodecState {
  if (installed !== undefined) return installed;
  installed = chooseCodec();
  if (installed !== 'installed') return installed;
  const Encoder = requireKafkajs(modules.encoder) as EncoderClass;
  patchEncoder(Encoder.prototype);
  // The record encoder first: kafkajs's produce request module, loaded next, captures it.
  replaceExports(modules.record, (stock: RecordEncoder) => fastRecordEncoder(Encoder, stock));
  replaceExports(modules.produceRequest, (stock: ProduceRequestFactory) => fastProduceRequest(Encoder, stock));
  replaceExports(modules.batchDecoder, (stock: BatchDecoder) => fastBatchDecoder(stock));
  replaceExports(modules.groupMessages, () => groupMessagesPerPartition);
  replaceExports(modules.request, () => requestEncoder(Encoder));
  patchSeekOffsets((requireKafkajs(modules.seekOffsets) as { prototype: SeekOffsetsLike }).prototype);
  return installed;
}

function chooseCodec(): FastCodecState {
  if (process.env[STOCK_CODEC_ENV] === '1') return 'stock';
  const loaded = modules.capturing.some((path) => requireKafkajs.cache[requireKafkajs.resolve(path)] !== undefined);
  return isPatchedKafkajs() && !loaded ? 'installed' : 'unsupported';
}

/** Loads a kafkajs module and puts `replacement(its exports)` in its place in the module cache. */
function replaceExports<T>(path: string, replacement: (stock: T) => unknown): void {
  const stock = requireKafkajs(path) as T;
  (requireKafkajs.cache[requireKafkajs.resolve(path)] as NodeJS.Module).exports = replacement(stock);
}

/** An Encoder holding bytes written elsewhere (kafkajs copies `buffer`, the written part). */
function encoderOf(Encoder: EncoderClass, buf: Buffer, length: number): EncoderLike {
  const encoder = Object.create(Encoder.prototype) as EncoderLike;
  encoder.buf = buf;
  encoder.offset = length;
  return encoder;
}

/** Growth without zero-filling (an encoder exposes only bytes it wrote) and varints written in place. */
function patchEncoder(proto: EncoderLike): void {
  const stockWriteVarLong = proto.writeVarLong;
  proto.ensureAvailable = function ensureAvailable(this: EncoderLike, length: number): void {
    if (this.offset + length <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(1 << (32 - Math.clz32(this.offset + length)));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
  proto.writeUVarInt = function writeUVarInt(this: EncoderLike, value: number): EncoderLike {
    this.ensureAvailable(5);
    this.offset = writeUVarIntAt(this.buf, this.offset, value);
    return this;
  };
  proto.writeVarLong = function writeVarLong(this: EncoderLike, value: unknown): EncoderLike {
    if (!isSmallInteger(value)) return stockWriteVarLong.call(this, value);
    this.ensureAvailable(8);
    this.offset = writeUVarLongAt(this.buf, this.offset, zigZag64(value));
    return this;
  };
}

/** kafkajs's pending seeks: a Map keyed by getKey(topic, partition). */
interface SeekOffsetsLike extends Map<string, unknown> {
  getKey(topic: string, partition: number): string;
  has(topic: string | number, partition?: number): boolean;
}

/**
 * Pending seeks are asked about once per consumed record (a batch handler's isStale()), each time
 * building a JSON key: an empty map now answers at once, and keys are joined with a NUL instead.
 */
function patchSeekOffsets(proto: SeekOffsetsLike): void {
  proto.getKey = (topic, partition) => `${topic}\u0000${partition}`;
  proto.has = function has(this: SeekOffsetsLike, topic: string | number, partition?: number): boolean {
    return this.size > 0 && Map.prototype.has.call(this, this.getKey(topic as string, partition as number));
  };
}

/** Used where kafkajs still builds the batch itself (compression): one exact-size buffer per record. */
function fastRecordEncoder(Encoder: EncoderClass, stock: RecordEncoder): RecordEncoder {
  return (record) => {
    const plan = planRecord(record);
    if (plan === undefined) return stock(record);
    const buf = Buffer.allocUnsafe(plan.size);
    return encoderOf(Encoder, buf, writeRecordAt(buf, 0, plan));
  };
}

/** Produce bodies written with room for the request's header in front of them. */
const withHeadroom = new WeakMap<EncoderLike, { buf: Buffer; start: number }>();

function fastProduceRequest(Encoder: EncoderClass, stock: ProduceRequestFactory): ProduceRequestFactory {
  return (args) => {
    const request = stock(args);
    if ((args.compression ?? 0) !== 0) return request;
    return {
      ...request,
      encode: async () => {
        const body = writeProduceRequest(args, Date.now(), REQUEST_HEADROOM);
        if (body === undefined) return request.encode();
        const encoder = encoderOf(Encoder, body.buf.subarray(body.start), body.buf.length - body.start);
        withHeadroom.set(encoder, body);
        return encoder;
      },
    };
  };
}

/** kafkajs's request framing without its two copies of the body: none for a produce body, one for others. */
function requestEncoder(Encoder: EncoderClass): RequestEncoder {
  return async ({ correlationId, clientId, request: { apiKey, apiVersion, encode } }) => {
    const payload = await encode();
    const body = withHeadroom.get(payload) ?? { buf: payload.buf, start: 0 };
    const framed = frameRequest({ apiKey, apiVersion, correlationId, clientId }, { ...body, end: body.start + payload.offset });
    return encoderOf(Encoder, framed, framed.length);
  };
}

function fastBatchDecoder(stock: BatchDecoder): BatchDecoder {
  const { KafkaJSPartialMessageError } = requireKafkajs(modules.errors) as { KafkaJSPartialMessageError: new (message: string) => Error };
  return async (fetchDecoder) => {
    const read = readRecordBatch(fetchDecoder.buffer, fetchDecoder.offset);
    if (read.kind === 'unsupported') return stock(fetchDecoder);
    fetchDecoder.offset = read.end;
    if (read.kind === 'partial') {
      throw new KafkaJSPartialMessageError(`Tried to decode a partial record batch: remainingBytes(${read.remaining}) < recordBatchLength(${read.length})`);
    }
    return read.batch;
  };
}

/** kafkajs's grouping, in linear time: each partition's messages in their order. */
const groupMessagesPerPartition: PartitionGrouper = ({ topic, partitionMetadata, messages, partitioner }) => {
  const groups: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return groups;
  for (const message of messages) (groups[partitioner({ topic, partitionMetadata, message })] ??= []).push(message);
  return groups;
};

// At load, so that importing this module ahead of kafkajs (runtime/kafka/kafkajs.ts) is enough.
installFastKafkajsCodec();
