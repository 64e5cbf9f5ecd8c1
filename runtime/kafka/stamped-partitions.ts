import type { Admin } from 'kafkajs';
import type { TopicName } from '../../schemas/topics.js';
import { STAMPED } from './ingest-order.js';

const STAMPED_TOPICS: readonly TopicName[] = STAMPED.flat();

/** Partitions per stamped topic (0: it does not exist yet). */
export type PartitionCounts = ReadonlyMap<TopicName, number>;

/**
 * The partition counts of the stamped topics that exist, for progress markers. Asking for a
 * missing topic's metadata could create it, so only listed topics are asked for. Once every topic
 * exists the counts are kept; until then they are asked again at most once per `refreshMs`, or at
 * the next round once records of a missing topic were acknowledged (published()). An answer that
 * misses a topic acknowledged meanwhile (the broker listed its topics before the first records made
 * it) is asked again at once, once per such topic: else the rounds, the last one included (which
 * joins the question in flight), would leave it unmarked.
 */
export class StampedPartitions {
  private complete: PartitionCounts | undefined;
  private partial: PartitionCounts | undefined;
  private askedAt = Number.NEGATIVE_INFINITY;
  private asking: Promise<PartitionCounts> | undefined;
  /** Stamped topics the broker acknowledged records of: they exist. */
  private readonly acknowledged = new Set<TopicName>();
  /** Acknowledged topics an answer missed, asked about again (once each: a broker whose metadata lags is not asked twice a round). */
  private readonly reasked = new Set<TopicName>();

  constructor(
    private readonly admin: () => Promise<Admin>,
    private readonly kafkaTopic: (topic: TopicName) => string,
    private readonly refreshMs: number,
  ) {}

  /**
   * The broker acknowledged records of these topics, so they exist: counts that miss one of them
   * are stale, and the next round asks again (a topic made by its first record, as a broker that
   * creates topics on use does, is marked from then on, not an interval later).
   */
  published(topics: Iterable<TopicName>): void {
    if (this.complete !== undefined) return;
    for (const topic of topics) {
      if (!STAMPED_TOPICS.includes(topic)) continue;
      this.acknowledged.add(topic);
      if (this.partial?.get(topic) === 0) this.askedAt = Number.NEGATIVE_INFINITY;
    }
  }

  /** The counts as known now, without asking (undefined: never asked, or stale while topics are missing). */
  get known(): PartitionCounts | undefined {
    return this.complete ?? (Date.now() - this.askedAt < this.refreshMs ? this.partial : undefined);
  }

  /** The counts: as known, or asked for (one question at a time; a failure rejects). */
  counts(): Promise<PartitionCounts> {
    const known = this.known;
    if (known !== undefined) return Promise.resolve(known);
    this.asking ??= this.ask().finally(() => {
      this.asking = undefined;
    });
    return this.asking;
  }

  private async ask(): Promise<PartitionCounts> {
    let counts = await this.askOnce();
    for (;;) {
      const missed = [...this.acknowledged].filter((topic) => counts.get(topic) === 0 && !this.reasked.has(topic));
      if (missed.length === 0) return counts;
      for (const topic of missed) this.reasked.add(topic);
      // A question asked again that fails leaves the answer there is (the round marks what it knows).
      const answered = counts;
      counts = await this.askOnce().catch(() => answered);
      if (counts === answered) return counts;
    }
  }

  private async askOnce(): Promise<PartitionCounts> {
    this.askedAt = Date.now();
    const admin = await this.admin();
    const existing = new Set(await admin.listTopics());
    const names = STAMPED_TOPICS.map((t) => this.kafkaTopic(t)).filter((t) => existing.has(t));
    const { topics: found } = await admin.fetchTopicMetadata({ topics: names });
    const counts = new Map(STAMPED_TOPICS.map((t) => [t, found.find((f) => f.name === this.kafkaTopic(t))?.partitions.length ?? 0]));
    if ([...counts.values()].includes(0)) this.partial = counts;
    else this.complete = counts;
    return counts;
  }
}
