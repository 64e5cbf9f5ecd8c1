import type { Admin } from 'kafkajs';
import type { Gauge } from 'prom-client';

/** What LagProbe asks of the broker: a topic's high watermarks, and the group's committed offsets. */
export type LagAdmin = Pick<Admin, 'fetchTopicOffsets' | 'fetchOffsets'>;

/**
 * Consumer lag per assigned partition, asked of the broker on a timer: high watermark minus where
 * this member is (the next offset it hands over; the group's committed offset before it has handed
 * any). A batch's own figure (set as it is consumed) says nothing while the consumer is paused,
 * stuck in a slow settle, or fetching nothing: this one rises then. Partitions another member owns
 * now lose their series.
 */
export class LagProbe {
  /** Assigned partitions by broker topic name. */
  private assignment = new Map<string, number[]>();

  constructor(
    private readonly opts: {
      readonly admin: () => Promise<LagAdmin>;
      readonly groupId: string;
      readonly gauge: Gauge<'topic' | 'partition'>;
      /** The metric's topic label of a broker topic name (undefined: not a topic this bus consumes). */
      readonly topicOf: (kafkaTopic: string) => string | undefined;
      /** The next offset this member hands over, when it has handed any since its assignment. */
      readonly position: (kafkaTopic: string, partition: number) => bigint | undefined;
    },
  ) {}

  /** A new assignment (GROUP_JOIN's memberAssignment): the series of partitions no longer assigned go. */
  assigned(memberAssignment: Readonly<Record<string, readonly number[]>>): void {
    for (const [kafkaTopic, partitions] of this.assignment) {
      const topic = this.opts.topicOf(kafkaTopic);
      const kept = new Set(memberAssignment[kafkaTopic] ?? []);
      if (topic !== undefined) for (const partition of partitions) if (!kept.has(partition)) this.opts.gauge.remove(topic, String(partition));
    }
    this.assignment = new Map(Object.entries(memberAssignment).map(([t, p]) => [t, [...p]]));
  }

  /** Asks the broker and sets every assigned partition's lag. */
  async probe(): Promise<void> {
    const topics = [...this.assignment].filter(([t, p]) => p.length > 0 && this.opts.topicOf(t) !== undefined);
    if (topics.length === 0) return;
    const admin = await this.opts.admin();
    const committed = await admin.fetchOffsets({ groupId: this.opts.groupId, topics: topics.map(([t]) => t) });
    for (const [kafkaTopic, partitions] of topics) {
      const topic = this.opts.topicOf(kafkaTopic) as string;
      const marks = new Map((await admin.fetchTopicOffsets(kafkaTopic)).map((p) => [p.partition, { low: BigInt(p.low), high: BigInt(p.high) }]));
      const commits = new Map(committed.find((c) => c.topic === kafkaTopic)?.partitions.map((p) => [p.partition, BigInt(p.offset)]) ?? []);
      for (const partition of partitions) {
        const mark = marks.get(partition);
        // Not when the partition went to another member while the broker answered (its series is gone).
        if (mark === undefined || this.assignment.get(kafkaTopic)?.includes(partition) !== true) continue;
        // -1: nothing committed yet: counted from the earliest retained offset.
        const at = this.opts.position(kafkaTopic, partition) ?? commits.get(partition);
        const behind = mark.high - (at === undefined || at < mark.low ? mark.low : at);
        this.opts.gauge.labels(topic, String(partition)).set(Number(behind < 0n ? 0n : behind));
      }
    }
  }
}
