// KafkaPublisher on a fake producer: its bound, and what it tells its bus.
import { MockClient } from '@confluentinc/schemaregistry';
import type { Producer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { SAMPLES } from '../../test/helpers/topic-samples.js';
import { AvroTopicSerde } from './avro-serde.js';
import { KafkaPublisher, type PublisherHost } from './kafka-publisher.js';
import { committedSchemaOf } from './open-kafka-bus.js';

const [signal] = SAMPLES['signal.v1'];

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

function publisher(sendBatch: (request: { compression?: number }) => Promise<void>, host: PublisherHost, bounds: { highWater: number; maxQueued: number }, compression = 0): KafkaPublisher {
  const producer = { sendBatch, send: async () => undefined, connect: async () => undefined, disconnect: async () => undefined } as unknown as Producer;
  return new KafkaPublisher(
    producer,
    {
      serde: new AvroTopicSerde({ client: new MockClient({ baseURLs: ['mock://'] }), schemaOf: committedSchemaOf }),
      kafkaTopic: (t) => t,
      batchSize: 100,
      compression,
      ...bounds,
      stamps: undefined,
      progressIntervalMs: 0,
      admin: () => Promise.reject(new Error('no admin here')),
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
});
