import type { Admin } from 'kafkajs';
import type { TopicName } from '../../schemas/topics.js';
import type { Logger } from '../logger.js';
import { STAMPED, type OrderStamps } from './ingest-order.js';

/** One partition's progress marker: every record of it received at or before `time` went before it. */
export interface ProgressMarker {
  readonly topic: TopicName;
  readonly partition: number;
  readonly time: number;
  /** The order stamp of the last stamped record sent before it. */
  readonly order: string;
}

/** What ProgressMarks needs of its bus. */
export interface ProgressMarksHost {
  /** Queues a marker (PROGRESS_HEADER) for one partition, after everything queued so far. */
  enqueue(topic: TopicName, partition: number, time: number, order: string): void;
  admin(): Promise<Admin>;
  kafkaTopic(topic: TopicName): string;
}

/**
 * The progress markers of a publisher of the stamped topics (STAMPED: ingest's books, trades and
 * resolutions): soon after it published some of their records, a marker to every partition of every
 * such topic that exists, with the latest receive time among the records sent (less 1 ms: a later
 * record may share it, a frame split between two produce batches) and the last order stamp. A round
 * goes as soon as the records are acknowledged, `promptMs` after the previous round at the earliest
 * (so a busy publisher writes at most one round per `promptMs`), and no later than `intervalMs`. A
 * bus makes one only when markers are on (`intervalMs` > 0). With `wallClock` (live ingest, whose
 * receive times are this process's clock, each record published in the same task that took its
 * time) markers also go every `intervalMs` from the first record on, received or not, at the wall
 * time less 1 ms: consumers' event time moves on through a quiet market, as the real clock does in
 * an embedded live run.
 */
export class ProgressMarks {
  /** The latest receive time among the records sent. */
  private sentUntil: number | undefined;
  /** Records went out since the last markers. */
  private unmarked = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (Date.now() time). */
  private dueAt = Number.POSITIVE_INFINITY;
  /** When the last round was queued (Date.now() time), its marker time and its order stamp. */
  private markedAt = Number.NEGATIVE_INFINITY;
  private markedTime = Number.NEGATIVE_INFINITY;
  private markedOrder: string | undefined;
  private closed = false;
  private counts: Promise<Map<TopicName, number>> | undefined;

  constructor(
    private readonly host: ProgressMarksHost,
    private readonly stamps: OrderStamps,
    private readonly opts: { intervalMs: number; promptMs?: number | undefined; wallClock?: boolean | undefined; logger?: Logger | undefined },
  ) {}

  /**
   * Stamped records go out in a produce request now, with their receive times. When a round is due
   * (`promptMs` since the last), it returns the round, to go in the same request after them (each
   * partition's marker after that partition's records); else none, and a timed round follows.
   * `queueEmpty`: whether no record waits for a later request (live: then the wall time is covered).
   */
  async publishing(recvTimes: readonly number[], queueEmpty: () => boolean): Promise<ProgressMarker[]> {
    for (const t of recvTimes) if (!(t <= (this.sentUntil ?? Number.NEGATIVE_INFINITY))) this.sentUntil = t;
    this.unmarked = true;
    const delayMs = this.markedAt + this.spacing - Date.now();
    if (delayMs > 0 || this.closed) {
      this.arm(delayMs);
      return [];
    }
    const round = (await this.round(false, queueEmpty).catch((err: unknown) => void this.opts.logger?.warn({ err }, 'kafka bus: could not write progress markers'))) ?? [];
    if (round.length > 0) this.nextLive(true);
    return round;
  }

  /** The least time between two rounds. */
  private get spacing(): number {
    return Math.min(this.opts.promptMs ?? this.opts.intervalMs, this.opts.intervalMs);
  }

  /**
   * Live, after a round: the next one `spacing` later when this one fell short of the latest
   * record's millisecond (a record of the same millisecond could still follow it), else the quiet
   * interval later. `replace`: in place of a timed round armed before this one.
   */
  private nextLive(replace: boolean): void {
    if (this.opts.wallClock !== true) return;
    const delayMs = this.markedTime < (this.sentUntil ?? Number.NEGATIVE_INFINITY) ? this.spacing : this.opts.intervalMs;
    if (replace) this.rearm(delayMs);
    else this.arm(delayMs);
  }

  /** Markers in `delayMs` (at once when it is not positive), unless a round is due sooner or the publisher closed. */
  private arm(delayMs: number): void {
    if (this.timer !== undefined && this.dueAt <= Date.now() + Math.max(0, delayMs)) return;
    this.rearm(delayMs);
  }

  /** The next timed round in `delayMs`, in place of one armed before. */
  private rearm(delayMs: number): void {
    if (this.closed) return;
    const dueAt = Date.now() + Math.max(0, delayMs);
    clearTimeout(this.timer);
    this.dueAt = dueAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dueAt = Number.POSITIVE_INFINITY;
      void this.mark()
        .catch((err: unknown) => this.opts.logger?.warn({ err }, 'kafka bus: could not write progress markers'))
        .finally(() => this.nextLive(false));
    }, dueAt - Date.now());
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

  /** Queues a round after everything queued so far. `last`: the markers of a bus that is closing (a timed one then writes nothing). */
  private async mark(last = false): Promise<void> {
    const round = await this.round(last, () => true);
    for (const { topic, partition, time, order } of round ?? []) this.host.enqueue(topic, partition, time, order);
  }

  /** A marker for every partition of the stamped topics that exist, covering the records sent so far (undefined: none due). */
  private async round(last: boolean, queueEmpty: () => boolean): Promise<ProgressMarker[] | undefined> {
    if (this.sentUntil === undefined || this.stamps.marker() === undefined) return undefined;
    const counts = await this.partitionCounts();
    // A close meanwhile writes the last markers itself (it sees records still unmarked).
    if (this.closed && !last) return undefined;
    const order = this.stamps.marker();
    const { sentUntil } = this;
    if (sentUntil === undefined || order === undefined) return undefined;
    // Taken right before the markers go: every record received earlier is sent before them, unless records still wait.
    const time = this.opts.wallClock === true && queueEmpty() ? Math.max(sentUntil, Date.now()) - 1 : sentUntil - 1;
    // A round that would say no more than the last (two rounds waited for the same metadata).
    if (time === this.markedTime && order === this.markedOrder) return undefined;
    this.unmarked = false;
    this.markedAt = Date.now();
    this.markedTime = time;
    this.markedOrder = order;
    const round: ProgressMarker[] = [];
    for (const [topic, partitions] of counts) for (let partition = 0; partition < partitions; partition++) round.push({ topic, partition, time, order });
    return round;
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
