// KafkaPublisher on a fake producer: its bound, and what it tells its bus.
import { MockClient } from '@confluentinc/schemaregistry';
import type { Admin, Message, Producer } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { SAMPLES } from '../../test/helpers/topic-samples.js';
import { AvroTopicSerde } from './avro-serde.js';
import { OrderStamps, PROGRESS_HEADER, TIME_HEADER } from './ingest-order.js';
import { KafkaPublisher, type PublisherHost } from './kafka-publisher.js';
import { committedSchemaOf } from './open-kafka-bus.js';

const [signal] = SAMPLES['signal.v1'];
const [book] = SAMPLES['pm.book'];

/** A host that counts what it is told. */
function countingHost(): PublisherHost & { told: { queued: number; acknowledged: number; backlogged: number; relieved: number; failures: unknown[] } } {
  const told = { queued: 0, acknowledged: 0, backlogged: 0, relieved: 0, failures: [] as unknown[] };
  return {
    told,
    queued: () => void told.queued++,
    acknowledged: (n) => void (told.acknowledged += n),
    backlogged: () => void told.backlogged++,
    relieved: () => void told.relieved++,
    givenUp: () => undefined,
    failed: (err) => void told.failures.push(err),
  };
}

function publisher(
  sendBatch: (request: { compression?: number; topicMessages?: { topic: string; messages: Message[] }[] }) => Promise<void>,
  host: PublisherHost,
  bounds: { highWater: number; maxQueued: number },
  compression = 0,
  markers?: { partitions: number; promptMs: number },
): KafkaPublisher {
  const admin = {
    listTopics: () => Promise.resolve(['pm.book', 'pm.trade']),
    fetchTopicMetadata: ({ topics }: { topics: string[] }) => Promise.resolve({ topics: topics.map((name) => ({ name, partitions: Array.from({ length: markers?.partitions ?? 0 }, (_, i) => ({ partitionId: i })) })) }),
  } as unknown as Admin;
  const producer = { sendBatch, send: async () => undefined, connect: async () => undefined, disconnect: async () => undefined } as unknown as Producer;
  return new KafkaPublisher(
    producer,
    {
      serde: new AvroTopicSerde({ client: new MockClient({ baseURLs: ['mock://'] }), schemaOf: committedSchemaOf }),
      kafkaTopic: (t) => t,
      batchSize: 100,
      compression,
      ...bounds,
      stamps: markers === undefined ? undefined : new OrderStamps(1000),
      progressIntervalMs: markers === undefined ? 0 : 100,
      progressPromptMs: markers?.promptMs,
      admin: () => (markers === undefined ? Promise.reject(new Error('no admin here')) : Promise.resolve(admin)),
    },
    host,
  );
}

describe('KafkaPublisher', () => {
  it('fails, instead of growing, once maxQueued records wait for a broker that does not answer', async () => {
    const host = countingHost();
    const p = publisher(() => new Promise<void>(() => undefined), host, { highWater: 500, maxQueued: 1_000 });
    for (let i = 0; i < 5_000; i++) {
      p.enqueue({ topic: 'signal.v1', key: signal!.assetId, value: { ...signal!, id: `s${i}` }, seq: undefined });
      // The first request goes out (and hangs) while the rest queue.
      if (i === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // 1 in the hanging request, then 1,000 queued; the rest refused.
    expect(host.told.queued).toBe(1_001);
    expect(host.told.backlogged).toBeGreaterThan(0);
    expect(host.told.failures).toHaveLength(1);
    expect(host.told.failures[0]).toMatchObject({ code: 'KAFKA_BACKLOG' });
    await expect(p.flush()).rejects.toThrow(/1000 published records wait for the broker \(kafka\.maxQueuedRecords\)/);
    expect(p.pressure).toBe(true);
  });

  it('tells its host what the broker acknowledged, and when the queue is relieved', async () => {
    const host = countingHost();
    const p = publisher(async () => undefined, host, { highWater: 10, maxQueued: 1_000 });
    for (let i = 0; i < 250; i++) p.enqueue({ topic: 'signal.v1', key: signal!.assetId, value: { ...signal!, id: `s${i}` }, seq: undefined });
    expect(p.idle).toBe(false);
    await p.flush();
    expect(p.idle).toBe(true);
    expect(host.told).toMatchObject({ queued: 250, acknowledged: 250, failures: [] });
    expect(host.told.relieved).toBeGreaterThan(0);
    expect(p.acked.get('signal.v1')).toBe(250);
  });

  it('compresses every produce request as configured (kafka.compression)', async () => {
    const seen: (number | undefined)[] = [];
    const gzip = 1;
    const p = publisher(async (request) => void seen.push(request.compression), countingHost(), { highWater: 10, maxQueued: 1_000 }, gzip);
    for (let i = 0; i < 150; i++) p.enqueue({ topic: 'signal.v1', key: signal!.assetId, value: { ...signal!, id: `s${i}` }, seq: undefined });
    await p.flush();
    expect(seen).toEqual([gzip, gzip]);
  });

  it('sends a round of progress markers in the produce request of the books it covers, after them, at most one round per progressPromptMs', async () => {
    const requests: string[][] = [];
    const shown = (topic: string, m: Message): string =>
      m.value === null ? `${topic}/${String(m.partition)} marker@${String(m.headers?.[PROGRESS_HEADER])}` : `${topic} record@${String(m.headers?.[TIME_HEADER])}`;
    const send = async (request: { topicMessages?: { topic: string; messages: Message[] }[] }): Promise<void> =>
      void requests.push((request.topicMessages ?? []).flatMap(({ topic, messages }) => messages.map((m) => shown(topic, m))));
    const host = countingHost();
    const p = publisher(send, host, { highWater: 10, maxQueued: 1_000 }, 0, { partitions: 2, promptMs: 50 });
    p.enqueue({ topic: 'pm.book', key: book!.assetId, value: { ...book!, recvTs: 5_000 }, seq: undefined });
    await p.flush();
    expect(requests).toEqual([['pm.book record@5000', 'pm.book/0 marker@4999', 'pm.book/1 marker@4999', 'pm.trade/0 marker@4999', 'pm.trade/1 marker@4999']]);
    // The markers rode along: the host is told of the one record it queued.
    expect(host.told.acknowledged).toBe(1);
    expect(p.acked.get('pm.book')).toBe(1);
    // A book sooner than 50 ms after the round goes alone; its round follows once 50 ms are up.
    p.enqueue({ topic: 'pm.book', key: book!.assetId, value: { ...book!, recvTs: 5_010 }, seq: undefined });
    await p.flush();
    expect(requests[1]).toEqual(['pm.book record@5010']);
    await sleep(80);
    await p.flush();
    expect(requests.slice(2)).toEqual([['pm.book/0 marker@5009', 'pm.book/1 marker@5009', 'pm.trade/0 marker@5009', 'pm.trade/1 marker@5009']]);
    expect(host.told.acknowledged).toBe(6);
  });
});
