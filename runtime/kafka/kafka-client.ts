import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import type { Logger } from '../logger.js';

/** A kafkajs client whose logs go to the run's pino logger (component `kafka`). */
export function createKafka(opts: { brokers: readonly string[]; clientId: string; logger?: Logger | undefined }): Kafka {
  const log = opts.logger?.child({ component: 'kafka' });
  const config: KafkaConfig = {
    brokers: [...opts.brokers],
    clientId: opts.clientId,
    logLevel: logLevel.WARN,
    retry: { retries: 8, initialRetryTime: 100 },
    logCreator:
      () =>
      ({ level, label, log: entry }) => {
        if (log === undefined) return;
        const { message, ...rest } = entry;
        if (level <= logLevel.ERROR) log.error(rest, `${label} ${message}`);
        else if (level === logLevel.WARN) log.warn(rest, `${label} ${message}`);
        else log.debug(rest, `${label} ${message}`);
      },
  };
  return new Kafka(config);
}
