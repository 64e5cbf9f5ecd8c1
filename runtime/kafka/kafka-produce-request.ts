/**
 * The body of a Produce request (v3 to v7: they share it) written once into a buffer of its exact
 * size: one uncompressed record batch per partition, its CRC-32C computed over the written bytes.
 */
import { crc32c, planRecord, writeRecordAt, writeString, type RecordInput, type RecordPlan } from './kafka-record-codec.js';

const MAGIC_BYTE = 2;
const TRANSACTIONAL_FLAG = 0x10;
/** Record set bytes before the records: base offset, batch length, the batch header and the record count. */
const BATCH_OVERHEAD = 61;

/** One partition's records, planned, and their total size. */
interface PlannedBatch {
  readonly plans: RecordPlan[];
  size: number;
}

/** A message as kafkajs's producer passes it down (after partitioning). */
export interface ProduceMessage extends RecordInput {
  timestamp?: unknown;
}

export interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null | undefined;
  /** A kafkajs Long, a number or a decimal string. */
  producerId?: { toString(): string } | number | string | undefined;
  producerEpoch?: number | undefined;
  topicData: ReadonlyArray<{ topic: string; partitions: ReadonlyArray<{ partition: number; firstSequence?: number | undefined; messages: readonly ProduceMessage[] }> }>;
}

/**
 * The request body, starting `headroom` bytes into its buffer so that the request's size and header
 * can be written in front of it without a copy; undefined when a message carries its own timestamp
 * or a field only kafkajs's encoder takes (planRecord): kafkajs then encodes the whole request.
 */
export function writeProduceRequest(args: ProduceArgs, now: number, headroom: number): { buf: Buffer; start: number } | undefined {
  const { acks, timeout, transactionalId = null, producerId = -1, producerEpoch = 0, topicData } = args;
  /** Per topic, per partition. */
  const batches: PlannedBatch[][] = [];
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId)) + 2 + 4 + 4;
  for (const { topic, partitions } of topicData) {
    const topicBatches: PlannedBatch[] = [];
    size += 2 + Buffer.byteLength(topic) + 4;
    for (const { messages } of partitions) {
      const batch: PlannedBatch = { plans: [], size: 0 };
      for (let i = 0; i < messages.length; i++) {
        const message = messages[i] as ProduceMessage;
        if (message.timestamp !== undefined && message.timestamp !== null) return undefined;
        const plan = planRecord({ key: message.key, value: message.value, headers: message.headers, offsetDelta: i, timestampDelta: 0 });
        if (plan === undefined) return undefined;
        batch.plans.push(plan);
        batch.size += plan.size;
      }
      size += 8 + BATCH_OVERHEAD + batch.size;
      topicBatches.push(batch);
    }
    batches.push(topicBatches);
  }
  const buf = Buffer.allocUnsafe(headroom + size);
  let offset = writeString(buf, headroom, transactionalId);
  offset = buf.writeInt16BE(acks, offset);
  offset = buf.writeInt32BE(timeout, offset);
  offset = buf.writeInt32BE(topicData.length, offset);
  const attributes = transactionalId ? TRANSACTIONAL_FLAG : 0;
  const producer = BigInt(String(producerId));
  topicData.forEach(({ topic, partitions }, t) => {
    offset = writeString(buf, offset, topic);
    offset = buf.writeInt32BE(partitions.length, offset);
    partitions.forEach(({ partition, firstSequence = 0 }, p) => {
      const { plans: records, size: recordsSize } = (batches[t] as PlannedBatch[])[p] as PlannedBatch;
      offset = buf.writeInt32BE(partition, offset);
      offset = buf.writeInt32BE(BATCH_OVERHEAD + recordsSize, offset);
      offset = buf.writeBigInt64BE(0n, offset);
      offset = buf.writeInt32BE(BATCH_OVERHEAD - 12 + recordsSize, offset);
      offset = buf.writeInt32BE(0, offset);
      offset = buf.writeInt8(MAGIC_BYTE, offset);
      const crcAt = offset;
      const crcFrom = crcAt + 4;
      offset = buf.writeInt16BE(attributes, crcFrom);
      offset = buf.writeInt32BE(records.length - 1, offset);
      offset = buf.writeBigInt64BE(BigInt(now), offset);
      offset = buf.writeBigInt64BE(BigInt(now), offset);
      offset = buf.writeBigInt64BE(producer, offset);
      offset = buf.writeInt16BE(producerEpoch, offset);
      offset = buf.writeInt32BE(firstSequence, offset);
      offset = buf.writeInt32BE(records.length, offset);
      for (const plan of records) offset = writeRecordAt(buf, offset, plan);
      buf.writeUInt32BE(crc32c(buf, crcFrom, offset), crcAt);
    });
  });
  return { buf, start: headroom };
}
