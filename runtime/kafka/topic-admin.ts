import type { Admin } from 'kafkajs';
import { TOPICS, TOPIC_NAMES, deadLetterTopicOf } from '../../schemas/topics.js';

/** What a topic should look like on the broker. */
export interface TopicPlan {
  /** The topic's name without the prefix: one of TOPICS, or a consumer's dead-letter topic (`dlq.<topic>`). */
  readonly topic: string;
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
}

/** One verdict per topic: ok, or what is wrong with it. */
export interface TopicStatus {
  readonly name: string;
  readonly exists: boolean;
  readonly partitions: number | undefined;
  /** Differences from the plan; configs the broker would not describe are listed in `unverified`. */
  readonly problems: readonly string[];
  readonly unverified: readonly string[];
}

/**
 * Every topic of TOPICS (compacted ones `cleanup.policy=compact`, the others `delete` with
 * `retentionMs`), then the consumers' dead-letter topic of each (`dlq.<topic>`, `delete`).
 */
export function topicPlans(opts: { prefix: string; partitions: number; replicationFactor: number; retentionMs: number }): TopicPlan[] {
  const retained = { 'cleanup.policy': 'delete', 'retention.ms': String(opts.retentionMs) };
  const plan = (topic: string, config: Readonly<Record<string, string>>): TopicPlan => ({
    topic,
    name: `${opts.prefix}${topic}`,
    partitions: opts.partitions,
    replicationFactor: opts.replicationFactor,
    config,
  });
  return [
    ...TOPIC_NAMES.map((topic) => plan(topic, TOPICS[topic].compacted ? { 'cleanup.policy': 'compact' } : retained)),
    ...TOPIC_NAMES.map((topic) => plan(deadLetterTopicOf(topic), retained)),
  ];
}

/** The broker does not implement CreateTopics (librdkafka's mock cluster, or no reachable controller). */
export function isCreateTopicsUnsupported(err: unknown): boolean {
  const text = err instanceof Error ? `${err.name} ${err.message}` : String(err);
  return /not found in the cached metadata|UNSUPPORTED_VERSION|not supported|Unsupported/i.test(text);
}

/** Creates the missing topics; throws what the broker answered (see `isCreateTopicsUnsupported`). */
export async function createTopics(admin: Admin, plans: readonly TopicPlan[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = plans.filter((p) => !existing.has(p.name));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((p) => ({
      topic: p.name,
      numPartitions: p.partitions,
      replicationFactor: p.replicationFactor,
      configEntries: Object.entries(p.config).map(([name, value]) => ({ name, value })),
    })),
  });
  return missing.map((p) => p.name);
}

/** Checks every planned topic through metadata (never creating one) and, where the broker answers, its configs. */
export async function checkTopics(admin: Admin, plans: readonly TopicPlan[]): Promise<TopicStatus[]> {
  const existing = new Set(await admin.listTopics());
  const present = plans.filter((p) => existing.has(p.name));
  const metadata = present.length === 0 ? { topics: [] } : await admin.fetchTopicMetadata({ topics: present.map((p) => p.name) });
  const partitions = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
  let configs: Map<string, Map<string, string>> | undefined;
  try {
    const described = present.length === 0 ? { resources: [] } : await admin.describeConfigs({ includeSynonyms: false, resources: present.map((p) => ({ type: 2, name: p.name })) });
    configs = new Map(described.resources.map((r) => [r.resourceName, new Map(r.configEntries.map((e) => [e.configName, e.configValue]))]));
  } catch {
    configs = undefined; // DescribeConfigs unsupported (the mock cluster): reported per topic as unverified
  }
  return plans.map((plan): TopicStatus => {
    if (!existing.has(plan.name)) return { name: plan.name, exists: false, partitions: undefined, problems: ['missing'], unverified: [] };
    const problems: string[] = [];
    const unverified: string[] = [];
    const count = partitions.get(plan.name);
    if (count !== plan.partitions) problems.push(`partitions ${count} (want ${plan.partitions})`);
    const actual = configs?.get(plan.name);
    for (const [key, want] of Object.entries(plan.config)) {
      const got = actual?.get(key);
      if (actual === undefined || got === undefined) unverified.push(key);
      else if (got !== want) problems.push(`${key}=${got} (want ${want})`);
    }
    return { name: plan.name, exists: true, partitions: count, problems, unverified };
  });
}
