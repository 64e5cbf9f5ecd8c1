import type { Admin } from 'kafkajs';
import type { TopicName } from '../../schemas/topics.js';
import type { Logger } from '../logger.js';
import { STAMPED, type OrderStamps } from './ingest-order.js';

/** What ProgressMarks needs of its bus. */
export interface ProgressMarksHost {
  /** Queues a marker (PROGRESS_HEADER) for one partition, after everything queued so far. */
  enqueue(topic: TopicName, partition: number, time: number, order: string): void;
  admin(): Promise<Admin>;
  kafkaTopic(topic: TopicName): string;
}

/**
 * The progress markers of a publisher of the stamped topics (STAMPED: ingest's books, trades and
 * resolutions): `intervalMs` after it published some of their records, a marker to every partition
 * of every such topic that exists,
 * with the latest receive time among the records sent (less 1 ms: a later record may share it, a
 * frame split between two produce batches) and the last order stamp. A bus makes one only when
 * markers are on (`intervalMs` > 0). With `wallClock` (live ingest, whose receive times are this
 * process's clock, each record published in the same task that took its time) markers go every
 * `intervalMs` from the first record on, received or not, at the wall time less 1 ms: consumers'
 * event time moves on through a quiet market, as the real clock does in an embedded live run.
 */
export class ProgressMarks {
  /** The latest receive time among the records sent. */
  private sentUntil: number | undefined;
  /** Records went out since the last markers. */
  private unmarked = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private counts: Promise<Map<TopicName, number>> | undefined;

  constructor(
    private readonly host: ProgressMarksHost,
    private readonly stamps: OrderStamps,
    private readonly opts: { intervalMs: number; wallClock?: boolean | undefined; logger?: Logger | undefined },
  ) {}

  /** Stamped records went out (acknowledged), with their receive times. */
  sent(recvTimes: readonly number[]): void {
    for (const t of recvTimes) if (!(t <= (this.sentUntil ?? Number.NEGATIVE_INFINITY))) this.sentUntil = t;
    this.unmarked = true;
    this.arm();
  }

  /** The next timed markers, unless they are due already or the publisher closed. */
  private arm(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.mark()
        .catch((err: unknown) => this.opts.logger?.warn({ err }, 'kafka bus: could not write progress markers'))
        .finally(() => {
          if (this.opts.wallClock === true) this.arm();
        });
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** No more timed markers; the last ones, when records went out since (call once the queue is flushed, then flush again). */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.closed = true;
    if (!this.unmarked) return;
    await this.mark(true).catch((err: unknown) => this.opts.logger?.warn({ err }, 'kafka bus: could not write the last progress markers'));
  }

  /** `last`: the markers of a bus that is closing (a timed one then writes nothing). */
  private async mark(last = false): Promise<void> {
    if (this.sentUntil === undefined || this.stamps.marker() === undefined) return;
    const counts = await this.partitionCounts();
    // A close meanwhile writes the last markers itself (it sees records still unmarked).
    if (this.closed && !last) return;
    const order = this.stamps.marker();
    const { sentUntil } = this;
    if (sentUntil === undefined || order === undefined) return;
    this.unmarked = false;
    // Taken right before the markers are queued: every record received earlier is queued already.
    const time = this.opts.wallClock === true ? Math.max(sentUntil, Date.now()) - 1 : sentUntil - 1;
    for (const [topic, partitions] of counts) for (let partition = 0; partition < partitions; partition++) this.host.enqueue(topic, partition, time, order);
  }

  /** Partitions per co-partitioned topic that exists (asking for a missing one's metadata could create it), asked again until all exist. */
  private async partitionCounts(): Promise<Map<TopicName, number>> {
    this.counts ??= this.host.admin().then(async (admin) => {
      const existing = new Set(await admin.listTopics());
      const topics = STAMPED.flat();
      const names = topics.map((t) => this.host.kafkaTopic(t)).filter((t) => existing.has(t));
      const { topics: found } = await admin.fetchTopicMetadata({ topics: names });
      return new Map(topics.map((t) => [t, found.find((f) => f.name === this.host.kafkaTopic(t))?.partitions.length ?? 0]));
    });
    const counts = await this.counts.catch((err: unknown) => {
      this.counts = undefined;
      throw err;
    });
    if ([...counts.values()].includes(0)) this.counts = undefined;
    return counts;
  }
}
