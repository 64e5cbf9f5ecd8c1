// A kafkajs client faked for KafkaBus unit tests: its producer records what it is given, its
// consumer hands the test's batches to the bus's eachBatch, and its admin knows each topic's
// partition count.
import type { ConsumerConfig, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Message, TopicPartitionOffset } from 'kafkajs';

export interface Sent {
  topic: string;
  messages: Message[];
}

/** A batch as kafkajs hands it to eachBatch: what the tests need of it. */
export type Batch = Pick<EachBatchPayload, 'resolveOffset' | 'heartbeat' | 'isRunning' | 'isStale'> & {
  batch: { topic: string; partition: number; highWatermark: string; messages: KafkaMessage[] };
};

/** A fetched batch of `messages` (in offset order) of a topic's partition, whose resolved offsets go to `resolved`. */
export function fetchedBatch(topic: string, partition: number, messages: KafkaMessage[], resolved: string[] = []): Batch {
  const last = Number(messages[messages.length - 1]?.offset ?? -1);
  return {
    batch: { topic, partition, highWatermark: String(last + 1), messages },
    resolveOffset: (offset: string) => void resolved.push(offset),
    heartbeat: async () => undefined,
    isRunning: () => true,
    isStale: () => false,
  };
}

/** A consumed record as kafkajs hands it over (timestamp 0, no attributes). */
export const consumedMessage = ({ value = null, offset = 0, headers = {} }: { value?: Buffer | null; offset?: number; headers?: IHeaders }): KafkaMessage =>
  ({ key: null, value, offset: String(offset), timestamp: '0', attributes: 0, headers }) as KafkaMessage;

/** What the fake admin says of each topic's partitions (all alike): its end offset, and the group's committed offset (-1: none). */
export interface FakeOffsets {
  readonly high?: Readonly<Record<string, number>>;
  readonly committed?: Readonly<Record<string, number>>;
}

/**
 * A kafkajs client whose producer records what it is given, whose consumer, once the bus runs it,
 * joins at once with `assignment` and hands the batches the test gives `consume()` to the bus's
 * eachBatch, as kafkajs would, and whose admin knows the topics of `assignment` and `partitions`,
 * each with as many partitions as `partitions` says (1 by default), and their `offsets`.
 */
export function fakeKafka(
  sendBatch: (request: { topicMessages: Sent[] }) => Promise<void>,
  assignment: Record<string, number[]> = { 'signal.v1': [0] },
  partitions: Record<string, number> = {},
  offsets: FakeOffsets = {},
): {
  kafka: Kafka;
  single: Sent[];
  /** The offsets of each commit, in commit order. */
  commits: TopicPartitionOffset[][];
  disconnected: () => boolean;
  consume: (batch: Batch) => Promise<void>;
  fetchStarted: () => void;
  /** The config of the last consumer made. */
  consumerConfig: () => ConsumerConfig | undefined;
  /** Emits a consumer event (CRASH: 'crash', FETCH_START: 'fetch_start', GROUP_JOIN: 'group_join') with its payload. */
  emit: (event: string, payload: unknown) => void;
} {
  const single: Sent[] = [];
  const commits: TopicPartitionOffset[][] = [];
  let disconnected = false;
  const producer = {
    connect: async () => undefined,
    disconnect: async () => void (disconnected = true),
    sendBatch,
    send: async (request: Sent) => void single.push(request),
  };
  const handlers = new Map<string, (event: { payload: unknown }) => void>();
  let eachBatch: ((batch: Batch) => Promise<void>) | undefined;
  const consumer = {
    events: { CRASH: 'crash', FETCH_START: 'fetch_start', GROUP_JOIN: 'group_join' },
    on: (event: string, handler: (event: { payload: unknown }) => void) => void handlers.set(event, handler),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (config: { eachBatch: (batch: Batch) => Promise<void> }) => {
      eachBatch = config.eachBatch;
      handlers.get('group_join')?.({ payload: { memberAssignment: assignment } });
    },
    pause: () => undefined,
    resume: () => undefined,
    commitOffsets: async (offsets: TopicPartitionOffset[]) => void commits.push(offsets),
    seek: () => undefined,
    disconnect: async () => undefined,
  };
  const topics = [...new Set([...Object.keys(assignment), ...Object.keys(partitions)])];
  const partitionIds = (topic: string): number[] => Array.from({ length: partitions[topic] ?? 1 }, (_, id) => id);
  const admin = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    listTopics: async () => topics,
    fetchTopicMetadata: async ({ topics: asked }: { topics: string[] }) => ({
      topics: asked.filter((name) => topics.includes(name)).map((name) => ({ name, partitions: partitionIds(name).map((partitionId) => ({ partitionId })) })),
    }),
    fetchTopicOffsets: async (topic: string) => partitionIds(topic).map((partition) => ({ partition, low: '0', high: String(offsets.high?.[topic] ?? 0), offset: String(offsets.high?.[topic] ?? 0) })),
    fetchOffsets: async ({ topics: asked }: { topics: string[] }) =>
      asked.map((topic) => ({ topic, partitions: partitionIds(topic).map((partition) => ({ partition, offset: String(offsets.committed?.[topic] ?? -1) })) })),
  };
  const consume = (batch: Batch): Promise<void> => {
    if (eachBatch === undefined) throw new Error('the bus has not started its consumer');
    return eachBatch(batch);
  };
  const emit = (event: string, payload: unknown): void => handlers.get(event)?.({ payload });
  /** A fetch starts (kafkajs's FETCH_START), from broker 0. */
  const fetchStarted = (): void => emit('fetch_start', { nodeId: 0 });
  let consumerConfig: ConsumerConfig | undefined;
  const consumerOf = (config: ConsumerConfig): typeof consumer => {
    consumerConfig = config;
    return consumer;
  };
  return {
    kafka: { producer: () => producer, consumer: consumerOf, admin: () => admin } as unknown as Kafka,
    single,
    commits,
    disconnected: () => disconnected,
    consume,
    fetchStarted,
    consumerConfig: () => consumerConfig,
    emit,
  };
}

