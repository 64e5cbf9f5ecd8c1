import type { Consumer } from 'kafkajs';
import type { Config } from '../../runtime/config.js';
import { progressOf } from '../../runtime/kafka/ingest-order.js';
import { createKafka } from '../../runtime/kafka/kafka-client.js';
import { openAvroSerde } from '../../runtime/kafka/open-kafka-bus.js';
import type { Logger } from '../../runtime/logger.js';
import type { TopicTypes } from '../../schemas/topics.js';
import { STAGES, type Stage } from './origin-clock.js';

/** The bench's reader of the pipelines' outputs polls at this wait: its hop is part of what it measures. */
export const READER_FETCH_WAIT_MS = 5;

/**
 * The bench's reader of the pipelines' outputs: a plain kafkajs consumer that decodes every record
 * and commits in the background (not a KafkaBus, which commits each partition batch before the
 * next: with a steady trickle of input that is a round trip per record or two, and the reader
 * would measure its own backlog). Resolves once its group is joined. (A consumer per stage topic
 * was tried: with two more consumers polling the mock its hop's p99 on features.v1 grew, to 743 ms
 * at 20 ms markers and 254 ms with markers off.) `producedAt`: the record's Kafka timestamp, set by
 * the pipeline that wrote it; `onMarker` gets each progress marker's time and Kafka timestamp.
 */
export async function startOutputReader(
  config: Config,
  group: string,
  logger: Logger,
  onRecord: (stage: Stage, value: TopicTypes[Stage], producedAt: number) => void,
  stages: readonly Stage[] = STAGES,
  onMarker?: (stage: Stage, partition: number, time: number, producedAt: number) => void,
): Promise<Consumer> {
  const serde = openAvroSerde(config.kafka);
  const stageOf = new Map<string, Stage>(stages.map((s) => [`${config.kafka.topicPrefix}${s}`, s]));
  const consumer = createKafka({ brokers: config.kafka.brokers, clientId: 'polyflow-bench-reader', logger }).consumer({
    groupId: group,
    sessionTimeout: config.kafka.sessionTimeoutMs,
    rebalanceTimeout: config.kafka.sessionTimeoutMs,
    heartbeatInterval: Math.max(100, Math.floor(config.kafka.sessionTimeoutMs / 5)),
    maxWaitTimeInMs: READER_FETCH_WAIT_MS,
  });
  let timer: NodeJS.Timeout | undefined;
  const joined = new Promise<void>((done, fail) => {
    consumer.on(consumer.events.GROUP_JOIN, () => done());
    timer = setTimeout(() => fail(new Error(`bench reader: group ${group} not joined in 60 s`)), 60_000);
  }).finally(() => clearTimeout(timer));
  await consumer.connect();
  await consumer.subscribe({ topics: [...stageOf.keys()], fromBeginning: true });
  await consumer.run({
    autoCommitInterval: 5_000,
    eachBatch: async ({ batch }) => {
      const stage = stageOf.get(batch.topic);
      if (stage === undefined) return;
      for (const message of batch.messages) {
        const progress = progressOf(message.headers);
        if (progress === undefined) onRecord(stage, await serde.deserialize(stage, message.value), Number(message.timestamp));
        // A progress marker carries no record: when it was written.
        else onMarker?.(stage, batch.partition, progress, Number(message.timestamp));
      }
    },
  });
  await joined;
  return consumer;
}
