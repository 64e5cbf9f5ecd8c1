import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { checkCoPartitioned, OrderStamps, orderStampOf, progressChainPartitions, topicPartitions } from './ingest-order.js';
import { KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSTopicMetadataNotLoaded } from './kafkajs.js';

describe('OrderStamps', () => {
  it('numbers each key of a co-partitioned set without gaps across its topics, and everything stamped in one sequence', () => {
    const stamps = new OrderStamps(7);
    expect(stamps.next('pm.book', 'a')).toBe('7:0:0');
    expect(stamps.next('pm.trade', 'a')).toBe('7:1:1');
    expect(stamps.next('pm.book', 'b')).toBe('7:2:0');
    expect(stamps.next('features.v1', 'a')).toBeUndefined();
    expect(stamps.next('pm.book', 'a')).toBe('7:3:2');
    expect(orderStampOf({ 'polyflow-order': Buffer.from('7:3:2') })).toEqual({ epoch: 7, g: 3, n: 2 });
    expect(orderStampOf({ 'polyflow-order': '1796451711807:12:3' })).toEqual({ epoch: 1796451711807, g: 12, n: 3 });
    for (const bad of ['garbage', '7:3', '7:3:', ':3:2', '7:3:2:1', '7:-3:2', '7:3:2x']) expect(orderStampOf({ 'polyflow-order': Buffer.from(bad) }), bad).toBeUndefined();
    expect(orderStampOf({})).toBeUndefined();
  });
});

const adminWith = (partitions: Record<string, number>): Admin =>
  ({
    fetchTopicMetadata: ({ topics }: { topics: string[] }) =>
      topics.every((t) => t in partitions)
        ? Promise.resolve({ topics: topics.map((name) => ({ name, partitions: Array.from({ length: partitions[name] as number }, (_, partitionId) => ({ partitionId })) })) })
        : Promise.reject(new Error('This server does not host this topic-partition')),
  }) as unknown as Admin;
const prefixed = (t: string): string => `p.${t}`;

describe('checkCoPartitioned', () => {
  it('accepts books and trades of one partition count', async () => {
    await expect(checkCoPartitioned(adminWith({ 'p.pm.book': 4, 'p.pm.trade': 4 }), prefixed)).resolves.toBeUndefined();
  });

  it('refuses different partition counts, naming each, and topics it cannot read', async () => {
    await expect(checkCoPartitioned(adminWith({ 'p.pm.book': 4, 'p.pm.trade': 6 }), prefixed)).rejects.toThrow(
      "kafka bus: p.pm.book has 4 partitions, p.pm.trade has 6 partitions: they must have as many for a key's records to share a partition number (create them with `polyflow topics`)",
    );
    await expect(checkCoPartitioned(adminWith({ 'p.pm.book': 4 }), prefixed)).rejects.toThrow(
      'kafka bus: cannot read the partitions of p.pm.book and p.pm.trade (create the topics with `polyflow topics`): This server does not host this topic-partition',
    );
  });
});

describe("progressChainPartitions (a trade process in ingest's order, before it waits on prediction.v1)", () => {
  const chain = (prediction: number) => ({ 'p.pm.book': 8, 'p.pm.trade': 8, 'p.features.v1': 8, 'p.prediction.v1': prediction });

  it('gives the partition count that books, trades, feature vectors and predictions share', async () => {
    await expect(progressChainPartitions(adminWith(chain(8)), prefixed)).resolves.toBe(8);
  });

  it('refuses a stage whose topic has another count: its extra partitions would never be marked', async () => {
    await expect(progressChainPartitions(adminWith(chain(12)), prefixed)).rejects.toThrow(
      'kafka bus: p.pm.book has 8 partitions, p.pm.trade has 8 partitions, p.features.v1 has 8 partitions, p.prediction.v1 has 12 partitions: they must have as many for progress markers to be forwarded partition to partition (or turn markers off: POLYFLOW_KAFKA_PROGRESS_INTERVAL_MS=0) (create them with `polyflow topics`)',
    );
    await expect(progressChainPartitions(adminWith({ 'p.pm.book': 8 }), prefixed)).rejects.toThrow(/cannot read the partitions of p\.pm\.book and p\.pm\.trade and p\.features\.v1 and p\.prediction\.v1/);
  });
});

describe('the partition counts read at start, when the broker fails the read', () => {
  /** An admin whose metadata reads fail with `failures` in turn, then answer from `partitions`; it counts the reads. */
  const failingFirst = (partitions: Record<string, number>, failures: unknown[]): { admin: Admin; reads: () => number } => {
    const answer = adminWith(partitions);
    let reads = 0;
    const admin = {
      fetchTopicMetadata: (request: { topics: string[] }) => {
        reads++;
        const failure = failures.shift();
        return failure === undefined ? answer.fetchTopicMetadata(request) : Promise.reject(failure);
      },
    } as unknown as Admin;
    return { admin, reads: () => reads };
  };

  it('reads again after "topic metadata not loaded" (a rebalance or a broker restart), as often as it takes within the tries', async () => {
    const notLoaded = (): Error => new KafkaJSTopicMetadataNotLoaded('Topic metadata not loaded', { topic: 'p.pm.book' });
    const { admin, reads } = failingFirst({ 'p.pm.book': 4, 'p.pm.trade': 4, 'p.pm.resolution': 2 }, [notLoaded(), notLoaded()]);
    await expect(topicPartitions(admin, prefixed, ['pm.book', 'pm.resolution'])).resolves.toEqual(new Map([['pm.book', 4], ['pm.resolution', 2]]));
    expect(reads()).toBe(3);
    const again = failingFirst({ 'p.pm.book': 4, 'p.pm.trade': 4 }, [notLoaded()]);
    await expect(checkCoPartitioned(again.admin, prefixed)).resolves.toBeUndefined();
    expect(again.reads()).toBe(2);
  });

  it('tells a topic the broker does not know at once, after one read (its own client retried it already)', async () => {
    const unknown = new KafkaJSProtocolError(Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true }));
    for (const failure of [unknown, new KafkaJSNumberOfRetriesExceeded(unknown, { retryCount: 5, retryTime: 1000 })]) {
      const { admin, reads } = failingFirst({}, [failure]);
      const started = Date.now();
      await expect(progressChainPartitions(admin, prefixed)).rejects.toMatchObject({ code: 'KAFKA_TOPICS_MISSING', retriable: true });
      expect(reads()).toBe(1);
      expect(Date.now() - started).toBeLessThan(90);
    }
  });
});
