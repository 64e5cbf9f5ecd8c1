// One hop through the broker: what a lone record takes from send() to a consumer's batch, by the
// consumer's fetch wait. A broker that answers a waiting fetch when a record arrives (Kafka) gives
// about a round trip at any wait; librdkafka's mock cluster answers only when the wait is over, so
// on it every hop of the latency path adds up to its fetch wait (half of it on average).
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, Producer } from 'kafkajs';
import { createKafka } from '../../runtime/kafka/kafka-client.js';
import type { Logger } from '../../runtime/logger.js';
import { LatencySamples, type LatencySummary } from '../latency-samples.js';

export interface BrokerHop {
  readonly fetchWaitMs: number;
  readonly hop: LatencySummary;
}

/** Records sent per fetch wait, one at a time, each after the last arrived and a pause. */
const PROBES = 40;

/** The hop at each fetch wait (ms), on topics `<prefix>hop-<wait>`. */
export async function measureBrokerHops(bootstrap: string, fetchWaits: readonly number[], prefix: string, logger: Logger): Promise<BrokerHop[]> {
  const kafka = createKafka({ brokers: [bootstrap], clientId: 'polyflow-bench-hop', logger });
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  try {
    const hops: BrokerHop[] = [];
    for (const fetchWaitMs of [...new Set(fetchWaits)].sort((a, b) => a - b)) hops.push({ fetchWaitMs, hop: await measureHop(kafka, producer, `${prefix}hop-${fetchWaitMs}`, fetchWaitMs) });
    return hops;
  } finally {
    await producer.disconnect();
  }
}

async function measureHop(kafka: Kafka, producer: Producer, topic: string, fetchWaitMs: number): Promise<LatencySummary> {
  await producer.send({ topic, messages: [{ value: 'warm-up' }] });
  const consumer = kafka.consumer({ groupId: `polyflow-bench-hop-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: fetchWaitMs, minBytes: 1 });
  const samples = new LatencySamples();
  let sentAt = Number.NaN;
  let arrived: (() => void) | undefined;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const joined = new Promise<void>((done) => consumer.on(consumer.events.GROUP_JOIN, () => done()));
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          if (message.value?.toString() !== 'probe') continue;
          samples.add(performance.now() - sentAt, false);
          arrived?.();
        }
      },
    });
    await joined;
    // The consumer is past the warm-up record and polling: every probe meets a waiting fetch.
    await sleep(1_000);
    for (let i = 0; i < PROBES; i++) {
      // Pauses that are no multiple of the wait, so probes land at every point of a fetch's wait.
      await sleep(fetchWaitMs * 0.5 + ((i * 37) % 61));
      const got = new Promise<void>((done) => (arrived = done));
      sentAt = performance.now();
      await producer.send({ topic, acks: -1, messages: [{ value: 'probe' }] });
      await Promise.race([got, sleep(fetchWaitMs + 5_000)]);
    }
    return samples.summary();
  } finally {
    await consumer.disconnect();
  }
}
