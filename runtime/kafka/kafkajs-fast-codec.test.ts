import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

// kafkajs's own functions, loaded before the fast codec replaces them in the module cache; outputs
// that depend on the Encoder's methods are taken before the codec patches them too.
const require = createRequire(import.meta.url);
type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any
const Encoder = require('kafkajs/src/protocol/encoder.js') as { new (): { buffer: Buffer; writeVarInt(v: number): unknown; writeUVarInt(v: number): unknown; writeVarLong(v: unknown): unknown } };
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => { offset: number };
const Long = require('kafkajs/src/utils/long.js') as { fromString(value: string): unknown; fromValue(value: number): unknown };
const { Types: Compression } = require('kafkajs/src/protocol/message/compression/index.js') as { Types: { None: number; GZIP: number } };
const stock = {
  record: require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as Fn,
  recordBatch: (require('kafkajs/src/protocol/recordBatch/v0/index.js') as { RecordBatch: Fn }).RecordBatch,
  produce: require('kafkajs/src/protocol/requests/produce/v3/request.js') as Fn,
  request: require('kafkajs/src/protocol/request.js') as Fn,
  batchDecoder: require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as Fn,
  group: require('kafkajs/src/producer/groupMessagesPerPartition.js') as Fn,
  crc32C: require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Buffer) => number,
};

const NOW = 1_733_400_000_123;
vi.spyOn(Date, 'now').mockReturnValue(NOW);
afterAll(() => vi.restoreAllMocks());

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const next = random(7);
const bytes = (length: number): Buffer => Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
const messages = (count: number) =>
  Array.from({ length: count }, (_, i) => ({
    key: i % 5 === 0 ? null : i % 2 === 0 ? `asset-${i}` : bytes(1 + (i % 40)),
    value: i % 7 === 0 ? null : i % 3 === 0 ? `värde ${i} ✓` : bytes(i === 3 ? 20_000 : 1 + Math.floor(next() * 900)),
    headers: i % 4 === 0 ? {} : { 'polyflow-seq': String(i), 'polyflow-order': Buffer.from([i % 256, 1]), repeated: ['a', Buffer.from('b')] },
  }));
const produceArgs = {
  acks: -1,
  timeout: 30_000,
  topicData: [
    { topic: 'pm.book', partitions: [{ partition: 0, messages: messages(120) }, { partition: 3, firstSequence: 17, messages: messages(1) }] },
    { topic: 'features.v1', partitions: [{ partition: 1, messages: messages(300) }] },
  ],
};
/** Produce requests with the transactional bit, a Long producer id, an epoch and sequences. */
const transactionalArgs = { ...produceArgs, transactionalId: 'tx-1', producerId: Long.fromValue(12_345), producerEpoch: 3 };
/** Records as kafkajs's compressing path encodes them one by one: deltas of every size. */
const recordInputs = [0, -5, 2 ** 31 + 7, -(2 ** 40), 2 ** 52 - 1, 2 ** 53].map((timestampDelta, i) => ({ ...(messages(7)[i % 7] as object), offsetDelta: i * 70_000, timestampDelta }));
const varints = [0, 1, -1, 63, -64, 64, 127, 128, 8191, 8192, 2 ** 20, -(2 ** 20), 2 ** 31 - 1, -(2 ** 31)];
const varlongs = [...varints, 2 ** 40, -(2 ** 40), 2 ** 52 - 1, -(2 ** 52 - 1), 2 ** 53, Long.fromString('-9223372036854775808')];

const frame = async (request: Fn, produce: Fn, args: unknown): Promise<Buffer> =>
  ((await request({ correlationId: 41, clientId: 'polyflow-test', request: produce(args) })) as { buffer: Buffer }).buffer;
const encodeWith = (method: 'writeVarInt' | 'writeUVarInt' | 'writeVarLong', values: unknown[]): Buffer[] =>
  values.map((value) => {
    const encoder = new Encoder();
    (encoder[method] as (v: unknown) => unknown)(value);
    return encoder.buffer;
  });

/** Record batches to decode: several records, LOG_APPEND_TIME, a control batch, offsets past 2^32, GZIP, offsets past 2^53. */
async function batches(): Promise<{ plain: Buffer; logAppendTime: Buffer; control: Buffer; far: Buffer; twoInARow: Buffer; gzip: Buffer; beyondDouble: Buffer }> {
  const batch = async (opts: { firstOffset: string; compression?: number; records: number; timestampStep: number }): Promise<Buffer> => {
    const records = messages(opts.records).map((message, i) => stock.record({ ...message, offsetDelta: i, timestampDelta: i * opts.timestampStep }));
    const encoded = (await stock.recordBatch({ compression: opts.compression ?? Compression.None, firstOffset: Long.fromString(opts.firstOffset), firstTimestamp: NOW, maxTimestamp: NOW + 99, records, lastOffsetDelta: records.length - 1 })) as { buffer: Buffer };
    return encoded.buffer;
  };
  const plain = await batch({ firstOffset: '0', records: 50, timestampStep: 3 });
  const far = await batch({ firstOffset: '5000000000', records: 20, timestampStep: -2 });
  /** Sets attribute bits of a batch (timestamp type, control) and writes its CRC-32C again, as a broker or another client would have written it. */
  const withAttributes = (buffer: Buffer, bits: number): Buffer => {
    const copy = Buffer.from(buffer);
    copy.writeInt16BE(copy.readInt16BE(21) | bits, 21);
    copy.writeUInt32BE(stock.crc32C(copy.subarray(21)) >>> 0, 17);
    return copy;
  };
  // A transaction's commit marker: key (version 0, type 1 = commit), value (version 0, coordinator epoch 5).
  const commitMarker = stock.record({ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 5]), headers: {}, offsetDelta: 0, timestampDelta: 0 });
  const control = (await stock.recordBatch({
    compression: Compression.None,
    firstOffset: Long.fromString('77'),
    firstTimestamp: NOW,
    maxTimestamp: NOW,
    transactional: true,
    producerId: Long.fromValue(4242),
    producerEpoch: 2,
    records: [commitMarker],
    lastOffsetDelta: 0,
  })) as { buffer: Buffer };
  return {
    plain,
    logAppendTime: withAttributes(plain, 0x8),
    control: withAttributes(control.buffer, 0x20),
    far,
    twoInARow: Buffer.concat([plain, far]),
    gzip: await batch({ firstOffset: '12', compression: Compression.GZIP, records: 10, timestampStep: 1 }),
    beyondDouble: await batch({ firstOffset: '9007199254740993', records: 5, timestampStep: 1 }),
  };
}

const expected = {
  framed: await frame(stock.request, stock.produce, produceArgs),
  transactional: await frame(stock.request, stock.produce, transactionalArgs),
  longClientId: ((await stock.request({ correlationId: 5, clientId: 'c'.repeat(300), request: stock.produce(produceArgs) })) as { buffer: Buffer }).buffer,
  records: recordInputs.map((input) => (stock.record(input) as { buffer: Buffer }).buffer),
  varInt: encodeWith('writeVarInt', varints),
  uVarInt: encodeWith('writeUVarInt', varints),
  varLong: encodeWith('writeVarLong', varlongs),
  batches: await batches(),
};
const { installFastKafkajsCodec } = await import('./kafkajs-fast-codec.js');
const { crc32c } = await import('./kafka-record-codec.js');
const { readRecordBatch } = await import('./kafka-batch-reader.js');
const fast = {
  record: require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as Fn,
  produce: require('kafkajs/src/protocol/requests/produce/v3/request.js') as Fn,
  request: require('kafkajs/src/protocol/request.js') as Fn,
  batchDecoder: require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as Fn,
  group: require('kafkajs/src/producer/groupMessagesPerPartition.js') as Fn,
};

describe('fast kafkajs codec', () => {
  it('is installed into the module cache in place of kafkajs 2.2.4 functions', () => {
    expect(installFastKafkajsCodec()).toBe('installed');
    for (const name of ['produce', 'request', 'batchDecoder', 'group'] as const) expect(fast[name]).not.toBe(stock[name]);
  });

  it('frames a produce request byte for byte as kafkajs does: 421 records, headers, nulls, UTF-8, a 20 kB value', async () => {
    const framed = await frame(fast.request, fast.produce, produceArgs);
    expect(framed.length).toBe(expected.framed.length);
    expect(framed.equals(expected.framed)).toBe(true);
  });

  it('frames transactional requests (attribute bit, Long producer id, epoch) and a client id past the headroom as kafkajs does', async () => {
    expect((await frame(fast.request, fast.produce, transactionalArgs)).equals(expected.transactional)).toBe(true);
    const framed = ((await fast.request({ correlationId: 5, clientId: 'c'.repeat(300), request: fast.produce(produceArgs) })) as { buffer: Buffer }).buffer;
    expect(framed.equals(expected.longClientId)).toBe(true);
  });

  it("encodes single records (kafkajs's compressing path) as kafkajs does, at every delta size", () => {
    expect(fast.record).not.toBe(stock.record);
    recordInputs.forEach((input, i) => expect((fast.record(input) as { buffer: Buffer }).buffer.equals(expected.records[i] as Buffer), `record ${i}`).toBe(true));
  });

  it('frames other requests, and produce requests it leaves to kafkajs (compression, message timestamps), as kafkajs does', async () => {
    const stamped = { ...produceArgs, topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v', timestamp: NOW - 5 }] }] }] };
    expect((await frame(fast.request, fast.produce, stamped)).equals(await frame(stock.request, stock.produce, stamped))).toBe(true);
    const gzip = { ...produceArgs, compression: Compression.GZIP };
    const fastGzip = await frame(fast.request, fast.produce, gzip);
    expect(fastGzip.equals(await frame(stock.request, stock.produce, gzip))).toBe(true);
    expect(fastGzip.length).toBeLessThan(expected.framed.length);
    const metadata = { apiKey: 3, apiVersion: 5, encode: async () => new Encoder().writeVarInt(300) };
    const framed = await fast.request({ correlationId: 9, clientId: 'c', request: metadata });
    const reference = await stock.request({ correlationId: 9, clientId: 'c', request: metadata });
    expect((framed as { buffer: Buffer }).buffer.equals((reference as { buffer: Buffer }).buffer)).toBe(true);
  });

  it("writes varints and varlongs as kafkajs's Encoder did before the patch", () => {
    expect(encodeWith('writeVarInt', varints)).toEqual(expected.varInt);
    expect(encodeWith('writeUVarInt', varints)).toEqual(expected.uVarInt);
    expect(encodeWith('writeVarLong', varlongs)).toEqual(expected.varLong);
  });

  it('decodes record batches into the objects kafkajs gives, and leaves the read position where kafkajs does', async () => {
    for (const [name, buffer] of Object.entries(expected.batches)) {
      const [ours, theirs] = [new Decoder(buffer), new Decoder(buffer)];
      const decoded = [await fast.batchDecoder(ours)];
      const reference = [await stock.batchDecoder(theirs)];
      if (name === 'twoInARow') {
        decoded.push(await fast.batchDecoder(ours));
        reference.push(await stock.batchDecoder(theirs));
      }
      expect(decoded, name).toEqual(reference);
      expect(ours.offset, name).toBe(theirs.offset);
    }
    const records = (await fast.batchDecoder(new Decoder(expected.batches.far))).records as Array<{ offset: string; timestamp: string }>;
    expect(records.map((r) => r.offset).slice(0, 3)).toEqual(['5000000000', '5000000001', '5000000002']);
    expect(records[2]?.timestamp).toBe(String(NOW - 4));
  });

  it('decodes LOG_APPEND_TIME batches and transactional control batches (as other clients and brokers write them) as kafkajs does', async () => {
    const { plain, logAppendTime, control } = expected.batches;
    // The CRC-32C rewritten after the attributes changed covers what kafkajs's covers (attributes on).
    expect(stock.crc32C(plain.subarray(21)) >>> 0).toBe(plain.readUInt32BE(17));
    for (const [name, buffer] of Object.entries({ logAppendTime, control })) {
      // Read by the fast reader itself, not handed back to kafkajs's decoder.
      expect(readRecordBatch(buffer, 0).kind, name).toBe('batch');
      const decoded = await fast.batchDecoder(new Decoder(buffer));
      expect(decoded, name).toEqual(await stock.batchDecoder(new Decoder(buffer)));
    }
    const appended = (await fast.batchDecoder(new Decoder(logAppendTime))) as { timestampType: number; records: Array<{ timestamp: string }> };
    // The broker's append time stands for every record's own.
    expect(appended.timestampType).toBe(1);
    expect(new Set(appended.records.map((r) => r.timestamp))).toEqual(new Set([String(NOW + 99)]));
    const marker = (await fast.batchDecoder(new Decoder(control))) as { isControlBatch: boolean; inTransaction: boolean; producerId: string; records: Array<{ isControlRecord: boolean }> };
    expect([marker.isControlBatch, marker.inTransaction, marker.producerId]).toEqual([true, true, '4242']);
    expect(marker.records.map((r) => r.isControlRecord)).toEqual([true]);
  });

  it('decodes headers named after Object.prototype members as own properties', async () => {
    const headers = {};
    for (const [name, value] of [['__proto__', 'p'], ['constructor', 'c']] as const) Object.defineProperty(headers, name, { value, enumerable: true });
    const record = stock.record({ key: 'k', value: 'v', headers, offsetDelta: 0, timestampDelta: 0 });
    const batch = (await stock.recordBatch({ firstOffset: Long.fromValue(0), firstTimestamp: NOW, maxTimestamp: NOW, records: [record], lastOffsetDelta: 0 })) as { buffer: Buffer };
    const [decoded] = (await fast.batchDecoder(new Decoder(batch.buffer))).records as Array<{ headers: Record<string, Buffer> }>;
    expect(Object.getPrototypeOf(decoded?.headers)).toBe(Object.prototype);
    expect(Object.keys(decoded?.headers ?? {})).toEqual(['__proto__', 'constructor']);
    expect(Object.values(decoded?.headers ?? {}).map(String)).toEqual(['p', 'c']);
  });

  it('throws the partial-batch error that ends a fetch response, as kafkajs does', async () => {
    const truncated = expected.batches.plain.subarray(0, 300);
    await expect(fast.batchDecoder(new Decoder(truncated))).rejects.toMatchObject({ name: 'KafkaJSPartialMessageError' });
    await expect(stock.batchDecoder(new Decoder(truncated))).rejects.toMatchObject({ name: 'KafkaJSPartialMessageError' });
  });

  it('groups messages by partition, in order, as kafkajs does', () => {
    const all = messages(200);
    const args = { topic: 't', partitionMetadata: [{}, {}, {}], messages: all, partitioner: ({ message }: { message: { key: unknown } }) => all.indexOf(message as never) % 3 };
    expect(fast.group(args)).toEqual(stock.group(args));
    expect(fast.group({ ...args, partitionMetadata: [] })).toEqual({});
  });

  it('keeps pending seeks as kafkajs does (set, has, pop), with a cheaper key', () => {
    const SeekOffsets = require('kafkajs/src/consumer/seekOffsets.js') as new () => { getKey(t: string, p: number): string; set(t: string, p: number, o: string): void; has(t: string, p: number): boolean; pop(t: string, p: number): unknown };
    const seeks = new SeekOffsets();
    expect(seeks.getKey('t', 0)).toBe('t\u00000');
    expect(seeks.has('t', 0)).toBe(false);
    seeks.set('t', 0, '5');
    seeks.set('t.x', 10, '7');
    expect([seeks.has('t', 0), seeks.has('t', 1), seeks.has('t.x', 10), seeks.has('t.x', 1)]).toEqual([true, false, true, false]);
    expect(seeks.pop('t', 0)).toEqual({ topic: 't', partition: 0, offset: '5' });
    expect(seeks.has('t', 0)).toBe(false);
    expect(seeks.pop('t', 0)).toBeUndefined();
  });

  it('computes the CRC-32C kafkajs computes, at every length and alignment', () => {
    const data = bytes(300);
    for (let start = 0; start < 9; start++) for (let end = start; end < 300; end += 13) expect(crc32c(data, start, end)).toBe(stock.crc32C(data.subarray(start, end)));
    expect(crc32c(Buffer.from('123456789'), 0, 9)).toBe(0xe3069283);
  });

  it("is the only way in: no source but runtime/kafka/kafkajs.ts imports kafkajs's values (a type-only import loads nothing)", () => {
    const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../..');
    const sources = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
    const importers = ['runtime', 'pipelines', 'bin', 'bench', 'test', 'sinks', 'sources', 'api']
      .flatMap(sources)
      .filter((file) => /^(import|export) (?!type )[^;]*from 'kafkajs';/m.test(readFileSync(join(root, file), 'utf8')));
    expect(importers).toEqual([join('runtime', 'kafka', 'kafkajs.ts')]);
  });
});
