import type { Admin } from 'kafkajs';
import type { Logger } from '../logger.js';
import { partitionKey } from './commit-marks.js';
import type { KafkaCheckpointStore } from './kafka-checkpoints.js';

/** How an assignment's state is rebuilt: where each partition is read from, and up to where only to rebuild state. */
export interface RebuildPlan {
  readonly seeks: { topic: string; partition: number; offset: string }[];
  /** Per partition (`topic:partition`): records below this offset only rebuild state (their outputs were published). */
  readonly until: Map<string, bigint>;
  /** Records read only to rebuild state. */
  readonly records: number;
  /** The checkpoint's operator states, when it is used. */
  readonly restored: ReadonlyMap<string, unknown> | undefined;
}

export interface RebuildPlanOptions {
  readonly groupId: string;
  /** True for the (Kafka) topics the group consumes. */
  readonly consumed: (kafkaTopic: string) => boolean;
  /** True for a topic the process publishes and reads back itself (KafkaBusOptions.local). */
  readonly local: (kafkaTopic: string) => boolean;
  readonly checkpoints?: KafkaCheckpointStore | undefined;
  readonly fromBeginning: boolean;
  readonly logger?: Logger | undefined;
}

/**
 * Where each assigned partition is read from (the assignment's checkpoint when it covers every
 * partition within retention, else the earliest retained offset), the states to restore, and up
 * to which offset each partition only rebuilds state (the group's committed offset; a local
 * topic's end).
 */
export async function planRebuild(admin: Admin, assignment: Record<string, number[]>, opts: RebuildPlanOptions): Promise<RebuildPlan> {
  const topics = Object.keys(assignment).filter(opts.consumed);
  const committed = await admin.fetchOffsets({ groupId: opts.groupId, topics });
  const partitions: { topic: string; partition: number; low: bigint; high: bigint; commit: bigint }[] = [];
  for (const topic of topics) {
    const marks = await admin.fetchTopicOffsets(topic);
    const done = committed.find((c) => c.topic === topic)?.partitions ?? [];
    for (const partition of assignment[topic] ?? []) {
      const mark = marks.find((m) => m.partition === partition);
      const commit = BigInt(done.find((p) => p.partition === partition)?.offset ?? '-1');
      partitions.push({ topic, partition, low: BigInt(mark?.low ?? '0'), high: BigInt(mark?.high ?? '0'), commit });
    }
  }
  const checkpoint = await opts.checkpoints?.load(partitions.map((p) => partitionKey(p.topic, p.partition)));
  const usable =
    checkpoint !== undefined &&
    partitions.every((p) => {
      const at = checkpoint.offsets.get(partitionKey(p.topic, p.partition));
      return at !== undefined && at >= p.low && at <= p.high;
    });
  if (checkpoint !== undefined && !usable) opts.logger?.warn({ group: opts.groupId }, 'checkpoint not usable (records it needs are past retention): rebuilding from the earliest retained offsets');
  const seeks: RebuildPlan['seeks'] = [];
  const until = new Map<string, bigint>();
  let records = 0;
  for (const p of partitions) {
    const key = partitionKey(p.topic, p.partition);
    // A group that never committed starts where a new group starts; records it never saw are not its state.
    const start = usable ? (checkpoint.offsets.get(key) as bigint) : p.commit >= 0n || opts.fromBeginning ? p.low : p.high;
    seeks.push({ topic: p.topic, partition: p.partition, offset: start.toString() });
    // A local topic's records up to now are the history earlier owners published: all of it only rebuilds state.
    const bound = opts.local(p.topic) ? p.high : p.commit;
    if (bound > start) {
      until.set(key, bound);
      records += Number(bound - start);
    }
  }
  return { seeks, until, records, restored: usable ? checkpoint.operators : undefined };
}
