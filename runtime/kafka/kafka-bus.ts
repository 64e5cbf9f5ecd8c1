import { Subject, type Observable } from 'rxjs';
import type { Admin, Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { TopicName, TopicTypes } from '../../schemas/topics.js';
import type { Bus, Progress } from '../bus.js';
import { closeEach } from '../close-after.js';
import { PolyflowError } from '../errors.js';
import { PublishOrder } from './publish-order.js';
import { cachedKeyPartitioner } from './kafka-client.js';
import { CompressionTypes } from './kafkajs.js';
import type { KafkaBusOptions } from './kafka-bus-options.js';
import { ConsumptionHolds } from './consumption-holds.js';
import { RecordDelivery, type Held } from './record-delivery.js';
import { ReferenceTables } from './reference-tables.js';
import { CommitMarks, partitionKey, type PartitionOffset } from './commit-marks.js';
import { OffsetCommitter } from './offset-committer.js';
import { newGroupConsumer } from './group-consumer.js';
import { checkCoPartitioned, OrderStamps, progressOf, STAMPED } from './ingest-order.js';
import { ConsumedMarkers } from './consumed-markers.js';
import { INPUT_PROGRESS_STATE, type InputProgressState } from './input-progress.js';
import { LagProbe } from './lag-probe.js';
import { MergedIntake, type EmittedRun, type MergeHost } from './merged-intake.js';
import { KafkaPublisher, type Pending, type PublisherHost } from './kafka-publisher.js';
import { PartitionPositions } from './partition-positions.js';
import { planRebuild } from './rebuild-plan.js';

/**
 * The bus over Kafka. Values are Avro in Confluent's wire format (`AvroTopicSerde`); keys are the
 * caller's (by `TOPICS[topic].keyedBy`), so one key's records land on one partition in order.
 *
 * Delivery rule (at-least-once): the consumer commits a batch's offsets only after every record it
 * emitted has been handed to the local subscribers, `settle()` has resolved, and every record
 * published so far (which includes everything derived from that batch) is acknowledged by the
 * broker (acks=all). A crash therefore replays input whose outputs may already exist: outputs
 * carry deterministic ids, so sinks dedupe (DESIGN §4). Records that an operator holds in its own
 * state (windows, books) are not "derived" yet; that state is rebuilt by replaying the topic, not
 * by the commit.
 *
 * Redelivery: a consumed record whose `id` was among the topic's last `dedupeCapacity` ids is dropped
 * (an upstream process that restarted re-publishes what it had not committed, with the same ids), so
 * operators downstream see each derived event once. With `rebuild`, state is rebuilt on assignment.
 *
 * Backpressure: publishing never blocks (the Bus contract), but the consumer is paused while more
 * than `maxBufferedRecords` published records await their ack, and resumed below half of it.
 * Undecodable values go to `dlq.<topic>` with the raw bytes, the original key, and headers
 * `polyflow-dlq-reason`, `polyflow-dlq-topic`, `polyflow-dlq-partition`, `polyflow-dlq-offset`.
 */
export class KafkaBus implements Bus {
  private readonly subjects = new Map<TopicName, Subject<unknown>>();
  private readonly publisher: KafkaPublisher;
  private consumer: Consumer | undefined;
  /** A failure of the consuming side (a rebuild, a merged hand-over); the publisher keeps its own. */
  private failure: unknown;
  private readonly holds: ConsumptionHolds;
  private started = false;
  /** Set when close() begins: a start() still connecting or joining stops at its next step. */
  private closing = false;
  private readonly highWater: number;
  /** How often a member heartbeats while it waits (a fifth of the session timeout). */
  private readonly heartbeatMs: number;
  /** Topics the group's consumer reads (by their broker name); reference tables are read apart. */
  private readonly byKafkaTopic = new Map<string, TopicName>();
  private readonly tableTopics: TopicName[] = [];
  private readonly localTopics: ReadonlySet<TopicName>;
  private tables: ReferenceTables | undefined;
  private readonly order: PublishOrder<Held> | undefined;
  /** Consumed records to the operators: decoded, deduplicated, in publish order when kept, counted. */
  private readonly delivery: RecordDelivery;
  /** True while records that only rebuild state are emitted: publishes are dropped. */
  private muted = false;
  private assignments = 0;
  /** Group joins so far: a hand-over of merged records that a join overtook stops and marks nothing. */
  private joins = 0;
  private assigning: Promise<void> = Promise.resolve();
  private consuming: Promise<void> = Promise.resolve();
  private admin: Admin | undefined;
  /** The lag of the assigned partitions (with metrics): set by each consumed batch, and asked of the broker every `lagProbeMs`. */
  private lagProbe: LagProbe | undefined;
  /** Since when (ms) the assignments have given this member topics (with `active-standby`: it is the active member); undefined: not now. */
  private activeSince: number | undefined;
  /** The assigned partitions: where the operators are in each, and up to where each only rebuilds state (with `rebuild`). */
  private readonly positions = new PartitionPositions();
  private checkpointedAt = Date.now();
  /** Offsets to commit once the outputs published before them are acknowledged. */
  private readonly marks = new CommitMarks();
  private readonly committer: OffsetCommitter;
  /** With `ingestOrder`: co-partitioned records wait here for their place. */
  private readonly intake: MergedIntake | undefined;
  private overdueQueued = false;
  /** What the progress markers consumed say (progress(), inputProgress(), the merge's gate). */
  private readonly markers: ConsumedMarkers;

  constructor(private readonly opts: KafkaBusOptions) {
    this.highWater = opts.maxBufferedRecords ?? 10_000;
    this.heartbeatMs = Math.max(100, Math.floor((opts.sessionTimeoutMs ?? 10_000) / 5));
    this.holds = new ConsumptionHolds({
      consumer: () => this.consumer,
      topics: () => [...this.byKafkaTopic.keys()],
      pausedPartitions: () => this.intake?.pausedPartitions() ?? [],
      isFailed: () => this.failed !== undefined,
      heartbeatMs: this.heartbeatMs,
      metrics: opts.metrics,
      logger: opts.logger,
    });
    this.markers = new ConsumedMarkers({ eventOrder: opts.eventOrder, groupId: opts.groupId, reopenGate: () => this.intake?.reopenGate(), metrics: opts.metrics, logger: opts.logger });
    this.order = opts.publishOrder === true ? new PublishOrder<Held>((topic) => this.subjects.has(topic)) : undefined;
    this.delivery = new RecordDelivery({
      serde: opts.serde,
      subjects: this.subjects,
      order: this.order,
      muted: () => this.muted,
      deadLetter: (topic, partition, message, err) => this.publisher.deadLetter(topic, partition, message, err),
      dedupeCapacity: opts.dedupeCapacity ?? 20_000,
      metrics: opts.metrics,
    });
    this.localTopics = new Set(this.order === undefined ? (opts.local ?? []) : []);
    this.publisher = new KafkaPublisher(
      opts.kafka.producer({ createPartitioner: cachedKeyPartitioner, allowAutoTopicCreation: true, maxInFlightRequests: 1, idempotent: false }),
      {
        serde: opts.serde,
        kafkaTopic: (t) => this.kafkaTopic(t),
        batchSize: opts.batchSize ?? 500,
        compression: opts.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
        highWater: this.highWater,
        maxQueued: opts.maxQueuedRecords ?? 200_000,
        // Co-partitioned records are stamped with their publish order for consumer groups that merge
        // them (a one-process run orders its own records by `polyflow-seq` instead).
        stamps: this.order === undefined ? new OrderStamps() : undefined,
        progressIntervalMs: opts.progressIntervalMs ?? 0,
        progressPromptMs: opts.progressPromptMs,
        progressWallClock: opts.progressWallClock,
        admin: () => this.adminClient(),
        metrics: opts.metrics,
        logger: opts.logger,
      },
      this.publisherHost(),
    );
    this.intake = this.order === undefined ? this.newIntake(opts) : undefined;
    this.committer = new OffsetCommitter(
      this.marks,
      { commit: (offsets) => this.commit(offsets), paused: () => this.holds.has('assignment'), flush: () => this.flush() },
      // What a successor re-publishes stays well within the ids a consumer remembers (kafka.dedupeCapacity, twice the high-water mark).
      { intervalMs: opts.commitIntervalMs ?? 0, maxUncommitted: Math.ceil(this.highWater / 2) },
    );
  }

  /** The bus's side of its publisher: commit marks, backpressure, publish order, and failure. */
  private publisherHost(): PublisherHost {
    return {
      queued: () => this.marks.recordPublished(),
      acknowledged: (records) => {
        this.marks.recordsAcknowledged(records);
        this.committer.commitDue();
      },
      backlogged: () => this.holds.backlogged(),
      relieved: () => this.holds.relieved(),
      givenUp: (seq) => {
        for (const held of this.order?.receive(seq, null) ?? []) held.subject.next(held.value);
      },
      failed: (err) => {
        this.holds.busFailed();
        // Nothing more can be published or committed: a consumer paused for backpressure would wait for good.
        this.opts.onFatal?.(err);
      },
    };
  }

  /** The first failure, of either side: the bus can go on with neither. */
  private get failed(): unknown {
    return this.failure ?? this.publisher.failed;
  }

  /** Queues a record or marker to publish, unless the bus failed. */
  private enqueue(pending: Pending): void {
    if (this.failure === undefined) this.publisher.enqueue(pending);
  }

  /** Where records wait for their place in ingest's order (ingestOrder, eventOrder); none in fetch order. */
  private newIntake(opts: KafkaBusOptions): MergedIntake | undefined {
    const intake = { orderWaitMs: opts.orderWaitMs ?? 500, highWater: this.highWater, metrics: opts.metrics, logger: opts.logger };
    const kafkaTopic = (t: string): string => this.kafkaTopic(t);
    if (opts.ingestOrder === true) return new MergedIntake(this.mergeHost(), kafkaTopic, intake);
    if (opts.ingestOrder === 'total') return new MergedIntake(this.mergeHost(), kafkaTopic, { ...intake, sets: [STAMPED.flat()], merge: { total: true } });
    const { eventOrder } = opts;
    if (eventOrder === undefined) return undefined;
    return new MergedIntake(this.mergeHost(), kafkaTopic, {
      ...intake,
      sets: [[eventOrder.topic, ...(eventOrder.alongside ?? [])]],
      merge: {
        total: true,
        gate: (message) => this.markers.passes(message),
        gateWaitMs: eventOrder.waitMs,
        // The wait does not run out before every partition of the awaited topic has been marked once
        // (since the start or a rebuild): a trade started on a backlog before predict, or before
        // predict has caught up on its start, would otherwise go on without the predictions and act
        // on them where they came, hours of books later (markets resolved by then).
        gateBehind: () => this.markers.gateBehind(),
      },
    });
  }

  /** The broker's name of a polyflow topic. */
  kafkaTopic(topic: string): string {
    return `${this.opts.topicPrefix ?? ''}${topic}`;
  }

  publish<K extends TopicName>(topic: K, key: string, value: TopicTypes[K]): void {
    const local = this.localTopics.has(topic);
    if (local && !this.muted && this.delivery.repeated(topic, value)) return;
    if (this.muted) this.opts.metrics?.rebuildMuted.labels(topic).inc();
    else this.enqueue({ topic, key, value, seq: this.order?.assign(topic) });
    // In ingest's order a rebuild derives the local topics again, muted, as they were made: the
    // operators get them in-process as live (their history is not read back).
    if (local && (!this.muted || this.opts.eventOrder !== undefined)) this.delivery.deliverLocal(topic, value);
  }

  /**
   * Writes a progress marker to one partition of `topic` (PROGRESS_HEADER): every record of the
   * partition whose time is at or before `time` was published before it. Nothing while the operators
   * rebuild state (what they derive then was published before).
   */
  publishProgress(topic: TopicName, partition: number, time: number): void {
    if (this.muted) return;
    this.enqueue({ topic, key: '', value: null, seq: undefined, marker: { partition, time, order: undefined } });
  }

  /**
   * With `eventOrder`: rising times t by which every record of its topic received at or before t,
   * and every record of the awaited topic due by t, has gone to the operators (InputProgress), given
   * in order with the records. Nothing without it.
   */
  inputProgress(): Observable<number> {
    return this.markers.inputProgress();
  }

  /** The progress markers consumed on a topic (subscribe it with topic() too), in each partition's order. */
  progress(topic: TopicName): Observable<Progress> {
    return this.markers.progress(topic);
  }

  topic<K extends TopicName>(topic: K): Observable<TopicTypes[K]> {
    if (this.opts.groupId === undefined) throw new PolyflowError('KAFKA_NO_GROUP', `kafka bus: topic(${topic}) needs a consumer group`);
    let subject = this.subjects.get(topic);
    if (subject === undefined) {
      if (this.started) throw new PolyflowError('KAFKA_LATE_SUBSCRIBE', `kafka bus: topic(${topic}) after start(): subscribe every topic before starting`);
      subject = new Subject<unknown>();
      this.subjects.set(topic, subject);
      if (this.order === undefined && this.opts.tables?.includes(topic) === true) this.tableTopics.push(topic);
      // A local topic is handed over by publish(); the group reads only its history, for rebuilds
      // (in ingest's order a rebuild derives it again: not read at all).
      else if (!this.localTopics.has(topic) || (this.opts.rebuild !== undefined && this.opts.eventOrder === undefined)) this.byKafkaTopic.set(this.kafkaTopic(topic), topic);
    }
    return subject.asObservable() as Observable<TopicTypes[K]>;
  }

  /** Connects; with topics subscribed, joins the group and resolves once partitions are assigned. */
  async start(opts: { joinTimeoutMs?: number } = {}): Promise<void> {
    this.started = true;
    await this.publisher.connect(this.opts.brokers ?? []);
    await this.stopIfClosing();
    if (this.subjects.size === 0 || this.opts.groupId === undefined) return;
    const sessionTimeout = this.opts.sessionTimeoutMs ?? 10_000;
    if (this.tableTopics.length > 0) await this.loadTables(this.opts.groupId, sessionTimeout, opts.joinTimeoutMs ?? 60_000);
    await this.stopIfClosing();
    if (this.byKafkaTopic.size === 0) return;
    // Records published before the subscriptions existed have no subscriber here.
    for (const held of this.order?.release() ?? []) held.subject.next(held.value);
    const consumer = newGroupConsumer(
      { ...this.opts, groupId: this.opts.groupId },
      {
        heartbeatMs: this.heartbeatMs,
        activeSince: () => this.activeSince,
        // A paused consumer fetches nothing: only fetches of a running one count for the merge's waits.
        fetchStarted: (nodeId) => {
          if (this.intake !== undefined && !this.holds.any && this.intake.fetched(nodeId)) this.releaseOverdue();
        },
      },
    );
    this.consumer = consumer;
    this.lagProbe = this.newLagProbe(this.opts.groupId);
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        this.opts.metrics?.rebalances.inc();
        // Any topic in the assignment, even with no partitions yet (a topic not created when the group formed).
        const active = Object.keys(payload.memberAssignment).length > 0;
        this.activeSince = active ? (this.activeSince ?? Date.now()) : undefined;
        this.joins++;
        this.intake?.assigned(payload.memberAssignment);
        this.lagProbe?.assigned(payload.memberAssignment);
        // Offsets of partitions another member owns now are its to commit.
        this.marks.keepAssigned(payload.memberAssignment);
        if (this.opts.rebuild !== undefined) this.rebuildOnAssignment(payload.memberAssignment);
        else {
          // Without a rebuild the consumer goes on from the committed offsets: what waited in the merge comes again.
          this.intake?.clear();
          this.markers.forgetInput();
          this.positions.forget();
        }
        resolve();
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.byKafkaTopic.keys()], fromBeginning: this.opts.fromBeginning ?? false });
    if (this.opts.ingestOrder === true && this.intake !== undefined) await checkCoPartitioned(await this.adminClient(), (t) => this.kafkaTopic(t), this.opts.logger);
    await this.markers.open(() => this.adminClient(), (t) => this.kafkaTopic(t));
    await this.stopIfClosing();
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.consume(payload) });
    if (!this.closing) this.lagProbe?.every(this.opts.lagProbeMs ?? 5_000, (err) => this.opts.logger?.debug({ err }, 'kafka bus: could not read the consumer lag'));
    const timeout = opts.joinTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      joined,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PolyflowError('KAFKA_JOIN_TIMEOUT', `kafka bus: group ${this.opts.groupId} not joined in ${timeout} ms`, { retriable: true })), timeout);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Resolves when every record published so far is acknowledged by the broker; rejects if a send failed. */
  async flush(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    await this.publisher.flush();
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * Records acknowledged per topic (published by this bus) and received per topic (consumed by it,
   * or handed over by publish() for a local topic):
   * a one-process run is quiet when every subscribed topic received what was published to it.
   */
  counts(): { readonly acked: ReadonlyMap<TopicName, number>; readonly received: ReadonlyMap<TopicName, number> } {
    return { acked: this.publisher.acked, received: this.delivery.received };
  }

  /** True when nothing waits to be sent and every subscribed topic has received all this bus published to it. */
  quiet(): boolean {
    if (!this.publisher.idle || (this.order?.waiting ?? 0) > 0) return false;
    for (const topic of this.subjects.keys()) if ((this.delivery.received.get(topic) ?? 0) < (this.publisher.acked.get(topic) ?? 0)) return false;
    return true;
  }

  /** Flushes, marks, and disconnects everything, each step though an earlier one failed; throws the first failure. */
  async close(): Promise<void> {
    this.closing = true;
    this.lagProbe?.stop();
    await closeEach(
      [
        () => this.flush(),
        // A publisher that stops marks all it published (after it is out, so the mark covers it); its timer stops either way.
        () => this.publisher.markLast(),
        () => this.markers.complete(),
        () => {
          // What is not committed now is read again by the next member (stop() commits first).
          this.committer.close();
          return this.consumer?.disconnect();
        },
        () => this.tables?.close(),
        () => this.admin?.disconnect(),
        () => this.publisher.disconnect(),
        () => {
          for (const subject of this.subjects.values()) subject.complete();
          this.subjects.clear();
        },
      ],
      this.opts.logger,
      'kafka bus',
    );
  }

  /** Ends a start() that close() overtook, closing the consumers it opened after close() ran. */
  private async stopIfClosing(): Promise<void> {
    if (!this.closing) return;
    await this.consumer?.disconnect();
    await this.tables?.close();
    throw new PolyflowError('KAFKA_CLOSED', 'kafka bus: closed while starting');
  }

  /** One batch at a time; an assignment's rebuild waits for the batch in hand (see rebuildOnAssignment). */
  private consume(payload: EachBatchPayload): Promise<void> {
    const running = this.consuming.then(() => this.consumeBatch(payload));
    this.consuming = running.catch(() => undefined);
    return running;
  }

  private async consumeBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const topic = this.byKafkaTopic.get(batch.topic);
    const subject = topic === undefined ? undefined : this.subjects.get(topic);
    // A batch fetched before an assignment's rebuild was prepared is fetched again after its seek.
    if (topic === undefined || subject === undefined || this.holds.holding) return;
    if (this.intake?.merges(batch.topic) === true) return this.consumeMerged(payload);
    let run: EmittedRun;
    try {
      run = await this.emitRecords(topic, subject, batch.topic, batch.partition, batch.messages, heartbeat, () => isRunning() && !isStale());
    } catch (err) {
      // kafkajs fetches the batch again from its last resolved offset: what went to the operators before the failure must not go twice.
      const next = this.positions.of(batch.topic, batch.partition);
      const first = batch.messages[0]?.offset;
      if (next !== undefined && first !== undefined && next > BigInt(first)) resolveOffset((next - 1n).toString());
      throw err;
    }
    await this.settleAndMark([run], heartbeat);
    const { last, live } = run;
    if (last === undefined) return;
    resolveOffset(last);
    this.lagProbe?.consumed(batch.topic, batch.partition, batch.highWatermark, last);
    if (live) await this.checkpointIfDue();
    this.markers.fetched(topic, batch.partition, batch.highWatermark, last);
    // Records held for the awaited topic's progress may go now.
    if (this.markers.takeAwaitedMoved() && (this.intake?.waiting ?? 0) > 0) await this.intake?.release(heartbeat, () => isRunning() && !isStale());
    await this.holds.awaitRelief(heartbeat, () => isRunning() && !isStale());
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
    const until = this.positions.rebuildBound(kafkaTopic, partition);
    const local = this.localTopics.has(topic);
    let last: string | undefined;
    let live = false;
    // Counted once a run (a labelled counter per record is a hash of its labels each time).
    let emitted = 0;
    let rebuilt = 0;
    try {
      for (const message of messages) {
        // A new assignment resets the operators: nothing more of this run goes into them.
        if (!going() || this.holds.holding) break;
        const progress = message.value === null ? progressOf(message.headers) : undefined;
        if (progress !== undefined) {
          // A marker carries no record: its time goes to whoever forwards progress (in this partition's order).
          const inputTime = this.markers.saw(topic, partition, progress);
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
        if (rebuilding !== this.muted) {
          // Work started by earlier records publishes under their mode before the mode changes.
          await this.settled(heartbeat);
          this.muted = rebuilding;
        }
        if (rebuilding) rebuilt++;
        else live = true;
        if (!this.delivery.deliverReady(topic, subject, message)) await this.delivery.decodeAndDeliver(topic, subject, partition, message);
        emitted++;
        last = message.offset;
      }
    } finally {
      // Also when handing a record over failed: what went before it is where the operators are.
      this.delivery.counted(topic, emitted);
      if (rebuilt > 0) this.opts.metrics?.rebuildRecords.labels(topic).inc(rebuilt);
      if (last !== undefined) this.positions.passed(kafkaTopic, partition, last);
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
    const order = this.opts.eventOrder;
    if (order === undefined) return;
    // Every topic the input time depends on: the books, the resolutions merged with them, the predictions.
    const topics = new Set([order.topic, ...(order.alongside ?? []), order.awaiting].map((t) => this.kafkaTopic(t)));
    const muted = this.positions.allRebuilding(topics, key, next);
    const was = this.muted;
    if (muted !== was) await this.settled(heartbeat);
    this.muted = muted;
    try {
      this.markers.giveInputTime(time);
      if (muted !== was) await this.settled(heartbeat);
    } finally {
      this.muted = was;
    }
  }

  /**
   * Once the work the emitted records started is settled, marks the offset after each run's last
   * for commit (unless `current()` says the assignment they came under is gone).
   */
  private async settleAndMark(runs: readonly EmittedRun[], heartbeat: () => Promise<void>, current: () => boolean = () => true): Promise<void> {
    await this.settled(heartbeat);
    this.muted = false;
    if (this.failed !== undefined) throw this.failed;
    if (!current()) return;
    let marked = false;
    for (const { kafkaTopic, partition, last, live } of runs) {
      // Offsets below the rebuild bound were committed before: committing them again would move the group back.
      if (last === undefined || !live) continue;
      // The consumer goes on with the next batch while this one's outputs are in flight.
      this.marks.mark(kafkaTopic, partition, (BigInt(last) + 1n).toString());
      marked = true;
    }
    if (marked) this.committer.commitDue();
  }

  private async checkpointIfDue(): Promise<void> {
    if (Date.now() - this.checkpointedAt >= (this.opts.rebuild?.checkpointIntervalMs ?? 10_000)) await this.checkpoint();
  }

  /**
   * A co-partitioned topic's batch goes into the merge, and whatever is due then goes to the
   * operators (MergedIntake).
   */
  private async consumeMerged(payload: EachBatchPayload): Promise<void> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    const last = batch.messages[batch.messages.length - 1]?.offset;
    if (last === undefined) return;
    const intake = this.intake as MergedIntake;
    intake.add(payload);
    this.lagProbe?.consumed(batch.topic, batch.partition, batch.highWatermark, last);
    await intake.release(heartbeat, () => isRunning() && !isStale());
    await this.holds.awaitRelief(heartbeat, () => isRunning() && !isStale());
    await heartbeat();
  }

  /** A merge wait that ran out with no batch arriving: released between batches (once, however many fetches start meanwhile). */
  private releaseOverdue(): void {
    if (this.overdueQueued) return;
    this.overdueQueued = true;
    this.consuming = this.consuming
      .then(() => {
        this.overdueQueued = false;
        return this.intake?.release(() => Promise.resolve(), () => true);
      })
      .catch((err: unknown) => {
        this.failure = err;
        this.opts.logger?.error({ err }, 'kafka bus: could not hand over merged records');
        this.opts.onFatal?.(err);
      });
  }

  /** The bus's side of the merged intake: its emit path, commit marks, positions and consumer controls. */
  private mergeHost(): MergeHost {
    return {
      emitRun: (kafkaTopic, partition, messages, heartbeat, going) => {
        const topic = this.byKafkaTopic.get(kafkaTopic) as TopicName;
        return this.emitRecords(topic, this.subjects.get(topic) as Subject<unknown>, kafkaTopic, partition, messages, heartbeat, going);
      },
      settleAndMark: (runs, heartbeat, current) => this.settleAndMark(runs, heartbeat, current),
      checkpointIfDue: () => this.checkpointIfDue(),
      holding: () => this.holds.holding,
      joins: () => this.joins,
      position: (kafkaTopic, partition) => this.positions.of(kafkaTopic, partition),
      seek: (topic, partition, offset) => this.consumer?.seek({ topic, partition, offset }),
      pausePartition: (topic, partition, pause) => this.holds.pausePartition(topic, partition, pause),
    };
  }

  /**
   * Stops consuming (the batch in hand finishes and its outputs are acknowledged) and saves a
   * checkpoint of the operators' states: call before unsubscribing them, then `close()`.
   */
  async stop(): Promise<void> {
    // The group is left by consumer.stop(): everything consumed is settled and committed before.
    this.holds.hold('stopping');
    try {
      await this.assigning;
      await this.consuming;
      await this.opts.settle?.();
      await this.committer.commitAll();
      await this.checkpoint();
    } catch (err) {
      // A failed publish commits nothing: the next member re-reads from the last committed offsets.
      this.opts.logger?.error({ err }, 'kafka bus: stopped without committing what is pending');
    } finally {
      await this.consumer?.stop();
    }
  }

  /** Saves the operators' states with the offsets they reflect (with `rebuild.checkpoints`; not while an assignment is being rebuilt). */
  private async checkpoint(): Promise<void> {
    const rebuild = this.opts.rebuild;
    if (rebuild?.checkpoints === undefined || rebuild.snapshot === undefined || this.holds.has('assignment') || this.positions.assigned.length === 0) return;
    this.checkpointedAt = Date.now();
    // A restart resumes after the checkpoint's offsets: what the records before them published must be acknowledged.
    await this.committer.commitAll();
    const operators = new Map(rebuild.snapshot());
    // How far the markers had progressed, so a member restored from it gives the operators the input times a rebuild from the start would.
    const progress = this.markers.snapshot();
    if (progress !== undefined) operators.set(INPUT_PROGRESS_STATE, progress);
    await rebuild.checkpoints.save(this.positions.assigned, { operators, offsets: this.positions.snapshot() });
    this.opts.metrics?.checkpoints.inc();
  }

  /**
   * Commits the marks' offsets. In a rebalance the commit of the old generation can be refused: the
   * new assignment's rebuild then starts from the offsets committed before, and outputs published
   * for the rest come again with the same ids (dropped downstream). Another refusal is logged and the
   * offsets are committed with the next marks (a later offset of a partition supersedes them).
   */
  private async commit(offsets: readonly PartitionOffset[]): Promise<boolean> {
    try {
      await this.consumer?.commitOffsets([...offsets]);
      this.opts.metrics?.commits.inc();
      return true;
    } catch (err) {
      if (this.holds.has('assignment')) {
        this.opts.logger?.warn({ err }, 'commit refused during a rebalance: the new assignment re-reads from the last committed offset');
        return true;
      }
      this.opts.logger?.warn({ err }, 'commit failed: retried with the next commit');
      this.marks.retry(offsets);
      return false;
    }
  }

  /**
   * Awaits `settle` (scoring, webhook deliveries, sink writes) while heartbeating the group, so a
   * slow downstream holds the commit back without the broker taking this member for dead.
   */
  private async settled(heartbeat: () => Promise<void>): Promise<void> {
    const settle = this.opts.settle;
    if (settle === undefined) return;
    const beat = setInterval(() => void heartbeat().catch(() => undefined), this.heartbeatMs);
    try {
      await settle();
    } finally {
      clearInterval(beat);
    }
  }

  /**
   * Holds consumption until the state of a new assignment is rebuilt: the operators are reset, and
   * every assigned partition is read again from its earliest retained offset, silently up to the
   * group's committed offset. Assignments are handled in order; a newer one supersedes an older one
   * that has not started.
   */
  private rebuildOnAssignment(assignment: Record<string, number[]>): void {
    const generation = ++this.assignments;
    this.holds.hold('assignment');
    this.assigning = this.assigning
      .then(async () => {
        // The batch in hand stops at its next record, commits what went through, and only then is the plan made.
        await this.consuming;
        if (generation !== this.assignments) return;
        // What waited in the merge is read again from the operators' positions (the seeks below).
        this.intake?.clear();
        await this.commitAssigned(assignment);
        if (this.resumeUnchanged(assignment)) return;
        const plan = await planRebuild(await this.adminClient(), assignment, {
          groupId: this.opts.groupId ?? '',
          consumed: (kafkaTopic) => this.byKafkaTopic.has(kafkaTopic),
          local: (kafkaTopic) => {
            const name = this.byKafkaTopic.get(kafkaTopic);
            return name !== undefined && this.localTopics.has(name);
          },
          checkpoints: this.opts.rebuild?.checkpoints,
          fromBeginning: this.opts.fromBeginning === true,
          logger: this.opts.logger,
        });
        // A member that is stopping leaves the group: the new owner rebuilds.
        if (generation !== this.assignments || this.holds.has('stopping')) return;
        const restored = plan.restored === undefined ? undefined : new Map(plan.restored);
        const progress = restored?.get(INPUT_PROGRESS_STATE);
        restored?.delete(INPUT_PROGRESS_STATE);
        await this.opts.rebuild?.reset(restored);
        // The markers are read again from where the operators are, after what a checkpoint had seen of them.
        this.markers.rebuilt(progress as InputProgressState | undefined);
        this.replayTables();
        this.delivery.forgetIds();
        this.positions.rebuild(plan);
        for (const seek of plan.seeks) this.consumer?.seek(seek);
        this.checkpointedAt = Date.now();
        this.opts.metrics?.rebuilds.inc();
        this.opts.logger?.info(
          { group: this.opts.groupId, partitions: plan.seeks.length, records: plan.records, from: plan.restored === undefined ? 'earliest retained offsets' : 'checkpoint' },
          'rebuilding operator state from the assigned partitions',
        );
        this.holds.release('assignment');
      })
      .catch((err: unknown) => {
        this.failure = err;
        this.opts.logger?.error({ err }, 'kafka bus: could not rebuild state on assignment (consumption stays held)');
        this.opts.onFatal?.(err);
      });
  }

  /** Reads the reference topics to their end before the group's consumer starts (the operators see every market's metadata before its books). */
  private async loadTables(groupId: string, sessionTimeoutMs: number, timeoutMs: number): Promise<void> {
    this.tables = new ReferenceTables({
      kafka: this.opts.kafka,
      groupId,
      topics: this.tableTopics,
      kafkaTopic: (t) => this.kafkaTopic(t),
      serde: this.opts.serde,
      admin: () => this.adminClient(),
      fetchMaxWaitMs: this.opts.fetchMaxWaitMs ?? 50,
      sessionTimeoutMs,
      deliver: (topic, value) => this.deliverTableRow(topic, value),
      undecodable: (topic, err) => {
        this.opts.metrics?.serdeErrors.labels(topic, 'deserialize').inc();
        this.opts.logger?.warn({ topic, err }, 'undecodable reference record skipped (every member reads it; none dead-letters it)');
      },
      logger: this.opts.logger,
    });
    const records = await this.tables.load(timeoutMs);
    this.opts.logger?.info({ topics: this.tableTopics, records }, 'reference topics read to their end');
  }

  /** A reference record as it arrives: live input, whatever the group's consumer is doing (a rebuild mutes only its own records). */
  private deliverTableRow(topic: TopicName, value: unknown): void {
    const subject = this.subjects.get(topic);
    if (subject === undefined || this.holds.has('stopping')) return;
    this.delivery.counted(topic);
    const muted = this.muted;
    this.muted = false;
    try {
      subject.next(value);
    } finally {
      this.muted = muted;
    }
  }

  /** Operators that started over get every reference row again; what they publish for it was published before. */
  private replayTables(): void {
    if (this.tables === undefined) return;
    this.muted = true;
    try {
      for (const row of this.tables.rows()) this.subjects.get(row.topic)?.next(row.value);
    } finally {
      this.muted = false;
    }
  }

  /** With metrics: each assigned partition's lag, asked of the broker (it rises while nothing is consumed). */
  private newLagProbe(groupId: string): LagProbe | undefined {
    const gauge = this.opts.metrics?.lag;
    if (gauge === undefined) return undefined;
    return new LagProbe({
      admin: () => this.adminClient(),
      groupId,
      gauge,
      topicOf: (kafkaTopic) => this.byKafkaTopic.get(kafkaTopic),
      position: (kafkaTopic, partition) => this.positions.of(kafkaTopic, partition),
    });
  }

  private async adminClient(): Promise<Admin> {
    if (this.admin === undefined) {
      this.admin = this.opts.kafka.admin();
      await this.admin.connect();
    }
    return this.admin;
  }

  /**
   * Before a rebuild reads the group's committed offsets: marks of partitions still assigned are
   * committed once their outputs are acknowledged; marks of the others are dropped (their new owner
   * re-reads from the last committed offset, and its outputs carry the same ids).
   */
  private async commitAssigned(assignment: Record<string, number[]>): Promise<void> {
    this.marks.keepAssigned(assignment);
    await this.committer.commitAll();
  }

  /**
   * A rebalance that leaves this member the partitions it had (a standby or another member joined or
   * left): the operators keep their state and each partition resumes at the next record they have
   * not seen (the group's committed offset may be behind it). False when anything changed.
   */
  private resumeUnchanged(assignment: Record<string, number[]>): boolean {
    const seeks = this.positions.resumeSeeks(
      Object.entries(assignment)
        .filter(([topic]) => this.byKafkaTopic.has(topic))
        .flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition }))),
    );
    if (seeks === undefined || this.holds.has('stopping')) return false;
    for (const seek of seeks) this.consumer?.seek(seek);
    this.opts.logger?.info({ group: this.opts.groupId, partitions: seeks.length }, 'assignment unchanged: operator state kept');
    this.holds.release('assignment');
    return true;
  }

  /** True while published records wait above the high-water mark: a source should `await flush()`. */
  get pressure(): boolean {
    return this.publisher.pressure;
  }
}
