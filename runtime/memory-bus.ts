import { Subject, type Observable } from 'rxjs';
import type { TopicName, TopicTypes } from '../schemas/topics.js';
import type { Bus } from './bus.js';

/**
 * The embedded bus: one synchronous Subject per topic. A publish reaches every subscriber before
 * `publish` returns, so an in-process run is depth-first and deterministic: the same input order
 * gives the same output order, which is what makes replays byte-identical.
 */
export class MemoryBus implements Bus {
  private readonly subjects = new Map<TopicName, Subject<unknown>>();
  private readonly published: Map<TopicName, number>;

  /** `counts`: records published per topic before this bus existed (a replay resumed from a checkpoint). */
  constructor(counts?: ReadonlyMap<TopicName, number>) {
    this.published = new Map(counts ?? []);
  }

  publish<K extends TopicName>(topic: K, _key: string, value: TopicTypes[K]): void {
    this.published.set(topic, (this.published.get(topic) ?? 0) + 1);
    this.subjects.get(topic)?.next(value);
  }

  topic<K extends TopicName>(topic: K): Observable<TopicTypes[K]> {
    let subject = this.subjects.get(topic);
    if (subject === undefined) {
      subject = new Subject<unknown>();
      this.subjects.set(topic, subject);
    }
    return subject.asObservable() as Observable<TopicTypes[K]>;
  }

  /** Records published per topic since start. */
  counts(): ReadonlyMap<TopicName, number> {
    return this.published;
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    for (const subject of this.subjects.values()) subject.complete();
    this.subjects.clear();
    return Promise.resolve();
  }
}
