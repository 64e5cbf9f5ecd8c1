import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { kafkaBusOptions } from './open-kafka-bus.js';

describe('kafkaBusOptions', () => {
  it('hands every kafka setting of the config to the bus, where the bus reads it', () => {
    const config = loadConfig({
      env: {
        KAFKA_BROKERS: 'b1:9092,b2:9092',
        POLYFLOW_KAFKA_GROUP_ID_PREFIX: 'desk',
        POLYFLOW_KAFKA_TOPIC_PREFIX: 'pf.',
        POLYFLOW_KAFKA_BATCH_SIZE: '321',
        POLYFLOW_KAFKA_COMPRESSION: 'gzip',
        POLYFLOW_KAFKA_MAX_BUFFERED_RECORDS: '1234',
        POLYFLOW_KAFKA_MAX_QUEUED_RECORDS: '5678',
        POLYFLOW_KAFKA_SESSION_TIMEOUT_MS: '7000',
        POLYFLOW_KAFKA_REBALANCE_TIMEOUT_MS: '8000',
        POLYFLOW_KAFKA_FETCH_MAX_WAIT_MS: '9',
        POLYFLOW_KAFKA_LAG_PROBE_MS: '1500',
        POLYFLOW_KAFKA_ORDER_WAIT_MS: '250',
        POLYFLOW_KAFKA_PROGRESS_INTERVAL_MS: '40',
        POLYFLOW_KAFKA_PROGRESS_WAIT_MS: '3000',
        POLYFLOW_KAFKA_DEDUPE_CAPACITY: '999',
      },
    });
    const opts = kafkaBusOptions({ config, group: 'trade', eventOrder: { topic: 'pm.book', alongside: ['pm.resolution'], awaiting: 'prediction.v1' } });
    expect(opts).toMatchObject({
      brokers: ['b1:9092', 'b2:9092'],
      groupId: 'desk.trade',
      topicPrefix: 'pf.',
      batchSize: 321,
      compression: 'gzip',
      maxBufferedRecords: 1234,
      maxQueuedRecords: 5678,
      sessionTimeoutMs: 7000,
      rebalanceTimeoutMs: 8000,
      fetchMaxWaitMs: 9,
      lagProbeMs: 1500,
      orderWaitMs: 250,
      progressIntervalMs: 40,
      dedupeCapacity: 999,
      eventOrder: { topic: 'pm.book', alongside: ['pm.resolution'], awaiting: 'prediction.v1', waitMs: 3000 },
    });
    // A process's own fetch wait wins over the config's.
    expect(kafkaBusOptions({ config, fetchMaxWaitMs: 3 }).fetchMaxWaitMs).toBe(3);
  });
});
