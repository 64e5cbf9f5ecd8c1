import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { avroSchemaDir, type AvroSchema } from '../../schemas/avro-types.js';
import { TOPICS, TOPIC_NAMES, type TopicName } from '../../schemas/topics.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { AvroTopicSerde } from './avro-serde.js';
import { createKafka } from './kafka-client.js';
import { KafkaBus } from './kafka-bus.js';
import type { KafkaBusOptions, KafkaRebuild } from './kafka-bus-options.js';
import { KafkaMetrics } from './kafka-metrics.js';
import { createSchemaRegistry } from './schema-registry.js';

/** The parsed `.avsc` of a topic's value schema, as committed under `schemas/`. */
export function committedSchemaOf(topic: TopicName): AvroSchema {
  return JSON.parse(readFileSync(join(avroSchemaDir(), `${TOPICS[topic].schema}.avsc`), 'utf8')) as AvroSchema;
}

export interface OpenKafkaBusOptions {
  readonly config: Config;
  /** Consumer group suffix: the group is `<kafka.groupIdPrefix>.<group>`; none: publish only. */
  readonly group?: string | undefined;
  readonly registry?: Registry | undefined;
  readonly logger?: Logger | undefined;
  readonly fromBeginning?: boolean | undefined;
  readonly topicPrefix?: string | undefined;
  readonly settle?: (() => Promise<void>) | undefined;
  readonly fetchMaxWaitMs?: number | undefined;
  /** One-process runs: emit this bus's own records in publish order (see KafkaBusOptions). */
  readonly publishOrder?: boolean | undefined;
  /** Pipelines with operator state: rebuild it on every partition assignment (see KafkaBusOptions). */
  readonly rebuild?: KafkaRebuild | undefined;
  readonly onFatal?: ((err: unknown) => void) | undefined;
  /** Reference topics every member reads in full (see KafkaBusOptions). */
  readonly tables?: readonly TopicName[] | undefined;
  /** How the group shares partitions (see KafkaBusOptions). */
  readonly assignment?: 'spread' | 'co-partitioned' | 'active-standby' | undefined;
  /** Co-partitioned topics handed over in ingest's order (see KafkaBusOptions). */
  readonly ingestOrder?: boolean | 'total' | undefined;
  /** See KafkaBusOptions.eventOrder (it waits `kafka.progressWaitMs` at most). */
  readonly eventOrder?: { readonly topic: TopicName; readonly alongside?: readonly TopicName[] | undefined; readonly awaiting: TopicName } | undefined;
  /** Topics this process publishes and reads back itself (see KafkaBusOptions). */
  readonly local?: readonly TopicName[] | undefined;
  /** Live ingest: its receive times are the wall clock, and its markers go on when nothing is received (see KafkaBusOptions). */
  readonly progressWallClock?: boolean | undefined;
}

/**
 * The Avro serde of the config's registry (`kafka.schemaRegistryUrl`; empty: an in-process mock
 * that registers every committed schema first, in one order, so separate processes agree on ids).
 */
export function openAvroSerde(kafka: Config['kafka'], topicPrefix = kafka.topicPrefix): AvroTopicSerde {
  return new AvroTopicSerde({
    client: createSchemaRegistry(kafka.schemaRegistryUrl),
    schemaOf: committedSchemaOf,
    kafkaTopic: (t) => `${topicPrefix}${t}`,
    registerFirst: kafka.schemaRegistryUrl === '' ? TOPIC_NAMES : undefined,
  });
}

/** A KafkaBus from the config's `kafka` section, with its metrics on `registry`. */
export function openKafkaBus(opts: OpenKafkaBusOptions): KafkaBus {
  return new KafkaBus(kafkaBusOptions(opts));
}

/** The KafkaBus options of the config's `kafka` section and a process's own (`openKafkaBus`). */
export function kafkaBusOptions(opts: OpenKafkaBusOptions): KafkaBusOptions {
  const { kafka } = opts.config;
  const topicPrefix = opts.topicPrefix ?? kafka.topicPrefix;
  return {
    kafka: createKafka({ brokers: kafka.brokers, clientId: kafka.clientId, logger: opts.logger }),
    brokers: kafka.brokers,
    serde: openAvroSerde(kafka, topicPrefix),
    groupId: opts.group === undefined ? undefined : `${kafka.groupIdPrefix}.${opts.group}`,
    topicPrefix,
    fromBeginning: opts.fromBeginning,
    batchSize: kafka.batchSize,
    compression: kafka.compression,
    maxBufferedRecords: kafka.maxBufferedRecords,
    maxQueuedRecords: kafka.maxQueuedRecords,
    sessionTimeoutMs: kafka.sessionTimeoutMs,
    rebalanceTimeoutMs: kafka.rebalanceTimeoutMs,
    settle: opts.settle,
    fetchMaxWaitMs: opts.fetchMaxWaitMs ?? kafka.fetchMaxWaitMs,
    commitIntervalMs: kafka.commitIntervalMs,
    lagProbeMs: kafka.lagProbeMs,
    publishOrder: opts.publishOrder,
    rebuild: opts.rebuild,
    onFatal: opts.onFatal,
    tables: opts.tables,
    assignment: opts.assignment,
    local: opts.local,
    ingestOrder: opts.ingestOrder,
    eventOrder: opts.eventOrder === undefined ? undefined : { ...opts.eventOrder, waitMs: kafka.progressWaitMs },
    orderWaitMs: kafka.orderWaitMs,
    progressIntervalMs: kafka.progressIntervalMs,
    progressPromptMs: kafka.progressPromptMs,
    progressWallClock: opts.progressWallClock,
    dedupeCapacity: kafka.dedupeCapacity,
    metrics: opts.registry === undefined ? undefined : new KafkaMetrics(opts.registry),
    logger: opts.logger,
  };
}

/**
 * What a process of a deployment says when it has no schema registry: ids then come from an
 * in-process registry that registers every committed schema in one order, so the processes of one
 * build agree, but a process of another build (a schema changed) would misread their records.
 */
export function warnWithoutRegistry(kafka: Config['kafka'], logger: Logger): void {
  if (kafka.schemaRegistryUrl !== '') return;
  logger.warn(
    'no schema registry (kafka.schemaRegistryUrl / SCHEMA_REGISTRY_URL): schema ids agree only between processes of this build; set one before running processes of different builds',
  );
}
