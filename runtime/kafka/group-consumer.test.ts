import type { ConsumerConfig } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { fakeKafka } from '../../test/helpers/fake-kafka.js';
import type { AvroTopicSerde } from './avro-serde.js';
import { coPartitionedAssigner } from './co-partitioned-assigner.js';
import { newGroupConsumer } from './group-consumer.js';
import type { KafkaBusOptions } from './kafka-bus-options.js';

const fake = (): ReturnType<typeof fakeKafka> & { config: () => ConsumerConfig } => {
  const f = fakeKafka(async () => undefined);
  return { ...f, config: () => f.consumerConfig() as ConsumerConfig };
};
const optionsOf = (kafka: KafkaBusOptions['kafka'], extra: Partial<KafkaBusOptions> = {}): KafkaBusOptions & { groupId: string } => ({ kafka, serde: {} as AvroTopicSerde, ...extra, groupId: 'g' });
const hooks = { heartbeatMs: 300, activeSince: () => undefined, fetchStarted: () => undefined };

describe('newGroupConsumer', () => {
  it('takes its timeouts, fetch wait and assignor from the options', () => {
    const { kafka, config } = fake();
    newGroupConsumer(optionsOf(kafka, { sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 2_000, fetchMaxWaitMs: 5, assignment: 'co-partitioned' }), hooks);
    expect(config()).toMatchObject({ groupId: 'g', sessionTimeout: 6_000, rebalanceTimeout: 6_000, heartbeatInterval: 300, maxWaitTimeInMs: 5 });
    expect(config().partitionAssigners).toEqual([coPartitionedAssigner]);
    newGroupConsumer(optionsOf(kafka), hooks);
    expect(config()).toMatchObject({ sessionTimeout: 10_000, rebalanceTimeout: 10_000, maxWaitTimeInMs: 50 });
    expect(config().partitionAssigners).toBeUndefined();
    newGroupConsumer(optionsOf(kafka, { assignment: 'active-standby' }), hooks);
    expect(config().partitionAssigners).toHaveLength(1);
    expect(config().partitionAssigners?.[0]).not.toBe(coPartitionedAssigner);
  });

  it('restarts after a crash maxRestarts times, then is fatal; a crash that restarts is only logged', async () => {
    const { kafka, config, emit } = fake();
    const onFatal = vi.fn();
    const warn = vi.fn();
    newGroupConsumer(optionsOf(kafka, { maxRestarts: 2, onFatal, logger: { warn } as unknown as KafkaBusOptions['logger'] }), hooks);
    const restart = config().retry?.restartOnFailure as (e: Error) => Promise<boolean>;
    expect([await restart(new Error('x')), await restart(new Error('x')), await restart(new Error('x'))]).toEqual([true, true, false]);
    emit('crash', { error: new Error('rebalance'), restart: true });
    expect(onFatal).not.toHaveBeenCalled();
    emit('crash', { error: new Error('gone'), restart: false });
    expect(onFatal).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('tells each fetch start with its broker', () => {
    const { kafka, emit } = fake();
    const fetchStarted = vi.fn();
    newGroupConsumer(optionsOf(kafka), { ...hooks, fetchStarted });
    emit('fetch_start', { nodeId: 3 });
    expect(fetchStarted).toHaveBeenCalledWith(3);
  });
});
