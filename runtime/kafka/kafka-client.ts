import net from 'node:net';
import tls from 'node:tls';
import type { ICustomPartitioner, ISocketFactory, KafkaConfig } from 'kafkajs';
import { Kafka, logLevel, Partitioners } from './kafkajs.js';
import { PolyflowError } from '../errors.js';
import type { Logger } from '../logger.js';
import { installFastKafkajsCodec, type FastCodecState } from './kafkajs-fast-codec.js';
import { PATCHED_VERSION } from './kafkajs-internals.js';
import { refusedSync, type RefusedSyncState } from './kafkajs-refused-sync.js';
import { requestQueueCheck, type RequestQueueCheckState } from './kafkajs-request-queue.js';

/**
 * A kafkajs client whose logs go to the run's pino logger (component `kafka`), with the fast record
 * codec, the request queue's check and the rejoin on a refused SyncGroup; a warning for each drop-in
 * that is not in place.
 */
export function createKafka(opts: KafkaClientOptions): Kafka {
  const log = opts.logger?.child({ component: 'kafka' });
  for (const warning of dropInWarnings(installFastKafkajsCodec(), requestQueueCheck, refusedSync)) log?.warn(warning);
  return new Kafka(kafkaClientConfig(opts));
}

/** What a user loses when kafkajs is not the release the drop-ins were written for (PATCHED_VERSION, which package.json pins). */
export function dropInWarnings(codec: FastCodecState, requestQueue: RequestQueueCheckState, sync: RefusedSyncState): string[] {
  const warnings: string[] = [];
  if (codec === 'unsupported')
    warnings.push(`kafkajs is not ${PATCHED_VERSION}, or was loaded before runtime/kafka/kafkajs.ts: its own record codec stays in place (about half the throughput of a pipeline process)`);
  if (requestQueue === 'unsupported')
    warnings.push(`kafkajs is not ${PATCHED_VERSION}: its request queue may keep a 1 ms timer running on every broker connection, as ${PATCHED_VERSION}'s does (kafkajs issues #1556, #1704; measured on ${PATCHED_VERSION}: 5% of a core for one idle connection, and TimeoutNegativeWarning on Node 24)`);
  if (sync === 'unsupported')
    warnings.push(`kafkajs is not ${PATCHED_VERSION}: a member whose SyncGroup the coordinator refuses (librdkafka's mock cluster, when the member syncs after its leader) may crash and not rejoin its group`);
  return warnings;
}

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly logger?: Logger | undefined;
}

/** The kafkajs config of createKafka: retries, logs through the run's logger, sockets without Nagle's algorithm. */
export function kafkaClientConfig(opts: KafkaClientOptions): KafkaConfig {
  const log = opts.logger?.child({ component: 'kafka' });
  return {
    brokers: [...opts.brokers],
    clientId: opts.clientId,
    logLevel: logLevel.WARN,
    retry: { retries: 8, initialRetryTime: 100 },
    socketFactory: noDelaySocketFactory,
    logCreator:
      () =>
      ({ level, label, log: entry }) => {
        if (log === undefined) return;
        const { message, ...rest } = entry;
        // kafkajs logs every retried failure as ERROR; the one that gives up surfaces as an exception.
        if (level <= logLevel.WARN) log.warn(rest, `${label} ${message}`);
        else log.debug(rest, `${label} ${message}`);
      },
  };
}

/** Connects, turning a broker that cannot be reached into one clear, retriable error. */
export async function connectOrExplain(client: { connect(): Promise<void> }, brokers: readonly string[]): Promise<void> {
  try {
    await client.connect();
  } catch (err) {
    throw new PolyflowError('KAFKA_UNREACHABLE', `cannot reach Kafka at ${brokers.join(',')} (KAFKA_BROKERS / kafka.brokers): ${err instanceof Error ? err.message : String(err)}`, {
      retriable: true,
      cause: err,
    });
  }
}

/**
 * Kafka's default partitioner (murmur2 of the key, as the Java client), each key's partition
 * remembered: the keys are a bounded set (asset ids, markets), hashed once instead of per record.
 */
export const cachedKeyPartitioner: ICustomPartitioner = () => {
  const hashed = Partitioners.DefaultPartitioner();
  const partitions = new Map<string, number>();
  return (args) => {
    const { partitionMetadata, message } = args;
    if (typeof message.key !== 'string' || (message.partition !== undefined && message.partition !== null)) return hashed(args);
    const cacheKey = `${partitionMetadata.length}\u0000${message.key}`;
    let partition = partitions.get(cacheKey);
    if (partition === undefined) {
      partition = hashed(args);
      if (partitions.size >= 100_000) partitions.clear();
      partitions.set(cacheKey, partition);
    }
    return partition;
  };
};

/**
 * kafkajs's own socket factory with Nagle's algorithm off (TCP_NODELAY), as the Java client runs
 * (librdkafka has `socket.nagle.disable`): a small request written while another is
 * unacknowledged (a commit or heartbeat behind a waiting fetch, a produce behind a produce) goes
 * out at once instead of waiting for the broker's ACK.
 */
export const noDelaySocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl ? tls.connect({ host, port, ...(net.isIP(host) ? {} : { servername: host }), ...ssl }, onConnect) : net.connect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  socket.setNoDelay(true);
  return socket;
};
