import { Subject, type Observable } from 'rxjs';
import type { Admin, Consumer } from 'kafkajs';
import type { TopicName, TopicTypes } from '../../schemas/topics.js';
import type { Bus, Progress } from '../bus.js';
import { closeEach } from '../close-after.js';
import { PolyflowError } from '../errors.js';
import { PublishMute } from './publish-mute.js';
import { PublishOrder } from './publish-order.js';
import { cachedKeyPartitioner } from './kafka-client.js';
import { CompressionTypes } from './kafkajs.js';
import type { KafkaBusOptions } from './kafka-bus-options.js';
import { ConsumptionHolds } from './consumption-holds.js';
import { RecordDelivery, type Held } from './record-delivery.js';
import { ReferenceTableDelivery, type TableDeliveryHost } from './reference-table-delivery.js';
import { CommitMarks, type PartitionOffset } from './commit-marks.js';
import { OffsetCommitter } from './offset-committer.js';
import { newGroupConsumer } from './group-consumer.js';
import { checkCoPartitioned, OrderStamps, STAMPED } from './ingest-order.js';
import { ConsumedMarkers } from './consumed-markers.js';
import { LagProbe } from './lag-probe.js';
import { MergedIntake, type MergeHost } from './merged-intake.js';
import { KafkaPublisher, type Pending, type PublisherHost } from './kafka-publisher.js';
import { PartitionPositions } from './partition-positions.js';
import { BatchConsumption, type ConsumptionHost } from './batch-consumption.js';
import { AssignmentHandover, type HandoverHost } from './assignment-handover.js';
import { OperatorCheckpoints } from './operator-checkpoints.js';
import type { ConsumingParts } from './consuming-parts.js';

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
  /** The reference topics' rows to the operators (read apart from the group's consumer). */
  private readonly tables: ReferenceTableDelivery;
  private readonly order: PublishOrder<Held> | undefined;
  /** Consumed records to the operators: decoded, deduplicated, in publish order when kept, counted. */
  private readonly delivery: RecordDelivery;
  /** On while records that only rebuild state are emitted: publishes are dropped. */
  private readonly mute = new PublishMute();
  private admin: Admin | undefined;
  /** The lag of the assigned partitions (with metrics): set by each consumed batch, and asked of the broker every `lagProbeMs`. */
  private lagProbe: LagProbe | undefined;
  /** The assigned partitions: where the operators are in each, and up to where each only rebuilds state (with `rebuild`). */
  private readonly positions = new PartitionPositions();
  /** Offsets to commit once the outputs published before them are acknowledged. */
  private readonly marks = new CommitMarks();
  private readonly committer: OffsetCommitter;
  /** With `ingestOrder`: co-partitioned records wait here for their place. */
  private readonly intake: MergedIntake | undefined;
  /** What the progress markers consumed say (progress(), inputProgress(), the merge's gate). */
  private readonly markers: ConsumedMarkers;
  /** The operators' states saved with the offsets they reflect (with `rebuild.checkpoints`). */
  private readonly checkpoints: OperatorCheckpoints;
  /** The group consumer's batches to the operators and the commit marks. */
  private readonly consumption: BatchConsumption;
  /** Each assignment the group gives this member: offsets kept for it, its state rebuilt or kept. */
  private readonly handover: AssignmentHandover;

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
      mute: this.mute,
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
    const { subjects, byKafkaTopic, localTopics, holds, positions, marks, committer, markers, delivery, intake, heartbeatMs } = this;
    this.checkpoints = new OperatorCheckpoints({ holds, positions, committer, markers, bus: opts });
    const parts: ConsumingParts = { holds, positions, marks, committer, markers, checkpoints: this.checkpoints, intake };
    this.consumption = new BatchConsumption(this.consumptionHost(), { ...parts, subjects, byKafkaTopic, localTopics, delivery, mute: this.mute, heartbeatMs, kafkaTopic: (t) => this.kafkaTopic(t), bus: opts });
    this.handover = new AssignmentHandover(this.handoverHost(), { ...parts, bus: opts });
    this.tables = new ReferenceTableDelivery(this.tablesHost(), { topics: this.tableTopics, subjects, delivery, mute: this.mute, kafkaTopic: (t) => this.kafkaTopic(t), bus: opts });
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
    if (local && !this.mute.on && this.delivery.repeated(topic, value)) return;
    if (this.mute.on) this.opts.metrics?.rebuildMuted.labels(topic).inc();
    else this.enqueue({ topic, key, value, seq: this.order?.assign(topic) });
    // In ingest's order a rebuild derives the local topics again, muted, as they were made: the
    // operators get them in-process as live (their history is not read back).
    if (local && (!this.mute.on || this.opts.eventOrder !== undefined)) this.delivery.deliverLocal(topic, value);
  }

  /**
   * Writes a progress marker to one partition of `topic` (PROGRESS_HEADER): every record of the
   * partition whose time is at or before `time` was published before it. Nothing while the operators
   * rebuild state (what they derive then was published before).
   */
  publishProgress(topic: TopicName, partition: number, time: number): void {
    if (this.mute.on) return;
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
    if (this.tableTopics.length > 0) await this.tables.load(this.opts.groupId, sessionTimeout, opts.joinTimeoutMs ?? 60_000);
    await this.stopIfClosing();
    if (this.byKafkaTopic.size === 0) return;
    // Records published before the subscriptions existed have no subscriber here.
    for (const held of this.order?.release() ?? []) held.subject.next(held.value);
    const consumer = newGroupConsumer(
      { ...this.opts, groupId: this.opts.groupId },
      {
        heartbeatMs: this.heartbeatMs,
        activeSince: () => this.handover.activeSince,
        // A paused consumer fetches nothing: only fetches of a running one count for the merge's waits.
        fetchStarted: (nodeId) => {
          if (this.intake !== undefined && !this.holds.any && this.intake.fetched(nodeId)) this.consumption.releaseOverdue();
        },
      },
    );
    this.consumer = consumer;
    this.lagProbe = this.newLagProbe(this.opts.groupId);
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        this.handover.joined(payload.memberAssignment);
        resolve();
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...this.byKafkaTopic.keys()], fromBeginning: this.opts.fromBeginning ?? false });
    if (this.opts.ingestOrder === true && this.intake !== undefined) await checkCoPartitioned(await this.adminClient(), (t) => this.kafkaTopic(t), this.opts.logger);
    await this.markers.open(() => this.adminClient(), (t) => this.kafkaTopic(t));
    await this.stopIfClosing();
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.consumption.consume(payload) });
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
        () => this.tables.close(),
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
    await this.tables.close();
    throw new PolyflowError('KAFKA_CLOSED', 'kafka bus: closed while starting');
  }

  /** The bus's side of the merged intake: its emit path, commit marks, positions and consumer controls. */
  private mergeHost(): MergeHost {
    return {
      emitRun: (kafkaTopic, partition, messages, heartbeat, going) => this.consumption.emitRun(kafkaTopic, partition, messages, heartbeat, going),
      settleAndMark: (runs, heartbeat, current) => this.consumption.settleAndMark(runs, heartbeat, current),
      checkpointIfDue: () => this.checkpoints.saveIfDue(),
      holding: () => this.holds.holding,
      joins: () => this.handover.joins,
      position: (kafkaTopic, partition) => this.positions.of(kafkaTopic, partition),
      seek: (topic, partition, offset) => this.consumer?.seek({ topic, partition, offset }),
      pausePartition: (topic, partition, pause) => this.holds.pausePartition(topic, partition, pause),
    };
  }

  /** The bus's side of its batch consumption: the bus's failure and the lag probe. */
  private consumptionHost(): ConsumptionHost {
    return {
      failed: () => this.failed,
      fail: (err, message) => this.fail(err, message),
      lagProbe: () => this.lagProbe,
    };
  }

  /** The bus's side of the assignment hand-over: its consumer and admin, the batch in hand, and the operators' fresh start. */
  private handoverHost(): HandoverHost {
    return {
      batchInHand: () => this.consumption.batchInHand(),
      consumed: (kafkaTopic) => this.byKafkaTopic.has(kafkaTopic),
      local: (kafkaTopic) => {
        const name = this.byKafkaTopic.get(kafkaTopic);
        return name !== undefined && this.localTopics.has(name);
      },
      admin: () => this.adminClient(),
      seek: (seek) => this.consumer?.seek(seek),
      lagProbe: () => this.lagProbe,
      startedOver: () => {
        this.tables.replay();
        this.delivery.forgetIds();
      },
      fail: (err, message) => this.fail(err, message),
    };
  }

  /** The bus's side of its reference tables' delivery: whether it stops, and its admin client. */
  private tablesHost(): TableDeliveryHost {
    return {
      stopping: () => this.holds.has('stopping'),
      admin: () => this.adminClient(),
    };
  }

  /** A failure of the consuming side (a rebuild, a merged hand-over): logged, nothing more is published or committed, and the bus's owner hears of it (`onFatal`). */
  private fail(err: unknown, message: string): void {
    this.failure = err;
    this.opts.logger?.error({ err }, message);
    this.opts.onFatal?.(err);
  }

  /**
   * Stops consuming (the batch in hand finishes and its outputs are acknowledged) and saves a
   * checkpoint of the operators' states: call before unsubscribing them, then `close()`.
   */
  async stop(): Promise<void> {
    // The group is left by consumer.stop(): everything consumed is settled and committed before.
    this.holds.hold('stopping');
    try {
      await this.handover.handedOver();
      await this.consumption.batchInHand();
      await this.opts.settle?.();
      await this.committer.commitAll();
      await this.checkpoints.save();
    } catch (err) {
      // A failed publish commits nothing: the next member re-reads from the last committed offsets.
      this.opts.logger?.error({ err }, 'kafka bus: stopped without committing what is pending');
    } finally {
      await this.consumer?.stop();
    }
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

  /** True while published records wait above the high-water mark: a source should `await flush()`. */
  get pressure(): boolean {
    return this.publisher.pressure;
  }
}
