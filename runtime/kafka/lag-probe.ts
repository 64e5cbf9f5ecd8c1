import type { Gauge } from 'prom-client';
import { assignedOffsets, type OffsetsAdmin } from './assigned-offsets.js';

/**
 * Consumer lag per assigned partition, asked of the broker on a timer: high watermark minus where
 * this member is (the next offset it hands over; the group's committed offset before it has handed
 * any). A batch's own figure (set as it is consumed) says nothing while the consumer is paused,
 * stuck in a slow settle, or fetching nothing: this one rises then. Partitions another member owns
 * now lose their series. Between probes each consumed batch sets its partition's figure (consumed()).
 */
export class LagProbe {
  /** Assigned partitions by broker topic name. */
  private assignment = new Map<string, number[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly opts: {
      readonly admin: () => Promise<OffsetsAdmin>;
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

  /**
   * A consumed batch's own figure: the records after `last` up to the batch's high watermark. Not for
   * a partition no longer assigned (a batch fetched before the rebalance): its series is gone.
   */
  consumed(kafkaTopic: string, partition: number, highWatermark: string, last: string): void {
    const topic = this.opts.topicOf(kafkaTopic);
    if (topic !== undefined && this.assignment.get(kafkaTopic)?.includes(partition) === true) this.opts.gauge.labels(topic, String(partition)).set(Math.max(0, Number(BigInt(highWatermark) - BigInt(last) - 1n)));
  }

  /** Probes every `intervalMs` (an unref'd timer) until stop(); a failed probe goes to `onError`. */
  every(intervalMs: number, onError: (err: unknown) => void): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.probe().catch(onError), intervalMs);
    this.timer.unref();
  }

  /** No more probes (the bus closes). */
  stop(): void {
    clearInterval(this.timer);
  }

  /** Asks the broker and sets every assigned partition's lag. */
  async probe(): Promise<void> {
    const topics = [...this.assignment].filter(([t, p]) => p.length > 0 && this.opts.topicOf(t) !== undefined);
    if (topics.length === 0) return;
    const admin = await this.opts.admin();
    const { offsets } = await assignedOffsets(admin, this.opts.groupId, Object.fromEntries(topics), topics.map(([t]) => t));
    for (const p of offsets) {
      // Not when the partition went to another member while the broker answered (its series is gone).
      if (this.assignment.get(p.topic)?.includes(p.partition) !== true) continue;
      // Nothing committed yet (-1): counted from the earliest retained offset.
      const at = this.opts.position(p.topic, p.partition) ?? p.commit;
      const behind = p.high - (at < p.low ? p.low : at);
      this.opts.gauge.labels(this.opts.topicOf(p.topic) as string, String(p.partition)).set(Number(behind < 0n ? 0n : behind));
    }
  }
}
