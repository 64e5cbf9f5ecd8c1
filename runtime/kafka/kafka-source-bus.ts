import type { Observable } from 'rxjs';
import type { TopicName, TopicTypes } from '../../schemas/topics.js';
import type { Bus } from '../bus.js';
import { MemoryBus } from '../memory-bus.js';
import type { KafkaBus } from './kafka-bus.js';

/**
 * The bus of a source process on Kafka (`polyflow run ingest` with `bus.kind` kafka): every record
 * goes to the broker through a publish-only KafkaBus, and to this process's own subscribers
 * synchronously, as on the memory bus. Live ingest reads back what it published (books for gap
 * resyncs and the stale-feed breaker, metadata for the news linker); it never sees records of
 * other processes, and no consumer group is joined.
 */
export class KafkaSourceBus implements Bus {
  private readonly local = new MemoryBus();
  private watchdog: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly kafka: KafkaBus) {}

  /** Connects the producer (a broker that cannot be reached fails here, in one line). */
  start(): Promise<void> {
    return this.kafka.start();
  }

  publish<K extends TopicName>(topic: K, key: string, value: TopicTypes[K]): void {
    this.kafka.publish(topic, key, value);
    this.local.publish(topic, key, value);
  }

  topic<K extends TopicName>(topic: K): Observable<TopicTypes[K]> {
    return this.local.topic(topic);
  }

  /** Records published per topic (acknowledged by the broker once `close()` resolved). */
  counts(): ReadonlyMap<TopicName, number> {
    return this.local.counts();
  }

  flush(): Promise<void> {
    return this.kafka.flush();
  }

  /**
   * Rejects with the producer's error once a send failed for good (checked every `everyMs`). The
   * KafkaBus stops sending after a failure, so a source that went on would only fill its queue: the
   * process should stop and be restarted.
   */
  failure(everyMs = 1_000): Promise<never> {
    return new Promise<never>((_, reject) => {
      const check = (): void => {
        this.watchdog = undefined;
        this.kafka.flush().then(() => {
          if (!this.closed) this.watchdog = setTimeout(check, everyMs).unref();
        }, reject);
      };
      this.watchdog = setTimeout(check, everyMs).unref();
    });
  }

  /** Flushes to the broker, disconnects, and completes the local topics. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    try {
      await this.kafka.close();
    } finally {
      await this.local.close();
    }
  }
}
