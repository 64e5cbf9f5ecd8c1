import type { Admin } from 'kafkajs';

/** One assigned partition's retained offsets and where its group committed. */
export interface PartitionOffsets {
  readonly topic: string;
  readonly partition: number;
  /** Earliest retained offset. */
  readonly low: bigint;
  /** End offset. */
  readonly high: bigint;
  /** The group's committed offset, -1 when it never committed. */
  readonly commit: bigint;
}

/** What assignedOffsets asks of the broker: the group's committed offsets, and each topic's retained range. */
export type OffsetsAdmin = Pick<Admin, 'fetchOffsets' | 'fetchTopicOffsets'>;

/**
 * The offsets of each assigned partition of `topics` (broker names): the group's commits in one
 * read, then each topic's retained range. `missing`: assigned partitions its metadata does not list
 * (not up to date yet). Read by a rebuild's plan and by the lag probe.
 */
export async function assignedOffsets(
  admin: OffsetsAdmin,
  groupId: string,
  assignment: Readonly<Record<string, readonly number[]>>,
  topics: readonly string[],
): Promise<{ offsets: PartitionOffsets[]; missing: { topic: string; partition: number }[] }> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  const offsets: PartitionOffsets[] = [];
  const missing: { topic: string; partition: number }[] = [];
  for (const topic of topics) {
    const marks = await admin.fetchTopicOffsets(topic);
    const done = committed.find((c) => c.topic === topic)?.partitions ?? [];
    for (const partition of assignment[topic] ?? []) {
      const mark = marks.find((m) => m.partition === partition);
      if (mark === undefined) {
        missing.push({ topic, partition });
        continue;
      }
      const commit = BigInt(done.find((p) => p.partition === partition)?.offset ?? '-1');
      offsets.push({ topic, partition, low: BigInt(mark.low), high: BigInt(mark.high), commit });
    }
  }
  return { offsets, missing };
}
