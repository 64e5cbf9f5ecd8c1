import type { TopicName } from '../../schemas/topics.js';

/**
 * Re-sequences a process's own records as they come back from the broker: each publish takes the
 * next sequence number, and a received record is released only once every earlier number has been
 * released or went to a topic nobody here reads. Fetches return partitions in any order; this
 * gives the subscribers publish order, as the memory bus does.
 */
export class PublishOrder<T> {
  private readonly topics = new Map<number, TopicName>();
  private readonly held = new Map<number, T | null>();
  private next = 0;
  private last = 0;

  constructor(private readonly subscribed: (topic: TopicName) => boolean) {}

  /** The sequence number of a record being published to `topic`. */
  assign(topic: TopicName): number {
    const seq = this.last++;
    this.topics.set(seq, topic);
    return seq;
  }

  /** Takes a received record (null: undecodable, released as nothing) and returns those now due, in order. */
  receive(seq: number, record: T | null): T[] {
    this.held.set(seq, record);
    return this.release();
  }

  /** Records due now (also after subscriptions change: numbers of topics nobody reads are skipped). */
  release(): T[] {
    const due: T[] = [];
    for (;;) {
      const topic = this.topics.get(this.next);
      if (topic === undefined) break;
      if (this.subscribed(topic) && !this.held.has(this.next)) break;
      const record = this.held.get(this.next);
      this.held.delete(this.next);
      this.topics.delete(this.next);
      this.next++;
      if (record !== undefined && record !== null) due.push(record);
    }
    return due;
  }

  /** Records received ahead of an earlier one still on its way. */
  get waiting(): number {
    return this.held.size;
  }
}
