import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { Logger } from '../logger.js';
import { partitionKey } from './commit-marks.js';
import { CO_PARTITIONED, orderStampOf, progressOf } from './ingest-order.js';
import type { KafkaMetrics } from './kafka-metrics.js';
import { PartitionMerge, type PartitionMergeOptions } from './partition-merge.js';

/** How far the operators got in one partition's records, and whether any was live (not only rebuilding state). */
export interface EmittedRun {
  readonly kafkaTopic: string;
  readonly partition: number;
  readonly last: string | undefined;
  readonly live: boolean;
}

/** What the intake needs of its bus: the operators' side of consumption and the consumer's controls. */
export interface MergeHost {
  /** Hands records of one partition to the operators in offset order (until `going()` turns false or consumption is held). */
  emitRun(kafkaTopic: string, partition: number, messages: readonly KafkaMessage[], heartbeat: () => Promise<void>, going: () => boolean): Promise<EmittedRun>;
  /** Once the emitted records' work is settled, marks the offset after each run for commit (unless `current()` turned false). */
  settleAndMark(runs: readonly EmittedRun[], heartbeat: () => Promise<void>, current: () => boolean): Promise<void>;
  checkpointIfDue(): Promise<void>;
  /** True while an assignment is rebuilt or the bus stops: nothing more goes to the operators. */
  holding(): boolean;
  /** Group joins so far: a join while a hand-over waits may have given its partitions away. */
  joins(): number;
  /** The offset after the last record of a partition that the operators got, if any. */
  position(kafkaTopic: string, partition: number): bigint | undefined;
  /** Moves a partition's fetch position (throws when the consumer is not running). */
  seek(kafkaTopic: string, partition: number, offset: string): void;
  /** Pauses or resumes one partition's fetching. */
  pausePartition(kafkaTopic: string, partition: number, pause: boolean): void;
}

/**
 * A consumer's intake of co-partitioned topics in their publisher's order (KafkaBusOptions.ingestOrder):
 * fetched batches go into a PartitionMerge, and what it releases goes to the operators. The fetch
 * position moves past a batch at once; the operators' position, and so the commit, only past what was
 * released. A partition with more than `highWater` records waiting is paused until below half.
 */
export class MergedIntake {
  private readonly merge: PartitionMerge<KafkaMessage>;
  /**
   * Partitions fetched into the merge, with the first offset that went in since it was last cleared
   * (where a failed hand-over reads a partition again when the operators have no position in it:
   * records released but not handed over are no longer in the merge).
   */
  private readonly lanes = new Map<string, { topic: string; partition: number; from: string }>();
  /** Partitions paused because too much of theirs waits in the merge. */
  private readonly paused = new Map<string, { topic: string; partition: number }>();

  constructor(
    private readonly host: MergeHost,
    kafkaTopic: (topic: string) => string,
    private readonly opts: {
      orderWaitMs: number;
      highWater: number;
      /** The topics merged, per set (default CO_PARTITIONED). */
      sets?: readonly (readonly string[])[] | undefined;
      /** A total order of each set's partitions, with its gate (see PartitionMergeOptions). */
      merge?: PartitionMergeOptions<KafkaMessage> | undefined;
      metrics?: KafkaMetrics | undefined;
      logger?: Logger | undefined;
    },
  ) {
    this.merge = new PartitionMerge<KafkaMessage>((opts.sets ?? CO_PARTITIONED).map((set) => set.map(kafkaTopic)), opts.orderWaitMs, Date.now, opts.merge);
  }

  /** A new assignment (Kafka topic -> partitions): in total order, the partitions merged from the next clear() on. */
  assigned(assignment: Record<string, readonly number[]>): void {
    this.merge.declare(new Map(Object.entries(assignment)));
  }

  /** The gate's condition moved: records wait on it again, and what waits may go now (a release is due). */
  reopenGate(): void {
    this.merge.reopenGate();
  }

  /** Records fetched and not yet handed over. */
  get waiting(): number {
    return this.merge.size;
  }

  /** True when records of this (Kafka) topic go through the merge. */
  merges(kafkaTopic: string): boolean {
    return this.merge.merges(kafkaTopic);
  }

  /** A fetch started from a broker (by a running consumer): true when a wait has run out and a release between batches is due. */
  fetched(nodeId: number): boolean {
    this.merge.fetched(nodeId);
    return this.merge.overdue;
  }

  /** A fetched batch of a merged topic: into the merge, past it for the fetch position. */
  add({ batch, resolveOffset }: Pick<EachBatchPayload, 'batch' | 'resolveOffset'>): void {
    const { topic, partition, messages } = batch;
    const last = messages[messages.length - 1]?.offset;
    if (last === undefined) return;
    for (const message of messages) {
      this.merge.add(topic, partition, message.key?.toString('latin1') ?? '', orderStampOf(message.headers), message, message.value === null && progressOf(message.headers) !== undefined);
    }
    const key = partitionKey(topic, partition);
    if (!this.lanes.has(key)) this.lanes.set(key, { topic, partition, from: (messages[0] as KafkaMessage).offset });
    this.merge.brokerHasMore(topic, partition, BigInt(batch.highWatermark) > BigInt(last) + 1n);
    resolveOffset(last);
  }

  /**
   * Hands what the merge releases to the operators, one partition's run at a time, and bounds what
   * waits there. When handing over fails, the merged partitions are read again from the operators'
   * positions (the fetch had moved past what waited): nothing released is skipped.
   */
  async release(heartbeat: () => Promise<void>, going: () => boolean): Promise<void> {
    try {
      await this.handOver(heartbeat, going);
    } catch (err) {
      try {
        for (const lane of this.lanes.values()) this.host.seek(lane.topic, lane.partition, this.host.position(lane.topic, lane.partition)?.toString() ?? lane.from);
      } catch (seekErr) {
        // A consumer that is not running rejoins, and the assignment's rebuild seeks.
        this.opts.logger?.debug({ err: seekErr }, 'kafka consumer not running: merged partitions are read again on the next assignment');
      }
      this.clear();
      throw err;
    }
  }

  /** Forgets what waits in the merge (a new assignment reads its partitions again from the operators' positions). */
  clear(): void {
    this.merge.clear();
    this.lanes.clear();
    const paused = [...this.paused.values()];
    this.paused.clear();
    for (const { topic, partition } of paused) this.host.pausePartition(topic, partition, false);
  }

  /** Partitions paused for what waits of theirs: they stay paused when the consumer resumes. */
  pausedPartitions(): Iterable<{ topic: string; partition: number }> {
    return this.paused.values();
  }

  private async handOver(heartbeat: () => Promise<void>, going: () => boolean): Promise<void> {
    if (this.host.holding()) return;
    // A join while this hand-over waits (a release between batches is not awaited by kafkajs's rejoin)
    // may have given its partitions to another member: nothing more goes to the operators, nor is marked.
    const joins = this.host.joins();
    const current = (): boolean => going() && this.host.joins() === joins;
    // Per partition: how far its runs got (runs of one partition come in offset order).
    const runs = new Map<string, EmittedRun>();
    for (const { topic, partition, items } of this.merge.release()) {
      const run = await this.host.emitRun(topic, partition, items, heartbeat, current);
      const key = partitionKey(topic, partition);
      if (run.last !== undefined) runs.set(key, { ...run, live: run.live || runs.get(key)?.live === true });
      // Stopped early (an assignment or a stop): the rest is read again from the operators' position.
      if (run.last !== items[items.length - 1]?.offset) break;
    }
    await this.host.settleAndMark([...runs.values()], heartbeat, current);
    const waits = this.merge.takeWaits();
    if (waits > 0) this.opts.metrics?.orderWaits.inc(waits);
    this.opts.metrics?.orderWaiting.set(this.merge.size);
    this.bound();
    if ([...runs.values()].some((r) => r.live)) await this.host.checkpointIfDue();
  }

  /** Pauses a partition while more than `highWater` of it wait in the merge (another topic is behind), resumes it below half. */
  private bound(): void {
    for (const [key, lane] of this.lanes) {
      const waiting = this.merge.buffered(lane.topic, lane.partition);
      const paused = this.paused.has(key);
      if (!paused && waiting > this.opts.highWater) {
        this.paused.set(key, { topic: lane.topic, partition: lane.partition });
        this.host.pausePartition(lane.topic, lane.partition, true);
      } else if (paused && waiting <= this.opts.highWater / 2) {
        this.paused.delete(key);
        this.host.pausePartition(lane.topic, lane.partition, false);
      }
    }
  }
}
