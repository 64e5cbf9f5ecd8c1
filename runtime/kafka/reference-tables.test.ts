// ReferenceTables on a fake kafkajs client: load() waits for the rows it found at the start, also
// when the first read of their offsets fails for a moment, and says why when it cannot read them.
import { MockClient } from '@confluentinc/schemaregistry';
import type { Admin, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { MarketId } from '../../schemas/ids.js';
import type { TopicName } from '../../schemas/topics.js';
import { SAMPLES } from '../../test/helpers/topic-samples.js';
import { AvroTopicSerde } from './avro-serde.js';
import { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSTopicMetadataNotLoaded } from './kafkajs.js';
import { committedSchemaOf } from './open-kafka-bus.js';
import { ReferenceTables } from './reference-tables.js';

const META = 'p.pm.market.meta';

/** A client whose admin answers the offset reads with `reads` in turn (an error is thrown), and whose consumer hands `rows` over once it runs. */
function fakeClient(reads: (Error | number)[], rows: Buffer[]): { kafka: Kafka; offsetReads: () => number } {
  let offsetReads = 0;
  const admin = {
    fetchTopicOffsets: async () => {
      const answer = reads[Math.min(offsetReads++, reads.length - 1)];
      if (answer instanceof Error) throw answer;
      return [{ partition: 0, offset: String(answer), high: String(answer), low: '0' }];
    },
  } as unknown as Admin;
  const consumer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    subscribe: async () => undefined,
    run: async ({ eachBatch }: { eachBatch: (payload: EachBatchPayload) => Promise<void> }) => {
      const messages = rows.map((value, offset) => ({ key: Buffer.from(`m${offset}`), value, offset: String(offset), headers: {} }) as unknown as KafkaMessage);
      const batch = { topic: META, partition: 0, messages, lastOffset: () => String(rows.length - 1) };
      // As kafkajs: the batch comes after run() resolved.
      setTimeout(() => void eachBatch({ batch, heartbeat: async () => undefined } as unknown as EachBatchPayload), 5);
    },
  };
  return { kafka: { consumer: () => consumer, admin: () => admin } as unknown as Kafka, offsetReads: () => offsetReads };
}

async function tables(reads: (Error | number)[]): Promise<{ load: Promise<number>; delivered: unknown[]; offsetReads: () => number }> {
  const serde = new AvroTopicSerde({ client: new MockClient({ baseURLs: ['mock://'] }), schemaOf: committedSchemaOf });
  const [meta] = SAMPLES['pm.market.meta'];
  const metas = [meta!, { ...meta!, market: `${meta!.market}2` as MarketId }];
  const rows = await Promise.all(metas.map((m) => serde.serialize('pm.market.meta', m)));
  const { kafka, offsetReads } = fakeClient(reads, rows);
  const delivered: unknown[] = [];
  const reference = new ReferenceTables({
    kafka,
    groupId: 'g',
    topics: ['pm.market.meta'],
    kafkaTopic: (t: TopicName) => `p.${t}`,
    serde,
    admin: async () => kafka.admin(),
    fetchMaxWaitMs: 5,
    sessionTimeoutMs: 10_000,
    deliver: (_topic, value) => void delivered.push(value),
    undecodable: () => undefined,
  });
  return { load: reference.load(5_000), delivered, offsetReads };
}

describe('ReferenceTables.load', () => {
  it('reads the offsets again when the client had no metadata yet, and waits for the rows there', async () => {
    const run = await tables([new KafkaJSTopicMetadataNotLoaded('Topic metadata not loaded'), 2]);
    await expect(run.load).resolves.toBe(2);
    expect(run.offsetReads()).toBe(2);
    // Taken for a missing topic, the load ended before its rows: the operators saw books before their markets.
    expect(run.delivered).toHaveLength(2);
  });

  it('loads nothing from a topic the broker does not know, also once kafkajs gave up on it', async () => {
    // As kafkajs makes it from the broker's error code 3.
    const unknown = new KafkaJSProtocolError(Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true }));
    for (const err of [unknown, new KafkaJSNumberOfRetriesExceeded(unknown, { retryCount: 5, retryTime: 1000 })]) {
      const run = await tables([err]);
      await expect(run.load).resolves.toBe(0);
      expect(run.offsetReads()).toBe(1);
    }
  });

  it('fails with the topic and the reason when the offsets cannot be read', async () => {
    const run = await tables([new KafkaJSNonRetriableError('not authorized')]);
    await expect(run.load).rejects.toMatchObject({ code: 'KAFKA_TABLE_OFFSETS', message: expect.stringMatching(/reference topic p\.pm\.market\.meta: not authorized/) });
    expect(run.offsetReads()).toBe(1);
  });
});
