import type { Admin } from 'kafkajs';
import type { TopicName } from '../../schemas/topics.js';
import { TokenBucket } from '../http/token-bucket.js';
import type { Logger } from '../logger.js';
import type { OrderStamps } from './ingest-order.js';
import { StampedPartitions, type PartitionCounts } from './stamped-partitions.js';

/** Rounds of markers that may go within one spacing (promptMs) after a quieter spell. */
const ROUND_BURST = 2;

/** One partition's progress marker: every record of it received at or before `time` went before it. */
export interface ProgressMarker {
  readonly topic: TopicName;
  readonly partition: number;
  readonly time: number;
  /** The order stamp of the last stamped record sent before it. */
  readonly order: string;
  /** The round it is of (numbered from 1): a queued round that a later one overtook is not sent. */
  readonly round: number;
}

/** What ProgressMarks needs of its bus. */
export interface ProgressMarksHost {
  /** Queues a marker (PROGRESS_HEADER) for one partition, after everything queued so far. */
  enqueue(marker: ProgressMarker): void;
  admin(): Promise<Admin>;
  kafkaTopic(topic: TopicName): string;
}

/**
 * The progress markers of a publisher of the stamped topics (STAMPED: ingest's books, trades and
 * resolutions): soon after it published some of their records, a round of markers, one to every
 * partition of every such topic that exists, with the latest receive time among the records sent
 * (less 1 ms: a later record may share it, a frame split between two produce batches) and the last
 * order stamp. A round rides in the produce request of the records when it may go; else a timed
 * round is queued for when it may: one round per `promptMs` (or `intervalMs`, if shorter) on
 * average, two within it at most, after a quieter spell (roundDelay). A bus makes one only when
 * markers are on (`intervalMs` > 0). With `wallClock` (live ingest, whose receive times are this
 * process's clock, each record published in the same task that took its time) a due round made in
 * the latest record's millisecond waits for it to be over, so that it covers that record; and
 * markers also go every `intervalMs` from the first record on, received or not, at the wall time
 * less 1 ms: consumers' event time moves on through a quiet market, as the real clock does in an
 * embedded live run.
 */
export class ProgressMarks {
  /** The latest receive time among the records sent. */
  private sentUntil: number | undefined;
  /** Records went out since the last markers. */
  private unmarked = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires (Date.now() time). */
  private dueAt = Number.POSITIVE_INFINITY;
  /** A round takes a token: one per spacing, ROUND_BURST at most (see roundDelay). */
  private readonly roundTokens: TokenBucket;
  /** The last round's number, marker time and order stamp. */
  private rounds = 0;
  private markedTime = Number.NEGATIVE_INFINITY;
  private markedOrder: string | undefined;
  private closed = false;
  /** Live: until when (Date.now() time) the next round waits, for the millisecond of the latest record when it first might have gone (see coverWait). */
  private coverUntil: number | undefined;
  private readonly partitions: StampedPartitions;

  constructor(
    private readonly host: ProgressMarksHost,
    private readonly stamps: OrderStamps,
    private readonly opts: { intervalMs: number; promptMs?: number | undefined; wallClock?: boolean | undefined; logger?: Logger | undefined },
  ) {
    this.partitions = new StampedPartitions(host.admin, host.kafkaTopic, opts.intervalMs);
    this.roundTokens = new TokenBucket({ capacity: ROUND_BURST, refillPerSecond: 1000 / this.spacing }, { now: () => Date.now() });
  }

  /**
   * Stamped records go in a produce request now, with their receive times. When a round is due and
   * the topics' partitions are known, it returns the round, to go in the same request after them
   * (each partition's marker after that partition's records); else none, and a timed round follows.
   * `queueEmpty`: whether no record waits for a later request (live: then the wall time is covered).
   */
  publishing(recvTimes: readonly number[], queueEmpty: boolean): ProgressMarker[] {
    for (const t of recvTimes) if (!(t <= (this.sentUntil ?? Number.NEGATIVE_INFINITY))) this.sentUntil = t;
    this.unmarked = true;
    const counts = this.partitions.known;
    const delayMs = this.roundDelay();
    if (delayMs > 0 || this.closed || counts === undefined) {
      this.arm(delayMs);
      return [];
    }
    const coverMs = this.coverWait(queueEmpty);
    if (coverMs > 0) {
      this.arm(coverMs);
      return [];
    }
    const round = this.round(counts, queueEmpty) ?? [];
    if (round.length > 0) {
      // This round says what a timed one armed before would.
      this.disarm();
      this.armNext();
    }
    return round;
  }

  /** The broker acknowledged records of these topics (see StampedPartitions.published). */
  published(topics: Iterable<TopicName>): void {
    this.partitions.published(topics);
  }

  /** True when a queued marker's round was overtaken by a later one (sent with records, or queued after it). */
  overtaken(round: number): boolean {
    return round < this.rounds;
  }

  /** The time between two rounds on average (promptMs, at most the interval; see roundDelay). */
  private get spacing(): number {
    return Math.min(this.opts.promptMs ?? this.opts.intervalMs, this.opts.intervalMs);
  }

  /**
   * The ms until a round may go (0: now). Rounds go at most one per spacing on average, and up to
   * ROUND_BURST within one spacing after a quieter spell: a record that comes right after a round
   * need not wait a whole spacing for the next one when the rounds before went slower than that.
   */
  private roundDelay(): number {
    return this.roundTokens.waitMs();
  }

  /**
   * After a round: live, the next one as soon as it may go when this one fell short of the latest
   * record's millisecond (a record of the same millisecond could still follow it), else the quiet
   * interval later; otherwise, while records are unmarked (sent while the round was made), the
   * interval later. A round that failed is tried again an interval later (see arm).
   */
  private armNext(): void {
    if (this.opts.wallClock === true) this.arm(this.markedTime < (this.sentUntil ?? Number.NEGATIVE_INFINITY) ? this.roundDelay() : this.opts.intervalMs);
    else if (this.unmarked) this.arm(this.opts.intervalMs);
  }

  /** Markers in `delayMs` (at once when it is not positive), unless a round is due sooner or the publisher closed. */
  private arm(delayMs: number): void {
    if (this.closed) return;
    const dueAt = Date.now() + Math.max(0, delayMs);
    if (this.timer !== undefined && this.dueAt <= dueAt) return;
    this.disarm();
    this.dueAt = dueAt;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dueAt = Number.POSITIVE_INFINITY;
      const coverMs = this.coverWait(true);
      if (coverMs > 0) {
        this.arm(coverMs);
        return;
      }
      void this.mark().then(
        () => this.armNext(),
        (err: unknown) => {
          this.opts.logger?.warn({ err }, 'kafka bus: could not write progress markers');
          // Tried again an interval later (live too: not as soon as a round may go, every millisecond while the broker is away).
          this.coverUntil = undefined;
          this.arm(this.opts.intervalMs);
        },
      );
    }, dueAt - Date.now());
    this.timer.unref();
  }

  /**
   * Live, with every record sent: a round made now, in the millisecond of the latest record, would
   * mark one short of it (a record of the same millisecond could still follow), and that record would
   * wait a whole spacing for the next round. So a due round waits, once, for that millisecond to be
   * over: the ms to wait, else 0 (go now). Once: records arriving every millisecond do not hold
   * rounds back.
   */
  private coverWait(queueEmpty: boolean): number {
    if (this.opts.wallClock !== true || !queueEmpty || this.sentUntil === undefined) return 0;
    // A deadline, not a flag: a sooner timer that fires first still waits for it.
    this.coverUntil ??= this.sentUntil + 1;
    return this.coverUntil - Date.now();
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.dueAt = Number.POSITIVE_INFINITY;
  }

  /** No more timed markers; the last ones, when records went out since (call once the queue is flushed, then flush again). */
  async close(): Promise<void> {
    this.disarm();
    this.closed = true;
    if (!this.unmarked) return;
    await this.mark(true).catch((err: unknown) => this.opts.logger?.warn({ err }, 'kafka bus: could not write the last progress markers'));
  }

  /** Queues a round after everything queued so far. `last`: the markers of a bus that is closing (a timed one then writes nothing). */
  private async mark(last = false): Promise<void> {
    if (this.sentUntil === undefined || this.stamps.marker() === undefined) return;
    const counts = await this.partitions.counts();
    // A close meanwhile writes the last markers itself (it sees records still unmarked).
    if (this.closed && !last) return;
    for (const marker of this.round(counts, true) ?? []) this.host.enqueue(marker);
  }

  /** A marker for every partition of the stamped topics that exist, covering the records sent so far (undefined: nothing new to say). */
  private round(counts: PartitionCounts, queueEmpty: boolean): ProgressMarker[] | undefined {
    const order = this.stamps.marker();
    const { sentUntil } = this;
    if (sentUntil === undefined || order === undefined) return undefined;
    // Taken right before the markers go: every record received earlier is sent before them, unless records still wait.
    // Never back: every record after the last round was received after its time.
    const time = Math.max(this.opts.wallClock === true && queueEmpty ? Math.max(sentUntil, Date.now()) - 1 : sentUntil - 1, this.markedTime);
    this.unmarked = false;
    this.coverUntil = undefined;
    if (time === this.markedTime && order === this.markedOrder) return undefined;
    this.roundTokens.reserve();
    this.markedTime = time;
    this.markedOrder = order;
    const round = ++this.rounds;
    const markers: ProgressMarker[] = [];
    for (const [topic, partitions] of counts) for (let partition = 0; partition < partitions; partition++) markers.push({ topic, partition, time, order, round });
    return markers;
  }
}
