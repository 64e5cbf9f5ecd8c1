import { Subscription, type Observable } from 'rxjs';
import type { TopicName } from '../schemas/topics.js';
import type { Bus } from './bus.js';

export interface ForwardProgressOptions {
  /** The input topics; an output partition follows the same partition number of each. */
  readonly from: readonly TopicName[];
  readonly to: TopicName;
  /** Added to the forwarded time: predict's outputs are timed by their due time, `scoring.maxWaitMs` after their input. */
  readonly shift?: number;
  /** The earliest input time whose output is not published yet (Infinity: none): progress stays before it. */
  readonly holding?: () => number;
  /** When what is held may have gone out (outputs published): every partition is looked at again. */
  readonly recheck?: Observable<unknown>;
}

/**
 * Forwards the progress markers of a pipeline's inputs to its output topic (Kafka; on a bus without
 * markers, nothing). The topics are co-partitioned, so an input partition's records give outputs on
 * the same partition number: output partition p has progressed as far as the least progress of the
 * inputs' partitions p, and no further than what the pipeline still holds. A marker is written when
 * that moves forward, after the outputs of the inputs before it (they were published first).
 */
export function forwardProgress(bus: Bus, opts: ForwardProgressOptions): Subscription {
  const sub = new Subscription();
  const { progress, publishProgress } = bus;
  if (progress === undefined || publishProgress === undefined) return sub;
  /** Per partition: each input's latest progress. */
  const inputs = new Map<number, number[]>();
  const sent = new Map<number, number>();
  const forward = (partition: number): void => {
    const times = inputs.get(partition);
    if (times === undefined || times.includes(Number.NEGATIVE_INFINITY)) return;
    const time = Math.min(...times, (opts.holding?.() ?? Number.POSITIVE_INFINITY) - 1) + (opts.shift ?? 0);
    if (!Number.isFinite(time) || time <= (sent.get(partition) ?? Number.NEGATIVE_INFINITY)) return;
    sent.set(partition, time);
    publishProgress.call(bus, opts.to, partition, time);
  };
  opts.from.forEach((topic, i) => {
    sub.add(
      progress.call(bus, topic).subscribe(({ partition, time }) => {
        let times = inputs.get(partition);
        if (times === undefined) inputs.set(partition, (times = opts.from.map(() => Number.NEGATIVE_INFINITY)));
        times[i] = Math.max(times[i] as number, time);
        forward(partition);
      }),
    );
  });
  if (opts.recheck !== undefined) sub.add(opts.recheck.subscribe(() => inputs.forEach((_, partition) => forward(partition))));
  return sub;
}

/**
 * The input times of work a pipeline has taken in and not yet given out, which leaves in the order it
 * came (predict's vectors through its scoring batches): the earliest of them without a scan (a
 * monotonic queue of the times that can still be the least).
 */
export class OutstandingTimes {
  private readonly queue: number[] = [];
  private readonly candidates: number[] = [];
  private head = 0;

  added(time: number): void {
    this.queue.push(time);
    while (this.candidates.length > 0 && (this.candidates[this.candidates.length - 1] as number) > time) this.candidates.pop();
    this.candidates.push(time);
  }

  /** The oldest outstanding work went out. */
  done(): void {
    if (this.head >= this.queue.length) return;
    const time = this.queue[this.head++] as number;
    if (this.head === this.queue.length) [this.queue.length, this.head] = [0, 0];
    else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.candidates[0] === time) this.candidates.shift();
  }

  /** The earliest outstanding time; Infinity when nothing is outstanding. */
  earliest(): number {
    return this.candidates[0] ?? Number.POSITIVE_INFINITY;
  }
}
