/**
 * Kafka's record format (magic 2) written into and read from one buffer: varints, records, the
 * batch CRC-32C. kafkajs-fast-codec.ts puts these in place of kafkajs's per-record encoders.
 */

export type HeaderValue = Buffer | string;
export type Bytes = Buffer | string | null | undefined;

/** A record as kafkajs's encoder takes it. */
export interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: unknown;
  key?: unknown;
  value?: unknown;
  headers?: Record<string, unknown> | undefined;
}

/** A record's sizes and fields, checked, ready to be written. */
export interface RecordPlan {
  readonly size: number;
  readonly bodySize: number;
  readonly offsetDelta: number;
  readonly timestampDelta: number;
  readonly key: Bytes;
  readonly value: Bytes;
  readonly headers: ReadonlyArray<readonly [string, HeaderValue]>;
}

/** Integers whose zig-zag encoding stays exact in a double (|n| < 2^52, varlongs of up to 8 bytes). */
export function isSmallInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 2 ** 52;
}

export function zigZag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

export function zigZag64(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

export function sizeOfUVarInt(value: number): number {
  let bytes = 1;
  for (let rest = value >>> 0; (rest & 0xffffff80) !== 0; rest >>>= 7) bytes++;
  return bytes;
}

export function sizeOfUVarLong(value: number): number {
  let bytes = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes++;
  return bytes;
}

/** An unsigned varint of the value's low 32 bits, as kafkajs writes it; returns the next offset. */
export function writeUVarIntAt(buf: Buffer, offset: number, value: number): number {
  let rest = value;
  while ((rest & 0xffffff80) !== 0) {
    buf[offset++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  buf[offset++] = rest & 0x7f;
  return offset;
}

/** An unsigned varint of a non-negative integer below 2^53; returns the next offset. */
export function writeUVarLongAt(buf: Buffer, offset: number, value: number): number {
  let rest = value;
  while (rest >= 0x80) {
    buf[offset++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  buf[offset++] = rest;
  return offset;
}

function isBytes(value: unknown): value is Bytes {
  return value === null || value === undefined || typeof value === 'string' || Buffer.isBuffer(value);
}

function sizeOfBytes(value: Bytes): number {
  if (value === null || value === undefined) return 1;
  const length = typeof value === 'string' ? Buffer.byteLength(value) : value.length;
  return sizeOfUVarInt(zigZag32(length)) + length;
}

function writeBytesAt(buf: Buffer, offset: number, value: Bytes): number {
  if (value === null || value === undefined) return writeUVarIntAt(buf, offset, zigZag32(-1));
  if (typeof value === 'string') {
    const length = Buffer.byteLength(value);
    const start = writeUVarIntAt(buf, offset, zigZag32(length));
    return start + buf.write(value, start, length, 'utf8');
  }
  const start = writeUVarIntAt(buf, offset, zigZag32(value.length));
  return start + value.copy(buf, start);
}

/**
 * The record's plan, or undefined for what only kafkajs's own encoder takes: keys or values that are
 * neither strings nor buffers, header values likewise, timestamp deltas beyond ±2^52 ms.
 */
export function planRecord(input: RecordInput): RecordPlan | undefined {
  const { offsetDelta = 0, timestampDelta = 0, key, value, headers = {} } = input;
  if (!isSmallInteger(timestampDelta) || !isBytes(key) || !isBytes(value)) return undefined;
  const headerList: Array<readonly [string, HeaderValue]> = [];
  let headersSize = 0;
  for (const name of Object.keys(headers)) {
    const entry = headers[name];
    for (const one of Array.isArray(entry) ? (entry as unknown[]) : [entry]) {
      if (typeof one !== 'string' && !Buffer.isBuffer(one)) return undefined;
      headerList.push([name, one]);
      headersSize += sizeOfBytes(name) + sizeOfBytes(one);
    }
  }
  const bodySize =
    1 +
    sizeOfUVarLong(zigZag64(timestampDelta)) +
    sizeOfUVarInt(zigZag32(offsetDelta)) +
    sizeOfBytes(key) +
    sizeOfBytes(value) +
    sizeOfUVarInt(zigZag32(headerList.length)) +
    headersSize;
  return { size: sizeOfUVarInt(zigZag32(bodySize)) + bodySize, bodySize, offsetDelta, timestampDelta, key, value, headers: headerList };
}

/** Writes a planned record (length, attributes, deltas, key, value, headers); returns the next offset. */
export function writeRecordAt(buf: Buffer, at: number, plan: RecordPlan): number {
  let offset = writeUVarIntAt(buf, at, zigZag32(plan.bodySize));
  buf[offset++] = 0;
  offset = writeUVarLongAt(buf, offset, zigZag64(plan.timestampDelta));
  offset = writeUVarIntAt(buf, offset, zigZag32(plan.offsetDelta));
  offset = writeBytesAt(buf, offset, plan.key);
  offset = writeBytesAt(buf, offset, plan.value);
  offset = writeUVarIntAt(buf, offset, zigZag32(plan.headers.length));
  for (const [name, one] of plan.headers) offset = writeBytesAt(buf, writeBytesAt(buf, offset, name), one);
  return offset;
}

/** CRC-32C (Castagnoli) tables for slicing by 8 bytes. */
const CRC_TABLES = (() => {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let crc = n;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
    tables[n] = crc;
  }
  for (let n = 0; n < 256; n++) {
    for (let t = 1; t < 8; t++) {
      const before = tables[(t - 1) * 256 + n] as number;
      tables[t * 256 + n] = (tables[before & 0xff] as number) ^ (before >>> 8);
    }
  }
  return tables;
})();

/** CRC-32C of buf[start, end), as a record batch carries it. */
export function crc32c(buf: Buffer, start: number, end: number): number {
  const t = CRC_TABLES;
  let crc = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const low = crc ^ ((buf[i] as number) | ((buf[i + 1] as number) << 8) | ((buf[i + 2] as number) << 16) | ((buf[i + 3] as number) << 24));
    crc =
      (t[1792 + (low & 0xff)] as number) ^
      (t[1536 + ((low >>> 8) & 0xff)] as number) ^
      (t[1280 + ((low >>> 16) & 0xff)] as number) ^
      (t[1024 + (low >>> 24)] as number) ^
      (t[768 + (buf[i + 4] as number)] as number) ^
      (t[512 + (buf[i + 5] as number)] as number) ^
      (t[256 + (buf[i + 6] as number)] as number) ^
      (t[buf[i + 7] as number] as number);
  }
  for (; i < end; i++) crc = (t[(crc ^ (buf[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** A Kafka STRING (int16 length, UTF-8; -1 for null); returns the next offset. */
export function writeString(buf: Buffer, offset: number, value: string | null): number {
  if (value === null) return buf.writeInt16BE(-1, offset);
  const length = Buffer.byteLength(value);
  const start = buf.writeInt16BE(length, offset);
  return start + buf.write(value, start, length, 'utf8');
}
