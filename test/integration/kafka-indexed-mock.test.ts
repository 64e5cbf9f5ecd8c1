// infra/kafka/indexed-mock: librdkafka's mock cluster built with mock-log.patch. The stock mock
// answers a fetch with one batch per partition, found by walking the log from its oldest batch; the
// indexed one finds the offset from the log's end and answers with every batch from it on that fits,
// as a broker does. Both are started here, whatever Kafka the other tests use (needs kcat, and gcc
// and Debian's source of librdkafka for the build; `.ci/run` builds it first).
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../runtime/kafka/kafka-client.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { startMockCluster, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { waitFor } from '../helpers/wait-for.js';

/** 40 one-record produce requests, then one of 5 records: 41 batches, 45 records (values their offsets). */
const SINGLES = 40;
const RECORDS = SINGLES + 5;
const expected = (from: number): string[] => Array.from({ length: RECORDS - from }, (_, i) => String(from + i));
const clusters: MockCluster[] = [];
let stock: MockCluster;
let indexed: MockCluster;

beforeAll(async () => {
  const built = execFileSync('bash', [fromPackageRoot('infra/kafka/indexed-mock/build.sh')], {
    encoding: 'utf8',
    timeout: 300_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const library = built.trim().split('\n').pop()!;
  stock = await startMockCluster({ library: null });
  clusters.push(stock);
  indexed = await startMockCluster({ library });
  clusters.push(indexed);
}, 360_000);

afterAll(() => {
  for (const cluster of clusters) cluster.stop();
});

/** Writes the RECORDS records to partition 0 of a new topic: SINGLES one-record batches, then one batch of the rest. */
async function writeBatches(cluster: MockCluster, topic: string): Promise<void> {
  const producer = createKafka({ brokers: [cluster.bootstrap], clientId: 'polyflow-test-indexed-mock' }).producer({ allowAutoTopicCreation: true });
  await producer.connect();
  for (let i = 0; i < SINGLES; i++) await producer.send({ topic, messages: [{ partition: 0, value: String(i) }] });
  await producer.send({ topic, messages: expected(SINGLES).map((value) => ({ partition: 0, value })) });
  await producer.disconnect();
}

/** The values of each non-empty fetch of partition 0 from `offset`, until every record from it on came. */
async function fetchesFrom(cluster: MockCluster, topic: string, offset: number, maxBytesPerPartition?: number): Promise<string[][]> {
  const consumer = createKafka({ brokers: [cluster.bootstrap], clientId: 'polyflow-test-indexed-mock' }).consumer({
    groupId: `g-${topic}-${offset}-${maxBytesPerPartition ?? 'all'}`,
    maxWaitTimeInMs: 20,
    ...(maxBytesPerPartition === undefined ? {} : { maxBytesPerPartition }),
  });
  const fetches: string[][] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (batch.partition === 0 && batch.messages.length > 0) fetches.push(batch.messages.map((m) => m.value!.toString()));
    },
  });
  consumer.seek({ topic, partition: 0, offset: String(offset) });
  try {
    await waitFor(() => fetches.flat().length >= RECORDS - offset, 30_000, `records ${offset}..${RECORDS - 1} of ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return fetches;
}


describe('the indexed mock log (infra/kafka/indexed-mock)', () => {
  it('answers a fetch with every batch from its offset on, where the stock mock answers one', async () => {
    const topic = `indexed-${randomUUID().slice(0, 8)}`;
    await Promise.all([writeBatches(stock, topic), writeBatches(indexed, topic)]);

    // The stock mock: a fetch per batch.
    const stockFetches = await fetchesFrom(stock, topic, 0);
    expect(stockFetches).toEqual([...expected(0).slice(0, SINGLES).map((v) => [v]), expected(SINGLES)]);

    const indexedFetches = await fetchesFrom(indexed, topic, 0);
    expect(indexedFetches).toEqual([expected(0)]);
  }, 120_000);

  it('finds an offset inside the log, and inside its batch, and answers from it to the end', async () => {
    const topic = `indexed-mid-${randomUUID().slice(0, 8)}`;
    await writeBatches(indexed, topic);
    expect(await fetchesFrom(indexed, topic, 25)).toEqual([expected(25)]);
    // Offset 42 is the third record of the last batch: the batch comes whole, kafkajs drops 40 and 41.
    expect(await fetchesFrom(indexed, topic, SINGLES + 2)).toEqual([expected(SINGLES + 2)]);
  }, 120_000);

  it("stops at the fetch's byte limit per partition: several batches a fetch, the rest in the next", async () => {
    const topic = `indexed-limit-${randomUUID().slice(0, 8)}`;
    await writeBatches(indexed, topic);
    const fetches = await fetchesFrom(indexed, topic, 0, 400);
    expect(fetches.flat()).toEqual(expected(0));
    expect(fetches.length).toBeGreaterThan(2);
    expect(fetches.slice(0, -1).every((f) => f.length > 1)).toBe(true);
  }, 120_000);
});
