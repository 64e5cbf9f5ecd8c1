/**
 * A follower's SyncGroup that reaches the coordinator after its leader's is answered with the
 * member's assignment by a broker. librdkafka's mock cluster (the test broker, `infra/kafka`) has
 * made the group stable with the leader's, takes no SyncGroup in a stable group, and answers
 * INVALID_REQUEST. kafkajs 2.2.4 treats that as not retriable: the consumer crashes and does not
 * restart, so the member never joins (seen here: three members joining at once on a loaded machine,
 * 3 starts in 21, the member then waiting out its join timeout).
 *
 * With the drop-in a follower's SyncGroup (one that carries no assignments) refused that way is a
 * rebalance in progress to kafkajs: it joins and syncs again with the same member id, as a member that
 * the coordinator tells to rejoin does, within its retries (then a crash that the consumer's
 * `restartOnFailure` may restart from: KafkaBus's `maxRestarts`). On the mock that rejoin waits out its
 * rebalance delay (the session timeout less 1 s) unless every member rejoins sooner. A leader's
 * SyncGroup, and every other answer, is kafkajs's own (an INVALID_REQUEST there is a real fault, and
 * still fails at once). With any other kafkajs version nothing is touched.
 */
import { isPatchedKafkajs, requireKafkajs } from './kafkajs-internals.js';

const BROKER_MODULE = 'kafkajs/src/broker/index.js';
const PROTOCOL_ERRORS_MODULE = 'kafkajs/src/protocol/error.js';
/** Kafka's REBALANCE_IN_PROGRESS error code. */
const REBALANCE_IN_PROGRESS = 27;

/** A SyncGroup request as kafkajs's ConsumerGroup makes it: a follower's carries no assignments. */
interface SyncGroupRequest {
  readonly groupAssignment: readonly unknown[];
}
type SyncGroup = (this: unknown, request: SyncGroupRequest) => Promise<unknown>;

/** An error kafkajs's consumer group rejoins on (its `isRebalancing`), for a SyncGroup the coordinator refused. */
export type RejoinError = (refused: Error) => Error;

/** `syncGroup`, with an INVALID_REQUEST answer to a follower turned into `rejoin`'s error; anything else as it was. */
export function rejoinOnRefusedSync(syncGroup: SyncGroup, rejoin: RejoinError): SyncGroup {
  return async function (this: unknown, request: SyncGroupRequest): Promise<unknown> {
    try {
      return await syncGroup.call(this, request);
    } catch (err) {
      const follower = request.groupAssignment.length === 0;
      if (!follower || (err as { type?: unknown } | null)?.type !== 'INVALID_REQUEST') throw err;
      throw rejoin(err as Error);
    }
  };
}

/** kafkajs's REBALANCE_IN_PROGRESS protocol error, saying what the coordinator answered. */
export function kafkajsRejoinError(refused: Error): Error {
  const { createErrorFromCode } = requireKafkajs(PROTOCOL_ERRORS_MODULE) as { createErrorFromCode: (code: number) => Error };
  const rejoin = createErrorFromCode(REBALANCE_IN_PROGRESS);
  rejoin.message = `the coordinator refused this member's SyncGroup (${refused.message}): joining again`;
  rejoin.cause = refused;
  // The stack's first line is the message it was taken with.
  Error.captureStackTrace(rejoin, kafkajsRejoinError);
  return rejoin;
}

/** Whether kafkajs 2.2.4's Broker rejoins on a refused SyncGroup ('unsupported': another release, as it was). */
export type RefusedSyncState = 'installed' | 'unsupported';

function installRejoinOnRefusedSync(): RefusedSyncState {
  if (!isPatchedKafkajs()) return 'unsupported';
  const Broker = requireKafkajs(BROKER_MODULE) as { prototype: { syncGroup: SyncGroup & { rejoinsOnRefusal?: true } } };
  // Once: a module graph loaded again (a test runner's) shares kafkajs's.
  if (Broker.prototype.syncGroup.rejoinsOnRefusal === true) return 'installed';
  Broker.prototype.syncGroup = Object.assign(rejoinOnRefusedSync(Broker.prototype.syncGroup, kafkajsRejoinError), { rejoinsOnRefusal: true as const });
  return 'installed';
}

/** Installed at load (a prototype method: brokers made before or after see it); createKafka warns when it is not. */
export const refusedSync = installRejoinOnRefusedSync();
