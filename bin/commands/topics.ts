import { parseArgs } from 'node:util';
import { loadConfig } from '../../runtime/config.js';
import { connectOrExplain, createKafka } from '../../runtime/kafka/kafka-client.js';
import { checkTopics, createTopics, isCreateTopicsUnsupported, topicPlans, type TopicStatus } from '../../runtime/kafka/topic-admin.js';
import { createLogger } from '../../runtime/logger.js';

/**
 * `polyflow topics [--check]`: creates the missing topics of TOPICS and their dead-letter topics (partitions, replication,
 * retention; `cleanup.policy=compact` for pm.market.meta) and verifies all of them through metadata.
 * `--check` only verifies. Exit 0: all as planned; 1: a topic is missing or differs; 2: the broker
 * cannot create topics (CreateTopics unsupported, e.g. librdkafka's mock cluster).
 */
export async function topicsCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { check: { type: 'boolean' }, config: { type: 'string' } } });
  const config = loadConfig({ file: values.config });
  const { kafka } = config;
  // stdout is the report; the client's own retries are noise unless asked for (log.level debug/trace).
  const logger = createLogger(config.log.level === 'debug' || config.log.level === 'trace' ? config.log.level : 'error');
  const admin = createKafka({ brokers: kafka.brokers, clientId: `${kafka.clientId}-admin`, logger }).admin();
  const plans = topicPlans({ prefix: kafka.topicPrefix, partitions: kafka.partitions, replicationFactor: kafka.replicationFactor, retentionMs: kafka.retentionMs });
  await connectOrExplain(admin, kafka.brokers);
  let unsupported = false;
  try {
    if (values.check !== true) {
      try {
        const created = await createTopics(admin, plans);
        process.stdout.write(created.length === 0 ? 'topics: nothing to create\n' : `topics: created ${created.join(', ')}\n`);
      } catch (err) {
        if (!isCreateTopicsUnsupported(err)) throw err;
        unsupported = true;
        process.stdout.write(
          `topics: this broker does not support CreateTopics (${err instanceof Error ? err.message : String(err)}).\n` +
            '  Topics will be auto-created on first use with the broker defaults: partition count as the broker sets it,\n' +
            '  no retention or compaction settings (pm.market.meta will NOT be compacted). Use a real broker to create them.\n',
        );
      }
    }
    const statuses = await checkTopics(admin, plans);
    process.stdout.write(formatStatuses(statuses));
    if (unsupported) return 2;
    return statuses.every((s) => s.problems.length === 0) ? 0 : 1;
  } finally {
    await admin.disconnect();
  }
}

function formatStatuses(statuses: readonly TopicStatus[]): string {
  const width = Math.max(...statuses.map((s) => s.name.length));
  const lines = statuses.map((s) => {
    const verdict = s.problems.length === 0 ? 'ok' : s.problems.join('; ');
    const unverified = s.unverified.length === 0 ? '' : ` (not verifiable here: ${s.unverified.join(', ')})`;
    return `  ${s.name.padEnd(width)}  ${s.exists ? `${s.partitions} partitions` : '-'.padEnd(13)}  ${verdict}${unverified}`;
  });
  return `${lines.join('\n')}\n`;
}
