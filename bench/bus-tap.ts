import type { Observable } from 'rxjs';
import type { Bus } from '../runtime/bus.js';
import type { TopicName, TopicTypes } from '../schemas/topics.js';

/** One published record, with the pipeline that published it. */
export interface TappedRecord {
  readonly topic: TopicName;
  readonly key: string;
  readonly value: unknown;
  readonly by: string;
}

/**
 * A Bus in front of another that notes which topics a pipeline subscribes to and, optionally, what
 * it publishes. A benchmark learns a pipeline's inputs from its own wiring this way (the ensemble
 * reads `pm.market.meta`, the single model does not) instead of keeping a second copy of the
 * pipeline table.
 */
export class BusTap implements Bus {
  readonly subscribed = new Set<TopicName>();

  constructor(
    private readonly inner: Bus,
    private readonly onPublish?: (record: TappedRecord) => void,
    private readonly by = '',
  ) {}

  publish<K extends TopicName>(topic: K, key: string, value: TopicTypes[K]): void {
    this.onPublish?.({ topic, key, value, by: this.by });
    this.inner.publish(topic, key, value);
  }

  topic<K extends TopicName>(topic: K): Observable<TopicTypes[K]> {
    this.subscribed.add(topic);
    return this.inner.topic(topic);
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
