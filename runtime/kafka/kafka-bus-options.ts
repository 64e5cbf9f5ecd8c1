import type { Kafka } from 'kafkajs';
import type { TopicName } from '../../schemas/topics.js';
import type { Logger } from '../logger.js';
import type { AvroTopicSerde } from './avro-serde.js';
import type { KafkaCheckpointStore } from './kafka-checkpoints.js';
import type { KafkaMetrics } from './kafka-metrics.js';

/** How a KafkaBus is set up (see KafkaBus). */
export interface KafkaBusOptions {
  readonly kafka: Kafka;
  /** For error messages only (the client has them). */
  readonly brokers?: readonly string[] | undefined;
  readonly serde: AvroTopicSerde;
  /** Consumer group; without one the bus only publishes (and `topic()` throws). */
  readonly groupId?: string | undefined;
  /** Prepended to every topic name on the broker. */
  readonly topicPrefix?: string | undefined;
  /** A new group starts at the earliest offset (true) or the latest (false, default). */
  readonly fromBeginning?: boolean | undefined;
  /** Records per produce request (default 500). */
  readonly batchSize?: number | undefined;
  /** Consumption pauses above this many unacknowledged published records, resumes below half (default 10,000). */
  readonly maxBufferedRecords?: number | undefined;
  /** Past this many records waiting for the broker the bus fails (onFatal) instead of growing (default 200,000). */
  readonly maxQueuedRecords?: number | undefined;
  readonly sessionTimeoutMs?: number | undefined;
  /** How long a rebalance waits for every member to join again (kafka.rebalanceTimeoutMs, 60 s by config; default and least the session timeout). */
  readonly rebalanceTimeoutMs?: number | undefined;
  /** How long the broker may hold a fetch that has no data (default 50 ms: a latency bound per hop). */
  readonly fetchMaxWaitMs?: number | undefined;
  /** Compression of the produced record batches (default none). */
  readonly compression?: 'none' | 'gzip' | undefined;
  /**
   * At most one offset commit this often while records keep coming (default 0: after every batch
   * whose outputs are acknowledged; see OffsetCommitter). Stop, checkpoints and rebalances commit at once.
   */
  readonly commitIntervalMs?: number | undefined;
  /** With metrics: how often the lag of the assigned partitions is asked of the broker (default 5 s). */
  readonly lagProbeMs?: number | undefined;
  /**
   * Awaited before offsets are committed, at a rebuild's switches between muted and live records, and
   * on stop: work the consumed records started or hold back that publishes later (model scoring, the
   * batch waiting to fill too: settleBeforeCommit).
   */
  readonly settle?: (() => Promise<void>) | undefined;
  readonly metrics?: KafkaMetrics | undefined;
  readonly logger?: Logger | undefined;
  /**
   * One-process runs only (the Kafka replay): records this bus published are handed to its
   * subscribers in publish order across all topics and partitions (a `polyflow-seq` header), as the
   * memory bus would, instead of in fetch order. Offsets of records held back for order may be
   * committed before they are emitted, so this is not for consumer-group deployments.
   */
  readonly publishOrder?: boolean | undefined;
  /**
   * Operator state rebuilt on every partition assignment (DESIGN §4), for pipelines whose operators
   * keep state (books, windows, throttles, positions). Consumption holds; `reset()` re-subscribes the
   * operators with the states of the assignment's checkpoint, or fresh; every assigned partition is
   * read again from the checkpoint's offset (or its earliest retained one), and records below the
   * group's committed offset only rebuild state: what the operators publish for them is dropped (it
   * was published, and acknowledged, before they were committed).
   * None: the consumer resumes at the committed offsets (stateless pipelines: persist, alerts).
   */
  readonly rebuild?: KafkaRebuild | undefined;
  /** Ids remembered per consumed topic to drop redelivered records (default 20,000). */
  readonly dedupeCapacity?: number | undefined;
  /**
   * Told when the consumer has stopped for good: kafkajs crashed it more than `maxRestarts` (default
   * 5) times, or with an error it will not restart on. A process should exit non-zero so its
   * supervisor restarts it (state is rebuilt on the new assignment).
   */
  readonly onFatal?: ((err: unknown) => void) | undefined;
  readonly maxRestarts?: number | undefined;
  /**
   * Reference topics every member reads in full (see ReferenceTables), read to their end before the
   * group's consumer starts and given again to operators rebuilt on an assignment. Subscribed topics
   * not listed are split between the members. Ignored with `publishOrder` (one process reads all).
   */
  readonly tables?: readonly TopicName[] | undefined;
  /**
   * How the group shares the partitions: `spread` (default, round robin over the members),
   * `co-partitioned` (each partition number of every topic to one member: see coPartitionedAssigner)
   * or `active-standby` (all to one member, the others stand by: see activeStandbyAssigner).
   */
  readonly assignment?: 'spread' | 'co-partitioned' | 'active-standby' | undefined;
  /**
   * The co-partitioned topics (CO_PARTITIONED: pm.book and pm.trade) are handed over in their
   * publisher's order, key by key (PartitionMerge over the `polyflow-order` stamps every KafkaBus
   * writes on them), not in fetch order; `start()` refuses topics whose partition counts differ.
   * Needs the `co-partitioned` assignment. `total`: one merge of every assigned partition of both in
   * the publisher's total order (a consumer whose operators see several keys' records together,
   * such as watch's arbitrage over a market's tokens; with the `active-standby` assignment). Ignored
   * with `publishOrder`.
   */
  readonly ingestOrder?: boolean | 'total' | undefined;
  /**
   * Records of `topic` (trade: pm.book) in their publisher's order over all its assigned partitions
   * (PartitionMerge in total order, by the `polyflow-order` stamps; the publisher's progress markers
   * raise an empty partition's watermark), each held until every partition of `awaiting`
   * (prediction.v1) has progressed to its receive time − 1 (`polyflow-time`), `waitMs` at most (then
   * records go without waiting until `awaiting` progresses again), once every partition of
   * `awaiting` has been marked (before that, and while it has records on the broker not read yet,
   * the wait does not run out). Needs progress markers upstream
   * (kafka.progressIntervalMs). The stamped topics `alongside` (trade: pm.resolution) are merged into
   * that one order with it: a market resolves among its books where ingest saw it resolve, not when
   * its partition happens to be fetched. Ignored with `publishOrder` or `ingestOrder`.
   */
  readonly eventOrder?: { readonly topic: TopicName; readonly alongside?: readonly TopicName[] | undefined; readonly awaiting: TopicName; readonly waitMs: number } | undefined;
  /** How long a partition waits for a co-partitioned record that may still come (default 500 ms; see PartitionMerge). */
  readonly orderWaitMs?: number | undefined;
  /**
   * A bus that stamps co-partitioned records writes a progress marker (PROGRESS_HEADER) to every
   * partition of those topics soon after it published some (see progressPromptMs), at most this
   * long after, and when it closes (default 0: none).
   */
  readonly progressIntervalMs?: number | undefined;
  /**
   * With markers on: the time between two rounds of them on average (two may go within it after a
   * quieter spell). A round goes in the produce request of the records it covers when it may, else
   * on its own once it may (default: the interval; see ProgressMarks).
   */
  readonly progressPromptMs?: number | undefined;
  /**
   * The stamped records' receive times are this process's wall clock (live ingest): markers go every
   * interval from the first record on, received or not, at the wall time − 1 (see ProgressMarks).
   */
  readonly progressWallClock?: boolean | undefined;
  /**
   * Topics this process publishes and reads back itself, and that no other process publishes
   * (trade's signals, orders, fills and portfolio): handed to its subscribers inside `publish()`,
   * as the memory bus does, so its operators see their own outputs at once and in the order they
   * were made (the risk gate counts a fill before the next signal, as in the embedded run). They
   * are still published for other processes. With `rebuild`, the group reads them too, but only
   * what was published before the assignment: a rebuild gives the operators the history as it was
   * published (muted), and what they derive again while muted is dropped, not handed over (replayed
   * in fetch order it could differ from what downstream saw). With `eventOrder` the operators'
   * order is ingest's, so a rebuild derives them again instead (muted, handed over in-process) and
   * their history is not read. Ignored with `publishOrder`.
   */
  readonly local?: readonly TopicName[] | undefined;
}

/** How a pipeline's operator state is rebuilt on assignment, and checkpointed (see KafkaBusOptions.rebuild). */
export interface KafkaRebuild {
  /** Re-subscribes the operators: with these states (by state id), or fresh. */
  reset(restored?: ReadonlyMap<string, unknown>): void | Promise<void>;
  /** The operators' live states by id (StateRegistry.snapshot); with `checkpoints`, they are saved. */
  snapshot?(): ReadonlyMap<string, unknown>;
  readonly checkpoints?: KafkaCheckpointStore | undefined;
  /** A checkpoint at most this often, after a commit (default 10 s), and one on stop(). */
  readonly checkpointIntervalMs?: number | undefined;
}
