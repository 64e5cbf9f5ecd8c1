import type { Admin } from 'kafkajs';
import type { Logger } from '../logger.js';
import { assignedOffsets, type PartitionOffsets } from './assigned-offsets.js';
import { partitionKey } from './commit-marks.js';
import type { KafkaCheckpointStore } from './kafka-checkpoints.js';
import { readRetrying, type RetriableReadOptions } from './retriable-reads.js';

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
  /** The offset reads are tried again when the client calls a failure retriable (metadata not loaded yet after a rebalance, a leader moving). */
  readonly retry?: Omit<RetriableReadOptions, 'logger'>;
}

/** A partition the client's metadata does not list yet: retriable, as kafkajs's own metadata errors are. */
class PartitionOffsetsMissing extends Error {
  readonly retriable = true;
  constructor(topic: string, partition: number) {
    super(`no offsets for assigned partition ${topic}:${partition} (metadata not up to date)`);
    this.name = 'PartitionOffsetsMissing';
  }
}

/**
 * Where each assigned partition is read from (the assignment's checkpoint when it covers every
 * partition within retention, else the earliest retained offset), the states to restore, and up
 * to which offset each partition only rebuilds state (the group's committed offset; a local
 * topic's end).
 */
export async function planRebuild(admin: Admin, assignment: Record<string, number[]>, opts: RebuildPlanOptions): Promise<RebuildPlan> {
  const topics = Object.keys(assignment).filter(opts.consumed);
  // A member that exits on a retriable failure only costs a restart and another rebalance.
  const partitions = await readRetrying("the assigned partitions' offsets", () => readOffsets(admin, assignment, topics, opts.groupId), {
    ...opts.retry,
    logger: opts.logger?.child({ group: opts.groupId }),
  });
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

async function readOffsets(admin: Admin, assignment: Record<string, number[]>, topics: string[], groupId: string): Promise<PartitionOffsets[]> {
  const { offsets, missing } = await assignedOffsets(admin, groupId, assignment, topics);
  const first = missing[0];
  if (first !== undefined) throw new PartitionOffsetsMissing(first.topic, first.partition);
  return offsets;
}
