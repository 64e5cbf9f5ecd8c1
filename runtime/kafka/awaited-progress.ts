import type { KafkaMessage } from 'kafkajs';
import { recordTimeOf } from './ingest-order.js';

/**
 * How far every partition of one topic has progressed (its progress markers, as consumed): trade
 * holds a book (KafkaBusOptions.eventOrder) until every partition of prediction.v1 has progressed to
 * the book's receive time − 1, so every prediction due before the book has reached its operators.
 */
export class AwaitedProgress {
  private readonly times = new Map<number, number>();
  private floor = Number.NEGATIVE_INFINITY;

  /** `partitions`: the topic's partition count (a partition with no marker yet holds everything). */
  constructor(private readonly partitions: number) {}

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

  /** A record may go when it has no receive time, or every partition has progressed to its time − 1. */
  passes(message: KafkaMessage): boolean {
    const time = recordTimeOf(message.headers);
    return time === undefined || time - 1 <= this.floor;
  }

  /** Forgets what was seen (operators rebuilt from earlier offsets read the markers again). */
  clear(): void {
    this.times.clear();
    this.floor = Number.NEGATIVE_INFINITY;
  }
}
