/**
 * kafkajs's values, entered through here: the fast record codec module is evaluated first, before
 * kafkajs loads its producer and fetch decoders, the request queue's idle timer is fixed, and a
 * member whose SyncGroup the coordinator refuses joins again.
 * Types may come from 'kafkajs' directly.
 */
import './kafkajs-fast-codec.js';
import './kafkajs-request-queue.js';
import './kafkajs-refused-sync.js';
import kafkajs from 'kafkajs';

export { AssignerProtocol, CompressionTypes, Kafka, logLevel, PartitionAssigners, Partitioners } from 'kafkajs';
// The client's errors, as tests raise them from fakes (node's ESM loader does not see them as named exports of the CommonJS package).
export const { KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSTopicMetadataNotLoaded } = kafkajs;
