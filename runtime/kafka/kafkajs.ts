/**
 * kafkajs's values, entered through here: the fast record codec module is evaluated first, before
 * kafkajs loads its producer and fetch decoders. Types may come from 'kafkajs' directly.
 */
import './kafkajs-fast-codec.js';

export { AssignerProtocol, CompressionTypes, Kafka, logLevel, PartitionAssigners, Partitioners } from 'kafkajs';
