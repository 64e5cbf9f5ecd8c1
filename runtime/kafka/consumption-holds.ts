import type { Consumer } from 'kafkajs';
import type { Logger } from '../logger.js';
import type { KafkaMetrics } from './kafka-metrics.js';

/** Why consumption is paused: each reason holds it until released. */
export type Hold = 'backpressure' | 'assignment' | 'stopping';

/** What the holds need of their bus. */
export interface HoldsHost {
  consumer(): Consumer | undefined;
  /** The topics the group's consumer reads (broker names). */
  topics(): readonly string[];
  /** Partitions that stay paused when consumption resumes (too far ahead of their co-partitioned topic). */
  pausedPartitions(): Iterable<{ readonly topic: string; readonly partition: number }>;
  /** True once the bus can go on no more (a batch waiting out backpressure stops waiting). */
  isFailed(): boolean;
  /** How often a batch waiting out backpressure heartbeats. */
  readonly heartbeatMs: number;
  readonly metrics?: KafkaMetrics | undefined;
  readonly logger?: Logger | undefined;
}

/**
 * A consumer's pauses: for backpressure (published records awaiting their acks above the high-water
 * mark), while an assignment is rebuilt, and while the bus stops. Consumption runs when no reason
 * holds it.
 */
export class ConsumptionHolds {
  private readonly holds = new Set<Hold>();
  /** While consumption is paused for backpressure: resolved when it resumes. */
  private relief: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(private readonly host: HoldsHost) {}

  has(reason: Hold): boolean {
    return this.holds.has(reason);
  }

  /** True while any reason holds consumption. */
  get any(): boolean {
    return this.holds.size > 0;
  }

  /** True while an assignment is rebuilt or the bus stops: nothing more goes to the operators. */
  get holding(): boolean {
    return this.holds.has('assignment') || this.holds.has('stopping');
  }

  /** Published records await their acks above the high-water mark. */
  backlogged(): void {
    if (this.holds.has('backpressure') || this.host.consumer() === undefined) return;
    this.host.metrics?.paused.set(1);
    this.host.metrics?.pauses.inc();
    let resolve = (): void => undefined;
    const promise = new Promise<void>((r) => (resolve = r));
    this.relief = { promise, resolve };
    this.hold('backpressure');
  }

  /** Below half of it again. */
  relieved(): void {
    if (!this.holds.has('backpressure')) return;
    this.host.metrics?.paused.set(0);
    this.release('backpressure');
    this.relief?.resolve();
    this.relief = undefined;
  }

  /** The bus failed: nothing more can be published or committed, so a batch waiting out backpressure would wait for good. */
  busFailed(): void {
    this.relief?.resolve();
  }

  /**
   * Ends a batch's handling only once a backpressure pause is over (heartbeating meanwhile): kafkajs
   * sleeps a whole fetch wait in each fetch cycle that finds every partition paused, so a resume it
   * meets only in its next cycle left the consumer idle for up to fetchMaxWaitMs. Returning after
   * the resume, its next fetch starts as soon as the published records are acknowledged.
   */
  async awaitRelief(heartbeat: () => Promise<void>, going: () => boolean): Promise<void> {
    while (this.relief !== undefined && !this.host.isFailed() && !this.holding && going()) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.relief.promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.host.heartbeatMs)))]);
      clearTimeout(timer);
      await heartbeat();
    }
  }

  hold(reason: Hold): void {
    if (this.holds.size === 0) this.pauseConsumer(true);
    this.holds.add(reason);
    // A batch waiting out backpressure returns at once when the bus stops or reassigns.
    if (reason !== 'backpressure') this.relief?.resolve();
  }

  release(reason: Hold): void {
    if (!this.holds.delete(reason) || this.holds.size > 0) return;
    this.pauseConsumer(false);
  }

  /**
   * Pauses or resumes one partition; while consumption is held every topic is paused already (and a
   * partition's pause would resume the rest of its topic in kafkajs), so the held state is left as it is.
   */
  pausePartition(topic: string, partition: number, pause: boolean): void {
    if (this.holds.size > 0) return;
    try {
      if (pause) this.host.consumer()?.pause([{ topic, partitions: [partition] }]);
      else this.host.consumer()?.resume([{ topic, partitions: [partition] }]);
    } catch (err) {
      this.host.logger?.debug({ err }, 'kafka consumer not running: nothing to pause or resume');
    }
  }

  /** Pauses or resumes every topic of the group; a consumer that crashed and is not running has nothing to pause. */
  private pauseConsumer(pause: boolean): void {
    const consumer = this.host.consumer();
    const topics = this.host.topics().map((topic) => ({ topic }));
    try {
      if (pause) consumer?.pause(topics);
      else {
        consumer?.resume(topics);
        for (const { topic, partition } of this.host.pausedPartitions()) consumer?.pause([{ topic, partitions: [partition] }]);
      }
    } catch (err) {
      this.host.logger?.debug({ err }, 'kafka consumer not running: nothing to pause or resume');
    }
  }
}
