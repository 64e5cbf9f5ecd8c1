/**
 * Reads an uncompressed record batch (magic 2) from a fetch response into the records kafkajs's
 * consumer expects, with one read position per batch and offsets and timestamps added as numbers.
 */

const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;
const COMPRESSION_CODEC_MASK = 0x7;
/** kafkajs's timestamp types. */
const CREATE_TIME = 0;
const LOG_APPEND_TIME = 1;

type Headers = Record<string, Buffer | null | Array<Buffer | null>>;

export interface BatchContext {
  firstOffset: string;
  firstTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  maxTimestamp: string;
  timestampType: number;
}

export interface DecodedRecord {
  magicByte: number;
  attributes: number;
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Headers;
  isControlRecord: boolean;
  batchContext: BatchContext & { magicByte: number };
}

export type BatchRead =
  | { kind: 'batch'; batch: BatchContext & { records: DecodedRecord[] }; end: number }
  /** The batch runs past the buffer (a fetch's last batch may): remaining bytes and declared length. */
  | { kind: 'partial'; remaining: number; length: number; end: number }
  /** Compressed, or an offset or timestamp a double cannot hold: for kafkajs's own decoder. */
  | { kind: 'unsupported' };

/** Reads the batch that starts at `start`. */
export function readRecordBatch(buf: Buffer, start: number): BatchRead {
  const length = buf.readInt32BE(start + 8);
  const end = start + 12 + length;
  if (buf.length < end) return { kind: 'partial', remaining: buf.length - start - 12, length, end };
  const firstOffset = buf.readBigInt64BE(start);
  const attributes = buf.readInt16BE(start + 21);
  const firstTimestamp = buf.readBigInt64BE(start + 27);
  if ((attributes & COMPRESSION_CODEC_MASK) !== 0 || !isExact(firstOffset) || !isExact(firstTimestamp)) return { kind: 'unsupported' };
  const context: BatchContext = {
    firstOffset: firstOffset.toString(),
    firstTimestamp: firstTimestamp.toString(),
    partitionLeaderEpoch: buf.readInt32BE(start + 12),
    inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
    isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
    lastOffsetDelta: buf.readInt32BE(start + 23),
    producerId: buf.readBigInt64BE(start + 43).toString(),
    producerEpoch: buf.readInt16BE(start + 51),
    firstSequence: buf.readInt32BE(start + 53),
    maxTimestamp: buf.readBigInt64BE(start + 35).toString(),
    timestampType: (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? LOG_APPEND_TIME : CREATE_TIME,
  };
  try {
    const records = readRecords(new RecordReader(buf, start + 61, end), buf.readInt32BE(start + 57), { ...context, magicByte: buf.readInt8(start + 16) });
    return { kind: 'batch', batch: { ...context, records }, end };
  } catch (err) {
    if (err instanceof InexactRecord) return { kind: 'unsupported' };
    throw err;
  }
}

function isExact(value: bigint): boolean {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER);
}

/** A record whose offset or timestamp a double cannot hold exactly. */
class InexactRecord extends Error {}

function readRecords(reader: RecordReader, count: number, batchContext: DecodedRecord['batchContext']): DecodedRecord[] {
  const records = new Array<DecodedRecord>(Math.max(count, 0));
  const baseOffset = Number(batchContext.firstOffset);
  const baseTimestamp = Number(batchContext.firstTimestamp);
  const appendTime = batchContext.timestampType === LOG_APPEND_TIME ? batchContext.maxTimestamp : undefined;
  for (let i = 0; i < count; i++) {
    const recordEnd = reader.varInt() + reader.position;
    const attributes = reader.int8();
    const timestamp = baseTimestamp + reader.varLong();
    const offset = baseOffset + reader.varInt();
    if (!Number.isSafeInteger(timestamp) || !Number.isSafeInteger(offset)) throw new InexactRecord();
    const key = reader.bytes();
    const value = reader.bytes();
    const headers = reader.headers();
    reader.position = recordEnd;
    records[i] = {
      magicByte: batchContext.magicByte,
      attributes,
      timestamp: appendTime ?? String(timestamp),
      offset: String(offset),
      key,
      value,
      headers,
      isControlRecord: batchContext.isControlBatch,
      batchContext,
    };
  }
  return records;
}

/** Reads the varints, byte strings and headers of records inside one batch, failing past its end. */
class RecordReader {
  constructor(
    private readonly buf: Buffer,
    public position: number,
    private readonly end: number,
  ) {}

  private byte(): number {
    if (this.position >= this.end) throw new RangeError(`record batch ends at byte ${this.end}: a record runs past it`);
    return this.buf[this.position++] as number;
  }

  int8(): number {
    const byte = this.byte();
    return byte > 0x7f ? byte - 0x100 : byte;
  }

  varInt(): number {
    let result = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = this.byte();
      result += (byte & 0x7f) << shift;
      shift += 7;
    } while (byte >= 0x80);
    return (result >>> 1) ^ -(result & 1);
  }

  /** A zig-zag varlong; InexactRecord past 2^53. */
  varLong(): number {
    let result = 0;
    let scale = 1;
    let byte: number;
    do {
      byte = this.byte();
      result += (byte & 0x7f) * scale;
      scale *= 0x80;
    } while (byte >= 0x80);
    if (result > Number.MAX_SAFE_INTEGER) throw new InexactRecord();
    return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
  }

  /** Moves past the next length-prefixed field: its length, or undefined for length -1 (null). */
  private field(): number | undefined {
    const length = this.varInt();
    if (length === -1) return undefined;
    if (length < 0 || this.position + length > this.end) throw new RangeError(`record batch ends at byte ${this.end}: a field of ${length} bytes runs past it`);
    this.position += length;
    return length;
  }

  bytes(): Buffer | null {
    const length = this.field();
    return length === undefined ? null : this.buf.subarray(this.position - length, this.position);
  }

  /** A string read in place (no Buffer for it). */
  private text(): string | null {
    const length = this.field();
    return length === undefined ? null : this.buf.toString('utf8', this.position - length, this.position);
  }

  /** Headers as kafkajs gives them: one value per name, an array when a name repeats. */
  headers(): Headers {
    const headers: Headers = {};
    const count = this.varInt();
    for (let i = 0; i < count; i++) {
      const key = this.text() ?? 'null';
      const value = this.bytes();
      // Own properties only: a header named `constructor` is not merged with Object's (kafkajs's decoder
      // makes it [Object, value]), and one named `__proto__` is a header (as kafkajs's spread makes it),
      // not the object's prototype.
      const before = Object.hasOwn(headers, key) ? headers[key] : undefined;
      const next = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
      if (key === '__proto__') Object.defineProperty(headers, key, { value: next, enumerable: true, writable: true, configurable: true });
      else headers[key] = next;
    }
    return headers;
  }
}
