// What the bench asks the broker's admin API: whether an input is still retained, and the run's
// topics created up front.
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

/**
 * Creates every topic of the run up front on the mock, which auto-creates a topic on a metadata
 * request for it (a real broker's are made by `prepareTopics` before), as `polyflow topics` makes
 * them before a deployment. A group that joins before a topic it subscribes to exists is assigned
 * its partitions only at a later rebalance, seconds later, which a latency run would measure; and a
 * stamped topic made after its publisher's last round of progress markers is never marked, which
 * a merge in ingest's order waits out (`kafka.orderWaitMs`) in every throughput pass.
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
