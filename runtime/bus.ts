import type { Observable } from 'rxjs';
import type { TopicName, TopicTypes } from '../schemas/topics.js';

/** One partition's progress: every record of it whose time is at or before `time` has arrived. */
export interface Progress {
  readonly partition: number;
  readonly time: number;
}

/**
 * The bus between pipelines: the in-process one (embedded mode) and the Kafka one implement the
 * same interface, so a pipeline never knows which it runs on.
 */
export interface Bus {
  /** Hands a record to the topic. Records of one key keep their order. */
  publish<K extends TopicName>(topic: K, key: string, value: TopicTypes[K]): void;
  /** Every record published to the topic after the subscription starts, in publish order. */
  topic<K extends TopicName>(topic: K): Observable<TopicTypes[K]>;
  /**
   * Kafka only: the progress markers consumed on a topic (see PROGRESS_HEADER), and writing one to a
   * partition. A pipeline forwards its inputs' progress to its outputs' partitions with them.
   */
  progress?(topic: TopicName): Observable<Progress>;
  publishProgress?(topic: TopicName, partition: number, time: number): void;
  /**
   * Kafka only, for a consumer in ingest's order (trade): rising times t by which every input
   * received at or before t has reached the operators (see InputProgress), in order with them.
   */
  inputProgress?(): Observable<number>;
  /** Resolves when every record published so far is durably handed over. */
  flush(): Promise<void>;
  close(): Promise<void>;
}
