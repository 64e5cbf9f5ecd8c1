// What the bench asks the broker's admin API: whether an input is still retained, whether groups have
// committed, and the run's topics created up front.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../runtime/config.js';
import { createKafka } from '../../runtime/kafka/kafka-client.js';
import { TOPIC_NAMES, type TopicName } from '../../schemas/topics.js';

/**
 * The mock cluster keeps about 5 MB per partition and deletes the oldest records past it: a
 * pre-produced input that does not fit would never be consumed in full. Fails early instead.
 */
export async function assertRetained(config: Config, prefix: string, topics: readonly TopicName[]): Promise<void> {
  const admin = createKafka({ brokers: config.kafka.brokers, clientId: 'polyflow-bench-admin' }).admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const lost = (await admin.fetchTopicOffsets(`${prefix}${topic}`)).reduce((n, p) => n + Number(p.low), 0);
      if (lost > 0) throw new Error(`the broker deleted ${lost} pre-produced ${topic} records before they were read (the mock keeps ~5 MB per partition): lower --max-input`);
    }
  } finally {
    await admin.disconnect();
  }
}

/** Waits (polling) until every group has committed `count` records of `topic` (summed over partitions). */
export async function whenCommitted(config: Config, groups: readonly string[], topic: string, count: number): Promise<void> {
  const admin = createKafka({ brokers: config.kafka.brokers, clientId: 'polyflow-bench-admin' }).admin();
  await admin.connect();
  const committed = async (groupId: string): Promise<number> => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  };
  try {
    const t0 = performance.now();
    for (const group of groups) {
      while ((await committed(group)) < count) {
        if (performance.now() - t0 > 60_000) throw new Error(`${group} did not commit ${count} records of ${topic} within 60 s`);
        await sleep(20);
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates every topic of the run up front (the mock auto-creates a topic on a metadata request for
 * it). A group that joins before a topic it subscribes to exists is assigned its partitions only at
 * a later rebalance, seconds later, which a latency run would measure.
 */
export async function createTopics(config: Config): Promise<void> {
  const admin = createKafka({ brokers: config.kafka.brokers, clientId: 'polyflow-bench-admin' }).admin();
  await admin.connect();
  try {
    await admin.fetchTopicMetadata({ topics: TOPIC_NAMES.map((t) => `${config.kafka.topicPrefix}${t}`) });
  } finally {
    await admin.disconnect();
  }
}
