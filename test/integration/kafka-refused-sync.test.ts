// A group member whose SyncGroup reaches the coordinator after its leader's still joins. The mock
// cluster refuses such a SyncGroup (INVALID_REQUEST), and kafkajs 2.2.4 alone then crashes the
// member for good (runtime/kafka/kafkajs-refused-sync.ts); a broker answers it with the assignment.
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from 'kafkajs';
import { createKafka } from '../../runtime/kafka/kafka-client.js';
import { startTestKafka, type MockCluster } from '../helpers/kafka-mock-cluster.js';
import { waitFor } from '../helpers/wait-for.js';

type SyncGroup = (this: unknown, request: { groupId: string; generationId: number; groupAssignment: unknown[] }) => Promise<unknown>;
const Broker = createRequire(import.meta.url)('kafkajs/src/broker/index.js') as { prototype: { syncGroup: SyncGroup } };
const installedSync = Broker.prototype.syncGroup;

let cluster: MockCluster;
const consumers: Consumer[] = [];

beforeAll(async () => {
  cluster = await startTestKafka();
}, 60_000);

afterAll(async () => {
  Broker.prototype.syncGroup = installedSync;
  await Promise.all(consumers.map((c) => c.disconnect()));
  cluster?.stop();
});

describe('a member that syncs after its leader', () => {
  it('joins its group, with its share of the partitions, after the mock refused its first SyncGroup', async () => {
    const id = randomUUID().slice(0, 8);
    const [topic, groupId] = [`late-sync-${id}`, `g-late-sync-${id}`];
    const kafka = createKafka({ brokers: [cluster.bootstrap], clientId: 'polyflow-test-late-sync' });
    // A topic of 4 partitions: the mock makes it so on its first record; a broker is asked for it.
    if (cluster.kind !== 'mock') {
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true });
      await admin.disconnect();
    }
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic, messages: [0, 1, 2, 3].map((partition) => ({ partition, value: 'x' })) });
    await producer.disconnect();

    // A follower's first SyncGroup (it sends no assignments) waits until its leader's of the same
    // generation has been answered.
    const leaderAnswered = new Map<number, { answered: Promise<void>; answer: () => void }>();
    const leaderOf = (generation: number): { answered: Promise<void>; answer: () => void } => {
      let entry = leaderAnswered.get(generation);
      if (entry === undefined) {
        let answer!: () => void;
        const answered = new Promise<void>((resolve) => (answer = resolve));
        leaderAnswered.set(generation, (entry = { answered, answer }));
      }
      return entry;
    };
    let held = false;
    const failed: { follower: boolean; type: string | undefined; message: string }[] = [];
    Broker.prototype.syncGroup = async function (this: unknown, request) {
      if (request.groupId !== groupId) return installedSync.call(this, request);
      const follower = request.groupAssignment.length === 0;
      if (follower && !held) {
        held = true;
        await leaderOf(request.generationId).answered;
      }
      try {
        return await installedSync.call(this, request);
      } catch (err) {
        failed.push({ follower, type: (err as { type?: string }).type, message: (err as Error).message });
        throw err;
      } finally {
        if (!follower) leaderOf(request.generationId).answer();
      }
    };

    const joins = new Map<Consumer, Record<string, number[]>>();
    const member = async (): Promise<Consumer> => {
      const consumer = kafka.consumer({ groupId, sessionTimeout: 6_000, rebalanceTimeout: 6_000, heartbeatInterval: 500, retry: { retries: 8, initialRetryTime: 100, restartOnFailure: () => Promise.resolve(false) } });
      consumers.push(consumer);
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => void joins.set(consumer, payload.memberAssignment));
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ eachMessage: () => Promise.resolve() });
      return consumer;
    };
    const [a, b] = await Promise.all([member(), member()]);

    // Both in the latest generation: each partition with one of them.
    await waitFor(() => {
      const shares = [joins.get(a), joins.get(b)].map((assignment) => assignment?.[topic] ?? []);
      return shares.every((s) => s.length > 0) && [...shares[0]!, ...shares[1]!].sort().join() === '0,1,2,3';
    }, 30_000, 'both members joined, sharing the partitions');
    expect(held).toBe(true);
    const refused = "the coordinator refused this member's SyncGroup (This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details): joining again";
    // On a broker a late follower gets its assignment (other syncs may meet a rebalance, as ever).
    if (cluster.kind === 'mock') expect(failed).toContainEqual({ follower: true, type: 'REBALANCE_IN_PROGRESS', message: refused });
    else expect(failed.filter((f) => f.type === 'INVALID_REQUEST' || f.message === refused)).toEqual([]);
  }, 60_000);
});
