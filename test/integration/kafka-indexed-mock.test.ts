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

const SENDS = 40;
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

/** Writes SENDS records to partition 0 of a new topic, one produce request (one batch) each. */
async function writeBatches(cluster: MockCluster, topic: string): Promise<void> {
  const producer = createKafka({ brokers: [cluster.bootstrap], clientId: 'polyflow-test-indexed-mock' }).producer({ allowAutoTopicCreation: true });
  await producer.connect();
  for (let i = 0; i < SENDS; i++) await producer.send({ topic, messages: [{ partition: 0, value: String(i) }] });
  await producer.disconnect();
}

/** The values of each non-empty fetch of partition 0 from `offset`, until every record from it on came. */
async function fetchesFrom(cluster: MockCluster, topic: string, offset: number): Promise<string[][]> {
  const consumer = createKafka({ brokers: [cluster.bootstrap], clientId: 'polyflow-test-indexed-mock' }).consumer({
    groupId: `g-${topic}-${offset}`,
    maxWaitTimeInMs: 20,
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
    await waitFor(() => fetches.flat().length >= SENDS - offset, 30_000, `records ${offset}..${SENDS - 1} of ${topic}`);
  } finally {
    await consumer.disconnect();
  }
  return fetches;
}

const expected = (from: number): string[] => Array.from({ length: SENDS - from }, (_, i) => String(from + i));

describe('the indexed mock log (infra/kafka/indexed-mock)', () => {
  it('answers a fetch with every batch from its offset on, where the stock mock answers one', async () => {
    const topic = `indexed-${randomUUID().slice(0, 8)}`;
    await Promise.all([writeBatches(stock, topic), writeBatches(indexed, topic)]);

    const stockFetches = await fetchesFrom(stock, topic, 0);
    expect(stockFetches.flat()).toEqual(expected(0));
    expect(stockFetches.every((f) => f.length === 1)).toBe(true);

    const indexedFetches = await fetchesFrom(indexed, topic, 0);
    expect(indexedFetches).toEqual([expected(0)]);
  }, 120_000);

  it('finds an offset inside the log, in its batch, and answers from it to the end', async () => {
    const topic = `indexed-mid-${randomUUID().slice(0, 8)}`;
    await writeBatches(indexed, topic);
    expect(await fetchesFrom(indexed, topic, 25)).toEqual([expected(25)]);
    expect(await fetchesFrom(indexed, topic, SENDS - 1)).toEqual([expected(SENDS - 1)]);
  }, 120_000);
});
