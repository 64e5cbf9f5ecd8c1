// KafkaPublisher on a fake producer: its bound, and what it tells its bus.
import { MockClient } from '@confluentinc/schemaregistry';
import type { Admin, Message, Producer } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
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
  markers?: { partitions: number; promptMs: number; batchSize?: number },
): KafkaPublisher {
  const admin = {
    listTopics: () => Promise.resolve(['pm.book', 'pm.trade', 'pm.resolution']),
    fetchTopicMetadata: ({ topics }: { topics: string[] }) => Promise.resolve({ topics: topics.map((name) => ({ name, partitions: Array.from({ length: markers?.partitions ?? 0 }, (_, i) => ({ partitionId: i })) })) }),
  } as unknown as Admin;
  const producer = { sendBatch, send: async () => undefined, connect: async () => undefined, disconnect: async () => undefined } as unknown as Producer;
  return new KafkaPublisher(
    producer,
    {
      serde: new AvroTopicSerde({ client: new MockClient({ baseURLs: ['mock://'] }), schemaOf: committedSchemaOf }),
      kafkaTopic: (t) => t,
      batchSize: markers?.batchSize ?? 100,
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

  describe('with progress markers', () => {
    beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] }));
    afterEach(() => vi.useRealTimers());

    /** A publisher of books with markers on (2 partitions per stamped topic), whose requests are recorded as text. */
    function bookPublisher(opts: { promptMs: number; batchSize?: number; sendGate?: () => Promise<void> }) {
      const requests: string[][] = [];
      const shown = (topic: string, m: Message): string =>
        m.value === null ? `${topic}/${String(m.partition)} marker@${String(m.headers?.[PROGRESS_HEADER])}` : `${topic} record@${String(m.headers?.[TIME_HEADER])}`;
      const send = async (request: { topicMessages?: { topic: string; messages: Message[] }[] }): Promise<void> => {
        requests.push((request.topicMessages ?? []).flatMap(({ topic, messages }) => messages.map((m) => shown(topic, m))));
        await opts.sendGate?.();
      };
      const host = countingHost();
      const p = publisher(send, host, { highWater: 10, maxQueued: 1_000 }, 0, { partitions: 2, ...opts });
      const publishBook = (recvTs: number): void => p.enqueue({ topic: 'pm.book', key: book!.assetId, value: { ...book!, recvTs }, seq: undefined });
      const round = (at: number): string[] => ['pm.book', 'pm.trade', 'pm.resolution'].flatMap((t) => [`${t}/0 marker@${at}`, `${t}/1 marker@${at}`]);
      return { requests, host, p, publishBook, round };
    }

    it('sends a round in the produce request of the books it covers, after them, one round per progressPromptMs (two within it after a quieter spell)', async () => {
      const { requests, host, p, publishBook, round } = bookPublisher({ promptMs: 50 });
      publishBook(5_000);
      await p.flush();
      // The partitions are not known yet: the first round follows on its own.
      await vi.advanceTimersByTimeAsync(0);
      await p.flush();
      expect(requests).toEqual([['pm.book record@5000'], round(4_999)]);
      // Due and known: the round rides with the book; the host is told of the one record it queued.
      await vi.advanceTimersByTimeAsync(60);
      publishBook(5_060);
      await p.flush();
      expect(requests[2]).toEqual(['pm.book record@5060', ...round(5_059)]);
      expect(host.told.acknowledged).toBe(1 + 6 + 1);
      expect(p.acked.get('pm.book')).toBe(2);
      // The rounds went more than 50 ms apart: a second may go within 50 ms, riding with the next book.
      await vi.advanceTimersByTimeAsync(10);
      publishBook(5_070);
      await p.flush();
      expect(requests[3]).toEqual(['pm.book record@5070', ...round(5_069)]);
      // A third may not: the book goes alone, and its round follows once the rounds are back to one per 50 ms.
      await vi.advanceTimersByTimeAsync(10);
      publishBook(5_080);
      await p.flush();
      expect(requests[4]).toEqual(['pm.book record@5080']);
      await vi.advanceTimersByTimeAsync(29);
      expect(requests).toHaveLength(5);
      await vi.advanceTimersByTimeAsync(1);
      await p.flush();
      expect(requests.slice(5)).toEqual([round(5_079)]);
    });

    it('does not send a queued round that a round riding with later records overtook: a partition\'s progress never goes back', async () => {
      let open = (): void => undefined;
      let gate: Promise<void> | undefined;
      const { requests, p, publishBook, round } = bookPublisher({ promptMs: 50, batchSize: 1, sendGate: () => gate ?? Promise.resolve() });
      publishBook(1_000);
      await p.flush();
      await vi.advanceTimersByTimeAsync(0);
      await p.flush();
      expect(requests).toEqual([['pm.book record@1000'], ...round(999).map((m) => [m])]);
      // A second round may go within 50 ms (the first after a quiet spell): it rides with the next book.
      await vi.advanceTimersByTimeAsync(5);
      publishBook(1_005);
      await p.flush();
      expect(requests.slice(7)).toEqual([['pm.book record@1005', ...round(1_004)]]);
      requests.length = 0;
      // The broker stalls on the next book: two more wait behind it, and the timed round due meanwhile queues after them.
      gate = new Promise<void>((resolve) => (open = resolve));
      await vi.advanceTimersByTimeAsync(5);
      publishBook(1_010);
      await new Promise((resolve) => setImmediate(resolve));
      publishBook(1_020);
      publishBook(1_030);
      // The timed round (1009) is queued 50 ms after the first; 70 ms after it, the broker answers.
      await vi.advanceTimersByTimeAsync(110);
      gate = undefined;
      open();
      await p.flush();
      // The next book's round rides with it (it may go again), so the queued round, which says less (1009 < 1019), is dropped.
      expect(requests).toEqual([['pm.book record@1010'], ['pm.book record@1020', ...round(1_019)], ['pm.book record@1030']]);
      await vi.advanceTimersByTimeAsync(30);
      await p.flush();
      expect(requests.slice(3)).toEqual(round(1_029).map((m) => [m]));
    });
  });
});
