import { Subject, type Observable } from 'rxjs';
import type { Admin, KafkaMessage } from 'kafkajs';
import type { TopicName } from '../../schemas/topics.js';
import type { Progress } from '../bus.js';
import type { Logger } from '../logger.js';
import { AwaitedProgress } from './awaited-progress.js';
import { progressChainPartitions, topicPartitions } from './ingest-order.js';
import { InputProgress, type InputProgressState } from './input-progress.js';
import type { KafkaBusOptions } from './kafka-bus-options.js';
import type { KafkaMetrics } from './kafka-metrics.js';

export interface ConsumedMarkersOptions {
  readonly eventOrder: KafkaBusOptions['eventOrder'];
  readonly groupId: string | undefined;
  /** The awaited topic progressed: a record held at the merge's gate may pass now. */
  readonly reopenGate: () => void;
  readonly metrics?: KafkaMetrics | undefined;
  readonly logger?: Logger | undefined;
}

/**
 * What a KafkaBus's consumer learns from the progress markers it reads (PROGRESS_HEADER): each
 * topic's markers for whoever forwards them (progress()), and with `eventOrder` (trade) how far the
 * awaited topic has progressed (the merge's gate) and how far the operators have read the input in
 * event time (inputProgress()). The bus hands it each marker in its partition's order, and resets
 * it when the operators are rebuilt.
 */
export class ConsumedMarkers {
  private readonly subjects = new Map<TopicName, Subject<Progress>>();
  /** With `eventOrder`: how far its awaited topic has progressed (known once opened). */
  private awaited: AwaitedProgress | undefined;
  /** The awaited topic progressed since takeAwaitedMoved() last looked. */
  private awaitedMoved = false;
  /** With `eventOrder`: how far the operators have read the input in event time. */
  private input: InputProgress | undefined;
  private readonly inputTimes = new Subject<number>();
  /** When warnUnmarked last spoke. */
  private unmarkedWarnedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: ConsumedMarkersOptions) {}

  /** The markers consumed on a topic, in each partition's order. */
  progress(topic: TopicName): Observable<Progress> {
    let subject = this.subjects.get(topic);
    if (subject === undefined) this.subjects.set(topic, (subject = new Subject<Progress>()));
    return subject.asObservable();
  }

  /** With `eventOrder`: the input times the operators are given (see KafkaBus.inputProgress()). */
  inputProgress(): Observable<number> {
    return this.inputTimes.asObservable();
  }

  /** Gives the operators an input time (the bus decides whether what they publish for it is muted). */
  giveInputTime(time: number): void {
    this.inputTimes.next(time);
  }

  /** With `eventOrder`: reads the partition counts of the progress chain and of the topics merged with the books (else asks nothing). */
  async open(adminClient: () => Promise<Admin>, kafkaTopic: (topic: TopicName) => string): Promise<void> {
    const order = this.opts.eventOrder;
    if (order === undefined) return;
    const admin = await adminClient();
    const partitions = await progressChainPartitions(admin, kafkaTopic, this.opts.logger);
    this.awaited = new AwaitedProgress(partitions);
    this.input = new InputProgress(partitions, this.awaited, await topicPartitions(admin, kafkaTopic, order.alongside ?? [], this.opts.logger));
  }

  /** A marker of `topic`'s partition went to the operators, after the records before it: the new input time, when it moved. */
  saw(topic: TopicName, partition: number, time: number): number | undefined {
    this.opts.metrics?.progress.labels(topic, String(partition)).set(time / 1000);
    this.subjects.get(topic)?.next({ partition, time });
    const order = this.opts.eventOrder;
    if (order === undefined) return undefined;
    if (topic === order.awaiting) {
      if (this.awaited?.saw(partition, time) !== true) return undefined;
      this.opts.reopenGate();
      this.awaitedMoved = true;
      return this.input?.awaitedMoved();
    }
    if (topic === order.topic) return this.input?.orderedMarker(partition, time);
    if (order.alongside?.includes(topic) === true) return this.input?.alongsideMarker(topic, partition, time);
    return undefined;
  }

  /** A batch of `topic`'s partition was handed over up to offset `last`, the broker's end being `highWatermark` (the awaited topic's count for the gate). */
  fetched(topic: TopicName, partition: number, highWatermark: string, last: string): void {
    if (topic === this.opts.eventOrder?.awaiting) this.awaited?.fetched(partition, BigInt(highWatermark) > BigInt(last) + 1n);
  }

  /** True once when the awaited topic progressed since the last call: what waits at the gate may go. */
  takeAwaitedMoved(): boolean {
    const moved = this.awaitedMoved;
    this.awaitedMoved = false;
    return moved;
  }

  /** The merge's gate: a book may go when every awaited partition has progressed to its receive time − 1. */
  passes(message: KafkaMessage): boolean {
    return this.awaited?.passes(message) === true;
  }

  /**
   * True while the gate's wait may not run out: the awaited topic has records on the broker not read
   * yet, or some partition of it was never marked (since the start or a rebuild; says why, at most
   * every 30 s).
   */
  gateBehind(): boolean {
    const awaited = this.awaited;
    if (awaited === undefined) return false;
    if (!awaited.known) this.warnUnmarked();
    return awaited.behind || !awaited.known;
  }

  /** The markers' progress for a checkpoint (its offsets are past them); undefined without `eventOrder`. */
  snapshot(): InputProgressState | undefined {
    return this.input?.snapshot();
  }

  /** The operators go on from the committed offsets: the input's markers are read again (the awaited topic's stay known). */
  forgetInput(): void {
    this.input?.clear();
  }

  /** The operators are rebuilt: every marker is read again from where they are, after what a checkpoint had seen of them. */
  rebuilt(checkpointed: InputProgressState | undefined): void {
    this.awaited?.clear();
    this.input?.clear();
    if (checkpointed !== undefined) this.input?.restore(checkpointed);
  }

  /** No more markers: the bus closes. */
  complete(): void {
    for (const subject of this.subjects.values()) subject.complete();
  }

  private warnUnmarked(): void {
    const now = Date.now();
    if (now - this.unmarkedWarnedAt < 30_000) return;
    this.unmarkedWarnedAt = now;
    const topic = this.opts.eventOrder?.awaiting;
    this.opts.logger?.warn(
      { topic, group: this.opts.groupId },
      `kafka bus: holding the books until every ${topic} partition has a progress marker (is predict running, and has it caught up?)`,
    );
  }
}
