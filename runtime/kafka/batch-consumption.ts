import type { Subject } from 'rxjs';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { TopicName } from '../../schemas/topics.js';
import { partitionKey } from './commit-marks.js';
import type { ConsumingParts } from './consuming-parts.js';
import { progressOf } from './ingest-order.js';
import type { KafkaBusOptions } from './kafka-bus-options.js';
import type { LagProbe } from './lag-probe.js';
import type { EmittedRun, MergedIntake } from './merged-intake.js';
import type { PublishMute } from './publish-mute.js';
import type { RecordDelivery } from './record-delivery.js';

/** What the consumption needs of its bus: the bus's failure, and the lag probe. */
export interface ConsumptionHost {
  /** The first failure of either side of the bus, if any. */
  failed(): unknown;
  /** The consuming side can go on no more: logged with `message`, and fatal. */
  fail(err: unknown, message: string): void;
  /** The lag of the assigned partitions (known once the group's consumer is made; none without metrics). */
  lagProbe(): LagProbe | undefined;
}

export interface BatchConsumptionOptions extends ConsumingParts {
  /** The topics' subjects (the operators' subscriptions). */
  readonly subjects: ReadonlyMap<TopicName, Subject<unknown>>;
  /** Topics the group's consumer reads, by their broker names. */
  readonly byKafkaTopic: ReadonlyMap<string, TopicName>;
  /** Topics the process publishes and reads back itself (KafkaBusOptions.local). */
  readonly localTopics: ReadonlySet<TopicName>;
  readonly kafkaTopic: (topic: string) => string;
  readonly delivery: RecordDelivery;
  /** On while the records handed over only rebuild state. */
  readonly mute: PublishMute;
  /** How often a member heartbeats while it waits for `settle`. */
  readonly heartbeatMs: number;
  readonly bus: Pick<KafkaBusOptions, 'eventOrder' | 'settle' | 'metrics'>;
}

/**
 * A KafkaBus's consumption of the batches its group's consumer fetches, one at a time: each
 * partition's records go to the operators in offset order (muted while they only rebuild state),
 * co-partitioned ones by way of the merged intake, and once the work they started is settled the
 * offset after them is marked for commit.
 */
export class BatchConsumption {
  private consuming: Promise<void> = Promise.resolve();
  private overdueQueued = false;

  constructor(
    private readonly host: ConsumptionHost,
    private readonly opts: BatchConsumptionOptions,
  ) {}

  /** Resolves once the batch in hand (and a merge's overdue release queued behind it) is done. */
  batchInHand(): Promise<void> {
    return this.consuming;
  }

  /** One batch at a time; an assignment's rebuild waits for the batch in hand (see AssignmentHandover). */
  consume(payload: EachBatchPayload): Promise<void> {
    const running = this.consuming.then(() => this.consumeBatch(payload));
    this.consuming = running.catch(() => undefined);
    return running;
  }

  /** A merge wait that ran out with no batch arriving: released between batches (once, however many fetches start meanwhile). */
  releaseOverdue(): void {
    if (this.overdueQueued) return;
    this.overdueQueued = true;
    this.consuming = this.consuming
      .then(() => {
        this.overdueQueued = false;
        return this.opts.intake?.release(() => Promise.resolve(), () => true);
      })
      .catch((err: unknown) => this.host.fail(err, 'kafka bus: could not hand over merged records'));
  }

  /** Hands records of one partition of a consumed topic to the operators (the merged intake's emit path, see emitRecords). */
  emitRun(kafkaTopic: string, partition: number, messages: readonly KafkaMessage[], heartbeat: () => Promise<void>, going: () => boolean): Promise<EmittedRun> {
    const topic = this.opts.byKafkaTopic.get(kafkaTopic) as TopicName;
    return this.emitRecords(topic, this.opts.subjects.get(topic) as Subject<unknown>, kafkaTopic, partition, messages, heartbeat, going);
  }

  /**
   * Once the work the emitted records started is settled, marks the offset after each run's last
   * for commit (unless `current()` says the assignment they came under is gone).
   */
  async settleAndMark(runs: readonly EmittedRun[], heartbeat: () => Promise<void>, current: () => boolean = () => true): Promise<void> {
    await this.settled(heartbeat);
    this.opts.mute.on = false;
    const failed = this.host.failed();
    if (failed !== undefined) throw failed;
    if (!current()) return;
    let marked = false;
    for (const { kafkaTopic, partition, last, live } of runs) {
      // Offsets below the rebuild bound were committed before: committing them again would move the group back.
      if (last === undefined || !live) continue;
      // The consumer goes on with the next batch while this one's outputs are in flight.
      this.opts.marks.mark(kafkaTopic, partition, (BigInt(last) + 1n).toString());
      marked = true;
    }
    if (marked) this.opts.committer.commitDue();
  }

  private async consumeBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { holds, intake, markers, positions } = this.opts;
    const topic = this.opts.byKafkaTopic.get(batch.topic);
    const subject = topic === undefined ? undefined : this.opts.subjects.get(topic);
    // A batch fetched before an assignment's rebuild was prepared is fetched again after its seek.
    if (topic === undefined || subject === undefined || holds.holding) return;
    if (intake?.merges(batch.topic) === true) return this.consumeMerged(payload, intake);
    let run: EmittedRun;
    try {
      run = await this.emitRecords(topic, subject, batch.topic, batch.partition, batch.messages, heartbeat, () => isRunning() && !isStale());
    } catch (err) {
      // kafkajs fetches the batch again from its last resolved offset: what went to the operators before the failure must not go twice.
      const next = positions.of(batch.topic, batch.partition);
      const first = batch.messages[0]?.offset;
      if (next !== undefined && first !== undefined && next > BigInt(first)) resolveOffset((next - 1n).toString());
      throw err;
    }
    await this.settleAndMark([run], heartbeat);
    const { last, live } = run;
    if (last === undefined) return;
    resolveOffset(last);
    this.host.lagProbe()?.consumed(batch.topic, batch.partition, batch.highWatermark, last);
    if (live) await this.opts.checkpoints.saveIfDue();
    markers.fetched(topic, batch.partition, batch.highWatermark, last);
    // Records held for the awaited topic's progress may go now.
    if (markers.takeAwaitedMoved() && (intake?.waiting ?? 0) > 0) await intake?.release(heartbeat, () => isRunning() && !isStale());
    await holds.awaitRelief(heartbeat, () => isRunning() && !isStale());
    await heartbeat();
  }

  /**
   * A co-partitioned topic's batch goes into the merge, and whatever is due then goes to the
   * operators (MergedIntake).
   */
  private async consumeMerged(payload: EachBatchPayload, intake: MergedIntake): Promise<void> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    const last = batch.messages[batch.messages.length - 1]?.offset;
    if (last === undefined) return;
    intake.add(payload);
    this.host.lagProbe()?.consumed(batch.topic, batch.partition, batch.highWatermark, last);
    await intake.release(heartbeat, () => isRunning() && !isStale());
    await this.opts.holds.awaitRelief(heartbeat, () => isRunning() && !isStale());
    await heartbeat();
  }

  /**
   * Hands one partition's records to the operators in offset order (until `going()` turns false or
   * consumption is held): how far it got, and whether any record was live (not only rebuilding state).
   */
  private async emitRecords(
    topic: TopicName,
    subject: Subject<unknown>,
    kafkaTopic: string,
    partition: number,
    messages: readonly KafkaMessage[],
    heartbeat: () => Promise<void>,
    going: () => boolean,
  ): Promise<EmittedRun> {
    const { delivery, positions } = this.opts;
    const until = positions.rebuildBound(kafkaTopic, partition);
    const local = this.opts.localTopics.has(topic);
    let last: string | undefined;
    let live = false;
    // Counted once a run (a labelled counter per record is a hash of its labels each time).
    let emitted = 0;
    let rebuilt = 0;
    try {
      for (const message of messages) {
        // A new assignment resets the operators: nothing more of this run goes into them.
        if (!going() || this.opts.holds.holding) break;
        const progress = message.value === null ? progressOf(message.headers) : undefined;
        if (progress !== undefined) {
          // A marker carries no record: its time goes to whoever forwards progress (in this partition's order).
          const inputTime = this.opts.markers.saw(topic, partition, progress);
          // Its offset is committed like a record's (a partition that ends with markers is caught up).
          if (until === undefined || BigInt(message.offset) >= until) live = true;
          last = message.offset;
          if (inputTime !== undefined) await this.advanceInput(inputTime, partitionKey(kafkaTopic, partition), BigInt(message.offset) + 1n, heartbeat);
          continue;
        }
        const rebuilding = until !== undefined && BigInt(message.offset) < until;
        if (local && !rebuilding) {
          // Published by this process since its assignment: its operators had it from publish().
          live = true;
          last = message.offset;
          continue;
        }
        if (rebuilding !== this.opts.mute.on) {
          // Work started by earlier records publishes under their mode before the mode changes.
          await this.settled(heartbeat);
          this.opts.mute.on = rebuilding;
        }
        if (rebuilding) rebuilt++;
        else live = true;
        if (!delivery.deliverReady(topic, subject, message)) await delivery.decodeAndDeliver(topic, subject, partition, message);
        emitted++;
        last = message.offset;
      }
    } finally {
      // Also when handing a record over failed: what went before it is where the operators are.
      delivery.counted(topic, emitted);
      if (rebuilt > 0) this.opts.bus.metrics?.rebuildRecords.labels(topic).inc(rebuilt);
      if (last !== undefined) positions.passed(kafkaTopic, partition, last);
    }
    return { kafkaTopic, partition, last, live };
  }

  /**
   * Gives the operators a new input time (inputProgress()). What they publish for it is muted only
   * while every partition it depends on is still rebuilding: then the run before the assignment got
   * as far and published it; once any is past its rebuild bound, it may not have (a duplicate, with
   * the same ids, is what at-least-once allows; a loss is not). `key` is at `next` already.
   */
  private async advanceInput(time: number, key: string, next: bigint, heartbeat: () => Promise<void>): Promise<void> {
    const order = this.opts.bus.eventOrder;
    if (order === undefined) return;
    // Every topic the input time depends on: the books, the resolutions merged with them, the predictions.
    const topics = new Set([order.topic, ...(order.alongside ?? []), order.awaiting].map((t) => this.opts.kafkaTopic(t)));
    const muted = this.opts.positions.allRebuilding(topics, key, next);
    const mute = this.opts.mute;
    const was = mute.on;
    if (muted !== was) await this.settled(heartbeat);
    mute.on = muted;
    try {
      this.opts.markers.giveInputTime(time);
      if (muted !== was) await this.settled(heartbeat);
    } finally {
      mute.on = was;
    }
  }

  /**
   * Awaits `settle` (scoring, webhook deliveries, sink writes) while heartbeating the group, so a
   * slow downstream holds the commit back without the broker taking this member for dead.
   */
  private async settled(heartbeat: () => Promise<void>): Promise<void> {
    const settle = this.opts.bus.settle;
    if (settle === undefined) return;
    const beat = setInterval(() => void heartbeat().catch(() => undefined), this.opts.heartbeatMs);
    try {
      await settle();
    } finally {
      clearInterval(beat);
    }
  }
}
