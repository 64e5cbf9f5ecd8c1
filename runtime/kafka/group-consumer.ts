import type { Consumer } from 'kafkajs';
import { activeStandbyAssigner } from './active-standby-assigner.js';
import { coPartitionedAssigner } from './co-partitioned-assigner.js';
import type { KafkaBusOptions } from './kafka-bus-options.js';

export interface GroupConsumerHooks {
  /** How often the member heartbeats. */
  readonly heartbeatMs: number;
  /** With `active-standby`: since when this member has been the active one (undefined: it is not). */
  readonly activeSince: () => number | undefined;
  /** A fetch from a broker starts. */
  readonly fetchStarted: (nodeId: number) => void;
}

/**
 * A KafkaBus's consumer-group member, as its options say: timeouts, fetch wait, the partition
 * assignor (`assignment`), and restarts after a crash (a broker's error during a rebalance, say), a
 * few times (`maxRestarts`; then `onFatal`).
 */
export function newGroupConsumer(opts: KafkaBusOptions & { readonly groupId: string }, hooks: GroupConsumerHooks): Consumer {
  const sessionTimeout = opts.sessionTimeoutMs ?? 10_000;
  let restarts = 0;
  const consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout,
    rebalanceTimeout: Math.max(sessionTimeout, opts.rebalanceTimeoutMs ?? sessionTimeout),
    heartbeatInterval: hooks.heartbeatMs,
    maxWaitTimeInMs: opts.fetchMaxWaitMs ?? 50,
    allowAutoTopicCreation: true,
    ...(opts.assignment === 'active-standby'
      ? { partitionAssigners: [activeStandbyAssigner(hooks.activeSince)] }
      : opts.assignment === 'co-partitioned'
        ? { partitionAssigners: [coPartitionedAssigner] }
        : {}),
    retry: { retries: 8, initialRetryTime: 100, restartOnFailure: () => Promise.resolve(++restarts <= (opts.maxRestarts ?? 5)) },
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    opts.logger?.warn({ group: opts.groupId, err: payload.error, restart: payload.restart }, 'kafka consumer crashed');
    if (!payload.restart) opts.onFatal?.(payload.error);
  });
  consumer.on(consumer.events.FETCH_START, ({ payload }) => hooks.fetchStarted(payload.nodeId));
  return consumer;
}
