import type { KafkaMessage } from 'kafkajs';
import { PolyflowError } from '../errors.js';
import { recordTimeOf } from './ingest-order.js';

/**
 * How far every partition of one topic has progressed (its progress markers, as consumed): trade
 * holds a book (KafkaBusOptions.eventOrder) until every partition of prediction.v1 has progressed to
 * the book's receive time − 1, so every prediction due before the book has reached its operators.
 */
export class AwaitedProgress {
  private readonly times = new Map<number, number>();
  private floor = Number.NEGATIVE_INFINITY;
  /** Partitions whose last fetch left records on the broker. */
  private readonly lagging = new Set<number>();

  /** `partitions`: the topic's partition count (a partition with no marker yet holds everything). */
  constructor(private readonly partitions: number) {
    if (!(partitions > 0)) throw new PolyflowError('KAFKA_TOPICS_MISSING', 'kafka bus: the awaited topic has no partitions (create the topics with `polyflow topics`)');
  }

  /** What a fetch of a partition said: whether the broker has records of it after those fetched. */
  fetched(partition: number, brokerHasMore: boolean): void {
    if (brokerHasMore) this.lagging.add(partition);
    else this.lagging.delete(partition);
  }

  /** True while some partition has records on the broker not read yet (its markers may be among them). */
  get behind(): boolean {
    return this.lagging.size > 0;
  }

  /** A marker consumed: true when the least progress over the partitions moved. */
  saw(partition: number, time: number): boolean {
    if (time <= (this.times.get(partition) ?? Number.NEGATIVE_INFINITY)) return false;
    this.times.set(partition, time);
    if (this.times.size < this.partitions) return false;
    const floor = Math.min(...this.times.values());
    if (floor <= this.floor) return false;
    this.floor = floor;
    return true;
  }

  /** True once every partition has a marker (before that nothing is known of what is to come). */
  get known(): boolean {
    return this.floor > Number.NEGATIVE_INFINITY;
  }

  /** The least progress over the partitions (-Infinity until each has a marker). */
  get progress(): number {
    return this.floor;
  }

  /** A record may go when it has no receive time, or every partition has progressed to its time − 1. */
  passes(message: KafkaMessage): boolean {
    const time = recordTimeOf(message.headers);
    return time === undefined || time - 1 <= this.floor;
  }

  /** Each partition's latest marker time seen. */
  snapshot(): [number, number][] {
    return [...this.times];
  }

  /** Counts every partition as marked to `time` (a checkpoint that knew only that much of them). */
  assume(time: number): void {
    for (let partition = 0; partition < this.partitions; partition++) this.saw(partition, time);
  }

  /** Takes the markers seen as `snapshot()` gave them (a checkpoint's: the markers before its offsets are not read again). */
  restore(times: readonly (readonly [number, number])[]): void {
    for (const [partition, time] of times) this.saw(partition, time);
  }

  /** Forgets what was seen (operators rebuilt from earlier offsets read the markers again). */
  clear(): void {
    this.times.clear();
    this.lagging.clear();
    this.floor = Number.NEGATIVE_INFINITY;
  }
}
