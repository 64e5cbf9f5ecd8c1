import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDriftReference } from '../../models/drift-reference.js';
import { loadScorer } from '../../models/load-scorer.js';
import { replayRecordsOverKafka } from '../../pipelines/replay-kafka.js';
import { Registry } from 'prom-client';
import { loadConfig, redactConfig, REPLAY_DEFAULTS } from '../../runtime/config.js';
import { InputError } from '../../runtime/errors.js';
import { openKafkaBus } from '../../runtime/kafka/open-kafka-bus.js';
import { createLogger } from '../../runtime/logger.js';
import { fromPackageRoot } from '../../runtime/package-root.js';
import { FEATURE_SPEC } from '../../schemas/feature-spec.js';
import { MANIFEST_FILE, openAnalyticsStore } from '../../sinks/clickhouse/analytics-store.js';
import { JsonlFiles } from '../../sinks/jsonl-files.js';
import { readReplay } from '../../sources/replay/replay-directory.js';
import { formatSummary } from '../format-summary.js';
import { storeFlagOverrides } from '../replay-state.js';

/** Each record crosses several topics before the next is fed: short broker fetch waits keep the hops fast. */
const REPLAY_FETCH_WAIT_MS = 1;

/**
 * `polyflow replay <path> --bus kafka`: every pipeline in this process, talking through the broker
 * (`kafka.brokers` / KAFKA_BROKERS). Topics are prefixed per run (`replay-<id>.`, or
 * `kafka.topicPrefix` when set) and read by a fresh group from the beginning, so runs never see each
 * other's records. Analytics go to ClickHouse as in the embedded replay (`analytics.mode` clickhouse
 * by default: chDB under `--out`, or `analytics.url`; `--analytics files` for none). No durable
 * state on this path yet.
 */
export async function replayOverKafkaCommand(
  path: string,
  outDir: string,
  values: {
    config?: string | undefined;
    metrics?: string | undefined;
    state?: string | undefined;
    'state-url'?: string | undefined;
    'checkpoint-every'?: string | undefined;
    analytics?: string | undefined;
    'kafka-chunk'?: string | undefined;
    'fetch-order'?: boolean | undefined;
  },
): Promise<number> {
  // The embedded replay's analytics default (ClickHouse); its durable state is not on this path.
  const config = loadConfig({ file: values.config, defaults: { analytics: REPLAY_DEFAULTS.analytics }, overrides: storeFlagOverrides({ analytics: values.analytics }) });
  const stateAsked = values['state-url'] !== undefined || values['checkpoint-every'] !== undefined || (values.state ?? config.state.kind) !== 'off';
  if (stateAsked) throw new InputError('replay --bus kafka: durable state (--state, --state-url, --checkpoint-every) is not supported on the Kafka bus yet');
  const chunk = values['kafka-chunk'] === undefined ? 1 : Number(values['kafka-chunk']);
  if (!Number.isInteger(chunk) || chunk <= 0) throw new InputError(`replay: --kafka-chunk must be a positive integer, not ${values['kafka-chunk']}`);
  const logger = createLogger(config.log.level);
  logger.info({ config: redactConfig(config) }, 'config');
  const modelPath = fromPackageRoot(config.scoring.modelPath);
  const scorer = await loadScorer(modelPath, FEATURE_SPEC);
  const driftReference = await loadDriftReference(modelPath);
  const run = randomUUID().slice(0, 8);
  const topicPrefix = config.kafka.topicPrefix !== '' ? config.kafka.topicPrefix : `replay-${run}.`;
  logger.info({ path, outDir, brokers: config.kafka.brokers, topicPrefix }, 'replay over kafka starting');
  mkdirSync(outDir, { recursive: true });
  for (const stale of ['summary.json', MANIFEST_FILE]) rmSync(join(outDir, stale), { force: true });
  // A run of the same name (the --out folder's, or analytics.run) replaces the rows an earlier one left.
  const analytics = await openAnalyticsStore(config, { outDir, logger, replaceRun: true });
  const started = process.hrtime.bigint();
  let result;
  try {
    const files = new JsonlFiles(outDir, {});
    try {
      result = await replayRecordsOverKafka(readReplay(path, { bytesRead: 0 }), {
        config,
        scorer,
        files,
        logger,
        driftReference,
        ...(analytics === undefined ? {} : { clickhouse: analytics.sink }),
        chunkRecords: chunk,
        openBus: (metrics, settle) =>
          openKafkaBus({ config, group: `replay-${run}`, registry: metrics.registry, logger, fromBeginning: true, topicPrefix, settle, publishOrder: values['fetch-order'] !== true, fetchMaxWaitMs: REPLAY_FETCH_WAIT_MS }),
      });
    } finally {
      files.close();
    }
  } catch (err) {
    // The replay's error is the one reported: the analytics store is closed after it, quietly.
    await analytics?.close().catch(() => undefined);
    throw err;
  }
  await analytics?.close();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(result.summary, null, 2)}\n`);
  if (values.metrics !== undefined) writeFileSync(values.metrics, await (analytics === undefined ? result.metrics.registry : Registry.merge([result.metrics.registry, analytics.registry])).metrics());
  process.stdout.write(formatSummary(result.summary));
  const store = analytics === undefined ? '' : ` (analytics ${analytics.manifest.mode === 'embedded' ? 'chDB' : 'ClickHouse'})`;
  process.stdout.write(`\n${result.summary.events.toLocaleString('en-US')} events in ${seconds.toFixed(2)} s over Kafka (topics ${topicPrefix}*)\noutput: ${outDir}${store}\n`);
  return 0;
}
