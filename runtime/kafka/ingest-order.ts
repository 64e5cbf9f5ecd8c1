import type { Admin } from 'kafkajs';
import type { TopicName } from '../../schemas/topics.js';
import { PolyflowError } from '../errors.js';
import type { Logger } from '../logger.js';
import { readRetrying } from './retriable-reads.js';

/**
 * Topics keyed alike whose records of one key form one ordered stream: ingest's book and trade
 * records of an asset are made in one order, which features must see again to compute what the
 * embedded run computes (a trade window at a book update holds exactly the trades before it).
 * A consumer reads a key's records of both from the partitions of one number, so their partition
 * counts must be equal (`polyflow topics` creates them so).
 */
export const CO_PARTITIONED: readonly (readonly TopicName[])[] = [['pm.book', 'pm.trade']];

/**
 * The topics whose records ingest stamps with its order and marks its progress on: the
 * co-partitioned ones, and the resolutions (keyed by market), so that a consumer of all of them in
 * one total order (watch: a market resolves between two of its books) sees them as ingest made them.
 */
export const STAMPED: readonly (readonly TopicName[])[] = [...CO_PARTITIONED, ['pm.resolution']];

/**
 * Topics whose progress markers go from partition p to partition p (forwardProgress): ingest's books
 * and trades to features.v1, features.v1 to prediction.v1. A trade process in ingest's order waits
 * for every prediction.v1 partition, so one without its number upstream would never be marked.
 */
export const PROGRESS_CHAIN: readonly TopicName[] = ['pm.book', 'pm.trade', 'features.v1', 'prediction.v1'];

/** Why topics (broker name -> partition count) that must have as many partitions (for `need`) do not, or undefined when they do. */
function partitionCountsDiffer(counts: ReadonlyMap<string, number>, need: string): string | undefined {
  if (new Set(counts.values()).size <= 1) return undefined;
  const listed = [...counts].map(([topic, n]) => `${topic} has ${n} partitions`).join(', ');
  return `${listed}: they must have as many ${need} (create them with \`polyflow topics\`)`;
}

/**
 * Partition counts of topics (by their broker names); a clear error when they cannot be read. A
 * failure the client calls retriable (metadata not loaded yet, as after a broker restart) is tried
 * again; an unknown topic is told at once (`polyflow topics` was not run).
 */
async function partitionCounts(admin: Admin, names: readonly string[], logger: Logger | undefined): Promise<Map<string, number>> {
  const what = names.join(' and ');
  const { topics } = await readRetrying(`the partitions of ${what}`, () => admin.fetchTopicMetadata({ topics: [...names] }), { logger }).catch((err: unknown) => {
    throw new PolyflowError('KAFKA_TOPICS_MISSING', `kafka bus: cannot read the partitions of ${what} (create the topics with \`polyflow topics\`): ${err instanceof Error ? err.message : String(err)}`, {
      retriable: true,
      cause: err,
    });
  });
  return new Map(names.map((name) => [name, topics.find((t) => t.name === name)?.partitions.length ?? 0]));
}

/** Refuses co-partitioned topics (by their broker names) that cannot be read or whose partition counts differ. */
export async function checkCoPartitioned(admin: Admin, kafkaTopic: (topic: TopicName) => string, logger?: Logger): Promise<void> {
  for (const set of CO_PARTITIONED) {
    const problem = partitionCountsDiffer(await partitionCounts(admin, set.map(kafkaTopic), logger), "for a key's records to share a partition number");
    if (problem !== undefined) throw new PolyflowError('KAFKA_NOT_COPARTITIONED', `kafka bus: ${problem}`);
  }
}

/** The partition count the progress chain's topics (by their broker names) share; refused when they cannot be read or their counts differ. */
export async function progressChainPartitions(admin: Admin, kafkaTopic: (topic: TopicName) => string, logger?: Logger): Promise<number> {
  const counts = await partitionCounts(admin, PROGRESS_CHAIN.map(kafkaTopic), logger);
  const problem = partitionCountsDiffer(counts, 'for progress markers to be forwarded partition to partition (or turn markers off: POLYFLOW_KAFKA_PROGRESS_INTERVAL_MS=0)');
  if (problem !== undefined) throw new PolyflowError('KAFKA_NOT_COPARTITIONED', `kafka bus: ${problem}`);
  return counts.values().next().value ?? 0;
}

/** The partition count of each of `topics`; refused when one cannot be read or has none. */
export async function topicPartitions(admin: Admin, kafkaTopic: (topic: TopicName) => string, topics: readonly TopicName[], logger?: Logger): Promise<Map<TopicName, number>> {
  const counts = await partitionCounts(admin, topics.map(kafkaTopic), logger);
  const found = new Map(topics.map((t) => [t, counts.get(kafkaTopic(t)) ?? 0]));
  const missing = [...found].filter(([, n]) => n === 0).map(([t]) => kafkaTopic(t));
  if (missing.length > 0) throw new PolyflowError('KAFKA_TOPICS_MISSING', `kafka bus: no partitions for ${missing.join(' and ')} (create the topics with \`polyflow topics\`)`, { retriable: true });
  return found;
}

/** Header of a co-partitioned record: `<epoch>:<g>:<n>` (see OrderStamp). */
export const ORDER_HEADER = 'polyflow-order';

/**
 * A co-partitioned record's place in its publisher's order: the publisher's epoch (its start, ms: a
 * restarted publisher's is later), its number among everything it stamped (`g`), and its number
 * among the records of its key in its set (`n`, counted without gaps).
 */
export interface OrderStamp {
  readonly epoch: number;
  readonly g: number;
  readonly n: number;
}

/** The stamps a publisher gives co-partitioned records, in publish order (see PartitionMerge for their use). */
export class OrderStamps {
  private readonly setOf = new Map<TopicName, number>();
  private readonly counters: Map<string, number>[];
  private g = 0;

  constructor(private readonly epoch = Date.now()) {
    STAMPED.forEach((topics, set) => {
      for (const topic of topics) this.setOf.set(topic, set);
    });
    this.counters = STAMPED.map(() => new Map<string, number>());
  }

  /** The header of the next record of `topic` with `key`; undefined for a topic of no set. */
  next(topic: TopicName, key: string): string | undefined {
    const set = this.setOf.get(topic);
    if (set === undefined) return undefined;
    const counters = this.counters[set] as Map<string, number>;
    const n = counters.get(key) ?? 0;
    counters.set(key, n + 1);
    return `${this.epoch}:${this.g++}:${n}`;
  }

  /** The stamp of a progress marker: as the last record stamped (nothing before it is still to come); undefined before the first. */
  marker(): string | undefined {
    return this.g === 0 ? undefined : `${this.epoch}:${this.g - 1}:0`;
  }
}

/** The stamp in a record's `polyflow-order` header; undefined when it has none (or not of this form). */
export function orderStampOf(headers: Readonly<Record<string, unknown>> | undefined): OrderStamp | undefined {
  const raw = headers?.[ORDER_HEADER];
  if (raw === undefined) return undefined;
  const header = Array.isArray(raw) ? (raw[0] as unknown) : raw;
  // Read digit by digit: a consumer parses one per book update and trade (split and Number cost 2% of features).
  const text = typeof header === 'string' ? Buffer.from(header) : header;
  if (!Buffer.isBuffer(text)) return undefined;
  let epoch = 0;
  let g = 0;
  let n = 0;
  let part = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as number;
    if (c === 58 /* : */ && digits > 0 && part < 2) {
      part++;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (part === 0) epoch = epoch * 10 + (c - 48);
      else if (part === 1) g = g * 10 + (c - 48);
      else n = n * 10 + (c - 48);
      digits++;
    } else return undefined;
  }
  return part === 2 && digits > 0 && Number.isSafeInteger(epoch) && Number.isSafeInteger(g) && Number.isSafeInteger(n) ? { epoch, g, n } : undefined;
}

/**
 * Header of a stamped record with a receive time (books and trades): `<recvTs>` (ms), so a consumer
 * can place it in time without decoding it (trade holds a book until the predictions due before it
 * are in: KafkaBusOptions.eventOrder).
 */
export const TIME_HEADER = 'polyflow-time';

/** The receive time in a record's `polyflow-time` header; undefined when it has none. */
export const recordTimeOf = (headers: Readonly<Record<string, unknown>> | undefined): number | undefined => integerHeader(headers, TIME_HEADER);

/** A header holding an integer (ms); undefined when absent or not one. */
function integerHeader(headers: Readonly<Record<string, unknown>> | undefined, name: string): number | undefined {
  const raw = headers?.[name];
  if (raw === undefined) return undefined;
  const header = Array.isArray(raw) ? (raw[0] as unknown) : raw;
  const time = Number(Buffer.isBuffer(header) ? header.toString('latin1') : header);
  return Number.isSafeInteger(time) ? time : undefined;
}

/**
 * Header of a progress marker: a record with no key and no value, `<time>` (ms) in this header,
 * written to one partition. It says that every record of that partition whose time is at or before
 * `<time>` was published before it: a book's or trade's receive time, a feature vector's input's, a
 * prediction's due time. ingest writes one to every partition of the stamped topics (STAMPED, with
 * its order stamp, so a merge knows the partition has nothing earlier to come); features and predict
 * forward them (runtime/progress-forwarder.ts).
 */
export const PROGRESS_HEADER = 'polyflow-progress';

/** The time of a progress marker; undefined for a data record. */
export const progressOf = (headers: Readonly<Record<string, unknown>> | undefined): number | undefined => integerHeader(headers, PROGRESS_HEADER);
